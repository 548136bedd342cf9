/**
 * The runtime-neutral half of the footprint probe (the bench's "runtimes" section): how long the
 * core takes to compile and instantiate, how big its linear memory is, and what one and a hundred
 * engine instances (`Core` + `WebRtcEngine` with no-op hooks) add to the JS heap and the RSS of
 * the runtime they live in. Each runtime's entry (node.mjs, deno.ts, bun.ts, workerd/worker.js,
 * chromium/worker.js) supplies the wasm bytes or module, a memory reading and a GC where the
 * runtime has them; only web-standard globals are used here.
 *
 * Timing: every run compiles a fresh copy of the bytes with a unique trailing custom section, so
 * an engine's per-process cache of compiled modules (V8 keys it by the wire bytes) cannot turn a
 * compile into a lookup; the first run is reported separately as "cold". A runtime that only has
 * a pre-compiled module (workerd refuses to compile bytes at run time) reports instantiation only.
 *
 * Memory: `hold(n)` grows the set of live instances to n, collects garbage (twice, where the
 * runtime lets a script do it) and returns the runtime's own reading; hosts that can only see the
 * process from outside (workerd, Chromium) read /proc between the steps instead.
 */

import { Core, WebRtcEngine, instantiateCore, type WebRtcHooks } from "../../../src/engine/index.js";

/** For the bundle's users that hold a compiled module themselves (workerd). */
export { Core, instantiateCore };

export const FOOTPRINT_MARKER = "@@footprint ";

/** What a runtime tells a script about its own memory (bytes; absent = not observable). */
export interface MemoryReading {
    heapUsed?: number;
    rss?: number;
    /** Memory outside the JS heap that the runtime attributes to JS objects (ArrayBuffers, wasm memories). */
    external?: number;
}

export interface ProbeRuntime {
    /** The default profile's wasm bytes, or (workerd) its compiled module. */
    source: Uint8Array | WebAssembly.Module;
    memory?: () => MemoryReading;
    gc?: () => void | Promise<void>;
}

export interface Timing {
    runs: number;
    /** First compile + instantiate of the process. */
    coldMs?: number;
    /** Median compile + instantiate. */
    compileInstantiateMs?: number;
    /** Median instantiate of an already compiled module (new Core included). */
    instantiateMs: number;
}

export interface FootprintResult {
    runtime: string;
    version: string;
    timing: Timing;
    linearMemoryBytes: number;
    staticBytes: number;
    /**
     * `base`: the reading with no instance held; `one` / `hundred`: growth (bytes) with 1 / 100 live
     * instances (see {@link measureGrowth}); undefined: the runtime gives no reading.
     */
    readings?: { base: MemoryReading; one: MemoryReading; hundred: MemoryReading };
    notes: string[];
}

const NOOP_HOOKS: WebRtcHooks = {
    onSolicitOffer: () => ({ deferred: false }),
    onOffer: () => undefined,
    onAnswer: () => undefined,
    onIceCandidates: () => undefined,
    onEndSession: () => undefined,
    takeOfferSdp: () => "",
    takeAnswerSdp: () => "",
    takeIceCandidates: () => false,
};

/** `bytes` with a custom section named `tag` appended: a different module to any cache, the same code. */
export function tagged(bytes: Uint8Array, tag: string): Uint8Array<ArrayBuffer> {
    const name = new TextEncoder().encode(tag);
    if (name.length > 100) throw new RangeError("tag too long");
    const out = new Uint8Array(bytes.length + 3 + name.length);
    out.set(bytes);
    out.set([0, 1 + name.length, name.length], bytes.length); // section id 0, size, name length (LEB128, < 128)
    out.set(name, bytes.length + 3);
    return out;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export class FootprintProbe {
    readonly #runtime: ProbeRuntime;
    #module: WebAssembly.Module | undefined;
    readonly #held: { core: Core; engine: WebRtcEngine }[] = [];
    linearMemoryBytes = 0;
    staticBytes = 0;

    constructor(runtime: ProbeRuntime) {
        this.#runtime = runtime;
    }

    async #compiled(): Promise<WebAssembly.Module> {
        const source = this.#runtime.source;
        this.#module ??= source instanceof WebAssembly.Module ? source : await WebAssembly.compile(tagged(source, "probe"));
        return this.#module;
    }

    /** Compile + instantiate `runs` times (fresh bytes each time), and instantiate alone. */
    async timing(runs = 31): Promise<Timing> {
        const source = this.#runtime.source;
        const both: number[] = [];
        let coldMs: number | undefined;
        if (!(source instanceof WebAssembly.Module)) {
            for (let i = 0; i < runs; i++) {
                const bytes = tagged(source, `run-${i}-${Math.random()}`);
                const started = performance.now();
                const core = new Core(await instantiateCore(await WebAssembly.compile(bytes)));
                const ms = performance.now() - started;
                if (core.memoryBytes === 0) throw new Error("no memory");
                if (i === 0) coldMs = ms;
                else both.push(ms);
            }
        }
        const module = await this.#compiled();
        const inst: number[] = [];
        for (let i = 0; i < runs; i++) {
            const started = performance.now();
            const core = new Core(await instantiateCore(module));
            inst.push(performance.now() - started);
            this.linearMemoryBytes = core.memoryBytes;
            this.staticBytes = core.staticBytes;
        }
        return {
            runs,
            ...(coldMs === undefined ? {} : { coldMs, compileInstantiateMs: median(both) }),
            instantiateMs: median(inst),
        };
    }

    async #gc(): Promise<void> {
        const gc = this.#runtime.gc;
        if (gc === undefined) return;
        // wasm instances and their memories go with finalizers that run after a collection
        for (let i = 0; i < 3; i++) {
            await gc();
            await new Promise(resolve => setTimeout(resolve, 10));
        }
    }

    /** Grows (or shrinks) the live engine instances to `count`, collects garbage, reads memory. */
    async hold(count: number): Promise<MemoryReading | undefined> {
        const module = await this.#compiled();
        this.#held.splice(count);
        while (this.#held.length < count) {
            const core = new Core(await instantiateCore(module));
            this.#held.push({ core, engine: new WebRtcEngine(core, NOOP_HOOKS) });
        }
        await this.#gc();
        return this.#runtime.memory?.();
    }

    get held(): number {
        return this.#held.length;
    }
}

/** Growth of each reading from `a` to `b` (a key is absent when either side lacks it). */
export function growth(a: MemoryReading, b: MemoryReading): MemoryReading {
    const out: MemoryReading = {};
    for (const key of ["heapUsed", "rss", "external"] as const) {
        const x = a[key];
        const y = b[key];
        if (x !== undefined && y !== undefined) out[key] = y - x;
    }
    return out;
}

function medianReading(readings: MemoryReading[]): MemoryReading {
    const out: MemoryReading = {};
    for (const key of ["heapUsed", "rss", "external"] as const) {
        const values = readings.map(r => r[key]).filter((v): v is number => v !== undefined);
        if (values.length === readings.length && values.length > 0) out[key] = median(values);
    }
    return out;
}

/**
 * The stepping shared by every runtime, with `hold(n)` = "keep n live instances, collect garbage,
 * read memory" (in the runtime, or from /proc by a host): a warm-up (1 → 0, so one-time costs such
 * as compiling the engine's own JS are paid before any baseline), then "+1" as the median growth of
 * three 0 → 1 steps, then "+100" as the growth from 0 to 100.
 */
export async function measureGrowth(hold: (count: number) => Promise<MemoryReading>): Promise<{ base: MemoryReading; one: MemoryReading; hundred: MemoryReading }> {
    await hold(1);
    await hold(0);
    const ones: MemoryReading[] = [];
    for (let i = 0; i < 3; i++) {
        const zero = await hold(0);
        ones.push(growth(zero, await hold(1)));
    }
    const base = await hold(0);
    const hundred = growth(base, await hold(100));
    await hold(0);
    return { base, one: medianReading(ones), hundred };
}

/** The whole probe for runtimes that read their own memory: timing, then the growth steps. */
export async function runFootprint(runtime: ProbeRuntime, name: string, version: string, notes: string[] = []): Promise<FootprintResult> {
    const probe = new FootprintProbe(runtime);
    const timing = await probe.timing();
    const readings = runtime.memory === undefined ? undefined : await measureGrowth(async n => (await probe.hold(n)) ?? {});
    return {
        runtime: name,
        version,
        timing,
        linearMemoryBytes: probe.linearMemoryBytes,
        staticBytes: probe.staticBytes,
        ...(readings ? { readings } : {}),
        notes,
    };
}

/** The line a process entry prints for its host. */
export function footprintLine(result: FootprintResult): string {
    return `${FOOTPRINT_MARKER}${JSON.stringify(result)}`;
}
