/**
 * A controller that vanishes mid-stream, against the real Node camera (CameraNode + NodeMediaHost
 * on 127.0.0.1) and a real matter.js controller with a real WebRTC peer (ControllerPeer). What it
 * proves: once a live SolicitOffer session is streaming video and audio, and the controller closes
 * its peer connection and its Matter node (no EndSession, no more CASE), the camera on its own ends
 * the session and cleans up within a bounded time (75 s: libdatachannel's ICE consent/failure
 * detection is expected around 40 s): the engine row is gone, the streams' reference counts are
 * back to their base value, and the NodeMediaHost no longer holds a peer for the session. The
 * measured time is printed once (a report, never asserted).
 */

import nodeDataChannel from "node-datachannel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StreamKind } from "../../src/engine/index.js";
import { CameraNode } from "../../src/matter/camera-node.js";
import { NodeMediaHost, OFFER_FORMATS, testPatternClip } from "../../src/media/node/index.js";
import { ControllerPeer } from "../media/controller-peer.js";
import { TestController, testEnvironment, testPort, type CameraPeer } from "../support/matter-controller.js";
import { answerAndStream, until } from "../support/streaming.js";

const CLEANUP_BOUND_MS = 75_000;

/** Resolves `promise` or gives up (quietly) after `ms`: a close that hangs must not hang the file. */
async function bounded(promise: Promise<unknown> | undefined, ms = 15_000): Promise<void> {
    if (promise === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([promise.catch(() => undefined), new Promise<void>(resolve => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
}

describe("a controller that vanishes while streaming", () => {
    const env = testEnvironment();
    const cameraPort = testPort();
    let media: NodeMediaHost;
    let camera: CameraNode;
    let controller: TestController | undefined;
    let peer: CameraPeer;
    let local: ControllerPeer | undefined;

    beforeAll(async () => {
        media = new NodeMediaHost({ video: testPatternClip() });
        camera = await CameraNode.create({ media, id: "cam-vanish", port: cameraPort });
        await camera.start();
        controller = await TestController.create("ctl-vanish", testPort(), cameraPort);
        peer = await controller.commission(cameraPort);
    }, 60_000);

    afterAll(async () => {
        local?.close();
        await bounded(controller?.close());
        await bounded(camera?.close(), 30_000);
        media?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
    }, 90_000);

    it("ends the session and releases everything once the controller is gone", async () => {
        const streams = await peer.allocateStreams();
        const base = {
            video: camera.engine.streamReferences(StreamKind.Video, streams.video),
            audio: camera.engine.streamReferences(StreamKind.Audio, streams.audio),
        };

        const response = await peer.solicitOffer({ videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!response.ok) throw new Error(`SolicitOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        await peer.track(id, [streams.video], [streams.audio]);
        local = new ControllerPeer({ videoPt: OFFER_FORMATS.video.payloadType, audioPt: OFFER_FORMATS.audio.payloadType });
        await answerAndStream(controller!, peer, local, id);

        // live: row present, streams referenced once more, the host has a connected peer
        expect(camera.engine.session(id)).toBeDefined();
        expect(camera.engine.streamReferences(StreamKind.Video, streams.video)).toBe(base.video + 1);
        expect(camera.engine.streamReferences(StreamKind.Audio, streams.audio)).toBe(base.audio + 1);
        expect(media.sessionIds()).toContain(id);
        expect(media.stats(id)?.state).toBe("connected");

        // the controller vanishes: its WebRTC peer and its Matter node close, nothing is said
        const vanishedAt = performance.now();
        local.close();
        local = undefined;
        await bounded(controller!.close());
        controller = undefined;

        await until(
            "the camera to end the session and release its peer",
            () =>
                camera.engine.session(id) === undefined &&
                !media.sessionIds().includes(id) &&
                camera.engine.streamReferences(StreamKind.Video, streams.video) === base.video &&
                camera.engine.streamReferences(StreamKind.Audio, streams.audio) === base.audio,
            CLEANUP_BOUND_MS,
        );
        const seconds = (performance.now() - vanishedAt) / 1000;
        console.log(`vanishing controller: camera cleaned up session ${id} ${seconds.toFixed(1)} s after the controller vanished`);

        expect(camera.engine.sessions()).toEqual([]);
        expect(camera.engine.selfCheck()).toBe(0);
        expect(media.stats(id)).toBeUndefined();
    }, 150_000);
});
