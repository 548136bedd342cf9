/**
 * The browser media plane: `BrowserMediaHost` (one RTCPeerConnection per Matter WebRTC session, on
 * the page's main thread) and its media sources (webcam, animated test pattern). The worker that
 * runs the Matter node reaches it over comlink through the plain-data `MediaHostApi`.
 *
 * Browser only (RTCPeerConnection, canvas, WebAudio, getUserMedia).
 */

export { BrowserMediaHost, browserCapabilities, h264Preferences, type BrowserMediaHostOptions } from "./browser-media-host.js";
export { rtcIceServers } from "../ice-servers.js";
export type { MediaCapabilities } from "../offer-plan.js";
export { MediaSourceError, openTestPattern, openWebcam, type CameraFacing, type MediaSourceHandle, type TestPatternOptions, type WebcamOptions } from "./media-source.js";
export type { BrowserSessionStats, MediaEvents, MediaHostApi, MediaLogEntry, PeerRole, SnapshotData, SourceKind } from "./types.js";
