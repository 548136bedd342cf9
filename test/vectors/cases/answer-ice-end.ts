/**
 * ProvideAnswer (0x04), ProvideICECandidates (0x05) and EndSession (0x06): the session lookup by
 * (id, fabric, peer) with NOT_FOUND for anything else, the duplicate answer accepted with action
 * Done, SDP size on answers, the ICE candidate constraints (empty list, empty SDPMid, more than
 * capacities.inboundCandidates) before the lookup, EndSession's reason bound and its
 * unconditional removal with references released. Cases start from `awaitingAnswer`: a
 * solicited session of the test caller awaiting its answer, and one of the other caller.
 */

import { Action, ProviderCommand as Command, Status, StreamKind, StreamUsage, type Caller, type IceCandidate } from "../../../src/engine/index.js";
import { FABRIC, PEER, caller, otherCaller } from "../../support/callers.js";
import { AUDIO, VIDEO } from "../../support/profiles.js";
import { answerTlv, endTlv, iceTlv, offerTlv, type CandidateFields } from "../../support/wire.js";
import { like, type Recorder } from "../recorder.js";
import { CAUSE, EV, V, awaitingAnswer, caseList } from "./fixtures.js";

const cand = (i: number, sdpMid: string | null = "0", sdpmLineIndex: number | null = 0): CandidateFields => ({
    candidate: `candidate:${i} 1 udp 2122260223 192.168.1.${i % 250} ${50000 + i} typ host`,
    sdpMid,
    sdpmLineIndex,
});
/** The candidates as the hook is handed them. */
const handed = (list: CandidateFields[]): IceCandidate[] => list.map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpmLineIndex }));
const otherPeer: Caller = { fabricIndex: FABRIC, peerNodeId: PEER + 1n };

export const ANSWER_ICE_END_CASES = caseList(add => {
    const A = awaitingAnswer;
    const refuseAnswer = (r: Recorder, f: Uint8Array, s: number, who = caller) => r.refuse(Command.ProvideAnswer, f, s, who);
    const refuseIce = (r: Recorder, f: Uint8Array, s: number, who = caller) => r.refuse(Command.ProvideIceCandidates, f, s, who);
    const refuseEnd = (r: Recorder, f: Uint8Array, s: number, who = caller) => r.refuse(Command.EndSession, f, s, who);

    add("ProvideAnswer: an unknown id → NOT_FOUND (TC 2.19 uses id + 1000)", A, (r, { solicited }) => {
        refuseAnswer(r, answerTlv(solicited + 1000), Status.NotFound);
        refuseAnswer(r, answerTlv(0), Status.NotFound);
        refuseAnswer(r, answerTlv(65535), Status.NotFound);
    });
    add("ProvideAnswer: another fabric's or peer's session → NOT_FOUND", A, (r, { solicited, other }) => {
        refuseAnswer(r, answerTlv(other), Status.NotFound);
        refuseAnswer(r, answerTlv(solicited), Status.NotFound, otherCaller);
        refuseAnswer(r, answerTlv(solicited), Status.NotFound, otherPeer);
    });
    add("ProvideAnswer: an awaited answer runs the hook with its SDP; the commit establishes the session, no event", A, (r, { solicited }) => {
        r.session(solicited, like({ state: "awaiting-answer" }));
        const sdp = "v=0\r\na=answer\r\n";
        r.decide(Command.ProvideAnswer, answerTlv(solicited, sdp), Action.Hook, { sessionId: solicited, args: { sdp } });
        r.commitAnswer(solicited);
        r.session(solicited, like({ state: "established" }));
        r.events([]);
    });
    add("ProvideAnswer: a duplicate answer (session established) → SUCCESS with action Done, nothing changes", A, (r, { solicited, other }) => {
        r.decide(Command.ProvideAnswer, answerTlv(solicited), Action.Hook);
        r.commitAnswer(solicited);
        r.decide(Command.ProvideAnswer, answerTlv(solicited), Action.Done, { unchanged: true });
        // a ProvideOffer session is established from the start
        r.decide(Command.ProvideAnswer, answerTlv(other), Action.Done, { who: otherCaller, unchanged: true });
    });
    add("ProvideAnswer: an answer while another answer's hook runs → Done", A, (r, { solicited }) => {
        r.decide(Command.ProvideAnswer, answerTlv(solicited), Action.Hook);
        r.decide(Command.ProvideAnswer, answerTlv(solicited), Action.Done);
        r.commitAnswer(solicited);
    });
    add("ProvideAnswer: abortPending after a failed hook keeps the session awaiting its answer", A, (r, { solicited }) => {
        const before = r.state();
        r.decide(Command.ProvideAnswer, answerTlv(solicited), Action.Hook);
        r.abort(solicited);
        r.state(before);
        r.session(solicited, like({ state: "awaiting-answer" }));
        r.decide(Command.ProvideAnswer, answerTlv(solicited), Action.Hook);
        r.commitAnswer(solicited);
    });
    add("ProvideAnswer: a commit without a pending answer → INVALID_IN_STATE; an unknown one → NOT_FOUND", A, (r, { solicited }) => {
        r.commitAnswer(solicited, Status.InvalidInState);
        r.commitAnswer(999, Status.NotFound);
        r.session(solicited, like({ state: "awaiting-answer" }));
    });
    add("ProvideAnswer: an SDP over sdpLen → RESOURCE_EXHAUSTED; exactly sdpLen reaches the hook", A, (r, { solicited }) => {
        const sdp = "a".repeat(r.caps.sdpLen);
        refuseAnswer(r, answerTlv(solicited, `${sdp}a`), Status.ResourceExhausted);
        r.decide(Command.ProvideAnswer, answerTlv(solicited, sdp), Action.Hook, { args: { sdp } });
        r.abort(solicited);
    });
    add("ProvideAnswer: an answer for a deferred session still owing its Offer is taken and settles the deadline", A, r => {
        const deferred = r.solicitOk(V, { deferred: true, now: 0 }).id;
        r.decide(Command.ProvideAnswer, answerTlv(deferred), Action.Hook);
        r.commitAnswer(deferred);
        r.session(deferred, like({ state: "established" }));
        r.expire(100, 0);
    });

    add("ProvideICECandidates: an empty list or a non-null empty SDPMid → CONSTRAINT_ERROR, before the lookup", A, (r, { solicited }) => {
        refuseIce(r, iceTlv(solicited, []), Status.ConstraintError);
        refuseIce(r, iceTlv(9999, []), Status.ConstraintError);
        refuseIce(r, iceTlv(solicited, [cand(1, "")]), Status.ConstraintError);
        refuseIce(r, iceTlv(solicited, [cand(1), cand(2, "")]), Status.ConstraintError);
        refuseIce(r, iceTlv(9999, [cand(1, "")]), Status.ConstraintError);
    });
    add("ProvideICECandidates: more than inboundCandidates → RESOURCE_EXHAUSTED; exactly that many reach the hook", A, (r, { solicited }) => {
        const many = Array.from({ length: r.caps.inboundCandidates + 1 }, (_, i) => cand(i));
        refuseIce(r, iceTlv(solicited, many), Status.ResourceExhausted);
        const taken = many.slice(0, -1);
        r.decide(Command.ProvideIceCandidates, iceTlv(solicited, taken), Action.Hook, { args: { candidates: handed(taken) } });
    });
    add("ProvideICECandidates: an unknown id (TC 2.21 uses 9999), another fabric's or peer's → NOT_FOUND", A, (r, { solicited, other }) => {
        refuseIce(r, iceTlv(9999, [cand(1)]), Status.NotFound);
        refuseIce(r, iceTlv(other, [cand(1)]), Status.NotFound);
        refuseIce(r, iceTlv(solicited, [cand(1)]), Status.NotFound, otherPeer);
        refuseIce(r, iceTlv(solicited, [cand(1)]), Status.NotFound, { fabricIndex: 3, peerNodeId: PEER });
    });
    add("ProvideICECandidates: the hook gets the candidates, null SDPMid and SDPMLineIndex included (TC 2.20), and no state changes", A, (r, { solicited }) => {
        const list = [cand(1, null, null), cand(2, "video", 1), cand(3, "0", null), cand(4, null, 65534)];
        const before = r.state();
        r.decide(Command.ProvideIceCandidates, iceTlv(solicited, list), Action.Hook, { sessionId: solicited, args: { candidates: handed(list) } });
        r.state(before);
    });
    add("ProvideICECandidates: works in every live state", A, (r, { other }) => {
        const deferred = r.solicitOk(V, { deferred: true }).id;
        r.decide(Command.ProvideIceCandidates, iceTlv(deferred, [cand(1)]), Action.Hook);
        r.decide(Command.ProvideIceCandidates, iceTlv(other, [cand(1)]), Action.Hook, { who: otherCaller });
    });

    add("EndSession: a reason above 12 → CONSTRAINT_ERROR, before the lookup", A, (r, { solicited }) => {
        refuseEnd(r, endTlv(solicited, 13), Status.ConstraintError);
        refuseEnd(r, endTlv(solicited, 255), Status.ConstraintError);
        refuseEnd(r, endTlv(9999, 13), Status.ConstraintError);
    });
    add("EndSession: an unknown id → NOT_FOUND (TC 2.2 step 5, 2.28: (id + 1) % 65535)", A, (r, { solicited, other }) => {
        refuseEnd(r, endTlv(solicited + 5), Status.NotFound);
        refuseEnd(r, endTlv((other + 1) % 65535), Status.NotFound);
        refuseEnd(r, endTlv(0), Status.NotFound);
    });
    add("EndSession: another fabric's or peer's session → NOT_FOUND", A, (r, { solicited, other }) => {
        refuseEnd(r, endTlv(other), Status.NotFound);
        refuseEnd(r, endTlv(solicited), Status.NotFound, otherCaller);
        refuseEnd(r, endTlv(solicited), Status.NotFound, otherPeer);
    });
    for (const reason of [0, 2, 11, 12]) {
        add(`EndSession: removes the row at once (reason ${reason}), releases its streams, reports it, sends no End back`, A, (r, { solicited, other }) => {
            r.refsOf(StreamKind.Video, VIDEO, 2);
            r.end(solicited, caller, reason);
            r.session(solicited, null);
            r.sessions(0, [other]);
            r.sessions(FABRIC, []);
            r.refsOf(StreamKind.Video, VIDEO, 1);
            r.refsOf(StreamKind.Audio, AUDIO, 1);
            r.events([[EV.removed, solicited, reason, CAUSE.peer]]);
            r.raw("endPendingCount", [], 0);
            refuseEnd(r, endTlv(solicited, reason), Status.NotFound);
        });
    }
    add("EndSession: TC 2.33 — after both sessions end the references are 0 and the streams can be deallocated", A, (r, { solicited, other }) => {
        r.end(solicited);
        r.removeStream(StreamKind.Video, VIDEO, Status.InvalidInState);
        r.end(other, otherCaller);
        r.check("video streams", r.state().video, [[VIDEO, StreamUsage.LiveView, 0]]);
        r.removeStream(StreamKind.Video, VIDEO, Status.Success);
        r.removeStream(StreamKind.Audio, AUDIO, Status.Success);
        const after = r.state();
        r.check("streams", [after.video, after.audio], [[], []]);
    });
    add("EndSession: ends a session while its re-offer hook or its answer hook runs; the late commit finds nothing", A, (r, { solicited, other }) => {
        r.decide(Command.ProvideOffer, offerTlv({ webRtcSessionId: other }), Action.Hook, { who: otherCaller });
        r.end(other, otherCaller);
        r.commitOffer(other, Status.NotFound);
        r.abort(other, Status.NotFound);
        r.session(other, null);
        r.decide(Command.ProvideAnswer, answerTlv(solicited), Action.Hook);
        r.end(solicited);
        r.commitAnswer(solicited, Status.NotFound);
    });
    add("EndSession: drops the session's waiting local candidates", A, (r, { solicited }) => {
        r.admit(solicited, { candidate: "candidate:1", sdpMid: "0", sdpMLineIndex: 0 }, "accepted");
        r.raw("candPending", [solicited], 1);
        r.end(solicited);
        r.raw("candPending", [solicited], 0);
        r.raw("candFreeSlots", [], r.caps.maxCand);
    });
    add("EndSession: TC 2.5 — a session of the same peer keeps its place after another one ends", A, (r, { solicited, other }) => {
        const third = r.offerOk(V).id;
        r.sessions(0, [solicited, other, third]);
        r.end(solicited);
        r.sessions(0, [other, third]);
        r.sessions(FABRIC, [third]);
    });
});
