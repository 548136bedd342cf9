/**
 * `matter-webrtc-provider/relay`: the relay server (Node). It serves a page and carries that
 * page's Matter UDP/TCP (and mDNS) over one token-protected WebSocket per node, for runtimes that
 * have no sockets of their own. It never parses Matter payloads; the Origin, port and rate
 * limits are `PolicyOptions` / `RelayLimits`.
 *
 * ```ts
 * const relay = await startRelay({ port: 8080, staticDir: "dist" });
 * console.log(relay.pageUrl);          // carries the token
 * ```
 *
 * @module matter-webrtc-provider/relay
 */

export { startRelay, type Relay, type RelayOptions, type RelayStats, type RelayTls } from "./server.js";
export { CloseCode, type SessionStats } from "./client-session.js";
export {
    DEFAULT_LIMITS,
    DEFAULT_MATTER_PORTS,
    MDNS_PORT,
    MIN_LEARNED_PORT,
    type PolicyOptions,
    type PortRange,
    type RelayLimits,
    type RelayPolicy,
    type Verdict,
} from "./policy.js";
