/**
 * `WebRtcEngine.setStreamContext` (default profile): it mirrors CameraAvStreamManagement into the
 * core — allocated video/audio streams added and removed, StreamUsagePriorities, UTCTime null —
 * refuses (throws) to remove a stream a session uses, and turning privacy on ends the affected
 * sessions (SessionChange removed with PrivacyMode/provider, End(PrivacyMode) queued and drained,
 * onEndSession called). `onStreamReferences` listeners get the counts as sessions take and
 * release streams.
 */

import { beforeEach, describe, expect, test } from "vitest";
import {
    EndReason,
    ProviderCommand,
    RequestorCommand,
    Status,
    StreamKind,
    StreamUsage,
    WebRtcError,
} from "../../src/engine/index.js";
import { AUDIO, VIDEO } from "../support/profiles.js";
import { caller } from "../support/callers.js";
import { drainAll, harness, streamContext, turn, type Harness } from "../support/mock-hooks.js";
import { AUTO_STREAMS, decode, endTlv, offerTlv, solicitTlv, type SolicitFields } from "../support/wire.js";

let h: Harness;
beforeEach(async () => {
    h = await harness("default");
});

async function solicit(fields: SolicitFields = {}) {
    return h.engine.invoke(ProviderCommand.SolicitOffer, solicitTlv({ ...AUTO_STREAMS, ...fields }), caller);
}
async function solicitOk(fields: SolicitFields = {}): Promise<number> {
    const result = await solicit(fields);
    expect(result.status).toBe(Status.Success);
    return result.sessionId!;
}


describe("streams and priorities", () => {
    test("allocates and deallocates streams to match the context, keeping their usages", () => {
        expect(
            h.engine.setStreamContext(
                streamContext({
                    videoStreams: [
                        { id: VIDEO, usage: StreamUsage.LiveView },
                        { id: 10, usage: StreamUsage.Recording },
                    ],
                    audioStreams: [{ id: 20, usage: StreamUsage.Analysis }],
                }),
            ),
        ).toBe(0);
        expect(h.core.streams(StreamKind.Video)).toEqual([
            { id: VIDEO, usage: StreamUsage.LiveView, references: 0 },
            { id: 10, usage: StreamUsage.Recording, references: 0 },
        ]);
        expect(h.core.streams(StreamKind.Audio)).toEqual([{ id: 20, usage: StreamUsage.Analysis, references: 0 }]);

        h.engine.setStreamContext(streamContext({ videoStreams: [{ id: 10, usage: StreamUsage.Recording }], audioStreams: [] }));
        expect(h.core.streams(StreamKind.Video).map(s => s.id)).toEqual([10]);
        expect(h.core.streams(StreamKind.Audio)).toEqual([]);
    });

    test("auto-selection follows the allocated streams", async () => {
        h.engine.setStreamContext(
            streamContext({
                videoStreams: [
                    { id: 30, usage: StreamUsage.Recording },
                    { id: 31, usage: StreamUsage.LiveView },
                ],
                audioStreams: [],
            }),
        );
        const id = await solicitOk({ audioStreamId: undefined });
        expect(h.hooks.callsOf("onSolicitOffer")[0]!.params.videoStreams).toEqual([31]);
        expect(h.core.session(id)!.videoStreams).toEqual([31]);
        // nothing of that kind allocated: a null id is INVALID_IN_STATE
        expect((await solicit({ videoStreamId: undefined, audioStreamId: null })).status).toBe(Status.InvalidInState);
    });

    test("StreamUsagePriorities decide which usages are supported", async () => {
        h.engine.setStreamContext(streamContext({ streamUsagePriorities: [StreamUsage.Recording] }));
        expect((await solicit()).status).toBe(Status.DynamicConstraintError);
        expect((await solicit({ streamUsage: StreamUsage.Recording })).status).toBe(Status.Success);
        h.engine.setStreamContext(streamContext({ streamUsagePriorities: [StreamUsage.LiveView] }));
        expect((await solicit()).status).toBe(Status.Success);
        expect(h.hooks.callsOf("onSolicitOffer")).toHaveLength(2);
    });

    test("refused priorities and streams throw", () => {
        expect(() => h.engine.setStreamContext(streamContext({ streamUsagePriorities: [StreamUsage.LiveView, StreamUsage.LiveView] }))).toThrow(/priorities refused/);
        const tooMany = Array.from({ length: h.core.capacities.streamsPerKind + 1 }, (_, n) => ({ id: 100 + n, usage: StreamUsage.LiveView }));
        expect(() => h.engine.setStreamContext(streamContext({ videoStreams: tooMany }))).toThrow(/cannot be added/);
    });

    test("utcTimeNull refuses turns:/stuns: ICE servers until time is known", async () => {
        const secure = { iceServers: [{ urLs: ["turns:turn.example.org:5349"], username: "u", credential: "c" }] };
        h.engine.setStreamContext(streamContext({ utcTimeNull: true }));
        expect((await solicit(secure)).status).toBe(Status.InvalidInState);
        expect((await solicit({ iceServers: [{ urLs: ["turn:turn.example.org:3478"] }] })).status).toBe(Status.Success);
        h.engine.setStreamContext(streamContext({ utcTimeNull: false }));
        expect((await solicit(secure)).status).toBe(Status.Success);
    });

    test("removing a stream a session uses throws and leaves it allocated; after the session ends it can go", async () => {
        const id = await solicitOk();
        expect(() => h.engine.setStreamContext(streamContext({ videoStreams: [] }))).toThrow(/stream 1 cannot be removed/);
        expect(h.core.streams(StreamKind.Video)).toEqual([{ id: VIDEO, usage: StreamUsage.LiveView, references: 1 }]);
        expect(h.core.session(id)).toBeDefined();
        await h.engine.invoke(ProviderCommand.EndSession, endTlv(id, EndReason.UserHangup), caller);
        h.engine.setStreamContext(streamContext({ videoStreams: [] }));
        expect(h.core.streams(StreamKind.Video)).toEqual([]);
        expect(h.core.selfCheck()).toBe(0);
    });
});

describe("privacy", () => {
    test("soft livestream privacy ends LiveView sessions with End(PrivacyMode); Recording goes on", async () => {
        const live1 = await solicitOk({ originatingEndpointId: 4 });
        const recording = await solicitOk({ streamUsage: StreamUsage.Recording });
        const live2 = await h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: "v=0\r\n", originatingEndpointId: 5 }), caller);
        expect(live2.status).toBe(Status.Success);
        const changesBefore = h.changes.length;

        expect(h.engine.setStreamContext(streamContext({ softLivestreamPrivacyModeEnabled: true }))).toBe(2);

        expect(h.changes.slice(changesBefore)).toEqual([
            { kind: "removed", sessionId: live1, reason: EndReason.PrivacyMode, cause: "provider" },
            { kind: "removed", sessionId: live2.sessionId, reason: EndReason.PrivacyMode, cause: "provider" },
        ]);
        expect(h.core.sessions().map(s => s.id)).toEqual([recording]);
        expect(h.engine.pendingWork).toBe(2);

        await drainAll(h.engine, h.transport);
        await turn();
        expect(h.transport.sent.map(i => [i.command, i.sessionId, i.endpointId])).toEqual([
            [RequestorCommand.End, live1, 4],
            [RequestorCommand.End, live2.sessionId, 5],
        ]);
        for (const invoke of h.transport.sent) expect(decode.end(invoke).reason).toBe(EndReason.PrivacyMode);
        expect(h.hooks.callsOf("onEndSession")).toEqual([
            { hook: "onEndSession", sessionId: live1, reason: EndReason.PrivacyMode, cause: "provider" },
            { hook: "onEndSession", sessionId: live2.sessionId, reason: EndReason.PrivacyMode, cause: "provider" },
        ]);
        // and new LiveView sessions are refused while it is on
        expect((await solicit()).status).toBe(Status.InvalidInState);
        expect(h.core.selfCheck()).toBe(0);
    });

    test("hard privacy ends every session; turning it off again ends nothing", async () => {
        const a = await solicitOk();
        const b = await solicitOk({ streamUsage: StreamUsage.Recording });
        expect(h.engine.setStreamContext(streamContext({ hardPrivacyModeOn: true }))).toBe(2);
        expect(h.core.sessions()).toEqual([]);
        await drainAll(h.engine, h.transport);
        expect(h.transport.sent.map(i => decode.end(i))).toEqual([
            { webRtcSessionId: a, reason: EndReason.PrivacyMode },
            { webRtcSessionId: b, reason: EndReason.PrivacyMode },
        ]);
        expect(h.engine.setStreamContext(streamContext())).toBe(0);
        expect(h.engine.pendingWork).toBe(0);
        expect(await solicitOk()).toBeGreaterThan(0);
    });

    test("a failing onEndSession during a privacy end is reported through onError", async () => {
        const id = await solicitOk();
        h.hooks.behave.onEndSession = async () => {
            throw new WebRtcError(Status.Failure, "peer would not close");
        };
        h.engine.setStreamContext(streamContext({ softLivestreamPrivacyModeEnabled: true }));
        await turn();
        expect(h.errors.map(e => e.context)).toEqual([`closing session ${id}`]);
        expect(h.core.session(id)).toBeUndefined();
    });
});

describe("onStreamReferences", () => {
    test("reports counts going to 1 when a session takes the streams and back to 0 when it ends", async () => {
        const id = await solicitOk();
        expect(h.references).toEqual([
            [
                { kind: StreamKind.Video, streamId: VIDEO, references: 1 },
                { kind: StreamKind.Audio, streamId: AUDIO, references: 1 },
            ],
        ]);
        await h.engine.invoke(ProviderCommand.EndSession, endTlv(id, EndReason.UserHangup), caller);
        expect(h.references).toEqual([
            [
                { kind: StreamKind.Video, streamId: VIDEO, references: 1 },
                { kind: StreamKind.Audio, streamId: AUDIO, references: 1 },
            ],
            [
                { kind: StreamKind.Video, streamId: VIDEO, references: 0 },
                { kind: StreamKind.Audio, streamId: AUDIO, references: 0 },
            ],
        ]);
    });

    test("a re-offer that drops audio releases it; a failed command reports nothing", async () => {
        const id = await solicitOk();
        h.hooks.behave.onSolicitOffer = () => {
            throw new Error("no camera");
        };
        expect((await solicit()).status).toBe(Status.Failure);
        expect(h.references).toHaveLength(1);
        await h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ sdp: "v=0\r\n", webRtcSessionId: id, videoStreamId: VIDEO }), caller);
        expect(h.references.at(-1)).toEqual([
            { kind: StreamKind.Video, streamId: VIDEO, references: 1 },
            { kind: StreamKind.Audio, streamId: AUDIO, references: 0 },
        ]);
    });

    test("two sessions count 2; a provider-side end brings it back to 1", async () => {
        const a = await solicitOk();
        await solicitOk();
        expect(h.references.at(-1)).toContainEqual({ kind: StreamKind.Video, streamId: VIDEO, references: 2 });
        h.engine.endSession(a, EndReason.MediaTimeout);
        expect(h.references.at(-1)).toContainEqual({ kind: StreamKind.Video, streamId: VIDEO, references: 1 });
    });
});
