/**
 * Paced RTP senders on node-datachannel tracks: H.264 video from a {@link VideoSource}, and Opus
 * silence for the audio m-line.
 *
 * Each sender installs libdatachannel's packetizer chain on its track (packetizer → RTCP sender
 * reports → NACK responder, so lost packets are retransmitted from a small history), waits for
 * the track to open (DTLS-SRTP done), then sends one unit per tick from a Node timer, advancing
 * the RTP timestamp by one frame duration before each unit. Timer jitter is not corrected (the
 * timestamps stay regular; only send times wobble), there is no congestion control or bitrate
 * adaptation, and keyframe requests from the receiver are not served (node-datachannel's JS API
 * does not surface PLI/FIR to the sender). node-datachannel has no Opus packetizer in its JS API:
 * the generic `RtpPacketizer` (one message → one RTP packet) with a 48 kHz clock is used, which
 * is exactly RFC 7587's framing for one Opus packet per RTP packet.
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

export interface RtpStreamConfig {
    ssrc: number;
    cname: string;
    payloadType: number;
}

abstract class PacedSender {
    readonly counters: SenderCounters = { units: 0, keyframes: 0, bytes: 0, firstSentAt: undefined };
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
    }

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

/** Sends a video source's access units on an H.264 track at the source's frame rate. */
export class H264Sender extends PacedSender {
    readonly #frames: Iterator<H264AccessUnit>;

    constructor(track: Track, stream: RtpStreamConfig, source: VideoSource) {
        const config = new RtpPacketizationConfig(stream.ssrc, stream.cname, stream.payloadType, 90000);
        super(track, config, new H264RtpPacketizer("StartSequence", config), 1000 / source.fps, Math.round(90000 / source.fps));
        this.#frames = source.frames();
    }

    protected next(): H264AccessUnit | undefined {
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

    protected next(): { data: Uint8Array; keyframe: boolean } {
        return { data: OPUS_SILENCE_20MS, keyframe: false };
    }
}
