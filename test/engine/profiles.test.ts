/**
 * Every build profile (tiny, default, large) loads in Node through `Core.load` — by profile name
 * (a file: URL), by URL and by bytes — and runs a full engine flow: SolicitOffer → Offer,
 * ProvideAnswer, ProvideICECandidates in, local candidates out across batches (none lost, in
 * order), an SDP of exactly the stage size, the over-capacity End(OutOfResources) and EndSession.
 * One test loads the core inside a `worker_threads` Worker the same way.
 */

import { readFile } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { describe, expect, test } from "vitest";
import {
    Core,
    EndReason,
    PROFILES,
    ProviderCommand,
    RequestorCommand,
    Status,
    StreamKind,
    StreamUsage,
    WebRtcEngine,
    profileUrl,
    type IceCandidate,
    type OutboundInvoke,
    type Profile,
} from "../../src/engine/index.js";
import { AUDIO, VIDEO, allocateDefaultStreams } from "../support/profiles.js";
import { FABRIC, PEER, caller } from "../support/callers.js";
import { MockHooks, RecordingTransport, drainAll, offerSdpOf, within } from "../support/mock-hooks.js";
import { AUTO_STREAMS, answerTlv, decode, endTlv, iceTlv, offerTlv, solicitTlv } from "../support/wire.js";

async function engineOn(core: Core) {
    allocateDefaultStreams(core);
    const hooks = new MockHooks();
    const transport = new RecordingTransport();
    const errors: string[] = [];
    const engine = new WebRtcEngine(core, hooks, { now: () => 100, onError: (_, context) => errors.push(context) });
    return { core, hooks, transport, errors, engine };
}

describe.each(PROFILES)("profile %s", (profile: Profile) => {
    test("Core.load(profile) works in Node and the engine runs a full flow", async () => {
        const core = await Core.load(profile);
        expect(core.memoryBytes).toBeGreaterThan(0);
        const { hooks, transport, errors, engine } = await engineOn(core);
        const { sessions, maxCand, candLen } = core.capacities;

        // SolicitOffer → Offer of exactly the stage capacity
        const solicited = await engine.invoke(ProviderCommand.SolicitOffer, solicitTlv({ ...AUTO_STREAMS, originatingEndpointId: 2 }), caller);
        expect(solicited.status).toBe(Status.Success);
        const id = solicited.sessionId!;
        expect(hooks.callsOf("onSolicitOffer")[0]!.params).toMatchObject({ videoStreams: [VIDEO], audioStreams: [AUDIO], originatingEndpointId: 2 });
        const bigSdp = offerSdpOf(id).padEnd(core.exports.stageCap(), "a");
        hooks.offerSdp.set(id, bigSdp);
        engine.offerReady(id);
        await drainAll(engine, transport);
        const offer = transport.sent[0]!;
        expect(offer).toMatchObject({ command: RequestorCommand.Offer, sessionId: id, fabricIndex: FABRIC, peerNodeId: PEER, endpointId: 2 });
        expect(decode.offer(offer).sdp).toBe(bigSdp);

        // ProvideAnswer and remote candidates
        expect((await engine.invoke(ProviderCommand.ProvideAnswer, answerTlv(id, "v=0\r\ns=answer\r\n"), caller)).status).toBe(Status.Success);
        expect(hooks.callsOf("onAnswer")[0]!.sdp).toBe("v=0\r\ns=answer\r\n");
        const remote = await engine.invoke(
            ProviderCommand.ProvideIceCandidates,
            iceTlv(id, [{ candidate: "candidate:1 1 UDP 1 10.0.0.9 9 typ host", sdpMid: null, sdpmLineIndex: 0 }]),
            caller,
        );
        expect(remote.status).toBe(Status.Success);
        expect(hooks.callsOf("onIceCandidates")[0]!.candidates).toEqual([{ candidate: "candidate:1 1 UDP 1 10.0.0.9 9 typ host", sdpMid: null, sdpMLineIndex: 0 }]);

        // local candidates: more than a pool, each as long as CAND_LEN allows
        const local: IceCandidate[] = Array.from({ length: maxCand + 3 }, (_, n) => ({
            candidate: `candidate:${n} 1 UDP ${n} 10.0.0.1 ${4000 + n} typ host `.padEnd(candLen, "x"),
            sdpMid: n % 2 === 0 ? "0" : null,
            sdpMLineIndex: n % 3 === 0 ? null : n,
        }));
        hooks.addLocalCandidates(id, ...local);
        engine.iceCandidatesReady(id);
        await drainAll(engine, transport);
        const iceInvokes = transport.sent.filter(i => i.command === RequestorCommand.IceCandidates);
        expect(iceInvokes.length).toBeGreaterThanOrEqual(2);
        for (const invoke of iceInvokes) expect(invoke.fields.length).toBeLessThanOrEqual(core.capacities.outLen);
        const delivered = iceInvokes
            .flatMap(i => decode.iceCandidates(i).iceCandidates)
            .map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpmLineIndex }));
        expect(delivered).toEqual(local);

        // fill the table, then one more SolicitOffer: SUCCESS and End(OutOfResources)
        for (let n = 1; n < sessions; n++) {
            expect((await engine.invoke(ProviderCommand.SolicitOffer, solicitTlv(AUTO_STREAMS), caller)).status).toBe(Status.Success);
        }
        const over = await engine.invoke(ProviderCommand.SolicitOffer, solicitTlv(AUTO_STREAMS), caller);
        expect(over.status).toBe(Status.Success);
        expect(decode.solicitResponse(over.response).webRtcSessionId).toBe(over.sessionId);
        const before = transport.sent.length;
        await drainAll(engine, transport);
        expect(transport.sent.slice(before).map(i => decode.end(i))).toEqual([{ webRtcSessionId: over.sessionId, reason: EndReason.OutOfResources }]);

        // EndSession
        expect((await engine.invoke(ProviderCommand.EndSession, endTlv(id, EndReason.UserHangup), caller)).status).toBe(Status.Success);
        expect(core.session(id)).toBeUndefined();
        expect(core.sessions()).toHaveLength(sessions - 1);
        expect(core.selfCheck()).toBe(0);
        expect(errors).toEqual([]);
    });

    test("Core.load accepts a file: URL and the .wasm bytes", async () => {
        const fromUrl = await Core.load(profileUrl(profile));
        const fromBytes = await Core.load(await readFile(profileUrl(profile)));
        expect(fromBytes.capacities).toEqual(fromUrl.capacities);
        for (const core of [fromUrl, fromBytes]) {
            const { transport, engine } = await engineOn(core);
            const result = await engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ sdp: "v=0\r\n", videoStreamId: VIDEO }), caller);
            expect(result.status).toBe(Status.Success);
            expect(core.streams(StreamKind.Video)).toEqual([{ id: VIDEO, usage: StreamUsage.LiveView, references: 1 }]);
            engine.answerReady(result.sessionId!);
            await drainAll(engine, transport);
            expect(decode.answer(transport.sent[0]!).webRtcSessionId).toBe(result.sessionId);
        }
    });
});

test("Core.load works inside a worker_threads Worker (by profile name and by bytes)", async () => {
    const worker = new Worker(new URL("./fixtures/core-worker.mjs", import.meta.url), {
        workerData: { profile: "default", solicitOffer: Array.from(solicitTlv({ videoStreamId: null })) },
    });
    try {
        const reply = await within(
            new Promise<{ byName: WorkerFlow; byBytes: WorkerFlow }>((resolve, reject) => {
                worker.once("message", resolve);
                worker.once("error", reject);
                worker.once("exit", code => reject(new Error(`worker exited with ${code}`)));
            }),
            "the worker",
            30_000,
        );
        for (const flow of [reply.byName, reply.byBytes]) {
            expect(flow.status).toBe(Status.Success);
            expect(flow.sessions).toBe(5);
            expect(flow.sent.map(s => s.command)).toEqual([RequestorCommand.Offer, RequestorCommand.End]);
            const [offer, end] = flow.sent.map(asInvoke);
            expect(decode.offer(offer!)).toEqual({ webRtcSessionId: flow.sessionId, sdp: "v=0\r\ns=worker\r\n" });
            expect(decode.end(end!)).toEqual({ webRtcSessionId: flow.sessionId, reason: EndReason.UserHangup });
        }
    } finally {
        await worker.terminate();
    }
});

/** What the worker posted about one sent invoke, as an OutboundInvoke for the decoders. */
function asInvoke(s: WorkerFlow["sent"][number]): OutboundInvoke {
    if (s.command === undefined || s.fields === undefined) throw new Error(`the worker reported an error: ${s.error}`);
    return { command: s.command as RequestorCommand, sessionId: s.sessionId, fabricIndex: 1, peerNodeId: 5n, endpointId: 1, fields: Uint8Array.from(s.fields) };
}

interface WorkerFlow {
    status: number;
    sessionId: number;
    sessions: number;
    sent: { command?: number; sessionId: number; fields?: number[]; error?: string }[];
}
