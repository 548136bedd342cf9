/**
 * The BASELINE: the provider's data plane written the way a straightforward matter.js
 * implementation would write it, in plain JavaScript.
 *
 * Requests are decoded and schema-validated with matter.js `TlvOfModel(...)` codecs (as the
 * matter.js interaction layer does before a command handler runs), the checks the core makes are
 * repeated on the decoded objects (usage range, privacy, supported usage, scalar/list
 * exclusivity, stream ids, capacity, ownership), sessions live in a `Map` (insertion order is
 * CurrentSessions order) with per-stream reference counts, and responses, the CurrentSessions
 * attribute and outbound Requestor commands are encoded with matter.js codecs.
 *
 * There is no media hook and no two-phase reservation: with nothing awaited in between, a handler
 * validates, updates the table and encodes in one go, which is what the core's decide + commit
 * amounts to. Status codes are the core's, so both sides can be checked against each other.
 */

import { TlvOfModel, type TlvSchema } from "@matter/main/types";
import { WebRtcTransportProvider as P } from "@matter/main/clusters/web-rtc-transport-provider";
import { WebRtcTransportRequestor as R } from "@matter/main/clusters/web-rtc-transport-requestor";
import type { WebRtcTransportDefinitions as D } from "@matter/main/clusters/web-rtc-transport-definitions";
import { encode } from "./fixtures.js";

const S = {
    Success: 0x00,
    InvalidCommand: 0x85,
    ConstraintError: 0x87,
    ResourceExhausted: 0x89,
    AlreadyExists: 0x8a,
    NotFound: 0x8b,
    InvalidInState: 0xcb,
    DynamicConstraintError: 0xcf,
} as const;

const MAX_MID_LEN = 32;
const MAX_REASON = 12;
const MAX_USAGE = 3;

// matter.js codecs, built once from the cluster model
function responseModel(command: { schema: unknown }): { schema: never } {
    const model = (command.schema as { responseModel?: unknown }).responseModel;
    if (model === undefined) throw new Error("command without a response model");
    return { schema: model as never };
}
const SolicitOfferTlv = TlvOfModel(P.commands.solicitOffer) as TlvSchema<P.SolicitOfferRequest>;
const SolicitOfferResponseTlv = TlvOfModel(responseModel(P.commands.solicitOffer)) as TlvSchema<P.SolicitOfferResponse>;
const ProvideOfferTlv = TlvOfModel(P.commands.provideOffer) as TlvSchema<P.ProvideOfferRequest>;
const ProvideOfferResponseTlv = TlvOfModel(responseModel(P.commands.provideOffer)) as TlvSchema<P.ProvideOfferResponse>;
const ProvideAnswerTlv = TlvOfModel(P.commands.provideAnswer) as TlvSchema<P.ProvideAnswerRequest>;
const ProvideIceCandidatesTlv = TlvOfModel(P.commands.provideIceCandidates) as TlvSchema<P.ProvideIceCandidatesRequest>;
const EndSessionTlv = TlvOfModel(P.commands.endSession) as TlvSchema<P.EndSessionRequest>;
const CurrentSessionsTlv = TlvOfModel(P.attributes.currentSessions) as TlvSchema<D.WebRtcSession[]>;
const AnswerTlv = TlvOfModel(R.commands.answer) as TlvSchema<R.AnswerRequest>;
const IceCandidatesTlv = TlvOfModel(R.commands.iceCandidates) as TlvSchema<R.IceCandidatesRequest>;

export type Limits = { sessions: number; sdpLen: number; candLen: number; maxCand: number; inboundCandidates: number };

export interface Outcome {
    status: number;
    sessionId?: number;
    /** TLV of the response fields, when the command has a response. */
    response?: Uint8Array;
    /** What the media hook would be handed (the decoded request), so the work is not optimized away. */
    hookArgs?: unknown;
}

export interface OutboundInvoke {
    command: number;
    sessionId: number;
    fabricIndex: number;
    peerNodeId: bigint;
    endpointId: number;
    fields: Uint8Array;
}

type SessionState = "awaiting-answer" | "established";

/**
 * A row: the CurrentSessions struct itself (as a matter.js behavior keeps it in its state, so a
 * read encodes the rows as they are) plus what the provider needs on the side.
 */
interface Session extends D.WebRtcSession {
    state: SessionState;
    videoStreams: number[];
    audioStreams: number[];
    /** The request carried the scalar VideoStreamID / AudioStreamID, so responses echo them. */
    echoVideo: boolean;
    echoAudio: boolean;
}

interface Stream {
    id: number;
    usage: number;
    references: number;
}

interface LocalCandidate {
    sessionId: number;
    candidate: D.IceCandidate;
}

/** The common part of SolicitOffer and ProvideOffer requests. */
type OfferFields = Pick<
    P.SolicitOfferRequest,
    "videoStreamId" | "audioStreamId" | "videoStreams" | "audioStreams" | "iceServers" | "metadataEnabled"
>;

/** Maps a thrown matter.js validation/decoding error to the status the interaction layer sends. */
function statusOf(error: unknown): number {
    const code = (error as { code?: unknown }).code;
    return typeof code === "number" ? code : S.InvalidCommand;
}

function fail(status: number): Outcome {
    return { status };
}

export class JsProvider {
    readonly sessions = new Map<number, Session>();
    readonly video: Stream[] = [];
    readonly audio: Stream[] = [];
    priorities: number[] = [];
    hardPrivacy = false;
    softRecordingPrivacy = false;
    softLivestreamPrivacy = false;
    utcTimeNull = false;
    nextId = 1;
    /** Local candidates waiting for the next ICECandidates command, oldest first. */
    readonly pool: LocalCandidate[] = [];
    /** Provider-initiated Ends waiting to be sent (capacity overflow). */
    readonly ends: { id: number; fabricIndex: number; peerNodeId: bigint; endpointId: number; reason: number }[] = [];

    constructor(readonly limits: Limits) {}

    addStream(kind: "video" | "audio", id: number, usage: number): void {
        (kind === "video" ? this.video : this.audio).push({ id, usage, references: 0 });
    }

    // ── commands ──────────────────────────────────────────────────────────────────────────────
    solicitOffer(fields: Uint8Array, fabricIndex: number, peerNodeId: bigint): Outcome {
        let req: P.SolicitOfferRequest;
        try {
            req = SolicitOfferTlv.decode(fields);
            SolicitOfferTlv.validate(req);
        } catch (error) {
            return fail(statusOf(error));
        }
        const usage = req.streamUsage as number;
        const checked = this.#checkNewOffer(req, usage);
        if (checked !== S.Success) return fail(checked);
        const selection = this.#resolveStreams(req, usage);
        if (selection === undefined) return fail(S.DynamicConstraintError);
        const id = this.#allocateId();
        if (id === 0) return fail(S.ResourceExhausted);
        if (this.sessions.size >= this.limits.sessions) {
            // over capacity: SUCCESS now, End(OutOfResources) afterwards (TC_WEBRTCP_2_12)
            this.ends.push({ id, fabricIndex, peerNodeId, endpointId: req.originatingEndpointId, reason: 8 });
            const response = encode(SolicitOfferResponseTlv, { webRtcSessionId: id, deferredOffer: false });
            return { status: S.Success, sessionId: id, response };
        }
        const session = this.#insert(id, fabricIndex, peerNodeId, req.originatingEndpointId, usage, req, selection);
        return {
            status: S.Success,
            sessionId: id,
            response: encode(SolicitOfferResponseTlv, { webRtcSessionId: id, deferredOffer: false, ...echo(session) }),
            hookArgs: req,
        };
    }

    provideOffer(fields: Uint8Array, fabricIndex: number, peerNodeId: bigint): Outcome {
        let req: P.ProvideOfferRequest;
        try {
            req = ProvideOfferTlv.decode(fields);
            ProvideOfferTlv.validate(req);
        } catch (error) {
            return fail(statusOf(error));
        }
        if (req.webRtcSessionId !== null) return this.#reoffer(req, req.webRtcSessionId, fabricIndex, peerNodeId);
        if (req.streamUsage === undefined || req.originatingEndpointId === undefined) return fail(S.InvalidCommand);
        const usage = req.streamUsage as number;
        if (req.sdp.length > this.limits.sdpLen) return fail(S.ResourceExhausted);
        const checked = this.#checkNewOffer(req, usage);
        if (checked !== S.Success) return fail(checked);
        const selection = this.#resolveStreams(req, usage);
        if (selection === undefined) return fail(S.ResourceExhausted);
        if (this.sessions.size >= this.limits.sessions) return fail(S.ResourceExhausted);
        const id = this.#allocateId();
        if (id === 0) return fail(S.ResourceExhausted);
        const session = this.#insert(id, fabricIndex, peerNodeId, req.originatingEndpointId, usage, req, selection);
        session.state = "established";
        return {
            status: S.Success,
            sessionId: id,
            response: encode(ProvideOfferResponseTlv, { webRtcSessionId: id, ...echo(session) }),
            hookArgs: req,
        };
    }

    #reoffer(req: P.ProvideOfferRequest, id: number, fabricIndex: number, peerNodeId: bigint): Outcome {
        if (req.streamUsage !== undefined && (req.streamUsage as number) > MAX_USAGE) return fail(S.ConstraintError);
        if (req.sdp.length > this.limits.sdpLen) return fail(S.ResourceExhausted);
        const session = this.#owned(id, fabricIndex, peerNodeId);
        if (session === undefined) return fail(S.NotFound);
        const usage = (req.streamUsage as number | undefined) ?? session.streamUsage;
        let selection = { video: session.videoStreams, audio: session.audioStreams };
        if (hasAnyStream(req)) {
            if (mixesScalarsAndLists(req)) return fail(S.InvalidCommand);
            const valid = this.#validateStreams(req);
            if (valid !== S.Success) return fail(valid);
            const resolved = this.#resolveStreams(req, usage);
            if (resolved === undefined) return fail(S.ResourceExhausted);
            selection = resolved;
        }
        this.#addReferences(session, -1);
        session.streamUsage = usage;
        session.peerEndpointId = req.originatingEndpointId ?? session.peerEndpointId;
        session.videoStreams = selection.video;
        session.audioStreams = selection.audio;
        session.videoStreamId = selection.video[0] ?? null;
        session.audioStreamId = selection.audio[0] ?? null;
        session.metadataEnabled = req.metadataEnabled === true;
        session.echoVideo = req.videoStreamId !== undefined;
        session.echoAudio = req.audioStreamId !== undefined;
        session.state = "established";
        this.#addReferences(session, 1);
        this.sessions.set(id, session); // an update in place keeps its place in CurrentSessions
        return {
            status: S.Success,
            sessionId: id,
            response: encode(ProvideOfferResponseTlv, { webRtcSessionId: id, ...echo(session) }),
            hookArgs: req,
        };
    }

    provideAnswer(fields: Uint8Array, fabricIndex: number, peerNodeId: bigint): Outcome {
        let req: P.ProvideAnswerRequest;
        try {
            req = ProvideAnswerTlv.decode(fields);
            ProvideAnswerTlv.validate(req);
        } catch (error) {
            return fail(statusOf(error));
        }
        if (req.sdp.length > this.limits.sdpLen) return fail(S.ResourceExhausted);
        const session = this.#owned(req.webRtcSessionId, fabricIndex, peerNodeId);
        if (session === undefined) return fail(S.NotFound);
        // a duplicate answer is accepted and ignored, as the reference camera does
        if (session.state !== "established") session.state = "established";
        return { status: S.Success, sessionId: session.id, hookArgs: req.sdp };
    }

    provideIceCandidates(fields: Uint8Array, fabricIndex: number, peerNodeId: bigint): Outcome {
        let req: P.ProvideIceCandidatesRequest;
        try {
            req = ProvideIceCandidatesTlv.decode(fields);
            ProvideIceCandidatesTlv.validate(req);
        } catch (error) {
            return fail(statusOf(error));
        }
        if (req.iceCandidates.some(c => c.sdpMid === "")) return fail(S.ConstraintError);
        if (req.iceCandidates.length === 0) return fail(S.ConstraintError);
        if (req.iceCandidates.length > this.limits.inboundCandidates) return fail(S.ResourceExhausted);
        if (this.#owned(req.webRtcSessionId, fabricIndex, peerNodeId) === undefined) return fail(S.NotFound);
        return { status: S.Success, sessionId: req.webRtcSessionId, hookArgs: req.iceCandidates };
    }

    endSession(fields: Uint8Array, fabricIndex: number, peerNodeId: bigint): Outcome {
        let req: P.EndSessionRequest;
        try {
            req = EndSessionTlv.decode(fields);
            EndSessionTlv.validate(req);
        } catch (error) {
            return fail(statusOf(error));
        }
        if ((req.reason as number) > MAX_REASON) return fail(S.ConstraintError);
        const session = this.#owned(req.webRtcSessionId, fabricIndex, peerNodeId);
        if (session === undefined) return fail(S.NotFound);
        this.#remove(session);
        return { status: S.Success, sessionId: session.id, hookArgs: req.reason };
    }

    // ── the attribute ─────────────────────────────────────────────────────────────────────────
    /** CurrentSessions of one fabric (0: every fabric), encoded as matter.js sends it. */
    currentSessionsTlv(fabricIndex = 0): Uint8Array {
        const list: D.WebRtcSession[] = [];
        for (const s of this.sessions.values()) if (fabricIndex === 0 || s.fabricIndex === fabricIndex) list.push(s);
        return encode(CurrentSessionsTlv, list);
    }

    // ── outbound ──────────────────────────────────────────────────────────────────────────────
    /** The Answer command for an established session, or undefined when there is none. */
    answer(sessionId: number, sdp: string): OutboundInvoke | undefined {
        const session = this.sessions.get(sessionId);
        if (session === undefined || session.state !== "established") return undefined;
        if (sdp.length > this.limits.sdpLen) return undefined;
        return this.#invoke(1, session, encode(AnswerTlv, { webRtcSessionId: sessionId, sdp }));
    }

    /** Queues one local candidate; the pool is shared by all sessions, as the core's is. */
    admitCandidate(sessionId: number, candidate: D.IceCandidate): "accepted" | "full" | "too-long" | "no-session" {
        if (!this.sessions.has(sessionId)) return "no-session";
        if (candidate.candidate.length > this.limits.candLen) return "too-long";
        if (candidate.sdpMid !== null && candidate.sdpMid.length > MAX_MID_LEN) return "too-long";
        if (this.pool.length >= this.limits.maxCand) return "full";
        this.pool.push({ sessionId, candidate });
        return "accepted";
    }

    /** The ICECandidates command with every waiting candidate of the session, oldest first. */
    iceCandidates(sessionId: number): OutboundInvoke | undefined {
        const session = this.sessions.get(sessionId);
        if (session === undefined) return undefined;
        const taken: D.IceCandidate[] = [];
        for (let i = 0; i < this.pool.length; ) {
            const entry = this.pool[i]!;
            if (entry.sessionId === sessionId) {
                taken.push(entry.candidate);
                this.pool.splice(i, 1);
            } else {
                i++;
            }
        }
        if (taken.length === 0) return undefined;
        return this.#invoke(2, session, encode(IceCandidatesTlv, { webRtcSessionId: sessionId, iceCandidates: taken }));
    }

    /** Removes every session of a fabric (benchmark teardown; no End is sent). */
    removeFabric(fabricIndex: number): void {
        for (const session of [...this.sessions.values()]) if (session.fabricIndex === fabricIndex) this.#remove(session);
    }

    // ── rules ─────────────────────────────────────────────────────────────────────────────────
    /** Checks of a new session, in the reference's order (after decoding). */
    #checkNewOffer(req: OfferFields, usage: number): number {
        if (usage > MAX_USAGE) return S.ConstraintError;
        if (!hasAnyStream(req)) return S.InvalidCommand;
        if (this.#privacyBlocks(usage)) return S.InvalidInState;
        if (!this.priorities.includes(usage)) return S.DynamicConstraintError;
        if (mixesScalarsAndLists(req)) return S.InvalidCommand;
        const valid = this.#validateStreams(req);
        if (valid !== S.Success) return valid;
        if (this.utcTimeNull && usesSecureIceScheme(req)) return S.InvalidInState;
        return S.Success;
    }

    #privacyBlocks(usage: number): boolean {
        if (this.hardPrivacy) return true;
        if (this.softLivestreamPrivacy && usage === 3) return true;
        return this.softRecordingPrivacy && (usage === 1 || usage === 2);
    }

    #validateStreams(req: OfferFields): number {
        const scalars: [Stream[], number | null | undefined][] = [
            [this.video, req.videoStreamId],
            [this.audio, req.audioStreamId],
        ];
        for (const [streams, id] of scalars) {
            if (id === undefined) continue;
            if (id === null) {
                if (streams.length === 0) return S.InvalidInState;
            } else if (!streams.some(s => s.id === id)) {
                return S.DynamicConstraintError;
            }
        }
        const lists: [Stream[], number[] | undefined][] = [
            [this.video, req.videoStreams],
            [this.audio, req.audioStreams],
        ];
        for (const [streams, ids] of lists) {
            if (ids === undefined) continue;
            if (streams.length === 0) return S.InvalidInState;
            if (new Set(ids).size !== ids.length) return S.AlreadyExists;
            if (!ids.every(id => streams.some(s => s.id === id))) return S.DynamicConstraintError;
        }
        return S.Success;
    }

    /** The streams a session will use: the lists as sent, the scalar id, or auto-selection. */
    #resolveStreams(req: OfferFields, usage: number): { video: number[]; audio: number[] } | undefined {
        const video = resolveKind(this.video, usage, req.videoStreamId, req.videoStreams);
        const audio = resolveKind(this.audio, usage, req.audioStreamId, req.audioStreams);
        if (video === undefined || audio === undefined) return undefined;
        return { video, audio };
    }

    /** Sequential ids from 1, never 0xFFFF, skipping ids in use or waiting in an End. */
    #allocateId(): number {
        for (let tries = 0; tries <= this.limits.sessions + this.ends.length; tries++) {
            const id = this.nextId;
            this.nextId = id >= 0xfffe ? 1 : id + 1;
            if (!this.sessions.has(id) && !this.ends.some(e => e.id === id)) return id;
        }
        return 0;
    }

    #insert(
        id: number,
        fabricIndex: number,
        peerNodeId: bigint,
        endpoint: number,
        usage: number,
        req: OfferFields,
        selection: { video: number[]; audio: number[] },
    ): Session {
        const session: Session = {
            id,
            fabricIndex: fabricIndex as D.WebRtcSession["fabricIndex"],
            peerNodeId: peerNodeId as D.WebRtcSession["peerNodeId"],
            peerEndpointId: endpoint as D.WebRtcSession["peerEndpointId"],
            streamUsage: usage,
            state: "awaiting-answer",
            videoStreamId: selection.video[0] ?? null,
            audioStreamId: selection.audio[0] ?? null,
            videoStreams: selection.video,
            audioStreams: selection.audio,
            metadataEnabled: req.metadataEnabled === true,
            echoVideo: req.videoStreamId !== undefined,
            echoAudio: req.audioStreamId !== undefined,
        };
        this.sessions.set(id, session);
        this.#addReferences(session, 1);
        return session;
    }

    #remove(session: Session): void {
        this.sessions.delete(session.id);
        this.#addReferences(session, -1);
        for (let i = this.pool.length - 1; i >= 0; i--) if (this.pool[i]!.sessionId === session.id) this.pool.splice(i, 1);
    }

    #owned(id: number, fabricIndex: number, peerNodeId: bigint): Session | undefined {
        const session = this.sessions.get(id);
        if (session === undefined || session.fabricIndex !== fabricIndex || session.peerNodeId !== peerNodeId) return undefined;
        return session;
    }

    #addReferences(session: Session, delta: number): void {
        for (const id of session.videoStreams) {
            const stream = this.video.find(s => s.id === id);
            if (stream !== undefined) stream.references += delta;
        }
        for (const id of session.audioStreams) {
            const stream = this.audio.find(s => s.id === id);
            if (stream !== undefined) stream.references += delta;
        }
    }

    #invoke(command: number, session: Session, fields: Uint8Array): OutboundInvoke {
        return {
            command,
            sessionId: session.id,
            fabricIndex: session.fabricIndex,
            peerNodeId: session.peerNodeId,
            endpointId: session.peerEndpointId,
            fields,
        };
    }
}

function hasAnyStream(req: OfferFields): boolean {
    return req.videoStreamId !== undefined || req.audioStreamId !== undefined || req.videoStreams !== undefined || req.audioStreams !== undefined;
}

function mixesScalarsAndLists(req: OfferFields): boolean {
    const lists = req.videoStreams !== undefined || req.audioStreams !== undefined;
    return lists && (req.videoStreamId !== undefined || req.audioStreamId !== undefined);
}

function usesSecureIceScheme(req: OfferFields): boolean {
    return (req.iceServers ?? []).some(server => server.urLs.some(url => url.startsWith("turns:") || url.startsWith("stuns:")));
}

function resolveKind(streams: Stream[], usage: number, id: number | null | undefined, list: number[] | undefined): number[] | undefined {
    if (list !== undefined) return list;
    if (id === undefined) return [];
    if (id !== null) return [id];
    const chosen = streams.find(s => s.usage === usage) ?? streams[0];
    return chosen === undefined ? undefined : [chosen.id];
}

/** Response echo of the scalar stream ids, only when the request carried them. */
function echo(session: Session): { videoStreamId?: number | null; audioStreamId?: number | null } {
    const fields: { videoStreamId?: number | null; audioStreamId?: number | null } = {};
    if (session.echoVideo) fields.videoStreamId = session.videoStreams[0] ?? null;
    if (session.echoAudio) fields.audioStreamId = session.audioStreams[0] ?? null;
    return fields;
}
