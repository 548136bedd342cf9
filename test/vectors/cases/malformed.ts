/**
 * Inbound payloads that are not a well-formed command, for all five commands: truncation at every
 * byte, trailing bytes, a non-struct outer element, mistyped / missing / duplicated fields
 * (written as hex tables), invalid UTF-8 in every string field, bad TLV inside unknown fields
 * (reserved types, a tagged end, lengths past the buffer, nesting past 8) are INVALID_COMMAND and
 * leave the table as it was; a payload longer than capacities.inLen is RESOURCE_EXHAUSTED; no
 * accessing fabric (0, or 255) is UNSUPPORTED_ACCESS (0x7e); a command id the provider does not
 * have is INVALID_COMMAND. Unknown context tags, non-minimal integer widths and a payload of
 * exactly inLen are accepted. Cases start from `established`: a live session `sid` of the test caller.
 */

import { Action, ProviderCommand as Command, Status } from "../../../src/engine/index.js";
import { FABRIC, PEER, caller } from "../../support/callers.js";
import { AUDIO, VIDEO } from "../../support/profiles.js";
import { SDP, answerTlv, concat, endTlv, hex, iceTlv, offerTlv, solicitTlv, toHex } from "../../support/wire.js";
import type { Recorder } from "../recorder.js";
import { V, caseList, established } from "./fixtures.js";

/** A struct of the given members (hex). */
const S = (members: string) => hex(`15 ${members} 18`);
/** `payload` with one more member (hex) right before the struct's end. */
const withMember = (payload: Uint8Array, member: string) => concat(payload.subarray(0, payload.length - 1), hex(member), hex("18"));
/** `payload` with the UTF-8 of `marker` replaced by `bytes` (hex) of the same length. */
function corrupt(payload: Uint8Array, marker: string, bytes: string): Uint8Array {
    const at = toHex(payload).indexOf(toHex(new TextEncoder().encode(marker)));
    if (at < 0 || at % 2 !== 0 || hex(bytes).length !== marker.length) throw new Error(`marker ${marker} not found or replacement of another length`);
    const out = payload.slice();
    out.set(hex(bytes), at / 2);
    return out;
}
/** `payload` padded with an unknown octet-string member to exactly `total` bytes. */
function padded(payload: Uint8Array, total: number): Uint8Array {
    const pad = total - payload.length - 6;
    return withMember(payload, `3214 ${toHex(Uint8Array.of(pad & 0xff, (pad >> 8) & 0xff, (pad >> 16) & 0xff, 0))} ${"00".repeat(pad)}`);
}
const idMember = (sid: number) => `2400${sid.toString(16).padStart(2, "0")}`;

/** Invalid UTF-8 sequences, 4 bytes each. */
const BAD_UTF8: [string, string][] = [
    ["a 0xff byte", "ff414141"], ["a lone continuation byte", "41804141"], ["an overlong NUL", "c0804141"], ["an overlong 3-byte form", "e0808041"],
    ["a UTF-16 surrogate", "eda08041"], ["a code point above U+10FFFF", "f4908080"], ["a truncated sequence at the end", "414141e2"], ["a broken continuation", "e2824141"],
];
/** Members of an unknown field (tag 20) that are not valid TLV. */
const BAD_UNKNOWN_MEMBERS = ["3914", "3f14", "3814", "2e14 ffffff00 41", "2f14 ffffffffffffffff 41", "3514 2400 01", "2714 010203"];

const U = "240003", EP = "240101", VID = "240201";
/** SolicitOffer members that do not decode (name: members). */
const SOLICIT_FORMS: [string, string][] = [
    ["no StreamUsage", `${EP} ${VID}`], ["no OriginatingEndpointID", `${U} ${VID}`], ["StreamUsage as a string", `2c000133 ${EP} ${VID}`],
    ["StreamUsage signed", `200003 ${EP} ${VID}`], ["StreamUsage above 255", `25002c01 ${EP} ${VID}`], ["StreamUsage null", `3400 ${EP} ${VID}`],
    ["OriginatingEndpointID as a bool", `${U} 2801 ${VID}`], ["OriginatingEndpointID above 65535", `${U} 260170110100 ${VID}`],
    ["VideoStreamID as a string", `${U} ${EP} 2c020131`], ["VideoStreamID above 65535", `${U} ${EP} 260270110100`],
    ["VideoStreamID as a bool", `${U} ${EP} 2902`], ["VideoStreams as a struct", `${U} ${EP} 3508 240001 18`],
    ["VideoStreams as a TLV list", `${U} ${EP} 3708 0401 18`], ["VideoStreams with a tagged entry", `${U} ${EP} 3608 240001 18`],
    ["VideoStreams with a string entry", `${U} ${EP} 3608 0c0131 18`], ["VideoStreams entry above 65535", `${U} ${EP} 3608 0670110100 18`],
    ["AudioStreams with a null entry", `${U} ${EP} 3609 14 18`], ["ICEServers as a struct", `${U} ${EP} ${VID} 3504 18`],
    ["ICEServers with an integer entry", `${U} ${EP} ${VID} 3604 0401 18`], ["an ICE server with a tag", `${U} ${EP} ${VID} 3604 3501 3600 18 18 18`],
    ["an ICE server without URLs", `${U} ${EP} ${VID} 3604 15 2c010175 18 18`], ["URLs as a string", `${U} ${EP} ${VID} 3604 15 2c000161 18 18`],
    ["a URL as an integer", `${U} ${EP} ${VID} 3604 15 3600 0401 18 18 18`], ["a tagged URL", `${U} ${EP} ${VID} 3604 15 3600 2c000161 18 18 18`],
    ["a username as octets", `${U} ${EP} ${VID} 3604 15 3600 18 30010175 18 18`], ["a CAID as a string", `${U} ${EP} ${VID} 3604 15 3600 18 2c030131 18 18`],
    ["URLs twice", `${U} ${EP} ${VID} 3604 15 3600 18 3600 18 18 18`], ["a username twice", `${U} ${EP} ${VID} 3604 15 3600 18 2c010175 2c010175 18 18`],
    ["ICETransportPolicy as octets", `${U} ${EP} ${VID} 300503616c6c`], ["ICETransportPolicy as an integer", `${U} ${EP} ${VID} 240501`],
    ["MetadataEnabled as an integer", `${U} ${EP} ${VID} 240601`], ["StreamUsage twice", `${U} ${U} ${EP} ${VID}`],
    ["VideoStreamID twice", `${U} ${EP} ${VID} ${VID}`], ["VideoStreams twice", `${U} ${EP} 36080401 18 36080401 18`],
    ["MetadataEnabled twice", `${U} ${EP} ${VID} 2806 2806`],
];
const NUL = "3400", SDPF = "2c0103763d30", OU = "240203", OEP = "240301", OVID = "240401";
const OFFER_FORMS: [string, string][] = [
    ["no WebRTCSessionID", `${SDPF} ${OU} ${OEP} ${OVID}`], ["no SDP", `${NUL} ${OU} ${OEP} ${OVID}`],
    ["new without StreamUsage", `${NUL} ${SDPF} ${OEP} ${OVID}`], ["new without OriginatingEndpointID", `${NUL} ${SDPF} ${OU} ${OVID}`],
    ["WebRTCSessionID as a string", `2c000131 ${SDPF} ${OU} ${OEP} ${OVID}`], ["WebRTCSessionID as a bool", `2800 ${SDPF} ${OU} ${OEP} ${OVID}`],
    ["WebRTCSessionID above 65535", `260070110100 ${SDPF} ${OU} ${OEP} ${OVID}`], ["WebRTCSessionID signed", `200001 ${SDPF}`],
    ["SDP as octets", `${NUL} 300103763d30 ${OU} ${OEP} ${OVID}`], ["SDP as an integer", `${NUL} 240105 ${OU} ${OEP} ${OVID}`],
    ["SDP null", `${NUL} 3401 ${OU} ${OEP} ${OVID}`], ["SDP twice", `${NUL} ${SDPF} ${SDPF} ${OU} ${OEP} ${OVID}`],
    ["WebRTCSessionID twice", `${NUL} ${NUL} ${SDPF} ${OU} ${OEP} ${OVID}`], ["StreamUsage as a string", `${NUL} ${SDPF} 2c020133 ${OEP} ${OVID}`],
    ["VideoStreams (tag 10) as a struct", `${NUL} ${SDPF} ${OU} ${OEP} 350a 18`],
];
/** ProvideAnswer forms, given the id member: no id, no SDP, id null, id as a string, SDP as octets, SDP null, either twice. */
const answerForms = (id: string) => [SDPF, id, `3400 ${SDPF}`, `2c000131 ${SDPF}`, `${id} 300103763d30`, `${id} 3401`, `${id} ${id} ${SDPF}`, `${id} ${SDPF} ${SDPF}`];
/** One ICE candidate {Candidate "a", SDPMid null, SDPMLineIndex null}. */
const C = "15 2c000161 3401 3402 18";
/** ProvideICECandidates forms: no id, no list, id null, list as a struct, list twice, a candidate that is no struct / tagged / lacks a field / mistyped / null / twice / unclosed. */
const iceForms = (i: string) => [
    `3601 ${C} 18`, i, `3400 3601 ${C} 18`, `${i} 3501 18`, `${i} 3601 ${C} 18 3601 ${C} 18`, `${i} 3601 0401 18`,
    `${i} 3601 3501 2c000161 3401 3402 18 18`, `${i} 3601 15 3401 3402 18 18`, `${i} 3601 15 2c000161 3402 18 18`,
    `${i} 3601 15 2c000161 3401 18 18`, `${i} 3601 15 3400 3401 3402 18 18`, `${i} 3601 15 30000161 3401 3402 18 18`,
    `${i} 3601 15 2c000161 30010130 3402 18 18`, `${i} 3601 15 2c000161 240100 3402 18 18`, `${i} 3601 15 2c000161 3401 2c020130 18 18`,
    `${i} 3601 15 2c000161 3401 260270110100 18 18`, `${i} 3601 15 2c000161 3401 3401 3402 18 18`, `${i} 3601 15 2c000161 3401 3402 18`,
];
/** EndSession forms: no id, no reason, id null, reason as a string / null / signed / above 255, either twice. */
const endForms = (id: string) => ["240102", id, "3400 240102", `${id} 2c010132`, `${id} 3401`, `${id} 200102`, `${id} 25010001`, `${id} 240102 240102`, `${id} ${id} 240102`];

/** A valid payload of each command that exercises nested structures; EndSession last (it ends `sid`). */
const baselines = (sid: number): [string, number, Uint8Array][] => [
    ["SolicitOffer", Command.SolicitOffer, solicitTlv({
        videoStreams: [VIDEO], audioStreams: [AUDIO], metadataEnabled: false, iceTransportPolicy: "all",
        iceServers: [{ urLs: ["stun:a.example:3478", "turn:b"], username: "user", credential: "pw", caid: 3 }, { urLs: ["stun:c"] }],
    })],
    ["ProvideOffer", Command.ProvideOffer, offerTlv({ ...V, videoStreamId: null, iceServers: [{ urLs: ["stun:x"] }], iceTransportPolicy: "relay" })],
    ["ProvideAnswer", Command.ProvideAnswer, answerTlv(sid, SDP)],
    ["ProvideICECandidates", Command.ProvideIceCandidates, iceTlv(sid, [
        { candidate: "candidate:1 1 udp 1 10.0.0.1 5000 typ host", sdpMid: "0", sdpmLineIndex: 0 },
        { candidate: "candidate:2 1 udp 1 10.0.0.2 5000 typ host", sdpMid: null, sdpmLineIndex: null },
    ])],
    ["EndSession", Command.EndSession, endTlv(sid, 2)],
];

const refuse = (r: Recorder, command: number, fields: Uint8Array, status: number = Status.InvalidCommand, fabricIndex = FABRIC) =>
    r.refuse(command, fields, status, { fabricIndex, peerNodeId: PEER });
/** Phase 1 accepts; a reservation is undone so the next payload meets the same table. */
function accept(r: Recorder, command: number, fields: Uint8Array): void {
    const d = r.cmd(command, fields, { status: Status.Success });
    if (d.action === Action.Hook && (command === Command.SolicitOffer || command === Command.ProvideOffer || command === Command.ProvideAnswer)) r.abort(d.sessionId);
}

export const MALFORMED_CASES = caseList(add => {
    const M = established;
    for (const [name] of baselines(0)) {
        const pick = (sid: number) => baselines(sid).find(b => b[0] === name)!;
        add(`malformed ${name}: truncation at every byte → INVALID_COMMAND, the table untouched; the whole baseline is accepted`, M, (r, { sid }) => {
            const [, command, payload] = pick(sid);
            r.truncations(command, payload, Status.InvalidCommand);
            r.sessions(0, [sid]);
            accept(r, command, payload);
        });
        add(`malformed ${name}: trailing bytes, a non-struct outer element → INVALID_COMMAND`, M, (r, { sid }) => {
            const [, command, payload] = pick(sid);
            for (const tail of ["18", "0400", "1518", "00"]) refuse(r, command, concat(payload, hex(tail)));
            for (const outer of ["1618", "1718", "0401", "3400", "2c0001411518"]) refuse(r, command, hex(outer));
        });
        add(`malformed ${name}: unknown context fields are skipped, nested 8 deep too; 9 deep → INVALID_COMMAND`, M, (r, context) => {
            let sid = context.sid;
            for (const member of ["2414 07", "3514 2400 01 3601 0401 0402 18 18", "2cff 0161", `3614 ${"16".repeat(7)} ${"18".repeat(8)}`]) {
                const [, command, payload] = pick(sid);
                accept(r, command, withMember(payload, member));
                if (command === Command.EndSession) {
                    // the accepted EndSession ended it: the next payload needs a live session again
                    sid = r.offerOk(V).id;
                    r.events();
                }
            }
            const [, command, payload] = pick(sid);
            refuse(r, command, withMember(payload, `3614 ${"16".repeat(8)} ${"18".repeat(9)}`));
        });
        add(`malformed ${name}: bad TLV in an unknown field, or the struct closed by a tagged end → INVALID_COMMAND`, M, (r, { sid }) => {
            const [, command, payload] = pick(sid);
            for (const member of BAD_UNKNOWN_MEMBERS) refuse(r, command, withMember(payload, member));
            refuse(r, command, concat(payload.subarray(0, payload.length - 1), hex("3800")));
        });
        add(`malformed ${name}: no accessing fabric (0) or fabric 255 → UNSUPPORTED_ACCESS (0x7e)`, M, (r, { sid }) => {
            const [, command, payload] = pick(sid);
            refuse(r, command, payload, 0x7e, 0);
            refuse(r, command, payload, 0x7e, 255);
        });
        add(`malformed ${name}: a payload past inLen → RESOURCE_EXHAUSTED; exactly inLen is decoded`, M, (r, { sid }) => {
            const [, command, payload] = pick(sid);
            const over = padded(payload, r.caps.inLen + 1);
            r.check("padded length", over.length, r.caps.inLen + 1);
            refuse(r, command, over, Status.ResourceExhausted);
            refuse(r, command, new Uint8Array(r.caps.inLen + 1000), Status.ResourceExhausted);
            accept(r, command, padded(payload, r.caps.inLen));
        });
    }

    add("malformed SolicitOffer fields → INVALID_COMMAND (35 forms); the minimal and a wide-integer form are accepted", M, r => {
        for (const [, members] of SOLICIT_FORMS) refuse(r, Command.SolicitOffer, S(members));
        accept(r, Command.SolicitOffer, S(`${U} ${EP} ${VID}`));
        // non-minimal integer widths are valid TLV
        accept(r, Command.SolicitOffer, S("26000300 0000 2701 0100000000000000 2502 0100"));
    });
    add("malformed ProvideOffer fields → INVALID_COMMAND (15 forms); the minimal new and re-offer forms are accepted", M, (r, { sid }) => {
        for (const [, members] of OFFER_FORMS) refuse(r, Command.ProvideOffer, S(members));
        accept(r, Command.ProvideOffer, S(`${NUL} ${SDPF} ${OU} ${OEP} ${OVID}`));
        accept(r, Command.ProvideOffer, S(`${idMember(sid)} ${SDPF}`));
    });
    add("malformed ProvideAnswer fields → INVALID_COMMAND (8 forms)", M, (r, { sid }) => {
        for (const members of answerForms(idMember(sid))) refuse(r, Command.ProvideAnswer, S(members));
    });
    add("malformed ProvideICECandidates fields → INVALID_COMMAND (18 forms); the minimal form reaches the hook", M, (r, { sid }) => {
        for (const members of iceForms(idMember(sid))) refuse(r, Command.ProvideIceCandidates, S(members));
        r.decide(Command.ProvideIceCandidates, S(`${idMember(sid)} 3601 ${C} 18`), Action.Hook, { args: { candidates: [{ candidate: "a", sdpMid: null, sdpMLineIndex: null }] } });
    });
    add("malformed EndSession fields → INVALID_COMMAND (9 forms); a Reason in a wider integer ends the session", M, (r, { sid }) => {
        for (const members of endForms(idMember(sid))) refuse(r, Command.EndSession, S(members));
        r.decide(Command.EndSession, S(`${idMember(sid)} 27010200000000000000`), Action.Hook, { args: { reason: 2 } });
        r.session(sid, null);
    });
    for (const [name, bytes] of BAD_UTF8) {
        add(`malformed UTF-8 (${name}) in an ICE URL, username, credential or policy → INVALID_COMMAND`, M, r => {
            const request = (marker: string) =>
                solicitTlv({
                    ...V,
                    iceTransportPolicy: marker === "PPPP" ? "PPPP" : "all",
                    iceServers: [{ urLs: ["stun:a", marker === "UUUU" ? "UUUU" : "stun:b"], username: marker === "NNNN" ? "NNNN" : "n", credential: marker === "CCCC" ? "CCCC" : "c" }],
                });
            for (const marker of ["UUUU", "NNNN", "CCCC", "PPPP"]) {
                accept(r, Command.SolicitOffer, request(marker));
                refuse(r, Command.SolicitOffer, corrupt(request(marker), marker, bytes));
            }
        });
        add(`malformed UTF-8 (${name}) in an SDP, a candidate or an SDPMid → INVALID_COMMAND`, M, (r, { sid }) => {
            const offer = offerTlv({ ...V, sdp: "v=0\r\ns=SSSS\r\n" });
            accept(r, Command.ProvideOffer, offer);
            refuse(r, Command.ProvideOffer, corrupt(offer, "SSSS", bytes));
            refuse(r, Command.ProvideOffer, corrupt(offerTlv({ webRtcSessionId: sid, sdp: "SSSS" }), "SSSS", bytes));
            refuse(r, Command.ProvideAnswer, corrupt(answerTlv(sid, "v=0 SSSS"), "SSSS", bytes));
            refuse(r, Command.ProvideIceCandidates, corrupt(iceTlv(sid, [{ candidate: "candidate:KKKK", sdpMid: "0", sdpmLineIndex: 0 }]), "KKKK", bytes));
            refuse(r, Command.ProvideIceCandidates, corrupt(iceTlv(sid, [{ candidate: "c", sdpMid: "MMMM", sdpmLineIndex: 0 }]), "MMMM", bytes));
        });
    }
    add("admission: a command id the provider does not have → INVALID_COMMAND, with no session and no action", M, r => {
        for (const id of [0x01, 0x03, 0x07, 0xff]) r.refuse(id, solicitTlv(V), Status.InvalidCommand, caller);
    });
    add("admission: a SolicitOffer after malformed ones gets the next id in sequence", M, (r, { sid }) => {
        refuse(r, Command.SolicitOffer, hex("15"));
        refuse(r, Command.SolicitOffer, concat(solicitTlv(V), hex("00")));
        r.check("next id", r.solicitOk(V).id, sid + 1);
    });
});
