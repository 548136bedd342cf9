/**
 * SolicitOffer (0x00) through `Core`, every profile: each numbered validation step of
 * chip-reference-behavior.md §b with its exact status and in the reference order (an earlier
 * step wins when two are broken), the table left untouched by every refusal, stream
 * auto-selection, the response's echo rule, and the row the session gets in CurrentSessions.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Core, StreamUsage } from "../../src/engine/index.js";
import { AUDIO, PROFILES, VIDEO, allocateDefaultStreams, freshCore } from "../support/profiles.js";
import { dataModelAccepted, dataModelRefusals } from "../support/cases.js";
import {
    Action, Cmd, FABRIC, PEER, Status, StreamKind, decode, expectDecided, expectRefused, solicitOk, solicitTlv, tableState,
    type SolicitW,
} from "../support/wire.js";

const V = { videoStreamId: VIDEO, audioStreamId: AUDIO };

describe.each(PROFILES)("SolicitOffer [%s]", profile => {
    let core: Core;
    /** A live session of another fabric, so "unchanged" compares a non-empty table. */
    let background: number;
    beforeEach(async () => {
        core = await freshCore(profile);
        allocateDefaultStreams(core);
        background = solicitOk(core, V, { fabric: 2, peer: 77n }).webRtcSessionId;
        core.takeEvents();
    });
    afterEach(() => {
        expect(core.selfCheck()).toBe(0);
    });

    const refuse = (fields: SolicitW, status: number) => expectRefused(core, Cmd.SolicitOffer, solicitTlv(fields), status);

    describe("steps 1–5: data-model constraints", () => {
        it.each(dataModelRefusals)("$name", ({ fields, status }) => refuse(fields, status));
        it.each(dataModelAccepted)("accepted: $name", ({ fields }) => {
            const r = solicitOk(core, fields);
            expect(core.session(r.webRtcSessionId)?.state).toBe("awaiting-answer");
        });
        it("data-model errors come before privacy (steps 4/5 before 6)", () => {
            core.setPrivacy(true, false, false);
            refuse({ ...V, iceServers: Array.from({ length: 11 }, () => ({ urLs: ["stun:a"] })) }, Status.ConstraintError);
            refuse({ ...V, iceTransportPolicy: "x".repeat(17) }, Status.ConstraintError);
            refuse({ ...V, streamUsage: 4 }, Status.ConstraintError);
            refuse({}, Status.InvalidCommand);
        });
    });

    describe("step 6: privacy, before the priorities check", () => {
        it("HardPrivacyModeOn refuses every usage with INVALID_IN_STATE", () => {
            core.setPrivacy(true, false, false);
            for (const usage of [0, 1, 2, 3]) refuse({ ...V, streamUsage: usage }, Status.InvalidInState);
        });
        it("SoftLivestream refuses LiveView only", () => {
            core.setPrivacy(false, false, true);
            refuse(V, Status.InvalidInState);
            refuse({ videoStreams: [VIDEO], audioStreams: [AUDIO] }, Status.InvalidInState);
            const r = solicitOk(core, { ...V, streamUsage: StreamUsage.Recording });
            expect(core.session(r.webRtcSessionId)?.streamUsage).toBe(StreamUsage.Recording);
        });
        it("SoftRecording refuses Recording and Analysis, lets LiveView through (TC 2.8)", () => {
            core.setPrivacy(false, true, false);
            refuse({ ...V, streamUsage: StreamUsage.Recording }, Status.InvalidInState);
            // Analysis is not in StreamUsagePriorities, yet privacy answers first: IIS, not DCE
            refuse({ ...V, streamUsage: StreamUsage.Analysis }, Status.InvalidInState);
            solicitOk(core, V);
        });
        it("privacy comes before stream validation and the scalar/list rule", () => {
            core.setPrivacy(false, false, true);
            refuse({ videoStreamId: 9999 }, Status.InvalidInState);
            refuse({ videoStreamId: VIDEO, videoStreams: [VIDEO] }, Status.InvalidInState);
        });
        it("turning privacy off again lets the same request through (TC 2.1 steps 5–6)", () => {
            core.setPrivacy(false, false, true);
            refuse({ videoStreamId: null, audioStreamId: null }, Status.InvalidInState);
            core.setPrivacy(false, false, false);
            solicitOk(core, { videoStreamId: null, audioStreamId: null }, { deferred: true });
        });
    });

    describe("step 7: StreamUsagePriorities", () => {
        it("a usage not in the priorities → DYNAMIC_CONSTRAINT_ERROR", () => {
            refuse({ ...V, streamUsage: StreamUsage.Internal }, Status.DynamicConstraintError);
            refuse({ ...V, streamUsage: StreamUsage.Analysis }, Status.DynamicConstraintError);
        });
        it("a supported usage other than the streams' own allocation usage is accepted (TC 2.5 step 8)", () => {
            const r = solicitOk(core, { ...V, streamUsage: StreamUsage.Recording });
            expect(core.session(r.webRtcSessionId)?.streamUsage).toBe(StreamUsage.Recording);
        });
        it("no priorities at all refuses every usage", () => {
            expect(core.setStreamUsagePriorities([])).toBe(Status.Success);
            refuse(V, Status.DynamicConstraintError);
        });
        it("the priorities check comes before the scalar/list rule and stream ids", () => {
            refuse({ streamUsage: StreamUsage.Internal, videoStreamId: VIDEO, videoStreams: [VIDEO] }, Status.DynamicConstraintError);
            refuse({ streamUsage: StreamUsage.Internal, videoStreamId: 9999 }, Status.DynamicConstraintError);
        });
    });

    describe("step 8: scalars together with lists", () => {
        it.each<[string, SolicitW]>([
            ["VideoStreamID with VideoStreams (TC 2.27 2a)", { videoStreamId: VIDEO, videoStreams: [VIDEO] }],
            ["AudioStreamID with AudioStreams", { audioStreamId: AUDIO, audioStreams: [AUDIO] }],
            ["VideoStreamID with AudioStreams", { videoStreamId: VIDEO, audioStreams: [AUDIO] }],
            ["null AudioStreamID with VideoStreams", { audioStreamId: null, videoStreams: [VIDEO] }],
        ])("%s → INVALID_COMMAND", (_, fields) => refuse(fields, Status.InvalidCommand));
        it("comes before stream validation", () => {
            refuse({ videoStreamId: 9999, videoStreams: [9999] }, Status.InvalidCommand);
        });
    });

    describe("step 10: scalar stream ids", () => {
        it("an id not allocated → DYNAMIC_CONSTRAINT_ERROR (TC 2.1 steps 3–4)", () => {
            refuse({ videoStreamId: 9999 }, Status.DynamicConstraintError);
            refuse({ audioStreamId: 9999 }, Status.DynamicConstraintError);
            refuse({ videoStreamId: VIDEO, audioStreamId: 9999 }, Status.DynamicConstraintError);
            refuse({ videoStreamId: VIDEO + 1, audioStreamId: AUDIO }, Status.DynamicConstraintError);
        });
        it("null with nothing of that kind allocated → INVALID_IN_STATE (TC 2.5 steps 3 and 5)", async () => {
            const bare = await freshCore(profile);
            bare.setStreamUsagePriorities([StreamUsage.LiveView]);
            expectRefused(bare, Cmd.SolicitOffer, solicitTlv({ videoStreamId: null, audioStreamId: null }), Status.InvalidInState);
            expectRefused(bare, Cmd.SolicitOffer, solicitTlv({ audioStreamId: null }), Status.InvalidInState);
            bare.addStream(StreamKind.Video, VIDEO, StreamUsage.LiveView);
            expectRefused(bare, Cmd.SolicitOffer, solicitTlv({ videoStreamId: VIDEO, audioStreamId: null }), Status.InvalidInState);
            // video is checked before audio
            expectRefused(bare, Cmd.SolicitOffer, solicitTlv({ videoStreamId: 9999, audioStreamId: null }), Status.DynamicConstraintError);
            bare.addStream(StreamKind.Audio, AUDIO, StreamUsage.LiveView);
            const d = expectDecided(bare, Cmd.SolicitOffer, solicitTlv({ videoStreamId: VIDEO, audioStreamId: null }), Action.Hook);
            expect(bare.commitSolicitOffer(d.sessionId, false, 0)).toBe(Status.Success);
            expect(bare.selfCheck()).toBe(0);
        });
        it("video null with no video allocated wins over an unknown audio id (video first)", async () => {
            const bare = await freshCore(profile);
            bare.setStreamUsagePriorities([StreamUsage.LiveView]);
            bare.addStream(StreamKind.Audio, AUDIO, StreamUsage.LiveView);
            expectRefused(bare, Cmd.SolicitOffer, solicitTlv({ videoStreamId: null, audioStreamId: 9999 }), Status.InvalidInState);
        });
    });

    describe("step 11: rev-2 stream lists", () => {
        it("an unknown id → DYNAMIC_CONSTRAINT_ERROR (TC 2.27 steps 3–4)", () => {
            refuse({ videoStreams: [9999] }, Status.DynamicConstraintError);
            refuse({ audioStreams: [9999] }, Status.DynamicConstraintError);
            refuse({ videoStreams: [VIDEO, 9999] }, Status.DynamicConstraintError);
            refuse({ videoStreams: [9999], audioStreams: [AUDIO] }, Status.DynamicConstraintError);
        });
        it("a duplicate → ALREADY_EXISTS, checked before unknown ids (TC 2.27 3a/4a)", () => {
            refuse({ videoStreams: [VIDEO, VIDEO] }, Status.AlreadyExists);
            refuse({ audioStreams: [AUDIO, AUDIO] }, Status.AlreadyExists);
            refuse({ videoStreams: [9999, VIDEO, 9999] }, Status.AlreadyExists);
            refuse({ videoStreams: [9999, 8888, 8888] }, Status.AlreadyExists);
        });
        it("video list is checked before audio list", () => {
            refuse({ videoStreams: [9999], audioStreams: [AUDIO, AUDIO] }, Status.DynamicConstraintError);
            refuse({ videoStreams: [VIDEO, VIDEO], audioStreams: [9999] }, Status.AlreadyExists);
        });
        it("a list with nothing of that kind allocated → INVALID_IN_STATE", async () => {
            const bare = await freshCore(profile);
            bare.setStreamUsagePriorities([StreamUsage.LiveView]);
            bare.addStream(StreamKind.Video, VIDEO, StreamUsage.LiveView);
            expectRefused(bare, Cmd.SolicitOffer, solicitTlv({ audioStreams: [AUDIO] }), Status.InvalidInState);
            expectRefused(bare, Cmd.SolicitOffer, solicitTlv({ audioStreams: [AUDIO, AUDIO] }), Status.InvalidInState);
            expectRefused(bare, Cmd.SolicitOffer, solicitTlv({ videoStreams: [VIDEO], audioStreams: [9999] }), Status.InvalidInState);
        });
        it("several allocated streams in one list are all kept, in request order", () => {
            core.addStream(StreamKind.Video, 7, StreamUsage.Recording);
            const r = solicitOk(core, { videoStreams: [7, VIDEO], audioStreams: [AUDIO] });
            expect(core.session(r.webRtcSessionId)).toMatchObject({ videoStreams: [7, VIDEO], audioStreams: [AUDIO] });
            expect(core.streamReferences(StreamKind.Video, 7)).toBe(1);
        });
    });

    describe("step 13: turns:/stuns: without UTC time", () => {
        it.each(["turns:turn.example.com:5349", "stuns:stun.example.com:5349"])("%s with UTCTime null → INVALID_IN_STATE", url => {
            core.setUtcTimeNull(true);
            refuse({ ...V, iceServers: [{ urLs: ["stun:plain"] }, { urLs: ["turn:a", url] }] }, Status.InvalidInState);
        });
        it("plain stun:/turn: and upper-case schemes are fine with UTCTime null", () => {
            core.setUtcTimeNull(true);
            solicitOk(core, { ...V, iceServers: [{ urLs: ["stun:a", "turn:b", "TURNS:c", "STUNS:d"] }] });
        });
        it("turns: is fine once UTCTime is known", () => {
            core.setUtcTimeNull(true);
            refuse({ ...V, iceServers: [{ urLs: ["turns:a"] }] }, Status.InvalidInState);
            core.setUtcTimeNull(false);
            solicitOk(core, { ...V, iceServers: [{ urLs: ["turns:a"] }] });
        });
        it("comes after stream validation", () => {
            core.setUtcTimeNull(true);
            refuse({ videoStreams: [9999], iceServers: [{ urLs: ["turns:a"] }] }, Status.DynamicConstraintError);
        });
    });

    describe("step 14: auto-selection of null ids", () => {
        it("prefers a stream whose usage matches exactly, else the first allocated (TC 2.5 step 10)", async () => {
            const c = await freshCore(profile);
            c.setStreamUsagePriorities([StreamUsage.LiveView, StreamUsage.Recording, StreamUsage.Analysis]);
            c.addStream(StreamKind.Video, 10, StreamUsage.Internal);
            c.addStream(StreamKind.Video, 11, StreamUsage.LiveView);
            c.addStream(StreamKind.Video, 12, StreamUsage.Recording);
            c.addStream(StreamKind.Audio, 20, StreamUsage.Recording);
            c.addStream(StreamKind.Audio, 21, StreamUsage.LiveView);
            const live = solicitOk(c, { videoStreamId: null, audioStreamId: null });
            expect(live).toMatchObject({ videoStreamId: 11, audioStreamId: 21 });
            const rec = solicitOk(c, { streamUsage: StreamUsage.Recording, videoStreamId: null, audioStreamId: null });
            expect(rec).toMatchObject({ videoStreamId: 12, audioStreamId: 20 });
            // nothing allocated for Analysis: the first allocated stream of each kind
            const ana = solicitOk(c, { streamUsage: StreamUsage.Analysis, videoStreamId: null, audioStreamId: null });
            expect(ana).toMatchObject({ videoStreamId: 10, audioStreamId: 20 });
            expect(c.session(ana.webRtcSessionId)).toMatchObject({ videoStreams: [10], audioStreams: [20] });
            expect(c.selfCheck()).toBe(0);
        });
        it("a request with only one kind selects only that kind", () => {
            const r = solicitOk(core, { videoStreamId: null });
            expect(core.session(r.webRtcSessionId)).toMatchObject({ videoStreams: [VIDEO], audioStreams: [] });
        });
    });

    describe("step 19: the response", () => {
        it("echoes VideoStreamID/AudioStreamID iff the request had the scalar field, with the resolved value", () => {
            const both = solicitOk(core, { videoStreamId: null, audioStreamId: AUDIO });
            expect(both).toStrictEqual({ webRtcSessionId: both.webRtcSessionId, deferredOffer: false, videoStreamId: VIDEO, audioStreamId: AUDIO });
            const video = solicitOk(core, { videoStreamId: VIDEO }, { deferred: true });
            expect(video).toStrictEqual({ webRtcSessionId: video.webRtcSessionId, deferredOffer: true, videoStreamId: VIDEO });
        });
        it("gives no stream fields for list requests", async () => {
            const r = solicitOk(core, { videoStreams: [VIDEO], audioStreams: [AUDIO] });
            expect(r).toStrictEqual({ webRtcSessionId: r.webRtcSessionId, deferredOffer: false });
            const audioOnly = await freshCore(profile);
            allocateDefaultStreams(audioOnly);
            expect(solicitOk(audioOnly, { audioStreamId: null })).toStrictEqual({ webRtcSessionId: 1, deferredOffer: false, audioStreamId: AUDIO });
        });
        it("DeferredOffer is the hook's answer, and the state follows it", () => {
            const d = solicitOk(core, V, { deferred: true });
            expect(d.deferredOffer).toBe(true);
            expect(core.session(d.webRtcSessionId)?.state).toBe("awaiting-deferred-offer");
            const n = solicitOk(core, V, { deferred: false });
            expect(n.deferredOffer).toBe(false);
            expect(core.session(n.webRtcSessionId)?.state).toBe("awaiting-answer");
        });
    });

    describe("the session row", () => {
        it("has the caller's peer and fabric, PeerEndpointID = OriginatingEndpointID, and both lists (TC 2.10, 2.32)", () => {
            const r = solicitOk(core, { originatingEndpointId: 5, videoStreamId: VIDEO, audioStreamId: AUDIO, metadataEnabled: true }, { fabric: 3, peer: 0xfedcba9876543210n });
            const rows = decode.sessions(core.currentSessionsTlv(3));
            expect(rows).toHaveLength(1);
            expect(rows[0]).toMatchObject({
                id: r.webRtcSessionId,
                peerNodeId: 0xfedcba9876543210n,
                peerEndpointId: 5,
                streamUsage: StreamUsage.LiveView,
                videoStreamId: VIDEO,
                audioStreamId: AUDIO,
                videoStreams: [VIDEO],
                audioStreams: [AUDIO],
                fabricIndex: 3,
            });
            expect(core.session(r.webRtcSessionId)).toMatchObject({ fabricIndex: 3, peerNodeId: 0xfedcba9876543210n, metadataEnabled: true });
        });
        it("a list request fills the deprecated scalars with the first list entry", () => {
            core.addStream(StreamKind.Video, 7, StreamUsage.Recording);
            const r = solicitOk(core, { videoStreams: [7, VIDEO] });
            const row = decode.sessions(core.currentSessionsTlv(FABRIC)).find(s => s.id === r.webRtcSessionId);
            expect(row).toMatchObject({ videoStreamId: 7, audioStreamId: null, videoStreams: [7, VIDEO] });
            expect(row?.audioStreams).toBeUndefined();
        });
        it("takes one reference per stream and reports the addition", () => {
            const before = core.streamReferences(StreamKind.Video, VIDEO);
            const r = solicitOk(core, V);
            expect(core.streamReferences(StreamKind.Video, VIDEO)).toBe(before + 1);
            expect(core.streamReferences(StreamKind.Audio, AUDIO)).toBe(before + 1);
            expect(core.takeEvents().events).toEqual([{ kind: 1, sessionId: r.webRtcSessionId, reason: 0, cause: 0 }]);
        });
        it("hands the media hook the request's parameters", () => {
            const d = expectDecided(core, Cmd.SolicitOffer, solicitTlv({
                ...V,
                originatingEndpointId: 9,
                iceServers: [{ urLs: ["stun:a", "turn:b"], username: "user", credential: "pw", caid: 4 }, { urLs: ["stun:c"] }],
                iceTransportPolicy: "relay",
            }), Action.Hook, FABRIC, PEER);
            expect(core.offerParams(d.sessionId, FABRIC, PEER)).toEqual({
                sessionId: d.sessionId,
                fabricIndex: FABRIC,
                peerNodeId: PEER,
                streamUsage: StreamUsage.LiveView,
                originatingEndpointId: 9,
                videoStreams: [VIDEO],
                audioStreams: [AUDIO],
                metadataEnabled: false,
                reoffer: false,
                iceServers: [{ urls: ["stun:a", "turn:b"], username: "user", credential: "pw", caid: 4 }, { urls: ["stun:c"] }],
                iceTransportPolicy: "relay",
            });
            expect(core.commitSolicitOffer(d.sessionId, false, 0)).toBe(Status.Success);
        });
        it("refusals leave the background session and its references alone", () => {
            const before = tableState(core);
            refuse({ videoStreams: [9999] }, Status.DynamicConstraintError);
            expect(tableState(core)).toEqual(before);
            expect(core.sessions().map(s => s.id)).toEqual([background]);
        });
    });
});
