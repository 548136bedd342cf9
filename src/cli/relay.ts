/**
 * `tsx src/cli/relay.ts [options]`: the relay for the browser camera. Serves the built page
 * (`dist/web` by default) and carries the page's Matter UDP/TCP/mDNS over a token-protected
 * WebSocket (src/relay). Prints the page URL with the token, logs connections and refusals (never
 * payloads), and stops cleanly on SIGINT/SIGTERM. Bad options print a readable message and exit
 * with status 2. Options: src/relay/cli-options.ts.
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
const { Logger } = await import("@matter/main");
const { startRelay } = await import("../relay/server.js");
// matter.js' socket code logs every bind at debug; the relay's own lines say what matters
if (process.env.MATTER_LOG_LEVEL === undefined) Logger.level = "warn";
const stamp = () => new Date().toISOString().slice(11, 23);

let relay: Awaited<ReturnType<typeof startRelay>>;
try {
    relay = await startRelay({
        port: args.port,
        host: args.host,
        staticDir,
        matterPorts: args.matterPorts,
        allowedOrigins: args.allowedOrigins,
        ...(args.token !== undefined ? { token: args.token } : {}),
        log: line => console.log(`${stamp()} relay: ${line}`),
    });
} catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = code === "EADDRINUSE" ? `port ${args.port} is in use (try --port 0)` : code === "EADDRNOTAVAIL" ? `cannot bind ${args.host}` : String(error);
    console.error(`relay: cannot start: ${reason}`);
    process.exit(2);
}

console.log(`relay: serving ${staticDir}`);
console.log(`relay: ${relay.policy.describe()}`);
console.log(`relay: open ${relay.pageUrl}`);
if (args.host !== "127.0.0.1" && args.host !== "localhost" && args.host !== "::1") {
    console.log("relay: note: browsers allow WebCrypto only on https or localhost; from another machine use a TLS proxy");
}

onStopSignals("relay", () => relay.close());
