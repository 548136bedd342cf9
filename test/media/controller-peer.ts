/**
 * A controller-side WebRTC peer for media tests: a node-datachannel PeerConnection that receives
 * H.264 (or VP8) video and Opus audio and counts what arrives: frames and keyframes of the chosen
 * video payload type, and every RTP payload type seen on each track (`videoPayloadTypes`,
 * `audioPayloadTypes`), so a test can check on the wire that only the answered format is sent.
 * `countVp8` counts the VP8 format of `extraVideo` instead of the H.264 one (a camera that cannot
 * send H.264, e.g. Firefox without its plugin).
 *
 * It plays the part a Matter controller's WebRTC stack plays, without Matter: the test moves its
 * SDP and candidates to the host's hooks by hand. Remote candidates are buffered until the remote
 * description is set (libdatachannel aborts the process on a candidate that comes earlier from a
 * callback).
 *
 * Shapes: the default offer is libdatachannel's own (video mid "v" then audio mid "a", recvonly).
 * `shape: "smartthings"` offers what the SmartThings hub offers (real-controllers.md §1): audio
 * first (mid "0", sendrecv, Opus 111), then video (mid "1", recvonly) with H.264 42e01f PT 96 + rtx
 * 97 and H.265 PT 35 + rtx 36; `offerWithCandidates()` waits for gathering and returns the Offer
 * with every candidate inline, as a controller that does not trickle sends it.
 */

import { Audio, PeerConnection, RtcpReceivingSession, Video, type DescriptionType, type Track } from "node-datachannel";

/** What arrived on the video track. */
export interface VideoCounts {
    packets: number;
    /** Packets with the marker bit: one per access unit. */
    frames: number;
    /** Access units containing NAL 5 (IDR) or 7 (SPS), also inside STAP-A / FU-A. */
    keyframes: number;
    bytes: number;
    /** performance.now() of the first video RTP packet. */
    firstPacketAt: number | undefined;
    timestamps: Set<number>;
}

export interface ControllerOptions {
    /** H.264 payload type to receive (offerer) or to accept (answerer). */
    videoPt: number;
    audioPt: number;
    /** Extra video formats to put in the Offer (payload type → codec), e.g. VP8. */
    extraVideo?: { pt: number; codec: "VP8" | "VP9" }[];
    /**
     * Count frames and keyframes of the `extraVideo` VP8 format (RFC 7741) instead of the H.264
     * one at `videoPt`. Default false.
     */
    countVp8?: boolean;
    /** The Offer's layout (see the module comment). */
    shape?: "libdatachannel" | "smartthings";
    /** libdatachannel ICE server URLs (`turn:user:pass@host:port`); default none. */
    iceServers?: string[];
    iceTransportPolicy?: "all" | "relay";
    /** Local address to bind (default 127.0.0.1). */
    bindAddress?: string;
    /**
     * Send RTCP receiver reports (libdatachannel's `RtcpReceivingSession`), about one per sender
     * report, as libwebrtc and the SDK's camera controller do. Default false: a bare
     * libdatachannel viewer sends no RTCP at all.
     */
    receiverReports?: boolean;
}

export class ControllerPeer {
    readonly pc: PeerConnection;
    readonly video: VideoCounts = { packets: 0, frames: 0, keyframes: 0, bytes: 0, firstPacketAt: undefined, timestamps: new Set() };
    audioPackets = 0;
    /** RTP packets per payload type on the video / audio track (RTCP excluded). */
    readonly videoPayloadTypes = new Map<number, number>();
    readonly audioPayloadTypes = new Map<number, number>();
    readonly localCandidates: { candidate: string; mid: string }[] = [];
    localSdp: string | undefined;
    #remoteSet = false;
    #pendingRemote: { candidate: string; mid: string }[] = [];
    readonly #tracks: Track[] = [];
    #onCandidate: ((c: { candidate: string; mid: string }) => void) | undefined;
    readonly #localDescription: Promise<string>;

    /** The payload type whose frames are counted, and how its keyframes are recognised. */
    readonly #countedPt: number;
    readonly #isKeyframe: (payload: Uint8Array) => boolean;

    constructor(readonly options: ControllerOptions) {
        const vp8 = options.extraVideo?.find(f => f.codec === "VP8");
        if (options.countVp8 === true && vp8 === undefined) throw new Error("countVp8 needs a VP8 format in extraVideo");
        this.#countedPt = options.countVp8 === true && vp8 !== undefined ? vp8.pt : options.videoPt;
        this.#isKeyframe = options.countVp8 === true ? vp8Keyframe : h264Keyframe;
        this.pc = new PeerConnection("controller", {
            iceServers: options.iceServers ?? [],
            bindAddress: options.bindAddress ?? "127.0.0.1",
            ...(options.iceTransportPolicy !== undefined ? { iceTransportPolicy: options.iceTransportPolicy } : {}),
        });
        this.#localDescription = new Promise(resolve =>
            this.pc.onLocalDescription(sdp => {
                this.localSdp ??= sdp;
                resolve(sdp);
            }),
        );
        this.pc.onLocalCandidate((candidate, mid) => {
            const c = { candidate, mid };
            this.localCandidates.push(c);
            this.#onCandidate?.(c);
        });
    }

    /** Adds recvonly tracks with `videoMid` / `audioMid`. */
    addReceivers(videoMid: string, audioMid: string): void {
        const o = this.options;
        const video = new Video(videoMid, "RecvOnly");
        video.addH264Codec(o.videoPt, "profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1");
        for (const extra of o.extraVideo ?? []) {
            if (extra.codec === "VP8") video.addVP8Codec(extra.pt);
            else video.addVP9Codec(extra.pt);
        }
        const audio = new Audio(audioMid, "RecvOnly");
        audio.addOpusCodec(o.audioPt);
        const vt = this.pc.addTrack(video);
        const at = this.pc.addTrack(audio);
        this.#watch(vt, at);
    }

    /** The SmartThings layout: sendrecv Opus audio first, then recvonly H.264 (+ rtx) and H.265 (+ rtx). */
    addSmartThingsTracks(): void {
        const o = this.options;
        const audio = new Audio("0", "SendRecv");
        audio.addOpusCodec(o.audioPt, "minptime=10;useinbandfec=1");
        audio.addSSRC(0x5a5a5a5a, "smartthings", "stream", "audio0");
        const video = new Video("1", "RecvOnly");
        video.addH264Codec(o.videoPt, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
        video.addRTXCodec(o.videoPt + 1, o.videoPt, 90000);
        video.addH265Codec(35);
        video.addRTXCodec(36, 35, 90000);
        const at = this.pc.addTrack(audio);
        const vt = this.pc.addTrack(video);
        this.#watch(vt, at);
    }

    #watch(video: Track, audio: Track): void {
        this.#tracks.push(video, audio);
        if (this.options.receiverReports) {
            video.setMediaHandler(new RtcpReceivingSession());
            audio.setMediaHandler(new RtcpReceivingSession());
        }
        video.onMessage(buf => this.#onVideo(buf));
        audio.onMessage(buf => {
            const pt = rtpPayloadType(buf);
            if (pt === undefined) return;
            this.audioPayloadTypes.set(pt, (this.audioPayloadTypes.get(pt) ?? 0) + 1);
            if (pt === this.options.audioPt) this.audioPackets++;
        });
    }

    /** The controller offers (recvonly video + audio, mids "v" and "a"; or the SmartThings shape). */
    async createOffer(): Promise<string> {
        if (this.options.shape === "smartthings") this.addSmartThingsTracks();
        else this.addReceivers("v", "a");
        this.pc.setLocalDescription("offer");
        return this.#localDescription;
    }

    /** As `createOffer`, but waits (bounded) for gathering and returns the Offer with every candidate inline. */
    async offerWithCandidates(timeoutMs = 10_000): Promise<string> {
        const complete = new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`ICE gathering not complete within ${timeoutMs} ms`)), timeoutMs);
            this.pc.onGatheringStateChange(state => {
                if (state !== "complete") return;
                clearTimeout(timer);
                resolve();
            });
        });
        await this.createOffer();
        await complete;
        const sdp = this.pc.localDescription()?.sdp;
        if (sdp === undefined) throw new Error("no local description");
        return sdp;
    }

    /** The selected candidate pair's local and remote types ("host", "relay", ...), once connected. */
    selectedPair(): { local: string; remote: string } | undefined {
        const pair = this.pc.getSelectedCandidatePair();
        return pair === null ? undefined : { local: pair.local.type, remote: pair.remote.type };
    }

    /** The controller answers the host's Offer (its receivers reuse the Offer's mids). */
    async answer(offer: string, videoMid: string, audioMid: string): Promise<string> {
        this.addReceivers(videoMid, audioMid);
        this.setRemote(offer, "offer");
        return this.#localDescription;
    }

    setRemote(sdp: string, type: DescriptionType): void {
        this.pc.setRemoteDescription(sdp, type);
        this.#remoteSet = true;
        for (const c of this.#pendingRemote.splice(0)) this.pc.addRemoteCandidate(c.candidate, c.mid);
    }

    addRemoteCandidate(candidate: string, mid: string): void {
        if (this.#remoteSet) this.pc.addRemoteCandidate(candidate, mid);
        else this.#pendingRemote.push({ candidate, mid });
    }

    /** Calls `forward` for every local candidate, the ones gathered so far and later ones. */
    forwardCandidates(forward: (c: { candidate: string; mid: string }) => void): void {
        this.#onCandidate = forward;
        for (const c of this.localCandidates) forward(c);
    }

    state(): string {
        return this.pc.state();
    }

    close(): void {
        this.#onCandidate = undefined;
        try {
            this.pc.close();
        } catch {
            // closed already
        }
    }

    #onVideo(buf: Buffer): void {
        const b1 = buf[1] ?? 0;
        const pt = rtpPayloadType(buf);
        if (pt !== undefined) this.videoPayloadTypes.set(pt, (this.videoPayloadTypes.get(pt) ?? 0) + 1);
        if ((b1 & 0x7f) !== this.#countedPt) return; // RTCP, RTX, other formats
        const v = this.video;
        v.packets++;
        v.bytes += buf.length;
        v.firstPacketAt ??= performance.now();
        v.timestamps.add(buf.readUInt32BE(4));
        const payload = rtpPayload(buf);
        if (payload !== undefined && this.#isKeyframe(payload)) this.#keyInFrame = true;
        if ((b1 & 0x80) !== 0) {
            v.frames++;
            if (this.#keyInFrame) v.keyframes++;
            this.#keyInFrame = false;
        }
    }
    #keyInFrame = false;
}

/** The payload type of an RTP packet, or undefined for RTCP (packet types 192–223 share the byte). */
export function rtpPayloadType(buf: Uint8Array): number | undefined {
    if (buf.length < 12 || (buf[0] ?? 0) >> 6 !== 2) return undefined;
    const pt = (buf[1] ?? 0) & 0x7f;
    return pt >= 64 && pt <= 95 ? undefined : pt;
}

/** The payload of an RTP packet (after CSRCs and header extension, before padding). */
export function rtpPayload(buf: Uint8Array): Uint8Array | undefined {
    if (buf.length < 12 || (buf[0] ?? 0) >> 6 !== 2) return undefined;
    const b0 = buf[0] ?? 0;
    let offset = 12 + 4 * (b0 & 0x0f);
    if ((b0 & 0x10) !== 0) {
        if (buf.length < offset + 4) return undefined;
        offset += 4 + 4 * (((buf[offset + 2] ?? 0) << 8) | (buf[offset + 3] ?? 0));
    }
    let end = buf.length;
    if ((b0 & 0x20) !== 0) end -= buf[buf.length - 1] ?? 0;
    return offset < end ? buf.subarray(offset, end) : undefined;
}

/** True if an H.264 RTP payload (RFC 6184) carries NAL 5 or 7, directly or in STAP-A / FU-A. */
export function h264Keyframe(payload: Uint8Array): boolean {
    const key = (t: number): boolean => t === 5 || t === 7;
    const type = (payload[0] ?? 0) & 0x1f;
    if (type === 24) {
        for (let i = 1; i + 2 < payload.length; ) {
            const size = ((payload[i] ?? 0) << 8) | (payload[i + 1] ?? 0);
            if (key((payload[i + 2] ?? 0) & 0x1f)) return true;
            i += 2 + size;
        }
        return false;
    }
    if (type === 28) return ((payload[1] ?? 0) & 0x80) !== 0 && key((payload[1] ?? 0) & 0x1f);
    return key(type);
}

/**
 * True if a VP8 RTP payload (RFC 7741) starts a key frame: the payload descriptor says this
 * packet starts partition 0 (S=1, PID=0), and the VP8 payload header's inverse key frame flag P
 * (bit 0 of its first byte) is 0.
 */
export function vp8Keyframe(payload: Uint8Array): boolean {
    const b0 = payload[0] ?? 0;
    if ((b0 & 0x10) === 0 || (b0 & 0x07) !== 0) return false;
    let offset = 1;
    if ((b0 & 0x80) !== 0) {
        const x = payload[offset++] ?? 0;
        if ((x & 0x80) !== 0) offset += ((payload[offset] ?? 0) & 0x80) !== 0 ? 2 : 1; // PictureID, 7 or 15 bits
        if ((x & 0x40) !== 0) offset++; // TL0PICIDX
        if ((x & 0x30) !== 0) offset++; // TID/Y/KEYIDX
    }
    return offset < payload.length && ((payload[offset] ?? 1) & 0x01) === 0;
}
