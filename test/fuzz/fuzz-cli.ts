/**
 * `npm run fuzz [-- --payloads N --profile tiny|default|large|all --seed S]`: the long fuzz run.
 * Defaults: 2,000,000 payloads per profile, every profile, a seed from the clock (printed, so a
 * failure can be replayed). Exits non-zero with the failing seed and step.
 */

import { parseArgs } from "node:util";
import { PROFILES, isProfile, type Profile } from "../../src/engine/loader.js";
import { freshCore } from "../support/profiles.js";
import { runFuzz } from "./fuzzer.js";

const { values } = parseArgs({
    options: {
        payloads: { type: "string", default: "2000000" },
        profile: { type: "string", default: "all" },
        seed: { type: "string" },
    },
});
const payloads = Number(values.payloads);
if (!Number.isInteger(payloads) || payloads <= 0) {
    console.error(`--payloads must be a positive integer, got "${values.payloads}"`);
    process.exit(2);
}
const profiles: readonly Profile[] = values.profile === "all" ? PROFILES : isProfile(values.profile) ? [values.profile] : [];
if (profiles.length === 0) {
    console.error(`--profile must be one of ${PROFILES.join(", ")} or all, got "${values.profile}"`);
    process.exit(2);
}
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : Date.now() >>> 0;

let failed = false;
for (const profile of profiles) {
    const started = performance.now();
    try {
        const stats = runFuzz(await freshCore(profile), payloads, seed);
        const seconds = (performance.now() - started) / 1000;
        const top = [...stats.statuses.entries()].sort((a, b) => b[1] - a[1]).map(([s, n]) => `0x${s.toString(16)}:${n}`).join(" ");
        console.log(`${profile}: ${stats.payloads} payloads (${stats.accepted} accepted, ${stats.steps} steps) in ${seconds.toFixed(1)} s, seed ${seed}; statuses ${top}`);
    } catch (error) {
        failed = true;
        console.error(`${profile}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
    }
}
process.exit(failed ? 1 : 0);
