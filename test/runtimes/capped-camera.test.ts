/**
 * The Node camera in 64 MB of V8 old space, streaming: the camera CLI runs as a child process,
 *
 *   node --max-old-space-size=64 --import tsx src/cli/camera.ts --port <p> --storage <tmp> --webrtc-bind 127.0.0.1
 *
 * (plus `--import ./test/runtimes/heap-probe.mjs`, which prints the child's heap once a second),
 * with MATTER_MDNS_NETWORKINTERFACE=lo and MATTER_LOG_LEVEL=warn. A real matter.js controller in
 * this process commissions it, allocates a video and an audio stream, and opens three live
 * sessions (ProvideOffer from a node-datachannel ControllerPeer, the camera's Answer, ICE both
 * ways). For 60 s the test samples every 5 s: each session's video frame counter must grow in
 * every interval, the child must stay alive, and its RSS (/proc/<pid>/status VmRSS) and heap are
 * recorded and printed. Then EndSession ×3 (each must succeed and leave CurrentSessions empty),
 * SIGTERM (the CLI must exit 0 within 10 s; the camera stops before the controller closes), and
 * the child must have printed no error line (errorLines in camera-host.ts: matter.js ERROR/FATAL,
 * the CLI's onError lines, crashes).
 *
 * About 75 s in all. The figures are printed as a table (time, RSS, peak RSS, heap used, frames per
 * session); the bench's footprint section (test/bench/runtimes-footprint.ts) reports the same
 * machinery's idle and 3-session RSS.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodeDataChannel from "node-datachannel";
import { afterAll, describe, expect, it } from "vitest";
import { TestController, testEnvironment, testPort } from "../support/matter-controller.js";
import { CameraChild, mib, openLiveSession, type HeapSample, type LiveSession } from "./camera-host.js";

const STREAM_MS = 60_000;
const SAMPLE_MS = 5_000;
const SESSIONS = 3;
const OLD_SPACE_MB = 64;

const env = testEnvironment();
const storage = mkdtempSync(join(tmpdir(), "mwp-capped-"));
let camera: CameraChild | undefined;
let controller: TestController | undefined;
const sessions: LiveSession[] = [];

afterAll(async () => {
    for (const s of sessions) s.local.close();
    await camera?.stop(10_000);
    await controller?.close();
    nodeDataChannel.cleanup();
    env.cleanup();
    rmSync(storage, { recursive: true, force: true });
}, 30_000);

interface Sample {
    at: number;
    rss: number | undefined;
    hwm: number | undefined;
    heap: HeapSample | undefined;
    frames: number[];
}

describe("camera CLI under --max-old-space-size=64", () => {
    it(`streams to ${SESSIONS} sessions for ${STREAM_MS / 1000} s without stalling, erroring or dying`, async () => {
        const started = Date.now();
        const cameraPort = testPort();
        camera = await CameraChild.start({ launch: "node-tsx", port: cameraPort, storage, maxOldSpaceMb: OLD_SPACE_MB, startTimeoutMs: 60_000 });
        const onlineMs = Date.now() - started;
        const idle = camera.memory();

        controller = await TestController.create("ctl-capped", testPort(), cameraPort);
        const peer = await controller.commission(cameraPort);
        const streams = await peer.allocateStreams();
        for (let i = 0; i < SESSIONS; i++) sessions.push(await openLiveSession(controller, peer, streams, { timeoutMs: 20_000 }));
        expect(new Set(sessions.map(s => s.id)).size).toBe(SESSIONS);
        expect((await peer.currentSessions()).map(s => s.id).sort()).toEqual(sessions.map(s => s.id).sort());

        const sample = (): Sample => {
            const m = camera!.memory();
            return { at: Date.now(), rss: m?.rss, hwm: m?.hwm, heap: camera!.lastHeap(), frames: sessions.map(s => s.local.video.frames) };
        };
        const samples: Sample[] = [sample()];
        const streamStart = Date.now();
        while (Date.now() - streamStart < STREAM_MS) {
            await new Promise(resolve => setTimeout(resolve, SAMPLE_MS));
            samples.push(sample());
            expect(camera.alive, `camera exited: ${camera.output().slice(-2000)}`).toBe(true);
        }

        const rows = samples.map(
            s =>
                `${((s.at - streamStart) / 1000).toFixed(0).padStart(4)} s  RSS ${mib(s.rss).padStart(6)} MiB  peak ${mib(s.hwm).padStart(6)} MiB  ` +
                `heap used ${mib(s.heap?.heapUsed).padStart(5)} MiB  old space ${mib(s.heap?.oldSpaceUsed).padStart(5)} MiB  frames ${s.frames.join(" / ")}`,
        );
        console.log(
            [
                `capped camera (${camera.command})`,
                `  online after ${(onlineMs / 1000).toFixed(1)} s; RSS idle uncommissioned ${mib(idle?.rss)} MiB; V8 heap limit ${mib(camera.lastHeap()?.heapLimit)} MiB`,
                `  session setup (ProvideOffer → 5 frames) ${sessions.map(s => `${s.setupMs.toFixed(0)} ms`).join(", ")}`,
                ...rows.map(r => `  ${r}`),
            ].join("\n"),
        );

        // every interval, every session got new video frames
        for (let i = 1; i < samples.length; i++) {
            for (let k = 0; k < SESSIONS; k++) {
                expect(samples[i]!.frames[k]!, `session ${sessions[k]!.id} stalled between ${i - 1} and ${i}`).toBeGreaterThan(samples[i - 1]!.frames[k]!);
            }
        }
        expect(samples.length).toBeGreaterThanOrEqual(STREAM_MS / SAMPLE_MS);
        for (const s of samples) expect(s.rss).toBeGreaterThan(0);
        // the cap took effect: V8's limit is the 64 MB old space plus the young generation
        expect(camera.lastHeap()?.heapLimit).toBeLessThan(128 * 1024 * 1024);
        for (const s of sessions) for (const outcome of await Promise.all(s.iceSent)) expect(outcome).toEqual({ ok: true });

        for (const s of sessions) expect(await peer.endSession(s.id)).toEqual({ ok: true, value: undefined });
        expect(await peer.currentSessions()).toEqual([]);
        for (const s of sessions.splice(0)) s.local.close();

        // the camera first: after its controller it would wait out the CASE session (about 15 s)
        const stopped = await camera.stop(10_000);
        expect(stopped, camera.output().slice(-2000)).toMatchObject({ code: 0, graceful: true });
        expect(camera.errors(), camera.output().slice(-3000)).toEqual([]);
        await controller.close();
        controller = undefined;
    }, 150_000);
});
