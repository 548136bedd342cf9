/**
 * SolicitOffer (0x00): each numbered validation step of chip-reference-behavior.md §b with its
 * exact status and in the reference order (an earlier step wins when two are broken), every
 * refusal leaving the table as it was, stream auto-selection, the response's echo rule, and the
 * row the session gets (CurrentSessions and the hook's parameters). Most cases start from a live
 * session of the other caller (`solicitBackground`); the ones about empty stream registries start
 * from an empty core.
 */

import { Action, ProviderCommand as Command, Status, StreamKind, StreamUsage } from "../../../src/engine/index.js";
import { FABRIC, PEER } from "../../support/callers.js";
import { AUDIO, VIDEO } from "../../support/profiles.js";
import { solicitTlv, type SolicitFields } from "../../support/wire.js";
import { like, type Recorder } from "../recorder.js";
import { addSharedStepCases } from "./data-model.js";
import { CAUSE, EV, V, caseList, solicitBackground, streams } from "./fixtures.js";

const refuse = (r: Recorder, fields: SolicitFields, status: number) => r.refuse(Command.SolicitOffer, solicitTlv(fields), status);
const NULL_IDS = { videoStreamId: null, audioStreamId: null } as const;
const BIG_PEER = 0xfedc_ba98_7654_3210n;

/** Step 8: a scalar stream field together with a list. */
const SCALAR_WITH_LIST: [string, SolicitFields][] = [
    ["VideoStreamID with VideoStreams (TC 2.27 2a)", { videoStreamId: VIDEO, videoStreams: [VIDEO] }],
    ["AudioStreamID with AudioStreams", { audioStreamId: AUDIO, audioStreams: [AUDIO] }],
    ["VideoStreamID with AudioStreams", { videoStreamId: VIDEO, audioStreams: [AUDIO] }],
    ["null AudioStreamID with VideoStreams", { audioStreamId: null, videoStreams: [VIDEO] }],
    ["an unknown scalar with an unknown list (before stream validation)", { videoStreamId: 9999, videoStreams: [9999] }],
];

export const SOLICIT_OFFER_CASES = caseList(add => {
    const bg = solicitBackground;
    addSharedStepCases(add, { name: "SolicitOffer", fixture: bg, refuse, open: (r, fields) => r.solicitOk(fields).id, openedState: "awaiting-answer" });
    add("SolicitOffer: data-model errors come before privacy (steps 4/5 before 6)", bg, r => {
        r.privacy(true, false, false, 1);
        refuse(r, { ...V, iceServers: Array.from({ length: 11 }, () => ({ urLs: ["stun:a"] })) }, Status.ConstraintError);
        refuse(r, { ...V, iceTransportPolicy: "x".repeat(17) }, Status.ConstraintError);
        refuse(r, { ...V, streamUsage: 4 }, Status.ConstraintError);
        refuse(r, {}, Status.InvalidCommand);
    });

    add("SolicitOffer step 6: privacy before stream validation and the scalar/list rule; off again lets it through (TC 2.1 steps 5–6)", bg, r => {
        r.privacy(false, false, true, 1);
        refuse(r, { videoStreamId: 9999 }, Status.InvalidInState);
        refuse(r, { videoStreamId: VIDEO, videoStreams: [VIDEO] }, Status.InvalidInState);
        refuse(r, NULL_IDS, Status.InvalidInState);
        r.privacy(false, false, false, 0);
        r.solicitOk(NULL_IDS, { deferred: true });
    });

    add("SolicitOffer step 7: a usage not in the priorities → DCE, before the scalar/list rule and stream ids; another supported usage is fine (TC 2.5 step 8)", bg, r => {
        refuse(r, { ...V, streamUsage: StreamUsage.Internal }, Status.DynamicConstraintError);
        refuse(r, { ...V, streamUsage: StreamUsage.Analysis }, Status.DynamicConstraintError);
        refuse(r, { streamUsage: StreamUsage.Internal, videoStreamId: VIDEO, videoStreams: [VIDEO] }, Status.DynamicConstraintError);
        refuse(r, { streamUsage: StreamUsage.Internal, videoStreamId: 9999 }, Status.DynamicConstraintError);
        r.session(r.solicitOk({ ...V, streamUsage: StreamUsage.Recording }).id, like({ usage: StreamUsage.Recording }));
    });
    add("SolicitOffer step 7: no priorities at all refuses every usage", bg, r => {
        r.priorities([]);
        refuse(r, V, Status.DynamicConstraintError);
    });

    for (const [name, fields] of SCALAR_WITH_LIST) add(`SolicitOffer step 8: ${name} → INVALID_COMMAND`, bg, r => refuse(r, fields, Status.InvalidCommand));

    add("SolicitOffer step 10: a scalar id not allocated → DCE (TC 2.1 steps 3–4)", bg, r => {
        refuse(r, { videoStreamId: 9999 }, Status.DynamicConstraintError);
        refuse(r, { audioStreamId: 9999 }, Status.DynamicConstraintError);
        refuse(r, { videoStreamId: VIDEO, audioStreamId: 9999 }, Status.DynamicConstraintError);
        refuse(r, { videoStreamId: VIDEO + 1, audioStreamId: AUDIO }, Status.DynamicConstraintError);
    });
    add("SolicitOffer step 10: null with nothing of that kind allocated → INVALID_IN_STATE, video checked first (TC 2.5 steps 3 and 5)", undefined, r => {
        r.priorities([StreamUsage.LiveView]);
        refuse(r, NULL_IDS, Status.InvalidInState);
        refuse(r, { audioStreamId: null }, Status.InvalidInState);
        r.addStream(StreamKind.Video, VIDEO, StreamUsage.LiveView);
        refuse(r, { videoStreamId: VIDEO, audioStreamId: null }, Status.InvalidInState);
        refuse(r, { videoStreamId: 9999, audioStreamId: null }, Status.DynamicConstraintError);
        r.addStream(StreamKind.Audio, AUDIO, StreamUsage.LiveView);
        r.solicitOk({ videoStreamId: VIDEO, audioStreamId: null });
    });
    add("SolicitOffer step 10: video null with no video allocated wins over an unknown audio id", undefined, r => {
        r.priorities([StreamUsage.LiveView]);
        r.addStream(StreamKind.Audio, AUDIO, StreamUsage.LiveView);
        refuse(r, { videoStreamId: null, audioStreamId: 9999 }, Status.InvalidInState);
    });

    add("SolicitOffer step 11: an unknown list id → DCE; a duplicate → ALREADY_EXISTS, checked first; the video list before the audio list (TC 2.27)", bg, r => {
        refuse(r, { videoStreams: [9999] }, Status.DynamicConstraintError);
        refuse(r, { audioStreams: [9999] }, Status.DynamicConstraintError);
        refuse(r, { videoStreams: [VIDEO, 9999] }, Status.DynamicConstraintError);
        refuse(r, { videoStreams: [9999], audioStreams: [AUDIO] }, Status.DynamicConstraintError);
        refuse(r, { videoStreams: [VIDEO, VIDEO] }, Status.AlreadyExists);
        refuse(r, { audioStreams: [AUDIO, AUDIO] }, Status.AlreadyExists);
        refuse(r, { videoStreams: [9999, VIDEO, 9999] }, Status.AlreadyExists);
        refuse(r, { videoStreams: [9999, 8888, 8888] }, Status.AlreadyExists);
        refuse(r, { videoStreams: [9999], audioStreams: [AUDIO, AUDIO] }, Status.DynamicConstraintError);
        refuse(r, { videoStreams: [VIDEO, VIDEO], audioStreams: [9999] }, Status.AlreadyExists);
    });
    add("SolicitOffer step 11: a list with nothing of that kind allocated → INVALID_IN_STATE", undefined, r => {
        r.priorities([StreamUsage.LiveView]);
        r.addStream(StreamKind.Video, VIDEO, StreamUsage.LiveView);
        refuse(r, { audioStreams: [AUDIO] }, Status.InvalidInState);
        refuse(r, { audioStreams: [AUDIO, AUDIO] }, Status.InvalidInState);
        refuse(r, { videoStreams: [VIDEO], audioStreams: [9999] }, Status.InvalidInState);
    });
    add("SolicitOffer step 11: several allocated streams in one list are all kept, in request order", bg, r => {
        r.addStream(StreamKind.Video, 7, StreamUsage.Recording);
        r.session(r.solicitOk({ videoStreams: [7, VIDEO], audioStreams: [AUDIO] }).id, like({ video: [7, VIDEO], audio: [AUDIO] }));
        r.refsOf(StreamKind.Video, 7, 1);
    });

    for (const url of ["turns:turn.example.com:5349", "stuns:stun.example.com:5349"]) {
        add(`SolicitOffer step 13: ${url} with UTCTime null → INVALID_IN_STATE`, bg, r => {
            r.utcTimeNull(true);
            refuse(r, { ...V, iceServers: [{ urLs: ["stun:plain"] }, { urLs: ["turn:a", url] }] }, Status.InvalidInState);
        });
    }
    add("SolicitOffer step 13: plain and upper-case schemes are fine with UTCTime null; turns: once UTC is known; checked after the streams", bg, r => {
        r.utcTimeNull(true);
        r.solicitOk({ ...V, iceServers: [{ urLs: ["stun:a", "turn:b", "TURNS:c", "STUNS:d"] }] });
        refuse(r, { ...V, iceServers: [{ urLs: ["turns:a"] }] }, Status.InvalidInState);
        refuse(r, { videoStreams: [9999], iceServers: [{ urLs: ["turns:a"] }] }, Status.DynamicConstraintError);
        r.utcTimeNull(false);
        r.solicitOk({ ...V, iceServers: [{ urLs: ["turns:a"] }] });
    });

    add("SolicitOffer step 14: auto-selection prefers a stream of the exact usage, else the first allocated (TC 2.5 step 10)", undefined, r => {
        r.priorities([StreamUsage.LiveView, StreamUsage.Recording, StreamUsage.Analysis]);
        r.addStream(StreamKind.Video, 10, StreamUsage.Internal);
        r.addStream(StreamKind.Video, 11, StreamUsage.LiveView);
        r.addStream(StreamKind.Video, 12, StreamUsage.Recording);
        r.addStream(StreamKind.Audio, 20, StreamUsage.Recording);
        r.addStream(StreamKind.Audio, 21, StreamUsage.LiveView);
        r.solicitOk(NULL_IDS, { response: { deferredOffer: false, videoStreamId: 11, audioStreamId: 21 } });
        r.solicitOk({ ...NULL_IDS, streamUsage: StreamUsage.Recording }, { response: { deferredOffer: false, videoStreamId: 12, audioStreamId: 20 } });
        // nothing allocated for Analysis: the first allocated stream of each kind
        const analysis = r.solicitOk({ ...NULL_IDS, streamUsage: StreamUsage.Analysis }, { response: { deferredOffer: false, videoStreamId: 10, audioStreamId: 20 } });
        r.session(analysis.id, like({ video: [10], audio: [20] }));
    });
    add("SolicitOffer step 14: a request with only one kind selects only that kind", bg, r => {
        r.session(r.solicitOk({ videoStreamId: null }).id, like({ video: [VIDEO], audio: [] }));
    });

    add("SolicitOffer step 19: the scalar fields are echoed iff requested, with the resolved value", bg, r => {
        r.solicitOk({ videoStreamId: null, audioStreamId: AUDIO }, { response: { deferredOffer: false, videoStreamId: VIDEO, audioStreamId: AUDIO } });
        r.solicitOk({ videoStreamId: VIDEO }, { deferred: true, response: { deferredOffer: true, videoStreamId: VIDEO } });
    });
    add("SolicitOffer step 19: list requests get no stream fields", bg, r => {
        r.session(r.solicitOk({ videoStreams: [VIDEO], audioStreams: [AUDIO] }, { response: { deferredOffer: false } }).id, like({ state: "awaiting-answer" }));
    });
    add("SolicitOffer step 19: audio only echoes only audio", streams, r => {
        r.check("first session id", r.solicitOk({ audioStreamId: null }, { response: { deferredOffer: false, audioStreamId: AUDIO } }).id, 1);
    });
    add("SolicitOffer step 19: DeferredOffer is the hook's answer, and the state follows it", bg, r => {
        r.session(r.solicitOk(V, { deferred: true, response: { deferredOffer: true, ...V } }).id, like({ state: "awaiting-deferred-offer" }));
        r.session(r.solicitOk(V, { deferred: false, response: { deferredOffer: false, ...V } }).id, like({ state: "awaiting-answer" }));
    });

    add("SolicitOffer row: the caller's peer and fabric, PeerEndpointID = OriginatingEndpointID, both lists and the scalars (TC 2.10, 2.32)", bg, r => {
        const who = { fabricIndex: 3, peerNodeId: BIG_PEER };
        const { id } = r.solicitOk({ originatingEndpointId: 5, ...V, metadataEnabled: true }, { who });
        r.check("CurrentSessions(3)", r.sessions(3), [
            { id, peerNodeId: BIG_PEER, peerEndpointId: 5, streamUsage: StreamUsage.LiveView, ...V, metadataEnabled: true, videoStreams: [VIDEO], audioStreams: [AUDIO], fabricIndex: 3 },
        ]);
        r.session(id, like({ fabric: 3, peer: BIG_PEER.toString(), endpoint: 5, metadata: true, video: [VIDEO], audio: [AUDIO] }));
    });
    add("SolicitOffer row: a list request fills the deprecated scalars with the first entry, and has no empty list", bg, r => {
        r.addStream(StreamKind.Video, 7, StreamUsage.Recording);
        const { id } = r.solicitOk({ videoStreams: [7, VIDEO] });
        const row = r.sessions(FABRIC).find(s => s.id === id);
        r.check("the row", row, like({ videoStreamId: 7, audioStreamId: null, videoStreams: [7, VIDEO] }));
        r.check("the row has no AudioStreams", row !== undefined && !("audioStreams" in row), true);
    });
    add("SolicitOffer row: one reference per stream, and an added event", bg, r => {
        const { id } = r.solicitOk(V);
        r.refsOf(StreamKind.Video, VIDEO, 2);
        r.refsOf(StreamKind.Audio, AUDIO, 2);
        r.events([[EV.added, id, 0, CAUSE.peer]]);
    });
    add("SolicitOffer: the hook gets the request's parameters", bg, r => {
        const iceServers = [{ urLs: ["stun:a", "turn:b"], username: "user", credential: "pw", caid: 4 }, { urLs: ["stun:c"] }];
        const id = r.decide(Command.SolicitOffer, solicitTlv({ ...V, originatingEndpointId: 9, iceServers, iceTransportPolicy: "relay" }), Action.Hook, {
            args: {
                params: {
                    sessionId: 2, // the background session has id 1
                    fabricIndex: FABRIC,
                    peerNodeId: PEER,
                    streamUsage: StreamUsage.LiveView,
                    originatingEndpointId: 9,
                    videoStreams: [VIDEO],
                    audioStreams: [AUDIO],
                    metadataEnabled: false,
                    reoffer: false,
                    iceServers: [{ urls: ["stun:a", "turn:b"], username: "user", credential: "pw", caid: 4 }, { urls: ["stun:c"] }],
                    iceTransportPolicy: "relay",
                },
            },
        });
        r.commitSolicit(id);
    });
    add("SolicitOffer: refusals leave the background session and its references alone", bg, (r, { background }) => {
        const before = r.state();
        refuse(r, { videoStreams: [9999] }, Status.DynamicConstraintError);
        r.state(before);
        r.sessions(0, [background]);
    });
});
