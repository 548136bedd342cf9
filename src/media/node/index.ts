/**
 * The Node media plane: node-datachannel PeerConnections that implement the engine's
 * `WebRtcHooks`, and the H.264 source they stream.
 *
 * - {@link NodeMediaHost}: one PeerConnection per Matter session, offerer (SolicitOffer) or
 *   answerer (ProvideOffer), trickle ICE both ways, H.264 video plus Opus silence.
 * - {@link VideoSource} / {@link H264Clip} / {@link testPatternClip}: pre-encoded Annex-B H.264,
 *   looped per session from a keyframe; the committed fixture is a 320×240 20 fps test pattern.
 * - `h264` and `sdp` helpers: Annex-B access-unit splitting and the small SDP reading the host needs.
 *
 * Node only (it imports node-datachannel and node:fs). The process keeps running until the
 * application calls `nodeDataChannel.cleanup()` after closing its hosts.
 *
 * @module matter-webrtc-provider/node
 */

export { libdatachannelIceUrls, rtcIceServers } from "../ice-servers.js";
export {
    DEFAULT_RTCP_TIMEOUT_MS,
    NodeMediaHost,
    OFFER_FORMATS,
    type NodeMediaHostOptions,
    type NodeSessionStats,
    type PeerRole,
    type SnapshotProducer,
} from "./node-media-host.js";
export { ClipSnapshots, SnapshotBusyError, type ClipSnapshotsOptions, type Snapshot, type SnapshotRequestSize } from "./clip-snapshots.js";
export { H264Clip, TEST_PATTERN_PATH, testPatternClip, type VideoSource } from "./video-source.js";
export { releaseNodeDataChannel } from "./release.js";
export { NalType, accessUnits, isVcl, splitAnnexB, type H264AccessUnit, type NalUnit } from "./h264.js";
export { fmtpParameters, mediaSections, mLineIndexOf, type MediaDirection, type MediaSection, type RtpFormat } from "../sdp.js";
export {
    H264Sender,
    KEYFRAME_REQUEST_INTERVAL_MS,
    OPUS_SILENCE_20MS,
    OpusSilenceSender,
    summarizeRtcp,
    type RtcpSummary,
    type RtpStreamConfig,
    type SenderCounters,
} from "./senders.js";
