/**
 * NodeMediaHost against a real node-datachannel controller peer on loopback, no Matter and no
 * engine: the test calls the `MediaHost` methods the way `MediaHostHooks` would (answerOffer,
 * solicitOffer, applyAnswer, addRemoteCandidates, takeLocalCandidates, delivered, end), records
 * the host's `MediaEvents`, and counts the H.264 frames and Opus packets that reach the controller.
 */

import { readFileSync, statSync } from "node:fs";
import nodeDataChannel from "node-datachannel";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { MediaEvents } from "../../src/engine/media-host.js";
import { EndReason, StreamUsage, type OfferParams } from "../../src/engine/types.js";
import { accessUnits, H264Clip, NodeMediaHost, OFFER_FORMATS, TEST_PATTERN_PATH, testPatternClip } from "../../src/media/node/index.js";
import { isH264Mode1 } from "../../src/media/offer-plan.js";
import { mediaSections } from "../../src/media/sdp.js";
import { ControllerPeer } from "./controller-peer.js";

type EventCall =
    | { kind: "candidatesReady"; id: number }
    | { kind: "offerReady"; id: number; sdp: string }
    | { kind: "sessionFailed"; id: number; reason: EndReason; why: string };

/** Records every MediaEvents call; `onCall` lets a test react (e.g. take candidates). */
class RecordingEvents implements MediaEvents {
    readonly calls: EventCall[] = [];
    onCall: ((call: EventCall) => void) | undefined;
    candidatesReady(id: number): void {
        this.#record({ kind: "candidatesReady", id });
    }
    offerReady(id: number, sdp: string): void {
        this.#record({ kind: "offerReady", id, sdp });
    }
    sessionFailed(id: number, reason: EndReason, why: string): void {
        this.#record({ kind: "sessionFailed", id, reason, why });
    }
    count(kind: EventCall["kind"], id: number): number {
        return this.calls.filter(c => c.kind === kind && c.id === id).length;
    }
    #record(call: EventCall): void {
        this.calls.push(call);
        this.onCall?.(call);
    }
}

function params(sessionId: number, overrides: Partial<OfferParams> = {}): OfferParams {
    return {
        sessionId,
        fabricIndex: 1,
        peerNodeId: 0x1122n,
        streamUsage: StreamUsage.LiveView,
        originatingEndpointId: 1,
        videoStreams: [1],
        audioStreams: [2],
        iceServers: [],
        metadataEnabled: false,
        reoffer: false,
        ...overrides,
    };
}

const hosts: NodeMediaHost[] = [];
const peers: ControllerPeer[] = [];
const logs: string[] = [];

function makeHost(events: RecordingEvents, extra: { deferredOfferDelayMs?: number } = {}): NodeMediaHost {
    const host = new NodeMediaHost({ video: testPatternClip(), onLog: line => logs.push(line), ...extra });
    host.attachEvents(events);
    hosts.push(host);
    return host;
}

function makePeer(videoPt: number, audioPt: number, extraVideo?: { pt: number; codec: "VP8" | "VP9" }[]): ControllerPeer {
    const peer = new ControllerPeer({ videoPt, audioPt, ...(extraVideo === undefined ? {} : { extraVideo }) });
    peers.push(peer);
    return peer;
}

/**
 * Wires candidates both ways: the host's, whenever it reports them, go to the controller; the
 * controller's go to `addRemoteCandidates`.
 */
function exchangeCandidates(host: NodeMediaHost, events: RecordingEvents, ctl: ControllerPeer, id: number, nullMid = false): void {
    const pull = (): void => {
        for (const c of host.takeLocalCandidates(id)) ctl.addRemoteCandidate(c.candidate, c.sdpMid ?? "0");
    };
    events.onCall = call => {
        if (call.kind === "candidatesReady" && call.id === id) setImmediate(pull);
    };
    pull(); // candidates reported before the wiring
    ctl.forwardCandidates(c =>
        host.addRemoteCandidates(id, [
            nullMid
                ? { candidate: c.candidate.replace(/^a=/, ""), sdpMid: null, sdpMLineIndex: null }
                : { candidate: c.candidate.replace(/^a=/, ""), sdpMid: c.mid, sdpMLineIndex: 0 },
        ]),
    );
}

afterEach(() => {
    for (const host of hosts.splice(0)) host.close();
    for (const peer of peers.splice(0)) peer.close();
    logs.length = 0;
});

afterAll(() => {
    nodeDataChannel.cleanup();
});

describe("test-pattern fixture", () => {
    it("is small Annex-B H.264 that splits into 20 fps access units with keyframes", () => {
        expect(statSync(TEST_PATTERN_PATH).size).toBeLessThan(100 * 1024);
        const units = accessUnits(new Uint8Array(readFileSync(TEST_PATTERN_PATH)));
        expect(units.length).toBe(60); // 3 s at 20 fps
        expect(units[0]?.nalTypes).toEqual([7, 8, 6, 5]); // SPS, PPS, SEI, IDR
        expect(units.filter(u => u.keyframe).length).toBe(3); // keyint 20
        expect(units.every(u => u.nalTypes.filter(t => t === 1 || t === 5).length === 1)).toBe(true);
        const clip = testPatternClip();
        expect(clip.fps).toBe(20);
        const it = clip.frames();
        for (let k = 0; k < 60; k++) it.next();
        expect(it.next().value?.keyframe).toBe(true); // loops back to the first keyframe
    });

    it("refuses a stream without an IDR picture", () => {
        expect(() => new H264Clip(Uint8Array.of(0, 0, 0, 1, 0x41, 0x9a, 0x00))).toThrow(/no IDR/);
    });
});

describe("NodeMediaHost on loopback", () => {
    it("answers a controller's Offer as the DTLS server, holds its candidates until the Answer was delivered, and streams until end", async () => {
        const events = new RecordingEvents();
        const host = makeHost(events);
        const ctl = makePeer(102, 111, [{ pt: 97, codec: "VP8" }]);
        const offer = await ctl.createOffer();

        const t0 = performance.now();
        const { sdp: answer } = await host.answerOffer(1, offer, params(1));

        // the Answer reuses the Offer's mids and lists only formats the Offer listed (H.264 PT 102, no VP8)
        const offered = mediaSections(offer);
        const answered = mediaSections(answer);
        expect(answered.map(s => s.mid)).toEqual(offered.map(s => s.mid));
        const video = answered.find(s => s.kind === "video");
        expect(video?.direction).toBe("sendonly");
        expect(video?.formats.map(f => f.payloadType)).toEqual([102]);
        expect((video ?? offered[0]!).formats.find(isH264Mode1)?.payloadType).toBe(102);
        expect(answered.find(s => s.kind === "audio")?.formats.map(f => f.payloadType)).toEqual([111]);
        expect(answered.every(s => s.setup === "passive")).toBe(true);

        ctl.setRemote(answer, "answer");
        exchangeCandidates(host, events, ctl, 1);
        // held: the controller's candidates wait for the Answer's delivery
        await expect.poll(() => host.stats(1)?.remoteCandidatesBuffered ?? 0, { timeout: 3000 }).toBeGreaterThan(0);
        expect(host.stats(1)?.state).not.toBe("connected");
        host.delivered(1, "answer");
        expect(host.stats(1)?.remoteCandidatesBuffered).toBe(0);

        await expect.poll(() => [ctl.state(), host.stats(1)?.state], { timeout: 5000 }).toEqual(["connected", "connected"]);
        await expect.poll(() => ctl.video.frames, { timeout: 5000 }).toBeGreaterThanOrEqual(20);
        expect(ctl.video.keyframes).toBeGreaterThanOrEqual(1);
        expect(ctl.video.timestamps.size).toBeGreaterThanOrEqual(20);
        await expect.poll(() => ctl.audioPackets, { timeout: 5000 }).toBeGreaterThan(0);
        console.log(`answerer: answerOffer → first video packet ${((ctl.video.firstPacketAt ?? NaN) - t0).toFixed(0)} ms; frames ${ctl.video.frames}, keyframes ${ctl.video.keyframes}, audio ${ctl.audioPackets}`);

        const stats = host.stats(1);
        expect(stats?.role).toBe("answerer");
        expect(stats?.videoFramesSent).toBeGreaterThanOrEqual(20);
        expect(stats?.videoBytesSent).toBeGreaterThan(0);
        expect(stats?.audioPacketsSent).toBeGreaterThan(0);
        expect(events.count("candidatesReady", 1)).toBeGreaterThan(0);

        host.end(1, EndReason.UserHangup, "peer");
        expect(host.stats(1)).toBeUndefined();
        expect(host.sessionIds()).toEqual([]);
        expect(events.count("sessionFailed", 1)).toBe(0); // ended by the engine, not reported back
    });

    it("offers on SolicitOffer, applies the controller's Answer, and streams", async () => {
        const events = new RecordingEvents();
        const host = makeHost(events);
        const t0 = performance.now();
        const outcome = await host.solicitOffer(7, params(7));
        if (!("sdp" in outcome)) throw new Error("expected an immediate Offer");
        const offer = outcome.sdp;

        const sections = mediaSections(offer);
        const video = sections.find(s => s.kind === "video");
        const audio = sections.find(s => s.kind === "audio");
        expect(video?.direction).toBe("sendonly");
        expect(video?.formats).toEqual([
            expect.objectContaining({ payloadType: OFFER_FORMATS.video.payloadType, codec: "H264", clockRate: 90000 }),
        ]);
        expect(video?.formats[0]?.fmtp).toMatch(/profile-level-id=42e01f/);
        expect(video?.formats[0]?.fmtp).toMatch(/packetization-mode=1/);
        expect(audio?.direction).toBe("sendonly");
        expect(audio?.formats.map(f => [f.payloadType, f.codec.toLowerCase()])).toEqual([[111, "opus"]]);

        const ctl = makePeer(OFFER_FORMATS.video.payloadType, OFFER_FORMATS.audio.payloadType);
        const answer = await ctl.answer(offer, video?.mid ?? "0", audio?.mid ?? "1");
        host.applyAnswer(7, answer);
        host.applyAnswer(7, answer); // a duplicate is ignored
        exchangeCandidates(host, events, ctl, 7, true); // controller candidates with sdpMid null

        await expect.poll(() => [ctl.state(), host.stats(7)?.state], { timeout: 5000 }).toEqual(["connected", "connected"]);
        await expect.poll(() => ctl.video.frames, { timeout: 5000 }).toBeGreaterThanOrEqual(20);
        expect(ctl.video.keyframes).toBeGreaterThanOrEqual(1);
        await expect.poll(() => ctl.audioPackets, { timeout: 5000 }).toBeGreaterThan(0);
        console.log(`offerer: SolicitOffer → first video packet ${((ctl.video.firstPacketAt ?? NaN) - t0).toFixed(0)} ms; frames ${ctl.video.frames}, keyframes ${ctl.video.keyframes}, audio ${ctl.audioPackets}`);
        expect(host.stats(7)?.role).toBe("offerer");

        host.end(7, EndReason.UserHangup, "peer");
        expect(host.stats(7)).toBeUndefined();
        expect(() => host.applyAnswer(7, answer)).toThrow(); // nothing left to answer
    });

    it("defers the Offer in deferred-offer mode and reports it with offerReady", async () => {
        const events = new RecordingEvents();
        const host = makeHost(events, { deferredOfferDelayMs: 50 });
        expect(await host.solicitOffer(3, params(3))).toEqual({ deferred: true });
        expect(events.count("offerReady", 3)).toBe(0);
        expect(host.stats(3)?.state).toBe("new");
        await expect.poll(() => events.count("offerReady", 3), { timeout: 3000 }).toBe(1);
        const ready = events.calls.find(c => c.kind === "offerReady" && c.id === 3);
        expect(ready?.kind === "offerReady" ? mediaSections(ready.sdp).map(s => s.kind) : []).toEqual(["video", "audio"]);
        host.end(3, EndReason.UserHangup, "peer");
        expect(host.sessionIds()).toEqual([]);
    });

    it("hands its candidates over once each, with their m-line index", async () => {
        const events = new RecordingEvents();
        const host = makeHost(events);
        const ctl = makePeer(102, 111);
        const { sdp: answer } = await host.answerOffer(4, await ctl.createOffer(), params(4));
        await expect.poll(() => events.count("candidatesReady", 4), { timeout: 3000 }).toBeGreaterThan(0);
        await expect.poll(() => host.stats(4)?.gatheringState, { timeout: 3000 }).toBe("complete"); // no more will come
        const waiting = host.stats(4)?.localCandidatesWaiting ?? 0;
        expect(waiting).toBeGreaterThan(0);
        const taken = host.takeLocalCandidates(4);
        expect(taken).toHaveLength(waiting);
        for (const c of taken) {
            expect(c.candidate).toMatch(/^candidate:/);
            expect(c.sdpMid).not.toBeNull();
            expect(c.sdpMLineIndex).toBe(mediaSections(answer).findIndex(s => s.mid === c.sdpMid));
        }
        expect(host.stats(4)?.localCandidatesWaiting).toBe(0);
        expect(host.takeLocalCandidates(4)).toEqual([]);
        expect(host.takeLocalCandidates(99)).toEqual([]); // unknown session
    });

    it("refuses an Offer without H.264 packetization-mode=1, and an Answer without an Offer", async () => {
        const events = new RecordingEvents();
        const host = makeHost(events);
        const ctl = makePeer(102, 111, [{ pt: 97, codec: "VP8" }]);
        const offer = await ctl.createOffer();
        const vp8Only = offer
            .split(/\r?\n/)
            .filter(line => !/^a=(rtpmap|fmtp|rtcp-fb):102 /.test(line))
            .map(line => (line.startsWith("m=video") ? line.replace(/ 102\b/, "") : line))
            .join("\r\n");
        await expect(host.answerOffer(6, vp8Only, params(6))).rejects.toThrow(/lists VP8: nothing this camera can send/);
        expect(host.sessionIds()).toEqual([]);
        expect(() => host.applyAnswer(8, "v=0")).toThrow();
        expect(() => host.addRemoteCandidates(8, [])).toThrow();
        expect(() => host.end(8, EndReason.UserHangup, "peer")).not.toThrow(); // unknown: nothing to do
    });

    it("answers a re-offer on a new peer and keeps streaming", async () => {
        const events = new RecordingEvents();
        const host = makeHost(events);
        const first = makePeer(102, 111);
        await host.answerOffer(9, await first.createOffer(), params(9));

        const second = makePeer(100, 109);
        const { sdp: answer } = await host.answerOffer(9, await second.createOffer(), params(9, { reoffer: true }));
        expect(mediaSections(answer).find(s => s.kind === "video")?.formats.map(f => f.payloadType)).toEqual([100]);
        second.setRemote(answer, "answer");
        exchangeCandidates(host, events, second, 9);
        host.delivered(9, "answer");
        await expect.poll(() => second.video.frames, { timeout: 5000 }).toBeGreaterThanOrEqual(5);
        expect(events.count("sessionFailed", 9)).toBe(0); // the replaced peer's close is not a failure
    });
});
