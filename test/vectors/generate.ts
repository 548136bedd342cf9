/**
 * Generates `test/vectors/vectors.json`: the WASM core's unit cases (test/core/*.test.ts) as data,
 * for every build profile, so that a tiny runner (`runner.ts`) can replay them in any JavaScript
 * runtime. Run it with `npm run vectors` (after `npm run build:wasm`); it runs in Node with
 * matter.js available.
 *
 * How an expectation is made: each case is written here as code against a fresh core, step by
 * step. Every step is executed by the runner's own `execute` on the real core in Node and its
 * outcome recorded as the step's `expect`. Three independent checks keep that from being "whatever
 * the core did":
 *   - each step carries the outcome the unit tests assert (status, action, id, …) and generation
 *     fails if the core disagrees;
 *   - requests are encoded with matter.js's codecs for clusters 0x0553/0x0554 (raw
 *     `encodeInternal` where a test needs an out-of-range value), and every response,
 *     CurrentSessions read and outbound snapshot is decoded with matter.js, checked against the
 *     core's own view (session ids, rows, SDPs, reasons) and re-encoded by matter.js to the same
 *     bytes;
 *   - the runner (here and in every runtime) checks that each refused command leaves the table
 *     exactly as it was, as the unit tests' `expectRefused` does.
 *
 * Limits: it covers what `Core` does synchronously (commands, commits, table, outbound snapshots,
 * TLV reader); engine orchestration and the matter.js behaviors have their own tests. Loops of
 * the unit tests (every wrap, every truncation) are kept but bounded so the file stays small.
 */

import { writeFile } from "node:fs/promises";
import { TlvOfModel } from "@matter/main/types";
import { WebRtcTransportProvider as P } from "@matter/main/clusters/web-rtc-transport-provider";
import { WebRtcTransportRequestor as R } from "@matter/main/clusters/web-rtc-transport-requestor";
import { Action, Core, EndReason, PROFILES, Status, StreamKind, StreamUsage, compileCore, instantiateCore, type Profile } from "../../src/engine/index.js";
import { dataModelAccepted, dataModelRefusals } from "../support/cases.js";
import type { CandidateW, IceServerW, OfferW, SessionW, SolicitW } from "../support/wire.js";
import {
    FORMAT,
    VERSION,
    canonical,
    fromHex,
    packHex,
    packText,
    toHex,
    unpackHex,
    type Expect,
    type Hex,
    type OutJson,
    type ProfileVectors,
    type RawExport,
    type SessionJson,
    type Step,
    type StepInput,
    type VectorCase,
    type VectorSuite,
} from "./format.js";
import { execute } from "./runner.js";

// ── matter.js codecs ─────────────────────────────────────────────────────────────────────────
const schemas = {
    solicit: TlvOfModel(P.commands.solicitOffer),
    solicitResp: TlvOfModel(P.commands.solicitOffer.schema.responseModel!),
    offer: TlvOfModel(P.commands.provideOffer),
    offerResp: TlvOfModel(P.commands.provideOffer.schema.responseModel!),
    answer: TlvOfModel(P.commands.provideAnswer),
    ice: TlvOfModel(P.commands.provideIceCandidates),
    end: TlvOfModel(P.commands.endSession),
    sessions: TlvOfModel(P.attributes.currentSessions),
    rOffer: TlvOfModel(R.commands.offer),
    rAnswer: TlvOfModel(R.commands.answer),
    rIce: TlvOfModel(R.commands.iceCandidates),
    rEnd: TlvOfModel(R.commands.end),
};
type Codec = { encode(value: unknown): unknown; encodeInternal(value: unknown): unknown; decode(bytes: Uint8Array): unknown };

function u8(b: unknown): Uint8Array {
    if (b instanceof Uint8Array) return b;
    if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (b instanceof ArrayBuffer) return new Uint8Array(b);
    throw new TypeError("not bytes");
}
const hex = (text: string) => fromHex(text);
function concat(...parts: Uint8Array[]): Uint8Array {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
        out.set(p, o);
        o += p.length;
    }
    return out;
}
function prune<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
/** Encodes without matter.js's bound checks, so out-of-range values reach the core's own checks. */
const raw = (codec: Codec, value: unknown) => u8(codec.encodeInternal(value));

/** A minimal session description (the core treats SDPs as opaque UTF-8; short keeps the file small). */
const SDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
const solicitTlv = (fields: SolicitW = {}) => raw(schemas.solicit, prune({ streamUsage: 3, originatingEndpointId: 1, ...fields }));
const offerTlv = (fields: OfferW = {}) =>
    raw(schemas.offer, prune({ webRtcSessionId: null, sdp: SDP, streamUsage: 3, originatingEndpointId: 1, ...fields }));
const answerTlv = (webRtcSessionId: number, sdp = SDP) => raw(schemas.answer, { webRtcSessionId, sdp });
const iceTlv = (webRtcSessionId: number, iceCandidates: CandidateW[]) => raw(schemas.ice, { webRtcSessionId, iceCandidates });
const endTlv = (webRtcSessionId: number, reason = 2) => raw(schemas.end, { webRtcSessionId, reason });

const Cmd = { SolicitOffer: 0x00, ProvideOffer: 0x02, ProvideAnswer: 0x04, ProvideIceCandidates: 0x05, EndSession: 0x06 } as const;
const FABRIC = 1;
const PEER = 0x1122_3344_5566n;
const VIDEO = 1;
const AUDIO = 2;
const V = { videoStreamId: VIDEO, audioStreamId: AUDIO } as const;
const EV = { added: 1, updated: 2, removed: 3, endQueued: 4 } as const;
const CAUSE = { peer: 0, provider: 1, fabric: 2 } as const;

class GenError extends Error {}

// ── recording ────────────────────────────────────────────────────────────────────────────────
interface CmdOpts {
    fabric?: number;
    peer?: bigint;
    unchanged?: boolean;
    args?: boolean;
    want?: { status?: number; action?: number; sessionId?: number };
}
interface Decided {
    status: number;
    action: number;
    sessionId: number;
    response?: Uint8Array;
    args?: unknown;
}

/** Drives one core, records every step with its observed outcome, and checks what the tests assert. */
class Rec {
    readonly steps: Step[] = [];
    constructor(
        readonly core: Core,
        /** Names the case in error messages. */
        public where: () => string,
    ) {}

    get caps() {
        return this.core.capacities;
    }

    fail(message: string): never {
        throw new GenError(`${this.where()}: ${message}`);
    }

    do(input: StepInput, want: Record<string, unknown> = {}): Expect {
        const observed = execute(this.core, input);
        if ("changed" in observed) this.fail(`step ${canonical(input).slice(0, 200)} changed the table: ${canonical(observed.changed).slice(0, 600)}`);
        if ("selfCheck" in observed) this.fail(`step ${canonical(input).slice(0, 200)} broke invariant ${String(observed.selfCheck)}`);
        for (const [key, value] of Object.entries(want)) {
            if (canonical(observed[key]) !== canonical(value)) {
                this.fail(`step ${input.op} #${this.steps.length}: ${key} expected ${canonical(value).slice(0, 300)}, core gave ${canonical(observed[key]).slice(0, 300)}`);
            }
        }
        crossCheck(this, input, observed);
        this.steps.push({ ...input, expect: observed } as Step);
        return observed;
    }

    // stream context
    addStream(kind: number, id: number, usage: number, status: number = Status.Success) {
        return this.do({ op: "addStream", kind, id, usage }, { status }).status as number;
    }
    removeStream(kind: number, id: number, status: number) {
        this.do({ op: "removeStream", kind, id }, { status });
    }
    priorities(usages: number[], status: number = Status.Success) {
        this.do({ op: "priorities", usages }, { status });
    }
    privacy(hard: boolean, softRecording: boolean, softLivestream: boolean, ended?: number) {
        return this.do({ op: "privacy", hard, softRecording, softLivestream }, ended === undefined ? {} : { ended }).ended as number;
    }
    utc(value: boolean) {
        this.do({ op: "utcTimeNull", value });
    }
    defaultStreams() {
        this.addStream(StreamKind.Video, VIDEO, StreamUsage.LiveView);
        this.addStream(StreamKind.Audio, AUDIO, StreamUsage.LiveView);
        this.priorities([StreamUsage.LiveView, StreamUsage.Recording]);
    }

    // commands
    cmd(command: number, fields: Uint8Array, o: CmdOpts = {}): Decided {
        const input: StepInput = {
            op: "cmd",
            command,
            fields: packHex(fields),
            fabric: o.fabric ?? FABRIC,
            peer: (o.peer ?? PEER).toString(),
            ...(o.unchanged ? { unchanged: true as const } : {}),
            ...(o.args ? { args: true as const } : {}),
        };
        const e = this.do(input, o.want ?? {});
        return {
            status: e.status as number,
            action: e.action as number,
            sessionId: e.sessionId as number,
            ...(e.response === undefined ? {} : { response: unpackHex(e.response as Hex) }),
            ...(e.args === undefined ? {} : { args: e.args }),
        };
    }
    /** Phase 1 refuses with `status` and leaves the table as it was. */
    refuse(command: number, fields: Uint8Array, status: number, fabric = FABRIC, peer = PEER) {
        this.cmd(command, fields, { fabric, peer, want: { status } });
        if (status === Status.Success) this.fail("refuse() with SUCCESS");
    }
    /** Phase 1 succeeds with `action`; returns the session id. */
    decided(command: number, fields: Uint8Array, action: number, fabric = FABRIC, peer = PEER, args = false): Decided {
        return this.cmd(command, fields, { fabric, peer, args, want: { status: Status.Success, action } });
    }
    truncations(command: number, fields: Uint8Array, status: number) {
        this.do({ op: "truncations", command, fields: packHex(fields), fabric: FABRIC, peer: PEER.toString() }, { statuses: [[status, fields.length]] });
    }
    commitSolicit(id: number, deferred = false, now = 0, status: number = Status.Success) {
        const e = this.do({ op: "commitSolicit", sessionId: id, deferred, now }, { status });
        return e.response === undefined ? undefined : unpackHex(e.response as Hex);
    }
    commitOffer(id: number, status: number = Status.Success) {
        const e = this.do({ op: "commitOffer", sessionId: id }, { status });
        return e.response === undefined ? undefined : unpackHex(e.response as Hex);
    }
    commitAnswer(id: number, status: number = Status.Success) {
        this.do({ op: "commitAnswer", sessionId: id }, { status });
    }
    abort(id: number, status: number = Status.Success) {
        this.do({ op: "abort", sessionId: id }, { status });
    }
    /** SolicitOffer through its hook and commit; returns the decoded response. */
    solicitOk(fields: SolicitW = {}, o: { fabric?: number; peer?: bigint; deferred?: boolean; now?: number } = {}) {
        const d = this.decided(Cmd.SolicitOffer, solicitTlv(fields), Action.Hook, o.fabric ?? FABRIC, o.peer ?? PEER);
        const resp = schemas.solicitResp.decode(this.commitSolicit(d.sessionId, o.deferred ?? false, o.now ?? 0)!) as Record<string, unknown>;
        if (resp.webRtcSessionId !== d.sessionId) this.fail("SolicitOfferResponse id");
        return { id: d.sessionId, resp };
    }
    offerOk(fields: OfferW = {}, o: { fabric?: number; peer?: bigint } = {}) {
        const d = this.decided(Cmd.ProvideOffer, offerTlv(fields), Action.Hook, o.fabric ?? FABRIC, o.peer ?? PEER);
        const resp = schemas.offerResp.decode(this.commitOffer(d.sessionId)!) as Record<string, unknown>;
        if (resp.webRtcSessionId !== d.sessionId) this.fail("ProvideOfferResponse id");
        return { id: d.sessionId, resp };
    }
    end(id: number, fabric = FABRIC, peer = PEER, reason = 2) {
        return this.decided(Cmd.EndSession, endTlv(id, reason), Action.Hook, fabric, peer);
    }
    /** Fills the table with SolicitOffers; returns the new ids. */
    fill(): number[] {
        const ids: number[] = [];
        while (this.core.sessions().length < this.caps.sessions) ids.push(this.solicitOk(V).id);
        return ids;
    }

    // the table
    /** CurrentSessions for `fabric` (0: all); returns the ids matter.js decodes. */
    sessions(fabric = 0, ids?: number[]): number[] {
        const e = this.do({ op: "sessions", fabric });
        const got = (schemas.sessions.decode(unpackHex(e.tlv as Hex)) as SessionW[]).map(s => s.id);
        if (ids !== undefined && canonical(got) !== canonical(ids)) this.fail(`CurrentSessions(${fabric}) ids ${canonical(got)} ≠ ${canonical(ids)}`);
        return got;
    }
    session(id: number, want?: Partial<SessionJson> | null): SessionJson | null {
        const row = this.do({ op: "session", id }).row as SessionJson | null;
        if (want === null && row !== null) this.fail(`session ${id} should not be live`);
        if (want !== undefined && want !== null) {
            if (row === null) this.fail(`session ${id} should be live`);
            for (const [k, v] of Object.entries(want)) {
                if (canonical(row[k as keyof SessionJson]) !== canonical(v)) this.fail(`session ${id}.${k} = ${canonical(row[k as keyof SessionJson])}, expected ${canonical(v)}`);
            }
        }
        return row;
    }
    state() {
        this.do({ op: "state" });
    }
    events(events?: [number, number, number, number][]) {
        this.do({ op: "events" }, events === undefined ? {} : { events, overflow: false });
    }
    refs(changes: [number, number, number][] | null) {
        this.do({ op: "refs" }, { changes });
    }
    endByProvider(id: number, reason: number, status: number = Status.Success) {
        this.do({ op: "endByProvider", sessionId: id, reason }, { status });
    }
    expire(now: number, ended: number) {
        this.do({ op: "expire", now }, { ended });
    }
    removeFabric(fabric: number, removed: number) {
        this.do({ op: "removeFabric", fabric }, { removed });
    }
    selfCheck(quiescent: boolean, result?: number) {
        const e = this.do({ op: "selfCheck", quiescent });
        if (result !== undefined && e.result !== result) this.fail(`selfCheck(${quiescent}) = ${String(e.result)}`);
        return e.result as number;
    }
    reset() {
        this.do({ op: "reset" });
    }
    raw(fn: RawExport, args: number[], result?: number) {
        return this.do({ op: "raw", fn, args }, result === undefined ? {} : { result }).result as number;
    }

    // outbound
    snapOffer(id: number, sdp: string, status: number = Status.Success) {
        return this.do({ op: "snapOffer", sessionId: id, sdp: packText(sdp) }, { status }).out as OutJson;
    }
    snapAnswer(id: number, sdp: string, status: number = Status.Success) {
        return this.do({ op: "snapAnswer", sessionId: id, sdp: packText(sdp) }, { status }).out as OutJson;
    }
    snapIce(id: number, status: number = Status.Success) {
        return this.do({ op: "snapIce", sessionId: id }, { status }).out as OutJson;
    }
    snapEnd(id: number, status: number = Status.Success) {
        return this.do({ op: "snapEnd", sessionId: id }, { status }).out as OutJson;
    }
    admit(id: number, c: { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null }, result: string) {
        this.do(
            { op: "admit", sessionId: id, candidate: packText(c.candidate), sdpMid: c.sdpMid === null ? null : packText(c.sdpMid), sdpMLineIndex: c.sdpMLineIndex },
            { result },
        );
    }
    /** Snaps ICE batches until nothing waits; returns the decoded candidates of every batch. */
    drain(id: number): { candidates: CandidateW[]; bytes: number }[] {
        const batches: { candidates: CandidateW[]; bytes: number }[] = [];
        for (;;) {
            const out = this.snapIce(id);
            const bytes = unpackHex(out.bytes);
            if (bytes.length === 0) return batches;
            const ice = schemas.rIce.decode(bytes) as { iceCandidates: CandidateW[] };
            batches.push({ candidates: ice.iceCandidates, bytes: bytes.length });
            if (batches.length > this.caps.maxCand) this.fail("drain does not end");
        }
    }

    // TLV reader
    scan(bytes: Uint8Array | string, result: number, len?: number) {
        const b = typeof bytes === "string" ? hex(bytes) : bytes;
        this.do({ op: "tlvScan", bytes: packHex(b), ...(len === undefined ? {} : { len }) }, { result });
    }
}

/** matter.js's view of every response, CurrentSessions read and snapshot, against the core's. */
/** How many outputs matter.js decoded and re-encoded, by kind (printed at the end). */
const crossChecked = { responses: 0, currentSessions: 0, snapshots: 0 };

function crossCheck(r: Rec, input: StepInput, e: Expect): void {
    const same = (codec: Codec, bytes: Uint8Array, what: string) => {
        if (what === "CurrentSessions") crossChecked.currentSessions++;
        else if (what.startsWith("snap")) crossChecked.snapshots++;
        else crossChecked.responses++;
        const value = codec.decode(bytes);
        const again = toHex(u8(codec.encode(value)));
        if (again !== toHex(bytes)) r.fail(`${what}: matter.js re-encodes ${toHex(bytes)} as ${again}`);
        return value as Record<string, unknown>;
    };
    switch (input.op) {
        case "cmd":
            if (e.response !== undefined) {
                const v = same(schemas.solicitResp, unpackHex(e.response as Hex), "over-capacity SolicitOfferResponse");
                if (v.webRtcSessionId !== e.sessionId) r.fail("over-capacity response id");
            }
            return;
        case "commitSolicit":
        case "commitOffer":
            if (e.response !== undefined) {
                const codec = input.op === "commitSolicit" ? schemas.solicitResp : schemas.offerResp;
                const v = same(codec, unpackHex(e.response as Hex), input.op);
                if (v.webRtcSessionId !== input.sessionId) r.fail(`${input.op} response id ${String(v.webRtcSessionId)} ≠ ${input.sessionId}`);
            }
            return;
        case "sessions": {
            const rows = same(schemas.sessions, unpackHex(e.tlv as Hex), "CurrentSessions") as unknown as SessionW[];
            const mine = r.core.sessions(input.fabric);
            const a = rows.map(s => ({
                id: s.id, fabric: s.fabricIndex, peer: BigInt(s.peerNodeId).toString(), endpoint: s.peerEndpointId, usage: s.streamUsage,
                video: s.videoStreams ?? [], audio: s.audioStreams ?? [], metadata: s.metadataEnabled,
            }));
            const b = mine.map(s => ({
                id: s.id, fabric: s.fabricIndex, peer: s.peerNodeId.toString(), endpoint: s.peerEndpointId, usage: s.streamUsage,
                video: s.videoStreams, audio: s.audioStreams, metadata: s.metadataEnabled,
            }));
            if (canonical(a) !== canonical(b)) r.fail(`CurrentSessions(${input.fabric}) decodes as ${canonical(a)}, the table has ${canonical(b)}`);
            return;
        }
        case "snapOffer":
        case "snapAnswer":
        case "snapIce":
        case "snapEnd": {
            const out = e.out as OutJson;
            const bytes = unpackHex(out.bytes);
            if (e.status !== Status.Success || bytes.length === 0) {
                if (e.status !== Status.Success && (bytes.length !== 0 || out.command !== -1)) r.fail(`${input.op} refused but left a snapshot`);
                return;
            }
            const codec = [schemas.rOffer, schemas.rAnswer, schemas.rIce, schemas.rEnd][out.command];
            const expected = { snapOffer: 0, snapAnswer: 1, snapIce: 2, snapEnd: 3 }[input.op];
            if (codec === undefined || out.command !== expected) r.fail(`${input.op} made command ${out.command}`);
            const v = same(codec, bytes, input.op);
            if (v.webRtcSessionId !== input.sessionId || out.sessionId !== input.sessionId) r.fail(`${input.op} session id`);
            if ((input.op === "snapOffer" || input.op === "snapAnswer") && v.sdp !== unpackTextOf(input.sdp)) r.fail(`${input.op} SDP differs`);
            return;
        }
        default:
            return;
    }
}
function unpackTextOf(t: string | (string | { fill: string; n: number })[]): string {
    return typeof t === "string" ? t : t.map(p => (typeof p === "string" ? p : p.fill.repeat(p.n))).join("");
}

// ── cases ────────────────────────────────────────────────────────────────────────────────────
interface Fixture<T> {
    name: string;
    build(r: Rec): T;
}
function fixture<T>(name: string, build: (r: Rec) => T): Fixture<T> {
    return { name, build };
}

type Body<T> = (r: Rec, ctx: T) => void;
interface CaseDef {
    name: string;
    fixture?: Fixture<unknown>;
    body: Body<unknown>;
}
const CASES: CaseDef[] = [];
function def<T>(name: string, fx: Fixture<T> | undefined, body: Body<T>): void {
    if (CASES.some(c => c.name === name)) throw new Error(`duplicate case name ${name}`);
    CASES.push({ name, fixture: fx as Fixture<unknown> | undefined, body: body as Body<unknown> });
}

// fixtures (the beforeEach blocks of test/core/*.test.ts)
const streams = fixture("streams", r => r.defaultStreams());
/** solicit-offer.test.ts: a live SolicitOffer session of fabric 2, peer 77. */
const solicitBg = fixture("solicit-background", r => {
    r.defaultStreams();
    const background = r.solicitOk(V, { fabric: 2, peer: 77n }).id;
    r.events();
    return { background };
});
/** provide-offer.test.ts: a live ProvideOffer session of fabric 2, peer 77. */
const offerBg = fixture("offer-background", r => {
    r.defaultStreams();
    const background = r.offerOk(V, { fabric: 2, peer: 77n }).id;
    r.events();
    return { background };
});
/** answer-ice-end.test.ts: a solicited session awaiting its answer, and one of fabric 2. */
const answerIceEnd = fixture("answer-ice-end", r => {
    r.defaultStreams();
    const solicited = r.solicitOk(V).id;
    r.snapOffer(solicited, SDP);
    const other = r.offerOk(V, { fabric: 2, peer: 77n }).id;
    r.events();
    return { solicited, other };
});
/** outbound.test.ts: a deferred solicited session (endpoint 3) and an offered one (fabric 2, peer 77, endpoint 6). */
const outbound = fixture("outbound", r => {
    r.defaultStreams();
    const solicited = r.solicitOk({ ...V, originatingEndpointId: 3 }, { deferred: true }).id;
    const offered = r.offerOk({ ...V, originatingEndpointId: 6 }, { fabric: 2, peer: 77n }).id;
    r.events();
    return { solicited, offered };
});
/** malformed.test.ts: an established session of (FABRIC, PEER) whose Answer went out. */
const malformedFx = fixture("established", r => {
    r.defaultStreams();
    const sid = r.offerOk(V).id;
    r.snapAnswer(sid, SDP);
    r.events();
    return { sid };
});

const servers = (n: number, server: Partial<IceServerW> = {}): IceServerW[] =>
    Array.from({ length: n }, (_, i) => ({ urLs: [`stun:s${i}.example.com:3478`], ...server }));

// ── TLV reader (tlv.test.ts) ─────────────────────────────────────────────────────────────────
function tlvCases(): void {
    const types: [string, string][] = [
        ["int8", "00 ff"], ["int16", "01 00 80"], ["int32", "02 ffffff7f"], ["int64", "03 0000000000000080"],
        ["uint8", "04 ff"], ["uint16", "05 ffff"], ["uint32", "06 ffffffff"], ["uint64", "07 ffffffffffffffff"],
        ["false", "08"], ["true", "09"], ["float32", "0a 0000803f"], ["float64", "0b 000000000000f03f"],
        ["utf8 1", "0c 03 616263"], ["utf8 2", "0d 0300 616263"], ["utf8 4", "0e 03000000 616263"], ["utf8 8", "0f 0300000000000000 616263"],
        ["empty utf8", "0c 00"], ["octets 1", "10 02 0102"], ["octets 2", "11 0200 0102"], ["octets 4", "12 02000000 0102"],
        ["octets 8", "13 0200000000000000 0102"], ["empty octets 8", "13 0000000000000000"], ["null", "14"],
        ["empty structure", "15 18"], ["empty array", "16 18"], ["empty list", "17 18"],
    ];
    def("tlv: every element type is one element", undefined, r => {
        for (const [, b] of types) r.scan(b, 1);
        r.scan(`0d 2c01 ${toHex(new TextEncoder().encode("x".repeat(300)))}`, 1);
    });
    def("tlv: nested containers count every element; lists take tagged and anonymous members", undefined, r => {
        r.scan("15 2400 01 2c01 0161 18", 3);
        r.scan("15 3600 0401 0402 18 3501 2800 18 18", 6);
        r.scan("16 15 2400 01 18 15 18 17 18 18", 5);
        r.scan("17 04 01 2400 01 4401 00 05 18", 4);
    });
    const tags: [string, string][] = [
        ["context", "24 07 05"], ["common profile 2", "44 0100 05"], ["common profile 4", "64 01000000 05"],
        ["implicit profile 2", "84 0100 05"], ["implicit profile 4", "a4 01000000 05"],
        ["fully qualified 6", "c4 f1ff 0100 0200 05"], ["fully qualified 8", "e4 f1ff 0100 02000000 05"],
    ];
    for (const [name, element] of tags) {
        def(`tlv: tag form ${name}: top level, struct, list; not in an array; truncated tag → -1`, undefined, r => {
            const e = hex(element);
            r.scan(e, 1);
            r.scan(`15 ${element} 18`, 2);
            r.scan(`17 ${element} 18`, 2);
            r.scan(`16 ${element} 18`, -1);
            for (let n = 1; n < e.length; n++) r.scan(e, -1, n);
        });
    }
    def("tlv: anonymous tags and tagged containers and strings", undefined, r => {
        r.scan("04 05", 1);
        r.scan("16 04 05 18", 2);
        r.scan("17 04 05 18", 2);
        r.scan("15 04 05 18", -1);
        r.scan("15 35 01 36 02 17 18 18 18 18", 4);
        r.scan("15 ec f1ff 0100 02000000 02 6869 f0 f1ff 0100 03000000 01 00 18", 3);
        r.scan("15 37 ff 18 54 0100 18", 3);
    });
    const sample =
        "15 2000 ff 2101 0080 2202 ffffff7f 2303 0000000000000080 2404 ff 2505 ffff 2606 ffffffff 2707 ffffffffffffffff " +
        "2808 2909 2a0a 0000803f 2b0b 000000000000f03f 2c0c 0161 2d0d 0100 61 2e0e 01000000 61 2f0f 0100000000000000 61 " +
        "3010 0101 3111 010001 3212 0100000001 3313 010000000000000001 3414 " +
        "3615 0401 15 2400 01 18 17 04 01 18 18 3716 18 " +
        "44 0100 04 64 01000000 04 84 0100 04 a4 01000000 04 c4 f1ff 0100 0200 04 e4 f1ff 0100 02000000 04 18";
    def("tlv: the every-type sample scans; truncated at every byte (rest still in memory) → -1", undefined, r => {
        r.scan(sample, 35);
        const b = hex(sample);
        r.do({ op: "tlvCuts", bytes: packHex(b) }, { results: [[-1, b.length]] });
    });
    def("tlv: lengths past the buffer or past len → -1", undefined, r => {
        r.scan("0c 05 6162", -1);
        r.scan("0d ffff 61", -1);
        r.scan("0e ffffffff 61", -1);
        r.scan("13 ffffffffffffffff 61", -1);
        r.scan("0f 0000000000000080", -1);
        r.scan("0c 05 6162636465", -1, 4);
        r.scan("15 2c00 09 6162 18", -1);
    });
    def("tlv: reserved element types, tagged and stray ends → -1", undefined, r => {
        for (let t = 0x19; t <= 0x1f; t++) {
            r.scan(Uint8Array.of(t), -1);
            r.scan(Uint8Array.of(0x15, 0x20 | t, 0x01, 0x18), -1);
            r.scan(Uint8Array.of(0x16, t, 0x18), -1);
        }
        r.scan("15 2400 01 38 00", -1);
        r.scan("16 38 01", -1);
        for (const ctl of [0x38, 0x58, 0x78, 0x98, 0xb8, 0xd8, 0xf8]) r.scan(Uint8Array.of(0x17, ctl, 0, 0, 0, 0, 0, 0, 0, 0), -1);
        for (const b of ["18", "15 18 18", "04 01 18"]) r.scan(b, -1);
    });
    def("tlv: unclosed containers, misplaced members, trailing bytes → -1", undefined, r => {
        for (const b of ["15", "16", "17", "15 2400 01", "15 3600 16 18 18", "16 16 16 18 18"]) r.scan(b, -1);
        for (const b of ["15 04 01 18", "15 2400 01 15 18 18", "16 15 2400 01 0c 00 18 18"]) r.scan(b, -1);
        for (const b of ["16 2400 01 18", "15 3600 04 01 2401 01 18 18", "16 35 00 18 18"]) r.scan(b, -1);
        for (const b of ["04 01 04 02", "15 18 15 18", "15 18 00", "14 14"]) r.scan(b, -1);
    });
    def("tlv: nesting of 8 scans; 9 → -1", undefined, r => {
        r.scan(`${"16".repeat(8)}${"18".repeat(8)}`, 8);
        r.scan(`${"16".repeat(9)}${"18".repeat(9)}`, -1);
        r.scan(`15 35 00 36 01 16 17 15 35 02 36 03 ${"18".repeat(8)}`, 8);
        r.scan(`15 35 00 36 01 16 17 15 35 02 36 03 17 ${"18".repeat(9)}`, -1);
    });
    def("tlv: empty input, negative length, one past IN → -1; a payload filling IN scans", undefined, r => {
        r.scan(new Uint8Array(0), -1);
        r.raw("tlvScan", [-1], -1);
        const cap = r.raw("inCap", []);
        r.raw("tlvScan", [cap + 1], -1);
        const body = cap - 1 - 4 - 1 - 1 - 1;
        const b = new Uint8Array(cap);
        b.set([0x15, 0x32, 0x01, body & 0xff, (body >> 8) & 0xff, (body >> 16) & 0xff, 0]);
        b[cap - 1] = 0x18;
        r.scan(b, 2);
        r.scan(b, -1, cap - 1);
    });
}

// ── SolicitOffer (solicit-offer.test.ts) ─────────────────────────────────────────────────────
function solicitCases(): void {
    const refuse = (r: Rec, fields: SolicitW, status: number) => r.refuse(Cmd.SolicitOffer, solicitTlv(fields), status);
    for (const c of dataModelRefusals) def(`SolicitOffer steps 1–5: ${c.name}`, solicitBg, r => refuse(r, c.fields, c.status));
    for (const c of dataModelAccepted) {
        def(`SolicitOffer steps 1–5 accepted: ${c.name}`, solicitBg, r => {
            const { id } = r.solicitOk(c.fields);
            r.session(id, { state: "awaiting-answer" });
        });
    }
    def("SolicitOffer: data-model errors come before privacy", solicitBg, r => {
        r.privacy(true, false, false);
        refuse(r, { ...V, iceServers: Array.from({ length: 11 }, () => ({ urLs: ["stun:a"] })) }, Status.ConstraintError);
        refuse(r, { ...V, iceTransportPolicy: "x".repeat(17) }, Status.ConstraintError);
        refuse(r, { ...V, streamUsage: 4 }, Status.ConstraintError);
        refuse(r, {}, Status.InvalidCommand);
    });
    def("SolicitOffer step 6: hard privacy refuses every usage", solicitBg, r => {
        r.privacy(true, false, false);
        for (const usage of [0, 1, 2, 3]) refuse(r, { ...V, streamUsage: usage }, Status.InvalidInState);
    });
    def("SolicitOffer step 6: soft livestream refuses LiveView only", solicitBg, r => {
        r.privacy(false, false, true);
        refuse(r, V, Status.InvalidInState);
        refuse(r, { videoStreams: [VIDEO], audioStreams: [AUDIO] }, Status.InvalidInState);
        const { id } = r.solicitOk({ ...V, streamUsage: StreamUsage.Recording });
        r.session(id, { usage: StreamUsage.Recording });
    });
    def("SolicitOffer step 6: soft recording refuses Recording and Analysis (TC 2.8)", solicitBg, r => {
        r.privacy(false, true, false);
        refuse(r, { ...V, streamUsage: StreamUsage.Recording }, Status.InvalidInState);
        refuse(r, { ...V, streamUsage: StreamUsage.Analysis }, Status.InvalidInState);
        r.solicitOk(V);
    });
    def("SolicitOffer step 6: privacy before stream validation; off again lets it through", solicitBg, r => {
        r.privacy(false, false, true);
        refuse(r, { videoStreamId: 9999 }, Status.InvalidInState);
        refuse(r, { videoStreamId: VIDEO, videoStreams: [VIDEO] }, Status.InvalidInState);
        refuse(r, { videoStreamId: null, audioStreamId: null }, Status.InvalidInState);
        r.privacy(false, false, false);
        r.solicitOk({ videoStreamId: null, audioStreamId: null }, { deferred: true });
    });
    def("SolicitOffer step 7: usage not in the priorities → DCE", solicitBg, r => {
        refuse(r, { ...V, streamUsage: StreamUsage.Internal }, Status.DynamicConstraintError);
        refuse(r, { ...V, streamUsage: StreamUsage.Analysis }, Status.DynamicConstraintError);
        refuse(r, { streamUsage: StreamUsage.Internal, videoStreamId: VIDEO, videoStreams: [VIDEO] }, Status.DynamicConstraintError);
        refuse(r, { streamUsage: StreamUsage.Internal, videoStreamId: 9999 }, Status.DynamicConstraintError);
        const { id } = r.solicitOk({ ...V, streamUsage: StreamUsage.Recording });
        r.session(id, { usage: StreamUsage.Recording });
    });
    def("SolicitOffer step 7: no priorities refuses every usage", solicitBg, r => {
        r.priorities([]);
        refuse(r, V, Status.DynamicConstraintError);
    });
    const step8: [string, SolicitW][] = [
        ["VideoStreamID with VideoStreams", { videoStreamId: VIDEO, videoStreams: [VIDEO] }],
        ["AudioStreamID with AudioStreams", { audioStreamId: AUDIO, audioStreams: [AUDIO] }],
        ["VideoStreamID with AudioStreams", { videoStreamId: VIDEO, audioStreams: [AUDIO] }],
        ["null AudioStreamID with VideoStreams", { audioStreamId: null, videoStreams: [VIDEO] }],
        ["unknown scalar with unknown list", { videoStreamId: 9999, videoStreams: [9999] }],
    ];
    for (const [name, fields] of step8) def(`SolicitOffer step 8: ${name} → INVALID_COMMAND`, solicitBg, r => refuse(r, fields, Status.InvalidCommand));
    def("SolicitOffer step 10: unallocated scalar ids → DCE", solicitBg, r => {
        refuse(r, { videoStreamId: 9999 }, Status.DynamicConstraintError);
        refuse(r, { audioStreamId: 9999 }, Status.DynamicConstraintError);
        refuse(r, { videoStreamId: VIDEO, audioStreamId: 9999 }, Status.DynamicConstraintError);
        refuse(r, { videoStreamId: VIDEO + 1, audioStreamId: AUDIO }, Status.DynamicConstraintError);
    });
    def("SolicitOffer step 10: null with nothing of that kind allocated → INVALID_IN_STATE, video first", undefined, r => {
        r.priorities([StreamUsage.LiveView]);
        refuse(r, { videoStreamId: null, audioStreamId: null }, Status.InvalidInState);
        refuse(r, { audioStreamId: null }, Status.InvalidInState);
        r.addStream(StreamKind.Video, VIDEO, StreamUsage.LiveView);
        refuse(r, { videoStreamId: VIDEO, audioStreamId: null }, Status.InvalidInState);
        refuse(r, { videoStreamId: 9999, audioStreamId: null }, Status.DynamicConstraintError);
        r.addStream(StreamKind.Audio, AUDIO, StreamUsage.LiveView);
        const d = r.decided(Cmd.SolicitOffer, solicitTlv({ videoStreamId: VIDEO, audioStreamId: null }), Action.Hook);
        r.commitSolicit(d.sessionId);
    });
    def("SolicitOffer step 10: video null with no video wins over an unknown audio id", undefined, r => {
        r.priorities([StreamUsage.LiveView]);
        r.addStream(StreamKind.Audio, AUDIO, StreamUsage.LiveView);
        refuse(r, { videoStreamId: null, audioStreamId: 9999 }, Status.InvalidInState);
    });
    def("SolicitOffer step 11: unknown list ids → DCE; duplicates → ALREADY_EXISTS first; video list first", solicitBg, r => {
        refuse(r, { videoStreams: [9999] }, Status.DynamicConstraintError);
        refuse(r, { audioStreams: [9999] }, Status.DynamicConstraintError);
        refuse(r, { videoStreams: [VIDEO, 9999] }, Status.DynamicConstraintError);
        refuse(r, { videoStreams: [9999], audioStreams: [AUDIO] }, Status.DynamicConstraintError);
        refuse(r, { videoStreams: [VIDEO, VIDEO] }, Status.AlreadyExists);
        refuse(r, { audioStreams: [AUDIO, AUDIO] }, Status.AlreadyExists);
        refuse(r, { videoStreams: [9999, VIDEO, 9999] }, Status.AlreadyExists);
        refuse(r, { videoStreams: [9999, 8888, 8888] }, Status.AlreadyExists);
        refuse(r, { videoStreams: [9999], audioStreams: [AUDIO, AUDIO] }, Status.DynamicConstraintError);
        refuse(r, { videoStreams: [VIDEO, VIDEO], audioStreams: [9999] }, Status.AlreadyExists);
    });
    def("SolicitOffer step 11: a list with nothing of that kind allocated → INVALID_IN_STATE", undefined, r => {
        r.priorities([StreamUsage.LiveView]);
        r.addStream(StreamKind.Video, VIDEO, StreamUsage.LiveView);
        refuse(r, { audioStreams: [AUDIO] }, Status.InvalidInState);
        refuse(r, { audioStreams: [AUDIO, AUDIO] }, Status.InvalidInState);
        refuse(r, { videoStreams: [VIDEO], audioStreams: [9999] }, Status.InvalidInState);
    });
    def("SolicitOffer step 11: several listed streams kept in request order", solicitBg, r => {
        r.addStream(StreamKind.Video, 7, StreamUsage.Recording);
        const { id } = r.solicitOk({ videoStreams: [7, VIDEO], audioStreams: [AUDIO] });
        r.session(id, { video: [7, VIDEO], audio: [AUDIO] });
        r.raw("streamRefs", [StreamKind.Video, 7], 1);
    });
    for (const url of ["turns:turn.example.com:5349", "stuns:stun.example.com:5349"]) {
        def(`SolicitOffer step 13: ${url} with UTCTime null → INVALID_IN_STATE`, solicitBg, r => {
            r.utc(true);
            refuse(r, { ...V, iceServers: [{ urLs: ["stun:plain"] }, { urLs: ["turn:a", url] }] }, Status.InvalidInState);
        });
    }
    def("SolicitOffer step 13: plain and upper-case schemes fine; turns: fine once UTC known; after streams", solicitBg, r => {
        r.utc(true);
        r.solicitOk({ ...V, iceServers: [{ urLs: ["stun:a", "turn:b", "TURNS:c", "STUNS:d"] }] });
        refuse(r, { ...V, iceServers: [{ urLs: ["turns:a"] }] }, Status.InvalidInState);
        refuse(r, { videoStreams: [9999], iceServers: [{ urLs: ["turns:a"] }] }, Status.DynamicConstraintError);
        r.utc(false);
        r.solicitOk({ ...V, iceServers: [{ urLs: ["turns:a"] }] });
    });
    def("SolicitOffer step 14: auto-selection prefers the exact usage, else the first allocated", undefined, r => {
        r.priorities([StreamUsage.LiveView, StreamUsage.Recording, StreamUsage.Analysis]);
        r.addStream(StreamKind.Video, 10, StreamUsage.Internal);
        r.addStream(StreamKind.Video, 11, StreamUsage.LiveView);
        r.addStream(StreamKind.Video, 12, StreamUsage.Recording);
        r.addStream(StreamKind.Audio, 20, StreamUsage.Recording);
        r.addStream(StreamKind.Audio, 21, StreamUsage.LiveView);
        const want = (resp: Record<string, unknown>, v: number, a: number) => {
            if (resp.videoStreamId !== v || resp.audioStreamId !== a) r.fail(`auto-selected ${String(resp.videoStreamId)}/${String(resp.audioStreamId)}`);
        };
        want(r.solicitOk({ videoStreamId: null, audioStreamId: null }).resp, 11, 21);
        want(r.solicitOk({ streamUsage: StreamUsage.Recording, videoStreamId: null, audioStreamId: null }).resp, 12, 20);
        const ana = r.solicitOk({ streamUsage: StreamUsage.Analysis, videoStreamId: null, audioStreamId: null });
        want(ana.resp, 10, 20);
        r.session(ana.id, { video: [10], audio: [20] });
    });
    def("SolicitOffer step 14: a request with only one kind selects only that kind", solicitBg, r => {
        const { id } = r.solicitOk({ videoStreamId: null });
        r.session(id, { video: [VIDEO], audio: [] });
    });
    def("SolicitOffer step 19: the scalar fields are echoed with the resolved value", solicitBg, r => {
        const both = r.solicitOk({ videoStreamId: null, audioStreamId: AUDIO }).resp;
        if (both.videoStreamId !== VIDEO || both.audioStreamId !== AUDIO || both.deferredOffer !== false) r.fail("echo both");
        const video = r.solicitOk({ videoStreamId: VIDEO }, { deferred: true }).resp;
        if (video.videoStreamId !== VIDEO || "audioStreamId" in video || video.deferredOffer !== true) r.fail("echo video");
    });
    def("SolicitOffer step 19: list requests get no stream fields", solicitBg, r => {
        const { id, resp } = r.solicitOk({ videoStreams: [VIDEO], audioStreams: [AUDIO] });
        if ("videoStreamId" in resp || "audioStreamId" in resp) r.fail("list request echoed a stream");
        r.session(id, { state: "awaiting-answer" });
    });
    def("SolicitOffer step 19: DeferredOffer is the hook's answer and sets the state", solicitBg, r => {
        const d = r.solicitOk(V, { deferred: true });
        r.session(d.id, { state: "awaiting-deferred-offer" });
        const n = r.solicitOk(V, { deferred: false });
        r.session(n.id, { state: "awaiting-answer" });
    });
    def("SolicitOffer step 19: audio only echoes only audio", streams, r => {
        const { id, resp } = r.solicitOk({ audioStreamId: null });
        if (id !== 1 || resp.audioStreamId !== AUDIO || "videoStreamId" in resp) r.fail("audio-only echo");
    });
    def("SolicitOffer row: peer, fabric, endpoint, lists, metadata (TC 2.10, 2.32)", solicitBg, r => {
        const { id } = r.solicitOk({ originatingEndpointId: 5, ...V, metadataEnabled: true }, { fabric: 3, peer: 0xfedcba9876543210n });
        r.sessions(3, [id]);
        r.session(id, { fabric: 3, peer: 0xfedcba9876543210n.toString(), endpoint: 5, metadata: true, video: [VIDEO], audio: [AUDIO] });
    });
    def("SolicitOffer row: a list request fills the deprecated scalar with the first entry", solicitBg, r => {
        r.addStream(StreamKind.Video, 7, StreamUsage.Recording);
        r.solicitOk({ videoStreams: [7, VIDEO] });
        r.sessions(FABRIC);
    });
    def("SolicitOffer row: one reference per stream, an added event", solicitBg, r => {
        const { id } = r.solicitOk(V);
        r.raw("streamRefs", [StreamKind.Video, VIDEO], 2);
        r.raw("streamRefs", [StreamKind.Audio, AUDIO], 2);
        r.events([[EV.added, id, 0, 0]]);
    });
    def("SolicitOffer: the hook gets the request's parameters", solicitBg, r => {
        const d = r.cmd(Cmd.SolicitOffer, solicitTlv({
            ...V,
            originatingEndpointId: 9,
            iceServers: [{ urLs: ["stun:a", "turn:b"], username: "user", credential: "pw", caid: 4 }, { urLs: ["stun:c"] }],
            iceTransportPolicy: "relay",
        }), { args: true, want: { status: 0, action: Action.Hook } });
        const params = (d.args as { params: Record<string, unknown> }).params;
        if (canonical(params.iceServers) !== canonical([{ urls: ["stun:a", "turn:b"], username: "user", credential: "pw", caid: 4 }, { urls: ["stun:c"] }])) {
            r.fail(`iceServers ${canonical(params.iceServers)}`);
        }
        if (params.iceTransportPolicy !== "relay" || params.originatingEndpointId !== 9 || params.peerNodeId !== PEER.toString()) r.fail("offer params");
        r.commitSolicit(d.sessionId);
    });
    def("SolicitOffer: refusals leave the background session alone", solicitBg, (r, { background }) => {
        r.state();
        refuse(r, { videoStreams: [9999] }, Status.DynamicConstraintError);
        r.state();
        r.sessions(0, [background]);
    });
}

// ── ProvideOffer (provide-offer.test.ts) ─────────────────────────────────────────────────────
function provideOfferCases(): void {
    const refuse = (r: Rec, fields: OfferW, status: number, fabric = FABRIC, peer = PEER) =>
        r.refuse(Cmd.ProvideOffer, offerTlv(fields), status, fabric, peer);
    for (const c of dataModelRefusals) def(`ProvideOffer steps 1–5: ${c.name}`, offerBg, r => refuse(r, c.fields, c.status));
    for (const c of dataModelAccepted) {
        def(`ProvideOffer steps 1–5 accepted: ${c.name}`, offerBg, r => {
            const { id } = r.offerOk(c.fields);
            r.session(id, { state: "established" });
        });
    }
    def("ProvideOffer: no stream field with no streams allocated → INVALID_COMMAND (TC 2.3 step 2)", undefined, r => {
        refuse(r, {}, Status.InvalidCommand);
    });
    def("ProvideOffer: privacy hard / soft-livestream / soft-recording (TC 2.13, 2.14)", offerBg, r => {
        r.privacy(true, false, false);
        refuse(r, V, Status.InvalidInState);
        refuse(r, { ...V, streamUsage: StreamUsage.Recording }, Status.InvalidInState);
        r.privacy(false, false, true);
        refuse(r, V, Status.InvalidInState);
        refuse(r, { videoStreams: [VIDEO] }, Status.InvalidInState);
        r.offerOk({ ...V, streamUsage: StreamUsage.Recording });
        r.privacy(false, true, false);
        refuse(r, { ...V, streamUsage: StreamUsage.Recording }, Status.InvalidInState);
        refuse(r, { ...V, streamUsage: StreamUsage.Analysis }, Status.InvalidInState);
        r.offerOk(V);
    });
    def("ProvideOffer: privacy before priorities; priorities before the scalar/list rule", offerBg, r => {
        r.privacy(false, true, false);
        refuse(r, { ...V, streamUsage: StreamUsage.Analysis }, Status.InvalidInState);
        r.privacy(false, false, false);
        refuse(r, { ...V, streamUsage: StreamUsage.Analysis }, Status.DynamicConstraintError);
        refuse(r, { ...V, streamUsage: StreamUsage.Internal }, Status.DynamicConstraintError);
        refuse(r, { streamUsage: StreamUsage.Internal, videoStreamId: VIDEO, videoStreams: [VIDEO] }, Status.DynamicConstraintError);
    });
    def("ProvideOffer: scalars with lists → INVALID_COMMAND; unknown scalars → DCE video first", offerBg, r => {
        refuse(r, { videoStreamId: VIDEO, videoStreams: [VIDEO] }, Status.InvalidCommand);
        refuse(r, { audioStreamId: 9999, videoStreams: [9999] }, Status.InvalidCommand);
        refuse(r, { videoStreamId: VIDEO + 1, audioStreamId: AUDIO }, Status.DynamicConstraintError);
        refuse(r, { videoStreamId: VIDEO, audioStreamId: AUDIO + 1 }, Status.DynamicConstraintError);
    });
    def("ProvideOffer: null ids with nothing allocated → INVALID_IN_STATE (TC 2.3 step 3)", undefined, r => {
        r.priorities([StreamUsage.LiveView]);
        refuse(r, { videoStreamId: null, audioStreamId: null }, Status.InvalidInState);
        refuse(r, { videoStreams: [VIDEO] }, Status.InvalidInState);
    });
    def("ProvideOffer: lists unknown → DCE, duplicate → ALREADY_EXISTS (TC 2.29)", offerBg, r => {
        refuse(r, { videoStreams: [9999] }, Status.DynamicConstraintError);
        refuse(r, { videoStreams: [VIDEO, VIDEO] }, Status.AlreadyExists);
        refuse(r, { audioStreams: [9999] }, Status.DynamicConstraintError);
        refuse(r, { audioStreams: [AUDIO, AUDIO] }, Status.AlreadyExists);
        refuse(r, { videoStreams: [9999], audioStreams: [AUDIO] }, Status.DynamicConstraintError);
    });
    def("ProvideOffer: turns:/stuns: with UTCTime null, after stream validation", offerBg, r => {
        r.utc(true);
        refuse(r, { ...V, iceServers: [{ urLs: ["stuns:a"] }] }, Status.InvalidInState);
        refuse(r, { videoStreams: [9999], iceServers: [{ urLs: ["turns:a"] }] }, Status.DynamicConstraintError);
        r.offerOk({ ...V, iceServers: [{ urLs: ["stun:a"] }] });
    });
    def("ProvideOffer: auto-selection echoes; list requests get no echo (TC 2.4 step 4)", offerBg, r => {
        const a = r.offerOk({ videoStreamId: null, audioStreamId: null }).resp;
        if (a.videoStreamId !== VIDEO || a.audioStreamId !== AUDIO) r.fail("echo");
        const b = r.offerOk({ audioStreamId: AUDIO }).resp;
        if ("videoStreamId" in b || b.audioStreamId !== AUDIO) r.fail("echo audio only");
    });
    def("ProvideOffer: lists fill CurrentSessions", streams, r => {
        const { id, resp } = r.offerOk({ videoStreams: [VIDEO], audioStreams: [AUDIO] });
        if (id !== 1 || Object.keys(resp).length !== 1) r.fail("list response");
        r.sessions(FABRIC, [1]);
    });
    def("ProvideOffer: PeerEndpointID = OriginatingEndpointID (TC 2.15); the hook gets the SDP", offerBg, r => {
        const d = r.cmd(Cmd.ProvideOffer, offerTlv({ ...V, originatingEndpointId: 2, sdp: "v=0\r\nm=video 9\r\n" }), { args: true, want: { status: 0, action: Action.Hook } });
        if ((d.args as { sdp: string }).sdp !== "v=0\r\nm=video 9\r\n") r.fail("hook SDP");
        r.commitOffer(d.sessionId);
        r.session(d.sessionId, { endpoint: 2, state: "established" });
        r.raw("streamRefs", [StreamKind.Video, VIDEO], 2);
        r.sessions(FABRIC);
    });
    def("ProvideOffer: capacity → RESOURCE_EXHAUSTED, no pending End (TC 2.16)", offerBg, r => {
        for (let n = 1; n < r.caps.sessions; n++) r.offerOk(V);
        refuse(r, V, Status.ResourceExhausted);
        r.raw("endPendingCount", [], 0);
    });
    def("ProvideOffer: a reserved row holds its capacity", offerBg, r => {
        for (let n = 2; n < r.caps.sessions; n++) r.offerOk(V);
        const d = r.decided(Cmd.ProvideOffer, offerTlv(V), Action.Hook);
        refuse(r, V, Status.ResourceExhausted);
        r.abort(d.sessionId);
        r.offerOk(V);
    });
    def("ProvideOffer: an SDP of sdpLen bytes is taken; one more → RESOURCE_EXHAUSTED", offerBg, r => {
        const max = r.caps.sdpLen;
        const d = r.cmd(Cmd.ProvideOffer, offerTlv({ ...V, sdp: "a".repeat(max) }), { args: true, want: { status: 0, action: Action.Hook } });
        r.abort(d.sessionId);
        refuse(r, { ...V, sdp: "a".repeat(max + 1) }, Status.ResourceExhausted);
    });
    def("ProvideOffer: a multi-byte SDP is measured in bytes", offerBg, r => {
        const max = r.caps.sdpLen;
        refuse(r, { ...V, sdp: "é".repeat(max / 2) + "a" }, Status.ResourceExhausted);
        const d = r.cmd(Cmd.ProvideOffer, offerTlv({ ...V, sdp: "é".repeat(max / 2) }), { args: true, want: { status: 0, action: Action.Hook } });
        r.abort(d.sessionId);
    });
    def("ProvideOffer: a valid multi-byte SDP reaches the hook intact", offerBg, r => {
        const sdp = "v=0\r\ns=caméra ☃ 📷\r\n";
        const d = r.cmd(Cmd.ProvideOffer, offerTlv({ ...V, sdp }), { args: true, want: { status: 0, action: Action.Hook } });
        if ((d.args as { sdp: string }).sdp !== sdp) r.fail("multi-byte SDP");
        r.abort(d.sessionId);
    });

    // re-offers: the fixture's background is fabric 2 / peer 77; `id` is ours
    const reoffer = (name: string, body: (r: Rec, ids: { id: number; background: number }) => void) =>
        def(`ProvideOffer re-offer: ${name}`, offerBg, (r, { background }) => {
            const id = r.offerOk(V).id;
            r.events();
            body(r, { id, background });
        });
    reoffer("an unknown id → NOT_FOUND (TC 2.30)", (r, { id }) => {
        refuse(r, { webRtcSessionId: id + 1, ...V }, Status.NotFound);
        refuse(r, { webRtcSessionId: 9999, videoStreams: [VIDEO] }, Status.NotFound);
    });
    reoffer("another fabric's or peer's session → NOT_FOUND", (r, { id, background }) => {
        refuse(r, { webRtcSessionId: background, ...V }, Status.NotFound);
        refuse(r, { webRtcSessionId: id, ...V }, Status.NotFound, 2, 77n);
        refuse(r, { webRtcSessionId: id, ...V }, Status.NotFound, FABRIC, PEER + 1n);
        refuse(r, { webRtcSessionId: id, ...V }, Status.NotFound, 2, PEER);
    });
    reoffer("same id, same echo, an updated event (TC 2.4 step 7)", (r, { id }) => {
        const resp = r.offerOk({ webRtcSessionId: id, ...V }).resp;
        if (resp.webRtcSessionId !== id || resp.videoStreamId !== VIDEO || resp.audioStreamId !== AUDIO) r.fail("re-offer echo");
        r.events([[EV.updated, id, 0, 0]]);
    });
    reoffer("needs no usage, endpoint or streams and keeps them", (r, { id }) => {
        const resp = r.offerOk({ webRtcSessionId: id, streamUsage: undefined, originatingEndpointId: undefined }).resp;
        if (Object.keys(resp).length !== 1) r.fail("bare re-offer echo");
        r.session(id, { usage: StreamUsage.LiveView, endpoint: 1, video: [VIDEO], audio: [AUDIO] });
    });
    reoffer("keeps MetadataEnabled unless it carries it", r => {
        const m = r.offerOk({ ...V, metadataEnabled: true }).id;
        r.offerOk({ webRtcSessionId: m });
        r.session(m, { metadata: true });
        r.sessions(FABRIC);
        r.offerOk({ webRtcSessionId: m, metadataEnabled: false });
        r.session(m, { metadata: false });
    });
    reoffer("skips privacy, priority and UTC checks", (r, { id }) => {
        r.utc(true);
        r.privacy(false, true, false, 0);
        r.offerOk({ webRtcSessionId: id, streamUsage: StreamUsage.Analysis, iceServers: [{ urLs: ["turns:a"] }] });
        r.session(id, { usage: StreamUsage.Analysis });
    });
    reoffer("works at capacity", (r, { id }) => {
        while (r.core.sessions().length < r.caps.sessions) r.offerOk(V);
        refuse(r, V, Status.ResourceExhausted);
        r.offerOk({ webRtcSessionId: id });
    });
    reoffer("updates in place, keeping the insertion order", (r, { id, background }) => {
        const later = r.offerOk(V).id;
        r.sessions(0, [background, id, later]);
        r.offerOk({ webRtcSessionId: id, originatingEndpointId: 4, streamUsage: StreamUsage.Recording });
        r.sessions(0, [background, id, later]);
        r.session(id, { endpoint: 4, usage: StreamUsage.Recording, state: "established" });
    });
    reoffer("moves the stream references", (r, { id }) => {
        r.addStream(StreamKind.Video, 7, StreamUsage.Recording);
        r.offerOk({ webRtcSessionId: id, videoStreams: [7] });
        r.session(id, { video: [7], audio: [] });
        r.state();
        r.offerOk({ webRtcSessionId: id, videoStreamId: null, audioStreamId: AUDIO });
        r.state();
        r.removeStream(StreamKind.Video, 7, Status.Success);
    });
    reoffer("still validates the stream fields and the data model", (r, { id }) => {
        refuse(r, { webRtcSessionId: id, videoStreams: [9999] }, Status.DynamicConstraintError);
        refuse(r, { webRtcSessionId: id, videoStreams: [VIDEO, VIDEO] }, Status.AlreadyExists);
        refuse(r, { webRtcSessionId: id, videoStreamId: VIDEO, audioStreams: [AUDIO] }, Status.InvalidCommand);
        refuse(r, { webRtcSessionId: id, videoStreamId: 9999 }, Status.DynamicConstraintError);
        refuse(r, { webRtcSessionId: id, streamUsage: 4 }, Status.ConstraintError);
        refuse(r, { webRtcSessionId: id, iceTransportPolicy: "x".repeat(17) }, Status.ConstraintError);
        refuse(r, { webRtcSessionId: id, sdp: "a".repeat(r.caps.sdpLen + 1) }, Status.ResourceExhausted);
    });
    reoffer("a second re-offer while the first hook runs → INVALID_IN_STATE", (r, { id }) => {
        const d = r.cmd(Cmd.ProvideOffer, offerTlv({ webRtcSessionId: id }), { args: true, want: { status: 0, action: Action.Hook, sessionId: id } });
        if ((d.args as { params: { reoffer: boolean } }).params.reoffer !== true) r.fail("reoffer flag");
        refuse(r, { webRtcSessionId: id }, Status.InvalidInState);
        r.commitOffer(id);
    });
    reoffer("abortPending drops the staged re-offer", (r, { id }) => {
        r.addStream(StreamKind.Video, 7, StreamUsage.Recording);
        r.state();
        const d = r.decided(Cmd.ProvideOffer, offerTlv({ webRtcSessionId: id, videoStreams: [7], streamUsage: StreamUsage.Recording }), Action.Hook);
        r.abort(d.sessionId);
        r.state();
        r.offerOk({ webRtcSessionId: id });
    });
    reoffer("a re-offer of a deferred session establishes it; no deadline left", r => {
        const s = r.solicitOk(V, { deferred: true }).id;
        r.offerOk({ webRtcSessionId: s, sdp: SDP });
        r.session(s, { state: "established" });
        r.expire(1000, 0);
    });
}

// ── ProvideAnswer / ICE / EndSession (answer-ice-end.test.ts) ────────────────────────────────
function answerIceEndCases(): void {
    const cand = (i: number, sdpMid: string | null = "0", sdpmLineIndex: number | null = 0): CandidateW => ({
        candidate: `candidate:${i} 1 udp 2122260223 192.168.1.${i % 250} ${50000 + i} typ host`,
        sdpMid,
        sdpmLineIndex,
    });
    const A = answerIceEnd;
    const refA = (r: Rec, f: Uint8Array, s: number, fabric = FABRIC, peer = PEER) => r.refuse(Cmd.ProvideAnswer, f, s, fabric, peer);
    const refI = (r: Rec, f: Uint8Array, s: number, fabric = FABRIC, peer = PEER) => r.refuse(Cmd.ProvideIceCandidates, f, s, fabric, peer);
    const refE = (r: Rec, f: Uint8Array, s: number, fabric = FABRIC, peer = PEER) => r.refuse(Cmd.EndSession, f, s, fabric, peer);

    def("ProvideAnswer: unknown ids → NOT_FOUND (TC 2.19)", A, (r, { solicited }) => {
        refA(r, answerTlv(solicited + 1000), Status.NotFound);
        refA(r, answerTlv(0), Status.NotFound);
        refA(r, answerTlv(65535), Status.NotFound);
    });
    def("ProvideAnswer: another fabric's or peer's session → NOT_FOUND", A, (r, { solicited, other }) => {
        refA(r, answerTlv(other), Status.NotFound);
        refA(r, answerTlv(solicited), Status.NotFound, 2, 77n);
        refA(r, answerTlv(solicited), Status.NotFound, FABRIC, PEER + 1n);
    });
    def("ProvideAnswer: an awaited answer runs the hook; commit establishes", A, (r, { solicited }) => {
        r.session(solicited, { state: "awaiting-answer" });
        const d = r.cmd(Cmd.ProvideAnswer, answerTlv(solicited, "v=0\r\na=answer\r\n"), { args: true, want: { status: 0, action: Action.Hook, sessionId: solicited } });
        if ((d.args as { sdp: string }).sdp !== "v=0\r\na=answer\r\n") r.fail("answer SDP");
        r.commitAnswer(solicited);
        r.session(solicited, { state: "established" });
        r.events([]);
    });
    def("ProvideAnswer: a duplicate answer → SUCCESS with action Done", A, (r, { solicited, other }) => {
        r.decided(Cmd.ProvideAnswer, answerTlv(solicited), Action.Hook);
        r.commitAnswer(solicited);
        r.cmd(Cmd.ProvideAnswer, answerTlv(solicited), { unchanged: true, want: { status: 0, action: Action.Done } });
        r.decided(Cmd.ProvideAnswer, answerTlv(other), Action.Done, 2, 77n);
    });
    def("ProvideAnswer: an answer while another answer's hook runs → Done", A, (r, { solicited }) => {
        r.decided(Cmd.ProvideAnswer, answerTlv(solicited), Action.Hook);
        r.decided(Cmd.ProvideAnswer, answerTlv(solicited), Action.Done);
        r.commitAnswer(solicited);
    });
    def("ProvideAnswer: abort after a failed hook keeps it awaiting", A, (r, { solicited }) => {
        r.state();
        r.decided(Cmd.ProvideAnswer, answerTlv(solicited), Action.Hook);
        r.abort(solicited);
        r.state();
        r.session(solicited, { state: "awaiting-answer" });
        r.decided(Cmd.ProvideAnswer, answerTlv(solicited), Action.Hook);
        r.commitAnswer(solicited);
    });
    def("ProvideAnswer: commit without a pending answer → INVALID_IN_STATE; unknown → NOT_FOUND", A, (r, { solicited }) => {
        r.commitAnswer(solicited, Status.InvalidInState);
        r.commitAnswer(999, Status.NotFound);
        r.session(solicited, { state: "awaiting-answer" });
    });
    def("ProvideAnswer: SDP over sdpLen → RESOURCE_EXHAUSTED; exactly sdpLen taken", A, (r, { solicited }) => {
        refA(r, answerTlv(solicited, "a".repeat(r.caps.sdpLen + 1)), Status.ResourceExhausted);
        r.cmd(Cmd.ProvideAnswer, answerTlv(solicited, "a".repeat(r.caps.sdpLen)), { args: true, want: { status: 0, action: Action.Hook } });
        r.abort(solicited);
    });
    def("ProvideAnswer: an answer for a deferred session settles the deadline", A, r => {
        const deferred = r.solicitOk(V, { deferred: true, now: 0 }).id;
        r.decided(Cmd.ProvideAnswer, answerTlv(deferred), Action.Hook);
        r.commitAnswer(deferred);
        r.session(deferred, { state: "established" });
        r.expire(100, 0);
    });

    def("ProvideICECandidates: an empty list or an empty SDPMid → CONSTRAINT_ERROR before the lookup", A, (r, { solicited }) => {
        refI(r, iceTlv(solicited, []), Status.ConstraintError);
        refI(r, iceTlv(9999, []), Status.ConstraintError);
        refI(r, iceTlv(solicited, [cand(1, "")]), Status.ConstraintError);
        refI(r, iceTlv(solicited, [cand(1), cand(2, "")]), Status.ConstraintError);
        refI(r, iceTlv(9999, [cand(1, "")]), Status.ConstraintError);
    });
    def("ProvideICECandidates: more than inboundCandidates → RESOURCE_EXHAUSTED; exactly that many taken", A, (r, { solicited }) => {
        const n = r.caps.inboundCandidates;
        const many = Array.from({ length: n + 1 }, (_, i) => cand(i));
        refI(r, iceTlv(solicited, many), Status.ResourceExhausted);
        r.decided(Cmd.ProvideIceCandidates, iceTlv(solicited, many.slice(0, n)), Action.Hook);
        // checked here, not recorded (the vectors check the hook's list in the TC 2.20 case)
        const got = r.core.candidates();
        if (got.length !== n || got[n - 1]?.candidate !== many[n - 1]?.candidate) r.fail("candidate count");
    });
    def("ProvideICECandidates: unknown, other fabric's or peer's → NOT_FOUND (TC 2.21)", A, (r, { solicited, other }) => {
        refI(r, iceTlv(9999, [cand(1)]), Status.NotFound);
        refI(r, iceTlv(other, [cand(1)]), Status.NotFound);
        refI(r, iceTlv(solicited, [cand(1)]), Status.NotFound, FABRIC, PEER + 1n);
        refI(r, iceTlv(solicited, [cand(1)]), Status.NotFound, 3, PEER);
    });
    def("ProvideICECandidates: null SDPMid / SDPMLineIndex reach the hook (TC 2.20), no state change", A, (r, { solicited }) => {
        const list = [cand(1, null, null), cand(2, "video", 1), cand(3, "0", null), cand(4, null, 65534)];
        r.state();
        const d = r.cmd(Cmd.ProvideIceCandidates, iceTlv(solicited, list), { args: true, want: { status: 0, action: Action.Hook, sessionId: solicited } });
        const got = (d.args as { candidates: { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null }[] }).candidates;
        if (canonical(got) !== canonical(list.map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpmLineIndex })))) r.fail("hook candidates");
        r.state();
    });
    def("ProvideICECandidates: works in every live state", A, (r, { other }) => {
        const deferred = r.solicitOk(V, { deferred: true }).id;
        r.decided(Cmd.ProvideIceCandidates, iceTlv(deferred, [cand(1)]), Action.Hook);
        r.decided(Cmd.ProvideIceCandidates, iceTlv(other, [cand(1)]), Action.Hook, 2, 77n);
    });

    def("EndSession: reason above 12 → CONSTRAINT_ERROR before the lookup", A, (r, { solicited }) => {
        refE(r, endTlv(solicited, 13), Status.ConstraintError);
        refE(r, endTlv(solicited, 255), Status.ConstraintError);
        refE(r, endTlv(9999, 13), Status.ConstraintError);
    });
    def("EndSession: unknown ids → NOT_FOUND (TC 2.2, 2.28)", A, (r, { solicited, other }) => {
        refE(r, endTlv(solicited + 5), Status.NotFound);
        refE(r, endTlv((other + 1) % 65535), Status.NotFound);
        refE(r, endTlv(0), Status.NotFound);
    });
    def("EndSession: another fabric's or peer's → NOT_FOUND", A, (r, { solicited, other }) => {
        refE(r, endTlv(other), Status.NotFound);
        refE(r, endTlv(solicited), Status.NotFound, 2, 77n);
        refE(r, endTlv(solicited), Status.NotFound, FABRIC, PEER + 1n);
    });
    for (const reason of [0, 2, 11, 12]) {
        def(`EndSession: removes at once (reason ${reason}), releases streams, reports it`, A, (r, { solicited, other }) => {
            r.raw("streamRefs", [StreamKind.Video, VIDEO], 2);
            const d = r.cmd(Cmd.EndSession, endTlv(solicited, reason), { args: true, want: { status: 0, action: Action.Hook, sessionId: solicited } });
            if ((d.args as { reason: number }).reason !== reason) r.fail("end reason");
            r.session(solicited, null);
            r.sessions(0, [other]);
            r.sessions(FABRIC, []);
            r.raw("streamRefs", [StreamKind.Video, VIDEO], 1);
            r.raw("streamRefs", [StreamKind.Audio, AUDIO], 1);
            r.events([[EV.removed, solicited, reason, CAUSE.peer]]);
            r.raw("endPendingCount", [], 0);
            refE(r, endTlv(solicited, reason), Status.NotFound);
        });
    }
    def("EndSession: TC 2.33 references reach 0 and the streams can be deallocated", A, (r, { solicited, other }) => {
        r.end(solicited);
        r.removeStream(StreamKind.Video, VIDEO, Status.InvalidInState);
        r.end(other, 2, 77n);
        r.state();
        r.removeStream(StreamKind.Video, VIDEO, Status.Success);
        r.removeStream(StreamKind.Audio, AUDIO, Status.Success);
        r.state();
    });
    def("EndSession: during a re-offer hook or an answer hook, the late commit finds nothing", A, (r, { solicited, other }) => {
        r.decided(Cmd.ProvideOffer, offerTlv({ webRtcSessionId: other }), Action.Hook, 2, 77n);
        r.end(other, 2, 77n);
        r.commitOffer(other, Status.NotFound);
        r.abort(other, Status.NotFound);
        r.session(other, null);
        r.decided(Cmd.ProvideAnswer, answerTlv(solicited), Action.Hook);
        r.end(solicited);
        r.commitAnswer(solicited, Status.NotFound);
    });
    def("EndSession: drops the session's waiting local candidates", A, (r, { solicited }) => {
        r.admit(solicited, { candidate: "candidate:1", sdpMid: "0", sdpMLineIndex: 0 }, "accepted");
        r.raw("candPending", [solicited], 1);
        r.end(solicited);
        r.raw("candPending", [solicited], 0);
        r.raw("candFreeSlots", [], r.caps.maxCand);
    });
    def("EndSession: TC 2.5 a session of the same peer keeps its place", A, (r, { solicited, other }) => {
        const third = r.offerOk(V).id;
        r.sessions(0, [solicited, other, third]);
        r.end(solicited);
        r.sessions(0, [other, third]);
        r.sessions(FABRIC, [third]);
    });
}

// ── the session table (sessions.test.ts) ─────────────────────────────────────────────────────
function sessionCases(): void {
    const S = streams;
    def("session ids: start at 1, sequential across commands", S, r => {
        r.raw("nextId", [], 1);
        if (r.solicitOk(V).id !== 1 || r.offerOk(V).id !== 2 || r.solicitOk({ videoStreams: [VIDEO] }).id !== 3) r.fail("sequence");
    });
    def("session ids: an id just ended is not handed out again at once", S, r => {
        const a = r.solicitOk(V).id;
        const b = r.solicitOk(V).id;
        r.end(a);
        if (r.solicitOk(V).id !== b + 1) r.fail("reuse");
    });
    def("session ids: skip ids in use", S, r => {
        const a = r.solicitOk(V).id;
        const b = r.solicitOk(V).id;
        r.raw("setNextId", [a]);
        if (r.solicitOk(V).id !== b + 1) r.fail("skip");
        r.sessions(0, [1, 2, 3]);
    });
    def("session ids: wrap from 65534 to 1, never 0 or 0xFFFF", S, r => {
        r.raw("setNextId", [65533]);
        const ids = [r.solicitOk(V).id, r.solicitOk(V).id, r.solicitOk(V).id];
        if (canonical(ids) !== "[65533,65534,1]") r.fail(`wrap ${canonical(ids)}`);
        r.raw("nextId", [], 2);
    });
    def("session ids: wrap skipping an id in use", S, r => {
        r.solicitOk(V);
        r.raw("setNextId", [65534]);
        if (r.solicitOk(V).id !== 65534 || r.solicitOk(V).id !== 2) r.fail("wrap skip");
    });
    def("session ids: never 0 or 0xFFFF over many wraps", S, r => {
        r.raw("setNextId", [65530]);
        const seen: number[] = [];
        for (let n = 0; n < 12; n++) {
            const id = r.offerOk(V).id;
            seen.push(id);
            r.end(id);
            r.events();
        }
        if (canonical(seen.slice(0, 8)) !== canonical([65530, 65531, 65532, 65533, 65534, 1, 2, 3])) r.fail(`wraps ${canonical(seen)}`);
    });
    def("session ids: setNextId outside 1..65534 restarts at 1", S, r => {
        for (const v of [0, 0xffff, 70000, -5]) {
            r.raw("setNextId", [v]);
            r.raw("nextId", [], 1);
        }
    });
    def("session ids: skip a reserved row's id and a pending End's id", S, r => {
        const d = r.decided(Cmd.SolicitOffer, solicitTlv(V), Action.Hook).sessionId;
        r.raw("setNextId", [d]);
        const e = r.decided(Cmd.ProvideOffer, offerTlv(V), Action.Hook).sessionId;
        if (e !== d + 1) r.fail("reserved id reused");
        r.commitSolicit(d);
        r.commitOffer(e);
        r.endByProvider(d, EndReason.MediaTimeout);
        r.raw("setNextId", [d]);
        if (r.offerOk(V).id !== e + 1) r.fail("pending End id reused");
        r.snapEnd(d);
    });

    def("CurrentSessions: an empty table is an empty array", S, r => {
        r.do({ op: "sessions", fabric: 0 }, { tlv: "1618" });
        r.do({ op: "sessions", fabric: FABRIC }, { tlv: "1618" });
    });
    def("CurrentSessions: each fabric reads its own rows in insertion order; fabric 0 all", S, r => {
        const a = r.solicitOk(V, { fabric: 1 }).id;
        const b = r.offerOk(V, { fabric: 2, peer: 9n }).id;
        const c = r.solicitOk({ videoStreams: [VIDEO] }, { fabric: 1, peer: 10n }).id;
        r.sessions(0, [a, b, c]);
        r.sessions(1, [a, c]);
        r.sessions(2, [b]);
        r.sessions(3, []);
    });
    def("fabric isolation: another fabric's session is NOT_FOUND for every command", S, r => {
        const b = r.offerOk(V, { fabric: 2 }).id;
        r.refuse(Cmd.EndSession, endTlv(b), Status.NotFound, 1);
        r.refuse(Cmd.ProvideOffer, offerTlv({ webRtcSessionId: b }), Status.NotFound, 1);
        r.refuse(Cmd.ProvideAnswer, answerTlv(b), Status.NotFound, 1);
        r.refuse(Cmd.ProvideIceCandidates, iceTlv(b, [{ candidate: "c", sdpMid: "0", sdpmLineIndex: 0 }]), Status.NotFound, 1);
        r.refuse(Cmd.EndSession, endTlv(b), Status.NotFound, 2, PEER + 1n);
        r.end(b, 2);
    });
    def("CurrentSessions: a slot freed in the middle is reused but the new row goes last", S, r => {
        const ids = r.fill();
        r.end(ids[0]!);
        const fresh = r.offerOk(V).id;
        r.sessions(0, [...ids.slice(1), fresh]);
    });
    def("CurrentSessions: rows decode with every field matching sessions()", S, r => {
        r.solicitOk({ ...V, originatingEndpointId: 3, metadataEnabled: true }, { fabric: 4, peer: 0xffff_ffff_ffff_fff0n });
        r.offerOk({ videoStreams: [VIDEO], streamUsage: StreamUsage.Recording }, { fabric: 5, peer: 1n });
        r.sessions(0);
        r.sessions(4);
        r.sessions(5);
        r.state();
    });

    def("capacity (TC 2.12): the over-capacity SolicitOffer is answered SUCCESS and ended with End(OutOfResources)", S, r => {
        r.fill();
        r.events();
        r.state();
        const d = r.cmd(Cmd.SolicitOffer, solicitTlv({ ...V, originatingEndpointId: 7 }), { want: { status: 0, action: Action.Respond } });
        const resp = schemas.solicitResp.decode(d.response!) as Record<string, unknown>;
        if (canonical(resp) !== canonical({ webRtcSessionId: d.sessionId, deferredOffer: false, videoStreamId: VIDEO, audioStreamId: AUDIO })) r.fail(`over-capacity response ${canonical(resp)}`);
        r.state();
        r.session(d.sessionId, null);
        r.events([[EV.endQueued, d.sessionId, EndReason.OutOfResources, 0]]);
        r.raw("endPendingCount", [], 1);
        r.commitSolicit(d.sessionId, false, 0, Status.NotFound);
        const out = r.snapEnd(d.sessionId);
        if (out.command !== 3 || out.endpoint !== 7 || out.peer !== PEER.toString() || out.fabric !== FABRIC) r.fail("over-capacity End addressing");
        r.raw("endPendingCount", [], 0);
        r.snapEnd(d.sessionId, Status.NotFound);
    });
    def("capacity: the over-capacity response follows the echo rule", S, r => {
        r.fill();
        const d = r.cmd(Cmd.SolicitOffer, solicitTlv({ videoStreams: [VIDEO] }), { want: { status: 0, action: Action.Respond } });
        if (Object.keys(schemas.solicitResp.decode(d.response!) as object).length !== 2) r.fail("echo at capacity");
        r.snapEnd(d.sessionId);
    });
    def("capacity: a bad request at capacity still gets its own status", S, r => {
        r.fill();
        r.refuse(Cmd.SolicitOffer, solicitTlv({ videoStreams: [9999] }), Status.DynamicConstraintError);
        r.refuse(Cmd.SolicitOffer, solicitTlv({}), Status.InvalidCommand);
    });
    def("capacity: every pending-End record taken → RESOURCE_EXHAUSTED", S, r => {
        r.fill();
        const overflow: number[] = [];
        for (let n = 0; n < r.caps.pendingEnds; n++) overflow.push(r.decided(Cmd.SolicitOffer, solicitTlv(V), Action.Respond).sessionId);
        if (new Set(overflow).size !== r.caps.pendingEnds) r.fail("distinct ids");
        r.refuse(Cmd.SolicitOffer, solicitTlv(V), Status.ResourceExhausted);
        r.snapEnd(overflow[0]!);
        r.decided(Cmd.SolicitOffer, solicitTlv(V), Action.Respond);
        for (const id of overflow.slice(1)) r.snapEnd(id);
        r.events();
    });
    def("capacity: a reserved row counts against capacity", S, r => {
        while (r.core.sessions().length < r.caps.sessions - 1) r.solicitOk(V);
        const d = r.decided(Cmd.SolicitOffer, solicitTlv(V), Action.Hook);
        const o = r.decided(Cmd.SolicitOffer, solicitTlv(V), Action.Respond);
        r.commitSolicit(d.sessionId);
        r.snapEnd(o.sessionId);
    });

    def("commit: a reserved row is invisible until its commit", S, r => {
        r.solicitOk(V, { fabric: 2 });
        r.events();
        r.state();
        const d = r.decided(Cmd.SolicitOffer, solicitTlv(V), Action.Hook);
        r.state();
        r.session(d.sessionId, null);
        r.selfCheck(false, 0);
        if (r.selfCheck(true) === 0) r.fail("reserved row is quiescent");
        r.events([]);
        r.commitSolicit(d.sessionId, true, 0);
        r.raw("streamRefs", [StreamKind.Video, VIDEO], 2);
        r.events([[EV.added, d.sessionId, 0, 0]]);
        r.commitSolicit(d.sessionId, true, 0, Status.NotFound);
    });
    for (const command of [Cmd.SolicitOffer, Cmd.ProvideOffer]) {
        def(`commit: abortPending (command ${command}) leaves the table as it was`, S, r => {
            r.offerOk(V, { fabric: 2 });
            r.events();
            r.state();
            const d = r.decided(command, command === Cmd.SolicitOffer ? solicitTlv(V) : offerTlv(V), Action.Hook);
            r.abort(d.sessionId);
            r.state();
            r.raw("nextId", [], d.sessionId + 1);
            r.commitSolicit(d.sessionId, false, 0, Status.NotFound);
            r.commitOffer(d.sessionId, Status.NotFound);
            r.abort(d.sessionId, Status.NotFound);
        });
    }
    def("commit: abortPending of a live row with nothing pending → INVALID_IN_STATE", S, r => {
        const id = r.offerOk(V).id;
        r.abort(id, Status.InvalidInState);
        r.state();
    });
    def("commit: rows go live in commit order", S, r => {
        const a = r.decided(Cmd.SolicitOffer, solicitTlv(V), Action.Hook).sessionId;
        const b = r.decided(Cmd.ProvideOffer, offerTlv(V), Action.Hook).sessionId;
        r.commitOffer(b);
        r.commitSolicit(a);
        r.sessions(0, [b, a]);
    });

    def("streams: references +1 per session, −1 on end; removal refused while referenced", S, r => {
        const a = r.solicitOk(V).id;
        const b = r.offerOk({ videoStreams: [VIDEO] }).id;
        r.state();
        r.removeStream(StreamKind.Video, VIDEO, Status.InvalidInState);
        r.removeStream(StreamKind.Audio, AUDIO, Status.InvalidInState);
        r.end(a);
        r.raw("streamRefs", [StreamKind.Video, VIDEO], 1);
        r.removeStream(StreamKind.Audio, AUDIO, Status.Success);
        r.raw("streamRefs", [StreamKind.Audio, AUDIO], -1);
        r.end(b);
        r.removeStream(StreamKind.Video, VIDEO, Status.Success);
        r.removeStream(StreamKind.Video, VIDEO, Status.NotFound);
    });
    def("streams: takeReferenceChanges reports every count once after a change", S, r => {
        r.refs(null);
        const a = r.solicitOk(V).id;
        r.refs([[StreamKind.Video, VIDEO, 1], [StreamKind.Audio, AUDIO, 1]]);
        r.refs(null);
        r.end(a);
        r.refs([[StreamKind.Video, VIDEO, 0], [StreamKind.Audio, AUDIO, 0]]);
    });
    def("streams: a stream a reserved row or staged re-offer will use cannot be removed", S, r => {
        r.addStream(StreamKind.Video, 7, StreamUsage.Recording);
        const d = r.decided(Cmd.ProvideOffer, offerTlv({ videoStreams: [7] }), Action.Hook).sessionId;
        r.removeStream(StreamKind.Video, 7, Status.InvalidInState);
        r.commitOffer(d);
        r.addStream(StreamKind.Video, 8, StreamUsage.Recording);
        r.decided(Cmd.ProvideOffer, offerTlv({ webRtcSessionId: d, videoStreams: [8] }), Action.Hook);
        r.removeStream(StreamKind.Video, 8, Status.InvalidInState);
        r.commitOffer(d);
        r.session(d, { video: [8] });
        r.removeStream(StreamKind.Video, 7, Status.Success);
    });
    def("streams: the registry's duplicates, bounds and capacity; a refused priority list keeps the old one", S, r => {
        r.addStream(StreamKind.Video, VIDEO, StreamUsage.LiveView, Status.AlreadyExists);
        r.addStream(StreamKind.Video, 9, 4, Status.ConstraintError);
        r.addStream(2, 9, StreamUsage.LiveView, Status.ConstraintError);
        for (let n = 1; n < r.caps.streamsPerKind; n++) r.addStream(StreamKind.Video, 100 + n, StreamUsage.Recording);
        r.addStream(StreamKind.Video, 999, StreamUsage.Recording, Status.ResourceExhausted);
        r.priorities([StreamUsage.LiveView, StreamUsage.LiveView], Status.AlreadyExists);
        r.priorities([4], Status.ConstraintError);
        r.priorities([0, 1, 2, 3, 3], Status.ConstraintError);
        r.refuse(Cmd.SolicitOffer, solicitTlv({ ...V, streamUsage: StreamUsage.Internal }), Status.DynamicConstraintError);
        r.solicitOk(V);
        r.state();
    });

    def("privacy at run time: soft livestream ends LiveView sessions with End(PrivacyMode)", S, r => {
        const live = r.solicitOk({ ...V, originatingEndpointId: 4 }, { fabric: 2, peer: 5n }).id;
        const rec = r.offerOk({ ...V, streamUsage: StreamUsage.Recording }).id;
        r.events();
        r.privacy(false, false, true, 1);
        r.sessions(0, [rec]);
        r.raw("streamRefs", [StreamKind.Video, VIDEO], 1);
        r.events([[EV.removed, live, EndReason.PrivacyMode, CAUSE.provider], [EV.endQueued, live, EndReason.PrivacyMode, 0]]);
        const out = r.snapEnd(live);
        if (out.fabric !== 2 || out.peer !== "5" || out.endpoint !== 4) r.fail("privacy End addressing");
    });
    def("privacy at run time: soft recording ends Recording/Analysis; hard ends the rest", S, r => {
        r.priorities([StreamUsage.LiveView, StreamUsage.Recording, StreamUsage.Analysis]);
        const live = r.offerOk(V).id;
        const rec = r.offerOk({ ...V, streamUsage: StreamUsage.Recording }).id;
        const ana = r.solicitOk({ ...V, streamUsage: StreamUsage.Analysis }).id;
        r.privacy(false, true, false, 2);
        r.sessions(0, [live]);
        r.raw("endPendingCount", [], 2);
        r.privacy(false, true, false, 0);
        r.privacy(true, false, false, 1);
        r.sessions(0, []);
        r.raw("streamRefs", [StreamKind.Video, VIDEO], 0);
        for (const id of [rec, ana, live]) r.snapEnd(id);
        r.privacy(false, false, false, 0);
    });
    def("privacy at run time: a reserved row privacy now forbids is dropped", S, r => {
        r.state();
        const d = r.decided(Cmd.SolicitOffer, solicitTlv(V), Action.Hook).sessionId;
        r.privacy(false, false, true, 0);
        r.commitSolicit(d, false, 0, Status.NotFound);
        r.state();
    });

    def("fabric removal: purges rows and pending Ends of that fabric only", S, r => {
        const a = r.solicitOk(V, { fabric: 1 }).id;
        const b = r.offerOk(V, { fabric: 2 }).id;
        const c = r.offerOk(V, { fabric: 1, peer: 3n }).id;
        r.endByProvider(c, EndReason.MediaTimeout);
        r.endByProvider(b, EndReason.LowPower);
        const b2 = r.offerOk(V, { fabric: 2 }).id;
        r.events();
        r.removeFabric(1, 1);
        r.events([[EV.removed, a, EndReason.UnknownReason, CAUSE.fabric]]);
        r.sessions(0, [b2]);
        r.sessions(1, []);
        r.raw("streamRefs", [StreamKind.Video, VIDEO], 1);
        r.raw("endPendingCount", [], 1);
        r.snapEnd(c, Status.NotFound);
        r.snapEnd(b);
        r.removeFabric(1, 0);
        r.removeFabric(9, 0);
    });
    def("fabric removal: purges a reserved row of that fabric", S, r => {
        const d = r.decided(Cmd.ProvideOffer, offerTlv(V), Action.Hook, 3, PEER).sessionId;
        r.removeFabric(3, 1);
        r.commitOffer(d, Status.NotFound);
        r.events([]);
    });
    def("fabric removal: drops the fabric's over-capacity Ends", S, r => {
        r.fill();
        const o = r.decided(Cmd.SolicitOffer, solicitTlv(V), Action.Respond, 6, PEER).sessionId;
        r.raw("endPendingCount", [], 1);
        r.removeFabric(6, 0);
        r.raw("endPendingCount", [], 0);
        r.snapEnd(o, Status.NotFound);
    });

    def("provider ends: endByProvider removes the row, releases streams, queues End", S, r => {
        const id = r.offerOk({ ...V, originatingEndpointId: 12 }, { fabric: 4, peer: 44n }).id;
        r.events();
        r.endByProvider(id, EndReason.IceFailed);
        r.session(id, null);
        r.raw("streamRefs", [StreamKind.Audio, AUDIO], 0);
        r.events([[EV.removed, id, EndReason.IceFailed, CAUSE.provider], [EV.endQueued, id, EndReason.IceFailed, 0]]);
        const out = r.snapEnd(id);
        if (out.fabric !== 4 || out.peer !== "44" || out.endpoint !== 12) r.fail("End addressing");
    });
    def("provider ends: a bad reason or a session not live is refused, changing nothing", S, r => {
        const id = r.offerOk(V).id;
        const d = r.decided(Cmd.SolicitOffer, solicitTlv(V), Action.Hook).sessionId;
        r.state();
        r.endByProvider(id, 13, Status.ConstraintError);
        r.endByProvider(id, -1, Status.ConstraintError);
        r.endByProvider(id + 100, EndReason.UserHangup, Status.NotFound);
        r.endByProvider(d, EndReason.UserHangup, Status.NotFound);
        r.state();
        r.abort(d);
    });

    def("watchdog (TC 2.11): a deferred Offer not made within 30 s ends with End(InviteTimeout)", S, r => {
        const id = r.solicitOk(V, { deferred: true, now: 100 }).id;
        r.events();
        r.expire(129, 0);
        r.session(id, { state: "awaiting-deferred-offer" });
        r.expire(130, 1);
        r.session(id, null);
        r.raw("streamRefs", [StreamKind.Video, VIDEO], 0);
        r.events([[EV.removed, id, EndReason.InviteTimeout, CAUSE.provider], [EV.endQueued, id, EndReason.InviteTimeout, 0]]);
        r.snapEnd(id);
    });
    def("watchdog: a non-deferred SolicitOffer owes its Offer too", S, r => {
        const id = r.solicitOk(V, { deferred: false, now: 5 }).id;
        r.expire(34, 0);
        r.expire(35, 1);
        r.snapEnd(id);
    });
    def("watchdog: an Offer snapshot clears the deadline", S, r => {
        const id = r.solicitOk(V, { deferred: true, now: 100 }).id;
        r.snapOffer(id, SDP);
        r.expire(10_000, 0);
        r.session(id, { state: "awaiting-answer" });
    });
    def("watchdog: ProvideOffer sessions never expire; only the overdue one goes", S, r => {
        const po = r.offerOk(V).id;
        const early = r.solicitOk(V, { deferred: true, now: 0 }).id;
        const late = r.solicitOk({ videoStreams: [VIDEO] }, { deferred: true, now: 20 }).id;
        r.expire(40, 1);
        r.sessions(0, [po, late]);
        r.expire(50, 1);
        r.sessions(0, [po]);
        r.expire(1_000_000, 0);
        r.snapEnd(early);
        r.snapEnd(late);
    });
    def("watchdog: the deadline survives the 32-bit clock wrapping", S, r => {
        const t = 0xffff_fff0;
        const id = r.solicitOk(V, { deferred: true, now: t }).id;
        r.expire(t + 29 - 2 ** 32, 0);
        r.expire(t + 30 - 2 ** 32, 1);
        r.snapEnd(id);
    });
    def("events: takeEvents drains", S, r => {
        const id = r.solicitOk(V).id;
        r.offerOk({ webRtcSessionId: id });
        r.events([[EV.added, id, 0, 0], [EV.updated, id, 0, 0]]);
        r.events([]);
    });
    def("reset returns to the state right after instantiation", S, r => {
        r.solicitOk(V);
        r.fill();
        r.decided(Cmd.SolicitOffer, solicitTlv(V), Action.Respond);
        r.privacy(false, true, false);
        r.reset();
        r.state();
        r.events([]);
        r.defaultStreams();
        if (r.solicitOk({ ...V, streamUsage: StreamUsage.Recording }).id !== 1) r.fail("id after reset");
    });
}

// ── outbound snapshots (outbound.test.ts) ────────────────────────────────────────────────────
function outboundCases(): void {
    const O = outbound;
    const mk = (i: number, sdpMid: string | null = "0", sdpMLineIndex: number | null = 0) => ({
        candidate: `candidate:${i} 1 udp 2122260223 10.0.0.${i % 250} ${40000 + i} typ host`,
        sdpMid,
        sdpMLineIndex,
    });
    def("Offer: snapOffer encodes Offer {id, sdp} to the session's endpoint; then awaits the answer", O, (r, { solicited }) => {
        const out = r.snapOffer(solicited, SDP);
        if (out.command !== 0 || out.fabric !== FABRIC || out.peer !== PEER.toString() || out.endpoint !== 3) r.fail("Offer addressing");
        r.session(solicited, { state: "awaiting-answer" });
    });
    def("Answer: snapAnswer encodes Answer {id, sdp} for an established session (TC 2.17)", O, (r, { offered }) => {
        const out = r.snapAnswer(offered, "v=0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
        if (out.command !== 1 || out.fabric !== 2 || out.peer !== "77" || out.endpoint !== 6) r.fail("Answer addressing");
    });
    def("Offer: the Offer may be re-snapped while awaited; an Answer only for established sessions", O, (r, { solicited, offered }) => {
        r.snapAnswer(solicited, SDP, Status.InvalidInState);
        r.snapOffer(solicited, SDP);
        r.snapOffer(solicited, SDP);
        r.snapOffer(offered, SDP, Status.InvalidInState);
    });
    def("Offer/Answer: unknown or reserved session → NOT_FOUND, no stale snapshot", O, (r, { solicited }) => {
        r.snapOffer(solicited, SDP);
        r.snapOffer(999, SDP, Status.NotFound);
        r.snapAnswer(999, SDP, Status.NotFound);
        const d = r.decided(Cmd.ProvideOffer, offerTlv(V), Action.Hook).sessionId;
        r.snapAnswer(d, SDP, Status.NotFound);
        r.abort(d);
    });
    def("Offer/Answer: an SDP longer than the stage → RESOURCE_EXHAUSTED; exactly the stage fits", O, (r, { solicited, offered }) => {
        const stage = r.raw("stageCap", [], Math.min(r.caps.sdpLen, r.caps.outLen - 18));
        r.state();
        r.snapAnswer(offered, "a".repeat(stage + 1), Status.ResourceExhausted);
        r.snapOffer(solicited, "é".repeat(stage / 2) + "a", Status.ResourceExhausted);
        r.state();
        r.session(solicited, { state: "awaiting-deferred-offer" });
        r.snapAnswer(offered, "a".repeat(stage));
        r.snapOffer(solicited, "é".repeat(stage / 2));
    });
    def("Answer: short and multi-byte SDPs round-trip", O, (r, { offered }) => {
        for (const sdp of ["", "v=0", "v=0\r\ns=caméra ☃ 📷\r\n", "x".repeat(255), "x".repeat(256)]) r.snapAnswer(offered, sdp);
    });
    def("Answer: a re-offer is answered with the same id (TC 1.2)", O, (r, { offered }) => {
        r.decided(Cmd.ProvideOffer, offerTlv({ webRtcSessionId: offered }), Action.Hook, 2, 77n);
        r.commitOffer(offered);
        r.snapAnswer(offered, SDP);
    });
    def("End: snapEnd encodes End {id, reason} once; the record is released", O, (r, { offered }) => {
        r.endByProvider(offered, EndReason.MediaTimeout);
        const out = r.snapEnd(offered);
        if (out.command !== 3 || out.fabric !== 2 || out.peer !== "77" || out.endpoint !== 6) r.fail("End addressing");
        r.snapEnd(offered, Status.NotFound);
        r.snapEnd(0, Status.NotFound);
    });
    def("End: a live session has no End to snap", O, (r, { solicited }) => r.snapEnd(solicited, Status.NotFound));
    def("ICE: SDPMid / SDPMLineIndex and their null forms, in admission order", O, (r, { solicited }) => {
        const list = [mk(1, "0", 0), mk(2, null, null), mk(3, "video", 300), mk(4, "audio", null), mk(5, null, 65534)];
        r.admit(solicited, mk(6, "0", 65535), "too-long");
        r.raw("candAdmit", [solicited, 1, 1, 0xffff], Status.ConstraintError);
        for (const c of list) r.admit(solicited, c, "accepted");
        r.raw("candPending", [solicited], list.length);
        const out = r.snapIce(solicited);
        const ice = schemas.rIce.decode(unpackHex(out.bytes)) as { iceCandidates: CandidateW[] };
        if (canonical(ice.iceCandidates) !== canonical(list.map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpmLineIndex: c.sdpMLineIndex })))) r.fail("ICE batch");
        if (out.endpoint !== 3 || !toHex(unpackHex(out.bytes)).includes("34013402")) r.fail("ICE null forms / addressing");
        r.raw("candPending", [solicited], 0);
    });
    def("ICE: nothing waiting → SUCCESS with an empty snapshot; unknown → NOT_FOUND", O, (r, { solicited }) => {
        const out = r.snapIce(solicited);
        if (unpackHex(out.bytes).length !== 0) r.fail("empty batch");
        r.snapIce(999, Status.NotFound);
    });
    def("ICE admission: no-session, too-long, exactly candLen/midLen accepted", O, (r, { solicited }) => {
        const { candLen, midLen } = r.caps;
        r.admit(999, mk(1), "no-session");
        const d = r.decided(Cmd.SolicitOffer, solicitTlv(V), Action.Hook).sessionId;
        r.admit(d, mk(1), "no-session");
        r.abort(d);
        r.admit(solicited, { candidate: "c".repeat(candLen + 1), sdpMid: "0", sdpMLineIndex: 0 }, "too-long");
        r.admit(solicited, { candidate: "é".repeat(candLen / 2) + "c", sdpMid: "0", sdpMLineIndex: 0 }, "too-long");
        r.admit(solicited, { candidate: "c", sdpMid: "m".repeat(midLen + 1), sdpMLineIndex: 0 }, "too-long");
        r.raw("candPending", [solicited], 0);
        r.admit(solicited, { candidate: "c".repeat(candLen), sdpMid: "m".repeat(midLen), sdpMLineIndex: 1 }, "accepted");
        if (r.drain(solicited).flatMap(b => b.candidates).length !== 1) r.fail("exact candidate");
    });
    def("ICE: a full pool answers full; the candidate is admitted after the next batch", O, (r, { solicited, offered }) => {
        const max = r.caps.maxCand;
        const all = Array.from({ length: max + 3 }, (_, i) => mk(i));
        for (let i = 0; i < max; i++) r.admit(solicited, all[i]!, "accepted");
        r.raw("candFreeSlots", [], 0);
        r.admit(solicited, all[max]!, "full");
        r.admit(offered, all[max]!, "full");
        const delivered = r.drain(solicited).flatMap(b => b.candidates);
        for (let i = max; i < all.length; i++) r.admit(solicited, all[i]!, "accepted");
        delivered.push(...r.drain(solicited).flatMap(b => b.candidates));
        if (canonical(delivered.map(c => c.candidate)) !== canonical(all.map(c => c.candidate))) r.fail("candidates lost or reordered");
    });
    def("ICE batches: candidates beyond one OUT buffer wait for the next batch, none dropped", O, (r, { solicited }) => {
        const { candLen, midLen, maxCand, outLen } = r.caps;
        const all = Array.from({ length: maxCand }, (_, i) => ({
            candidate: `candidate:${i} `.padEnd(candLen, "x"),
            sdpMid: `${i}`.padEnd(midLen, "m"),
            sdpMLineIndex: 300 + i,
        }));
        for (const c of all) r.admit(solicited, c, "accepted");
        const per = 2 + (2 + 2 + candLen) + (2 + 1 + midLen) + 4;
        const head = 1 + 3 + 2;
        const perBatch = Math.floor((outLen - head - 2) / per);
        const batches = r.drain(solicited);
        if (batches.length !== Math.ceil(maxCand / perBatch)) r.fail(`batches ${batches.length}`);
        for (const b of batches) if (b.bytes !== head + b.candidates.length * per + 2 || b.bytes > outLen) r.fail("batch size");
        if (batches.flatMap(b => b.candidates).length !== maxCand) r.fail("candidates lost");
        r.raw("candFreeSlots", [], maxCand);
    });
    def("ICE: the pool is shared, a snapshot takes one session's candidates", O, (r, { solicited, offered }) => {
        r.admit(solicited, mk(1), "accepted");
        r.admit(offered, mk(3, null, null), "accepted");
        r.admit(solicited, mk(2), "accepted");
        const out = r.snapIce(offered);
        if (out.fabric !== 2 || out.peer !== "77" || out.endpoint !== 6) r.fail("ICE addressing");
        r.raw("candPending", [solicited], 2);
        if (r.drain(solicited).flatMap(b => b.candidates).length !== 2) r.fail("shared pool");
    });
    def("ICE: snapIce changes no session state; a provider end drops waiting candidates", O, (r, { solicited, offered }) => {
        r.admit(solicited, mk(1), "accepted");
        r.state();
        r.snapIce(solicited);
        r.state();
        r.admit(offered, mk(1), "accepted");
        r.endByProvider(offered, EndReason.IceFailed);
        r.raw("candPending", [offered], 0);
        r.snapIce(offered, Status.NotFound);
        r.raw("candFreeSlots", [], r.caps.maxCand);
        r.snapEnd(offered);
    });
}

// ── malformed input (malformed.test.ts) ──────────────────────────────────────────────────────
function malformedCases(): void {
    const M = malformedFx;
    const S = (members: string) => hex(`15 ${members} 18`);
    const withMember = (payload: Uint8Array, member: string) => concat(payload.subarray(0, payload.length - 1), hex(member), hex("18"));
    const corrupt = (payload: Uint8Array, marker: string, bytes: string) => {
        const m = toHex(new TextEncoder().encode(marker));
        const at = toHex(payload).indexOf(m);
        if (at < 0 || at % 2 !== 0) throw new Error(`marker ${marker} not found`);
        const out = payload.slice();
        out.set(hex(bytes), at / 2);
        return out;
    };
    const BAD_UTF8: [string, string][] = [
        ["0xff", "ff414141"], ["lone continuation", "41804141"], ["overlong NUL", "c0804141"], ["overlong 3-byte", "e0808041"],
        ["surrogate", "eda08041"], ["above U+10FFFF", "f4908080"], ["truncated at the end", "414141e2"], ["broken continuation", "e2824141"],
    ];
    const refuse = (r: Rec, command: number, fields: Uint8Array, status: number = Status.InvalidCommand, fabric = FABRIC) =>
        r.refuse(command, fields, status, fabric, PEER);
    const accept = (r: Rec, command: number, fields: Uint8Array) => {
        const d = r.cmd(command, fields, { want: { status: Status.Success } });
        if (d.action === Action.Hook && (command === Cmd.SolicitOffer || command === Cmd.ProvideOffer || command === Cmd.ProvideAnswer)) r.abort(d.sessionId);
        return d;
    };
    /** The five baselines; EndSession last (it ends `sid`, so each baseline case re-creates it). */
    const baselines = (sid: number): [string, number, Uint8Array][] => [
        ["SolicitOffer", Cmd.SolicitOffer, solicitTlv({
            videoStreams: [VIDEO], audioStreams: [AUDIO], metadataEnabled: false, iceTransportPolicy: "all",
            iceServers: [{ urLs: ["stun:a.example:3478", "turn:b"], username: "user", credential: "pw", caid: 3 }, { urLs: ["stun:c"] }],
        })],
        ["ProvideOffer", Cmd.ProvideOffer, offerTlv({ ...V, videoStreamId: null, iceServers: [{ urLs: ["stun:x"] }], iceTransportPolicy: "relay" })],
        ["ProvideAnswer", Cmd.ProvideAnswer, answerTlv(sid, SDP)],
        ["ProvideICECandidates", Cmd.ProvideIceCandidates, iceTlv(sid, [
            { candidate: "candidate:1 1 udp 1 10.0.0.1 5000 typ host", sdpMid: "0", sdpmLineIndex: 0 },
            { candidate: "candidate:2 1 udp 1 10.0.0.2 5000 typ host", sdpMid: null, sdpmLineIndex: null },
        ])],
        ["EndSession", Cmd.EndSession, endTlv(sid, 2)],
    ];
    for (const [name, , ] of baselines(1)) {
        const pick = (sid: number) => baselines(sid).find(b => b[0] === name)!;
        def(`malformed ${name}: the baseline is accepted; truncation at every byte → INVALID_COMMAND`, M, (r, { sid }) => {
            const [, command, payload] = pick(sid);
            r.truncations(command, payload, Status.InvalidCommand);
            r.sessions(0, [sid]);
            accept(r, command, payload);
        });
        def(`malformed ${name}: trailing bytes, a non-struct outer element → INVALID_COMMAND`, M, (r, { sid }) => {
            const [, command, payload] = pick(sid);
            for (const tail of ["18", "0400", "1518", "00"]) refuse(r, command, concat(payload, hex(tail)));
            for (const outer of ["1618", "1718", "0401", "3400", "2c0001411518"]) refuse(r, command, hex(outer));
        });
        def(`malformed ${name}: unknown context fields skipped; nesting 8 ok, 9 refused`, M, (r, ctx) => {
            let sid = ctx.sid;
            const acceptWith = (member: string) => {
                const [, command, payload] = pick(sid);
                accept(r, command, withMember(payload, member));
                if (command === Cmd.EndSession) {
                    // the accepted EndSession ended it: the next baseline needs a live session again
                    sid = r.offerOk(V).id;
                    r.events();
                }
            };
            for (const member of ["2414 07", "3514 2400 01 3601 0401 0402 18 18", "2cff 0161"]) acceptWith(member);
            acceptWith(`3614 ${"16".repeat(7)} ${"18".repeat(8)}`);
            const [, command, payload] = pick(sid);
            refuse(r, command, withMember(payload, `3614 ${"16".repeat(8)} ${"18".repeat(9)}`));
        });
        def(`malformed ${name}: bad TLV inside the command → INVALID_COMMAND`, M, (r, { sid }) => {
            const [, command, payload] = pick(sid);
            for (const member of ["3914", "3f14", "3814", "2e14 ffffff00 41", "2f14 ffffffffffffffff 41", "3514 2400 01", "2714 010203"]) {
                refuse(r, command, withMember(payload, member));
            }
            refuse(r, command, concat(payload.subarray(0, payload.length - 1), hex("3800")));
        });
        def(`malformed ${name}: no accessing fabric → UNSUPPORTED_ACCESS; fabric 255 too`, M, (r, { sid }) => {
            const [, command, payload] = pick(sid);
            refuse(r, command, payload, Status.UnsupportedAccess, 0);
            refuse(r, command, payload, Status.UnsupportedAccess, 255);
        });
        def(`malformed ${name}: a payload past inLen → RESOURCE_EXHAUSTED; exactly inLen decodes`, M, (r, { sid }) => {
            const [, command, payload] = pick(sid);
            const inLen = r.caps.inLen;
            const padded = (total: number) => {
                const pad = total - payload.length - 6;
                return withMember(payload, `3214 ${toHex(Uint8Array.of(pad & 0xff, (pad >> 8) & 0xff, (pad >> 16) & 0xff, 0))} ${"00".repeat(pad)}`);
            };
            refuse(r, command, padded(inLen + 1), Status.ResourceExhausted);
            refuse(r, command, new Uint8Array(inLen + 1000), Status.ResourceExhausted);
            accept(r, command, padded(inLen));
        });
    }

    const U = "240003", EP = "240101", VID = "240201";
    const solicitBad: [string, string][] = [
        ["no StreamUsage", `${EP} ${VID}`], ["no OriginatingEndpointID", `${U} ${VID}`], ["StreamUsage as a string", `2c000133 ${EP} ${VID}`],
        ["StreamUsage signed", `200003 ${EP} ${VID}`], ["StreamUsage above 255", `25002c01 ${EP} ${VID}`], ["StreamUsage null", `3400 ${EP} ${VID}`],
        ["OriginatingEndpointID as a bool", `${U} 2801 ${VID}`], ["OriginatingEndpointID above 65535", `${U} 260170110100 ${VID}`],
        ["VideoStreamID as a string", `${U} ${EP} 2c020131`], ["VideoStreamID above 65535", `${U} ${EP} 260270110100`],
        ["VideoStreamID as a bool", `${U} ${EP} 2902`], ["VideoStreams as a struct", `${U} ${EP} 3508 240001 18`],
        ["VideoStreams as a TLV list", `${U} ${EP} 3708 0401 18`], ["VideoStreams with a tagged entry", `${U} ${EP} 3608 240001 18`],
        ["VideoStreams with a string entry", `${U} ${EP} 3608 0c0131 18`], ["VideoStreams entry above 65535", `${U} ${EP} 3608 0670110100 18`],
        ["AudioStreams with a null entry", `${U} ${EP} 3609 14 18`], ["ICEServers as a struct", `${U} ${EP} ${VID} 3504 18`],
        ["ICEServers with an integer entry", `${U} ${EP} ${VID} 3604 0401 18`], ["an ICE server with a tag", `${U} ${EP} ${VID} 3604 3501 3600 18 18 18`],
        ["an ICE server without URLs", `${U} ${EP} ${VID} 3604 15 2c010175 18 18`], ["URLs as a string", `${U} ${EP} ${VID} 3604 15 2c000161 18 18`],
        ["a URL as an integer", `${U} ${EP} ${VID} 3604 15 3600 0401 18 18 18`], ["a tagged URL", `${U} ${EP} ${VID} 3604 15 3600 2c000161 18 18 18`],
        ["a username as octets", `${U} ${EP} ${VID} 3604 15 3600 18 30010175 18 18`], ["a CAID as a string", `${U} ${EP} ${VID} 3604 15 3600 18 2c030131 18 18`],
        ["URLs twice", `${U} ${EP} ${VID} 3604 15 3600 18 3600 18 18 18`], ["a username twice", `${U} ${EP} ${VID} 3604 15 3600 18 2c010175 2c010175 18 18`],
        ["ICETransportPolicy as octets", `${U} ${EP} ${VID} 300503616c6c`], ["ICETransportPolicy as an integer", `${U} ${EP} ${VID} 240501`],
        ["MetadataEnabled as an integer", `${U} ${EP} ${VID} 240601`], ["StreamUsage twice", `${U} ${U} ${EP} ${VID}`],
        ["VideoStreamID twice", `${U} ${EP} ${VID} ${VID}`], ["VideoStreams twice", `${U} ${EP} 36080401 18 36080401 18`],
        ["MetadataEnabled twice", `${U} ${EP} ${VID} 2806 2806`],
    ];
    def("malformed SolicitOffer fields → INVALID_COMMAND (35 forms); minimal and wide forms accepted", M, r => {
        for (const [, members] of solicitBad) refuse(r, Cmd.SolicitOffer, S(members));
        accept(r, Cmd.SolicitOffer, S(`${U} ${EP} ${VID}`));
        accept(r, Cmd.SolicitOffer, S(`26000300 0000 2701 0100000000000000 2502 0100`));
    });
    for (const [name, bytes] of BAD_UTF8) {
        def(`malformed UTF-8 (${name}) in ICE URL / username / credential / policy → INVALID_COMMAND`, M, r => {
            const q = (marker: string) => solicitTlv({
                ...V, iceTransportPolicy: marker === "PPPP" ? "PPPP" : "all",
                iceServers: [{ urLs: ["stun:a", marker === "UUUU" ? "UUUU" : "stun:b"], username: marker === "NNNN" ? "NNNN" : "n", credential: marker === "CCCC" ? "CCCC" : "c" }],
            });
            for (const marker of ["UUUU", "NNNN", "CCCC", "PPPP"]) {
                accept(r, Cmd.SolicitOffer, q(marker));
                refuse(r, Cmd.SolicitOffer, corrupt(q(marker), marker, bytes));
            }
        });
        def(`malformed UTF-8 (${name}) in an SDP, a candidate or an SDPMid → INVALID_COMMAND`, M, (r, { sid }) => {
            const payload = offerTlv({ ...V, sdp: "v=0\r\ns=SSSS\r\n" });
            accept(r, Cmd.ProvideOffer, payload);
            refuse(r, Cmd.ProvideOffer, corrupt(payload, "SSSS", bytes));
            refuse(r, Cmd.ProvideOffer, corrupt(offerTlv({ webRtcSessionId: sid, sdp: "SSSS" }), "SSSS", bytes));
            refuse(r, Cmd.ProvideAnswer, corrupt(answerTlv(sid, "v=0 SSSS"), "SSSS", bytes));
            refuse(r, Cmd.ProvideIceCandidates, corrupt(iceTlv(sid, [{ candidate: "candidate:KKKK", sdpMid: "0", sdpmLineIndex: 0 }]), "KKKK", bytes));
            refuse(r, Cmd.ProvideIceCandidates, corrupt(iceTlv(sid, [{ candidate: "c", sdpMid: "MMMM", sdpmLineIndex: 0 }]), "MMMM", bytes));
        });
    }
    const NUL = "3400", SDPF = "2c0103763d30";
    const offerBad: [string, string][] = [
        ["no WebRTCSessionID", `${SDPF} 240203 240301 240401`], ["no SDP", `${NUL} 240203 240301 240401`],
        ["new without StreamUsage", `${NUL} ${SDPF} 240301 240401`], ["new without OriginatingEndpointID", `${NUL} ${SDPF} 240203 240401`],
        ["WebRTCSessionID as a string", `2c000131 ${SDPF} 240203 240301 240401`], ["WebRTCSessionID as a bool", `2800 ${SDPF} 240203 240301 240401`],
        ["WebRTCSessionID above 65535", `260070110100 ${SDPF} 240203 240301 240401`], ["WebRTCSessionID signed", `200001 ${SDPF}`],
        ["SDP as octets", `${NUL} 300103763d30 240203 240301 240401`], ["SDP as an integer", `${NUL} 240105 240203 240301 240401`],
        ["SDP null", `${NUL} 3401 240203 240301 240401`], ["SDP twice", `${NUL} ${SDPF} ${SDPF} 240203 240301 240401`],
        ["WebRTCSessionID twice", `${NUL} ${NUL} ${SDPF} 240203 240301 240401`], ["StreamUsage as a string", `${NUL} ${SDPF} 2c020133 240301 240401`],
        ["VideoStreams as a struct", `${NUL} ${SDPF} 240203 240301 350a 18`],
    ];
    def("malformed ProvideOffer fields → INVALID_COMMAND (15 forms); minimal new and re-offer accepted", M, (r, { sid }) => {
        for (const [, members] of offerBad) refuse(r, Cmd.ProvideOffer, S(members));
        accept(r, Cmd.ProvideOffer, S(`${NUL} ${SDPF} 240203 240301 240401`));
        accept(r, Cmd.ProvideOffer, S(`2400${sid.toString(16).padStart(2, "0")} ${SDPF}`));
    });
    def("malformed ProvideAnswer fields → INVALID_COMMAND", M, (r, { sid }) => {
        const id = `2400${sid.toString(16).padStart(2, "0")}`;
        for (const m of [SDPF, id, `3400 ${SDPF}`, `2c000131 ${SDPF}`, `${id} 300103763d30`, `${id} 3401`, `${id} ${id} ${SDPF}`, `${id} ${SDPF} ${SDPF}`]) {
            refuse(r, Cmd.ProvideAnswer, S(m));
        }
    });
    def("malformed ProvideICECandidates fields → INVALID_COMMAND; the minimal form accepted", M, (r, { sid }) => {
        const i = `2400${sid.toString(16).padStart(2, "0")}`;
        const C = "15 2c000161 3401 3402 18";
        const bad = [
            `3601 ${C} 18`, i, `3400 3601 ${C} 18`, `${i} 3501 18`, `${i} 3601 ${C} 18 3601 ${C} 18`, `${i} 3601 0401 18`,
            `${i} 3601 3501 2c000161 3401 3402 18 18`, `${i} 3601 15 3401 3402 18 18`, `${i} 3601 15 2c000161 3402 18 18`,
            `${i} 3601 15 2c000161 3401 18 18`, `${i} 3601 15 3400 3401 3402 18 18`, `${i} 3601 15 30000161 3401 3402 18 18`,
            `${i} 3601 15 2c000161 30010130 3402 18 18`, `${i} 3601 15 2c000161 240100 3402 18 18`, `${i} 3601 15 2c000161 3401 2c020130 18 18`,
            `${i} 3601 15 2c000161 3401 260270110100 18 18`, `${i} 3601 15 2c000161 3401 3401 3402 18 18`, `${i} 3601 15 2c000161 3401 3402 18`,
        ];
        for (const m of bad) refuse(r, Cmd.ProvideIceCandidates, S(m));
        const d = r.cmd(Cmd.ProvideIceCandidates, S(`${i} 3601 ${C} 18`), { args: true, want: { status: 0, action: Action.Hook } });
        if (canonical(d.args) !== canonical({ candidates: [{ candidate: "a", sdpMid: null, sdpMLineIndex: null }] })) r.fail("minimal candidate");
    });
    def("malformed EndSession fields → INVALID_COMMAND; a wide Reason accepted", M, (r, { sid }) => {
        const id = `2400${sid.toString(16).padStart(2, "0")}`;
        for (const m of ["240102", id, "3400 240102", `${id} 2c010132`, `${id} 3401`, `${id} 200102`, `${id} 25010001`, `${id} 240102 240102`, `${id} ${id} 240102`]) {
            refuse(r, Cmd.EndSession, S(m));
        }
        const d = r.cmd(Cmd.EndSession, S(`${id} 27010200000000000000`), { args: true, want: { status: 0, action: Action.Hook } });
        if ((d.args as { reason: number }).reason !== 2) r.fail("wide reason");
        r.session(sid, null);
    });
    def("admission: a command id the provider does not have → INVALID_COMMAND", M, r => {
        for (const id of [0x01, 0x03, 0x07, 0xff]) r.cmd(id, solicitTlv(V), { want: { status: Status.InvalidCommand } });
    });
    def("admission: a solicit after malformed ones gets the next id in sequence", M, (r, { sid }) => {
        refuse(r, Cmd.SolicitOffer, hex("15"));
        refuse(r, Cmd.SolicitOffer, concat(solicitTlv(V), hex("00")));
        if (r.solicitOk(V).id !== sid + 1) r.fail("id after malformed");
    });
}

// ── generation ───────────────────────────────────────────────────────────────────────────────
async function generateProfile(profile: Profile): Promise<ProfileVectors> {
    const module = await compileCore(profile);
    const fresh = async () => new Core(await instantiateCore(module));
    const probe = await fresh();
    const vectors: ProfileVectors = { profile, capacities: { ...probe.capacities }, fixtures: {}, cases: [] };
    for (const c of CASES) {
        const core = await fresh();
        const r = new Rec(core, () => `[${profile}] ${c.name} (setup)`);
        let ctx: unknown;
        if (c.fixture !== undefined) {
            ctx = c.fixture.build(r);
            const steps = r.steps.splice(0);
            const known = vectors.fixtures[c.fixture.name];
            if (known === undefined) vectors.fixtures[c.fixture.name] = steps;
            else if (canonical(known) !== canonical(steps)) throw new GenError(`[${profile}] fixture ${c.fixture.name} is not deterministic`);
        }
        r.where = () => `[${profile}] ${c.name}`;
        c.body(r, ctx);
        const vc: VectorCase = { name: c.name, ...(c.fixture === undefined ? {} : { setup: c.fixture.name }), steps: r.steps, selfCheck: core.selfCheck(true) };
        if (vc.steps.length === 0) throw new GenError(`[${profile}] ${c.name}: no steps`);
        vectors.cases.push(vc);
    }
    return vectors;
}

/** One case (or fixture) per line, so a regenerated file diffs readably. */
function serialize(suite: VectorSuite): string {
    const lines: string[] = ["{"];
    lines.push(`"format":${JSON.stringify(suite.format)},"version":${suite.version},"generatedBy":${JSON.stringify(suite.generatedBy)},`);
    lines.push(`"profiles":{`);
    const profiles = Object.values(suite.profiles);
    profiles.forEach((p, pi) => {
        lines.push(`${JSON.stringify(p.profile)}:{"profile":${JSON.stringify(p.profile)},"capacities":${JSON.stringify(p.capacities)},"fixtures":{`);
        const fixtures = Object.entries(p.fixtures);
        fixtures.forEach(([name, steps], i) => lines.push(`${JSON.stringify(name)}:${JSON.stringify(steps)}${i < fixtures.length - 1 ? "," : ""}`));
        lines.push(`},"cases":[`);
        p.cases.forEach((c, i) => lines.push(`${JSON.stringify(c)}${i < p.cases.length - 1 ? "," : ""}`));
        lines.push(`]}${pi < profiles.length - 1 ? "," : ""}`);
    });
    lines.push("}}");
    return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
    tlvCases();
    solicitCases();
    provideOfferCases();
    answerIceEndCases();
    sessionCases();
    outboundCases();
    malformedCases();
    const suite: VectorSuite = { format: FORMAT, version: VERSION, generatedBy: "test/vectors/generate.ts", profiles: {} };
    for (const profile of PROFILES) suite.profiles[profile] = await generateProfile(profile);
    const text = serialize(suite);
    JSON.parse(text);
    const file = new URL("./vectors.json", import.meta.url);
    await writeFile(file, text);
    const summary = PROFILES.map(p => {
        const v = suite.profiles[p]!;
        const steps = v.cases.reduce((n, c) => n + c.steps.length, 0);
        return `${p}: ${v.cases.length} cases, ${steps} steps`;
    });
    console.log(`wrote ${file.pathname} (${(text.length / 1024).toFixed(0)} KiB): ${summary.join("; ")}`);
    console.log(
        `matter.js decoded and re-encoded to the same bytes: ${crossChecked.responses} command responses, ` +
            `${crossChecked.currentSessions} CurrentSessions reads, ${crossChecked.snapshots} outbound snapshots`,
    );
}

main().catch((error: unknown) => {
    console.error(error instanceof GenError ? `vector generation failed: ${error.message}` : error);
    process.exitCode = 1;
});
