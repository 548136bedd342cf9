/**
 * matter.js socket objects backed by relay handles: `UdpSocket`, `TcpListener` and
 * `TcpConnection` (the four socket-level seams of matter.js' `Network`; matter.js builds its UDP
 * and TCP transports, TCP framing and mDNS on top of them).
 *
 * Each object owns one relay handle and registers for its events. Behaviour follows matter.js'
 * Node implementations: a TCP connection is an async iterable of raw byte chunks, reports
 * `onError` then `onClose` when the peer or the relay drops it, and its `onClose` listeners also
 * run on a local `close()`; closing a listener closes the connections it accepted (the relay does
 * that and reports them closed). When the relay connection itself is lost, UDP sends reject, TCP
 * connections end with a `TcpDisconnectError`.
 *
 * Limits: incoming TCP chunks are queued without a bound on this side (matter.js consumes them as
 * they come; the relay applies its own buffer cap); `UdpSocketOptions.lifetime` stays local.
 */

import { Bytes, ChannelType, isIPv4, isIPv6, NetworkError, TcpDisconnectError } from "@matter/main";
import type { TcpConnection, TcpListener, Transport, UdpSocket, UdpSocketType } from "@matter/main";
import { ErrorCode, MAX_PAYLOAD_SIZE, type RelayEvent } from "../protocol.js";
import { asNetworkError, networkErrorFor } from "./errors.js";
import type { HandleSink, RelayCloseInfo, RelayConnection } from "./relay-connection.js";

function listenerHandle<T>(set: Set<T>, listener: T): Transport.Listener {
    set.add(listener);
    return {
        close: async () => {
            set.delete(listener);
        },
    };
}

function toUint8Array(data: Bytes): Uint8Array {
    const bytes = Bytes.of(data);
    return bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
}

/** Closes a relay handle; a relay that is already gone has closed it anyway. */
async function closeHandle(connection: RelayConnection, handle: number): Promise<void> {
    connection.release(handle);
    if (!connection.isOpen) return;
    try {
        await connection.request({ type: "close", handle });
    } catch {
        // unknown handle (the peer closed it first) or relay gone: either way it is closed
    }
}

export class RelayUdpSocket implements UdpSocket, HandleSink {
    readonly #listeners = new Set<UdpSocket.Callback>();
    #closed = false;
    #closedReason = "";

    constructor(
        readonly connection: RelayConnection,
        readonly handle: number,
        readonly port: number,
        readonly maxPayloadSize: number,
        readonly type: UdpSocketType,
    ) {
        connection.register(handle, this);
    }

    onEvent(event: RelayEvent): void {
        if (event.type === "udpData") {
            for (const listener of this.#listeners) listener(event.netInterface, event.peerAddress, event.peerPort, event.payload);
        } else if (event.type === "closed") {
            this.#closed = true;
            this.#closedReason = `closed by the relay: ${event.reason}`;
            this.connection.release(this.handle);
        }
    }

    onRelayClosed(info: RelayCloseInfo): void {
        this.#closed = true;
        this.#closedReason = `relay connection closed (${info.code}${info.reason ? ` ${info.reason}` : ""})`;
    }

    onData(listener: UdpSocket.Callback): Transport.Listener {
        return listenerHandle(this.#listeners, listener);
    }

    async send(host: string, port: number, data: Bytes): Promise<void> {
        if (this.#closed) throw new NetworkError(`UDP socket ${this.port} is closed${this.#closedReason ? `: ${this.#closedReason}` : ""}`);
        try {
            await this.connection.request({ type: "udpSend", handle: this.handle, host, port, payload: toUint8Array(data) });
        } catch (error) {
            throw asNetworkError(error);
        }
    }

    async addMembership(address: string): Promise<void> {
        await this.#membership("udpAddMembership", address);
    }

    async dropMembership(address: string): Promise<void> {
        await this.#membership("udpDropMembership", address);
    }

    async #membership(type: "udpAddMembership" | "udpDropMembership", address: string): Promise<void> {
        if (this.#closed) return;
        try {
            await this.connection.request({ type, handle: this.handle, address });
        } catch (error) {
            throw asNetworkError(error);
        }
    }

    async close(): Promise<void> {
        if (this.#closed) return;
        this.#closed = true;
        this.#listeners.clear();
        await closeHandle(this.connection, this.handle);
    }

    supports(type: ChannelType, address?: string): boolean {
        if (type !== ChannelType.UDP) return false;
        if (address === undefined) return true;
        return this.type === "udp4" ? isIPv4(address) : isIPv6(address);
    }
}

export class RelayTcpConnection implements TcpConnection, HandleSink {
    readonly #chunks: Uint8Array[] = [];
    readonly #closeListeners = new Set<() => void>();
    readonly #errorListeners = new Set<(error: Error) => void>();
    #waiter: ((result: IteratorResult<Bytes>) => void) | undefined;
    #ended = false;
    #closed = false;
    #closing: Promise<void> | undefined;

    constructor(
        readonly connection: RelayConnection,
        readonly handle: number,
        readonly remoteAddress: string,
        readonly remotePort: number,
        readonly localPort: number,
    ) {
        connection.register(handle, this);
    }

    onEvent(event: RelayEvent): void {
        if (event.type === "tcpData") {
            if (this.#ended) return;
            if (this.#waiter !== undefined) {
                const resolve = this.#waiter;
                this.#waiter = undefined;
                resolve({ value: event.payload, done: false });
            } else {
                this.#chunks.push(event.payload);
            }
        } else if (event.type === "closed") {
            this.connection.release(this.handle);
            this.#finish(event.code === ErrorCode.none ? undefined : networkErrorFor(event.code, event.reason));
        }
    }

    onRelayClosed(info: RelayCloseInfo): void {
        this.#finish(new TcpDisconnectError(`relay connection closed (${info.code}${info.reason ? ` ${info.reason}` : ""})`));
    }

    /** The stream ended (peer, relay or us): error listeners first, then close listeners, once. */
    #finish(error: Error | undefined): void {
        if (this.#closed) return;
        this.#closed = true;
        this.#end();
        if (error !== undefined) for (const listener of [...this.#errorListeners]) listener(error);
        for (const listener of [...this.#closeListeners]) listener();
    }

    #end(): void {
        this.#ended = true;
        const waiter = this.#waiter;
        this.#waiter = undefined;
        waiter?.({ value: undefined, done: true });
    }

    [Symbol.asyncIterator](): AsyncIterator<Bytes> {
        return {
            next: (): Promise<IteratorResult<Bytes>> => {
                const chunk = this.#chunks.shift();
                if (chunk !== undefined) return Promise.resolve({ value: chunk, done: false });
                if (this.#ended) return Promise.resolve({ value: undefined, done: true });
                return new Promise(resolve => (this.#waiter = resolve));
            },
        };
    }

    async send(data: Bytes): Promise<void> {
        if (this.#closed) throw new TcpDisconnectError("TCP connection is closed");
        const bytes = toUint8Array(data);
        try {
            // one request per chunk the frame can carry; the relay writes them in order
            const sends: Promise<unknown>[] = [];
            for (let at = 0; at < bytes.length || at === 0; at += MAX_PAYLOAD_SIZE) {
                sends.push(this.connection.request({ type: "tcpSend", handle: this.handle, payload: bytes.subarray(at, at + MAX_PAYLOAD_SIZE) }));
                if (bytes.length === 0) break;
            }
            await Promise.all(sends);
        } catch (error) {
            throw asNetworkError(error, TcpDisconnectError);
        }
    }

    onClose(listener: () => void): Transport.Listener {
        return listenerHandle(this.#closeListeners, listener);
    }

    onError(listener: (error: Error) => void): Transport.Listener {
        return listenerHandle(this.#errorListeners, listener);
    }

    close(): Promise<void> {
        return (this.#closing ??= (async () => {
            const wasOpen = !this.#closed;
            this.#finish(undefined);
            if (wasOpen) await closeHandle(this.connection, this.handle);
            else this.connection.release(this.handle);
        })());
    }
}

export class RelayTcpListener implements TcpListener, HandleSink {
    readonly #listeners = new Set<(socket: TcpConnection) => void>();
    /** Connections accepted before anyone listened (bounded). */
    readonly #early: RelayTcpConnection[] = [];
    #closed = false;

    constructor(
        readonly connection: RelayConnection,
        readonly handle: number,
        readonly port: number,
    ) {
        connection.register(handle, this);
    }

    onEvent(event: RelayEvent): void {
        if (event.type === "tcpAccepted") {
            // registered now, synchronously: its data may be in the very next frame
            const socket = new RelayTcpConnection(this.connection, event.handle, event.remoteAddress, event.remotePort, event.localPort);
            if (this.#closed) {
                void socket.close();
                return;
            }
            if (this.#listeners.size === 0) {
                if (this.#early.length >= 16) void socket.close();
                else this.#early.push(socket);
                return;
            }
            for (const listener of this.#listeners) listener(socket);
        } else if (event.type === "closed") {
            this.#closed = true;
            this.connection.release(this.handle);
        }
    }

    onRelayClosed(): void {
        this.#closed = true;
    }

    onConnection(listener: (socket: TcpConnection) => void): Transport.Listener {
        const handle = listenerHandle(this.#listeners, listener);
        for (const socket of this.#early.splice(0)) listener(socket);
        return handle;
    }

    async close(): Promise<void> {
        if (this.#closed) return;
        this.#closed = true;
        this.#listeners.clear();
        await Promise.all(this.#early.splice(0).map(socket => socket.close()));
        await closeHandle(this.connection, this.handle);
    }
}
