/**
 * The engine: a typed TypeScript facade over the fixed-memory WebRTC provider core.
 *
 * `Core` wraps one WASM instance; `WebRtcEngine` adds the async command path around the
 * `WebRtcHooks` media contract and the outbound queue with its drain loop; `MediaHost` is the
 * simpler contract a WebRTC stack implements, which `MediaHostHooks` turns into those hooks. Nothing here imports
 * Node or browser APIs beyond web-standard globals (WebAssembly, TextEncoder, fetch), so the same
 * code runs in Node, a Web Worker and the page.
 *
 * @module matter-webrtc-provider/engine
 */

export * from "./types.js";
export * from "./status.js";
export type { IceCandidateSink, OutboundSignal, SinkResult, WebRtcHooks } from "./hooks.js";
export { Action, Core, type Capacities, type CandidateAdmission, type Decision, type StreamContext } from "./core.js";
export { WebRtcEngine, type EngineOptions, type InvokeResult, type OutboundTransport } from "./engine.js";
export { MediaHostHooks, type MediaEvents, type MediaHost, type MediaSnapshot } from "./media-host.js";
export { compileCore, instantiateCore, isProfile, profileUrl, PROFILES, type CoreSource, type Profile } from "./loader.js";
export type { CoreExports } from "./exports.js";
