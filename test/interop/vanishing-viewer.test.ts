/**
 * Viewers that vanish without a word, on the Node camera: the viewer's packets are dropped (a
 * `UdpLink` between it and the camera is cut), not its peer closed. Real controllers never send
 * EndSession, so the camera must end such a session itself, send End and release the streams:
 *
 * - a viewer that sends receiver reports (as libwebrtc and the SDK's controller do) is ended when
 *   they stop: the camera's RTCP-silence limit (5 s), End(MediaTimeout);
 * - a viewer that sends no RTCP at all is ended by ICE consent freshness (≤ 35 s), End(IceTimeout);
 * - a 2 s outage is survived: the session stays and video resumes;
 * - a whole controller that vanishes (its media cut, its Matter node gone, so the End cannot be
 *   delivered) still has its session ended and everything released: row, references, peer.
 */

import nodeDataChannel from "node-datachannel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CameraNode } from "../../src/matter/camera-node.js";
import { DEFAULT_RTCP_TIMEOUT_MS, type NodeMediaHost } from "../../src/media/node/index.js";
import { NodeCameraRig } from "../support/camera-rig.js";
import { ControllerPeer } from "../media/controller-peer.js";
import { testEnvironment, type CameraPeer, type TestController } from "../support/matter-controller.js";
import { until } from "../support/streaming.js";
import { UdpLink } from "../support/udp-link.js";

const env = testEnvironment();
const END_REASON = { IceTimeout: 1, MediaTimeout: 9 } as const;

describe("a viewer that vanishes (packets dropped) is freed by the Node camera", () => {
    let rig: NodeCameraRig;
    let camera: CameraNode;
    let media: NodeMediaHost;
    let ctl: TestController;
    let cameraPeer: CameraPeer;
    const cleanup: (() => void)[] = [];

    beforeAll(async () => {
        rig = await NodeCameraRig.start({ name: "vanish" });
        ({ camera, media } = rig);
        ({ controller: ctl, peer: cameraPeer } = await rig.addController({ id: "vanish-ctl", preferTcp: true }));
    }, 60_000);

    afterAll(async () => {
        for (const close of cleanup) close();
        await rig?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
    }, 60_000);

    /** A streaming session whose media runs through a cuttable link. */
    async function session(
        receiverReports: boolean,
        controller = ctl,
        peer = cameraPeer,
    ): Promise<{ id: number; viewer: ControllerPeer; link: UdpLink; mark: number }> {
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
        const end = await ctl.waitFor(r => r.kind === "end" && r.sessionId === id && ctl.received.indexOf(r) >= mark, limitMs);
        const ms = performance.now() - cutAt;
        expect((await cameraPeer.currentSessions()).some(r => r.id === id)).toBe(false);
        expect(await cameraPeer.referenceCounts(0, 0)).toEqual(base);
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
        expect((await cameraPeer.currentSessions()).some(r => r.id === id)).toBe(true);
        expect((await cameraPeer.endSession(id)).ok).toBe(true);
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

    it("ends the session of a controller that vanished whole (media cut, Matter node gone) and releases everything", async () => {
        const { controller: gone, peer: gonePeer } = await rig.addController({ id: "vanish-whole", preferTcp: true });
        const { id, link } = await session(true, gone, gonePeer);
        expect(camera.engine.session(id)).toBeDefined();
        expect(camera.engine.streamReferences(0, 0)).toBe(1);

        const vanishedAt = performance.now();
        link.cut();
        await gone.close(); // no EndSession: its node is just gone
        await until(
            "the camera to end the session and release its peer",
            () => camera.engine.session(id) === undefined && !media.sessionIds().includes(id) && camera.engine.streamReferences(0, 0) === 0,
            DEFAULT_RTCP_TIMEOUT_MS + 10_000,
        );
        console.log(`vanished controller: cleaned up ${((performance.now() - vanishedAt) / 1000).toFixed(1)} s after it vanished`);
        expect(camera.engine.selfCheck()).toBe(0);
        expect(media.stats(id)).toBeUndefined();
    }, 60_000);
});
