/**
 * The controller's ICE servers (Matter ICEServerStruct: URLs, Username, Credential) and transport
 * policy, as each WebRTC stack takes them. TURN credentials are always passed on: a camera that
 * ignores them cannot be reached through the controller's relay.
 */

import type { IceServer } from "../engine/types.js";

/**
 * libdatachannel URLs: TURN credentials go into the URL (`turn:user:pass@host:port`,
 * percent-encoded; REST-API usernames contain ":"), as node-datachannel's own RTCPeerConnection
 * does. STUN URLs and TURN URLs without credentials pass unchanged.
 */
export function libdatachannelIceUrls(servers: readonly IceServer[] | undefined): string[] {
    const urls: string[] = [];
    for (const server of servers ?? []) {
        for (const url of server.urls) {
            const colon = url.indexOf(":");
            const scheme = colon < 0 ? "" : url.slice(0, colon).toLowerCase();
            if ((scheme === "turn" || scheme === "turns") && server.username !== undefined && server.credential !== undefined) {
                urls.push(`${scheme}:${encodeURIComponent(server.username)}:${encodeURIComponent(server.credential)}@${url.slice(colon + 1)}`);
            } else {
                urls.push(url);
            }
        }
    }
    return urls;
}

/** A browser's RTCIceServer entries (credentials kept as fields). */
export function rtcIceServers(servers: readonly IceServer[] | undefined): RTCIceServer[] {
    return (servers ?? []).map(s => ({
        urls: [...s.urls],
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.credential !== undefined ? { credential: s.credential } : {}),
    }));
}

/** ICETransportPolicy: "relay" when the controller asked for it, else "all" (anything else it may send is ignored). */
export function transportPolicy(policy: string | undefined): "relay" | "all" {
    return policy === "relay" ? "relay" : "all";
}
