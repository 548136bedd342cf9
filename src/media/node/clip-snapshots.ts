/**
 * Live snapshots for the Node camera: JPEGs of the very picture the looped test clip shows now.
 *
 * {@link ClipSnapshots} plays the clip on its own clock, started when it is created: at time t
 * (seconds since then) the current frame is floor(t · fps) mod N, the same timing as the looped
 * {@link H264Clip} in video-source.ts (20 fps, N = 60 for the committed fixture). `capture()`
 * returns that frame as a JPEG of exactly the requested size: scaled to cover, then
 * centre-cropped (a 4:3 clip at 16:9 loses rows at the top and bottom; never letterboxed).
 *
 * The frames are the committed fixture's own decoded pictures (clip-frames.ts,
 * fixtures/SNAPSHOTS.md). Converting, scaling and JPEG encoding (MozJPEG in WebAssembly) cost tens to
 * hundreds of milliseconds, and live video is paced by timers on the main thread, so they run in
 * ONE worker thread (clip-snapshots-worker.ts), started on the first capture and reused:
 *
 * - the frame is chosen when `capture()` is called, not when the worker gets to it;
 * - at most `maxPending` captures (running + queued, default 4) are accepted; more are rejected
 *   at once with {@link SnapshotBusyError}, so a controller hammering CaptureSnapshot cannot queue
 *   unbounded work;
 * - a capture not answered within `timeoutMs` (default 10 s) rejects, and the worker is restarted
 *   (every capture in flight rejects with it); a crashed worker likewise rejects what it held and is
 *   replaced on the next capture;
 * - the worker is unref'd while idle (it never keeps the process alive) and ref'd while a capture
 *   is pending (so an awaited capture is not cut short by the process exiting);
 * - `close()` terminates it; later captures reject.
 *
 * Bad sizes (not integers in [1, 4096]) and qualities (not integers in [1, 100]) reject with a
 * RangeError before any work is queued.
 *
 * Runtimes: Node (the .ts worker entry is loaded through tsx's ESM hooks, registered inside the
 * worker, because Node 20's tsx registers them on the main thread only), Bun and Deno (native
 * TypeScript in workers; Deno with `--sloppy-imports`, as the camera already runs). A bundled
 * build must emit clip-snapshots-worker.ts as its own entry and pass its URL as `workerUrl`, and
 * copy the frames fixture (`framesPath`).
 */

import { Worker, type ResourceLimits } from "node:worker_threads";
import { CLIP_FPS, CLIP_FRAMES_PATH, DEFAULT_JPEG_QUALITY, checkJpegQuality, checkSnapshotSize } from "./clip-frames.js";
import type { SnapshotReply, SnapshotRequest, SnapshotWorkerData } from "./clip-snapshots-worker.js";

/** Options of {@link ClipSnapshots}: defaults per capture, bounds on the worker, and where its files are. */
export interface ClipSnapshotsOptions {
    /** Default JPEG quality, an integer 1–100 on libjpeg's scale (default 85). */
    quality?: number;
    /** Captures accepted at once, running + queued (default 4). */
    maxPending?: number;
    /** Bound on one capture, from the call to its JPEG (default 10,000 ms). */
    timeoutMs?: number;
    /** Frames per second of the clip's clock (default 20, the committed clip's rate). */
    fps?: number;
    /** Clock in milliseconds (default `performance.now`); the clip starts at its value at construction. */
    now?: () => number;
    /** The Brotli-compressed I420 frames (default: the committed fixture). */
    framesPath?: string;
    /** The worker entry (default: clip-snapshots-worker.ts beside this module); for bundled builds. */
    workerUrl?: URL;
    /**
     * V8 heap limits of the worker (Node; default 64 MiB old and 16 MiB young generation). A worker that
     * runs out is replaced, and the captures it held reject.
     */
    resourceLimits?: ResourceLimits;
}

/**
 * Heap bounds of the snapshot worker: the RGB and RGBA buffers of a capture are garbage right
 * after it, and an unbounded worker heap grows with them before V8 collects it. 64 MiB still fits a
 * 4096×4096 capture (the encoder's own buffers live in its WebAssembly memory, outside the heap).
 */
export const SNAPSHOT_WORKER_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 };

/** The size (and quality) one capture asks for. */
export interface SnapshotRequestSize {
    /** Width in pixels, an integer 1–4096. */
    width: number;
    /** Height in pixels, an integer 1–4096. */
    height: number;
    /** JPEG quality for this capture (default: the source's). */
    quality?: number;
}

/** One captured frame. */
export interface Snapshot {
    /** A baseline JPEG (JFIF, 4:4:4) of exactly width×height. */
    data: Uint8Array;
    /** Width in pixels, as requested. */
    width: number;
    /** Height in pixels, as requested. */
    height: number;
    /** Index of the clip frame it shows, 0 ≤ frame < N. */
    frame: number;
}

/** The snapshot worker already holds `maxPending` captures; try again later. */
export class SnapshotBusyError extends Error {
    constructor(maxPending: number) {
        super(`snapshot source busy: ${maxPending} capture(s) already pending`);
        this.name = "SnapshotBusyError";
    }
}

interface Pending {
    resolve(snapshot: Snapshot): void;
    reject(error: Error): void;
    timer: ReturnType<typeof setTimeout>;
    width: number;
    height: number;
}

// the entry beside this module: .ts in a checkout (tsx), .js in the built package
const WORKER_URL = import.meta.url.endsWith(".ts") ? new URL("./clip-snapshots-worker.ts", import.meta.url) : new URL("./clip-snapshots-worker.js", import.meta.url);

/**
 * JPEG snapshots of the frame the looped test clip shows now, at exactly the requested size,
 * encoded in one worker thread; a {@link SnapshotProducer} for `NodeMediaHost`.
 */
export class ClipSnapshots {
    /** Frames per second of the clip's clock. */
    readonly fps: number;
    /** JPEG quality of a capture that names none. */
    readonly quality: number;
    /** Captures accepted at once (running + queued); more reject with {@link SnapshotBusyError}. */
    readonly maxPending: number;
    /** Bound on one capture, in milliseconds; past it the capture rejects and the worker restarts. */
    readonly timeoutMs: number;
    readonly #now: () => number;
    readonly #start: number;
    readonly #framesPath: string;
    readonly #workerUrl: URL;
    readonly #resourceLimits: ResourceLimits;
    readonly #pending = new Map<number, Pending>();
    #worker: Worker | undefined;
    #nextId = 1;
    #closed = false;

    constructor(options: ClipSnapshotsOptions = {}) {
        const fps = options.fps ?? CLIP_FPS;
        if (!(fps > 0 && fps <= 120)) throw new RangeError(`fps ${fps} out of range (0, 120]`);
        const quality = options.quality ?? DEFAULT_JPEG_QUALITY;
        checkJpegQuality(quality);
        const maxPending = options.maxPending ?? 4;
        if (!Number.isInteger(maxPending) || maxPending < 1) throw new RangeError(`maxPending must be a positive integer, got ${maxPending}`);
        const timeoutMs = options.timeoutMs ?? 10_000;
        if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
        this.fps = fps;
        this.quality = quality;
        this.maxPending = maxPending;
        this.timeoutMs = timeoutMs;
        this.#now = options.now ?? (() => performance.now());
        this.#start = this.#now();
        this.#framesPath = options.framesPath ?? CLIP_FRAMES_PATH;
        this.#workerUrl = options.workerUrl ?? WORKER_URL;
        this.#resourceLimits = options.resourceLimits ?? SNAPSHOT_WORKER_LIMITS;
    }

    /** Frames elapsed on the clip's clock now: floor(t · fps); the frame shown is this mod N. */
    tick(): number {
        return Math.floor(((this.#now() - this.#start) * this.fps) / 1000);
    }

    /** Captures running or queued in the worker. */
    get pending(): number {
        return this.#pending.size;
    }

    /** True once the worker thread has been started and not ended since. */
    get running(): boolean {
        return this.#worker !== undefined;
    }

    /**
     * The current frame as a JPEG of exactly `width`×`height` (cover + centre crop). Rejects with
     * a RangeError for a bad size or quality, {@link SnapshotBusyError} when `maxPending` captures
     * are already pending, and an Error when closed, timed out or the worker failed.
     */
    async capture(size: SnapshotRequestSize): Promise<Snapshot> {
        const { width, height } = size;
        const quality = size.quality ?? this.quality;
        checkSnapshotSize(width, height);
        checkJpegQuality(quality);
        if (this.#closed) throw new Error("snapshot source is closed");
        if (this.#pending.size >= this.maxPending) throw new SnapshotBusyError(this.maxPending);
        const tick = this.tick();
        const worker = this.#ensureWorker();
        const id = this.#nextId++;
        return new Promise<Snapshot>((resolve, reject) => {
            const timer = setTimeout(() => void this.#fail(new Error(`snapshot ${width}x${height} timed out after ${this.timeoutMs} ms; worker restarted`)), this.timeoutMs);
            timer.unref?.();
            this.#pending.set(id, { resolve, reject, timer, width, height });
            worker.ref();
            const request: SnapshotRequest = { id, tick, width, height, quality };
            worker.postMessage(request);
        });
    }

    /** Ends the worker (if started) and rejects pending captures; later captures reject. */
    async close(): Promise<void> {
        this.#closed = true;
        await this.#fail(new Error("snapshot source closed"));
    }

    #ensureWorker(): Worker {
        if (this.#worker !== undefined) return this.#worker;
        const data: SnapshotWorkerData = { framesPath: this.#framesPath };
        const worker = startWorker(this.#workerUrl, data, this.#resourceLimits);
        worker.unref();
        worker.on("message", (reply: SnapshotReply) => this.#settle(reply));
        worker.on("error", error => {
            if (this.#worker === worker) void this.#fail(new Error(`snapshot worker failed: ${error.message}`, { cause: error }));
        });
        worker.on("exit", code => {
            if (this.#worker === worker) void this.#fail(new Error(`snapshot worker exited (code ${code})`));
        });
        this.#worker = worker;
        return worker;
    }

    #settle(reply: SnapshotReply): void {
        const pending = this.#pending.get(reply.id);
        if (pending === undefined) return;
        this.#pending.delete(reply.id);
        clearTimeout(pending.timer);
        if (this.#pending.size === 0) this.#worker?.unref();
        if ("error" in reply) {
            pending.reject(reply.range ? new RangeError(reply.error) : new Error(`snapshot failed: ${reply.error}`));
        } else {
            pending.resolve({ data: reply.data, width: pending.width, height: pending.height, frame: reply.frame });
        }
    }

    /** Drops the worker (terminating it) and rejects every pending capture with `error`. */
    async #fail(error: Error): Promise<void> {
        const worker = this.#worker;
        this.#worker = undefined;
        const pending = [...this.#pending.values()];
        this.#pending.clear();
        for (const p of pending) {
            clearTimeout(p.timer);
            p.reject(error);
        }
        if (worker !== undefined) await worker.terminate();
    }
}

/**
 * Starts the worker entry `url`. Bun and Deno run a .ts entry natively; Node 20 cannot, and tsx
 * (which the Node camera runs under) registers its hooks on the main thread only there, so for a
 * .ts entry under Node the worker registers tsx's ESM hooks itself and then imports the entry.
 */
function startWorker(url: URL, workerData: SnapshotWorkerData, resourceLimits: ResourceLimits): Worker {
    const runtime = globalThis as { Bun?: unknown; Deno?: unknown };
    if (!url.pathname.endsWith(".ts") || runtime.Bun !== undefined || runtime.Deno !== undefined) {
        return new Worker(url, { workerData, resourceLimits });
    }
    let tsxApi: string;
    try {
        tsxApi = import.meta.resolve("tsx/esm/api");
    } catch (e) {
        throw new Error(`snapshot worker: ${url.pathname} is TypeScript and tsx is not installed to load it`, { cause: e });
    }
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then(tsx => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
    return new Worker(bootstrap, { eval: true, workerData, resourceLimits });
}
