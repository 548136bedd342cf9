/**
 * `matter-webrtc-provider/browser`: a browser tab as a Matter camera in a page of one's own.
 *
 * - {@link BrowserCamera} starts this package's camera worker (matter.js node, WASM core,
 *   IndexedDB storage, the relay's WebSocket network) and keeps it running;
 * - `BrowserMediaHost` (one RTCPeerConnection per Matter session, on the main thread) and its
 *   sources (`openWebcam`, `openTestPattern`);
 * - the worker's API and status types (`CameraStatus`, `StartOptions`, ...).
 *
 * The page needs the relay (`npx matter-webrtc-provider relay`, or `startRelay` from
 * `matter-webrtc-provider/relay`) for its Matter UDP/TCP, and a secure context (https or
 * localhost) for WebCrypto.
 *
 * @module matter-webrtc-provider/browser
 */

export { BrowserCamera, checkStartOptions, type BrowserCameraOptions } from "./browser-camera.js";
export type {
    CameraState,
    CameraStatus,
    CameraWorkerApi,
    CoreProfile,
    FabricInfo,
    PairingInfo,
    PrivacyState,
    PrivacySwitch,
    SessionEndInfo,
    SessionRow,
    SnapshotResult,
    StartOptions,
    WorkerEvents,
} from "./protocol.js";
export * from "../src/media/browser/index.js";
