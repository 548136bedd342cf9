/**
 * Outbound Requestor (0x0554) snapshots: Offer, Answer, ICECandidates and End are encoded once,
 * decode with matter.js's Requestor codecs to the right session and SDP (and re-encode to the same
 * bytes: the recorder checks every snapshot), and are addressed to the session's fabric, peer and
 * originating endpoint. An SDP longer than the stage is RESOURCE_EXHAUSTED, never cut; local
 * candidates keep SDPMid / SDPMLineIndex (null forms included), wait when the pool is full
 * ("full") or when they do not fit one OUT buffer, and go out in admission order, none dropped.
 * Cases start from `owingOfferAndAnswer`: a deferred solicited session (endpoint 3) and an
 * offered one of the other caller (endpoint 6).
 */

import { Action, EndReason, ProviderCommand as Command, Status, type IceCandidate } from "../../../src/engine/index.js";
import { FABRIC, OTHER_FABRIC, OTHER_PEER, PEER, otherCaller } from "../../support/callers.js";
import { SDP, offerTlv, solicitTlv, toHex } from "../../support/wire.js";
import { like } from "../recorder.js";
import { V, caseList, owingOfferAndAnswer } from "./fixtures.js";

const mk = (i: number, sdpMid: string | null = "0", sdpMLineIndex: number | null = 0): IceCandidate => ({
    candidate: `candidate:${i} 1 udp 2122260223 10.0.0.${i % 250} ${40000 + i} typ host`,
    sdpMid,
    sdpMLineIndex,
});
/** The candidates as the ICECandidates command carries them. */
const carried = (list: IceCandidate[]) => list.map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpmLineIndex: c.sdpMLineIndex }));
const TO_SOLICITED = { fabric: FABRIC, peer: PEER, endpoint: 3 };
const TO_OFFERED = { fabric: OTHER_FABRIC, peer: OTHER_PEER, endpoint: 6 };

export const OUTBOUND_CASES = caseList(add => {
    const O = owingOfferAndAnswer;
    add("Offer: snapOffer encodes Offer {id, sdp} to the session's peer endpoint; the session then awaits the answer", O, (r, { solicited }) => {
        r.snapOffer(solicited, SDP, Status.Success, TO_SOLICITED);
        r.session(solicited, like({ state: "awaiting-answer" }));
    });
    add("Answer: snapAnswer encodes Answer {id, sdp} for an established session (TC 2.17)", O, (r, { offered }) => {
        r.snapAnswer(offered, "v=0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", Status.Success, TO_OFFERED);
    });
    add("Offer/Answer: the Offer may be re-snapped while the answer is awaited; an Answer only for established sessions", O, (r, { solicited, offered }) => {
        r.snapAnswer(solicited, SDP, Status.InvalidInState);
        r.snapOffer(solicited, SDP);
        r.snapOffer(solicited, SDP);
        r.snapOffer(offered, SDP, Status.InvalidInState);
    });
    add("Offer/Answer: an unknown or merely reserved session → NOT_FOUND, and no stale snapshot is left", O, (r, { solicited }) => {
        r.snapOffer(solicited, SDP);
        r.snapOffer(999, SDP, Status.NotFound);
        r.snapAnswer(999, SDP, Status.NotFound);
        const d = r.decide(Command.ProvideOffer, offerTlv(V), Action.Hook);
        r.snapAnswer(d, SDP, Status.NotFound);
        r.abort(d);
    });
    add("Offer/Answer: an SDP longer than the stage → RESOURCE_EXHAUSTED, nothing changes; exactly the stage fits", O, (r, { solicited, offered }) => {
        const stage = r.raw("stageCap", [], Math.min(r.caps.sdpLen, r.caps.outLen - 18));
        const before = r.state();
        r.snapAnswer(offered, "a".repeat(stage + 1), Status.ResourceExhausted);
        r.snapOffer(solicited, `${"é".repeat(stage / 2)}a`, Status.ResourceExhausted);
        r.state(before);
        r.session(solicited, like({ state: "awaiting-deferred-offer" }));
        r.snapAnswer(offered, "a".repeat(stage));
        r.snapOffer(solicited, "é".repeat(stage / 2));
    });
    add("Answer: short and multi-byte SDPs round-trip", O, (r, { offered }) => {
        for (const sdp of ["", "v=0", "v=0\r\ns=caméra ☃ 📷\r\n", "x".repeat(255), "x".repeat(256)]) r.snapAnswer(offered, sdp);
    });
    add("Answer: a re-offer is answered with the same id (TC 1.2)", O, (r, { offered }) => {
        r.decide(Command.ProvideOffer, offerTlv({ webRtcSessionId: offered }), Action.Hook, { who: otherCaller, sessionId: offered });
        r.commitOffer(offered);
        r.snapAnswer(offered, SDP);
    });

    add("End: snapEnd encodes End {id, reason} once; the record is then released", O, (r, { offered }) => {
        r.endByProvider(offered, EndReason.MediaTimeout);
        r.snapEnd(offered, EndReason.MediaTimeout, TO_OFFERED);
        r.noEnd(offered);
        r.noEnd(0);
    });
    add("End: a live session has no End to snap", O, (r, { solicited }) => r.noEnd(solicited));

    add("ICE: snapIce carries SDPMid / SDPMLineIndex and their null forms (TLV nulls tagged 1 and 2), in admission order", O, (r, { solicited }) => {
        const list = [mk(1, "0", 0), mk(2, null, null), mk(3, "video", 300), mk(4, "audio", null), mk(5, null, 65534)];
        // a nullable u16 stops at 65534 (matter.js would refuse 0xFFFF on decode)
        r.admit(solicited, mk(6, "0", 65535), "too-long");
        r.raw("candAdmit", [solicited, 1, 1, 0xffff], Status.ConstraintError);
        for (const c of list) r.admit(solicited, c, "accepted");
        r.raw("candPending", [solicited], list.length);
        const batch = r.snapIce(solicited, Status.Success, TO_SOLICITED);
        r.check("the batch", batch?.fields, { webRtcSessionId: solicited, iceCandidates: carried(list) });
        r.check("null SDPMid and SDPMLineIndex", batch !== undefined && toHex(batch.bytes).includes("34013402"), true);
        r.raw("candPending", [solicited], 0);
    });
    add("ICE: nothing waiting → SUCCESS with an empty snapshot; an unknown session → NOT_FOUND", O, (r, { solicited }) => {
        r.check("batch", r.snapIce(solicited), undefined);
        r.snapIce(999, Status.NotFound);
    });
    add("ICE admission: no-session (unknown or reserved), too-long (candidate over candLen, SDPMid over midLen); exactly candLen/midLen accepted", O, (r, { solicited }) => {
        const { candLen, midLen } = r.caps;
        r.admit(999, mk(1), "no-session");
        const d = r.decide(Command.SolicitOffer, solicitTlv(V), Action.Hook);
        r.admit(d, mk(1), "no-session");
        r.abort(d);
        r.admit(solicited, { candidate: "c".repeat(candLen + 1), sdpMid: "0", sdpMLineIndex: 0 }, "too-long");
        r.admit(solicited, { candidate: `${"é".repeat(candLen / 2)}c`, sdpMid: "0", sdpMLineIndex: 0 }, "too-long");
        r.admit(solicited, { candidate: "c", sdpMid: "m".repeat(midLen + 1), sdpMLineIndex: 0 }, "too-long");
        r.raw("candPending", [solicited], 0);
        const exact = { candidate: "c".repeat(candLen), sdpMid: "m".repeat(midLen), sdpMLineIndex: 1 };
        r.admit(solicited, exact, "accepted");
        r.check("delivered", r.drain(solicited).flatMap(b => b.candidates), [exact]);
    });
    add("ICE: a full pool answers full; the caller keeps the candidate and it is admitted after the next batch", O, (r, { solicited, offered }) => {
        const max = r.caps.maxCand;
        const all = Array.from({ length: max + 3 }, (_, i) => mk(i));
        for (let i = 0; i < max; i++) r.admit(solicited, all[i]!, "accepted");
        r.raw("candFreeSlots", [], 0);
        r.admit(solicited, all[max]!, "full");
        r.admit(offered, all[max]!, "full");
        const delivered = r.drain(solicited).flatMap(b => b.candidates);
        for (let i = max; i < all.length; i++) r.admit(solicited, all[i]!, "accepted");
        delivered.push(...r.drain(solicited).flatMap(b => b.candidates));
        r.check("delivered, in order", delivered, all);
    });
    add("ICE batches: candidates beyond one OUT buffer wait for the next batch, none dropped", O, (r, { solicited }) => {
        const { candLen, midLen, maxCand, outLen } = r.caps;
        const all = Array.from({ length: maxCand }, (_, i) => ({ candidate: `candidate:${i} `.padEnd(candLen, "x"), sdpMid: `${i}`.padEnd(midLen, "m"), sdpMLineIndex: 300 + i }));
        for (const c of all) r.admit(solicited, c, "accepted");
        // one candidate: struct + candidate (2-byte length) + SDPMid (1-byte length) + u16 index + end
        const per = 2 + (2 + 2 + candLen) + (2 + 1 + midLen) + 4;
        const head = 1 + 3 + 2; // struct, id (u8), array
        const perBatch = Math.floor((outLen - head - 2) / per);
        const batches = r.drain(solicited);
        const sizes = Array.from({ length: Math.ceil(maxCand / perBatch) }, (_, k) => Math.min(perBatch, maxCand - k * perBatch));
        r.check("candidates per batch", batches.map(b => b.candidates.length), sizes);
        r.check("bytes per batch", batches.map(b => b.bytes), sizes.map(n => head + n * per + 2));
        r.check("every batch fits OUT", batches.every(b => b.bytes <= outLen), true);
        r.check("delivered, in order", batches.flatMap(b => b.candidates), all);
        r.raw("candFreeSlots", [], maxCand);
    });
    add("ICE: the pool is shared, but a snapshot takes one session's candidates only", O, (r, { solicited, offered }) => {
        r.admit(solicited, mk(1), "accepted");
        r.admit(offered, mk(3, null, null), "accepted");
        r.admit(solicited, mk(2), "accepted");
        r.check("the other session's batch", r.snapIce(offered, Status.Success, TO_OFFERED)?.fields.iceCandidates, carried([mk(3, null, null)]));
        r.raw("candPending", [solicited], 2);
        r.check("delivered", r.drain(solicited).flatMap(b => b.candidates), [mk(1), mk(2)]);
    });
    add("ICE: snapIce changes no session state; a provider end drops the session's waiting candidates", O, (r, { solicited, offered }) => {
        r.admit(solicited, mk(1), "accepted");
        const before = r.state();
        r.snapIce(solicited);
        r.state(before, ["freeCandidateSlots"]);
        r.admit(offered, mk(1), "accepted");
        r.endByProvider(offered, EndReason.IceFailed);
        r.raw("candPending", [offered], 0);
        r.snapIce(offered, Status.NotFound);
        r.raw("candFreeSlots", [], r.caps.maxCand);
        r.snapEnd(offered, EndReason.IceFailed);
    });
});
