/**
 * One live WebRTC session from a real matter.js controller to the browser camera, for suites that
 * need the tab streaming rather than the protocol under test (the phone layout with live sessions,
 * the background tab's frame rate): ProvideOffer with a node-datachannel peer's Offer
 * (`ControllerPeer`, H.264 + Opus), the tab's Answer, ICE both ways (only the tab's loopback
 * candidates, so the media stays on 127.0.0.1 / ::1) until the peer is connected. The peer counts
 * the H.264 frames it receives (RTP marker bits).
 *
 * test/browser/e2e.test.ts walks the same steps with every intermediate check; this is the short
 * path once those hold.
 */

import { ControllerPeer } from "../media/controller-peer.js";
import type { CameraPeer, TestController } from "./matter-controller.js";
import { until } from "./streaming.js";

/** "candidate:… udp <priority> <address> <port> typ …": true for 127.0.0.0/8 and ::1. */
function isLoopbackCandidate(candidate: string): boolean {
    const address = candidate.split(" ")[4] ?? "";
    return address.startsWith("127.") || address === "::1";
}

export interface TabSession {
    id: number;
    peer: ControllerPeer;
}

/** Opens a ProvideOffer session on the allocated `streams` and waits (bounded) until its peer is connected. */
export async function openTabSession(controller: TestController, camera: CameraPeer, streams: { video: number; audio: number }): Promise<TabSession> {
    const peer = new ControllerPeer({ videoPt: 96, audioPt: 111 });
    try {
        const offer = await peer.createOffer();
        // session ids start at 1 again after a camera restart: only what comes from now on counts
        const mark = controller.received.length;
        const response = await camera.provideOffer({ sdp: offer, videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!response.ok) throw new Error(`ProvideOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        await camera.track(id, [streams.video], [streams.audio]);
        const answer = await controller.waitFor(r => r.kind === "answer" && r.sessionId === id && controller.received.indexOf(r) >= mark, 10_000);
        peer.setRemote(answer.sdp as string, "answer");
        peer.forwardCandidates(c => void camera.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }]));
        let applied = 0;
        await until(
            `session ${id} connected`,
            () => {
                const batches = controller.received.slice(mark).filter(r => r.kind === "iceCandidates" && r.sessionId === id);
                for (const batch of batches.slice(applied)) {
                    for (const c of batch.candidates ?? []) if (isLoopbackCandidate(c.candidate)) peer.addRemoteCandidate(c.candidate, c.sdpMid ?? "v");
                }
                applied = batches.length;
                return peer.state() === "connected";
            },
            20_000,
        );
        await until(`session ${id}: first video frame`, () => peer.video.frames > 0, 15_000);
        return { id, peer };
    } catch (error) {
        peer.close();
        throw error;
    }
}
