/**
 * Session and peer bookkeeping both media hosts share: which peer serves which Matter session,
 * the controller's candidates waiting for that peer, a re-offer's new peer replacing the old one
 * only once it has answered, and closing.
 *
 * A `MediaPeer` is one WebRTC connection (a node-datachannel `PeerConnection` or a page's
 * `RTCPeerConnection`); the host subclasses it with what closing means for its stack. Remote
 * candidates are buffered per session and handed to the current peer only when it can take them:
 * its remote description is set (libdatachannel aborts on earlier ones, browsers refuse them) and
 * it does not hold them (the Node camera holds an answerer's candidates until its Answer was
 * delivered, so no connectivity check reaches a controller before its Answer).
 */

import type { IceCandidate } from "../engine/types.js";
import { mediaSections } from "./sdp.js";

/** Which side of the Offer/Answer a session's peer is: the camera's Offer (SolicitOffer) or the controller's (ProvideOffer). */
export type PeerRole = "offerer" | "answerer";

/** One WebRTC connection of a host. */
export abstract class MediaPeer {
    retired = false;
    /** The remote description is applied. */
    remoteSet = false;
    /** Remote candidates wait (`release` lets them in). */
    iceHeld = false;
    /** Reached "connected" at least once (a later failure is a timeout, not a failed start). */
    connectedOnce = false;
    readonly createdAt = Date.now();

    constructor(readonly role: PeerRole) {}

    /** Stops media and closes the connection once; later callbacks of the peer are ignored. */
    retire(): void {
        if (this.retired) return;
        this.retired = true;
        this.close();
    }

    /** What retiring means for the stack: stop senders, timers, close the connection. */
    protected abstract close(): void;
}

export interface MediaSession<P extends MediaPeer> {
    id: number;
    peer: P | undefined;
    /** The controller's candidates not yet given to the peer. */
    remoteBuffer: IceCandidate[];
}

export class MediaSessions<P extends MediaPeer> {
    readonly #sessions = new Map<number, MediaSession<P>>();
    readonly #log: (sessionId: number, text: string) => void;

    constructor(log: (sessionId: number, text: string) => void) {
        this.#log = log;
    }

    get(id: number): MediaSession<P> | undefined {
        return this.#sessions.get(id);
    }

    ids(): number[] {
        return [...this.#sessions.keys()];
    }

    all(): MediaSession<P>[] {
        return [...this.#sessions.values()];
    }

    /** A new session (replacing one with the same id, whose peer is closed). */
    open(id: number): MediaSession<P> {
        this.drop(id, "replaced");
        const session: MediaSession<P> = { id, peer: undefined, remoteBuffer: [] };
        this.#sessions.set(id, session);
        return session;
    }

    /** A detached record for an answer in the making: `adopt` puts it (or keeps the existing one) in place. */
    pending(id: number): MediaSession<P> {
        return this.#sessions.get(id) ?? { id, peer: undefined, remoteBuffer: [] };
    }

    /** True while `session` is the live record of its id. */
    isCurrent(session: MediaSession<P>): boolean {
        return this.#sessions.get(session.id) === session;
    }

    /**
     * A peer that has answered takes over its session: for a re-offer (`existing` was live when the
     * Offer came) only if that session is still live; the old peer is closed. Throws (and closes
     * `peer`) when the session ended meanwhile.
     */
    adopt(id: number, peer: P, existing: MediaSession<P> | undefined, pending: MediaSession<P>): MediaSession<P> {
        const current = this.#sessions.get(id);
        if (existing !== undefined && current !== existing) {
            peer.retire();
            throw new Error(`session ${id} ended while its re-offer was answered`);
        }
        const session = current ?? pending;
        this.#sessions.set(id, session);
        const old = session.peer;
        session.peer = peer;
        if (old !== undefined && old !== peer) {
            this.#log(id, "re-offer: previous peer closed");
            old.retire();
        }
        return session;
    }

    /** Forgets a session and closes its peer; undefined when it was unknown. */
    drop(id: number, why: string): MediaSession<P> | undefined {
        const session = this.#sessions.get(id);
        if (session === undefined) return undefined;
        this.#sessions.delete(id);
        session.peer?.retire();
        this.#log(id, `closed: ${why}`);
        return session;
    }

    closeAll(why: string): void {
        for (const id of [...this.#sessions.keys()]) this.drop(id, why);
    }

    /**
     * The session whose peer made an Offer and waits for the controller's Answer; undefined when
     * that Answer was applied already (a duplicate, ignored as the reference camera does). Throws
     * when no Offer of this host waits.
     */
    awaitingAnswer(id: number): { session: MediaSession<P>; peer: P } | undefined {
        const session = this.#sessions.get(id);
        const peer = session?.peer;
        if (session === undefined || peer === undefined || peer.role !== "offerer") {
            throw new Error(`session ${id} has no Offer waiting for an Answer`);
        }
        if (peer.remoteSet) {
            this.#log(id, "duplicate Answer ignored");
            return undefined;
        }
        return { session, peer };
    }

    /** Buffers the controller's candidates for a known session; false when it is unknown. */
    bufferRemote(id: number, candidates: IceCandidate[]): MediaSession<P> | undefined {
        const session = this.#sessions.get(id);
        session?.remoteBuffer.push(...candidates);
        return session;
    }

    /** The buffered candidates the session's peer can take now (empties the buffer), else []. */
    takeRemote(session: MediaSession<P>): IceCandidate[] {
        const peer = session.peer;
        if (peer === undefined || !peer.remoteSet || peer.retired || peer.iceHeld) return [];
        return session.remoteBuffer.splice(0);
    }
}

/** A candidate line as a stack takes it: no `a=` prefix; undefined for an end-of-candidates marker or nothing. */
export function candidateText(candidate: IceCandidate): string | undefined {
    const text = candidate.candidate.trim().replace(/^a=/, "");
    return text === "" || text === "end-of-candidates" ? undefined : text;
}

/**
 * The mid a candidate belongs to in `remoteSdp`: its sdpMid, else the m-line its sdpMLineIndex
 * names, else the first m-line (what a controller that sends neither means).
 */
export function candidateMid(candidate: IceCandidate, remoteSdp: string): string {
    const sections = mediaSections(remoteSdp);
    const byIndex = candidate.sdpMLineIndex === null ? undefined : sections[candidate.sdpMLineIndex]?.mid;
    return candidate.sdpMid ?? byIndex ?? sections[0]?.mid ?? "0";
}
