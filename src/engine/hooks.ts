/**
 * The `WebRtcHooks` contract: rs-matter's media-plane trait, in TypeScript and async.
 *
 * The engine (with the WASM core) owns the session table and every Matter decision; a hooks
 * implementation owns the WebRTC peers and media (an RTCPeerConnection in the browser,
 * node-datachannel in Node). Inbound hooks run after the core accepted a command and before it is
 * committed: throwing fails the command (a {@link WebRtcError} chooses the status, anything else
 * is FAILURE) and the table stays as it was. Outbound data is pulled: the hooks call
 * {@link OutboundSignal} when they have an Offer, Answer or candidates ready, and the engine then
 * asks `take*` for it exactly once and encodes it once.
 *
 * Differences from rs-matter, on purpose: `onEndSession` is called for every way a session ends
 * (so peers are always closed), and candidates refused by a full batch are kept by the hook for
 * the next one instead of being dropped.
 */

import type { EndReason, IceCandidate, OfferParams, OutboundWork, RemovalCause, SolicitOutcome } from "./types.js";

/** Result of offering one candidate to the outbound batch. */
export type SinkResult =
    /** Taken into the batch. */
    | "accepted"
    /** The batch is full: keep this candidate (and the ones after it) for the next batch. */
    | "full"
    /** It can never be sent (longer than CAND_LEN, or its session is gone): drop it. */
    | "rejected";

/** The outbound batch that `takeIceCandidates` fills, one candidate at a time. */
export interface IceCandidateSink {
    /** Offers one local candidate to the batch; the result says whether to go on, keep it, or drop it. */
    push(candidate: IceCandidate): SinkResult;
}

/**
 * The media plane as the engine sees it (rs-matter's media trait): inbound hooks run between a
 * command's decision and its commit, outbound data is taken once after an {@link OutboundSignal}.
 * Most hosts implement the simpler {@link MediaHost} instead, which {@link MediaHostHooks} adapts.
 */
export interface WebRtcHooks {
    /** A SolicitOffer was accepted for `sessionId`: start producing an Offer. */
    onSolicitOffer(sessionId: number, params: OfferParams): Promise<SolicitOutcome> | SolicitOutcome;
    /** A ProvideOffer (new or re-offer) was accepted: apply `sdp` and produce an Answer. */
    onOffer(sessionId: number, sdp: string, params: OfferParams): Promise<void> | void;
    /** The controller answered the Offer this camera sent. */
    onAnswer(sessionId: number, sdp: string): Promise<void> | void;
    /** Remote trickle candidates. */
    onIceCandidates(sessionId: number, candidates: IceCandidate[]): Promise<void> | void;
    /** The session is gone from the table: close its peer and release its media. */
    onEndSession(sessionId: number, reason: EndReason, cause: RemovalCause): Promise<void> | void;
    /** The Offer signalled for `sessionId`, taken once. */
    takeOfferSdp(sessionId: number): Promise<string> | string;
    /** The Answer signalled for `sessionId`, taken once. */
    takeAnswerSdp(sessionId: number): Promise<string> | string;
    /**
     * Moves waiting local candidates of `sessionId` into `sink`, oldest first, stopping at the
     * first "full" (that candidate stays with the hook). Returns true when candidates remain.
     */
    takeIceCandidates(sessionId: number, sink: IceCandidateSink): Promise<boolean> | boolean;
    /**
     * Outbound work of `sessionId` reached the controller (`delivered`), or was given up. The Node
     * host lets ICE start only once its Answer was delivered, so the controller has the Answer
     * before connectivity checks and DTLS arrive.
     */
    onOutboundDone?(sessionId: number, kind: OutboundWork["kind"], delivered: boolean): void;
}

/** How hooks tell the engine that outbound work is ready (rs-matter's `next_outbound`). */
export interface OutboundSignal {
    /** The Offer for `sessionId` is ready: the engine takes it with `takeOfferSdp` and sends it. */
    offerReady(sessionId: number): void;
    /** The Answer for `sessionId` is ready: the engine takes it with `takeAnswerSdp` and sends it. */
    answerReady(sessionId: number): void;
    /** Local candidates of `sessionId` wait: the engine takes them with `takeIceCandidates` in batches. */
    iceCandidatesReady(sessionId: number): void;
    /** The media plane ends a session (peer failed, source lost): End is sent, the row removed. */
    endSession(sessionId: number, reason: EndReason): void;
}
