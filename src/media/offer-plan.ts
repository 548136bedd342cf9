/**
 * Offer planning: what this camera answers to a controller's Offer, decided once and used by both
 * media hosts (node-datachannel in Node, RTCPeerConnection in the browser), so that an Answer
 * always describes exactly what is sent.
 *
 * Real controllers offer what their WebRTC stacks offer (shared/reference/real-controllers.md):
 * SmartThings puts audio first (`sendrecv`) and lists H.264 and H.265; a Chromium viewer lists VP8
 * first, then VP9, many H.264 profiles in both packetization modes, AV1, red, ulpfec, each with
 * an rtx. The plan keeps the offer's m-line order and mids and picks, per kind:
 *
 * - video: the first format, in the offer's order of preference, that the host can send
 *   (`MediaCapabilities.video`): H.264 with packetization-mode=1 at whichever profile-level-id
 *   the offer names first, or VP8 where the host is a browser and the offer prefers it; plus the
 *   rtx format bound to it (`apt=`), if any;
 * - audio: the first Opus format; none means the audio m-line is answered without a track;
 * - direction: the offer's mirrored (`recvonly` → `sendonly`; `sendrecv` → `sendonly` while the
 *   camera does not play what it receives, never `sendrecv` to a receive-only offer).
 *
 * A host that builds its Answer from the Offer itself (the browser) applies `restrictOffer` to
 * the Offer first, so its Answer lists the planned format only and the sender cannot fall back to
 * another one (Chromium sends the offer's first codec it shares, whatever the Answer lists).
 * Both hosts answer as the DTLS server (`asDtlsServer`).
 *
 * Limits: one video and one audio m-line are served (the first ones that can receive); simulcast,
 * FEC/RED and SVC are not planned; an Offer whose receivable video m-line has no format the host
 * can send is refused (`OfferRefused`, which names the offered video codecs), because a camera that
 * cannot show video is no use. The browser host, refusing a new session, answers with
 * `rejectingAnswer` (every m-line rejected, RFC 3264 §6) and then ends the session itself.
 */

import { fmtpParameters, mediaSections, type MediaDirection, type MediaSection, type RtpFormat } from "./sdp.js";

/** What the camera does on a media m-line it sends on when it offers (SolicitOffer). */
export const OFFER_DIRECTION: MediaDirection = "sendonly";

/** What a media host can send. */
export interface MediaCapabilities {
    /** True for a video format the host can encode and send. */
    video(format: RtpFormat): boolean;
    /** True for an audio format the host can send; undefined: the host sends no audio. */
    audio?(format: RtpFormat): boolean;
    /** The host plays what the controller sends on audio (talk-back). Default false. */
    receivesAudio?: boolean;
}

/** The one format a host sends on one m-line of the Offer. */
export interface PlannedTrack {
    kind: "video" | "audio";
    mid: string;
    /** Position among the Offer's m-lines (sdpMLineIndex). */
    index: number;
    format: RtpFormat;
    /** The retransmission format bound to `format` (`a=fmtp:<rtx> apt=<pt>`), if the Offer has one. */
    rtx: RtpFormat | undefined;
    /** The direction the Answer gives this m-line. */
    direction: MediaDirection;
}

export interface AnswerPlan {
    video: PlannedTrack | undefined;
    audio: PlannedTrack | undefined;
    /** The Offer has no audio or video m-line, only data channels (the SDK's test SDP). */
    dataOnly: boolean;
    /** M-lines the camera does not send on, and why (for logs). */
    skipped: { mid: string; kind: string; why: string }[];
}

/** The Offer cannot be answered with media this camera can send. */
export class OfferRefused extends Error {
    constructor(
        message: string,
        /** The video codecs the refused video m-line listed (empty: no video m-line was the problem). */
        readonly offeredVideo: readonly string[] = [],
    ) {
        super(message);
        this.name = "OfferRefused";
    }
}

// ── formats ─────────────────────────────────────────────────────────────────────────────────

/** H.264 at 90 kHz with packetization-mode=1 (the mode every WebRTC stack sends). */
export function isH264Mode1(format: RtpFormat): boolean {
    return format.codec.toUpperCase() === "H264" && format.clockRate === 90_000 && fmtpParameters(format.fmtp).get("packetization-mode") === "1";
}

export function isVp8(format: RtpFormat): boolean {
    return format.codec.toUpperCase() === "VP8" && format.clockRate === 90_000;
}

export function isOpus(format: RtpFormat): boolean {
    return format.codec.toLowerCase() === "opus" && format.clockRate === 48_000;
}

/** The H.264 profile of a format: `profile_idc` and `profile-iop` (the first 4 hex digits of profile-level-id; RFC 6184's default 42000a). */
export function h264Profile(format: RtpFormat): string {
    return (fmtpParameters(format.fmtp).get("profile-level-id") ?? "42000a").slice(0, 4).toLowerCase();
}

// ── planning ────────────────────────────────────────────────────────────────────────────────

/** The direction an Answer gives an m-line offered with `offered`, for a host that sends on it. */
export function answerDirection(offered: MediaDirection, receives: boolean): MediaDirection {
    switch (offered) {
        case "recvonly":
            return "sendonly";
        case "sendrecv":
            return receives ? "sendrecv" : "sendonly";
        case "sendonly":
            return receives ? "recvonly" : "inactive";
        default:
            return "inactive";
    }
}

/** Whether the camera may send on an offered m-line: not rejected, and the controller receives. */
function receivable(section: MediaSection): boolean {
    return !section.rejected && (section.direction === "recvonly" || section.direction === "sendrecv");
}

function rtxFor(section: MediaSection, payloadType: number): RtpFormat | undefined {
    return section.formats.find(f => f.codec.toLowerCase() === "rtx" && fmtpParameters(f.fmtp).get("apt") === String(payloadType));
}

/** The media codecs of a section, in its order, without the helper formats (rtx, FEC, RED, CN, DTMF). */
function codecNames(section: MediaSection): string[] {
    return [...new Set(section.formats.map(f => f.codec).filter(c => !/^(rtx|red|ulpfec|flexfec-03|cn|telephone-event)$/i.test(c)))];
}

function names(section: MediaSection): string {
    const codecs = codecNames(section);
    return codecs.length === 0 ? "no codec" : codecs.join(", ");
}

/** Plans the Answer to `offer` for a host with `capabilities`; throws {@link OfferRefused}. */
export function planAnswer(offer: string, capabilities: MediaCapabilities): AnswerPlan {
    const sections = mediaSections(offer);
    const plan: AnswerPlan = { video: undefined, audio: undefined, dataOnly: false, skipped: [] };
    const media = sections.filter(s => s.kind === "video" || s.kind === "audio");
    if (media.length === 0) {
        if (sections.some(s => s.kind === "application")) {
            plan.dataOnly = true;
            return plan;
        }
        throw new OfferRefused("the offer has no audio, video or data m-line");
    }
    for (const section of media) {
        const kind = section.kind as "video" | "audio";
        if (plan[kind] !== undefined) {
            plan.skipped.push({ mid: section.mid, kind, why: `only one ${kind} m-line is served` });
            continue;
        }
        if (!receivable(section)) {
            plan.skipped.push({ mid: section.mid, kind, why: section.rejected ? "rejected in the offer" : `offered ${section.direction}` });
            continue;
        }
        const accepts = kind === "video" ? (f: RtpFormat) => capabilities.video(f) : capabilities.audio?.bind(capabilities);
        if (accepts === undefined) {
            plan.skipped.push({ mid: section.mid, kind, why: "this camera sends no audio" });
            continue;
        }
        const format = section.formats.find(f => accepts(f));
        if (format === undefined) {
            if (kind === "video") {
                throw new OfferRefused(`the offer's video (mid ${section.mid}) lists ${names(section)}: nothing this camera can send`, codecNames(section));
            }
            plan.skipped.push({ mid: section.mid, kind, why: `offers ${names(section)}, no Opus` });
            continue;
        }
        const receives = kind === "audio" && capabilities.receivesAudio === true;
        plan[kind] = {
            kind,
            mid: section.mid,
            index: section.index,
            format,
            rtx: kind === "video" ? rtxFor(section, format.payloadType) : undefined,
            direction: answerDirection(section.direction, receives),
        };
    }
    if (plan.video === undefined && plan.audio === undefined) {
        throw new OfferRefused(`the offer has no m-line this camera can send on (${plan.skipped.map(s => `${s.kind} mid ${s.mid}: ${s.why}`).join("; ")})`);
    }
    return plan;
}

/**
 * `offer` with the planned m-lines listing only their planned format (and its rtx): the m= line's
 * format list and the `a=rtpmap` / `a=fmtp` / `a=rtcp-fb` lines of the other payload types are
 * removed. Every m-line, mid, candidate and attribute else is kept, so an Answer to the result is
 * a valid Answer to `offer`.
 */
export function restrictOffer(offer: string, plan: AnswerPlan): string {
    const keep = new Map<number, Set<number>>();
    for (const track of [plan.video, plan.audio]) {
        if (track === undefined) continue;
        keep.set(track.index, new Set([track.format.payloadType, ...(track.rtx === undefined ? [] : [track.rtx.payloadType])]));
    }
    const eol = offer.includes("\r\n") ? "\r\n" : "\n";
    const out: string[] = [];
    let index = -1;
    for (const line of offer.split(/\r?\n/)) {
        if (line.startsWith("m=")) {
            index++;
            const allowed = keep.get(index);
            if (allowed !== undefined) {
                const [media = "", port = "", proto = "", ...formats] = line.slice(2).split(" ");
                out.push(`m=${[media, port, proto, ...formats.filter(f => allowed.has(Number(f)))].join(" ")}`);
                continue;
            }
        } else {
            const allowed = keep.get(index);
            const perFormat = /^a=(rtpmap|fmtp|rtcp-fb):(\d+)[ \t]/.exec(line);
            if (allowed !== undefined && perFormat !== null && !allowed.has(Number(perFormat[2]))) continue;
        }
        out.push(line);
    }
    return out.join(eol);
}

/**
 * An Answer to `offer` that rejects every m-line (port 0, RFC 3264 §6; `a=inactive`), for an Offer
 * the camera refuses. It describes exactly what is sent, nothing, so no ICE or DTLS attributes
 * (there is no transport); the controller's WebRTC stack gives up on it at once even if the
 * controller ignores the End that follows. Each m-line keeps its kind, protocol, first format and
 * mid, as an answer must.
 */
export function rejectingAnswer(offer: string): string {
    const mids = mediaSections(offer).map(s => s.mid);
    const mLines = offer.split(/\r?\n/).filter(line => line.startsWith("m="));
    const lines = ["v=0", `o=- ${Date.now()} 1 IN IP4 0.0.0.0`, "s=-", "t=0 0"];
    mLines.forEach((line, index) => {
        const [media = "", , proto = "", first = "0"] = line.slice(2).trim().split(/\s+/);
        lines.push(`m=${media} 0 ${proto} ${first}`, "c=IN IP4 0.0.0.0", `a=mid:${mids[index] ?? String(index)}`, "a=inactive");
    });
    return `${lines.join("\r\n")}\r\n`;
}

/**
 * `offer` with `a=setup:actpass` replaced by `a=setup:active`, so the answering stack says
 * `a=setup:passive` and the camera is the DTLS server (a valid answer to the original actpass
 * Offer: RFC 5763 §5 and RFC 8842 §5.3 let the answerer take either role). An Offer that names a
 * role itself is left as it is. Both media hosts apply it when they answer; measured reasons:
 *
 * - Node camera (libdatachannel answers active by default): as the client it sends its
 *   ClientHello as soon as its own ICE check succeeds, ~50 ms before the controller has the Answer
 *   (it comes back over Matter); a libdatachannel 0.24.5 controller drops DTLS that arrives before
 *   its DTLS transport exists (libdatachannel#1554) and OpenSSL resends after 1 s: 35 % of
 *   ProvideOffer sessions took ~1,030 ms to the first video RTP instead of ~85 ms.
 * - Browser camera (Chromium answers active): in DTLS 1.2 the server sends the last flight and
 *   counts itself connected when it sends it, the client only when it arrives, so a
 *   libdatachannel controller (the DTLS 1.2 server) could report "connected" while the page still
 *   waited for that flight and sent no RTP at all: connected but black. As the server, the camera
 *   has finished before the controller can report "connected".
 */
export function asDtlsServer(offer: string): string {
    return offer.replace(/^a=setup:actpass(\r?)$/gm, "a=setup:active$1");
}
