/**
 * Node entry of the footprint probe (see probe.ts), started by test/bench/runtimes-footprint.ts as
 *
 *   node --expose-gc test/runtimes/footprint/node.mjs
 *
 * It runs the esbuild bundle of probe.ts (build/footprint/probe.js, the same file workerd and the
 * Chromium worker load) on the default profile's bytes, reads `process.memoryUsage()` after
 * `gc()`, and prints one `@@footprint {json}` line. Plain .mjs: Node 20 runs no TypeScript.
 */

import { readFile } from "node:fs/promises";

const { runFootprint, footprintLine } = await import(new URL("../../../build/footprint/probe.js", import.meta.url).href);
const bytes = new Uint8Array(await readFile(new URL("../../../build/default.wasm", import.meta.url)));
const gc = globalThis.gc;
const result = await runFootprint(
    {
        source: bytes,
        memory: () => {
            const m = process.memoryUsage();
            return { heapUsed: m.heapUsed, rss: m.rss, external: m.external };
        },
        gc: gc === undefined ? undefined : () => gc(),
    },
    "node",
    `node ${process.version}`,
    gc === undefined ? ["no gc(): start with --expose-gc"] : [],
);
console.log(footprintLine(result));
