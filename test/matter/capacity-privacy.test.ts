/**
 * Session capacity and privacy modes of the camera node, driven by a real matter.js controller
 * over UDP/TCP on loopback with real WebRTC media. What it proves:
 * - capacity (N = the core's session capacity): N SolicitOffers succeed; the (N+1)th still answers
 *   SUCCESS, then End(OutOfResources = 8) reaches the controller for its id and it never becomes a
 *   row (TC_WEBRTCP_2_12); with N sessions made by ProvideOffer, the next ProvideOffer is
 *   RESOURCE_EXHAUSTED (TC_WEBRTCP_2_16);
 * - soft livestream privacy written by the controller (SoftLivestreamPrivacyModeEnabled=true) ends a
 *   streaming LiveView session with End(PrivacyMode = 11): its row goes, its peer closes, its stream
 *   references are released; a Recording session is left alone; a new LiveView SolicitOffer or
 *   ProvideOffer is INVALID_IN_STATE until privacy is written false (TC_WEBRTCP_2_1 step 5,
 *   2_3 step 7);
 * - hard privacy (the camera's own switch, `CameraAvStreamServer.setHardPrivacyModeOn`) ends the
 *   sessions of every usage with End(PrivacyMode) and refuses SolicitOffer until it is off again
 *   (TC_WEBRTCP_2_7).
 */

import nodeDataChannel from "node-datachannel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CameraAvStreamServer } from "../../src/matter/camera-av-stream-management.js";
import type { CameraNode } from "../../src/matter/camera-node.js";
import { OFFER_FORMATS, type NodeMediaHost } from "../../src/media/node/index.js";
import { ControllerPeer } from "../media/controller-peer.js";
import { testEnvironment, type CameraPeer, type TestController } from "../support/matter-controller.js";
import { answerAndStream, closeCameraRig, referenceCountsBecome, startCameraRig, until, type CameraRig } from "../support/streaming.js";

const RESOURCE_EXHAUSTED = 0x89;
const INVALID_IN_STATE = 0xcb;
const OUT_OF_RESOURCES = 8;
const PRIVACY_MODE = 11;
const LIVE_VIEW = 3;
const RECORDING = 1;

describe("capacity and privacy", () => {
    const env = testEnvironment();
    let rig: CameraRig;
    let media: NodeMediaHost;
    let camera: CameraNode;
    let controller: TestController;
    let peer: CameraPeer;
    let streams: { video: number; audio: number };
    let peers: ControllerPeer[];

    /** SolicitOffer with the allocated streams; the session is registered with the controller. */
    async function solicit(streamUsage = LIVE_VIEW): Promise<number> {
        const response = await peer.solicitOffer({ streamUsage, videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!response.ok) throw new Error(`SolicitOffer refused: 0x${response.status.toString(16)}`);
        await peer.track(response.value.webRtcSessionId, [streams.video], [streams.audio], streamUsage);
        return response.value.webRtcSessionId;
    }

    async function endAll(): Promise<void> {
        for (const s of await peer.currentSessions()) expect((await peer.endSession(s.id)).ok).toBe(true);
        expect(await peer.currentSessions()).toEqual([]);
    }

    beforeAll(async () => {
        rig = await startCameraRig("capacity");
        ({ media, camera, controller, peer, streams, peers } = rig);
    }, 60_000);

    afterAll(async () => {
        await closeCameraRig(rig);
        nodeDataChannel.cleanup();
        env.cleanup();
    });

    // TC_WEBRTCP_2_12
    it("accepts the (N+1)th SolicitOffer and then ends it with End(OutOfResources)", async () => {
        const n = camera.engine.capacities.sessions;
        expect(n).toBeGreaterThan(0);
        const ids: number[] = [];
        for (let i = 0; i < n; i++) ids.push(await solicit());
        for (const id of ids) await controller.waitFor(r => r.kind === "offer" && r.sessionId === id);
        expect((await peer.currentSessions()).map(s => s.id)).toEqual(ids);

        const over = await solicit();
        expect(ids).not.toContain(over);
        const end = await controller.waitFor(r => r.kind === "end" && r.sessionId === over);
        expect(end.reason).toBe(OUT_OF_RESOURCES);
        // no Offer for it, no row; the N sessions are untouched
        expect(controller.received.some(r => r.kind === "offer" && r.sessionId === over)).toBe(false);
        expect((await peer.currentSessions()).map(s => s.id)).toEqual(ids);
        expect(controller.received.some(r => r.kind === "end" && ids.includes(r.sessionId))).toBe(false);

        await endAll();
    }, 60_000);

    // TC_WEBRTCP_2_16
    it("refuses the (N+1)th ProvideOffer with RESOURCE_EXHAUSTED", async () => {
        const n = camera.engine.capacities.sessions;
        const local = new ControllerPeer({ videoPt: 102, audioPt: 111 });
        peers.push(local);
        const sdp = await local.createOffer(); // one real offer, answered by every session
        const ids: number[] = [];
        for (let i = 0; i < n; i++) {
            const response = await peer.provideOffer({ sdp, videoStreamId: streams.video, audioStreamId: streams.audio });
            if (!response.ok) throw new Error(`ProvideOffer ${i + 1} refused: 0x${response.status.toString(16)}`);
            const id = response.value.webRtcSessionId;
            await peer.track(id, [streams.video], [streams.audio]);
            ids.push(id);
        }
        for (const id of ids) await controller.waitFor(r => r.kind === "answer" && r.sessionId === id);

        const over = await peer.provideOffer({ sdp, videoStreamId: streams.video, audioStreamId: streams.audio });
        expect(over).toEqual({ ok: false, status: RESOURCE_EXHAUSTED });
        expect((await peer.currentSessions()).map(s => s.id)).toEqual(ids);
        expect(camera.engine.sessions()).toHaveLength(n);

        await endAll();
        expect(await referenceCountsBecome(peer, streams, { video: 0, audio: 0 })).toEqual({ video: 0, audio: 0 });
    }, 60_000);

    // TC_WEBRTCP_2_1 step 5 / 2_3 step 7, and the provider's End(PrivacyMode) when privacy turns on
    it("soft livestream privacy ends the streaming LiveView session, keeps Recording, and refuses LiveView until it is off", async () => {
        const live = await solicit(LIVE_VIEW);
        const local = new ControllerPeer({ videoPt: OFFER_FORMATS.video.payloadType, audioPt: OFFER_FORMATS.audio.payloadType });
        peers.push(local);
        await answerAndStream(controller, peer, local, live);
        const recording = await solicit(RECORDING);
        await controller.waitFor(r => r.kind === "offer" && r.sessionId === recording);
        expect(await referenceCountsBecome(peer, streams, { video: 2, audio: 2 })).toEqual({ video: 2, audio: 2 });

        expect(await peer.writePrivacy("softLivestreamPrivacyModeEnabled", true)).toBe(0);
        const end = await controller.waitFor(r => r.kind === "end" && r.sessionId === live);
        expect(end.reason).toBe(PRIVACY_MODE);
        await until("LiveView row gone", async () => !(await peer.currentSessions()).some(s => s.id === live));
        expect((await peer.currentSessions()).map(s => s.id)).toEqual([recording]);
        expect(media.stats(live)).toBeUndefined();
        expect(media.stats(recording)).toBeDefined();
        expect(controller.received.some(r => r.kind === "end" && r.sessionId === recording)).toBe(false);
        expect(await referenceCountsBecome(peer, streams, { video: 1, audio: 1 })).toEqual({ video: 1, audio: 1 });

        expect(await peer.solicitOffer({ videoStreamId: null, audioStreamId: null })).toEqual({ ok: false, status: INVALID_IN_STATE });
        const offer = new ControllerPeer({ videoPt: 102, audioPt: 111 });
        peers.push(offer);
        const sdp = await offer.createOffer();
        expect(await peer.provideOffer({ sdp, videoStreamId: streams.video, audioStreamId: streams.audio })).toEqual({
            ok: false,
            status: INVALID_IN_STATE,
        });
        expect((await peer.currentSessions()).map(s => s.id)).toEqual([recording]);

        expect(await peer.writePrivacy("softLivestreamPrivacyModeEnabled", false)).toBe(0);
        const again = await peer.solicitOffer({ videoStreamId: null, audioStreamId: null });
        expect(again.ok).toBe(true);
        if (again.ok) await peer.track(again.value.webRtcSessionId, [streams.video], [streams.audio]);

        await endAll();
        expect(await referenceCountsBecome(peer, streams, { video: 0, audio: 0 })).toEqual({ video: 0, audio: 0 });
    }, 60_000);

    // TC_WEBRTCP_2_7, and the provider's End(PrivacyMode) for every usage when hard privacy turns on
    it("hard privacy ends sessions of every usage and refuses SolicitOffer until it is off", async () => {
        // The camera's own switch. The act waits for the cluster's lock: a synchronous act throws
        // synchronous-transaction-conflict while another write (e.g. a reference count) commits.
        const setHardPrivacy = (on: boolean) =>
            camera.camera.act("hard privacy switch", async agent => {
                const server = agent.get(CameraAvStreamServer);
                await agent.context.transaction.begin();
                await agent.context.transaction.addResources(server);
                server.setHardPrivacyModeOn(on);
            });
        const live = await solicit(LIVE_VIEW);
        const recording = await solicit(RECORDING);
        for (const id of [live, recording]) await controller.waitFor(r => r.kind === "offer" && r.sessionId === id);
        expect(await referenceCountsBecome(peer, streams, { video: 2, audio: 2 })).toEqual({ video: 2, audio: 2 });

        await setHardPrivacy(true);
        for (const id of [live, recording]) {
            const end = await controller.waitFor(r => r.kind === "end" && r.sessionId === id);
            expect(end.reason).toBe(PRIVACY_MODE);
        }
        await until("rows gone", async () => (await peer.currentSessions()).length === 0);
        expect(media.stats(live)).toBeUndefined();
        expect(media.stats(recording)).toBeUndefined();
        expect(await referenceCountsBecome(peer, streams, { video: 0, audio: 0 })).toEqual({ video: 0, audio: 0 });

        expect(await peer.solicitOffer({ streamUsage: LIVE_VIEW, videoStreamId: streams.video, audioStreamId: streams.audio })).toEqual({
            ok: false,
            status: INVALID_IN_STATE,
        });
        expect(await peer.solicitOffer({ streamUsage: RECORDING, videoStreamId: streams.video, audioStreamId: streams.audio })).toEqual({
            ok: false,
            status: INVALID_IN_STATE,
        });

        await setHardPrivacy(false);
        const id = await solicit(LIVE_VIEW);
        await controller.waitFor(r => r.kind === "offer" && r.sessionId === id);
        await endAll();
    }, 60_000);
});
