/**
 * `RemoteMediaPlane`: the worker-side `MediaPlane` (the engine's `WebRtcHooks`) that forwards to
 * the page's `BrowserMediaHost` over comlink. It turns the page's plain-data answers back into the
 * engine's pull model and keeps the ordering rules `NodeMediaHost` keeps in-process:
 *
 * - The Offer/Answer comes back as the result of the page call; the adapter stores it and calls
 *   `offerReady` / `answerReady` on a later macrotask, after the engine committed the session (the
 *   engine drops work for a session it does not know yet).
 * - Local candidates are announced by the page (`candidatesReady`, over a different MessageChannel,
 *   so it can overtake the SDP's reply): until the session's SDP was announced they are only
 *   noted, and `takeIceCandidates` offers nothing, so the controller never gets candidates before
 *   the description they belong to. A re-offer closes that gate until the new Answer is announced.
 * - Candidates are taken from the page as arrays; what a full batch refused stays here
 *   (`leftovers`) for the next batch, oldest first.
 * - A peer that failed on the page ends its session through `OutboundSignal.endSession`.
 *
 * It never chooses a Matter status: a page call that fails rejects, and the engine answers FAILURE.
 */

import type { Remote } from "comlink";
import type { IceCandidateSink, OutboundSignal } from "../src/engine/hooks.js";
import { EndReason, type IceCandidate, type OfferParams, type RemovalCause, type SolicitOutcome } from "../src/engine/types.js";
import type { MediaPlane } from "../src/matter/camera-node.js";
import type { MediaEvents, MediaHostApi } from "../src/media/browser/types.js";

interface Entry {
    offerSdp: string | undefined;
    answerSdp: string | undefined;
    /** The current SDP was announced to the engine: candidates may follow. */
    announced: boolean;
    /** The page said it has candidates while the gate was closed. */
    candidatesPending: boolean;
    /** Taken from the page but refused by a full batch. */
    leftovers: IceCandidate[];
}

export class RemoteMediaPlane implements MediaPlane {
    readonly #page: Remote<MediaHostApi>;
    readonly #entries = new Map<number, Entry>();
    readonly #onLog: (line: string) => void;
    #signal: OutboundSignal | undefined;
    #closed = false;

    constructor(page: Remote<MediaHostApi>, onLog: (line: string) => void = () => undefined) {
        this.#page = page;
        this.#onLog = onLog;
    }

    /** The callbacks the page calls (pass them to the page wrapped in `Comlink.proxy`). */
    readonly events: MediaEvents = {
        candidatesReady: (sessionId: number) => {
            const entry = this.#entries.get(sessionId);
            if (entry === undefined || this.#closed) return;
            if (!entry.announced) {
                entry.candidatesPending = true;
                return;
            }
            this.#signal?.iceCandidatesReady(sessionId);
        },
        sessionFailed: (sessionId: number, reason: EndReason, why: string) => {
            if (this.#closed) return;
            this.#onLog(`session ${sessionId}: ${why}`);
            this.#entries.delete(sessionId);
            this.#signal?.endSession(sessionId, reason);
        },
    };

    attach(signal: OutboundSignal): void {
        this.#signal = signal;
    }

    /** Stops forwarding (the node is closing); the page's peers are closed by the caller. */
    close(): void {
        this.#closed = true;
        this.#entries.clear();
    }

    // ── inbound hooks ────────────────────────────────────────────────────────────────────────
    async onSolicitOffer(sessionId: number, params: OfferParams): Promise<SolicitOutcome> {
        const entry = this.#open(sessionId, true);
        let sdp: string;
        try {
            ({ sdp } = await this.#page.solicitOffer(sessionId, params));
        } catch (error) {
            if (this.#entries.get(sessionId) === entry) this.#entries.delete(sessionId);
            throw error;
        }
        if (this.#entries.get(sessionId) !== entry) throw new Error(`session ${sessionId} ended while its Offer was made`);
        entry.offerSdp = sdp;
        this.#announce(sessionId, entry, "offer");
        return { deferred: false };
    }

    async onOffer(sessionId: number, sdp: string, params: OfferParams): Promise<void> {
        const existing = this.#entries.get(sessionId);
        const entry = this.#open(sessionId, existing === undefined);
        let answer: string;
        try {
            ({ sdp: answer } = await this.#page.offer(sessionId, sdp, params));
        } catch (error) {
            if (this.#entries.get(sessionId) === entry) {
                // a failed re-offer leaves the running call (and its gate) as it was; a new session is forgotten
                if (existing !== undefined) this.#reopen(sessionId, entry);
                else this.#entries.delete(sessionId);
            }
            throw error;
        }
        if (this.#entries.get(sessionId) !== entry) throw new Error(`session ${sessionId} ended while its Answer was made`);
        entry.answerSdp = answer;
        entry.offerSdp = undefined;
        entry.leftovers = []; // the previous peer's candidates are stale now
        this.#announce(sessionId, entry, "answer");
    }

    async onAnswer(sessionId: number, sdp: string): Promise<void> {
        await this.#page.answer(sessionId, sdp);
    }

    async onIceCandidates(sessionId: number, candidates: IceCandidate[]): Promise<void> {
        await this.#page.addRemoteCandidates(sessionId, candidates);
    }

    async onEndSession(sessionId: number, reason: EndReason, cause: RemovalCause): Promise<void> {
        this.#entries.delete(sessionId);
        if (this.#closed) return;
        await this.#page.end(sessionId, reason, cause);
    }

    // ── outbound pulls ───────────────────────────────────────────────────────────────────────
    takeOfferSdp(sessionId: number): string {
        const entry = this.#entries.get(sessionId);
        const sdp = entry?.offerSdp;
        if (entry === undefined || sdp === undefined) throw new Error(`no Offer waiting for session ${sessionId}`);
        entry.offerSdp = undefined;
        return sdp;
    }

    takeAnswerSdp(sessionId: number): string {
        const entry = this.#entries.get(sessionId);
        const sdp = entry?.answerSdp;
        if (entry === undefined || sdp === undefined) throw new Error(`no Answer waiting for session ${sessionId}`);
        entry.answerSdp = undefined;
        return sdp;
    }

    async takeIceCandidates(sessionId: number, sink: IceCandidateSink): Promise<boolean> {
        const entry = this.#entries.get(sessionId);
        if (entry === undefined || !entry.announced || this.#closed) return false;
        const fresh = await this.#page.takeLocalCandidates(sessionId);
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

    /** The page's current frame as a JPEG of exactly that size (CaptureSnapshot). */
    async snapshot(resolution: { width: number; height: number }, quality: number): Promise<{ data: Uint8Array; width: number; height: number }> {
        if (this.#closed) throw new Error("media plane closed");
        const image = await this.#page.snapshot(resolution.width, resolution.height, quality);
        return { data: image.data, width: image.width, height: image.height };
    }

    /** Sessions the adapter tracks (tests). */
    sessionIds(): number[] {
        return [...this.#entries.keys()];
    }

    // ── internals ────────────────────────────────────────────────────────────────────────────
    /** A fresh entry (new session) or the existing one with its gate closed (re-offer). */
    #open(sessionId: number, fresh: boolean): Entry {
        if (this.#closed) throw new Error("media plane closed");
        const existing = this.#entries.get(sessionId);
        if (!fresh && existing !== undefined) {
            existing.announced = false;
            return existing;
        }
        const entry: Entry = { offerSdp: undefined, answerSdp: undefined, announced: false, candidatesPending: false, leftovers: [] };
        this.#entries.set(sessionId, entry);
        return entry;
    }

    /** Re-opens the gate of a running session after a failed re-offer. */
    #reopen(sessionId: number, entry: Entry): void {
        entry.announced = true;
        if (entry.candidatesPending || entry.leftovers.length > 0) {
            entry.candidatesPending = false;
            this.#signal?.iceCandidatesReady(sessionId);
        }
    }

    /** After the engine committed (a later macrotask): the SDP, then any candidates noted meanwhile. */
    #announce(sessionId: number, entry: Entry, kind: "offer" | "answer"): void {
        setTimeout(() => {
            if (this.#closed || this.#entries.get(sessionId) !== entry) return;
            const signal = this.#signal;
            if (signal === undefined) return;
            entry.announced = true;
            if (kind === "offer") signal.offerReady(sessionId);
            else signal.answerReady(sessionId);
            if (entry.candidatesPending || entry.leftovers.length > 0) {
                entry.candidatesPending = false;
                signal.iceCandidatesReady(sessionId);
            }
        }, 0);
    }
}

export { EndReason };
