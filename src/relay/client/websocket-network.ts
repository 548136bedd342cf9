/**
 * `WebSocketNetwork`: a matter.js `Network` whose sockets live on the relay host, reached over one
 * WebSocket. Install it in a node's root environment — `env.set(Network, network)` — and the
 * node's UDP/TCP transports and mDNS run through the relay exactly as on a native platform.
 *
 * Runs in a browser page, a module Web Worker and Node (inject `ws`'s WebSocket there: Node 20 has
 * no global one). One WebSocket carries one node's network; use one per node.
 *
 * Interface queries (`getNetInterfaces`, `getIpMac`) answer with the relay host's interfaces, as
 * they must: those addresses go into the node's mDNS records. They are cached for a few seconds.
 *
 * Relay loss: pending requests reject, TCP connections end with `TcpDisconnectError`, UDP sends
 * reject, and `closed` resolves with the WebSocket close code and reason. Sockets are not
 * re-established: the application restarts its node on a fresh network (`connectWithBackoff` in reconnect.ts).
 * `close()` closes the WebSocket; the relay then closes every socket of this network.
 */

import { Network, NetworkError, TCP_CONNECTION_TIMEOUT_MS } from "@matter/main";
import type {
    NetworkInterface,
    NetworkInterfaceDetails,
    TcpConnection,
    TcpConnectOptions,
    TcpListener,
    TcpListenerOptions,
    UdpSocket,
    UdpSocketOptions,
} from "@matter/main";
import { asNetworkError } from "./errors.js";
import {
    RelayConnection,
    type RelayCloseInfo,
    type RelayConnectionOptions,
    type WebSocketConstructor,
    type WebSocketLike,
} from "./relay-connection.js";
import { RelayTcpConnection, RelayTcpListener, RelayUdpSocket } from "./sockets.js";

export type { RelayCloseInfo, WebSocketConstructor, WebSocketLike } from "./relay-connection.js";
export { RelayClosedError, RelayRequestError } from "./relay-connection.js";

/** Options of {@link WebSocketNetwork.connect}. */
export interface WebSocketNetworkOptions extends RelayConnectionOptions {
    /** WebSocket constructor when `socket` is a URL and the runtime has no global WebSocket. */
    WebSocket?: WebSocketConstructor;
    /** How long to wait for the WebSocket to open. Default 10 s. */
    openTimeoutMs?: number;
    /** How long interface answers are reused. Default 5 s. */
    interfaceCacheMs?: number;
}

/** Extra time the relay gets beyond a TCP connect timeout before the request is given up. */
const CONNECT_GRACE_MS = 5_000;

/**
 * matter.js's `Network` over the relay's WebSocket: UDP sockets, TCP listeners and connections on
 * the relay host, for a node in a runtime without sockets. Make one with {@link WebSocketNetwork.connect}
 * and install it in the node's root environment (`env.set(Network, network)`).
 */
export class WebSocketNetwork extends Network {
    readonly #connection: RelayConnection;
    readonly #cacheMs: number;
    readonly #cache = new Map<string, { at: number; value: Promise<unknown> }>();

    /** Resolves when the relay connection has closed, with its code and reason. */
    readonly closed: Promise<RelayCloseInfo>;

    /** Wraps a relay connection that is open already; {@link WebSocketNetwork.connect} opens one and calls this. */
    constructor(connection: RelayConnection, options: { interfaceCacheMs?: number } = {}) {
        super();
        this.#connection = connection;
        this.#cacheMs = options.interfaceCacheMs ?? 5_000;
        this.closed = connection.closed;
    }

    /** Connects to the relay (a `ws://…?token=…` URL, or a WebSocket already created) and says hello. */
    static async connect(socket: string | WebSocketLike, options: WebSocketNetworkOptions = {}): Promise<WebSocketNetwork> {
        const connection = await RelayConnection.open(socket, options);
        return new WebSocketNetwork(connection, options);
    }

    /** True while the relay connection is open. */
    get isOpen(): boolean {
        return this.#connection.isOpen;
    }

    #cached<T>(key: string, load: () => Promise<T>): Promise<T> {
        const now = Date.now();
        const hit = this.#cache.get(key);
        if (hit !== undefined && now - hit.at < this.#cacheMs) return hit.value as Promise<T>;
        const value = load();
        this.#cache.set(key, { at: now, value });
        value.catch(() => this.#cache.delete(key));
        return value;
    }

    /** The relay host's network interfaces (cached for `interfaceCacheMs`); `configuration` overrides their types. */
    override async getNetInterfaces(configuration: NetworkInterface[] = []): Promise<NetworkInterface[]> {
        const interfaces = await this.#cached("interfaces", () =>
            this.#connection.request({ type: "getNetInterfaces" }, { adopt: reply => (reply.type === "netInterfaces" ? reply.interfaces : unexpected(reply.type)) }),
        );
        return interfaces.map(({ name, type }) => {
            const configured = configuration.find(entry => entry.name === name)?.type;
            const chosen = configured ?? type;
            return chosen === undefined ? { name } : { name, type: chosen };
        });
    }

    /** The MAC and IP addresses of one of the relay host's interfaces (cached for `interfaceCacheMs`). */
    override async getIpMac(netInterface: string): Promise<NetworkInterfaceDetails | undefined> {
        const details = await this.#cached(`ipmac:${netInterface}`, () =>
            this.#connection.request({ type: "getIpMac", name: netInterface }, { adopt: reply => (reply.type === "ipMac" ? reply.details : unexpected(reply.type)) }),
        );
        return details === undefined ? undefined : { mac: details.mac, ipV4: [...details.ipV4], ipV6: [...details.ipV6] };
    }

    /** Opens a UDP socket on the relay host, within the relay's port policy. */
    override async createUdpSocket(options: UdpSocketOptions): Promise<UdpSocket> {
        const connection = this.#connection;
        try {
            return await connection.request(
                {
                    type: "udpCreate",
                    socketType: options.type,
                    port: options.listeningPort ?? 0,
                    reuseAddress: options.reuseAddress ?? false,
                    ...(options.listeningAddress !== undefined ? { address: options.listeningAddress } : {}),
                    ...(options.netInterface !== undefined ? { netInterface: options.netInterface } : {}),
                },
                {
                    adopt: reply =>
                        reply.type === "udpCreated"
                            ? new RelayUdpSocket(connection, reply.handle, reply.port, reply.maxPayloadSize, options.type)
                            : unexpected(reply.type),
                },
            );
        } catch (error) {
            throw asNetworkError(error);
        }
    }

    override async createTcpListener(options: TcpListenerOptions): Promise<TcpListener> {
        const connection = this.#connection;
        try {
            return await connection.request(
                { type: "tcpListen", port: options.listeningPort ?? 0, ...(options.listeningAddress !== undefined ? { address: options.listeningAddress } : {}) },
                { adopt: reply => (reply.type === "tcpListening" ? new RelayTcpListener(connection, reply.handle, reply.port) : unexpected(reply.type)) },
            );
        } catch (error) {
            throw asNetworkError(error);
        }
    }

    override async connectTcp(host: string, port: number, options: TcpConnectOptions = {}): Promise<TcpConnection> {
        const abort = options.abort;
        if (abort?.aborted) throw new NetworkError("TCP connect aborted");
        const connection = this.#connection;
        const timeout = options.timeout ?? TCP_CONNECTION_TIMEOUT_MS;
        let aborted = false;
        const request = connection.request(
            { type: "tcpConnect", host, port, timeoutMs: timeout },
            {
                timeoutMs: timeout + CONNECT_GRACE_MS,
                adopt: reply => {
                    if (reply.type !== "tcpConnected") return unexpected(reply.type);
                    const socket = new RelayTcpConnection(connection, reply.handle, reply.remoteAddress, reply.remotePort, reply.localPort);
                    // connected after the caller gave up: hang up right away
                    if (aborted) void socket.close();
                    return socket;
                },
            },
        );
        if (abort === undefined) {
            try {
                return await request;
            } catch (error) {
                throw asNetworkError(error);
            }
        }
        let onAbort: (() => void) | undefined;
        const abortion = new Promise<never>((_, reject) => {
            onAbort = () => {
                aborted = true;
                reject(new NetworkError("TCP connect aborted"));
            };
            abort.addEventListener("abort", onAbort, { once: true });
        });
        try {
            return await Promise.race([request, abortion]);
        } catch (error) {
            if (aborted) void request.then(socket => socket.close(), () => {});
            throw asNetworkError(error);
        } finally {
            if (onAbort !== undefined) abort.removeEventListener("abort", onAbort);
        }
    }

    /** Closes the WebSocket; the relay closes every socket of this network. Waits (bounded) for the close. */
    override async close(): Promise<void> {
        this.#connection.close(1000, "network closed");
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([this.closed, new Promise<void>(resolve => (timer = setTimeout(resolve, 2_000)))]);
        clearTimeout(timer);
    }
}

function unexpected(type: string): never {
    throw new NetworkError(`unexpected relay reply ${type}`);
}
