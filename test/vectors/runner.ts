/**
 * The portable vector runner: replays `vectors.json` (see `format.ts`) against the WASM core and
 * reports `{ passed, failed, failures }` per profile.
 *
 * It uses only the engine's public API (`Core`, `compileCore`, `instantiateCore`; `Core.exports`
 * for the few steps that call a raw export) and ECMAScript / web-standard globals (WebAssembly,
 * TextEncoder/TextDecoder inside `Core`, `performance` when present). No `node:` import, no
 * matter.js, no DOM: the same file runs unchanged in Node, Deno, Bun, workerd and a Web Worker.
 * `execute` is also what `recorder.ts` uses to record the outcomes, so a step means exactly one
 * thing on both sides.
 *
 * What it proves: every runtime instantiates the same three modules through the engine's loader
 * and gets byte-identical responses, CurrentSessions, outbound snapshots and statuses for every
 * core case. Limits: synchronous `Core` calls only (no `WebRtcEngine`, hooks
 * or timers); the first mismatching step ends its case (later steps depend on it); timings come
 * from `performance.now()`, which some runtimes coarsen (Cloudflare's edge advances it only
 * across I/O), so a host should also time the run from outside.
 */

import { Action, Core } from "../../src/engine/core.js";
import { compileCore, instantiateCore, PROFILES, type CoreSource, type Profile } from "../../src/engine/loader.js";
import type { SessionInfo } from "../../src/engine/types.js";
import {
    FORMAT,
    VERSION,
    canonical,
    packHex,
    packText,
    runLength,
    unpackHex,
    unpackText,
    type Expect,
    type OutJson,
    type ProfileVectors,
    type SessionJson,
    type StateJson,
    type Step,
    type StepInput,
    type VectorSuite,
} from "./format.js";

export { Core, compileCore, instantiateCore, PROFILES, type CoreSource, type Profile };
export type { ProfileVectors, VectorSuite };

// ── observing the core ───────────────────────────────────────────────────────────────────────
function sessionJson(s: SessionInfo): SessionJson {
    return {
        id: s.id,
        fabric: s.fabricIndex,
        peer: s.peerNodeId.toString(),
        endpoint: s.peerEndpointId,
        usage: s.streamUsage,
        state: s.state,
        video: s.videoStreams,
        audio: s.audioStreams,
        metadata: s.metadataEnabled,
    };
}

/** Everything a refused command must leave as it was (format.ts `StateJson`). */
export function stateOf(core: Core): StateJson {
    const x = core.exports;
    const streams = (kind: 0 | 1) => core.streams(kind).map(s => [s.id, s.usage, s.references] as [number, number, number]);
    return {
        sessions: core.sessions().map(sessionJson),
        currentSessions: packHex(core.currentSessionsTlv(0)),
        video: streams(0),
        audio: streams(1),
        pendingEnds: x.endPendingCount(),
        freeCandidateSlots: x.candFreeSlots(),
        nextId: x.nextId(),
        events: x.eventCount(),
    };
}

/**
 * The last snapshot. With no snapshot (command -1: a refused snap, or no candidates waiting) only
 * that is recorded: the core leaves the previous snapshot's addressing readable then (and `reset()`
 * does not clear it), which means nothing and is not part of the contract.
 */
function outJson(core: Core): OutJson {
    const s = core.snapshot();
    if (s.command === -1) return { command: -1, bytes: packHex(s.fields) };
    return { command: s.command, sessionId: s.sessionId, fabric: s.fabricIndex, peer: s.peerNodeId.toString(), endpoint: s.endpointId, bytes: packHex(s.fields) };
}

/** What the media hook would be handed for a decided command (read before anything else runs). */
function hookArgs(core: Core, command: number, sessionId: number, fabric: number, peer: bigint): unknown {
    switch (command) {
        case 0x00:
        case 0x02: {
            const p = core.offerParams(sessionId, fabric, peer);
            const params = { ...p, peerNodeId: p.peerNodeId.toString() };
            return command === 0x02 ? { params, sdp: packText(core.sdp()) } : { params };
        }
        case 0x04:
            return { sdp: packText(core.sdp()) };
        case 0x05:
            return {
                candidates: core.candidates().map(c => ({
                    candidate: packText(c.candidate),
                    sdpMid: c.sdpMid === null ? null : packText(c.sdpMid),
                    sdpMLineIndex: c.sdpMLineIndex,
                })),
            };
        case 0x06:
            return { reason: core.endReason() };
        default:
            return null;
    }
}

function writeIn(core: Core, bytes: Uint8Array): void {
    const x = core.exports;
    if (bytes.length > x.inCap()) throw new RangeError(`${bytes.length} bytes do not fit IN (${x.inCap()})`);
    new Uint8Array(x.memory.buffer, x.inPtr() >>> 0, bytes.length).set(bytes);
}

/**
 * Runs one step's input on `core` and returns what it observed, in the shape of the step's
 * `expect`. A `cmd` that was refused (or is marked `unchanged`) but moved the table adds
 * `changed`, one that broke an invariant adds `selfCheck`, and a refusal carrying a session or an
 * action adds `decision`: the recorder refuses all three, so none is ever expected.
 */
export function execute(core: Core, step: StepInput): Expect {
    const x = core.exports;
    switch (step.op) {
        case "addStream":
            return { status: core.addStream(step.kind as 0 | 1, step.id, step.usage as 0) };
        case "removeStream":
            return { status: core.removeStream(step.kind as 0 | 1, step.id) };
        case "priorities":
            return { status: core.setStreamUsagePriorities(step.usages as 0[]) };
        case "privacy":
            return { ended: core.setPrivacy(step.hard, step.softRecording, step.softLivestream) };
        case "utcTimeNull":
            core.setUtcTimeNull(step.value);
            return {};
        case "cmd": {
            const peer = BigInt(step.peer);
            // every refusal must leave the table as it was (DESIGN.md invariant); `unchanged` asks it of a success too
            const before = canonical(stateOf(core));
            const d = core.decide(step.command, unpackHex(step.fields), step.fabric, peer);
            // a refusal is its status alone (Core.decide gives action 0 and id 0 with it)
            const out: Expect = d.status === 0 ? { status: d.status, action: d.action, sessionId: d.sessionId } : { status: d.status };
            if (d.status !== 0 && (d.action !== 0 || d.sessionId !== 0)) out.decision = d;
            if (d.action === Action.Respond) out.response = packHex(core.response());
            if (step.args && d.action === Action.Hook) out.args = hookArgs(core, step.command, d.sessionId, step.fabric, peer);
            if (step.unchanged || d.status !== 0) {
                const after = canonical(stateOf(core));
                if (after !== before) out.changed = { before: JSON.parse(before) as unknown, after: JSON.parse(after) as unknown };
                // a refusal may happen while another command's hook runs: not quiescent
                const check = core.selfCheck(false);
                if (check !== 0) out.selfCheck = check;
            }
            return out;
        }
        case "truncations": {
            const fields = unpackHex(step.fields);
            const peer = BigInt(step.peer);
            const statuses: number[] = [];
            for (let n = 0; n < fields.length; n++) statuses.push(core.decide(step.command, fields.subarray(0, n), step.fabric, peer).status);
            return { statuses: runLength(statuses) };
        }
        case "commitSolicit": {
            const status = core.commitSolicitOffer(step.sessionId, step.deferred, step.now);
            return status === 0 ? { status, response: packHex(core.response()) } : { status };
        }
        case "commitOffer": {
            const status = core.commitProvideOffer(step.sessionId);
            return status === 0 ? { status, response: packHex(core.response()) } : { status };
        }
        case "commitAnswer":
            return { status: core.commitProvideAnswer(step.sessionId) };
        case "abort":
            return { status: core.abortPending(step.sessionId) };
        case "sessions":
            return { tlv: packHex(core.currentSessionsTlv(step.fabric)) };
        case "session": {
            const row = core.session(step.id);
            return { row: row === undefined ? null : sessionJson(row) };
        }
        case "state":
            return stateOf(core) as unknown as Expect;
        case "events": {
            const { events, overflow } = core.takeEvents();
            return { events: events.map(e => [e.kind, e.sessionId, e.reason, e.cause]), overflow };
        }
        case "refs": {
            const changes = core.takeReferenceChanges();
            return { changes: changes === undefined ? null : changes.map(c => [c.kind, c.streamId, c.references]) };
        }
        case "endByProvider":
            return { status: core.endByProvider(step.sessionId, step.reason as 0) };
        case "expire":
            return { ended: core.expireOffers(step.now) };
        case "removeFabric":
            return { removed: core.removeFabric(step.fabric) };
        case "selfCheck":
            return { result: core.selfCheck(step.quiescent) };
        case "reset":
            core.reset();
            return {};
        case "snapOffer":
            return { status: core.snapOffer(step.sessionId, unpackText(step.sdp)), out: outJson(core) };
        case "snapAnswer":
            return { status: core.snapAnswer(step.sessionId, unpackText(step.sdp)), out: outJson(core) };
        case "snapIce":
            return { status: core.snapIce(step.sessionId), out: outJson(core) };
        case "snapEnd":
            return { status: core.snapEnd(step.sessionId), out: outJson(core) };
        case "admit":
            return {
                result: core.admitCandidate(step.sessionId, {
                    candidate: unpackText(step.candidate),
                    sdpMid: step.sdpMid === null ? null : unpackText(step.sdpMid),
                    sdpMLineIndex: step.sdpMLineIndex,
                }),
            };
        case "tlvScan": {
            const bytes = unpackHex(step.bytes);
            writeIn(core, bytes);
            return { result: x.tlvScan(step.len ?? bytes.length) };
        }
        case "tlvCuts": {
            const bytes = unpackHex(step.bytes);
            writeIn(core, bytes);
            const results: number[] = [];
            for (let n = 0; n < bytes.length; n++) results.push(x.tlvScan(n));
            return { results: runLength(results) };
        }
        case "raw": {
            const fn = x[step.fn] as unknown as (...args: number[]) => number | undefined;
            const result = fn.apply(x, step.args);
            return { result: typeof result === "number" ? result : null };
        }
    }
}

// ── running ──────────────────────────────────────────────────────────────────────────────────
export interface Failure {
    case: string;
    /** Index in the fixture + steps sequence; -1: the case's final selfCheck or a load error. */
    step: number;
    op: string;
    message: string;
}

export interface RunResult {
    profile: string;
    passed: number;
    failed: number;
    failures: Failure[];
    steps: number;
    /** FNV-1a (32 bit) of every observation in order: equal digests = byte-identical behaviour. */
    digest: string;
    ms: number;
}

/** A fresh core per case; a plain `Core` is `reset()` between cases instead. */
export type CoreFactory = () => Core | Promise<Core>;

export interface RunOptions {
    /** Failures kept in the result (all are counted). Default 25. */
    maxFailures?: number;
}

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

function fnv1a(hash: number, text: string): number {
    let h = hash;
    for (let i = 0; i < text.length; i++) {
        h ^= text.charCodeAt(i);
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h;
}

function clip(text: string, max = 300): string {
    return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

function inputOf(step: Step): StepInput {
    const { expect: _, ...input } = step;
    return input as StepInput;
}

/** Replays one profile's cases. */
export async function runVectors(source: Core | CoreFactory, vectors: ProfileVectors, options: RunOptions = {}): Promise<RunResult> {
    const started = now();
    const maxFailures = options.maxFailures ?? 25;
    const failures: Failure[] = [];
    let passed = 0;
    let failed = 0;
    let steps = 0;
    let digest = 0x811c9dc5;
    const fail = (f: Failure) => {
        failed++;
        if (failures.length < maxFailures) failures.push(f);
    };
    const fresh = async (): Promise<Core> => {
        if (source instanceof Core) {
            source.reset();
            return source;
        }
        return source();
    };

    let first: Core;
    try {
        first = await fresh();
    } catch (error) {
        fail({ case: "(load)", step: -1, op: "load", message: String(error) });
        return { profile: vectors.profile, passed: 0, failed: vectors.cases.length, failures, steps: 0, digest: "", ms: now() - started };
    }
    const caps = canonical(first.capacities);
    if (caps !== canonical(vectors.capacities)) {
        failures.push({
            case: "(capacities)",
            step: -1,
            op: "capacities",
            message: `the core is not this profile's build (stale build/?): ${caps} ≠ ${canonical(vectors.capacities)}`,
        });
        return { profile: vectors.profile, passed: 0, failed: vectors.cases.length, failures, steps: 0, digest: "", ms: now() - started };
    }

    let pending: Core | undefined = first;
    for (const c of vectors.cases) {
        const core: Core = pending ?? (await fresh());
        pending = undefined;
        const setup = c.setup === undefined ? [] : vectors.fixtures[c.setup];
        if (setup === undefined) {
            fail({ case: c.name, step: -1, op: "setup", message: `the file has no fixture ${String(c.setup)}` });
            continue;
        }
        const all = [...setup, ...c.steps];
        let ok = true;
        for (let i = 0; i < all.length && ok; i++) {
            const step = all[i]!;
            steps++;
            try {
                const actual = canonical(execute(core, inputOf(step)));
                digest = fnv1a(digest, actual);
                const expected = canonical(step.expect);
                if (actual !== expected) {
                    ok = false;
                    fail({ case: c.name, step: i, op: step.op, message: `expected ${clip(expected)}, got ${clip(actual)}` });
                }
            } catch (error) {
                ok = false;
                fail({ case: c.name, step: i, op: step.op, message: `threw ${clip(String(error))}` });
            }
        }
        if (!ok) continue;
        const check = core.selfCheck(true);
        digest = fnv1a(digest, String(check));
        if (check !== c.selfCheck) {
            fail({ case: c.name, step: -1, op: "selfCheck", message: `final selfCheck(true) expected ${c.selfCheck}, got ${check}` });
            continue;
        }
        passed++;
    }
    return { profile: vectors.profile, passed, failed, failures, steps, digest: digest.toString(16).padStart(8, "0"), ms: now() - started };
}

export interface SuiteResult {
    runtime: string;
    passed: number;
    failed: number;
    profiles: Record<string, RunResult>;
}

export interface SuiteOptions extends RunOptions {
    /** Name reported back (node, deno, bun, workerd, chromium-worker, ...). */
    runtime: string;
    /**
     * What the loader is given for a profile: by default the profile name, which the engine's
     * loader resolves next to itself; a Worker deployment passes its `WebAssembly.Module` binding.
     */
    sourceOf?: (profile: Profile) => CoreSource | Promise<CoreSource>;
    /** Only these profiles (default: every profile in the file). */
    profiles?: readonly string[];
}

/** Checks the file's format tag, then runs every profile with a fresh instance per case. */
export async function runSuite(suite: VectorSuite, options: SuiteOptions): Promise<SuiteResult> {
    if (suite.format !== FORMAT || suite.version !== VERSION) {
        throw new Error(`not a ${FORMAT} v${VERSION} file: ${String(suite.format)} v${String(suite.version)}`);
    }
    const result: SuiteResult = { runtime: options.runtime, passed: 0, failed: 0, profiles: {} };
    for (const [name, vectors] of Object.entries(suite.profiles)) {
        if (options.profiles !== undefined && !options.profiles.includes(name)) continue;
        const profile = name as Profile;
        let factory: CoreFactory;
        try {
            const module = await compileCore(options.sourceOf === undefined ? profile : await options.sourceOf(profile));
            factory = async () => new Core(await instantiateCore(module));
        } catch (error) {
            factory = () => {
                throw error;
            };
        }
        const r = await runVectors(factory, vectors, options);
        result.profiles[name] = r;
        result.passed += r.passed;
        result.failed += r.failed;
    }
    return result;
}

/** One line per profile plus the closing "N passed, N failed" line. */
export function formatResult(result: SuiteResult): string {
    const lines = Object.values(result.profiles).map(
        r => `${result.runtime} ${r.profile}: ${r.passed} passed, ${r.failed} failed, ${r.steps} steps, digest ${r.digest}, ${r.ms.toFixed(0)} ms`,
    );
    for (const r of Object.values(result.profiles)) {
        for (const f of r.failures) lines.push(`  FAIL [${r.profile}] ${f.case} — step ${f.step} (${f.op}): ${f.message}`);
    }
    lines.push(`${result.passed} passed, ${result.failed} failed`);
    return lines.join("\n");
}

/** Prefix of the one stdout line that carries a runtime's `SuiteResult` as JSON to its host. */
export const RESULT_MARKER = "@@vectors-result ";

/** `RESULT_MARKER` + the result as one JSON line. */
export function resultLine(result: SuiteResult): string {
    return RESULT_MARKER + JSON.stringify(result);
}
