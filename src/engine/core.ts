/**
 * `Core`: a typed facade over one instance of the WASM core.
 *
 * It moves bytes across the boundary (requests into IN, responses out of RESP, snapshots out of
 * OUT, SDPs and candidates into their stage areas with `TextEncoder.encodeInto`, no intermediate
 * copy) and turns the core's numbers into typed values. It decides nothing: every status it
 * returns is the core's. Views on linear memory are made once; memory never grows, so they never
 * detach. Bytes handed out are copies, because the buffers are reused by the next call.
 *
 * One `Core` is single-threaded and synchronous; the async orchestration lives in `WebRtcEngine`.
 *
 * Size: one short method per core operation over one module's exports; most of the length is the
 * doc comments of a public class, and splitting it would split the one facade.
 */

import type { CoreExports } from "./exports.js";
import { compileCore, instantiateCore, type CoreSource } from "./loader.js";
import { Status } from "./status.js";
import {
    StreamKind,
    type EndReason,
    type IceCandidate,
    type IceServer,
    type OfferParams,
    type SessionInfo,
    type SessionState,
    type StreamReference,
    type StreamUsage,
} from "./types.js";

/** What phase 1 of a command decided. */
export const Action = {
    /** Run the media hook, then commit (`commit*`) or give the reservation up (`abortPending`). */
    Hook: 1,
    /** The response is ready without a hook (a SolicitOffer over capacity): send `response()`. */
    Respond: 2,
    /** Nothing to do: the command succeeds as is (a duplicate ProvideAnswer). */
    Done: 3,
} as const;
/** The union of the `Action` values, as a type. */
export type Action = (typeof Action)[keyof typeof Action];

/** The outcome of phase 1 of a provider command (`Core.decide`). */
export interface Decision {
    /** SUCCESS, or the status the command answers with (the table is then unchanged). */
    status: Status;
    /** The session the command concerns (0 when it failed). */
    sessionId: number;
    /** What the engine does next; 0 when the command failed. */
    action: Action | 0;
}

/** Capacities of the loaded profile (rs-matter's const generics and the core's own bounds). */
export interface Capacities {
    /** Rows of the session table (`N_SESSIONS`): concurrent WebRTC sessions on the device. */
    sessions: number;
    /** Longest SDP in bytes (`SDP_LEN`); a longer one is RESOURCE_EXHAUSTED, never cut. */
    sdpLen: number;
    /** Bytes of the outbound snapshot buffer (`OUT_LEN`): one encoded Requestor command. */
    outLen: number;
    /** Longest local ICE candidate in bytes (`CAND_LEN`). */
    candLen: number;
    /** Local ICE candidates that can wait for an outbound batch, shared by all sessions (`MAX_CAND`). */
    maxCand: number;
    /** Largest inbound command payload in bytes (`IN_LEN`). */
    inLen: number;
    /** Allocated streams the core can mirror, per kind (`MAX_STREAMS`). */
    streamsPerKind: number;
    /** Remote candidates taken from one ProvideICECandidates (`MAX_IN_CAND`). */
    inboundCandidates: number;
    /** Longest SDP media id kept with a local candidate (`MID_LEN`). */
    midLen: number;
    /** Provider-initiated Ends that can wait to be sent (`END_CAP`). */
    pendingEnds: number;
}

/**
 * What CameraAvStreamManagement tells the provider: the allocated streams, StreamUsagePriorities,
 * the privacy switches and whether UTC time is known. The command checks read it.
 */
export interface StreamContext {
    /** Allocated video streams: id and usage. */
    videoStreams: {
        /** The VideoStreamID. */
        id: number;
        /** The stream's usage. */
        usage: StreamUsage;
    }[];
    /** Allocated audio streams: id and usage. */
    audioStreams: {
        /** The AudioStreamID. */
        id: number;
        /** The stream's usage. */
        usage: StreamUsage;
    }[];
    /** StreamUsagePriorities, most preferred first. */
    streamUsagePriorities: StreamUsage[];
    /** HardPrivacyModeOn (the physical switch): no session of any usage; live ones end with PrivacyMode. */
    hardPrivacyModeOn: boolean;
    /** SoftRecordingPrivacyModeEnabled: no Recording or Analysis sessions. */
    softRecordingPrivacyModeEnabled: boolean;
    /** SoftLivestreamPrivacyModeEnabled: no LiveView sessions. */
    softLivestreamPrivacyModeEnabled: boolean;
    /** Time Synchronization's UTCTime is null (turns:/stuns: ICE servers are then refused). */
    utcTimeNull: boolean;
}

/**
 * What became of a local ICE candidate offered to the core: `accepted` (it waits for a batch), `full`
 * (the pool is full; offer it again later), `too-long` (it can never fit, or is malformed) or
 * `no-session` (the session is not live).
 */
export type CandidateAdmission = "accepted" | "full" | "too-long" | "no-session";

const STATES: Record<number, SessionState> = {
    1: "reserved",
    2: "awaiting-deferred-offer",
    3: "awaiting-answer",
    4: "established",
};

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * One instance of the WASM core: the session table, command checks, TLV encoding and outbound
 * snapshots of one camera. Most applications use it through {@link WebRtcEngine}; `Core` is the
 * synchronous layer below, for tests, measurements and hosts of their own.
 */
export class Core {
    /** The loaded profile's capacities, read once from the module. */
    readonly capacities: Capacities;
    readonly #x: CoreExports;
    readonly #bytes: Uint8Array;
    readonly #in: Uint8Array;
    readonly #stage: Uint8Array;
    readonly #candStage: Uint8Array;
    readonly #midStage: Uint8Array;

    constructor(exports: CoreExports) {
        const x = exports;
        this.#x = x;
        this.#bytes = new Uint8Array(x.memory.buffer);
        this.#in = this.#bytes.subarray(x.inPtr() >>> 0, (x.inPtr() >>> 0) + x.inCap());
        this.#stage = this.#bytes.subarray(x.stagePtr() >>> 0, (x.stagePtr() >>> 0) + x.stageCap());
        this.#candStage = this.#bytes.subarray(x.candStagePtr() >>> 0, (x.candStagePtr() >>> 0) + x.capCandLen());
        this.#midStage = this.#bytes.subarray(x.midStagePtr() >>> 0, (x.midStagePtr() >>> 0) + x.capMidLen());
        this.capacities = {
            sessions: x.capSessions(),
            sdpLen: x.capSdp(),
            outLen: x.outCap(),
            candLen: x.capCandLen(),
            maxCand: x.capMaxCand(),
            inLen: x.inCap(),
            streamsPerKind: x.capStreams(),
            inboundCandidates: x.capInCand(),
            midLen: x.capMidLen(),
            pendingEnds: x.capEnds(),
        };
    }

    /** Compiles and instantiates a core from a profile name, a URL, or the module's bytes. */
    static async load(source: CoreSource = "default"): Promise<Core> {
        return new Core(await instantiateCore(await compileCore(source)));
    }

    /** The raw exports, for tests and measurements. */
    get exports(): CoreExports {
        return this.#x;
    }
    /** Linear memory size in bytes (fixed for the life of the instance). */
    get memoryBytes(): number {
        return this.#x.memory.buffer.byteLength;
    }
    /** Bytes of linear memory the profile's static data occupies. */
    get staticBytes(): number {
        return this.#x.staticEnd() >>> 0;
    }

    #slice(ptr: number, len: number): Uint8Array {
        const start = ptr >>> 0;
        return this.#bytes.slice(start, start + len);
    }
    #text(ptr: number, len: number): string {
        const start = ptr >>> 0;
        return utf8.decode(this.#bytes.subarray(start, start + len));
    }

    // ── commands ──────────────────────────────────────────────────────────────────────────────
    /**
     * Phase 1 of a provider command: copy its TLV fields into IN and let the core decide.
     * A payload longer than IN is RESOURCE_EXHAUSTED (the core's verdict for `len > inCap`).
     */
    decide(command: number, fields: Uint8Array, fabricIndex: number, peerNodeId: bigint): Decision {
        const x = this.#x;
        const len = fields.length;
        if (len <= this.#in.length) this.#in.set(fields);
        const peer = BigInt.asUintN(64, peerNodeId);
        let status: number;
        switch (command) {
            case 0x00:
                status = x.solicitOffer(len, fabricIndex, peer);
                break;
            case 0x02:
                status = x.provideOffer(len, fabricIndex, peer);
                break;
            case 0x04:
                status = x.provideAnswer(len, fabricIndex, peer);
                break;
            case 0x05:
                status = x.provideIceCandidates(len, fabricIndex, peer);
                break;
            case 0x06:
                status = x.endSession(len, fabricIndex, peer);
                break;
            default:
                return { status: Status.InvalidCommand, sessionId: 0, action: 0 };
        }
        if (status !== Status.Success) return { status: status as Status, sessionId: 0, action: 0 };
        return { status: Status.Success, sessionId: x.actSession(), action: x.actAction() as Action };
    }

    /**
     * The SolicitOffer hook succeeded: the session goes live owing an Offer (within 30 s of
     * `nowSeconds` when `deferred`) and the response is encoded for `response()`.
     */
    commitSolicitOffer(sessionId: number, deferred: boolean, nowSeconds: number): Status {
        return this.#x.commitSolicitOffer(sessionId, deferred ? 1 : 0, nowSeconds >>> 0) as Status;
    }
    /** The ProvideOffer hook succeeded: a new session goes live (a re-offer replaces its terms); the response is encoded. */
    commitProvideOffer(sessionId: number): Status {
        return this.#x.commitProvideOffer(sessionId) as Status;
    }
    /** The ProvideAnswer hook succeeded: the session is established. */
    commitProvideAnswer(sessionId: number): Status {
        return this.#x.commitProvideAnswer(sessionId) as Status;
    }
    /** The hook failed: a reserved row is freed, a staged re-offer or answer dropped; the table is as before the command. */
    abortPending(sessionId: number): Status {
        return this.#x.abortPending(sessionId) as Status;
    }
    /** The response the last commit (or an over-capacity SolicitOffer) encoded. */
    response(): Uint8Array {
        return this.#slice(this.#x.respPtr(), this.#x.respLen());
    }

    // ── arguments of the decided command ──────────────────────────────────────────────────────
    /** The decided SolicitOffer's or ProvideOffer's parameters for the media hook (streams resolved, ICE servers decoded). */
    offerParams(sessionId: number, fabricIndex: number, peerNodeId: bigint): OfferParams {
        const x = this.#x;
        const videoStreams: number[] = [];
        for (let k = 0; k < x.selVideoCount(); k++) videoStreams.push(x.selVideoAt(k));
        const audioStreams: number[] = [];
        for (let k = 0; k < x.selAudioCount(); k++) audioStreams.push(x.selAudioAt(k));
        const params: OfferParams = {
            sessionId,
            fabricIndex,
            peerNodeId,
            streamUsage: x.argUsage() as StreamUsage,
            originatingEndpointId: x.argEndpoint(),
            videoStreams,
            audioStreams,
            metadataEnabled: x.argMetadata() !== 0,
            reoffer: x.argReoffer() !== 0,
        };
        const servers = x.argIceServerCount();
        if (servers >= 0) {
            const list: IceServer[] = [];
            for (let s = 0; s < servers; s++) {
                const server: IceServer = { urls: [] };
                const caid = x.argIceCaid(s);
                if (caid >= 0) server.caid = caid;
                list.push(server);
            }
            for (let i = 0; i < x.argIceStrCount(); i++) {
                const server = list[x.argIceStrServer(i)];
                if (server === undefined) continue;
                const text = this.#text(x.argIceStrPtr(i), x.argIceStrLen(i));
                const kind = x.argIceStrKind(i);
                if (kind === 0) server.urls.push(text);
                else if (kind === 1) server.username = text;
                else server.credential = text;
            }
            params.iceServers = list;
        }
        const policyLen = x.argPolicyLen();
        if (policyLen >= 0) params.iceTransportPolicy = this.#text(x.argPolicyPtr(), policyLen);
        return params;
    }
    /** The SDP of the decided ProvideOffer or ProvideAnswer. */
    sdp(): string {
        return this.#text(this.#x.argSdpPtr(), this.#x.argSdpLen() >>> 0);
    }
    /** The remote candidates of the decided ProvideICECandidates. */
    candidates(): IceCandidate[] {
        const x = this.#x;
        const list: IceCandidate[] = [];
        for (let i = 0; i < x.argCandCount(); i++) {
            const midLen = x.argMidLen(i);
            const mline = x.argMline(i);
            list.push({
                candidate: this.#text(x.argCandPtr(i), x.argCandLen(i)),
                sdpMid: midLen < 0 ? null : this.#text(x.argMidPtr(i), midLen),
                sdpMLineIndex: mline < 0 ? null : mline,
            });
        }
        return list;
    }
    /** The reason of the decided EndSession. */
    endReason(): EndReason {
        return this.#x.argReason() as EndReason;
    }

    // ── stream context ────────────────────────────────────────────────────────────────────────
    /** Mirrors an allocated stream; ALREADY_EXISTS for a known id, RESOURCE_EXHAUSTED past `streamsPerKind`. */
    addStream(kind: StreamKind, id: number, usage: StreamUsage): Status {
        return this.#x.streamAdd(kind, id, usage) as Status;
    }
    /** Refused with INVALID_IN_STATE while a session uses the stream. */
    removeStream(kind: StreamKind, id: number): Status {
        return this.#x.streamRemove(kind, id) as Status;
    }
    /** The mirrored streams of a kind, in allocation order, with the sessions using each. */
    streams(kind: StreamKind): {
        /** The stream id. */
        id: number;
        /** The stream's usage. */
        usage: StreamUsage;
        /** Live sessions using the stream. */
        references: number;
    }[] {
        const x = this.#x;
        const list = [];
        for (let i = 0; i < x.streamCount(kind); i++) {
            const id = x.streamIdAt(kind, i);
            list.push({ id, usage: x.streamUsageAt(kind, i) as StreamUsage, references: x.streamRefs(kind, id) });
        }
        return list;
    }
    /** Sessions using stream `id`, or -1 when it is not allocated. */
    streamReferences(kind: StreamKind, id: number): number {
        return this.#x.streamRefs(kind, id);
    }
    /** Every allocated stream's count, if any changed since the last call; else undefined. */
    takeReferenceChanges(): StreamReference[] | undefined {
        if (this.#x.refsChanged() === 0) return undefined;
        this.#x.clearRefsChanged();
        const list: StreamReference[] = [];
        for (const kind of [StreamKind.Video, StreamKind.Audio]) {
            for (const s of this.streams(kind)) list.push({ kind, streamId: s.id, references: s.references });
        }
        return list;
    }
    /** Mirrors StreamUsagePriorities (up to four distinct usages, most preferred first); the usages it lists are the supported ones. */
    setStreamUsagePriorities(priorities: readonly StreamUsage[]): Status {
        let packed = 0;
        priorities.forEach((usage, i) => (packed |= (usage & 0xff) << (i * 8)));
        return this.#x.setPriorities(priorities.length, packed >>> 0) as Status;
    }
    /** Sets the privacy switches; returns how many sessions they ended. */
    setPrivacy(hard: boolean, softRecording: boolean, softLivestream: boolean): number {
        return this.#x.setPrivacy(hard ? 1 : 0, softRecording ? 1 : 0, softLivestream ? 1 : 0);
    }
    /** Whether UTC time is unknown; while it is, `turns:`/`stuns:` ICE servers are refused (certificates cannot be checked). */
    setUtcTimeNull(isNull: boolean): void {
        this.#x.setUtcTimeNull(isNull ? 1 : 0);
    }

    // ── the table ─────────────────────────────────────────────────────────────────────────────
    /** The live session `id` (any fabric), or undefined for an unknown or merely reserved id. */
    session(id: number): SessionInfo | undefined {
        const x = this.#x;
        const state = STATES[x.sessionState(id)];
        if (state === undefined || state === "reserved") return undefined;
        const videoStreams: number[] = [];
        for (let k = 0; k < x.sessionVideoCount(id); k++) videoStreams.push(x.sessionVideoAt(id, k));
        const audioStreams: number[] = [];
        for (let k = 0; k < x.sessionAudioCount(id); k++) audioStreams.push(x.sessionAudioAt(id, k));
        return {
            id,
            fabricIndex: x.sessionFabric(id),
            peerNodeId: BigInt.asUintN(64, x.sessionPeer(id)),
            peerEndpointId: x.sessionEndpoint(id),
            streamUsage: x.sessionUsage(id) as StreamUsage,
            state,
            videoStreams,
            audioStreams,
            metadataEnabled: x.sessionMetadata(id) !== 0,
        };
    }
    /** Live sessions in insertion order, optionally of one fabric. */
    sessions(fabricIndex = 0): SessionInfo[] {
        const list: SessionInfo[] = [];
        for (let k = 0; k < this.capacities.sessions; k++) {
            const id = this.#x.sessionAt(k);
            if (id < 0) break;
            const info = this.session(id);
            if (info !== undefined && (fabricIndex === 0 || info.fabricIndex === fabricIndex)) list.push(info);
        }
        return list;
    }
    /** CurrentSessions as TLV (an array of WebRTCSessionStruct); fabric 0 reads every fabric. */
    currentSessionsTlv(fabricIndex = 0): Uint8Array {
        const len = this.#x.encodeSessions(fabricIndex);
        return this.#slice(this.#x.respPtr(), Math.max(len, 0));
    }
    /** A fabric left: its sessions and unsent Ends go without an End (nothing can reach it). Returns how many rows went. */
    removeFabric(fabricIndex: number): number {
        return this.#x.removeFabric(fabricIndex);
    }
    /** The camera ends a live session itself: the row goes and an End is queued for `snapEnd`. */
    endByProvider(sessionId: number, reason: EndReason): Status {
        return this.#x.endByProvider(sessionId, reason) as Status;
    }
    /** Ends every session whose owed Offer is overdue at `nowSeconds` (InviteTimeout); returns how many. */
    expireOffers(nowSeconds: number): number {
        return this.#x.expireOffers(nowSeconds >>> 0);
    }
    /** Back to the state right after instantiation: no sessions, streams, candidates or pending Ends. */
    reset(): void {
        this.#x.reset();
    }
    /** 0 when the table's invariants hold, else the number of the first broken one. */
    selfCheck(quiescent = true): number {
        return this.#x.selfCheck(quiescent ? 1 : 0);
    }

    // ── outbound ──────────────────────────────────────────────────────────────────────────────
    /** Stages an SDP for `snapOffer`/`snapAnswer`; returns its byte length, or -1 if it does not fit. */
    #stageText(text: string): number {
        const { read, written } = encoder.encodeInto(text, this.#stage);
        return read < text.length ? -1 : written;
    }
    /** Encodes the session's Offer into the snapshot; RESOURCE_EXHAUSTED when the SDP does not fit `sdpLen`. */
    snapOffer(sessionId: number, sdp: string): Status {
        const len = this.#stageText(sdp);
        return this.#x.snapOffer(sessionId, len < 0 ? this.#stage.length + 1 : len) as Status;
    }
    /** Encodes the session's Answer into the snapshot; RESOURCE_EXHAUSTED when the SDP does not fit `sdpLen`. */
    snapAnswer(sessionId: number, sdp: string): Status {
        const len = this.#stageText(sdp);
        return this.#x.snapAnswer(sessionId, len < 0 ? this.#stage.length + 1 : len) as Status;
    }
    /** Encodes as many of the session's waiting local candidates as fit, oldest first (an empty snapshot when none wait). */
    snapIce(sessionId: number): Status {
        return this.#x.snapIce(sessionId) as Status;
    }
    /** Encodes the End queued for the session and releases its record; NOT_FOUND when none is queued. */
    snapEnd(sessionId: number): Status {
        return this.#x.snapEnd(sessionId) as Status;
    }
    /** Offers a local ICE candidate of a live session to the outbound pool. */
    admitCandidate(sessionId: number, candidate: IceCandidate): CandidateAdmission {
        const c = encoder.encodeInto(candidate.candidate, this.#candStage);
        const candLen = c.read < candidate.candidate.length ? this.#candStage.length + 1 : c.written;
        let midLen = -1;
        if (candidate.sdpMid !== null) {
            const m = encoder.encodeInto(candidate.sdpMid, this.#midStage);
            midLen = m.read < candidate.sdpMid.length ? this.#midStage.length + 1 : m.written;
        }
        const mline = candidate.sdpMLineIndex ?? -1;
        const status = this.#x.candAdmit(sessionId, candLen, midLen, mline);
        switch (status) {
            case Status.Success:
                return "accepted";
            case Status.Busy:
                return "full";
            case Status.NotFound:
                return "no-session";
            default:
                return "too-long";
        }
    }
    /** Local candidates of the session waiting for an outbound batch. */
    candidatesWaiting(sessionId: number): number {
        return this.#x.candPending(sessionId);
    }
    /** The last snapshot: its bytes (a copy) and where it goes. */
    snapshot(): {
        /** The Requestor command id (see {@link RequestorCommand}); -1 when there is no snapshot. */
        command: number;
        /** The session the command is about. */
        sessionId: number;
        /** The fabric to send it on. */
        fabricIndex: number;
        /** The controller to send it to. */
        peerNodeId: bigint;
        /** The controller's Requestor endpoint. */
        endpointId: number;
        /** The command's TLV fields, as they go on the wire. */
        fields: Uint8Array;
    } {
        const x = this.#x;
        return {
            command: x.outCommand(),
            sessionId: x.outSession(),
            fabricIndex: x.outFabric(),
            peerNodeId: BigInt.asUintN(64, x.outPeer()),
            endpointId: x.outEndpoint(),
            fields: this.#slice(x.outPtr(), x.outLength()),
        };
    }

    // ── change events ─────────────────────────────────────────────────────────────────────────
    /** Drains the events of the last calls; `overflow` means some were lost (host must resync). */
    takeEvents(): {
        /** The change events in the order they happened. */
        events: {
            /** 1 added, 2 updated, 3 removed, 4 End queued. */
            kind: number;
            /** The session the event is about. */
            sessionId: number;
            /** The end reason of a removal or a queued End. */
            reason: number;
            /** Who caused a removal: 0 the peer, 1 the provider, 2 the fabric left. */
            cause: number;
        }[];
        /** Some events were lost: resynchronise from the table. */
        overflow: boolean;
    } {
        const x = this.#x;
        const events = [];
        for (let i = 0; i < x.eventCount(); i++) {
            events.push({ kind: x.eventKind(i), sessionId: x.eventSession(i), reason: x.eventReason(i), cause: x.eventCause(i) });
        }
        const overflow = x.eventOverflow() !== 0;
        x.clearEvents();
        return { events, overflow };
    }
}
