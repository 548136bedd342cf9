/**
 * The fuzzer's own reading of a provider command's TLV fields: a second implementation of the
 * decoding rules the core documents (assembly/request.ts), written over the element tree of
 * `tlv-tree.ts`, so the model can predict the status of any byte string — a well-formed request,
 * one with a fault in it, or random bytes.
 *
 * The rules: the payload is exactly one struct (any tag); members with a context tag below 32 may
 * appear once; known fields must have their type and range (unsigned integers of any width up to
 * the field's maximum, nullable fields may be null, strings must be valid UTF-8, lists must be TLV
 * arrays of anonymous entries); members with another context tag or no context tag are skipped if
 * they are well-formed and nest at most 8 containers deep; mandatory fields must be present.
 * Anything else is INVALID_COMMAND, whatever else is wrong. Data-model bounds that decode fine
 * (an unknown StreamUsage, 11 ICE servers, an empty SDPMid) are not judged here: the request
 * carries them to the model, which judges them at the reference's step.
 *
 * Limits: SFrameConfig (tag 7 / 9) is read as an unknown field, as the core does.
 */

import {
    contextTag, intValue, isUnsigned, isUtf8, nestingDepth, parseElement, stringData, T, type Element,
} from "./tlv-tree.js";

export const Command = { SolicitOffer: 0x00, ProvideOffer: 0x02, ProvideAnswer: 0x04, ProvideIceCandidates: 0x05, EndSession: 0x06 } as const;
export type CommandId = (typeof Command)[keyof typeof Command];
export const COMMAND_IDS: readonly CommandId[] = [0x00, 0x02, 0x04, 0x05, 0x06];
export const COMMAND_NAMES: Record<number, string> = {
    0x00: "SolicitOffer", 0x02: "ProvideOffer", 0x04: "ProvideAnswer", 0x05: "ProvideICECandidates", 0x06: "EndSession",
};

/** Deepest container nesting of a skipped field (the core's MAX_DEPTH). */
export const MAX_DEPTH = 8;

export interface IceServerRequest {
    urls: string[];
    /** Byte lengths of the URLs (the bounds are in bytes). */
    urlBytes: number[];
    username?: string;
    credential?: string;
    caid?: number;
}
/** SolicitOffer and ProvideOffer fields as decoded; `undefined` = absent, `null` = null. */
export interface OfferRequest {
    kind: "offer";
    /** ProvideOffer only: WebRTCSessionID (null: a new session). */
    sessionId?: number | null;
    sdp?: string;
    sdpBytes: number;
    streamUsage?: number;
    endpoint?: number;
    videoId?: number | null;
    audioId?: number | null;
    iceServers?: IceServerRequest[];
    policy?: string;
    policyBytes: number;
    metadata?: boolean;
    videoList?: number[];
    audioList?: number[];
}
export interface AnswerRequest {
    kind: "answer";
    sessionId: number;
    sdp: string;
    sdpBytes: number;
}
export interface CandidateRequest {
    candidate: string;
    sdpMid: string | null;
    mline: number | null;
}
export interface IceRequest {
    kind: "ice";
    sessionId: number;
    candidates: CandidateRequest[];
}
export interface EndRequest {
    kind: "end";
    sessionId: number;
    reason: number;
}
export type Request = OfferRequest | AnswerRequest | IceRequest | EndRequest;

/** The oracle's verdict: the decoded request, or why it is INVALID_COMMAND. */
export type Decoded = { ok: true; request: Request } | { ok: false; why: string };

/** Thrown inside the decoders; not an Error, so no stack is captured (most fuzz payloads are malformed). */
class Malformed {
    constructor(readonly message: string) {}
}
const fail = (why: string): never => {
    throw new Malformed(why);
};

const utf8 = new TextDecoder("utf-8", { fatal: true });
function text(e: Element, what: string): string {
    if (!isUtf8(e.type)) fail(`${what}: not a UTF-8 string`);
    try {
        return utf8.decode(stringData(e));
    } catch {
        return fail(`${what}: invalid UTF-8`);
    }
}
function uint(e: Element, max: bigint, what: string): number {
    if (!isUnsigned(e.type)) fail(`${what}: not an unsigned integer`);
    const v = intValue(e);
    if (v > max) fail(`${what}: ${v} above ${max}`);
    return Number(v);
}
function nullableU16(e: Element, what: string): number | null {
    return e.type === T.null ? null : uint(e, 0xffffn, what);
}
function bool(e: Element, what: string): boolean {
    if (e.type !== T.true && e.type !== T.false) fail(`${what}: not a boolean`);
    return e.type === T.true;
}
function anonymous(e: Element, what: string): void {
    if (e.tagCtl !== 0) fail(`${what}: tagged entry`);
}
function skip(e: Element, what: string): void {
    if (nestingDepth(e) > MAX_DEPTH) fail(`${what}: nested deeper than ${MAX_DEPTH}`);
}

/**
 * Walks a struct's members: `read` takes the known context tags; a context tag below `dupBound`
 * seen twice is malformed; every other member is skipped (within the nesting bound).
 */
function members(struct: Element, dupBound: number, read: (tag: number, e: Element) => boolean, what: string): Set<number> {
    const seen = new Set<number>();
    for (const m of struct.children!) {
        const tag = contextTag(m);
        if (tag !== undefined && tag < dupBound) {
            if (seen.has(tag)) fail(`${what}: field ${tag} twice`);
            seen.add(tag);
        }
        if (tag === undefined || !read(tag, m)) skip(m, `${what} field ${tag ?? "(no context tag)"}`);
    }
    return seen;
}

function u16List(e: Element, what: string): number[] {
    if (e.type !== T.array) fail(`${what}: not an array`);
    return e.children!.map(x => {
        anonymous(x, what);
        return uint(x, 0xffffn, `${what} entry`);
    });
}

function iceServers(e: Element): IceServerRequest[] {
    if (e.type !== T.array) fail("ICEServers: not an array");
    return e.children!.map(s => {
        anonymous(s, "ICEServers");
        if (s.type !== T.struct) fail("ICEServers: entry not a struct");
        const server: IceServerRequest = { urls: [], urlBytes: [] };
        const seen = members(s, 4, (tag, m) => {
            if (tag === 0) {
                if (m.type !== T.array) fail("URLs: not an array");
                for (const u of m.children!) {
                    anonymous(u, "URLs");
                    server.urls.push(text(u, "URL"));
                    server.urlBytes.push(stringData(u).length);
                }
            } else if (tag === 1) server.username = text(m, "Username");
            else if (tag === 2) server.credential = text(m, "Credential");
            else if (tag === 3) server.caid = uint(m, 0xffffn, "CAID");
            else return false;
            return true;
        }, "ICEServerStruct");
        if (!seen.has(0)) fail("ICEServerStruct: no URLs");
        return server;
    });
}

function decodeOffer(root: Element, isProvide: boolean): OfferRequest {
    const base = isProvide ? 2 : 0;
    const r: OfferRequest = { kind: "offer", sdpBytes: 0, policyBytes: 0 };
    const seen = members(root, 32, (tag, m) => {
        if (isProvide && tag === 0) r.sessionId = nullableU16(m, "WebRTCSessionID");
        else if (isProvide && tag === 1) {
            r.sdp = text(m, "SDP");
            r.sdpBytes = stringData(m).length;
        } else if (tag === base) r.streamUsage = uint(m, 0xffn, "StreamUsage");
        else if (tag === base + 1) r.endpoint = uint(m, 0xffffn, "OriginatingEndpointID");
        else if (tag === base + 2) r.videoId = nullableU16(m, "VideoStreamID");
        else if (tag === base + 3) r.audioId = nullableU16(m, "AudioStreamID");
        else if (tag === base + 4) r.iceServers = iceServers(m);
        else if (tag === base + 5) {
            r.policy = text(m, "ICETransportPolicy");
            r.policyBytes = stringData(m).length;
        } else if (tag === base + 6) r.metadata = bool(m, "MetadataEnabled");
        else if (tag === base + 8) r.videoList = u16List(m, "VideoStreams");
        else if (tag === base + 9) r.audioList = u16List(m, "AudioStreams");
        else return false;
        return true;
    }, "request");
    if (isProvide) {
        if (!seen.has(0) || !seen.has(1)) fail("ProvideOffer: no WebRTCSessionID or SDP");
        if (r.sessionId === null && (r.streamUsage === undefined || r.endpoint === undefined)) fail("new session: no StreamUsage or OriginatingEndpointID");
    } else if (r.streamUsage === undefined || r.endpoint === undefined) fail("SolicitOffer: no StreamUsage or OriginatingEndpointID");
    return r;
}

function decodeAnswer(root: Element): AnswerRequest {
    let sessionId = -1;
    let sdp = "";
    let sdpBytes = 0;
    const seen = members(root, 32, (tag, m) => {
        if (tag === 0) sessionId = uint(m, 0xffffn, "WebRTCSessionID");
        else if (tag === 1) {
            sdp = text(m, "SDP");
            sdpBytes = stringData(m).length;
        } else return false;
        return true;
    }, "ProvideAnswer");
    if (!seen.has(0) || !seen.has(1)) fail("ProvideAnswer: a mandatory field is missing");
    return { kind: "answer", sessionId, sdp, sdpBytes };
}

function candidate(c: Element): CandidateRequest {
    anonymous(c, "ICECandidates");
    if (c.type !== T.struct) fail("ICECandidates: entry not a struct");
    const out: CandidateRequest = { candidate: "", sdpMid: null, mline: null };
    const seen = members(c, 3, (tag, m) => {
        if (tag === 0) out.candidate = text(m, "Candidate");
        else if (tag === 1) out.sdpMid = m.type === T.null ? null : text(m, "SDPMid");
        else if (tag === 2) out.mline = nullableU16(m, "SDPMLineIndex");
        else return false;
        return true;
    }, "ICECandidateStruct");
    if (seen.size !== 3) fail("ICECandidateStruct: a mandatory field is missing");
    return out;
}

function decodeIce(root: Element): IceRequest {
    let sessionId = -1;
    let candidates: CandidateRequest[] = [];
    const seen = members(root, 32, (tag, m) => {
        if (tag === 0) sessionId = uint(m, 0xffffn, "WebRTCSessionID");
        else if (tag === 1) {
            if (m.type !== T.array) fail("ICECandidates: not an array");
            candidates = m.children!.map(candidate);
        } else return false;
        return true;
    }, "ProvideICECandidates");
    if (!seen.has(0) || !seen.has(1)) fail("ProvideICECandidates: a mandatory field is missing");
    return { kind: "ice", sessionId, candidates };
}

function decodeEnd(root: Element): EndRequest {
    let sessionId = -1;
    let reason = -1;
    const seen = members(root, 32, (tag, m) => {
        if (tag === 0) sessionId = uint(m, 0xffffn, "WebRTCSessionID");
        else if (tag === 1) reason = uint(m, 0xffn, "Reason");
        else return false;
        return true;
    }, "EndSession");
    if (!seen.has(0) || !seen.has(1)) fail("EndSession: a mandatory field is missing");
    return { kind: "end", sessionId, reason };
}

/** Decodes command `command`'s fields as the provider must; INVALID_COMMAND cases say why. */
export function decodeRequest(command: number, bytes: Uint8Array): Decoded {
    try {
        const parsed = parseElement(bytes);
        if (parsed === undefined) return { ok: false, why: "not TLV (truncated, reserved type, tagged end or unclosed)" };
        if (parsed.next !== bytes.length) return { ok: false, why: "bytes after the command's struct" };
        const root = parsed.element;
        if (root.type !== T.struct) return { ok: false, why: "not a struct" };
        switch (command) {
            case Command.SolicitOffer:
                return { ok: true, request: decodeOffer(root, false) };
            case Command.ProvideOffer:
                return { ok: true, request: decodeOffer(root, true) };
            case Command.ProvideAnswer:
                return { ok: true, request: decodeAnswer(root) };
            case Command.ProvideIceCandidates:
                return { ok: true, request: decodeIce(root) };
            case Command.EndSession:
                return { ok: true, request: decodeEnd(root) };
            default:
                return { ok: false, why: `no command 0x${command.toString(16)}` };
        }
    } catch (error) {
        if (error instanceof Malformed) return { ok: false, why: error.message };
        throw error;
    }
}
