/**
 * Shape faults for the structure-aware fuzzer: exactly one thing wrong with the TLV of a
 * well-formed request, made on its element tree (`tlv-tree.ts`).
 *
 * Families: a member of the wrong type, or an integer past its field's width (or a wider encoding
 * of the same value, which is valid); a tag wrong (an unknown, profile or anonymous member added, a
 * member duplicated, members reordered, a tag changed); nesting wrong (a value wrapped in a
 * container, a struct inside a list, an unknown member nested 8 or 9 deep, the outer element not
 * a struct); a string's length field too long or too short, or wider than needed; invalid UTF-8
 * in a string; truncation at an element boundary or any byte; bytes after the struct. Whether the
 * result is refused is not decided here: the oracle reads the bytes and the model judges them.
 *
 * Limits: one fault per payload; the tree of the request is re-read from matter.js's bytes every
 * time (no cache), which costs a few microseconds a payload.
 */

import type { Rng } from "./fuzzer.js";
import { clone, encodedLength, isString, isUnsigned, parseElement, serialize, stringData, T, tlv, type Element, type Tag } from "./tlv-tree.js";

export interface ShapeFault {
    bytes: Uint8Array;
    fault: string;
}

/** Where an element sits: its parent container and index, and how deep (top-level members: 1). */
interface Slot {
    parent: Element;
    index: number;
    depth: number;
}

function slots(root: Element): Slot[] {
    const out: Slot[] = [];
    const stack: [Element, number][] = [[root, 1]];
    while (stack.length > 0) {
        const [e, depth] = stack.pop()!;
        e.children?.forEach((c, index) => {
            out.push({ parent: e, index, depth });
            if (c.children !== undefined) stack.push([c, depth + 1]);
        });
    }
    return out;
}
const at = (s: Slot): Element => s.parent.children![s.index] as Element;
const tagOf = (e: Element): Tag => (e.tagCtl === 0 ? undefined : { ctl: e.tagCtl, bytes: [...e.tagBytes] });

/** Type classes, so a replacement is always of another class. */
function typeClass(type: number): number {
    if (type <= 0x03) return 0;
    if (type <= 0x07) return 1;
    if (type <= 0x09) return 2;
    if (type <= 0x0b) return 3;
    if (type <= 0x0f) return 4;
    if (type <= 0x13) return 5;
    return type;
}
const REPLACEMENTS: ((tag: Tag) => Element)[] = [
    tag => tlv.int(tag, 3),
    tag => tlv.uint(tag, 3),
    tag => tlv.bool(tag, true),
    tag => tlv.float32(tag, 1.5),
    tag => tlv.utf8(tag, "x"),
    tag => tlv.bytes(tag, Uint8Array.of(1)),
    tag => tlv.null(tag),
    tag => tlv.struct(tag, []),
    tag => tlv.array(tag, []),
    tag => tlv.list(tag, []),
];

/** A small element of any type, for unknown members. */
function anyElement(rng: Rng, tag: Tag): Element {
    const make = rng.pick(REPLACEMENTS);
    const e = make(tag);
    if (e.type === T.struct && rng.chance(0.5)) e.children = [tlv.uint(0, rng.int(300)), tlv.utf8(1, "y")];
    if (e.type === T.array && rng.chance(0.5)) e.children = [tlv.uint(undefined, 1), tlv.uint(undefined, 2)];
    return e;
}
/** An unknown member nested `depth` containers deep (arrays inside arrays, the member itself included). */
function nested(tag: Tag, depth: number): Element {
    let inner: Element | undefined;
    for (let d = 1; d < depth; d++) inner = tlv.array(undefined, inner === undefined ? [] : [inner]);
    return tlv.array(tag, inner === undefined ? [] : [inner]);
}
function structs(root: Element): Element[] {
    return [root, ...slots(root).map(at).filter(e => e.type === T.struct)];
}
function arrays(root: Element): Element[] {
    return slots(root).map(at).filter(e => e.type === T.array);
}
function strings(root: Element): Slot[] {
    return slots(root).filter(s => isString(at(s).type));
}

/** Every offset at which an element starts or ends in the serialized tree. */
function boundaries(root: Element): number[] {
    const out = new Set<number>([0]);
    let pos = 0;
    const walk = (e: Element) => {
        out.add(pos);
        pos += 1 + e.tagBytes.length + e.payload.length;
        out.add(pos);
        if (e.children !== undefined) {
            for (const c of e.children) walk(c);
            pos += 1;
            out.add(pos);
        }
    };
    walk(root);
    return [...out];
}

/** Rewrites a string element's length field to `declared` (its data unchanged). */
function withDeclaredLength(e: Element, declared: number): Element {
    const width = 1 << (e.type & 3);
    const payload = e.payload.slice();
    let v = BigInt(declared);
    for (let i = 0; i < width; i++) {
        payload[i] = Number(v & 0xffn);
        v >>= 8n;
    }
    return { ...e, payload };
}

const INVALID_UTF8 = [[0xff], [0x80], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]];

/** The request `bytes` (matter.js's encoding) with exactly one shape fault. */
export function shapeFault(rng: Rng, bytes: Uint8Array): ShapeFault {
    const parsed = parseElement(bytes);
    if (parsed === undefined) throw new Error(`the encoder's bytes are not TLV: ${Array.from(bytes.subarray(0, 200), b => b.toString(16).padStart(2, "0")).join("")} (${bytes.length} bytes)`);
    const root = clone(parsed.element);
    const all = slots(root);
    const top = all.filter(s => s.depth === 1);
    const pickSlot = (): Slot => (rng.chance(0.6) || all.length === top.length ? rng.pick(top) : rng.pick(all));
    const done = (fault: string, tree: Element = root): ShapeFault => ({ bytes: serialize(tree), fault });

    switch (rng.int(16)) {
        case 0: { // wrong type
            const s = pickSlot();
            const e = at(s);
            let r: Element;
            do r = rng.pick(REPLACEMENTS)(tagOf(e));
            while (typeClass(r.type) === typeClass(e.type));
            s.parent.children![s.index] = r;
            return done(`type: member at depth ${s.depth} as 0x${r.type.toString(16)}`);
        }
        case 1: { // integer width: wider encoding of the same value, or past the field's range
            const ints = all.filter(s => isUnsigned(at(s).type));
            if (ints.length === 0) break;
            const s = rng.pick(ints);
            const e = at(s);
            const value = BigInt(e.payload.reduceRight((v, b) => v * 256 + b, 0));
            if (rng.chance(0.5)) {
                s.parent.children![s.index] = tlv.uint(tagOf(e), value, Math.min(3, (e.type & 3) + 1 + rng.int(2)));
                return done("width: same value, wider integer");
            }
            const past = rng.pick([0x100n, 0x1_0000n, 0x1_0000_0000n]);
            s.parent.children![s.index] = tlv.uint(tagOf(e), past);
            return done(`width: value 0x${past.toString(16)}`);
        }
        case 2: { // unknown, profile-tagged or anonymous member
            const target = rng.pick(structs(root));
            const tag: Tag = rng.pick<Tag>([
                7, 9, 20, 31, 32, 200, 254, undefined, { ctl: 2, bytes: [1, 0] }, { ctl: 3, bytes: [1, 0, 0, 0] }, { ctl: 4, bytes: [2, 0] },
                { ctl: 5, bytes: [2, 0, 0, 0] }, { ctl: 6, bytes: [0xf1, 0xff, 0x01, 0x00, 0x05, 0x00] }, { ctl: 7, bytes: [0xf1, 0xff, 0x01, 0x00, 0x05, 0x00, 0, 0] },
            ]);
            target.children!.splice(rng.int(target.children!.length + 1), 0, anyElement(rng, tag));
            return done(`tag: extra member ${typeof tag === "number" ? `context ${tag}` : tag === undefined ? "anonymous" : `profile form ${tag.ctl}`}`);
        }
        case 3: { // duplicated member
            const s = pickSlot();
            if (s.parent.type !== T.struct) break;
            s.parent.children!.splice(rng.int(s.parent.children!.length + 1), 0, clone(at(s)));
            return done(`tag: member duplicated at depth ${s.depth}`);
        }
        case 4: { // members out of order
            const target = rng.pick(structs(root));
            const c = target.children!;
            for (let i = c.length - 1; i > 0; i--) {
                const j = rng.int(i + 1);
                [c[i], c[j]] = [c[j] as Element, c[i] as Element];
            }
            return done("tag: members reordered");
        }
        case 5: { // a tag changed
            const s = pickSlot();
            const e = at(s);
            const tag: Tag = rng.chance(0.8) ? rng.int(13) : rng.pick<Tag>([undefined, { ctl: 4, bytes: [0, 0] }]);
            s.parent.children![s.index] = { ...e, ...tlv.null(tag), type: e.type, payload: e.payload, children: e.children };
            return done(`tag: member at depth ${s.depth} retagged`);
        }
        case 6: { // a value wrapped in a container (list in struct)
            const s = pickSlot();
            const e = at(s);
            const inner = { ...e, tagCtl: 0, tagBytes: new Uint8Array() };
            const wrap = rng.pick([tlv.array, tlv.list, tlv.struct]);
            s.parent.children![s.index] = wrap(tagOf(e), [wrap === tlv.struct ? { ...e, ...tlv.null(0), type: e.type, payload: e.payload, children: e.children } : inner]);
            return done("nesting: value wrapped in a container");
        }
        case 7: { // a struct inside a list
            const lists = arrays(root);
            if (lists.length === 0) break;
            const target = rng.pick(lists);
            target.children!.splice(rng.int(target.children!.length + 1), 0, tlv.struct(undefined, [tlv.uint(0, 1)]));
            return done("nesting: struct inside a list");
        }
        case 8: { // unknown member nested 8 (accepted) or 9 (refused) deep, at the top or inside a struct
            const target = rng.pick(structs(root));
            const depth = rng.pick([8, 9, 9, 12]);
            target.children!.push(nested(rng.pick([20, 31, 100]), depth));
            return done(`nesting: unknown member ${depth} deep`);
        }
        case 9: { // the outer element not a struct, or wrapped
            const r = rng.int(3);
            if (r === 0) return done("nesting: outer array", { ...root, type: T.array });
            if (r === 1) return done("nesting: outer list", { ...root, type: T.list });
            return done("nesting: struct wrapped in a struct", tlv.struct(undefined, [{ ...root, tagCtl: 1, tagBytes: Uint8Array.of(0) }]));
        }
        case 10: { // a string's length field too long or too short
            const ss = strings(root);
            if (ss.length === 0) break;
            const s = rng.pick(ss);
            const e = at(s);
            const len = stringData(e).length;
            const width = 1 << (e.type & 3);
            const max = 2 ** (8 * Math.min(width, 4)) - 1;
            const declared = rng.pick([len + 1, len + 1 + rng.int(16), max, Math.max(0, len - 1), Math.max(0, len - 1 - rng.int(8))]);
            if (declared === len) break;
            s.parent.children![s.index] = withDeclaredLength(e, Math.min(declared, max));
            return done(`length: declared ${declared > len ? "longer" : "shorter"} than the string`);
        }
        case 11: { // a wider length field (valid)
            const ss = strings(root);
            if (ss.length === 0) break;
            const s = rng.pick(ss);
            const e = at(s);
            const code = Math.min(3, (e.type & 3) + 1);
            const base = e.type & ~3;
            s.parent.children![s.index] = base === 0x0c ? tlv.utf8(tagOf(e), stringData(e), code) : tlv.bytes(tagOf(e), stringData(e), code);
            return done("length: wider length field");
        }
        case 12: { // invalid UTF-8 inside a string
            const ss = strings(root).filter(s => at(s).type >= 0x0c && at(s).type <= 0x0f && stringData(at(s)).length > 0);
            if (ss.length === 0) break;
            const s = rng.pick(ss);
            const e = at(s);
            const data = stringData(e).slice();
            const bad = rng.pick(INVALID_UTF8);
            const pos = rng.int(Math.max(1, data.length - bad.length + 1));
            for (let i = 0; i < bad.length && pos + i < data.length; i++) data[pos + i] = bad[i] as number;
            s.parent.children![s.index] = tlv.utf8(tagOf(e), data, e.type & 3);
            return done(`utf8: invalid sequence at byte ${pos} of ${data.length}`);
        }
        case 13: { // truncation at an element boundary
            const cuts = boundaries(root).filter(b => b < encodedLength(root));
            const cut = rng.pick(cuts);
            return { bytes: serialize(root).subarray(0, cut), fault: "truncation: at an element boundary" };
        }
        case 14: { // truncation at any byte
            const b = serialize(root);
            return { bytes: b.subarray(0, rng.int(b.length)), fault: "truncation: at any byte" };
        }
        default: { // bytes after the struct
            const tail = rng.pick([[T.end], [0x00], [0x15, 0x18], [0x04, 0x01], [0x24, 0x00, 0x01]]);
            const b = serialize(root);
            const out = new Uint8Array(b.length + tail.length);
            out.set(b);
            out.set(tail, b.length);
            return { bytes: out, fault: "trailing: bytes after the struct" };
        }
    }
    // the chosen fault did not apply to this request: truncate instead
    const b = serialize(root);
    return { bytes: b.subarray(0, rng.int(b.length)), fault: "truncation: at any byte" };
}

/** The family of a fault name ("type", "tag", "length", …): the part before the colon. */
export function family(fault: string): string {
    const i = fault.indexOf(":");
    return i < 0 ? fault : fault.slice(0, i);
}
