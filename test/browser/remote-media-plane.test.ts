/**
 * The worker-side adapter (`RemoteMediaPlane`) without a browser: a fake page (plain async object in
 * place of the comlink proxy) and a recording `OutboundSignal`. It checks the ordering rules the
 * real page relies on:
 * - the Offer/Answer is announced on a later macrotask than the hook's return, candidates only after;
 * - candidates the page announces while the SDP is not yet announced are held, then announced once;
 * - a full batch keeps the refused candidates (and the ones after) for the next batch, oldest first;
 * - a re-offer closes the gate until the new Answer is announced, and drops the old peer's leftovers;
 * - a failed page call forgets a new session; a peer failure ends the session through the signal.
 */

import { describe, expect, it } from "vitest";
import type { Remote } from "comlink";
import type { IceCandidateSink, OutboundSignal, SinkResult } from "../../src/engine/hooks.js";
import { EndReason, type IceCandidate, type OfferParams } from "../../src/engine/types.js";
import type { MediaHostApi } from "../../src/media/browser/types.js";
import { RemoteMediaPlane } from "../../worker/remote-media-plane.js";

const params: OfferParams = {
    sessionId: 1,
    fabricIndex: 1,
    peerNodeId: 5n,
    streamUsage: 3,
    originatingEndpointId: 1,
    videoStreams: [1],
    audioStreams: [2],
    metadataEnabled: false,
    reoffer: false,
};

const cand = (n: number): IceCandidate => ({ candidate: `candidate:${n} 1 udp 1 127.0.0.1 ${1000 + n} typ host`, sdpMid: "0", sdpMLineIndex: 0 });

function fakePage() {
    const local = new Map<number, IceCandidate[]>();
    let failNext = false;
    const page = {
        attachEvents() {},
        async solicitOffer(id: number) {
            if (failNext) {
                failNext = false;
                throw new Error("no source");
            }
            return { sdp: `v=0 offer ${id}` };
        },
        async offer(id: number, sdp: string) {
            if (failNext) {
                failNext = false;
                throw new Error("bad offer");
            }
            return { sdp: `v=0 answer ${id} to ${sdp}` };
        },
        async answer() {},
        async addRemoteCandidates() {},
        takeLocalCandidates(id: number) {
            const list = local.get(id) ?? [];
            local.set(id, []);
            return list;
        },
        end() {},
        closeAll() {},
        async snapshot() {
            return { data: new Uint8Array(), width: 0, height: 0, mimeType: "image/jpeg" };
        },
    };
    return {
        page: page as unknown as Remote<MediaHostApi>,
        gather(id: number, ...candidates: IceCandidate[]) {
            local.set(id, [...(local.get(id) ?? []), ...candidates]);
        },
        failNext() {
            failNext = true;
        },
    };
}

function recorder() {
    const calls: string[] = [];
    const signal: OutboundSignal = {
        offerReady: id => calls.push(`offer ${id}`),
        answerReady: id => calls.push(`answer ${id}`),
        iceCandidatesReady: id => calls.push(`ice ${id}`),
        endSession: (id, reason) => calls.push(`end ${id} ${reason}`),
    };
    return { calls, signal };
}

function sink(capacity: number): IceCandidateSink & { taken: IceCandidate[] } {
    const taken: IceCandidate[] = [];
    return {
        taken,
        push(candidate: IceCandidate): SinkResult {
            if (taken.length >= capacity) return "full";
            taken.push(candidate);
            return "accepted";
        },
    };
}

const macrotask = () => new Promise(resolve => setTimeout(resolve, 5));

describe("RemoteMediaPlane", () => {
    it("announces the Offer after the hook returned, and held candidates only after it", async () => {
        const fake = fakePage();
        const { calls, signal } = recorder();
        const plane = new RemoteMediaPlane(fake.page);
        plane.attach(signal);
        const solicit = plane.onSolicitOffer(1, params);
        // the page's candidate notice overtakes the Offer's reply (another MessageChannel)
        fake.gather(1, cand(1));
        plane.events.candidatesReady(1);
        expect(await solicit).toEqual({ deferred: false });
        expect(calls).toEqual([]); // the engine has not committed yet
        expect(await plane.takeIceCandidates(1, sink(10))).toBe(false); // gate closed
        await macrotask();
        expect(calls).toEqual(["offer 1", "ice 1"]);
        expect(plane.takeOfferSdp(1)).toBe("v=0 offer 1");
        const batch = sink(10);
        expect(await plane.takeIceCandidates(1, batch)).toBe(false);
        expect(batch.taken).toEqual([cand(1)]);
        // later candidates are announced at once
        plane.events.candidatesReady(1);
        expect(calls.at(-1)).toBe("ice 1");
    });

    it("keeps what a full batch refused, oldest first", async () => {
        const fake = fakePage();
        const { signal } = recorder();
        const plane = new RemoteMediaPlane(fake.page);
        plane.attach(signal);
        await plane.onOffer(2, "v=0 controller", params);
        await macrotask();
        fake.gather(2, cand(1), cand(2), cand(3));
        const first = sink(2);
        expect(await plane.takeIceCandidates(2, first)).toBe(true);
        expect(first.taken).toEqual([cand(1), cand(2)]);
        fake.gather(2, cand(4));
        const second = sink(10);
        expect(await plane.takeIceCandidates(2, second)).toBe(false);
        expect(second.taken).toEqual([cand(3), cand(4)]);
    });

    it("closes the gate during a re-offer and drops the old peer's leftovers", async () => {
        const fake = fakePage();
        const { calls, signal } = recorder();
        const plane = new RemoteMediaPlane(fake.page);
        plane.attach(signal);
        await plane.onOffer(3, "v=0 first", params);
        await macrotask();
        fake.gather(3, cand(1), cand(2));
        expect(await plane.takeIceCandidates(3, sink(1))).toBe(true); // cand(2) left over
        const reoffer = plane.onOffer(3, "v=0 second", { ...params, reoffer: true });
        expect(await plane.takeIceCandidates(3, sink(10))).toBe(false); // gate closed meanwhile
        await reoffer;
        await macrotask();
        expect(calls.filter(c => c.startsWith("answer"))).toEqual(["answer 3", "answer 3"]);
        expect(plane.takeAnswerSdp(3)).toBe("v=0 answer 3 to v=0 second");
        const batch = sink(10);
        await plane.takeIceCandidates(3, batch);
        expect(batch.taken).toEqual([]); // the first peer's leftover is stale
    });

    it("a failed re-offer reopens the running session; a failed new session is forgotten", async () => {
        const fake = fakePage();
        const { calls, signal } = recorder();
        const plane = new RemoteMediaPlane(fake.page);
        plane.attach(signal);
        await plane.onOffer(4, "v=0 first", params);
        await macrotask();
        fake.failNext();
        await expect(plane.onOffer(4, "v=0 bad", { ...params, reoffer: true })).rejects.toThrow("bad offer");
        fake.gather(4, cand(9));
        plane.events.candidatesReady(4);
        expect(calls.at(-1)).toBe("ice 4");
        fake.failNext();
        await expect(plane.onSolicitOffer(5, params)).rejects.toThrow("no source");
        expect(plane.sessionIds()).toEqual([4]);
    });

    it("a peer failure on the page ends the session through the signal", async () => {
        const fake = fakePage();
        const { calls, signal } = recorder();
        const plane = new RemoteMediaPlane(fake.page);
        plane.attach(signal);
        await plane.onSolicitOffer(6, params);
        await macrotask();
        plane.events.sessionFailed(6, EndReason.IceFailed, "ICE failed");
        expect(calls.at(-1)).toBe(`end 6 ${EndReason.IceFailed}`);
        expect(plane.sessionIds()).toEqual([]);
    });
});
