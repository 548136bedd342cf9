/**
 * The portable vector suite under vitest.
 *
 * In-process (fast): every profile's cases from vectors.json replayed by runner.ts on cores
 * loaded through the engine's loader from the TypeScript sources — once with a fresh instance per
 * case, once with one `Core` reset between cases (the same digest proves `reset()` restores the
 * just-instantiated state for everything the cases observe) — and a tampered expectation must be
 * caught, so a runner that checks nothing cannot pass.
 *
 * Cross-runtime: each runtime of runtimes/hosts.ts (Node on the bundle, Deno, Bun, workerd,
 * a Chromium module Worker) as its own test; it must pass every case with the same observation
 * digest as the in-process run. The whole set takes about 10–15 s here. VECTORS_RUNTIMES selects
 * runtimes (comma-separated, "none" to skip them all); a missing Chromium is a failure, not a skip.
 */

import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { Core, PROFILES, compileCore, instantiateCore } from "../../src/engine/index.js";
import type { VectorSuite } from "./format.js";
import { runVectors, type RunResult } from "./runner.js";
import { bundleRunner, judge, runOn, selectedRuntimes, type HostRun } from "./runtimes/hosts.js";

const suite = JSON.parse(await readFile(new URL("./vectors.json", import.meta.url), "utf8")) as VectorSuite;
const inProcess = new Map<string, RunResult>();

describe.each(PROFILES)("vectors in-process [%s]", profile => {
    const vectors = suite.profiles[profile]!;

    it("every case passes with a fresh core per case", async () => {
        const module = await compileCore(profile);
        const result = await runVectors(async () => new Core(await instantiateCore(module)), vectors);
        inProcess.set(profile, result);
        expect(result.failures).toEqual([]);
        expect(result.passed).toBe(vectors.cases.length);
        expect(vectors.cases.length).toBeGreaterThanOrEqual(150);
    });

    it("one core reset between cases gives the same observations", async () => {
        const result = await runVectors(await Core.load(profile), vectors);
        expect(result.failures).toEqual([]);
        const fresh = inProcess.get(profile) ?? (await runVectors(await Core.load(profile), vectors));
        expect(result.digest).toBe(fresh.digest);
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
    beforeAll(async () => {
        await bundleRunner();
    });
    it.each(runtimes)("%s passes every case and agrees with the in-process run", async runtime => {
        const run: HostRun = await runOn(runtime, 90_000);
        const reference: HostRun = { runtime: "node", version: process.version, launch: "in-process", wallMs: 0 };
        if (inProcess.size === PROFILES.length) {
            reference.result = { runtime: "vitest", passed: 0, failed: 0, profiles: Object.fromEntries(inProcess) };
        }
        expect(judge(run, suite, reference.result === undefined ? undefined : reference)).toEqual([]);
    }, 120_000);
});
