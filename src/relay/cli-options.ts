/**
 * Command-line options of the relay (`src/cli/relay.ts`, and `npm start`, which passes the ones it
 * does not know here), parsed by hand (`--name value` or `--name=value`). Bad input is a
 * `RelayArgumentError` with a readable message; the entry point prints it with the usage and exits
 * with status 2. The LAN mode's options (`--lan` and the ones that only make sense with it) are
 * checked together: `--interface`, `--cert`/`--key` (both or neither), `--state-dir` and
 * `--new-cert` need `--lan`; `--host` and `--lan` exclude each other (the interface decides the
 * addresses); `--lan` moves the default port to 8443.
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
    /** LAN mode: HTTPS on one LAN interface's addresses, QR code of the page URL (lan-mode.ts). */
    lan: boolean;
    /** LAN mode: the interface to serve; default the default route's. */
    interface: string | undefined;
    /** The page's mDNS interface (its URL's `mdns=`); LAN mode's default is the LAN interface. */
    mdnsInterface: string | undefined;
    /** LAN mode: the user's own certificate and key files (PEM). */
    certFile: string | undefined;
    keyFile: string | undefined;
    /** LAN mode: where the generated certificate is kept; default tls.ts' defaultStateDir(). */
    stateDir: string | undefined;
    /** LAN mode: make a new certificate even if the kept one is still good. */
    newCert: boolean;
    help: boolean;
}

export const RELAY_DEFAULTS: RelayArgs = {
    port: 8080,
    host: "127.0.0.1",
    staticDir: undefined,
    matterPorts: { from: 5540, to: 5600 },
    token: undefined,
    allowedOrigins: [],
    lan: false,
    interface: undefined,
    mdnsInterface: undefined,
    certFile: undefined,
    keyFile: undefined,
    stateDir: undefined,
    newCert: false,
    help: false,
};

/** The port LAN mode serves HTTPS on unless `--port` says otherwise. */
export const LAN_DEFAULT_PORT = 8443;

export const RELAY_USAGE = `Usage: relay [options]

Serves the camera page and carries its Matter UDP/TCP (and mDNS) over a token-protected WebSocket.
Open the printed page URL (it carries the token) in a browser on this machine, or use --lan to open
it on a phone: HTTPS on the LAN, with a QR code of the URL printed here.

Options (--name value or --name=value):
  --port N               HTTP/WebSocket port (default ${RELAY_DEFAULTS.port}; 0 = any free port)
  --host ADDRESS         address to bind (default ${RELAY_DEFAULTS.host}; 0.0.0.0 exposes it to the LAN)
  --static DIR           directory of the page to serve (default: the camera page built into this package)
  --matter-ports A-B     ports the page's node may bind and connect to (default ${formatRange(RELAY_DEFAULTS.matterPorts)}; mDNS 5353 is added)
  --token TOKEN          access token (default: random at each start; at least 16 characters)
  --allow-origin ORIGIN  also accept WebSocket connections from this Origin (repeatable)
  --mdns-interface NAME  the page's node runs mDNS on this relay-host interface only (with --lan: the LAN interface)

LAN mode (a phone or another computer as the camera):
  --lan                  serve the page over HTTPS on one LAN interface's addresses (port ${LAN_DEFAULT_PORT} unless
                         --port), with a self-signed certificate made on first start and kept, and
                         print the page URL as a QR code to scan
  --interface NAME       the LAN interface (default: the one of the default route)
  --cert FILE --key FILE your own certificate and unencrypted key (PEM) instead of the generated one
  --state-dir DIR        where the generated certificate is kept (default $XDG_CONFIG_HOME or ~/.config,
                         /matter-webrtc-provider)
  --new-cert             make a new certificate even if the kept one is still good
  --help                 this text`;

export class RelayArgumentError extends Error {}

const VALUE_OPTIONS = new Set(["port", "host", "static", "matter-ports", "token", "allow-origin", "mdns-interface", "interface", "cert", "key", "state-dir"]);
const FLAG_OPTIONS = new Set(["help", "lan", "new-cert"]);

export function parseRelayArgs(argv: readonly string[]): RelayArgs {
    const args: RelayArgs = { ...RELAY_DEFAULTS, allowedOrigins: [] };
    let portGiven = false;
    let hostGiven = false;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i] ?? "";
        const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
        if (!match) throw new RelayArgumentError(`unexpected argument "${arg}"`);
        const name = match[1] ?? "";
        if (FLAG_OPTIONS.has(name)) {
            if (match[2] !== undefined) throw new RelayArgumentError(`--${name} takes no value`);
            if (name === "help") args.help = true;
            else if (name === "lan") args.lan = true;
            else args.newCert = true;
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
                portGiven = true;
                break;
            }
            case "host":
                if (value.trim() === "") throw new RelayArgumentError("--host must not be empty");
                args.host = value;
                hostGiven = true;
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
            case "mdns-interface":
            case "interface":
                if (!/^[\w.:@-]{1,64}$/.test(value)) throw new RelayArgumentError(`--${name} must be an interface name like eth0 or wlan0, got "${value}"`);
                if (name === "interface") args.interface = value;
                else args.mdnsInterface = value;
                break;
            case "cert":
            case "key":
            case "state-dir":
                if (value.trim() === "") throw new RelayArgumentError(`--${name} must not be empty`);
                if (name === "cert") args.certFile = value;
                else if (name === "key") args.keyFile = value;
                else args.stateDir = value;
                break;
        }
    }
    if (!args.lan) {
        const lanOnly = ([
            ["--interface", args.interface],
            ["--cert", args.certFile],
            ["--key", args.keyFile],
            ["--state-dir", args.stateDir],
            ["--new-cert", args.newCert ? "yes" : undefined],
        ] as const).find(([, value]) => value !== undefined);
        if (lanOnly !== undefined) throw new RelayArgumentError(`${lanOnly[0]} only applies to the LAN mode: add --lan`);
    } else {
        if (hostGiven) throw new RelayArgumentError("--lan chooses the addresses from the LAN interface: use --interface NAME instead of --host");
        if ((args.certFile === undefined) !== (args.keyFile === undefined)) throw new RelayArgumentError("--cert and --key go together: give both files or neither");
        if (args.certFile !== undefined && args.newCert) throw new RelayArgumentError("--new-cert makes a certificate of the relay's own; it does not go with --cert/--key");
        if (!portGiven) args.port = LAN_DEFAULT_PORT;
    }
    if (args.port !== 0 && args.port >= args.matterPorts.from && args.port <= args.matterPorts.to) {
        throw new RelayArgumentError(`--port ${args.port} lies inside --matter-ports ${formatRange(args.matterPorts)}`);
    }
    return args;
}
