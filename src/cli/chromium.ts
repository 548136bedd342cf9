/**
 * How this project runs Debian's Chromium headless (playwright-core): the binary and the flags.
 *
 * The flags come from the measured notes: no sandbox (root), no GPU, no background networking
 * (this machine's closed network refuses it), a fake camera and an auto-granted permission prompt
 * (which also makes host ICE candidates real IPs instead of mDNS names), loopback ICE candidates
 * (a loopback-only host has no others) and audio without a user gesture. `CHROMIUM_PATH`
 * overrides the binary.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS: readonly string[] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
];
