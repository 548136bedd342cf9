/**
 * The plain-data surface between the page's media plane and the worker that runs the Matter node.
 *
 * Everything that crosses here is structured-clone data (numbers, strings, arrays, plain objects,
 * bigint, Uint8Array): no class instances, no callbacks except the ones wrapped in
 * `Comlink.proxy`. The worker calls {@link MediaHostApi} (the page's `BrowserMediaHost`, the
 * engine's `MediaHost` contract); the page calls the engine's `MediaEvents` back.
 */

import type { MediaEvents, MediaHost } from "../../engine/media-host.js";
import type { PeerRole } from "../media-sessions.js";
import type { EndReason, IceCandidate, OfferParams, RemovalCause } from "../../engine/types.js";

export type { EndReason, IceCandidate, MediaEvents, OfferParams, PeerRole, RemovalCause };

/** Where the video comes from. */
export type SourceKind = "pattern" | "webcam";

/**
 * What the worker calls on the page: the engine's `MediaHost` contract (one RTCPeerConnection per
 * Matter session, plain data both ways), plus closing everything when the node stops.
 */
export interface MediaHostApi extends MediaHost {
    /** Closes every peer (the node stopped). */
    closeAll(why: string): void;
    snapshot(resolution?: { width: number; height: number }, quality?: number): Promise<SnapshotData>;
}

export interface SnapshotData {
    data: Uint8Array;
    width: number;
    height: number;
    mimeType: string;
}



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
