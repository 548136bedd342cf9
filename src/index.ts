/**
 * matter-webrtc-provider: a Matter camera's WebRTC Transport Provider (0x0553) and Camera AV
 * Stream Management (0x0551) for matter.js, driven by the rs-matter handler ported to a
 * fixed-memory WebAssembly core.
 *
 * This entry point is the matter.js side, the same in Node, Deno, Bun, a Web Worker and a page:
 *
 * - {@link CameraNode}: a ready camera node (device type 0x0142) around a media host;
 * - {@link WebRtcService} + {@link WebRtcProviderServer} + {@link CameraAvStreamServer}: the same
 *   pieces for a node and an endpoint of one's own;
 * - {@link MediaHost}: the contract a WebRTC stack implements (one peer per Matter session), with
 *   the types it sees. Ready hosts: `NodeMediaHost` (`matter-webrtc-provider/node`) and
 *   `BrowserMediaHost` (`matter-webrtc-provider/browser`).
 *
 * The engine and the core themselves are `matter-webrtc-provider/engine`.
 *
 * @module matter-webrtc-provider
 */

export { CAMERA_ENDPOINT, CameraNode, type CameraNodeOptions } from "./matter/camera-node.js";
export { WebRtcService, type WebRtcServiceOptions } from "./matter/webrtc-service.js";
export { WebRtcProviderServer } from "./matter/webrtc-provider-server.js";
export {
    CameraAvStreamServer,
    MAX_SNAPSHOT_BYTES,
    type SnapshotStreamModifyRequest,
    type ReferenceSource,
    type SnapshotImage,
    type SnapshotSource,
} from "./matter/camera-av-stream-management.js";
export type { RequestorTransportOptions } from "./matter/requestor-transport.js";
export { FORBIDDEN_PASSCODES } from "./matter/options.js";
export {
    EndReason,
    PROFILES,
    StreamKind,
    StreamUsage,
    WebRtcEngine,
    type CoreSource,
    type IceCandidate,
    type IceServer,
    type MediaEvents,
    type MediaHost,
    type MediaSnapshot,
    type OfferParams,
    type OutboundWork,
    type Profile,
    type RemovalCause,
} from "./engine/index.js";
