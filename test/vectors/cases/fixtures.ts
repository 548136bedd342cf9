/**
 * What the vector cases are built from: the case list type, the fixtures several cases start
 * from (each recorded once per profile into `ProfileVectors.fixtures` and replayed before the
 * case's own steps, on the same fresh core), the request fields that name the fixtures' streams,
 * and the numbers of the core's change events.
 *
 * Limits: a fixture must record the same steps every time it is built (the generator refuses one
 * that does not), and returns the ids its cases need.
 */

import { StreamKind, StreamUsage } from "../../../src/engine/index.js";
import { otherCaller } from "../../support/callers.js";
import { AUDIO, VIDEO } from "../../support/profiles.js";
import { SDP } from "../../support/wire.js";
import type { Recorder } from "../recorder.js";

/** Both scalar stream fields, naming the streams every fixture allocates (video 1, audio 2). */
export const V = { videoStreamId: VIDEO, audioStreamId: AUDIO } as const;
/** Change event kinds and removal causes as `takeEvents` reports them. */
export const EV = { added: 1, updated: 2, removed: 3, endQueued: 4 } as const;
export const CAUSE = { peer: 0, provider: 1, fabric: 2 } as const;

export interface Fixture<T> {
    name: string;
    build(r: Recorder): T;
}
export interface CaseDefinition {
    name: string;
    fixture?: Fixture<unknown>;
    run(r: Recorder, context: unknown): void;
}
/** Adds one case: its name, the fixture it starts from (if any), and its steps. */
export type Add = <T>(name: string, fixture: Fixture<T> | undefined, run: (r: Recorder, context: T) => void) => void;

/** The cases `define` adds, in order; a name may be used once. */
export function caseList(define: (add: Add) => void): CaseDefinition[] {
    const list: CaseDefinition[] = [];
    define((name, fixture, run) => {
        if (list.some(c => c.name === name)) throw new Error(`duplicate case name ${name}`);
        list.push({ name, fixture: fixture as Fixture<unknown> | undefined, run: run as (r: Recorder, context: unknown) => void });
    });
    return list;
}

/** Video 1 and audio 2 for LiveView; priorities LiveView, Recording. */
export function allocateStreams(r: Recorder): void {
    r.addStream(StreamKind.Video, VIDEO, StreamUsage.LiveView);
    r.addStream(StreamKind.Audio, AUDIO, StreamUsage.LiveView);
    r.priorities([StreamUsage.LiveView, StreamUsage.Recording]);
}

/** Fills the table with SolicitOffers of the test caller; returns the new ids. */
export function fill(r: Recorder): number[] {
    const ids: number[] = [];
    while (r.core.sessions().length < r.caps.sessions) ids.push(r.solicitOk(V).id);
    return ids;
}

export const streams: Fixture<void> = { name: "streams", build: allocateStreams };

/** Allocates the streams and opens one live session of the other caller with `open`, so "unchanged" compares a non-empty table. */
function backgroundFixture(name: string, open: (r: Recorder) => number): Fixture<{ background: number }> {
    return {
        name,
        build(r) {
            allocateStreams(r);
            const background = open(r);
            r.events();
            return { background };
        },
    };
}
/** A live SolicitOffer session of the other caller. */
export const solicitBackground = backgroundFixture("solicit-background", r => r.solicitOk(V, { who: otherCaller }).id);
/** A live ProvideOffer session of the other caller. */
export const offerBackground = backgroundFixture("offer-background", r => r.offerOk(V, { who: otherCaller }).id);

/** A solicited session of the test caller whose Offer went out (it awaits the answer), and one of the other caller. */
export const awaitingAnswer: Fixture<{ solicited: number; other: number }> = {
    name: "awaiting-answer",
    build(r) {
        allocateStreams(r);
        const solicited = r.solicitOk(V).id;
        r.snapOffer(solicited, SDP);
        const other = r.offerOk(V, { who: otherCaller }).id;
        r.events();
        return { solicited, other };
    },
};

/** A deferred solicited session (endpoint 3) owing an Offer, and an offered one of the other caller (endpoint 6) owing an Answer. */
export const owingOfferAndAnswer: Fixture<{ solicited: number; offered: number }> = {
    name: "owing-offer-and-answer",
    build(r) {
        allocateStreams(r);
        const solicited = r.solicitOk({ ...V, originatingEndpointId: 3 }, { deferred: true }).id;
        const offered = r.offerOk({ ...V, originatingEndpointId: 6 }, { who: otherCaller }).id;
        r.events();
        return { solicited, offered };
    },
};

/** An established session of the test caller whose Answer went out. */
export const established: Fixture<{ sid: number }> = {
    name: "established",
    build(r) {
        allocateStreams(r);
        const sid = r.offerOk(V).id;
        r.snapAnswer(sid, SDP);
        r.events();
        return { sid };
    },
};
