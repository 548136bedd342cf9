/**
 * Engine soak (default profile, WebRtcEngine + real WASM core, mock media hooks). What it proves:
 * three fabrics, each with its own random peers, interleave 1,000 rounds of session creation
 * (SolicitOffer or ProvideOffer, sometimes a re-offer), ProvideAnswer, ProvideICECandidates,
 * EndSession (sometimes from the wrong fabric or peer) and provider-side ends (the media plane
 * ending a session), while the media hooks fail at random (WebRtcError or plain Error), resolve
 * after random delays, and takeOfferSdp / takeAnswerSdp / takeIceCandidates fail at random, and the
 * outbound queue is drained concurrently through a transport that fails at random. Everything is
 * driven by a fixed-seed PRNG. After every remaining session is ended (EndSession) or purged
 * (fabric removal) the table is empty (sessions() empty, selfCheck 0), every stream's reference
 * count is 0, and every mock "peer connection" the hooks opened was closed.
 */

import { expect, test } from "vitest";
import {
    EndReason,
    ProviderCommand,
    Status,
    WebRtcEngine,
    WebRtcError,
    type Caller,
    type EndReason as EndReasonT,
    type IceCandidate,
    type IceCandidateSink,
    type OfferParams,
    type OutboundInvoke,
    type OutboundTransport,
    type RemovalCause,
    type SolicitOutcome,
    type StreamReference,
    type WebRtcHooks,
} from "../../src/engine/index.js";
import { answerSdpOf, offerSdpOf, turn } from "../support/mock-hooks.js";
import { allocateDefaultStreams, freshCore } from "../support/profiles.js";
import * as wire from "../support/requests.js";

const ROUNDS = 1_000;
const FABRICS = [1, 2, 3];
const PEERS_PER_FABRIC = 3;
const MAX_IN_FLIGHT = 6;
const CANDIDATE = { candidate: "candidate:1 1 UDP 2122317823 127.0.0.1 50000 typ host", sdpMid: "0", sdpmLineIndex: null };

/** mulberry32: a small fixed-seed PRNG. */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Media hooks that open and close mock peer connections, failing and dawdling at random. */
class ChaosHooks implements WebRtcHooks {
    /** Sessions with an open mock peer connection. */
    readonly open = new Set<number>();
    opened = 0;
    closed = 0;
    failures = 0;
    lastReferences: StreamReference[] | undefined;
    signal: WebRtcEngine | undefined;

    constructor(readonly rnd: () => number) {}

    async #dawdle(): Promise<void> {
        const r = this.rnd();
        if (r < 0.4) return;
        if (r < 0.7) return await Promise.resolve();
        for (let n = Math.floor(this.rnd() * 3) + 1; n > 0; n--) await turn();
    }
    #maybeFail(p: number, what: string): void {
        if (this.rnd() >= p) return;
        this.failures++;
        if (this.rnd() < 0.5) throw new WebRtcError(this.rnd() < 0.5 ? Status.ResourceExhausted : Status.Busy, `chaos: ${what}`);
        throw new Error(`chaos: ${what}`);
    }
    #openPeer(id: number): void {
        if (!this.open.has(id)) {
            this.open.add(id);
            this.opened++;
        }
    }
    #closePeer(id: number): void {
        if (this.open.delete(id)) this.closed++;
    }
    /** Later, the media plane signals ready outbound work (as a real peer would from its callbacks). */
    #later(id: number, kind: "offer" | "answer"): void {
        const signal = this.signal!;
        const r = this.rnd();
        const fire = () => {
            if (!this.open.has(id)) return;
            if (kind === "offer") signal.offerReady(id);
            else signal.answerReady(id);
            signal.iceCandidatesReady(id);
        };
        if (r < 0.5) fire();
        else setImmediate(fire);
    }

    async onSolicitOffer(sessionId: number, _params: OfferParams): Promise<SolicitOutcome> {
        await this.#dawdle();
        this.#maybeFail(0.15, "onSolicitOffer");
        this.#openPeer(sessionId);
        // a hook that fails after it set up media must release it itself
        try {
            this.#maybeFail(0.05, "onSolicitOffer after open");
        } catch (error) {
            this.#closePeer(sessionId);
            throw error;
        }
        this.#later(sessionId, "offer");
        return { deferred: this.rnd() < 0.2 };
    }
    async onOffer(sessionId: number, _sdp: string, params: OfferParams): Promise<void> {
        await this.#dawdle();
        this.#maybeFail(0.15, "onOffer");
        if (!params.reoffer) this.#openPeer(sessionId);
        this.#later(sessionId, "answer");
    }
    async onAnswer(_sessionId: number, _sdp: string): Promise<void> {
        await this.#dawdle();
        this.#maybeFail(0.15, "onAnswer");
    }
    async onIceCandidates(sessionId: number, _candidates: IceCandidate[]): Promise<void> {
        await this.#dawdle();
        this.#maybeFail(0.15, "onIceCandidates");
        if (this.open.has(sessionId) && this.rnd() < 0.3) this.signal!.iceCandidatesReady(sessionId);
    }
    async onEndSession(sessionId: number, _reason: EndReasonT, _cause: RemovalCause): Promise<void> {
        // the peer is closed first: a failing cleanup must still not leak it
        this.#closePeer(sessionId);
        await this.#dawdle();
        this.#maybeFail(0.1, "onEndSession");
    }
    async takeOfferSdp(sessionId: number): Promise<string> {
        await this.#dawdle();
        this.#maybeFail(0.1, "takeOfferSdp");
        return offerSdpOf(sessionId);
    }
    async takeAnswerSdp(sessionId: number): Promise<string> {
        await this.#dawdle();
        this.#maybeFail(0.1, "takeAnswerSdp");
        return answerSdpOf(sessionId);
    }
    async takeIceCandidates(sessionId: number, sink: IceCandidateSink): Promise<boolean> {
        await this.#dawdle();
        this.#maybeFail(0.1, "takeIceCandidates");
        const n = Math.floor(this.rnd() * 4);
        for (let i = 0; i < n; i++) {
            const r = sink.push({ candidate: `candidate:${i + 1} 1 UDP 2122317823 127.0.0.1 ${50_000 + i} typ host`, sdpMid: "0", sdpMLineIndex: 0 });
            if (r === "full") return true;
        }
        return this.rnd() < 0.1;
    }
}

/** Sends nothing anywhere; fails and dawdles at random. */
class ChaosTransport implements OutboundTransport {
    sent = 0;
    failed = 0;
    reliable = false;
    constructor(readonly rnd: () => number) {}
    async send(_invoke: OutboundInvoke): Promise<void> {
        if (this.rnd() < 0.3) await turn();
        if (!this.reliable && this.rnd() < 0.2) {
            this.failed++;
            throw new Error("chaos: send failed");
        }
        this.sent++;
    }
}

test("3 fabrics × 1,000 interleaved rounds with chaotic hooks and transport leave nothing behind", async () => {
    const rnd = prng(0x5eed_2026);
    const core = await freshCore("default");
    allocateDefaultStreams(core);
    core.takeReferenceChanges();
    const hooks = new ChaosHooks(rnd);
    const errors: string[] = [];
    const engine = new WebRtcEngine(core, hooks, { now: () => 1_000, onError: (_e, context) => errors.push(context) });
    hooks.signal = engine;
    engine.onStreamReferences(references => (hooks.lastReferences = references));
    const transport = new ChaosTransport(rnd);
    const stop = new AbortController();
    const loop = engine.run(transport, stop.signal);

    const callers: Caller[][] = FABRICS.map(f =>
        Array.from({ length: PEERS_PER_FABRIC }, (_, p) => ({ fabricIndex: f, peerNodeId: BigInt(f) * 0x1000n + BigInt(p + 1) })),
    );
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
    /** A caller that owns a live session (or, sometimes, a stranger) and that session's id. */
    const target = (): { caller: Caller; id: number } | undefined => {
        const rows = core.sessions();
        if (rows.length === 0) return undefined;
        const row = pick(rows);
        if (rnd() < 0.1) return { caller: pick(pick(callers)), id: row.id }; // maybe the wrong fabric/peer
        return { caller: { fabricIndex: row.fabricIndex, peerNodeId: row.peerNodeId }, id: row.id };
    };
    /** Response gate: usually resolved at once, sometimes after a turn, sometimes failed. */
    const responseSent = (): Promise<unknown> | undefined => {
        const r = rnd();
        if (r < 0.3) return undefined;
        if (r < 0.8) return Promise.resolve();
        if (r < 0.95) return turn();
        const lost = Promise.reject(new Error("response lost"));
        lost.catch(() => undefined); // refused commands never read their gate
        return lost;
    };

    const statuses = new Map<number, number>();
    const inFlight = new Set<Promise<void>>();
    const launch = (run: () => Promise<{ status: number }>): void => {
        const p = run().then(
            r => void statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1),
            error => void errors.push(`invoke threw: ${String(error)}`),
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
    };

    let created = 0;
    for (let round = 0; round < ROUNDS; round++) {
        const r = rnd();
        if (r < 0.35) {
            const caller = { ...pick(pick(callers)), responseSent: responseSent() };
            created++;
            if (rnd() < 0.5) launch(() => engine.invoke(ProviderCommand.SolicitOffer, wire.solicitOffer(), caller));
            else launch(() => engine.invoke(ProviderCommand.ProvideOffer, wire.provideOffer(offerSdpOf(round)), caller));
        } else if (r < 0.42) {
            const t = target();
            if (t) launch(() => engine.invoke(ProviderCommand.ProvideOffer, wire.provideOffer(offerSdpOf(round), { webRtcSessionId: t.id }), t.caller));
        } else if (r < 0.5) {
            const t = target();
            if (t) launch(() => engine.invoke(ProviderCommand.ProvideAnswer, wire.provideAnswer(t.id, answerSdpOf(round)), t.caller));
        } else if (r < 0.72) {
            const t = target();
            if (t) launch(() => engine.invoke(ProviderCommand.ProvideIceCandidates, wire.provideIceCandidates(t.id, [CANDIDATE]), t.caller));
        } else if (r < 0.8) {
            const t = target();
            if (t) launch(() => engine.invoke(ProviderCommand.EndSession, wire.endSession(t.id, EndReason.UserHangup), t.caller));
        } else if (r < 0.85) {
            // the media plane ends a session (peer failed), possibly one already gone
            const t = target();
            if (t) engine.endSession(t.id, rnd() < 0.5 ? EndReason.IceFailed : EndReason.MediaTimeout);
        } else if (r < 0.86) {
            engine.expireOffers();
        }
        // let the interleaving happen, keeping a bounded number of commands in flight
        if (inFlight.size >= MAX_IN_FLIGHT || rnd() < 0.3) await Promise.race([...inFlight, turn()]);
        expect(core.selfCheck(false)).toBe(0);
    }

    // quiesce: every command answered, the queue drained through a transport that now delivers
    await Promise.all([...inFlight]);
    transport.reliable = true;
    for (let i = 0; i < 50 && engine.pendingWork > 0; i++) await turn();

    // end or purge what is left: fabric 1's sessions by EndSession, fabric 2's by removing the
    // fabric, fabric 3's by the provider (the media plane)
    const leftBefore = core.sessions().length;
    for (const row of core.sessions(1)) {
        await engine.invoke(ProviderCommand.EndSession, wire.endSession(row.id, EndReason.UserHangup), {
            fabricIndex: row.fabricIndex,
            peerNodeId: row.peerNodeId,
        });
    }
    engine.removeFabric(2);
    for (const row of core.sessions(3)) engine.endSession(row.id, EndReason.UnknownReason);
    for (let i = 0; i < 200 && (engine.pendingWork > 0 || hooks.open.size > 0); i++) await turn();
    stop.abort();
    await loop;

    expect({ sessions: core.sessions(), selfCheck: core.selfCheck() }).toEqual({ sessions: [], selfCheck: 0 });
    for (const kind of [0, 1] as const) for (const s of core.streams(kind)) expect(s.references, `stream ${kind}/${s.id}`).toBe(0);
    // the last reference report the engine gave CameraAvStreamManagement: every stream back at 0
    expect(hooks.lastReferences?.length ?? 0).toBeGreaterThan(0);
    expect(hooks.lastReferences?.filter(r => r.references !== 0)).toEqual([]);
    expect([...hooks.open]).toEqual([]);
    expect(hooks.closed).toBe(hooks.opened);
    expect(engine.pendingWork).toBe(0);
    // the soak did exercise what it claims
    expect(created).toBeGreaterThan(200);
    expect(hooks.opened).toBeGreaterThan(100);
    expect(hooks.failures).toBeGreaterThan(50);
    expect(transport.failed).toBeGreaterThan(10);
    expect(statuses.get(Status.Success) ?? 0).toBeGreaterThan(100);
    expect(errors.filter(e => e.startsWith("invoke threw"))).toEqual([]);
    expect(leftBefore).toBeGreaterThan(0); // the final end/purge had rows to remove
}, 20_000);
