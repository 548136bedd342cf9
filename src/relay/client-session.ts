/**
 * One relay client = one WebSocket = one virtual network on the relay host. The session decodes the
 * client's requests, checks each against the `RelayPolicy`, opens the real sockets, and streams
 * their traffic back as events. It never looks inside payloads and never logs them.
 *
 * Sockets:
 * - UDP through matter.js' own `NodeJsUdpSocket` (via `NodeJsNetwork.createUdpSocket`), so a node
 *   behind the relay gets exactly the semantics a native matter.js node gets on this host: per
 *   interface multicast membership, `%zone` scoping of multicast sends, the interface a datagram
 *   arrived on, matter.js bind errors (`NoAddressAvailableError` when an interface has no IPv4, …);
 * - TCP with plain `node:net`: the relay needs what matter.js' TCP wrappers hide — destroy on
 *   teardown (not a 5 s graceful close), pause/resume for backpressure, exact byte counts.
 *
 * Learned destinations: every datagram delivered to the client teaches it its sender's (address,
 * port), and every mDNS response (a datagram to or from the mDNS port) the controllers' advertised
 * operational ports (mdns-destinations.ts); the policy decides which may be learned and the
 * session keeps them per client, bounded and expiring (policy.ts). TCP connects and UDP sends may go
 * to them.
 *
 * Limits: caps on open handles (reserved before an open starts), a token bucket per direction,
 * pending-write and WebSocket-buffer caps (datagrams are dropped, TCP is paused or, for writes,
 * the connection is closed with a `limit` error). A malformed frame closes the client (1002 with
 * the decode reason); a text frame closes it with 1003. Everything the client opened is closed when
 * its WebSocket closes.
 *
 * Size: one client's whole lifecycle (requests, policy checks, UDP and TCP sockets, limits,
 * teardown) in one class, because every socket path ends in the same teardown and accounting.
 */

import { AddressInUseError, AddressUnreachableError, BindError, NetworkUnreachableError, NoAddressAvailableError, TcpDisconnectError } from "@matter/main";
import type { Network, UdpSocket } from "@matter/main";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { RawData, WebSocket } from "ws";
import {
    decodeClientMessage,
    encodeRelayMessage,
    ErrorCode,
    MAX_FRAME_SIZE,
    MAX_PAYLOAD_SIZE,
    PROTOCOL_VERSION,
    truncateUtf8,
    type ClientMessage,
    type RelayMessage,
    type TcpConnectRequest,
    type TcpListenRequest,
    type UdpCreateRequest,
} from "./protocol.js";
import { MdnsDestinations } from "./mdns-destinations.js";
import { LearnedDestinations, LearnedPeers, type LearnedSource, type RelayPolicy } from "./policy.js";
import { ByteBucket } from "./rate-limit.js";

/** WebSocket close codes the relay uses. */
export const CloseCode = {
    /** A normal close (the client closed its network). */
    normal: 1000,
    /** The relay is shutting down. */
    goingAway: 1001,
    /** A malformed frame, a request before hello, or an unsupported protocol version. */
    protocolError: 1002,
    /** A text frame: the protocol is binary only. */
    unsupportedData: 1003,
    /** No hello in time, or a client that stopped reading its WebSocket. */
    policyViolation: 1008,
    /** A frame larger than the protocol's limit. */
    tooBig: 1009,
    /** The relay cannot serve the client now; it may try again later. */
    tryAgainLater: 1013,
} as const;

type UdpEntry = { kind: "udp"; socket: UdpSocket; port: number; peers: LearnedPeers };
type ListenerEntry = { kind: "listener"; server: Server; port: number; accepted: Set<number> };
type TcpEntry = { kind: "tcp"; socket: Socket; listener: number; pending: number; chain: Promise<void>; error?: unknown; paused: boolean };
type Entry = UdpEntry | ListenerEntry | TcpEntry;
type Kind = Entry["kind"];

/** What one relay client holds open and has moved. */
export interface SessionStats {
    /** Open UDP sockets. */
    udpSockets: number;
    /** Open TCP listeners. */
    tcpListeners: number;
    /** Open TCP connections, accepted and outgoing. */
    tcpConnections: number;
    /** Incoming datagrams dropped (too large, over the rate limit, or the client not reading). */
    droppedDatagrams: number;
    /** Payload bytes the client sent out through the relay. */
    bytesFromClient: number;
    /** Payload bytes the relay delivered to the client. */
    bytesToClient: number;
    /** Local ports of the open UDP sockets, sorted, without repeats. */
    udpPorts: number[];
    /** Local ports of the open TCP listeners, sorted, without repeats. */
    tcpPorts: number[];
    /** Destinations the client learned (advertised by controllers or heard from) and may reach now. */
    learnedDestinations: number;
}

/** A request the client made that cannot be served; answered with an `error` reply. */
class Refusal extends Error {
    constructor(
        readonly code: ErrorCode,
        message: string,
    ) {
        super(message);
    }
}

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

/** Maps a socket error onto the wire's error codes. */
export function errorCodeFor(error: unknown): ErrorCode {
    if (error instanceof Refusal) return error.code;
    if (error instanceof AddressInUseError) return ErrorCode.addressInUse;
    if (error instanceof BindError) return ErrorCode.bindFailed;
    if (error instanceof NoAddressAvailableError) return ErrorCode.noAddress;
    if (error instanceof AddressUnreachableError) return ErrorCode.hostUnreachable;
    if (error instanceof NetworkUnreachableError) return ErrorCode.networkUnreachable;
    if (error instanceof TcpDisconnectError) return ErrorCode.disconnected;
    switch ((error as { code?: unknown } | undefined)?.code) {
        case "EADDRINUSE":
            return ErrorCode.addressInUse;
        case "EADDRNOTAVAIL":
        case "EACCES":
            return ErrorCode.bindFailed;
        case "EHOSTUNREACH":
            return ErrorCode.hostUnreachable;
        case "ENETUNREACH":
            return ErrorCode.networkUnreachable;
        case "ECONNRESET":
        case "EPIPE":
        case "ECONNABORTED":
            return ErrorCode.disconnected;
        case "ETIMEDOUT":
            return ErrorCode.timeout;
        default:
            return ErrorCode.network;
    }
}

function messageOf(error: unknown): string {
    const text = error instanceof Error ? error.message : String(error);
    // one line, no control characters: these strings reach logs and the client
    return truncateUtf8(text.replace(/[\s\x00-\x1f\x7f]+/g, " "), 512);
}

export interface SessionOptions {
    ws: WebSocket;
    policy: RelayPolicy;
    network: Network;
    /** For logs only. */
    name: string;
    log?: (line: string) => void;
    onClosed?: () => void;
}

export class ClientSession {
    readonly #ws: WebSocket;
    readonly #policy: RelayPolicy;
    readonly #network: Network;
    readonly #log: (line: string) => void;
    readonly #entries = new Map<number, Entry>();
    readonly #reserved: Record<Kind, number> = { udp: 0, listener: 0, tcp: 0 };
    readonly #inbound: ByteBucket;
    readonly #outbound: ByteBucket;
    readonly #helloTimer: ReturnType<typeof setTimeout>;
    readonly #stats = { droppedDatagrams: 0, bytesFromClient: 0, bytesToClient: 0 };
    readonly #learned: LearnedDestinations;
    readonly #advertised: MdnsDestinations;
    #nextHandle = 1;
    #greeted = false;
    #closed = false;
    #disposed: Promise<void> | undefined;
    readonly name: string;

    constructor(options: SessionOptions) {
        this.#ws = options.ws;
        this.#policy = options.policy;
        this.#network = options.network;
        this.name = options.name;
        this.#log = options.log ?? (() => {});
        this.#inbound = new ByteBucket(this.#policy.limits.maxBytesPerSecond);
        this.#outbound = new ByteBucket(this.#policy.limits.maxBytesPerSecond);
        const { maxLearnedDestinations, learnedDestinationMs } = this.#policy.limits;
        this.#learned = new LearnedDestinations(maxLearnedDestinations, learnedDestinationMs);
        this.#advertised = new MdnsDestinations(maxLearnedDestinations, learnedDestinationMs);
        this.#helloTimer = setTimeout(() => this.fail(CloseCode.policyViolation, "no hello in time"), this.#policy.limits.helloTimeoutMs);

        const ws = this.#ws;
        ws.binaryType = "nodebuffer";
        ws.on("message", (data, isBinary) => this.#onFrame(data, isBinary));
        // ws reports protocol violations (oversized frames: 1009) as errors and closes by itself
        ws.on("error", error => this.#log(`${this.name}: websocket error: ${messageOf(error)}`));
        ws.on("close", (code, reason) => {
            this.#log(`${this.name}: disconnected (${code}${reason.length ? ` ${messageOf(reason.toString())}` : ""})`);
            void this.dispose().then(() => options.onClosed?.());
        });
    }

    stats(): SessionStats {
        const entries = [...this.#entries.values()];
        const count = (kind: Kind) => entries.filter(e => e.kind === kind).length;
        const ports = (kind: "udp" | "listener") => sortedPorts(entries.flatMap(e => (e.kind === kind ? [e.port] : [])));
        return {
            udpSockets: count("udp"),
            tcpListeners: count("listener"),
            tcpConnections: count("tcp"),
            ...this.#stats,
            udpPorts: ports("udp"),
            tcpPorts: ports("listener"),
            learnedDestinations: this.#learned.size,
        };
    }

    /**
     * Closes the client with a WebSocket close code and a readable reason (cut to the 123 bytes a
     * close frame allows), and everything it opened. A client that does not complete the closing
     * handshake within `graceMs` is cut off.
     */
    fail(code: number, reason: string, graceMs = 1_000): void {
        if (this.#closed) return;
        this.#log(`${this.name}: closing (${code} ${reason})`);
        void this.dispose();
        const ws = this.#ws;
        const cutOff = setTimeout(() => ws.terminate(), graceMs);
        ws.once("close", () => clearTimeout(cutOff));
        try {
            ws.close(code, truncateUtf8(reason, 123));
        } catch {
            ws.terminate();
        }
    }

    /** Closes every socket the client opened; idempotent. */
    dispose(): Promise<void> {
        this.#closed = true;
        clearTimeout(this.#helloTimer);
        return (this.#disposed ??= (async () => {
            const entries = [...this.#entries.keys()];
            await Promise.allSettled(entries.map(handle => this.#closeHandle(handle)));
        })());
    }

    // ---- frames in ----

    #onFrame(data: RawData, isBinary: boolean): void {
        if (this.#closed) return;
        if (!isBinary) {
            this.fail(CloseCode.unsupportedData, "text frames are not accepted; frames are binary");
            return;
        }
        const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
        if (bytes.length > MAX_FRAME_SIZE) {
            this.fail(CloseCode.tooBig, `frame of ${bytes.length} bytes exceeds the ${MAX_FRAME_SIZE}-byte limit`);
            return;
        }
        const decoded = decodeClientMessage(bytes);
        if (!decoded.ok) {
            this.fail(CloseCode.protocolError, `malformed frame: ${decoded.reason}`);
            return;
        }
        const message = decoded.message;
        if (!this.#greeted && message.type !== "hello") {
            this.fail(CloseCode.protocolError, `expected hello, got ${message.type}`);
            return;
        }
        this.#dispatch(message).catch((error: unknown) => {
            const code = errorCodeFor(error);
            if (code === ErrorCode.notAllowed || code === ErrorCode.limit) this.#log(`${this.name}: ${message.type} refused: ${messageOf(error)}`);
            const handle = "handle" in message ? message.handle : 0;
            this.#send({ type: "error", id: message.id, handle, code, reason: messageOf(error) });
        });
    }

    async #dispatch(message: ClientMessage): Promise<void> {
        switch (message.type) {
            case "hello":
                if (this.#greeted) throw new Refusal(ErrorCode.badRequest, "hello was already said");
                if (message.version !== PROTOCOL_VERSION) {
                    this.#send({ type: "error", id: message.id, handle: 0, code: ErrorCode.unsupported, reason: `protocol version ${message.version} unsupported; relay speaks ${PROTOCOL_VERSION}` });
                    this.fail(CloseCode.protocolError, `unsupported protocol version ${message.version}`);
                    return;
                }
                this.#greeted = true;
                clearTimeout(this.#helloTimer);
                this.#send({ type: "helloOk", id: message.id, version: PROTOCOL_VERSION, maxFrameSize: MAX_FRAME_SIZE });
                return;
            case "getNetInterfaces": {
                const interfaces = (await this.#network.getNetInterfaces()).slice(0, 255);
                this.#send({ type: "netInterfaces", id: message.id, interfaces: interfaces.map(i => (i.type === undefined ? { name: i.name } : { name: i.name, type: i.type })) });
                return;
            }
            case "getIpMac": {
                const details = await this.#network.getIpMac(message.name);
                this.#send({ type: "ipMac", id: message.id, ...(details ? { details } : {}) });
                return;
            }
            case "udpCreate":
                return this.#udpCreate(message);
            case "udpSend": {
                const entry = this.#entry(message.handle, "udp");
                const learned = entry.peers.knows(message.host, message.port) || this.#learned.allows(message.host, message.port);
                const verdict = this.#policy.udpSend(message.host, message.port, learned);
                if (!verdict.ok) throw new Refusal(ErrorCode.notAllowed, verdict.reason);
                if (!this.#outbound.tryTake(message.payload.length)) {
                    throw new Refusal(ErrorCode.limit, `rate limit of ${this.#policy.limits.maxBytesPerSecond} B/s reached: datagram dropped`);
                }
                this.#stats.bytesFromClient += message.payload.length;
                await entry.socket.send(message.host, message.port, message.payload);
                this.#send({ type: "ok", id: message.id, handle: message.handle });
                return;
            }
            case "udpAddMembership":
            case "udpDropMembership": {
                const entry = this.#entry(message.handle, "udp");
                const verdict = this.#policy.membership(message.address);
                if (!verdict.ok) throw new Refusal(ErrorCode.notAllowed, verdict.reason);
                if (message.type === "udpAddMembership") await entry.socket.addMembership(message.address);
                else await entry.socket.dropMembership(message.address);
                this.#send({ type: "ok", id: message.id, handle: message.handle });
                return;
            }
            case "tcpListen":
                return this.#tcpListen(message);
            case "tcpConnect":
                return this.#tcpConnect(message);
            case "tcpSend":
                return this.#tcpSend(message.id, message.handle, message.payload);
            case "close":
                if (!this.#entries.has(message.handle)) throw new Refusal(ErrorCode.unknownHandle, `unknown handle ${message.handle}`);
                await this.#closeHandle(message.handle);
                this.#send({ type: "ok", id: message.id, handle: message.handle });
                return;
        }
    }

    // ---- UDP ----

    async #udpCreate(request: UdpCreateRequest): Promise<void> {
        for (const verdict of [this.#policy.udpBind(request.port, request.reuseAddress), this.#policy.bindAddress(request.address)]) {
            if (!verdict.ok) throw new Refusal(ErrorCode.notAllowed, verdict.reason);
        }
        const release = this.#reserve("udp", this.#policy.limits.maxUdpSockets, "UDP sockets");
        try {
            const open = (port: number) =>
                this.#network.createUdpSocket({
                    type: request.socketType,
                    listeningPort: port,
                    ...(request.address !== undefined ? { listeningAddress: request.address } : {}),
                    ...(request.netInterface !== undefined ? { netInterface: request.netInterface } : {}),
                    ...(request.reuseAddress ? { reuseAddress: true } : {}),
                });
            const socket = request.port !== 0 ? await open(request.port) : await this.#firstFree(open);
            if (this.#closed) {
                await socket.close();
                return;
            }
            const handle = this.#allocate();
            const entry: UdpEntry = { kind: "udp", socket, port: socket.port, peers: new LearnedPeers(this.#policy.limits.maxLearnedPeers) };
            this.#entries.set(handle, entry);
            socket.onData((netInterface, peerAddress, peerPort, data) => this.#onDatagram(handle, entry, netInterface, peerAddress, peerPort, data));
            this.#send({ type: "udpCreated", id: request.id, handle, port: entry.port, maxPayloadSize: socket.maxPayloadSize });
        } finally {
            release();
        }
    }

    #onDatagram(handle: number, entry: UdpEntry, netInterface: string | undefined, peerAddress: string, peerPort: number, data: ArrayBufferView | ArrayBufferLike): void {
        if (this.#closed || this.#entries.get(handle) !== entry) return;
        entry.peers.learn(peerAddress, peerPort);
        const payload = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
        if (
            payload.length > MAX_PAYLOAD_SIZE ||
            this.#ws.bufferedAmount > this.#policy.limits.maxBufferedBytes ||
            !this.#inbound.tryTake(payload.length)
        ) {
            this.#stats.droppedDatagrams++;
            return;
        }
        this.#stats.bytesToClient += payload.length;
        this.#send({ type: "udpData", handle, ...(netInterface !== undefined ? { netInterface } : {}), peerAddress, peerPort, payload });
        this.#learnFrom(entry.port, peerAddress, peerPort, payload);
    }

    /** What a datagram delivered to the client teaches it: its sender, and an mDNS response's controllers. */
    #learnFrom(localPort: number, peerAddress: string, peerPort: number, payload: Uint8Array): void {
        this.#learn(peerAddress, peerPort, "peer");
        const mdns = this.#policy.mdnsPort;
        if (mdns === undefined || (localPort !== mdns && peerPort !== mdns)) return;
        for (const advertised of this.#advertised.observe(payload)) {
            if (advertised.ttlMs === 0) {
                if (this.#learned.sourceOf(advertised.address, advertised.port) === "mdns") this.#learned.forget(advertised.address, advertised.port);
            } else {
                this.#learn(advertised.address, advertised.port, "mdns");
            }
        }
    }

    #learn(address: string, port: number, source: LearnedSource): void {
        if (!this.#policy.learnable(address, port).ok) return;
        if (this.#learned.learn(address, port, source)) this.#log(`${this.name}: may now reach ${address} port ${port} (${source === "mdns" ? "advertised over mDNS" : "it wrote first"})`);
    }

    // ---- TCP ----

    async #tcpListen(request: TcpListenRequest): Promise<void> {
        for (const verdict of [this.#policy.tcpListen(request.port), this.#policy.bindAddress(request.address)]) {
            if (!verdict.ok) throw new Refusal(ErrorCode.notAllowed, verdict.reason);
        }
        const release = this.#reserve("listener", this.#policy.limits.maxTcpListeners, "TCP listeners");
        try {
            const open = (port: number) => listen(port, request.address);
            const server = request.port !== 0 ? await open(request.port) : await this.#firstFree(open);
            if (this.#closed) {
                server.close();
                return;
            }
            const handle = this.#allocate();
            const address = server.address();
            const port = typeof address === "object" && address !== null ? address.port : request.port;
            const entry: ListenerEntry = { kind: "listener", server, port, accepted: new Set() };
            this.#entries.set(handle, entry);
            server.on("connection", socket => this.#accept(handle, entry, socket));
            server.on("error", error => this.#log(`${this.name}: listener ${port} error: ${messageOf(error)}`));
            this.#send({ type: "tcpListening", id: request.id, handle, port });
        } finally {
            release();
        }
    }

    #accept(listener: number, listenerEntry: ListenerEntry, socket: Socket): void {
        if (this.#closed || this.#entries.get(listener) !== listenerEntry || this.#count("tcp") >= this.#policy.limits.maxTcpConnections) {
            if (!this.#closed) this.#log(`${this.name}: TCP connection refused: cap of ${this.#policy.limits.maxTcpConnections} reached`);
            socket.destroy();
            return;
        }
        const handle = this.#adoptTcp(socket, listener);
        listenerEntry.accepted.add(handle);
        this.#send({
            type: "tcpAccepted",
            handle,
            listener,
            remoteAddress: socket.remoteAddress ?? "",
            remotePort: socket.remotePort ?? 0,
            localPort: socket.localPort ?? 0,
        });
        this.#pump(handle);
    }

    async #tcpConnect(request: TcpConnectRequest): Promise<void> {
        const verdict = this.#policy.tcpConnect(request.host, request.port, this.#learned.allows(request.host, request.port));
        if (!verdict.ok) throw new Refusal(ErrorCode.notAllowed, verdict.reason);
        const release = this.#reserve("tcp", this.#policy.limits.maxTcpConnections, "TCP connections");
        const timeoutMs = Math.min(request.timeoutMs > 0 ? request.timeoutMs : 10_000, this.#policy.limits.maxConnectTimeoutMs);
        try {
            const socket = await connect(request.host, request.port, timeoutMs);
            if (this.#closed) {
                socket.destroy();
                return;
            }
            const handle = this.#adoptTcp(socket, 0);
            this.#send({
                type: "tcpConnected",
                id: request.id,
                handle,
                remoteAddress: socket.remoteAddress ?? request.host,
                remotePort: socket.remotePort ?? request.port,
                localPort: socket.localPort ?? 0,
            });
            this.#pump(handle);
        } finally {
            release();
        }
    }

    #adoptTcp(socket: Socket, listener: number): number {
        const handle = this.#allocate();
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        socket.pause();
        const entry: TcpEntry = { kind: "tcp", socket, listener, pending: 0, chain: Promise.resolve(), paused: false };
        this.#entries.set(handle, entry);
        socket.on("error", error => {
            entry.error = error;
        });
        socket.on("close", () => {
            if (this.#entries.get(handle) !== entry) return;
            this.#forget(handle);
            const error = entry.error;
            this.#send({
                type: "closed",
                handle,
                code: error === undefined ? ErrorCode.none : errorCodeFor(error),
                reason: error === undefined ? "closed by peer" : messageOf(error),
            });
        });
        return handle;
    }

    /** Streams a TCP connection's bytes to the client; pauses for the rate limit and the WebSocket buffer. */
    #pump(handle: number): void {
        const entry = this.#entries.get(handle);
        if (entry?.kind !== "tcp") return;
        const { socket } = entry;
        const resumeWhenReady = () => {
            if (this.#entries.get(handle) !== entry) return;
            if (this.#ws.bufferedAmount > this.#policy.limits.maxBufferedBytes) {
                setTimeout(resumeWhenReady, 10);
                return;
            }
            entry.paused = false;
            socket.resume();
        };
        socket.on("data", (chunk: Buffer) => {
            if (this.#entries.get(handle) !== entry) return;
            for (let at = 0; at < chunk.length; at += MAX_PAYLOAD_SIZE) {
                this.#send({ type: "tcpData", handle, payload: chunk.subarray(at, at + MAX_PAYLOAD_SIZE) });
            }
            this.#stats.bytesToClient += chunk.length;
            const wait = this.#inbound.reserve(chunk.length);
            if (wait > 0 || this.#ws.bufferedAmount > this.#policy.limits.maxBufferedBytes) {
                entry.paused = true;
                socket.pause();
                setTimeout(resumeWhenReady, Math.max(wait, 10));
            }
        });
        socket.resume();
    }

    #tcpSend(id: number, handle: number, payload: Uint8Array): Promise<void> {
        const entry = this.#entry(handle, "tcp");
        const limit = this.#policy.limits.maxBufferedBytes;
        if (entry.pending + payload.length > limit) {
            const reason = `more than ${limit} bytes pending on TCP connection ${handle}: connection closed`;
            this.#log(`${this.name}: ${reason}`);
            entry.error = new Refusal(ErrorCode.limit, reason);
            entry.socket.destroy();
            throw new Refusal(ErrorCode.limit, reason);
        }
        entry.pending += payload.length;
        this.#stats.bytesFromClient += payload.length;
        const due = performance.now() + this.#outbound.reserve(payload.length);
        const write = async () => {
            const wait = due - performance.now();
            if (wait > 0) await sleep(wait);
            if (entry.socket.destroyed) throw new Refusal(ErrorCode.disconnected, "connection is closed");
            await new Promise<void>((resolve, reject) => entry.socket.write(payload, error => (error ? reject(error) : resolve())));
        };
        const done = entry.chain.then(write);
        entry.chain = done.catch(() => {});
        return done
            .then(() => this.#send({ type: "ok", id, handle }))
            .finally(() => {
                entry.pending -= payload.length;
            });
    }

    // ---- bookkeeping ----

    #entry<K extends Kind>(handle: number, kind: K): Extract<Entry, { kind: K }> {
        const entry = this.#entries.get(handle);
        if (entry === undefined) throw new Refusal(ErrorCode.unknownHandle, `unknown handle ${handle}`);
        if (entry.kind !== kind) throw new Refusal(ErrorCode.badRequest, `handle ${handle} is a ${entry.kind}, not a ${kind}`);
        return entry as Extract<Entry, { kind: K }>;
    }

    #count(kind: Kind): number {
        let n = 0;
        for (const entry of this.#entries.values()) if (entry.kind === kind) n++;
        return n;
    }

    /** Holds a slot for an open in progress, so concurrent opens cannot overshoot the cap. */
    #reserve(kind: Kind, max: number, what: string): () => void {
        if (this.#count(kind) + this.#reserved[kind] >= max) throw new Refusal(ErrorCode.limit, `limit of ${max} ${what} per client reached`);
        this.#reserved[kind]++;
        let released = false;
        return () => {
            if (!released) this.#reserved[kind]--;
            released = true;
        };
    }

    #allocate(): number {
        for (;;) {
            const handle = this.#nextHandle;
            this.#nextHandle = this.#nextHandle >= 0xffff_fffe ? 1 : this.#nextHandle + 1;
            if (!this.#entries.has(handle)) return handle;
        }
    }

    async #firstFree<T>(open: (port: number) => Promise<T>): Promise<T> {
        let last: unknown;
        for (const port of this.#policy.candidatePorts().slice(0, 64)) {
            try {
                return await open(port);
            } catch (error) {
                last = error;
                if (errorCodeFor(error) !== ErrorCode.addressInUse) throw error;
            }
        }
        throw new Refusal(ErrorCode.addressInUse, `no free port in the allowed range (${messageOf(last)})`);
    }

    #forget(handle: number): Entry | undefined {
        const entry = this.#entries.get(handle);
        if (entry === undefined) return undefined;
        this.#entries.delete(handle);
        if (entry.kind === "tcp" && entry.listener !== 0) {
            const listener = this.#entries.get(entry.listener);
            if (listener?.kind === "listener") listener.accepted.delete(handle);
        }
        return entry;
    }

    async #closeHandle(handle: number): Promise<void> {
        const entry = this.#forget(handle);
        if (entry === undefined) return;
        switch (entry.kind) {
            case "udp":
                await entry.socket.close();
                return;
            case "tcp":
                entry.socket.destroy();
                return;
            case "listener": {
                // like matter.js' listener: closing it drops the connections it accepted
                for (const accepted of [...entry.accepted]) {
                    const connection = this.#forget(accepted);
                    if (connection?.kind !== "tcp") continue;
                    connection.socket.destroy();
                    this.#send({ type: "closed", handle: accepted, code: ErrorCode.none, reason: "listener closed" });
                }
                await new Promise<void>(resolve => entry.server.close(() => resolve()));
                return;
            }
        }
    }

    #send(message: RelayMessage): void {
        if (this.#ws.readyState !== this.#ws.OPEN) return;
        // a client that stops reading must not make the relay buffer without bound
        if (this.#ws.bufferedAmount > 4 * this.#policy.limits.maxBufferedBytes) {
            this.fail(CloseCode.policyViolation, "client is not reading: send buffer cap exceeded");
            return;
        }
        try {
            this.#ws.send(encodeRelayMessage(message));
        } catch (error) {
            this.#log(`${this.name}: cannot send ${message.type}: ${messageOf(error)}`);
        }
    }
}

export function sortedPorts(ports: number[]): number[] {
    return [...new Set(ports)].sort((a, b) => a - b);
}

function listen(port: number, address: string | undefined): Promise<Server> {
    return new Promise((resolve, reject) => {
        const server = createServer({ pauseOnConnect: true });
        const onError = (error: Error) => {
            server.close();
            reject(error);
        };
        server.once("error", onError);
        server.listen({ port, ...(address !== undefined ? { host: address } : {}) }, () => {
            server.off("error", onError);
            resolve(server);
        });
    });
}

function connect(host: string, port: number, timeoutMs: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
        const socket = createConnection({ host, port, noDelay: true });
        const timer = setTimeout(() => {
            socket.destroy();
            reject(new Refusal(ErrorCode.timeout, `TCP connect to ${host}:${port} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        socket.once("connect", () => {
            clearTimeout(timer);
            socket.off("error", onError);
            resolve(socket);
        });
        const onError = (error: Error) => {
            clearTimeout(timer);
            socket.destroy();
            reject(error);
        };
        socket.once("error", onError);
    });
}
