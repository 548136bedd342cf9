/**
 * A controller outside the Matter port range, reached by the tab camera through the relay: the
 * "controllers anywhere on the LAN" rule end to end, with real pieces (a Chromium tab camera behind
 * a relay on loopback, `TabCamera`; a matter.js `TestController` on `testPort()`, 20000–21999, far
 * from the relay's Matter ports 24000–24319; a node-datachannel viewer).
 *
 * The controller commissions the tab and streams a session from it, over connections it opened
 * itself (UDP for commissioning and CASE, TCP for the Large Message commands): that worked before.
 * Then it closes every CASE session with the camera (CloseSession, so the camera drops them too)
 * and its viewer goes away without a word, so the tab must end the session and tell the controller
 * (End, a Large Message) over a session it opens itself: a TCP connection from the relay to the
 * controller's operational port, which the tab knows from the controller's UDP session. Before the
 * rule the relay refused that connect ("TCP connect to port 2xxxx is not allowed": the port is
 * outside 5540–5600 and the relay's range) and no End ever arrived; now the port is a learned
 * destination (the controller wrote to the tab's socket from it first), the tab resumes CASE over
 * TCP and the End arrives. (Learning from the controller's operational mDNS record is the other
 * path; this machine's `lo` has no IPv6 multicast, so it is proven in controllers-anywhere.test.ts
 * and the unit tests.)
 */

import nodeDataChannel from "node-datachannel";
import { SessionManager } from "@matter/main/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerPeer } from "../media/controller-peer.js";
import { TestController, testEnvironment, testPort, type CameraPeer } from "../support/matter-controller.js";
import { until } from "../support/streaming.js";
import { TabCamera } from "../support/tab-camera.js";

/** "candidate:… udp <priority> <address> <port> typ …": true for 127.0.0.0/8 and ::1. */
function isLoopbackCandidate(candidate: string): boolean {
    const address = candidate.split(" ")[4] ?? "";
    return address.startsWith("127.") || address === "::1";
}

describe("a controller outside the Matter port range, reached by the tab camera", () => {
    const env = testEnvironment();
    let tab: TabCamera;
    let controller: TestController;
    let camera: CameraPeer;
    let controllerPort = 0;
    const viewers: ControllerPeer[] = [];

    beforeAll(async () => {
        tab = await TabCamera.start({ name: "anywhere" });
        controllerPort = testPort();
        controller = await TestController.create("ctl-anywhere", controllerPort, tab.port);
    }, 90_000);

    afterAll(async () => {
        for (const viewer of viewers) viewer.close();
        await controller?.close().catch(() => undefined);
        await tab?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
    }, 30_000);

    it("commissions the tab, streams, and gets the tab's End over a connection the tab opens to the controller", async () => {
        expect(controllerPort).toBeGreaterThanOrEqual(20_000);
        expect(controllerPort < tab.matterPorts.from || controllerPort > tab.matterPorts.to).toBe(true);
        expect(controllerPort < 5540 || controllerPort > 5600).toBe(true);
        camera = await controller.commission(tab.port, (await tab.status()).pairing?.passcode);
        expect((await tab.status()).commissioned).toBe(true);

        const viewer = new ControllerPeer({ videoPt: 102, audioPt: 111 });
        viewers.push(viewer);
        const mark = controller.received.length;
        const response = await camera.provideOffer({ sdp: await viewer.createOffer(), videoStreamId: 0, audioStreamId: 0 });
        if (!response.ok) throw new Error(`ProvideOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        await camera.track(id, [0], [0]);
        const answer = await controller.waitFor(r => r.kind === "answer" && r.sessionId === id && controller.received.indexOf(r) >= mark);
        viewer.setRemote(answer.sdp as string, "answer");
        viewer.forwardCandidates(c => void camera.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }]));
        let applied = 0;
        await until(
            "viewer connected",
            () => {
                const batches = controller.received.slice(mark).filter(r => r.kind === "iceCandidates" && r.sessionId === id);
                for (const batch of batches.slice(applied)) {
                    for (const c of batch.candidates ?? []) if (isLoopbackCandidate(c.candidate)) viewer.addRemoteCandidate(c.candidate, c.sdpMid ?? "0");
                }
                applied = batches.length;
                return viewer.state() === "connected";
            },
            20_000,
        );
        await until("10 video frames", () => viewer.video.frames >= 10, 15_000);

        // the controller closes its CASE sessions (the camera is told), then its viewer vanishes:
        // the tab's End must travel over a session the tab opens to the controller's port
        for (const session of [...controller.node.env.get(SessionManager).sessions]) await session.initiateClose();
        const ended = controller.received.length;
        viewer.close();
        const end = await controller.waitFor(r => r.kind === "end" && r.sessionId === id && controller.received.indexOf(r) >= ended, 45_000);
        expect(end.reason).toBeDefined();
        expect(tab.relay.stats().learnedDestinations).toBeGreaterThanOrEqual(1);
        expect(tab.pageErrors).toEqual([]);
    }, 150_000);
});
