/**
 * ProvideAnswer (0x04), ProvideICECandidates (0x05) and EndSession (0x06) through `Core`, every
 * profile: session lookup by (id, fabric, peer) with NOT_FOUND for anything else, the duplicate
 * answer accepted with action Done, the ICE candidate constraints (empty list, empty SDPMid,
 * more than capacities.inboundCandidates) in the reference order, EndSession's reason bound and
 * unconditional removal with its references released, and SDP size on answers.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Core, StreamUsage } from "../../src/engine/index.js";
import { AUDIO, PROFILES, VIDEO, allocateDefaultStreams, freshCore } from "../support/profiles.js";
import {
    Action, Cmd, FABRIC, PEER, SDP, Status, StreamKind, answerTlv, currentIds, endTlv, expectDecided, expectRefused, iceTlv,
    offerOk, offerTlv, solicitOk, tableState, type CandidateW,
} from "../support/wire.js";

const V = { videoStreamId: VIDEO, audioStreamId: AUDIO };
const cand = (i: number, sdpMid: string | null = "0", sdpmLineIndex: number | null = 0): CandidateW => ({
    candidate: `candidate:${i} 1 udp 2122260223 192.168.1.${i % 250} ${50000 + i} typ host`,
    sdpMid,
    sdpmLineIndex,
});

describe.each(PROFILES)("ProvideAnswer / ProvideICECandidates / EndSession [%s]", profile => {
    let core: Core;
    /** Solicited session of (FABRIC, PEER) whose Offer went out: it awaits the answer. */
    let solicited: number;
    /** Session of fabric 2. */
    let other: number;
    beforeEach(async () => {
        core = await freshCore(profile);
        allocateDefaultStreams(core);
        solicited = solicitOk(core, V).webRtcSessionId;
        expect(core.snapOffer(solicited, SDP)).toBe(Status.Success);
        other = offerOk(core, V, { fabric: 2, peer: 77n }).webRtcSessionId;
        core.takeEvents();
    });
    afterEach(() => {
        expect(core.selfCheck()).toBe(0);
    });

    describe("ProvideAnswer", () => {
        const refuse = (fields: Uint8Array, status: number, fabric = FABRIC, peer = PEER) =>
            expectRefused(core, Cmd.ProvideAnswer, fields, status, fabric, peer);

        it("an unknown id → NOT_FOUND (TC 2.19 uses id + 1000)", () => {
            refuse(answerTlv(solicited + 1000), Status.NotFound);
            refuse(answerTlv(0), Status.NotFound);
            refuse(answerTlv(65535), Status.NotFound);
        });
        it("another fabric's or peer's session → NOT_FOUND", () => {
            refuse(answerTlv(other), Status.NotFound);
            refuse(answerTlv(solicited), Status.NotFound, 2, 77n);
            refuse(answerTlv(solicited), Status.NotFound, FABRIC, PEER + 1n);
        });
        it("an awaited answer runs the hook; the commit establishes the session", () => {
            expect(core.session(solicited)?.state).toBe("awaiting-answer");
            const d = expectDecided(core, Cmd.ProvideAnswer, answerTlv(solicited, "v=0\r\na=answer\r\n"), Action.Hook);
            expect(d.sessionId).toBe(solicited);
            expect(core.sdp()).toBe("v=0\r\na=answer\r\n");
            expect(core.commitProvideAnswer(solicited)).toBe(Status.Success);
            expect(core.session(solicited)?.state).toBe("established");
            expect(core.takeEvents().events).toEqual([]);
        });
        it("a duplicate answer (session established) → SUCCESS with action Done, nothing changes", () => {
            expectDecided(core, Cmd.ProvideAnswer, answerTlv(solicited), Action.Hook);
            expect(core.commitProvideAnswer(solicited)).toBe(Status.Success);
            const before = tableState(core);
            expectDecided(core, Cmd.ProvideAnswer, answerTlv(solicited), Action.Done);
            expect(tableState(core)).toEqual(before);
            // a ProvideOffer session is established from the start
            expectDecided(core, Cmd.ProvideAnswer, answerTlv(other), Action.Done, 2, 77n);
        });
        it("an answer while another answer's hook runs → Done", () => {
            expectDecided(core, Cmd.ProvideAnswer, answerTlv(solicited), Action.Hook);
            expectDecided(core, Cmd.ProvideAnswer, answerTlv(solicited), Action.Done);
            expect(core.commitProvideAnswer(solicited)).toBe(Status.Success);
        });
        it("abortPending after a failed hook keeps the session awaiting its answer", () => {
            const before = tableState(core);
            expectDecided(core, Cmd.ProvideAnswer, answerTlv(solicited), Action.Hook);
            expect(core.abortPending(solicited)).toBe(Status.Success);
            expect(tableState(core)).toEqual(before);
            expect(core.session(solicited)?.state).toBe("awaiting-answer");
            expectDecided(core, Cmd.ProvideAnswer, answerTlv(solicited), Action.Hook);
            expect(core.commitProvideAnswer(solicited)).toBe(Status.Success);
        });
        it("commitProvideAnswer without a pending answer → INVALID_IN_STATE; unknown → NOT_FOUND", () => {
            expect(core.commitProvideAnswer(solicited)).toBe(Status.InvalidInState);
            expect(core.commitProvideAnswer(999)).toBe(Status.NotFound);
            expect(core.session(solicited)?.state).toBe("awaiting-answer");
        });
        it("an SDP over capacities.sdpLen → RESOURCE_EXHAUSTED; exactly sdpLen is taken", () => {
            refuse(answerTlv(solicited, "a".repeat(core.capacities.sdpLen + 1)), Status.ResourceExhausted);
            expectDecided(core, Cmd.ProvideAnswer, answerTlv(solicited, "a".repeat(core.capacities.sdpLen)), Action.Hook);
            expect(core.sdp()).toHaveLength(core.capacities.sdpLen);
            expect(core.abortPending(solicited)).toBe(Status.Success);
        });
        it("an answer for a deferred session still owing its Offer is taken and settles the deadline", () => {
            const deferred = solicitOk(core, V, { deferred: true, now: 0 }).webRtcSessionId;
            expectDecided(core, Cmd.ProvideAnswer, answerTlv(deferred), Action.Hook);
            expect(core.commitProvideAnswer(deferred)).toBe(Status.Success);
            expect(core.session(deferred)?.state).toBe("established");
            expect(core.expireOffers(100)).toBe(0);
        });
    });

    describe("ProvideICECandidates", () => {
        const refuse = (fields: Uint8Array, status: number, fabric = FABRIC, peer = PEER) =>
            expectRefused(core, Cmd.ProvideIceCandidates, fields, status, fabric, peer);

        it("an empty list → CONSTRAINT_ERROR (before the lookup)", () => {
            refuse(iceTlv(solicited, []), Status.ConstraintError);
            refuse(iceTlv(9999, []), Status.ConstraintError);
        });
        it("a non-null empty SDPMid → CONSTRAINT_ERROR (before the lookup)", () => {
            refuse(iceTlv(solicited, [cand(1, "")]), Status.ConstraintError);
            refuse(iceTlv(solicited, [cand(1), cand(2, "")]), Status.ConstraintError);
            refuse(iceTlv(9999, [cand(1, "")]), Status.ConstraintError);
        });
        it("more than capacities.inboundCandidates → RESOURCE_EXHAUSTED; exactly that many are taken", () => {
            const n = core.capacities.inboundCandidates;
            const many = Array.from({ length: n + 1 }, (_, i) => cand(i));
            refuse(iceTlv(solicited, many), Status.ResourceExhausted);
            expectDecided(core, Cmd.ProvideIceCandidates, iceTlv(solicited, many.slice(0, n)), Action.Hook);
            expect(core.candidates()).toHaveLength(n);
            expect(core.candidates()[n - 1]?.candidate).toBe(many[n - 1]?.candidate);
        });
        it("an unknown id → NOT_FOUND (TC 2.21 uses 9999); another fabric's or peer's → NOT_FOUND", () => {
            refuse(iceTlv(9999, [cand(1)]), Status.NotFound);
            refuse(iceTlv(other, [cand(1)]), Status.NotFound);
            refuse(iceTlv(solicited, [cand(1)]), Status.NotFound, FABRIC, PEER + 1n);
            refuse(iceTlv(solicited, [cand(1)]), Status.NotFound, 3, PEER);
        });
        it("hands the candidates to the hook, null SDPMid and SDPMLineIndex included (TC 2.20), changing no state", () => {
            const before = tableState(core);
            const list = [cand(1, null, null), cand(2, "video", 1), cand(3, "0", null), cand(4, null, 65534)];
            const d = expectDecided(core, Cmd.ProvideIceCandidates, iceTlv(solicited, list), Action.Hook);
            expect(d.sessionId).toBe(solicited);
            expect(core.candidates()).toEqual(list.map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpmLineIndex })));
            expect(tableState(core)).toEqual(before);
        });
        it("works in every live state", () => {
            const deferred = solicitOk(core, V, { deferred: true }).webRtcSessionId;
            expectDecided(core, Cmd.ProvideIceCandidates, iceTlv(deferred, [cand(1)]), Action.Hook);
            expectDecided(core, Cmd.ProvideIceCandidates, iceTlv(other, [cand(1)]), Action.Hook, 2, 77n);
        });
    });

    describe("EndSession", () => {
        const refuse = (fields: Uint8Array, status: number, fabric = FABRIC, peer = PEER) =>
            expectRefused(core, Cmd.EndSession, fields, status, fabric, peer);

        it("a reason above 12 → CONSTRAINT_ERROR, before the lookup", () => {
            refuse(endTlv(solicited, 13), Status.ConstraintError);
            refuse(endTlv(solicited, 255), Status.ConstraintError);
            refuse(endTlv(9999, 13), Status.ConstraintError);
        });
        it("an unknown id → NOT_FOUND (TC 2.2 step 5, 2.28: (id + 1) % 65535)", () => {
            refuse(endTlv(solicited + 5), Status.NotFound);
            refuse(endTlv((other + 1) % 65535), Status.NotFound);
            refuse(endTlv(0), Status.NotFound);
        });
        it("another fabric's or peer's session → NOT_FOUND", () => {
            refuse(endTlv(other), Status.NotFound);
            refuse(endTlv(solicited), Status.NotFound, 2, 77n);
            refuse(endTlv(solicited), Status.NotFound, FABRIC, PEER + 1n);
        });
        it.each([0, 2, 11, 12])("removes the row at once (reason %i), releases its streams and reports it", reason => {
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(2);
            const d = expectDecided(core, Cmd.EndSession, endTlv(solicited, reason), Action.Hook);
            expect(d.sessionId).toBe(solicited);
            expect(core.endReason()).toBe(reason);
            expect(core.session(solicited)).toBeUndefined();
            expect(currentIds(core)).toEqual([other]);
            expect(currentIds(core, FABRIC)).toEqual([]);
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(1);
            expect(core.streamReferences(StreamKind.Audio, AUDIO)).toBe(1);
            expect(core.takeEvents().events).toEqual([{ kind: 3, sessionId: solicited, reason, cause: 0 }]);
            // no End goes back to the peer that ended it
            expect(core.exports.endPendingCount()).toBe(0);
            // a second EndSession for it is NOT_FOUND
            refuse(endTlv(solicited, reason), Status.NotFound);
        });
        it("TC 2.33: after both sessions end the references are 0 and the streams can be deallocated", () => {
            expectDecided(core, Cmd.EndSession, endTlv(solicited), Action.Hook);
            expect(core.removeStream(StreamKind.Video, VIDEO)).toBe(Status.InvalidInState);
            expectDecided(core, Cmd.EndSession, endTlv(other), Action.Hook, 2, 77n);
            expect(core.streams(StreamKind.Video)).toEqual([{ id: VIDEO, usage: StreamUsage.LiveView, references: 0 }]);
            expect(core.removeStream(StreamKind.Video, VIDEO)).toBe(Status.Success);
            expect(core.removeStream(StreamKind.Audio, AUDIO)).toBe(Status.Success);
            expect(core.streams(StreamKind.Video)).toEqual([]);
        });
        it("ends a session while its re-offer hook runs: the late commit finds nothing", () => {
            expectDecided(core, Cmd.ProvideOffer, offerTlv({ webRtcSessionId: other }), Action.Hook, 2, 77n);
            expectDecided(core, Cmd.EndSession, endTlv(other), Action.Hook, 2, 77n);
            expect(core.commitProvideOffer(other)).toBe(Status.NotFound);
            expect(core.abortPending(other)).toBe(Status.NotFound);
            expect(core.session(other)).toBeUndefined();
        });
        it("ends a session while its answer hook runs: the late commit finds nothing", () => {
            expectDecided(core, Cmd.ProvideAnswer, answerTlv(solicited), Action.Hook);
            expectDecided(core, Cmd.EndSession, endTlv(solicited), Action.Hook);
            expect(core.commitProvideAnswer(solicited)).toBe(Status.NotFound);
        });
        it("drops the session's waiting local candidates", () => {
            expect(core.admitCandidate(solicited, { candidate: "candidate:1", sdpMid: "0", sdpMLineIndex: 0 })).toBe("accepted");
            expect(core.candidatesWaiting(solicited)).toBe(1);
            expectDecided(core, Cmd.EndSession, endTlv(solicited), Action.Hook);
            expect(core.candidatesWaiting(solicited)).toBe(0);
            expect(core.exports.candFreeSlots()).toBe(core.capacities.maxCand);
        });
        it("TC 2.5: a session of the same peer keeps its place after another one ends", () => {
            const third = offerOk(core, V).webRtcSessionId;
            expect(currentIds(core)).toEqual([solicited, other, third]);
            expectDecided(core, Cmd.EndSession, endTlv(solicited), Action.Hook);
            expect(currentIds(core)).toEqual([other, third]);
            expect(currentIds(core, FABRIC)).toEqual([third]);
        });
    });
});
