/**
 * `npm start [-- options]`: the browser camera, from a fresh checkout to a running camera.
 *
 * 1. builds what is missing or stale: the WASM core (src/cli/build-if-missing.mjs) and the page
 *    (`vite build` into dist/web when dist/web/index.html is older than web/, worker/, src/, the
 *    .wasm or vite.config.ts; `--rebuild` forces it);
 * 2. starts the relay serving dist/web (token-protected WebSocket at /matter, loopback by default;
 *    the relay's own options apply: --port, --host, --matter-ports, --token, --allow-origin);
 * 3. prints the page URL (it carries the token): open it and the tab is a Matter camera; the page
 *    shows its pairing QR code and manual code;
 * 4. `--headless`: also launches Debian's Chromium headless (playwright-core; CHROMIUM_PATH
 *    overrides /usr/bin/chromium) on the test pattern, with a persistent profile (IndexedDB: the
 *    camera stays commissioned across runs while the relay port stays the same), and prints each
 *    camera's pairing code (and the QR code on a terminal) once the page runs. `--cameras N` opens
 *    N tabs = N cameras, each with its own identity, storage and Matter port.
 *
 * Without --headless the page runs in the user's browser, out of this process' sight: the pairing
 * code is on the page (the relay only sees encrypted Matter traffic), and this process reports
 * when a camera page connects. Ctrl-C stops everything.
 *
 * `--lan`: the relay's LAN mode (src/relay/lan-mode.ts): HTTPS on one LAN interface (`--interface`),
 * a certificate of its own kept across runs (or `--cert/--key`), the page URL printed with a QR code
 * for a phone to scan and the certificate's fingerprint; the page's mDNS runs on that interface
 * (`mdns=` in the URL) unless `--mdns`/`--mdns-interface` names another. A missing interface or an
 * unusable certificate file exits with status 2 and the reason.
 */

import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./chromium.js";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildPage, FROM_SOURCES, PAGE_DIR } from "./build-page.js";
import { onStopSignals } from "./process.js";
import { parseRelayArgs, RELAY_USAGE, RelayArgumentError, type RelayArgs } from "../relay/cli-options.js";
import type { CameraStatus } from "../../worker/protocol.js";

/** What this program reads of the page's `window.mwp` handle (web/main.ts). */
type PageWindow = Window & { mwp?: { status(): CameraStatus | undefined; problems(): string[] } };

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIST = PAGE_DIR;

const USAGE = `Usage: npm start -- [options]

Builds the page if needed, starts the relay, prints the page URL; the page is the camera.

Camera options:
  --headless             also run the page in headless Chromium (test pattern)
  --cameras N            with --headless: open N tabs = N cameras (default 1)
  --source webcam|pattern  with --headless: the video source (default pattern)
  --mdns IFACE           advertise mDNS only on this relay-host interface (e.g. lo; same as --mdns-interface)
  --certification        certification mode: no default streams (see README, "Two modes")
  --profile-dir DIR      with --headless: Chromium profile, keeps the cameras' IndexedDB (default dist/chromium-profile)
  --rebuild              rebuild the page even if dist/web looks current

${RELAY_USAGE.split("\n").slice(4).join("\n")}`;

interface StartArgs {
    relay: RelayArgs;
    headless: boolean;
    cameras: number;
    source: "pattern" | "webcam";
    mdns: string | undefined;
    profileDir: string;
    rebuild: boolean;
    certification: boolean;
}

function fail(text: string): never {
    console.error(`start: ${text}\n\n${USAGE}`);
    process.exit(2);
}

function parse(argv: string[]): StartArgs {
    const rest: string[] = [];
    const args: Omit<StartArgs, "relay"> = {
        headless: false,
        cameras: 1,
        source: "pattern",
        mdns: undefined,
        // in a checkout under the git-ignored dist/; from an installed package in the working
        // directory; never in .camera-storage (the Node camera's --factory-reset deletes that)
        profileDir: FROM_SOURCES ? join(ROOT, "dist", "chromium-profile") : join(process.cwd(), ".matter-webrtc-provider", "chromium-profile"),
        rebuild: false,
        certification: false,
    };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i] ?? "";
        const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
        const name = match?.[1];
        const take = (): string => {
            const value = match?.[2] ?? argv[++i];
            if (value === undefined || value.startsWith("--")) fail(`--${name} needs a value`);
            return value;
        };
        switch (name) {
            case "headless":
                args.headless = true;
                break;
            case "rebuild":
                args.rebuild = true;
                break;
            case "certification":
                args.certification = true;
                break;
            case "cameras": {
                const n = Number(take());
                if (!Number.isInteger(n) || n < 1 || n > 4) fail("--cameras must be 1-4 (the relay serves 4 clients)");
                args.cameras = n;
                break;
            }
            case "source": {
                const value = take();
                if (value !== "pattern" && value !== "webcam") fail(`--source must be webcam or pattern, got "${value}"`);
                args.source = value;
                break;
            }
            case "mdns":
                args.mdns = take();
                break;
            case "profile-dir":
                args.profileDir = take();
                break;
            default:
                rest.push(arg);
        }
    }
    try {
        const relay = parseRelayArgs(rest);
        if (relay.help) {
            console.log(USAGE);
            process.exit(0);
        }
        // the page is ours: serve the build, wherever start was run from
        relay.staticDir ??= DIST;
        return { ...args, relay };
    } catch (error) {
        if (error instanceof RelayArgumentError) fail(error.message);
        throw error;
    }
}

const args = parse(process.argv.slice(2));
// an installed package carries its WASM profiles and page, built when it was packed
if (FROM_SOURCES) execFileSync(process.execPath, [join(ROOT, "src", "cli", "build-if-missing.mjs")], { cwd: ROOT, stdio: "inherit" });
const built = await buildPage({ force: args.rebuild, log: line => console.log(`start: ${line}`) });
if (built !== undefined) console.log(`start: page built in ${(built / 1000).toFixed(1)} s`);
if (!existsSync(join(DIST, "index.html"))) fail(`the page is missing from ${DIST}`);

const { CertificateError, LanError, lanBanner, prepareLanMode } = await import("../relay/lan-mode.js");
let lan: Awaited<ReturnType<typeof prepareLanMode>> | undefined;
if (args.relay.lan) {
    try {
        lan = await prepareLanMode({
            ...(args.relay.interface !== undefined ? { interface: args.relay.interface } : {}),
            ...(args.relay.certFile !== undefined && args.relay.keyFile !== undefined ? { certFile: args.relay.certFile, keyFile: args.relay.keyFile } : {}),
            ...(args.relay.stateDir !== undefined ? { stateDir: resolve(args.relay.stateDir) } : {}),
            renewCertificate: args.relay.newCert,
        });
    } catch (error) {
        if (!(error instanceof LanError || error instanceof CertificateError)) throw error;
        console.error(`start: ${error.message}`);
        process.exit(2);
    }
    for (const note of lan.notes) console.log(`start: ${note}`);
}
// the relay's host sockets run matter.js' Node network: keep its per-socket debug lines out
const { Logger } = await import("@matter/main");
Logger.level = process.env.MATTER_LOG_LEVEL ?? "warn";
const { startRelay } = await import("../relay/server.js");
const stamp = () => new Date().toISOString().slice(11, 19);
let relay: Awaited<ReturnType<typeof startRelay>>;
try {
    relay = await startRelay({
        port: args.relay.port,
        ...(lan !== undefined ? lan.relayOptions : { host: args.relay.host }),
        staticDir: args.relay.staticDir,
        matterPorts: args.relay.matterPorts,
        allowedOrigins: args.relay.allowedOrigins,
        ...(args.relay.token !== undefined ? { token: args.relay.token } : {}),
        log: line => {
            // connections and refusals only; the page's own log says the rest
            if (/connected|refused|disconnected/.test(line)) console.log(`${stamp()} relay: ${line}`);
        },
    });
} catch (error) {
    const code = (error as { code?: unknown }).code;
    fail(code === "EADDRINUSE" ? `port ${args.relay.port} is in use (try --port 0, or stop the other relay)` : `cannot start the relay: ${String(error)}`);
}

const mdns = args.mdns ?? args.relay.mdnsInterface ?? lan?.mdnsInterface;
const extra = [
    mdns !== undefined ? `&mdns=${encodeURIComponent(mdns)}` : "",
    args.certification ? "&mode=certification" : "",
].join("");
const pageUrl = `${relay.pageUrl}${extra}`;
console.log(`start: relay ${relay.policy.describe()}`);
if (lan !== undefined) {
    console.log(lanBanner(lan, pageUrl, relay.port, { color: process.stdout.isTTY === true, prefix: "start: " }));
} else {
    console.log(`start: open this page — that tab becomes a Matter camera:\n\n    ${pageUrl}\n`);
    if (args.relay.host !== "127.0.0.1" && args.relay.host !== "localhost" && args.relay.host !== "::1") {
        console.log("start: note: browsers allow the camera and WebCrypto only on https or localhost; from another machine use --lan");
    }
}

let closeBrowser: (() => Promise<void>) | undefined;
if (args.headless) {
    closeBrowser = await runHeadless(pageUrl, args);
} else {
    console.log("start: the pairing QR code and manual code are shown on the page");
}

onStopSignals("start", async () => {
    await closeBrowser?.().catch(() => undefined);
    await relay.close();
});

async function runHeadless(url: string, options: StartArgs): Promise<() => Promise<void>> {
    if (!existsSync(CHROMIUM_PATH)) fail(`--headless needs Chromium at ${CHROMIUM_PATH} (apt-get install --no-install-recommends chromium, or set CHROMIUM_PATH)`);
    const { chromium } = await import("playwright-core").catch((error: unknown) => {
        throw new Error(`--headless needs playwright-core (npm install playwright-core): ${error instanceof Error ? error.message : String(error)}`);
    });
    const { default: encodeQR } = await import("qr");
    if (args.relay.port === 0) console.log("start: note: with --port 0 the page's origin changes every run, so each run is a new, uncommissioned camera");
    const context = await chromium.launchPersistentContext(options.profileDir, {
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: [...CHROMIUM_ARGS],
        // LAN mode's certificate is its own (self-signed); this browser runs on the relay's machine
        ...(options.relay.lan ? { ignoreHTTPSErrors: true } : {}),
    });
    for (let n = 1; n <= options.cameras; n++) {
        const existing = context.pages()[0];
        const page = n === 1 && existing !== undefined ? existing : await context.newPage();
        page.on("pageerror", error => console.error(`${stamp()} page ${n}: ${String(error)}`));
        page.on("console", message => {
            const text = message.text();
            // the worker's camera lines and errors; matter.js' own chatter stays in the page log
            if (text.startsWith("camera: ") || message.type() === "error") console.log(`${stamp()} tab ${n}: ${text.replace(/^camera: /, "")}`);
        });
        await page.goto(`${url}&source=${options.source}`);
        try {
            await page.waitForFunction(() => (window as PageWindow).mwp?.status()?.state === "online", null, { timeout: 60_000 });
        } catch {
            const problems = await page.evaluate(() => (window as PageWindow).mwp?.problems() ?? []).catch((): string[] => []);
            console.error(`start: tab ${n} did not come online: ${problems.join("; ") || "no reason given"}`);
            continue;
        }
        const status = await page.evaluate(() => (window as PageWindow).mwp?.status());
        if (status === undefined) continue;
        const name = `${status.storageName} (Matter port ${status.port})`;
        if (status.commissioned) {
            console.log(`start: camera ${name} is commissioned into ${status.fabrics.length} fabric(s): ${status.fabrics.map(f => f.label || `#${f.fabricIndex}`).join(", ")}`);
        } else if (status.pairing !== undefined) {
            console.log(`start: camera ${name} is ready to commission:`);
            console.log(`    manual pairing code: ${status.pairing.manualPairingCode}`);
            console.log(`    QR code payload:     ${status.pairing.qrPairingCode}`);
            if (process.stdout.isTTY) console.log(encodeQR(status.pairing.qrPairingCode, "term"));
        }
    }
    return () => context.close();
}
