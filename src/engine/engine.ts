/**
 * `WebRtcEngine`: the provider's command path and outbound queue, around one `Core`.
 *
 * Inbound: a command's TLV fields and its caller go to the core, which decides; if the decision
 * needs the media plane, the engine reads the arguments out (the inbound buffer is reused by the
 * next command), awaits the hook, then commits or aborts. It never judges a command itself: every
 * status it returns comes from the core or from a hook that threw.
 *
 * Outbound: hooks signal ready work through {@link OutboundSignal} the moment they have it; the
 * core queues provider-side Ends itself. The engine orders it, so hooks never time their calls:
 * - work signalled while the command that creates or re-offers its session is still running (the
 *   hook has not returned, the row is not committed) is held and queued at commit, or dropped if
 *   the command fails (a failed re-offer keeps its candidates: the running call goes on);
 * - a session's candidates wait until its Offer or Answer has gone, so a controller never gets
 *   candidates before the description they belong to;
 * - work waits until the response of the command that created its session has left
 *   (`Caller.responseSent`).
 * A single drain loop (`run`) takes one item at a time, pulls the SDP or candidates from the hook
 * exactly once, has the core encode the snapshot, and hands the bytes to an
 * {@link OutboundTransport}. A failed send is reported and the loop goes on, as rs-matter's `run`
 * does; retry policy belongs to the transport. `onOutboundDone` tells the hooks what left.
 *
 * Change events from the core become hook calls (`onEndSession` for rows the provider or a fabric
 * removal took away), `SessionChange` notifications (`subscribe`) and stream reference counts
 * (`onStreamReferences`, for CameraAvStreamManagement). The table is read through the engine
 * (`session`, `sessions`, `streamReferences`, ...); the `Core` itself stays inside.
 *
 * Size: the command path and the outbound queue share the ordering state (held work, due
 * descriptions, response gates), so they stay in one class.
 */

import { Action, Core, type Capacities, type Decision, type StreamContext } from "./core.js";
import type { IceCandidateSink, OutboundSignal, SinkResult, WebRtcHooks } from "./hooks.js";
import { Status, statusName, statusOfHookError } from "./status.js";
import {
    EndReason,
    ProviderCommand,
    StreamKind,
    type Caller,
    type IceCandidate,
    type OutboundInvoke,
    type OutboundWork,
    type RemovalCause,
    type RequestorCommand,
    type SessionChange,
    type SessionInfo,
    type StreamReference,
    type StreamUsage,
} from "./types.js";

/** Result of one provider command: the status for the wire and, on success, the response fields. */
export interface InvokeResult {
    /** The command's status: the core's decision, or the status of a hook that threw. */
    status: Status;
    /** TLV of SolicitOfferResponse / ProvideOfferResponse (anonymous structure). */
    response?: Uint8Array;
    /** The session the command concerned, when it succeeded. */
    sessionId?: number;
}

/** Delivers one outbound invoke to the controller's Requestor cluster. */
export interface OutboundTransport {
    /** Sends the invoke's exact bytes; resolves once the controller accepted it, rejects when it could not be delivered. */
    send(invoke: OutboundInvoke): Promise<void>;
}

/** Options of {@link WebRtcEngine}. */
export interface EngineOptions {
    /** Seconds clock for offer deadlines (default: wall clock). */
    now?: () => number;
    /** Errors the engine cannot return to anyone (a failed send, a failed cleanup hook). */
    onError?: (error: unknown, context: string) => void;
}

const EV_ADDED = 1;
const EV_UPDATED = 2;
const EV_REMOVED = 3;
const EV_END_QUEUED = 4;
const CAUSES: RemovalCause[] = ["peer", "provider", "fabric-removed"];

/**
 * The provider's command path and outbound queue around one {@link Core}: runs the five provider
 * commands through the core and the media hooks, and sends outbound Requestor work in order
 * through an {@link OutboundTransport}. One engine serves one camera node.
 */
export class WebRtcEngine implements OutboundSignal {
    readonly #core: Core;
    readonly #hooks: WebRtcHooks;
    readonly #now: () => number;
    readonly #onError: (error: unknown, context: string) => void;
    readonly #listeners = new Set<(change: SessionChange) => void>();
    readonly #referenceListeners = new Set<(references: StreamReference[]) => void>();
    readonly #queue: OutboundWork[] = [];
    /** Per session: the response that must leave before its outbound work may go. */
    readonly #gates = new Map<number, Promise<unknown>>();
    /** Sessions whose creating or re-offering command runs: work signalled meanwhile, held until commit. */
    readonly #inFlight = new Map<number, OutboundWork[]>();
    /** Sessions whose Offer or Answer has not gone yet: their candidate work, held until it has. */
    readonly #sdpDue = new Map<number, OutboundWork[]>();
    #wake: (() => void) | undefined;

    constructor(core: Core, hooks: WebRtcHooks, options: EngineOptions = {}) {
        this.#core = core;
        this.#hooks = hooks;
        this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
        this.#onError = options.onError ?? ((error, context) => console.error(`webrtc engine: ${context}:`, error));
    }

    /** Subscribes to table changes; returns the unsubscribe function. */
    subscribe(listener: (change: SessionChange) => void): () => void {
        this.#listeners.add(listener);
        return () => this.#listeners.delete(listener);
    }

    /** Subscribes to the streams' reference counts (each change: every stream that changed); returns the unsubscribe function. */
    onStreamReferences(listener: (references: StreamReference[]) => void): () => void {
        this.#referenceListeners.add(listener);
        return () => this.#referenceListeners.delete(listener);
    }

    // ── reading the table ─────────────────────────────────────────────────────────────────────
    /** The loaded core profile's capacities (sessions, SDP length, ...). */
    get capacities(): Capacities {
        return this.#core.capacities;
    }
    /** The live session `id` on any fabric, or undefined. */
    session(id: number): SessionInfo | undefined {
        return this.#core.session(id);
    }
    /** Live rows in insertion order; `fabricIndex` 0: every fabric. */
    sessions(fabricIndex = 0): SessionInfo[] {
        return this.#core.sessions(fabricIndex);
    }
    /** CurrentSessions as the core encodes it (TLV list); `fabricIndex` 0: every fabric. */
    currentSessionsTlv(fabricIndex = 0): Uint8Array {
        return this.#core.currentSessionsTlv(fabricIndex);
    }
    /** Allocated streams of a kind as the core knows them, with their session counts. */
    streams(kind: StreamKind): {
        /** The stream id. */
        id: number;
        /** The stream's usage. */
        usage: StreamUsage;
        /** Live sessions using the stream. */
        references: number;
    }[] {
        return this.#core.streams(kind);
    }
    /** The core's own consistency check of its table (0: consistent), for tests and diagnostics. */
    selfCheck(): number {
        return this.#core.selfCheck();
    }
    /** Sessions using a stream now; negative when the stream is unknown. */
    streamReferences(kind: StreamKind, streamId: number): number {
        return this.#core.streamReferences(kind, streamId);
    }

    // ── inbound ───────────────────────────────────────────────────────────────────────────────
    /** Runs provider command `command` (a ProviderCommand id) with TLV `fields` from `caller`. */
    async invoke(command: number, fields: Uint8Array, caller: Caller): Promise<InvokeResult> {
        const decision = this.#core.decide(command, fields, caller.fabricIndex, caller.peerNodeId);
        if (decision.status !== Status.Success) return { status: decision.status };
        const id = decision.sessionId;
        if (caller.responseSent !== undefined) this.#gates.set(id, caller.responseSent);
        // a command that creates or re-offers a session: what the hook signals waits for the commit
        const creates = (command === ProviderCommand.SolicitOffer || command === ProviderCommand.ProvideOffer) && decision.action === Action.Hook;
        const reoffer = creates && command === ProviderCommand.ProvideOffer && this.#core.session(id)?.state !== "reserved";
        if (creates) this.#inFlight.set(id, []);
        let result: InvokeResult = { status: Status.Failure };
        try {
            switch (command) {
                case ProviderCommand.SolicitOffer:
                    result = await this.#solicitOffer(decision, caller);
                    break;
                case ProviderCommand.ProvideOffer:
                    result = await this.#provideOffer(decision, caller);
                    break;
                case ProviderCommand.ProvideAnswer:
                    result = await this.#provideAnswer(decision);
                    break;
                case ProviderCommand.ProvideIceCandidates:
                    result = await this.#provideIceCandidates(decision);
                    break;
                default:
                    result = await this.#endSession(decision);
            }
            return result;
        } finally {
            if (creates) this.#settleInFlight(id, result.status === Status.Success, reoffer);
            this.#processEvents();
        }
    }

    /**
     * The creating command is done. Committed: an Offer or Answer is due, and the held work is
     * queued. Failed: the held work is dropped, but a failed re-offer keeps its candidates work
     * (the running call goes on with its old peer).
     */
    #settleInFlight(sessionId: number, committed: boolean, reoffer: boolean): void {
        const held = this.#inFlight.get(sessionId) ?? [];
        this.#inFlight.delete(sessionId);
        if (committed) {
            if (!this.#sdpDue.has(sessionId)) this.#sdpDue.set(sessionId, []);
            for (const work of held) this.#enqueue(work);
        } else if (reoffer) {
            for (const work of held) if (work.kind === "iceCandidates") this.#enqueue(work);
        }
    }

    /** The session's Offer or Answer is done (sent, refused, or dropped): its held candidate work goes. */
    #sdpDone(sessionId: number): void {
        const held = this.#sdpDue.get(sessionId);
        if (held === undefined) return;
        this.#sdpDue.delete(sessionId);
        for (const work of held) this.#enqueue(work);
    }

    async #solicitOffer(decision: Decision, caller: Caller): Promise<InvokeResult> {
        const id = decision.sessionId;
        if (decision.action === Action.Respond) {
            // over capacity: answered at once, End(OutOfResources) already queued by the core
            return { status: Status.Success, response: this.#core.response(), sessionId: id };
        }
        const params = this.#core.offerParams(id, caller.fabricIndex, caller.peerNodeId);
        let deferred: boolean;
        try {
            deferred = (await this.#hooks.onSolicitOffer(id, params)).deferred;
        } catch (error) {
            this.#core.abortPending(id);
            return { status: statusOfHookError(error) };
        }
        return this.#commitNew(id, this.#core.commitSolicitOffer(id, deferred, this.#now()));
    }

    async #provideOffer(decision: Decision, caller: Caller): Promise<InvokeResult> {
        const id = decision.sessionId;
        const sdp = this.#core.sdp();
        const params = this.#core.offerParams(id, caller.fabricIndex, caller.peerNodeId);
        try {
            await this.#hooks.onOffer(id, sdp, params);
        } catch (error) {
            this.#core.abortPending(id);
            return { status: statusOfHookError(error) };
        }
        return this.#commitNew(id, this.#core.commitProvideOffer(id), params.reoffer);
    }

    /**
     * A commit can fail only because the reservation vanished while the hook ran (the session was
     * ended, its fabric removed, or privacy turned on). The media the hook set up is then released.
     */
    #commitNew(id: number, status: Status, reoffer = false): InvokeResult {
        if (status === Status.Success) return { status, response: this.#core.response(), sessionId: id };
        if (!reoffer) this.#cleanup(id, EndReason.UnknownReason, "provider");
        return { status };
    }

    async #provideAnswer(decision: Decision): Promise<InvokeResult> {
        const id = decision.sessionId;
        if (decision.action === Action.Done) return { status: Status.Success, sessionId: id };
        const sdp = this.#core.sdp();
        try {
            await this.#hooks.onAnswer(id, sdp);
        } catch (error) {
            this.#core.abortPending(id);
            return { status: statusOfHookError(error) };
        }
        const status = this.#core.commitProvideAnswer(id);
        return { status, sessionId: id };
    }

    async #provideIceCandidates(decision: Decision): Promise<InvokeResult> {
        const id = decision.sessionId;
        const candidates = this.#core.candidates();
        try {
            await this.#hooks.onIceCandidates(id, candidates);
        } catch (error) {
            return { status: statusOfHookError(error) };
        }
        return { status: Status.Success, sessionId: id };
    }

    async #endSession(decision: Decision): Promise<InvokeResult> {
        const id = decision.sessionId;
        const reason = this.#core.endReason();
        // The core removed the row already; the command reports the hook's status.
        this.#processEvents();
        try {
            await this.#hooks.onEndSession(id, reason, "peer");
        } catch (error) {
            return { status: statusOfHookError(error) };
        }
        return { status: Status.Success, sessionId: id };
    }

    // ── provider-side changes ─────────────────────────────────────────────────────────────────
    /** Mirrors CameraAvStreamManagement into the core; returns the sessions privacy ended. */
    setStreamContext(context: StreamContext): number {
        const core = this.#core;
        // privacy first: the sessions it ends release their streams, which may then be removed
        const ended = core.setPrivacy(
            context.hardPrivacyModeOn,
            context.softRecordingPrivacyModeEnabled,
            context.softLivestreamPrivacyModeEnabled,
        );
        for (const [kind, wanted] of [
            [StreamKind.Video, context.videoStreams],
            [StreamKind.Audio, context.audioStreams],
        ] as const) {
            const keep = new Set(wanted.map(s => s.id));
            for (const s of core.streams(kind)) {
                if (!keep.has(s.id)) {
                    const status = core.removeStream(kind, s.id);
                    if (status !== Status.Success) {
                        throw new Error(`stream ${s.id} cannot be removed: ${statusName(status)} (${s.references} sessions use it)`);
                    }
                }
            }
            const have = new Set(core.streams(kind).map(s => s.id));
            for (const s of wanted) {
                if (have.has(s.id)) continue;
                const status = core.addStream(kind, s.id, s.usage);
                if (status !== Status.Success) throw new Error(`stream ${s.id} cannot be added: ${statusName(status)}`);
            }
        }
        const priorities = core.setStreamUsagePriorities(context.streamUsagePriorities);
        if (priorities !== Status.Success) throw new Error(`stream usage priorities refused: ${statusName(priorities)}`);
        core.setUtcTimeNull(context.utcTimeNull);
        this.#processEvents();
        return ended;
    }

    /** A fabric was removed: its sessions go without an End (nobody could receive it). */
    removeFabric(fabricIndex: number): number {
        const n = this.#core.removeFabric(fabricIndex);
        this.#processEvents();
        return n;
    }

    /** Ends sessions whose Offer did not come within 30 s; call it periodically. */
    expireOffers(): number {
        const n = this.#core.expireOffers(this.#now());
        this.#processEvents();
        return n;
    }

    // ── OutboundSignal ────────────────────────────────────────────────────────────────────────
    offerReady(sessionId: number): void {
        this.#signalled({ kind: "offer", sessionId });
    }
    answerReady(sessionId: number): void {
        this.#signalled({ kind: "answer", sessionId });
    }
    iceCandidatesReady(sessionId: number): void {
        const same = (w: OutboundWork) => w.kind === "iceCandidates" && w.sessionId === sessionId;
        if (this.#queue.some(same) || this.#inFlight.get(sessionId)?.some(same) || this.#sdpDue.get(sessionId)?.some(same)) return;
        this.#signalled({ kind: "iceCandidates", sessionId });
    }
    endSession(sessionId: number, reason: EndReason): Status {
        const status = this.#core.endByProvider(sessionId, reason);
        this.#processEvents();
        return status;
    }

    /** Hook-signalled work: held while its session's creating command runs, else queued. */
    #signalled(work: OutboundWork): void {
        const held = this.#inFlight.get(work.sessionId);
        if (held !== undefined) held.push(work);
        else this.#enqueue(work);
    }

    #enqueue(work: OutboundWork): void {
        this.#queue.push(work);
        const wake = this.#wake;
        this.#wake = undefined;
        wake?.();
    }

    /** Outbound work waiting to be sent. */
    get pendingWork(): number {
        return this.#queue.length;
    }

    /**
     * The drain loop: sends queued work one item at a time until `signal` aborts. Send failures
     * go to `onError` and the loop continues.
     */
    async run(transport: OutboundTransport, signal?: AbortSignal): Promise<void> {
        while (signal?.aborted !== true) {
            if (this.#queue.length === 0) {
                await new Promise<void>(resolve => {
                    const onAbort = (): void => resolve();
                    signal?.addEventListener("abort", onAbort, { once: true });
                    // woken by new work: drop this wait's abort listener, or they pile up on the signal
                    this.#wake = () => {
                        signal?.removeEventListener("abort", onAbort);
                        resolve();
                    };
                });
                continue;
            }
            await this.drainOne(transport);
        }
    }

    /** Sends the next queued item, if any; returns false when the queue was empty. */
    async drainOne(transport: OutboundTransport): Promise<boolean> {
        const work = this.#queue.shift();
        if (work === undefined) return false;
        // candidates wait for their description (the Offer or Answer due for the session)
        const due = work.kind === "iceCandidates" ? this.#sdpDue.get(work.sessionId) : undefined;
        if (due !== undefined) {
            due.push(work);
            return true;
        }
        let produced = false;
        try {
            const invoke = await this.#snapshot(work);
            if (invoke === undefined) return true;
            produced = true;
            const gate = this.#gates.get(work.sessionId);
            if (gate !== undefined) await gate.catch(() => undefined);
            await transport.send(invoke);
            this.#outboundDone(work, true);
        } catch (error) {
            this.#onError(error, `${work.kind} for session ${work.sessionId}`);
            if (produced) this.#outboundDone(work, false);
        } finally {
            if (work.kind === "offer" || work.kind === "answer") this.#sdpDone(work.sessionId);
            // an End is the session's last work: its gate is no longer needed
            if (work.kind === "end") this.#gates.delete(work.sessionId);
            this.#processEvents();
        }
        return true;
    }

    /** Takes the hook's data once and has the core encode it; undefined when there is nothing to send. */
    async #snapshot(work: OutboundWork): Promise<OutboundInvoke | undefined> {
        const core = this.#core;
        const id = work.sessionId;
        let status: Status;
        switch (work.kind) {
            case "offer":
            case "answer": {
                if (core.session(id) === undefined) return undefined; // ended meanwhile
                const sdp = work.kind === "offer" ? await this.#hooks.takeOfferSdp(id) : await this.#hooks.takeAnswerSdp(id);
                status = work.kind === "offer" ? core.snapOffer(id, sdp) : core.snapAnswer(id, sdp);
                if (status === Status.ResourceExhausted) {
                    // never cut an SDP: the session cannot go on
                    core.endByProvider(id, EndReason.OutOfResources);
                    throw new Error(`${work.kind} SDP of ${sdp.length} characters exceeds SDP_LEN ${core.capacities.sdpLen}`);
                }
                break;
            }
            case "iceCandidates": {
                if (core.session(id) === undefined) return undefined;
                const sink = this.#sink(id);
                const more = await this.#hooks.takeIceCandidates(id, sink);
                status = core.snapIce(id);
                // go again for leftovers in the core, or for the hook's rest when the pool ran full;
                // a hook that says "more" but offered nothing would otherwise spin the loop
                if (core.candidatesWaiting(id) > 0 || (more && (sink.accepted > 0 || sink.full))) this.iceCandidatesReady(id);
                if (status === Status.Success && core.snapshot().fields.length === 0) return undefined;
                break;
            }
            case "end":
                status = core.snapEnd(id);
                break;
        }
        if (status === Status.NotFound) return undefined;
        if (status !== Status.Success) throw new Error(`cannot encode ${work.kind}: ${statusName(status)}`);
        const snap = core.snapshot();
        return {
            command: snap.command as RequestorCommand,
            sessionId: snap.sessionId,
            fabricIndex: snap.fabricIndex,
            peerNodeId: snap.peerNodeId,
            endpointId: snap.endpointId,
            fields: snap.fields,
        };
    }

    /** A sink into the core's candidate pool, counting what it took and whether it ran full. */
    #sink(sessionId: number): IceCandidateSink & { accepted: number; full: boolean } {
        const sink = {
            accepted: 0,
            full: false,
            push: (candidate: IceCandidate): SinkResult => {
                const admitted = this.#core.admitCandidate(sessionId, candidate);
                if (admitted === "accepted") sink.accepted++;
                if (admitted === "full") sink.full = true;
                if (admitted === "accepted" || admitted === "full") return admitted;
                if (admitted === "too-long") {
                    this.#onError(new Error(`candidate longer than CAND_LEN ${this.#core.capacities.candLen}`), `candidates of session ${sessionId}`);
                }
                return "rejected";
            },
        };
        return sink;
    }

    // ── events ────────────────────────────────────────────────────────────────────────────────
    #processEvents(): void {
        const { events, overflow } = this.#core.takeEvents();
        if (overflow) this.#onError(new Error("core change events overflowed"), "events");
        for (const e of events) {
            switch (e.kind) {
                case EV_ADDED:
                case EV_UPDATED:
                    this.#notify({ kind: e.kind === EV_ADDED ? "added" : "updated", sessionId: e.sessionId });
                    break;
                case EV_REMOVED: {
                    const cause = CAUSES[e.cause] ?? "provider";
                    // a provider-side removal queues an End that must still wait for the response
                    // (its gate goes once that End is drained); other removals send nothing more
                    if (cause !== "provider") this.#gates.delete(e.sessionId);
                    this.#sdpDue.delete(e.sessionId); // its held candidates have nowhere to go
                    this.#notify({ kind: "removed", sessionId: e.sessionId, reason: e.reason as EndReason, cause });
                    // a peer's EndSession calls the hook itself, to return its status
                    if (cause !== "peer") this.#cleanup(e.sessionId, e.reason as EndReason, cause);
                    break;
                }
                case EV_END_QUEUED:
                    this.#enqueue({ kind: "end", sessionId: e.sessionId, reason: e.reason as EndReason });
                    break;
            }
        }
        const references = this.#core.takeReferenceChanges();
        if (references !== undefined) {
            for (const listener of this.#referenceListeners) {
                try {
                    listener(references);
                } catch (error) {
                    this.#onError(error, "stream reference listener");
                }
            }
        }
    }

    #outboundDone(work: OutboundWork, delivered: boolean): void {
        try {
            this.#hooks.onOutboundDone?.(work.sessionId, work.kind, delivered);
        } catch (error) {
            this.#onError(error, `outbound ${work.kind} of session ${work.sessionId} done`);
        }
    }

    #cleanup(sessionId: number, reason: EndReason, cause: RemovalCause): void {
        Promise.resolve()
            .then(() => this.#hooks.onEndSession(sessionId, reason, cause))
            .catch(error => this.#onError(error, `closing session ${sessionId}`));
    }

    #notify(change: SessionChange): void {
        for (const listener of this.#listeners) {
            try {
                listener(change);
            } catch (error) {
                this.#onError(error, "session change listener");
            }
        }
    }
}
