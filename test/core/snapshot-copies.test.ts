/**
 * What the vector format cannot say, because it lives in the TypeScript facade rather than the
 * core: `Core.snapshot()` hands out a copy of the stored bytes (a caller that scribbles on one
 * cannot damage what a retransmit re-sends), and reading it again after one snap — Offer, End or
 * ICECandidates — gives the same bytes and addressing. Also the one status number the Matter
 * layer relies on by value: UNSUPPORTED_ACCESS is 0x7e. Every profile.
 */

import { describe, expect, it } from "vitest";
import { EndReason, PROFILES, ProviderCommand, Status, type Caller, type Core } from "../../src/engine/index.js";
import { caller, otherCaller } from "../support/callers.js";
import { allocateDefaultStreams, freshCore } from "../support/profiles.js";
import { AUTO_STREAMS, SDP, decode, offerTlv, solicitTlv } from "../support/wire.js";

/** Phase 1 of `command` as `who`, which must succeed; returns the session id. */
function decided(core: Core, command: number, fields: Uint8Array, who: Caller): number {
    const d = core.decide(command, fields, who.fabricIndex, who.peerNodeId);
    expect(d.status).toBe(Status.Success);
    return d.sessionId;
}

describe.each(PROFILES)("Core.snapshot() [%s]", profile => {
    it("hands out copies, and every read after one snap gives the same bytes", async () => {
        const core = await freshCore(profile);
        allocateDefaultStreams(core);
        const solicited = decided(core, ProviderCommand.SolicitOffer, solicitTlv(AUTO_STREAMS), caller);
        expect(core.commitSolicitOffer(solicited, true, 0)).toBe(Status.Success);
        const offered = decided(core, ProviderCommand.ProvideOffer, offerTlv(AUTO_STREAMS), otherCaller);
        expect(core.commitProvideOffer(offered)).toBe(Status.Success);

        expect(core.snapOffer(solicited, SDP)).toBe(Status.Success);
        const first = core.snapshot();
        first.fields.fill(0);
        expect(core.snapshot()).toEqual(core.snapshot());
        expect(decode.offer(core.snapshot().fields)).toEqual({ webRtcSessionId: solicited, sdp: SDP });

        expect(core.admitCandidate(solicited, { candidate: "candidate:1 1 udp 1 10.0.0.1 9 typ host", sdpMid: null, sdpMLineIndex: null })).toBe("accepted");
        expect(core.snapIce(solicited)).toBe(Status.Success);
        expect(core.snapshot()).toEqual(core.snapshot());
        expect(decode.iceCandidates(core.snapshot().fields).webRtcSessionId).toBe(solicited);

        expect(core.endByProvider(offered, EndReason.MediaTimeout)).toBe(Status.Success);
        expect(core.snapEnd(offered)).toBe(Status.Success);
        const end = core.snapshot();
        expect(core.snapshot()).toEqual(end);
        expect(end).toMatchObject({ command: 3, sessionId: offered, fabricIndex: otherCaller.fabricIndex, peerNodeId: otherCaller.peerNodeId });
        expect(decode.end(end.fields)).toEqual({ webRtcSessionId: offered, reason: EndReason.MediaTimeout });
        expect(core.selfCheck()).toBe(0);
    });
});

it("UNSUPPORTED_ACCESS is 0x7e, the value the vectors expect for a command without an accessing fabric", () => {
    expect(Status.UnsupportedAccess).toBe(0x7e);
});
