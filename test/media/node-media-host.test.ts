/**
 * NodeMediaHost against a real node-datachannel controller peer on loopback, no Matter: the test
 * drives the hooks the way the engine would (onOffer/onSolicitOffer, take*, onIceCandidates,
 * onEndSession) with a fake OutboundSignal that records the calls, and counts the H.264 frames
 * and Opus packets that reach the controller.
 */

import { readFileSync, statSync } from "node:fs";
import nodeDataChannel from "node-datachannel";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { IceCandidateSink, OutboundSignal, SinkResult } from "../../src/engine/hooks.js";
import { EndReason, StreamUsage, type IceCandidate, type OfferParams } from "../../src/engine/types.js";
import {
    accessUnits,
    H264Clip,
    NodeMediaHost,
    OFFER_FORMATS,
    TEST_PATTERN_PATH,
    testPatternClip,
} from "../../src/media/node/index.js";
import { isH264Mode1 } from "../../src/media/offer-plan.js";
import { mediaSections } from "../../src/media/sdp.js";
import { ControllerPeer } from "./controller-peer.js";

type SignalCall = { kind: "offerReady" | "answerReady" | "iceCandidatesReady"; id: number } | { kind: "endSession"; id: number; reason: EndReason };

/** Records every OutboundSignal call; `onCall` lets a test react (e.g. take candidates). */
class RecordingSignal implements OutboundSignal {
    readonly calls: SignalCall[] = [];
    onCall: ((call: SignalCall) => void) | undefined;
    offerReady(id: number): void {
        this.#record({ kind: "offerReady", id });
    }
    answerReady(id: number): void {
        this.#record({ kind: "answerReady", id });
    }
    iceCandidatesReady(id: number): void {
        this.#record({ kind: "iceCandidatesReady", id });
    }
    endSession(id: number, reason: EndReason): void {
        this.#record({ kind: "endSession", id, reason });
    }
    count(kind: SignalCall["kind"], id: number): number {
        return this.calls.filter(c => c.kind === kind && c.id === id).length;
    }
    #record(call: SignalCall): void {
        this.calls.push(call);
        this.onCall?.(call);
    }
}

/** A sink that takes everything, or answers from a script (then "accepted"). */
class ScriptedSink implements IceCandidateSink {
    readonly taken: IceCandidate[] = [];
    constructor(readonly script: SinkResult[] = []) {}
    push(candidate: IceCandidate): SinkResult {
        const result = this.script.shift() ?? "accepted";
        if (result === "accepted") this.taken.push(candidate);
        return result;
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

function makeHost(signal: OutboundSignal, extra: { deferredOfferDelayMs?: number } = {}): NodeMediaHost {
    const host = new NodeMediaHost({ signal, video: testPatternClip(), onLog: line => logs.push(line), ...extra });
    hosts.push(host);
    return host;
}

function makePeer(videoPt: number, audioPt: number, extraVideo?: { pt: number; codec: "VP8" | "VP9" }[]): ControllerPeer {
    const peer = new ControllerPeer({ videoPt, audioPt, ...(extraVideo === undefined ? {} : { extraVideo }) });
    peers.push(peer);
    return peer;
}

/**
 * Wires candidates both ways: the host's, whenever it signals them, go to the controller (all of
 * them, as the engine would over several batches); the controller's go to `onIceCandidates`.
 */
function exchangeCandidates(host: NodeMediaHost, signal: RecordingSignal, ctl: ControllerPeer, id: number, nullMid = false): void {
    const pull = (): void => {
        const sink = new ScriptedSink();
        host.takeIceCandidates(id, sink);
        for (const c of sink.taken) ctl.addRemoteCandidate(c.candidate, c.sdpMid ?? "0");
    };
    signal.onCall = call => {
        if (call.kind === "iceCandidatesReady" && call.id === id) setImmediate(pull);
    };
    pull(); // candidates signalled before the wiring
    ctl.forwardCandidates(c =>
        host.onIceCandidates(id, [
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
    it("answers a controller's Offer and streams H.264 + Opus until onEndSession", async () => {
        const signal = new RecordingSignal();
        const host = makeHost(signal);
        const ctl = makePeer(102, 111, [{ pt: 97, codec: "VP8" }]);
        const offer = await ctl.createOffer();

        const t0 = performance.now();
        await host.onOffer(1, offer, params(1));
        await expect.poll(() => signal.count("answerReady", 1), { timeout: 2000 }).toBe(1);
        const answer = host.takeAnswerSdp(1);
        expect(() => host.takeAnswerSdp(1)).toThrow(); // taken once

        // the Answer reuses the Offer's mids and lists only formats the Offer listed (H.264 PT 102, no VP8)
        const offered = mediaSections(offer);
        const answered = mediaSections(answer);
        expect(answered.map(s => s.mid)).toEqual(offered.map(s => s.mid));
        const video = answered.find(s => s.kind === "video");
        expect(video?.direction).toBe("sendonly");
        expect(video?.formats.map(f => f.payloadType)).toEqual([102]);
        expect((video ?? offered[0]!).formats.find(isH264Mode1)?.payloadType).toBe(102);
        expect(answered.find(s => s.kind === "audio")?.formats.map(f => f.payloadType)).toEqual([111]);

        ctl.setRemote(answer, "answer");
        exchangeCandidates(host, signal, ctl, 1);

        await expect.poll(() => [ctl.state(), host.stats(1)?.state], { timeout: 5000 }).toEqual(["connected", "connected"]);
        await expect.poll(() => ctl.video.frames, { timeout: 5000 }).toBeGreaterThanOrEqual(20);
        expect(ctl.video.keyframes).toBeGreaterThanOrEqual(1);
        expect(ctl.video.timestamps.size).toBeGreaterThanOrEqual(20);
        await expect.poll(() => ctl.audioPackets, { timeout: 5000 }).toBeGreaterThan(0);
        const firstFrameMs = (ctl.video.firstPacketAt ?? NaN) - t0;
        console.log(`answerer: onOffer → first video packet ${firstFrameMs.toFixed(0)} ms; frames ${ctl.video.frames}, keyframes ${ctl.video.keyframes}, audio ${ctl.audioPackets}`);

        const stats = host.stats(1);
        expect(stats?.role).toBe("answerer");
        expect(stats?.videoFramesSent).toBeGreaterThanOrEqual(20);
        expect(stats?.videoBytesSent).toBeGreaterThan(0);
        expect(stats?.audioPacketsSent).toBeGreaterThan(0);

        // the answer was announced before any candidate
        const kinds = signal.calls.filter(c => c.id === 1).map(c => c.kind);
        expect(kinds[0]).toBe("answerReady");

        await host.onEndSession(1, EndReason.UserHangup, "peer");
        expect(host.stats(1)).toBeUndefined();
        expect(host.sessionIds()).toEqual([]);
        expect(signal.count("endSession", 1)).toBe(0); // ended by the engine, not reported back
    });

    it("offers on SolicitOffer, applies the controller's Answer, and streams", async () => {
        const signal = new RecordingSignal();
        const host = makeHost(signal);
        const t0 = performance.now();
        const outcome = await host.onSolicitOffer(7, params(7));
        expect(outcome).toEqual({ deferred: false });
        await expect.poll(() => signal.count("offerReady", 7), { timeout: 2000 }).toBe(1);
        const offer = host.takeOfferSdp(7);
        expect(() => host.takeOfferSdp(7)).toThrow();

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
        await host.onAnswer(7, answer);
        await host.onAnswer(7, answer); // a duplicate is ignored
        exchangeCandidates(host, signal, ctl, 7, true); // controller candidates with sdpMid null

        await expect.poll(() => [ctl.state(), host.stats(7)?.state], { timeout: 5000 }).toEqual(["connected", "connected"]);
        await expect.poll(() => ctl.video.frames, { timeout: 5000 }).toBeGreaterThanOrEqual(20);
        expect(ctl.video.keyframes).toBeGreaterThanOrEqual(1);
        await expect.poll(() => ctl.audioPackets, { timeout: 5000 }).toBeGreaterThan(0);
        console.log(`offerer: SolicitOffer → first video packet ${((ctl.video.firstPacketAt ?? NaN) - t0).toFixed(0)} ms; frames ${ctl.video.frames}, keyframes ${ctl.video.keyframes}, audio ${ctl.audioPackets}`);
        expect(host.stats(7)?.role).toBe("offerer");

        await host.onEndSession(7, EndReason.UserHangup, "peer");
        expect(host.stats(7)).toBeUndefined();
        expect(() => host.onAnswer(7, answer)).toThrow(); // nothing left to answer
    });

    it("defers the Offer in deferred-offer mode", async () => {
        const signal = new RecordingSignal();
        const host = makeHost(signal, { deferredOfferDelayMs: 50 });
        expect(await host.onSolicitOffer(3, params(3))).toEqual({ deferred: true });
        expect(signal.count("offerReady", 3)).toBe(0);
        expect(host.stats(3)?.state).toBe("new");
        await expect.poll(() => signal.count("offerReady", 3), { timeout: 3000 }).toBe(1);
        expect(mediaSections(host.takeOfferSdp(3)).map(s => s.kind)).toEqual(["video", "audio"]);
        await host.onEndSession(3, EndReason.UserHangup, "peer");
        expect(host.sessionIds()).toEqual([]);
    });

    it("keeps candidates refused with \"full\" for the next takeIceCandidates, oldest first", async () => {
        const signal = new RecordingSignal();
        const host = makeHost(signal);
        const ctl = makePeer(102, 111);
        await host.onOffer(4, await ctl.createOffer(), params(4));
        await expect.poll(() => signal.count("iceCandidatesReady", 4), { timeout: 3000 }).toBeGreaterThan(0);
        await expect.poll(() => host.stats(4)?.gatheringState, { timeout: 3000 }).toBe("complete"); // no more will come
        const waiting = host.stats(4)?.localCandidatesWaiting ?? 0;
        expect(waiting).toBeGreaterThan(0);

        const full = new ScriptedSink(["full"]);
        expect(host.takeIceCandidates(4, full)).toBe(true); // some remain
        expect(full.taken).toEqual([]);
        expect(host.stats(4)?.localCandidatesWaiting).toBe(waiting);

        const next = new ScriptedSink();
        expect(host.takeIceCandidates(4, next)).toBe(false);
        expect(next.taken.length).toBe(waiting);
        const answer = host.takeAnswerSdp(4);
        for (const c of next.taken) {
            expect(c.candidate).toMatch(/^candidate:/);
            expect(c.sdpMid).not.toBeNull();
            expect(c.sdpMLineIndex).toBe(mediaSections(answer).findIndex(s => s.mid === c.sdpMid));
        }
        expect(host.stats(4)?.localCandidatesWaiting).toBe(0);
        expect(host.takeIceCandidates(4, new ScriptedSink())).toBe(false);
        expect(host.takeIceCandidates(99, new ScriptedSink())).toBe(false); // unknown session
    });

    it("drops candidates the sink rejects and goes on", async () => {
        const signal = new RecordingSignal();
        const host = makeHost(signal);
        const ctl = makePeer(102, 111);
        await host.onOffer(5, await ctl.createOffer(), params(5));
        await expect.poll(() => host.stats(5)?.localCandidatesWaiting ?? 0, { timeout: 3000 }).toBeGreaterThan(0);
        const sink = new ScriptedSink(["rejected"]);
        expect(host.takeIceCandidates(5, sink)).toBe(false);
        expect(host.stats(5)?.localCandidatesWaiting).toBe(0);
    });

    it("refuses an Offer without H.264 packetization-mode=1, and an Answer without an Offer", async () => {
        const signal = new RecordingSignal();
        const host = makeHost(signal);
        const ctl = makePeer(102, 111, [{ pt: 97, codec: "VP8" }]);
        const offer = await ctl.createOffer();
        const vp8Only = offer
            .split(/\r?\n/)
            .filter(line => !/^a=(rtpmap|fmtp|rtcp-fb):102 /.test(line))
            .map(line => (line.startsWith("m=video") ? line.replace(/ 102\b/, "") : line))
            .join("\r\n");
        await expect(host.onOffer(6, vp8Only, params(6))).rejects.toThrow(/lists VP8: nothing this camera can send/);
        expect(host.sessionIds()).toEqual([]);
        expect(() => host.onAnswer(8, "v=0")).toThrow();
        expect(() => host.onIceCandidates(8, [])).toThrow();
        expect(() => host.onEndSession(8, EndReason.UserHangup, "peer")).not.toThrow(); // unknown: nothing to do
    });

    it("answers a re-offer on a new peer and keeps streaming", async () => {
        const signal = new RecordingSignal();
        const host = makeHost(signal);
        const first = makePeer(102, 111);
        await host.onOffer(9, await first.createOffer(), params(9));
        await expect.poll(() => signal.count("answerReady", 9), { timeout: 2000 }).toBe(1);
        host.takeAnswerSdp(9);

        const second = makePeer(100, 109);
        await host.onOffer(9, await second.createOffer(), params(9, { reoffer: true }));
        await expect.poll(() => signal.count("answerReady", 9), { timeout: 2000 }).toBe(2);
        const answer = host.takeAnswerSdp(9);
        expect(mediaSections(answer).find(s => s.kind === "video")?.formats.map(f => f.payloadType)).toEqual([100]);
        second.setRemote(answer, "answer");
        exchangeCandidates(host, signal, second, 9);
        await expect.poll(() => second.video.frames, { timeout: 5000 }).toBeGreaterThanOrEqual(5);
        expect(signal.count("endSession", 9)).toBe(0); // the replaced peer's close is not a failure
    });
});
