/**
 * A controller-side WebRTC peer for media tests: a node-datachannel PeerConnection that receives
 * H.264 video and Opus audio and counts what arrives (RTP of the chosen payload types only).
 *
 * It plays the part a Matter controller's WebRTC stack plays, without Matter: the test moves its
 * SDP and candidates to the host's hooks by hand. Remote candidates are buffered until the remote
 * description is set (libdatachannel aborts the process on a candidate that comes earlier from a
 * callback).
 */

import { Audio, PeerConnection, Video, type DescriptionType, type Track } from "node-datachannel";

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
}

export class ControllerPeer {
    readonly pc: PeerConnection;
    readonly video: VideoCounts = { packets: 0, frames: 0, keyframes: 0, bytes: 0, firstPacketAt: undefined, timestamps: new Set() };
    audioPackets = 0;
    readonly localCandidates: { candidate: string; mid: string }[] = [];
    localSdp: string | undefined;
    #remoteSet = false;
    #pendingRemote: { candidate: string; mid: string }[] = [];
    readonly #tracks: Track[] = [];
    #onCandidate: ((c: { candidate: string; mid: string }) => void) | undefined;
    readonly #localDescription: Promise<string>;

    constructor(readonly options: ControllerOptions) {
        this.pc = new PeerConnection("controller", { iceServers: [], bindAddress: "127.0.0.1" });
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
        this.#tracks.push(vt, at);
        vt.onMessage(buf => this.#onVideo(buf));
        at.onMessage(buf => {
            if ((buf[1] ?? 0) % 128 === o.audioPt) this.audioPackets++;
        });
    }

    /** The controller offers (recvonly video + audio, mids "v" and "a"). */
    async createOffer(): Promise<string> {
        this.addReceivers("v", "a");
        this.pc.setLocalDescription("offer");
        return this.#localDescription;
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
        if ((b1 & 0x7f) !== this.options.videoPt) return; // RTCP, RTX, other formats
        const v = this.video;
        v.packets++;
        v.bytes += buf.length;
        v.firstPacketAt ??= performance.now();
        v.timestamps.add(buf.readUInt32BE(4));
        const payload = rtpPayload(buf);
        if (payload !== undefined && h264Keyframe(payload)) this.#keyInFrame = true;
        if ((b1 & 0x80) !== 0) {
            v.frames++;
            if (this.#keyInFrame) v.keyframes++;
            this.#keyInFrame = false;
        }
    }
    #keyInFrame = false;
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
