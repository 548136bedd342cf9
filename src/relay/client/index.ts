/**
 * `matter-webrtc-provider/relay-client`: matter.js's `Network` over the relay's WebSocket, for a
 * node in a runtime without sockets (a Web Worker, a page, an edge runtime). Give it to the node's
 * environment (`env.set(Network, network)`); when the relay goes away `closed` resolves and the
 * application starts its node again on a fresh network (`connectWithBackoff`).
 *
 * @module matter-webrtc-provider/relay-client
 */

export {
    RelayClosedError,
    RelayRequestError,
    WebSocketNetwork,
    type RelayCloseInfo,
    type WebSocketConstructor,
    type WebSocketLike,
    type WebSocketNetworkOptions,
} from "./websocket-network.js";
export type { ErrorCode } from "../protocol.js";
export { backoffDelay } from "./backoff.js";
export { connectWithBackoff, type BackoffOptions } from "./reconnect.js";
