/**
 * The portable vector suite under vitest (`npm run test:runtimes` runs the same hosts outside it).
 *
 * In-process: one `Core` reset between cases must observe exactly what a fresh instance per case
 * observes (the same digest and step count: `reset()` restores the just-instantiated state for
 * everything the cases look at), and a tampered expectation must be caught, so a runner that
 * checks nothing cannot pass. The cases themselves are run, one test each, by
 * test/core/vectors.test.ts.
 *
 * Cross-runtime: each runtime of runtimes/hosts.ts (Node on the bundle, Deno, Bun, workerd,
 * a Chromium module Worker) as its own test; it must pass every case with the same observation
 * digest as an in-process run with a fresh core per case. The whole set takes about 10–15 s here.
 * VECTORS_RUNTIMES selects runtimes (comma-separated, "none" to skip them all); a missing
 * Chromium is a failure, not a skip.
 */

import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { Core, PROFILES, compileCore, instantiateCore, type Profile } from "../../src/engine/index.js";
import type { VectorSuite } from "./format.js";
import { runVectors, type RunResult } from "./runner.js";
import { bundleRunner, judge, runOn, selectedRuntimes, type HostRun } from "./runtimes/hosts.js";

const suite = JSON.parse(await readFile(new URL("./vectors.json", import.meta.url), "utf8")) as VectorSuite;

/** The in-process run of `profile` with a fresh core per case: the reference every other run must agree with. */
const freshRuns = new Map<Profile, Promise<RunResult>>();
function freshRun(profile: Profile): Promise<RunResult> {
    let run = freshRuns.get(profile);
    if (run === undefined) {
        run = compileCore(profile).then(module => runVectors(async () => new Core(await instantiateCore(module)), suite.profiles[profile]!));
        freshRuns.set(profile, run);
    }
    return run;
}

describe.each(PROFILES)("vectors in-process [%s]", profile => {
    const vectors = suite.profiles[profile]!;

    it("one core reset between cases observes what a fresh core per case observes", async () => {
        const reset = await runVectors(await Core.load(profile), vectors);
        expect(reset.failures).toEqual([]);
        expect(reset.passed).toBe(vectors.cases.length);
        const fresh = await freshRun(profile);
        expect({ digest: reset.digest, steps: reset.steps }).toEqual({ digest: fresh.digest, steps: fresh.steps });
    });

    it("a tampered expectation is caught", async () => {
        const copy = structuredClone(vectors);
        const target = copy.cases.find(c => c.steps.some(s => s.op === "commitSolicit" && s.expect.response !== undefined))!;
        const step = target.steps.find(s => s.op === "commitSolicit" && s.expect.response !== undefined)!;
        if (step.op !== "commitSolicit" || typeof step.expect.response !== "string") throw new Error("no plain response to tamper with");
        step.expect.response = `${step.expect.response.slice(0, -2)}19`;
        const result = await runVectors(await Core.load(profile), { ...copy, cases: [target] });
        expect(result.failed).toBe(1);
        expect(result.failures[0]).toMatchObject({ case: target.name, op: "commitSolicit" });
    });
});

describe("judging a runtime's result", () => {
    const ok = (): HostRun => ({
        runtime: "deno",
        version: "x",
        launch: "x",
        wallMs: 1,
        result: {
            runtime: "deno",
            passed: 0,
            failed: 0,
            profiles: Object.fromEntries(
                Object.entries(suite.profiles).map(([p, v]) => [p, { profile: p, passed: v.cases.length, failed: 0, failures: [], steps: 10, digest: "00000001", ms: 1 }]),
            ),
        },
    });
    it("accepts a full pass and flags failures, missing profiles, short runs and disagreement", () => {
        const reference = ok();
        expect(judge(ok(), suite, reference)).toEqual([]);
        const failed = ok();
        failed.result!.profiles.tiny!.failed = 1;
        expect(judge(failed, suite, reference).join()).toMatch(/tiny: 1 failed/);
        const missing = ok();
        delete missing.result!.profiles.large;
        expect(judge(missing, suite, reference).join()).toMatch(/large: not run/);
        const short = ok();
        short.result!.profiles.default!.passed = 3;
        expect(judge(short, suite, reference).join()).toMatch(/default: 3 of \d+ cases passed/);
        const other = ok();
        other.result!.profiles.default!.digest = "00000002";
        expect(judge(other, suite, reference).join()).toMatch(/default: disagrees with deno/);
        expect(judge({ ...ok(), result: undefined, error: "boom" }, suite, reference)).toEqual(["boom"]);
    });
});

const runtimes = selectedRuntimes();
describe.skipIf(runtimes.length === 0)("vectors in every runtime", () => {
    let reference: HostRun;
    beforeAll(async () => {
        await bundleRunner();
        const profiles = await Promise.all(PROFILES.map(async p => [p, await freshRun(p)] as const));
        reference = { runtime: "node", version: process.version, launch: "in-process", wallMs: 0, result: { runtime: "vitest", passed: 0, failed: 0, profiles: Object.fromEntries(profiles) } };
    });
    it.each(runtimes)("%s passes every case and agrees with the in-process run", async runtime => {
        const run: HostRun = await runOn(runtime, 90_000);
        expect(judge(run, suite, reference)).toEqual([]);
    }, 120_000);
});
