/**
 * The wire protocol on its own: every message round-trips through encode/decode unchanged; the
 * frame layout is what protocol.ts documents; malformed frames (truncated, unknown type, trailing
 * bytes, bad UTF-8, unknown flags, lengths beyond the frame, oversized, text) are decode errors with
 * a readable reason; and neither decoder throws on 20 000 random or mutated frames.
 */

import { describe, expect, it } from "vitest";
import {
    decodeClientMessage,
    decodeRelayMessage,
    encodeClientMessage,
    encodeRelayMessage,
    ErrorCode,
    HEADER_SIZE,
    MAX_FRAME_SIZE,
    MessageCode,
    type ClientMessage,
    type RelayMessage,
} from "../../src/relay/protocol.js";

const bytes = (...values: number[]) => new Uint8Array(values);

const CLIENT_MESSAGES: ClientMessage[] = [
    { type: "hello", id: 1, version: 1 },
    { type: "getNetInterfaces", id: 2 },
    { type: "getIpMac", id: 3, name: "eth0" },
    { type: "udpCreate", id: 4, socketType: "udp6", port: 5353, reuseAddress: true, netInterface: "lo" },
    { type: "udpCreate", id: 5, socketType: "udp4", port: 0, reuseAddress: false, address: "0.0.0.0" },
    { type: "udpCreate", id: 6, socketType: "udp", port: 5540, reuseAddress: false },
    { type: "udpSend", id: 7, handle: 9, host: "ff02::fb", port: 5353, payload: bytes(1, 2, 3) },
    { type: "udpSend", id: 8, handle: 9, host: "::1", port: 5540, payload: bytes() },
    { type: "udpAddMembership", id: 9, handle: 9, address: "224.0.0.251" },
    { type: "udpDropMembership", id: 10, handle: 9, address: "ff02::fb" },
    { type: "tcpListen", id: 11, port: 5540 },
    { type: "tcpListen", id: 12, port: 0, address: "::" },
    { type: "tcpConnect", id: 13, host: "fe80::1%eth0", port: 5540, timeoutMs: 10_000 },
    { type: "tcpSend", id: 14, handle: 0xffff_fffe, payload: new Uint8Array(64_000).fill(7) },
    { type: "close", id: 0xffff_ffff, handle: 3 },
];

const RELAY_MESSAGES: RelayMessage[] = [
    { type: "ok", id: 1, handle: 0 },
    { type: "ok", id: 2, handle: 7 },
    { type: "helloOk", id: 1, version: 1, maxFrameSize: MAX_FRAME_SIZE },
    { type: "netInterfaces", id: 3, interfaces: [{ name: "eth0", type: 2 }, { name: "wlan0" }] },
    { type: "ipMac", id: 4, details: { mac: "00:11:22:33:44:55", ipV4: ["192.0.2.2"], ipV6: ["fd00::2", "fe80::1"] } },
    { type: "ipMac", id: 5 },
    { type: "udpCreated", id: 6, handle: 1, port: 5540, maxPayloadSize: 1232 },
    { type: "tcpListening", id: 7, handle: 2, port: 5540 },
    { type: "tcpConnected", id: 8, handle: 3, remoteAddress: "::1", remotePort: 5540, localPort: 40_000 },
    { type: "error", id: 9, handle: 0, code: ErrorCode.notAllowed, reason: "UDP port 22 is not allowed — sorry ✓" },
    { type: "udpData", handle: 1, netInterface: "lo", peerAddress: "::1", peerPort: 5353, payload: bytes(0, 1) },
    { type: "udpData", handle: 1, peerAddress: "127.0.0.1", peerPort: 40_000, payload: bytes(9) },
    { type: "udpData", handle: 1, netInterface: "", peerAddress: "fd00::9", peerPort: 1, payload: bytes() },
    { type: "tcpAccepted", handle: 4, listener: 2, remoteAddress: "::ffff:127.0.0.1", remotePort: 50_000, localPort: 5540 },
    { type: "tcpData", handle: 4, payload: new Uint8Array(65_535).fill(1) },
    { type: "closed", handle: 4, code: ErrorCode.none, reason: "closed by peer" },
];

describe("relay protocol", () => {
    it("round-trips every client request", () => {
        for (const message of CLIENT_MESSAGES) {
            const decoded = decodeClientMessage(encodeClientMessage(message));
            expect(decoded).toEqual({ ok: true, message });
        }
    });

    it("round-trips every relay reply and event (also from an ArrayBuffer)", () => {
        for (const message of RELAY_MESSAGES) {
            const frame = encodeRelayMessage(message);
            expect(decodeRelayMessage(frame)).toEqual({ ok: true, message });
            const copy = frame.slice().buffer;
            expect(decodeRelayMessage(copy)).toEqual({ ok: true, message });
        }
    });

    it("lays frames out as documented: type, id, handle, fields, raw payload", () => {
        const frame = encodeClientMessage({ type: "udpSend", id: 0x01020304, handle: 0x0a0b0c0d, host: "::1", port: 5540, payload: bytes(0xde, 0xad) });
        expect([...frame]).toEqual([0x11, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 3, 0x3a, 0x3a, 0x31, 0x15, 0xa4, 0xde, 0xad]);
        const data = encodeRelayMessage({ type: "tcpData", handle: 5, payload: bytes(1, 2, 3) });
        expect(data.length).toBe(HEADER_SIZE + 3);
        expect([...data.subarray(0, HEADER_SIZE)]).toEqual([MessageCode.tcpData, 0, 0, 0, 0, 0, 0, 0, 5]);
    });

    it("refuses to encode values that do not fit", () => {
        expect(() => encodeClientMessage({ type: "getIpMac", id: 1, name: "x".repeat(256) })).toThrow(RangeError);
        expect(() => encodeClientMessage({ type: "tcpConnect", id: 1, host: "::1", port: 70_000, timeoutMs: 1 })).toThrow(RangeError);
        expect(() => encodeClientMessage({ type: "tcpSend", id: 1, handle: 1, payload: new Uint8Array(MAX_FRAME_SIZE) })).toThrow(RangeError);
        // reasons are cut, not refused
        const long = encodeRelayMessage({ type: "error", id: 1, handle: 0, code: ErrorCode.network, reason: "é".repeat(2_000) });
        const decoded = decodeRelayMessage(long);
        expect(decoded.ok && decoded.message.type === "error" && decoded.message.reason.length).toBe(512);
    });

    const reasonOf = (result: { ok: boolean; reason?: string }) => (result.ok ? "decoded" : result.reason);

    it("reports malformed client frames with a readable reason", () => {
        const hello = encodeClientMessage({ type: "hello", id: 1, version: 1 });
        const send = encodeClientMessage(CLIENT_MESSAGES[6] as ClientMessage);
        const cases: [Uint8Array | string | number, RegExp][] = [
            [bytes(), /truncated header: 0 of 9/],
            [hello.subarray(0, 5), /truncated header/],
            [hello.subarray(0, 10), /truncated frame: version/],
            [Uint8Array.from([...hello, 0]), /1 trailing byte/],
            [bytes(0x7e, 0, 0, 0, 1, 0, 0, 0, 0), /unknown request type 0x7e/],
            [bytes(MessageCode.hello, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), /non-zero request id/],
            [bytes(MessageCode.hello, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1), /takes no handle/],
            [bytes(MessageCode.close, 0, 0, 0, 1, 0, 0, 0, 0), /needs a handle/],
            [bytes(MessageCode.getIpMac, 0, 0, 0, 1, 0, 0, 0, 0, 200, 0x61), /truncated frame: interface name needs 200/],
            [bytes(MessageCode.getIpMac, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0xc3, 0x28), /not valid UTF-8/],
            [bytes(MessageCode.udpCreate, 0, 0, 0, 1, 0, 0, 0, 0, 3, 0, 0x15, 0xa4, 0, 0), /unknown UDP socket type 3/],
            [bytes(MessageCode.udpCreate, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x80, 0x15, 0xa4, 0, 0), /unknown udpCreate flags bits 0x80/],
            [bytes(MessageCode.udpCreate, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x15, 0xa4, 1, 0x61, 0), /address given without its flag/],
            [send.subarray(0, 12), /truncated frame/],
            [new Uint8Array(MAX_FRAME_SIZE + 1), /exceeds/],
            ["hello", /text frames/],
            [42, /not binary/],
        ];
        for (const [frame, reason] of cases) {
            const result = decodeClientMessage(frame);
            expect(result.ok, String(reason)).toBe(false);
            expect(reasonOf(result)).toMatch(reason);
        }
    });

    it("reports malformed relay frames with a readable reason", () => {
        const cases: [Uint8Array, RegExp][] = [
            [bytes(MessageCode.udpData, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0), /event and must have id 0/],
            [bytes(MessageCode.error, 0, 0, 0, 1, 0, 0, 0, 0, 99, 0, 0), /unknown error code 99/],
            [bytes(MessageCode.error, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xff, 0xff), /reason length 65535 exceeds/],
            [bytes(MessageCode.ipMac, 0, 0, 0, 1, 0, 0, 0, 0, 2), /found flag must be 0 or 1/],
            [bytes(MessageCode.tcpAccepted, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0), /needs a listener/],
            [bytes(0x99, 0, 0, 0, 0, 0, 0, 0, 0), /unknown relay message type 0x99/],
        ];
        for (const [frame, reason] of cases) expect(reasonOf(decodeRelayMessage(frame))).toMatch(reason);
    });

    it("never throws on 20 000 random and mutated frames", () => {
        let seed = 0x2545f491;
        const random = () => {
            seed ^= seed << 13;
            seed ^= seed >>> 17;
            seed ^= seed << 5;
            return (seed >>> 0) / 0x1_0000_0000;
        };
        const valid = [...CLIENT_MESSAGES.map(encodeClientMessage), ...RELAY_MESSAGES.map(encodeRelayMessage)];
        let decodedOk = 0;
        for (let i = 0; i < 20_000; i++) {
            let frame: Uint8Array;
            if (i % 2 === 0) {
                frame = new Uint8Array(Math.floor(random() * 64));
                for (let j = 0; j < frame.length; j++) frame[j] = Math.floor(random() * 256);
            } else {
                const base = valid[Math.floor(random() * valid.length)] as Uint8Array;
                frame = base.slice(0, Math.min(base.length, 600));
                const flips = 1 + Math.floor(random() * 4);
                for (let k = 0; k < flips && frame.length > 0; k++) frame[Math.floor(random() * frame.length)] = Math.floor(random() * 256);
                if (random() < 0.2) frame = frame.subarray(0, Math.floor(random() * frame.length));
            }
            for (const decode of [decodeClientMessage, decodeRelayMessage]) {
                const result = decode(frame);
                if (result.ok) decodedOk++;
                else expect(result.reason.length).toBeGreaterThan(0);
            }
        }
        // mutations of valid frames sometimes stay valid: the fuzz reaches the decoders' depths
        expect(decodedOk).toBeGreaterThan(100);
    });
});
