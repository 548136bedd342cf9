/**
 * TC_WEBRTCP_2_1 … 2_5 (connectedhomeip `src/python_testing/TC_WEBRTCP_2_x.py`): SolicitOffer and
 * ProvideOffer validation (mandatory stream fields, unknown stream ids, nothing allocated, soft
 * livestream privacy, stream usage priorities), DeferredOffer, CurrentSessions contents and order,
 * EndSession NOT_FOUND / SUCCESS, and the re-offer keeping id and streams.
 *
 * DUTs: 2_1 runs on the deferred-offer app (`--camera-deferred-offer`), the others on the
 * immediate app; each TC starts from a reset DUT (no sessions, no streams, privacy off).
 */

import { beforeAll, describe, expect, it } from "vitest";
import {
    ConformanceHarness,
    useDuts,
    EndReason,
    Status,
    StreamUsage,
    TEST_SDP,
    expectStatus,
    valueOf,
} from "./harness.js";

const duts = useDuts("tc2-1to5", { deferred: true });

describe("TC_WEBRTCP_2_1", () => {
    let h: ConformanceHarness;
    let vid: number;
    let aid: number;
    beforeAll(async () => {
        h = duts.deferredApp();
        await h.reset();
    });

    it("precondition: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h.allocateBoth());
        expect((await h.allocatedAudioStreams()).map(s => s.audioStreamId)).toContain(aid);
        expect((await h.allocatedVideoStreams()).map(s => s.videoStreamId)).toContain(vid);
    });

    it("step 1: read CurrentSessions → empty", async () => {
        expect(await h.currentSessions()).toHaveLength(0);
    });

    it("step 2: SolicitOffer without VideoStreamID and AudioStreamID → INVALID_COMMAND", async () => {
        expectStatus(await h.solicitOffer({}), Status.InvalidCommand);
    });

    it("step 3: SolicitOffer(VideoStreamID=9999) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        expectStatus(await h.solicitOffer({ videoStreamId: 9999 }), Status.DynamicConstraintError);
    });

    it("step 4: SolicitOffer(AudioStreamID=9999) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        expectStatus(await h.solicitOffer({ audioStreamId: 9999 }), Status.DynamicConstraintError);
    });

    it("step 5: write SoftLivestreamPrivacyModeEnabled=true; SolicitOffer(null, null) → INVALID_IN_STATE", async () => {
        expect(await h.writePrivacy("softLivestreamPrivacyModeEnabled", true)).toBe(Status.Success);
        expectStatus(await h.solicitOffer({ videoStreamId: null, audioStreamId: null }), Status.InvalidInState);
    });

    it("step 6: write it false; SolicitOffer(null, null) → response, WebRTCSessionID ≠ 0, DeferredOffer=TRUE", async () => {
        expect(await h.writePrivacy("softLivestreamPrivacyModeEnabled", false)).toBe(Status.Success);
        const response = valueOf(await h.solicitOffer({ videoStreamId: null, audioStreamId: null }));
        expect(response.webRtcSessionId).not.toBe(0);
        expect(response.deferredOffer).toBe(true);
        // auto-selected streams are echoed (the request had both scalar fields)
        expect(response.videoStreamId).toBe(vid);
        expect(response.audioStreamId).toBe(aid);
    });

    it("step 7: read CurrentSessions → 1 entry", async () => {
        expect(await h.currentSessions()).toHaveLength(1);
    });
});

describe("TC_WEBRTCP_2_2", () => {
    let h: ConformanceHarness;
    let id: number;
    beforeAll(async () => {
        h = duts.app();
        await h.reset();
    });

    it("precondition: allocate an audio and a video stream", async () => {
        const { video, audio } = await h.allocateBoth();
        expect((await h.allocatedAudioStreams()).map(s => s.audioStreamId)).toContain(audio);
        expect((await h.allocatedVideoStreams()).map(s => s.videoStreamId)).toContain(video);
    });

    it("step 1: read CurrentSessions → empty", async () => {
        expect(await h.currentSessions()).toHaveLength(0);
    });

    it("step 2: SolicitOffer without VideoStreamID and AudioStreamID → INVALID_COMMAND", async () => {
        expectStatus(await h.solicitOffer({}), Status.InvalidCommand);
    });

    it("step 3: SolicitOffer(null, null) → response with DeferredOffer=FALSE", async () => {
        const response = valueOf(await h.solicitOffer({ videoStreamId: null, audioStreamId: null }));
        expect(response.deferredOffer).toBe(false);
        id = response.webRtcSessionId;
    });

    it("step 4: read CurrentSessions → 1 entry, [0].id = the session id", async () => {
        const sessions = await h.currentSessions();
        expect(sessions).toHaveLength(1);
        expect(sessions[0]!.id).toBe(id);
    });

    it("step 5: EndSession(id+1) → NOT_FOUND", async () => {
        expectStatus(await h.endSession(id + 1, EndReason.IceFailed), Status.NotFound);
    });

    it("step 6: EndSession(id) → SUCCESS", async () => {
        expectStatus(await h.endSession(id, EndReason.IceFailed), Status.Success);
    });
});

describe("TC_WEBRTCP_2_3", () => {
    let h: ConformanceHarness;
    let vid: number;
    let aid: number;
    beforeAll(async () => {
        h = duts.app();
        await h.reset();
    });

    it("step 1: read CurrentSessions → empty", async () => {
        expect(await h.currentSessions()).toHaveLength(0);
    });

    it("step 2: ProvideOffer(null id, test SDP) without stream ids → INVALID_COMMAND", async () => {
        expectStatus(await h.provideOffer({ sdp: TEST_SDP }), Status.InvalidCommand);
    });

    it("step 3: ProvideOffer(VideoStreamID=null, AudioStreamID=null), nothing allocated → INVALID_IN_STATE", async () => {
        expectStatus(await h.provideOffer({ sdp: TEST_SDP, videoStreamId: null, audioStreamId: null }), Status.InvalidInState);
    });

    it("step 4: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h.allocateBoth());
        expect((await h.allocatedAudioStreams()).map(s => s.audioStreamId)).toContain(aid);
        expect((await h.allocatedVideoStreams()).map(s => s.videoStreamId)).toContain(vid);
    });

    it("step 5: ProvideOffer(VideoStreamID=vid+1) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        expectStatus(await h.provideOffer({ sdp: TEST_SDP, videoStreamId: vid + 1 }), Status.DynamicConstraintError);
    });

    it("step 6: ProvideOffer(AudioStreamID=aid+1) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        expectStatus(await h.provideOffer({ sdp: TEST_SDP, audioStreamId: aid + 1 }), Status.DynamicConstraintError);
    });

    it("step 7: write SoftLivestreamPrivacyModeEnabled=true; ProvideOffer(LiveView, vid) → INVALID_IN_STATE", async () => {
        expect(await h.writePrivacy("softLivestreamPrivacyModeEnabled", true)).toBe(Status.Success);
        expectStatus(await h.provideOffer({ sdp: TEST_SDP, videoStreamId: vid }), Status.InvalidInState);
    });

    it("step 8: write it false; ProvideOffer(LiveView, vid, aid) with the SDK test SDP → ProvideOfferResponse", async () => {
        expect(await h.writePrivacy("softLivestreamPrivacyModeEnabled", false)).toBe(Status.Success);
        const sdp = TEST_SDP; // the SDK sends its data-channel-only test SDP here
        const response = valueOf(await h.provideOffer({ sdp, videoStreamId: vid, audioStreamId: aid }));
        expect(response.webRtcSessionId).toBeGreaterThanOrEqual(0);
        expect(response.webRtcSessionId).toBeLessThanOrEqual(65534);
    });

    it("step 9: read CurrentSessions → 1 entry", async () => {
        expect(await h.currentSessions()).toHaveLength(1);
    });
});

describe("TC_WEBRTCP_2_4", () => {
    let h: ConformanceHarness;
    let vid: number;
    let aid: number;
    let id: number;
    beforeAll(async () => {
        h = duts.app();
        await h.reset();
    });

    it("step 1: read CurrentSessions → empty", async () => {
        expect(await h.currentSessions()).toHaveLength(0);
    });

    it("step 2: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h.allocateBoth());
    });

    it("step 3: ProvideOffer(WebRTCSessionID=1, not a session) → NOT_FOUND", async () => {
        expectStatus(await h.provideOffer({ webRtcSessionId: 1, sdp: TEST_SDP, videoStreamId: vid, audioStreamId: aid }), Status.NotFound);
    });

    it("step 4: ProvideOffer(null id, vid, aid) → response with VideoStreamID=vid, AudioStreamID=aid", async () => {
        const sdp = TEST_SDP; // the SDK sends its data-channel-only test SDP here
        const response = valueOf(await h.provideOffer({ sdp, videoStreamId: vid, audioStreamId: aid }));
        expect(response.videoStreamId).toBe(vid);
        expect(response.audioStreamId).toBe(aid);
        id = response.webRtcSessionId;
    });

    it("step 5: read CurrentSessions → 1 entry", async () => {
        expect(await h.currentSessions()).toHaveLength(1);
    });

    it("step 6: ProvideOffer(id+1, stream ids swapped) → NOT_FOUND", async () => {
        expectStatus(await h.provideOffer({ webRtcSessionId: id + 1, sdp: TEST_SDP, videoStreamId: aid, audioStreamId: vid }), Status.NotFound);
    });

    it("step 7: ProvideOffer(id, vid, aid) (re-offer) → response with the same id, VideoStreamID and AudioStreamID", async () => {
        const sdp = TEST_SDP; // the SDK sends its data-channel-only test SDP here
        const response = valueOf(await h.provideOffer({ webRtcSessionId: id, sdp, videoStreamId: vid, audioStreamId: aid }));
        expect(response.webRtcSessionId).toBe(id);
        expect(response.videoStreamId).toBe(vid);
        expect(response.audioStreamId).toBe(aid);
        // the row is updated, not duplicated
        expect((await h.currentSessions()).map(s => s.id)).toEqual([id]);
    });
});

describe("TC_WEBRTCP_2_5", () => {
    let h: ConformanceHarness;
    let vid: number;
    let aid: number;
    let otherUsage: number | undefined;
    let id: number;
    beforeAll(async () => {
        h = duts.app();
        await h.reset();
    });

    it("step 1: read CurrentSessions → empty", async () => {
        expect(await h.currentSessions()).toHaveLength(0);
    });

    it("step 2: SolicitOffer without stream ids → INVALID_COMMAND", async () => {
        expectStatus(await h.solicitOffer({}), Status.InvalidCommand);
    });

    it("step 3: SolicitOffer(null, null), nothing allocated → INVALID_IN_STATE", async () => {
        expectStatus(await h.solicitOffer({ videoStreamId: null, audioStreamId: null }), Status.InvalidInState);
    });

    it("step 4: allocate a video stream", async () => {
        vid = await h.allocateOneVideoStream();
        expect((await h.allocatedVideoStreams()).map(s => s.videoStreamId)).toContain(vid);
    });

    it("step 5: SolicitOffer(vid, AudioStreamID=null), no audio allocated → INVALID_IN_STATE", async () => {
        expectStatus(await h.solicitOffer({ videoStreamId: vid, audioStreamId: null }), Status.InvalidInState);
    });

    it("step 6: allocate an audio stream", async () => {
        aid = await h.allocateOneAudioStream();
        expect((await h.allocatedAudioStreams()).map(s => s.audioStreamId)).toContain(aid);
    });

    it("step 7: SolicitOffer(vid+1, aid) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        expectStatus(await h.solicitOffer({ videoStreamId: vid + 1, audioStreamId: aid }), Status.DynamicConstraintError);
    });

    it("step 8: SolicitOffer(supported usage ≠ LiveView, vid, aid) → SolicitOfferResponse", async () => {
        const priorities = await h.readAvsm<number[]>("streamUsagePriorities");
        otherUsage = priorities.find(u => u !== StreamUsage.LiveView);
        // the DUT prioritises Recording besides LiveView, so steps 8–10 run (they are skipped otherwise)
        expect(otherUsage).toBe(StreamUsage.Recording);
        valueOf(await h.solicitOffer({ streamUsage: otherUsage!, videoStreamId: vid, audioStreamId: aid }));
    });

    it("step 9: SolicitOffer(first usage not in StreamUsagePriorities = Internal, vid, aid) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        const priorities = await h.readAvsm<number[]>("streamUsagePriorities");
        const unsupported = [StreamUsage.Internal, StreamUsage.Recording, StreamUsage.Analysis, StreamUsage.LiveView].find(u => !priorities.includes(u));
        expect(unsupported).toBe(StreamUsage.Internal);
        expectStatus(await h.solicitOffer({ streamUsage: unsupported!, videoStreamId: vid, audioStreamId: aid }), Status.DynamicConstraintError);
    });

    it("step 10: SolicitOffer(supported usage ≠ LiveView, null, null) → response with VideoStreamID=vid, AudioStreamID=aid", async () => {
        const response = valueOf(await h.solicitOffer({ streamUsage: otherUsage!, videoStreamId: null, audioStreamId: null }));
        expect(response.videoStreamId).toBe(vid);
        expect(response.audioStreamId).toBe(aid);
    });

    it("step 11: SolicitOffer(LiveView, vid, aid) → DeferredOffer=FALSE", async () => {
        const response = valueOf(await h.solicitOffer({ streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid }));
        expect(response.deferredOffer).toBe(false);
        id = response.webRtcSessionId;
    });

    it("step 12: read CurrentSessions → 3 entries, [2].id = the session of step 11 (insertion order)", async () => {
        const sessions = await h.currentSessions();
        expect(sessions).toHaveLength(3);
        expect(sessions[2]!.id).toBe(id);
    });

    it("step 13: EndSession(id+1) → NOT_FOUND", async () => {
        expectStatus(await h.endSession(id + 1, EndReason.IceFailed), Status.NotFound);
    });

    it("step 14: EndSession(id) → SUCCESS", async () => {
        expectStatus(await h.endSession(id, EndReason.IceFailed), Status.Success);
    });
});
