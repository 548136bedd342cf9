/**
 * Chromium's flags for tests: the program's own (`src/cli/chromium.ts`) plus what keeps a test
 * browser on this machine. Measured with strace and tcpdump (Firefox suite, issue 12): a page that
 * asks for no camera gets its host ICE candidates as mDNS names, which Chromium announces on the
 * default interface, and Chromium looks up Google's hosts at start. So in tests no host name
 * resolves but localhost and the loopback addresses (and the names a test maps itself), and host candidates stay addresses.
 *
 * The LAN-in-a-box suite (test/lan) runs Chromium with its defaults instead, inside namespaces
 * whose only interfaces the test made: there the mDNS names are the point.
 */

import { CHROMIUM_ARGS } from "../../src/cli/chromium.js";

export { CHROMIUM_PATH } from "../../src/cli/chromium.js";

/** `CHROMIUM_ARGS` without `drop`, plus the offline flags; `map` sends host names to addresses. */
export function testChromiumArgs(options: { map?: Record<string, string>; drop?: string[]; extra?: string[] } = {}): string[] {
    const maps = Object.entries(options.map ?? {}).map(([name, address]) => `MAP ${name} ${address}`);
    return [
        ...CHROMIUM_ARGS.filter(flag => !(options.drop ?? []).includes(flag)),
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        `--host-resolver-rules=${[...maps, "MAP * ~NOTFOUND", "EXCLUDE localhost", "EXCLUDE 127.0.0.1", "EXCLUDE [::1]"].join(", ")}`,
        ...(options.extra ?? []),
    ];
}

/** The flags most tests use. */
export const TEST_CHROMIUM_ARGS: readonly string[] = testChromiumArgs();
