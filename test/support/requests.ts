/**
 * Compatibility names for test/hardening/soak.test.ts, which predates the single codec module:
 * its five request encoders, spelled the old way (SolicitOffer and ProvideOffer ask for
 * auto-selected streams unless told otherwise). Holds no codec of its own — every byte comes
 * from wire.ts. New tests import wire.ts.
 */

import { AUTO_STREAMS, answerTlv, endTlv, iceTlv, offerTlv, solicitTlv, type CandidateFields, type OfferFields, type SolicitFields } from "./wire.js";

export const solicitOffer = (fields: SolicitFields = {}): Uint8Array => solicitTlv({ ...AUTO_STREAMS, ...fields });
export const provideOffer = (sdp: string, fields: OfferFields = {}): Uint8Array => offerTlv({ ...AUTO_STREAMS, sdp, ...fields });
export const provideAnswer = (webRtcSessionId: number, sdp: string): Uint8Array => answerTlv(webRtcSessionId, sdp);
export const provideIceCandidates = (webRtcSessionId: number, candidates: CandidateFields[]): Uint8Array => iceTlv(webRtcSessionId, candidates);
export const endSession = (webRtcSessionId: number, reason: number): Uint8Array => endTlv(webRtcSessionId, reason);
