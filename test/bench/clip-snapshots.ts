/**
 * Measures ClipSnapshots (src/media/node/clip-snapshots.ts): the worker's cold start, time per
 * capture (p50/p95) and JPEG size at 320×240, 640×480 and 1920×1080, the process RSS it adds
 * (the worker thread, its frames and its buffers), how late a 50 ms main-thread interval runs
 * meanwhile, and the committed fixture's size. Runs under Node, Bun and Deno:
 *
 *   node --expose-gc --import tsx test/bench/clip-snapshots.ts
 *   node_modules/.bin/bun test/bench/clip-snapshots.ts
 *   node_modules/.bin/deno run --sloppy-imports -A test/bench/clip-snapshots.ts
 */

import { statSync } from "node:fs";
import { loadavg } from "node:os";
import { CLIP_FRAMES_PATH } from "../../src/media/node/clip-frames.js";
import { ClipSnapshots } from "../../src/media/node/clip-snapshots.js";

const runtime = (globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } }).Bun
    ? `Bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
    : (globalThis as { Deno?: { version: { deno: string } } }).Deno
      ? `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
      : `Node ${process.versions.node}`;

const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
const rss = (): number => {
    gc?.();
    return process.memoryUsage().rss;
};
const pct = (values: number[], p: number): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

const RUNS = Number(process.env.RUNS ?? 20);
console.log(`ClipSnapshots on ${runtime}, ${RUNS} sequential captures per size`);
console.log(`fixture ${CLIP_FRAMES_PATH.split("/").pop()}: ${statSync(CLIP_FRAMES_PATH).size} bytes`);

const source = new ClipSnapshots();
const before = rss();
let t = performance.now();
await source.capture({ width: 640, height: 480 });
console.log(`cold start (worker + frames + first 640x480): ${(performance.now() - t).toFixed(0)} ms`);
const started = rss();

let worstLate = 0;
let last = performance.now();
const interval = setInterval(() => {
    const now = performance.now();
    worstLate = Math.max(worstLate, now - last - 50);
    last = now;
}, 50);
// control: the same interval for 2 s with no capture (how loaded the machine is)
await new Promise(r => setTimeout(r, 2000));
const idleLate = worstLate;
worstLate = 0;

for (const [width, height] of [[320, 240], [640, 480], [1920, 1080]] as const) {
    const times: number[] = [];
    const sizes: number[] = [];
    const cpu = process.cpuUsage();
    for (let i = 0; i < RUNS; i++) {
        t = performance.now();
        const shot = await source.capture({ width, height });
        times.push(performance.now() - t);
        sizes.push(shot.data.length);
        // spread over the clip's frames
        await new Promise(r => setTimeout(r, 37));
    }
    const used = process.cpuUsage(cpu);
    console.log(
        `${`${width}x${height}`.padEnd(10)} p50 ${pct(times, 50).toFixed(0)} ms, p95 ${pct(times, 95).toFixed(0)} ms, ` +
            `CPU ${((used.user + used.system) / 1000 / RUNS).toFixed(0)} ms/capture (process, all threads); ` +
            `JPEG q${source.quality} p50 ${(pct(sizes, 50) / 1024).toFixed(1)} KiB (${(Math.min(...sizes) / 1024).toFixed(1)}–${(Math.max(...sizes) / 1024).toFixed(1)})`,
    );
}
clearInterval(interval);
const busy = rss();
console.log(`main-thread 50 ms interval: worst ${worstLate.toFixed(1)} ms late while capturing, ${idleLate.toFixed(1)} ms in 2 s without captures (load: ${loadavg()[0]!.toFixed(2)})`);
await source.close();
await new Promise(r => setTimeout(r, 200));
const closed = rss();
console.log(
    `RSS: ${(before / MB).toFixed(1)} MiB before the worker; +${((started - before) / MB).toFixed(1)} MiB once started (frames loaded); ` +
        `+${((busy - before) / MB).toFixed(1)} MiB after the 1920x1080 runs; +${((closed - before) / MB).toFixed(1)} MiB after close()` +
        (gc ? "" : " (no --expose-gc)"),
);
