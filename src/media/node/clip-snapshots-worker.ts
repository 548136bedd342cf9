/**
 * The worker thread behind `ClipSnapshots` (clip-snapshots.ts): loads the clip's decoded frames
 * once, then turns each request into a JPEG with `renderSnapshot` (clip-frames.ts), one at a time,
 * in arrival order. Never imported by the main thread; started by `ClipSnapshots` only.
 *
 * Protocol (structured clone over the worker's port):
 *   in:  {@link SnapshotRequest}  `{ id, tick, width, height, quality }`; the frame is `tick mod count`
 *   out: {@link SnapshotReply}    `{ id, frame, data }` (data's buffer is transferred), or
 *                                 `{ id, error, range }` (range: the request was out of range)
 * workerData: {@link SnapshotWorkerData} `{ framesPath }`.
 * A failure to load the frames is thrown at start-up and reaches the owner as the worker's "error".
 */

import { parentPort, workerData } from "node:worker_threads";
import { loadClipFrames, renderSnapshot } from "./clip-frames.js";

export interface SnapshotWorkerData {
    /** Brotli-compressed I420 frames, 320×240 (clip-frames.ts `CLIP_FRAMES_PATH` by default). */
    framesPath: string;
}

export interface SnapshotRequest {
    id: number;
    /** Frames elapsed on the source's clock: floor(t · fps). */
    tick: number;
    width: number;
    height: number;
    quality: number;
}

export type SnapshotReply =
    | { id: number; frame: number; data: Uint8Array }
    | { id: number; error: string; range: boolean };

const port = parentPort ?? fail("clip-snapshots-worker runs as a worker thread only");

function fail(message: string): never {
    throw new Error(message);
}

const frames = loadClipFrames((workerData as SnapshotWorkerData).framesPath);

// one request at a time, in arrival order (renderSnapshot awaits the encoder)
let queue: Promise<void> = Promise.resolve();
port.on("message", (request: SnapshotRequest) => {
    queue = queue.then(() => render(request));
});

async function render(request: SnapshotRequest): Promise<void> {
    const { id } = request;
    try {
        const frame = ((request.tick % frames.count) + frames.count) % frames.count;
        const data = await renderSnapshot(frames, frame, request.width, request.height, request.quality);
        const reply: SnapshotReply = { id, frame, data };
        port.postMessage(reply, [data.buffer as ArrayBuffer]);
    } catch (e) {
        const reply: SnapshotReply = { id, error: e instanceof Error ? e.message : String(e), range: e instanceof RangeError };
        port.postMessage(reply);
    }
}
