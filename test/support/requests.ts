/**
 * Provider command fields encoded, and provider responses / Requestor invokes decoded, with the
 * matter.js codecs of clusters 0x0553 and 0x0554 — so engine tests speak the real wire format and
 * never the core's own encoder.
 */

import { TlvOfModel } from "@matter/main/types";
import { WebRtcTransportProvider as P } from "@matter/main/clusters/web-rtc-transport-provider";
import { WebRtcTransportRequestor as R } from "@matter/main/clusters/web-rtc-transport-requestor";
import { RequestorCommand, type OutboundInvoke } from "../../src/engine/index.js";

const solicitTlv = TlvOfModel(P.commands.solicitOffer);
const solicitResponseTlv = TlvOfModel(P.commands.solicitOffer.schema.responseModel!);
const provideOfferTlv = TlvOfModel(P.commands.provideOffer);
const provideOfferResponseTlv = TlvOfModel(P.commands.provideOffer.schema.responseModel!);
const provideAnswerTlv = TlvOfModel(P.commands.provideAnswer);
const provideIceTlv = TlvOfModel(P.commands.provideIceCandidates);
const endSessionTlv = TlvOfModel(P.commands.endSession);
const offerTlv = TlvOfModel(R.commands.offer);
const answerTlv = TlvOfModel(R.commands.answer);
const iceTlv = TlvOfModel(R.commands.iceCandidates);
const endTlv = TlvOfModel(R.commands.end);

/** Request fields as a test writes them: every field optional, endpoint numbers as plain numbers. */
export type Fields<T> = { [K in keyof T]?: K extends "originatingEndpointId" ? number : T[K] };

function u8(bytes: AllowSharedBufferSource): Uint8Array {
    return ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
}

/** SolicitOffer: LiveView from endpoint 1 with auto-selected video and audio unless overridden. */
export function solicitOffer(fields: Fields<P.SolicitOfferRequest> = {}): Uint8Array {
    return u8(solicitTlv.encode({ streamUsage: 3, originatingEndpointId: 1, videoStreamId: null, audioStreamId: null, ...fields }));
}

/** ProvideOffer for a new session (webRtcSessionId null) unless overridden. */
export function provideOffer(sdp: string, fields: Fields<P.ProvideOfferRequest> = {}): Uint8Array {
    return u8(provideOfferTlv.encode({
        webRtcSessionId: null,
        sdp,
        streamUsage: 3,
        originatingEndpointId: 1,
        videoStreamId: null,
        audioStreamId: null,
        ...fields,
    }));
}

export function provideAnswer(webRtcSessionId: number, sdp: string): Uint8Array {
    return u8(provideAnswerTlv.encode({ webRtcSessionId, sdp }));
}

export interface WireCandidate {
    candidate: string;
    sdpMid: string | null;
    sdpmLineIndex: number | null;
}

export function provideIceCandidates(webRtcSessionId: number, iceCandidates: WireCandidate[]): Uint8Array {
    return u8(provideIceTlv.encode({ webRtcSessionId, iceCandidates }));
}

export function endSession(webRtcSessionId: number, reason: number): Uint8Array {
    return u8(endSessionTlv.encode({ webRtcSessionId, reason }));
}

export function decodeSolicitResponse(bytes: Uint8Array | undefined): P.SolicitOfferResponse {
    if (bytes === undefined) throw new Error("no SolicitOfferResponse");
    return solicitResponseTlv.decode(bytes) as P.SolicitOfferResponse;
}

export function decodeProvideOfferResponse(bytes: Uint8Array | undefined): P.ProvideOfferResponse {
    if (bytes === undefined) throw new Error("no ProvideOfferResponse");
    return provideOfferResponseTlv.decode(bytes) as P.ProvideOfferResponse;
}

export function decodeOffer(invoke: OutboundInvoke): R.OfferRequest {
    if (invoke.command !== RequestorCommand.Offer) throw new Error(`command ${invoke.command} is not Offer`);
    return offerTlv.decode(invoke.fields) as R.OfferRequest;
}

export function decodeAnswer(invoke: OutboundInvoke): R.AnswerRequest {
    if (invoke.command !== RequestorCommand.Answer) throw new Error(`command ${invoke.command} is not Answer`);
    return answerTlv.decode(invoke.fields) as R.AnswerRequest;
}

export function decodeIceCandidates(invoke: OutboundInvoke): R.IceCandidatesRequest {
    if (invoke.command !== RequestorCommand.IceCandidates) throw new Error(`command ${invoke.command} is not ICECandidates`);
    return iceTlv.decode(invoke.fields) as R.IceCandidatesRequest;
}

export function decodeEnd(invoke: OutboundInvoke): R.EndRequest {
    if (invoke.command !== RequestorCommand.End) throw new Error(`command ${invoke.command} is not End`);
    return endTlv.decode(invoke.fields) as R.EndRequest;
}

export { P, R };
