/**
 * `npm run fuzz [-- --payloads N --profile tiny|default|large|all --mode both|mutation|structured
 * --seed S --coverage N]`: the long fuzz run.
 *
 * First the stored regression cases replay on every profile chosen. Then, per profile, each mode
 * runs N payloads (default 2,000,000): the mutation mode (random and mutated bytes) and the
 * structure-aware mode (well-formed requests with one fault, sequences against live sessions, every
 * status predicted by the model). The report puts the modes side by side: payloads per second (wall
 * and per CPU second), the share accepted and past decoding, statuses per command, the check that
 * decided, statuses per fault family. With `--coverage N` (default 100,000; 0 turns it off) each
 * mode runs N more payloads on an instrumented -O0 build of the default profile and the branch
 * flags each set are counted, per core module. The seed (from the clock unless given) is printed,
 * so a failure can be replayed; any failure exits 1, bad arguments exit 2.
 */

import { parseArgs } from "node:util";
import { PROFILES, isProfile, type Profile } from "../../src/engine/loader.js";
import { freshCore } from "../support/profiles.js";
import { byModule, coveredCore } from "./coverage.js";
import { runFuzz } from "./fuzzer.js";
import { loadRegressions, replay } from "./regressions.js";
import { merge, newStats, report, type ModeStats } from "./stats.js";
import { runStructured } from "./structured.js";

const usage = (message: string): never => {
    console.error(message);
    process.exit(2);
};
const { values } = (() => {
    try {
        return parseArgs({
            options: {
                payloads: { type: "string", default: "2000000" },
                profile: { type: "string", default: "all" },
                mode: { type: "string", default: "both" },
                seed: { type: "string" },
                coverage: { type: "string", default: "100000" },
            },
        });
    } catch (error) {
        return usage(error instanceof Error ? error.message : String(error));
    }
})();
const count = (name: string, text: string, min: number): number => {
    const n = Number(text);
    return Number.isInteger(n) && n >= min ? n : usage(`--${name} must be an integer of at least ${min}, got "${text}"`);
};
const payloads = count("payloads", values.payloads, 1);
const coveragePayloads = count("coverage", values.coverage, 0);
const profiles: readonly Profile[] = values.profile === "all" ? PROFILES : isProfile(values.profile) ? [values.profile] : [];
if (profiles.length === 0) usage(`--profile must be one of ${PROFILES.join(", ")} or all, got "${values.profile}"`);
const modes = values.mode === "both" ? ["mutation", "structured"] : ["mutation", "structured"].includes(values.mode) ? [values.mode] : [];
if (modes.length === 0) usage(`--mode must be both, mutation or structured, got "${values.mode}"`);
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : Date.now() >>> 0;

const run = (mode: string, core: Awaited<ReturnType<typeof freshCore>>, n: number, stats: ModeStats) =>
    mode === "mutation" ? runFuzz(core, n, seed, stats) : runStructured(core, n, seed, stats);

let failed = false;
console.log(`seed ${seed}; ${payloads} payloads per mode and profile; profiles ${profiles.join(", ")}; modes ${modes.join(", ")}`);

// ── the stored regression cases ─────────────────────────────────────────────────────────────
const regressions = loadRegressions();
for (const profile of profiles) {
    const core = await freshCore(profile);
    for (const { file, regression } of regressions) {
        try {
            replay(core, regression);
        } catch (error) {
            failed = true;
            console.error(`${profile}: regression ${file} FAILED: ${error instanceof Error ? error.message : String(error)}`);
        }
    }
}
console.log(`regression cases: ${regressions.length} replayed on ${profiles.length} profile(s)${failed ? " with failures" : ", all as expected"}`);

// ── the fuzz modes, per profile ─────────────────────────────────────────────────────────────
const totals = new Map(modes.map(m => [m, newStats(m, profiles.length === 1 ? (profiles[0] as string) : "all")]));
for (const profile of profiles) {
    const perProfile: ModeStats[] = [];
    for (const mode of modes) {
        const stats = newStats(mode, profile);
        try {
            run(mode, await freshCore(profile), payloads, stats);
        } catch (error) {
            failed = true;
            console.error(`${profile} ${mode}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
        }
        perProfile.push(stats);
        merge(totals.get(mode)!, stats);
    }
    const rates = perProfile.map(s => `${s.mode} ${s.payloads} payloads in ${s.seconds.toFixed(1)} s (${Math.round(s.payloads / Math.max(s.seconds, 1e-9))}/s)`).join(", ");
    console.log(`${profile}: ${rates}`);
}
console.log("");
console.log(report([...totals.values()]));

// ── branch coverage of the core ────────────────────────────────────────────────────────────
if (coveragePayloads > 0) {
    console.log("");
    const hits: Uint8Array[] = [];
    let sites: readonly import("./coverage.js").Site[] = [];
    for (const mode of modes) {
        const covered = await coveredCore("default");
        sites = covered.sites;
        try {
            run(mode, covered.core, coveragePayloads, newStats(mode, "default -O0"));
        } catch (error) {
            failed = true;
            console.error(`coverage ${mode}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
        }
        hits.push(covered.hits());
    }
    const union = sites.map((_, i) => (hits.some(h => h[i] === 1) ? 1 : 0));
    const set = (h: ArrayLike<number>) => Array.from(h).reduce((a, b) => a + b, 0);
    console.log(`branch coverage of the core (default profile built -O0 and instrumented: ${sites.length} flags = function entries, both arms of every if, both outcomes of every br_if), ${coveragePayloads} payloads per mode:`);
    modes.forEach((m, i) => console.log(`  ${m.padEnd(11)} ${String(set(hits[i]!)).padStart(5)} flags set (${((100 * set(hits[i]!)) / sites.length).toFixed(1)}%)`));
    if (modes.length > 1) console.log(`  ${"either".padEnd(11)} ${String(set(union)).padStart(5)} flags set (${((100 * set(union)) / sites.length).toFixed(1)}%)`);
    const perModule = modes.map((_, i) => byModule(sites, hits[i]!));
    console.log(`  per module (flags set / flags): ${(perModule[0] ?? []).map(([name, , total], k) => `${name} ${perModule.map(p => p[k]![1]).join("→")}/${total}`).join(", ")}`);
}
process.exit(failed ? 1 : 0);
