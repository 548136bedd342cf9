/**
 * Paced RTP senders on node-datachannel tracks: H.264 video from a {@link VideoSource}, and Opus
 * silence for the audio m-line.
 *
 * Each sender installs libdatachannel's packetizer chain on its track (packetizer → RTCP sender
 * reports → NACK responder, so lost packets are retransmitted from a small history), waits for
 * the track to open (DTLS-SRTP done), then sends one unit per tick from a Node timer, advancing
 * the RTP timestamp by one frame duration before each unit. Timer jitter is not corrected (the
 * timestamps stay regular; only send times wobble), and there is no congestion control or bitrate
 * adaptation.
 *
 * The receiver's RTCP comes back on the same sendonly track: libdatachannel hands every SRTCP
 * packet it decrypted for the track's SSRCs to `track.onMessage` after the handler chain has seen
 * it (measured: receiver reports, NACK, REMB and PLI from Chromium and from a libdatachannel
 * viewer with an `RtcpReceivingSession`). Each sender reports what it got through `onRtcp` (the
 * host uses it as a liveness signal), and the H.264 sender answers a keyframe request (PLI, FIR)
 * by restarting its source at a keyframe: with a pre-encoded clip there is nothing to encode, and
 * waiting for the clip's own next IDR costs a viewer that lost a picture up to a GOP (1 s for the
 * fixture). Measured: PLI → next keyframe at the viewer 12–45 ms, against 916–995 ms before;
 * Chromium sent one after a 3 s outage.
 *
 * node-datachannel has no Opus packetizer in its JS API: the generic `RtpPacketizer` (one message
 * → one RTP packet) with a 48 kHz clock is used, which is exactly RFC 7587's framing for one Opus
 * packet per RTP packet.
 */

import {
    H264RtpPacketizer,
    RtcpNackResponder,
    RtcpSrReporter,
    RtpPacketizationConfig,
    RtpPacketizer,
    type Track,
} from "node-datachannel";
import type { H264AccessUnit } from "./h264.js";
import type { VideoSource } from "./video-source.js";

/** The 3-byte Opus packet for 20 ms of silence (TOC 0xF8: CELT-only FB 20 ms, mono, code 0). */
export const OPUS_SILENCE_20MS: Uint8Array = Uint8Array.of(0xf8, 0xff, 0xfe);

/** What a sender has put on the wire so far. */
export interface SenderCounters {
    /** Units handed to the packetizer (video: access units; audio: Opus packets). */
    units: number;
    /** Video: access units containing an IDR; audio: 0. */
    keyframes: number;
    /** Payload bytes handed to the packetizer (before RTP/SRTP overhead). */
    bytes: number;
    /** Date.now() of the first unit sent, undefined before it. */
    firstSentAt: number | undefined;
}

/** What one incoming RTCP message (a compound packet) carried, as far as a sender cares. */
export interface RtcpSummary {
    /** A PLI (RFC 4585) or FIR (RFC 5104): the receiver wants a keyframe. */
    keyframeRequest: boolean;
    /** An RTCP BYE: the receiver says it is leaving. */
    bye: boolean;
}

/**
 * Reads the packet types of a compound RTCP packet (RFC 3550 §6.1); undefined if `message` is
 * not RTCP (version 2, packet type 192–223: the same test as RFC 5761's demultiplexing).
 */
export function summarizeRtcp(message: Uint8Array): RtcpSummary | undefined {
    const first = message[1] ?? 0;
    if (message.length < 4 || (message[0] ?? 0) >> 6 !== 2 || first < 192 || first > 223) return undefined;
    const summary: RtcpSummary = { keyframeRequest: false, bye: false };
    for (let offset = 0; offset + 4 <= message.length; ) {
        const format = (message[offset] ?? 0) & 0x1f;
        const type = message[offset + 1] ?? 0;
        if (type === 203) summary.bye = true;
        if (type === 206 && (format === 1 || format === 4)) summary.keyframeRequest = true;
        offset += 4 + 4 * (((message[offset + 2] ?? 0) << 8) | (message[offset + 3] ?? 0));
    }
    return summary;
}

/** The RTP identity of one sent track. */
export interface RtpStreamConfig {
    /** The track's synchronisation source, as announced in the SDP (`a=ssrc`). */
    ssrc: number;
    /** The RTCP canonical name shared by the session's tracks. */
    cname: string;
    /** The RTP payload type the SDP negotiated for the codec. */
    payloadType: number;
}

abstract class PacedSender {
    /** What the sender has put on the wire so far. */
    readonly counters: SenderCounters = { units: 0, keyframes: 0, bytes: 0, firstSentAt: undefined };
    /** Called for every RTCP message the receiver sends on this track. */
    onRtcp: ((summary: RtcpSummary) => void) | undefined;
    /** The track's packetizer settings (SSRC, payload type, clock rate, RTP timestamp). */
    protected readonly config: RtpPacketizationConfig;
    readonly #track: Track;
    readonly #intervalMs: number;
    readonly #step: number;
    #timer: ReturnType<typeof setInterval> | undefined;
    #stopped = false;

    protected constructor(track: Track, config: RtpPacketizationConfig, packetizer: RtpPacketizer, intervalMs: number, step: number) {
        this.#track = track;
        this.config = config;
        this.#intervalMs = intervalMs;
        this.#step = step;
        packetizer.addToChain(new RtcpSrReporter(config));
        packetizer.addToChain(new RtcpNackResponder());
        track.setMediaHandler(packetizer);
        track.onOpen(() => this.#start());
        track.onClosed(() => this.stop());
        track.onMessage(message => {
            const summary = summarizeRtcp(message);
            if (summary === undefined || this.#stopped) return;
            this.rtcpReceived(summary);
            this.onRtcp?.(summary);
        });
    }

    /** What a subclass does with the receiver's RTCP, before `onRtcp` sees it. */
    protected rtcpReceived(_summary: RtcpSummary): void {}

    #start(): void {
        if (this.#stopped || this.#timer !== undefined) return;
        this.#tick();
        this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    }

    #tick(): void {
        if (this.#stopped) return;
        let open = false;
        try {
            open = this.#track.isOpen();
        } catch {
            open = false;
        }
        if (!open) return;
        const unit = this.next();
        if (unit === undefined) {
            this.stop(); // a finite source ran out
            return;
        }
        this.config.timestamp = (this.config.timestamp + this.#step) >>> 0;
        let sent = false;
        try {
            sent = this.#track.sendMessageBinary(Buffer.from(unit.data.buffer, unit.data.byteOffset, unit.data.byteLength));
        } catch {
            sent = false; // closed between isOpen and send: the next tick or stop() ends it
        }
        if (!sent) return;
        const c = this.counters;
        c.units++;
        if (unit.keyframe) c.keyframes++;
        c.bytes += unit.data.byteLength;
        c.firstSentAt ??= Date.now();
    }

    /** The next unit to send, or undefined when the source has ended. */
    protected abstract next(): { data: Uint8Array; keyframe: boolean } | undefined;

    /** Stops sending; idempotent. The track itself is closed with its peer connection. */
    stop(): void {
        this.#stopped = true;
        if (this.#timer !== undefined) clearInterval(this.#timer);
        this.#timer = undefined;
    }
}

/**
 * At most one restart per this many milliseconds: a receiver may repeat its PLI until a keyframe
 * arrives, and each restart would otherwise send another IDR.
 */
export const KEYFRAME_REQUEST_INTERVAL_MS = 500;

/** Sends a video source's access units on an H.264 track at the source's frame rate. */
export class H264Sender extends PacedSender {
    readonly #source: VideoSource;
    #frames: Iterator<H264AccessUnit>;
    /** A keyframe request arrived: the next unit comes from a new iterator (a keyframe). */
    #restart = false;
    #restartedAt = -Infinity;
    /** Keyframe requests that restarted the source. */
    keyframeRequestsServed = 0;

    constructor(track: Track, stream: RtpStreamConfig, source: VideoSource) {
        const config = new RtpPacketizationConfig(stream.ssrc, stream.cname, stream.payloadType, 90000);
        super(track, config, new H264RtpPacketizer("StartSequence", config), 1000 / source.fps, Math.round(90000 / source.fps));
        this.#source = source;
        this.#frames = source.frames();
    }

    protected override rtcpReceived(summary: RtcpSummary): void {
        if (!summary.keyframeRequest) return;
        const now = performance.now();
        if (now - this.#restartedAt < KEYFRAME_REQUEST_INTERVAL_MS) return;
        this.#restartedAt = now;
        this.#restart = true; // served by the next tick
    }

    protected next(): H264AccessUnit | undefined {
        if (this.#restart) {
            this.#restart = false;
            this.#frames = this.#source.frames(); // every iterator starts at a keyframe
            this.keyframeRequestsServed++;
        }
        const r = this.#frames.next();
        return r.done === true ? undefined : r.value;
    }
}

/** Sends 20 ms Opus silence packets on an audio track (48 kHz RTP clock, 960 per packet). */
export class OpusSilenceSender extends PacedSender {
    constructor(track: Track, stream: RtpStreamConfig) {
        const config = new RtpPacketizationConfig(stream.ssrc, stream.cname, stream.payloadType, 48000);
        super(track, config, new RtpPacketizer(config), 20, 960);
    }

    protected next(): {
        /** One Opus packet: 20 ms of silence. */
        data: Uint8Array;
        /** Always false (audio has no keyframes). */
        keyframe: boolean;
    } {
        return { data: OPUS_SILENCE_20MS, keyframe: false };
    }
}
