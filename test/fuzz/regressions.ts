/**
 * Stored inputs that found bugs in the core (in git history, or by this fuzzer), replayed on every
 * profile: `regressions/*.json`, one case per file, each a sequence of steps on a fresh core with
 * the outcome the fixed core gives.
 *
 * A case names where the bug was found and what it was. Its steps are core calls with their
 * inputs as stored bytes (payloads as hex, never re-encoded) and the expected result: a status and
 * action for a command, a status for a phase 2 or a provider operation, an admission verdict for a
 * local candidate, the snapshot's bytes, or fields of a session, of the hook arguments or of the
 * snapshot addressing (only the fields named are compared). After every step the table's
 * invariants must hold and nothing may trap.
 *
 * Limits: steps are synchronous `Core` calls; engine-level bugs (hooks, queues) are the engine
 * tests' business.
 */

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Core } from "../../src/engine/core.js";
import { statusName } from "../../src/engine/status.js";

export type Step =
    | { op: "streams"; video?: [number, number][]; audio?: [number, number][]; priorities?: number[] }
    | { op: "decide"; command: number; fields: string; fabric?: number; peer?: string; expect: { status: number; action?: number; session?: number } }
    | { op: "commit"; command: number; session: number; deferred?: boolean; now?: number; expect: { status: number } }
    | { op: "abort"; session: number; expect: { status: number } }
    | { op: "removeStream"; kind: number; id: number; expect: { status: number } }
    | { op: "admitCandidate"; session: number; candidate: string; sdpMid: string | null; sdpMLineIndex: number | null; expect: string }
    | { op: "snapIce" | "snapEnd"; session: number; expect: { status: number; fields?: string } }
    | { op: "endByProvider"; session: number; reason: number; expect: { status: number } }
    | { op: "hookArgs"; session: number; fabric?: number; peer?: string; expect: Record<string, unknown> }
    | { op: "session"; id: number; expect: Record<string, unknown> | null }
    | { op: "snapshot"; expect: Record<string, unknown> }
    | { op: "reset" };

export interface RegressionCase {
    name: string;
    /** Where the input comes from: a commit of the history, or the fuzz run that found it. */
    found: string;
    /** What was wrong, and what the fix was. */
    bug: string;
    steps: Step[];
}

const DIR = fileURLToPath(new URL("./regressions/", import.meta.url));

/** Every stored case, by file name. */
export function loadRegressions(): { file: string; regression: RegressionCase }[] {
    return readdirSync(DIR)
        .filter(f => f.endsWith(".json"))
        .sort()
        .map(file => ({ file, regression: JSON.parse(readFileSync(DIR + file, "utf8")) as RegressionCase }));
}

export const FABRIC = 1;
export const PEER = 0x1122_3344_5566_7788n;

function fromHex(hex: string): Uint8Array {
    const clean = hex.replace(/[\s_]/g, "");
    return Uint8Array.from({ length: clean.length / 2 }, (_, i) => parseInt(clean.slice(2 * i, 2 * i + 2), 16));
}
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const show = (v: unknown) => JSON.stringify(v, (_, x: unknown) => (typeof x === "bigint" ? x.toString() : x));

/** The named fields of `actual` equal `expected`'s (bigints compared as decimal strings). */
function matches(actual: unknown, expected: Record<string, unknown>): boolean {
    const a = JSON.parse(show(actual)) as Record<string, unknown>;
    return Object.entries(expected).every(([k, v]) => show(a[k]) === show(v));
}

/** Replays `c` on `core` (which it resets first); throws at the first step whose outcome differs. */
export function replay(core: Core, c: RegressionCase): void {
    core.reset();
    core.takeEvents();
    c.steps.forEach((step, i) => {
        const fail = (what: string): never => {
            throw new Error(`${c.name}, step ${i + 1} (${step.op}): ${what}`);
        };
        const status = (got: number, want: number) => {
            if (got !== want) fail(`${statusName(got)}, expected ${statusName(want)}`);
        };
        const peer = "peer" in step && step.peer !== undefined ? BigInt(step.peer) : PEER;
        const fabric = "fabric" in step && step.fabric !== undefined ? step.fabric : FABRIC;
        switch (step.op) {
            case "streams":
                for (const [id, usage] of step.video ?? []) status(core.addStream(0, id, usage as 0), 0);
                for (const [id, usage] of step.audio ?? []) status(core.addStream(1, id, usage as 0), 0);
                if (step.priorities !== undefined) status(core.setStreamUsagePriorities(step.priorities as never), 0);
                break;
            case "decide": {
                const d = core.decide(step.command, fromHex(step.fields), fabric, peer);
                status(d.status, step.expect.status);
                if (step.expect.action !== undefined && d.action !== step.expect.action) fail(`action ${d.action}, expected ${step.expect.action}`);
                if (step.expect.session !== undefined && d.sessionId !== step.expect.session) fail(`session ${d.sessionId}, expected ${step.expect.session}`);
                break;
            }
            case "commit": {
                const s = step.command === 0x00
                    ? core.commitSolicitOffer(step.session, step.deferred ?? false, step.now ?? 0)
                    : step.command === 0x02 ? core.commitProvideOffer(step.session) : core.commitProvideAnswer(step.session);
                status(s, step.expect.status);
                break;
            }
            case "abort":
                status(core.abortPending(step.session), step.expect.status);
                break;
            case "removeStream":
                status(core.removeStream(step.kind as 0, step.id), step.expect.status);
                break;
            case "admitCandidate": {
                const got = core.admitCandidate(step.session, { candidate: step.candidate, sdpMid: step.sdpMid, sdpMLineIndex: step.sdpMLineIndex });
                if (got !== step.expect) fail(`admission "${got}", expected "${step.expect}"`);
                break;
            }
            case "snapIce":
            case "snapEnd": {
                status(step.op === "snapIce" ? core.snapIce(step.session) : core.snapEnd(step.session), step.expect.status);
                const fields = toHex(core.snapshot().fields);
                if (step.expect.fields !== undefined && fields !== step.expect.fields) fail(`snapshot ${fields}, expected ${step.expect.fields}`);
                break;
            }
            case "endByProvider":
                status(core.endByProvider(step.session, step.reason as 0), step.expect.status);
                break;
            case "hookArgs": {
                const p = core.offerParams(step.session, fabric, peer);
                if (!matches(p, step.expect)) fail(`hook arguments ${show(p)}, expected ${show(step.expect)}`);
                break;
            }
            case "session": {
                const s = core.session(step.id);
                if (step.expect === null ? s !== undefined : s === undefined || !matches(s, step.expect)) fail(`session ${show(s)}, expected ${show(step.expect)}`);
                break;
            }
            case "snapshot": {
                const s = core.snapshot();
                if (!matches({ ...s, fields: toHex(s.fields) }, step.expect)) fail(`snapshot ${show({ ...s, fields: toHex(s.fields) })}, expected ${show(step.expect)}`);
                break;
            }
            case "reset":
                core.reset();
                break;
        }
        if (core.exports.abortLine() !== 0) fail(`abort fired at line ${core.exports.abortLine()}`);
        const broken = core.selfCheck(false);
        if (broken !== 0) fail(`invariant ${broken} broken`);
        core.takeEvents();
    });
}
