/**
 * The inbound command path of `WebRtcEngine` (default profile): each of the five provider commands
 * runs end to end through `engine.invoke`, the media hook receives correctly decoded arguments, a
 * hook that throws decides the status (WebRtcError → its status, anything else → FAILURE) and
 * leaves the table as it was, EndSession always removes the row, a reservation that vanishes while
 * its hook runs gives NOT_FOUND and releases the media, and `subscribe` reports table changes.
 */

import { beforeEach, describe, expect, test } from "vitest";
import {
    EndReason,
    ProviderCommand,
    RequestorCommand,
    Status,
    StreamUsage,
    WebRtcError,
    type Core,
    type SessionChange,
} from "../../src/engine/index.js";
import { AUDIO, VIDEO } from "../support/profiles.js";
import { FABRIC, PEER, caller } from "../support/callers.js";
import { deferred, drainAll, harness, streamContext, turn, within, type Harness } from "../support/mock-hooks.js";
import { AUTO_STREAMS, answerTlv, decode, endTlv, iceTlv, offerTlv, solicitTlv, type OfferFields, type SolicitFields } from "../support/wire.js";
import { stateOf } from "../vectors/runner.js";

const SDP_OFFER = "v=0\r\no=- 42 1 IN IP4 10.0.0.2\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n";
const SDP_ANSWER = "v=0\r\no=- 43 1 IN IP4 10.0.0.3\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n";

/** Everything a refused command must leave as it was (the vector runner's view, but the id counter a reservation moves on), and the invariants. */
function tableState(core: Core) {
    const { nextId: _, ...state } = stateOf(core);
    return { ...state, selfCheck: core.selfCheck() };
}

let h: Harness;
beforeEach(async () => {
    h = await harness("default");
});

async function solicit(fields: SolicitFields = {}): Promise<number> {
    const result = await h.engine.invoke(ProviderCommand.SolicitOffer, solicitTlv({ ...AUTO_STREAMS, ...fields }), caller);
    expect(result.status).toBe(Status.Success);
    return result.sessionId!;
}
async function offerNew(fields: OfferFields = {}): Promise<number> {
    const result = await h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: SDP_OFFER, ...fields }), caller);
    expect(result.status).toBe(Status.Success);
    return result.sessionId!;
}

describe("the five commands end to end", () => {
    test("SolicitOffer hands the hook resolved streams, endpoint, ICE servers and policy, and responds", async () => {
        const result = await h.engine.invoke(
            ProviderCommand.SolicitOffer,
            solicitTlv({
                ...AUTO_STREAMS,
                originatingEndpointId: 7,
                iceServers: [
                    { urLs: ["stun:stun.example.org:3478"] },
                    { urLs: ["turn:turn.example.org:3478?transport=udp", "turn:turn.example.org:443?transport=tcp"], username: "alice", credential: "s3cret", caid: 42 },
                ],
                iceTransportPolicy: "relay",
            }),
            caller,
        );
        expect(result.status).toBe(Status.Success);
        const id = result.sessionId!;
        expect(id).toBeGreaterThan(0);

        const [call, ...more] = h.hooks.callsOf("onSolicitOffer");
        expect(more).toEqual([]);
        expect(call!.sessionId).toBe(id);
        expect(call!.params).toEqual({
            sessionId: id,
            fabricIndex: FABRIC,
            peerNodeId: PEER,
            streamUsage: StreamUsage.LiveView,
            originatingEndpointId: 7,
            videoStreams: [VIDEO],
            audioStreams: [AUDIO],
            iceServers: [
                { urls: ["stun:stun.example.org:3478"] },
                {
                    urls: ["turn:turn.example.org:3478?transport=udp", "turn:turn.example.org:443?transport=tcp"],
                    username: "alice",
                    credential: "s3cret",
                    caid: 42,
                },
            ],
            iceTransportPolicy: "relay",
            metadataEnabled: false,
            reoffer: false,
        });

        const response = decode.solicitResponse(result.response);
        expect(response).toEqual({ webRtcSessionId: id, deferredOffer: false, videoStreamId: VIDEO, audioStreamId: AUDIO });
        const row = h.core.session(id)!;
        expect(row).toMatchObject({ fabricIndex: FABRIC, peerNodeId: PEER, peerEndpointId: 7, state: "awaiting-answer" });
        expect(row.videoStreams).toEqual([VIDEO]);
        expect(row.audioStreams).toEqual([AUDIO]);
        expect(h.changes).toEqual([{ kind: "added", sessionId: id }]);
    });

    test("SolicitOffer without ICE fields leaves iceServers and iceTransportPolicy out; deferred is echoed", async () => {
        h.hooks.deferred = true;
        const result = await h.engine.invoke(ProviderCommand.SolicitOffer, solicitTlv({ videoStreamId: null }), caller);
        expect(result.status).toBe(Status.Success);
        const params = h.hooks.callsOf("onSolicitOffer")[0]!.params;
        expect(params.iceServers).toBeUndefined();
        expect(params.iceTransportPolicy).toBeUndefined();
        expect(params.videoStreams).toEqual([VIDEO]);
        expect(params.audioStreams).toEqual([]);
        const response = decode.solicitResponse(result.response);
        expect(response.deferredOffer).toBe(true);
        expect(response.videoStreamId).toBe(VIDEO);
        expect(response.audioStreamId).toBeUndefined();
        expect(h.core.session(result.sessionId!)!.state).toBe("awaiting-deferred-offer");
    });

    test("ProvideOffer (new) hands the hook the SDP text and params; the Answer goes back to the originating endpoint", async () => {
        const result = await h.engine.invoke(
            ProviderCommand.ProvideOffer,
            offerTlv({
                sdp: SDP_OFFER,
                originatingEndpointId: 3,
                videoStreamId: VIDEO,
                iceServers: [{ urLs: ["stun:s.example:19302"], username: "u" }],
                iceTransportPolicy: "all",
            }),
            caller,
        );
        expect(result.status).toBe(Status.Success);
        const id = result.sessionId!;
        const [call] = h.hooks.callsOf("onOffer");
        expect(call).toMatchObject({ sessionId: id, sdp: SDP_OFFER });
        expect(call!.params).toEqual({
            sessionId: id,
            fabricIndex: FABRIC,
            peerNodeId: PEER,
            streamUsage: StreamUsage.LiveView,
            originatingEndpointId: 3,
            videoStreams: [VIDEO],
            audioStreams: [],
            iceServers: [{ urls: ["stun:s.example:19302"], username: "u" }],
            iceTransportPolicy: "all",
            metadataEnabled: false,
            reoffer: false,
        });
        expect(decode.offerResponse(result.response)).toEqual({ webRtcSessionId: id, videoStreamId: VIDEO });
        expect(h.core.session(id)!.state).toBe("established");

        h.hooks.answerSdp.set(id, SDP_ANSWER);
        h.engine.answerReady(id);
        await drainAll(h.engine, h.transport);
        const [answer, ...rest] = h.transport.sent;
        expect(rest).toEqual([]);
        expect(answer).toMatchObject({ command: RequestorCommand.Answer, sessionId: id, fabricIndex: FABRIC, peerNodeId: PEER, endpointId: 3 });
        expect(decode.answer(answer!)).toEqual({ webRtcSessionId: id, sdp: SDP_ANSWER });
    });

    test("ProvideOffer with an existing id is a re-offer: same id, reoffer true, row updated in place", async () => {
        const first = await solicit();
        const other = await offerNew();
        const reofferSdp = SDP_OFFER.replace("m=video", "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video");
        const result = await h.engine.invoke(
            ProviderCommand.ProvideOffer,
            offerTlv({ sdp: reofferSdp, webRtcSessionId: first, originatingEndpointId: 9, videoStreamId: VIDEO }),
            caller,
        );
        expect(result.status).toBe(Status.Success);
        expect(result.sessionId).toBe(first);
        const call = h.hooks.callsOf("onOffer").at(-1)!;
        expect(call.sessionId).toBe(first);
        expect(call.sdp).toBe(reofferSdp);
        expect(call.params).toMatchObject({ sessionId: first, reoffer: true, originatingEndpointId: 9, videoStreams: [VIDEO], audioStreams: [] });
        expect(decode.offerResponse(result.response)).toEqual({ webRtcSessionId: first, videoStreamId: VIDEO });
        // updated in place: still first in insertion order, one row per id
        expect(h.core.sessions().map(s => s.id)).toEqual([first, other]);
        expect(h.core.session(first)).toMatchObject({ peerEndpointId: 9, audioStreams: [], state: "established" });
        expect(h.core.streamReferences(1, AUDIO)).toBe(1);
        expect(h.changes.at(-1)).toEqual({ kind: "updated", sessionId: first });
    });

    test("ProvideAnswer hands the hook the SDP and establishes the session; a duplicate answer is accepted without the hook", async () => {
        const id = await solicit();
        const result = await h.engine.invoke(ProviderCommand.ProvideAnswer, answerTlv(id, SDP_ANSWER), caller);
        expect(result).toEqual({ status: Status.Success, sessionId: id });
        expect(h.hooks.callsOf("onAnswer")).toEqual([{ hook: "onAnswer", sessionId: id, sdp: SDP_ANSWER }]);
        expect(h.core.session(id)!.state).toBe("established");

        const again = await h.engine.invoke(ProviderCommand.ProvideAnswer, answerTlv(id, SDP_ANSWER), caller);
        expect(again.status).toBe(Status.Success);
        expect(h.hooks.callsOf("onAnswer")).toHaveLength(1);
    });

    test("ProvideICECandidates hands the hook candidates with SDPMid / SDPMLineIndex and their nulls", async () => {
        const id = await offerNew();
        const result = await h.engine.invoke(
            ProviderCommand.ProvideIceCandidates,
            iceTlv(id, [
                { candidate: "candidate:1 1 UDP 2122252543 192.168.1.10 50000 typ host", sdpMid: "0", sdpmLineIndex: 0 },
                { candidate: "candidate:2 1 UDP 1686052607 203.0.113.7 50001 typ srflx raddr 0.0.0.0 rport 0", sdpMid: null, sdpmLineIndex: 1 },
                { candidate: "candidate:3 1 TCP 1518280447 192.168.1.10 9 typ host tcptype active", sdpMid: "video", sdpmLineIndex: null },
                { candidate: "", sdpMid: null, sdpmLineIndex: null },
            ]),
            caller,
        );
        expect(result).toEqual({ status: Status.Success, sessionId: id });
        expect(h.hooks.callsOf("onIceCandidates")).toEqual([
            {
                hook: "onIceCandidates",
                sessionId: id,
                candidates: [
                    { candidate: "candidate:1 1 UDP 2122252543 192.168.1.10 50000 typ host", sdpMid: "0", sdpMLineIndex: 0 },
                    { candidate: "candidate:2 1 UDP 1686052607 203.0.113.7 50001 typ srflx raddr 0.0.0.0 rport 0", sdpMid: null, sdpMLineIndex: 1 },
                    { candidate: "candidate:3 1 TCP 1518280447 192.168.1.10 9 typ host tcptype active", sdpMid: "video", sdpMLineIndex: null },
                    { candidate: "", sdpMid: null, sdpMLineIndex: null },
                ],
            },
        ]);
    });

    test("EndSession hands the hook the reason with cause peer and removes the row", async () => {
        const id = await solicit();
        const result = await h.engine.invoke(ProviderCommand.EndSession, endTlv(id, EndReason.UserHangup), caller);
        expect(result).toEqual({ status: Status.Success, sessionId: id });
        expect(h.hooks.callsOf("onEndSession")).toEqual([{ hook: "onEndSession", sessionId: id, reason: EndReason.UserHangup, cause: "peer" }]);
        expect(h.core.sessions()).toEqual([]);
        expect(h.changes.at(-1)).toEqual({ kind: "removed", sessionId: id, reason: EndReason.UserHangup, cause: "peer" });
        expect(h.core.selfCheck()).toBe(0);
    });

    test("commands for another fabric's or peer's session are NOT_FOUND and reach no hook", async () => {
        const id = await solicit();
        const stranger = { fabricIndex: 2, peerNodeId: PEER };
        const otherPeer = { fabricIndex: FABRIC, peerNodeId: PEER + 1n };
        for (const who of [stranger, otherPeer]) {
            expect((await h.engine.invoke(ProviderCommand.ProvideAnswer, answerTlv(id, SDP_ANSWER), who)).status).toBe(Status.NotFound);
            expect((await h.engine.invoke(ProviderCommand.EndSession, endTlv(id, 2), who)).status).toBe(Status.NotFound);
            expect(
                (await h.engine.invoke(ProviderCommand.ProvideIceCandidates, iceTlv(id, [{ candidate: "c", sdpMid: null, sdpmLineIndex: null }]), who)).status,
            ).toBe(Status.NotFound);
        }
        expect(h.hooks.calls.filter(c => c.hook !== "onSolicitOffer")).toEqual([]);
        expect(h.core.session(id)).toBeDefined();
    });

    test("a ProvideOffer whose SDP exceeds SDP_LEN, or whose fields exceed IN, is RESOURCE_EXHAUSTED and reaches no hook", async () => {
        const { sdpLen, inLen } = h.core.capacities;
        const overSdp = await h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: "v=0\r\n".padEnd(sdpLen + 1, "a") }), caller);
        expect(overSdp).toEqual({ status: Status.ResourceExhausted });
        const overIn = await h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: "v=0\r\n".padEnd(inLen + 1, "a") }), caller);
        expect(overIn).toEqual({ status: Status.ResourceExhausted });
        const atSdp = await h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: "v=0\r\n".padEnd(sdpLen, "a") }), caller);
        expect(atSdp.status).toBe(Status.Success);
        expect(h.hooks.callsOf("onOffer").map(c => c.sdp.length)).toEqual([sdpLen]);
    });

    test("interleaved commands: each hook gets its own arguments and each caller its own response", async () => {
        const offerA = "v=0\r\ns=A\r\n";
        const offerB = "v=0\r\ns=B\r\n";
        const gateA = deferred();
        h.hooks.behave.onOffer = (_id, sdp) => (sdp === offerA ? gateA.promise : undefined);
        const pendingA = h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: offerA, originatingEndpointId: 11 }), caller);
        await turn();
        const resultB = await h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ sdp: offerB, originatingEndpointId: 12, videoStreamId: null }), caller);
        const resultC = await h.engine.invoke(ProviderCommand.SolicitOffer, solicitTlv({ ...AUTO_STREAMS, originatingEndpointId: 13 }), caller);
        gateA.resolve();
        const resultA = await within(pendingA, "ProvideOffer A");
        const [callA, callB] = h.hooks.callsOf("onOffer");
        expect(callA).toMatchObject({ sessionId: resultA.sessionId, sdp: offerA, params: { originatingEndpointId: 11, audioStreams: [AUDIO] } });
        expect(callB).toMatchObject({ sessionId: resultB.sessionId, sdp: offerB, params: { originatingEndpointId: 12, audioStreams: [] } });
        expect(decode.offerResponse(resultA.response)).toEqual({ webRtcSessionId: resultA.sessionId, videoStreamId: VIDEO, audioStreamId: AUDIO });
        expect(decode.offerResponse(resultB.response)).toEqual({ webRtcSessionId: resultB.sessionId, videoStreamId: VIDEO });
        expect(decode.solicitResponse(resultC.response).webRtcSessionId).toBe(resultC.sessionId);
        expect(new Set([resultA.sessionId, resultB.sessionId, resultC.sessionId]).size).toBe(3);
        // insertion order is when a session went live, not when its command arrived
        expect(h.core.sessions().map(s => [s.id, s.peerEndpointId])).toEqual([
            [resultB.sessionId, 12],
            [resultC.sessionId, 13],
            [resultA.sessionId, 11],
        ]);
        expect(h.core.selfCheck()).toBe(0);
    });

    test("an unknown command id is INVALID_COMMAND", async () => {
        const result = await h.engine.invoke(0x01, solicitTlv(AUTO_STREAMS), caller);
        expect(result.status).toBe(Status.InvalidCommand);
        expect(h.hooks.calls).toEqual([]);
    });
});

describe("a failing hook chooses the status and leaves the table unchanged", () => {
    const failures = [
        { name: "WebRtcError(ResourceExhausted)", error: () => new WebRtcError(Status.ResourceExhausted), status: Status.ResourceExhausted },
        { name: "a plain Error", error: () => new Error("media plane broke"), status: Status.Failure },
    ];

    for (const { name, error, status } of failures) {
        test(`SolicitOffer hook throwing ${name}`, async () => {
            const existing = await offerNew();
            const before = tableState(h.core);
            const changes = h.changes.length;
            h.hooks.behave.onSolicitOffer = async () => {
                throw error();
            };
            const result = await h.engine.invoke(ProviderCommand.SolicitOffer, solicitTlv(AUTO_STREAMS), caller);
            expect(result).toEqual({ status });
            expect(tableState(h.core)).toEqual(before);
            expect(h.changes.length).toBe(changes);
            expect(h.core.session(existing)).toBeDefined();
            // the failed reservation held no capacity: the table still fills to its capacity
            h.hooks.behave.onSolicitOffer = undefined;
            for (let n = 1; n < h.core.capacities.sessions; n++) await solicit();
            expect(h.core.sessions()).toHaveLength(h.core.capacities.sessions);
        });

        test(`ProvideOffer (new) hook throwing ${name}`, async () => {
            await solicit();
            const before = tableState(h.core);
            const changes = h.changes.length;
            h.hooks.behave.onOffer = () => {
                throw error(); // synchronous throw
            };
            const result = await h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: SDP_OFFER }), caller);
            expect(result).toEqual({ status });
            expect(tableState(h.core)).toEqual(before);
            expect(h.changes.length).toBe(changes);
            expect(h.hooks.callsOf("onEndSession")).toEqual([]);
        });

        test(`ProvideOffer (re-offer) hook throwing ${name}`, async () => {
            const id = await solicit({ originatingEndpointId: 4 });
            const before = tableState(h.core);
            const changes = h.changes.length;
            h.hooks.behave.onOffer = async () => {
                throw error();
            };
            const reoffer = offerTlv({ sdp: SDP_OFFER, webRtcSessionId: id, originatingEndpointId: 5, videoStreamId: VIDEO });
            const result = await h.engine.invoke(ProviderCommand.ProvideOffer, reoffer, caller);
            expect(result).toEqual({ status });
            expect(tableState(h.core)).toEqual(before);
            expect(h.core.session(id)).toMatchObject({ peerEndpointId: 4, audioStreams: [AUDIO] });
            expect(h.changes.length).toBe(changes);
            // the staged re-offer was dropped: a later one goes through
            h.hooks.behave.onOffer = undefined;
            expect((await h.engine.invoke(ProviderCommand.ProvideOffer, reoffer, caller)).status).toBe(Status.Success);
            expect(h.core.session(id)).toMatchObject({ peerEndpointId: 5, audioStreams: [] });
        });

        test(`ProvideAnswer hook throwing ${name}`, async () => {
            const id = await solicit();
            const before = tableState(h.core);
            h.hooks.behave.onAnswer = async () => {
                throw error();
            };
            const result = await h.engine.invoke(ProviderCommand.ProvideAnswer, answerTlv(id, SDP_ANSWER), caller);
            expect(result).toEqual({ status });
            expect(tableState(h.core)).toEqual(before);
            expect(h.core.session(id)!.state).toBe("awaiting-answer");
            h.hooks.behave.onAnswer = undefined;
            expect((await h.engine.invoke(ProviderCommand.ProvideAnswer, answerTlv(id, SDP_ANSWER), caller)).status).toBe(Status.Success);
            expect(h.core.session(id)!.state).toBe("established");
        });
    }

    test("ProvideICECandidates hook throwing gives its status and changes nothing", async () => {
        const id = await solicit();
        const before = tableState(h.core);
        h.hooks.behave.onIceCandidates = async () => {
            throw new WebRtcError(Status.Busy);
        };
        const result = await h.engine.invoke(ProviderCommand.ProvideIceCandidates, iceTlv(id, [{ candidate: "c", sdpMid: "0", sdpmLineIndex: 0 }]), caller);
        expect(result).toEqual({ status: Status.Busy });
        expect(tableState(h.core)).toEqual(before);
    });
});

describe("EndSession always removes the row", () => {
    test("onEndSession throwing a plain Error: FAILURE returned, row gone, streams released", async () => {
        const id = await solicit();
        const keep = await offerNew();
        h.hooks.behave.onEndSession = async () => {
            throw new Error("peer close failed");
        };
        const result = await h.engine.invoke(ProviderCommand.EndSession, endTlv(id, EndReason.IceFailed), caller);
        expect(result).toEqual({ status: Status.Failure });
        expect(h.core.session(id)).toBeUndefined();
        expect(h.core.sessions().map(s => s.id)).toEqual([keep]);
        expect(h.changes.at(-1)).toEqual({ kind: "removed", sessionId: id, reason: EndReason.IceFailed, cause: "peer" });
        expect(h.core.streamReferences(0, VIDEO)).toBe(1);
        expect(h.core.selfCheck()).toBe(0);
        // gone for good
        expect((await h.engine.invoke(ProviderCommand.EndSession, endTlv(id, 2), caller)).status).toBe(Status.NotFound);
    });

    test("onEndSession throwing a WebRtcError returns that status, row gone", async () => {
        const id = await solicit();
        h.hooks.behave.onEndSession = () => {
            throw new WebRtcError(Status.ResourceExhausted);
        };
        const result = await h.engine.invoke(ProviderCommand.EndSession, endTlv(id, EndReason.UserHangup), caller);
        expect(result).toEqual({ status: Status.ResourceExhausted });
        expect(h.core.sessions()).toEqual([]);
    });
});

describe("a reservation that vanishes while its hook runs", () => {
    /** A new-session ProvideOffer whose onOffer hook runs until `release()`; resolves once the hook was entered. */
    async function newOfferHeldInItsHook() {
        const gate = deferred();
        const entered = deferred();
        h.hooks.behave.onOffer = async () => {
            entered.resolve();
            await gate.promise;
        };
        const pending = h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: SDP_OFFER }), caller);
        await within(entered.promise, "onOffer");
        return { pending, id: h.hooks.callsOf("onOffer")[0]!.sessionId, release: () => gate.resolve() };
    }

    test("removeFabric during onOffer (new): NOT_FOUND, onEndSession cleans up, no row, no End", async () => {
        const { pending, id, release } = await newOfferHeldInItsHook();
        expect(h.engine.removeFabric(FABRIC)).toBe(1);
        release();
        expect(await within(pending, "ProvideOffer")).toEqual({ status: Status.NotFound });
        await turn();
        expect(h.hooks.callsOf("onEndSession").map(c => c.sessionId)).toEqual([id]);
        expect(h.core.sessions()).toEqual([]);
        expect(h.changes).toEqual([]);
        expect(h.engine.pendingWork).toBe(0);
        expect(h.core.selfCheck()).toBe(0);
    });

    test("privacy turned on (setStreamContext) during onOffer (new): NOT_FOUND and cleanup", async () => {
        const { pending, id, release } = await newOfferHeldInItsHook();
        h.engine.setStreamContext(streamContext({ softLivestreamPrivacyModeEnabled: true }));
        release();
        expect(await within(pending, "ProvideOffer")).toEqual({ status: Status.NotFound });
        await turn();
        expect(h.hooks.callsOf("onEndSession").map(c => c.sessionId)).toEqual([id]);
        expect(h.core.sessions()).toEqual([]);
        expect(h.core.streamReferences(0, VIDEO)).toBe(0);
        expect(h.core.selfCheck()).toBe(0);
    });

    test("removeFabric during onSolicitOffer: NOT_FOUND and cleanup", async () => {
        const gate = deferred<{ deferred: boolean }>();
        h.hooks.behave.onSolicitOffer = () => gate.promise;
        const pending = h.engine.invoke(ProviderCommand.SolicitOffer, solicitTlv(AUTO_STREAMS), caller);
        await turn();
        const [call] = h.hooks.callsOf("onSolicitOffer");
        expect(call).toBeDefined();
        h.engine.removeFabric(FABRIC);
        gate.resolve({ deferred: false });
        expect(await within(pending, "SolicitOffer")).toEqual({ status: Status.NotFound });
        await turn();
        expect(h.hooks.callsOf("onEndSession").map(c => c.sessionId)).toEqual([call!.sessionId]);
        expect(h.core.sessions()).toEqual([]);
    });

    test("removeFabric during a re-offer's hook: NOT_FOUND, onEndSession exactly once (fabric-removed)", async () => {
        const id = await solicit();
        const gate = deferred();
        h.hooks.behave.onOffer = () => gate.promise;
        const pending = h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: SDP_OFFER, webRtcSessionId: id }), caller);
        await turn();
        expect(h.hooks.callsOf("onOffer")).toHaveLength(1);
        h.engine.removeFabric(FABRIC);
        gate.resolve();
        expect(await within(pending, "re-offer")).toEqual({ status: Status.NotFound });
        await turn();
        expect(h.hooks.callsOf("onEndSession")).toEqual([{ hook: "onEndSession", sessionId: id, reason: EndReason.UnknownReason, cause: "fabric-removed" }]);
        expect(h.changes.at(-1)).toMatchObject({ kind: "removed", sessionId: id, cause: "fabric-removed" });
        expect(h.engine.pendingWork).toBe(0);
    });
});

describe("subscribe", () => {
    test("listeners see added, updated and removed in order; unsubscribe stops them", async () => {
        const seen: SessionChange[] = [];
        const unsubscribe = h.engine.subscribe(change => seen.push(change));
        const a = await solicit();
        const b = await offerNew();
        await h.engine.invoke(ProviderCommand.ProvideOffer, offerTlv({ ...AUTO_STREAMS, sdp: SDP_OFFER, webRtcSessionId: a }), caller);
        await h.engine.invoke(ProviderCommand.EndSession, endTlv(a, EndReason.UserHangup), caller);
        expect(seen).toEqual([
            { kind: "added", sessionId: a },
            { kind: "added", sessionId: b },
            { kind: "updated", sessionId: a },
            { kind: "removed", sessionId: a, reason: EndReason.UserHangup, cause: "peer" },
        ]);
        unsubscribe();
        await h.engine.invoke(ProviderCommand.EndSession, endTlv(b, EndReason.UserHangup), caller);
        expect(seen).toHaveLength(4);
        // the harness's own listener still runs
        expect(h.changes.at(-1)).toEqual({ kind: "removed", sessionId: b, reason: EndReason.UserHangup, cause: "peer" });
    });

    test("a throwing listener is reported through onError and does not stop the others", async () => {
        h.engine.subscribe(() => {
            throw new Error("listener bug");
        });
        const seen: SessionChange[] = [];
        h.engine.subscribe(change => seen.push(change));
        const id = await solicit();
        expect(seen).toEqual([{ kind: "added", sessionId: id }]);
        expect(h.errors.map(e => e.context)).toEqual(["session change listener"]);
    });
});
