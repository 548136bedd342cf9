/**
 * The session table through `Core`, every profile: session id allocation (from 1, sequential,
 * skipping ids in use, wrapping 65534 → 1, never 0 or 0xFFFF), fabric and peer isolation,
 * CurrentSessions filtered by fabric in insertion order, capacity (the over-capacity SolicitOffer
 * answered SUCCESS and ended with End(OutOfResources), TC 2.12), the two-phase commit / abort,
 * stream reference counts, privacy switched on at run time, fabric removal, provider-initiated
 * ends and the 30 s deferred-offer watchdog, with the change events each of these reports.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Core, EndReason, StreamUsage } from "../../src/engine/index.js";
import { AUDIO, PROFILES, VIDEO, allocateDefaultStreams, freshCore } from "../support/profiles.js";
import {
    Action, Cmd, FABRIC, PEER, SDP, Status, StreamKind, currentIds, decode, endTlv, expectDecided, expectRefused, offerOk, offerTlv,
    solicitOk, solicitTlv, tableState, toHex,
} from "../support/wire.js";

const V = { videoStreamId: VIDEO, audioStreamId: AUDIO };
const EV = { added: 1, updated: 2, removed: 3, endQueued: 4 } as const;
const CAUSE = { peer: 0, provider: 1, fabric: 2 } as const;

describe.each(PROFILES)("session table [%s]", profile => {
    let core: Core;
    beforeEach(async () => {
        core = await freshCore(profile);
        allocateDefaultStreams(core);
    });
    afterEach(() => {
        expect(core.selfCheck()).toBe(0);
    });

    const end = (id: number, fabric = FABRIC, peer = PEER) => expectDecided(core, Cmd.EndSession, endTlv(id), Action.Hook, fabric, peer);
    const fill = () => {
        const ids: number[] = [];
        while (core.sessions().length < core.capacities.sessions) ids.push(solicitOk(core, V).webRtcSessionId);
        return ids;
    };

    describe("session ids", () => {
        it("start at 1 and are sequential across commands", () => {
            expect(core.exports.nextId()).toBe(1);
            expect(solicitOk(core, V).webRtcSessionId).toBe(1);
            expect(offerOk(core, V).webRtcSessionId).toBe(2);
            expect(solicitOk(core, { videoStreams: [VIDEO] }).webRtcSessionId).toBe(3);
        });
        it("an id just ended is not handed out again at once", () => {
            const a = solicitOk(core, V).webRtcSessionId;
            const b = solicitOk(core, V).webRtcSessionId;
            end(a);
            expect(solicitOk(core, V).webRtcSessionId).toBe(b + 1);
        });
        it("skip ids in use", () => {
            const a = solicitOk(core, V).webRtcSessionId;
            const b = solicitOk(core, V).webRtcSessionId;
            core.exports.setNextId(a);
            expect(solicitOk(core, V).webRtcSessionId).toBe(b + 1);
            expect(core.sessions().map(s => s.id)).toEqual([1, 2, 3]);
        });
        it("wrap from 65534 to 1, never giving 0 or 0xFFFF", () => {
            core.exports.setNextId(65533);
            expect(solicitOk(core, V).webRtcSessionId).toBe(65533);
            expect(solicitOk(core, V).webRtcSessionId).toBe(65534);
            expect(solicitOk(core, V).webRtcSessionId).toBe(1);
            expect(core.exports.nextId()).toBe(2);
        });
        it("wrap skipping an id in use", () => {
            const one = solicitOk(core, V).webRtcSessionId;
            expect(one).toBe(1);
            core.exports.setNextId(65534);
            expect(solicitOk(core, V).webRtcSessionId).toBe(65534);
            expect(solicitOk(core, V).webRtcSessionId).toBe(2);
        });
        it("never 0 or 0xFFFF over many wraps", () => {
            core.exports.setNextId(65530);
            const seen: number[] = [];
            for (let n = 0; n < 40; n++) {
                const id = offerOk(core, V).webRtcSessionId;
                seen.push(id);
                end(id);
                core.takeEvents(); // the host drains after every call
            }
            expect(seen.every(id => id >= 1 && id <= 65534)).toBe(true);
            expect(seen.slice(0, 8)).toEqual([65530, 65531, 65532, 65533, 65534, 1, 2, 3]);
        });
        it("setNextId outside 1..65534 restarts at 1", () => {
            for (const v of [0, 0xffff, 70000, -5]) {
                core.exports.setNextId(v);
                expect(core.exports.nextId()).toBe(1);
            }
        });
        it("skip a reserved row's id and a pending End's id", () => {
            const d = expectDecided(core, Cmd.SolicitOffer, solicitTlv(V), Action.Hook);
            core.exports.setNextId(d.sessionId);
            const e = expectDecided(core, Cmd.ProvideOffer, offerTlv(V), Action.Hook);
            expect(e.sessionId).toBe(d.sessionId + 1);
            expect(core.commitSolicitOffer(d.sessionId, false, 0)).toBe(Status.Success);
            expect(core.commitProvideOffer(e.sessionId)).toBe(Status.Success);
            expect(core.endByProvider(d.sessionId, EndReason.MediaTimeout)).toBe(Status.Success);
            core.exports.setNextId(d.sessionId);
            expect(offerOk(core, V).webRtcSessionId).toBe(e.sessionId + 1);
            expect(core.snapEnd(d.sessionId)).toBe(Status.Success);
        });
    });

    describe("fabric and peer isolation, CurrentSessions", () => {
        it("an empty table reads as an empty array", () => {
            expect(toHex(core.currentSessionsTlv(0))).toBe("1618");
            expect(toHex(core.currentSessionsTlv(FABRIC))).toBe("1618");
        });
        it("each fabric reads its own rows in insertion order; fabric 0 reads all", () => {
            const a = solicitOk(core, V, { fabric: 1 }).webRtcSessionId;
            const b = offerOk(core, V, { fabric: 2, peer: 9n }).webRtcSessionId;
            const c = solicitOk(core, { videoStreams: [VIDEO] }, { fabric: 1, peer: 10n }).webRtcSessionId;
            expect(currentIds(core, 0)).toEqual([a, b, c]);
            expect(currentIds(core, 1)).toEqual([a, c]);
            expect(currentIds(core, 2)).toEqual([b]);
            expect(currentIds(core, 3)).toEqual([]);
            expect(decode.sessions(core.currentSessionsTlv(2))[0]).toMatchObject({ fabricIndex: 2, peerNodeId: 9n });
            // two peers of one fabric both appear in that fabric's read
            expect(decode.sessions(core.currentSessionsTlv(1)).map(s => s.peerNodeId)).toEqual([PEER, 10n]);
            expect(core.sessions(1).map(s => s.id)).toEqual([a, c]);
        });
        it("another fabric's session is NOT_FOUND for every command", () => {
            const b = offerOk(core, V, { fabric: 2 }).webRtcSessionId;
            expectRefused(core, Cmd.EndSession, endTlv(b), Status.NotFound, 1);
            expectRefused(core, Cmd.ProvideOffer, offerTlv({ webRtcSessionId: b }), Status.NotFound, 1);
            expectRefused(core, Cmd.EndSession, endTlv(b), Status.NotFound, 2, PEER + 1n);
            end(b, 2);
        });
        it("a slot freed in the middle is reused but the new row goes last", () => {
            const ids = fill();
            end(ids[0]!);
            const fresh = offerOk(core, V).webRtcSessionId;
            expect(currentIds(core)).toEqual([...ids.slice(1), fresh]);
            expect(core.sessions().map(s => s.id)).toEqual([...ids.slice(1), fresh]);
        });
        it("rows decode with every field matching sessions()", () => {
            solicitOk(core, { ...V, originatingEndpointId: 3, metadataEnabled: true }, { fabric: 4, peer: 0xffff_ffff_ffff_fff0n });
            offerOk(core, { videoStreams: [VIDEO], streamUsage: StreamUsage.Recording }, { fabric: 5, peer: 1n });
            const rows = decode.sessions(core.currentSessionsTlv(0));
            expect(rows.map(r => ({
                id: r.id, fabricIndex: r.fabricIndex, peerNodeId: BigInt(r.peerNodeId), peerEndpointId: r.peerEndpointId, streamUsage: r.streamUsage,
                videoStreams: r.videoStreams ?? [], audioStreams: r.audioStreams ?? [], metadataEnabled: r.metadataEnabled,
            }))).toEqual(core.sessions().map(s => ({
                id: s.id, fabricIndex: s.fabricIndex, peerNodeId: s.peerNodeId, peerEndpointId: s.peerEndpointId, streamUsage: s.streamUsage,
                videoStreams: s.videoStreams, audioStreams: s.audioStreams, metadataEnabled: s.metadataEnabled,
            })));
        });
    });

    describe("capacity (TC 2.12)", () => {
        it("capacities.sessions SolicitOffers succeed; the next is answered SUCCESS and ended with End(OutOfResources)", () => {
            fill();
            core.takeEvents();
            const before = tableState(core);
            const d = expectDecided(core, Cmd.SolicitOffer, solicitTlv({ ...V, originatingEndpointId: 7 }), Action.Respond);
            expect(decode.solicitResp(core.response())).toStrictEqual({
                webRtcSessionId: d.sessionId, deferredOffer: false, videoStreamId: VIDEO, audioStreamId: AUDIO,
            });
            expect(core.sessions()).toEqual(before.sessions);
            expect(toHex(core.currentSessionsTlv(0))).toBe(before.currentSessions);
            expect(core.streams(StreamKind.Video)).toEqual(before.video);
            expect(core.session(d.sessionId)).toBeUndefined();
            expect(core.takeEvents().events).toEqual([{ kind: EV.endQueued, sessionId: d.sessionId, reason: EndReason.OutOfResources, cause: 0 }]);
            expect(core.exports.endPendingCount()).toBe(1);
            // nothing was reserved, so there is nothing to commit
            expect(core.commitSolicitOffer(d.sessionId, false, 0)).toBe(Status.NotFound);

            expect(core.snapEnd(d.sessionId)).toBe(Status.Success);
            const snap = core.snapshot();
            expect(decode.end(snap.fields)).toEqual({ webRtcSessionId: d.sessionId, reason: EndReason.OutOfResources });
            expect(snap).toMatchObject({ command: 3, sessionId: d.sessionId, fabricIndex: FABRIC, peerNodeId: PEER, endpointId: 7 });
            expect(core.exports.endPendingCount()).toBe(0);
            expect(core.snapEnd(d.sessionId)).toBe(Status.NotFound);
        });
        it("the over-capacity response follows the echo rule (no echo for lists)", () => {
            fill();
            const d = expectDecided(core, Cmd.SolicitOffer, solicitTlv({ videoStreams: [VIDEO] }), Action.Respond);
            expect(decode.solicitResp(core.response())).toStrictEqual({ webRtcSessionId: d.sessionId, deferredOffer: false });
            expect(core.snapEnd(d.sessionId)).toBe(Status.Success);
        });
        it("a bad request at capacity still gets its own status", () => {
            fill();
            expectRefused(core, Cmd.SolicitOffer, solicitTlv({ videoStreams: [9999] }), Status.DynamicConstraintError);
            expectRefused(core, Cmd.SolicitOffer, solicitTlv({}), Status.InvalidCommand);
        });
        it("when every pending-End record is taken the over-capacity SolicitOffer → RESOURCE_EXHAUSTED", () => {
            fill();
            const overflow: number[] = [];
            for (let n = 0; n < core.capacities.pendingEnds; n++) {
                overflow.push(expectDecided(core, Cmd.SolicitOffer, solicitTlv(V), Action.Respond).sessionId);
            }
            expect(new Set(overflow).size).toBe(core.capacities.pendingEnds);
            expectRefused(core, Cmd.SolicitOffer, solicitTlv(V), Status.ResourceExhausted);
            expect(core.snapEnd(overflow[0]!)).toBe(Status.Success);
            expectDecided(core, Cmd.SolicitOffer, solicitTlv(V), Action.Respond);
            for (const id of overflow.slice(1)) expect(core.snapEnd(id)).toBe(Status.Success);
            core.takeEvents();
        });
        it("a reserved row counts against capacity", () => {
            while (core.sessions().length < core.capacities.sessions - 1) solicitOk(core, V);
            const d = expectDecided(core, Cmd.SolicitOffer, solicitTlv(V), Action.Hook);
            const o = expectDecided(core, Cmd.SolicitOffer, solicitTlv(V), Action.Respond);
            expect(core.commitSolicitOffer(d.sessionId, false, 0)).toBe(Status.Success);
            expect(core.snapEnd(o.sessionId)).toBe(Status.Success);
        });
    });

    describe("commit and abort around the hook", () => {
        it("a reserved row is invisible until its commit", () => {
            solicitOk(core, V, { fabric: 2 });
            core.takeEvents();
            const before = tableState(core);
            const d = expectDecided(core, Cmd.SolicitOffer, solicitTlv(V), Action.Hook);
            expect(core.sessions()).toEqual(before.sessions);
            expect(toHex(core.currentSessionsTlv(0))).toBe(before.currentSessions);
            expect(core.session(d.sessionId)).toBeUndefined();
            expect(core.streams(StreamKind.Video)).toEqual(before.video);
            expect(core.selfCheck(false)).toBe(0);
            expect(core.selfCheck(true)).not.toBe(0); // something is reserved: not quiescent
            expect(core.takeEvents().events).toEqual([]);

            expect(core.commitSolicitOffer(d.sessionId, true, 0)).toBe(Status.Success);
            expect(currentIds(core)).toEqual([...before.sessions.map(s => s.id), d.sessionId]);
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(2);
            expect(core.takeEvents().events).toEqual([{ kind: EV.added, sessionId: d.sessionId, reason: 0, cause: 0 }]);
            expect(core.commitSolicitOffer(d.sessionId, true, 0)).toBe(Status.NotFound);
        });
        it.each([Cmd.SolicitOffer, Cmd.ProvideOffer])("abortPending (command %i) leaves the table as it was", command => {
            offerOk(core, V, { fabric: 2 });
            core.takeEvents();
            const before = tableState(core);
            const d = expectDecided(core, command, command === Cmd.SolicitOffer ? solicitTlv(V) : offerTlv(V), Action.Hook);
            expect(core.abortPending(d.sessionId)).toBe(Status.Success);
            // only the id counter moved on: the aborted id is not reused at once
            expect({ ...tableState(core), nextId: before.nextId }).toEqual(before);
            expect(core.exports.nextId()).toBe(d.sessionId + 1);
            expect(core.commitSolicitOffer(d.sessionId, false, 0)).toBe(Status.NotFound);
            expect(core.commitProvideOffer(d.sessionId)).toBe(Status.NotFound);
            expect(core.abortPending(d.sessionId)).toBe(Status.NotFound);
        });
        it("abortPending of a live row with nothing pending → INVALID_IN_STATE, and changes nothing", () => {
            const id = offerOk(core, V).webRtcSessionId;
            const before = tableState(core);
            expect(core.abortPending(id)).toBe(Status.InvalidInState);
            expect(tableState(core)).toEqual(before);
        });
        it("rows go live in commit order", () => {
            const a = expectDecided(core, Cmd.SolicitOffer, solicitTlv(V), Action.Hook);
            const b = expectDecided(core, Cmd.ProvideOffer, offerTlv(V), Action.Hook);
            expect(core.commitProvideOffer(b.sessionId)).toBe(Status.Success);
            expect(core.commitSolicitOffer(a.sessionId, false, 0)).toBe(Status.Success);
            expect(currentIds(core)).toEqual([b.sessionId, a.sessionId]);
        });
    });

    describe("stream references", () => {
        it("+1 per session on creation, −1 on end; removal refused while referenced", () => {
            const a = solicitOk(core, V).webRtcSessionId;
            const b = offerOk(core, { videoStreams: [VIDEO] }).webRtcSessionId;
            expect(core.streams(StreamKind.Video)).toEqual([{ id: VIDEO, usage: StreamUsage.LiveView, references: 2 }]);
            expect(core.streams(StreamKind.Audio)).toEqual([{ id: AUDIO, usage: StreamUsage.LiveView, references: 1 }]);
            expect(core.removeStream(StreamKind.Video, VIDEO)).toBe(Status.InvalidInState);
            expect(core.removeStream(StreamKind.Audio, AUDIO)).toBe(Status.InvalidInState);
            end(a);
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(1);
            expect(core.removeStream(StreamKind.Audio, AUDIO)).toBe(Status.Success);
            expect(core.streamReferences(StreamKind.Audio, AUDIO)).toBe(-1);
            end(b);
            expect(core.removeStream(StreamKind.Video, VIDEO)).toBe(Status.Success);
            expect(core.removeStream(StreamKind.Video, VIDEO)).toBe(Status.NotFound);
        });
        it("takeReferenceChanges reports every count once after a change", () => {
            expect(core.takeReferenceChanges()).toBeUndefined();
            const a = solicitOk(core, V).webRtcSessionId;
            expect(core.takeReferenceChanges()).toEqual([
                { kind: StreamKind.Video, streamId: VIDEO, references: 1 },
                { kind: StreamKind.Audio, streamId: AUDIO, references: 1 },
            ]);
            expect(core.takeReferenceChanges()).toBeUndefined();
            end(a);
            expect(core.takeReferenceChanges()).toEqual([
                { kind: StreamKind.Video, streamId: VIDEO, references: 0 },
                { kind: StreamKind.Audio, streamId: AUDIO, references: 0 },
            ]);
        });
        it("a stream a reserved row or staged re-offer will use cannot be removed before the commit", () => {
            core.addStream(StreamKind.Video, 7, StreamUsage.Recording);
            const d = expectDecided(core, Cmd.ProvideOffer, offerTlv({ videoStreams: [7] }), Action.Hook);
            expect(core.removeStream(StreamKind.Video, 7)).toBe(Status.InvalidInState);
            expect(core.commitProvideOffer(d.sessionId)).toBe(Status.Success);
            expect(core.streamReferences(StreamKind.Video, 7)).toBe(1);
            core.addStream(StreamKind.Video, 8, StreamUsage.Recording);
            expectDecided(core, Cmd.ProvideOffer, offerTlv({ webRtcSessionId: d.sessionId, videoStreams: [8] }), Action.Hook);
            expect(core.removeStream(StreamKind.Video, 8)).toBe(Status.InvalidInState);
            expect(core.commitProvideOffer(d.sessionId)).toBe(Status.Success);
            expect(core.session(d.sessionId)?.videoStreams).toEqual([8]);
            expect(core.streamReferences(StreamKind.Video, 8)).toBe(1);
            expect(core.removeStream(StreamKind.Video, 7)).toBe(Status.Success);
        });
        it("the registry: duplicates, bounds and capacity", () => {
            expect(core.addStream(StreamKind.Video, VIDEO, StreamUsage.LiveView)).toBe(Status.AlreadyExists);
            expect(core.addStream(StreamKind.Video, 9, 4 as StreamUsage)).toBe(Status.ConstraintError);
            expect(core.addStream(2 as StreamKind, 9, StreamUsage.LiveView)).toBe(Status.ConstraintError);
            for (let n = 1; n < core.capacities.streamsPerKind; n++) expect(core.addStream(StreamKind.Video, 100 + n, StreamUsage.Recording)).toBe(Status.Success);
            expect(core.addStream(StreamKind.Video, 999, StreamUsage.Recording)).toBe(Status.ResourceExhausted);
            expect(core.streams(StreamKind.Video)).toHaveLength(core.capacities.streamsPerKind);
            expect(core.setStreamUsagePriorities([StreamUsage.LiveView, StreamUsage.LiveView])).toBe(Status.AlreadyExists);
            expect(core.setStreamUsagePriorities([4 as StreamUsage])).toBe(Status.ConstraintError);
            expect(core.setStreamUsagePriorities([0, 1, 2, 3, 3] as StreamUsage[])).toBe(Status.ConstraintError);
            // a refused priority list leaves the old one in force
            expectRefused(core, Cmd.SolicitOffer, solicitTlv({ ...V, streamUsage: StreamUsage.Internal }), Status.DynamicConstraintError);
            solicitOk(core, V);
        });
    });

    describe("privacy switched on at run time", () => {
        it("soft livestream ends the LiveView sessions with End(PrivacyMode) and releases their streams", () => {
            const live = solicitOk(core, { ...V, originatingEndpointId: 4 }, { fabric: 2, peer: 5n }).webRtcSessionId;
            const rec = offerOk(core, { ...V, streamUsage: StreamUsage.Recording }).webRtcSessionId;
            core.takeEvents();
            expect(core.setPrivacy(false, false, true)).toBe(1);
            expect(core.sessions().map(s => s.id)).toEqual([rec]);
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(1);
            expect(core.takeEvents().events).toEqual([
                { kind: EV.removed, sessionId: live, reason: EndReason.PrivacyMode, cause: CAUSE.provider },
                { kind: EV.endQueued, sessionId: live, reason: EndReason.PrivacyMode, cause: 0 },
            ]);
            expect(core.snapEnd(live)).toBe(Status.Success);
            expect(decode.end(core.snapshot().fields)).toEqual({ webRtcSessionId: live, reason: EndReason.PrivacyMode });
            expect(core.snapshot()).toMatchObject({ fabricIndex: 2, peerNodeId: 5n, endpointId: 4 });
        });
        it("soft recording ends Recording and Analysis sessions only; hard ends the rest", () => {
            core.setStreamUsagePriorities([StreamUsage.LiveView, StreamUsage.Recording, StreamUsage.Analysis]);
            const live = offerOk(core, V).webRtcSessionId;
            const rec = offerOk(core, { ...V, streamUsage: StreamUsage.Recording }).webRtcSessionId;
            const ana = solicitOk(core, { ...V, streamUsage: StreamUsage.Analysis }).webRtcSessionId;
            expect(core.setPrivacy(false, true, false)).toBe(2);
            expect(core.sessions().map(s => s.id)).toEqual([live]);
            expect(core.exports.endPendingCount()).toBe(2);
            expect(core.setPrivacy(false, true, false)).toBe(0);
            expect(core.setPrivacy(true, false, false)).toBe(1);
            expect(core.sessions()).toEqual([]);
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(0);
            for (const id of [rec, ana, live]) {
                expect(core.snapEnd(id)).toBe(Status.Success);
                expect(decode.end(core.snapshot().fields).reason).toBe(EndReason.PrivacyMode);
            }
            expect(core.setPrivacy(false, false, false)).toBe(0);
        });
        it("a reserved row privacy now forbids is dropped: its commit finds nothing", () => {
            const before = tableState(core);
            const d = expectDecided(core, Cmd.SolicitOffer, solicitTlv(V), Action.Hook);
            expect(core.setPrivacy(false, false, true)).toBe(0);
            expect(core.commitSolicitOffer(d.sessionId, false, 0)).toBe(Status.NotFound);
            expect({ ...tableState(core), nextId: before.nextId }).toEqual(before);
        });
    });

    describe("fabric removal", () => {
        it("purges the fabric's rows and pending Ends, releases streams, leaves other fabrics alone", () => {
            const a = solicitOk(core, V, { fabric: 1 }).webRtcSessionId;
            const b = offerOk(core, V, { fabric: 2 }).webRtcSessionId;
            const c = offerOk(core, V, { fabric: 1, peer: 3n }).webRtcSessionId;
            expect(core.endByProvider(c, EndReason.MediaTimeout)).toBe(Status.Success);
            expect(core.endByProvider(b, EndReason.LowPower)).toBe(Status.Success);
            const b2 = offerOk(core, V, { fabric: 2 }).webRtcSessionId;
            core.takeEvents();
            expect(core.removeFabric(1)).toBe(1);
            expect(core.takeEvents().events).toEqual([{ kind: EV.removed, sessionId: a, reason: EndReason.UnknownReason, cause: CAUSE.fabric }]);
            expect(currentIds(core)).toEqual([b2]);
            expect(currentIds(core, 1)).toEqual([]);
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(1);
            expect(core.exports.endPendingCount()).toBe(1);
            expect(core.snapEnd(c)).toBe(Status.NotFound);
            expect(core.snapEnd(b)).toBe(Status.Success);
            expect(core.removeFabric(1)).toBe(0);
            expect(core.removeFabric(9)).toBe(0);
        });
        it("purges a reserved row of that fabric too", () => {
            const d = expectDecided(core, Cmd.ProvideOffer, offerTlv(V), Action.Hook, 3, PEER);
            expect(core.removeFabric(3)).toBe(1);
            expect(core.commitProvideOffer(d.sessionId)).toBe(Status.NotFound);
            expect(core.takeEvents().events).toEqual([]);
        });
        it("drops the fabric's over-capacity Ends", () => {
            fill();
            const o = expectDecided(core, Cmd.SolicitOffer, solicitTlv(V), Action.Respond, 6, PEER);
            expect(core.exports.endPendingCount()).toBe(1);
            expect(core.removeFabric(6)).toBe(0);
            expect(core.exports.endPendingCount()).toBe(0);
            expect(core.snapEnd(o.sessionId)).toBe(Status.NotFound);
        });
    });

    describe("provider-initiated ends", () => {
        it("endByProvider removes the row, releases streams and queues an End with the reason", () => {
            const id = offerOk(core, { ...V, originatingEndpointId: 12 }, { fabric: 4, peer: 44n }).webRtcSessionId;
            core.takeEvents();
            expect(core.endByProvider(id, EndReason.IceFailed)).toBe(Status.Success);
            expect(core.session(id)).toBeUndefined();
            expect(core.streamReferences(StreamKind.Audio, AUDIO)).toBe(0);
            expect(core.takeEvents().events).toEqual([
                { kind: EV.removed, sessionId: id, reason: EndReason.IceFailed, cause: CAUSE.provider },
                { kind: EV.endQueued, sessionId: id, reason: EndReason.IceFailed, cause: 0 },
            ]);
            expect(core.snapEnd(id)).toBe(Status.Success);
            expect(core.snapshot()).toMatchObject({ command: 3, sessionId: id, fabricIndex: 4, peerNodeId: 44n, endpointId: 12 });
            expect(decode.end(core.snapshot().fields)).toEqual({ webRtcSessionId: id, reason: EndReason.IceFailed });
        });
        it("refuses a bad reason or a session that is not live, changing nothing", () => {
            const id = offerOk(core, V).webRtcSessionId;
            const d = expectDecided(core, Cmd.SolicitOffer, solicitTlv(V), Action.Hook);
            const before = tableState(core);
            expect(core.endByProvider(id, 13 as EndReason)).toBe(Status.ConstraintError);
            expect(core.endByProvider(id, -1 as EndReason)).toBe(Status.ConstraintError);
            expect(core.endByProvider(id + 100, EndReason.UserHangup)).toBe(Status.NotFound);
            expect(core.endByProvider(d.sessionId, EndReason.UserHangup)).toBe(Status.NotFound);
            expect(tableState(core)).toEqual(before);
            expect(core.abortPending(d.sessionId)).toBe(Status.Success);
        });
    });

    describe("deferred-offer watchdog (TC 2.11)", () => {
        it("ends a session whose Offer did not come within 30 s with End(InviteTimeout)", () => {
            const id = solicitOk(core, V, { deferred: true, now: 100 }).webRtcSessionId;
            core.takeEvents();
            expect(core.expireOffers(129)).toBe(0);
            expect(core.session(id)).toBeDefined();
            expect(core.expireOffers(130)).toBe(1);
            expect(core.session(id)).toBeUndefined();
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(0);
            expect(core.takeEvents().events).toEqual([
                { kind: EV.removed, sessionId: id, reason: EndReason.InviteTimeout, cause: CAUSE.provider },
                { kind: EV.endQueued, sessionId: id, reason: EndReason.InviteTimeout, cause: 0 },
            ]);
            expect(core.snapEnd(id)).toBe(Status.Success);
            expect(decode.end(core.snapshot().fields)).toEqual({ webRtcSessionId: id, reason: EndReason.InviteTimeout });
        });
        it("a non-deferred SolicitOffer owes its Offer too", () => {
            const id = solicitOk(core, V, { deferred: false, now: 5 }).webRtcSessionId;
            expect(core.expireOffers(34)).toBe(0);
            expect(core.expireOffers(35)).toBe(1);
            expect(core.snapEnd(id)).toBe(Status.Success);
        });
        it("an Offer snapshot clears the deadline", () => {
            const id = solicitOk(core, V, { deferred: true, now: 100 }).webRtcSessionId;
            expect(core.snapOffer(id, SDP)).toBe(Status.Success);
            expect(core.expireOffers(10_000)).toBe(0);
            expect(core.session(id)?.state).toBe("awaiting-answer");
        });
        it("ProvideOffer sessions never expire; only the overdue session goes", () => {
            const po = offerOk(core, V).webRtcSessionId;
            const early = solicitOk(core, V, { deferred: true, now: 0 }).webRtcSessionId;
            const late = solicitOk(core, { videoStreams: [VIDEO] }, { deferred: true, now: 20 }).webRtcSessionId;
            expect(core.expireOffers(40)).toBe(1);
            expect(core.sessions().map(s => s.id)).toEqual([po, late]);
            expect(core.expireOffers(50)).toBe(1);
            expect(core.sessions().map(s => s.id)).toEqual([po]);
            expect(core.expireOffers(1_000_000)).toBe(0);
            expect(core.snapEnd(early)).toBe(Status.Success);
            expect(core.snapEnd(late)).toBe(Status.Success);
        });
        it("the deadline survives the 32-bit clock wrapping", () => {
            const t = 0xffff_fff0;
            const id = solicitOk(core, V, { deferred: true, now: t }).webRtcSessionId;
            expect(core.expireOffers(t + 29 - 2 ** 32)).toBe(0);
            expect(core.expireOffers(t + 30 - 2 ** 32)).toBe(1);
            expect(core.snapEnd(id)).toBe(Status.Success);
        });
    });

    describe("events and reset", () => {
        it("takeEvents drains: a second call returns nothing", () => {
            const id = solicitOk(core, V).webRtcSessionId;
            offerOk(core, { webRtcSessionId: id });
            expect(core.takeEvents()).toEqual({
                events: [
                    { kind: EV.added, sessionId: id, reason: 0, cause: 0 },
                    { kind: EV.updated, sessionId: id, reason: 0, cause: 0 },
                ],
                overflow: false,
            });
            expect(core.takeEvents()).toEqual({ events: [], overflow: false });
        });
        it("reset returns to the state right after instantiation", () => {
            solicitOk(core, V);
            fill();
            expectDecided(core, Cmd.SolicitOffer, solicitTlv(V), Action.Respond);
            core.setPrivacy(false, true, false);
            core.reset();
            expect(core.sessions()).toEqual([]);
            expect(core.streams(StreamKind.Video)).toEqual([]);
            expect(core.exports.endPendingCount()).toBe(0);
            expect(core.exports.nextId()).toBe(1);
            expect(core.takeEvents().events).toEqual([]);
            allocateDefaultStreams(core);
            expect(solicitOk(core, { ...V, streamUsage: StreamUsage.Recording }).webRtcSessionId).toBe(1);
        });
    });
});
