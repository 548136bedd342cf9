/**
 * The outbound side of `WebRtcEngine` (default profile unless noted): `offerReady`,
 * `answerReady`, `iceCandidatesReady` and `endSession` become Requestor invokes addressed to the
 * session's fabric, peer and originating endpoint whose fields decode with matter.js; every take*
 * hook is asked once per work item, even when the send fails (reported via onError, the loop
 * goes on) and the bytes are a stable snapshot a retransmit re-sends; work waits for the
 * creating command's `responseSent`, and a session's candidates for its Offer or Answer;
 * candidates beyond one batch follow in later batches, in
 * order, none lost; an over-long candidate is rejected (reported, never cut); an over-long SDP
 * ends the session with End(OutOfResources); the over-capacity SolicitOffer and the deferred-offer
 * timeout send their End; and `run` drains until its AbortSignal aborts.
 */

import { getEventListeners } from "node:events";
import { beforeEach, describe, expect, test } from "vitest";
import {
    EndReason,
    ProviderCommand,
    RequestorCommand,
    Status,
    StreamUsage,
    type IceCandidate,
    type OutboundInvoke,
    type OutboundTransport,
} from "../../src/engine/index.js";
import { AUDIO, VIDEO } from "../support/profiles.js";
import { FABRIC, PEER, caller } from "../support/callers.js";
import {
    deferred,
    drainAll,
    harness,
    offerSdpOf,
    streamContext,
    turn,
    within,
    type Deferred,
    type Harness,
} from "../support/mock-hooks.js";
import { AUTO_STREAMS, answerTlv, decode, endTlv, offerTlv, solicitTlv, type SolicitFields } from "../support/wire.js";

let h: Harness;
beforeEach(async () => {
    h = await harness("default");
});

async function solicit(fields: SolicitFields = {}, who: Parameters<typeof h.engine.invoke>[2] = caller): Promise<number> {
    const result = await h.engine.invoke(ProviderCommand.SolicitOffer, solicitTlv({ ...AUTO_STREAMS, ...fields }), who);
    expect(result.status).toBe(Status.Success);
    return result.sessionId!;
}

/** A solicited session whose Offer has gone, so its candidates may follow (the engine holds them until then). */
async function solicitWithOfferSent(): Promise<number> {
    const id = await solicit();
    h.engine.offerReady(id);
    await drainAll(h.engine, h.transport);
    expect(h.transport.sent.at(-1)).toMatchObject({ command: RequestorCommand.Offer, sessionId: id });
    return id;
}
/** The ICECandidates invokes the transport delivered. */
const iceSent = () => h.transport.sent.filter(i => i.command === RequestorCommand.IceCandidates);

function candidate(n: number, sdpMid: string | null = "0", sdpMLineIndex: number | null = 0): IceCandidate {
    return { candidate: `candidate:${n} 1 UDP ${2122252543 - n} 192.168.1.${n % 250} ${50000 + n} typ host`, sdpMid, sdpMLineIndex };
}

/** Every candidate the transport delivered for `sessionId`, in order, as the engine's IceCandidate. */
function deliveredCandidates(sent: OutboundInvoke[], sessionId: number): IceCandidate[] {
    return sent
        .filter(i => i.command === RequestorCommand.IceCandidates && i.sessionId === sessionId)
        .flatMap(i => decode.iceCandidates(i).iceCandidates)
        .map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpmLineIndex }));
}

describe("outbound invokes", () => {
    test("Offer, Answer, ICECandidates and End are addressed to the session's fabric, peer and endpoint and decode with matter.js", async () => {
        const who = { fabricIndex: 3, peerNodeId: 0xfedc_ba98_7654_3210n };
        const id = await solicit({ originatingEndpointId: 5 }, who);

        h.engine.offerReady(id);
        expect(await h.engine.drainOne(h.transport)).toBe(true);
        const offer = h.transport.sent[0]!;
        expect(offer).toMatchObject({ command: RequestorCommand.Offer, sessionId: id, fabricIndex: 3, peerNodeId: who.peerNodeId, endpointId: 5 });
        expect(decode.offer(offer)).toEqual({ webRtcSessionId: id, sdp: offerSdpOf(id) });
        expect(h.core.session(id)!.state).toBe("awaiting-answer");

        expect((await h.engine.invoke(ProviderCommand.ProvideAnswer, answerTlv(id, "v=0\r\n"), who)).status).toBe(Status.Success);
        h.hooks.answerSdp.set(id, "v=0\r\ns=the answer\r\n");
        h.engine.answerReady(id);
        await h.engine.drainOne(h.transport);
        const answer = h.transport.sent[1]!;
        expect(answer).toMatchObject({ command: RequestorCommand.Answer, sessionId: id, fabricIndex: 3, peerNodeId: who.peerNodeId, endpointId: 5 });
        expect(decode.answer(answer)).toEqual({ webRtcSessionId: id, sdp: "v=0\r\ns=the answer\r\n" });

        h.hooks.addLocalCandidates(id, candidate(1), candidate(2, null, 1), candidate(3, "audio", null), candidate(4, null, null));
        h.engine.iceCandidatesReady(id);
        await drainAll(h.engine, h.transport);
        const ice = h.transport.sent[2]!;
        expect(ice).toMatchObject({ command: RequestorCommand.IceCandidates, sessionId: id, fabricIndex: 3, peerNodeId: who.peerNodeId, endpointId: 5 });
        expect(decode.iceCandidates(ice)).toEqual({
            webRtcSessionId: id,
            iceCandidates: [
                { candidate: candidate(1).candidate, sdpMid: "0", sdpmLineIndex: 0 },
                { candidate: candidate(2).candidate, sdpMid: null, sdpmLineIndex: 1 },
                { candidate: candidate(3).candidate, sdpMid: "audio", sdpmLineIndex: null },
                { candidate: candidate(4).candidate, sdpMid: null, sdpmLineIndex: null },
            ],
        });

        expect(h.engine.endSession(id, EndReason.LowPower)).toBe(Status.Success);
        expect(h.core.session(id)).toBeUndefined();
        expect(h.changes.at(-1)).toEqual({ kind: "removed", sessionId: id, reason: EndReason.LowPower, cause: "provider" });
        await drainAll(h.engine, h.transport);
        const end = h.transport.sent[3]!;
        expect(end).toMatchObject({ command: RequestorCommand.End, sessionId: id, fabricIndex: 3, peerNodeId: who.peerNodeId, endpointId: 5 });
        expect(decode.end(end)).toEqual({ webRtcSessionId: id, reason: EndReason.LowPower });
        expect(h.hooks.callsOf("onEndSession")).toEqual([{ hook: "onEndSession", sessionId: id, reason: EndReason.LowPower, cause: "provider" }]);
        expect(h.transport.sent).toHaveLength(4);
        expect(h.errors).toEqual([]);
    });

    test("a session the media plane ends while its Offer is being taken sends only the End", async () => {
        const id = await solicit();
        h.hooks.behave.takeOfferSdp = sessionId => {
            h.engine.endSession(sessionId, EndReason.IceFailed);
            return offerSdpOf(sessionId);
        };
        h.engine.offerReady(id);
        await drainAll(h.engine, h.transport);
        expect(h.transport.sent.map(i => i.command)).toEqual([RequestorCommand.End]);
        expect(decode.end(h.transport.sent[0]!)).toEqual({ webRtcSessionId: id, reason: EndReason.IceFailed });
        expect(h.hooks.callsOf("takeOfferSdp")).toHaveLength(1);
        expect(h.errors).toEqual([]);
    });

    test("endSession for an unknown session is NOT_FOUND and queues nothing", async () => {
        expect(h.engine.endSession(77, EndReason.UserHangup)).toBe(Status.NotFound);
        expect(h.engine.pendingWork).toBe(0);
        expect(await h.engine.drainOne(h.transport)).toBe(false);
    });

    test("work for a session that ended meanwhile asks no hook and sends nothing", async () => {
        const id = await solicit();
        h.engine.offerReady(id);
        h.engine.iceCandidatesReady(id);
        await h.engine.invoke(ProviderCommand.EndSession, endTlv(id, EndReason.UserHangup), caller);
        expect(await drainAll(h.engine, h.transport)).toBe(2);
        expect(h.transport.attempts).toEqual([]);
        expect(h.hooks.callsOf("takeOfferSdp")).toEqual([]);
        expect(h.hooks.callsOf("takeIceCandidates")).toEqual([]);
    });
});

describe("take once, send once, stable bytes", () => {
    test("a failed send is reported through onError, the take hook is not asked again and the loop goes on", async () => {
        const id = await solicit();
        h.engine.offerReady(id);
        h.hooks.addLocalCandidates(id, candidate(1));
        h.engine.iceCandidatesReady(id);
        h.transport.failures = 1;
        expect(await drainAll(h.engine, h.transport)).toBe(2);
        expect(h.hooks.callsOf("takeOfferSdp")).toHaveLength(1);
        expect(h.hooks.callsOf("takeIceCandidates")).toHaveLength(1);
        expect(h.transport.attempts.map(i => i.command)).toEqual([RequestorCommand.Offer, RequestorCommand.IceCandidates]);
        expect(h.transport.sent.map(i => i.command)).toEqual([RequestorCommand.IceCandidates]);
        expect(h.errors.map(e => e.context)).toEqual([`offer for session ${id}`]);
        expect(h.engine.pendingWork).toBe(0);
    });

    test("a retransmit re-sends the exact bytes of one snapshot; later snapshots do not disturb them", async () => {
        const id = await solicit();
        const attempts: Uint8Array[] = [];
        const kept: OutboundInvoke[] = [];
        // a transport that loses the first attempt and retransmits the same invoke itself
        const retransmitting: OutboundTransport = {
            async send(invoke) {
                attempts.push(Uint8Array.from(invoke.fields));
                attempts.push(Uint8Array.from(invoke.fields));
                kept.push(invoke);
            },
        };
        h.engine.offerReady(id);
        await h.engine.drainOne(retransmitting);
        expect(attempts[0]).toEqual(attempts[1]);
        const offerBytes = Uint8Array.from(kept[0]!.fields);

        // more snapshots reuse the core's OUT buffer; the handed-out bytes are a copy
        await h.engine.invoke(ProviderCommand.ProvideAnswer, answerTlv(id, "v=0\r\n"), caller);
        h.engine.answerReady(id);
        h.hooks.addLocalCandidates(id, candidate(1), candidate(2));
        h.engine.iceCandidatesReady(id);
        await drainAll(h.engine, retransmitting);
        h.engine.endSession(id, EndReason.UserHangup);
        await drainAll(h.engine, retransmitting);
        expect(kept.map(i => i.command)).toEqual([RequestorCommand.Offer, RequestorCommand.Answer, RequestorCommand.IceCandidates, RequestorCommand.End]);
        expect(kept[0]!.fields).toEqual(offerBytes);
        expect(decode.offer(kept[0]!)).toEqual({ webRtcSessionId: id, sdp: offerSdpOf(id) });
        expect(h.hooks.callsOf("takeOfferSdp")).toHaveLength(1);
        expect(h.hooks.callsOf("takeAnswerSdp")).toHaveLength(1);
        expect(h.hooks.callsOf("takeIceCandidates")).toHaveLength(1);
    });

    test("onOutboundDone reports each item the transport took (delivered) or refused (not delivered); nothing for an item never encoded", async () => {
        const id = await solicit();
        h.engine.offerReady(id);
        h.hooks.addLocalCandidates(id, candidate(1));
        h.engine.iceCandidatesReady(id);
        h.transport.failures = 1;
        await drainAll(h.engine, h.transport);
        await h.engine.invoke(ProviderCommand.ProvideAnswer, answerTlv(id, "v=0\r\n"), caller);
        h.engine.offerReady(id); // cannot be encoded once established: not produced, so not reported
        h.engine.endSession(id, EndReason.UserHangup);
        await drainAll(h.engine, h.transport);
        expect(h.hooks.outboundDone).toEqual([
            { sessionId: id, kind: "offer", delivered: false },
            { sessionId: id, kind: "iceCandidates", delivered: true },
            { sessionId: id, kind: "end", delivered: true },
        ]);
    });

    test("an Offer signalled once the session is established cannot be encoded: reported, hook asked once, nothing sent", async () => {
        const id = await solicit();
        await h.engine.invoke(ProviderCommand.ProvideAnswer, answerTlv(id, "v=0\r\n"), caller);
        h.engine.offerReady(id);
        expect(h.engine.pendingWork).toBe(1);
        await drainAll(h.engine, h.transport);
        expect(h.transport.attempts).toEqual([]);
        expect(h.hooks.callsOf("takeOfferSdp")).toHaveLength(1);
        expect(h.errors.map(e => e.context)).toEqual([`offer for session ${id}`]);
        expect(h.core.session(id)!.state).toBe("established");
    });

    test("iceCandidatesReady is coalesced while one is already queued for the session", async () => {
        const id = await solicitWithOfferSent();
        h.hooks.addLocalCandidates(id, candidate(1), candidate(2));
        h.engine.iceCandidatesReady(id);
        h.engine.iceCandidatesReady(id);
        expect(h.engine.pendingWork).toBe(1);
        await drainAll(h.engine, h.transport);
        expect(h.hooks.callsOf("takeIceCandidates")).toHaveLength(1);
        expect(deliveredCandidates(h.transport.sent, id)).toEqual([candidate(1), candidate(2)]);
    });
});

describe("outbound work waits for the response that created its session", () => {
    /** Drains while `response` is held: nothing is sent (`whileHeld` may check more); once it resolves, `command` for `id` goes next. */
    async function expectSentOnlyAfter(response: Deferred<void>, command: RequestorCommand, id: number, whileHeld = () => {}): Promise<void> {
        const draining = h.engine.drainOne(h.transport);
        await turn();
        await turn();
        whileHeld();
        expect(h.transport.attempts).toEqual([]);
        h.log.push("response-sent");
        response.resolve();
        await within(draining, "drain");
        expect(h.log.slice(-2)).toEqual(["response-sent", `send:${command}:${id}`]);
    }

    test("an Offer is taken but not sent before caller.responseSent resolves", async () => {
        const response = deferred();
        const result = await h.engine.invoke(ProviderCommand.SolicitOffer, solicitTlv(AUTO_STREAMS), { ...caller, responseSent: response.promise });
        const id = result.sessionId!;
        h.hooks.behave.takeOfferSdp = async sessionId => {
            // give the drain every chance to send early, then let the response leave
            await turn();
            await turn();
            h.log.push("response-sent");
            response.resolve();
            return offerSdpOf(sessionId);
        };
        h.engine.offerReady(id);
        await within(h.engine.drainOne(h.transport), "drain");
        expect(h.log.filter(e => !e.startsWith("onSolicitOffer"))).toEqual([
            `takeOfferSdp:${id}`,
            "response-sent",
            `send:${RequestorCommand.Offer}:${id}`,
        ]);
    });

    test("the drain blocks on the gate and sends once it resolves", async () => {
        const response = deferred();
        const result = await h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: "v=0\r\n" }), { ...caller, responseSent: response.promise });
        const id = result.sessionId!;
        h.engine.answerReady(id);
        await expectSentOnlyAfter(response, RequestorCommand.Answer, id, () => expect(h.hooks.callsOf("takeAnswerSdp")).toHaveLength(1));
    });

    test("candidates wait until their session's Offer (or Answer) has gone, then follow it", async () => {
        const id = await solicit();
        h.hooks.addLocalCandidates(id, candidate(1));
        h.engine.iceCandidatesReady(id);
        await drainAll(h.engine, h.transport);
        expect(h.hooks.callsOf("takeIceCandidates")).toEqual([]);
        expect(h.transport.attempts).toEqual([]);
        h.engine.offerReady(id);
        await drainAll(h.engine, h.transport);
        expect(h.transport.sent.map(i => [i.command, i.sessionId])).toEqual([[RequestorCommand.Offer, id], [RequestorCommand.IceCandidates, id]]);
        const offered = (await h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: "v=0\r\n" }), caller)).sessionId!;
        h.hooks.addLocalCandidates(offered, candidate(2));
        h.engine.iceCandidatesReady(offered);
        h.engine.answerReady(offered);
        await drainAll(h.engine, h.transport);
        expect(h.transport.sent.slice(2).map(i => [i.command, i.sessionId])).toEqual([[RequestorCommand.Answer, offered], [RequestorCommand.IceCandidates, offered]]);
        expect(deliveredCandidates(h.transport.sent, offered)).toEqual([candidate(2)]);
    });

    test("a rejected responseSent still releases the work", async () => {
        const response = deferred();
        const result = await h.engine.invoke(ProviderCommand.SolicitOffer, solicitTlv(AUTO_STREAMS), { ...caller, responseSent: response.promise });
        response.reject(new Error("response lost"));
        h.engine.offerReady(result.sessionId!);
        await within(h.engine.drainOne(h.transport), "drain");
        expect(h.transport.sent.map(i => i.command)).toEqual([RequestorCommand.Offer]);
    });

    test("the over-capacity End(OutOfResources) waits for the SolicitOfferResponse", async () => {
        for (let n = 0; n < h.core.capacities.sessions; n++) await solicit();
        const response = deferred();
        const result = await h.engine.invoke(ProviderCommand.SolicitOffer, solicitTlv(AUTO_STREAMS), { ...caller, responseSent: response.promise });
        expect(result.status).toBe(Status.Success);
        await expectSentOnlyAfter(response, RequestorCommand.End, result.sessionId!);
    });

    test("an End for a session privacy ended right after its command still waits for that command's response", async () => {
        const response = deferred();
        const result = await h.engine.invoke(ProviderCommand.SolicitOffer, solicitTlv(AUTO_STREAMS), { ...caller, responseSent: response.promise });
        const id = result.sessionId!;
        h.engine.setStreamContext(streamContext({ streamUsagePriorities: [StreamUsage.LiveView], hardPrivacyModeOn: true }));
        await expectSentOnlyAfter(response, RequestorCommand.End, id);
        expect(decode.end(h.transport.sent[0]!)).toEqual({ webRtcSessionId: id, reason: EndReason.PrivacyMode });
    });
});

describe("ICE candidate batches", () => {
    test("more candidates than MAX_CAND go out in later batches, in order, none lost", async () => {
        const id = await solicitWithOfferSent();
        const { maxCand } = h.core.capacities;
        const all = Array.from({ length: maxCand + 5 }, (_, n) => candidate(n + 1, n % 2 === 0 ? "0" : null, n % 3 === 0 ? null : n % 2));
        h.hooks.addLocalCandidates(id, ...all);
        h.engine.iceCandidatesReady(id);
        await drainAll(h.engine, h.transport);
        const batches = iceSent().map(i => decode.iceCandidates(i).iceCandidates.length);
        expect(batches.length).toBeGreaterThanOrEqual(2);
        for (const size of batches) expect(size).toBeLessThanOrEqual(maxCand);
        expect(deliveredCandidates(h.transport.sent, id)).toEqual(all);
        expect(h.hooks.callsOf("takeIceCandidates")).toHaveLength(batches.length);
        expect(h.hooks.rejected).toEqual([]);
        expect(h.errors).toEqual([]);
        expect(h.core.candidatesWaiting(id)).toBe(0);
    });

    test("a hook that reports more remaining is asked again in a later batch", async () => {
        const id = await solicitWithOfferSent();
        const all = Array.from({ length: 7 }, (_, n) => candidate(n + 1));
        h.hooks.addLocalCandidates(id, ...all);
        h.hooks.batchLimit = 3;
        h.engine.iceCandidatesReady(id);
        await drainAll(h.engine, h.transport);
        expect(iceSent().map(i => decode.iceCandidates(i).iceCandidates.length)).toEqual([3, 3, 1]);
        expect(deliveredCandidates(h.transport.sent, id)).toEqual(all);
        expect(h.hooks.callsOf("takeIceCandidates")).toHaveLength(3);
    });

    test("batches of two sessions do not mix", async () => {
        const a = await solicitWithOfferSent();
        const b = await solicitWithOfferSent();
        const forA = Array.from({ length: 6 }, (_, n) => candidate(n + 1));
        const forB = Array.from({ length: 6 }, (_, n) => candidate(n + 101));
        h.hooks.batchLimit = 4;
        h.hooks.addLocalCandidates(a, ...forA);
        h.hooks.addLocalCandidates(b, ...forB);
        h.engine.iceCandidatesReady(a);
        h.engine.iceCandidatesReady(b);
        await drainAll(h.engine, h.transport);
        expect(deliveredCandidates(h.transport.sent, a)).toEqual(forA);
        expect(deliveredCandidates(h.transport.sent, b)).toEqual(forB);
    });

    test("a candidate longer than CAND_LEN is rejected and reported, never cut; one of exactly CAND_LEN goes whole", async () => {
        const id = await solicitWithOfferSent();
        const { candLen } = h.core.capacities;
        const exact: IceCandidate = { candidate: "candidate:9 1 UDP 1 10.0.0.1 9 typ host ".padEnd(candLen, "x"), sdpMid: "0", sdpMLineIndex: 0 };
        const tooLong: IceCandidate = { candidate: "candidate:8 1 UDP 1 10.0.0.1 8 typ host ".padEnd(candLen + 1, "y"), sdpMid: "0", sdpMLineIndex: 0 };
        h.hooks.addLocalCandidates(id, candidate(1), tooLong, candidate(2), exact);
        h.engine.iceCandidatesReady(id);
        await drainAll(h.engine, h.transport);
        const delivered = deliveredCandidates(h.transport.sent, id);
        expect(delivered).toEqual([candidate(1), candidate(2), exact]);
        expect(delivered.some(c => c.candidate.startsWith("candidate:8"))).toBe(false);
        expect(h.hooks.rejected).toEqual([tooLong]);
        expect(h.errors.map(e => e.context)).toEqual([`candidates of session ${id}`]);
    });

    test("a multi-byte candidate over CAND_LEN bytes (but not characters) is rejected too", async () => {
        const id = await solicitWithOfferSent();
        const { candLen } = h.core.capacities;
        const wide: IceCandidate = { candidate: "é".repeat(candLen / 2 + 1), sdpMid: null, sdpMLineIndex: null };
        h.hooks.addLocalCandidates(id, wide, candidate(1));
        h.engine.iceCandidatesReady(id);
        await drainAll(h.engine, h.transport);
        expect(deliveredCandidates(h.transport.sent, id)).toEqual([candidate(1)]);
        expect(h.hooks.rejected).toEqual([wide]);
        expect(h.errors).toHaveLength(1);
    });
});

describe("SDP larger than the stage", () => {
    test("an Offer SDP of exactly the stage capacity is sent whole", async () => {
        const id = await solicit();
        const cap = h.core.exports.stageCap();
        const sdp = "v=0\r\n".padEnd(cap, "a");
        h.hooks.offerSdp.set(id, sdp);
        h.engine.offerReady(id);
        await drainAll(h.engine, h.transport);
        expect(decode.offer(h.transport.sent[0]!).sdp).toBe(sdp);
        expect(h.errors).toEqual([]);
    });

    for (const [what, sdpOf] of [
        ["one byte too many", (cap: number) => "v=0\r\n".padEnd(cap + 1, "a")],
        ["multi-byte, fewer characters than bytes", (cap: number) => "v=0\r\n" + "é".repeat(cap / 2)],
    ] as const) {
        test(`an Offer SDP over the stage (${what}): onError, no Offer, End(OutOfResources)`, async () => {
            const id = await solicit({ originatingEndpointId: 6 });
            const cap = h.core.exports.stageCap();
            h.hooks.offerSdp.set(id, sdpOf(cap));
            h.engine.offerReady(id);
            await drainAll(h.engine, h.transport);
            await turn();
            expect(h.errors.map(e => e.context)).toEqual([`offer for session ${id}`]);
            expect(h.transport.attempts.filter(i => i.command === RequestorCommand.Offer)).toEqual([]);
            expect(h.transport.sent).toHaveLength(1);
            expect(h.transport.sent[0]).toMatchObject({ command: RequestorCommand.End, sessionId: id, endpointId: 6 });
            expect(decode.end(h.transport.sent[0]!)).toEqual({ webRtcSessionId: id, reason: EndReason.OutOfResources });
            expect(h.core.session(id)).toBeUndefined();
            expect(h.changes.at(-1)).toEqual({ kind: "removed", sessionId: id, reason: EndReason.OutOfResources, cause: "provider" });
            expect(h.hooks.callsOf("onEndSession")).toEqual([{ hook: "onEndSession", sessionId: id, reason: EndReason.OutOfResources, cause: "provider" }]);
            expect(h.hooks.callsOf("takeOfferSdp")).toHaveLength(1);
            expect(h.core.selfCheck()).toBe(0);
        });
    }

    test("an Answer SDP over the stage ends the session the same way", async () => {
        const result = await h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: "v=0\r\n" }), caller);
        const id = result.sessionId!;
        h.hooks.answerSdp.set(id, "v=0\r\n".padEnd(h.core.exports.stageCap() + 1, "z"));
        h.engine.answerReady(id);
        await drainAll(h.engine, h.transport);
        expect(h.errors.map(e => e.context)).toEqual([`answer for session ${id}`]);
        expect(h.transport.sent.map(i => i.command)).toEqual([RequestorCommand.End]);
        expect(decode.end(h.transport.sent[0]!).reason).toBe(EndReason.OutOfResources);
    });
});

describe("provider-initiated Ends", () => {
    test("over capacity, SolicitOffer answers SUCCESS with a response and then End(OutOfResources) is sent", async () => {
        const ids: number[] = [];
        for (let n = 0; n < h.core.capacities.sessions; n++) ids.push(await solicit());
        const solicits = h.hooks.callsOf("onSolicitOffer").length;
        const changes = h.changes.length;
        const result = await h.engine.invoke(ProviderCommand.SolicitOffer, solicitTlv({ ...AUTO_STREAMS, originatingEndpointId: 8 }), caller);
        expect(result.status).toBe(Status.Success);
        const response = decode.solicitResponse(result.response);
        expect(response).toEqual({ webRtcSessionId: result.sessionId, deferredOffer: false, videoStreamId: VIDEO, audioStreamId: AUDIO });
        expect(ids).not.toContain(response.webRtcSessionId);
        expect(h.hooks.callsOf("onSolicitOffer")).toHaveLength(solicits);
        expect(h.changes).toHaveLength(changes);
        expect(h.core.sessions().map(s => s.id)).toEqual(ids);

        await drainAll(h.engine, h.transport);
        expect(h.transport.sent).toHaveLength(1);
        expect(h.transport.sent[0]).toMatchObject({ command: RequestorCommand.End, sessionId: response.webRtcSessionId, fabricIndex: FABRIC, peerNodeId: PEER, endpointId: 8 });
        expect(decode.end(h.transport.sent[0]!)).toEqual({ webRtcSessionId: response.webRtcSessionId, reason: EndReason.OutOfResources });
        expect(h.core.selfCheck()).toBe(0);
    });

    test("expireOffers ends a deferred session after 30 s with End(InviteTimeout); an Offer in time prevents it", async () => {
        h.hooks.deferred = true;
        h.clock.now = 1_000;
        const late = await solicit({ originatingEndpointId: 2 });
        const onTime = await solicit();
        h.clock.now = 1_010;
        h.engine.offerReady(onTime);
        await drainAll(h.engine, h.transport);
        expect(h.transport.sent.map(i => i.command)).toEqual([RequestorCommand.Offer]);

        h.clock.now = 1_029;
        expect(h.engine.expireOffers()).toBe(0);
        expect(h.core.session(late)!.state).toBe("awaiting-deferred-offer");
        h.clock.now = 1_030;
        expect(h.engine.expireOffers()).toBe(1);
        expect(h.core.session(late)).toBeUndefined();
        expect(h.core.session(onTime)).toBeDefined();
        expect(h.changes.at(-1)).toEqual({ kind: "removed", sessionId: late, reason: EndReason.InviteTimeout, cause: "provider" });
        await drainAll(h.engine, h.transport);
        await turn();
        const end = h.transport.sent[1]!;
        expect(end).toMatchObject({ command: RequestorCommand.End, sessionId: late, endpointId: 2 });
        expect(decode.end(end)).toEqual({ webRtcSessionId: late, reason: EndReason.InviteTimeout });
        expect(h.hooks.callsOf("onEndSession")).toEqual([{ hook: "onEndSession", sessionId: late, reason: EndReason.InviteTimeout, cause: "provider" }]);
        h.clock.now = 5_000;
        expect(h.engine.expireOffers()).toBe(0);
    });
});

describe("run(transport, signal)", () => {
    test("drains queued work, wakes for new work, and stops when the signal aborts", async () => {
        const a = await solicit();
        const b = await solicit();
        h.engine.offerReady(a);
        h.engine.offerReady(b);
        const controller = new AbortController();
        const running = h.engine.run(h.transport, controller.signal);
        await h.transport.untilSent(2);
        expect(h.transport.sent.map(i => [i.command, i.sessionId])).toEqual([
            [RequestorCommand.Offer, a],
            [RequestorCommand.Offer, b],
        ]);
        await turn();
        // idle now: new work wakes it
        h.engine.endSession(a, EndReason.UserHangup);
        await h.transport.untilSent(3);
        expect(h.transport.sent[2]).toMatchObject({ command: RequestorCommand.End, sessionId: a });

        controller.abort();
        await within(running, "run to stop");
        // stopped: work queued now stays queued
        h.engine.endSession(b, EndReason.UserHangup);
        await turn();
        expect(h.engine.pendingWork).toBe(1);
        expect(h.transport.sent).toHaveLength(3);
    });

    test("an already-aborted signal returns at once without sending", async () => {
        const id = await solicit();
        h.engine.offerReady(id);
        await within(h.engine.run(h.transport, AbortSignal.abort()), "run");
        expect(h.transport.attempts).toEqual([]);
        expect(h.engine.pendingWork).toBe(1);
    });

    test("a send failure inside run is reported and the loop goes on", async () => {
        const a = await solicit();
        const b = await solicit();
        h.transport.failures = 1;
        h.engine.offerReady(a);
        h.engine.offerReady(b);
        const controller = new AbortController();
        const running = h.engine.run(h.transport, controller.signal);
        await h.transport.untilSent(1);
        controller.abort();
        await within(running, "run to stop");
        expect(h.transport.sent.map(i => i.sessionId)).toEqual([b]);
        expect(h.errors.map(e => e.context)).toEqual([`offer for session ${a}`]);
    });

    test("waiting for work many times does not pile up abort listeners on the signal", async () => {
        const id = await solicitWithOfferSent();
        const controller = new AbortController();
        const running = h.engine.run(h.transport, controller.signal);
        for (let n = 1; n <= 25; n++) {
            await turn();
            h.hooks.addLocalCandidates(id, candidate(n));
            h.engine.iceCandidatesReady(id);
            await h.transport.untilSent(n + 1); // the Offer, then one batch each
        }
        await turn();
        expect(getEventListeners(controller.signal, "abort").length).toBeLessThanOrEqual(1);
        controller.abort();
        await within(running, "run to stop");
        expect(deliveredCandidates(h.transport.sent, id)).toHaveLength(25);
    });
});
