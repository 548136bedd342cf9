/**
 * A plain TypeScript model of the provider's session table, for the structure-aware fuzzer: given
 * a decoded request (`request-oracle.ts`) or a provider operation, it predicts the core's status,
 * the session it concerns, and the table afterwards; `mismatch` compares the model with a live core.
 *
 * It follows the order of checks of chip-reference-behavior.md §b as the core states it
 * (assembly/commands.ts): admission (payload size, accessing fabric) → decode → data-model bounds
 * → SDP length → session lookup → privacy → supported usage → scalar/list exclusivity → stream ids →
 * stream lists → turns:/stuns: without UTC time → auto-selection → capacity. Rows sit in N_SESSIONS
 * slots (a new one takes the lowest free slot) because the order in which the camera ends sessions
 * decides which End records fit; ids come from the same sequential allocator (1..0xFFFE, skipping
 * ids in use or owed an End). Local candidates are a pool of MAX_CAND slots taken oldest first.
 *
 * Limits: the model knows only what the core's exports show; stream-level media, the engine's
 * queue and timers are outside it. It is written from the reference notes and the core's documented
 * rules, so it finds where the core departs from them, not where both are wrong.
 */

import { Status } from "../../src/engine/status.js";
import type { Core } from "../../src/engine/core.js";
import { Command, type OfferRequest, type Decoded, type Request } from "./request-oracle.js";

export const Action = { Hook: 1, Respond: 2, Done: 3 } as const;
export const USAGE_MAX = 3;
export const REASON_MAX = 12;
const FABRIC_INDEX_MAX = 254;
const MAX_LIST = 16;
const MAX_ICE_SERVERS = 10;
const MAX_ICE_URLS = 10;
const MAX_URL_LEN = 2000;
const MAX_USERNAME_LEN = 508;
const MAX_CREDENTIAL_LEN = 512;
const MAX_POLICY_LEN = 16;
const DEFERRED_OFFER_TIMEOUT_S = 30;
const END = { inviteTimeout: 6, outOfResources: 8, privacyMode: 11, unknownReason: 12 } as const;
const CAUSE = { peer: 0, provider: 1, fabric: 2 } as const;
const EV = { added: 1, updated: 2, removed: 3, endQueued: 4 } as const;

/** The profile's capacities the rules depend on (Core.capacities, plus the snapshot stage). */
export interface ModelCaps {
    sessions: number;
    sdpLen: number;
    inLen: number;
    inboundCandidates: number;
    pendingEnds: number;
    maxCand: number;
    candLen: number;
    midLen: number;
    streamsPerKind: number;
    outLen: number;
}

type State = "pending" | "deferred" | "awaitAnswer" | "established";
const STATE_NAME: Record<State, string> = {
    pending: "reserved", deferred: "awaiting-deferred-offer", awaitAnswer: "awaiting-answer", established: "established",
};
const isLive = (s: State): boolean => s !== "pending";

export interface Terms {
    usage: number;
    endpoint: number;
    metadata: boolean;
    echoVideo: boolean;
    echoAudio: boolean;
    video: number[];
    audio: number[];
}
export interface Row {
    id: number;
    fabric: number;
    peer: bigint;
    state: State;
    terms: Terms;
    staged?: Terms;
    busy: boolean;
    offerDue: boolean;
    deadline: number;
    seq: number;
}
export interface EndRecord {
    id: number;
    fabric: number;
    peer: bigint;
    endpoint: number;
    reason: number;
}
interface Stream {
    id: number;
    usage: number;
    refs: number;
}
/** A local candidate waiting in the pool. */
export interface PoolEntry {
    session: number;
    candidate: string;
    sdpMid: string | null;
    mline: number | null;
    candBytes: number;
    midBytes: number | null;
}
export interface ModelEvent {
    kind: number;
    sessionId: number;
    reason: number;
    cause: number;
}

/** What the model expects of phase 1 of a command. */
export interface Expectation {
    status: number;
    sessionId?: number;
    action?: number;
    /** The stream lists and terms the hook is asked for (SolicitOffer / ProvideOffer with a hook). */
    proposal?: Terms;
    /** A re-offer. */
    reoffer?: boolean;
    /** Which check decided a refusal: for the reach statistics. */
    step: string;
}

const bytesOf = (s: string) => new TextEncoder().encode(s).length;

export class TableModel {
    readonly caps: ModelCaps;
    rows: (Row | undefined)[] = [];
    ends: (EndRecord | undefined)[] = [];
    nextId = 1;
    nextSeq = 1;
    video: Stream[] = [];
    audio: Stream[] = [];
    priorities: number[] = [];
    privacy = { hard: false, recording: false, livestream: false };
    utcTimeNull = false;
    pool: PoolEntry[] = [];
    events: ModelEvent[] = [];

    constructor(caps: ModelCaps) {
        this.caps = caps;
        this.reset();
    }

    reset(): void {
        this.rows = new Array<Row | undefined>(this.caps.sessions).fill(undefined);
        this.ends = new Array<EndRecord | undefined>(this.caps.pendingEnds).fill(undefined);
        this.nextId = 1;
        this.nextSeq = 1;
        this.video = [];
        this.audio = [];
        this.priorities = [];
        this.privacy = { hard: false, recording: false, livestream: false };
        this.utcTimeNull = false;
        this.pool = [];
        this.events = [];
    }

    // ── reads ─────────────────────────────────────────────────────────────────────────────────
    find(id: number): Row | undefined {
        return id <= 0 ? undefined : this.rows.find(r => r !== undefined && r.id === id);
    }
    findLive(id: number): Row | undefined {
        const r = this.find(id);
        return r !== undefined && isLive(r.state) ? r : undefined;
    }
    findOwned(id: number, fabric: number, peer: bigint): Row | undefined {
        const r = this.findLive(id);
        return r !== undefined && r.fabric === fabric && r.peer === peer ? r : undefined;
    }
    live(): Row[] {
        return this.rows.filter((r): r is Row => r !== undefined && isLive(r.state)).sort((a, b) => a.seq - b.seq);
    }
    pending(): Row[] {
        return this.rows.filter((r): r is Row => r !== undefined && !isLive(r.state));
    }
    endIds(): number[] {
        return this.ends.filter((e): e is EndRecord => e !== undefined).map(e => e.id);
    }
    streamsOf(kind: number): Stream[] {
        return kind === 0 ? this.video : this.audio;
    }
    /** Live sessions and reservations: the rows a command may hit, with their owners. */
    rowsInUse(): Row[] {
        return this.rows.filter((r): r is Row => r !== undefined);
    }

    // ── table changes ─────────────────────────────────────────────────────────────────────────
    #idInUse(id: number): boolean {
        return this.find(id) !== undefined || this.ends.some(e => e !== undefined && e.id === id);
    }
    #allocateId(): number {
        for (let tries = 0; tries <= this.caps.sessions + this.caps.pendingEnds; tries++) {
            const c = this.nextId;
            this.nextId = c >= 0xfffe ? 1 : c + 1;
            if (!this.#idInUse(c)) return c;
        }
        return 0;
    }
    #hold(terms: Terms, delta: number): void {
        for (const id of terms.video) this.#addRef(this.video, id, delta);
        for (const id of terms.audio) this.#addRef(this.audio, id, delta);
    }
    #addRef(list: Stream[], id: number, delta: number): void {
        const s = list.find(x => x.id === id);
        if (s !== undefined) s.refs = Math.max(0, s.refs + delta);
    }
    #goLive(r: Row, state: State): void {
        r.state = state;
        r.seq = this.nextSeq++;
        this.#hold(r.terms, 1);
        this.events.push({ kind: EV.added, sessionId: r.id, reason: 0, cause: 0 });
    }
    #removeRow(slot: number, reason: number, cause: number): void {
        const r = this.rows[slot]!;
        if (isLive(r.state)) {
            this.#hold(r.terms, -1);
            this.events.push({ kind: EV.removed, sessionId: r.id, reason, cause });
        }
        this.pool = this.pool.filter(p => p.session !== r.id);
        this.rows[slot] = undefined;
    }
    #queueEnd(id: number, fabric: number, peer: bigint, endpoint: number, reason: number): boolean {
        const k = this.ends.findIndex(e => e === undefined);
        if (k < 0) return false;
        this.ends[k] = { id, fabric, peer, endpoint, reason };
        this.events.push({ kind: EV.endQueued, sessionId: id, reason, cause: 0 });
        return true;
    }
    #slotOf(r: Row): number {
        return this.rows.indexOf(r);
    }

    // ── commands, phase 1 ─────────────────────────────────────────────────────────────────────
    /** Phase 1 of `command` with a payload of `len` bytes that the oracle read as `decoded`. */
    decide(command: number, len: number, decoded: Decoded, fabric: number, peer: bigint): Expectation {
        if (![0x00, 0x02, 0x04, 0x05, 0x06].includes(command)) return { status: Status.InvalidCommand, step: "command id" };
        if (len > this.caps.inLen) return { status: Status.ResourceExhausted, step: "admission: size" };
        if (fabric <= 0 || fabric > FABRIC_INDEX_MAX) return { status: Status.UnsupportedAccess, step: "admission: fabric" };
        if (!decoded.ok) return { status: Status.InvalidCommand, step: "decode" };
        const r: Request = decoded.request;
        switch (r.kind) {
            case "offer":
                return command === Command.SolicitOffer ? this.#solicit(r, fabric, peer) : this.#provideOffer(r, fabric, peer);
            case "answer":
                return this.#answer(r.sessionId, r.sdpBytes, fabric, peer);
            case "ice": {
                if (r.candidates.some(c => c.sdpMid === "")) return { status: Status.ConstraintError, step: "data model" };
                if (r.candidates.length === 0) return { status: Status.ConstraintError, step: "data model" };
                if (r.candidates.length > this.caps.inboundCandidates) return { status: Status.ResourceExhausted, step: "capacity" };
                if (this.findOwned(r.sessionId, fabric, peer) === undefined) return { status: Status.NotFound, step: "lookup" };
                return { status: Status.Success, sessionId: r.sessionId, action: Action.Hook, step: "decided" };
            }
            case "end": {
                if (r.reason > REASON_MAX) return { status: Status.ConstraintError, step: "data model" };
                const row = this.findOwned(r.sessionId, fabric, peer);
                if (row === undefined) return { status: Status.NotFound, step: "lookup" };
                this.#removeRow(this.#slotOf(row), r.reason, CAUSE.peer);
                return { status: Status.Success, sessionId: r.sessionId, action: Action.Hook, step: "decided" };
            }
        }
    }

    /** Steps 1–5: enum range, a stream named (new sessions), ICE server and policy bounds, list bounds. */
    #dataModel(r: OfferRequest, requireStreams: boolean): number | undefined {
        if (r.streamUsage !== undefined && r.streamUsage > USAGE_MAX) return Status.ConstraintError;
        if (requireStreams && !namesAnyStream(r)) return Status.InvalidCommand;
        if (r.iceServers !== undefined && iceBoundsBroken(r)) return Status.ConstraintError;
        if (r.policy !== undefined && r.policyBytes > MAX_POLICY_LEN) return Status.ConstraintError;
        for (const list of [r.videoList, r.audioList]) {
            if (list !== undefined && (list.length < 1 || list.length > MAX_LIST)) return Status.ConstraintError;
        }
        return undefined;
    }
    #privacyBlocks(usage: number): boolean {
        const p = this.privacy;
        return p.hard || (p.livestream && usage === 3) || (p.recording && (usage === 1 || usage === 2));
    }
    #validateScalar(list: Stream[], id: number | null | undefined): number | undefined {
        if (id === undefined) return undefined;
        if (id === null) return list.length === 0 ? Status.InvalidInState : undefined;
        return list.some(s => s.id === id) ? undefined : Status.DynamicConstraintError;
    }
    #validateList(list: Stream[], ids: number[] | undefined): number | undefined {
        if (ids === undefined) return undefined;
        if (list.length === 0) return Status.InvalidInState;
        if (new Set(ids).size !== ids.length) return Status.AlreadyExists;
        return ids.every(id => list.some(s => s.id === id)) ? undefined : Status.DynamicConstraintError;
    }
    #validateStreams(r: OfferRequest): number | undefined {
        return this.#validateScalar(this.video, r.videoId) ?? this.#validateScalar(this.audio, r.audioId)
            ?? this.#validateList(this.video, r.videoList) ?? this.#validateList(this.audio, r.audioList);
    }
    /** A new session's rules after the data model: privacy, usage, exclusivity, stream ids and lists. */
    #newSessionRules(r: OfferRequest): { status: number; step: string } | undefined {
        const usage = r.streamUsage!;
        if (this.#privacyBlocks(usage)) return { status: Status.InvalidInState, step: "privacy" };
        if (!this.priorities.includes(usage)) return { status: Status.DynamicConstraintError, step: "usage" };
        if (mixes(r)) return { status: Status.InvalidCommand, step: "exclusivity" };
        const s = this.#validateStreams(r);
        return s === undefined ? undefined : { status: s, step: "streams" };
    }
    #autoSelect(list: Stream[], usage: number): number | undefined {
        return (list.find(s => s.usage === usage) ?? list[0])?.id;
    }
    /** The stream lists a request resolves to; undefined when a kind it asks for has nothing to use. */
    #resolve(r: OfferRequest, usage: number): { video: number[]; audio: number[] } | undefined {
        const one = (list: Stream[], id: number | null | undefined, ids: number[] | undefined): number[] | undefined => {
            if (ids !== undefined) return [...ids];
            if (id === undefined) return [];
            const chosen = id !== null ? id : this.#autoSelect(list, usage);
            return chosen === undefined ? undefined : [chosen];
        };
        const video = one(this.video, r.videoId, r.videoList);
        const audio = one(this.audio, r.audioId, r.audioList);
        return video === undefined || audio === undefined ? undefined : { video, audio };
    }
    #secureIceWithoutTime(r: OfferRequest): boolean {
        return r.iceServers !== undefined && this.utcTimeNull && r.iceServers.some(s => s.urls.some(u => u.startsWith("turns:") || u.startsWith("stuns:")));
    }
    #reserve(slot: number, id: number, fabric: number, peer: bigint, terms: Terms): void {
        this.rows[slot] = { id, fabric, peer, state: "pending", terms, busy: false, offerDue: false, deadline: 0, seq: 0 };
    }
    #freeSlot(): number {
        return this.rows.findIndex(r => r === undefined);
    }

    #solicit(r: OfferRequest, fabric: number, peer: bigint): Expectation {
        const dm = this.#dataModel(r, true);
        if (dm !== undefined) return { status: dm, step: "data model" };
        const rules = this.#newSessionRules(r);
        if (rules !== undefined) return rules;
        if (this.#secureIceWithoutTime(r)) return { status: Status.InvalidInState, step: "utc time" };
        const lists = this.#resolve(r, r.streamUsage!);
        if (lists === undefined) return { status: Status.DynamicConstraintError, step: "auto-selection" };
        const terms: Terms = {
            usage: r.streamUsage!, endpoint: r.endpoint!, metadata: r.metadata === true,
            echoVideo: r.videoId !== undefined, echoAudio: r.audioId !== undefined, ...lists,
        };
        const slot = this.#freeSlot();
        if (slot < 0) {
            if (this.ends.every(e => e !== undefined)) return { status: Status.ResourceExhausted, step: "capacity" };
            const id = this.#allocateId();
            if (id === 0) return { status: Status.ResourceExhausted, step: "capacity" };
            this.#queueEnd(id, fabric, peer, terms.endpoint, END.outOfResources);
            return { status: Status.Success, sessionId: id, action: Action.Respond, proposal: terms, step: "decided" };
        }
        const id = this.#allocateId();
        if (id === 0) return { status: Status.ResourceExhausted, step: "capacity" };
        this.#reserve(slot, id, fabric, peer, terms);
        return { status: Status.Success, sessionId: id, action: Action.Hook, proposal: terms, reoffer: false, step: "decided" };
    }

    #provideOffer(r: OfferRequest, fabric: number, peer: bigint): Expectation {
        const isNew = r.sessionId === null;
        const dm = this.#dataModel(r, isNew);
        if (dm !== undefined) return { status: dm, step: "data model" };
        if (r.sdpBytes > this.caps.sdpLen) return { status: Status.ResourceExhausted, step: "sdp length" };
        if (!isNew) return this.#reoffer(r, fabric, peer);
        const rules = this.#newSessionRules(r);
        if (rules !== undefined) return rules;
        const lists = this.#resolve(r, r.streamUsage!);
        if (lists === undefined) return { status: Status.ResourceExhausted, step: "auto-selection" };
        if (this.#secureIceWithoutTime(r)) return { status: Status.InvalidInState, step: "utc time" };
        const slot = this.#freeSlot();
        if (slot < 0) return { status: Status.ResourceExhausted, step: "capacity" };
        const id = this.#allocateId();
        if (id === 0) return { status: Status.ResourceExhausted, step: "capacity" };
        const terms: Terms = {
            usage: r.streamUsage!, endpoint: r.endpoint!, metadata: r.metadata === true,
            echoVideo: r.videoId !== undefined, echoAudio: r.audioId !== undefined, ...lists,
        };
        this.#reserve(slot, id, fabric, peer, terms);
        return { status: Status.Success, sessionId: id, action: Action.Hook, proposal: terms, reoffer: false, step: "decided" };
    }

    #reoffer(r: OfferRequest, fabric: number, peer: bigint): Expectation {
        const id = r.sessionId as number;
        const row = this.findOwned(id, fabric, peer);
        if (row === undefined) return { status: Status.NotFound, step: "lookup" };
        if (row.busy) return { status: Status.InvalidInState, step: "busy" };
        const usage = r.streamUsage ?? row.terms.usage;
        let lists = { video: [...row.terms.video], audio: [...row.terms.audio] };
        if (namesAnyStream(r)) {
            if (mixes(r)) return { status: Status.InvalidCommand, step: "exclusivity" };
            const s = this.#validateStreams(r);
            if (s !== undefined) return { status: s, step: "streams" };
            const resolved = this.#resolve(r, usage);
            if (resolved === undefined) return { status: Status.ResourceExhausted, step: "auto-selection" };
            lists = resolved;
        }
        const terms: Terms = {
            usage, endpoint: r.endpoint ?? row.terms.endpoint, metadata: r.metadata ?? row.terms.metadata,
            echoVideo: r.videoId !== undefined, echoAudio: r.audioId !== undefined, ...lists,
        };
        row.staged = terms;
        row.busy = true;
        return { status: Status.Success, sessionId: id, action: Action.Hook, proposal: terms, reoffer: true, step: "decided" };
    }

    #answer(id: number, sdpBytes: number, fabric: number, peer: bigint): Expectation {
        if (sdpBytes > this.caps.sdpLen) return { status: Status.ResourceExhausted, step: "sdp length" };
        const row = this.findOwned(id, fabric, peer);
        if (row === undefined) return { status: Status.NotFound, step: "lookup" };
        if (row.state === "established" || row.busy) return { status: Status.Success, sessionId: id, action: Action.Done, step: "decided" };
        row.busy = true;
        return { status: Status.Success, sessionId: id, action: Action.Hook, step: "decided" };
    }

    // ── phase 2 ───────────────────────────────────────────────────────────────────────────────
    commitSolicitOffer(id: number, deferred: boolean, now: number): number {
        const row = this.find(id);
        if (row === undefined || row.state !== "pending") return Status.NotFound;
        row.offerDue = true;
        row.deadline = (now + DEFERRED_OFFER_TIMEOUT_S) >>> 0;
        this.#goLive(row, deferred ? "deferred" : "awaitAnswer");
        return Status.Success;
    }
    commitProvideOffer(id: number): number {
        const row = this.find(id);
        if (row === undefined) return Status.NotFound;
        if (row.state === "pending") this.#goLive(row, "established");
        else if (row.staged !== undefined) {
            this.#hold(row.terms, -1);
            row.terms = row.staged;
            row.staged = undefined;
            row.busy = false;
            row.offerDue = false;
            row.state = "established";
            this.#hold(row.terms, 1);
            this.events.push({ kind: EV.updated, sessionId: id, reason: 0, cause: 0 });
        } else return Status.InvalidInState;
        return Status.Success;
    }
    commitProvideAnswer(id: number): number {
        const row = this.findLive(id);
        if (row === undefined) return Status.NotFound;
        if (!row.busy || row.staged !== undefined) return Status.InvalidInState;
        row.state = "established";
        row.busy = false;
        row.offerDue = false;
        return Status.Success;
    }
    abortPending(id: number): number {
        const row = this.find(id);
        if (row === undefined) return Status.NotFound;
        if (row.state === "pending") {
            this.rows[this.#slotOf(row)] = undefined;
            return Status.Success;
        }
        if (row.busy) {
            row.busy = false;
            row.staged = undefined;
            return Status.Success;
        }
        return Status.InvalidInState;
    }

    // ── provider operations ───────────────────────────────────────────────────────────────────
    endByProvider(id: number, reason: number): number {
        if (reason < 0 || reason > REASON_MAX) return Status.ConstraintError;
        const row = this.findLive(id);
        if (row === undefined) return Status.NotFound;
        this.#removeRow(this.#slotOf(row), reason, CAUSE.provider);
        return this.#queueEnd(id, row.fabric, row.peer, row.terms.endpoint, reason) ? Status.Success : Status.ResourceExhausted;
    }
    expireOffers(now: number): number {
        let n = 0;
        for (const row of [...this.rows]) {
            if (row === undefined || !isLive(row.state) || !row.offerDue) continue;
            if (((now - row.deadline) | 0) >= 0) {
                this.endByProvider(row.id, END.inviteTimeout);
                n++;
            }
        }
        return n;
    }
    setPrivacy(hard: boolean, recording: boolean, livestream: boolean): number {
        this.privacy = { hard, recording, livestream };
        let n = 0;
        for (let slot = 0; slot < this.rows.length; slot++) {
            const row = this.rows[slot];
            if (row === undefined || !this.#privacyBlocks(row.terms.usage)) continue;
            if (row.state === "pending") this.rows[slot] = undefined;
            else {
                this.endByProvider(row.id, END.privacyMode);
                n++;
            }
        }
        return n;
    }
    removeFabric(fabric: number): number {
        let n = 0;
        for (let slot = 0; slot < this.rows.length; slot++) {
            const row = this.rows[slot];
            if (row === undefined || row.fabric !== fabric) continue;
            this.#removeRow(slot, END.unknownReason, CAUSE.fabric);
            n++;
        }
        this.ends = this.ends.map(e => (e !== undefined && e.fabric === fabric ? undefined : e));
        return n;
    }
    addStream(kind: number, id: number, usage: number): number {
        if (kind < 0 || kind > 1 || id < 0 || id > 0xffff || usage < 0 || usage > USAGE_MAX) return Status.ConstraintError;
        const list = this.streamsOf(kind);
        if (list.some(s => s.id === id)) return Status.AlreadyExists;
        if (list.length >= this.caps.streamsPerKind) return Status.ResourceExhausted;
        list.push({ id, usage, refs: 0 });
        return Status.Success;
    }
    removeStream(kind: number, id: number): number {
        const names = (t: Terms) => (kind === 0 ? t.video : t.audio).includes(id);
        const reserved = this.rows.some(r => r !== undefined && ((r.state === "pending" && names(r.terms)) || (r.staged !== undefined && names(r.staged))));
        if (reserved) return Status.InvalidInState;
        const list = this.streamsOf(kind);
        const i = list.findIndex(s => s.id === id);
        if (i < 0) return Status.NotFound;
        if (list[i]!.refs > 0) return Status.InvalidInState;
        list.splice(i, 1);
        return Status.Success;
    }
    setPriorities(list: number[]): number {
        if (list.length > 4) return Status.ConstraintError;
        // entry by entry: the first bad one decides
        for (let i = 0; i < list.length; i++) {
            const u = list[i] as number;
            if (u < 0 || u > USAGE_MAX) return Status.ConstraintError;
            if (list.indexOf(u) < i) return Status.AlreadyExists;
        }
        this.priorities = [...list];
        return Status.Success;
    }
    /** The stage an SDP is written to holds min(sdpLen, outLen − 18) bytes. */
    get stageCap(): number {
        return Math.min(this.caps.sdpLen, this.caps.outLen - 18);
    }
    snapSdp(offer: boolean, id: number, sdpBytes: number): number {
        if (sdpBytes > this.stageCap) return Status.ResourceExhausted;
        const row = this.findLive(id);
        if (row === undefined) return Status.NotFound;
        if (offer && row.state !== "deferred" && row.state !== "awaitAnswer") return Status.InvalidInState;
        if (!offer && row.state !== "established") return Status.InvalidInState;
        if (offer) {
            row.state = "awaitAnswer";
            row.offerDue = false;
        }
        return Status.Success;
    }
    /** The End owed for `id`, released; undefined (NOT_FOUND) when none is queued. */
    snapEnd(id: number): EndRecord | undefined {
        if (id === 0) return undefined;
        const k = this.ends.findIndex(e => e !== undefined && e.id === id);
        if (k < 0) return undefined;
        const e = this.ends[k];
        this.ends[k] = undefined;
        return e;
    }
    admitCandidate(id: number, candidate: string, sdpMid: string | null, mline: number | null): number {
        if (this.findLive(id) === undefined) return Status.NotFound;
        const candBytes = bytesOf(candidate);
        const midBytes = sdpMid === null ? null : bytesOf(sdpMid);
        if (candBytes > this.caps.candLen || (midBytes ?? -1) > this.caps.midLen) return Status.ResourceExhausted;
        if ((mline ?? -1) > 0xfffe) return Status.ConstraintError;
        if (this.pool.length >= this.caps.maxCand) return Status.Busy;
        // an empty SDPMid is sent as null (SDPMid has minLength 1)
        const mid = sdpMid === "" ? null : sdpMid;
        this.pool.push({ session: id, candidate, sdpMid: mid, mline, candBytes, midBytes: mid === null ? null : midBytes });
        return Status.Success;
    }
    /** A batch of `id`'s waiting candidates, oldest first, as many as fit OUT. */
    snapIce(id: number): { status: number; taken: PoolEntry[] } {
        const row = this.findLive(id);
        if (row === undefined) {
            this.pool = this.pool.filter(p => p.session !== id);
            return { status: Status.NotFound, taken: [] };
        }
        const mine = this.pool.filter(p => p.session === id);
        if (mine.length === 0) return { status: Status.Success, taken: [] };
        const str = (n: number) => 2 + (n <= 0xff ? 1 : 2) + n;
        let pos = 1 + (id <= 0xff ? 3 : 4) + 2;
        const limit = this.caps.outLen - 2;
        const taken = new Set<PoolEntry>();
        for (const c of mine) {
            const need = 2 + str(c.candBytes) + (c.midBytes === null ? 2 : str(c.midBytes)) + (c.mline === null ? 2 : c.mline <= 0xff ? 3 : 4);
            if (pos + need > limit) break;
            pos += need;
            taken.add(c);
        }
        this.pool = this.pool.filter(p => !taken.has(p));
        return { status: taken.size === 0 ? Status.ResourceExhausted : Status.Success, taken: [...taken] };
    }

    // ── comparison with the core ──────────────────────────────────────────────────────────────
    /**
     * The first difference between the model and `core`, or undefined: live sessions in insertion
     * order with every field, reservations, pending Ends, the id allocator, stream references,
     * waiting candidates and the change events since the last call (drained on both sides).
     */
    mismatch(core: Core): string | undefined {
        const x = core.exports;
        const live = this.live();
        const a = core.sessions().map(s => sessionKey(s.id, s.fabricIndex, s.peerNodeId, s.peerEndpointId, s.streamUsage, s.state, s.videoStreams, s.audioStreams, s.metadataEnabled)).join(" ");
        const b = live.map(r => sessionKey(r.id, r.fabric, r.peer, r.terms.endpoint, r.terms.usage, STATE_NAME[r.state], r.terms.video, r.terms.audio, r.terms.metadata)).join(" ");
        if (a !== b) return `sessions: core ${a}, model ${b}`;
        if (x.sessionCount() !== live.length) return `sessionCount: core ${x.sessionCount()}, model ${live.length}`;
        for (const r of this.pending()) if (x.sessionState(r.id) !== 1) return `reservation ${r.id}: core state ${x.sessionState(r.id)}`;
        if (x.endPendingCount() !== this.endIds().length) return `pending Ends: core ${x.endPendingCount()}, model ${this.endIds().length} (${this.endIds().join(",")})`;
        if (x.nextId() !== this.nextId) return `next id: core ${x.nextId()}, model ${this.nextId}`;
        for (const kind of [0, 1]) {
            const gotStreams = core.streams(kind as 0 | 1).map(s => `${s.id}/${s.usage}/${s.references}`).join(",");
            const wantStreams = this.streamsOf(kind).map(s => `${s.id}/${s.usage}/${s.refs}`).join(",");
            if (gotStreams !== wantStreams) return `streams of kind ${kind}: core ${gotStreams}, model ${wantStreams}`;
        }
        if (x.candFreeSlots() !== this.caps.maxCand - this.pool.length) return `free candidate slots: core ${x.candFreeSlots()}, model ${this.caps.maxCand - this.pool.length}`;
        for (const r of live) {
            const n = this.pool.filter(p => p.session === r.id).length;
            if (core.candidatesWaiting(r.id) !== n) return `candidates of ${r.id}: core ${core.candidatesWaiting(r.id)}, model ${n}`;
        }
        const events = core.takeEvents();
        const gotEvents = events.events.map(e => `${e.kind}/${e.sessionId}/${e.reason}/${e.cause}`).join(",");
        const wantEvents = this.events.map(e => `${e.kind}/${e.sessionId}/${e.reason}/${e.cause}`).join(",");
        this.events = [];
        if (events.overflow) return "events overflowed";
        if (gotEvents !== wantEvents) return `events: core ${gotEvents}, model ${wantEvents}`;
        return undefined;
    }
}

export function namesAnyStream(r: OfferRequest): boolean {
    return r.videoId !== undefined || r.audioId !== undefined || r.videoList !== undefined || r.audioList !== undefined;
}
export function mixes(r: OfferRequest): boolean {
    return (r.videoList !== undefined || r.audioList !== undefined) && (r.videoId !== undefined || r.audioId !== undefined);
}
export function iceBoundsBroken(r: OfferRequest): boolean {
    const servers = r.iceServers ?? [];
    if (servers.length > MAX_ICE_SERVERS) return true;
    return servers.some(s =>
        s.urls.length > MAX_ICE_URLS || s.urlBytes.some(n => n > MAX_URL_LEN) || (s.caid ?? 0) > 65534
        || (s.username !== undefined && bytesOf(s.username) > MAX_USERNAME_LEN) || (s.credential !== undefined && bytesOf(s.credential) > MAX_CREDENTIAL_LEN));
}

function sessionKey(id: number, fabric: number, peer: bigint, endpoint: number, usage: number, state: string, video: number[], audio: number[], metadata: boolean): string {
    return `${id}/${fabric}/${peer}/${endpoint}/${usage}/${state}/v${video.join(".")}/a${audio.join(".")}/${metadata ? "m" : "-"}`;
}
