/**
 * Deno entry of the footprint probe (see probe.ts), started by test/bench/runtimes-footprint.ts as
 *
 *   deno run --sloppy-imports --allow-read=. --v8-flags=--expose-gc test/runtimes/footprint/deno.ts
 *
 * It runs probe.ts from source on the default profile's bytes (read with `fetch` on a `file:`
 * URL), reads `Deno.memoryUsage()` after `gc()` and prints one `@@footprint {json}` line.
 * Written against web-standard globals plus a declared `Deno`, so it also type-checks under the
 * repository's Node tsconfig.
 */

import { footprintLine, runFootprint } from "./probe.js";

interface DenoLike {
    version: { deno: string; v8: string };
    memoryUsage(): { rss: number; heapUsed: number; heapTotal: number; external: number };
}

const deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
const gc = (globalThis as unknown as { gc?: () => void }).gc;
const bytes = new Uint8Array(await (await fetch(new URL("../../../build/default.wasm", import.meta.url))).arrayBuffer());
const result = await runFootprint(
    {
        source: bytes,
        memory: () => {
            const m = deno.memoryUsage();
            return { heapUsed: m.heapUsed, rss: m.rss, external: m.external };
        },
        gc: gc === undefined ? undefined : () => gc(),
    },
    "deno",
    `deno ${deno.version.deno}`,
    gc === undefined ? ["no gc(): start with --v8-flags=--expose-gc"] : [],
);
console.log(footprintLine(result));
