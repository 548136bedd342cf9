/**
 * The media-host contract: what a WebRTC stack implements to be a camera's media plane (one peer
 * per Matter session), and `MediaHostHooks`, which turns any `MediaHost` into the engine's
 * pull-model `WebRtcHooks`. Both cameras use it: the Node camera's `NodeMediaHost`
 * (node-datachannel) in process, the browser camera's `BrowserMediaHost` (RTCPeerConnection, on
 * the page) across comlink from the worker.
 *
 * A host works with plain data: it returns its Offer or Answer from the call that makes it,
 * hands its local candidates over as arrays, and reports through `MediaEvents` when it has
 * candidates, when a deferred Offer is ready, and when a peer ended by itself. It never times its
 * calls and never chooses a Matter status: the engine holds work until its session is committed,
 * sends candidates only after their description, and a host that fails throws (FAILURE).
 *
 * `MediaHostHooks` keeps each SDP until the engine takes it (once), and the candidates a full
 * outbound batch refused, oldest first, for the next batch.
 */

import type { IceCandidateSink, OutboundSignal, WebRtcHooks } from "./hooks.js";
import type { EndReason, IceCandidate, OfferParams, OutboundWork, RemovalCause, SolicitOutcome } from "./types.js";

/** @inline */
type MaybePromise<T> = T | Promise<T>;

/** An encoded image of the live source (CaptureSnapshot). */
export interface MediaSnapshot {
    /** The JPEG bytes. */
    data: Uint8Array;
    /** Width in pixels: the size that was asked for. */
    width: number;
    /** Height in pixels: the size that was asked for. */
    height: number;
}

/** What a host reports by itself. Hosts may call these from any thread hop (they are one-way). */
export interface MediaEvents {
    /** New local candidates wait for `takeLocalCandidates`. */
    candidatesReady(sessionId: number): void;
    /** A deferred Offer (`solicitOffer` answered `{ deferred: true }`) is ready. */
    offerReady(sessionId: number, sdp: string): void;
    /** The session's peer ended by itself (closed, failed, fell silent): the session must end. */
    sessionFailed(sessionId: number, reason: EndReason, why: string): void;
}

/** The media plane of a camera: one WebRTC peer per Matter WebRTC session. */
export interface MediaHost {
    /** Gives the host its event sink; replaces an earlier one. */
    attachEvents(events: MediaEvents): MaybePromise<void>;
    /**
     * SolicitOffer: become the offerer and return the Offer, or `{ deferred: true }` and report it
     * later with `MediaEvents.offerReady` (within 30 s) or end it with `sessionFailed`.
     */
    solicitOffer(
        sessionId: number,
        params: OfferParams,
    ): MaybePromise<
        | {
              /** The local Offer. */
              sdp: string;
          }
        | {
              /** The Offer follows later through `MediaEvents.offerReady`. */
              deferred: true;
          }
    >;
    /** ProvideOffer, a new session or a re-offer: answer `sdp` and return the Answer. */
    answerOffer(
        sessionId: number,
        sdp: string,
        params: OfferParams,
    ): MaybePromise<{
        /** The local Answer. */
        sdp: string;
    }>;
    /** The controller's Answer to this host's Offer. */
    applyAnswer(sessionId: number, sdp: string): MaybePromise<void>;
    /** The controller's candidates (the host buffers them until it can use them). */
    addRemoteCandidates(sessionId: number, candidates: IceCandidate[]): MaybePromise<void>;
    /** Local candidates gathered since the last call, oldest first (the host forgets them). */
    takeLocalCandidates(sessionId: number): MaybePromise<IceCandidate[]>;
    /** The session is gone from the table: close its peer. Unknown ids are ignored. */
    end(sessionId: number, reason: EndReason, cause: RemovalCause): MaybePromise<void>;
    /** Outbound work of the session reached the controller (`delivered`) or was given up. */
    delivered?(sessionId: number, kind: OutboundWork["kind"], delivered: boolean): MaybePromise<void>;
    /** The current frame as a JPEG of exactly `resolution`, JPEG `quality` 1–100 (CaptureSnapshot). */
    snapshot?(resolution: { width: number; height: number }, quality: number): Promise<MediaSnapshot>;
}

interface Entry {
    offerSdp: string | undefined;
    answerSdp: string | undefined;
    /** Taken from the host but refused by a full batch. */
    leftovers: IceCandidate[];
}

/** A `MediaHost` as the engine's `WebRtcHooks`. */
export class MediaHostHooks implements WebRtcHooks {
    readonly #host: MediaHost;
    readonly #entries = new Map<number, Entry>();
    readonly #onLog: (line: string) => void;
    #signal: OutboundSignal | undefined;
    #closed = false;

    constructor(host: MediaHost, options: { onLog?: (line: string) => void } = {}) {
        this.#host = host;
        this.#onLog = options.onLog ?? (() => undefined);
    }

    /** The sink to give the host (`host.attachEvents`; across threads wrapped by the caller). */
    readonly events: MediaEvents = {
        candidatesReady: sessionId => {
            if (!this.#closed && this.#entries.has(sessionId)) this.#signal?.iceCandidatesReady(sessionId);
        },
        offerReady: (sessionId, sdp) => {
            const entry = this.#entries.get(sessionId);
            if (this.#closed || entry === undefined) return;
            entry.offerSdp = sdp;
            this.#signal?.offerReady(sessionId);
        },
        sessionFailed: (sessionId, reason, why) => {
            if (this.#closed) return;
            this.#onLog(`session ${sessionId}: ${why}`);
            this.#entries.delete(sessionId);
            this.#signal?.endSession(sessionId, reason);
        },
    };

    /** The engine to signal (it is created with these hooks, so it comes later). */
    attach(signal: OutboundSignal): void {
        this.#signal = signal;
    }

    /** Stops forwarding (the node is closing); the host's peers are closed by its owner. */
    close(): void {
        this.#closed = true;
        this.#entries.clear();
    }

    /** Sessions with an entry (tests). */
    sessionIds(): number[] {
        return [...this.#entries.keys()];
    }

    // ── inbound ──────────────────────────────────────────────────────────────────────────────
    async onSolicitOffer(sessionId: number, params: OfferParams): Promise<SolicitOutcome> {
        const entry = this.#open(sessionId, true);
        let outcome: { sdp: string } | { deferred: true };
        try {
            outcome = await this.#host.solicitOffer(sessionId, params);
        } catch (error) {
            if (this.#entries.get(sessionId) === entry) this.#entries.delete(sessionId);
            throw error;
        }
        if (this.#entries.get(sessionId) !== entry) throw new Error(`session ${sessionId} ended while its Offer was made`);
        if ("deferred" in outcome) return { deferred: true };
        entry.offerSdp = outcome.sdp;
        this.#signal?.offerReady(sessionId); // the engine holds it until the session is committed
        return { deferred: false };
    }

    async onOffer(sessionId: number, sdp: string, params: OfferParams): Promise<void> {
        const existing = this.#entries.get(sessionId);
        const entry = this.#open(sessionId, existing === undefined);
        let answer: string;
        try {
            ({ sdp: answer } = await this.#host.answerOffer(sessionId, sdp, params));
        } catch (error) {
            // a failed re-offer leaves the running call as it was; a new session is forgotten
            if (existing === undefined && this.#entries.get(sessionId) === entry) this.#entries.delete(sessionId);
            throw error;
        }
        if (this.#entries.get(sessionId) !== entry) throw new Error(`session ${sessionId} ended while its Answer was made`);
        entry.answerSdp = answer;
        entry.offerSdp = undefined;
        entry.leftovers = []; // the previous peer's candidates are stale now
        this.#signal?.answerReady(sessionId);
    }

    async onAnswer(sessionId: number, sdp: string): Promise<void> {
        await this.#host.applyAnswer(sessionId, sdp);
    }

    async onIceCandidates(sessionId: number, candidates: IceCandidate[]): Promise<void> {
        await this.#host.addRemoteCandidates(sessionId, candidates);
    }

    async onEndSession(sessionId: number, reason: EndReason, cause: RemovalCause): Promise<void> {
        this.#entries.delete(sessionId);
        if (this.#closed) return;
        await this.#host.end(sessionId, reason, cause);
    }

    onOutboundDone(sessionId: number, kind: OutboundWork["kind"], delivered: boolean): void {
        if (this.#closed || this.#host.delivered === undefined) return;
        Promise.resolve(this.#host.delivered(sessionId, kind, delivered)).catch(error =>
            this.#onLog(`session ${sessionId}: delivery report failed: ${error instanceof Error ? error.message : String(error)}`),
        );
    }

    // ── outbound pulls ───────────────────────────────────────────────────────────────────────
    takeOfferSdp(sessionId: number): string {
        return this.#takeSdp(sessionId, "offerSdp");
    }

    takeAnswerSdp(sessionId: number): string {
        return this.#takeSdp(sessionId, "answerSdp");
    }

    async takeIceCandidates(sessionId: number, sink: IceCandidateSink): Promise<boolean> {
        const entry = this.#entries.get(sessionId);
        if (entry === undefined || this.#closed) return false;
        const fresh = await this.#host.takeLocalCandidates(sessionId);
        if (this.#entries.get(sessionId) !== entry) return false;
        const queue = [...entry.leftovers, ...fresh];
        entry.leftovers = [];
        for (let i = 0; i < queue.length; i++) {
            const candidate = queue[i] as IceCandidate;
            const result = sink.push(candidate);
            if (result === "full") {
                entry.leftovers = queue.slice(i);
                return true;
            }
            if (result === "rejected") this.#onLog(`session ${sessionId}: local candidate dropped by the engine: ${candidate.candidate}`);
        }
        return false;
    }

    // ── internals ────────────────────────────────────────────────────────────────────────────
    /** The session's Offer or Answer, handed out once. */
    #takeSdp(sessionId: number, which: "offerSdp" | "answerSdp"): string {
        const entry = this.#entries.get(sessionId);
        const sdp = entry?.[which];
        if (entry === undefined || sdp === undefined) throw new Error(`no ${which === "offerSdp" ? "Offer" : "Answer"} waiting for session ${sessionId}`);
        entry[which] = undefined;
        return sdp;
    }

    /** A fresh entry (new session) or the existing one (re-offer). */
    #open(sessionId: number, fresh: boolean): Entry {
        if (this.#closed) throw new Error("media plane closed");
        const existing = this.#entries.get(sessionId);
        if (!fresh && existing !== undefined) return existing;
        const entry: Entry = { offerSdp: undefined, answerSdp: undefined, leftovers: [] };
        this.#entries.set(sessionId, entry);
        return entry;
    }
}
