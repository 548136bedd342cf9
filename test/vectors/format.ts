/**
 * The format of `vectors.json`: the WASM core's cases (written in cases/) as data, one list of
 * cases per build profile, each case a sequence of steps on a fresh core with the outcome the real
 * core gave when the file was generated (`generate.ts`, in Node, checked by `recorder.ts`).
 *
 * This module is shared by the generator (which records steps) and the portable runner (which
 * replays them), so it uses nothing but ECMAScript: no Node, DOM or matter.js APIs.
 *
 * Byte strings (`Hex`) and texts (`Text`) are stored packed: a plain string, or a list of plain
 * parts and `{ fill, n }` runs (a unit of 1–4 bytes or characters repeated n times), so an SDP of 32 KiB or an
 * inbound payload of exactly the IN buffer's size costs a few bytes of JSON. Packing is
 * deterministic (runs covering 64 or more), so a packed observation compares equal to the packed
 * expectation exactly when the bytes are equal.
 *
 * Limits: the format describes synchronous `Core` calls only; the async `WebRtcEngine` (hooks,
 * outbound queue, timers) is not in it, and neither is anything about the Matter transport.
 */

export const FORMAT = "matter-webrtc-provider/core-vectors";
export const VERSION = 1;

/** A repeated unit: 1–4 bytes as hex, or 1–4 characters. */
export interface Run {
    fill: string;
    n: number;
}
/** Bytes as lowercase hex, or hex parts and runs. */
export type Hex = string | (string | Run)[];
/** A string, or string parts and runs. */
export type Text = string | (string | Run)[];

/** What every step ends with: the outcome the generator observed. */
export type Expect = Record<string, unknown>;

/** An outbound snapshot as `Core.snapshot()` gives it (peer as a decimal string); command -1 (none) has no addressing. */
export interface OutJson {
    command: number;
    sessionId?: number;
    fabric?: number;
    peer?: string;
    endpoint?: number;
    bytes: Hex;
}

export interface SessionJson {
    id: number;
    fabric: number;
    peer: string;
    endpoint: number;
    usage: number;
    state: string;
    video: number[];
    audio: number[];
    metadata: boolean;
}

/** Everything a refused command must leave as it was (runner.ts `stateOf`). */
export interface StateJson {
    sessions: SessionJson[];
    currentSessions: Hex;
    /** [id, usage, references] per allocated stream. */
    video: [number, number, number][];
    audio: [number, number, number][];
    pendingEnds: number;
    freeCandidateSlots: number;
    nextId: number;
    events: number;
}

/** Raw exports a step may call directly (numbers in, a number out). */
export const RAW_EXPORTS = [
    "nextId",
    "setNextId",
    "endPendingCount",
    "candFreeSlots",
    "candPending",
    "candAdmit",
    "streamRefs",
    "stageCap",
    "inCap",
    "tlvScan",
    "sessionState",
] as const;
export type RawExport = (typeof RAW_EXPORTS)[number];

/**
 * One step. `expect` holds the outcome; the runner computes the same object from the core it
 * drives and compares the two. Peer node ids are decimal strings (they do not fit a double).
 */
export type Step =
    // ── stream context ──
    | { op: "addStream"; kind: number; id: number; usage: number; expect: { status: number } }
    | { op: "removeStream"; kind: number; id: number; expect: { status: number } }
    | { op: "priorities"; usages: number[]; expect: { status: number } }
    | { op: "privacy"; hard: boolean; softRecording: boolean; softLivestream: boolean; expect: { ended: number } }
    | { op: "utcTimeNull"; value: boolean; expect: Record<string, never> }
    // ── provider commands ──
    | {
          op: "cmd";
          command: number;
          fields: Hex;
          fabric: number;
          peer: string;
          /**
           * The runner checks that a refused command (status ≠ 0) leaves the table (StateJson) as
           * it was; `unchanged` asks the same of a successful one (a duplicate answer, action Done).
           */
          unchanged?: true;
          /** Also compare what the hook would be handed (offerParams / sdp / candidates / reason). */
          args?: true;
          /** A refusal (status ≠ 0) records the status alone. */
          expect: { status: number; action?: number; sessionId?: number; response?: Hex; args?: unknown };
      }
    /** The command cut at every length 0..len-1; `statuses` run-length encodes the statuses. */
    | { op: "truncations"; command: number; fields: Hex; fabric: number; peer: string; expect: { statuses: [number, number][] } }
    | { op: "commitSolicit"; sessionId: number; deferred: boolean; now: number; expect: { status: number; response?: Hex } }
    | { op: "commitOffer"; sessionId: number; expect: { status: number; response?: Hex } }
    | { op: "commitAnswer"; sessionId: number; expect: { status: number } }
    | { op: "abort"; sessionId: number; expect: { status: number } }
    // ── the table ──
    | { op: "sessions"; fabric: number; expect: { tlv: Hex } }
    | { op: "session"; id: number; expect: { row: SessionJson | null } }
    | { op: "state"; expect: StateJson }
    | { op: "events"; expect: { events: [number, number, number, number][]; overflow: boolean } }
    | { op: "refs"; expect: { changes: [number, number, number][] | null } }
    | { op: "endByProvider"; sessionId: number; reason: number; expect: { status: number } }
    | { op: "expire"; now: number; expect: { ended: number } }
    | { op: "removeFabric"; fabric: number; expect: { removed: number } }
    | { op: "selfCheck"; quiescent: boolean; expect: { result: number } }
    | { op: "reset"; expect: Record<string, never> }
    // ── outbound ──
    | { op: "snapOffer"; sessionId: number; sdp: Text; expect: { status: number; out: OutJson } }
    | { op: "snapAnswer"; sessionId: number; sdp: Text; expect: { status: number; out: OutJson } }
    | { op: "snapIce"; sessionId: number; expect: { status: number; out: OutJson } }
    | { op: "snapEnd"; sessionId: number; expect: { status: number; out: OutJson } }
    | {
          op: "admit";
          sessionId: number;
          candidate: Text;
          sdpMid: Text | null;
          sdpMLineIndex: number | null;
          expect: { result: string };
      }
    // ── raw exports ──
    /** Writes `bytes` at IN, then calls tlvScan(len ?? bytes length). */
    | { op: "tlvScan"; bytes: Hex; len?: number; expect: { result: number } }
    /** Writes `bytes` at IN once, then scans every prefix 0..len-1 (the rest stays in memory). */
    | { op: "tlvCuts"; bytes: Hex; expect: { results: [number, number][] } }
    /** A raw export; `result` is null for one that returns nothing (setNextId). */
    | { op: "raw"; fn: RawExport; args: number[]; expect: { result: number | null } };

export type StepOp = Step["op"];
/** A step as the generator writes it before it knows the outcome. */
export type StepInput = Step extends infer S ? (S extends { expect: unknown } ? Omit<S, "expect"> : never) : never;

export interface VectorCase {
    name: string;
    /** A fixture (in `ProfileVectors.fixtures`) run before `steps`, on the same fresh core. */
    setup?: string;
    steps: Step[];
    /** `selfCheck(true)` after the last step (0 when the table's invariants hold and nothing is reserved). */
    selfCheck: number;
}

/** Capacities as `Core.capacities` reports them; the runner refuses a core that differs. */
export type CapacitiesJson = Record<string, number>;

export interface ProfileVectors {
    profile: string;
    capacities: CapacitiesJson;
    fixtures: Record<string, Step[]>;
    cases: VectorCase[];
}

export interface VectorSuite {
    format: typeof FORMAT;
    version: typeof VERSION;
    generatedBy: string;
    /** Cases per profile, by profile name (tiny, default, large). */
    profiles: Record<string, ProfileVectors>;
}

// ── packing ──────────────────────────────────────────────────────────────────────────────────
const MIN_RUN = 64;
const MAX_UNIT = 4;

const HEX_DIGITS = "0123456789abcdef";

export function toHex(bytes: Uint8Array): string {
    let s = "";
    for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i]!;
        s += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
    }
    return s;
}

export function fromHex(text: string): Uint8Array {
    const clean = text.replace(/[\s_]/g, "").toLowerCase();
    if (clean.length % 2 !== 0 || /[^0-9a-f]/.test(clean)) throw new Error(`bad hex: ${text.slice(0, 40)}`);
    const out = new Uint8Array(clean.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
    return out;
}

/**
 * Splits `items` into plain stretches and runs of a repeated unit of 1..MAX_UNIT items covering at
 * least MIN_RUN items (at each position the unit covering most wins, the shorter on a tie; the
 * scan is greedy, left to right).
 */
function packRuns<T>(items: ArrayLike<T>, join: (from: number, to: number) => string): string | (string | Run)[] {
    const parts: (string | Run)[] = [];
    let plainFrom = 0;
    let i = 0;
    const length = items.length;
    while (i < length) {
        let bestK = 0;
        let bestN = 0;
        for (let k = 1; k <= MAX_UNIT && i + 2 * k <= length; k++) {
            let n = 1;
            for (;;) {
                const at = i + n * k;
                if (at + k > length) break;
                let same = true;
                for (let j = 0; j < k && same; j++) same = items[at + j] === items[i + j];
                if (!same) break;
                n++;
            }
            if (n >= 2 && n * k >= MIN_RUN && n * k > bestN * bestK) {
                bestK = k;
                bestN = n;
            }
        }
        if (bestK === 0) {
            i++;
            continue;
        }
        if (i > plainFrom) parts.push(join(plainFrom, i));
        parts.push({ fill: join(i, i + bestK), n: bestN });
        i += bestK * bestN;
        plainFrom = i;
    }
    if (length > plainFrom || parts.length === 0) parts.push(join(plainFrom, length));
    return parts.length === 1 && typeof parts[0] === "string" ? parts[0] : parts;
}

export function packHex(bytes: Uint8Array): Hex {
    return packRuns(bytes, (from, to) => toHex(bytes.subarray(from, to)));
}

/** The byte strings one after another. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
        out.set(c, at);
        at += c.length;
    }
    return out;
}

export function unpackHex(hex: Hex): Uint8Array {
    if (typeof hex === "string") return fromHex(hex);
    return concatBytes(hex.map(p => (typeof p === "string" ? fromHex(p) : fromHex(p.fill.repeat(p.n)))));
}

/** Packs by code point, so a run of "é" or "📷" stays one run. */
export function packText(text: string): Text {
    const chars = Array.from(text);
    return packRuns(chars, (from, to) => chars.slice(from, to).join(""));
}

export function unpackText(text: Text): string {
    return typeof text === "string" ? text : text.map(p => (typeof p === "string" ? p : p.fill.repeat(p.n))).join("");
}

/** Run-length encoding of a list of numbers: [value, count] pairs. */
export function runLength(values: readonly number[]): [number, number][] {
    const out: [number, number][] = [];
    for (const v of values) {
        const last = out[out.length - 1];
        if (last !== undefined && last[0] === v) last[1]++;
        else out.push([v, 1]);
    }
    return out;
}

/** JSON with sorted object keys and BigInts as decimal strings: the runner's equality. */
export function canonical(value: unknown): string {
    if (typeof value === "bigint") return JSON.stringify(value.toString());
    if (value === undefined) return "null";
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}
