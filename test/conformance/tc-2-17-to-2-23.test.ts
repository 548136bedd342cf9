/**
 * TC_WEBRTCP_2_17 … 2_23: the signalling the DUT sends back and real media. The TH's WebRTC peer is
 * a node-datachannel `ControllerPeer` (libdatachannel, like the SDK's LibdatachannelPeerConnection):
 * - 2_17 ProvideOffer → Answer(same id) with v=, s=, t=, m=video, m=audio; then EndSession and
 *   deallocation succeed (the session released its streams);
 * - 2_18 / 2_19 SolicitOffer → Offer within 30 s → ProvideAnswer SUCCESS / NOT_FOUND (id+1000);
 * - 2_20 / 2_21 ProvideOffer → Answer → ProvideICECandidates SUCCESS / NOT_FOUND (id 9999);
 * - 2_22 the DUT answers ProvideICECandidates with its own ICECandidates (≥1) and the peer
 *   connection establishes; EndSession empties CurrentSessions;
 * - 2_23 ReferenceCount of the session's streams is base+1 during the session, base after it.
 *
 * All on the immediate app; each TC starts from a reset DUT.
 */

import { beforeAll, describe, expect, it } from "vitest";
import { OFFER_FORMATS } from "../../src/media/node/index.js";
import type { ControllerPeer } from "../media/controller-peer.js";
import {
    ConformanceHarness,
    EndReason,
    OFFER_BOUND_MS,
    Status,
    StreamUsage,
    bounded,
    useDuts,
    expectStatus,
    until,
    valueOf,
} from "./harness.js";

const duts = useDuts("tc2-17to23");

/** Step "allocate both": ids, validated against AllocatedAudio/VideoStreams. */
async function allocate(h: ConformanceHarness): Promise<{ vid: number; aid: number }> {
    const { video, audio } = await h.allocateBoth();
    expect((await h.allocatedAudioStreams()).map(s => s.audioStreamId)).toContain(audio);
    expect((await h.allocatedVideoStreams()).map(s => s.videoStreamId)).toContain(video);
    return { vid: video, aid: audio };
}

/** ProvideOffer(null id, real offer, LiveView, vid, aid, OriginatingEndpointID 1) → its id and the TH peer. */
async function provideRealOffer(h: ConformanceHarness, vid: number, aid: number): Promise<{ id: number; peer: ControllerPeer }> {
    const { peer, sdp } = await h.realOffer();
    const response = valueOf(await h.provideOffer({ sdp, streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid }));
    expect(response.webRtcSessionId).toBeGreaterThanOrEqual(0);
    return { id: response.webRtcSessionId, peer };
}

/** Waits for the DUT's Answer for `id` and applies it to the TH peer; returns its SDP. */
async function takeAnswer(h: ConformanceHarness, id: number, peer: ControllerPeer): Promise<string> {
    const answer = await h.waitFor("answer", id, OFFER_BOUND_MS);
    expect(answer.sessionId).toBe(id);
    const sdp = answer.sdp ?? "";
    expect(sdp.length).toBeGreaterThan(0);
    peer.setRemote(sdp, "answer");
    return sdp;
}

/** Deallocates both streams; both → SUCCESS (the session released them). */
async function deallocate(h: ConformanceHarness, vid: number, aid: number): Promise<void> {
    expectStatus(await h.audioStreamDeallocate(aid), Status.Success);
    expectStatus(await h.videoStreamDeallocate(vid), Status.Success);
    expect((await h.allocatedAudioStreams()).map(s => s.audioStreamId)).not.toContain(aid);
    expect((await h.allocatedVideoStreams()).map(s => s.videoStreamId)).not.toContain(vid);
}

/** The TH's answer to a DUT Offer, once its candidates are gathered (the SDP then carries them). */
async function answerWithCandidates(h: ConformanceHarness, offerSdp: string): Promise<string> {
    const peer = h.newPeer(false);
    await bounded("TH answer", peer.answer(offerSdp, OFFER_FORMATS.video.mid, OFFER_FORMATS.audio.mid), 10_000);
    await h.localCandidates(peer);
    const sdp = peer.pc.localDescription()?.sdp ?? peer.localSdp ?? "";
    expect(sdp).toMatch(/a=candidate:/);
    return sdp;
}

describe("TC_WEBRTCP_2_17", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let id: number;
    let peer: ControllerPeer;
    let answer: string;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ vid, aid } = await allocate(h()));
    });

    it("step 2: ProvideOffer(null id, real offer, LiveView, vid, aid, OriginatingEndpointID=1) → ProvideOfferResponse", async () => {
        ({ id, peer } = await provideRealOffer(h(), vid, aid));
    });

    it("step 3: the DUT sends Answer(same id) to the TH's Requestor", async () => {
        answer = await takeAnswer(h(), id, peer);
    });

    it('step 4: the Answer SDP contains "v=0", "s=", "t=", "m=video" and "m=audio"', () => {
        for (const line of ["v=0", "s=", "t=", "m=video", "m=audio"]) expect(answer).toContain(line);
    });

    it("step 5: EndSession(id, UserHangup) → SUCCESS", async () => {
        expectStatus(await h().endSession(id, EndReason.UserHangup), Status.Success);
    });

    it("step 6: AudioStreamDeallocate and VideoStreamDeallocate → SUCCESS", async () => {
        await deallocate(h(), vid, aid);
    });
});

describe("TC_WEBRTCP_2_18", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let id: number;
    let offer: string;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ vid, aid } = await allocate(h()));
    });

    it("step 2: SolicitOffer(LiveView, vid, aid, OriginatingEndpointID=1) → SolicitOfferResponse", async () => {
        id = valueOf(await h().solicitOffer({ streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid })).webRtcSessionId;
    });

    it("step 3: the DUT sends Offer(same id, non-empty SDP) within 30 s", async () => {
        const received = await h().waitFor("offer", id, OFFER_BOUND_MS);
        offer = received.sdp ?? "";
        expect(offer.length).toBeGreaterThan(0);
    }, OFFER_BOUND_MS + 10_000);

    it("step 4: ProvideAnswer(id, answer with candidates) → SUCCESS", async () => {
        const answer = await answerWithCandidates(h(), offer);
        expectStatus(await h().provideAnswer(id, answer), Status.Success);
    });

    it("step 5: EndSession(id) → SUCCESS", async () => {
        expectStatus(await h().endSession(id, EndReason.UserHangup), Status.Success);
    });

    it("step 6: AudioStreamDeallocate and VideoStreamDeallocate → SUCCESS", async () => {
        await deallocate(h(), vid, aid);
    });
});

describe("TC_WEBRTCP_2_19", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let id: number;
    let offer: string;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ vid, aid } = await allocate(h()));
    });

    it("step 2: SolicitOffer(LiveView, vid, aid, OriginatingEndpointID=1) → SolicitOfferResponse", async () => {
        id = valueOf(await h().solicitOffer({ streamUsage: StreamUsage.LiveView, videoStreamId: vid, audioStreamId: aid })).webRtcSessionId;
    });

    it("step 3: the DUT sends Offer(same id, non-empty SDP) within 30 s", async () => {
        offer = (await h().waitFor("offer", id, OFFER_BOUND_MS)).sdp ?? "";
        expect(offer.length).toBeGreaterThan(0);
    }, OFFER_BOUND_MS + 10_000);

    it("step 4: ProvideAnswer(id+1000, answer) → NOT_FOUND", async () => {
        const answer = await answerWithCandidates(h(), offer);
        expectStatus(await h().provideAnswer(id + 1000, answer), Status.NotFound);
    });

    it("step 5: EndSession(id) → SUCCESS", async () => {
        expectStatus(await h().endSession(id, EndReason.UserHangup), Status.Success);
    });

    it("step 6: AudioStreamDeallocate and VideoStreamDeallocate → SUCCESS", async () => {
        await deallocate(h(), vid, aid);
    });
});

describe("TC_WEBRTCP_2_20", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let id: number;
    let peer: ControllerPeer;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ vid, aid } = await allocate(h()));
    });

    it("step 2: ProvideOffer(null id, real offer, LiveView, vid, aid) → ProvideOfferResponse", async () => {
        ({ id, peer } = await provideRealOffer(h(), vid, aid));
    });

    it("step 3: the DUT sends Answer(same id, non-empty SDP)", async () => {
        await takeAnswer(h(), id, peer);
    });

    it("step 4: ProvideICECandidates(id, [candidate, SDPMid=null, SDPMLineIndex=null]) → SUCCESS", async () => {
        const candidates = await h().localCandidates(peer);
        expect(candidates.length).toBeGreaterThan(0);
        const outcome = await h().provideIceCandidates(
            id,
            candidates.map(c => ({ candidate: c.candidate, sdpMid: null, sdpmLineIndex: null })),
        );
        expectStatus(outcome, Status.Success);
    });

    it("step 5: EndSession(id) → SUCCESS", async () => {
        expectStatus(await h().endSession(id, EndReason.UserHangup), Status.Success);
    });

    it("step 6: AudioStreamDeallocate and VideoStreamDeallocate → SUCCESS", async () => {
        await deallocate(h(), vid, aid);
    });
});

describe("TC_WEBRTCP_2_21", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let id: number;
    let peer: ControllerPeer;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ vid, aid } = await allocate(h()));
    });

    it("step 2: ProvideOffer(null id, real offer, LiveView, vid, aid) → ProvideOfferResponse", async () => {
        ({ id, peer } = await provideRealOffer(h(), vid, aid));
    });

    it("step 3: the DUT sends Answer(same id, non-empty SDP)", async () => {
        await takeAnswer(h(), id, peer);
    });

    it("step 4: ProvideICECandidates(9999, candidates) → NOT_FOUND", async () => {
        expect(id).not.toBe(9999);
        const candidates = await h().localCandidates(peer);
        expect(candidates.length).toBeGreaterThan(0);
        const outcome = await h().provideIceCandidates(
            9999,
            candidates.map(c => ({ candidate: c.candidate, sdpMid: null, sdpmLineIndex: null })),
        );
        expectStatus(outcome, Status.NotFound);
    });

    it("step 5: EndSession(id, UserHangup) → SUCCESS", async () => {
        expectStatus(await h().endSession(id, EndReason.UserHangup), Status.Success);
    });

    it("step 6: AudioStreamDeallocate and VideoStreamDeallocate → SUCCESS", async () => {
        await deallocate(h(), vid, aid);
    });
});

describe("TC_WEBRTCP_2_22", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let id: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ vid, aid } = await allocate(h()));
    });

    it("step 2: ProvideOffer → Answer → ProvideICECandidates → the DUT sends ICECandidates(id, ≥1) → the peer connection establishes", async () => {
        const session = await provideRealOffer(h(), vid, aid);
        id = session.id;
        await takeAnswer(h(), id, session.peer);
        const { provideStatus, dutCandidates } = await h().exchangeCandidates(session.peer, id);
        expect(provideStatus).toBe(Status.Success);
        expect(dutCandidates.sessionId).toBe(id);
        expect(dutCandidates.candidates!.length).toBeGreaterThanOrEqual(1);
        await h().connect(session.peer, id, "v");
        expect(session.peer.state()).toBe("connected");
        expect(h().media.stats(id)?.state).toBe("connected");
    });

    it("step 3: read CurrentSessions → 1 entry, [0].id = id", async () => {
        const sessions = await h().currentSessions();
        expect(sessions).toHaveLength(1);
        expect(sessions[0]!.id).toBe(id);
    });

    it("step 4: EndSession(id, UserHangup) → SUCCESS", async () => {
        expectStatus(await h().endSession(id, EndReason.UserHangup), Status.Success);
    });

    it("step 5: read CurrentSessions → empty", async () => {
        expect(await h().currentSessions()).toHaveLength(0);
    });

    it("step 6: AudioStreamDeallocate and VideoStreamDeallocate → SUCCESS", async () => {
        await deallocate(h(), vid, aid);
    });
});

describe("TC_WEBRTCP_2_23", () => {
    const h = () => duts.app();
    let vid: number;
    let aid: number;
    let id: number;
    let base: { video: number; audio: number };
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: allocate an audio and a video stream", async () => {
        ({ vid, aid } = await allocate(h()));
    });

    it("step 2: read AllocatedAudioStreams / AllocatedVideoStreams → record each ReferenceCount (base)", async () => {
        base = await h().referenceCounts(vid, aid);
        expect(base.video).toBeGreaterThanOrEqual(0);
        expect(base.audio).toBeGreaterThanOrEqual(0);
    });

    it("step 3: establish a session on those streams (ProvideOffer, Answer, ICE both ways, connected)", async () => {
        const session = await provideRealOffer(h(), vid, aid);
        id = session.id;
        await takeAnswer(h(), id, session.peer);
        const { provideStatus } = await h().exchangeCandidates(session.peer, id);
        expect(provideStatus).toBe(Status.Success);
        await h().connect(session.peer, id, "v");
        await until("DUT peer connected", () => h().media.stats(id)?.state === "connected", 10_000);
    });

    it("step 4: read the streams again → ReferenceCount = base + 1 for both", async () => {
        expect(await h().referenceCounts(vid, aid)).toEqual({ video: base.video + 1, audio: base.audio + 1 });
    });

    it("step 5: EndSession(id, UserHangup) → SUCCESS", async () => {
        expectStatus(await h().endSession(id, EndReason.UserHangup), Status.Success);
    });

    it("step 6: read the streams again → ReferenceCount = base for both", async () => {
        expect(await h().referenceCounts(vid, aid)).toEqual(base);
    });

    it("step 7: AudioStreamDeallocate and VideoStreamDeallocate → SUCCESS", async () => {
        await deallocate(h(), vid, aid);
    });
});
