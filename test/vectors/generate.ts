/**
 * Generates test/vectors/vectors.json: every case of cases/ recorded on a fresh core of every
 * build profile (see recorder.ts for what stands behind each recorded outcome).
 *
 *   npm run vectors                          builds the cores, then writes the file
 *   tsx test/vectors/generate.ts --check     exits 1 if the committed file is not a fresh generation
 *
 * `generateText()` is what test/core/vectors.test.ts compares the committed file with, so a test
 * run never writes the file. Limits: Node only (matter.js and node:fs); the output is
 * deterministic — one case (or fixture) per line, so a regeneration diffs readably.
 */

import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Core, PROFILES, compileCore, instantiateCore, type Profile } from "../../src/engine/index.js";
import { ALL_CASES } from "./cases/index.js";
import { FORMAT, VERSION, canonical, type ProfileVectors, type VectorSuite } from "./format.js";
import { Recorder, crossChecked } from "./recorder.js";

export const VECTORS_FILE = new URL("./vectors.json", import.meta.url);

async function generateProfile(profile: Profile): Promise<ProfileVectors> {
    const module = await compileCore(profile);
    const fresh = async () => new Core(await instantiateCore(module));
    const vectors: ProfileVectors = { profile, capacities: { ...(await fresh()).capacities }, fixtures: {}, cases: [] };
    for (const c of ALL_CASES) {
        const core = await fresh();
        const r = new Recorder(core, `[${profile}] ${c.name} (fixture)`);
        let context: unknown;
        if (c.fixture !== undefined) {
            context = c.fixture.build(r);
            const steps = r.steps.splice(0);
            const known = vectors.fixtures[c.fixture.name];
            if (known === undefined) vectors.fixtures[c.fixture.name] = steps;
            else if (canonical(known) !== canonical(steps)) r.fail(`fixture ${c.fixture.name} is not deterministic`);
        }
        r.where = `[${profile}] ${c.name}`;
        c.run(r, context);
        if (r.steps.length === 0) r.fail("no steps");
        // every case ends quiescent with the table's invariants holding
        const selfCheck = core.selfCheck(true);
        if (selfCheck !== 0) r.fail(`ends with selfCheck(true) = ${selfCheck}`);
        vectors.cases.push({ name: c.name, ...(c.fixture === undefined ? {} : { setup: c.fixture.name }), steps: r.steps, selfCheck });
    }
    return vectors;
}

/** One case (or fixture) per line. */
function serialize(suite: VectorSuite): string {
    const lines = ["{", `"format":${JSON.stringify(suite.format)},"version":${suite.version},"generatedBy":${JSON.stringify(suite.generatedBy)},`, `"profiles":{`];
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

/** The text of vectors.json as the current cases and cores make it. */
export async function generateText(): Promise<string> {
    const suite: VectorSuite = { format: FORMAT, version: VERSION, generatedBy: "test/vectors/generate.ts", profiles: {} };
    for (const profile of PROFILES) suite.profiles[profile] = await generateProfile(profile);
    return serialize(suite);
}

async function main(): Promise<void> {
    const text = await generateText();
    const suite = JSON.parse(text) as VectorSuite;
    const summary = Object.values(suite.profiles).map(p => `${p.profile}: ${p.cases.length} cases, ${p.cases.reduce((n, c) => n + c.steps.length, 0)} steps`);
    if (process.argv.includes("--check")) {
        const committed = await readFile(VECTORS_FILE, "utf8");
        if (committed !== text) throw new Error("vectors.json is not a fresh generation: run npm run vectors");
        console.log(`vectors.json is up to date (${summary.join("; ")})`);
        return;
    }
    await writeFile(VECTORS_FILE, text);
    console.log(`wrote ${fileURLToPath(VECTORS_FILE)} (${(text.length / 1024).toFixed(0)} KiB): ${summary.join("; ")}`);
    console.log(
        `matter.js decoded and re-encoded to the same bytes: ${crossChecked.responses} command responses, ` +
            `${crossChecked.currentSessions} CurrentSessions reads, ${crossChecked.snapshots} outbound snapshots`,
    );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
    main().catch((error: unknown) => {
        console.error(`vector generation failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
    });
}
