/**
 * TC_AVSM_2_16 … 2_21 (connectedhomeip `src/python_testing/TC_AVSM_2_16.py` … `2_21.py`): stream
 * reference counts held by a WebRTC session (2_16), a session ended by soft livestream privacy
 * with End(PrivacyMode) and its streams released (2_17), and the persistence cases: allocated
 * video (2_18), audio (2_19) and snapshot (2_20) streams and StreamUsagePriorities (2_21) survive
 * a reboot of the DUT, and a deallocation survives one too.
 *
 * The reboot is the SDK's `request_device_reboot`: the camera process closes and starts again on
 * the same storage and port (`ConformanceHarness.restart`); the TH expires its sessions with the
 * DUT and reconnects over a new CASE session. The TH's WebRTC peer is a node-datachannel
 * `ControllerPeer` (the SDK's LibdatachannelPeerConnection); every session it opens is registered
 * with its Requestor (`webrtc_manager.session_id_created`), so the DUT's Answer and End reach it.
 *
 * One DUT for the file; each case starts from a reset DUT.
 */

import { beforeAll, describe, expect, it } from "vitest";
import type { ControllerPeer } from "../media/controller-peer.js";
import { AvsmTh, Feature, successOf, type AudioRequest, type SnapshotRequest, type VideoRequest } from "./avsm.js";
import { EndReason, OFFER_BOUND_MS, Status, StreamUsage, expectStatus, useDuts, valueOf, type ConformanceHarness } from "./harness.js";

const duts = useDuts("avsm2-16to21");
const th = () => new AvsmTh(duts.app());

/** A reboot and the TH's reconnection, bounded (the SDK waits for the DUT to come back). */
const REBOOT_MS = 60_000;

/** Privacy off, as steps 4 of 2_16 / 2_17 make sure: both soft switches written FALSE, hard switch off (app pipe). */
async function privacyOff(h: ConformanceHarness): Promise<void> {
    for (const attribute of ["softLivestreamPrivacyModeEnabled", "softRecordingPrivacyModeEnabled"] as const) {
        expect(await th().write(attribute, false)).toBe(Status.Success);
        expect(await th().read<boolean>(attribute)).toBe(false);
    }
    await h.setHardPrivacyModeOn(false);
    expect(await th().read<boolean>("hardPrivacyModeOn")).toBe(false);
}

/** ProvideOffer(null id, a real offer, LiveView, vid, aid) → the session id; then the DUT's Answer, applied to the TH peer. */
async function provideOfferAndAnswer(h: ConformanceHarness, vid: number, aid: number): Promise<{ id: number; peer: ControllerPeer; answer: string }> {
    const { peer, sdp } = await h.realOffer();
    const id = valueOf(await h.provideOffer({ sdp, streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid })).webRtcSessionId;
    expect(id).toBeGreaterThanOrEqual(0);
    const answer = (await h.waitFor("answer", id, OFFER_BOUND_MS)).sdp ?? "";
    expect(answer.length).toBeGreaterThan(0);
    peer.setRemote(answer, "answer");
    return { id, peer, answer };
}

describe("TC_AVSM_2_16 (steps precondition, 1–15)", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let videoBase: number;
    let audioBase: number;
    let id: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: one allocated video stream and one allocated audio stream (AVSMTestBase)", async () => {
        await th().oneVideoStream();
        await th().oneAudioStream();
    });

    it("step 1: read FeatureMap → VDO is supported", async () => {
        expect((await th().featureBits()) & Feature.video).toBe(Feature.video);
    });

    it("step 2: read AllocatedVideoStreams → 1 entry; aVideoStreamID, aVideoRefCount", async () => {
        const streams = await th().videoStreams();
        expect(streams).toHaveLength(1);
        vid = streams[0]!.videoStreamId;
        videoBase = streams[0]!.referenceCount;
    });

    it("step 3: read AllocatedAudioStreams → 1 entry; aAudioStreamID, aAudioRefCount", async () => {
        const streams = await th().audioStreams();
        expect(streams).toHaveLength(1);
        aid = streams[0]!.audioStreamId;
        audioBase = streams[0]!.referenceCount;
    });

    it("step 4: privacy off; ProvideOffer(null id, offer, LiveView, aVideoStreamID, aAudioStreamID) → aSessionID; the DUT's Answer", async () => {
        await privacyOff(h());
        ({ id } = await provideOfferAndAnswer(h(), vid, aid));
    }, OFFER_BOUND_MS + 10_000);

    it("step 5: read AllocatedVideoStreams → ReferenceCount = aVideoRefCount + 1", async () => {
        expect((await th().videoStreams())[0]!.referenceCount).toBe(videoBase + 1);
    });

    it("step 6: read AllocatedAudioStreams → ReferenceCount = aAudioRefCount + 1", async () => {
        expect((await th().audioStreams())[0]!.referenceCount).toBe(audioBase + 1);
    });

    it("step 7: VideoStreamDeallocate(aVideoStreamID) → INVALID_IN_STATE (in use)", async () => {
        expectStatus(await th().videoStreamDeallocate(vid), Status.InvalidInState);
    });

    it("step 8: AudioStreamDeallocate(aAudioStreamID) → INVALID_IN_STATE (in use)", async () => {
        expectStatus(await th().audioStreamDeallocate(aid), Status.InvalidInState);
    });

    it("step 9: EndSession(aSessionID) → SUCCESS", async () => {
        expectStatus(await h().endSession(id, EndReason.UserHangup), Status.Success);
    });

    it("step 10: read AllocatedVideoStreams → ReferenceCount = aVideoRefCount", async () => {
        expect((await th().videoStreams())[0]!.referenceCount).toBe(videoBase);
    });

    it("step 11: read AllocatedAudioStreams → ReferenceCount = aAudioRefCount", async () => {
        expect((await th().audioStreams())[0]!.referenceCount).toBe(audioBase);
    });

    it("step 12: VideoStreamDeallocate(aVideoStreamID) → SUCCESS", async () => {
        expectStatus(await th().videoStreamDeallocate(vid), Status.Success);
    });

    it("step 13: AudioStreamDeallocate(aAudioStreamID) → SUCCESS", async () => {
        expectStatus(await th().audioStreamDeallocate(aid), Status.Success);
    });

    it("step 14: read AllocatedVideoStreams → 0 entries", async () => {
        expect(await th().videoStreams()).toHaveLength(0);
    });

    it("step 15: read AllocatedAudioStreams → 0 entries", async () => {
        expect(await th().audioStreams()).toHaveLength(0);
    });
});

describe("TC_AVSM_2_17 (steps precondition, 1–20)", () => {
    const h = () => duts.app();
    let peer: ControllerPeer;
    let vid: number;
    let aid: number;
    let videoBase: number;
    let audioBase: number;
    let id: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: one allocated video stream and one allocated audio stream (AVSMTestBase)", async () => {
        await th().oneVideoStream();
        await th().oneAudioStream();
    });

    it("step 1: read FeatureMap → VDO, ADO and PRIV are supported", async () => {
        const all = Feature.video | Feature.audio | Feature.privacy;
        expect((await th().featureBits()) & all).toBe(all);
    });

    it("step 2: read AllocatedVideoStreams → 1 entry; aVideoStreamID, aVideoRefCount", async () => {
        const streams = await th().videoStreams();
        expect(streams).toHaveLength(1);
        vid = streams[0]!.videoStreamId;
        videoBase = streams[0]!.referenceCount;
    });

    it("step 3: read AllocatedAudioStreams → 1 entry; aAudioStreamID, aAudioRefCount", async () => {
        const streams = await th().audioStreams();
        expect(streams).toHaveLength(1);
        aid = streams[0]!.audioStreamId;
        audioBase = streams[0]!.referenceCount;
    });

    it("step 4: write SoftLivestreamPrivacyModeEnabled and SoftRecordingPrivacyModeEnabled = false → SUCCESS; HardPrivacyModeOn false", async () => {
        await privacyOff(h());
    });

    it("step 5: read CurrentSessions → 0 entries", async () => {
        expect(await h().currentSessions()).toHaveLength(0);
    });

    it("step 6: ProvideOffer(null id, offer, LiveView, aVideoStreamID, aAudioStreamID) → ProvideOfferResponse", async () => {
        const offer = await h().realOffer();
        peer = offer.peer;
        id = valueOf(await h().provideOffer({ sdp: offer.sdp, streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid })).webRtcSessionId;
        expect(id).toBeGreaterThanOrEqual(0);
    });

    it("step 7: the DUT sends Answer(session id of step 6)", async () => {
        const answer = await h().waitFor("answer", id, OFFER_BOUND_MS);
        expect(answer.sessionId).toBe(id);
        expect((answer.sdp ?? "").length).toBeGreaterThan(0);
        peer.setRemote(answer.sdp!, "answer");
    }, OFFER_BOUND_MS + 10_000);

    it("step 8: read CurrentSessions → 1 entry with the session id (aWebRTCSessionID)", async () => {
        const sessions = await h().currentSessions();
        expect(sessions).toHaveLength(1);
        expect(sessions[0]!.id).toBe(id);
    });

    it("step 9: read AllocatedVideoStreams → ReferenceCount = aVideoRefCount + 1", async () => {
        expect((await th().videoStreams())[0]!.referenceCount).toBe(videoBase + 1);
    });

    it("step 10: read AllocatedAudioStreams → ReferenceCount = aAudioRefCount + 1", async () => {
        expect((await th().audioStreams())[0]!.referenceCount).toBe(audioBase + 1);
    });

    it("step 11: write SoftLivestreamPrivacyModeEnabled = true → SUCCESS", async () => {
        expect(await th().write("softLivestreamPrivacyModeEnabled", true)).toBe(Status.Success);
    });

    it("step 12: the DUT sends End(aWebRTCSessionID, reason PrivacyMode = 11)", async () => {
        const end = await h().waitFor("end", id, OFFER_BOUND_MS);
        expect(end.reason).toBe(EndReason.PrivacyMode);
    }, OFFER_BOUND_MS + 10_000);

    it("step 13: read CurrentSessions → 0 entries", async () => {
        expect(await h().currentSessions()).toHaveLength(0);
    });

    it("step 14: read AllocatedVideoStreams → ReferenceCount = aVideoRefCount", async () => {
        expect((await th().videoStreams())[0]!.referenceCount).toBe(videoBase);
    });

    it("step 15: read AllocatedAudioStreams → ReferenceCount = aAudioRefCount", async () => {
        expect((await th().audioStreams())[0]!.referenceCount).toBe(audioBase);
    });

    it("step 16: VideoStreamDeallocate(aVideoStreamID) → SUCCESS", async () => {
        expectStatus(await th().videoStreamDeallocate(vid), Status.Success);
    });

    it("step 17: AudioStreamDeallocate(aAudioStreamID) → SUCCESS", async () => {
        expectStatus(await th().audioStreamDeallocate(aid), Status.Success);
    });

    it("step 18: read AllocatedVideoStreams → 0 entries", async () => {
        expect(await th().videoStreams()).toHaveLength(0);
    });

    it("step 19: read AllocatedAudioStreams → 0 entries", async () => {
        expect(await th().audioStreams()).toHaveLength(0);
    });

    it("step 20: write SoftLivestreamPrivacyModeEnabled = false → SUCCESS", async () => {
        expect(await th().write("softLivestreamPrivacyModeEnabled", false)).toBe(Status.Success);
    });
});

/** Steps "TH reboots the DUT" and "TH waits for the DUT to come back online" of 2_18 … 2_21. */
function rebootSteps(reboot: number): void {
    it(`step ${reboot}: TH reboots the DUT (the camera process restarts on its storage)`, async () => {
        await duts.app().restart(REBOOT_MS);
    }, REBOOT_MS + 10_000);

    it(`step ${reboot + 1}: the DUT is back online: still commissioned, the TH reads over a new CASE session`, async () => {
        expect(duts.app().camera.commissioned).toBe(true);
        expect((await th().featureBits()) & Feature.video).toBe(Feature.video);
    });
}

describe("TC_AVSM_2_18 (steps 1–20)", () => {
    let request: VideoRequest;
    let myStreamId: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: commissioned", () => {
        expect(duts.app().camera.commissioned).toBe(true);
    });

    it("step 2: read FeatureMap → F_VDO", async () => {
        expect((await th().featureBits()) & Feature.video).toBe(Feature.video);
    });

    it("step 3: read AllocatedVideoStreams → 0 entries", async () => {
        expect(await th().videoStreams()).toHaveLength(0);
    });

    it("steps 4–8: read StreamUsagePriorities, RateDistortionTradeOffPoints, MinViewportResolution, VideoSensorParams, MaxEncodedPixelRate", async () => {
        expect((await th().read<number[]>("streamUsagePriorities")).length).toBeGreaterThan(0);
        expect((await th().read<unknown[]>("rateDistortionTradeOffPoints")).length).toBeGreaterThan(0);
        await th().read("maxEncodedPixelRate");
    });

    it("steps 9–10: aWatermark / aOSD = null (WMARK and OSD not supported)", async () => {
        request = await th().videoRequest();
        expect(request.watermarkEnabled).toBeUndefined();
        expect(request.osdEnabled).toBeUndefined();
    });

    it("step 11: VideoStreamAllocate (priorities[0], trade-off point [0], 30..MaxFPS, MinViewport..sensor, KeyFrameInterval 4000) → myStreamID", async () => {
        myStreamId = successOf(await th().videoStreamAllocate(request), "VideoStreamAllocate").videoStreamId;
    });

    it("step 12: read AllocatedVideoStreams → 1 entry", async () => {
        expect(await th().videoStreams()).toHaveLength(1);
    });

    rebootSteps(13);

    it("step 15: read AllocatedVideoStreams → 1 entry, identical to step 11's request (ReferenceCount aside)", async () => {
        const streams = await th().videoStreams();
        expect(streams).toHaveLength(1);
        const { referenceCount: _, ...persisted } = streams[0]!;
        expect(persisted).toEqual({ videoStreamId: myStreamId, ...request });
    });

    it("step 16: VideoStreamDeallocate(myStreamID) → SUCCESS", async () => {
        expectStatus(await th().videoStreamDeallocate(myStreamId), Status.Success);
    });

    it("step 17: read AllocatedVideoStreams → 0 entries", async () => {
        expect(await th().videoStreams()).toHaveLength(0);
    });

    rebootSteps(18);

    it("step 20: read AllocatedVideoStreams → 0 entries", async () => {
        expect(await th().videoStreams()).toHaveLength(0);
    });
});

describe("TC_AVSM_2_19 (steps 1–16)", () => {
    let request: AudioRequest;
    let myStreamId: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: commissioned", () => {
        expect(duts.app().camera.commissioned).toBe(true);
    });

    it("step 2: read FeatureMap → F_ADO", async () => {
        expect((await th().featureBits()) & Feature.audio).toBe(Feature.audio);
    });

    it("step 3: read AllocatedAudioStreams → 0 entries", async () => {
        expect(await th().audioStreams()).toHaveLength(0);
    });

    it("steps 4–6: read MicrophoneCapabilities (codecs not empty); aBitRate = 30000 for Opus; read StreamUsagePriorities", async () => {
        request = await th().audioRequest();
        expect(request.bitRate).toBe(30_000);
    });

    it("step 7: AudioStreamAllocate(capabilities, priorities[0], aBitRate) → myStreamID", async () => {
        myStreamId = successOf(await th().audioStreamAllocate(request), "AudioStreamAllocate").audioStreamId;
    });

    it("step 8: read AllocatedAudioStreams → 1 entry", async () => {
        expect(await th().audioStreams()).toHaveLength(1);
    });

    rebootSteps(9);

    it("step 11: read AllocatedAudioStreams → 1 entry, identical to step 7's request (ReferenceCount aside)", async () => {
        const streams = await th().audioStreams();
        expect(streams).toHaveLength(1);
        const { referenceCount: _, ...persisted } = streams[0]!;
        expect(persisted).toEqual({ audioStreamId: myStreamId, ...request });
    });

    it("step 12: AudioStreamDeallocate(myStreamID) → SUCCESS", async () => {
        expectStatus(await th().audioStreamDeallocate(myStreamId), Status.Success);
    });

    it("step 13: read AllocatedAudioStreams → 0 entries", async () => {
        expect(await th().audioStreams()).toHaveLength(0);
    });

    rebootSteps(14);

    it("step 16: read AllocatedAudioStreams → 0 entries", async () => {
        expect(await th().audioStreams()).toHaveLength(0);
    });
});

describe("TC_AVSM_2_20 (steps 1–16)", () => {
    let request: SnapshotRequest;
    let myStreamId: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: commissioned", () => {
        expect(duts.app().camera.commissioned).toBe(true);
    });

    it("step 2: read FeatureMap → F_SNP", async () => {
        expect((await th().featureBits()) & Feature.snapshot).toBe(Feature.snapshot);
    });

    it("step 3: read AllocatedSnapshotStreams → 0 entries", async () => {
        expect(await th().snapshotStreams()).toHaveLength(0);
    });

    it("steps 4–6: read SnapshotCapabilities (not empty); aWatermark / aOSD = null", async () => {
        request = await th().snapshotRequest();
        expect(request.watermarkEnabled).toBeUndefined();
        expect(request.osdEnabled).toBeUndefined();
    });

    it("step 7: SnapshotStreamAllocate(capabilities[0], Min = MaxResolution = Resolution, Quality 90) → myStreamID", async () => {
        myStreamId = successOf(await th().snapshotStreamAllocate(request), "SnapshotStreamAllocate").snapshotStreamId;
    });

    it("step 8: read AllocatedSnapshotStreams → 1 entry", async () => {
        expect(await th().snapshotStreams()).toHaveLength(1);
    });

    rebootSteps(9);

    it("step 11: read AllocatedSnapshotStreams → 1 entry with step 7's ImageCodec, FrameRate, resolutions, Quality, WMARK / OSD", async () => {
        const streams = await th().snapshotStreams();
        expect(streams).toHaveLength(1);
        const s = streams[0]!;
        expect(s.snapshotStreamId).toBe(myStreamId);
        expect(s.imageCodec).toBe(request.imageCodec);
        expect(s.frameRate).toBe(request.maxFrameRate);
        expect(s.minResolution).toEqual(request.minResolution);
        expect(s.maxResolution).toEqual(request.maxResolution);
        expect(s.quality).toBe(request.quality);
        expect(s.watermarkEnabled).toBe(request.watermarkEnabled);
        expect(s.osdEnabled).toBe(request.osdEnabled);
    });

    it("step 12: SnapshotStreamDeallocate(myStreamID) → SUCCESS", async () => {
        expectStatus(await th().snapshotStreamDeallocate(myStreamId), Status.Success);
    });

    it("step 13: read AllocatedSnapshotStreams → 0 entries", async () => {
        expect(await th().snapshotStreams()).toHaveLength(0);
    });

    rebootSteps(14);

    it("step 16: read AllocatedSnapshotStreams → 0 entries", async () => {
        expect(await th().snapshotStreams()).toHaveLength(0);
    });
});

describe("TC_AVSM_2_21 (steps 1–9)", () => {
    let supported: number[];
    let chosen: number[];
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: commissioned", () => {
        expect(duts.app().camera.commissioned).toBe(true);
    });

    it("step 2: read FeatureMap → F_VDO", async () => {
        expect((await th().featureBits()) & Feature.video).toBe(Feature.video);
    });

    it("step 3: read AllocatedVideoStreams → 0 entries", async () => {
        expect(await th().videoStreams()).toHaveLength(0);
    });

    it("step 4: read SupportedStreamUsages → aSupportedStreamUsages (not empty)", async () => {
        supported = await th().read<number[]>("supportedStreamUsages");
        expect(supported.length).toBeGreaterThan(0);
    });

    it("step 5: SetStreamPriorities(a reordered subset of aSupportedStreamUsages) → SUCCESS", async () => {
        // the SDK draws a random sample; the reversed list is one it can draw that differs from the default order
        chosen = [...supported].reverse();
        expect(chosen).not.toEqual(await th().read<number[]>("streamUsagePriorities"));
        expectStatus(await th().setStreamPriorities(chosen), Status.Success);
    });

    it("step 6: read StreamUsagePriorities → the list sent in step 5 (aStreamUsagePriorities)", async () => {
        expect(await th().read<number[]>("streamUsagePriorities")).toEqual(chosen);
    });

    rebootSteps(7);

    it("step 9: read StreamUsagePriorities → aStreamUsagePriorities", async () => {
        expect(await th().read<number[]>("streamUsagePriorities")).toEqual(chosen);
    });
});
