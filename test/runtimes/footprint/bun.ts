/**
 * Bun entry of the footprint probe (see probe.ts), started by test/bench/runtimes-footprint.ts as
 *
 *   bun test/runtimes/footprint/bun.ts
 *
 * It runs probe.ts from source on the default profile's bytes (read with `fetch` on a `file:`
 * URL), reads `process.memoryUsage()` (JavaScriptCore's heap as `heapUsed`) after
 * `Bun.gc(true)` and prints one `@@footprint {json}` line.
 */

import { footprintLine, runFootprint } from "./probe.js";

interface BunLike {
    version: string;
    gc(force: boolean): void;
}

const bun = (globalThis as unknown as { Bun: BunLike }).Bun;
const bytes = new Uint8Array(await (await fetch(new URL("../../../build/default.wasm", import.meta.url))).arrayBuffer());
const result = await runFootprint(
    {
        source: bytes,
        memory: () => {
            const m = process.memoryUsage();
            return { heapUsed: m.heapUsed, rss: m.rss, external: m.external };
        },
        gc: () => bun.gc(true),
    },
    "bun",
    `bun ${bun.version}`,
);
console.log(footprintLine(result));
