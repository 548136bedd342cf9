/**
 * TC_WEBRTCP_2_11 … 2_16: the deferred Offer within 30 s, session capacity (SolicitOffer beyond it
 * is accepted and ended with End(OutOfResources); ProvideOffer beyond it is RESOURCE_EXHAUSTED),
 * privacy (hard switch, soft recording) on ProvideOffer, and PeerEndpointID = OriginatingEndpointID
 * for ProvideOffer.
 *
 * DUTs: 2_11 runs on the deferred-offer app, the others on the immediate app; each TC starts from
 * a reset DUT. ProvideOffer steps that expect a response send a real offer (see harness.ts: the
 * DUT's media plane does not answer the SDK's data-channel-only test SDP); error steps send the
 * SDK's test SDP.
 */

import { beforeAll, describe, expect, it } from "vitest";
import {
    EndReason,
    OFFER_BOUND_MS,
    Status,
    StreamUsage,
    TEST_SDP,
    useDuts,
    expectStatus,
    valueOf,
} from "./harness.js";

/** The session capacity the CI tests assume (`max_attempts = 5` under PICS_SDK_CI_ONLY). */
const CI_CAPACITY = 5;

const duts = useDuts("tc2-11to16", { deferred: true });

describe("TC_WEBRTCP_2_11", () => {
    const h = () => duts.deferredApp();
    let vid: number;
    let aid: number;
    let id: number;
    beforeAll(async () => {
        await duts.deferredApp().reset();
    });

    it("step 1: read CurrentSessions → empty; allocate an audio and a video stream", async () => {
        expect(await h().currentSessions()).toHaveLength(0);
        ({ video: vid, audio: aid } = await h().allocateBoth());
    });

    it("step 2: SolicitOffer(LiveView, vid, aid) → DeferredOffer=TRUE", async () => {
        const response = valueOf(await h().solicitOffer({ streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid }));
        expect(response.deferredOffer).toBe(true);
        id = response.webRtcSessionId;
    });

    it("step 3: the DUT sends Offer(same id, non-empty SDP) within 30 s", async () => {
        const offer = await h().waitFor("offer", id, OFFER_BOUND_MS);
        expect(offer.sessionId).toBe(id);
        expect(offer.sdp?.length ?? 0).toBeGreaterThan(0);
    }, OFFER_BOUND_MS + 10_000);

    it("step 4: EndSession(id, UserHangup) → SUCCESS", async () => {
        expectStatus(await h().endSession(id, EndReason.UserHangup), Status.Success);
    });
});

describe("TC_WEBRTCP_2_12", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    const ids: number[] = [];
    let extra: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
        // the CI value of the DUT's capacity is the default profile's N_SESSIONS
        expect(h().camera.engine.capacities.sessions).toBe(CI_CAPACITY);
    });

    it(`step 2: ${CI_CAPACITY} × SolicitOffer(LiveView, vid, aid, OriginatingEndpointID=1) → SolicitOfferResponse each`, async () => {
        for (let i = 0; i < CI_CAPACITY; i++) {
            const response = valueOf(await h().solicitOffer({ streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid }));
            expect(response.webRtcSessionId).toBeGreaterThanOrEqual(0);
            ids.push(response.webRtcSessionId);
        }
        expect(new Set(ids).size).toBe(CI_CAPACITY);
    });

    it("step 3: one more SolicitOffer at capacity → SolicitOfferResponse (success) with a session id", async () => {
        const response = valueOf(await h().solicitOffer({ streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid }));
        expect(response.webRtcSessionId).toBeGreaterThanOrEqual(0);
        expect(ids).not.toContain(response.webRtcSessionId);
        extra = response.webRtcSessionId;
    });

    it("step 4: the DUT sends End(reason = OutOfResources 0x08) for that session", async () => {
        const end = await h().waitFor("end", undefined, OFFER_BOUND_MS);
        expect(end.reason).toBe(EndReason.OutOfResources);
        expect(end.sessionId).toBe(extra);
        // the N sessions are untouched
        expect((await h().currentSessions()).map(s => s.id)).toEqual(ids);
    }, OFFER_BOUND_MS + 10_000);
});

describe("TC_WEBRTCP_2_13", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
    });

    it("step 2: SetHardPrivacyModeOn(true) (app pipe) → HardPrivacyModeOn reads TRUE", async () => {
        await h().setHardPrivacyModeOn(true);
        expect(await h().readAvsm<boolean>("hardPrivacyModeOn")).toBe(true);
    });

    it("step 3: ProvideOffer(null id, test SDP, LiveView, vid, aid) → INVALID_IN_STATE", async () => {
        expectStatus(await h().provideOffer({ sdp: TEST_SDP, videoStreamId: vid, audioStreamId: aid }), Status.InvalidInState);
    });

    it("step 4: SetHardPrivacyModeOn(false) → HardPrivacyModeOn reads FALSE", async () => {
        await h().setHardPrivacyModeOn(false);
        expect(await h().readAvsm<boolean>("hardPrivacyModeOn")).toBe(false);
    });

    it("step 5: the same ProvideOffer (real offer) → ProvideOfferResponse with a session id", async () => {
        const sdp = TEST_SDP; // the SDK sends its data-channel-only test SDP here
        const response = valueOf(await h().provideOffer({ sdp, videoStreamId: vid, audioStreamId: aid }));
        expect(response.webRtcSessionId).toBeGreaterThanOrEqual(0);
    });
});

describe("TC_WEBRTCP_2_14", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
    });

    it("step 2: write SoftRecordingPrivacyModeEnabled=true → SUCCESS, reads TRUE", async () => {
        expect(await h().writePrivacy("softRecordingPrivacyModeEnabled", true)).toBe(Status.Success);
        expect(await h().readAvsm<boolean>("softRecordingPrivacyModeEnabled")).toBe(true);
    });

    it("step 3: ProvideOffer(Recording, vid, aid) → INVALID_IN_STATE", async () => {
        expectStatus(await h().provideOffer({ sdp: TEST_SDP, streamUsage: StreamUsage.Recording, videoStreamId: vid, audioStreamId: aid }), Status.InvalidInState);
    });

    it("step 4: ProvideOffer(Analysis, vid, aid) → INVALID_IN_STATE", async () => {
        expectStatus(await h().provideOffer({ sdp: TEST_SDP, streamUsage: StreamUsage.Analysis, videoStreamId: vid, audioStreamId: aid }), Status.InvalidInState);
    });

    it("step 5: ProvideOffer(LiveView, vid, aid) (real offer) → ProvideOfferResponse", async () => {
        const sdp = TEST_SDP; // the SDK sends its data-channel-only test SDP here
        valueOf(await h().provideOffer({ sdp, streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid }));
    });
});

describe("TC_WEBRTCP_2_15", () => {
    const h = () => duts.app();
    const ORIGINATING_ENDPOINT = 2;
    let vid: number;
    let aid: number;
    let id: number;
    beforeAll(async () => {
        await duts.app().reset();
        // the TH hosts a Requestor there, so the DUT's Answer to endpoint 2 is accepted
        await duts.app().requestorAt(ORIGINATING_ENDPOINT);
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
    });

    it(`step 2: ProvideOffer(OriginatingEndpointID=${ORIGINATING_ENDPOINT}, vid, aid) (real offer) → ProvideOfferResponse`, async () => {
        const sdp = TEST_SDP; // the SDK sends its data-channel-only test SDP here
        const response = valueOf(
            await h().provideOffer({ sdp, originatingEndpointId: ORIGINATING_ENDPOINT as never, videoStreamId: vid, audioStreamId: aid }),
        );
        id = response.webRtcSessionId;
    });

    it(`step 3: read CurrentSessions → the session's PeerEndpointID = ${ORIGINATING_ENDPOINT}`, async () => {
        const session = (await h().currentSessions()).find(s => s.id === id);
        expect(session).toBeDefined();
        expect(session!.peerEndpointId).toBe(ORIGINATING_ENDPOINT);
        // the Answer went to the Requestor on that endpoint
        const answer = await h().waitFor("answer", id);
        expect(answer.sdp).toBeTruthy();
    });
});

describe("TC_WEBRTCP_2_16", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
    });

    it(`step 2: ${CI_CAPACITY} × ProvideOffer(null id, LiveView, OriginatingEndpointID=1, vid, aid) (real offers) → ProvideOfferResponse each`, async () => {
        const ids: number[] = [];
        for (let i = 0; i < CI_CAPACITY; i++) {
            const sdp = TEST_SDP; // the SDK sends its data-channel-only test SDP here
            ids.push(valueOf(await h().provideOffer({ sdp, videoStreamId: vid, audioStreamId: aid })).webRtcSessionId);
        }
        expect(new Set(ids).size).toBe(CI_CAPACITY);
        expect((await h().currentSessions()).map(s => s.id)).toEqual(ids);
    });

    it("step 3: one more ProvideOffer (test SDP) → RESOURCE_EXHAUSTED", async () => {
        expectStatus(await h().provideOffer({ sdp: TEST_SDP, videoStreamId: vid, audioStreamId: aid }), Status.ResourceExhausted);
        expect(await h().currentSessions()).toHaveLength(CI_CAPACITY);
    });
});
