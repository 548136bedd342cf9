/**
 * Wire helpers for the core unit tests: requests are encoded and responses decoded with
 * matter.js's own codecs for the Provider (0x0553) and Requestor (0x0554) clusters, so the tests
 * check the core against an independent TLV implementation. Also: a snapshot of everything a
 * refused command must leave untouched, and short-hands for the happy paths.
 */

import { expect } from "vitest";
import { TlvOfModel } from "@matter/main/types";
import { WebRtcTransportProvider as P } from "@matter/main/clusters/web-rtc-transport-provider";
import { WebRtcTransportRequestor as R } from "@matter/main/clusters/web-rtc-transport-requestor";
import { Action, Core, ProviderCommand, Status, StreamKind, type Decision } from "../../src/engine/index.js";

// ── codecs ───────────────────────────────────────────────────────────────────────────────────
const schemas = {
    solicit: TlvOfModel(P.commands.solicitOffer),
    solicitResp: TlvOfModel(P.commands.solicitOffer.schema.responseModel!),
    offer: TlvOfModel(P.commands.provideOffer),
    offerResp: TlvOfModel(P.commands.provideOffer.schema.responseModel!),
    answer: TlvOfModel(P.commands.provideAnswer),
    ice: TlvOfModel(P.commands.provideIceCandidates),
    end: TlvOfModel(P.commands.endSession),
    sessions: TlvOfModel(P.attributes.currentSessions),
    rOffer: TlvOfModel(R.commands.offer),
    rAnswer: TlvOfModel(R.commands.answer),
    rIce: TlvOfModel(R.commands.iceCandidates),
    rEnd: TlvOfModel(R.commands.end),
};

/** matter.js types its encoder output as a buffer source; the bytes are a Uint8Array at run time. */
export function u8(b: unknown): Uint8Array {
    if (b instanceof Uint8Array) return b;
    if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (b instanceof ArrayBuffer) return new Uint8Array(b);
    throw new TypeError("not bytes");
}
export function hex(text: string): Uint8Array {
    const clean = text.replace(/[\s_]/g, "");
    return Uint8Array.from(Buffer.from(clean, "hex"));
}
export function toHex(b: Uint8Array): string {
    return Buffer.from(b).toString("hex");
}
export function concat(...parts: Uint8Array[]): Uint8Array {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
        out.set(p, o);
        o += p.length;
    }
    return out;
}

export interface IceServerW {
    urLs: string[];
    username?: string;
    credential?: string;
    caid?: number;
}
export interface CandidateW {
    candidate: string;
    sdpMid: string | null;
    sdpmLineIndex: number | null;
}
export interface SolicitW {
    streamUsage?: number;
    originatingEndpointId?: number;
    videoStreamId?: number | null;
    audioStreamId?: number | null;
    iceServers?: IceServerW[];
    iceTransportPolicy?: string;
    metadataEnabled?: boolean;
    videoStreams?: number[];
    audioStreams?: number[];
}
export interface OfferW extends SolicitW {
    webRtcSessionId?: number | null;
    sdp?: string;
}
export interface SolicitRespW {
    webRtcSessionId: number;
    deferredOffer: boolean;
    videoStreamId?: number | null;
    audioStreamId?: number | null;
}
export interface OfferRespW {
    webRtcSessionId: number;
    videoStreamId?: number | null;
    audioStreamId?: number | null;
}
export interface SessionW {
    id: number;
    peerNodeId: bigint | number;
    peerEndpointId: number;
    streamUsage: number;
    videoStreamId?: number | null;
    audioStreamId?: number | null;
    metadataEnabled: boolean;
    videoStreams?: number[];
    audioStreams?: number[];
    fabricIndex: number;
}

export const SDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";

/** SolicitOffer fields: LiveView from endpoint 1 unless overridden (`undefined` removes a field). */
export function solicitTlv(fields: SolicitW = {}): Uint8Array {
    return u8(raw(schemas.solicit, prune({ streamUsage: 3, originatingEndpointId: 1, ...fields })));
}
/** ProvideOffer fields: a new session (null id) for LiveView from endpoint 1 unless overridden. */
export function offerTlv(fields: OfferW = {}): Uint8Array {
    return u8(raw(schemas.offer, prune({ webRtcSessionId: null, sdp: SDP, streamUsage: 3, originatingEndpointId: 1, ...fields })));
}
export function answerTlv(webRtcSessionId: number, sdp = SDP): Uint8Array {
    return u8(raw(schemas.answer, { webRtcSessionId, sdp }));
}
export function iceTlv(webRtcSessionId: number, iceCandidates: CandidateW[]): Uint8Array {
    return u8(raw(schemas.ice, { webRtcSessionId, iceCandidates }));
}
export function endTlv(webRtcSessionId: number, reason = 2): Uint8Array {
    return u8(raw(schemas.end, { webRtcSessionId, reason }));
}
/**
 * matter.js's `encode()` validates bounds first; `encodeInternal` writes the same bytes without
 * validating, so out-of-range values (StreamUsage 9, 11 ICE servers) reach the core's own checks.
 */
function raw(schema: { encodeInternal(value: unknown): unknown }, value: unknown): unknown {
    return schema.encodeInternal(value);
}
function prune<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export const decode = {
    solicitResp: (b: Uint8Array) => schemas.solicitResp.decode(b) as SolicitRespW,
    offerResp: (b: Uint8Array) => schemas.offerResp.decode(b) as OfferRespW,
    sessions: (b: Uint8Array) => schemas.sessions.decode(b) as SessionW[],
    offer: (b: Uint8Array) => schemas.rOffer.decode(b) as { webRtcSessionId: number; sdp: string },
    answer: (b: Uint8Array) => schemas.rAnswer.decode(b) as { webRtcSessionId: number; sdp: string },
    ice: (b: Uint8Array) => schemas.rIce.decode(b) as { webRtcSessionId: number; iceCandidates: CandidateW[] },
    end: (b: Uint8Array) => schemas.rEnd.decode(b) as { webRtcSessionId: number; reason: number },
};

// ── callers ──────────────────────────────────────────────────────────────────────────────────
export const FABRIC = 1;
export const PEER = 0x1122_3344_5566n;
export const Cmd = ProviderCommand;

// ── "nothing changed" ────────────────────────────────────────────────────────────────────────
/** Everything a refused command must leave as it was. */
export function tableState(core: Core) {
    const x = core.exports;
    return {
        sessions: core.sessions(),
        currentSessions: toHex(core.currentSessionsTlv(0)),
        video: core.streams(StreamKind.Video),
        audio: core.streams(StreamKind.Audio),
        pendingEnds: x.endPendingCount(),
        freeCandidateSlots: x.candFreeSlots(),
        nextId: x.nextId(),
        events: x.eventCount(),
    };
}

/** Runs phase 1 and expects it to refuse with `status`, leaving the table exactly as it was. */
export function expectRefused(core: Core, command: number, fields: Uint8Array, status: number, fabric = FABRIC, peer = PEER): void {
    const before = tableState(core);
    const d = core.decide(command, fields, fabric, peer);
    expect({ status: d.status, action: d.action }, `status 0x${d.status.toString(16)}`).toEqual({ status, action: 0 });
    expect(tableState(core)).toEqual(before);
    // not quiescent: a caller may refuse a command while another one's hook is running
    expect(core.selfCheck(false)).toBe(0);
}

/** Phase 1 that must succeed with `action`. */
export function expectDecided(core: Core, command: number, fields: Uint8Array, action: number, fabric = FABRIC, peer = PEER): Decision {
    const d = core.decide(command, fields, fabric, peer);
    expect({ status: d.status, action: d.action }, `status 0x${d.status.toString(16)}`).toEqual({ status: Status.Success, action });
    return d;
}

/** A SolicitOffer that goes through its hook and commits; returns the decoded response. */
export function solicitOk(
    core: Core,
    fields: SolicitW = {},
    opts: { fabric?: number; peer?: bigint; deferred?: boolean; now?: number } = {},
): SolicitRespW {
    const d = expectDecided(core, Cmd.SolicitOffer, solicitTlv(fields), Action.Hook, opts.fabric ?? FABRIC, opts.peer ?? PEER);
    expect(core.commitSolicitOffer(d.sessionId, opts.deferred ?? false, opts.now ?? 0)).toBe(Status.Success);
    const r = decode.solicitResp(core.response());
    expect(r.webRtcSessionId).toBe(d.sessionId);
    return r;
}

/** A ProvideOffer (new or re-offer) that goes through its hook and commits; returns the response. */
export function offerOk(core: Core, fields: OfferW = {}, opts: { fabric?: number; peer?: bigint } = {}): OfferRespW {
    const d = expectDecided(core, Cmd.ProvideOffer, offerTlv(fields), Action.Hook, opts.fabric ?? FABRIC, opts.peer ?? PEER);
    expect(core.commitProvideOffer(d.sessionId)).toBe(Status.Success);
    const r = decode.offerResp(core.response());
    expect(r.webRtcSessionId).toBe(d.sessionId);
    return r;
}

/** Ids of the rows CurrentSessions reports for `fabric` (0: all), decoded by matter.js. */
export function currentIds(core: Core, fabric = 0): number[] {
    return decode.sessions(core.currentSessionsTlv(fabric)).map(s => s.id);
}

export { Action, Status, StreamKind };
