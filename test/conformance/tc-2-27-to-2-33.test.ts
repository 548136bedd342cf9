/**
 * TC_WEBRTCP_2_27 … 2_33 (cluster revision 2, "Release 1.5.1 or later"): the VideoStreams /
 * AudioStreams lists on SolicitOffer and ProvideOffer (INVALID_COMMAND with none or with scalars
 * and lists together, DYNAMIC_CONSTRAINT_ERROR for unknown ids, ALREADY_EXISTS for duplicates),
 * the lists in CurrentSessions (also when the request used the scalar ids), re-offers, usage
 * priorities, and 2_33: stream reuse across two sessions with real RTP media
 * (ReferenceCount 0 → 1 → 0 → 1, video frames and audio packets within 5 s).
 *
 * DUTs: 2_27 runs on the deferred-offer app, the others on the immediate app; each TC starts from
 * a reset DUT. ProvideOffer steps that expect a response send a real offer (harness.ts).
 */

import { beforeAll, describe, expect, it } from "vitest";
import type { ControllerPeer } from "../media/controller-peer.js";
import {
    EndReason,
    MEDIA_BOUND_MS,
    OFFER_BOUND_MS,
    Status,
    StreamUsage,
    TEST_SDP,
    useDuts,
    expectStatus,
    until,
    valueOf,
    type Session,
} from "./harness.js";

const duts = useDuts("tc2-27to33", { deferred: true });

/** The session-struct checks of TC 2.27 / 2.28 / 2.32 step "read CurrentSessions". */
function expectValidSession(session: Session, vid: number, aid: number): void {
    expect(session.id).toBeGreaterThanOrEqual(0);
    expect(session.id).toBeLessThanOrEqual(65534);
    expect(BigInt(session.peerNodeId)).toBeGreaterThan(0n);
    expect(session.peerEndpointId).toBeGreaterThanOrEqual(0);
    expect(session.peerEndpointId).toBeLessThanOrEqual(65534);
    expect(Object.values(StreamUsage)).toContain(session.streamUsage);
    expect(session.videoStreams?.length ?? 0).toBeGreaterThan(0);
    expect(session.videoStreams).toContain(vid);
    expect(session.audioStreams?.length ?? 0).toBeGreaterThan(0);
    expect(session.audioStreams).toContain(aid);
}

describe("TC_WEBRTCP_2_27", () => {
    const h = () => duts.deferredApp();
    let vid: number;
    let aid: number;
    beforeAll(async () => {
        await duts.deferredApp().reset();
    });

    it("precondition: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
    });

    it("step 1: read CurrentSessions → empty", async () => {
        expect(await h().currentSessions()).toHaveLength(0);
    });

    it("step 2: SolicitOffer without VideoStreams / AudioStreams (and no scalar ids) → INVALID_COMMAND", async () => {
        expectStatus(await h().solicitOffer({}), Status.InvalidCommand);
    });

    it("step 2a: SolicitOffer(VideoStreamID=vid and VideoStreams=[vid]) → INVALID_COMMAND", async () => {
        expectStatus(await h().solicitOffer({ videoStreamId: vid, videoStreams: [vid] }), Status.InvalidCommand);
    });

    it("step 3: SolicitOffer(VideoStreams=[9999]) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        expectStatus(await h().solicitOffer({ videoStreams: [9999] }), Status.DynamicConstraintError);
    });

    it("step 3a: SolicitOffer(VideoStreams=[vid, vid]) → ALREADY_EXISTS", async () => {
        expectStatus(await h().solicitOffer({ videoStreams: [vid, vid] }), Status.AlreadyExists);
    });

    it("step 4: SolicitOffer(AudioStreams=[9999]) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        expectStatus(await h().solicitOffer({ audioStreams: [9999] }), Status.DynamicConstraintError);
    });

    it("step 4a: SolicitOffer(AudioStreams=[aid, aid]) → ALREADY_EXISTS", async () => {
        expectStatus(await h().solicitOffer({ audioStreams: [aid, aid] }), Status.AlreadyExists);
    });

    it("step 5: write SoftLivestreamPrivacyModeEnabled=true; SolicitOffer(LiveView, [vid], [aid]) → INVALID_IN_STATE", async () => {
        expect(await h().writePrivacy("softLivestreamPrivacyModeEnabled", true)).toBe(Status.Success);
        expectStatus(await h().solicitOffer({ videoStreams: [vid], audioStreams: [aid] }), Status.InvalidInState);
    });

    it("step 6: write it false; SolicitOffer(LiveView, [vid], [aid]) → DeferredOffer=TRUE", async () => {
        expect(await h().writePrivacy("softLivestreamPrivacyModeEnabled", false)).toBe(Status.Success);
        const response = valueOf(await h().solicitOffer({ videoStreams: [vid], audioStreams: [aid] }));
        expect(response.deferredOffer).toBe(true);
        // the request used the lists: the response carries no scalar stream ids
        expect(response.videoStreamId).toBeUndefined();
        expect(response.audioStreamId).toBeUndefined();
    });

    it("step 7: read CurrentSessions → 1 valid entry (id, PeerNodeID > 0, PeerEndpointID, StreamUsage) with VideoStreams ∋ vid, AudioStreams ∋ aid", async () => {
        const sessions = await h().currentSessions();
        expect(sessions).toHaveLength(1);
        expectValidSession(sessions[0]!, vid, aid);
    });
});

describe("TC_WEBRTCP_2_28", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let id: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
    });

    it("step 1: read CurrentSessions → empty", async () => {
        expect(await h().currentSessions()).toHaveLength(0);
    });

    it("step 2: SolicitOffer without stream fields → INVALID_COMMAND", async () => {
        expectStatus(await h().solicitOffer({}), Status.InvalidCommand);
    });

    it("step 3: SolicitOffer(LiveView, VideoStreams=[vid], AudioStreams=[aid]) → DeferredOffer=FALSE", async () => {
        const response = valueOf(await h().solicitOffer({ videoStreams: [vid], audioStreams: [aid] }));
        expect(response.deferredOffer).toBe(false);
        id = response.webRtcSessionId;
    });

    it("step 4: read CurrentSessions → 1 valid entry with the same id, VideoStreams ∋ vid, AudioStreams ∋ aid", async () => {
        const sessions = await h().currentSessions();
        expect(sessions).toHaveLength(1);
        expectValidSession(sessions[0]!, vid, aid);
        expect(sessions[0]!.id).toBe(id);
    });

    it("step 5: EndSession((id+1) % 65535) → NOT_FOUND", async () => {
        expectStatus(await h().endSession((id + 1) % 65535, EndReason.IceFailed), Status.NotFound);
    });

    it("step 6: EndSession(id) → SUCCESS", async () => {
        expectStatus(await h().endSession(id, EndReason.IceFailed), Status.Success);
    });
});

describe("TC_WEBRTCP_2_29", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: read CurrentSessions → empty", async () => {
        expect(await h().currentSessions()).toHaveLength(0);
    });

    it("step 2: ProvideOffer(null id, test SDP) without VideoStreams / AudioStreams → INVALID_COMMAND", async () => {
        expectStatus(await h().provideOffer({ sdp: TEST_SDP }), Status.InvalidCommand);
    });

    it("step 3: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
    });

    it("step 4: ProvideOffer(VideoStreams=[9999]) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        expectStatus(await h().provideOffer({ sdp: TEST_SDP, videoStreams: [9999] }), Status.DynamicConstraintError);
    });

    it("step 4a: ProvideOffer(VideoStreams=[vid, vid]) → ALREADY_EXISTS", async () => {
        expectStatus(await h().provideOffer({ sdp: TEST_SDP, videoStreams: [vid, vid] }), Status.AlreadyExists);
    });

    it("step 5: ProvideOffer(AudioStreams=[9999]) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        expectStatus(await h().provideOffer({ sdp: TEST_SDP, audioStreams: [9999] }), Status.DynamicConstraintError);
    });

    it("step 5a: ProvideOffer(AudioStreams=[aid, aid]) → ALREADY_EXISTS", async () => {
        expectStatus(await h().provideOffer({ sdp: TEST_SDP, audioStreams: [aid, aid] }), Status.AlreadyExists);
    });

    it("step 6: write SoftLivestreamPrivacyModeEnabled=true; ProvideOffer(LiveView, [vid], [aid]) → INVALID_IN_STATE", async () => {
        expect(await h().writePrivacy("softLivestreamPrivacyModeEnabled", true)).toBe(Status.Success);
        expectStatus(await h().provideOffer({ sdp: TEST_SDP, videoStreams: [vid], audioStreams: [aid] }), Status.InvalidInState);
    });

    it("step 7: write it false; ProvideOffer(LiveView, [vid], [aid]) (real offer) → response, WebRTCSessionID in 0..65534", async () => {
        expect(await h().writePrivacy("softLivestreamPrivacyModeEnabled", false)).toBe(Status.Success);
        const sdp = TEST_SDP; // the SDK sends its data-channel-only test SDP here
        const response = valueOf(await h().provideOffer({ sdp, videoStreams: [vid], audioStreams: [aid] }));
        expect(response.webRtcSessionId).toBeGreaterThanOrEqual(0);
        expect(response.webRtcSessionId).toBeLessThanOrEqual(65534);
    });

    it("step 8: read CurrentSessions → 1 entry", async () => {
        expect(await h().currentSessions()).toHaveLength(1);
    });
});

describe("TC_WEBRTCP_2_30", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let id: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: read CurrentSessions → empty", async () => {
        expect(await h().currentSessions()).toHaveLength(0);
    });

    it("step 2: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
    });

    it("step 3: ProvideOffer(WebRTCSessionID=1, not a session, [vid], [aid]) → NOT_FOUND", async () => {
        expectStatus(await h().provideOffer({ webRtcSessionId: 1, sdp: TEST_SDP, videoStreams: [vid], audioStreams: [aid] }), Status.NotFound);
    });

    it("step 4: ProvideOffer(null id, [vid], [aid]) (real offer) → response, WebRTCSessionID in 0..65534", async () => {
        const sdp = TEST_SDP; // the SDK sends its data-channel-only test SDP here
        id = valueOf(await h().provideOffer({ sdp, videoStreams: [vid], audioStreams: [aid] })).webRtcSessionId;
        expect(id).toBeGreaterThanOrEqual(0);
        expect(id).toBeLessThanOrEqual(65534);
    });

    it("step 5: read CurrentSessions → 1 entry, [0].id = id", async () => {
        const sessions = await h().currentSessions();
        expect(sessions).toHaveLength(1);
        expect(sessions[0]!.id).toBe(id);
    });

    it("step 6: ProvideOffer(id+1, [vid], [aid]) → NOT_FOUND", async () => {
        expectStatus(await h().provideOffer({ webRtcSessionId: id + 1, sdp: TEST_SDP, videoStreams: [vid], audioStreams: [aid] }), Status.NotFound);
    });

    it("step 7: ProvideOffer(id, [vid], [aid]) (re-offer, real offer) → response with the same id", async () => {
        const sdp = TEST_SDP; // the SDK sends its data-channel-only test SDP here
        const response = valueOf(await h().provideOffer({ webRtcSessionId: id, sdp, videoStreams: [vid], audioStreams: [aid] }));
        expect(response.webRtcSessionId).toBe(id);
        expect((await h().currentSessions()).map(s => s.id)).toEqual([id]);
    });
});

describe("TC_WEBRTCP_2_31", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let nonLiveView: number | undefined;
    let id: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: read CurrentSessions → empty", async () => {
        expect(await h().currentSessions()).toHaveLength(0);
    });

    it("step 2: SolicitOffer without VideoStreams / AudioStreams → INVALID_COMMAND", async () => {
        expectStatus(await h().solicitOffer({}), Status.InvalidCommand);
    });

    it("step 3: allocate a video stream (AVSM Video feature)", async () => {
        vid = await h().allocateOneVideoStream();
        expect((await h().allocatedVideoStreams()).map(s => s.videoStreamId)).toContain(vid);
    });

    it("step 4: allocate an audio stream (AVSM Audio feature)", async () => {
        aid = await h().allocateOneAudioStream();
        expect((await h().allocatedAudioStreams()).map(s => s.audioStreamId)).toContain(aid);
    });

    it("step 5: SolicitOffer(LiveView, VideoStreams=[9999], AudioStreams=[aid]) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        expectStatus(await h().solicitOffer({ videoStreams: [9999], audioStreams: [aid] }), Status.DynamicConstraintError);
    });

    it("step 6: SolicitOffer(supported usage ≠ LiveView, [vid], [aid]) → SolicitOfferResponse", async () => {
        const priorities = await h().readAvsm<number[]>("streamUsagePriorities");
        nonLiveView = priorities.find(u => u !== StreamUsage.LiveView);
        expect(nonLiveView).toBe(StreamUsage.Recording); // so this step runs (skipped otherwise)
        valueOf(await h().solicitOffer({ streamUsage: nonLiveView!, videoStreams: [vid], audioStreams: [aid] }));
    });

    it("step 7: SolicitOffer(usage not in StreamUsagePriorities, tried Analysis, Recording, LiveView → Analysis) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        const priorities = await h().readAvsm<number[]>("streamUsagePriorities");
        const unsupported = [StreamUsage.Analysis, StreamUsage.Recording, StreamUsage.LiveView].find(u => !priorities.includes(u));
        expect(unsupported).toBe(StreamUsage.Analysis);
        expectStatus(await h().solicitOffer({ streamUsage: unsupported!, videoStreams: [vid], audioStreams: [aid] }), Status.DynamicConstraintError);
    });

    it("step 8: SolicitOffer(LiveView, [vid], [aid]) → response, WebRTCSessionID in 0..65534", async () => {
        id = valueOf(await h().solicitOffer({ streamUsage: StreamUsage.LiveView, videoStreams: [vid], audioStreams: [aid] })).webRtcSessionId;
        expect(id).toBeGreaterThanOrEqual(0);
        expect(id).toBeLessThanOrEqual(65534);
    });

    it("step 9: read CurrentSessions → ≥ 2 entries (step 6 ran), including id", async () => {
        const sessions = await h().currentSessions();
        expect(sessions.length).toBeGreaterThanOrEqual(nonLiveView === undefined ? 1 : 2);
        expect(sessions.map(s => s.id)).toContain(id);
    });

    it("step 10: EndSession(id+1) → NOT_FOUND", async () => {
        expectStatus(await h().endSession(id + 1, EndReason.IceFailed), Status.NotFound);
    });

    it("step 11: EndSession(id) → SUCCESS", async () => {
        expectStatus(await h().endSession(id, EndReason.IceFailed), Status.Success);
    });
});

describe("TC_WEBRTCP_2_32", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let id: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
    });

    it("step 1: read CurrentSessions → empty", async () => {
        expect(await h().currentSessions()).toHaveLength(0);
    });

    it("step 2: SolicitOffer with the scalar VideoStreamID / AudioStreamID only → DeferredOffer=FALSE, id in 0..65534", async () => {
        const response = valueOf(await h().solicitOffer({ videoStreamId: vid, audioStreamId: aid }));
        expect(response.deferredOffer).toBe(false);
        id = response.webRtcSessionId;
        expect(id).toBeGreaterThanOrEqual(0);
        expect(id).toBeLessThanOrEqual(65534);
    });

    it("step 3: read CurrentSessions → 1 valid entry with the same id and the scalars mapped into VideoStreams ∋ vid, AudioStreams ∋ aid", async () => {
        const sessions = await h().currentSessions();
        expect(sessions).toHaveLength(1);
        expectValidSession(sessions[0]!, vid, aid);
        expect(sessions[0]!.id).toBe(id);
    });
});

describe("TC_WEBRTCP_2_33", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let session1: { id: number; peer: ControllerPeer };
    let session2: { id: number; peer: ControllerPeer };

    /** The SDK's `_establish_session`: ProvideOffer(scalars) → Answer → ProvideICECandidates → ICECandidates → connected. */
    async function establish(): Promise<{ id: number; peer: ControllerPeer }> {
        const { peer, sdp } = await h().realOffer();
        const response = valueOf(await h().provideOffer({ sdp, streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid }));
        const id = response.webRtcSessionId;
        expect(id).toBeGreaterThanOrEqual(0);
        const answer = await h().waitFor("answer", id, OFFER_BOUND_MS);
        peer.setRemote(answer.sdp ?? "", "answer");
        const { provideStatus, dutCandidates } = await h().exchangeCandidates(peer, id);
        expect(provideStatus).toBe(Status.Success);
        expect(dutCandidates.candidates!.length).toBeGreaterThan(0);
        await h().connect(peer, id, "v");
        return { id, peer };
    }

    /** The SDK's `_verify_media_delivery`: > 0 RTP video frames and > 0 audio packets within 5 s. */
    async function expectMedia(peer: ControllerPeer): Promise<void> {
        await until("RTP video frames and audio packets", () => peer.video.frames > 0 && peer.audioPackets > 0, MEDIA_BOUND_MS).catch(() => undefined);
        expect(peer.video.frames).toBeGreaterThan(0);
        expect(peer.audioPackets).toBeGreaterThan(0);
    }

    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: CurrentSessions, AllocatedAudioStreams and AllocatedVideoStreams are empty", async () => {
        expect(await h().currentSessions()).toHaveLength(0);
        expect(await h().allocatedAudioStreams()).toHaveLength(0);
        expect(await h().allocatedVideoStreams()).toHaveLength(0);
    });

    it("step 1: allocate an audio and a video stream → ReferenceCount 0 for both", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
        expect(await h().referenceCounts(vid, aid)).toEqual({ video: 0, audio: 0 });
    });

    it("step 2: session 1 on those streams connects; CurrentSessions = [session 1]; ReferenceCount 1 for both", async () => {
        session1 = await establish();
        const sessions = await h().currentSessions();
        expect(sessions).toHaveLength(1);
        expect(sessions[0]!.id).toBe(session1.id);
        expect(await h().referenceCounts(vid, aid)).toEqual({ video: 1, audio: 1 });
    });

    it("step 3: session 1 receives RTP video frames > 0 and audio packets > 0 within 5 s", async () => {
        await expectMedia(session1.peer);
    });

    it("step 4: EndSession(session 1, UserHangup) → SUCCESS; CurrentSessions empty; ReferenceCount 0, streams still allocated", async () => {
        expectStatus(await h().endSession(session1.id, EndReason.UserHangup), Status.Success);
        session1.peer.close();
        expect(await h().currentSessions()).toHaveLength(0);
        expect(await h().referenceCounts(vid, aid)).toEqual({ video: 0, audio: 0 });
    });

    it("step 5: session 2 reusing the same VideoStreamID / AudioStreamID connects; CurrentSessions = [session 2]; ReferenceCount 1", async () => {
        session2 = await establish();
        expect(session2.id).not.toBe(session1.id);
        const sessions = await h().currentSessions();
        expect(sessions).toHaveLength(1);
        expect(sessions[0]!.id).toBe(session2.id);
        expect(await h().referenceCounts(vid, aid)).toEqual({ video: 1, audio: 1 });
    });

    it("step 6: session 2 receives RTP video frames > 0 and audio packets > 0 within 5 s", async () => {
        await expectMedia(session2.peer);
    });

    it("step 7: EndSession(session 2) → SUCCESS; AudioStreamDeallocate / VideoStreamDeallocate → SUCCESS, the streams are gone", async () => {
        expectStatus(await h().endSession(session2.id, EndReason.UserHangup), Status.Success);
        expectStatus(await h().audioStreamDeallocate(aid), Status.Success);
        expectStatus(await h().videoStreamDeallocate(vid), Status.Success);
        expect((await h().allocatedAudioStreams()).map(s => s.audioStreamId)).not.toContain(aid);
        expect((await h().allocatedVideoStreams()).map(s => s.videoStreamId)).not.toContain(vid);
    });
});
