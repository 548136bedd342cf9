/**
 * `MediaHostHooks` (the engine's hooks over any `MediaHost`) with a scripted host in place of a
 * WebRTC stack and a recording `OutboundSignal` in place of the engine. It checks what the adapter
 * keeps so that hosts keep nothing: each SDP taken once, candidates a full batch refused kept for
 * the next batch (oldest first) and dropped with a re-offer's old peer, deferred Offers, a failed
 * new session forgotten but a failed re-offer kept, host reports forwarded, nothing after close.
 */

import { describe, expect, it } from "vitest";
import type { IceCandidateSink, OutboundSignal, SinkResult } from "../../src/engine/hooks.js";
import { MediaHostHooks, type MediaEvents, type MediaHost } from "../../src/engine/media-host.js";
import { EndReason, type IceCandidate, type OfferParams, type OutboundWork } from "../../src/engine/types.js";

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

/** A host whose answers the test scripts; it reports candidates and failures through its events. */
class ScriptedHost implements MediaHost {
    events: MediaEvents | undefined;
    readonly local = new Map<number, IceCandidate[]>();
    readonly deliveredCalls: [number, OutboundWork["kind"], boolean][] = [];
    fail: string | undefined;
    deferred = false;

    attachEvents(events: MediaEvents): void {
        this.events = events;
    }
    async solicitOffer(id: number): Promise<{ sdp: string } | { deferred: true }> {
        this.#maybeFail();
        return this.deferred ? { deferred: true } : { sdp: `v=0 offer ${id}` };
    }
    async answerOffer(id: number, sdp: string): Promise<{ sdp: string }> {
        this.#maybeFail();
        return { sdp: `v=0 answer ${id} to ${sdp}` };
    }
    async applyAnswer(): Promise<void> {}
    async addRemoteCandidates(): Promise<void> {}
    takeLocalCandidates(id: number): IceCandidate[] {
        const list = this.local.get(id) ?? [];
        this.local.set(id, []);
        return list;
    }
    end(): void {}
    delivered(id: number, kind: OutboundWork["kind"], delivered: boolean): void {
        this.deliveredCalls.push([id, kind, delivered]);
    }
    /** The stack gathered candidates for `id`: keep them and report it. */
    gather(id: number, ...candidates: IceCandidate[]): void {
        this.local.set(id, [...(this.local.get(id) ?? []), ...candidates]);
        this.events?.candidatesReady(id);
    }
    #maybeFail(): void {
        const fail = this.fail;
        this.fail = undefined;
        if (fail !== undefined) throw new Error(fail);
    }
}

class RecordingSignal implements OutboundSignal {
    readonly calls: string[] = [];
    offerReady(id: number): void {
        this.calls.push(`offer ${id}`);
    }
    answerReady(id: number): void {
        this.calls.push(`answer ${id}`);
    }
    iceCandidatesReady(id: number): void {
        this.calls.push(`ice ${id}`);
    }
    endSession(id: number, reason: EndReason): void {
        this.calls.push(`end ${id} ${reason}`);
    }
}

/** A sink that answers from a script (then "accepted") and keeps what it accepted. */
class ScriptedSink implements IceCandidateSink {
    readonly taken: IceCandidate[] = [];
    constructor(readonly script: SinkResult[] = []) {}
    push(candidate: IceCandidate): SinkResult {
        const result = this.script.shift() ?? "accepted";
        if (result === "accepted") this.taken.push(candidate);
        return result;
    }
}

function setup(): { host: ScriptedHost; hooks: MediaHostHooks; signal: RecordingSignal; logs: string[] } {
    const host = new ScriptedHost();
    const logs: string[] = [];
    const hooks = new MediaHostHooks(host, { onLog: line => logs.push(line) });
    const signal = new RecordingSignal();
    hooks.attach(signal);
    host.attachEvents(hooks.events);
    return { host, hooks, signal, logs };
}

describe("MediaHostHooks", () => {
    it("signals the Answer as soon as the host returns it, and hands it out once", async () => {
        const { hooks, signal } = setup();
        await hooks.onOffer(1, "v=0 o", params);
        expect(signal.calls).toEqual(["answer 1"]);
        expect(hooks.takeAnswerSdp(1)).toBe("v=0 answer 1 to v=0 o");
        expect(() => hooks.takeAnswerSdp(1)).toThrow(/no Answer waiting/);
        expect(() => hooks.takeOfferSdp(1)).toThrow(/no Offer waiting/);
    });

    it("forwards the host's candidate reports, keeps what a full batch refused, oldest first", async () => {
        const { host, hooks, signal } = setup();
        await hooks.onOffer(2, "v=0", params);
        host.gather(2, cand(1), cand(2), cand(3));
        expect(signal.calls).toEqual(["answer 2", "ice 2"]);

        const first = new ScriptedSink(["accepted", "full"]);
        expect(await hooks.takeIceCandidates(2, first)).toBe(true); // some remain
        expect(first.taken).toEqual([cand(1)]);
        host.gather(2, cand(4));
        const second = new ScriptedSink();
        expect(await hooks.takeIceCandidates(2, second)).toBe(false);
        expect(second.taken).toEqual([cand(2), cand(3), cand(4)]);
        expect(await hooks.takeIceCandidates(2, new ScriptedSink())).toBe(false);
    });

    it("logs and drops a candidate the engine rejects, and goes on", async () => {
        const { host, hooks, logs } = setup();
        await hooks.onOffer(3, "v=0", params);
        host.gather(3, cand(1), cand(2));
        const sink = new ScriptedSink(["rejected"]);
        expect(await hooks.takeIceCandidates(3, sink)).toBe(false);
        expect(sink.taken).toEqual([cand(2)]);
        expect(logs.some(l => l.includes("dropped by the engine"))).toBe(true);
    });

    it("drops the old peer's leftovers when a re-offer is answered", async () => {
        const { host, hooks } = setup();
        await hooks.onOffer(4, "v=0 first", params);
        host.gather(4, cand(1), cand(2));
        await hooks.takeIceCandidates(4, new ScriptedSink(["full"]));
        await hooks.onOffer(4, "v=0 second", { ...params, reoffer: true });
        expect(hooks.takeAnswerSdp(4)).toBe("v=0 answer 4 to v=0 second");
        const sink = new ScriptedSink();
        expect(await hooks.takeIceCandidates(4, sink)).toBe(false);
        expect(sink.taken).toEqual([]);
    });

    it("forgets a new session whose host call failed, keeps a re-offered one", async () => {
        const { host, hooks } = setup();
        host.fail = "bad offer";
        await expect(hooks.onOffer(5, "v=0", params)).rejects.toThrow("bad offer");
        expect(hooks.sessionIds()).toEqual([]);
        await hooks.onOffer(6, "v=0", params);
        hooks.takeAnswerSdp(6);
        host.fail = "bad re-offer";
        await expect(hooks.onOffer(6, "v=0 again", { ...params, reoffer: true })).rejects.toThrow("bad re-offer");
        expect(hooks.sessionIds()).toEqual([6]);
        host.fail = "no source";
        await expect(hooks.onSolicitOffer(7, params)).rejects.toThrow("no source");
        expect(hooks.sessionIds()).toEqual([6]);
    });

    it("takes a deferred Offer when the host reports it", async () => {
        const { host, hooks, signal } = setup();
        host.deferred = true;
        expect(await hooks.onSolicitOffer(8, params)).toEqual({ deferred: true });
        expect(signal.calls).toEqual([]);
        host.events?.offerReady(8, "v=0 late offer");
        expect(signal.calls).toEqual(["offer 8"]);
        expect(hooks.takeOfferSdp(8)).toBe("v=0 late offer");
        host.events?.offerReady(99, "v=0 for nobody"); // unknown sessions are ignored
        expect(signal.calls).toEqual(["offer 8"]);
    });

    it("ends a session the host reports failed, and tells the host what was delivered", async () => {
        const { host, hooks, signal } = setup();
        await hooks.onSolicitOffer(9, params);
        hooks.onOutboundDone(9, "offer", true);
        hooks.onOutboundDone(9, "iceCandidates", false);
        await Promise.resolve();
        expect(host.deliveredCalls).toEqual([
            [9, "offer", true],
            [9, "iceCandidates", false],
        ]);
        host.events?.sessionFailed(9, EndReason.MediaTimeout, "viewer silent");
        expect(signal.calls).toEqual(["offer 9", `end 9 ${EndReason.MediaTimeout}`]);
        expect(hooks.sessionIds()).toEqual([]);
    });

    it("does nothing after close", async () => {
        const { host, hooks, signal } = setup();
        await hooks.onOffer(10, "v=0", params);
        hooks.close();
        host.gather(10, cand(1));
        host.events?.sessionFailed(10, EndReason.IceFailed, "late");
        expect(signal.calls).toEqual(["answer 10"]);
        await expect(hooks.onOffer(11, "v=0", params)).rejects.toThrow(/closed/);
        expect(await hooks.takeIceCandidates(10, new ScriptedSink())).toBe(false);
    });
});
