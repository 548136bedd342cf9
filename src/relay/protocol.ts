/**
 * The relay wire protocol: how one WebSocket carries a Matter node's UDP sockets, TCP listeners
 * and TCP connections between a socket-less runtime (browser page, Web Worker) and the Node relay.
 *
 * Every message is one BINARY WebSocket frame (text frames are a protocol error):
 *
 * ```
 * offset 0  u8   type     message type (requests 0x01–0x2F, replies 0x80–0x8F, events 0xA0–0xAF)
 * offset 1  u32  id       request id (requests and their reply; non-zero), 0 in events
 * offset 5  u32  handle   socket handle the message is about, 0 when none
 * offset 9  ...  fields   type-specific fixed fields (below), then the raw payload bytes (rest of frame)
 * ```
 *
 * Integers are big-endian. `str` = u8 byte length + UTF-8 (≤ 255 bytes: addresses, interface
 * names, MACs). `text` = u16 byte length + UTF-8 (≤ 1024 bytes: error reasons). Payloads (UDP
 * datagrams, TCP stream chunks) are the rest of the frame, never re-encoded.
 *
 * | code | type | handle | fields |
 * |---|---|---|---|
 * | 0x01 | hello | 0 | u16 version |
 * | 0x02 | getNetInterfaces | 0 | – |
 * | 0x03 | getIpMac | 0 | str name |
 * | 0x10 | udpCreate | 0 | u8 socketType (0 udp, 1 udp4, 2 udp6), u8 flags (1 reuseAddress, 2 has address, 4 has netInterface), u16 port (0 = any allowed), str address, str netInterface |
 * | 0x11 | udpSend | socket | str host, u16 port, payload |
 * | 0x12 / 0x13 | udpAddMembership / udpDropMembership | socket | str address |
 * | 0x20 | tcpListen | 0 | u8 flags (2 has address), u16 port (0 = any allowed), str address |
 * | 0x21 | tcpConnect | 0 | str host, u16 port, u32 timeoutMs |
 * | 0x22 | tcpSend | connection | payload |
 * | 0x2F | close | any | – |
 * | 0x80 | ok | as request | – |
 * | 0x81 | helloOk | 0 | u16 version, u32 maxFrameSize |
 * | 0x82 | netInterfaces | 0 | u8 count × (str name, u8 type; 0xFF = unspecified) |
 * | 0x83 | ipMac | 0 | u8 found; if 1: str mac, u8 n × str ipV4, u8 n × str ipV6 |
 * | 0x84 | udpCreated | new socket | u16 port, u16 maxPayloadSize |
 * | 0x85 | tcpListening | new listener | u16 port |
 * | 0x86 | tcpConnected | new connection | str remoteAddress, u16 remotePort, u16 localPort |
 * | 0x8F | error | as request | u8 code, text reason |
 * | 0xA0 | udpData | socket | u8 flags (1 has netInterface), str netInterface, str peerAddress, u16 peerPort, payload |
 * | 0xA1 | tcpAccepted | new connection | u32 listener, str remoteAddress, u16 remotePort, u16 localPort |
 * | 0xA2 | tcpData | connection | payload |
 * | 0xA3 | closed | socket/listener/connection | u8 code (0 = closed normally), text reason |
 *
 * Every request gets exactly one reply (`ok`, a typed reply, or `error`) with its id. Decoding is
 * strict: unknown types, unknown flag bits, a non-zero id in an event, a missing handle, truncated
 * or trailing bytes, invalid UTF-8 or an oversized frame are decode errors with a readable reason.
 * `decode*` never throws. This module knows nothing about Matter message contents.
 *
 * Size: one file on purpose: it is the whole wire format (every frame layout, its encoder and its
 * decoder side by side), which a reader checks against itself; split, the layouts would drift.
 */

export const PROTOCOL_VERSION = 1;
export const HEADER_SIZE = 9;
/** Largest payload a frame may carry (a Matter TCP frame is ≤ 64000 bytes, a UDP datagram ≤ 65507). */
export const MAX_PAYLOAD_SIZE = 65_535;
/** Largest frame either side accepts: header, fields and a maximal payload. */
export const MAX_FRAME_SIZE = MAX_PAYLOAD_SIZE + 1_024;
export const MAX_STRING_BYTES = 255;
export const MAX_REASON_BYTES = 1_024;
export const MAX_LIST_ITEMS = 255;

/** Wire codes of every message type. */
export const MessageCode = {
    hello: 0x01,
    getNetInterfaces: 0x02,
    getIpMac: 0x03,
    udpCreate: 0x10,
    udpSend: 0x11,
    udpAddMembership: 0x12,
    udpDropMembership: 0x13,
    tcpListen: 0x20,
    tcpConnect: 0x21,
    tcpSend: 0x22,
    close: 0x2f,
    ok: 0x80,
    helloOk: 0x81,
    netInterfaces: 0x82,
    ipMac: 0x83,
    udpCreated: 0x84,
    tcpListening: 0x85,
    tcpConnected: 0x86,
    error: 0x8f,
    udpData: 0xa0,
    tcpAccepted: 0xa1,
    tcpData: 0xa2,
    closed: 0xa3,
} as const;

/** Why a request failed or a socket closed; the client maps these onto matter.js network errors. */
export const ErrorCode = {
    /** No error: a socket closed normally. */
    none: 0,
    /** The request is malformed or names something that does not fit (e.g. a wrong kind of handle). */
    badRequest: 1,
    /** The relay's policy refuses it (port, destination, shared bind). */
    notAllowed: 2,
    /** A per-client limit is reached (sockets, connections, rate, buffered bytes). */
    limit: 3,
    /** The port is in use on the relay host. */
    addressInUse: 4,
    /** Binding failed for another reason (address not available, no permission). */
    bindFailed: 5,
    /** No address is available for the request. */
    noAddress: 6,
    /** The destination host cannot be reached. */
    hostUnreachable: 7,
    /** The destination network cannot be reached. */
    networkUnreachable: 8,
    /** The TCP connection was reset or closed. */
    disconnected: 9,
    /** The connect took longer than allowed. */
    timeout: 10,
    /** No socket with that handle (closed already). */
    unknownHandle: 11,
    /** Any other network error on the relay host. */
    network: 12,
    /** The relay does not support it (e.g. another protocol version). */
    unsupported: 13,
} as const;
/** The union of the `ErrorCode` values, as a type: why the relay refused a request or closed a socket. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
const ERROR_CODES = new Set<number>(Object.values(ErrorCode));

export type UdpSocketKind = "udp" | "udp4" | "udp6";
const UDP_KINDS: readonly UdpSocketKind[] = ["udp", "udp4", "udp6"];

export interface NetInterfaceInfo {
    name: string;
    /** matter.js `InterfaceType` number, or undefined when unspecified. */
    type?: number;
}

export interface IpMacInfo {
    mac: string;
    ipV4: string[];
    ipV6: string[];
}

// ---- requests (client → relay) ----
export interface HelloRequest { type: "hello"; id: number; version: number }
export interface GetNetInterfacesRequest { type: "getNetInterfaces"; id: number }
export interface GetIpMacRequest { type: "getIpMac"; id: number; name: string }
export interface UdpCreateRequest {
    type: "udpCreate";
    id: number;
    socketType: UdpSocketKind;
    /** 0 = any port the relay allows. */
    port: number;
    address?: string;
    netInterface?: string;
    reuseAddress: boolean;
}
export interface UdpSendRequest { type: "udpSend"; id: number; handle: number; host: string; port: number; payload: Uint8Array }
export interface UdpMembershipRequest { type: "udpAddMembership" | "udpDropMembership"; id: number; handle: number; address: string }
export interface TcpListenRequest { type: "tcpListen"; id: number; port: number; address?: string }
export interface TcpConnectRequest { type: "tcpConnect"; id: number; host: string; port: number; timeoutMs: number }
export interface TcpSendRequest { type: "tcpSend"; id: number; handle: number; payload: Uint8Array }
export interface CloseRequest { type: "close"; id: number; handle: number }

export type ClientMessage =
    | HelloRequest
    | GetNetInterfacesRequest
    | GetIpMacRequest
    | UdpCreateRequest
    | UdpSendRequest
    | UdpMembershipRequest
    | TcpListenRequest
    | TcpConnectRequest
    | TcpSendRequest
    | CloseRequest;

// ---- replies and events (relay → client) ----
export interface OkReply { type: "ok"; id: number; handle: number }
export interface HelloOkReply { type: "helloOk"; id: number; version: number; maxFrameSize: number }
export interface NetInterfacesReply { type: "netInterfaces"; id: number; interfaces: NetInterfaceInfo[] }
export interface IpMacReply { type: "ipMac"; id: number; details?: IpMacInfo }
export interface UdpCreatedReply { type: "udpCreated"; id: number; handle: number; port: number; maxPayloadSize: number }
export interface TcpListeningReply { type: "tcpListening"; id: number; handle: number; port: number }
export interface TcpConnectedReply {
    type: "tcpConnected";
    id: number;
    handle: number;
    remoteAddress: string;
    remotePort: number;
    localPort: number;
}
export interface ErrorReply { type: "error"; id: number; handle: number; code: ErrorCode; reason: string }
export interface UdpDataEvent {
    type: "udpData";
    handle: number;
    netInterface?: string;
    peerAddress: string;
    peerPort: number;
    payload: Uint8Array;
}
export interface TcpAcceptedEvent {
    type: "tcpAccepted";
    handle: number;
    listener: number;
    remoteAddress: string;
    remotePort: number;
    localPort: number;
}
export interface TcpDataEvent { type: "tcpData"; handle: number; payload: Uint8Array }
export interface ClosedEvent { type: "closed"; handle: number; code: ErrorCode; reason: string }

export type RelayReply =
    | OkReply
    | HelloOkReply
    | NetInterfacesReply
    | IpMacReply
    | UdpCreatedReply
    | TcpListeningReply
    | TcpConnectedReply
    | ErrorReply;
export type RelayEvent = UdpDataEvent | TcpAcceptedEvent | TcpDataEvent | ClosedEvent;
export type RelayMessage = RelayReply | RelayEvent;

/** Outcome of decoding one frame: the message, or why the frame is malformed. */
export type Decoded<T> = { ok: true; message: T } | { ok: false; reason: string };

// ---------------------------------------------------------------------------------------------
// writing

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

class FrameWriter {
    #buffer = new Uint8Array(64);
    #view = new DataView(this.#buffer.buffer);
    #length = 0;

    #reserve(size: number): number {
        const at = this.#length;
        if (at + size > this.#buffer.length) {
            const grown = new Uint8Array(Math.max(this.#buffer.length * 2, at + size));
            grown.set(this.#buffer.subarray(0, at));
            this.#buffer = grown;
            this.#view = new DataView(grown.buffer);
        }
        this.#length += size;
        return at;
    }

    u8(value: number): this {
        const checked = checkedInt(value, 0xff, "u8");
        const at = this.#reserve(1); // may replace the buffer and view: reserve first
        this.#view.setUint8(at, checked);
        return this;
    }
    u16(value: number): this {
        const checked = checkedInt(value, 0xffff, "u16");
        const at = this.#reserve(2); // may replace the buffer and view: reserve first
        this.#view.setUint16(at, checked);
        return this;
    }
    u32(value: number): this {
        const checked = checkedInt(value, 0xffff_ffff, "u32");
        const at = this.#reserve(4); // may replace the buffer and view: reserve first
        this.#view.setUint32(at, checked);
        return this;
    }
    str(value: string): this {
        const bytes = encoder.encode(value);
        if (bytes.length > MAX_STRING_BYTES) throw new RangeError(`string longer than ${MAX_STRING_BYTES} bytes`);
        this.u8(bytes.length);
        const at = this.#reserve(bytes.length); // may replace the buffer: reserve before writing
        this.#buffer.set(bytes, at);
        return this;
    }
    text(value: string): this {
        let bytes = encoder.encode(value);
        if (bytes.length > MAX_REASON_BYTES) bytes = encoder.encode(truncateUtf8(value, MAX_REASON_BYTES));
        this.u16(bytes.length);
        const at = this.#reserve(bytes.length);
        this.#buffer.set(bytes, at);
        return this;
    }
    finish(payload?: Uint8Array): Uint8Array {
        const size = this.#length + (payload?.length ?? 0);
        if (size > MAX_FRAME_SIZE) throw new RangeError(`frame of ${size} bytes exceeds ${MAX_FRAME_SIZE}`);
        const frame = new Uint8Array(size);
        frame.set(this.#buffer.subarray(0, this.#length));
        if (payload !== undefined) frame.set(payload, this.#length);
        return frame;
    }
}

function checkedInt(value: number, max: number, what: string): number {
    if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${what} out of range: ${value}`);
    return value;
}

/** Cuts `value` so that its UTF-8 encoding fits `maxBytes`. */
export function truncateUtf8(value: string, maxBytes: number): string {
    if (encoder.encode(value).length <= maxBytes) return value;
    let bytes = 0;
    let out = "";
    for (const char of value) {
        const size = encoder.encode(char).length;
        if (bytes + size > maxBytes) break;
        bytes += size;
        out += char;
    }
    return out;
}

function header(code: number, id: number, handle: number): FrameWriter {
    return new FrameWriter().u8(code).u32(id).u32(handle);
}

/** Encodes a client request. Throws RangeError for values that do not fit the wire format. */
export function encodeClientMessage(message: ClientMessage): Uint8Array {
    switch (message.type) {
        case "hello":
            return header(MessageCode.hello, message.id, 0).u16(message.version).finish();
        case "getNetInterfaces":
            return header(MessageCode.getNetInterfaces, message.id, 0).finish();
        case "getIpMac":
            return header(MessageCode.getIpMac, message.id, 0).str(message.name).finish();
        case "udpCreate": {
            const flags = (message.reuseAddress ? 1 : 0) | (message.address !== undefined ? 2 : 0) | (message.netInterface !== undefined ? 4 : 0);
            return header(MessageCode.udpCreate, message.id, 0)
                .u8(UDP_KINDS.indexOf(message.socketType))
                .u8(flags)
                .u16(message.port)
                .str(message.address ?? "")
                .str(message.netInterface ?? "")
                .finish();
        }
        case "udpSend":
            return header(MessageCode.udpSend, message.id, message.handle).str(message.host).u16(message.port).finish(message.payload);
        case "udpAddMembership":
        case "udpDropMembership":
            return header(MessageCode[message.type], message.id, message.handle).str(message.address).finish();
        case "tcpListen":
            return header(MessageCode.tcpListen, message.id, 0)
                .u8(message.address !== undefined ? 2 : 0)
                .u16(message.port)
                .str(message.address ?? "")
                .finish();
        case "tcpConnect":
            return header(MessageCode.tcpConnect, message.id, 0).str(message.host).u16(message.port).u32(message.timeoutMs).finish();
        case "tcpSend":
            return header(MessageCode.tcpSend, message.id, message.handle).finish(message.payload);
        case "close":
            return header(MessageCode.close, message.id, message.handle).finish();
    }
}

/** Encodes a relay reply or event. Throws RangeError for values that do not fit the wire format. */
export function encodeRelayMessage(message: RelayMessage): Uint8Array {
    switch (message.type) {
        case "ok":
            return header(MessageCode.ok, message.id, message.handle).finish();
        case "helloOk":
            return header(MessageCode.helloOk, message.id, 0).u16(message.version).u32(message.maxFrameSize).finish();
        case "netInterfaces": {
            const w = header(MessageCode.netInterfaces, message.id, 0);
            if (message.interfaces.length > MAX_LIST_ITEMS) throw new RangeError("too many interfaces");
            w.u8(message.interfaces.length);
            for (const { name, type } of message.interfaces) w.str(name).u8(type ?? 0xff);
            return w.finish();
        }
        case "ipMac": {
            const w = header(MessageCode.ipMac, message.id, 0);
            if (message.details === undefined) return w.u8(0).finish();
            const { mac, ipV4, ipV6 } = message.details;
            w.u8(1).str(mac);
            for (const list of [ipV4, ipV6]) {
                const items = list.slice(0, MAX_LIST_ITEMS);
                w.u8(items.length);
                for (const ip of items) w.str(ip);
            }
            return w.finish();
        }
        case "udpCreated":
            return header(MessageCode.udpCreated, message.id, message.handle).u16(message.port).u16(message.maxPayloadSize).finish();
        case "tcpListening":
            return header(MessageCode.tcpListening, message.id, message.handle).u16(message.port).finish();
        case "tcpConnected":
            return header(MessageCode.tcpConnected, message.id, message.handle)
                .str(message.remoteAddress)
                .u16(message.remotePort)
                .u16(message.localPort)
                .finish();
        case "error":
            return header(MessageCode.error, message.id, message.handle).u8(message.code).text(message.reason).finish();
        case "udpData":
            return header(MessageCode.udpData, 0, message.handle)
                .u8(message.netInterface !== undefined ? 1 : 0)
                .str(message.netInterface ?? "")
                .str(message.peerAddress)
                .u16(message.peerPort)
                .finish(message.payload);
        case "tcpAccepted":
            return header(MessageCode.tcpAccepted, 0, message.handle)
                .u32(message.listener)
                .str(message.remoteAddress)
                .u16(message.remotePort)
                .u16(message.localPort)
                .finish();
        case "tcpData":
            return header(MessageCode.tcpData, 0, message.handle).finish(message.payload);
        case "closed":
            return header(MessageCode.closed, 0, message.handle).u8(message.code).text(message.reason).finish();
    }
}

// ---------------------------------------------------------------------------------------------
// reading

class DecodeError extends Error {}

class FrameReader {
    readonly #bytes: Uint8Array;
    readonly #view: DataView;
    #at = 0;

    constructor(bytes: Uint8Array) {
        this.#bytes = bytes;
        this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }

    #need(size: number, what: string): number {
        if (this.#at + size > this.#bytes.length) {
            throw new DecodeError(`truncated frame: ${what} needs ${size} byte(s) at offset ${this.#at}, frame has ${this.#bytes.length}`);
        }
        const at = this.#at;
        this.#at += size;
        return at;
    }
    u8(what: string): number {
        return this.#view.getUint8(this.#need(1, what));
    }
    u16(what: string): number {
        return this.#view.getUint16(this.#need(2, what));
    }
    u32(what: string): number {
        return this.#view.getUint32(this.#need(4, what));
    }
    #utf8(length: number, what: string): string {
        const at = this.#need(length, what);
        try {
            return decoder.decode(this.#bytes.subarray(at, at + length));
        } catch {
            throw new DecodeError(`${what} is not valid UTF-8`);
        }
    }
    str(what: string): string {
        return this.#utf8(this.u8(`${what} length`), what);
    }
    text(what: string): string {
        const length = this.u16(`${what} length`);
        if (length > MAX_REASON_BYTES) throw new DecodeError(`${what} length ${length} exceeds ${MAX_REASON_BYTES}`);
        return this.#utf8(length, what);
    }
    flags(allowed: number, what: string): number {
        const value = this.u8(what);
        if ((value & ~allowed) !== 0) throw new DecodeError(`unknown ${what} bits 0x${(value & ~allowed).toString(16)}`);
        return value;
    }
    rest(): Uint8Array {
        const out = this.#bytes.subarray(this.#at);
        this.#at = this.#bytes.length;
        return out;
    }
    end(): void {
        if (this.#at !== this.#bytes.length) throw new DecodeError(`${this.#bytes.length - this.#at} trailing byte(s) after the message`);
    }
}

interface Header {
    code: number;
    id: number;
    handle: number;
}

function readHeader(bytes: Uint8Array, reader: FrameReader): Header {
    if (bytes.length > MAX_FRAME_SIZE) throw new DecodeError(`frame of ${bytes.length} bytes exceeds ${MAX_FRAME_SIZE}`);
    if (bytes.length < HEADER_SIZE) throw new DecodeError(`truncated header: ${bytes.length} of ${HEADER_SIZE} bytes`);
    return { code: reader.u8("type"), id: reader.u32("id"), handle: reader.u32("handle") };
}

function requireId(h: Header, what: string): number {
    if (h.id === 0) throw new DecodeError(`${what} needs a non-zero request id`);
    return h.id;
}
function requireNoId(h: Header, what: string): void {
    if (h.id !== 0) throw new DecodeError(`${what} is an event and must have id 0, got ${h.id}`);
}
function requireHandle(h: Header, what: string): number {
    if (h.handle === 0) throw new DecodeError(`${what} needs a handle`);
    return h.handle;
}
function requireNoHandle(h: Header, what: string): void {
    if (h.handle !== 0) throw new DecodeError(`${what} takes no handle, got ${h.handle}`);
}
function payloadOf(reader: FrameReader, what: string): Uint8Array {
    const payload = reader.rest();
    if (payload.length > MAX_PAYLOAD_SIZE) throw new DecodeError(`${what} payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_SIZE}`);
    return payload;
}
function errorCodeOf(value: number): ErrorCode {
    if (!ERROR_CODES.has(value)) throw new DecodeError(`unknown error code ${value}`);
    return value as ErrorCode;
}

function codeName(code: number): string {
    return `0x${code.toString(16).padStart(2, "0")}`;
}

function guarded<T>(bytes: unknown, run: (bytes: Uint8Array) => T): Decoded<T> {
    try {
        if (typeof bytes === "string") return { ok: false, reason: "text frames are not accepted; frames are binary" };
        if (bytes instanceof ArrayBuffer) return { ok: true, message: run(new Uint8Array(bytes)) };
        if (!(bytes instanceof Uint8Array)) return { ok: false, reason: "frame is not binary data" };
        return { ok: true, message: run(bytes) };
    } catch (error) {
        if (error instanceof DecodeError) return { ok: false, reason: error.message };
        return { ok: false, reason: `undecodable frame (${error instanceof Error ? error.message : String(error)})` };
    }
}

/** Decodes a client request strictly; never throws. */
export function decodeClientMessage(bytes: unknown): Decoded<ClientMessage> {
    return guarded(bytes, frame => {
        const r = new FrameReader(frame);
        const h = readHeader(frame, r);
        let message: ClientMessage;
        switch (h.code) {
            case MessageCode.hello:
                requireNoHandle(h, "hello");
                message = { type: "hello", id: requireId(h, "hello"), version: r.u16("version") };
                break;
            case MessageCode.getNetInterfaces:
                requireNoHandle(h, "getNetInterfaces");
                message = { type: "getNetInterfaces", id: requireId(h, "getNetInterfaces") };
                break;
            case MessageCode.getIpMac:
                requireNoHandle(h, "getIpMac");
                message = { type: "getIpMac", id: requireId(h, "getIpMac"), name: r.str("interface name") };
                break;
            case MessageCode.udpCreate: {
                requireNoHandle(h, "udpCreate");
                const id = requireId(h, "udpCreate");
                const kind = r.u8("socket type");
                const socketType = UDP_KINDS[kind];
                if (socketType === undefined) throw new DecodeError(`unknown UDP socket type ${kind}`);
                const flags = r.flags(0b111, "udpCreate flags");
                const port = r.u16("port");
                const address = r.str("listening address");
                const netInterface = r.str("network interface");
                if (!(flags & 2) && address !== "") throw new DecodeError("listening address given without its flag");
                if (!(flags & 4) && netInterface !== "") throw new DecodeError("network interface given without its flag");
                message = {
                    type: "udpCreate",
                    id,
                    socketType,
                    port,
                    reuseAddress: (flags & 1) !== 0,
                    ...(flags & 2 ? { address } : {}),
                    ...(flags & 4 ? { netInterface } : {}),
                };
                break;
            }
            case MessageCode.udpSend: {
                const id = requireId(h, "udpSend");
                const handle = requireHandle(h, "udpSend");
                message = { type: "udpSend", id, handle, host: r.str("host"), port: r.u16("port"), payload: payloadOf(r, "udpSend") };
                return message;
            }
            case MessageCode.udpAddMembership:
            case MessageCode.udpDropMembership: {
                const type = h.code === MessageCode.udpAddMembership ? "udpAddMembership" : "udpDropMembership";
                message = { type, id: requireId(h, type), handle: requireHandle(h, type), address: r.str("multicast address") };
                break;
            }
            case MessageCode.tcpListen: {
                requireNoHandle(h, "tcpListen");
                const id = requireId(h, "tcpListen");
                const flags = r.flags(0b10, "tcpListen flags");
                const port = r.u16("port");
                const address = r.str("listening address");
                if (!(flags & 2) && address !== "") throw new DecodeError("listening address given without its flag");
                message = { type: "tcpListen", id, port, ...(flags & 2 ? { address } : {}) };
                break;
            }
            case MessageCode.tcpConnect:
                requireNoHandle(h, "tcpConnect");
                message = {
                    type: "tcpConnect",
                    id: requireId(h, "tcpConnect"),
                    host: r.str("host"),
                    port: r.u16("port"),
                    timeoutMs: r.u32("timeout"),
                };
                break;
            case MessageCode.tcpSend: {
                const id = requireId(h, "tcpSend");
                return { type: "tcpSend", id, handle: requireHandle(h, "tcpSend"), payload: payloadOf(r, "tcpSend") };
            }
            case MessageCode.close:
                message = { type: "close", id: requireId(h, "close"), handle: requireHandle(h, "close") };
                break;
            default:
                throw new DecodeError(`unknown request type ${codeName(h.code)}`);
        }
        r.end();
        return message;
    });
}

/** Decodes a relay reply or event strictly; never throws. */
export function decodeRelayMessage(bytes: unknown): Decoded<RelayMessage> {
    return guarded(bytes, frame => {
        const r = new FrameReader(frame);
        const h = readHeader(frame, r);
        let message: RelayMessage;
        switch (h.code) {
            case MessageCode.ok:
                message = { type: "ok", id: requireId(h, "ok"), handle: h.handle };
                break;
            case MessageCode.helloOk:
                requireNoHandle(h, "helloOk");
                message = { type: "helloOk", id: requireId(h, "helloOk"), version: r.u16("version"), maxFrameSize: r.u32("max frame size") };
                break;
            case MessageCode.netInterfaces: {
                requireNoHandle(h, "netInterfaces");
                const id = requireId(h, "netInterfaces");
                const count = r.u8("interface count");
                const interfaces: NetInterfaceInfo[] = [];
                for (let i = 0; i < count; i++) {
                    const name = r.str("interface name");
                    const type = r.u8("interface type");
                    interfaces.push(type === 0xff ? { name } : { name, type });
                }
                message = { type: "netInterfaces", id, interfaces };
                break;
            }
            case MessageCode.ipMac: {
                requireNoHandle(h, "ipMac");
                const id = requireId(h, "ipMac");
                const found = r.u8("found");
                if (found > 1) throw new DecodeError(`ipMac found flag must be 0 or 1, got ${found}`);
                if (found === 0) {
                    message = { type: "ipMac", id };
                    break;
                }
                const mac = r.str("mac");
                const lists: string[][] = [];
                for (const family of ["IPv4", "IPv6"]) {
                    const n = r.u8(`${family} count`);
                    const list: string[] = [];
                    for (let i = 0; i < n; i++) list.push(r.str(`${family} address`));
                    lists.push(list);
                }
                message = { type: "ipMac", id, details: { mac, ipV4: lists[0] ?? [], ipV6: lists[1] ?? [] } };
                break;
            }
            case MessageCode.udpCreated:
                message = {
                    type: "udpCreated",
                    id: requireId(h, "udpCreated"),
                    handle: requireHandle(h, "udpCreated"),
                    port: r.u16("port"),
                    maxPayloadSize: r.u16("max payload size"),
                };
                break;
            case MessageCode.tcpListening:
                message = { type: "tcpListening", id: requireId(h, "tcpListening"), handle: requireHandle(h, "tcpListening"), port: r.u16("port") };
                break;
            case MessageCode.tcpConnected:
                message = {
                    type: "tcpConnected",
                    id: requireId(h, "tcpConnected"),
                    handle: requireHandle(h, "tcpConnected"),
                    remoteAddress: r.str("remote address"),
                    remotePort: r.u16("remote port"),
                    localPort: r.u16("local port"),
                };
                break;
            case MessageCode.error:
                message = { type: "error", id: requireId(h, "error"), handle: h.handle, code: errorCodeOf(r.u8("error code")), reason: r.text("reason") };
                break;
            case MessageCode.udpData: {
                requireNoId(h, "udpData");
                const handle = requireHandle(h, "udpData");
                const flags = r.flags(0b1, "udpData flags");
                const netInterface = r.str("network interface");
                if (!(flags & 1) && netInterface !== "") throw new DecodeError("network interface given without its flag");
                const peerAddress = r.str("peer address");
                const peerPort = r.u16("peer port");
                return { type: "udpData", handle, ...(flags & 1 ? { netInterface } : {}), peerAddress, peerPort, payload: payloadOf(r, "udpData") };
            }
            case MessageCode.tcpAccepted:
                requireNoId(h, "tcpAccepted");
                message = {
                    type: "tcpAccepted",
                    handle: requireHandle(h, "tcpAccepted"),
                    listener: r.u32("listener"),
                    remoteAddress: r.str("remote address"),
                    remotePort: r.u16("remote port"),
                    localPort: r.u16("local port"),
                };
                if (message.listener === 0) throw new DecodeError("tcpAccepted needs a listener handle");
                break;
            case MessageCode.tcpData:
                requireNoId(h, "tcpData");
                return { type: "tcpData", handle: requireHandle(h, "tcpData"), payload: payloadOf(r, "tcpData") };
            case MessageCode.closed:
                requireNoId(h, "closed");
                message = { type: "closed", handle: requireHandle(h, "closed"), code: errorCodeOf(r.u8("close code")), reason: r.text("reason") };
                break;
            default:
                throw new DecodeError(`unknown relay message type ${codeName(h.code)}`);
        }
        r.end();
        return message;
    });
}

/** True for replies (messages that answer a request id). */
export function isReply(message: RelayMessage): message is RelayReply {
    return "id" in message;
}
