/**
 * The page's `BrowserMediaHost`, seen from the worker: the engine's `MediaHost` contract across
 * comlink. Every call is a message to the page and back (plain data both ways); the event sink
 * goes to the page as a `Comlink.proxy`, so the page's `MediaEvents` calls come back here.
 * Nothing is kept on this side: ordering, take-once and leftovers are `MediaHostHooks`' job.
 */

import * as Comlink from "comlink";
import type { Remote } from "comlink";
import type { MediaHost } from "../src/engine/media-host.js";
import type { MediaHostApi } from "../src/media/browser/types.js";

export function remoteMediaHost(page: Remote<MediaHostApi>): MediaHost {
    return {
        attachEvents: events => page.attachEvents(Comlink.proxy(events)),
        solicitOffer: (sessionId, params) => page.solicitOffer(sessionId, params),
        answerOffer: (sessionId, sdp, params) => page.answerOffer(sessionId, sdp, params),
        applyAnswer: (sessionId, sdp) => page.applyAnswer(sessionId, sdp),
        addRemoteCandidates: (sessionId, candidates) => page.addRemoteCandidates(sessionId, candidates),
        takeLocalCandidates: sessionId => page.takeLocalCandidates(sessionId),
        end: (sessionId, reason, cause) => page.end(sessionId, reason, cause),
        // the page ends a refused session once its rejecting Answer is out
        delivered: (sessionId, kind, delivered) => page.delivered(sessionId, kind, delivered),
        snapshot: (resolution, quality) => page.snapshot(resolution, quality),
    };
}
