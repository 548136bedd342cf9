/**
 * Test doubles for the engine: `MockHooks` records every `WebRtcHooks` call in order (with a
 * shared event log for ordering checks) and lets a test override any hook; `RecordingTransport`
 * keeps every outbound invoke it was handed and can be told to fail; `harness()` wires a fresh
 * core, hooks, transport, error log, change log and reference-count reports into one
 * `WebRtcEngine`; `streamContext()` is the stream context it starts from, for tests that change it.
 *
 * Waiting helpers never wait unboundedly: `within` rejects after a safety bound (a guard against
 * a hung test, never an assertion about timing).
 */

import {
    StreamUsage,
    WebRtcEngine,
    type Core,
    type EndReason,
    type EngineOptions,
    type IceCandidate,
    type IceCandidateSink,
    type OfferParams,
    type OutboundInvoke,
    type OutboundTransport,
    type Profile,
    type RemovalCause,
    type SessionChange,
    type SolicitOutcome,
    type StreamContext,
    type StreamReference,
    type WebRtcHooks,
} from "../../src/engine/index.js";
import { AUDIO, VIDEO, allocateDefaultStreams, freshCore } from "./profiles.js";

export type HookCall =
    | { hook: "onSolicitOffer"; sessionId: number; params: OfferParams }
    | { hook: "onOffer"; sessionId: number; sdp: string; params: OfferParams }
    | { hook: "onAnswer"; sessionId: number; sdp: string }
    | { hook: "onIceCandidates"; sessionId: number; candidates: IceCandidate[] }
    | { hook: "onEndSession"; sessionId: number; reason: EndReason; cause: RemovalCause }
    | { hook: "takeOfferSdp"; sessionId: number }
    | { hook: "takeAnswerSdp"; sessionId: number }
    | { hook: "takeIceCandidates"; sessionId: number };

export type HookName = HookCall["hook"];
export type CallOf<K extends HookName> = Extract<HookCall, { hook: K }>;

/** Overrides a test may install; each runs after the call was recorded. */
export interface HookBehaviour {
    onSolicitOffer?: (sessionId: number, params: OfferParams) => Promise<SolicitOutcome> | SolicitOutcome;
    onOffer?: (sessionId: number, sdp: string, params: OfferParams) => Promise<void> | void;
    onAnswer?: (sessionId: number, sdp: string) => Promise<void> | void;
    onIceCandidates?: (sessionId: number, candidates: IceCandidate[]) => Promise<void> | void;
    onEndSession?: (sessionId: number, reason: EndReason, cause: RemovalCause) => Promise<void> | void;
    takeOfferSdp?: (sessionId: number) => Promise<string> | string;
    takeAnswerSdp?: (sessionId: number) => Promise<string> | string;
    takeIceCandidates?: (sessionId: number, sink: IceCandidateSink) => Promise<boolean> | boolean;
}

export function offerSdpOf(sessionId: number): string {
    return `v=0\r\no=- ${sessionId} 1 IN IP4 127.0.0.1\r\ns=offer\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n`;
}
export function answerSdpOf(sessionId: number): string {
    return `v=0\r\no=- ${sessionId} 2 IN IP4 127.0.0.1\r\ns=answer\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n`;
}

export class MockHooks implements WebRtcHooks {
    readonly calls: HookCall[] = [];
    /** Shared ordering log: hooks append "<hook>:<session>", tests may append their own marks. */
    readonly log: string[];
    readonly behave: HookBehaviour = {};
    /** What onSolicitOffer returns when not overridden. */
    deferred = false;
    /** SDPs handed out by the take hooks (default: `offerSdpOf` / `answerSdpOf`). */
    readonly offerSdp = new Map<number, string>();
    readonly answerSdp = new Map<number, string>();
    /** Local candidates waiting to be taken, per session, oldest first. */
    readonly localCandidates = new Map<number, IceCandidate[]>();
    /** Most candidates one takeIceCandidates call offers to the sink (then reports "more remain"). */
    batchLimit = Number.POSITIVE_INFINITY;
    /** Candidates the sink rejected (dropped for good). */
    readonly rejected: IceCandidate[] = [];
    /** Every onOutboundDone report, in order (kept apart from `calls` and `log`: it follows every send). */
    readonly outboundDone: { sessionId: number; kind: string; delivered: boolean }[] = [];

    constructor(log: string[] = []) {
        this.log = log;
    }

    #record(call: HookCall): void {
        this.calls.push(call);
        this.log.push(`${call.hook}:${call.sessionId}`);
    }

    callsOf<K extends HookName>(hook: K): CallOf<K>[] {
        return this.calls.filter((c): c is CallOf<K> => c.hook === hook);
    }

    addLocalCandidates(sessionId: number, ...candidates: IceCandidate[]): void {
        const list = this.localCandidates.get(sessionId) ?? [];
        list.push(...candidates);
        this.localCandidates.set(sessionId, list);
    }

    onSolicitOffer(sessionId: number, params: OfferParams): Promise<SolicitOutcome> | SolicitOutcome {
        this.#record({ hook: "onSolicitOffer", sessionId, params });
        return this.behave.onSolicitOffer?.(sessionId, params) ?? { deferred: this.deferred };
    }
    onOffer(sessionId: number, sdp: string, params: OfferParams): Promise<void> | void {
        this.#record({ hook: "onOffer", sessionId, sdp, params });
        return this.behave.onOffer?.(sessionId, sdp, params);
    }
    onAnswer(sessionId: number, sdp: string): Promise<void> | void {
        this.#record({ hook: "onAnswer", sessionId, sdp });
        return this.behave.onAnswer?.(sessionId, sdp);
    }
    onIceCandidates(sessionId: number, candidates: IceCandidate[]): Promise<void> | void {
        this.#record({ hook: "onIceCandidates", sessionId, candidates });
        return this.behave.onIceCandidates?.(sessionId, candidates);
    }
    onEndSession(sessionId: number, reason: EndReason, cause: RemovalCause): Promise<void> | void {
        this.#record({ hook: "onEndSession", sessionId, reason, cause });
        return this.behave.onEndSession?.(sessionId, reason, cause);
    }
    onOutboundDone(sessionId: number, kind: string, delivered: boolean): void {
        this.outboundDone.push({ sessionId, kind, delivered });
    }
    takeOfferSdp(sessionId: number): Promise<string> | string {
        this.#record({ hook: "takeOfferSdp", sessionId });
        return this.behave.takeOfferSdp?.(sessionId) ?? this.offerSdp.get(sessionId) ?? offerSdpOf(sessionId);
    }
    takeAnswerSdp(sessionId: number): Promise<string> | string {
        this.#record({ hook: "takeAnswerSdp", sessionId });
        return this.behave.takeAnswerSdp?.(sessionId) ?? this.answerSdp.get(sessionId) ?? answerSdpOf(sessionId);
    }
    takeIceCandidates(sessionId: number, sink: IceCandidateSink): Promise<boolean> | boolean {
        this.#record({ hook: "takeIceCandidates", sessionId });
        if (this.behave.takeIceCandidates !== undefined) return this.behave.takeIceCandidates(sessionId, sink);
        const list = this.localCandidates.get(sessionId) ?? [];
        let offered = 0;
        while (list.length > 0 && offered < this.batchLimit) {
            const result = sink.push(list[0]!);
            if (result === "full") break;
            const taken = list.shift()!;
            if (result === "rejected") this.rejected.push(taken);
            offered++;
        }
        return list.length > 0;
    }
}

/** Records every invoke handed to it; `failures` makes that many next sends reject. */
export class RecordingTransport implements OutboundTransport {
    /** Invokes whose send resolved. */
    readonly sent: OutboundInvoke[] = [];
    /** Every send attempt, failed or not. */
    readonly attempts: OutboundInvoke[] = [];
    failures = 0;
    readonly log: string[];
    #waiters: { count: number; resolve: () => void }[] = [];

    constructor(log: string[] = []) {
        this.log = log;
    }

    async send(invoke: OutboundInvoke): Promise<void> {
        this.attempts.push(invoke);
        if (this.failures > 0) {
            this.failures--;
            this.log.push(`send-failed:${invoke.command}:${invoke.sessionId}`);
            throw new Error(`send of command ${invoke.command} failed`);
        }
        this.sent.push(invoke);
        this.log.push(`send:${invoke.command}:${invoke.sessionId}`);
        this.#waiters = this.#waiters.filter(w => {
            if (this.sent.length < w.count) return true;
            w.resolve();
            return false;
        });
    }

    /** Resolves once `count` invokes were sent (bounded by `within`). */
    untilSent(count: number): Promise<void> {
        if (this.sent.length >= count) return Promise.resolve();
        return within(new Promise<void>(resolve => this.#waiters.push({ count, resolve })), `${count} sends`);
    }
}

export interface Deferred<T> {
    promise: Promise<T>;
    resolve(value: T): void;
    reject(error: unknown): void;
}
export function deferred<T = void>(): Deferred<T> {
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
    });
    return { promise, resolve, reject };
}

/** Rejects if `promise` has not settled within a generous safety bound (a hung test, not timing). */
export function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const guard = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`gave up waiting for ${what}`)), ms);
    });
    return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** Lets every pending promise chain and I/O callback run once (a macrotask turn). */
export function turn(): Promise<void> {
    return new Promise(resolve => setImmediate(resolve));
}

export interface Harness {
    core: Core;
    hooks: MockHooks;
    engine: WebRtcEngine;
    transport: RecordingTransport;
    /** Errors reported through `options.onError`, with their context. */
    errors: { error: unknown; context: string }[];
    /** Every SessionChange, in order. */
    changes: SessionChange[];
    /** Every report of the streams' reference counts (`engine.onStreamReferences`), in order. */
    references: StreamReference[][];
    /** Shared ordering log of hooks, transport and test marks. */
    log: string[];
    /** Seconds clock the engine reads (settable). */
    clock: { now: number };
}

/** The stream context `harness()` starts from (video 1 and audio 2 for LiveView; LiveView, Recording; no privacy), with `overrides`. */
export function streamContext(overrides: Partial<StreamContext> = {}): StreamContext {
    return {
        videoStreams: [{ id: VIDEO, usage: StreamUsage.LiveView }],
        audioStreams: [{ id: AUDIO, usage: StreamUsage.LiveView }],
        streamUsagePriorities: [StreamUsage.LiveView, StreamUsage.Recording],
        hardPrivacyModeOn: false,
        softRecordingPrivacyModeEnabled: false,
        softLivestreamPrivacyModeEnabled: false,
        utcTimeNull: false,
        ...overrides,
    };
}

/** A fresh core of `profile` with video 1 / audio 2 allocated, and an engine around it. */
export async function harness(profile: Profile = "default", options: EngineOptions = {}): Promise<Harness> {
    const core = await freshCore(profile);
    allocateDefaultStreams(core);
    core.takeReferenceChanges();
    const log: string[] = [];
    const hooks = new MockHooks(log);
    const transport = new RecordingTransport(log);
    const errors: { error: unknown; context: string }[] = [];
    const changes: SessionChange[] = [];
    const clock = { now: 1_000 };
    const engine = new WebRtcEngine(core, hooks, {
        now: () => clock.now,
        onError: (error, context) => {
            errors.push({ error, context });
            log.push(`error:${context}`);
        },
        ...options,
    });
    engine.subscribe(change => changes.push(change));
    const references: StreamReference[][] = [];
    engine.onStreamReferences(report => references.push(report));
    return { core, hooks, engine, transport, errors, changes, references, log, clock };
}

/** Sends every queued item (and any it queues) through `transport`; returns how many were taken. */
export async function drainAll(engine: WebRtcEngine, transport: OutboundTransport, limit = 1_000): Promise<number> {
    let n = 0;
    while (await engine.drainOne(transport)) {
        if (++n > limit) throw new Error(`outbound queue did not drain within ${limit} items`);
    }
    return n;
}
