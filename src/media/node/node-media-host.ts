/**
 * `NodeMediaHost`: the {@link WebRtcHooks} of a Node camera, one node-datachannel
 * `PeerConnection` per Matter WebRTC session, streaming H.264 from a {@link VideoSource} and Opus
 * silence.
 *
 * Roles. SolicitOffer makes this camera the offerer: a PeerConnection with a sendonly H.264
 * track (PT 96, `profile-level-id=42e01f;packetization-mode=1`, mid "0") and a sendonly Opus track
 * (PT 111, mid "1"); the Offer is produced at once, or after `deferredOfferDelayMs` when the host
 * runs in deferred-offer mode (SolicitOffer then reports `deferred: true`). ProvideOffer (a new
 * session or a re-offer) makes it the answerer: its tracks reuse the Offer's mids and payload
 * types, so libdatachannel's Answer lists only formats the Offer listed; a re-offer builds a new
 * PeerConnection and swaps it in only once its Answer exists, so a failed re-offer leaves the
 * running call alone. As answerer the camera is the DTLS server (`a=setup:passive`, see
 * `asDtlsServer` in offer-plan.ts) and holds the controller's candidates until its Answer was
 * delivered (`onOutboundDone`), so no connectivity check, and no DTLS, reaches the controller
 * before it has the Answer. A libdatachannel 0.24.5 controller can still start DTLS before it
 * committed the Answer's fingerprint when it gets checks early (libdatachannel#1612).
 *
 * Signalling. SDPs and local candidates are pulled by the engine (`take*`). The host calls
 * `offerReady` / `answerReady` on a later macrotask than the hook that produced the SDP, because
 * the engine commits a new session only after the hook returned and drops work for a session it
 * does not know yet; local candidates are announced only after that SDP, so the controller never
 * sees candidates before the description they belong to. Remote candidates are buffered until the
 * remote description is set, in both roles (libdatachannel refuses them earlier). A candidate
 * with a null `sdpMid` goes to the m-line its `sdpMLineIndex` names, else to the first m-line.
 * Candidates libdatachannel refuses are logged and skipped rather than failing the command.
 *
 * Ending. `onEndSession` closes the peer and stops its media. Real controllers never send
 * EndSession, so the host ends a session by itself (`OutboundSignal.endSession`) on the first of:
 * - "closed" (UserHangup) or "failed" (IceTimeout once connected, else IceFailed). A viewer that closes its peer and sends a DTLS close_notify
 *   (Chromium does, 4 ms after `pc.close()`) makes libdatachannel report "disconnected" then
 *   "closed" in the same millisecond (session ended 6–94 ms after the viewer's close); a viewer
 *   that vanished fails ICE consent freshness up to 30 s after its last answered check (measured
 *   26.5–27.2 s). libdatachannel 0.24.5 has no transient "disconnected" (an ICE outage of 3 s
 *   changes no state, and media resumes), so "disconnected" itself is left to the "closed" that
 *   follows it.
 * - an RTCP BYE on one of its tracks (UserHangup);
 * - `rtcpTimeoutMs` without any RTCP from a viewer that has sent some (MediaTimeout). This is the
 *   only signal a libdatachannel viewer gives: its `pc.close()` puts nothing on the wire (no
 *   close_notify, no BYE, checked with a packet capture), so without RTCP it is noticed only by
 *   consent freshness. A viewer that never sent RTCP is never timed out this way.
 *
 * Limits. It never chooses a Matter status: a hook that cannot do its work throws a plain Error
 * (the engine answers FAILURE). One video and one audio m-line are served (the first receivable
 * ones); an Offer whose video m-line has no H.264 with packetization-mode=1 is refused; an audio
 * m-line without Opus is left to libdatachannel's default (it is answered, nothing is sent). The
 * video is the source's stream as is: no transcoding, no simulcast, no bitrate adaptation; a
 * keyframe request (PLI/FIR) restarts the session's source at a keyframe. Data channels in an
 * Offer are answered by libdatachannel and ignored. The process keeps running until `nodeDataChannel.cleanup()`, which this class never calls: `close()` closes
 * its peers, the embedding application decides when the library is done.
 */

import { randomInt } from "node:crypto";
import { Audio, PeerConnection, Video, type RtcConfig, type Track } from "node-datachannel";
import type { IceCandidateSink, OutboundSignal, WebRtcHooks } from "../../engine/hooks.js";
import { EndReason, type IceCandidate, type IceServer, type OfferParams, type RemovalCause, type SolicitOutcome } from "../../engine/types.js";
import { SILENCE_CHECK_INTERVAL_MS, SilenceWatch, VIEWER_SILENCE_LIMIT_MS } from "../liveness.js";
import { asDtlsServer, isH264Mode1, isOpus, planAnswer, type MediaCapabilities, type PlannedTrack } from "../offer-plan.js";
import { candidateType, filterCandidates, mediaSections, mLineIndexOf, takeInlineCandidates, type InlineCandidate, type MediaDirection } from "../sdp.js";
import { H264Sender, OpusSilenceSender, type RtcpSummary } from "./senders.js";
import type { VideoSource } from "./video-source.js";

/** The formats this host offers when it is the offerer. */
export const OFFER_FORMATS = {
    video: { mid: "0", payloadType: 96, fmtp: "profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1" },
    audio: { mid: "1", payloadType: 111, fmtp: "minptime=10;useinbandfec=1" },
} as const;

/** How long the host waits for libdatachannel to produce a local description. */
const LOCAL_DESCRIPTION_TIMEOUT_MS = 10_000;

/** Default `rtcpTimeoutMs`: the shared viewer-silence limit (liveness.ts). */
export const DEFAULT_RTCP_TIMEOUT_MS = VIEWER_SILENCE_LIMIT_MS;

/** Longest wait for the Answer's delivery report before held remote candidates go in anyway. */
const ICE_HOLD_MAX_MS = 3_000;


export interface NodeMediaHostOptions {
    /** Where ready Offers/Answers/candidates are announced; can be given later with `attach`. */
    signal?: OutboundSignal;
    /**
     * Deferred-offer mode: SolicitOffer reports `deferred: true` and the Offer follows after this
     * many milliseconds. Absent (the default): the Offer is produced before SolicitOffer returns.
     */
    deferredOfferDelayMs?: number;
    /**
     * Local address the ICE agent binds to (one host candidate on it). Default "127.0.0.1", which
     * gives loopback-only hosts a host candidate but is reachable only from this machine; pass
     * `null` to bind to every interface (a real deployment).
     */
    bindAddress?: string | null;
    /** The H.264 source; every session gets its own iterator (starting at a keyframe). */
    video: VideoSource;
    /** Send Opus silence on the audio m-line (default true). */
    audio?: boolean;
    /**
     * End a session whose viewer has sent RTCP and then none for this long (MediaTimeout).
     * Default {@link DEFAULT_RTCP_TIMEOUT_MS}; `null` turns the check off.
     */
    rtcpTimeoutMs?: number | null;
    /** One line per notable event (session id first). */
    onLog?: (line: string) => void;
    /**
     * Where CaptureSnapshot's images come from: JPEGs of the frame `video` shows now, at exactly
     * the requested size (`ClipSnapshots` for the test-pattern clip). Absent: the camera answers
     * snapshots with its fixed fixture. The host does not close it.
     */
    snapshots?: SnapshotProducer;
}

/** A producer of snapshot JPEGs at an exact size (e.g. `ClipSnapshots`). */
export interface SnapshotProducer {
    capture(size: { width: number; height: number; quality?: number }): Promise<{ data: Uint8Array; width: number; height: number }>;
}

export type PeerRole = "offerer" | "answerer";

/** What a session's peer is doing, for UIs and tests. */
export interface NodeSessionStats {
    sessionId: number;
    role: PeerRole;
    /** libdatachannel's peer state; "new" also while a deferred Offer is still pending. */
    state: string;
    videoFramesSent: number;
    videoKeyframesSent: number;
    /** H.264 payload bytes handed to the packetizer (no RTP/SRTP overhead). */
    videoBytesSent: number;
    audioPacketsSent: number;
    audioBytesSent: number;
    /** Date.now() when the first video frame was sent, if one was. */
    firstFrameSentAt: number | undefined;
    /** libdatachannel's ICE gathering state ("new", "gathering", "complete"). */
    gatheringState: string;
    /** Local candidates waiting to be taken by the engine. */
    localCandidatesWaiting: number;
    /** Remote candidates waiting for the remote description. */
    remoteCandidatesBuffered: number;
}

/** One node-datachannel PeerConnection and its media. */
class Peer {
    retired = false;
    /**
     * ICETransportPolicy "relay": libjuice pairs every remote candidate with its host socket
     * whatever the policy (libdatachannel#1587), so the host keeps only relayed remote candidates.
     */
    relayOnly = false;
    remoteSet = false;
    /** The Offer/Answer has been announced to the engine: candidates may follow. */
    sdpAnnounced = false;
    localSdp: string | undefined;
    readonly localCandidates: { candidate: string; sdpMid: string }[] = [];
    video: H264Sender | undefined;
    audio: OpusSilenceSender | undefined;
    /** The peer reached "connected" at least once. */
    connectedOnce = false;
    /**
     * Answerer: remote candidates wait until the Answer reached the controller (`releaseIce`), so
     * the camera starts no connectivity check before the controller can answer it with DTLS.
     */
    iceHeld = false;
    iceHoldTimer: ReturnType<typeof setTimeout> | undefined;
    /** The viewer's RTCP, on any track: armed by the first report (liveness.ts). */
    silence: SilenceWatch | undefined;
    /** Checks for RTCP silence; started by the first RTCP. */
    rtcpWatch: ReturnType<typeof setInterval> | undefined;
    /** Resolves with the first local description libdatachannel generates. */
    readonly localDescription: Promise<string>;
    readonly #settle: (error?: Error) => void;

    constructor(
        readonly pc: PeerConnection,
        readonly role: PeerRole,
    ) {
        let settle: (error?: Error) => void = () => undefined;
        this.localDescription = new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => settle(new Error("no local description from libdatachannel")), LOCAL_DESCRIPTION_TIMEOUT_MS);
            settle = error => {
                clearTimeout(timer);
                if (error !== undefined) reject(error);
                else if (this.localSdp !== undefined) resolve(this.localSdp);
            };
            pc.onLocalDescription(sdp => {
                this.localSdp ??= sdp;
                settle();
            });
        });
        this.#settle = settle;
        this.localDescription.catch(() => undefined); // observed by the hook that awaits it
    }

    /** Stops media and closes the PeerConnection; its later callbacks are ignored. */
    retire(): void {
        if (this.retired) return;
        this.retired = true;
        this.#settle(new Error("peer closed"));
        if (this.rtcpWatch !== undefined) clearInterval(this.rtcpWatch);
        this.rtcpWatch = undefined;
        clearTimeout(this.iceHoldTimer);
        this.video?.stop();
        this.audio?.stop();
        try {
            this.pc.close();
        } catch {
            // already closed
        }
    }
}

interface Session {
    id: number;
    peer: Peer | undefined;
    offerSdp: string | undefined;
    answerSdp: string | undefined;
    /** Remote candidates that arrived before the current peer had its remote description. */
    remoteBuffer: IceCandidate[];
    deferTimer: ReturnType<typeof setTimeout> | undefined;
}

export class NodeMediaHost implements WebRtcHooks {
    readonly #sessions = new Map<number, Session>();
    readonly #video: VideoSource;
    readonly #audio: boolean;
    readonly #bindAddress: string | null;
    readonly #deferredDelay: number | undefined;
    readonly #onLog: ((line: string) => void) | undefined;
    readonly #rtcpTimeout: number | null;
    /** A pre-encoded H.264 clip (any profile decodes its constrained baseline) and Opus silence. */
    readonly #capabilities: MediaCapabilities;
    #signal: OutboundSignal | undefined;
    /** The current frame as a JPEG of exactly that size; present when `snapshots` was given. */
    readonly snapshot?: (resolution: { width: number; height: number }, quality: number) => Promise<{ data: Uint8Array; width: number; height: number }>;
    /** Announcements made before `attach`. */
    #unsent: ((signal: OutboundSignal) => void)[] = [];
    #closed = false;

    constructor(options: NodeMediaHostOptions) {
        this.#video = options.video;
        this.#audio = options.audio ?? true;
        this.#bindAddress = options.bindAddress === undefined ? "127.0.0.1" : options.bindAddress;
        const delay = options.deferredOfferDelayMs;
        if (delay !== undefined && !(delay >= 0 && Number.isFinite(delay))) throw new RangeError(`deferredOfferDelayMs ${delay} is not a duration`);
        this.#deferredDelay = delay;
        const rtcpTimeout = options.rtcpTimeoutMs === undefined ? DEFAULT_RTCP_TIMEOUT_MS : options.rtcpTimeoutMs;
        if (rtcpTimeout !== null && !(rtcpTimeout > 0 && Number.isFinite(rtcpTimeout))) throw new RangeError(`rtcpTimeoutMs ${rtcpTimeout} is not a duration`);
        this.#rtcpTimeout = rtcpTimeout;
        this.#onLog = options.onLog;
        this.#signal = options.signal;
        this.#capabilities = { video: isH264Mode1, ...(this.#audio ? { audio: isOpus } : {}) };
        const snapshots = options.snapshots;
        if (snapshots !== undefined) {
            this.snapshot = async (resolution, quality) => {
                const { data, width, height } = await snapshots.capture({ ...resolution, quality });
                return { data, width, height };
            };
        }
    }

    /** Sets the engine to signal (the engine is created with these hooks, so it comes later). */
    attach(signal: OutboundSignal): void {
        this.#signal = signal;
        const unsent = this.#unsent;
        this.#unsent = [];
        for (const send of unsent) send(signal);
    }

    // ── WebRtcHooks: inbound ──────────────────────────────────────────────────────────────────
    async onSolicitOffer(sessionId: number, params: OfferParams): Promise<SolicitOutcome> {
        this.#assertOpen();
        this.#drop(sessionId, "replaced by SolicitOffer");
        const session = this.#newSession(sessionId);
        const delay = this.#deferredDelay;
        if (delay === undefined) {
            const peer = await this.#makeOffer(session, params);
            this.#announceSdp(session, peer, "offer");
            return { deferred: false };
        }
        session.deferTimer = setTimeout(() => {
            session.deferTimer = undefined;
            this.#makeOffer(session, params).then(
                peer => this.#announceSdp(session, peer, "offer"),
                error => {
                    if (this.#sessions.get(sessionId) !== session) return; // ended meanwhile
                    this.#log(sessionId, `deferred offer failed: ${message(error)}`);
                    this.#drop(sessionId, "deferred offer failed");
                    this.#send(signal => signal.endSession(sessionId, EndReason.UnknownReason));
                },
            );
        }, delay);
        this.#log(sessionId, `offer deferred by ${delay} ms`);
        return { deferred: true };
    }

    async onOffer(sessionId: number, sdp: string, params: OfferParams): Promise<void> {
        this.#assertOpen();
        // An offer with only a data channel (the SDK's test SDP) is answered too, with no media,
        // as the reference camera does; one whose video lists nothing we can send is refused.
        const plan = planAnswer(sdp, this.#capabilities);
        for (const s of plan.skipped) this.#log(sessionId, `${s.kind} m-line mid ${s.mid} not sent on: ${s.why}`);
        const { video: plannedVideo, audio: plannedAudio } = plan;
        const existing = this.#sessions.get(sessionId);
        const peer = this.#createPeer(sessionId, "answerer", params);
        let inline: InlineCandidate[] = [];
        try {
            // tracks on the Offer's mids with its payload types, before the Offer is applied, so
            // libdatachannel's Answer lists exactly these formats
            if (plannedVideo !== undefined) {
                const { format } = plannedVideo;
                const video = new Video(plannedVideo.mid, trackDirection(plannedVideo.direction));
                video.addH264Codec(format.payloadType, format.fmtp);
                peer.video = this.#addVideo(peer, sessionId, video, format.payloadType);
            }
            if (plannedAudio !== undefined) {
                const { format } = plannedAudio;
                const audio = new Audio(plannedAudio.mid, trackDirection(plannedAudio.direction));
                audio.addOpusCodec(format.payloadType, format.fmtp === "" ? OFFER_FORMATS.audio.fmtp : format.fmtp);
                peer.audio = this.#addAudio(peer, sessionId, audio, format.payloadType);
            }
            // candidates inside the Offer are held like trickled ones (see `iceHeld`)
            const { sdp: offer, candidates } = takeInlineCandidates(asDtlsServer(sdp));
            inline = candidates;
            peer.iceHeld = true;
            peer.pc.setRemoteDescription(offer, "offer");
            peer.remoteSet = true;
            await peer.localDescription; // libdatachannel answers by itself once the offer is set
        } catch (error) {
            peer.retire();
            throw error;
        }
        if (this.#closed) {
            peer.retire();
            throw new Error("media host closed");
        }
        // swap in: a re-offer replaces the running peer only now that its Answer exists
        const current = this.#sessions.get(sessionId);
        if (existing !== undefined && current !== existing) {
            // ended while the re-offer was being answered (the engine does not clean up after a failed re-offer commit)
            peer.retire();
            throw new Error(`session ${sessionId} ended while its re-offer was answered`);
        }
        const session = current ?? this.#newSession(sessionId);
        const old = session.peer;
        session.peer = peer;
        session.offerSdp = undefined;
        session.answerSdp = peer.localSdp;
        if (old !== undefined) {
            this.#log(sessionId, "re-offer: previous peer closed");
            old.retire();
        }
        if (session.deferTimer !== undefined) clearTimeout(session.deferTimer);
        session.deferTimer = undefined;
        session.remoteBuffer.unshift(...inline.map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex })));
        // a controller that never reports delivery (or a host without an engine) still connects
        peer.iceHoldTimer = setTimeout(() => this.#releaseIce(session, peer, "no delivery report"), ICE_HOLD_MAX_MS);
        peer.iceHoldTimer.unref?.();
        const describe = (t: PlannedTrack | undefined) => (t === undefined ? "none" : `${t.format.codec} PT ${t.format.payloadType} mid ${t.mid} ${t.direction}`);
        this.#log(sessionId, `answering: video ${describe(plannedVideo)}, audio ${describe(plannedAudio)}`);
        this.#announceSdp(session, peer, "answer");
    }

    onAnswer(sessionId: number, sdp: string): void {
        this.#assertOpen();
        const session = this.#sessions.get(sessionId);
        const peer = session?.peer;
        if (session === undefined || peer === undefined || peer.role !== "offerer") {
            throw new Error(`session ${sessionId} has no Offer waiting for an Answer`);
        }
        if (peer.remoteSet) {
            this.#log(sessionId, "duplicate Answer ignored");
            return;
        }
        peer.pc.setRemoteDescription(peer.relayOnly ? filterCandidates(sdp, c => candidateType(c) === "relay") : sdp, "answer");
        peer.remoteSet = true;
        const answered = new Set(mediaSections(sdp).flatMap(s => s.formats.map(f => f.payloadType)));
        if (peer.video !== undefined && !answered.has(OFFER_FORMATS.video.payloadType)) {
            this.#log(sessionId, `answer does not accept H.264 PT ${OFFER_FORMATS.video.payloadType}: the peer may not decode the video`);
        }
        this.#flushRemote(session, peer);
        this.#log(sessionId, "answer applied");
    }

    onIceCandidates(sessionId: number, candidates: IceCandidate[]): void {
        this.#assertOpen();
        const session = this.#sessions.get(sessionId);
        if (session === undefined) throw new Error(`session ${sessionId} is unknown to the media host`);
        session.remoteBuffer.push(...candidates);
        const peer = session.peer;
        if (peer !== undefined && peer.remoteSet) this.#flushRemote(session, peer);
    }

    onEndSession(sessionId: number, reason: EndReason, cause: RemovalCause): void {
        this.#drop(sessionId, `ended (reason ${reason}, ${cause})`); // unknown ids: nothing to release
    }

    // ── WebRtcHooks: outbound pulls ───────────────────────────────────────────────────────────
    takeOfferSdp(sessionId: number): string {
        const session = this.#sessions.get(sessionId);
        const sdp = session?.offerSdp;
        if (session === undefined || sdp === undefined) throw new Error(`no Offer waiting for session ${sessionId}`);
        session.offerSdp = undefined;
        return sdp;
    }

    takeAnswerSdp(sessionId: number): string {
        const session = this.#sessions.get(sessionId);
        const sdp = session?.answerSdp;
        if (session === undefined || sdp === undefined) throw new Error(`no Answer waiting for session ${sessionId}`);
        session.answerSdp = undefined;
        return sdp;
    }

    takeIceCandidates(sessionId: number, sink: IceCandidateSink): boolean {
        const peer = this.#sessions.get(sessionId)?.peer;
        if (peer === undefined || peer.retired) return false;
        const queue = peer.localCandidates;
        const localSdp = peer.localSdp ?? "";
        while (queue.length > 0) {
            const next = queue[0];
            if (next === undefined) break;
            const result = sink.push({ candidate: next.candidate, sdpMid: next.sdpMid, sdpMLineIndex: mLineIndexOf(localSdp, next.sdpMid) });
            if (result === "full") return true;
            queue.shift();
            if (result === "rejected") this.#log(sessionId, `local candidate dropped by the engine: ${next.candidate}`);
        }
        return false;
    }

    /** The engine delivered (or gave up) outbound work: an Answer that left releases the held candidates. */
    onOutboundDone(sessionId: number, kind: string): void {
        if (kind !== "answer") return;
        const session = this.#sessions.get(sessionId);
        const peer = session?.peer;
        if (session !== undefined && peer !== undefined) this.#releaseIce(session, peer, "Answer delivered");
    }

    // ── host API ──────────────────────────────────────────────────────────────────────────────
    /** Sessions the host has a record of. */
    sessionIds(): number[] {
        return [...this.#sessions.keys()];
    }

    stats(sessionId: number): NodeSessionStats | undefined {
        const session = this.#sessions.get(sessionId);
        if (session === undefined) return undefined;
        const peer = session.peer;
        let state = "new";
        let gatheringState = "new";
        if (peer !== undefined) {
            try {
                state = peer.retired ? "closed" : peer.pc.state();
                gatheringState = peer.retired ? "complete" : peer.pc.gatheringState();
            } catch {
                state = "closed";
            }
        }
        const v = peer?.video?.counters;
        const a = peer?.audio?.counters;
        return {
            sessionId,
            role: peer?.role ?? "offerer",
            state,
            videoFramesSent: v?.units ?? 0,
            videoKeyframesSent: v?.keyframes ?? 0,
            videoBytesSent: v?.bytes ?? 0,
            audioPacketsSent: a?.units ?? 0,
            audioBytesSent: a?.bytes ?? 0,
            firstFrameSentAt: v?.firstSentAt,
            gatheringState,
            localCandidatesWaiting: peer?.localCandidates.length ?? 0,
            remoteCandidatesBuffered: session.remoteBuffer.length,
        };
    }

    /** Closes every peer and refuses further sessions. Does not call `nodeDataChannel.cleanup()`. */
    close(): void {
        this.#closed = true;
        for (const id of [...this.#sessions.keys()]) this.#drop(id, "host closed");
    }

    // ── internals ─────────────────────────────────────────────────────────────────────────────
    #assertOpen(): void {
        if (this.#closed) throw new Error("media host closed");
    }

    #newSession(id: number): Session {
        const session: Session = { id, peer: undefined, offerSdp: undefined, answerSdp: undefined, remoteBuffer: [], deferTimer: undefined };
        this.#sessions.set(id, session);
        return session;
    }

    /** Forgets a session and releases its peer; false when it was unknown. */
    #drop(sessionId: number, why: string): boolean {
        const session = this.#sessions.get(sessionId);
        if (session === undefined) return false;
        this.#sessions.delete(sessionId);
        if (session.deferTimer !== undefined) clearTimeout(session.deferTimer);
        session.deferTimer = undefined;
        session.peer?.retire();
        this.#log(sessionId, `closed: ${why}`);
        return true;
    }

    #createPeer(sessionId: number, role: PeerRole, params: OfferParams): Peer {
        const config: RtcConfig = {
            iceServers: iceServerUrls(params.iceServers),
            iceTransportPolicy: params.iceTransportPolicy === "relay" ? "relay" : "all",
        };
        if (this.#bindAddress !== null) config.bindAddress = this.#bindAddress;
        const pc = new PeerConnection(`matter-webrtc-${sessionId}`, config);
        const peer = new Peer(pc, role);
        peer.relayOnly = config.iceTransportPolicy === "relay";
        pc.onLocalCandidate((candidate, mid) => this.#localCandidate(sessionId, peer, candidate, mid));
        pc.onStateChange(state => this.#stateChange(sessionId, peer, state));
        return peer;
    }

    #addVideo(peer: Peer, sessionId: number, video: Video, payloadType: number): H264Sender {
        const ssrc = randomSsrc();
        video.addSSRC(ssrc, CNAME, CNAME, `video-${sessionId}`);
        const track: Track = peer.pc.addTrack(video);
        const sender = new H264Sender(track, { ssrc, cname: CNAME, payloadType }, this.#video);
        sender.onRtcp = summary => this.#rtcp(sessionId, peer, summary);
        return sender;
    }

    #addAudio(peer: Peer, sessionId: number, audio: Audio, payloadType: number): OpusSilenceSender {
        const ssrc = randomSsrc();
        audio.addSSRC(ssrc, CNAME, CNAME, `audio-${sessionId}`);
        const track: Track = peer.pc.addTrack(audio);
        const sender = new OpusSilenceSender(track, { ssrc, cname: CNAME, payloadType });
        sender.onRtcp = summary => this.#rtcp(sessionId, peer, summary);
        return sender;
    }

    /** Builds the offerer's peer and its Offer; stores the Offer in `session` if still current. */
    async #makeOffer(session: Session, params: OfferParams): Promise<Peer> {
        const id = session.id;
        const peer = this.#createPeer(id, "offerer", params);
        try {
            const { video: v, audio: a } = OFFER_FORMATS;
            const video = new Video(v.mid, "SendOnly");
            video.addH264Codec(v.payloadType, v.fmtp);
            peer.video = this.#addVideo(peer, id, video, v.payloadType);
            if (this.#audio) {
                const audio = new Audio(a.mid, "SendOnly");
                audio.addOpusCodec(a.payloadType, a.fmtp);
                peer.audio = this.#addAudio(peer, id, audio, a.payloadType);
            }
            peer.pc.setLocalDescription("offer");
            await peer.localDescription;
        } catch (error) {
            peer.retire();
            throw error;
        }
        if (this.#sessions.get(id) !== session) {
            peer.retire();
            throw new Error(`session ${id} ended while its Offer was made`);
        }
        session.peer = peer;
        session.offerSdp = peer.localSdp;
        this.#log(id, "offer created");
        return peer;
    }

    /**
     * Announces the Offer/Answer on a later macrotask (after the engine committed the session),
     * then any local candidates that gathered meanwhile.
     */
    #announceSdp(session: Session, peer: Peer, kind: "offer" | "answer"): void {
        setImmediate(() => {
            if (peer.retired || this.#sessions.get(session.id) !== session || session.peer !== peer) return;
            peer.sdpAnnounced = true;
            const id = session.id;
            this.#send(signal => (kind === "offer" ? signal.offerReady(id) : signal.answerReady(id)));
            if (peer.localCandidates.length > 0) this.#send(signal => signal.iceCandidatesReady(id));
        });
    }

    #localCandidate(sessionId: number, peer: Peer, candidate: string, mid: string): void {
        if (peer.retired) return;
        peer.localCandidates.push({ candidate: candidate.replace(/^a=/, ""), sdpMid: mid });
        if (peer.sdpAnnounced) this.#send(signal => signal.iceCandidatesReady(sessionId));
    }

    /** Applies buffered remote candidates to a peer whose remote description is set. */
    /** Lets held remote candidates in: the controller has the Answer (or we stop waiting for it). */
    #releaseIce(session: Session, peer: Peer, why: string): void {
        if (!peer.iceHeld || peer.retired) return;
        peer.iceHeld = false;
        clearTimeout(peer.iceHoldTimer);
        this.#log(session.id, `remote candidates released (${why})`);
        this.#flushRemote(session, peer);
    }

    #flushRemote(session: Session, peer: Peer): void {
        if (!peer.remoteSet || peer.retired || peer.iceHeld) return;
        const candidates = session.remoteBuffer.splice(0);
        if (candidates.length === 0) return;
        const sections = mediaSections(peer.pc.remoteDescription()?.sdp ?? "");
        for (const c of candidates) {
            const text = c.candidate.trim();
            if (text === "" || text === "a=end-of-candidates" || text === "end-of-candidates") continue;
            if (peer.relayOnly && candidateType(text) !== "relay") continue;
            const byIndex = c.sdpMLineIndex === null ? undefined : sections[c.sdpMLineIndex]?.mid;
            const mid = c.sdpMid ?? byIndex ?? sections[0]?.mid ?? "0";
            try {
                peer.pc.addRemoteCandidate(text, mid);
            } catch (error) {
                this.#log(session.id, `remote candidate refused (${message(error)}): ${text}`);
            }
        }
    }

    #stateChange(sessionId: number, peer: Peer, state: string): void {
        if (peer.retired) return;
        this.#log(sessionId, `peer ${state}`);
        if (state === "connected") peer.connectedOnce = true;
        // "closed" without our close() is the viewer's DTLS close_notify: it hung up; "failed" is
        // consent freshness expiring on a path that worked (a timeout), or ICE that never worked
        if (state === "closed") this.#endByPeer(sessionId, peer, "the viewer closed its peer", EndReason.UserHangup);
        else if (state === "failed") this.#endByPeer(sessionId, peer, "peer failed", peer.connectedOnce ? EndReason.IceTimeout : EndReason.IceFailed);
    }

    /**
     * The viewer's RTCP on one of the peer's tracks: a BYE ends the session, anything else proves
     * the viewer is there. The first one arms the silence check, so a viewer that never sends RTCP
     * (a libdatachannel peer without an `RtcpReceivingSession`) is left to consent freshness.
     */
    #rtcp(sessionId: number, peer: Peer, summary: RtcpSummary): void {
        if (peer.retired) return;
        if (summary.bye) {
            this.#endByPeer(sessionId, peer, "RTCP BYE from the viewer", EndReason.UserHangup);
            return;
        }
        const timeout = this.#rtcpTimeout;
        if (timeout === null) return;
        if (peer.silence === undefined) {
            const silence = new SilenceWatch(timeout);
            peer.silence = silence;
            peer.rtcpWatch = setInterval(() => {
                if (silence.expired()) {
                    this.#endByPeer(sessionId, peer, `no RTCP from the viewer for ${Math.round(silence.silentFor() ?? 0)} ms`, EndReason.MediaTimeout);
                }
            }, SILENCE_CHECK_INTERVAL_MS);
            peer.rtcpWatch.unref?.();
        }
        peer.silence.heard();
    }


    /** Ends the session whose current peer is `peer` and tells the engine; a replaced peer is just closed. */
    #endByPeer(sessionId: number, peer: Peer, why: string, reason: EndReason): void {
        const session = this.#sessions.get(sessionId);
        if (session?.peer === peer) {
            this.#drop(sessionId, why);
            this.#send(signal => signal.endSession(sessionId, reason));
        } else {
            peer.retire();
        }
    }

    #send(announce: (signal: OutboundSignal) => void): void {
        const signal = this.#signal;
        if (signal === undefined) {
            this.#unsent.push(announce);
            return;
        }
        try {
            announce(signal);
        } catch (error) {
            this.#onLog?.(`media host: signal failed: ${message(error)}`);
        }
    }

    #log(sessionId: number, text: string): void {
        this.#onLog?.(`session ${sessionId}: ${text}`);
    }
}

const CNAME = "matter-camera";

/** libdatachannel's name for a planned direction. */
function trackDirection(direction: MediaDirection): "SendOnly" | "SendRecv" | "RecvOnly" | "Inactive" {
    switch (direction) {
        case "sendonly":
            return "SendOnly";
        case "sendrecv":
            return "SendRecv";
        case "recvonly":
            return "RecvOnly";
        default:
            return "Inactive";
    }
}

function randomSsrc(): number {
    return randomInt(1, 0xffffffff);
}

function message(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/**
 * Matter ICE servers as libdatachannel URLs: TURN credentials go into the URL
 * (`turn:user:pass@host:port`, percent-encoded), as node-datachannel's own RTCPeerConnection does.
 */
export function iceServerUrls(servers: readonly IceServer[] | undefined): string[] {
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
