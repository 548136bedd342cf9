/**
 * The session table: id allocation (from 1, sequential, skipping ids in use or reserved or
 * waiting for an End, wrapping 65534 → 1, never 0 or 0xFFFF), fabric and peer isolation,
 * CurrentSessions per fabric in insertion order, capacity (the over-capacity SolicitOffer
 * answered SUCCESS and ended with End(OutOfResources), TC 2.12), the two-phase commit / abort,
 * stream reference counts and the stream registry, privacy switched on at run time, fabric
 * removal, provider-initiated ends, the 30 s deferred-offer watchdog (TC 2.11), change events and
 * `reset`. Every case starts from the default streams (`streams`).
 */

import { Action, EndReason, ProviderCommand as Command, Status, StreamKind, StreamUsage } from "../../../src/engine/index.js";
import { FABRIC, PEER } from "../../support/callers.js";
import { AUDIO, VIDEO } from "../../support/profiles.js";
import { SDP, answerTlv, decode, endTlv, iceTlv, offerTlv, solicitTlv } from "../../support/wire.js";
import { like } from "../recorder.js";
import { CAUSE, EV, V, allocateStreams, caseList, fill, streams } from "./fixtures.js";

const at = (fabricIndex: number, peerNodeId = PEER) => ({ fabricIndex, peerNodeId });

export const SESSION_CASES = caseList(add => {
    const S = streams;
    add("session ids: start at 1 and are sequential across commands", S, r => {
        r.raw("nextId", [], 1);
        r.check("ids", [r.solicitOk(V).id, r.offerOk(V).id, r.solicitOk({ videoStreams: [VIDEO] }).id], [1, 2, 3]);
    });
    add("session ids: an id just ended is not handed out again at once", S, r => {
        const a = r.solicitOk(V).id;
        const b = r.solicitOk(V).id;
        r.end(a);
        r.check("next id", r.solicitOk(V).id, b + 1);
    });
    add("session ids: skip ids in use", S, r => {
        const a = r.solicitOk(V).id;
        const b = r.solicitOk(V).id;
        r.raw("setNextId", [a]);
        r.check("next id", r.solicitOk(V).id, b + 1);
        r.sessions(0, [1, 2, 3]);
    });
    add("session ids: wrap from 65534 to 1, never giving 0 or 0xFFFF", S, r => {
        r.raw("setNextId", [65533]);
        r.check("ids", [r.solicitOk(V).id, r.solicitOk(V).id, r.solicitOk(V).id], [65533, 65534, 1]);
        r.raw("nextId", [], 2);
    });
    add("session ids: wrap skipping an id in use", S, r => {
        r.check("first id", r.solicitOk(V).id, 1);
        r.raw("setNextId", [65534]);
        r.check("ids", [r.solicitOk(V).id, r.solicitOk(V).id], [65534, 2]);
    });
    add("session ids: never 0 or 0xFFFF over many wraps", S, r => {
        r.raw("setNextId", [65530]);
        const seen: number[] = [];
        for (let n = 0; n < 40; n++) {
            const { id } = r.offerOk(V);
            seen.push(id);
            r.end(id);
            r.events(); // the host drains after every call
        }
        r.check("ids", seen, [65530, 65531, 65532, 65533, 65534, ...Array.from({ length: 35 }, (_, i) => i + 1)]);
    });
    add("session ids: setNextId outside 1..65534 restarts at 1", S, r => {
        for (const value of [0, 0xffff, 70000, -5]) {
            r.raw("setNextId", [value]);
            r.raw("nextId", [], 1);
        }
    });
    add("session ids: skip a reserved row's id and a pending End's id", S, r => {
        const d = r.decide(Command.SolicitOffer, solicitTlv(V), Action.Hook);
        r.raw("setNextId", [d]);
        const e = r.decide(Command.ProvideOffer, offerTlv(V), Action.Hook, { sessionId: d + 1 });
        r.commitSolicit(d);
        r.commitOffer(e);
        r.endByProvider(d, EndReason.MediaTimeout);
        r.raw("setNextId", [d]);
        r.check("next id", r.offerOk(V).id, e + 1);
        r.snapEnd(d, EndReason.MediaTimeout);
    });

    add("CurrentSessions: an empty table reads as an empty array", S, r => {
        r.do({ op: "sessions", fabric: 0 }, { tlv: "1618" });
        r.do({ op: "sessions", fabric: FABRIC }, { tlv: "1618" });
    });
    add("CurrentSessions: each fabric reads its own rows in insertion order, every peer of it; fabric 0 reads all", S, r => {
        const a = r.solicitOk(V, { who: at(1) }).id;
        const b = r.offerOk(V, { who: at(2, 9n) }).id;
        const c = r.solicitOk({ videoStreams: [VIDEO] }, { who: at(1, 10n) }).id;
        r.sessions(0, [a, b, c]);
        r.check("fabric 1's peers", r.sessions(1, [a, c]).map(s => s.peerNodeId), [PEER, 10n]);
        r.check("fabric 2's row", r.sessions(2, [b])[0], like({ fabricIndex: 2, peerNodeId: 9n }));
        r.sessions(3, []);
    });
    add("fabric isolation: another fabric's or peer's session is NOT_FOUND for every command", S, r => {
        const b = r.offerOk(V, { who: at(2) }).id;
        r.refuse(Command.EndSession, endTlv(b), Status.NotFound, at(1));
        r.refuse(Command.ProvideOffer, offerTlv({ webRtcSessionId: b }), Status.NotFound, at(1));
        r.refuse(Command.ProvideAnswer, answerTlv(b), Status.NotFound, at(1));
        r.refuse(Command.ProvideIceCandidates, iceTlv(b, [{ candidate: "c", sdpMid: "0", sdpmLineIndex: 0 }]), Status.NotFound, at(1));
        r.refuse(Command.EndSession, endTlv(b), Status.NotFound, at(2, PEER + 1n));
        r.end(b, at(2));
    });
    add("CurrentSessions: a slot freed in the middle is reused, but the new row goes last", S, r => {
        const ids = fill(r);
        r.end(ids[0]!);
        const fresh = r.offerOk(V).id;
        r.sessions(0, [...ids.slice(1), fresh]);
    });
    add("CurrentSessions: rows decode with every field matching the table", S, r => {
        r.solicitOk({ ...V, originatingEndpointId: 3, metadataEnabled: true }, { who: at(4, 0xffff_ffff_ffff_fff0n) });
        r.offerOk({ videoStreams: [VIDEO], streamUsage: StreamUsage.Recording }, { who: at(5, 1n) });
        for (const fabric of [0, 4, 5]) r.sessions(fabric);
    });

    add("capacity (TC 2.12): the over-capacity SolicitOffer is answered SUCCESS, takes no row, and is ended with End(OutOfResources)", S, r => {
        fill(r);
        r.events();
        const before = r.state();
        const { sessionId: id, response } = r.cmd(Command.SolicitOffer, solicitTlv({ ...V, originatingEndpointId: 7 }), { status: Status.Success, action: Action.Respond });
        r.check("response", decode.solicitResponse(response), { webRtcSessionId: id, deferredOffer: false, ...V });
        r.state(before, ["pendingEnds", "nextId", "events"]);
        r.session(id, null);
        r.events([[EV.endQueued, id, EndReason.OutOfResources, 0]]);
        r.raw("endPendingCount", [], 1);
        // nothing was reserved, so there is nothing to commit
        r.commitSolicit(id, false, 0, Status.NotFound);
        r.snapEnd(id, EndReason.OutOfResources, { fabric: FABRIC, peer: PEER, endpoint: 7 });
        r.raw("endPendingCount", [], 0);
        r.noEnd(id);
    });
    add("capacity: the over-capacity response follows the echo rule (no echo for lists)", S, r => {
        fill(r);
        const { sessionId: id, response } = r.cmd(Command.SolicitOffer, solicitTlv({ videoStreams: [VIDEO] }), { status: Status.Success, action: Action.Respond });
        r.check("response", decode.solicitResponse(response), { webRtcSessionId: id, deferredOffer: false });
        r.snapEnd(id, EndReason.OutOfResources);
    });
    add("capacity: a bad request at capacity still gets its own status", S, r => {
        fill(r);
        r.refuse(Command.SolicitOffer, solicitTlv({ videoStreams: [9999] }), Status.DynamicConstraintError);
        r.refuse(Command.SolicitOffer, solicitTlv({}), Status.InvalidCommand);
    });
    add("capacity: when every pending-End record is taken the over-capacity SolicitOffer → RESOURCE_EXHAUSTED", S, r => {
        fill(r);
        const overflow = Array.from({ length: r.caps.pendingEnds }, () => r.decide(Command.SolicitOffer, solicitTlv(V), Action.Respond));
        r.check("distinct ids", new Set(overflow).size, r.caps.pendingEnds);
        r.refuse(Command.SolicitOffer, solicitTlv(V), Status.ResourceExhausted);
        r.snapEnd(overflow[0]!, EndReason.OutOfResources);
        r.decide(Command.SolicitOffer, solicitTlv(V), Action.Respond);
        for (const id of overflow.slice(1)) r.snapEnd(id, EndReason.OutOfResources);
        r.events();
    });
    add("capacity: a reserved row counts against capacity", S, r => {
        while (r.core.sessions().length < r.caps.sessions - 1) r.solicitOk(V);
        const reserved = r.decide(Command.SolicitOffer, solicitTlv(V), Action.Hook);
        const over = r.decide(Command.SolicitOffer, solicitTlv(V), Action.Respond);
        r.commitSolicit(reserved);
        r.snapEnd(over, EndReason.OutOfResources);
    });

    add("commit: a reserved row is invisible until its commit, which adds it last and reports it", S, r => {
        const first = r.solicitOk(V, { who: at(2) }).id;
        r.events();
        const before = r.state();
        const d = r.decide(Command.SolicitOffer, solicitTlv(V), Action.Hook);
        r.state(before, ["nextId"]);
        r.session(d, null);
        r.check("selfCheck while reserved", r.selfCheck(false), 0);
        r.check("reserved: not quiescent", r.selfCheck(true) !== 0, true);
        r.events([]);
        r.commitSolicit(d, true, 0);
        r.sessions(0, [first, d]);
        r.refsOf(StreamKind.Video, VIDEO, 2);
        r.events([[EV.added, d, 0, CAUSE.peer]]);
        r.commitSolicit(d, true, 0, Status.NotFound);
    });
    for (const command of [Command.SolicitOffer, Command.ProvideOffer]) {
        add(`commit: abortPending (command ${command}) leaves the table as it was; only the id counter moved on`, S, r => {
            r.offerOk(V, { who: at(2) });
            r.events();
            const before = r.state();
            const d = r.decide(command, command === Command.SolicitOffer ? solicitTlv(V) : offerTlv(V), Action.Hook);
            r.abort(d);
            r.state(before, ["nextId"]);
            r.raw("nextId", [], d + 1);
            r.commitSolicit(d, false, 0, Status.NotFound);
            r.commitOffer(d, Status.NotFound);
            r.abort(d, Status.NotFound);
        });
    }
    add("commit: abortPending of a live row with nothing pending → INVALID_IN_STATE, and changes nothing", S, r => {
        const { id } = r.offerOk(V);
        const before = r.state();
        r.abort(id, Status.InvalidInState);
        r.state(before);
    });
    add("commit: rows go live in commit order", S, r => {
        const a = r.decide(Command.SolicitOffer, solicitTlv(V), Action.Hook);
        const b = r.decide(Command.ProvideOffer, offerTlv(V), Action.Hook);
        r.commitOffer(b);
        r.commitSolicit(a);
        r.sessions(0, [b, a]);
    });

    add("streams: references +1 per session, −1 on end; removal refused while referenced", S, r => {
        const a = r.solicitOk(V).id;
        const b = r.offerOk({ videoStreams: [VIDEO] }).id;
        const s = r.state();
        r.check("streams", [s.video, s.audio], [[[VIDEO, StreamUsage.LiveView, 2]], [[AUDIO, StreamUsage.LiveView, 1]]]);
        r.removeStream(StreamKind.Video, VIDEO, Status.InvalidInState);
        r.removeStream(StreamKind.Audio, AUDIO, Status.InvalidInState);
        r.end(a);
        r.refsOf(StreamKind.Video, VIDEO, 1);
        r.removeStream(StreamKind.Audio, AUDIO, Status.Success);
        r.refsOf(StreamKind.Audio, AUDIO, -1);
        r.end(b);
        r.removeStream(StreamKind.Video, VIDEO, Status.Success);
        r.removeStream(StreamKind.Video, VIDEO, Status.NotFound);
    });
    add("streams: takeReferenceChanges reports every count once after a change", S, r => {
        r.refs(null);
        const a = r.solicitOk(V).id;
        r.refs([[StreamKind.Video, VIDEO, 1], [StreamKind.Audio, AUDIO, 1]]);
        r.refs(null);
        r.end(a);
        r.refs([[StreamKind.Video, VIDEO, 0], [StreamKind.Audio, AUDIO, 0]]);
    });
    add("streams: a stream a reserved row or a staged re-offer will use cannot be removed before the commit", S, r => {
        r.addStream(StreamKind.Video, 7, StreamUsage.Recording);
        const d = r.decide(Command.ProvideOffer, offerTlv({ videoStreams: [7] }), Action.Hook);
        r.removeStream(StreamKind.Video, 7, Status.InvalidInState);
        r.commitOffer(d);
        r.refsOf(StreamKind.Video, 7, 1);
        r.addStream(StreamKind.Video, 8, StreamUsage.Recording);
        r.decide(Command.ProvideOffer, offerTlv({ webRtcSessionId: d, videoStreams: [8] }), Action.Hook, { sessionId: d });
        r.removeStream(StreamKind.Video, 8, Status.InvalidInState);
        r.commitOffer(d);
        r.session(d, like({ video: [8] }));
        r.refsOf(StreamKind.Video, 8, 1);
        r.removeStream(StreamKind.Video, 7, Status.Success);
    });
    add("streams: the registry's duplicates, bounds and capacity; a refused priority list keeps the old one", S, r => {
        r.addStream(StreamKind.Video, VIDEO, StreamUsage.LiveView, Status.AlreadyExists);
        r.addStream(StreamKind.Video, 9, 4, Status.ConstraintError);
        r.addStream(2, 9, StreamUsage.LiveView, Status.ConstraintError);
        for (let n = 1; n < r.caps.streamsPerKind; n++) r.addStream(StreamKind.Video, 100 + n, StreamUsage.Recording);
        r.addStream(StreamKind.Video, 999, StreamUsage.Recording, Status.ResourceExhausted);
        r.check("video streams", r.state().video.length, r.caps.streamsPerKind);
        r.priorities([StreamUsage.LiveView, StreamUsage.LiveView], Status.AlreadyExists);
        r.priorities([4], Status.ConstraintError);
        r.priorities([0, 1, 2, 3, 3], Status.ConstraintError);
        r.refuse(Command.SolicitOffer, solicitTlv({ ...V, streamUsage: StreamUsage.Internal }), Status.DynamicConstraintError);
        r.solicitOk(V);
    });

    add("privacy at run time: soft livestream ends the LiveView sessions with End(PrivacyMode) and releases their streams", S, r => {
        const live = r.solicitOk({ ...V, originatingEndpointId: 4 }, { who: at(2, 5n) }).id;
        const rec = r.offerOk({ ...V, streamUsage: StreamUsage.Recording }).id;
        r.events();
        r.privacy(false, false, true, 1);
        r.sessions(0, [rec]);
        r.refsOf(StreamKind.Video, VIDEO, 1);
        r.events([[EV.removed, live, EndReason.PrivacyMode, CAUSE.provider], [EV.endQueued, live, EndReason.PrivacyMode, 0]]);
        r.snapEnd(live, EndReason.PrivacyMode, { fabric: 2, peer: 5n, endpoint: 4 });
    });
    add("privacy at run time: soft recording ends Recording and Analysis sessions only; hard ends the rest", S, r => {
        r.priorities([StreamUsage.LiveView, StreamUsage.Recording, StreamUsage.Analysis]);
        const live = r.offerOk(V).id;
        const rec = r.offerOk({ ...V, streamUsage: StreamUsage.Recording }).id;
        const ana = r.solicitOk({ ...V, streamUsage: StreamUsage.Analysis }).id;
        r.privacy(false, true, false, 2);
        r.sessions(0, [live]);
        r.raw("endPendingCount", [], 2);
        r.privacy(false, true, false, 0);
        r.privacy(true, false, false, 1);
        r.sessions(0, []);
        r.refsOf(StreamKind.Video, VIDEO, 0);
        for (const id of [rec, ana, live]) r.snapEnd(id, EndReason.PrivacyMode);
        r.privacy(false, false, false, 0);
    });
    add("privacy at run time: a reserved row privacy now forbids is dropped; its commit finds nothing", S, r => {
        const before = r.state();
        const d = r.decide(Command.SolicitOffer, solicitTlv(V), Action.Hook);
        r.privacy(false, false, true, 0);
        r.commitSolicit(d, false, 0, Status.NotFound);
        r.state(before, ["nextId"]);
    });

    add("fabric removal: purges the fabric's rows and pending Ends, releases streams, leaves other fabrics alone", S, r => {
        const a = r.solicitOk(V, { who: at(1) }).id;
        const b = r.offerOk(V, { who: at(2) }).id;
        const c = r.offerOk(V, { who: at(1, 3n) }).id;
        r.endByProvider(c, EndReason.MediaTimeout);
        r.endByProvider(b, EndReason.LowPower);
        const b2 = r.offerOk(V, { who: at(2) }).id;
        r.events();
        r.removeFabric(1, 1);
        r.events([[EV.removed, a, EndReason.UnknownReason, CAUSE.fabric]]);
        r.sessions(0, [b2]);
        r.sessions(1, []);
        r.refsOf(StreamKind.Video, VIDEO, 1);
        r.raw("endPendingCount", [], 1);
        r.noEnd(c);
        r.snapEnd(b, EndReason.LowPower);
        r.removeFabric(1, 0);
        r.removeFabric(9, 0);
    });
    add("fabric removal: purges a reserved row of that fabric too", S, r => {
        const d = r.decide(Command.ProvideOffer, offerTlv(V), Action.Hook, { who: at(3) });
        r.removeFabric(3, 1);
        r.commitOffer(d, Status.NotFound);
        r.events([]);
    });
    add("fabric removal: drops the fabric's over-capacity Ends", S, r => {
        fill(r);
        const over = r.decide(Command.SolicitOffer, solicitTlv(V), Action.Respond, { who: at(6) });
        r.raw("endPendingCount", [], 1);
        r.removeFabric(6, 0);
        r.raw("endPendingCount", [], 0);
        r.noEnd(over);
    });

    add("provider ends: endByProvider removes the row, releases streams and queues an End with the reason", S, r => {
        const id = r.offerOk({ ...V, originatingEndpointId: 12 }, { who: at(4, 44n) }).id;
        r.events();
        r.endByProvider(id, EndReason.IceFailed);
        r.session(id, null);
        r.refsOf(StreamKind.Audio, AUDIO, 0);
        r.events([[EV.removed, id, EndReason.IceFailed, CAUSE.provider], [EV.endQueued, id, EndReason.IceFailed, 0]]);
        r.snapEnd(id, EndReason.IceFailed, { fabric: 4, peer: 44n, endpoint: 12 });
    });
    add("provider ends: a bad reason or a session that is not live is refused, changing nothing", S, r => {
        const { id } = r.offerOk(V);
        const d = r.decide(Command.SolicitOffer, solicitTlv(V), Action.Hook);
        const before = r.state();
        r.endByProvider(id, 13, Status.ConstraintError);
        r.endByProvider(id, -1, Status.ConstraintError);
        r.endByProvider(id + 100, EndReason.UserHangup, Status.NotFound);
        r.endByProvider(d, EndReason.UserHangup, Status.NotFound);
        r.state(before);
        r.abort(d);
    });

    add("watchdog (TC 2.11): a deferred Offer not made within 30 s ends the session with End(InviteTimeout)", S, r => {
        const id = r.solicitOk(V, { deferred: true, now: 100 }).id;
        r.events();
        r.expire(129, 0);
        r.session(id, like({ state: "awaiting-deferred-offer" }));
        r.expire(130, 1);
        r.session(id, null);
        r.refsOf(StreamKind.Video, VIDEO, 0);
        r.events([[EV.removed, id, EndReason.InviteTimeout, CAUSE.provider], [EV.endQueued, id, EndReason.InviteTimeout, 0]]);
        r.snapEnd(id, EndReason.InviteTimeout);
    });
    add("watchdog: a non-deferred SolicitOffer owes its Offer too", S, r => {
        const id = r.solicitOk(V, { deferred: false, now: 5 }).id;
        r.expire(34, 0);
        r.expire(35, 1);
        r.snapEnd(id, EndReason.InviteTimeout);
    });
    add("watchdog: an Offer snapshot clears the deadline", S, r => {
        const id = r.solicitOk(V, { deferred: true, now: 100 }).id;
        r.snapOffer(id, SDP);
        r.expire(10_000, 0);
        r.session(id, like({ state: "awaiting-answer" }));
    });
    add("watchdog: ProvideOffer sessions never expire; only the overdue session goes", S, r => {
        const po = r.offerOk(V).id;
        const early = r.solicitOk(V, { deferred: true, now: 0 }).id;
        const late = r.solicitOk({ videoStreams: [VIDEO] }, { deferred: true, now: 20 }).id;
        r.expire(40, 1);
        r.sessions(0, [po, late]);
        r.expire(50, 1);
        r.sessions(0, [po]);
        r.expire(1_000_000, 0);
        r.snapEnd(early, EndReason.InviteTimeout);
        r.snapEnd(late, EndReason.InviteTimeout);
    });
    add("watchdog: the deadline survives the 32-bit clock wrapping", S, r => {
        const t = 0xffff_fff0;
        const id = r.solicitOk(V, { deferred: true, now: t }).id;
        r.expire(t + 29 - 2 ** 32, 0);
        r.expire(t + 30 - 2 ** 32, 1);
        r.snapEnd(id, EndReason.InviteTimeout);
    });

    add("events: takeEvents drains; a second call returns nothing", S, r => {
        const { id } = r.solicitOk(V);
        r.offerOk({ webRtcSessionId: id });
        r.events([[EV.added, id, 0, CAUSE.peer], [EV.updated, id, 0, CAUSE.peer]]);
        r.events([]);
    });
    add("reset returns to the state right after instantiation", S, r => {
        r.solicitOk(V);
        fill(r);
        r.decide(Command.SolicitOffer, solicitTlv(V), Action.Respond);
        r.privacy(false, true, false, 0);
        r.reset();
        r.check("after reset", r.state(), { sessions: [], currentSessions: "1618", video: [], audio: [], pendingEnds: 0, freeCandidateSlots: r.caps.maxCand, nextId: 1, events: 0 });
        r.events([]);
        allocateStreams(r);
        r.check("first id after reset", r.solicitOk({ ...V, streamUsage: StreamUsage.Recording }).id, 1);
    });
});
