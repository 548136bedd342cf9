/**
 * `BrowserMediaHost`: the `MediaHost` of the browser camera, on the page's MAIN thread
 * (RTCPeerConnection does not exist in workers). One RTCPeerConnection per Matter WebRTC session;
 * the worker's engine reaches it across comlink. It keeps the Node host's semantics, on the same
 * shared pieces (offer-plan.ts, media-sessions.ts, liveness.ts, ice-servers.ts):
 *
 * - Roles. SolicitOffer makes the page the offerer: sendonly video through `setCodecPreferences`
 *   (H.264 packetization-mode=1 with profile 42e01f first, RTX kept, where the browser can send
 *   H.264; else VP8 and RTX) and sendonly audio. ProvideOffer (a new session or a re-offer) makes
 *   it the answerer: offer-plan.ts picks what it sends (the Offer's first format this browser can
 *   send: VP8 or H.264 packetization-mode 1 at a profile its sender has; Opus), the Offer
 *   restricted to that plan is applied so the Answer lists exactly it and the sender cannot fall
 *   back to another, the page answers as the DTLS server, and the planned m-lines get the source's
 *   tracks (`replaceTrack`, mirrored direction). A re-offer's new peer takes over only once it has
 *   answered.
 * - What "can send" means is `RTCRtpSender.getCapabilities("video")`, never the user agent:
 *   Firefox without its downloadable OpenH264 plugin lists no H.264 and so offers and answers VP8;
 *   with the plugin (or in Chromium) H.264 is used where the controller prefers it.
 * - Refusal. A new session whose Offer lists no video this browser can send (an H.264-only
 *   controller against Firefox without OpenH264) is not failed with a bare status: the command
 *   succeeds, the Answer rejects every m-line (`rejectingAnswer`), and once it was delivered the
 *   session ends with End(NoUserMedia), the reason for "no local media to use": this camera has
 *   no video in any format the controller takes. The user reads why through `onProblem`. A refused
 *   re-offer fails the command instead (FAILURE) and the running call goes on.
 * - ICE. The session's ICE servers (TURN credentials passed through) and transport policy (the
 *   browser honours "relay" itself). Remote candidates are buffered until the remote description
 *   is set, in both roles; a candidate without `sdpMid` goes by its `sdpMLineIndex`, else to the
 *   first m-line. Candidates the browser refuses are logged and skipped, never fatal.
 * - Signalling. The Offer/Answer is the RESULT of the call (plain data over comlink); local
 *   candidates are announced with `MediaEvents.candidatesReady` the moment they come and taken as
 *   arrays (`takeLocalCandidates`); the engine orders them after their description.
 * - Ending. `end` closes the peer. Controllers never send EndSession, so the page ends a session
 *   itself (`MediaEvents.sessionFailed`, rules in liveness.ts): its DTLS transport closing (the
 *   viewer's close_notify, UserHangup: `connectionState` would only turn "failed" ~15 s later),
 *   nothing from the viewer (RTCP, consent checks or responses) for 5 s (MediaTimeout), ICE failing
 *   (IceTimeout once connected, else IceFailed). "disconnected" is left alone: it may recover.
 *
 * It never decides a Matter status: a call that cannot do its work throws a plain Error (the engine
 * answers FAILURE). The media source can change at any time (`setSource`): running senders switch
 * tracks with `replaceTrack`, no renegotiation.
 *
 * Size: one session's whole life against RTCPeerConnection (both roles, codec preferences, the
 * getStats liveness poll, source switching); the rules themselves live in the shared modules.
 */

import type { MediaEvents } from "../../engine/media-host.js";
import { EndReason, type IceCandidate, type OfferParams, type OutboundWork, type RemovalCause } from "../../engine/types.js";
import { rtcIceServers, transportPolicy } from "../ice-servers.js";
import { SilenceWatch, VIEWER_SILENCE_LIMIT_MS } from "../liveness.js";
import { candidateText, MediaPeer, MediaSessions, type MediaSession, type PeerRole } from "../media-sessions.js";
import {
    asDtlsServer,
    h264Profile,
    isH264Mode1,
    isOpus,
    isVp8,
    OFFER_DIRECTION,
    OfferRefused,
    planAnswer,
    rejectingAnswer,
    restrictOffer,
    type AnswerPlan,
    type MediaCapabilities,
    type PlannedTrack,
} from "../offer-plan.js";
import type { MediaSourceHandle } from "./media-source.js";
import type { BrowserSessionStats, MediaHostApi, MediaLogEntry, SnapshotData } from "./types.js";

/** How often the page reads a connected peer's stats for signs of its viewer (liveness.ts). */
const SILENCE_POLL_MS = 500;

/** How long a session waits for a media source that is still opening (e.g. a camera prompt). */
const SOURCE_WAIT_MS = 10_000;

/** A refused session ends this long after its rejecting Answer at the latest, delivered or not. */
const REFUSAL_END_MS = 10_000;

/** A refused new session, waiting for its rejecting Answer to be delivered before it ends. */
interface Refusal {
    end(): void;
    timer: ReturnType<typeof setTimeout>;
}

class BrowserPeer extends MediaPeer {
    readonly localCandidates: IceCandidate[] = [];
    videoSender: RTCRtpSender | undefined;
    audioSender: RTCRtpSender | undefined;
    firstFrameAt: number | undefined;
    lastBytes = 0;
    lastStatsAt = 0;
    bitrateKbps = 0;
    /** Polls what the viewer sends once connected (liveness.ts). */
    silenceTimer: ReturnType<typeof setInterval> | undefined;

    constructor(
        readonly pc: RTCPeerConnection,
        role: PeerRole,
    ) {
        super(role);
    }

    protected close(): void {
        clearInterval(this.silenceTimer);
        try {
            this.pc.close();
        } catch {
            // closed already
        }
    }
}

/** Options of {@link BrowserMediaHost}. */
export interface BrowserMediaHostOptions {
    /** The media source to send; sessions that start without one wait for `setSource`. */
    source?: MediaSourceHandle;
    /** Notable media events (a peer closed, a track skipped), for the page's log. */
    onLog?: (entry: MediaLogEntry) => void;
    /** Called when a session's peer is created or closed (UI refresh). */
    onChange?: () => void;
    /**
     * A problem for the user in plain words, or undefined once it is gone: a controller asked for
     * video this browser cannot send (cleared by the next session that streams).
     */
    onProblem?: (text: string | undefined) => void;
    /**
     * End a session whose viewer was heard (RTCP, ICE consent) and then not for this long
     * (MediaTimeout). Default 5 s; `null` turns the check off.
     */
    silenceLimitMs?: number | null;
}

/**
 * The browser's media plane: one RTCPeerConnection per Matter WebRTC session, on the page's main
 * thread, sending the current media source. The camera worker drives it across comlink as its
 * `MediaHost`; `BrowserCamera` wires the two.
 */
export class BrowserMediaHost implements MediaHostApi {
    readonly #sessions: MediaSessions<BrowserPeer>;
    readonly #onLog: ((entry: MediaLogEntry) => void) | undefined;
    readonly #onChange: (() => void) | undefined;
    readonly #onProblem: ((text: string | undefined) => void) | undefined;
    readonly #silenceLimit: number | null;
    /** Refused new sessions waiting for their Answer's delivery (then End). */
    readonly #refused = new Map<number, Refusal>();
    #problemShown = false;
    #events: MediaEvents | undefined;
    #source: MediaSourceHandle | undefined;
    #sourceWaiters: ((source: MediaSourceHandle) => void)[] = [];
    /** Sessions whose peer this host closed: sessionId → the peer's connectionState after close ("closed"). */
    readonly closedPeers = new Map<number, RTCPeerConnectionState>();

    constructor(options: BrowserMediaHostOptions = {}) {
        this.#source = options.source;
        this.#onLog = options.onLog;
        this.#onChange = options.onChange;
        this.#onProblem = options.onProblem;
        this.#silenceLimit = options.silenceLimitMs === undefined ? VIEWER_SILENCE_LIMIT_MS : options.silenceLimitMs;
        this.#sessions = new MediaSessions((id, text) => this.#log(id, text));
    }

    // ── source ────────────────────────────────────────────────────────────────────────────────
    /** The media source being sent, if one is set. */
    get source(): MediaSourceHandle | undefined {
        return this.#source;
    }

    /** Switches every running sender to `source`'s tracks (no renegotiation). */
    async setSource(source: MediaSourceHandle): Promise<void> {
        this.#source = source;
        for (const wake of this.#sourceWaiters.splice(0)) wake(source);
        const swaps: Promise<void>[] = [];
        for (const session of this.#sessions.all()) {
            const peer = session.peer;
            if (peer === undefined || peer.retired) continue;
            if (peer.videoSender !== undefined) swaps.push(peer.videoSender.replaceTrack(source.video));
            if (peer.audioSender !== undefined) swaps.push(peer.audioSender.replaceTrack(source.audio ?? null));
        }
        const results = await Promise.allSettled(swaps);
        for (const r of results) if (r.status === "rejected") this.#log(undefined, `track switch failed: ${message(r.reason)}`);
        this.#log(undefined, `source: ${source.label}`);
    }

    async #waitSource(): Promise<MediaSourceHandle> {
        if (this.#source !== undefined) return this.#source;
        return new Promise<MediaSourceHandle>((resolve, reject) => {
            const timer = setTimeout(() => {
                this.#sourceWaiters = this.#sourceWaiters.filter(w => w !== wake);
                reject(new Error("no video source: choose the webcam or the test pattern"));
            }, SOURCE_WAIT_MS);
            const wake = (source: MediaSourceHandle) => {
                clearTimeout(timer);
                resolve(source);
            };
            this.#sourceWaiters.push(wake);
        });
    }


    // ── MediaHost ─────────────────────────────────────────────────────────────────────────────
    attachEvents(events: MediaEvents): void {
        this.#events = events;
    }

    async solicitOffer(
        sessionId: number,
        params: OfferParams,
    ): Promise<{
        /** The local Offer. */
        sdp: string;
    }> {
        const session = this.#sessions.open(sessionId);
        const source = await this.#waitSource();
        const peer = this.#createPeer(session, "offerer", params);
        try {
            const video = peer.pc.addTransceiver(source.video, { direction: OFFER_DIRECTION, streams: [source.stream] });
            video.setCodecPreferences(videoPreferences());
            peer.videoSender = video.sender;
            if (source.audio !== undefined) {
                const audio = peer.pc.addTransceiver(source.audio, { direction: OFFER_DIRECTION, streams: [source.stream] });
                peer.audioSender = audio.sender;
            }
            await peer.pc.setLocalDescription(await peer.pc.createOffer());
        } catch (error) {
            peer.retire();
            if (this.#sessions.isCurrent(session)) this.#drop(sessionId, "offer failed");
            throw new Error(`cannot create an Offer: ${message(error)}`);
        }
        if (!this.#sessions.isCurrent(session)) {
            peer.retire();
            throw new Error(`session ${sessionId} ended while its Offer was made`);
        }
        session.peer = peer;
        this.#log(sessionId, "offer created");
        this.#clearProblem();
        this.#onChange?.();
        return { sdp: peer.pc.localDescription?.sdp ?? "" };
    }

    async answerOffer(
        sessionId: number,
        sdp: string,
        params: OfferParams,
    ): Promise<{
        /** The local Answer. */
        sdp: string;
    }> {
        let plan: AnswerPlan;
        try {
            plan = planAnswer(sdp, browserCapabilities());
        } catch (error) {
            // a refused re-offer fails its command; the running call goes on with its peer
            if (!(error instanceof OfferRefused) || params.reoffer) throw error;
            return this.#refuse(sessionId, sdp, error);
        }
        for (const s of plan.skipped) this.#log(sessionId, `${s.kind} m-line mid ${s.mid} not sent on: ${s.why}`);
        const source = await this.#waitSource();
        const existing = this.#sessions.get(sessionId);
        const pending = this.#sessions.pending(sessionId);
        const peer = this.#createPeer(pending, "answerer", params);
        try {
            // The browser answers from the Offer it was given: restricted to the planned formats,
            // its Answer lists exactly them, and its sender cannot pick another one. It is also
            // made the DTLS server (`asDtlsServer`), so the controller's peer can only call the
            // connection up once this page's DTLS is up too.
            await peer.pc.setRemoteDescription({ type: "offer", sdp: asDtlsServer(restrictOffer(sdp, plan)) });
            peer.remoteSet = true;
            for (const transceiver of peer.pc.getTransceivers()) {
                const planned = transceiver.mid === plan.video?.mid ? plan.video : transceiver.mid === plan.audio?.mid ? plan.audio : undefined;
                const track = planned?.kind === "video" ? source.video : planned?.kind === "audio" ? source.audio : undefined;
                if (planned === undefined || track === undefined) continue;
                transceiver.direction = planned.direction as RTCRtpTransceiverDirection;
                await transceiver.sender.replaceTrack(track);
                transceiver.sender.setStreams(source.stream);
                if (planned.kind === "video") peer.videoSender = transceiver.sender;
                else peer.audioSender = transceiver.sender;
            }
            await peer.pc.setLocalDescription(await peer.pc.createAnswer());
        } catch (error) {
            peer.retire();
            throw new Error(`cannot answer the Offer: ${message(error)}`);
        }
        const session = this.#sessions.adopt(sessionId, peer, existing, pending);
        await this.#flushRemote(session);
        const describe = (t: PlannedTrack | undefined, sender: RTCRtpSender | undefined) =>
            t === undefined || sender === undefined ? "none" : `${t.format.codec} PT ${t.format.payloadType} mid ${t.mid} ${t.direction}`;
        this.#log(sessionId, `answering: video ${describe(plan.video, peer.videoSender)}, audio ${describe(plan.audio, peer.audioSender)}`);
        if (peer.videoSender !== undefined) this.#clearProblem();
        this.#onChange?.();
        return { sdp: peer.pc.localDescription?.sdp ?? "" };
    }

    async applyAnswer(sessionId: number, sdp: string): Promise<void> {
        const waiting = this.#sessions.awaitingAnswer(sessionId);
        if (waiting === undefined) return;
        const { session, peer } = waiting;
        try {
            await peer.pc.setRemoteDescription({ type: "answer", sdp });
        } catch (error) {
            throw new Error(`the Answer was refused: ${message(error)}`);
        }
        peer.remoteSet = true;
        await this.#flushRemote(session);
        this.#log(sessionId, "answer applied");
    }

    async addRemoteCandidates(sessionId: number, candidates: IceCandidate[]): Promise<void> {
        const session = this.#sessions.bufferRemote(sessionId, candidates);
        if (session === undefined) throw new Error(`session ${sessionId} is unknown to the media host`);
        await this.#flushRemote(session);
    }

    takeLocalCandidates(sessionId: number): IceCandidate[] {
        const peer = this.#sessions.get(sessionId)?.peer;
        if (peer === undefined || peer.retired) return [];
        return peer.localCandidates.splice(0);
    }

    end(sessionId: number, reason: EndReason, cause: RemovalCause): void {
        this.#forgetRefusal(sessionId);
        this.#drop(sessionId, `ended (reason ${reason}, ${cause})`);
    }

    /** The engine delivered (or gave up on) outbound work: a refused session's Answer is out, so it ends now. */
    delivered(sessionId: number, kind: OutboundWork["kind"], _delivered: boolean): void {
        if (kind === "answer") this.#refused.get(sessionId)?.end();
    }

    closeAll(why: string): void {
        for (const id of [...this.#refused.keys()]) this.#forgetRefusal(id);
        for (const id of this.#sessions.ids()) this.#drop(id, why);
    }

    /** The current frame as a JPEG of exactly `resolution` (default: the source's size). */
    async snapshot(resolution?: { width: number; height: number }, quality?: number): Promise<SnapshotData> {
        const source = await this.#waitSource();
        return source.snapshot(resolution?.width, resolution?.height, quality);
    }

    // ── host API (UI, tests) ──────────────────────────────────────────────────────────────────
    /** The sessions that have a peer now. */
    sessionIds(): number[] {
        return this.#sessions.ids();
    }

    /** The RTCPeerConnection of a session (tests read its state). */
    peerConnection(sessionId: number): RTCPeerConnection | undefined {
        return this.#sessions.get(sessionId)?.peer?.pc;
    }

    /** Stats of every session that has a peer. */
    async stats(): Promise<BrowserSessionStats[]> {
        const out: BrowserSessionStats[] = [];
        for (const session of this.#sessions.all()) {
            const peer = session.peer;
            if (peer === undefined) continue;
            out.push(await this.#peerStats(session, peer));
        }
        return out;
    }

    // ── internals ─────────────────────────────────────────────────────────────────────────────
    /**
     * A new session whose Offer this browser cannot serve: the user is told why, the controller
     * gets an Answer rejecting every m-line and then, once it was delivered (or after
     * {@link REFUSAL_END_MS}), End(NoUserMedia) through `sessionFailed`. The session has no peer.
     */
    #refuse(sessionId: number, offer: string, refusal: OfferRefused): { sdp: string } {
        this.#forgetRefusal(sessionId);
        this.#log(sessionId, `offer refused: ${refusal.message}`);
        this.#problemShown = true;
        this.#onProblem?.(refusalText(sessionId, refusal));
        const refused: Refusal = {
            end: () => {
                if (this.#refused.get(sessionId) !== refused) return;
                this.#forgetRefusal(sessionId);
                this.#signal(events => events.sessionFailed(sessionId, EndReason.NoUserMedia, `offer refused: ${refusal.message}`));
            },
            timer: setTimeout(() => refused.end(), REFUSAL_END_MS),
        };
        this.#refused.set(sessionId, refused);
        return { sdp: rejectingAnswer(offer) };
    }

    #forgetRefusal(sessionId: number): void {
        const refused = this.#refused.get(sessionId);
        if (refused === undefined) return;
        clearTimeout(refused.timer);
        this.#refused.delete(sessionId);
    }

    /** A session streams again: an earlier refusal's message is no longer the news. */
    #clearProblem(): void {
        if (!this.#problemShown) return;
        this.#problemShown = false;
        this.#onProblem?.(undefined);
    }

    #drop(sessionId: number, why: string): void {
        const session = this.#sessions.drop(sessionId, why);
        if (session === undefined) return;
        if (session.peer !== undefined) this.closedPeers.set(sessionId, session.peer.pc.connectionState);
        this.#onChange?.();
    }

    #createPeer(session: MediaSession<BrowserPeer>, role: PeerRole, params: OfferParams): BrowserPeer {
        const config: RTCConfiguration = {
            iceServers: rtcIceServers(params.iceServers),
            iceTransportPolicy: transportPolicy(params.iceTransportPolicy),
            // as offerer: one transport for video and audio (fewer candidates to signal); as answerer the Offer decides
            ...(role === "offerer" ? { bundlePolicy: "max-bundle" as const } : {}),
        };
        const pc = new RTCPeerConnection(config);
        const peer = new BrowserPeer(pc, role);
        const id = session.id;
        pc.onicecandidate = event => {
            const c = event.candidate;
            if (peer.retired || c === null || c.candidate === "") return;
            peer.localCandidates.push({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
            this.#signal(events => events.candidatesReady(id));
        };
        const ended = (reason: EndReason, why: string): void => {
            if (peer.retired) return;
            if (this.#sessions.get(id)?.peer === peer) {
                this.#drop(id, why);
                this.#signal(events => events.sessionFailed(id, reason, why));
            } else {
                peer.retire();
            }
        };
        // The viewer's DTLS close_notify closes the DTLS transport at once, but connectionState
        // counts a closed transport as connected and only turns "failed" when ICE consent runs out
        // (~15 s); so the DTLS transport itself is watched (attached once it exists).
        const watched = new Set<RTCDtlsTransport>();
        const watchDtls = (): void => {
            for (const t of pc.getTransceivers()) {
                const dtls = t.sender.transport;
                if (dtls === null || watched.has(dtls)) continue;
                watched.add(dtls);
                dtls.addEventListener("statechange", () => {
                    if (dtls.state === "closed") ended(EndReason.UserHangup, "the viewer closed the DTLS connection");
                    else if (dtls.state === "failed") ended(EndReason.IceFailed, "DTLS failed");
                });
            }
        };
        pc.onconnectionstatechange = () => {
            if (peer.retired) return;
            const state = pc.connectionState;
            this.#log(id, `peer ${state}`);
            this.#onChange?.();
            watchDtls();
            if (state === "connected" && !peer.connectedOnce) {
                peer.connectedOnce = true;
                this.#watchSilence(peer, () => ended(EndReason.MediaTimeout, `nothing from the viewer for over ${this.#silenceLimit} ms`));
            }
            // consent freshness expiring on a path that worked is a timeout; ICE that never worked failed
            if (state === "failed") ended(peer.connectedOnce ? EndReason.IceTimeout : EndReason.IceFailed, "ICE failed");
        };
        return peer;
    }

    /**
     * The viewer falling silent (liveness.ts): what a libdatachannel viewer that closed leaves
     * behind, as it sends no DTLS close. The page sees the viewer only through `getStats()`, polled
     * every {@link SILENCE_POLL_MS}, and reads what this browser's stats offer:
     *
     * - Chromium: the transport's `packetsReceived` (its RTCP; the viewer sends no media) plus the
     *   STUN consent responses and checks on its candidate pairs, which a live viewer answers about
     *   once a second even when it sends no RTCP at all.
     * - Firefox (153 ESR): no transport `packetsReceived` and no `requestsReceived`; its consent
     *   checks get a response only every 4–6 s (measured), too sparse for a 5 s limit: counted,
     *   they ended a live viewer after ~5 s. So there only what the viewer itself sends counts, the
     *   candidate pairs' `bytesReceived` (RTCP and DTLS, not STUN): a viewer that reports reception
     *   arms the watch, a viewer that never does is left to ICE consent (rule 3).
     */
    #watchSilence(peer: BrowserPeer, gone: () => void): void {
        const limit = this.#silenceLimit;
        if (limit === null) return;
        const silence = new SilenceWatch(limit);
        peer.silenceTimer = setInterval(() => {
            if (peer.retired) return;
            peer.pc.getStats().then(
                report => {
                    let heard = 0;
                    let bytes = 0;
                    let transportCounts = false;
                    report.forEach((s: Record<string, unknown>) => {
                        if (s.type === "transport") {
                            transportCounts ||= typeof s.packetsReceived === "number";
                            heard += num(s.packetsReceived);
                        } else if (s.type === "candidate-pair") {
                            heard += num(s.responsesReceived) + num(s.requestsReceived);
                            bytes += num(s.bytesReceived);
                        }
                    });
                    silence.observe(transportCounts ? heard : bytes);
                    if (silence.expired()) gone();
                },
                () => undefined, // closed meanwhile
            );
        }, SILENCE_POLL_MS);
    }

    /** Gives the session's peer the buffered candidates it can take now. */
    async #flushRemote(session: MediaSession<BrowserPeer>): Promise<void> {
        const peer = session.peer;
        const candidates = this.#sessions.takeRemote(session);
        if (peer === undefined || candidates.length === 0) return;
        const firstMid = peer.pc.getTransceivers()[0]?.mid ?? "0";
        for (const c of candidates) {
            const text = candidateText(c);
            if (text === undefined) continue;
            const init: RTCIceCandidateInit = { candidate: text };
            if (c.sdpMid !== null) init.sdpMid = c.sdpMid;
            if (c.sdpMLineIndex !== null) init.sdpMLineIndex = c.sdpMLineIndex;
            if (c.sdpMid === null && c.sdpMLineIndex === null) init.sdpMid = firstMid;
            try {
                await peer.pc.addIceCandidate(init);
            } catch (error) {
                this.#log(session.id, `remote candidate refused (${message(error)}): ${text}`);
            }
        }
    }

    async #peerStats(session: MediaSession<BrowserPeer>, peer: BrowserPeer): Promise<BrowserSessionStats> {
        const pc = peer.pc;
        const stats: BrowserSessionStats = {
            sessionId: session.id,
            role: peer.role,
            connectionState: pc.connectionState,
            iceConnectionState: pc.iceConnectionState,
            iceGatheringState: pc.iceGatheringState,
            signalingState: pc.signalingState,
            framesSent: 0,
            framesEncoded: 0,
            keyFramesEncoded: 0,
            bytesSent: 0,
            packetsSent: 0,
            frameWidth: 0,
            frameHeight: 0,
            framesPerSecond: 0,
            bitrateKbps: peer.bitrateKbps,
            codec: "",
            encoderImplementation: "",
            audioPacketsSent: 0,
            selectedPair: "",
            localCandidatesWaiting: peer.localCandidates.length,
            remoteCandidatesBuffered: session.remoteBuffer.length,
            createdAt: peer.createdAt,
            firstFrameAt: peer.firstFrameAt,
        };
        if (peer.retired) return stats;
        let report: RTCStatsReport;
        try {
            report = await pc.getStats();
        } catch {
            return stats;
        }
        const byId = new Map<string, Record<string, unknown>>();
        report.forEach((value: Record<string, unknown>) => byId.set(String(value.id), value));
        let pairId: string | undefined;
        for (const s of byId.values()) {
            if (s.type === "outbound-rtp" && s.kind === "video") {
                stats.framesSent += num(s.framesSent);
                stats.framesEncoded += num(s.framesEncoded);
                stats.keyFramesEncoded += num(s.keyFramesEncoded);
                stats.bytesSent += num(s.bytesSent);
                stats.packetsSent += num(s.packetsSent);
                stats.frameWidth = num(s.frameWidth) || stats.frameWidth;
                stats.frameHeight = num(s.frameHeight) || stats.frameHeight;
                stats.framesPerSecond = num(s.framesPerSecond) || stats.framesPerSecond;
                if (typeof s.encoderImplementation === "string") stats.encoderImplementation = s.encoderImplementation;
                const codec = typeof s.codecId === "string" ? byId.get(s.codecId) : undefined;
                if (typeof codec?.mimeType === "string") stats.codec = codec.mimeType;
            } else if (s.type === "outbound-rtp" && s.kind === "audio") {
                stats.audioPacketsSent += num(s.packetsSent);
            } else if (s.type === "transport" && typeof s.selectedCandidatePairId === "string") {
                pairId = s.selectedCandidatePairId;
            }
        }
        const pair = pairId === undefined ? undefined : byId.get(pairId);
        if (pair !== undefined) {
            const end = (id: unknown): string => {
                const c = typeof id === "string" ? byId.get(id) : undefined;
                if (c === undefined) return "?";
                const address = String(c.address ?? c.ip ?? "?");
                return `${address.includes(":") ? `[${address}]` : address}:${String(c.port ?? "?")} ${String(c.candidateType ?? "")}`.trim();
            };
            stats.selectedPair = `${end(pair.localCandidateId)} ↔ ${end(pair.remoteCandidateId)}`;
        }
        // over windows of at least ~1 s, whoever asks how often (UI refresh, tests)
        const now = performance.now();
        if (peer.lastStatsAt === 0) {
            peer.lastStatsAt = now;
            peer.lastBytes = stats.bytesSent;
        } else if (now - peer.lastStatsAt >= 900) {
            peer.bitrateKbps = Math.max(0, ((stats.bytesSent - peer.lastBytes) * 8) / (now - peer.lastStatsAt));
            peer.lastStatsAt = now;
            peer.lastBytes = stats.bytesSent;
        }
        stats.bitrateKbps = peer.bitrateKbps;
        if (stats.framesSent > 0) peer.firstFrameAt ??= Date.now();
        stats.firstFrameAt = peer.firstFrameAt;
        return stats;
    }

    #signal(call: (events: MediaEvents) => unknown): void {
        const events = this.#events;
        if (events === undefined) return;
        try {
            Promise.resolve(call(events)).catch((error: unknown) => this.#log(undefined, `signal to the worker failed: ${message(error)}`));
        } catch (error) {
            this.#log(undefined, `signal to the worker failed: ${message(error)}`);
        }
    }

    #log(sessionId: number | undefined, text: string): void {
        this.#onLog?.({ at: Date.now(), sessionId, text });
    }
}

/**
 * The video codec preferences of the camera's own Offer (SolicitOffer): H.264 where this browser
 * can send it (what every controller receives), else VP8 (Firefox without its OpenH264 plugin);
 * RTX kept.
 */
function videoPreferences(): RTCRtpCodec[] {
    const codecs = RTCRtpSender.getCapabilities("video")?.codecs ?? [];
    if (codecs.some(c => c.mimeType.toLowerCase() === "video/h264")) return h264Preferences();
    const vp8 = codecs.filter(c => c.mimeType.toLowerCase() === "video/vp8");
    if (vp8.length === 0) throw new Error("this browser can send neither H.264 nor VP8");
    return [...vp8, ...codecs.filter(c => c.mimeType.toLowerCase() === "video/rtx")];
}

/** The video codecs this browser can send that a camera plans with (offer-plan.ts), for messages. */
function sendableVideoCodecs(): string[] {
    const codecs = RTCRtpSender.getCapabilities("video")?.codecs ?? [];
    const has = (mime: string) => codecs.some(c => c.mimeType.toLowerCase() === mime);
    return [...(has("video/h264") ? ["H.264"] : []), ...(has("video/vp8") ? ["VP8"] : [])];
}

/** Plain words for the page: what the controller asked for, what this browser sends, what to do. */
function refusalText(sessionId: number, refusal: OfferRefused): string {
    const asked = refusal.offeredVideo.map(c => (c.toUpperCase() === "H264" ? "H.264" : c.toUpperCase() === "H265" ? "H.265" : c));
    const sendable = sendableVideoCodecs();
    if (asked.length === 0) return `session ${sessionId} refused: the controller's offer has no video this camera can send (${refusal.message})`;
    const h264Hint =
        asked.includes("H.264") && !sendable.includes("H.264") ? " In Firefox, H.264 needs the OpenH264 plugin (about:addons → Plugins → OpenH264: Always Activate)." : "";
    return (
        `session ${sessionId} refused: the controller asked for ${asked.join(" or ")} video, which this browser cannot send ` +
        `(it sends ${sendable.length === 0 ? "no video codec the camera uses" : sendable.join(" and ")}).${h264Hint}`
    );
}

export function h264Preferences(): RTCRtpCodec[] {
    const codecs = RTCRtpSender.getCapabilities("video")?.codecs ?? [];
    const isH264 = (c: RTCRtpCodec) => c.mimeType.toLowerCase() === "video/h264" && /packetization-mode=1/.test(c.sdpFmtpLine ?? "");
    const h264 = codecs.filter(isH264);
    const first = h264.filter(c => /profile-level-id=42e01f/i.test(c.sdpFmtpLine ?? ""));
    const rest = h264.filter(c => !first.includes(c));
    if (h264.length === 0) throw new Error("this browser cannot send H.264");
    return [...first, ...rest, ...codecs.filter(c => c.mimeType.toLowerCase() === "video/rtx")];
}
export function browserCapabilities(): MediaCapabilities {
    const codecs = RTCRtpSender.getCapabilities("video")?.codecs ?? [];
    const vp8 = codecs.some(c => c.mimeType.toLowerCase() === "video/vp8");
    const h264Profiles = new Set(
        codecs
            .filter(c => c.mimeType.toLowerCase() === "video/h264")
            .map(c => h264Profile({ payloadType: 0, codec: "H264", clockRate: 90_000, fmtp: c.sdpFmtpLine ?? "" })),
    );
    return {
        video: format => (vp8 && isVp8(format)) || (isH264Mode1(format) && h264Profiles.has(h264Profile(format))),
        audio: isOpus,
    };
}
function num(value: unknown): number {
    return typeof value === "number" && Number.isFinite(value) ? value : 0;
}
function message(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
