/**
 * The camera node against a real matter.js controller over UDP/TCP on loopback, with real WebRTC:
 * commissioning, then ProvideOffer and SolicitOffer (immediate and deferred) all the way to video
 * RTP at the controller's node-datachannel peer, and EndSession closing the camera's peer and row.
 */

import nodeDataChannel from "node-datachannel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CameraNode } from "../../src/matter/camera-node.js";
import { NodeMediaHost, testPatternClip } from "../../src/media/node/index.js";
import { ControllerPeer } from "../media/controller-peer.js";
import { TestController, testEnvironment, testPort, type CameraPeer } from "../support/matter-controller.js";

const VIDEO_PT = 102;
const AUDIO_PT = 111;

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise(resolve => setTimeout(resolve, 20));
    }
}

describe("camera node with a matter.js controller", () => {
    const env = testEnvironment();
    const cameraPort = testPort();
    let media: NodeMediaHost;
    let camera: CameraNode;
    let controller: TestController;
    let peer: CameraPeer;
    let videoId: number;
    let audioId: number;
    const peers: ControllerPeer[] = [];

    beforeAll(async () => {
        media = new NodeMediaHost({ video: testPatternClip() });
        camera = await CameraNode.create({ media, id: "cam-stream", port: cameraPort });
        await camera.start();
        controller = await TestController.create("ctl-stream", testPort(), cameraPort);
        peer = await controller.commission(cameraPort);
        ({ video: videoId, audio: audioId } = await peer.allocateStreams());
    }, 60_000);

    afterAll(async () => {
        for (const p of peers) p.close();
        await controller?.close();
        await camera?.close();
        media?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
    });

    it("commissions and exposes a camera endpoint", () => {
        expect(camera.commissioned).toBe(true);
        expect(peer.address.nodeId).toBeDefined();
    });

    it("ProvideOffer → Answer → ICE both ways → connected → video RTP; EndSession closes it", async () => {
        const local = new ControllerPeer({ videoPt: VIDEO_PT, audioPt: AUDIO_PT });
        peers.push(local);
        const offer = await local.createOffer();
        const response = await peer.provideOffer({ sdp: offer, videoStreamId: null, audioStreamId: null });
        if (!response.ok) throw new Error(`ProvideOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        expect(response.value.videoStreamId).toBe(videoId);
        expect(response.value.audioStreamId).toBe(audioId);
        await peer.track(id, [videoId], [audioId]);
        const answer = await controller.waitFor(r => r.kind === "answer" && r.sessionId === id);
        local.setRemote(answer.sdp as string, "answer");
        local.forwardCandidates(c => {
            void peer.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }]);
        });
        const ice = await controller.waitFor(r => r.kind === "iceCandidates" && r.sessionId === id);
        for (const c of ice.candidates ?? []) local.addRemoteCandidate(c.candidate, c.sdpMid ?? "0");
        await until("connected", () => local.state() === "connected");
        await until("30 video frames", () => local.video.frames >= 30 && local.video.keyframes > 0, 10_000);
        const end = await peer.endSession(id);
        expect(end.ok).toBe(true);
        expect(camera.engine.core.session(id)).toBeUndefined();
    }, 60_000);
});
