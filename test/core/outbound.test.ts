/**
 * Outbound Requestor (0x0554) snapshots through `Core`, every profile: Offer, Answer,
 * ICECandidates and End are encoded once, decode with matter.js's requestor codecs (and re-encode
 * to the same bytes), carry the right session id and addressing, and read back identically on a
 * retransmit. SDPs longer than the stage are RESOURCE_EXHAUSTED, never cut; local candidates
 * keep SDPMid / SDPMLineIndex (null forms included), wait in the pool when it is full ("full")
 * or when they do not fit one OUT buffer, and go out in admission order without being dropped.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TlvOfModel } from "@matter/main/types";
import { WebRtcTransportRequestor as R } from "@matter/main/clusters/web-rtc-transport-requestor";
import { Core, EndReason, type IceCandidate } from "../../src/engine/index.js";
import { AUDIO, PROFILES, VIDEO, allocateDefaultStreams, freshCore } from "../support/profiles.js";
import {
    Action, Cmd, FABRIC, PEER, SDP, Status, decode, expectDecided, offerOk, offerTlv, solicitOk, solicitTlv, tableState, toHex, u8,
} from "../support/wire.js";

const V = { videoStreamId: VIDEO, audioStreamId: AUDIO };
const reencode = (model: Parameters<typeof TlvOfModel>[0], value: unknown) => toHex(u8(TlvOfModel(model).encode(value)));

describe.each(PROFILES)("outbound snapshots [%s]", profile => {
    let core: Core;
    /** Solicited (deferred) session of (FABRIC, PEER) from endpoint 3: it owes an Offer. */
    let solicited: number;
    /** ProvideOffer session of fabric 2, peer 77, endpoint 6: it owes an Answer. */
    let offered: number;
    beforeEach(async () => {
        core = await freshCore(profile);
        allocateDefaultStreams(core);
        solicited = solicitOk(core, { ...V, originatingEndpointId: 3 }, { deferred: true }).webRtcSessionId;
        offered = offerOk(core, { ...V, originatingEndpointId: 6 }, { fabric: 2, peer: 77n }).webRtcSessionId;
        core.takeEvents();
    });
    afterEach(() => {
        expect(core.selfCheck()).toBe(0);
    });

    describe("Offer and Answer", () => {
        it("snapOffer encodes Offer {id, sdp} addressed to the session's peer endpoint; the session then awaits the answer", () => {
            expect(core.snapOffer(solicited, SDP)).toBe(Status.Success);
            const snap = core.snapshot();
            expect(snap).toMatchObject({ command: 0, sessionId: solicited, fabricIndex: FABRIC, peerNodeId: PEER, endpointId: 3 });
            const offer = decode.offer(snap.fields);
            expect(offer).toEqual({ webRtcSessionId: solicited, sdp: SDP });
            expect(toHex(snap.fields)).toBe(reencode(R.commands.offer, offer));
            expect(core.session(solicited)?.state).toBe("awaiting-answer");
        });
        it("snapAnswer encodes Answer {id, sdp} for an established session (TC 2.17)", () => {
            const sdp = "v=0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
            expect(core.snapAnswer(offered, sdp)).toBe(Status.Success);
            const snap = core.snapshot();
            expect(snap).toMatchObject({ command: 1, sessionId: offered, fabricIndex: 2, peerNodeId: 77n, endpointId: 6 });
            const answer = decode.answer(snap.fields);
            expect(answer).toEqual({ webRtcSessionId: offered, sdp });
            expect(toHex(snap.fields)).toBe(reencode(R.commands.answer, answer));
        });
        it("two snapshot() calls after one snap give identical bytes (a retransmit re-sends them)", () => {
            expect(core.snapOffer(solicited, SDP)).toBe(Status.Success);
            const first = core.snapshot();
            first.fields.fill(0); // a copy: the caller cannot damage the stored bytes
            const second = core.snapshot();
            const third = core.snapshot();
            expect(toHex(second.fields)).toBe(toHex(third.fields));
            expect(decode.offer(second.fields).webRtcSessionId).toBe(solicited);
            expect(second).toEqual(third);
        });
        it("the Offer may be re-snapped while the answer is awaited; an Answer is only for established sessions", () => {
            expect(core.snapAnswer(solicited, SDP)).toBe(Status.InvalidInState);
            expect(core.snapOffer(solicited, SDP)).toBe(Status.Success);
            expect(core.snapOffer(solicited, SDP)).toBe(Status.Success);
            expect(core.snapOffer(offered, SDP)).toBe(Status.InvalidInState);
        });
        it("an unknown or merely reserved session → NOT_FOUND, and no stale snapshot is left", () => {
            expect(core.snapOffer(solicited, SDP)).toBe(Status.Success);
            expect(core.snapOffer(999, SDP)).toBe(Status.NotFound);
            expect(core.snapshot()).toMatchObject({ command: -1, fields: new Uint8Array(0) });
            expect(core.snapAnswer(999, SDP)).toBe(Status.NotFound);
            const d = expectDecided(core, Cmd.ProvideOffer, offerTlv(V), Action.Hook);
            expect(core.snapAnswer(d.sessionId, SDP)).toBe(Status.NotFound);
            expect(core.abortPending(d.sessionId)).toBe(Status.Success);
        });
        it("an SDP longer than the stage → RESOURCE_EXHAUSTED; exactly the stage fits", () => {
            const stage = core.exports.stageCap();
            expect(stage).toBe(Math.min(core.capacities.sdpLen, core.capacities.outLen - 18));
            const before = tableState(core);
            expect(core.snapAnswer(offered, "a".repeat(stage + 1))).toBe(Status.ResourceExhausted);
            expect(core.snapOffer(solicited, "é".repeat(stage / 2) + "a")).toBe(Status.ResourceExhausted);
            expect(core.snapshot().fields).toHaveLength(0);
            expect(tableState(core)).toEqual(before);
            expect(core.session(solicited)?.state).toBe("awaiting-deferred-offer");
            expect(core.snapAnswer(offered, "a".repeat(stage))).toBe(Status.Success);
            expect(decode.answer(core.snapshot().fields).sdp).toHaveLength(stage);
            expect(core.snapOffer(solicited, "é".repeat(stage / 2))).toBe(Status.Success);
            expect(decode.offer(core.snapshot().fields).sdp).toBe("é".repeat(stage / 2));
        });
        it("short and multi-byte SDPs round-trip", () => {
            for (const sdp of ["", "v=0", "v=0\r\ns=caméra ☃ 📷\r\n", "x".repeat(255), "x".repeat(256)]) {
                expect(core.snapAnswer(offered, sdp)).toBe(Status.Success);
                expect(decode.answer(core.snapshot().fields)).toEqual({ webRtcSessionId: offered, sdp });
            }
        });
        it("a re-offer is answered with the same id (TC 1.2)", () => {
            expectDecided(core, Cmd.ProvideOffer, offerTlv({ webRtcSessionId: offered }), Action.Hook, 2, 77n);
            expect(core.commitProvideOffer(offered)).toBe(Status.Success);
            expect(core.snapAnswer(offered, SDP)).toBe(Status.Success);
            expect(decode.answer(core.snapshot().fields).webRtcSessionId).toBe(offered);
        });
    });

    describe("End", () => {
        it("snapEnd encodes End {id, reason} once; the record is then released", () => {
            expect(core.endByProvider(offered, EndReason.MediaTimeout)).toBe(Status.Success);
            expect(core.snapEnd(offered)).toBe(Status.Success);
            const a = core.snapshot();
            const b = core.snapshot();
            expect(toHex(a.fields)).toBe(toHex(b.fields));
            expect(a).toMatchObject({ command: 3, sessionId: offered, fabricIndex: 2, peerNodeId: 77n, endpointId: 6 });
            const end = decode.end(a.fields);
            expect(end).toEqual({ webRtcSessionId: offered, reason: EndReason.MediaTimeout });
            expect(toHex(a.fields)).toBe(reencode(R.commands.end, end));
            expect(core.snapEnd(offered)).toBe(Status.NotFound);
            expect(core.snapEnd(0)).toBe(Status.NotFound);
        });
        it("a live session has no End to snap", () => {
            expect(core.snapEnd(solicited)).toBe(Status.NotFound);
        });
    });

    describe("ICE candidates", () => {
        const mk = (i: number, sdpMid: string | null = "0", sdpMLineIndex: number | null = 0): IceCandidate => ({
            candidate: `candidate:${i} 1 udp 2122260223 10.0.0.${i % 250} ${40000 + i} typ host`,
            sdpMid,
            sdpMLineIndex,
        });
        const wire = (c: IceCandidate) => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpmLineIndex: c.sdpMLineIndex });
        /** Snaps until nothing waits; returns the batches' decoded candidates and byte lengths. */
        const drain = (id: number) => {
            const batches: { candidates: IceCandidate[]; bytes: number }[] = [];
            for (;;) {
                expect(core.snapIce(id)).toBe(Status.Success);
                const snap = core.snapshot();
                if (snap.fields.length === 0) break;
                expect(snap).toMatchObject({ command: 2, sessionId: id });
                const ice = decode.ice(snap.fields);
                expect(ice.webRtcSessionId).toBe(id);
                expect(toHex(snap.fields)).toBe(reencode(R.commands.iceCandidates, ice));
                batches.push({
                    candidates: ice.iceCandidates.map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpmLineIndex })),
                    bytes: snap.fields.length,
                });
                expect(batches.length).toBeLessThanOrEqual(core.capacities.maxCand);
            }
            return batches;
        };

        it("snapIce emits SDPMid / SDPMLineIndex and their null forms, in admission order", () => {
            const list = [mk(1, "0", 0), mk(2, null, null), mk(3, "video", 300), mk(4, "audio", null), mk(5, null, 65534)];
            // a nullable u16 stops at 65534 (matter.js would refuse 0xFFFF on decode)
            expect(core.admitCandidate(solicited, mk(6, "0", 65535))).toBe("too-long");
            expect(core.exports.candAdmit(solicited, 1, 1, 0xffff)).toBe(Status.ConstraintError);
            for (const c of list) expect(core.admitCandidate(solicited, c)).toBe("accepted");
            expect(core.candidatesWaiting(solicited)).toBe(list.length);
            expect(core.snapIce(solicited)).toBe(Status.Success);
            const snap = core.snapshot();
            expect(snap).toMatchObject({ command: 2, sessionId: solicited, fabricIndex: FABRIC, peerNodeId: PEER, endpointId: 3 });
            expect(decode.ice(snap.fields)).toEqual({ webRtcSessionId: solicited, iceCandidates: list.map(wire) });
            expect(toHex(snap.fields)).toBe(reencode(R.commands.iceCandidates, { webRtcSessionId: solicited, iceCandidates: list.map(wire) }));
            // the null forms are TLV nulls tagged 1 and 2
            expect(toHex(snap.fields)).toContain("34013402");
            expect(core.candidatesWaiting(solicited)).toBe(0);
            expect(toHex(core.snapshot().fields)).toBe(toHex(snap.fields));
        });
        it("nothing waiting → SUCCESS with an empty snapshot; an unknown session → NOT_FOUND", () => {
            expect(core.snapIce(solicited)).toBe(Status.Success);
            expect(core.snapshot().fields).toHaveLength(0);
            expect(core.snapIce(999)).toBe(Status.NotFound);
        });
        it("admission: no-session, too-long (candidate over candLen, SDPMid over midLen), exactly candLen accepted", () => {
            const { candLen, midLen } = core.capacities;
            expect(core.admitCandidate(999, mk(1))).toBe("no-session");
            const d = expectDecided(core, Cmd.SolicitOffer, solicitTlv(V), Action.Hook);
            expect(core.admitCandidate(d.sessionId, mk(1))).toBe("no-session");
            expect(core.abortPending(d.sessionId)).toBe(Status.Success);
            expect(core.admitCandidate(solicited, { candidate: "c".repeat(candLen + 1), sdpMid: "0", sdpMLineIndex: 0 })).toBe("too-long");
            expect(core.admitCandidate(solicited, { candidate: "é".repeat(candLen / 2) + "c", sdpMid: "0", sdpMLineIndex: 0 })).toBe("too-long");
            expect(core.admitCandidate(solicited, { candidate: "c", sdpMid: "m".repeat(midLen + 1), sdpMLineIndex: 0 })).toBe("too-long");
            expect(core.candidatesWaiting(solicited)).toBe(0);
            const exact = { candidate: "c".repeat(candLen), sdpMid: "m".repeat(midLen), sdpMLineIndex: 1 };
            expect(core.admitCandidate(solicited, exact)).toBe("accepted");
            expect(drain(solicited).flatMap(b => b.candidates)).toEqual([exact]);
        });
        it("a full pool answers \"full\"; the candidate is kept by the caller and admitted after the next batch", () => {
            const max = core.capacities.maxCand;
            const all = Array.from({ length: max + 3 }, (_, i) => mk(i));
            for (let i = 0; i < max; i++) expect(core.admitCandidate(solicited, all[i]!)).toBe("accepted");
            expect(core.exports.candFreeSlots()).toBe(0);
            expect(core.admitCandidate(solicited, all[max]!)).toBe("full");
            expect(core.admitCandidate(offered, all[max]!)).toBe("full");
            const delivered = drain(solicited).flatMap(b => b.candidates);
            for (let i = max; i < all.length; i++) expect(core.admitCandidate(solicited, all[i]!)).toBe("accepted");
            delivered.push(...drain(solicited).flatMap(b => b.candidates));
            expect(delivered).toEqual(all);
        });
        it("candidates beyond one OUT buffer wait for the next batch, none dropped", () => {
            const { candLen, midLen, maxCand, outLen } = core.capacities;
            const all = Array.from({ length: maxCand }, (_, i) => ({
                candidate: `candidate:${i} `.padEnd(candLen, "x"),
                sdpMid: `${i}`.padEnd(midLen, "m"),
                sdpMLineIndex: 300 + i,
            }));
            for (const c of all) expect(core.admitCandidate(solicited, c)).toBe("accepted");
            // one candidate: struct + candidate (2-byte length) + SDPMid (1-byte length) + u16 index + end
            const per = 2 + (2 + 2 + candLen) + (2 + 1 + midLen) + 4;
            const head = 1 + 3 + 2; // struct, id (u8), array
            const perBatch = Math.floor((outLen - head - 2) / per);
            const batches = drain(solicited);
            expect(batches.length).toBe(Math.ceil(maxCand / perBatch));
            expect(batches.map(b => b.candidates.length)).toEqual(
                Array.from({ length: batches.length }, (_, k) => Math.min(perBatch, maxCand - k * perBatch)),
            );
            for (const b of batches) {
                expect(b.bytes).toBe(head + b.candidates.length * per + 2);
                expect(b.bytes).toBeLessThanOrEqual(outLen);
            }
            expect(batches.flatMap(b => b.candidates)).toEqual(all);
            expect(core.exports.candFreeSlots()).toBe(maxCand);
        });
        it("the pool is shared, but a snapshot takes one session's candidates only", () => {
            const a = [mk(1), mk(2)];
            const b = [mk(3, null, null)];
            expect(core.admitCandidate(solicited, a[0]!)).toBe("accepted");
            expect(core.admitCandidate(offered, b[0]!)).toBe("accepted");
            expect(core.admitCandidate(solicited, a[1]!)).toBe("accepted");
            expect(core.snapIce(offered)).toBe(Status.Success);
            expect(core.snapshot()).toMatchObject({ fabricIndex: 2, peerNodeId: 77n, endpointId: 6 });
            expect(decode.ice(core.snapshot().fields).iceCandidates).toEqual(b.map(wire));
            expect(core.candidatesWaiting(solicited)).toBe(2);
            expect(drain(solicited).flatMap(x => x.candidates)).toEqual(a);
        });
        it("snapIce changes no session state", () => {
            expect(core.admitCandidate(solicited, mk(1))).toBe("accepted");
            const sessions = core.sessions();
            expect(core.snapIce(solicited)).toBe(Status.Success);
            expect(core.sessions()).toEqual(sessions);
        });
        it("a session ended by the provider loses its waiting candidates", () => {
            expect(core.admitCandidate(offered, mk(1))).toBe("accepted");
            expect(core.endByProvider(offered, EndReason.IceFailed)).toBe(Status.Success);
            expect(core.candidatesWaiting(offered)).toBe(0);
            expect(core.snapIce(offered)).toBe(Status.NotFound);
            expect(core.exports.candFreeSlots()).toBe(core.capacities.maxCand);
            expect(core.snapEnd(offered)).toBe(Status.Success);
        });
    });
});
