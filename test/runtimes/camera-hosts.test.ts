/**
 * The camera CLI hosted by Bun and by Deno (devDependencies bun, deno), end to end against a
 * real matter.js controller in this process:
 *
 *   bun src/cli/camera.ts --port <p> --storage <tmp> --webrtc-bind 127.0.0.1
 *   deno run --sloppy-imports <permissions> --preload test/runtimes/deno-preload.ts src/cli/camera.ts …
 *
 * Each runtime: the camera comes online, is commissioned (PASE, CASE, over UDP/TCP on loopback),
 * allocates streams, opens one ProvideOffer session with a node-datachannel ControllerPeer (the
 * camera's node-datachannel addon loaded through the runtime's N-API), keeps receiving video
 * frames for 3 s, appears in CurrentSessions, ends with EndSession, and the camera exits 0 on
 * SIGTERM without printing an error. Bun needs nothing; Deno needs the two adaptations in
 * deno-preload.ts (WebCrypto instead of its node:crypto, matter.js signal handling off), see
 * README.md. About 15 s per runtime, each bounded at 60 s.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodeDataChannel from "node-datachannel";
import { afterAll, describe, expect, it } from "vitest";
import { TestController, testEnvironment, testPort } from "../support/matter-controller.js";
import { CameraChild, openLiveSession, until, type LiveSession } from "./camera-host.js";

const env = testEnvironment();
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    nodeDataChannel.cleanup();
    env.cleanup();
}, 30_000);

describe.each(["bun", "deno"] as const)("camera CLI hosted by %s", launch => {
    it("is commissioned, streams one session, ends it and stops cleanly", async () => {
        const storage = mkdtempSync(join(tmpdir(), `mwp-${launch}-`));
        const cameraPort = testPort();
        let camera: CameraChild | undefined;
        let controller: TestController | undefined;
        let session: LiveSession | undefined;
        cleanups.push(async () => {
            session?.local.close();
            await camera?.stop(5_000);
            await controller?.close();
            rmSync(storage, { recursive: true, force: true });
        });

        camera = await CameraChild.start({ launch, port: cameraPort, storage, startTimeoutMs: 30_000 });
        controller = await TestController.create(`ctl-${launch}`, testPort(), cameraPort);
        const peer = await controller.commission(cameraPort);
        const streams = await peer.allocateStreams();
        session = await openLiveSession(controller, peer, streams, { timeoutMs: 20_000, minFrames: 10 });
        expect((await peer.currentSessions()).map(s => s.id)).toEqual([session.id]);

        // video keeps coming: at least 30 more frames (20 fps) within 3 s, and a keyframe among them
        const live = session;
        const from = live.local.video.frames;
        await until("30 more video frames", () => live.local.video.frames >= from + 30 && live.local.video.keyframes > 0, 5_000);
        for (const outcome of await Promise.all(live.iceSent)) expect(outcome).toEqual({ ok: true });

        expect(await peer.endSession(live.id)).toEqual({ ok: true, value: undefined });
        expect(await peer.currentSessions()).toEqual([]);
        await camera.waitForLine(new RegExp(`^camera: session ${live.id} removed`), 5_000);
        live.local.close();
        session = undefined;

        // the camera first: after its controller it would wait out the CASE session (about 15 s)
        const stopped = await camera.stop(10_000);
        expect(stopped, camera.output().slice(-2000)).toMatchObject({ code: 0, graceful: true });
        expect(camera.errors(), camera.output().slice(-3000)).toEqual([]);
        await controller.close();
        controller = undefined;
    }, 60_000);
});
