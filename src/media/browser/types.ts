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
import type { EndReason, IceCandidate, OfferParams, OutboundWork, RemovalCause } from "../../engine/types.js";

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
    /** Outbound work reached the controller or was given up (the page ends a refused session after its Answer). */
    delivered(sessionId: number, kind: OutboundWork["kind"], delivered: boolean): void;
    snapshot(resolution?: { width: number; height: number }, quality?: number): Promise<SnapshotData>;
}

/** An encoded image of the page's current frame. */
export interface SnapshotData {
    /** The encoded image. */
    data: Uint8Array;
    /** Width in pixels. */
    width: number;
    /** Height in pixels. */
    height: number;
    /** The image's MIME type (`image/jpeg`). */
    mimeType: string;
}



/** What one session's RTCPeerConnection is doing, from `getStats()`. */
export interface BrowserSessionStats {
    /** The Matter WebRTC session. */
    sessionId: number;
    /** Whether the camera made the Offer or answered the controller's. */
    role: PeerRole;
    /** The RTCPeerConnection's `connectionState`. */
    connectionState: RTCPeerConnectionState;
    /** The RTCPeerConnection's `iceConnectionState`. */
    iceConnectionState: RTCIceConnectionState;
    /** The RTCPeerConnection's `iceGatheringState`. */
    iceGatheringState: RTCIceGatheringState;
    /** The RTCPeerConnection's `signalingState`. */
    signalingState: RTCSignalingState;
    /** Video frames sent (outbound-rtp, like the video fields after it). */
    framesSent: number;
    /** Video frames the encoder produced. */
    framesEncoded: number;
    /** Key frames the encoder produced. */
    keyFramesEncoded: number;
    /** Video bytes sent. */
    bytesSent: number;
    /** Video RTP packets sent. */
    packetsSent: number;
    /** Width of the frames being sent. */
    frameWidth: number;
    /** Height of the frames being sent. */
    frameHeight: number;
    /** Frames per second being sent. */
    framesPerSecond: number;
    /** Video send rate over the last stats interval, kbit/s. */
    bitrateKbps: number;
    /** The video codec's MIME type (e.g. `video/H264`). */
    codec: string;
    /** The encoder in use (e.g. a hardware or a software one), as the browser names it. */
    encoderImplementation: string;
    /** Audio RTP packets sent. */
    audioPacketsSent: number;
    /** "local ↔ remote" of the selected candidate pair. */
    selectedPair: string;
    /** Local ICE candidates gathered and not yet taken by the engine. */
    localCandidatesWaiting: number;
    /** Remote ICE candidates held until the peer can use them. */
    remoteCandidatesBuffered: number;
    /** Date.now() when the peer was created / first reported framesSent > 0. */
    createdAt: number;
    /** Date.now() when the first video frame was sent; undefined until then. */
    firstFrameAt: number | undefined;
}

/** One notable media event, for the page's log. */
export interface MediaLogEntry {
    /** Date.now() when it happened. */
    at: number;
    /** The session it concerns, if any. */
    sessionId: number | undefined;
    /** What happened, in plain words. */
    text: string;
}
