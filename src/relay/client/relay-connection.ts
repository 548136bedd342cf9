/**
 * The client end of one relay WebSocket: request/reply over the binary protocol (protocol.ts),
 * routing of events to the socket that owns a handle, and the connection's lifecycle.
 *
 * Runs wherever a WebSocket does: a browser page, a module Web Worker, or Node with an injected
 * WebSocket (Node 20 has no global one; pass an instance or the constructor of the `ws` package).
 *
 * - `request()` sends a request and resolves with its reply; an `error` reply rejects with a
 *   `RelayRequestError` (the relay's code and reason). A request gets no reply within its timeout →
 *   rejects. An `adopt` callback runs synchronously when the reply arrives, before any later frame
 *   is dispatched, so a socket can register for its handle's events without a gap.
 * - When the WebSocket closes (relay gone, network down, relay closed us for a bad frame), every
 *   pending request rejects with a `RelayClosedError`, every registered handle gets `onRelayClosed`,
 *   and `closed` resolves with the close code and reason.
 * - A malformed frame FROM the relay closes the connection (1002) with the decode reason.
 */

import {
    decodeRelayMessage,
    encodeClientMessage,
    ErrorCode,
    PROTOCOL_VERSION,
    type ClientMessage,
    type RelayEvent,
    type RelayReply,
} from "../protocol.js";

/** What the client needs of a WebSocket; the browser's WebSocket and `ws`'s both fit. */
export interface WebSocketLike {
    /** 0 connecting, 1 open, 2 closing, 3 closed. */
    readonly readyState: number;
    /** Bytes queued by `send` and not yet handed to the network. */
    readonly bufferedAmount: number;
    /** Set to `"arraybuffer"` by the client. */
    binaryType: string;
    /** Sends one binary frame. */
    send(data: Uint8Array): void;
    /** Closes the WebSocket. */
    close(code?: number, reason?: string): void;
    /** A frame arrived. */
    addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
    /** The WebSocket closed, with its close code and reason. */
    addEventListener(type: "close", listener: (event: { code: number; reason: string }) => void): void;
    /** The WebSocket opened, or failed. */
    addEventListener(type: "open" | "error", listener: (event: unknown) => void): void;
    /** Removes a `message` listener. */
    removeEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
    /** Removes a `close` listener. */
    removeEventListener(type: "close", listener: (event: { code: number; reason: string }) => void): void;
    /** Removes an `open` or `error` listener. */
    removeEventListener(type: "open" | "error", listener: (event: unknown) => void): void;
}

/** A WebSocket constructor (the global one, or `ws`'s). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

const CONNECTING = 0;
const OPEN = 1;

/** How the relay's WebSocket closed. */
export interface RelayCloseInfo {
    /** The WebSocket close code (e.g. 1001 when the relay shuts down, 1006 when the connection dropped). */
    code: number;
    /** The close reason the relay gave (may be empty). */
    reason: string;
}

/** The relay answered a request with an error. */
export class RelayRequestError extends Error {
    constructor(
        /** Why the relay refused it. */
        readonly code: ErrorCode,
        /** The relay's explanation, in words. */
        readonly reason: string,
        /** The kind of request that was refused (e.g. `"udpCreate"`). */
        readonly request: ClientMessage["type"],
    ) {
        super(`relay refused ${request}: ${reason}`);
        this.name = "RelayRequestError";
    }
}

/** The relay connection is gone (or was never there). */
export class RelayClosedError extends Error {
    constructor(
        /** How the connection closed. */
        readonly info: RelayCloseInfo,
        what: string,
    ) {
        super(`relay connection closed (${info.code}${info.reason ? `: ${info.reason}` : ""}) during ${what}`);
        this.name = "RelayClosedError";
    }
}

/** What a socket object registers for its handle. */
export interface HandleSink {
    onEvent(event: RelayEvent): void;
    onRelayClosed(info: RelayCloseInfo): void;
}

type Pending = {
    type: ClientMessage["type"];
    resolve: (reply: RelayReply) => void;
    reject: (error: unknown) => void;
    timer: ReturnType<typeof setTimeout>;
};

/** A request as the caller writes it: the connection assigns the id. */
export type RequestBody = ClientMessage extends infer M ? (M extends ClientMessage ? Omit<M, "id"> : never) : never;

export interface RelayConnectionOptions {
    /** Default per-request timeout. Default 10 s. */
    requestTimeoutMs?: number;
}

export class RelayConnection {
    readonly #ws: WebSocketLike;
    readonly #pending = new Map<number, Pending>();
    readonly #sinks = new Map<number, HandleSink>();
    readonly #timeoutMs: number;
    #nextId = 1;
    #closeInfo: RelayCloseInfo | undefined;
    #resolveClosed!: (info: RelayCloseInfo) => void;
    /** Resolves once, when the WebSocket has closed. */
    readonly closed: Promise<RelayCloseInfo>;

    private constructor(ws: WebSocketLike, options: RelayConnectionOptions) {
        this.#ws = ws;
        this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
        this.closed = new Promise(resolve => (this.#resolveClosed = resolve));
        ws.binaryType = "arraybuffer";
        ws.addEventListener("message", event => this.#onMessage(event.data));
        ws.addEventListener("close", event => this.#onClose({ code: event.code, reason: event.reason }));
    }

    /**
     * Opens (or adopts) a WebSocket to the relay, waits for it to open, and says hello.
     * `socket`: a URL (needs a global WebSocket or `WebSocket`), or a WebSocket in CONNECTING/OPEN state.
     */
    static async open(
        socket: string | WebSocketLike,
        options: RelayConnectionOptions & { WebSocket?: WebSocketConstructor; openTimeoutMs?: number } = {},
    ): Promise<RelayConnection> {
        const ws = typeof socket === "string" ? createWebSocket(socket, options.WebSocket) : socket;
        await whenOpen(ws, options.openTimeoutMs ?? 10_000);
        const connection = new RelayConnection(ws, options);
        try {
            const reply = await connection.request({ type: "hello", version: PROTOCOL_VERSION });
            if (reply.type !== "helloOk") throw new Error(`relay answered hello with ${reply.type}`);
        } catch (error) {
            connection.close(1000, "hello failed");
            throw error;
        }
        return connection;
    }

    get isOpen(): boolean {
        return this.#closeInfo === undefined && this.#ws.readyState === OPEN;
    }

    /** Bytes queued in the WebSocket, not yet handed to the network. */
    get bufferedAmount(): number {
        return this.#ws.bufferedAmount;
    }

    /**
     * Sends `body` and resolves with the reply. `adopt` runs synchronously on a successful reply
     * (before later frames are dispatched) and its result is what the promise resolves with.
     */
    request<T = RelayReply>(body: RequestBody, options: { timeoutMs?: number; adopt?: (reply: RelayReply) => T } = {}): Promise<T> {
        if (this.#closeInfo !== undefined) return Promise.reject(new RelayClosedError(this.#closeInfo, body.type));
        const id = this.#nextId;
        this.#nextId = this.#nextId >= 0xffff_fffe ? 1 : this.#nextId + 1;
        let frame: Uint8Array;
        try {
            frame = encodeClientMessage({ ...body, id } as ClientMessage);
        } catch (error) {
            return Promise.reject(error);
        }
        return new Promise<T>((resolve, reject) => {
            const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
            const timer = setTimeout(() => {
                this.#pending.delete(id);
                reject(new Error(`relay did not answer ${body.type} within ${timeoutMs} ms`));
            }, timeoutMs);
            this.#pending.set(id, {
                type: body.type,
                timer,
                reject,
                resolve: reply => {
                    if (options.adopt === undefined) {
                        resolve(reply as T);
                        return;
                    }
                    try {
                        resolve(options.adopt(reply));
                    } catch (error) {
                        reject(error);
                    }
                },
            });
            try {
                this.#ws.send(frame);
            } catch (error) {
                clearTimeout(timer);
                this.#pending.delete(id);
                reject(error);
            }
        });
    }

    /** Routes the events of `handle` to `sink` until `release`. */
    register(handle: number, sink: HandleSink): void {
        this.#sinks.set(handle, sink);
    }

    release(handle: number): void {
        this.#sinks.delete(handle);
    }

    close(code = 1000, reason = "closed by client"): void {
        if (this.#ws.readyState === CONNECTING || this.#ws.readyState === OPEN) this.#ws.close(code, reason);
    }

    #onMessage(data: unknown): void {
        if (this.#closeInfo !== undefined) return;
        const decoded = decodeRelayMessage(data);
        if (!decoded.ok) {
            this.close(1002, `malformed frame from relay: ${decoded.reason}`.slice(0, 120));
            return;
        }
        const message = decoded.message;
        if ("id" in message) {
            const pending = this.#pending.get(message.id);
            if (pending === undefined) {
                // the request timed out meanwhile: do not leave what it opened open at the relay
                const opened = message.type === "udpCreated" || message.type === "tcpListening" || message.type === "tcpConnected";
                if (opened) void this.request({ type: "close", handle: message.handle }).catch(() => {});
                return;
            }
            this.#pending.delete(message.id);
            clearTimeout(pending.timer);
            if (message.type === "error") pending.reject(new RelayRequestError(message.code, message.reason, pending.type));
            else pending.resolve(message);
            return;
        }
        // an accepted connection is news for its listener; everything else for the handle itself
        const owner = message.type === "tcpAccepted" ? message.listener : message.handle;
        const sink = this.#sinks.get(owner);
        if (sink !== undefined) sink.onEvent(message);
        else if (message.type === "tcpAccepted") void this.request({ type: "close", handle: message.handle }).catch(() => {});
    }

    #onClose(info: RelayCloseInfo): void {
        if (this.#closeInfo !== undefined) return;
        this.#closeInfo = info;
        for (const [id, pending] of this.#pending) {
            this.#pending.delete(id);
            clearTimeout(pending.timer);
            pending.reject(new RelayClosedError(info, pending.type));
        }
        const sinks = [...this.#sinks.values()];
        this.#sinks.clear();
        for (const sink of sinks) {
            try {
                sink.onRelayClosed(info);
            } catch {
                // a socket's listener failing must not keep the others from hearing
            }
        }
        this.#resolveClosed(info);
    }
}

function createWebSocket(url: string, ctor: WebSocketConstructor | undefined): WebSocketLike {
    const Ctor = ctor ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (Ctor === undefined) throw new Error("no WebSocket in this runtime: pass a WebSocket constructor (e.g. from the ws package)");
    return new Ctor(url);
}

function whenOpen(ws: WebSocketLike, timeoutMs: number): Promise<void> {
    if (ws.readyState === OPEN) return Promise.resolve();
    if (ws.readyState !== CONNECTING) return Promise.reject(new Error("WebSocket is already closing or closed"));
    return new Promise((resolve, reject) => {
        let failure = "";
        const done = (error?: Error) => {
            clearTimeout(timer);
            ws.removeEventListener("open", onOpen);
            ws.removeEventListener("close", onClose);
            ws.removeEventListener("error", onError);
            if (error) {
                reject(error);
                try {
                    ws.close();
                } catch {
                    // closing a never-opened socket may throw in some runtimes
                }
            } else resolve();
        };
        const onOpen = () => done();
        // browsers hide why; ws says e.g. "Unexpected server response: 401"
        const onError = (event: unknown) => {
            const message = (event as { message?: unknown } | undefined)?.message;
            if (typeof message === "string") failure = message;
        };
        const onClose = (event: { code: number; reason: string }) =>
            done(
                new Error(
                    `relay refused the WebSocket (${event.code}${event.reason ? ` ${event.reason}` : ""}${failure ? `; ${failure}` : ""}); check the URL, token and Origin`,
                ),
            );
        const timer = setTimeout(() => done(new Error(`relay WebSocket did not open within ${timeoutMs} ms`)), timeoutMs);
        ws.addEventListener("open", onOpen);
        ws.addEventListener("close", onClose);
        ws.addEventListener("error", onError);
    });
}
