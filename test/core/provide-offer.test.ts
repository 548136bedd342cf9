/**
 * ProvideOffer (0x02) through `Core`, every profile. New sessions (null id): the same data-model
 * steps as SolicitOffer, then privacy → priorities → scalar/list rule → stream ids → lists →
 * turns:/stuns:, capacity (RESOURCE_EXHAUSTED, TC 2.16) and SDP size. Re-offers (an existing id):
 * only the owner's session (else NOT_FOUND), no privacy / priority / UTC checks, the same id,
 * updated in place in its insertion-order place, references moved. Every refusal leaves the table
 * as it was.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Core, StreamUsage } from "../../src/engine/index.js";
import { AUDIO, PROFILES, VIDEO, allocateDefaultStreams, freshCore } from "../support/profiles.js";
import { dataModelAccepted, dataModelRefusals } from "../support/cases.js";
import {
    Action, Cmd, FABRIC, PEER, SDP, Status, StreamKind, currentIds, decode, expectDecided, expectRefused, offerOk, offerTlv,
    solicitOk, tableState, type OfferW,
} from "../support/wire.js";

const V = { videoStreamId: VIDEO, audioStreamId: AUDIO };

describe.each(PROFILES)("ProvideOffer [%s]", profile => {
    let core: Core;
    let background: number;
    beforeEach(async () => {
        core = await freshCore(profile);
        allocateDefaultStreams(core);
        background = offerOk(core, V, { fabric: 2, peer: 77n }).webRtcSessionId;
        core.takeEvents();
    });
    afterEach(() => {
        expect(core.selfCheck()).toBe(0);
    });

    const refuse = (fields: OfferW, status: number, fabric = FABRIC, peer = PEER) =>
        expectRefused(core, Cmd.ProvideOffer, offerTlv(fields), status, fabric, peer);

    describe("new session: steps 1–5", () => {
        it.each(dataModelRefusals)("$name", ({ fields, status }) => refuse(fields, status));
        it.each(dataModelAccepted)("accepted: $name", ({ fields }) => {
            const r = offerOk(core, fields);
            expect(core.session(r.webRtcSessionId)?.state).toBe("established");
        });
        it("no stream field with no streams allocated is still INVALID_COMMAND (TC 2.3 step 2)", async () => {
            const bare = await freshCore(profile);
            expectRefused(bare, Cmd.ProvideOffer, offerTlv({}), Status.InvalidCommand);
        });
    });

    describe("new session: steps 7 onwards", () => {
        it("privacy: hard, soft-livestream with LiveView, soft-recording with Recording/Analysis → INVALID_IN_STATE (TC 2.13, 2.14)", () => {
            core.setPrivacy(true, false, false);
            refuse(V, Status.InvalidInState);
            refuse({ ...V, streamUsage: StreamUsage.Recording }, Status.InvalidInState);
            core.setPrivacy(false, false, true);
            refuse(V, Status.InvalidInState);
            refuse({ videoStreams: [VIDEO] }, Status.InvalidInState);
            offerOk(core, { ...V, streamUsage: StreamUsage.Recording });
            core.setPrivacy(false, true, false);
            refuse({ ...V, streamUsage: StreamUsage.Recording }, Status.InvalidInState);
            refuse({ ...V, streamUsage: StreamUsage.Analysis }, Status.InvalidInState);
            offerOk(core, V);
        });
        it("privacy is checked before the priorities", () => {
            core.setPrivacy(false, true, false);
            refuse({ ...V, streamUsage: StreamUsage.Analysis }, Status.InvalidInState);
            core.setPrivacy(false, false, false);
            refuse({ ...V, streamUsage: StreamUsage.Analysis }, Status.DynamicConstraintError);
        });
        it("usage not in the priorities → DYNAMIC_CONSTRAINT_ERROR, before the scalar/list rule", () => {
            refuse({ ...V, streamUsage: StreamUsage.Internal }, Status.DynamicConstraintError);
            refuse({ streamUsage: StreamUsage.Internal, videoStreamId: VIDEO, videoStreams: [VIDEO] }, Status.DynamicConstraintError);
        });
        it("scalars with lists → INVALID_COMMAND, before stream ids", () => {
            refuse({ videoStreamId: VIDEO, videoStreams: [VIDEO] }, Status.InvalidCommand);
            refuse({ audioStreamId: 9999, videoStreams: [9999] }, Status.InvalidCommand);
        });
        it("scalar ids: unknown → DCE, video before audio (TC 2.3 steps 5–6)", () => {
            refuse({ videoStreamId: VIDEO + 1, audioStreamId: AUDIO }, Status.DynamicConstraintError);
            refuse({ videoStreamId: VIDEO, audioStreamId: AUDIO + 1 }, Status.DynamicConstraintError);
        });
        it("null ids with nothing allocated → INVALID_IN_STATE (TC 2.3 step 3)", async () => {
            const bare = await freshCore(profile);
            bare.setStreamUsagePriorities([StreamUsage.LiveView]);
            expectRefused(bare, Cmd.ProvideOffer, offerTlv({ videoStreamId: null, audioStreamId: null }), Status.InvalidInState);
            expectRefused(bare, Cmd.ProvideOffer, offerTlv({ videoStreams: [VIDEO] }), Status.InvalidInState);
        });
        it("lists: unknown → DCE, duplicate → ALREADY_EXISTS (TC 2.29)", () => {
            refuse({ videoStreams: [9999] }, Status.DynamicConstraintError);
            refuse({ videoStreams: [VIDEO, VIDEO] }, Status.AlreadyExists);
            refuse({ audioStreams: [9999] }, Status.DynamicConstraintError);
            refuse({ audioStreams: [AUDIO, AUDIO] }, Status.AlreadyExists);
            refuse({ videoStreams: [9999], audioStreams: [AUDIO] }, Status.DynamicConstraintError);
        });
        it("turns:/stuns: with UTCTime null → INVALID_IN_STATE, after stream validation", () => {
            core.setUtcTimeNull(true);
            refuse({ ...V, iceServers: [{ urLs: ["stuns:a"] }] }, Status.InvalidInState);
            refuse({ videoStreams: [9999], iceServers: [{ urLs: ["turns:a"] }] }, Status.DynamicConstraintError);
            offerOk(core, { ...V, iceServers: [{ urLs: ["stun:a"] }] });
        });
        it("auto-selects null ids and echoes them; list requests get no echo (TC 2.4 step 4)", () => {
            expect(offerOk(core, { videoStreamId: null, audioStreamId: null })).toStrictEqual({
                webRtcSessionId: expect.any(Number), videoStreamId: VIDEO, audioStreamId: AUDIO,
            });
            const v = offerOk(core, { audioStreamId: AUDIO });
            expect(v).toStrictEqual({ webRtcSessionId: v.webRtcSessionId, audioStreamId: AUDIO });
        });
        it("lists get no echo but fill CurrentSessions", async () => {
            const c = await freshCore(profile);
            allocateDefaultStreams(c);
            const r = offerOk(c, { videoStreams: [VIDEO], audioStreams: [AUDIO] });
            expect(r).toStrictEqual({ webRtcSessionId: 1 });
            expect(decode.sessions(c.currentSessionsTlv(FABRIC))[0]).toMatchObject({ id: 1, videoStreams: [VIDEO], audioStreams: [AUDIO] });
        });
        it("PeerEndpointID is the OriginatingEndpointID (TC 2.15) and the hook gets the SDP", () => {
            const d = expectDecided(core, Cmd.ProvideOffer, offerTlv({ ...V, originatingEndpointId: 2, sdp: "v=0\r\nm=video 9\r\n" }), Action.Hook);
            expect(core.sdp()).toBe("v=0\r\nm=video 9\r\n");
            expect(core.offerParams(d.sessionId, FABRIC, PEER)).toMatchObject({ originatingEndpointId: 2, reoffer: false, videoStreams: [VIDEO] });
            expect(core.commitProvideOffer(d.sessionId)).toBe(Status.Success);
            expect(decode.sessions(core.currentSessionsTlv(FABRIC))[0]).toMatchObject({ id: d.sessionId, peerEndpointId: 2 });
        });
        it("goes live as established and takes references", () => {
            const r = offerOk(core, V);
            expect(core.session(r.webRtcSessionId)?.state).toBe("established");
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(2);
            expect(core.streamReferences(StreamKind.Audio, AUDIO)).toBe(2);
        });
    });

    describe("capacity and sizes", () => {
        it("capacities.sessions sessions fit; the next new ProvideOffer → RESOURCE_EXHAUSTED (TC 2.16)", () => {
            for (let n = 1; n < core.capacities.sessions; n++) offerOk(core, V);
            expect(core.sessions()).toHaveLength(core.capacities.sessions);
            refuse(V, Status.ResourceExhausted);
            expect(core.exports.endPendingCount()).toBe(0);
        });
        it("a reserved row (hook still running) holds its capacity", () => {
            for (let n = 2; n < core.capacities.sessions; n++) offerOk(core, V);
            const d = expectDecided(core, Cmd.ProvideOffer, offerTlv(V), Action.Hook);
            refuse(V, Status.ResourceExhausted);
            expect(core.abortPending(d.sessionId)).toBe(Status.Success);
            offerOk(core, V);
        });
        it("an SDP of capacities.sdpLen bytes is taken; one byte more → RESOURCE_EXHAUSTED", () => {
            const max = core.capacities.sdpLen;
            const d = expectDecided(core, Cmd.ProvideOffer, offerTlv({ ...V, sdp: "a".repeat(max) }), Action.Hook);
            expect(core.sdp()).toHaveLength(max);
            expect(core.abortPending(d.sessionId)).toBe(Status.Success);
            refuse({ ...V, sdp: "a".repeat(max + 1) }, Status.ResourceExhausted);
        });
        it("a multi-byte SDP is measured in bytes", () => {
            const max = core.capacities.sdpLen;
            refuse({ ...V, sdp: "é".repeat(max / 2) + "a" }, Status.ResourceExhausted);
            const d = expectDecided(core, Cmd.ProvideOffer, offerTlv({ ...V, sdp: "é".repeat(max / 2) }), Action.Hook);
            expect(core.sdp()).toBe("é".repeat(max / 2));
            expect(core.abortPending(d.sessionId)).toBe(Status.Success);
        });
    });

    describe("re-offer (existing id)", () => {
        let id: number;
        beforeEach(() => {
            id = offerOk(core, V).webRtcSessionId;
            core.takeEvents();
        });

        it("an unknown id → NOT_FOUND (TC 2.30, 2.4 step 3)", () => {
            refuse({ webRtcSessionId: id + 1, ...V }, Status.NotFound);
            refuse({ webRtcSessionId: 9999, videoStreams: [VIDEO] }, Status.NotFound);
        });
        it("another fabric's or another peer's session → NOT_FOUND", () => {
            refuse({ webRtcSessionId: background, ...V }, Status.NotFound);
            refuse({ webRtcSessionId: id, ...V }, Status.NotFound, 2, 77n);
            refuse({ webRtcSessionId: id, ...V }, Status.NotFound, FABRIC, PEER + 1n);
            refuse({ webRtcSessionId: id, ...V }, Status.NotFound, 2, PEER);
        });
        it("answers with the same id and the same echoed streams (TC 2.4 step 7)", () => {
            expect(offerOk(core, { webRtcSessionId: id, ...V })).toStrictEqual({ webRtcSessionId: id, videoStreamId: VIDEO, audioStreamId: AUDIO });
            expect(core.takeEvents().events).toEqual([{ kind: 2, sessionId: id, reason: 0, cause: 0 }]);
            expect(core.sessions().filter(s => s.id === id)).toHaveLength(1);
        });
        it("needs neither StreamUsage nor OriginatingEndpointID nor streams, and keeps them", () => {
            const r = offerOk(core, { webRtcSessionId: id, streamUsage: undefined, originatingEndpointId: undefined });
            expect(r).toStrictEqual({ webRtcSessionId: id });
            expect(core.session(id)).toMatchObject({ streamUsage: StreamUsage.LiveView, peerEndpointId: 1, videoStreams: [VIDEO], audioStreams: [AUDIO] });
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(2);
        });
        it("keeps MetadataEnabled, a new-session-only field, unless the re-offer carries it", () => {
            const m = offerOk(core, { ...V, metadataEnabled: true }).webRtcSessionId;
            offerOk(core, { webRtcSessionId: m });
            expect(core.session(m)?.metadataEnabled).toBe(true);
            expect(decode.sessions(core.currentSessionsTlv(FABRIC)).find(s => s.id === m)?.metadataEnabled).toBe(true);
            offerOk(core, { webRtcSessionId: m, metadataEnabled: false });
            expect(core.session(m)?.metadataEnabled).toBe(false);
        });
        it("skips the privacy, priority and UTC checks", () => {
            core.setUtcTimeNull(true);
            core.setPrivacy(false, true, false);
            expect(core.session(id)).toBeDefined();
            // Analysis is unsupported and blocked by soft-recording privacy: a new session could not have it
            const r = offerOk(core, { webRtcSessionId: id, streamUsage: StreamUsage.Analysis, iceServers: [{ urLs: ["turns:a"] }] });
            expect(r.webRtcSessionId).toBe(id);
            expect(core.session(id)?.streamUsage).toBe(StreamUsage.Analysis);
        });
        it("works at capacity (no capacity check)", () => {
            while (core.sessions().length < core.capacities.sessions) offerOk(core, V);
            refuse(V, Status.ResourceExhausted);
            expect(offerOk(core, { webRtcSessionId: id }).webRtcSessionId).toBe(id);
        });
        it("updates in place, keeping the insertion order", () => {
            const later = offerOk(core, V).webRtcSessionId;
            expect(currentIds(core)).toEqual([background, id, later]);
            offerOk(core, { webRtcSessionId: id, originatingEndpointId: 4, streamUsage: StreamUsage.Recording });
            expect(currentIds(core)).toEqual([background, id, later]);
            expect(core.session(id)).toMatchObject({ peerEndpointId: 4, streamUsage: StreamUsage.Recording, state: "established" });
        });
        it("moves the stream references to the new streams", () => {
            core.addStream(StreamKind.Video, 7, StreamUsage.Recording);
            offerOk(core, { webRtcSessionId: id, videoStreams: [7] });
            expect(core.session(id)).toMatchObject({ videoStreams: [7], audioStreams: [] });
            expect(core.streamReferences(StreamKind.Video, 7)).toBe(1);
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(1); // the background session's
            expect(core.streamReferences(StreamKind.Audio, AUDIO)).toBe(1);
            const r = offerOk(core, { webRtcSessionId: id, videoStreamId: null, audioStreamId: AUDIO });
            expect(r).toStrictEqual({ webRtcSessionId: id, videoStreamId: VIDEO, audioStreamId: AUDIO });
            expect(core.streamReferences(StreamKind.Video, 7)).toBe(0);
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(2);
            expect(core.removeStream(StreamKind.Video, 7)).toBe(Status.Success);
        });
        it("still validates the stream fields it is given", () => {
            refuse({ webRtcSessionId: id, videoStreams: [9999] }, Status.DynamicConstraintError);
            refuse({ webRtcSessionId: id, videoStreams: [VIDEO, VIDEO] }, Status.AlreadyExists);
            refuse({ webRtcSessionId: id, videoStreamId: VIDEO, audioStreams: [AUDIO] }, Status.InvalidCommand);
            refuse({ webRtcSessionId: id, videoStreamId: 9999 }, Status.DynamicConstraintError);
        });
        it("runs the data-model checks", () => {
            refuse({ webRtcSessionId: id, streamUsage: 4 }, Status.ConstraintError);
            refuse({ webRtcSessionId: id, iceTransportPolicy: "x".repeat(17) }, Status.ConstraintError);
            refuse({ webRtcSessionId: id, sdp: "a".repeat(core.capacities.sdpLen + 1) }, Status.ResourceExhausted);
        });
        it("a second re-offer while the first one's hook runs → INVALID_IN_STATE", () => {
            const d = expectDecided(core, Cmd.ProvideOffer, offerTlv({ webRtcSessionId: id }), Action.Hook);
            expect(d.sessionId).toBe(id);
            expect(core.offerParams(id, FABRIC, PEER).reoffer).toBe(true);
            refuse({ webRtcSessionId: id }, Status.InvalidInState);
            expect(core.commitProvideOffer(id)).toBe(Status.Success);
        });
        it("abortPending drops the staged re-offer and leaves the row as it was", () => {
            core.addStream(StreamKind.Video, 7, StreamUsage.Recording);
            const before = tableState(core);
            const d = expectDecided(core, Cmd.ProvideOffer, offerTlv({ webRtcSessionId: id, videoStreams: [7], streamUsage: StreamUsage.Recording }), Action.Hook);
            expect(core.abortPending(d.sessionId)).toBe(Status.Success);
            expect(tableState(core)).toEqual(before);
            // and a later re-offer goes through
            expect(offerOk(core, { webRtcSessionId: id }).webRtcSessionId).toBe(id);
        });
        it("a re-offer of a session still waiting for its deferred offer makes it established", () => {
            const s = solicitOk(core, V, { deferred: true }).webRtcSessionId;
            expect(offerOk(core, { webRtcSessionId: s, sdp: SDP }).webRtcSessionId).toBe(s);
            expect(core.session(s)?.state).toBe("established");
            // the offer is no longer owed, so the deadline no longer applies
            expect(core.expireOffers(1000)).toBe(0);
        });
    });
});
