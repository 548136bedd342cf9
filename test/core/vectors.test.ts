/**
 * The core's unit suite: every case of vectors.json (the single statement of the core's cases,
 * written in test/vectors/cases/) replayed by the portable runner on a fresh core of every
 * profile, one test per case — the same file and runner the runtimes suite runs in Deno, Bun,
 * workerd and a Chromium worker.
 *
 * And the file is what the cases say: a fresh generation (which checks every outcome the cases
 * state against the current cores, and matter.js's reading of every response, CurrentSessions
 * read and snapshot) must equal the committed file byte for byte. The test never writes it:
 * after changing a case or the core's behaviour, run `npm run vectors`.
 */

import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { Core, PROFILES, compileCore, instantiateCore } from "../../src/engine/index.js";
import type { VectorSuite } from "../vectors/format.js";
import { VECTORS_FILE, generateText } from "../vectors/generate.js";
import { runVectors } from "../vectors/runner.js";

const committed = await readFile(VECTORS_FILE, "utf8");
const suite = JSON.parse(committed) as VectorSuite;

describe.each(PROFILES)("core vectors [%s]", profile => {
    const vectors = suite.profiles[profile]!;
    let module: WebAssembly.Module;
    beforeAll(async () => {
        module = await compileCore(profile);
    });
    it.each(vectors.cases.map(c => [c.name, c] as const))("%s", async (_, vectorCase) => {
        const result = await runVectors(async () => new Core(await instantiateCore(module)), { ...vectors, cases: [vectorCase] });
        expect(result.failures).toEqual([]);
        expect(result.passed).toBe(1);
    });
});

describe("vectors.json", () => {
    it("is a fresh generation of test/vectors/cases (npm run vectors)", async () => {
        const fresh = (await generateText()).split("\n");
        const lines = committed.split("\n");
        const at = Array.from({ length: Math.max(fresh.length, lines.length) }, (_, i) => i).find(i => fresh[i] !== lines[i]);
        const firstDifference = at === undefined ? undefined : { line: at + 1, committed: lines[at]?.slice(0, 300), fresh: fresh[at]?.slice(0, 300) };
        expect(firstDifference, "vectors.json differs from a fresh generation: run npm run vectors").toBeUndefined();
    }, 120_000);
});
