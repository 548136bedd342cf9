/**
 * `startRelay()`: the Node relay in one HTTP server.
 *
 * - Static: serves the built page from `staticDir` (content types, COOP/COEP; see static-files.ts).
 * - WebSocket: upgrades on `path` (default `/matter`) with the `ws` package; each client gets its own
 *   virtual network (client-session.ts) speaking the binary protocol of protocol.ts.
 *
 * Locked down by default:
 * - bound to 127.0.0.1 unless `host` (one address) or `hosts` (several, one port) is given;
 * - a random 256-bit token (or `token`) is required as `?token=` on the WebSocket URL; the printed
 *   `pageUrl` carries it for the page to pass on. Missing or wrong token → 401, before any upgrade;
 * - the `Origin` header must be one of the relay's own origins (http://127.0.0.1|localhost|[::1]:port,
 *   the bound hosts, `serverNames`, and every local address when bound to a wildcard; https:// in
 *   TLS mode) or `allowedOrigins`; a wrong Origin → 403. Requests without Origin (non-browser clients such as Node's `ws`) pass
 *   unless `requireOrigin` is set: browsers always send it, and the token still applies;
 * - ports, destinations and per-client caps from policy.ts; at most `limits.maxClients` clients
 *   (503 beyond that).
 *
 * TLS (`tls`: a certificate and key, PEM): the same server over HTTPS and WSS; the LAN mode
 * (lan-mode.ts) uses it with a certificate of its own (tls.ts), since a phone's browser gives the
 * camera and WebCrypto only to a secure page. Handshakes that fail (a browser that has not yet
 * accepted a self-signed certificate) are dropped without a log line.
 *
 * The page finds its relay from its own URL: `pageUrl` is `http(s)://host:port/?token=…`, so the page
 * connects to `ws://${location.host}/matter?token=${new URLSearchParams(location.search).get("token")}`
 * (wss behind TLS). Secure context: WebCrypto needs https or localhost/127.0.0.1. `urlHost` picks
 * the host the URLs name (LAN mode: the address a phone reaches).
 *
 * `close()` closes every client and every socket it opened, then the HTTP server.
 */

import type { Network } from "@matter/main";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { WebSocketServer, type WebSocket } from "ws";
import { RelayHostNetwork } from "./host-network.js";
import { ClientSession, CloseCode, sortedPorts, type SessionStats } from "./client-session.js";
import { ipVersion, RelayPolicy, type PolicyOptions } from "./policy.js";
import { MAX_FRAME_SIZE } from "./protocol.js";
import { createStaticHandler, sendText, SECURITY_HEADERS } from "./static-files.js";

/** Options of {@link startRelay}: where it listens, what it serves, who may connect, and the client policy. */
export interface RelayOptions extends PolicyOptions {
    /** HTTP port; 0 = any free port. Default 0. */
    port?: number;
    /** Address to bind; default 127.0.0.1. */
    host?: string;
    /** Addresses to bind, all on one port (e.g. an interface's IPv4 and IPv6 addresses); overrides `host`. */
    hosts?: string[];
    /** Serve HTTPS and WSS with this certificate and key instead of plain HTTP. */
    tls?: RelayTls;
    /** DNS names that reach this relay (e.g. the host name and `<host>.local`): their origins pass the Origin check. */
    serverNames?: string[];
    /** The host `url` and `pageUrl` name; default the first bound address (loopback for a wildcard). */
    urlHost?: string;
    /** Directory of the built page; without it only the WebSocket is served. */
    staticDir?: string;
    /** WebSocket path; default "/matter". */
    path?: string;
    /** Access token; default: 32 random bytes, base64url. */
    token?: string;
    /** Extra allowed Origins (e.g. "https://camera.example"), or "any" to skip the Origin check. */
    allowedOrigins?: string[] | "any";
    /** Refuse upgrades without an Origin header. Default false. */
    requireOrigin?: boolean;
    /** The host network the virtual networks use; default `RelayHostNetwork` (matter.js' NodeJsNetwork, IPv4 multicast on the named interface). */
    network?: Network;
    /** Log lines (connections, refusals, closes; never payloads). Default: silent. */
    log?: (line: string) => void;
}

/** A certificate and its private key, PEM, for a relay that serves HTTPS. */
export interface RelayTls {
    /** The certificate (chain), PEM. */
    cert: string;
    /** Its private key, PEM, unencrypted. */
    key: string;
}

/** Totals over the relay's connected clients. */
export interface RelayStats extends SessionStats {
    /** Clients connected now. */
    clients: number;
}

/** A running relay: where to reach it, its policy, and `close`. */
export interface Relay {
    /** WebSocket URL including the token. */
    url: string;
    /** Page URL including the token. */
    pageUrl: string;
    /** The access token clients must present. */
    token: string;
    /** The HTTP port it listens on (the one chosen when the option was 0). */
    port: number;
    /** The address it is bound to (the first, when several). */
    host: string;
    /** Every address it is bound to. */
    hosts: string[];
    /** True when it serves HTTPS/WSS. */
    secure: boolean;
    /** The Origins its WebSocket accepts, or "any". */
    origins: string[] | "any";
    /** The client policy in force. */
    policy: RelayPolicy;
    /** Totals over the connected clients. */
    stats(): RelayStats;
    /** Closes every client and every socket it opened, then the HTTP server. */
    close(): Promise<void>;
}

function urlHost(host: string): string {
    return ipVersion(host) === 6 ? `[${host}]` : host;
}

/** The address a local browser uses for a bound host (wildcards → loopback). */
function reachableHost(host: string): string {
    if (host === "0.0.0.0") return "127.0.0.1";
    if (host === "::" || host === "[::]") return "::1";
    return host;
}

function ownOrigins(bound: readonly string[], names: readonly string[], port: number, scheme: "http" | "https"): Set<string> {
    const hosts = new Set(["127.0.0.1", "localhost", "::1", ...bound, ...names.map(n => n.toLowerCase())]);
    if (bound.some(host => host === "0.0.0.0" || host === "::")) {
        for (const infos of Object.values(networkInterfaces())) {
            for (const info of infos ?? []) hosts.add(info.address);
        }
    }
    return new Set([...hosts].map(h => `${scheme}://${urlHost(h)}:${port}`));
}

function sameToken(given: string | null, expected: string): boolean {
    if (given === null) return false;
    const digest = (value: string) => createHash("sha256").update(value).digest();
    return timingSafeEqual(digest(given), digest(expected));
}

function refuseUpgrade(socket: Socket, status: number, reason: string): void {
    const text = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable" }[status] ?? "Error";
    const body = `${reason}\n`;
    const headers = [
        `HTTP/1.1 ${status} ${text}`,
        "Connection: close",
        "Content-Type: text/plain; charset=utf-8",
        `Content-Length: ${Buffer.byteLength(body)}`,
        ...Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.end(`${headers.join("\r\n")}\r\n\r\n${body}`);
    socket.destroySoon?.();
}

/**
 * Starts a relay: an HTTP server (the page, if `staticDir` is given) with a token-protected
 * WebSocket path whose clients get a virtual network of UDP sockets and TCP connections on this
 * host. Loopback only by default.
 */
export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
    const hosts = options.hosts !== undefined && options.hosts.length > 0 ? [...new Set(options.hosts)] : [options.host ?? "127.0.0.1"];
    const host = hosts[0] as string;
    const scheme = options.tls !== undefined ? "https" : "http";
    const path = options.path ?? "/matter";
    const token = options.token ?? randomBytes(32).toString("base64url");
    if (token.length < 16) throw new RangeError("token must be at least 16 characters");
    const policy = new RelayPolicy(options);
    const network = options.network ?? new RelayHostNetwork();
    const log = options.log ?? (() => {});
    const serveStatic = options.staticDir !== undefined ? await createStaticHandler(options.staticDir) : undefined;

    const sessions = new Set<ClientSession>();
    // ws cuts off anything beyond 4 frames' worth (bare 1009); the session refuses oversized
    // frames below that with a readable reason
    const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * MAX_FRAME_SIZE, perMessageDeflate: false, clientTracking: false });
    // filled in once the port is known; until then no Origin passes
    let allowedOrigins: Set<string> | "any" = new Set<string>();
    let clientNumber = 0;

    const handle = (request: IncomingMessage, response: ServerResponse) => {
        const pathname = new URL(request.url ?? "/", "http://relay").pathname;
        if (pathname === path) {
            sendText(response, 426, "WebSocket upgrade required", { Upgrade: "websocket" });
            return;
        }
        if (serveStatic === undefined) {
            sendText(response, 404, "not found");
            return;
        }
        serveStatic(request, response);
    };
    const server: Server = options.tls !== undefined ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: "TLSv1.2" }, handle) : createServer(handle);
    // a browser that has not accepted a self-signed certificate yet aborts the handshake: expected
    server.on("tlsClientError", (_error: Error, socket: Socket) => socket.destroy());
    server.on("clientError", (_error, socket) => {
        if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
        socket.destroy();
    });

    server.on("upgrade", (request: IncomingMessage, socket: Socket, head: Buffer) => {
        socket.on("error", () => socket.destroy());
        let url: URL;
        try {
            url = new URL(request.url ?? "/", "http://relay");
        } catch {
            refuseUpgrade(socket, 400, "bad request target");
            return;
        }
        const who = `${request.socket.remoteAddress ?? "?"}:${request.socket.remotePort ?? "?"}`;
        if (url.pathname !== path) {
            refuseUpgrade(socket, 404, "no WebSocket endpoint here");
            return;
        }
        if (!sameToken(url.searchParams.get("token"), token)) {
            log(`refused ${who}: missing or wrong token`);
            refuseUpgrade(socket, 401, "missing or wrong token");
            return;
        }
        const origin = request.headers.origin;
        if (allowedOrigins !== "any" && (origin === undefined ? options.requireOrigin === true : !allowedOrigins.has(origin))) {
            log(`refused ${who}: origin ${origin ?? "(none)"} not allowed`);
            refuseUpgrade(socket, 403, "origin not allowed");
            return;
        }
        if (sessions.size >= policy.limits.maxClients) {
            log(`refused ${who}: ${policy.limits.maxClients} clients already connected`);
            refuseUpgrade(socket, 503, "too many clients");
            return;
        }
        wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
            const name = `client#${++clientNumber} (${who})`;
            log(`${name}: connected`);
            const session: ClientSession = new ClientSession({ ws, policy, network, name, log, onClosed: () => sessions.delete(session) });
            sessions.add(session);
        });
    });

    const { port, extra } = await listenAll(server, hosts, options.port ?? 0);
    policy.relayPort = port;
    allowedOrigins = options.allowedOrigins === "any" ? "any" : new Set([...ownOrigins(hosts, options.serverNames ?? [], port, scheme), ...(options.allowedOrigins ?? [])]);

    const shownHost = urlHost(options.urlHost ?? reachableHost(host));
    const origin = `${scheme}://${shownHost}:${port}`;
    const query = `token=${encodeURIComponent(token)}`;
    let closing: Promise<void> | undefined;

    return {
        url: `${scheme === "https" ? "wss" : "ws"}://${shownHost}:${port}${path}?${query}`,
        pageUrl: `${origin}/?${query}`,
        token,
        port,
        host,
        hosts,
        secure: scheme === "https",
        origins: allowedOrigins === "any" ? "any" : [...allowedOrigins],
        policy,
        stats() {
            const total: RelayStats = {
                clients: sessions.size,
                udpSockets: 0,
                tcpListeners: 0,
                tcpConnections: 0,
                droppedDatagrams: 0,
                bytesFromClient: 0,
                bytesToClient: 0,
                udpPorts: [],
                tcpPorts: [],
                learnedDestinations: 0,
            };
            for (const session of sessions) {
                const s = session.stats();
                total.udpPorts = sortedPorts([...total.udpPorts, ...s.udpPorts]);
                total.tcpPorts = sortedPorts([...total.tcpPorts, ...s.tcpPorts]);
                total.udpSockets += s.udpSockets;
                total.tcpListeners += s.tcpListeners;
                total.tcpConnections += s.tcpConnections;
                total.droppedDatagrams += s.droppedDatagrams;
                total.bytesFromClient += s.bytesFromClient;
                total.bytesToClient += s.bytesToClient;
                total.learnedDestinations += s.learnedDestinations;
            }
            return total;
        },
        close() {
            return (closing ??= (async () => {
                const closed = Promise.all([server, ...extra].map(s => new Promise<void>(resolve => s.close(() => resolve()))));
                const all = [...sessions];
                for (const session of all) session.fail(CloseCode.goingAway, "relay shutting down");
                await Promise.allSettled(all.map(session => session.dispose()));
                sessions.clear();
                server.closeAllConnections();
                wss.close();
                await closed;
            })());
        },
    };
}

function listenOn(server: Server | NetServer, host: string, port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ port, host }, () => {
            server.off("error", reject);
            resolve();
        });
    });
}

/**
 * Listens on every address on one port: the HTTP(S) server itself on the first, and a plain TCP
 * listener per further address that hands its connections to the server (TLS, HTTP and upgrades
 * happen there, once). With port 0 the first address picks the port; if another address has it
 * taken, all start again on a fresh port (a few tries).
 */
async function listenAll(server: Server, hosts: readonly string[], wanted: number): Promise<{ port: number; extra: NetServer[] }> {
    for (let attempt = 0; ; attempt++) {
        await listenOn(server, hosts[0] as string, wanted);
        const port = (server.address() as AddressInfo).port;
        const extra: NetServer[] = [];
        try {
            for (const host of hosts.slice(1)) {
                const listener = createNetServer(socket => server.emit("connection", socket));
                await listenOn(listener, host, port);
                extra.push(listener);
            }
            return { port, extra };
        } catch (error) {
            await Promise.all([server, ...extra].map(s => new Promise<void>(resolve => s.close(() => resolve()))));
            if (wanted !== 0 || (error as { code?: unknown }).code !== "EADDRINUSE" || attempt >= 4) throw error;
        }
    }
}
