/**
 * TC_WEBRTCP_2_6 … 2_10: the endpoint's cluster list, privacy (hard switch and soft recording) on
 * SolicitOffer, SolicitOffer with ICEServers / ICETransportPolicy, and PeerEndpointID =
 * OriginatingEndpointID. All on the immediate app; each TC starts from a reset DUT.
 */

import { beforeAll, describe, expect, it } from "vitest";
import {
    DUT_ENDPOINT,
    EndReason,
    Status,
    StreamUsage,
    useDuts,
    expectStatus,
    valueOf,
} from "./harness.js";

const WEBRTC_TRANSPORT_PROVIDER = 0x0553;
const CAMERA_AV_STREAM_MANAGEMENT = 0x0551;

const duts = useDuts("tc2-6to10");

describe("TC_WEBRTCP_2_6", () => {
    beforeAll(async () => {
        await duts.app().reset();
    });

    it(`step 1: read Descriptor ServerList of endpoint ${DUT_ENDPOINT} → contains 0x0553 (WebRTC Transport Provider) and 0x0551 (CameraAvStreamManagement)`, async () => {
        const servers = await duts.app().serverList();
        expect(servers).toContain(WEBRTC_TRANSPORT_PROVIDER);
        expect(servers).toContain(CAMERA_AV_STREAM_MANAGEMENT);
    });
});

describe("TC_WEBRTCP_2_7", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
        expect((await h().allocatedVideoStreams()).map(s => s.videoStreamId)).toContain(vid);
        expect((await h().allocatedAudioStreams()).map(s => s.audioStreamId)).toContain(aid);
    });

    it("step 2: SetHardPrivacyModeOn(true) (app pipe) → HardPrivacyModeOn reads TRUE", async () => {
        await h().setHardPrivacyModeOn(true);
        expect(await h().readAvsm<boolean>("hardPrivacyModeOn")).toBe(true);
    });

    it("step 3: SolicitOffer(LiveView, vid, aid) → INVALID_IN_STATE", async () => {
        expectStatus(await h().solicitOffer({ streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid }), Status.InvalidInState);
    });

    it("step 4: SetHardPrivacyModeOn(false) → HardPrivacyModeOn reads FALSE", async () => {
        await h().setHardPrivacyModeOn(false);
        expect(await h().readAvsm<boolean>("hardPrivacyModeOn")).toBe(false);
    });

    it("step 5: SolicitOffer(LiveView, vid, aid) → SolicitOfferResponse", async () => {
        const response = valueOf(await h().solicitOffer({ streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid }));
        expect(response.webRtcSessionId).toBeGreaterThanOrEqual(0);
    });
});

describe("TC_WEBRTCP_2_8", () => {
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

    it("step 3: SolicitOffer(Recording, vid, aid) → INVALID_IN_STATE", async () => {
        expectStatus(await h().solicitOffer({ streamUsage: StreamUsage.Recording, videoStreamId: vid, audioStreamId: aid }), Status.InvalidInState);
    });

    it("step 4: SolicitOffer(Analysis, vid, aid) → INVALID_IN_STATE (privacy is checked before StreamUsagePriorities)", async () => {
        expectStatus(await h().solicitOffer({ streamUsage: StreamUsage.Analysis, videoStreamId: vid, audioStreamId: aid }), Status.InvalidInState);
    });

    it("step 5: SolicitOffer(LiveView, vid, aid) → SolicitOfferResponse", async () => {
        valueOf(await h().solicitOffer({ streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid }));
    });
});

describe("TC_WEBRTCP_2_9", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    // The SDK's script names stun.l.google.com and turn.example.com; the camera's WebRTC stack
    // resolves them, a DNS query that would leave this machine, so the same shapes on loopback
    const iceServers = [
        { urLs: ["stun:127.0.0.1:19302"], username: "", credential: "" },
        { urLs: ["turn:127.0.0.1:3478"], username: "testuser", credential: "testpass" },
    ];
    beforeAll(async () => {
        await duts.app().reset();
    });

    /** SolicitOffer → response with a session id, then EndSession → SUCCESS (the SDK's helper). */
    async function solicitAndEnd(extra: Record<string, unknown>): Promise<void> {
        const response = valueOf(await h().solicitOffer({ streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid, ...extra }));
        expect(response.webRtcSessionId).toBeGreaterThanOrEqual(0);
        expect(response.webRtcSessionId).toBeLessThanOrEqual(65534);
        expectStatus(await h().endSession(response.webRtcSessionId, EndReason.IceFailed), Status.Success);
    }

    it("step 1: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
    });

    it("step 2: SolicitOffer without ICEServers / ICETransportPolicy → response; EndSession → SUCCESS", async () => {
        await solicitAndEnd({});
    });

    it("step 3: SolicitOffer with ICEServers [STUN, TURN with credentials] → response; EndSession → SUCCESS", async () => {
        await solicitAndEnd({ iceServers });
    });

    it('step 4: SolicitOffer with ICETransportPolicy "all" → response; EndSession → SUCCESS', async () => {
        await solicitAndEnd({ iceTransportPolicy: "all" });
    });

    it('step 5: SolicitOffer with ICETransportPolicy "relay" → response; EndSession → SUCCESS', async () => {
        await solicitAndEnd({ iceTransportPolicy: "relay" });
    });

    it('step 6: SolicitOffer with ICEServers and ICETransportPolicy "all" → response; EndSession → SUCCESS', async () => {
        await solicitAndEnd({ iceServers, iceTransportPolicy: "all" });
        expect(await h().currentSessions()).toHaveLength(0);
    });
});

describe("TC_WEBRTCP_2_10", () => {
    const h = () => duts.app();
    const ORIGINATING_ENDPOINT = 5;
    let vid: number;
    let aid: number;
    let id: number;
    beforeAll(async () => {
        await duts.app().reset();
        // the TH hosts a Requestor there, so the DUT's Offer to endpoint 5 is accepted
        await duts.app().requestorAt(ORIGINATING_ENDPOINT);
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ video: vid, audio: aid } = await h().allocateBoth());
    });

    it(`step 2: SolicitOffer(OriginatingEndpointID=${ORIGINATING_ENDPOINT}, vid, aid) → SolicitOfferResponse`, async () => {
        const response = valueOf(
            await h().solicitOffer({ originatingEndpointId: ORIGINATING_ENDPOINT as never, videoStreamId: vid, audioStreamId: aid }),
        );
        id = response.webRtcSessionId;
    });

    it(`step 3: read CurrentSessions → the session's PeerEndpointID = ${ORIGINATING_ENDPOINT}; EndSession → SUCCESS`, async () => {
        const session = (await h().currentSessions()).find(s => s.id === id);
        expect(session).toBeDefined();
        expect(session!.peerEndpointId).toBe(ORIGINATING_ENDPOINT);
        // the Offer went to the Requestor on that endpoint
        const offer = await h().waitFor("offer", id);
        expect(offer.sdp).toBeTruthy();
        expectStatus(await h().endSession(id, EndReason.IceFailed), Status.Success);
    });
});
