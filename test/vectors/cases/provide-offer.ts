/**
 * ProvideOffer (0x02). New sessions (null id): the data-model steps shared with SolicitOffer,
 * then privacy → priorities → scalar/list rule → stream ids → lists → turns:/stuns:, capacity
 * (RESOURCE_EXHAUSTED, TC 2.16), SDP size in bytes, the echo rule and the hook's arguments.
 * Re-offers (an existing id): only the owner's session (else NOT_FOUND), no privacy / priority /
 * UTC / capacity checks, the same id, updated in place in its insertion-order place, stream
 * references moved. Every refusal leaves the table as it was. Cases start from a live session of
 * the other caller (`offerBackground`) unless they need an empty core.
 */

import { Action, ProviderCommand as Command, Status, StreamKind, StreamUsage } from "../../../src/engine/index.js";
import { FABRIC, OTHER_FABRIC, PEER, caller, otherCaller } from "../../support/callers.js";
import { AUDIO, VIDEO } from "../../support/profiles.js";
import { SDP, offerTlv, type OfferFields } from "../../support/wire.js";
import { like, type Recorder } from "../recorder.js";
import { addSharedStepCases } from "./data-model.js";
import { CAUSE, EV, V, caseList, offerBackground, streams } from "./fixtures.js";

const refuse = (r: Recorder, fields: OfferFields, status: number, who = caller) => r.refuse(Command.ProvideOffer, offerTlv(fields), status, who);

export const PROVIDE_OFFER_CASES = caseList(add => {
    const bg = offerBackground;
    addSharedStepCases(add, { name: "ProvideOffer", fixture: bg, refuse, open: (r, fields) => r.offerOk(fields).id, openedState: "established" });
    add("ProvideOffer: no stream field with no streams allocated is still INVALID_COMMAND (TC 2.3 step 2)", undefined, r => refuse(r, {}, Status.InvalidCommand));

    add("ProvideOffer: privacy before the priorities; a usage not in the priorities → DCE, before the scalar/list rule", bg, r => {
        r.privacy(false, true, false, 0);
        refuse(r, { ...V, streamUsage: StreamUsage.Analysis }, Status.InvalidInState);
        r.privacy(false, false, false, 0);
        refuse(r, { ...V, streamUsage: StreamUsage.Analysis }, Status.DynamicConstraintError);
        refuse(r, { ...V, streamUsage: StreamUsage.Internal }, Status.DynamicConstraintError);
        refuse(r, { streamUsage: StreamUsage.Internal, videoStreamId: VIDEO, videoStreams: [VIDEO] }, Status.DynamicConstraintError);
    });
    add("ProvideOffer: scalars with lists → INVALID_COMMAND before stream ids; unknown scalar ids → DCE, video before audio (TC 2.3 steps 5–6)", bg, r => {
        refuse(r, { videoStreamId: VIDEO, videoStreams: [VIDEO] }, Status.InvalidCommand);
        refuse(r, { audioStreamId: 9999, videoStreams: [9999] }, Status.InvalidCommand);
        refuse(r, { videoStreamId: VIDEO + 1, audioStreamId: AUDIO }, Status.DynamicConstraintError);
        refuse(r, { videoStreamId: VIDEO, audioStreamId: AUDIO + 1 }, Status.DynamicConstraintError);
    });
    add("ProvideOffer: null ids or a list with nothing allocated → INVALID_IN_STATE (TC 2.3 step 3)", undefined, r => {
        r.priorities([StreamUsage.LiveView]);
        refuse(r, { videoStreamId: null, audioStreamId: null }, Status.InvalidInState);
        refuse(r, { videoStreams: [VIDEO] }, Status.InvalidInState);
    });
    add("ProvideOffer: lists — unknown → DCE, duplicate → ALREADY_EXISTS (TC 2.29)", bg, r => {
        refuse(r, { videoStreams: [9999] }, Status.DynamicConstraintError);
        refuse(r, { videoStreams: [VIDEO, VIDEO] }, Status.AlreadyExists);
        refuse(r, { audioStreams: [9999] }, Status.DynamicConstraintError);
        refuse(r, { audioStreams: [AUDIO, AUDIO] }, Status.AlreadyExists);
        refuse(r, { videoStreams: [9999], audioStreams: [AUDIO] }, Status.DynamicConstraintError);
    });
    add("ProvideOffer: turns:/stuns: with UTCTime null → INVALID_IN_STATE, after stream validation", bg, r => {
        r.utcTimeNull(true);
        refuse(r, { ...V, iceServers: [{ urLs: ["stuns:a"] }] }, Status.InvalidInState);
        refuse(r, { videoStreams: [9999], iceServers: [{ urLs: ["turns:a"] }] }, Status.DynamicConstraintError);
        r.offerOk({ ...V, iceServers: [{ urLs: ["stun:a"] }] });
    });
    add("ProvideOffer: null ids are auto-selected and echoed; only requested scalars are echoed (TC 2.4 step 4)", bg, r => {
        r.offerOk({ videoStreamId: null, audioStreamId: null }, { response: V });
        r.offerOk({ audioStreamId: AUDIO }, { response: { audioStreamId: AUDIO } });
    });
    add("ProvideOffer: lists get no echo but fill CurrentSessions", streams, r => {
        const { id } = r.offerOk({ videoStreams: [VIDEO], audioStreams: [AUDIO] }, { response: {} });
        r.check("first session id", id, 1);
        r.check("CurrentSessions row", r.sessions(FABRIC, [1])[0], like({ videoStreams: [VIDEO], audioStreams: [AUDIO] }));
    });
    add("ProvideOffer: PeerEndpointID = OriginatingEndpointID (TC 2.15); the hook gets the SDP; live as established with its references", bg, r => {
        const sdp = "v=0\r\nm=video 9\r\n";
        const id = r.decide(Command.ProvideOffer, offerTlv({ ...V, originatingEndpointId: 2, sdp }), Action.Hook, {
            args: { sdp, params: like({ originatingEndpointId: 2, reoffer: false, videoStreams: [VIDEO] }) },
        });
        r.commitOffer(id);
        r.session(id, like({ endpoint: 2, state: "established" }));
        r.refsOf(StreamKind.Video, VIDEO, 2);
        r.refsOf(StreamKind.Audio, AUDIO, 2);
        r.check("CurrentSessions row", r.sessions(FABRIC, [id])[0], like({ peerEndpointId: 2 }));
    });
    add("ProvideOffer: capacities.sessions sessions fit; the next new one → RESOURCE_EXHAUSTED with no End queued (TC 2.16)", bg, r => {
        for (let n = 1; n < r.caps.sessions; n++) r.offerOk(V);
        r.check("rows", r.sessions(0).length, r.caps.sessions);
        refuse(r, V, Status.ResourceExhausted);
        r.raw("endPendingCount", [], 0);
    });
    add("ProvideOffer: a reserved row (hook still running) holds its capacity", bg, r => {
        for (let n = 2; n < r.caps.sessions; n++) r.offerOk(V);
        const id = r.decide(Command.ProvideOffer, offerTlv(V), Action.Hook);
        refuse(r, V, Status.ResourceExhausted);
        r.abort(id);
        r.offerOk(V);
    });
    add("ProvideOffer: an SDP of sdpLen bytes reaches the hook whole; one byte more → RESOURCE_EXHAUSTED", bg, r => {
        const sdp = "a".repeat(r.caps.sdpLen);
        r.abort(r.decide(Command.ProvideOffer, offerTlv({ ...V, sdp }), Action.Hook, { args: { sdp } }));
        refuse(r, { ...V, sdp: `${sdp}a` }, Status.ResourceExhausted);
    });
    add("ProvideOffer: a multi-byte SDP is measured in bytes", bg, r => {
        const sdp = "é".repeat(r.caps.sdpLen / 2);
        refuse(r, { ...V, sdp: `${sdp}a` }, Status.ResourceExhausted);
        r.abort(r.decide(Command.ProvideOffer, offerTlv({ ...V, sdp }), Action.Hook, { args: { sdp } }));
    });
    add("ProvideOffer: a valid multi-byte SDP reaches the hook intact", bg, r => {
        const sdp = "v=0\r\ns=caméra ☃ 📷\r\n";
        r.abort(r.decide(Command.ProvideOffer, offerTlv({ ...V, sdp }), Action.Hook, { args: { sdp } }));
    });

    // re-offers: `id` is a session of the test caller, next to the other caller's `background`
    const reoffer = (name: string, run: (r: Recorder, ids: { id: number; background: number }) => void) =>
        add(`ProvideOffer re-offer: ${name}`, bg, (r, { background }) => {
            const { id } = r.offerOk(V);
            r.events();
            run(r, { id, background });
        });
    reoffer("an unknown id → NOT_FOUND (TC 2.30, 2.4 step 3)", (r, { id }) => {
        refuse(r, { webRtcSessionId: id + 1, ...V }, Status.NotFound);
        refuse(r, { webRtcSessionId: 9999, videoStreams: [VIDEO] }, Status.NotFound);
    });
    reoffer("another fabric's or another peer's session → NOT_FOUND", (r, { id, background }) => {
        refuse(r, { webRtcSessionId: background, ...V }, Status.NotFound);
        refuse(r, { webRtcSessionId: id, ...V }, Status.NotFound, otherCaller);
        refuse(r, { webRtcSessionId: id, ...V }, Status.NotFound, { fabricIndex: FABRIC, peerNodeId: PEER + 1n });
        refuse(r, { webRtcSessionId: id, ...V }, Status.NotFound, { fabricIndex: OTHER_FABRIC, peerNodeId: PEER });
    });
    reoffer("the same id and the same echoed streams, one row, an updated event (TC 2.4 step 7)", (r, { id, background }) => {
        r.offerOk({ webRtcSessionId: id, ...V }, { response: V });
        r.events([[EV.updated, id, 0, CAUSE.peer]]);
        r.sessions(0, [background, id]);
    });
    reoffer("needs neither StreamUsage nor OriginatingEndpointID nor streams, and keeps them", (r, { id }) => {
        r.offerOk({ webRtcSessionId: id, streamUsage: undefined, originatingEndpointId: undefined }, { response: {} });
        r.session(id, like({ usage: StreamUsage.LiveView, endpoint: 1, video: [VIDEO], audio: [AUDIO] }));
        r.refsOf(StreamKind.Video, VIDEO, 2);
    });
    reoffer("keeps MetadataEnabled, a new-session-only field, unless it carries it", r => {
        const m = r.offerOk({ ...V, metadataEnabled: true }).id;
        r.offerOk({ webRtcSessionId: m });
        r.session(m, like({ metadata: true }));
        r.check("CurrentSessions row", r.sessions(FABRIC).find(s => s.id === m), like({ metadataEnabled: true }));
        r.offerOk({ webRtcSessionId: m, metadataEnabled: false });
        r.session(m, like({ metadata: false }));
    });
    reoffer("skips the privacy, priority and UTC checks", (r, { id }) => {
        r.utcTimeNull(true);
        r.privacy(false, true, false, 0);
        // Analysis is unsupported and blocked by soft-recording privacy: a new session could not have it
        r.offerOk({ webRtcSessionId: id, streamUsage: StreamUsage.Analysis, iceServers: [{ urLs: ["turns:a"] }] });
        r.session(id, like({ usage: StreamUsage.Analysis }));
    });
    reoffer("works at capacity (no capacity check)", (r, { id }) => {
        while (r.core.sessions().length < r.caps.sessions) r.offerOk(V);
        refuse(r, V, Status.ResourceExhausted);
        r.offerOk({ webRtcSessionId: id });
    });
    reoffer("updates in place, keeping the insertion order", (r, { id, background }) => {
        const later = r.offerOk(V).id;
        r.sessions(0, [background, id, later]);
        r.offerOk({ webRtcSessionId: id, originatingEndpointId: 4, streamUsage: StreamUsage.Recording });
        r.sessions(0, [background, id, later]);
        r.session(id, like({ endpoint: 4, usage: StreamUsage.Recording, state: "established" }));
    });
    reoffer("moves the stream references to the new streams", (r, { id }) => {
        r.addStream(StreamKind.Video, 7, StreamUsage.Recording);
        r.offerOk({ webRtcSessionId: id, videoStreams: [7] });
        r.session(id, like({ video: [7], audio: [] }));
        r.refsOf(StreamKind.Video, 7, 1);
        r.refsOf(StreamKind.Video, VIDEO, 1); // the background session's
        r.refsOf(StreamKind.Audio, AUDIO, 1);
        r.offerOk({ webRtcSessionId: id, videoStreamId: null, audioStreamId: AUDIO }, { response: V });
        r.refsOf(StreamKind.Video, 7, 0);
        r.refsOf(StreamKind.Video, VIDEO, 2);
        r.removeStream(StreamKind.Video, 7, Status.Success);
    });
    reoffer("still validates the stream fields it is given, and the data model", (r, { id }) => {
        refuse(r, { webRtcSessionId: id, videoStreams: [9999] }, Status.DynamicConstraintError);
        refuse(r, { webRtcSessionId: id, videoStreams: [VIDEO, VIDEO] }, Status.AlreadyExists);
        refuse(r, { webRtcSessionId: id, videoStreamId: VIDEO, audioStreams: [AUDIO] }, Status.InvalidCommand);
        refuse(r, { webRtcSessionId: id, videoStreamId: 9999 }, Status.DynamicConstraintError);
        refuse(r, { webRtcSessionId: id, streamUsage: 4 }, Status.ConstraintError);
        refuse(r, { webRtcSessionId: id, iceTransportPolicy: "x".repeat(17) }, Status.ConstraintError);
        refuse(r, { webRtcSessionId: id, sdp: "a".repeat(r.caps.sdpLen + 1) }, Status.ResourceExhausted);
    });
    reoffer("a second re-offer while the first one's hook runs → INVALID_IN_STATE", (r, { id }) => {
        r.decide(Command.ProvideOffer, offerTlv({ webRtcSessionId: id }), Action.Hook, { sessionId: id, args: { params: like({ reoffer: true }) } });
        refuse(r, { webRtcSessionId: id }, Status.InvalidInState);
        r.commitOffer(id);
    });
    reoffer("abortPending drops the staged re-offer and leaves the row as it was", (r, { id }) => {
        r.addStream(StreamKind.Video, 7, StreamUsage.Recording);
        const before = r.state();
        r.abort(r.decide(Command.ProvideOffer, offerTlv({ webRtcSessionId: id, videoStreams: [7], streamUsage: StreamUsage.Recording }), Action.Hook, { sessionId: id }));
        r.state(before);
        r.offerOk({ webRtcSessionId: id });
    });
    reoffer("of a session still owing its deferred Offer establishes it, and no deadline is left", r => {
        const s = r.solicitOk(V, { deferred: true }).id;
        r.offerOk({ webRtcSessionId: s, sdp: SDP });
        r.session(s, like({ state: "established" }));
        r.expire(1000, 0);
    });
});
