/**
 * Runs the portable vector suite in every runtime — Node, Deno, Bun, workerd and a module Web
 * Worker in headless Chromium — prints a table runtime × profile (cases passed / failed, the
 * runner's own time, the observation digest) with each runtime's version and wall time, and exits
 * non-zero if any runtime failed a case, could not run, ran fewer cases than the file holds, or
 * disagrees with the others (a different digest means different observed bytes or statuses).
 *
 *   tsx test/vectors/run-all.ts [--only node,deno,...]     (or VECTORS_RUNTIMES=node,deno)
 *
 * Needs build/*.wasm (`npm run build:wasm`), the devDependencies deno, bun and workerd, and
 * Chromium at /usr/bin/chromium (or CHROMIUM_PATH). Runtimes run one after another (the machine
 * has two cores), each in a fresh process; see runtimes/hosts.ts for how each is launched.
 * Limits: it proves agreement on the synchronous `Core` cases in vectors.json only.
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { VectorSuite } from "./format.js";
import { ROOT, bundleRunner, judge, pad, runOn, selectedRuntimes, table, type HostRun, type Runtime } from "./runtimes/hosts.js";

// Deno would check dl.deno.land for a newer version at start: a DNS query out of this machine
process.env.DENO_NO_UPDATE_CHECK ??= "1";

async function main(): Promise<void> {
    const onlyArg = process.argv.findIndex(a => a === "--only" || a.startsWith("--only="));
    const only = onlyArg < 0 ? undefined : process.argv[onlyArg]!.includes("=") ? process.argv[onlyArg]!.split("=")[1] : process.argv[onlyArg + 1];
    const runtimes: Runtime[] = selectedRuntimes(only ?? process.env.VECTORS_RUNTIMES);
    const suite = JSON.parse(await readFile(join(ROOT, "test", "vectors", "vectors.json"), "utf8")) as VectorSuite;
    const started = performance.now();
    await bundleRunner();
    const runs: HostRun[] = [];
    for (const runtime of runtimes) {
        process.stderr.write(`running the vectors in ${runtime}…\n`);
        runs.push(await runOn(runtime));
    }
    const reference = runs.find(r => r.result !== undefined && r.error === undefined);
    console.log(table(runs, suite));
    console.log();
    for (const run of runs) console.log(`${pad(run.runtime, 9)} ${run.launch}`);
    let bad = 0;
    for (const run of runs) {
        const problems = judge(run, suite, reference);
        if (problems.length === 0) continue;
        bad++;
        console.log(`\n${run.runtime} FAILED:\n  ${problems.join("\n  ")}`);
    }
    const cases = Object.values(suite.profiles).reduce((n, p) => n + p.cases.length, 0);
    console.log(`\n${cases} cases × ${runs.length} runtimes in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    console.log(`runtimes: ${runs.length - bad} passed, ${bad} failed`);
    if (bad > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
