/**
 * The core's TLV reader, through the `tlvScan(len)` export over bytes written at `inPtr()`, every
 * profile: every element type (signed and unsigned integers of 1/2/4/8 bytes, booleans, floats,
 * UTF-8 and octet strings with 1/2/4/8-byte lengths, null, structure, array, list) and every tag
 * form (anonymous, context, common profile 2/4, implicit profile 2/4, fully qualified 6/8) are
 * read with the right element count; malformed input (truncation at every byte, lengths past the
 * buffer, reserved types, a tagged or stray end-of-container, unclosed containers, an anonymous
 * struct member, a tagged array member, trailing bytes, nesting deeper than 8) gives -1, and the
 * reader never looks past `len` even when more bytes sit in the buffer.
 */

import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Core } from "../../src/engine/index.js";
import { PROFILES, freshCore } from "../support/profiles.js";
import { hex } from "../support/wire.js";

describe.each(PROFILES)("tlvScan [%s]", profile => {
    let core: Core;
    beforeAll(async () => {
        core = await freshCore(profile);
    });
    afterEach(() => {
        expect(core.selfCheck()).toBe(0);
    });

    /** Writes `bytes` at IN and scans the first `len` of them (all by default). */
    const scan = (bytes: Uint8Array | string, len?: number): number => {
        const b = typeof bytes === "string" ? hex(bytes) : bytes;
        const x = core.exports;
        new Uint8Array(x.memory.buffer, x.inPtr() >>> 0, b.length).set(b);
        return x.tlvScan(len ?? b.length);
    };

    describe("element types", () => {
        it.each<[string, string]>([
            ["int8", "00 ff"],
            ["int16", "01 00 80"],
            ["int32", "02 ffffff7f"],
            ["int64", "03 0000000000000080"],
            ["uint8", "04 ff"],
            ["uint16", "05 ffff"],
            ["uint32", "06 ffffffff"],
            ["uint64", "07 ffffffffffffffff"],
            ["false", "08"],
            ["true", "09"],
            ["float32", "0a 0000803f"],
            ["float64", "0b 000000000000f03f"],
            ["utf8, 1-byte length", "0c 03 616263"],
            ["utf8, 2-byte length", "0d 0300 616263"],
            ["utf8, 4-byte length", "0e 03000000 616263"],
            ["utf8, 8-byte length", "0f 0300000000000000 616263"],
            ["empty utf8", "0c 00"],
            ["octets, 1-byte length", "10 02 0102"],
            ["octets, 2-byte length", "11 0200 0102"],
            ["octets, 4-byte length", "12 02000000 0102"],
            ["octets, 8-byte length", "13 0200000000000000 0102"],
            ["empty octets, 8-byte length", "13 0000000000000000"],
            ["null", "14"],
            ["empty structure", "15 18"],
            ["empty array", "16 18"],
            ["empty list", "17 18"],
        ])("%s is one element", (_, bytes) => {
            expect(scan(bytes)).toBe(1);
        });
        it("a long utf8 string with a 2-byte length", () => {
            const body = "x".repeat(300);
            expect(scan(`0d 2c01 ${Buffer.from(body).toString("hex")}`)).toBe(1);
        });
        it("counts every element of nested containers (ends excluded)", () => {
            expect(scan("15 2400 01 2c01 0161 18")).toBe(3);
            expect(scan("15 3600 0401 0402 18 3501 2800 18 18")).toBe(6);
            expect(scan("16 15 2400 01 18 15 18 17 18 18")).toBe(5);
        });
        it("a list takes tagged and anonymous members alike", () => {
            expect(scan("17 04 01 2400 01 4401 00 05 18")).toBe(4);
        });
    });

    describe("tag forms", () => {
        it.each<[string, string]>([
            ["context", "24 07 05"],
            ["common profile, 2-byte tag", "44 0100 05"],
            ["common profile, 4-byte tag", "64 01000000 05"],
            ["implicit profile, 2-byte tag", "84 0100 05"],
            ["implicit profile, 4-byte tag", "a4 01000000 05"],
            ["fully qualified, 6 bytes", "c4 f1ff 0100 0200 05"],
            ["fully qualified, 8 bytes", "e4 f1ff 0100 02000000 05"],
        ])("%s: top level, in a struct and in a list; truncated tag → -1", (_, element) => {
            const e = hex(element);
            expect(scan(e)).toBe(1);
            expect(scan(`15 ${element} 18`)).toBe(2);
            expect(scan(`17 ${element} 18`)).toBe(2);
            // in an array a tagged member is not allowed
            expect(scan(`16 ${element} 18`)).toBe(-1);
            for (let n = 1; n < e.length; n++) expect(scan(e, n), `cut to ${n}`).toBe(-1);
        });
        it("anonymous: top level, in an array and in a list; not in a struct", () => {
            expect(scan("04 05")).toBe(1);
            expect(scan("16 04 05 18")).toBe(2);
            expect(scan("17 04 05 18")).toBe(2);
            expect(scan("15 04 05 18")).toBe(-1);
        });
        it("tagged containers and strings", () => {
            expect(scan("15 35 01 36 02 17 18 18 18 18")).toBe(4);
            expect(scan("15 ec f1ff 0100 02000000 02 6869 f0 f1ff 0100 03000000 01 00 18")).toBe(3);
            expect(scan("15 37 ff 18 54 0100 18")).toBe(3);
        });
    });

    describe("malformed input", () => {
        const sample =
            "15 2000 ff 2101 0080 2202 ffffff7f 2303 0000000000000080 2404 ff 2505 ffff 2606 ffffffff 2707 ffffffffffffffff " +
            "2808 2909 2a0a 0000803f 2b0b 000000000000f03f 2c0c 0161 2d0d 0100 61 2e0e 01000000 61 2f0f 0100000000000000 61 " +
            "3010 0101 3111 010001 3212 0100000001 3313 010000000000000001 3414 " +
            "3615 0401 15 2400 01 18 17 04 01 18 18 3716 18 " +
            "44 0100 04 64 01000000 04 84 0100 04 a4 01000000 04 c4 f1ff 0100 0200 04 e4 f1ff 0100 02000000 04 18";
        it("the sample covering every type and tag form scans", () => {
            expect(scan(sample)).toBe(35);
        });
        it("truncation at every byte → -1 (with the rest of the bytes still in the buffer)", () => {
            const b = hex(sample);
            for (let n = 0; n < b.length; n++) {
                new Uint8Array(core.exports.memory.buffer, core.exports.inPtr() >>> 0, b.length).set(b);
                expect(core.exports.tlvScan(n), `cut to ${n} of ${b.length}`).toBe(-1);
            }
        });
        it.each<[string, string, number?]>([
            ["a utf8 length past the buffer", "0c 05 6162"],
            ["a utf8 length past the buffer (2-byte length)", "0d ffff 61"],
            ["a utf8 length past the buffer (4-byte length)", "0e ffffffff 61"],
            ["an octet length past the buffer (8-byte length)", "13 ffffffffffffffff 61"],
            ["an 8-byte length of 2^63", "0f 0000000000000080"],
            ["a length past `len` though the bytes are in memory", "0c 05 6162636465", 4],
            ["a string member past the end of its struct", "15 2c00 09 6162 18"],
        ])("%s → -1", (_, bytes, len) => {
            expect(scan(bytes, len)).toBe(-1);
        });
        it("every reserved element type (0x19..0x1f), anonymous or tagged → -1", () => {
            for (let t = 0x19; t <= 0x1f; t++) {
                expect(scan(Uint8Array.of(t)), `type 0x${t.toString(16)}`).toBe(-1);
                expect(scan(Uint8Array.of(0x15, 0x20 | t, 0x01, 0x18)), `tagged 0x${t.toString(16)}`).toBe(-1);
                expect(scan(Uint8Array.of(0x16, t, 0x18))).toBe(-1);
            }
        });
        it("a tagged end-of-container → -1, for every tag form", () => {
            expect(scan("15 2400 01 38 00")).toBe(-1);
            expect(scan("16 38 01")).toBe(-1);
            for (const ctl of [0x38, 0x58, 0x78, 0x98, 0xb8, 0xd8, 0xf8]) {
                expect(scan(Uint8Array.of(0x17, ctl, 0, 0, 0, 0, 0, 0, 0, 0))).toBe(-1);
            }
        });
        it("a stray end-of-container → -1", () => {
            expect(scan("18")).toBe(-1);
            expect(scan("15 18 18")).toBe(-1);
            expect(scan("04 01 18")).toBe(-1);
        });
        it("unclosed containers → -1", () => {
            expect(scan("15")).toBe(-1);
            expect(scan("16")).toBe(-1);
            expect(scan("17")).toBe(-1);
            expect(scan("15 2400 01")).toBe(-1);
            expect(scan("15 3600 16 18 18")).toBe(-1);
            expect(scan("16 16 16 18 18")).toBe(-1);
        });
        it("an anonymous member in a struct → -1, at any depth", () => {
            expect(scan("15 04 01 18")).toBe(-1);
            expect(scan("15 2400 01 15 18 18")).toBe(-1);
            expect(scan("16 15 2400 01 0c 00 18 18")).toBe(-1);
        });
        it("a tagged member in an array → -1, at any depth", () => {
            expect(scan("16 2400 01 18")).toBe(-1);
            expect(scan("15 3600 04 01 2401 01 18 18")).toBe(-1);
            expect(scan("16 35 00 18 18")).toBe(-1);
        });
        it("trailing bytes after the top-level element → -1", () => {
            expect(scan("04 01 04 02")).toBe(-1);
            expect(scan("15 18 15 18")).toBe(-1);
            expect(scan("15 18 00")).toBe(-1);
            expect(scan("14 14")).toBe(-1);
        });
        it("nesting of 8 containers scans; 9 → -1", () => {
            expect(scan(`${"16".repeat(8)}${"18".repeat(8)}`)).toBe(8);
            expect(scan(`${"16".repeat(9)}${"18".repeat(9)}`)).toBe(-1);
            expect(scan(`15 35 00 36 01 16 17 15 35 02 36 03 ${"18".repeat(8)}`)).toBe(8);
            expect(scan(`15 35 00 36 01 16 17 15 35 02 36 03 17 ${"18".repeat(9)}`)).toBe(-1);
        });
        it("empty input, a negative length or one past the IN buffer → -1", () => {
            expect(scan(new Uint8Array(0))).toBe(-1);
            expect(core.exports.tlvScan(-1)).toBe(-1);
            expect(core.exports.tlvScan(core.exports.inCap() + 1)).toBe(-1);
        });
        it("a payload filling the whole IN buffer scans", () => {
            const cap = core.exports.inCap();
            const body = cap - 1 - 4 - 1 - 1 - 1; // struct, octet header (ctl, tag, 4-byte length), end
            const b = new Uint8Array(cap);
            b.set([0x15, 0x32, 0x01, body & 0xff, (body >> 8) & 0xff, (body >> 16) & 0xff, 0]);
            b[cap - 1] = 0x18;
            expect(scan(b)).toBe(2);
            expect(scan(b, cap - 1)).toBe(-1);
        });
    });
});
