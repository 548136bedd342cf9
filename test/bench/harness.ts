/**
 * Timing and allocation measurement for the benchmark.
 *
 * A {@link Side} is one implementation of one operation. Its `run(n)` performs `n` operations in
 * a loop of its own (so every loop stays monomorphic, and a single call does 5–100 operations:
 * tinybench-style single-call samples hit a ~50 ns floor). `setup` and `teardown` run around each
 * batch and are not timed: they put the table into the state the operation needs (e.g. create the
 * sessions an EndSession batch will end) and take it back out.
 *
 * Time: a sample runs batches until ~{@link SAMPLE_MS} of timed work has accumulated and reports
 * ns/op with the timer's own cost subtracted; the result is the median of {@link SAMPLES}
 * samples after {@link WARMUP_MS} of warm-up, the sides of one operation sampled in turn (order
 * alternating) in the same process so that machine noise hits them alike.
 *
 * Allocation: Node 20's `v8.getHeapStatistics()` has no `total_allocated_bytes`, so each batch
 * runs right after a minor GC (`gc({ type: "minor" })`, needs `--expose-gc`) between two
 * `process.memoryUsage()` probes, which then bracket every byte the batch allocated: `heapUsed`
 * for JS objects (exact to the byte for young-generation allocations) and `arrayBuffers` for
 * off-heap ArrayBuffer backing stores (typed arrays above 64 bytes keep their data there). What
 * a probe allocates itself is measured right before, with two probes back to back, and
 * subtracted. Batches in which a GC ran anyway (a negative delta) are dropped; the result is the
 * median per batch. V8 frees dead ArrayBuffers on a background thread after a GC, which would
 * lower `arrayBuffers` in the middle of the next batch, so concurrent ArrayBuffer sweeping is
 * switched off while allocation is measured (and only then: timing runs with V8's defaults).
 */

import v8 from "node:v8";

export interface Side {
    /** Untimed, before each batch. */
    setup?: () => void;
    /** Timed: `n` operations. */
    run: (n: number) => void;
    /** Untimed, after each batch. */
    teardown?: () => void;
}

export const SAMPLES = 15;
export const SAMPLE_MS = 10;
export const WARMUP_MS = 60;
/** Batches measured for the allocation figures. */
export const HEAP_BATCHES = 60;

export interface Timing {
    /** Median ns per operation. */
    ns: number;
    /** Median absolute deviation of the samples, relative to the median. */
    spread: number;
}

const now = (): number => performance.now();

export function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Cost of one `performance.now()` in ns (what a timed batch's two readings add). */
export function timerOverheadNs(): number {
    const deltas: number[] = [];
    for (let i = 0; i < 20_000; i++) {
        const t0 = now();
        const t1 = now();
        deltas.push(t1 - t0);
    }
    return median(deltas) * 1e6;
}

/** One sample: ns per operation over batches totalling about `SAMPLE_MS` of timed work. */
function sample(side: Side, batch: number, overheadNs: number, budgetMs = SAMPLE_MS): number {
    let timedMs = 0;
    let ops = 0;
    const wallStart = now();
    while (timedMs < budgetMs && now() - wallStart < 6 * budgetMs) {
        side.setup?.();
        const t0 = now();
        side.run(batch);
        const t1 = now();
        side.teardown?.();
        timedMs += t1 - t0;
        ops += batch;
    }
    const batches = ops / batch;
    return Math.max(0, (timedMs * 1e6 - batches * overheadNs) / ops);
}

/** Median ns/op of each side, sampled interleaved. */
export function time(sides: Side[], batch: number, overheadNs: number): Timing[] {
    for (const side of sides) sample(side, batch, overheadNs, WARMUP_MS);
    const samples: number[][] = sides.map(() => []);
    for (let s = 0; s < SAMPLES; s++) {
        const order = sides.map((_, i) => i);
        if (s % 2 === 1) order.reverse();
        for (const i of order) samples[i]!.push(sample(sides[i]!, batch, overheadNs));
    }
    return samples.map(values => {
        const ns = median(values);
        return { ns, spread: ns > 0 ? median(values.map(v => Math.abs(v - ns))) / ns : 0 };
    });
}

export interface Allocation {
    /** JS heap bytes per operation. */
    heap: number;
    /** ArrayBuffer backing-store bytes per operation (off the JS heap). */
    buffers: number;
}

function minorGc(): void {
    if (typeof globalThis.gc !== "function") throw new Error("run node with --expose-gc");
    globalThis.gc({ type: "minor" });
}

/**
 * Bytes one batch allocates. Three probes: the first two measure what a probe itself allocates
 * between two readings (in whatever tier V8 runs it at that moment), the last two bracket the batch.
 */
function batchAllocation(side: Side, batch: number): { heap: number; buffers: number } {
    side.setup?.();
    minorGc();
    const p0 = process.memoryUsage();
    const p1 = process.memoryUsage();
    side.run(batch);
    const p2 = process.memoryUsage();
    side.teardown?.();
    const probe = p1.heapUsed - p0.heapUsed;
    return { heap: p2.heapUsed - p1.heapUsed - probe, buffers: p2.arrayBuffers - p1.arrayBuffers };
}

/** Bytes allocated per operation (median over batches; batches a GC interrupted are dropped). */
export function allocation(side: Side, batch: number): Allocation {
    v8.setFlagsFromString("--no-concurrent-array-buffer-sweeping");
    try {
        const heaps: number[] = [];
        const buffers: number[] = [];
        for (let b = 0; b < HEAP_BATCHES; b++) {
            const a = batchAllocation(side, batch);
            if (a.heap < 0 || a.buffers < 0) continue; // a GC ran during the batch
            heaps.push(a.heap);
            buffers.push(a.buffers);
        }
        if (heaps.length === 0) return { heap: NaN, buffers: NaN };
        return { heap: median(heaps) / batch, buffers: median(buffers) / batch };
    } finally {
        v8.setFlagsFromString("--concurrent-array-buffer-sweeping");
    }
}
