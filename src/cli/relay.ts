/**
 * `tsx src/cli/relay.ts [options]`: the relay for the browser camera. Serves the built page
 * (`dist/web` by default) and carries the page's Matter UDP/TCP/mDNS over a token-protected
 * WebSocket (src/relay). Prints the page URL with the token, logs connections and refusals (never
 * payloads), and stops cleanly on SIGINT/SIGTERM. Bad options, an interface that does not exist
 * and certificate files that cannot be used print a readable message and exit with status 2.
 * Options: src/relay/cli-options.ts. `--lan`: HTTPS on a LAN interface, the URL as a QR code and
 * the certificate's fingerprint (src/relay/lan-mode.ts, which also states the security model).
 */

import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { parseRelayArgs, RELAY_USAGE, RelayArgumentError, type RelayArgs } from "../relay/cli-options.js";
import { PAGE_DIR } from "./build-page.js";
import { onStopSignals, parseOrExit } from "./process.js";

const args: RelayArgs = parseOrExit("relay", RELAY_USAGE, () => parseRelayArgs(process.argv.slice(2)), error => error instanceof RelayArgumentError);
if (args.help) {
    console.log(RELAY_USAGE);
    process.exit(0);
}

const staticDir = args.staticDir === undefined ? PAGE_DIR : resolve(args.staticDir);
const info = await stat(staticDir).catch(() => undefined);
if (!info?.isDirectory()) {
    console.error(`relay: static directory ${staticDir} does not exist; build the page first or pass --static DIR`);
    process.exit(2);
}

// loaded only now, so --help and bad options answer at once
const { CertificateError, LanError, lanBanner, prepareLanMode } = await import("../relay/lan-mode.js");
let lan: Awaited<ReturnType<typeof prepareLanMode>> | undefined;
if (args.lan) {
    try {
        lan = await prepareLanMode({
            ...(args.interface !== undefined ? { interface: args.interface } : {}),
            ...(args.mdnsInterface !== undefined ? { mdnsInterface: args.mdnsInterface } : {}),
            ...(args.certFile !== undefined && args.keyFile !== undefined ? { certFile: args.certFile, keyFile: args.keyFile } : {}),
            ...(args.stateDir !== undefined ? { stateDir: resolve(args.stateDir) } : {}),
            renewCertificate: args.newCert,
        });
    } catch (error) {
        if (!(error instanceof LanError || error instanceof CertificateError)) throw error;
        console.error(`relay: ${error.message}`);
        process.exit(2);
    }
    for (const note of lan.notes) console.log(`relay: ${note}`);
}
const { Logger } = await import("@matter/main");
const { startRelay } = await import("../relay/server.js");
// matter.js' socket code logs every bind at debug; the relay's own lines say what matters
if (process.env.MATTER_LOG_LEVEL === undefined) Logger.level = "warn";
const stamp = () => new Date().toISOString().slice(11, 23);

let relay: Awaited<ReturnType<typeof startRelay>>;
try {
    relay = await startRelay({
        port: args.port,
        ...(lan !== undefined ? lan.relayOptions : { host: args.host }),
        staticDir,
        matterPorts: args.matterPorts,
        allowedOrigins: args.allowedOrigins,
        ...(args.token !== undefined ? { token: args.token } : {}),
        log: line => console.log(`${stamp()} relay: ${line}`),
    });
} catch (error) {
    const code = (error as { code?: unknown }).code;
    const where = lan !== undefined ? lan.choice.addresses.join(", ") : args.host;
    const reason = code === "EADDRINUSE" ? `port ${args.port} is in use (try --port 0)` : code === "EADDRNOTAVAIL" ? `cannot bind ${where}` : String(error);
    console.error(`relay: cannot start: ${reason}`);
    process.exit(2);
}

// before the first line a supervisor (or a test) may act on: a SIGTERM that arrives before a
// handler exists kills the process outright, with no clean stop
onStopSignals("relay", () => relay.close());
console.log(`relay: serving ${staticDir}`);
console.log(`relay: ${relay.policy.describe()}`);
const mdns = lan?.mdnsInterface ?? args.mdnsInterface;
const pageUrl = `${relay.pageUrl}${mdns !== undefined ? `&mdns=${encodeURIComponent(mdns)}` : ""}`;
if (lan !== undefined) {
    console.log(lanBanner(lan, pageUrl, relay.port, { color: process.stdout.isTTY === true, prefix: "relay: " }));
} else {
    console.log(`relay: open ${pageUrl}`);
    if (args.host !== "127.0.0.1" && args.host !== "localhost" && args.host !== "::1") {
        console.log("relay: note: browsers allow the camera and WebCrypto only on https or localhost; from another machine use --lan");
    }
}

