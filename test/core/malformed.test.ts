/**
 * Inbound payloads that are not a well-formed command, every profile and all five commands:
 * truncation at every byte, trailing bytes, mistyped / missing / duplicated fields, invalid
 * UTF-8, bad TLV inside unknown fields (reserved types, tagged end, lengths past the buffer,
 * nesting past the bound) are all INVALID_COMMAND and leave the table untouched; a payload longer
 * than capacities.inLen is RESOURCE_EXHAUSTED; a command without an accessing fabric is
 * UNSUPPORTED_ACCESS (0x7e). Unknown context tags and non-minimal integer widths are accepted.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Core } from "../../src/engine/index.js";
import { AUDIO, PROFILES, VIDEO, allocateDefaultStreams, freshCore } from "../support/profiles.js";
import {
    Action, Cmd, FABRIC, PEER, SDP, Status, answerTlv, concat, endTlv, expectRefused, hex, iceTlv, offerOk, offerTlv, solicitOk,
    solicitTlv, toHex,
} from "../support/wire.js";

const V = { videoStreamId: VIDEO, audioStreamId: AUDIO };
const S = (members: string) => hex(`15 ${members} 18`);

/** Inserts a member (hex) right before the closing end-of-container of the command struct. */
function withMember(payload: Uint8Array, member: string): Uint8Array {
    return concat(payload.subarray(0, payload.length - 1), hex(member), hex("18"));
}
/** Replaces the bytes of `marker` (ASCII) in the payload with `bytes` of the same length. */
function corrupt(payload: Uint8Array, marker: string, bytes: string): Uint8Array {
    const m = Buffer.from(marker, "latin1");
    const at = Buffer.from(payload).indexOf(m);
    if (at < 0) throw new Error(`marker ${marker} not found`);
    const out = payload.slice();
    const b = hex(bytes);
    if (b.length !== m.length) throw new Error("replacement length");
    out.set(b, at);
    return out;
}

/** Invalid UTF-8 sequences, each 4 bytes long. */
const BAD_UTF8: [string, string][] = [
    ["a 0xff byte", "ff414141"],
    ["a lone continuation byte", "41804141"],
    ["an overlong NUL", "c0804141"],
    ["an overlong 3-byte form", "e0808041"],
    ["a UTF-16 surrogate", "eda08041"],
    ["a code point above U+10FFFF", "f4908080"],
    ["a truncated sequence at the end", "414141e2"],
    ["a broken continuation", "e2824141"],
];

describe.each(PROFILES)("malformed commands [%s]", profile => {
    let core: Core;
    /** Established session of (FABRIC, PEER). */
    let sid: number;
    beforeEach(async () => {
        core = await freshCore(profile);
        allocateDefaultStreams(core);
        sid = offerOk(core, V).webRtcSessionId;
        expect(core.snapAnswer(sid, SDP)).toBe(Status.Success);
        core.takeEvents();
    });
    afterEach(() => {
        expect(core.selfCheck()).toBe(0);
    });

    const refuse = (command: number, fields: Uint8Array, status: number = Status.InvalidCommand, fabric = FABRIC) =>
        expectRefused(core, command, fields, status, fabric, PEER);
    /** Phase 1 accepts; a hook reservation is undone so the next case starts from the same table. */
    const accept = (command: number, fields: Uint8Array) => {
        const d = core.decide(command, fields, FABRIC, PEER);
        expect(d.status, `0x${d.status.toString(16)}`).toBe(Status.Success);
        if (d.action === Action.Hook && (command === Cmd.SolicitOffer || command === Cmd.ProvideOffer || command === Cmd.ProvideAnswer)) {
            expect(core.abortPending(d.sessionId)).toBe(Status.Success);
        }
        return d;
    };

    /** A valid payload of each command that exercises nested structures (EndSession last: it ends `sid`). */
    const baselines = (): [string, number, Uint8Array][] => {
        if (core.session(sid) === undefined) {
            sid = offerOk(core, V).webRtcSessionId;
            core.takeEvents();
        }
        return [
            ["SolicitOffer", Cmd.SolicitOffer, solicitTlv({
                videoStreams: [VIDEO], audioStreams: [AUDIO], metadataEnabled: false, iceTransportPolicy: "all",
                iceServers: [{ urLs: ["stun:a.example:3478", "turn:b"], username: "user", credential: "pw", caid: 3 }, { urLs: ["stun:c"] }],
            })],
            ["ProvideOffer", Cmd.ProvideOffer, offerTlv({ ...V, videoStreamId: null, iceServers: [{ urLs: ["stun:x"] }], iceTransportPolicy: "relay" })],
            ["ProvideAnswer", Cmd.ProvideAnswer, answerTlv(sid, SDP)],
            ["ProvideICECandidates", Cmd.ProvideIceCandidates, iceTlv(sid, [
                { candidate: "candidate:1 1 udp 1 10.0.0.1 5000 typ host", sdpMid: "0", sdpmLineIndex: 0 },
                { candidate: "candidate:2 1 udp 1 10.0.0.2 5000 typ host", sdpMid: null, sdpmLineIndex: null },
            ])],
            ["EndSession", Cmd.EndSession, endTlv(sid, 2)],
        ];
    };

    describe("structure, for every command", () => {
        it("the baselines are accepted", () => {
            for (const [, command, payload] of baselines()) accept(command, payload);
        });
        it("truncation at every byte → INVALID_COMMAND", () => {
            for (const [name, command, payload] of baselines()) {
                for (let n = 0; n < payload.length; n++) {
                    const d = core.decide(command, payload.subarray(0, n), FABRIC, PEER);
                    expect(d.status, `${name} cut to ${n} of ${payload.length} bytes`).toBe(Status.InvalidCommand);
                }
                expect(core.selfCheck()).toBe(0);
            }
            expect(core.sessions().map(s => s.id)).toEqual([sid]);
        });
        it("trailing bytes after the struct → INVALID_COMMAND", () => {
            for (const [, command, payload] of baselines()) {
                for (const tail of ["18", "0400", "1518", "00"]) refuse(command, concat(payload, hex(tail)));
            }
        });
        it("an outer element that is not a struct → INVALID_COMMAND", () => {
            for (const [, command] of baselines()) {
                for (const outer of ["1618", "1718", "0401", "3400", "2c0001411518"]) refuse(command, hex(outer));
            }
        });
        it("an unknown context-tagged field is skipped (forward compatibility)", () => {
            for (const member of ["2414 07", "3514 2400 01 3601 0401 0402 18 18", "2cff 0161"]) {
                for (const [, command, payload] of baselines()) accept(command, withMember(payload, member));
            }
        });
        it("an unknown field nested 8 deep is skipped; 9 deep → INVALID_COMMAND", () => {
            for (const [, command, payload] of baselines()) {
                accept(command, withMember(payload, `3614 ${"16".repeat(7)} ${"18".repeat(8)}`));
                refuse(command, withMember(payload, `3614 ${"16".repeat(8)} ${"18".repeat(9)}`));
            }
        });
        it.each<[string, string]>([
            ["a reserved element type (0x19)", "3914"],
            ["a reserved element type (0x1f)", "3f14"],
            ["a tagged end-of-container", "3814"],
            ["a string length past the buffer", "2e14 ffffff00 41"],
            ["an 8-byte string length past the buffer", "2f14 ffffffffffffffff 41"],
            ["an unclosed unknown container", "3514 2400 01"],
            ["a truncated unknown integer", "2714 010203"],
        ])("%s inside the command → INVALID_COMMAND", (_, member) => {
            for (const [, command, payload] of baselines()) refuse(command, withMember(payload, member));
        });
        it("the struct closed by a tagged end → INVALID_COMMAND", () => {
            for (const [, command, payload] of baselines()) refuse(command, concat(payload.subarray(0, payload.length - 1), hex("3800")));
        });
    });

    describe("SolicitOffer fields", () => {
        const U = "240003", EP = "240101", VID = "240201";
        it.each<[string, string]>([
            ["no StreamUsage", `${EP} ${VID}`],
            ["no OriginatingEndpointID", `${U} ${VID}`],
            ["StreamUsage as a string", `2c000133 ${EP} ${VID}`],
            ["StreamUsage as a signed integer", `200003 ${EP} ${VID}`],
            ["StreamUsage above 255", `25002c01 ${EP} ${VID}`],
            ["StreamUsage null", `3400 ${EP} ${VID}`],
            ["OriginatingEndpointID as a bool", `${U} 2801 ${VID}`],
            ["OriginatingEndpointID above 65535", `${U} 260170110100 ${VID}`],
            ["VideoStreamID as a string", `${U} ${EP} 2c020131`],
            ["VideoStreamID above 65535", `${U} ${EP} 260270110100`],
            ["VideoStreamID as a bool", `${U} ${EP} 2902`],
            ["VideoStreams as a struct", `${U} ${EP} 3508 240001 18`],
            ["VideoStreams as a TLV list", `${U} ${EP} 3708 0401 18`],
            ["VideoStreams with a tagged entry", `${U} ${EP} 3608 240001 18`],
            ["VideoStreams with a string entry", `${U} ${EP} 3608 0c0131 18`],
            ["VideoStreams with an entry above 65535", `${U} ${EP} 3608 0670110100 18`],
            ["AudioStreams with a null entry", `${U} ${EP} 3609 14 18`],
            ["ICEServers as a struct", `${U} ${EP} ${VID} 3504 18`],
            ["ICEServers with an integer entry", `${U} ${EP} ${VID} 3604 0401 18`],
            ["an ICE server with a tag", `${U} ${EP} ${VID} 3604 3501 3600 18 18 18`],
            ["an ICE server without URLs", `${U} ${EP} ${VID} 3604 15 2c010175 18 18`],
            ["URLs as a string", `${U} ${EP} ${VID} 3604 15 2c000161 18 18`],
            ["a URL as an integer", `${U} ${EP} ${VID} 3604 15 3600 0401 18 18 18`],
            ["a tagged URL", `${U} ${EP} ${VID} 3604 15 3600 2c000161 18 18 18`],
            ["a username as octets", `${U} ${EP} ${VID} 3604 15 3600 18 30010175 18 18`],
            ["a CAID as a string", `${U} ${EP} ${VID} 3604 15 3600 18 2c030131 18 18`],
            ["URLs twice in one server", `${U} ${EP} ${VID} 3604 15 3600 18 3600 18 18 18`],
            ["a username twice", `${U} ${EP} ${VID} 3604 15 3600 18 2c010175 2c010175 18 18`],
            ["ICETransportPolicy as octets", `${U} ${EP} ${VID} 300503616c6c`],
            ["ICETransportPolicy as an integer", `${U} ${EP} ${VID} 240501`],
            ["MetadataEnabled as an integer", `${U} ${EP} ${VID} 240601`],
            ["StreamUsage twice", `${U} ${U} ${EP} ${VID}`],
            ["VideoStreamID twice", `${U} ${EP} ${VID} ${VID}`],
            ["VideoStreams twice", `${U} ${EP} 36080401 18 36080401 18`],
            ["MetadataEnabled twice", `${U} ${EP} ${VID} 2806 2806`],
        ])("%s → INVALID_COMMAND", (_, members) => refuse(Cmd.SolicitOffer, S(members)));
        it("the hand-written minimal form is accepted", () => {
            accept(Cmd.SolicitOffer, S(`${U} ${EP} ${VID}`));
            // non-minimal integer widths are valid TLV
            accept(Cmd.SolicitOffer, S(`26000300 0000 2701 0100000000000000 2502 0100`));
        });
        it.each(BAD_UTF8)("invalid UTF-8 (%s) in a URL, username, credential or policy → INVALID_COMMAND", (_, bytes) => {
            const q = (marker: string) => solicitTlv({
                ...V, iceTransportPolicy: marker === "PPPP" ? "PPPP" : "all",
                iceServers: [{ urLs: ["stun:a", marker === "UUUU" ? "UUUU" : "stun:b"], username: marker === "NNNN" ? "NNNN" : "n", credential: marker === "CCCC" ? "CCCC" : "c" }],
            });
            for (const marker of ["UUUU", "NNNN", "CCCC", "PPPP"]) {
                accept(Cmd.SolicitOffer, q(marker));
                refuse(Cmd.SolicitOffer, corrupt(q(marker), marker, bytes));
            }
        });
    });

    describe("ProvideOffer fields", () => {
        const NUL = "3400", SDPF = "2c0103763d30", U = "240203", EP = "240301", VID = "240401";
        it.each<[string, string]>([
            ["no WebRTCSessionID", `${SDPF} ${U} ${EP} ${VID}`],
            ["no SDP", `${NUL} ${U} ${EP} ${VID}`],
            ["a new session without StreamUsage", `${NUL} ${SDPF} ${EP} ${VID}`],
            ["a new session without OriginatingEndpointID", `${NUL} ${SDPF} ${U} ${VID}`],
            ["WebRTCSessionID as a string", `2c000131 ${SDPF} ${U} ${EP} ${VID}`],
            ["WebRTCSessionID as a bool", `2800 ${SDPF} ${U} ${EP} ${VID}`],
            ["WebRTCSessionID above 65535", `260070110100 ${SDPF} ${U} ${EP} ${VID}`],
            ["WebRTCSessionID as a signed integer", `200001 ${SDPF}`],
            ["SDP as octets", `${NUL} 300103763d30 ${U} ${EP} ${VID}`],
            ["SDP as an integer", `${NUL} 240105 ${U} ${EP} ${VID}`],
            ["SDP null", `${NUL} 3401 ${U} ${EP} ${VID}`],
            ["SDP twice", `${NUL} ${SDPF} ${SDPF} ${U} ${EP} ${VID}`],
            ["WebRTCSessionID twice", `${NUL} ${NUL} ${SDPF} ${U} ${EP} ${VID}`],
            ["StreamUsage as a string", `${NUL} ${SDPF} 2c020133 ${EP} ${VID}`],
            ["VideoStreams (tag 10) as a struct", `${NUL} ${SDPF} ${U} ${EP} 350a 18`],
        ])("%s → INVALID_COMMAND", (_, members) => refuse(Cmd.ProvideOffer, S(members)));
        it("the hand-written minimal forms are accepted (new, and a re-offer without usage or endpoint)", () => {
            accept(Cmd.ProvideOffer, S(`${NUL} ${SDPF} ${U} ${EP} ${VID}`));
            accept(Cmd.ProvideOffer, S(`2400${sid.toString(16).padStart(2, "0")} ${SDPF}`));
        });
        it.each(BAD_UTF8)("invalid UTF-8 (%s) in the SDP → INVALID_COMMAND", (_, bytes) => {
            const payload = offerTlv({ ...V, sdp: `v=0\r\ns=SSSS\r\n` });
            accept(Cmd.ProvideOffer, payload);
            refuse(Cmd.ProvideOffer, corrupt(payload, "SSSS", bytes));
            refuse(Cmd.ProvideOffer, corrupt(offerTlv({ webRtcSessionId: sid, sdp: "SSSS" }), "SSSS", bytes));
        });
        it("a valid multi-byte SDP reaches the hook intact", () => {
            const sdp = "v=0\r\ns=caméra ☃ 📷\r\n";
            const d = core.decide(Cmd.ProvideOffer, offerTlv({ ...V, sdp }), FABRIC, PEER);
            expect(d.status).toBe(Status.Success);
            expect(core.sdp()).toBe(sdp);
            expect(core.abortPending(d.sessionId)).toBe(Status.Success);
        });
    });

    describe("ProvideAnswer fields", () => {
        const id = () => `2400${sid.toString(16).padStart(2, "0")}`;
        const SDPF = "2c0103763d30";
        it.each<[string, () => string]>([
            ["no WebRTCSessionID", () => SDPF],
            ["no SDP", () => id()],
            ["WebRTCSessionID null", () => `3400 ${SDPF}`],
            ["WebRTCSessionID as a string", () => `2c000131 ${SDPF}`],
            ["SDP as octets", () => `${id()} 300103763d30`],
            ["SDP null", () => `${id()} 3401`],
            ["WebRTCSessionID twice", () => `${id()} ${id()} ${SDPF}`],
            ["SDP twice", () => `${id()} ${SDPF} ${SDPF}`],
        ])("%s → INVALID_COMMAND", (_, members) => refuse(Cmd.ProvideAnswer, S(members())));
        it.each(BAD_UTF8)("invalid UTF-8 (%s) in the SDP → INVALID_COMMAND", (_, bytes) => {
            refuse(Cmd.ProvideAnswer, corrupt(answerTlv(sid, "v=0 SSSS"), "SSSS", bytes));
        });
    });

    describe("ProvideICECandidates fields", () => {
        const id = () => `2400${sid.toString(16).padStart(2, "0")}`;
        const C = "15 2c000161 3401 3402 18";
        it.each<[string, (c: string) => string]>([
            ["no WebRTCSessionID", () => `3601 ${C} 18`],
            ["no ICECandidates", () => id()],
            ["WebRTCSessionID null", () => `3400 3601 ${C} 18`],
            ["ICECandidates as a struct", i => `${i} 3501 18`],
            ["ICECandidates twice", i => `${i} 3601 ${C} 18 3601 ${C} 18`],
            ["a candidate that is not a struct", i => `${i} 3601 0401 18`],
            ["a tagged candidate", i => `${i} 3601 3501 2c000161 3401 3402 18 18`],
            ["a candidate without Candidate", i => `${i} 3601 15 3401 3402 18 18`],
            ["a candidate without SDPMid", i => `${i} 3601 15 2c000161 3402 18 18`],
            ["a candidate without SDPMLineIndex", i => `${i} 3601 15 2c000161 3401 18 18`],
            ["Candidate null", i => `${i} 3601 15 3400 3401 3402 18 18`],
            ["Candidate as octets", i => `${i} 3601 15 30000161 3401 3402 18 18`],
            ["SDPMid as octets", i => `${i} 3601 15 2c000161 30010130 3402 18 18`],
            ["SDPMid as an integer", i => `${i} 3601 15 2c000161 240100 3402 18 18`],
            ["SDPMLineIndex as a string", i => `${i} 3601 15 2c000161 3401 2c020130 18 18`],
            ["SDPMLineIndex above 65535", i => `${i} 3601 15 2c000161 3401 260270110100 18 18`],
            ["SDPMid twice", i => `${i} 3601 15 2c000161 3401 3401 3402 18 18`],
            ["an unclosed candidate", i => `${i} 3601 15 2c000161 3401 3402 18`],
        ])("%s → INVALID_COMMAND", (_, members) => refuse(Cmd.ProvideIceCandidates, S(members(id()))));
        it("the hand-written minimal form is accepted", () => {
            accept(Cmd.ProvideIceCandidates, S(`${id()} 3601 ${C} 18`));
            expect(core.candidates()).toEqual([{ candidate: "a", sdpMid: null, sdpMLineIndex: null }]);
        });
        it.each(BAD_UTF8)("invalid UTF-8 (%s) in a candidate or SDPMid → INVALID_COMMAND", (_, bytes) => {
            refuse(Cmd.ProvideIceCandidates, corrupt(iceTlv(sid, [{ candidate: "candidate:KKKK", sdpMid: "0", sdpmLineIndex: 0 }]), "KKKK", bytes));
            refuse(Cmd.ProvideIceCandidates, corrupt(iceTlv(sid, [{ candidate: "c", sdpMid: "MMMM", sdpmLineIndex: 0 }]), "MMMM", bytes));
        });
    });

    describe("EndSession fields", () => {
        const id = () => `2400${sid.toString(16).padStart(2, "0")}`;
        it.each<[string, () => string]>([
            ["no WebRTCSessionID", () => "240102"],
            ["no Reason", () => id()],
            ["WebRTCSessionID null", () => "3400 240102"],
            ["Reason as a string", () => `${id()} 2c010132`],
            ["Reason null", () => `${id()} 3401`],
            ["Reason as a signed integer", () => `${id()} 200102`],
            ["Reason above 255", () => `${id()} 25010001`],
            ["Reason twice", () => `${id()} 240102 240102`],
            ["WebRTCSessionID twice", () => `${id()} ${id()} 240102`],
        ])("%s → INVALID_COMMAND", (_, members) => refuse(Cmd.EndSession, S(members())));
        it("a Reason in a wider integer than needed is accepted", () => {
            accept(Cmd.EndSession, S(`${id()} 27010200000000000000`));
            expect(core.endReason()).toBe(2);
            expect(core.session(sid)).toBeUndefined();
        });
    });

    describe("admission", () => {
        it("fabricIndex 0 (no accessing fabric, PASE) → UNSUPPORTED_ACCESS (0x7e) for every command; 255 too", () => {
            for (const [, command, payload] of baselines()) {
                refuse(command, payload, Status.UnsupportedAccess, 0);
                refuse(command, payload, Status.UnsupportedAccess, 255);
            }
            expect(Status.UnsupportedAccess).toBe(0x7e);
        });
        it("a payload longer than capacities.inLen → RESOURCE_EXHAUSTED for every command", () => {
            const inLen = core.capacities.inLen;
            for (const [, command, payload] of baselines()) {
                // a well-formed command padded past the buffer with an unknown octet-string field
                const pad = inLen + 1 - payload.length - 6;
                const big = withMember(payload, `3214 ${toHex(Uint8Array.of(pad & 0xff, (pad >> 8) & 0xff, (pad >> 16) & 0xff, 0))} ${"00".repeat(pad)}`);
                expect(big.length).toBe(inLen + 1);
                refuse(command, big, Status.ResourceExhausted);
                refuse(command, new Uint8Array(inLen + 1000), Status.ResourceExhausted);
            }
        });
        it("a payload of exactly capacities.inLen is decoded", () => {
            const inLen = core.capacities.inLen;
            for (const [, command, payload] of baselines()) {
                const pad = inLen - payload.length - 6;
                const full = withMember(payload, `3214 ${toHex(Uint8Array.of(pad & 0xff, (pad >> 8) & 0xff, (pad >> 16) & 0xff, 0))} ${"00".repeat(pad)}`);
                expect(full.length).toBe(inLen);
                accept(command, full);
            }
        });
        it("the facade refuses a command id the provider does not have with INVALID_COMMAND", () => {
            for (const id of [0x01, 0x03, 0x07, 0xff]) {
                expect(core.decide(id, solicitTlv(V), FABRIC, PEER)).toEqual({ status: Status.InvalidCommand, sessionId: 0, action: 0 });
            }
        });
        it("a solicit after malformed ones still gets the next id in sequence", () => {
            refuse(Cmd.SolicitOffer, hex("15"));
            refuse(Cmd.SolicitOffer, concat(solicitTlv(V), hex("00")));
            expect(solicitOk(core, V).webRtcSessionId).toBe(sid + 1);
        });
    });
});
