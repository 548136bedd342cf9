/**
 * The camera node against a real matter.js controller over UDP/TCP on loopback, with real WebRTC
 * (node-datachannel on both sides). What it proves:
 * - commissioning, then ProvideOffer all the way to video RTP at the controller's peer;
 * - SolicitOffer, immediate: the camera's Offer reaches the controller's Requestor cluster, the
 *   controller answers it (ProvideAnswer), ICE goes both ways (ProvideICECandidates / the
 *   camera's ICECandidates), the peers connect and video (with a keyframe) and audio arrive;
 * - SolicitOffer, deferred (a second camera whose media host defers its Offer): the response says
 *   DeferredOffer=true, the Offer still arrives (well within the 30 s of TC_WEBRTCP_2_11), then the
 *   same way to media;
 * - EndSession closes the camera's peer connection and removes the row from CurrentSessions;
 * - the ReferenceCount of the session's streams, read over Matter from CameraAvStreamManagement,
 *   is base+1 during the session and back to base after it (TC_WEBRTCP_2_23);
 * - deallocating a stream a session uses is refused, and succeeds after EndSession (TC_WEBRTCP_2_17);
 * - a command and the reference counts stay right while CameraAvStreamManagement is locked by
 *   another transaction (regression).
 */

import nodeDataChannel from "node-datachannel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CameraAvStreamServer } from "../../src/matter/camera-av-stream-management.js";
import type { CameraNode } from "../../src/matter/camera-node.js";
import { OFFER_FORMATS, type NodeMediaHost } from "../../src/media/node/index.js";
import { ControllerPeer } from "../media/controller-peer.js";
import { testEnvironment, type CameraPeer, type TestController } from "../support/matter-controller.js";
import { answerAndStream, closeCameraRig, referenceCountsBecome, startCameraRig, until, type CameraRig } from "../support/streaming.js";

const VIDEO_PT = 102;
const AUDIO_PT = 111;
const INVALID_IN_STATE = 0xcb;

const env = testEnvironment();
afterAll(() => {
    // after every describe's own afterAll: all peers are closed by then
    nodeDataChannel.cleanup();
    env.cleanup();
});

describe("camera node with a matter.js controller", () => {
    let rig: CameraRig;
    let media: NodeMediaHost;
    let camera: CameraNode;
    let controller: TestController;
    let peer: CameraPeer;
    let videoId: number;
    let audioId: number;
    let peers: ControllerPeer[];

    beforeAll(async () => {
        rig = await startCameraRig("stream");
        ({ media, camera, controller, peer, peers } = rig);
        ({ video: videoId, audio: audioId } = rig.streams);
    }, 60_000);

    afterAll(async () => {
        await closeCameraRig(rig);
    });

    it("commissions and exposes a camera endpoint", () => {
        expect(camera.commissioned).toBe(true);
        expect(peer.address.nodeId).toBeDefined();
    });

    // TC_WEBRTCP_2_22 (ProvideOffer → Answer → ICE → connected → End)
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
        expect(camera.engine.session(id)).toBeUndefined();
    }, 60_000);

    // TC_WEBRTCP_2_18 (SolicitOffer → Offer → ProvideAnswer) carried on to media, with 2_23's reference counts
    it("SolicitOffer (immediate) → Offer → ProvideAnswer → ICE both ways → video and audio; counts +1, EndSession restores them", async () => {
        const streams = { video: videoId, audio: audioId };
        const base = await peer.referenceCounts(videoId, audioId);
        expect(base.video).toBeGreaterThanOrEqual(0);
        expect(base.audio).toBeGreaterThanOrEqual(0);

        const response = await peer.solicitOffer({ videoStreamId: videoId, audioStreamId: audioId });
        if (!response.ok) throw new Error(`SolicitOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        expect(response.value.deferredOffer).toBe(false);
        expect(response.value.videoStreamId).toBe(videoId);
        expect(response.value.audioStreamId).toBe(audioId);
        await peer.track(id, [videoId], [audioId]);

        const local = new ControllerPeer({ videoPt: OFFER_FORMATS.video.payloadType, audioPt: OFFER_FORMATS.audio.payloadType });
        peers.push(local);
        await answerAndStream(controller, peer, local, id);
        expect(media.stats(id)?.state).toBe("connected");
        expect((await peer.currentSessions()).map(s => s.id)).toEqual([id]);

        // TC_WEBRTCP_2_23: each stream is referenced once more while the session lives
        expect(await referenceCountsBecome(peer, streams, { video: base.video + 1, audio: base.audio + 1 })).toEqual({
            video: base.video + 1,
            audio: base.audio + 1,
        });

        const end = await peer.endSession(id);
        expect(end).toEqual({ ok: true, value: undefined });
        // the camera's peer connection is closed and forgotten, the row is gone
        expect(media.stats(id)).toBeUndefined();
        expect(media.sessionIds()).not.toContain(id);
        expect(camera.engine.session(id)).toBeUndefined();
        expect(await peer.currentSessions()).toEqual([]);
        expect(await referenceCountsBecome(peer, streams, base)).toEqual(base);
    }, 60_000);

    // Regression: the engine's reference-count hook used a synchronous act, which threw into the
    // command (FAILURE, counts lost) whenever another transaction held CameraAvStreamManagement.
    it("keeps sessions and reference counts right while CameraAvStreamManagement is locked", async () => {
        const streams = { video: videoId, audio: audioId };
        const base = await peer.referenceCounts(videoId, audioId);
        let release!: () => void;
        const released = new Promise<void>(resolve => (release = resolve));
        const holder = camera.camera.act("hold the cluster", async agent => {
            const server = agent.get(CameraAvStreamServer);
            await agent.context.transaction.begin();
            await agent.context.transaction.addResources(server);
            server.state.microphoneVolumeLevel = server.state.microphoneVolumeLevel === 100 ? 101 : 100; // a write: an exclusive lock
            await released;
        });
        try {
            const response = await peer.solicitOffer({ videoStreamId: videoId, audioStreamId: audioId });
            if (!response.ok) throw new Error(`SolicitOffer refused: 0x${response.status.toString(16)}`);
            const id = response.value.webRtcSessionId;
            await peer.track(id, [videoId], [audioId]);
            await controller.waitFor(r => r.kind === "offer" && r.sessionId === id);
            release();
            await holder;
            expect(await referenceCountsBecome(peer, streams, { video: base.video + 1, audio: base.audio + 1 })).toEqual({
                video: base.video + 1,
                audio: base.audio + 1,
            });
            expect(await peer.endSession(id)).toEqual({ ok: true, value: undefined });
            expect(await referenceCountsBecome(peer, streams, base)).toEqual(base);
        } finally {
            release();
            await holder;
        }
    }, 60_000);

    // TC_WEBRTCP_2_17 (streams cannot be deallocated while a session holds them; can be after EndSession),
    // on streams this controller allocated next to the camera's default ones
    it("refuses to deallocate streams a session uses, and deallocates them after EndSession", async () => {
        const { video: videoId, audio: audioId } = await peer.allocateStreams();
        expect(videoId).not.toBe(0);
        const streams = { video: videoId, audio: audioId };
        const base = await peer.referenceCounts(videoId, audioId);
        const response = await peer.solicitOffer({ videoStreamId: videoId, audioStreamId: audioId });
        if (!response.ok) throw new Error(`SolicitOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        await peer.track(id, [videoId], [audioId]);
        await controller.waitFor(r => r.kind === "offer" && r.sessionId === id);
        expect(await referenceCountsBecome(peer, streams, { video: base.video + 1, audio: base.audio + 1 })).toEqual({
            video: base.video + 1,
            audio: base.audio + 1,
        });

        expect(await peer.videoStreamDeallocate(videoId)).toEqual({ ok: false, status: INVALID_IN_STATE });
        expect(await peer.audioStreamDeallocate(audioId)).toEqual({ ok: false, status: INVALID_IN_STATE });
        expect(camera.engine.session(id)).toBeDefined();

        expect((await peer.endSession(id)).ok).toBe(true);
        // straight after EndSession, as the certification step does
        expect((await peer.audioStreamDeallocate(audioId)).ok).toBe(true);
        expect((await peer.videoStreamDeallocate(videoId)).ok).toBe(true);
        const left = await peer.allocatedStreams();
        expect(left.video.map(s => s.videoStreamId)).not.toContain(videoId);
        expect(left.audio.map(s => s.audioStreamId)).not.toContain(audioId);
        expect(await peer.currentSessions()).toEqual([]);
    }, 60_000);

    // default mode: stream 0 of each kind always exists (SmartThings and Home Assistant name it unallocated)
    it("keeps the default streams: deallocating stream 0 brings it back, unused", async () => {
        expect(await peer.videoStreamDeallocate(0)).toEqual({ ok: true, value: undefined });
        expect(await peer.audioStreamDeallocate(0)).toEqual({ ok: true, value: undefined });
        const left = await peer.allocatedStreams();
        expect(left.video.find(s => s.videoStreamId === 0)).toMatchObject({ streamUsage: 3, videoCodec: 0, referenceCount: 0 });
        expect(left.audio.find(s => s.audioStreamId === 0)).toMatchObject({ streamUsage: 3, audioCodec: 0, referenceCount: 0 });
        const response = await peer.solicitOffer({ videoStreamId: 0, audioStreamId: 0 });
        if (!response.ok) throw new Error(`SolicitOffer refused: 0x${response.status.toString(16)}`);
        expect(await peer.endSession(response.value.webRtcSessionId)).toEqual({ ok: true, value: undefined });
    }, 60_000);
});

describe("camera node in deferred-offer mode", () => {
    let rig: CameraRig;
    let media: NodeMediaHost;
    let controller: TestController;
    let peer: CameraPeer;
    let streams: { video: number; audio: number };
    let peers: ControllerPeer[];

    beforeAll(async () => {
        rig = await startCameraRig("deferred", { deferredOfferDelayMs: 1500 });
        ({ media, controller, peer, streams, peers } = rig);
    }, 60_000);

    afterAll(async () => {
        await closeCameraRig(rig);
    });

    // TC_WEBRTCP_2_11 (deferred SolicitOffer: Offer within 30 s), carried on to media and EndSession
    it("SolicitOffer answers DeferredOffer=true, the Offer follows, then the session streams and EndSession closes it", async () => {
        const base = await peer.referenceCounts(streams.video, streams.audio);
        const response = await peer.solicitOffer({ videoStreamId: null, audioStreamId: null });
        if (!response.ok) throw new Error(`SolicitOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        expect(id).not.toBe(0);
        expect(response.value.deferredOffer).toBe(true);
        expect(response.value.videoStreamId).toBe(streams.video);
        expect(response.value.audioStreamId).toBe(streams.audio);
        await peer.track(id, [streams.video], [streams.audio]);

        const local = new ControllerPeer({ videoPt: OFFER_FORMATS.video.payloadType, audioPt: OFFER_FORMATS.audio.payloadType });
        peers.push(local);
        await answerAndStream(controller, peer, local, id, 30_000);
        expect(await referenceCountsBecome(peer, streams, { video: base.video + 1, audio: base.audio + 1 })).toEqual({
            video: base.video + 1,
            audio: base.audio + 1,
        });

        expect((await peer.endSession(id)).ok).toBe(true);
        expect(media.stats(id)).toBeUndefined();
        expect(await peer.currentSessions()).toEqual([]);
        expect(await referenceCountsBecome(peer, streams, base)).toEqual(base);
    }, 60_000);
});
