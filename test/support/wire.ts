/**
 * The one TLV codec module of the core, engine and vector tests: WebRTC Transport Provider
 * (0x0553) command fields encoded, and Provider responses, CurrentSessions and Requestor (0x0554)
 * invokes decoded, with matter.js's own codecs — so every test checks the core against an
 * independent TLV implementation, never against the core's own encoder.
 *
 * Encoders fill in only the fields a command cannot go without (StreamUsage LiveView and
 * OriginatingEndpointID 1; a new session's null id and a minimal SDP): a test names every stream
 * field it sends (`AUTO_STREAMS` asks for auto-selection). They skip matter.js's bound checks
 * (`encodeInternal`), so out-of-range values (StreamUsage 9, 11 ICE servers) reach the core's own
 * checks; a field set to `undefined` is left out. Decoders throw on missing bytes or on an invoke
 * of another command. Limits: hand-made malformed TLV is written as hex (`hex`), not here.
 */

import { TlvOfModel } from "@matter/main/types";
import { WebRtcTransportProvider as Provider } from "@matter/main/clusters/web-rtc-transport-provider";
import { WebRtcTransportRequestor as Requestor } from "@matter/main/clusters/web-rtc-transport-requestor";
import { RequestorCommand, type OutboundInvoke } from "../../src/engine/index.js";
import { concatBytes, fromHex, toHex } from "../vectors/format.js";

// ── the fields, as matter.js names them ────────────────────────────────────────────────────────
export interface IceServerFields {
    urLs: string[];
    username?: string;
    credential?: string;
    caid?: number;
}
export interface CandidateFields {
    candidate: string;
    sdpMid: string | null;
    sdpmLineIndex: number | null;
}
/** SolicitOffer fields; ProvideOffer adds the session id and the SDP. */
export interface SolicitFields {
    streamUsage?: number;
    originatingEndpointId?: number;
    videoStreamId?: number | null;
    audioStreamId?: number | null;
    iceServers?: IceServerFields[];
    iceTransportPolicy?: string;
    metadataEnabled?: boolean;
    videoStreams?: number[];
    audioStreams?: number[];
}
export interface OfferFields extends SolicitFields {
    webRtcSessionId?: number | null;
    sdp?: string;
}
export interface SolicitResponse {
    webRtcSessionId: number;
    deferredOffer: boolean;
    videoStreamId?: number | null;
    audioStreamId?: number | null;
}
export interface OfferResponse {
    webRtcSessionId: number;
    videoStreamId?: number | null;
    audioStreamId?: number | null;
}
/** One WebRTCSessionStruct of CurrentSessions. */
export interface SessionRow {
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
/** The fields of the Requestor's Offer and Answer commands. */
export interface SdpInvokeFields {
    webRtcSessionId: number;
    sdp: string;
}
export interface IceInvokeFields {
    webRtcSessionId: number;
    iceCandidates: CandidateFields[];
}
export interface EndInvokeFields {
    webRtcSessionId: number;
    reason: number;
}

// ── codecs ───────────────────────────────────────────────────────────────────────────────────
const codecs = {
    solicitOffer: TlvOfModel(Provider.commands.solicitOffer),
    solicitOfferResponse: TlvOfModel(Provider.commands.solicitOffer.schema.responseModel!),
    provideOffer: TlvOfModel(Provider.commands.provideOffer),
    provideOfferResponse: TlvOfModel(Provider.commands.provideOffer.schema.responseModel!),
    provideAnswer: TlvOfModel(Provider.commands.provideAnswer),
    provideIceCandidates: TlvOfModel(Provider.commands.provideIceCandidates),
    endSession: TlvOfModel(Provider.commands.endSession),
    currentSessions: TlvOfModel(Provider.attributes.currentSessions),
    offer: TlvOfModel(Requestor.commands.offer),
    answer: TlvOfModel(Requestor.commands.answer),
    iceCandidates: TlvOfModel(Requestor.commands.iceCandidates),
    end: TlvOfModel(Requestor.commands.end),
};
/** A payload kind matter.js can decode and encode. */
export type WireKind = keyof typeof codecs;
type Codec = (typeof codecs)[WireKind];

/** matter.js types its encoder output as a buffer source; the bytes are a Uint8Array at run time. */
function u8(bytes: AllowSharedBufferSource): Uint8Array {
    return ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
}
/** Encodes without matter.js's bound checks, leaving out the fields set to `undefined`. */
function encodeUnchecked(codec: Codec, fields: object): Uint8Array {
    return u8(codec.encodeInternal(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))));
}

// ── requests ─────────────────────────────────────────────────────────────────────────────────
/** A minimal session description (the core treats SDPs as opaque UTF-8). */
export const SDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
/** Both stream ids null: the core auto-selects one stream of each kind. */
export const AUTO_STREAMS = { videoStreamId: null, audioStreamId: null } as const;

/** SolicitOffer: LiveView from endpoint 1 unless overridden; no stream field unless given. */
export function solicitTlv(fields: SolicitFields = {}): Uint8Array {
    return encodeUnchecked(codecs.solicitOffer, { streamUsage: 3, originatingEndpointId: 1, ...fields });
}
/** ProvideOffer: a new session (null id) for LiveView from endpoint 1 with `SDP` unless overridden. */
export function offerTlv(fields: OfferFields = {}): Uint8Array {
    return encodeUnchecked(codecs.provideOffer, { webRtcSessionId: null, sdp: SDP, streamUsage: 3, originatingEndpointId: 1, ...fields });
}
export function answerTlv(webRtcSessionId: number, sdp = SDP): Uint8Array {
    return encodeUnchecked(codecs.provideAnswer, { webRtcSessionId, sdp });
}
export function iceTlv(webRtcSessionId: number, iceCandidates: CandidateFields[]): Uint8Array {
    return encodeUnchecked(codecs.provideIceCandidates, { webRtcSessionId, iceCandidates });
}
/** EndSession, reason UserHangup (2) unless given. */
export function endTlv(webRtcSessionId: number, reason = 2): Uint8Array {
    return encodeUnchecked(codecs.endSession, { webRtcSessionId, reason });
}

// ── responses and invokes ────────────────────────────────────────────────────────────────────
function present(bytes: Uint8Array | undefined, what: string): Uint8Array {
    if (bytes === undefined) throw new Error(`no ${what}`);
    return bytes;
}
/** The fields of `source`: the bytes themselves, or an invoke's fields if it is `command`. */
function invokeFields(source: Uint8Array | OutboundInvoke, command: RequestorCommand): Uint8Array {
    if (source instanceof Uint8Array) return source;
    if (source.command !== command) throw new Error(`invoke of command ${source.command} is not command ${command}`);
    return source.fields;
}

export const decode = {
    solicitResponse: (bytes: Uint8Array | undefined) => codecs.solicitOfferResponse.decode(present(bytes, "SolicitOfferResponse")) as SolicitResponse,
    offerResponse: (bytes: Uint8Array | undefined) => codecs.provideOfferResponse.decode(present(bytes, "ProvideOfferResponse")) as OfferResponse,
    currentSessions: (bytes: Uint8Array) => codecs.currentSessions.decode(bytes) as SessionRow[],
    offer: (source: Uint8Array | OutboundInvoke) => codecs.offer.decode(invokeFields(source, RequestorCommand.Offer)) as SdpInvokeFields,
    answer: (source: Uint8Array | OutboundInvoke) => codecs.answer.decode(invokeFields(source, RequestorCommand.Answer)) as SdpInvokeFields,
    iceCandidates: (source: Uint8Array | OutboundInvoke) =>
        codecs.iceCandidates.decode(invokeFields(source, RequestorCommand.IceCandidates)) as IceInvokeFields,
    end: (source: Uint8Array | OutboundInvoke) => codecs.end.decode(invokeFields(source, RequestorCommand.End)) as EndInvokeFields,
};

/**
 * matter.js's reading of `bytes` as `kind`, after checking that matter.js encodes that value to
 * exactly these bytes again (throws if not): the core wrote what matter.js would have written.
 */
export function decodeCanonical(kind: WireKind, bytes: Uint8Array): unknown {
    const codec = codecs[kind];
    const value = codec.decode(bytes);
    const again = toHex(u8(codec.encode(value)));
    if (again !== toHex(bytes)) throw new Error(`${kind}: matter.js re-encodes ${toHex(bytes)} as ${again}`);
    return value;
}

// ── bytes ────────────────────────────────────────────────────────────────────────────────────
/** Hex (spaces and underscores ignored) to bytes. */
export const hex = fromHex;
export { toHex };
export const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);
