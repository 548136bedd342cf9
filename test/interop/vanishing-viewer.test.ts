/**
 * Viewers that vanish without a word, on the Node camera: the viewer's packets are dropped (a
 * `UdpLink` between it and the camera is cut), not its peer closed. Real controllers never send
 * EndSession, so the camera must end such a session itself, send End and release the streams:
 *
 * - a viewer that sends receiver reports (as libwebrtc and the SDK's controller do) is ended when
 *   they stop: the camera's RTCP-silence limit (5 s), End(MediaTimeout);
 * - a viewer that sends no RTCP at all is ended by ICE consent freshness (≤ 35 s), End(IceTimeout);
 * - a 2 s outage is survived: the session stays and video resumes.
 */

import nodeDataChannel from "node-datachannel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CameraNode } from "../../src/matter/camera-node.js";
import { DEFAULT_RTCP_TIMEOUT_MS, NodeMediaHost, testPatternClip } from "../../src/media/node/index.js";
import { ControllerPeer } from "../media/controller-peer.js";
import { TestController, testEnvironment, testPort, type CameraPeer } from "../support/matter-controller.js";
import { until } from "../support/streaming.js";
import { UdpLink } from "../support/udp-link.js";

const env = testEnvironment();
const END_REASON = { IceTimeout: 1, MediaTimeout: 9 } as const;

describe("a viewer that vanishes (packets dropped) is freed by the Node camera", () => {
    const cameraPort = testPort();
    let media: NodeMediaHost;
    let camera: CameraNode;
    let controller: TestController;
    let peer: CameraPeer;
    const cleanup: (() => void)[] = [];

    beforeAll(async () => {
        media = new NodeMediaHost({ video: testPatternClip(), bindAddress: "127.0.0.1" });
        camera = await CameraNode.create({ media, id: "vanish-node", port: cameraPort });
        await camera.start();
        controller = await TestController.create("vanish-ctl", testPort(), cameraPort, { preferTcp: true });
        peer = await controller.commission(cameraPort);
    }, 60_000);

    afterAll(async () => {
        for (const close of cleanup) close();
        await camera?.close();
        media?.close();
        await controller?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
    }, 60_000);

    /** A streaming session whose media runs through a cuttable link. */
    async function session(receiverReports: boolean): Promise<{ id: number; viewer: ControllerPeer; link: UdpLink; mark: number }> {
        const link = await UdpLink.open();
        const viewer = new ControllerPeer({ videoPt: 102, audioPt: 111, receiverReports });
        cleanup.push(() => viewer.close(), () => link.close());
        const mark = controller.received.length;
        const response = await peer.provideOffer({ sdp: await viewer.createOffer(), videoStreamId: 0, audioStreamId: 0 });
        if (!response.ok) throw new Error(`ProvideOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        await peer.track(id, [0], [0]);
        const answer = await controller.waitFor(r => r.kind === "answer" && r.sessionId === id && controller.received.indexOf(r) >= mark);
        viewer.setRemote(answer.sdp as string, "answer");
        // each side learns only the link's address for the other
        viewer.forwardCandidates(c => {
            const through = link.viewerCandidateForCamera(c.candidate);
            if (through !== undefined) void peer.provideIceCandidates(id, [{ candidate: through, sdpMid: c.mid, sdpmLineIndex: null }]);
        });
        let applied = 0;
        await until(
            "connected through the link",
            () => {
                const batches = controller.received.slice(mark).filter(r => r.kind === "iceCandidates" && r.sessionId === id);
                for (const batch of batches.slice(applied)) {
                    for (const c of batch.candidates ?? []) {
                        const through = link.cameraCandidateForViewer(c.candidate);
                        if (through !== undefined) viewer.addRemoteCandidate(through, c.sdpMid ?? "v");
                    }
                }
                applied = batches.length;
                return viewer.state() === "connected";
            },
            15_000,
        );
        await until("30 video frames", () => viewer.video.frames >= 30, 10_000);
        expect(link.relayed).toBeGreaterThan(30);
        return { id, viewer, link, mark };
    }

    /** Cuts the link; the time until End for `id` arrived, the row is gone and the streams are released. */
    async function vanish(id: number, link: UdpLink, mark: number, limitMs: number): Promise<{ ms: number; reason: number | undefined }> {
        const base = { video: 0, audio: 0 };
        const cutAt = performance.now();
        link.cut();
        const end = await controller.waitFor(r => r.kind === "end" && r.sessionId === id && controller.received.indexOf(r) >= mark, limitMs);
        const ms = performance.now() - cutAt;
        expect((await peer.currentSessions()).some(r => r.id === id)).toBe(false);
        expect(await peer.referenceCounts(0, 0)).toEqual(base);
        expect(media.sessionIds()).not.toContain(id);
        return { ms, reason: end.reason };
    }

    it("survives a 2 s outage: the session stays and video resumes", async () => {
        const { id, viewer, link } = await session(true);
        link.cut();
        await new Promise(resolve => setTimeout(resolve, 2_000));
        const frames = viewer.video.frames;
        link.restore();
        await until("video resumes", () => viewer.video.frames >= frames + 20, 10_000);
        expect((await peer.currentSessions()).some(r => r.id === id)).toBe(true);
        expect((await peer.endSession(id)).ok).toBe(true);
    }, 60_000);

    it("ends a viewer whose receiver reports stop, after the RTCP-silence limit: End(MediaTimeout)", async () => {
        const { id, link, mark } = await session(true);
        const { ms, reason } = await vanish(id, link, mark, DEFAULT_RTCP_TIMEOUT_MS + 3_000);
        console.log(`vanished viewer with receiver reports: freed in ${ms.toFixed(0)} ms`);
        expect(reason).toBe(END_REASON.MediaTimeout);
    }, 60_000);

    it("ends a viewer that never sent RTCP by ICE consent freshness, within 35 s: End(IceTimeout)", async () => {
        const { id, link, mark } = await session(false);
        const { ms, reason } = await vanish(id, link, mark, 35_000);
        console.log(`vanished viewer without RTCP: freed in ${ms.toFixed(0)} ms`);
        expect(reason).toBe(END_REASON.IceTimeout);
    }, 90_000);
});
