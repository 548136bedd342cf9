/**
 * Command-line options of the relay (`src/cli/relay.ts`), parsed by hand (`--name value` or
 * `--name=value`). Bad input is a `RelayArgumentError` with a readable message; the entry point
 * prints it with the usage and exits with status 2.
 */

import { formatRange, parsePortRange, type PortRange } from "./policy.js";

export interface RelayArgs {
    port: number;
    host: string;
    /** Directory of the page to serve; undefined: the page built into this package (dist/web). */
    staticDir: string | undefined;
    matterPorts: PortRange;
    token: string | undefined;
    allowedOrigins: string[];
    help: boolean;
}

export const RELAY_DEFAULTS: RelayArgs = {
    port: 8080,
    host: "127.0.0.1",
    staticDir: undefined,
    matterPorts: { from: 5540, to: 5600 },
    token: undefined,
    allowedOrigins: [],
    help: false,
};

export const RELAY_USAGE = `Usage: relay [options]

Serves the camera page and carries its Matter UDP/TCP (and mDNS) over a token-protected WebSocket.
Open the printed page URL (it carries the token) in a browser on this machine.

Options (--name value or --name=value):
  --port N               HTTP/WebSocket port (default ${RELAY_DEFAULTS.port}; 0 = any free port)
  --host ADDRESS         address to bind (default ${RELAY_DEFAULTS.host}; 0.0.0.0 exposes it to the LAN)
  --static DIR           directory of the page to serve (default: the camera page built into this package)
  --matter-ports A-B     ports the page's node may bind and connect to (default ${formatRange(RELAY_DEFAULTS.matterPorts)}; mDNS 5353 is added)
  --token TOKEN          access token (default: random at each start; at least 16 characters)
  --allow-origin ORIGIN  also accept WebSocket connections from this Origin (repeatable)
  --help                 this text`;

export class RelayArgumentError extends Error {}

const VALUE_OPTIONS = new Set(["port", "host", "static", "matter-ports", "token", "allow-origin"]);

export function parseRelayArgs(argv: readonly string[]): RelayArgs {
    const args: RelayArgs = { ...RELAY_DEFAULTS, allowedOrigins: [] };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i] ?? "";
        const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
        if (!match) throw new RelayArgumentError(`unexpected argument "${arg}"`);
        const name = match[1] ?? "";
        if (name === "help") {
            if (match[2] !== undefined) throw new RelayArgumentError("--help takes no value");
            args.help = true;
            continue;
        }
        if (!VALUE_OPTIONS.has(name)) throw new RelayArgumentError(`unknown option --${name}`);
        let value = match[2];
        if (value === undefined) {
            value = argv[i + 1];
            if (value === undefined || value.startsWith("--")) throw new RelayArgumentError(`--${name} needs a value`);
            i++;
        }
        switch (name) {
            case "port": {
                const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
                if (!Number.isInteger(port) || port > 65_535) throw new RelayArgumentError(`--port must be a port number 0-65535, got "${value}"`);
                args.port = port;
                break;
            }
            case "host":
                if (value.trim() === "") throw new RelayArgumentError("--host must not be empty");
                args.host = value;
                break;
            case "static":
                if (value.trim() === "") throw new RelayArgumentError("--static must not be empty");
                args.staticDir = value;
                break;
            case "matter-ports": {
                const range = parsePortRange(value);
                if (range === undefined) throw new RelayArgumentError(`--matter-ports must look like 5540-5600 (1-65535, low-high), got "${value}"`);
                args.matterPorts = range;
                break;
            }
            case "token":
                if (value.length < 16) throw new RelayArgumentError("--token must be at least 16 characters");
                args.token = value;
                break;
            case "allow-origin":
                try {
                    const url = new URL(value);
                    if (url.origin === "null" || url.origin !== value.replace(/\/$/, "")) throw new Error();
                    args.allowedOrigins.push(url.origin);
                } catch {
                    throw new RelayArgumentError(`--allow-origin must be an origin like https://host:port, got "${value}"`);
                }
                break;
        }
    }
    if (args.port !== 0 && args.port >= args.matterPorts.from && args.port <= args.matterPorts.to) {
        throw new RelayArgumentError(`--port ${args.port} lies inside --matter-ports ${formatRange(args.matterPorts)}`);
    }
    return args;
}
