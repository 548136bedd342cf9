/**
 * Inputs shared by both sides of the benchmark: a browser-like SDP, local and remote ICE
 * candidates, the stream context, and every request encoded once with matter.js codecs.
 *
 * Both the WASM core and the plain-JS baseline start from exactly these bytes, so the two sides
 * do the same work from the same input.
 */

import { TlvOfModel, type TlvSchema } from "@matter/main/types";
import { WebRtcTransportProvider as P } from "@matter/main/clusters/web-rtc-transport-provider";

/** Caller identity used for every command: the tests' own controller (test/support/callers.ts). */
export { FABRIC, PEER } from "../support/callers.js";
export const ENDPOINT = 1;

/** Allocated streams (CameraAvStreamManagement) and the usage priorities, as the tests use them. */
import { AUDIO as AUDIO_STREAM, VIDEO as VIDEO_STREAM } from "../support/profiles.js";
export { AUDIO_STREAM, VIDEO_STREAM };
export const LIVE_VIEW = 3;
export const RECORDING = 1;
export const PRIORITIES = [LIVE_VIEW, RECORDING];

// ── SDP ──────────────────────────────────────────────────────────────────────────────────────

const AUDIO_CODECS: [number, string, string[]][] = [
    [111, "opus/48000/2", ["minptime=10;useinbandfec=1"]],
    [63, "red/48000/2", ["111/111"]],
    [9, "G722/8000", []],
    [0, "PCMU/8000", []],
    [8, "PCMA/8000", []],
    [13, "CN/8000", []],
    [110, "telephone-event/48000", []],
    [126, "telephone-event/8000", []],
];

/** Video payload types: codec, fmtp, and the RTX payload type that follows it. */
const VIDEO_CODECS: [number, string, string, number][] = [
    [96, "VP8/90000", "", 97],
    [98, "VP9/90000", "profile-id=0", 99],
    [100, "VP9/90000", "profile-id=2", 101],
    [102, "H264/90000", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", 103],
    [104, "H264/90000", "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f", 105],
    [106, "H264/90000", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 107],
    [108, "H264/90000", "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f", 109],
    [127, "H264/90000", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f", 125],
    [39, "H264/90000", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f", 40],
    [41, "H264/90000", "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=64001f", 42],
    [45, "AV1/90000", "level-idx=5;profile=0;tier=0", 46],
    [35, "AV1/90000", "level-idx=5;profile=1;tier=0", 36],
    [47, "H265/90000", "level-id=180;profile-id=1;tier-flag=0;tx-mode=SRST", 48],
];

const FINGERPRINT =
    "sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08";

function mediaHeader(mid: string, extmaps: string[]): string[] {
    return [
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:Xk3f",
        "a=ice-pwd:Vt9d0Z3nR3zH2oQm8tq5wF1b",
        "a=ice-options:trickle",
        `a=fingerprint:${FINGERPRINT}`,
        "a=setup:actpass",
        `a=mid:${mid}`,
        ...extmaps.map((uri, i) => `a=extmap:${i + 1} ${uri}`),
        "a=sendrecv",
        "a=msid:4c0a1b6e-3a51-4f4e-9d0e-1c7f2b8d9e01 " + (mid === "0" ? "a1f0c6d2-audio" : "v7e3b9a4-video"),
        "a=rtcp-mux",
    ];
}

/**
 * A Chrome-style audio+video offer (BUNDLE, trickle ICE, ~6 KB), CRLF line endings, as one flat
 * string (like the one RTCPeerConnection hands out), not a rope of concatenations.
 */
export function browserSdp(): string {
    const audioPts = AUDIO_CODECS.map(c => c[0]);
    const videoPts = VIDEO_CODECS.flatMap(c => [c[0], c[3]]).concat([114, 115, 116]);
    const lines = [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "a=extmap-allow-mixed",
        "a=msid-semantic: WMS 4c0a1b6e-3a51-4f4e-9d0e-1c7f2b8d9e01",
        `m=audio 9 UDP/TLS/RTP/SAVPF ${audioPts.join(" ")}`,
        ...mediaHeader("0", [
            "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
            "urn:ietf:params:rtp-hdrext:sdes:mid",
        ]),
        ...AUDIO_CODECS.flatMap(([pt, codec, fmtp]) => [
            `a=rtpmap:${pt} ${codec}`,
            ...(pt === 111 ? ["a=rtcp-fb:111 transport-cc"] : []),
            ...fmtp.map(f => `a=fmtp:${pt} ${f}`),
        ]),
        "a=ssrc:1732846380 cname:Yq2b7cE0oH9sJ5mP",
        "a=ssrc:1732846380 msid:4c0a1b6e-3a51-4f4e-9d0e-1c7f2b8d9e01 a1f0c6d2-audio",
        `m=video 9 UDP/TLS/RTP/SAVPF ${videoPts.join(" ")}`,
        ...mediaHeader("1", [
            "urn:ietf:params:rtp-hdrext:toffset",
            "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            "urn:3gpp:video-orientation",
            "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
            "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
            "http://www.webrtc.org/experiments/rtp-hdrext/video-content-type",
            "http://www.webrtc.org/experiments/rtp-hdrext/video-timing",
            "http://www.webrtc.org/experiments/rtp-hdrext/color-space",
            "urn:ietf:params:rtp-hdrext:sdes:mid",
            "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
            "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        ]),
        "a=rtcp-rsize",
        ...VIDEO_CODECS.flatMap(([pt, codec, fmtp, rtx]) => [
            `a=rtpmap:${pt} ${codec}`,
            ...["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"].map(fb => `a=rtcp-fb:${pt} ${fb}`),
            ...(fmtp === "" ? [] : [`a=fmtp:${pt} ${fmtp}`]),
            `a=rtpmap:${rtx} rtx/90000`,
            `a=fmtp:${rtx} apt=${pt}`,
        ]),
        "a=rtpmap:114 red/90000",
        "a=rtpmap:115 rtx/90000",
        "a=fmtp:115 apt=114",
        "a=rtpmap:116 ulpfec/90000",
        "a=ssrc-group:FID 2843190754 391254872",
        "a=ssrc:2843190754 cname:Yq2b7cE0oH9sJ5mP",
        "a=ssrc:2843190754 msid:4c0a1b6e-3a51-4f4e-9d0e-1c7f2b8d9e01 v7e3b9a4-video",
        "a=ssrc:391254872 cname:Yq2b7cE0oH9sJ5mP",
        "a=ssrc:391254872 msid:4c0a1b6e-3a51-4f4e-9d0e-1c7f2b8d9e01 v7e3b9a4-video",
    ];
    return flat(lines.join("\r\n") + "\r\n");
}

/** A sequential copy of `text`: encoders then never have to walk a cons-string. */
function flat(text: string): string {
    return new TextDecoder().decode(new TextEncoder().encode(text));
}

export const SDP = browserSdp();

// ── ICE candidates ───────────────────────────────────────────────────────────────────────────

/** matter.js field names (ICECandidateStruct). */
export interface WireCandidate {
    candidate: string;
    sdpMid: string | null;
    sdpmLineIndex: number | null;
}

/** Four trickled candidates as a browser produces them: host UDP, host TCP, srflx and relay. */
export const CANDIDATES: WireCandidate[] = [
    {
        candidate: "candidate:1467250027 1 udp 2122260223 192.168.1.23 56143 typ host generation 0 ufrag Xk3f network-id 1 network-cost 10",
        sdpMid: "0",
        sdpmLineIndex: 0,
    },
    {
        candidate: "candidate:2999745851 1 tcp 1518280447 192.168.1.23 9 typ host tcptype active generation 0 ufrag Xk3f network-id 1 network-cost 10",
        sdpMid: "0",
        sdpmLineIndex: 0,
    },
    {
        candidate: "candidate:842163049 1 udp 1686052607 203.0.113.77 56143 typ srflx raddr 192.168.1.23 rport 56143 generation 0 ufrag Xk3f network-id 1 network-cost 10",
        sdpMid: "1",
        sdpmLineIndex: 1,
    },
    {
        candidate: "candidate:3745916204 1 udp 41885439 198.51.100.9 61022 typ relay raddr 203.0.113.77 rport 56143 generation 0 ufrag Xk3f network-id 1 network-cost 10",
        sdpMid: "1",
        sdpmLineIndex: 1,
    },
];

/** The same candidates in the engine's shape (`IceCandidate`: sdpMLineIndex). */
export const LOCAL_CANDIDATES = CANDIDATES.map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpmLineIndex }));

// ── encoded requests ─────────────────────────────────────────────────────────────────────────

const SolicitOfferTlv = TlvOfModel(P.commands.solicitOffer);
const ProvideOfferTlv = TlvOfModel(P.commands.provideOffer);
const ProvideAnswerTlv = TlvOfModel(P.commands.provideAnswer);
const ProvideIceCandidatesTlv = TlvOfModel(P.commands.provideIceCandidates);
const EndSessionTlv = TlvOfModel(P.commands.endSession);

/** matter.js types encoded TLV as `Bytes`; at run time it is a `Uint8Array`. */
export function encode<T>(schema: TlvSchema<T>, value: T): Uint8Array {
    return schema.encode(value) as Uint8Array;
}

/** Rev-2 request with explicit stream lists and one STUN server, as a controller sends it. */
export function solicitOfferRequest(): Uint8Array {
    return encode(SolicitOfferTlv, {
        streamUsage: LIVE_VIEW,
        originatingEndpointId: ENDPOINT,
        iceServers: [{ urLs: ["stun:stun.l.google.com:19302"] }],
        videoStreams: [VIDEO_STREAM],
        audioStreams: [AUDIO_STREAM],
    });
}

/** ProvideOffer for a new session (`sessionId` null) or a re-offer of `sessionId`. */
export function provideOfferRequest(sessionId: number | null): Uint8Array {
    return encode(ProvideOfferTlv, {
        webRtcSessionId: sessionId,
        sdp: SDP,
        streamUsage: LIVE_VIEW,
        originatingEndpointId: ENDPOINT,
        iceServers: [{ urLs: ["stun:stun.l.google.com:19302"] }],
        videoStreams: [VIDEO_STREAM],
        audioStreams: [AUDIO_STREAM],
    });
}

export function provideAnswerRequest(sessionId: number): Uint8Array {
    return encode(ProvideAnswerTlv, { webRtcSessionId: sessionId, sdp: SDP });
}

export function provideIceCandidatesRequest(sessionId: number): Uint8Array {
    return encode(ProvideIceCandidatesTlv, { webRtcSessionId: sessionId, iceCandidates: CANDIDATES });
}

export function endSessionRequest(sessionId: number): Uint8Array {
    return encode(EndSessionTlv, { webRtcSessionId: sessionId, reason: 2 /* UserHangup */ });
}
