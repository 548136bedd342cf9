/**
 * `NodeMediaHost`: the `MediaHost` of a Node camera, one node-datachannel `PeerConnection` per
 * Matter WebRTC session, streaming H.264 from a {@link VideoSource} and Opus silence.
 *
 * Roles. SolicitOffer makes the camera the offerer: a sendonly H.264 track (PT 96,
 * `profile-level-id=42e01f;packetization-mode=1`, mid "0") and a sendonly Opus track (PT 111,
 * mid "1"); the Offer is returned at once, or reported later (`MediaEvents.offerReady`) after
 * `deferredOfferDelayMs` in deferred-offer mode. ProvideOffer (a new session or a re-offer) makes
 * it the answerer: offer-plan.ts chooses what to send (the Offer's first H.264
 * packetization-mode 1 format, Opus), the tracks take the Offer's mids and payload types so
 * libdatachannel's Answer lists exactly those, and the camera answers as the DTLS server. A
 * re-offer builds a new peer that takes over only once it has answered (media-sessions.ts).
 *
 * ICE. The controller's ICE servers (TURN credentials in the URL) and transport policy; under
 * "relay" only relayed remote candidates are used, as libjuice pairs every remote candidate with
 * its host socket whatever the policy (libdatachannel#1587). As answerer the camera holds the
 * controller's candidates, inline ones included, until its Answer was delivered (`delivered`, at
 * most {@link ICE_HOLD_MAX_MS}), so no connectivity check, and no DTLS, reaches a controller before
 * it has the Answer: a libdatachannel 0.24.5 controller drops DTLS that comes before its transport
 * exists (libdatachannel#1554) and retries after 1 s. Remote candidates with a null `sdpMid` go to
 * the m-line their `sdpMLineIndex` names, else to the first; ones libdatachannel refuses are logged
 * and skipped.
 *
 * Ending (liveness.ts). `end` closes the peer. Controllers never send EndSession, so the host ends
 * a session itself (`MediaEvents.sessionFailed`) on: "closed", the viewer's DTLS close_notify
 * (UserHangup, milliseconds after the viewer's close); an RTCP BYE (UserHangup); the viewer's
 * RTCP stopping for `rtcpTimeoutMs` after it had reported (MediaTimeout; a libdatachannel viewer's
 * close sends nothing else); "failed", consent freshness running out (IceTimeout once connected,
 * else IceFailed; ~27 s). libdatachannel reports no transient "disconnected", so none is acted on.
 *
 * Media. The source's pre-encoded stream as is: no transcoding, simulcast or bitrate adaptation;
 * each session starts at a keyframe and a PLI/FIR restarts it at one (senders.ts). Data channels
 * in an Offer are answered by libdatachannel and ignored. Snapshots come from `snapshots`.
 *
 * It never chooses a Matter status: what cannot be done throws a plain Error (the engine answers
 * FAILURE). The process keeps running until `nodeDataChannel.cleanup()`, which this class never
 * calls: `close()` closes its peers, the embedding application decides when the library is done.
 *
 * Size: one session's whole life against libdatachannel's callbacks (both roles, the held
 * candidates, the liveness rules wired to its track and peer events, snapshots); the rules
 * themselves live in the shared modules above.
 */

import { randomInt } from "node:crypto";
import { Audio, PeerConnection, Video, type RtcConfig, type Track } from "node-datachannel";
import type { MediaEvents, MediaHost, MediaSnapshot } from "../../engine/media-host.js";
import { EndReason, type IceCandidate, type OfferParams, type OutboundWork, type RemovalCause } from "../../engine/types.js";
import { libdatachannelIceUrls, transportPolicy } from "../ice-servers.js";
import { SILENCE_CHECK_INTERVAL_MS, SilenceWatch, VIEWER_SILENCE_LIMIT_MS } from "../liveness.js";
import { candidateMid, candidateText, MediaPeer, MediaSessions, type MediaSession, type PeerRole } from "../media-sessions.js";
import { asDtlsServer, isH264Mode1, isOpus, OFFER_DIRECTION, planAnswer, type MediaCapabilities, type PlannedTrack } from "../offer-plan.js";
import { candidateType, filterCandidates, mediaSections, mLineIndexOf, takeInlineCandidates, type MediaDirection } from "../sdp.js";
import { H264Sender, OpusSilenceSender, type RtcpSummary } from "./senders.js";
import type { VideoSource } from "./video-source.js";

export type { PeerRole };

/** The formats this host offers when it is the offerer. */
export const OFFER_FORMATS = {
    /** H.264 Constrained Baseline 3.1, packetization-mode 1. */
    video: {
        /** The video m-line's media id. */
        mid: "0",
        /** The RTP payload type. */
        payloadType: 96,
        /** The `a=fmtp` parameters. */
        fmtp: "profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1",
    },
    /** Opus (silence). */
    audio: {
        /** The audio m-line's media id. */
        mid: "1",
        /** The RTP payload type. */
        payloadType: 111,
        /** The `a=fmtp` parameters. */
        fmtp: "minptime=10;useinbandfec=1",
    },
} as const;

/** Default `rtcpTimeoutMs`: the shared viewer-silence limit (liveness.ts). */
export const DEFAULT_RTCP_TIMEOUT_MS = VIEWER_SILENCE_LIMIT_MS;

/** How long the host waits for libdatachannel to produce a local description. */
const LOCAL_DESCRIPTION_TIMEOUT_MS = 10_000;

/** Longest wait for the Answer's delivery report before held remote candidates go in anyway. */
const ICE_HOLD_MAX_MS = 3_000;

const CNAME = "matter-camera";

/** Options of {@link NodeMediaHost}: the video source, and how the host behaves on the network and with viewers. */
export interface NodeMediaHostOptions {
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
    /** A JPEG of the current frame at exactly `width`×`height` (JPEG `quality` 1–100). */
    capture(size: { width: number; height: number; quality?: number }): Promise<MediaSnapshot>;
}

/** What a session's peer is doing, for UIs and tests. */
export interface NodeSessionStats {
    /** The Matter WebRTC session. */
    sessionId: number;
    /** Whether the camera made the Offer or answered the controller's. */
    role: PeerRole;
    /** libdatachannel's peer state; "new" also while a deferred Offer is still pending. */
    state: string;
    /** H.264 access units sent. */
    videoFramesSent: number;
    /** Of those, keyframes (IDR). */
    videoKeyframesSent: number;
    /** H.264 payload bytes handed to the packetizer (no RTP/SRTP overhead). */
    videoBytesSent: number;
    /** Opus packets sent. */
    audioPacketsSent: number;
    /** Opus payload bytes sent. */
    audioBytesSent: number;
    /** Date.now() when the first video frame was sent, if one was. */
    firstFrameSentAt: number | undefined;
    /** libdatachannel's ICE gathering state ("new", "gathering", "complete"). */
    gatheringState: string;
    /** Local candidates waiting to be taken by the engine. */
    localCandidatesWaiting: number;
    /** Remote candidates waiting for the peer (remote description, Answer delivery). */
    remoteCandidatesBuffered: number;
}

/** One node-datachannel PeerConnection and its media. */
class NodePeer extends MediaPeer {
    localSdp: string | undefined;
    readonly localCandidates: { candidate: string; sdpMid: string }[] = [];
    video: H264Sender | undefined;
    audio: OpusSilenceSender | undefined;
    /** ICETransportPolicy "relay": only relayed remote candidates (see the module comment). */
    relayOnly = false;
    iceHoldTimer: ReturnType<typeof setTimeout> | undefined;
    silenceTimer: ReturnType<typeof setInterval> | undefined;
    /** The viewer's RTCP on any track, armed by the first report (liveness.ts). */
    silence: SilenceWatch | undefined;
    /** Resolves with the first local description libdatachannel generates. */
    readonly localDescription: Promise<string>;
    readonly #settle: (error?: Error) => void;

    constructor(
        readonly pc: PeerConnection,
        role: PeerRole,
    ) {
        super(role);
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
        this.localDescription.catch(() => undefined); // observed by the call that awaits it
    }

    protected close(): void {
        this.#settle(new Error("peer closed"));
        clearTimeout(this.iceHoldTimer);
        clearInterval(this.silenceTimer);
        this.video?.stop();
        this.audio?.stop();
        try {
            this.pc.close();
        } catch {
            // already closed
        }
    }
}

/**
 * The Node media plane: one node-datachannel PeerConnection per Matter WebRTC session, offerer
 * (SolicitOffer) or answerer (ProvideOffer), trickle ICE both ways, sending the H.264 source and
 * Opus silence. Give it to `CameraNode.create` or `WebRtcService.install` as the `media`.
 */
export class NodeMediaHost implements MediaHost {
    readonly #sessions: MediaSessions<NodePeer>;
    readonly #video: VideoSource;
    readonly #audio: boolean;
    readonly #bindAddress: string | null;
    readonly #deferredDelay: number | undefined;
    readonly #rtcpTimeout: number | null;
    readonly #onLog: ((line: string) => void) | undefined;
    /** A pre-encoded H.264 clip (any profile decodes its constrained baseline) and Opus silence. */
    readonly #capabilities: MediaCapabilities;
    readonly #deferTimers = new Map<number, ReturnType<typeof setTimeout>>();
    #events: MediaEvents | undefined;
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
        const snapshots = options.snapshots;
        this.#capabilities = { video: isH264Mode1, ...(this.#audio ? { audio: isOpus } : {}) };
        this.#sessions = new MediaSessions((id, text) => this.#log(id, text));
        // a host without snapshots leaves CaptureSnapshot to the camera's fixture
        if (snapshots !== undefined) {
            this.snapshot = async (resolution, quality) => {
                const { data, width, height } = await snapshots.capture({ ...resolution, quality });
                return { data, width, height };
            };
        }
    }

    attachEvents(events: MediaEvents): void {
        this.#events = events;
    }

    // ── MediaHost: inbound ────────────────────────────────────────────────────────────────────
    async solicitOffer(
        sessionId: number,
        params: OfferParams,
    ): Promise<
        | {
              /** The local Offer. */
              sdp: string;
          }
        | {
              /** The Offer follows after `deferredOfferDelayMs`. */
              deferred: true;
          }
    > {
        this.#assertOpen();
        this.#clearDefer(sessionId);
        const session = this.#sessions.open(sessionId);
        const delay = this.#deferredDelay;
        if (delay === undefined) return { sdp: await this.#makeOffer(session, params) };
        this.#deferTimers.set(
            sessionId,
            setTimeout(() => {
                this.#deferTimers.delete(sessionId);
                this.#makeOffer(session, params).then(
                    sdp => this.#events?.offerReady(sessionId, sdp),
                    error => {
                        if (!this.#sessions.isCurrent(session)) return; // ended meanwhile
                        this.#sessions.drop(sessionId, "deferred offer failed");
                        this.#events?.sessionFailed(sessionId, EndReason.UnknownReason, `deferred offer failed: ${message(error)}`);
                    },
                );
            }, delay),
        );
        this.#log(sessionId, `offer deferred by ${delay} ms`);
        return { deferred: true };
    }

    async answerOffer(
        sessionId: number,
        sdp: string,
        params: OfferParams,
    ): Promise<{
        /** The local Answer. */
        sdp: string;
    }> {
        this.#assertOpen();
        // An offer with only a data channel (the SDK's test SDP) is answered too, with no media,
        // as the reference camera does; one whose video lists nothing we can send is refused.
        const plan = planAnswer(sdp, this.#capabilities);
        for (const s of plan.skipped) this.#log(sessionId, `${s.kind} m-line mid ${s.mid} not sent on: ${s.why}`);
        const existing = this.#sessions.get(sessionId);
        const pending = this.#sessions.pending(sessionId);
        const peer = this.#createPeer(pending, "answerer", params);
        // candidates inside the Offer wait with trickled ones until the Answer was delivered
        const { sdp: offer, candidates: inline } = takeInlineCandidates(asDtlsServer(sdp));
        try {
            // tracks on the Offer's mids with its payload types, before the Offer is applied, so
            // libdatachannel's Answer lists exactly these formats
            if (plan.video !== undefined) peer.video = this.#addVideo(peer, sessionId, plan.video);
            if (plan.audio !== undefined) peer.audio = this.#addAudio(peer, sessionId, plan.audio.mid, plan.audio.direction, plan.audio.format);
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
        this.#clearDefer(sessionId);
        const session = this.#sessions.adopt(sessionId, peer, existing, pending);
        session.remoteBuffer.unshift(...inline);
        // a controller that never reports delivery (or a host without an engine) still connects
        peer.iceHoldTimer = setTimeout(() => this.#releaseIce(session, peer, "no delivery report"), ICE_HOLD_MAX_MS);
        peer.iceHoldTimer.unref?.();
        const describe = (t: PlannedTrack | undefined) => (t === undefined ? "none" : `${t.format.codec} PT ${t.format.payloadType} mid ${t.mid} ${t.direction}`);
        this.#log(sessionId, `answering: video ${describe(plan.video)}, audio ${describe(plan.audio)}`);
        return { sdp: peer.localSdp ?? "" };
    }

    applyAnswer(sessionId: number, sdp: string): void {
        this.#assertOpen();
        const waiting = this.#sessions.awaitingAnswer(sessionId);
        if (waiting === undefined) return;
        const { session, peer } = waiting;
        peer.pc.setRemoteDescription(peer.relayOnly ? filterCandidates(sdp, c => candidateType(c) === "relay") : sdp, "answer");
        peer.remoteSet = true;
        const answered = new Set(mediaSections(sdp).flatMap(s => s.formats.map(f => f.payloadType)));
        if (peer.video !== undefined && !answered.has(OFFER_FORMATS.video.payloadType)) {
            this.#log(sessionId, `answer does not accept H.264 PT ${OFFER_FORMATS.video.payloadType}: the peer may not decode the video`);
        }
        this.#flushRemote(session);
        this.#log(sessionId, "answer applied");
    }

    addRemoteCandidates(sessionId: number, candidates: IceCandidate[]): void {
        this.#assertOpen();
        const session = this.#sessions.bufferRemote(sessionId, candidates);
        if (session === undefined) throw new Error(`session ${sessionId} is unknown to the media host`);
        this.#flushRemote(session);
    }

    takeLocalCandidates(sessionId: number): IceCandidate[] {
        const peer = this.#sessions.get(sessionId)?.peer;
        if (peer === undefined || peer.retired) return [];
        const localSdp = peer.localSdp ?? "";
        return peer.localCandidates.splice(0).map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: mLineIndexOf(localSdp, c.sdpMid) }));
    }

    end(sessionId: number, reason: EndReason, cause: RemovalCause): void {
        this.#clearDefer(sessionId);
        this.#sessions.drop(sessionId, `ended (reason ${reason}, ${cause})`); // unknown ids: nothing to release
    }

    /** An Answer that reached the controller releases the candidates held for it. */
    delivered(sessionId: number, kind: OutboundWork["kind"]): void {
        if (kind !== "answer") return;
        const session = this.#sessions.get(sessionId);
        const peer = session?.peer;
        if (session !== undefined && peer !== undefined) this.#releaseIce(session, peer, "Answer delivered");
    }

    /** The current frame as a JPEG of exactly that size; present only with `snapshots`. */
    readonly snapshot?: (resolution: { width: number; height: number }, quality: number) => Promise<MediaSnapshot>;

    // ── host API ──────────────────────────────────────────────────────────────────────────────
    /** Sessions the host has a record of. */
    sessionIds(): number[] {
        return this.#sessions.ids();
    }

    /** What the session's peer is doing, or undefined for an unknown session. */
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
        for (const id of [...this.#deferTimers.keys()]) this.#clearDefer(id);
        this.#sessions.closeAll("host closed");
    }

    // ── internals ─────────────────────────────────────────────────────────────────────────────
    #assertOpen(): void {
        if (this.#closed) throw new Error("media host closed");
    }

    #clearDefer(sessionId: number): void {
        clearTimeout(this.#deferTimers.get(sessionId));
        this.#deferTimers.delete(sessionId);
    }

    #createPeer(session: MediaSession<NodePeer>, role: PeerRole, params: OfferParams): NodePeer {
        const config: RtcConfig = { iceServers: libdatachannelIceUrls(params.iceServers), iceTransportPolicy: transportPolicy(params.iceTransportPolicy) };
        if (this.#bindAddress !== null) config.bindAddress = this.#bindAddress;
        const id = session.id;
        const pc = new PeerConnection(`matter-webrtc-${id}`, config);
        const peer = new NodePeer(pc, role);
        peer.relayOnly = config.iceTransportPolicy === "relay";
        pc.onLocalCandidate((candidate, mid) => {
            if (peer.retired) return;
            peer.localCandidates.push({ candidate: candidate.replace(/^a=/, ""), sdpMid: mid });
            this.#events?.candidatesReady(id); // the engine sends them after the description
        });
        pc.onStateChange(state => this.#stateChange(id, peer, state));
        return peer;
    }

    #addVideo(peer: NodePeer, sessionId: number, planned: { mid: string; direction: MediaDirection; format: { payloadType: number; fmtp: string } }): H264Sender {
        const video = new Video(planned.mid, trackDirection(planned.direction));
        video.addH264Codec(planned.format.payloadType, planned.format.fmtp);
        const ssrc = randomSsrc();
        video.addSSRC(ssrc, CNAME, CNAME, `video-${sessionId}`);
        const track: Track = peer.pc.addTrack(video);
        const sender = new H264Sender(track, { ssrc, cname: CNAME, payloadType: planned.format.payloadType }, this.#video);
        sender.onRtcp = summary => this.#rtcp(sessionId, peer, summary);
        return sender;
    }

    #addAudio(peer: NodePeer, sessionId: number, mid: string, direction: MediaDirection, format: { payloadType: number; fmtp: string }): OpusSilenceSender {
        const audio = new Audio(mid, trackDirection(direction));
        audio.addOpusCodec(format.payloadType, format.fmtp === "" ? OFFER_FORMATS.audio.fmtp : format.fmtp);
        const ssrc = randomSsrc();
        audio.addSSRC(ssrc, CNAME, CNAME, `audio-${sessionId}`);
        const track: Track = peer.pc.addTrack(audio);
        const sender = new OpusSilenceSender(track, { ssrc, cname: CNAME, payloadType: format.payloadType });
        sender.onRtcp = summary => this.#rtcp(sessionId, peer, summary);
        return sender;
    }

    /** Builds the offerer's peer and returns its Offer, if `session` is still current by then. */
    async #makeOffer(session: MediaSession<NodePeer>, params: OfferParams): Promise<string> {
        const id = session.id;
        const peer = this.#createPeer(session, "offerer", params);
        try {
            const { video: v, audio: a } = OFFER_FORMATS;
            peer.video = this.#addVideo(peer, id, { mid: v.mid, direction: OFFER_DIRECTION, format: v });
            if (this.#audio) peer.audio = this.#addAudio(peer, id, a.mid, OFFER_DIRECTION, a);
            peer.pc.setLocalDescription("offer");
            await peer.localDescription;
        } catch (error) {
            peer.retire();
            throw error;
        }
        if (!this.#sessions.isCurrent(session)) {
            peer.retire();
            throw new Error(`session ${id} ended while its Offer was made`);
        }
        session.peer = peer;
        this.#log(id, "offer created");
        return peer.localSdp ?? "";
    }

    /** Lets held remote candidates in: the controller has the Answer (or we stop waiting for it). */
    #releaseIce(session: MediaSession<NodePeer>, peer: NodePeer, why: string): void {
        if (!peer.iceHeld || peer.retired) return;
        peer.iceHeld = false;
        clearTimeout(peer.iceHoldTimer);
        this.#log(session.id, `remote candidates released (${why})`);
        this.#flushRemote(session);
    }

    /** Gives the session's peer the buffered candidates it can take now. */
    #flushRemote(session: MediaSession<NodePeer>): void {
        const peer = session.peer;
        const candidates = this.#sessions.takeRemote(session);
        if (peer === undefined || candidates.length === 0) return;
        const remoteSdp = peer.pc.remoteDescription()?.sdp ?? "";
        for (const c of candidates) {
            const text = candidateText(c);
            if (text === undefined || (peer.relayOnly && candidateType(text) !== "relay")) continue;
            try {
                peer.pc.addRemoteCandidate(text, candidateMid(c, remoteSdp));
            } catch (error) {
                this.#log(session.id, `remote candidate refused (${message(error)}): ${text}`);
            }
        }
    }

    #stateChange(sessionId: number, peer: NodePeer, state: string): void {
        if (peer.retired) return;
        this.#log(sessionId, `peer ${state}`);
        if (state === "connected") peer.connectedOnce = true;
        // "closed" without our close() is the viewer's DTLS close_notify: it hung up; "failed" is
        // consent freshness expiring on a path that worked (a timeout), or ICE that never worked
        if (state === "closed") this.#endByPeer(sessionId, peer, "the viewer closed its peer", EndReason.UserHangup);
        else if (state === "failed") this.#endByPeer(sessionId, peer, "peer failed", peer.connectedOnce ? EndReason.IceTimeout : EndReason.IceFailed);
    }

    /** The viewer's RTCP on one of the peer's tracks: a BYE ends the session, anything else proves it is there. */
    #rtcp(sessionId: number, peer: NodePeer, summary: RtcpSummary): void {
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
            peer.silenceTimer = setInterval(() => {
                if (silence.expired()) {
                    this.#endByPeer(sessionId, peer, `no RTCP from the viewer for ${Math.round(silence.silentFor() ?? 0)} ms`, EndReason.MediaTimeout);
                }
            }, SILENCE_CHECK_INTERVAL_MS);
            peer.silenceTimer.unref?.();
        }
        peer.silence.heard();
    }

    /** Ends the session whose current peer is `peer` and reports it; a replaced peer is just closed. */
    #endByPeer(sessionId: number, peer: NodePeer, why: string, reason: EndReason): void {
        if (this.#sessions.get(sessionId)?.peer === peer) {
            this.#sessions.drop(sessionId, why);
            this.#events?.sessionFailed(sessionId, reason, why);
        } else {
            peer.retire();
        }
    }

    #log(sessionId: number, text: string): void {
        this.#onLog?.(`session ${sessionId}: ${text}`);
    }
}

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
