/**
 * The recorder the vector cases are written against: it drives one fresh core of one profile,
 * runs every step through the portable runner's own `execute` (so a step means exactly one thing
 * when recorded and when replayed), checks the outcome the case states for it, and keeps the step
 * with everything it observed as its `expect`.
 *
 * An expectation is never just "whatever the core did". Three checks stand behind every step:
 *   - the outcome the case states (`want`: status, action, id, rows, hook arguments, …); a
 *     `like({...})` value matches the keys it names, any other value matches exactly;
 *   - matter.js: every response, CurrentSessions read and outbound snapshot is decoded with the
 *     cluster codecs (test/support/wire.ts), must re-encode to the same bytes, and must agree
 *     with the core's own view (session ids, rows, SDPs, addressing);
 *   - the runner: a refused command (or one marked `unchanged`) that moved the table, a command
 *     that broke an invariant, or a refusal that names a session or an action fails the step
 *     here and at every replay.
 * And every case must end quiescent with the invariants holding (generate.ts checks it).
 *
 * Limits: synchronous `Core` calls only (the format's limit). Values a step observes but no case
 * states are checked only for equality with the recording.
 */

import { Action, ProviderCommand as Command, Status } from "../../src/engine/index.js";
import type { Capacities, Caller, Core, IceCandidate, OfferParams, SessionInfo } from "../../src/engine/index.js";
import { caller } from "../support/callers.js";
import {
    decode,
    decodeCanonical,
    endTlv,
    hex,
    offerTlv,
    solicitTlv,
    type IceInvokeFields,
    type OfferFields,
    type OfferResponse,
    type SessionRow,
    type SolicitFields,
    type SolicitResponse,
    type WireKind,
} from "../support/wire.js";
import {
    canonical,
    packHex,
    packText,
    unpackHex,
    unpackText,
    type Expect,
    type Hex,
    type OutJson,
    type RawExport,
    type SessionJson,
    type StateJson,
    type Step,
    type StepInput,
    type Text,
} from "./format.js";
import { execute } from "./runner.js";

/** An expected object of which only the named keys are compared (each one exactly). */
export class Like<T extends object> {
    constructor(readonly keys: Partial<T>) {}
}
export const like = <T extends object>(keys: Partial<T>): Like<T> => new Like(keys);

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);
const definedKeys = (value: Record<string, unknown>) => Object.keys(value).filter(k => value[k] !== undefined).sort();

/**
 * `observed` has `expected`: the same keys and values all the way down (BigInts equal their
 * decimal strings, as in the recording), except where `expected` holds a `Like`, whose named keys
 * are all that is compared there.
 */
function matches(observed: unknown, expected: unknown): boolean {
    if (expected instanceof Like) return isRecord(observed) && Object.entries(expected.keys).every(([k, v]) => matches(observed[k], v));
    if (Array.isArray(expected)) return Array.isArray(observed) && observed.length === expected.length && expected.every((v, i) => matches(observed[i], v));
    if (isRecord(expected)) {
        return isRecord(observed) && canonical(definedKeys(observed)) === canonical(definedKeys(expected)) && definedKeys(expected).every(k => matches(observed[k], expected[k]));
    }
    return canonical(observed) === canonical(expected);
}
/** `value` with every `Like` replaced by the keys it names, for messages. */
function plain(value: unknown): unknown {
    if (value instanceof Like) return plain(value.keys);
    if (Array.isArray(value)) return value.map(plain);
    return isRecord(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)])) : value;
}
const show = (value: unknown) => canonical(plain(value)).slice(0, 300);

/** What a decided command hands its hook, as plain values (see `hookArgs` in runner.ts). */
export interface HookArgs {
    params?: OfferParams | Like<OfferParams>;
    sdp?: string;
    candidates?: IceCandidate[];
    reason?: number;
}
/** Where a snapshot goes. */
export interface Addressing {
    fabric: number;
    peer: bigint;
    endpoint: number;
}
export interface CommandOptions {
    who?: Caller;
    /** The id the decision must carry. */
    sessionId?: number;
    /** What the hook must be handed. */
    args?: HookArgs;
    /** A success that must leave the table as it was (a duplicate answer). */
    unchanged?: boolean;
}

/** The runner's observation of hook arguments with packed texts unpacked (none: undefined). */
function plainArgs(observed: unknown): Record<string, unknown> | undefined {
    if (observed === undefined || observed === null) return undefined;
    const a = observed as { params?: unknown; sdp?: Text; candidates?: { candidate: Text; sdpMid: Text | null; sdpMLineIndex: number | null }[]; reason?: number };
    return {
        ...(a.params === undefined ? {} : { params: a.params }),
        ...(a.sdp === undefined ? {} : { sdp: unpackText(a.sdp) }),
        ...(a.candidates === undefined
            ? {}
            : { candidates: a.candidates.map(c => ({ candidate: unpackText(c.candidate), sdpMid: c.sdpMid === null ? null : unpackText(c.sdpMid), sdpMLineIndex: c.sdpMLineIndex })) }),
        ...(a.reason === undefined ? {} : { reason: a.reason }),
    };
}

const SNAP_COMMAND = { snapOffer: 0, snapAnswer: 1, snapIce: 2, snapEnd: 3 } as const;
const SNAP_KIND: Record<keyof typeof SNAP_COMMAND, WireKind> = { snapOffer: "offer", snapAnswer: "answer", snapIce: "iceCandidates", snapEnd: "end" };

/** How many outputs matter.js decoded and re-encoded, by kind (the generator prints them). */
export const crossChecked = { responses: 0, currentSessions: 0, snapshots: 0 };

/** Drives one core, records every step with its observed outcome, and checks what the case states. */
export class Recorder {
    readonly steps: Step[] = [];
    constructor(
        readonly core: Core,
        /** Names the case (and profile) in error messages. */
        public where: string,
    ) {}

    get caps(): Capacities {
        return this.core.capacities;
    }

    fail(message: string): never {
        throw new Error(`${this.where}: ${message}`);
    }

    /** Runs one step, checks each `want` entry and matter.js's view, and records the step. */
    do(input: StepInput, want: Record<string, unknown> = {}): Expect {
        const observed = execute(this.core, input);
        const what = `step ${this.steps.length} (${input.op})`;
        if ("changed" in observed) this.fail(`${what} changed the table: ${canonical(observed.changed).slice(0, 600)}`);
        if ("selfCheck" in observed) this.fail(`${what} broke invariant ${String(observed.selfCheck)}`);
        if ("decision" in observed) this.fail(`${what} refused with a session or an action: ${canonical(observed.decision)}`);
        for (const [key, value] of Object.entries(want)) {
            const seen = key === "args" ? plainArgs(observed.args) : observed[key];
            if (!matches(seen, value)) this.fail(`${what}: ${key} expected ${show(value)}, the core gave ${show(seen)}`);
        }
        this.#crossCheck(input, observed);
        this.steps.push({ ...input, expect: observed } as Step);
        return observed;
    }

    #decode(kind: WireKind, bytes: Uint8Array): unknown {
        try {
            return decodeCanonical(kind, bytes);
        } catch (error) {
            return this.fail(String(error));
        }
    }

    #crossCheck(input: StepInput, e: Expect): void {
        switch (input.op) {
            case "cmd":
            case "commitSolicit":
            case "commitOffer": {
                if (e.response === undefined) return;
                crossChecked.responses++;
                const kind = input.op === "commitOffer" ? "provideOfferResponse" : "solicitOfferResponse";
                const v = this.#decode(kind, unpackHex(e.response as Hex)) as { webRtcSessionId: number };
                const id = input.op === "cmd" ? e.sessionId : input.sessionId;
                if (v.webRtcSessionId !== id) this.fail(`${input.op} response names session ${v.webRtcSessionId}, not ${String(id)}`);
                return;
            }
            case "sessions": {
                crossChecked.currentSessions++;
                const rows = this.#decode("currentSessions", unpackHex(e.tlv as Hex)) as SessionRow[];
                const fromTlv = rows.map(s => [s.id, s.fabricIndex, BigInt(s.peerNodeId), s.peerEndpointId, s.streamUsage, s.videoStreams ?? [], s.audioStreams ?? [], s.metadataEnabled]);
                const fromTable = this.core
                    .sessions(input.fabric)
                    .map((s: SessionInfo) => [s.id, s.fabricIndex, s.peerNodeId, s.peerEndpointId, s.streamUsage, s.videoStreams, s.audioStreams, s.metadataEnabled]);
                if (canonical(fromTlv) !== canonical(fromTable)) this.fail(`CurrentSessions(${input.fabric}) reads ${canonical(fromTlv)}, the table has ${canonical(fromTable)}`);
                return;
            }
            case "snapOffer":
            case "snapAnswer":
            case "snapIce":
            case "snapEnd": {
                const out = e.out as OutJson;
                const bytes = unpackHex(out.bytes);
                if (e.status !== Status.Success || bytes.length === 0) {
                    if (bytes.length !== 0 || out.command !== -1) this.fail(`${input.op} gave no snapshot (status ${String(e.status)}) but left one behind`);
                    return;
                }
                crossChecked.snapshots++;
                if (out.command !== SNAP_COMMAND[input.op] || out.sessionId !== input.sessionId) this.fail(`${input.op} made command ${out.command} for ${String(out.sessionId)}`);
                const v = this.#decode(SNAP_KIND[input.op], bytes) as { webRtcSessionId: number; sdp?: string };
                if (v.webRtcSessionId !== input.sessionId) this.fail(`${input.op} encodes session ${v.webRtcSessionId}`);
                if ((input.op === "snapOffer" || input.op === "snapAnswer") && v.sdp !== unpackText(input.sdp)) this.fail(`${input.op} encodes another SDP`);
                return;
            }
            default:
                return;
        }
    }

    // ── stream context ──
    addStream(kind: number, id: number, usage: number, status: number = Status.Success): void {
        this.do({ op: "addStream", kind, id, usage }, { status });
    }
    removeStream(kind: number, id: number, status: number): void {
        this.do({ op: "removeStream", kind, id }, { status });
    }
    priorities(usages: number[], status: number = Status.Success): void {
        this.do({ op: "priorities", usages }, { status });
    }
    /** Sets the privacy switches; `ended` is how many sessions that must end. */
    privacy(hard: boolean, softRecording: boolean, softLivestream: boolean, ended: number): void {
        this.do({ op: "privacy", hard, softRecording, softLivestream }, { ended });
    }
    utcTimeNull(value: boolean): void {
        this.do({ op: "utcTimeNull", value });
    }

    // ── commands ──
    /** Phase 1 of a command; returns what it decided. */
    cmd(command: number, fields: Uint8Array, want: { status: number; action?: number }, o: CommandOptions = {}): { sessionId: number; action: number; response?: Uint8Array } {
        const who = o.who ?? caller;
        const input: StepInput = {
            op: "cmd",
            command,
            fields: packHex(fields),
            fabric: who.fabricIndex,
            peer: who.peerNodeId.toString(),
            ...(o.unchanged ? { unchanged: true as const } : {}),
            ...(o.args ? { args: true as const } : {}),
        };
        const e = this.do(input, {
            ...want,
            ...(o.sessionId === undefined ? {} : { sessionId: o.sessionId }),
            // the hook arguments the case names (each compared in full)
            ...(o.args === undefined ? {} : { args: like(o.args) }),
        });
        return { sessionId: e.sessionId as number, action: e.action as number, ...(e.response === undefined ? {} : { response: unpackHex(e.response as Hex) }) };
    }
    /** Phase 1 refuses with `status` (and, the runner checks, leaves the table as it was). */
    refuse(command: number, fields: Uint8Array, status: number, who: Caller = caller): void {
        if (status === Status.Success) this.fail("refuse() with SUCCESS");
        this.cmd(command, fields, { status }, { who });
    }
    /** Phase 1 succeeds with `action`; returns the session id. */
    decide(command: number, fields: Uint8Array, action: number, o: CommandOptions = {}): number {
        return this.cmd(command, fields, { status: Status.Success, action }, o).sessionId;
    }
    /** The command cut at every length 0..len-1 gives `status` each time. */
    truncations(command: number, fields: Uint8Array, status: number): void {
        this.do(
            { op: "truncations", command, fields: packHex(fields), fabric: caller.fabricIndex, peer: caller.peerNodeId.toString() },
            { statuses: [[status, fields.length]] },
        );
    }
    /** Phase 2 of SolicitOffer; returns the response bytes on success. */
    commitSolicit(id: number, deferred = false, now = 0, status: number = Status.Success): Uint8Array | undefined {
        const e = this.do({ op: "commitSolicit", sessionId: id, deferred, now }, { status });
        return e.response === undefined ? undefined : unpackHex(e.response as Hex);
    }
    commitOffer(id: number, status: number = Status.Success): Uint8Array | undefined {
        const e = this.do({ op: "commitOffer", sessionId: id }, { status });
        return e.response === undefined ? undefined : unpackHex(e.response as Hex);
    }
    commitAnswer(id: number, status: number = Status.Success): void {
        this.do({ op: "commitAnswer", sessionId: id }, { status });
    }
    abort(id: number, status: number = Status.Success): void {
        this.do({ op: "abort", sessionId: id }, { status });
    }
    /** A SolicitOffer through its hook and commit; `response`: what the response must hold, exactly. */
    solicitOk(fields: SolicitFields, o: { who?: Caller; deferred?: boolean; now?: number; response?: Omit<SolicitResponse, "webRtcSessionId"> } = {}) {
        const id = this.decide(Command.SolicitOffer, solicitTlv(fields), Action.Hook, { who: o.who });
        const response = decode.solicitResponse(this.commitSolicit(id, o.deferred ?? false, o.now ?? 0));
        if (o.response !== undefined) this.check(`SolicitOfferResponse of ${id}`, response, { webRtcSessionId: id, ...o.response });
        return { id, response };
    }
    /** A ProvideOffer (new or re-offer) through its hook and commit; `response`: what it must hold, exactly. */
    offerOk(fields: OfferFields, o: { who?: Caller; response?: Omit<OfferResponse, "webRtcSessionId"> } = {}) {
        const id = this.decide(Command.ProvideOffer, offerTlv(fields), Action.Hook, { who: o.who, sessionId: fields.webRtcSessionId ?? undefined });
        const response = decode.offerResponse(this.commitOffer(id));
        if (o.response !== undefined) this.check(`ProvideOfferResponse of ${id}`, response, { webRtcSessionId: id, ...o.response });
        return { id, response };
    }
    /** An EndSession of `id` that reaches its hook with `reason`. */
    end(id: number, who: Caller = caller, reason = 2): void {
        this.decide(Command.EndSession, endTlv(id, reason), Action.Hook, { who, sessionId: id, args: { reason } });
    }

    // ── the table ──
    /** CurrentSessions of `fabric` (0: every fabric), decoded by matter.js; `ids`: the ids it must list, in order. */
    sessions(fabric: number, ids?: number[]): SessionRow[] {
        const e = this.do({ op: "sessions", fabric });
        const rows = this.#decode("currentSessions", unpackHex(e.tlv as Hex)) as SessionRow[];
        if (ids !== undefined && !matches(rows.map(s => s.id), ids)) this.fail(`CurrentSessions(${fabric}) lists ${canonical(rows.map(s => s.id))}, not ${canonical(ids)}`);
        return rows;
    }
    /** The row of `id`: `null` when it must not be live, else (some of) its fields. */
    session(id: number, want: Like<SessionJson> | null): void {
        this.do({ op: "session", id }, { row: want });
    }
    /** The whole table; `same`: it must equal that earlier state (but for the keys in `except`). */
    state(same?: StateJson, except: (keyof StateJson)[] = []): StateJson {
        const now = this.do({ op: "state" }) as unknown as StateJson;
        if (same !== undefined) {
            const strip = (s: StateJson) => canonical(Object.fromEntries(Object.entries(s).filter(([k]) => !except.includes(k as keyof StateJson))));
            if (strip(now) !== strip(same)) this.fail(`the table changed: ${strip(same).slice(0, 400)} → ${strip(now).slice(0, 400)}`);
        }
        return now;
    }
    /** Drains the change events; `events` ([kind, id, reason, cause]): what they must be. */
    events(events?: [number, number, number, number][]): void {
        this.do({ op: "events" }, events === undefined ? {} : { events, overflow: false });
    }
    refs(changes: [number, number, number][] | null): void {
        this.do({ op: "refs" }, { changes });
    }
    endByProvider(id: number, reason: number, status: number = Status.Success): void {
        this.do({ op: "endByProvider", sessionId: id, reason }, { status });
    }
    expire(now: number, ended: number): void {
        this.do({ op: "expire", now }, { ended });
    }
    removeFabric(fabric: number, removed: number): void {
        this.do({ op: "removeFabric", fabric }, { removed });
    }
    selfCheck(quiescent: boolean): number {
        return this.do({ op: "selfCheck", quiescent }).result as number;
    }
    reset(): void {
        this.do({ op: "reset" });
    }
    raw(fn: RawExport, args: number[], result?: number): number {
        return this.do({ op: "raw", fn, args }, result === undefined ? {} : { result }).result as number;
    }
    /** Stream `id`'s reference count (-1: not allocated). */
    refsOf(kind: number, id: number, count: number): void {
        this.raw("streamRefs", [kind, id], count);
    }

    // ── outbound ──
    #snap(input: StepInput & { sessionId: number }, status: number, to?: Addressing): OutJson {
        const out = this.do(input, { status }).out as OutJson;
        if (to !== undefined && !matches({ fabric: out.fabric, peer: out.peer, endpoint: out.endpoint }, to)) {
            this.fail(`${input.op} addressed to ${canonical(out).slice(0, 200)}, not ${canonical(to)}`);
        }
        return out;
    }
    /** An Offer of `sdp` for `id` (the recorder checks the snapshot carries both). */
    snapOffer(id: number, sdp: string, status: number = Status.Success, to?: Addressing): void {
        this.#snap({ op: "snapOffer", sessionId: id, sdp: packText(sdp) }, status, to);
    }
    /** An Answer of `sdp` for `id` (the recorder checks the snapshot carries both). */
    snapAnswer(id: number, sdp: string, status: number = Status.Success, to?: Addressing): void {
        this.#snap({ op: "snapAnswer", sessionId: id, sdp: packText(sdp) }, status, to);
    }
    /** One ICECandidates batch: its fields and size, or undefined when nothing waited. */
    snapIce(id: number, status: number = Status.Success, to?: Addressing): { fields: IceInvokeFields; bytes: Uint8Array } | undefined {
        const bytes = unpackHex(this.#snap({ op: "snapIce", sessionId: id }, status, to).bytes);
        return bytes.length === 0 ? undefined : { fields: this.#decode("iceCandidates", bytes) as IceInvokeFields, bytes };
    }
    /** The queued End of `id`, which must carry `reason`. */
    snapEnd(id: number, reason: number, to?: Addressing): void {
        const out = this.#snap({ op: "snapEnd", sessionId: id }, Status.Success, to);
        this.check(`End of ${id}`, this.#decode("end", unpackHex(out.bytes)), { webRtcSessionId: id, reason });
    }
    /** snapEnd that must find no End to send. */
    noEnd(id: number): void {
        this.#snap({ op: "snapEnd", sessionId: id }, Status.NotFound);
    }
    admit(id: number, c: IceCandidate, result: string): void {
        this.do(
            { op: "admit", sessionId: id, candidate: packText(c.candidate), sdpMid: c.sdpMid === null ? null : packText(c.sdpMid), sdpMLineIndex: c.sdpMLineIndex },
            { result },
        );
    }
    /** Snaps ICE batches until nothing waits; returns every batch's candidates (as the engine's IceCandidate) and size. */
    drain(id: number): { candidates: IceCandidate[]; bytes: number }[] {
        const batches: { candidates: IceCandidate[]; bytes: number }[] = [];
        for (let batch = this.snapIce(id); batch !== undefined; batch = this.snapIce(id)) {
            batches.push({ candidates: batch.fields.iceCandidates.map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpmLineIndex })), bytes: batch.bytes.length });
            if (batches.length > this.caps.maxCand) this.fail("the ICE batches do not end");
        }
        return batches;
    }

    // ── the TLV reader ──
    /** tlvScan of `bytes` (hex or bytes) cut to `len` (all by default) must give `result`. */
    scan(bytes: Uint8Array | string, result: number, len?: number): void {
        const b = typeof bytes === "string" ? hex(bytes) : bytes;
        this.do({ op: "tlvScan", bytes: packHex(b), ...(len === undefined ? {} : { len }) }, { result });
    }
    /** Every prefix 0..len-1 of `bytes` (the rest left in memory) must scan as -1. */
    everyCutFails(bytes: Uint8Array): void {
        this.do({ op: "tlvCuts", bytes: packHex(bytes) }, { results: [[-1, bytes.length]] });
    }

    /** A value the case computed from what it observed must be `expected` (exactly, or a `like`). */
    check(what: string, actual: unknown, expected: unknown): void {
        if (!matches(actual, expected)) this.fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
    }
}
