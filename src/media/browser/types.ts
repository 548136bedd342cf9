/**
 * The plain-data surface between the page's media plane and the worker that runs the Matter node.
 *
 * Everything that crosses here is structured-clone data (numbers, strings, arrays, plain objects,
 * bigint, Uint8Array): no class instances, no callbacks except the ones wrapped in
 * `Comlink.proxy`. The worker calls {@link MediaHostApi} (the page's `BrowserMediaHost`); the page
 * calls {@link MediaEvents} back (the worker-side adapter, which forwards to the engine).
 *
 * Unlike the in-process `WebRtcHooks`, SDPs come back as the hook's return value and candidates are
 * taken as arrays: a cross-thread call cannot push into the engine's synchronous candidate sink, so
 * the worker-side adapter keeps what a full batch refused.
 */

import type { EndReason, IceCandidate, OfferParams, RemovalCause } from "../../engine/types.js";

export type { EndReason, IceCandidate, OfferParams, RemovalCause };

/** Where the video comes from. */
export type SourceKind = "pattern" | "webcam";

/** Calls from the worker into the page (one RTCPeerConnection per Matter session). */
export interface MediaHostApi {
    /** Gives the page the worker's callbacks (a `Comlink.proxy`); replaces earlier ones. */
    attachEvents(events: MediaEvents): void;
    /** SolicitOffer: the page becomes the offerer; resolves with its Offer (trickle ICE follows). */
    solicitOffer(sessionId: number, params: OfferParams): Promise<{ sdp: string }>;
    /** ProvideOffer (new session or re-offer): the page answers; resolves with its Answer. */
    offer(sessionId: number, sdp: string, params: OfferParams): Promise<{ sdp: string }>;
    /** The controller's Answer to the page's Offer. */
    answer(sessionId: number, sdp: string): Promise<void>;
    /** Remote candidates; buffered until the remote description is set. */
    addRemoteCandidates(sessionId: number, candidates: IceCandidate[]): Promise<void>;
    /** Local candidates gathered since the last call, oldest first (the page forgets them). */
    takeLocalCandidates(sessionId: number): IceCandidate[];
    /** The session is gone: close its peer. Unknown ids are ignored. */
    end(sessionId: number, reason: EndReason, cause: RemovalCause): void;
    /** Closes every peer (the node stopped). */
    closeAll(why: string): void;
    /** A JPEG of the current video frame at exactly `width`×`height` (default: the source's size), JPEG quality 1–100 (default 85). */
    snapshot(width?: number, height?: number, quality?: number): Promise<SnapshotData>;
}

/** Calls from the page into the worker. */
export interface MediaEvents {
    /** New local candidates wait for `takeLocalCandidates`. */
    candidatesReady(sessionId: number): void;
    /** The page's peer failed or closed by itself: the session must end. */
    sessionFailed(sessionId: number, reason: EndReason, why: string): void;
    /** One line for the page's log (the page logs it itself too). */
    log?(line: string): void;
}

export interface SnapshotData {
    data: Uint8Array;
    width: number;
    height: number;
    mimeType: string;
}

export type PeerRole = "offerer" | "answerer";

/** What one session's RTCPeerConnection is doing, from `getStats()`. */
export interface BrowserSessionStats {
    sessionId: number;
    role: PeerRole;
    connectionState: RTCPeerConnectionState;
    iceConnectionState: RTCIceConnectionState;
    iceGatheringState: RTCIceGatheringState;
    signalingState: RTCSignalingState;
    /** outbound-rtp (video) */
    framesSent: number;
    framesEncoded: number;
    keyFramesEncoded: number;
    bytesSent: number;
    packetsSent: number;
    frameWidth: number;
    frameHeight: number;
    framesPerSecond: number;
    /** Video send rate over the last stats interval, kbit/s. */
    bitrateKbps: number;
    codec: string;
    encoderImplementation: string;
    audioPacketsSent: number;
    /** "local ↔ remote" of the selected candidate pair. */
    selectedPair: string;
    localCandidatesWaiting: number;
    remoteCandidatesBuffered: number;
    /** Date.now() when the peer was created / first reported framesSent > 0. */
    createdAt: number;
    firstFrameAt: number | undefined;
}

/** One notable media event, for the page's log. */
export interface MediaLogEntry {
    at: number;
    sessionId: number | undefined;
    text: string;
}
