/**
 * The measured operations. Each case drives the same command on three sides:
 *
 * - `core`: the `Core` facade on the default profile, the way `WebRtcEngine` calls it, minus the
 *   media hook: `decide` (request bytes copied into IN, decoded and validated), the commit that
 *   applies it and encodes the response, and `response()` (the copy handed to matter.js);
 * - `coreArgs`: the same, plus reading out what the engine hands the media hook (the SDP as a JS
 *   string, `offerParams`, the remote candidates, the end reason): strings the baseline gets for
 *   free from its decoder;
 * - `baseline`: {@link JsProvider}, matter.js codecs and plain JS objects.
 *
 * Every side starts from the same request bytes (fixtures.ts) and ends with encoded bytes. Each
 * loop asserts SUCCESS, so an error path can never be timed by accident, and leaves its result in
 * `sink` so nothing is optimized away. The core's change events are cleared (not turned into
 * objects) after each command: the engine's event dispatch is not part of either side.
 *
 * Commands that create a session run in batches of N_SESSIONS from an empty table (ids 1..N);
 * commands that need sessions get them in the untimed setup of each batch; the rest repeat on a
 * steady table.
 */

import { Core, StreamKind, StreamUsage, type CoreExports } from "../../src/engine/index.js";
import { JsProvider } from "./baseline.js";
import {
    AUDIO_STREAM,
    CANDIDATES,
    FABRIC,
    LOCAL_CANDIDATES,
    PEER,
    PRIORITIES,
    SDP,
    VIDEO_STREAM,
    endSessionRequest,
    provideAnswerRequest,
    provideIceCandidatesRequest,
    provideOfferRequest,
    solicitOfferRequest,
} from "./fixtures.js";
import type { Side } from "./harness.js";

export interface Case {
    name: string;
    /** Operations per timed batch. */
    batch: number;
    core: Side;
    /** The core path plus reading the media hook's arguments out (undefined: nothing to read). */
    coreArgs?: Side;
    baseline: Side;
}

/** Results land here so that no loop body is dead code. */
export let sink: unknown;

/** A second fabric, for a CurrentSessions read that has to filter. */
const OTHER_FABRIC = 2;
const OTHER_PEER = 0x0000_0002_cafe_f00dn;
const OK = 0;

function ok(status: number): void {
    if (status !== OK) throw new Error(`benchmark operation failed with status 0x${status.toString(16)}`);
}

// ── request bytes, encoded once ──────────────────────────────────────────────────────────────
const SOLICIT = solicitOfferRequest();
const OFFER_NEW = provideOfferRequest(null);

/** Per-id requests for ids 1..n (sessions created in a batch's setup get exactly these ids). */
function perId(n: number, encode: (id: number) => Uint8Array): Uint8Array[] {
    return Array.from({ length: n }, (_, i) => encode(i + 1));
}

/** The core and the baseline, both holding the same stream context. */
export class World {
    readonly x: CoreExports;
    js: JsProvider;

    constructor(readonly core: Core) {
        this.x = core.exports;
        this.js = this.#provider();
        this.reset();
    }

    /** Empty tables, streams video 1 / audio 2 (LiveView), priorities LiveView then Recording. */
    reset(): void {
        const core = this.core;
        core.reset();
        ok(core.addStream(StreamKind.Video, VIDEO_STREAM, StreamUsage.LiveView));
        ok(core.addStream(StreamKind.Audio, AUDIO_STREAM, StreamUsage.LiveView));
        ok(core.setStreamUsagePriorities(PRIORITIES as StreamUsage[]));
        this.js = this.#provider();
    }

    #provider(): JsProvider {
        const c = this.core.capacities;
        const js = new JsProvider({
            sessions: c.sessions,
            sdpLen: c.sdpLen,
            candLen: c.candLen,
            maxCand: c.maxCand,
            inboundCandidates: c.inboundCandidates,
        });
        js.addStream("video", VIDEO_STREAM, StreamUsage.LiveView);
        js.addStream("audio", AUDIO_STREAM, StreamUsage.LiveView);
        js.priorities = [...PRIORITIES];
        return js;
    }

    /** Creates `count` sessions with SolicitOffer in the core; returns their ids. */
    coreSolicit(count: number, fabric = FABRIC, peer = PEER): number[] {
        const ids: number[] = [];
        for (let i = 0; i < count; i++) {
            const d = this.core.decide(0x00, SOLICIT, fabric, peer);
            ok(d.status);
            ok(this.core.commitSolicitOffer(d.sessionId, false, 0));
            ids.push(d.sessionId);
        }
        this.x.clearEvents();
        return ids;
    }
    jsSolicit(count: number, fabric = FABRIC, peer = PEER): number[] {
        const ids: number[] = [];
        for (let i = 0; i < count; i++) {
            const out = this.js.solicitOffer(SOLICIT, fabric, peer);
            ok(out.status);
            ids.push(out.sessionId!);
        }
        return ids;
    }
    /** Both sides; they must hand out the same ids. */
    solicit(count: number, fabric = FABRIC, peer = PEER): number[] {
        const ids = this.coreSolicit(count, fabric, peer);
        if (this.jsSolicit(count, fabric, peer).join() !== ids.join()) throw new Error("the two sides allocated different ids");
        return ids;
    }

    /** Creates one established session with ProvideOffer on both sides; returns its id. */
    offer(fabric = FABRIC, peer = PEER): number {
        const d = this.core.decide(0x02, OFFER_NEW, fabric, peer);
        ok(d.status);
        ok(this.core.commitProvideOffer(d.sessionId));
        this.x.clearEvents();
        const out = this.js.provideOffer(OFFER_NEW, fabric, peer);
        ok(out.status);
        if (out.sessionId !== d.sessionId) throw new Error("the two sides allocated different ids");
        return d.sessionId;
    }

    /** Drops FABRIC's sessions and restarts ids at 1 (between batches). */
    coreClear(): void {
        this.x.removeFabric(FABRIC);
        this.x.clearEvents();
        this.x.setNextId(1);
    }
    jsClear(): void {
        this.js.removeFabric(FABRIC);
        this.js.nextId = 1;
    }
}

// ── cases ────────────────────────────────────────────────────────────────────────────────────

function solicitOffer(w: World): Case {
    const { core, x } = w;
    return {
        name: "SolicitOffer",
        batch: core.capacities.sessions,
        core: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const d = core.decide(0x00, SOLICIT, FABRIC, PEER);
                    ok(d.status);
                    ok(core.commitSolicitOffer(d.sessionId, false, 0));
                    sink = core.response();
                    x.clearEvents();
                }
            },
            teardown: () => w.coreClear(),
        },
        coreArgs: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const d = core.decide(0x00, SOLICIT, FABRIC, PEER);
                    ok(d.status);
                    sink = core.offerParams(d.sessionId, FABRIC, PEER);
                    ok(core.commitSolicitOffer(d.sessionId, false, 0));
                    sink = core.response();
                    x.clearEvents();
                }
            },
            teardown: () => w.coreClear(),
        },
        baseline: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const out = w.js.solicitOffer(SOLICIT, FABRIC, PEER);
                    ok(out.status);
                    sink = out.response;
                }
            },
            teardown: () => w.jsClear(),
        },
    };
}

function provideOffer(w: World): Case {
    const { core, x } = w;
    return {
        name: `ProvideOffer new (${(SDP.length / 1024).toFixed(1)} KB SDP)`,
        batch: core.capacities.sessions,
        core: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const d = core.decide(0x02, OFFER_NEW, FABRIC, PEER);
                    ok(d.status);
                    ok(core.commitProvideOffer(d.sessionId));
                    sink = core.response();
                    x.clearEvents();
                }
            },
            teardown: () => w.coreClear(),
        },
        coreArgs: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const d = core.decide(0x02, OFFER_NEW, FABRIC, PEER);
                    ok(d.status);
                    sink = core.sdp();
                    sink = core.offerParams(d.sessionId, FABRIC, PEER);
                    ok(core.commitProvideOffer(d.sessionId));
                    sink = core.response();
                    x.clearEvents();
                }
            },
            teardown: () => w.coreClear(),
        },
        baseline: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const out = w.js.provideOffer(OFFER_NEW, FABRIC, PEER);
                    ok(out.status);
                    sink = out.response;
                }
            },
            teardown: () => w.jsClear(),
        },
    };
}

function reoffer(w: World): Case {
    const { core, x } = w;
    const id = w.offer();
    const request = provideOfferRequest(id);
    return {
        name: "ProvideOffer re-offer (same SDP)",
        batch: 100,
        core: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const d = core.decide(0x02, request, FABRIC, PEER);
                    ok(d.status);
                    ok(core.commitProvideOffer(d.sessionId));
                    sink = core.response();
                    x.clearEvents();
                }
            },
        },
        coreArgs: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const d = core.decide(0x02, request, FABRIC, PEER);
                    ok(d.status);
                    sink = core.sdp();
                    sink = core.offerParams(d.sessionId, FABRIC, PEER);
                    ok(core.commitProvideOffer(d.sessionId));
                    sink = core.response();
                    x.clearEvents();
                }
            },
        },
        baseline: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const out = w.js.provideOffer(request, FABRIC, PEER);
                    ok(out.status);
                    sink = out.response;
                }
            },
        },
    };
}

function provideAnswer(w: World): Case {
    const { core } = w;
    const k = core.capacities.sessions;
    const requests = perId(k, provideAnswerRequest);
    const coreBatch = { setup: (): void => void w.coreSolicit(k), teardown: (): void => w.coreClear() };
    const jsBatch = { setup: (): void => void w.jsSolicit(k), teardown: (): void => w.jsClear() };
    return {
        name: `ProvideAnswer (${(SDP.length / 1024).toFixed(1)} KB SDP)`,
        batch: k,
        core: {
            ...coreBatch,
            run: n => {
                for (let i = 0; i < n; i++) {
                    const d = core.decide(0x04, requests[i]!, FABRIC, PEER);
                    ok(d.status);
                    ok(core.commitProvideAnswer(d.sessionId));
                    sink = d;
                }
            },
        },
        coreArgs: {
            ...coreBatch,
            run: n => {
                for (let i = 0; i < n; i++) {
                    const d = core.decide(0x04, requests[i]!, FABRIC, PEER);
                    ok(d.status);
                    sink = core.sdp();
                    ok(core.commitProvideAnswer(d.sessionId));
                }
            },
        },
        baseline: {
            ...jsBatch,
            run: n => {
                for (let i = 0; i < n; i++) {
                    const out = w.js.provideAnswer(requests[i]!, FABRIC, PEER);
                    ok(out.status);
                    sink = out;
                }
            },
        },
    };
}

function provideIceCandidates(w: World): Case {
    const { core } = w;
    const [id] = w.solicit(1);
    const request = provideIceCandidatesRequest(id!);
    return {
        name: `ProvideICECandidates (${CANDIDATES.length})`,
        batch: 100,
        core: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const d = core.decide(0x05, request, FABRIC, PEER);
                    ok(d.status);
                    sink = d;
                }
            },
        },
        coreArgs: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const d = core.decide(0x05, request, FABRIC, PEER);
                    ok(d.status);
                    sink = core.candidates();
                }
            },
        },
        baseline: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const out = w.js.provideIceCandidates(request, FABRIC, PEER);
                    ok(out.status);
                    sink = out;
                }
            },
        },
    };
}

function endSession(w: World): Case {
    const { core, x } = w;
    const k = core.capacities.sessions;
    const requests = perId(k, endSessionRequest);
    const coreBatch = { setup: (): void => void w.coreSolicit(k), teardown: (): void => w.coreClear() };
    const jsBatch = { setup: (): void => void w.jsSolicit(k), teardown: (): void => w.jsClear() };
    return {
        name: "EndSession",
        batch: k,
        core: {
            ...coreBatch,
            run: n => {
                for (let i = 0; i < n; i++) {
                    const d = core.decide(0x06, requests[i]!, FABRIC, PEER);
                    ok(d.status);
                    sink = d;
                    x.clearEvents();
                }
            },
        },
        coreArgs: {
            ...coreBatch,
            run: n => {
                for (let i = 0; i < n; i++) {
                    const d = core.decide(0x06, requests[i]!, FABRIC, PEER);
                    ok(d.status);
                    sink = core.endReason();
                    x.clearEvents();
                }
            },
        },
        baseline: {
            ...jsBatch,
            run: n => {
                for (let i = 0; i < n; i++) {
                    const out = w.js.endSession(requests[i]!, FABRIC, PEER);
                    ok(out.status);
                    sink = out;
                }
            },
        },
    };
}

function currentSessions(w: World): Case {
    const { core } = w;
    const own = core.capacities.sessions - 1;
    w.solicit(own);
    w.offer(OTHER_FABRIC, OTHER_PEER);
    return {
        name: `CurrentSessions read (${own} of ${own + 1} rows)`,
        batch: 100,
        core: {
            run: n => {
                for (let i = 0; i < n; i++) sink = core.currentSessionsTlv(FABRIC);
            },
        },
        baseline: {
            run: n => {
                for (let i = 0; i < n; i++) sink = w.js.currentSessionsTlv(FABRIC);
            },
        },
    };
}

function answerSnapshot(w: World): Case {
    const { core } = w;
    const id = w.offer();
    return {
        name: `Answer snapshot (${(SDP.length / 1024).toFixed(1)} KB SDP)`,
        batch: 100,
        core: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    ok(core.snapAnswer(id, SDP));
                    sink = core.snapshot();
                }
            },
        },
        baseline: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    const invoke = w.js.answer(id, SDP);
                    if (invoke === undefined) throw new Error("no answer");
                    sink = invoke;
                }
            },
        },
    };
}

function iceSnapshot(w: World): Case {
    const { core } = w;
    const id = w.offer();
    return {
        name: `ICECandidates snapshot (${LOCAL_CANDIDATES.length} local)`,
        batch: 100,
        core: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    for (const c of LOCAL_CANDIDATES) if (core.admitCandidate(id, c) !== "accepted") throw new Error("refused");
                    ok(core.snapIce(id));
                    sink = core.snapshot();
                }
            },
        },
        baseline: {
            run: n => {
                for (let i = 0; i < n; i++) {
                    for (const c of CANDIDATES) if (w.js.admitCandidate(id, c) !== "accepted") throw new Error("refused");
                    const invoke = w.js.iceCandidates(id);
                    if (invoke === undefined) throw new Error("no candidates");
                    sink = invoke;
                }
            },
        },
    };
}

/** Each case starts from a reset world: the factories create the sessions they need. */
export const CASES: ((w: World) => Case)[] = [
    solicitOffer,
    provideOffer,
    reoffer,
    provideAnswer,
    provideIceCandidates,
    endSession,
    currentSessions,
    answerSnapshot,
    iceSnapshot,
];

// ── output check ─────────────────────────────────────────────────────────────────────────────

/** A comparable rendering of an operation's result: bytes as hex, bigints as decimal. */
function canonical(value: unknown): string {
    return JSON.stringify(value, (_key, v: unknown) => {
        if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
        if (typeof v === "bigint") return v.toString();
        return v;
    });
}

/** What one operation of `side` produces (its `sink`), after its setup. */
function outputOf(side: Side): string {
    side.setup?.();
    side.run(1);
    const out = sink;
    side.teardown?.();
    return canonical(out);
}

/**
 * Whether the core and the baseline produce the same bytes for one operation: the response, the
 * attribute, or the outbound command (bytes and addressing). Commands without a response
 * compare their status and session id.
 */
export function sameOutput(c: Case): boolean {
    const pick = (s: string): string => {
        const v = JSON.parse(s) as unknown;
        if (typeof v === "string") return v;
        const o = v as Record<string, unknown>;
        if ("fields" in o) return canonical([o.command, o.sessionId, o.fabricIndex, o.peerNodeId, o.endpointId, o.fields]);
        return canonical([o.status, o.sessionId]);
    };
    return pick(outputOf(c.core)) === pick(outputOf(c.baseline));
}

// ── where the core path's bytes come from ────────────────────────────────────────────────────

/**
 * Each value the `Core` facade hands out, produced alone on a steady table, so the allocation
 * table can say what the core path's remaining bytes are. Order matters: `response()` copies
 * whatever the last commit left in RESP, so it runs before anything re-encodes RESP.
 */
export function allocationSources(w: World): { name: string; side: Side }[] {
    w.reset();
    const { core, x } = w;
    const id = w.offer();
    w.solicit(core.capacities.sessions - 2);
    const responseLength = core.response().length;
    const unknownEnd = endSessionRequest(0xfffe);
    ok(core.snapAnswer(id, SDP));
    const repeat =
        (produce: () => unknown): Side["run"] =>
        n => {
            for (let i = 0; i < n; i++) sink = produce();
        };
    return [
        { name: "decide(): the Decision object", side: { run: repeat(() => core.decide(0x06, unknownEnd, FABRIC, PEER)) } },
        { name: `response(): copy of a ${responseLength}-byte response`, side: { run: repeat(() => core.response()) } },
        {
            name: "snapshot(): result object, peer BigInt, copy of the 6 KB Answer fields",
            side: { run: repeat(() => core.snapshot()) },
        },
        { name: "  of which BigInt.asUintN(64, outPeer())", side: { run: repeat(() => BigInt.asUintN(64, x.outPeer())) } },
        {
            name: `currentSessionsTlv(): copy of ${core.sessions(FABRIC).length} rows`,
            side: { run: repeat(() => core.currentSessionsTlv(FABRIC)) },
        },
    ];
}
