/**
 * The core's TLV reader through the `tlvScan(len)` export over bytes written at IN: each case is
 * a list of byte strings with the element count (or -1) the reader must give. Every element type
 * (integers of 1/2/4/8 bytes, booleans, floats, UTF-8 and octet strings with 1/2/4/8-byte lengths,
 * null, structure, array, list) and every tag form (anonymous, context, common profile 2/4,
 * implicit profile 2/4, fully qualified 6/8) is read with the right count; malformed input
 * (truncation at every byte, lengths past the buffer or past `len`, reserved types, tagged or
 * stray ends, unclosed containers, an anonymous struct member, a tagged array member, trailing
 * bytes, nesting deeper than 8) gives -1, and the reader never reads past `len`.
 */

import { hex, toHex } from "../../support/wire.js";
import { caseList } from "./fixtures.js";

/** [bytes as hex, element count or -1, length to scan (default: all)]. */
type Scan = [string, number, number?];

const ELEMENT_TYPES: string[] = [
    "00 ff", "01 00 80", "02 ffffff7f", "03 0000000000000080", "04 ff", "05 ffff", "06 ffffffff", "07 ffffffffffffffff",
    "08", "09", "0a 0000803f", "0b 000000000000f03f", "0c 03 616263", "0d 0300 616263", "0e 03000000 616263",
    "0f 0300000000000000 616263", "0c 00", "10 02 0102", "11 0200 0102", "12 02000000 0102", "13 0200000000000000 0102",
    "13 0000000000000000", "14", "15 18", "16 18", "17 18",
];
/** Each tag form on an unsigned integer: context, common profile 2/4, implicit profile 2/4, fully qualified 6/8. */
const TAG_FORMS: [string, string][] = [
    ["context", "24 07 05"], ["common profile 2", "44 0100 05"], ["common profile 4", "64 01000000 05"],
    ["implicit profile 2", "84 0100 05"], ["implicit profile 4", "a4 01000000 05"],
    ["fully qualified 6", "c4 f1ff 0100 0200 05"], ["fully qualified 8", "e4 f1ff 0100 02000000 05"],
];
/** One element of every type and tag form in a struct: 35 elements. */
const EVERY_TYPE_SAMPLE =
    "15 2000 ff 2101 0080 2202 ffffff7f 2303 0000000000000080 2404 ff 2505 ffff 2606 ffffffff 2707 ffffffffffffffff " +
    "2808 2909 2a0a 0000803f 2b0b 000000000000f03f 2c0c 0161 2d0d 0100 61 2e0e 01000000 61 2f0f 0100000000000000 61 " +
    "3010 0101 3111 010001 3212 0100000001 3313 010000000000000001 3414 " +
    "3615 0401 15 2400 01 18 17 04 01 18 18 3716 18 " +
    "44 0100 04 64 01000000 04 84 0100 04 a4 01000000 04 c4 f1ff 0100 0200 04 e4 f1ff 0100 02000000 04 18";
const RESERVED_TYPES = [0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f].map(t => t.toString(16));
const TAGGED_END_CONTROLS = ["38", "58", "78", "98", "b8", "d8", "f8"];

const SCAN_CASES: [string, Scan[]][] = [
    ["every element type is one element; a 300-byte string with a 2-byte length too", [
        ...ELEMENT_TYPES.map((b): Scan => [b, 1]),
        [`0d 2c01 ${toHex(new TextEncoder().encode("x".repeat(300)))}`, 1],
    ]],
    ["nested containers count every element (ends excluded); a list takes tagged and anonymous members", [
        ["15 2400 01 2c01 0161 18", 3], ["15 3600 0401 0402 18 3501 2800 18 18", 6], ["16 15 2400 01 18 15 18 17 18 18", 5],
        ["17 04 01 2400 01 4401 00 05 18", 4],
    ]],
    ["anonymous elements: top level, in an array, in a list, not in a struct; tagged containers and strings", [
        ["04 05", 1], ["16 04 05 18", 2], ["17 04 05 18", 2], ["15 04 05 18", -1],
        ["15 35 01 36 02 17 18 18 18 18", 4], ["15 ec f1ff 0100 02000000 02 6869 f0 f1ff 0100 03000000 01 00 18", 3], ["15 37 ff 18 54 0100 18", 3],
    ]],
    ...TAG_FORMS.map(([name, element]): [string, Scan[]] => [
        `tag form ${name}: top level, in a struct and a list; not in an array; a truncated tag → -1`,
        [
            [element, 1], [`15 ${element} 18`, 2], [`17 ${element} 18`, 2], [`16 ${element} 18`, -1],
            ...Array.from({ length: hex(element).length - 1 }, (_, n): Scan => [element, -1, n + 1]),
        ],
    ]),
    ["the every-type sample scans", [[EVERY_TYPE_SAMPLE, 35]]],
    ["lengths past the buffer, 2^63, or past `len` though the bytes are in memory → -1", [
        ["0c 05 6162", -1], ["0d ffff 61", -1], ["0e ffffffff 61", -1], ["13 ffffffffffffffff 61", -1], ["0f 0000000000000080", -1],
        ["0c 05 6162636465", -1, 4], ["15 2c00 09 6162 18", -1],
    ]],
    ["reserved element types, anonymous, tagged or in an array → -1", RESERVED_TYPES.flatMap((t): Scan[] => [[t, -1], [`15 ${(0x20 | parseInt(t, 16)).toString(16)} 01 18`, -1], [`16 ${t} 18`, -1]])],
    ["a tagged end-of-container (every tag form) or a stray one → -1", [
        ["15 2400 01 38 00", -1], ["16 38 01", -1], ...TAGGED_END_CONTROLS.map((c): Scan => [`17 ${c} 0000000000000000`, -1]),
        ["18", -1], ["15 18 18", -1], ["04 01 18", -1],
    ]],
    ["unclosed containers, an anonymous struct member, a tagged array member, trailing bytes → -1", [
        ["15", -1], ["16", -1], ["17", -1], ["15 2400 01", -1], ["15 3600 16 18 18", -1], ["16 16 16 18 18", -1],
        ["15 04 01 18", -1], ["15 2400 01 15 18 18", -1], ["16 15 2400 01 0c 00 18 18", -1],
        ["16 2400 01 18", -1], ["15 3600 04 01 2401 01 18 18", -1], ["16 35 00 18 18", -1],
        ["04 01 04 02", -1], ["15 18 15 18", -1], ["15 18 00", -1], ["14 14", -1],
    ]],
    ["nesting of 8 containers scans; 9 → -1", [
        [`${"16".repeat(8)}${"18".repeat(8)}`, 8], [`${"16".repeat(9)}${"18".repeat(9)}`, -1],
        [`15 35 00 36 01 16 17 15 35 02 36 03 ${"18".repeat(8)}`, 8], [`15 35 00 36 01 16 17 15 35 02 36 03 17 ${"18".repeat(9)}`, -1],
    ]],
];

export const TLV_CASES = caseList(add => {
    for (const [name, scans] of SCAN_CASES) add(`tlv: ${name}`, undefined, r => scans.forEach(([bytes, result, len]) => r.scan(bytes, result, len)));
    add("tlv: the every-type sample cut at every byte (the rest still in memory) → -1", undefined, r => r.everyCutFails(hex(EVERY_TYPE_SAMPLE)));
    add("tlv: empty input, a negative length, one past IN → -1; a payload filling IN scans, one byte short does not", undefined, r => {
        r.scan(new Uint8Array(0), -1);
        r.raw("tlvScan", [-1], -1);
        const cap = r.raw("inCap", [], r.caps.inLen);
        r.raw("tlvScan", [cap + 1], -1);
        // a struct holding one octet string (control, tag, 4-byte length) that ends at IN's last byte
        const body = cap - 1 - 4 - 1 - 1 - 1;
        const full = new Uint8Array(cap);
        full.set([0x15, 0x32, 0x01, body & 0xff, (body >> 8) & 0xff, (body >> 16) & 0xff, 0]);
        full[cap - 1] = 0x18;
        r.scan(full, 2);
        r.scan(full, -1, cap - 1);
    });
});
