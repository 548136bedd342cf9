/**
 * A Matter TLV element tree for the fuzzer: read any bytes into elements without judging them,
 * change elements, write the tree back.
 *
 * `parseElement` reads one element of every type and tag form (strings kept as raw bytes, never
 * decoded) and fails only where the bytes are not TLV at all: truncated, a reserved type, a tagged
 * end, an unclosed container. Reading is iterative, so a payload of 40,000 nested containers is
 * read without recursion; an element's tag and payload are views of the bytes read, not copies. `serialize` writes a tree back byte for byte as it was read (integer and
 * length widths included), so an unchanged tree re-encodes to its input. The builders make
 * elements in the smallest form, as matter.js writes them, or in a width the caller chooses.
 *
 * Limits: no rule of the Matter data model is checked here (tags, depth, UTF-8, field types); the
 * oracle (`request-oracle.ts`) applies the provider's rules to the tree.
 */

/** One element; an end-of-container is not an element (it closes `children`). */
export interface Element {
    /** Tag control, 0..7 (0 anonymous, 1 context, 2..7 profile forms). */
    tagCtl: number;
    /** The tag bytes after the control byte, as read. */
    tagBytes: Uint8Array;
    /** Element type, 0x00..0x17. */
    type: number;
    /** The bytes after the tag: an integer or float, or a string's length and data; empty otherwise. */
    payload: Uint8Array;
    /** Members of a struct, array or list. */
    children?: Element[];
}

export const T = {
    int8: 0x00, uint8: 0x04, false: 0x08, true: 0x09, float32: 0x0a, float64: 0x0b, utf8: 0x0c, bytes: 0x10, null: 0x14,
    struct: 0x15, array: 0x16, list: 0x17, end: 0x18,
} as const;

const TAG_BYTES = [0, 1, 2, 4, 2, 4, 6, 8];

export const isContainer = (type: number): boolean => type === T.struct || type === T.array || type === T.list;
export const isUnsigned = (type: number): boolean => type >= 0x04 && type <= 0x07;
export const isUtf8 = (type: number): boolean => type >= 0x0c && type <= 0x0f;
export const isString = (type: number): boolean => type >= 0x0c && type <= 0x13;

/** The context tag of an element, or undefined for any other tag form. */
export function contextTag(e: Element): number | undefined {
    return e.tagCtl === 1 ? (e.tagBytes[0] as number) : undefined;
}

function readLe(bytes: Uint8Array, at: number, width: number): bigint {
    let v = 0n;
    for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i] as number);
    return v;
}

/** Reads one element header and its scalar payload at `at`; undefined when malformed. */
function readHead(bytes: Uint8Array, at: number): { element: Element; next: number; end: boolean } | undefined {
    if (at >= bytes.length) return undefined;
    const ctl = bytes[at] as number;
    const type = ctl & 0x1f;
    const tagCtl = ctl >> 5;
    if (type > T.end || (type === T.end && tagCtl !== 0)) return undefined;
    let p = at + 1;
    const tagLen = TAG_BYTES[tagCtl] as number;
    if (bytes.length - p < tagLen) return undefined;
    const tagBytes = bytes.subarray(p, p + tagLen);
    p += tagLen;
    let payloadLen = 0;
    if (type <= 0x07) payloadLen = 1 << (type & 3);
    else if (type === T.float32) payloadLen = 4;
    else if (type === T.float64) payloadLen = 8;
    else if (isString(type)) {
        const width = 1 << (type & 3);
        if (bytes.length - p < width) return undefined;
        const len = readLe(bytes, p, width);
        if (len > BigInt(bytes.length - p - width)) return undefined;
        payloadLen = width + Number(len);
    }
    if (bytes.length - p < payloadLen) return undefined;
    const payload = bytes.subarray(p, p + payloadLen);
    p += payloadLen;
    const element: Element = { tagCtl, tagBytes, type, payload };
    if (isContainer(type)) element.children = [];
    return { element, next: p, end: type === T.end };
}

/** Reads the element at `at` with everything it contains; undefined when the bytes are not TLV. */
export function parseElement(bytes: Uint8Array, at = 0): { element: Element; next: number } | undefined {
    const first = readHead(bytes, at);
    if (first === undefined || first.end) return undefined;
    const stack: Element[] = [];
    if (first.element.children !== undefined) stack.push(first.element);
    let p = first.next;
    while (stack.length > 0) {
        const h = readHead(bytes, p);
        if (h === undefined) return undefined;
        p = h.next;
        if (h.end) {
            stack.pop();
            continue;
        }
        (stack[stack.length - 1] as Element).children!.push(h.element);
        if (h.element.children !== undefined) stack.push(h.element);
    }
    return { element: first.element, next: p };
}

/** Writes `e` (and its members) as bytes. */
export function serialize(e: Element): Uint8Array {
    const out = new Uint8Array(encodedLength(e));
    let p = 0;
    const write = (x: Element): void => {
        out[p++] = (x.tagCtl << 5) | x.type;
        out.set(x.tagBytes, p);
        p += x.tagBytes.length;
        out.set(x.payload, p);
        p += x.payload.length;
        if (x.children !== undefined) {
            for (const c of x.children) write(c);
            out[p++] = T.end;
        }
    };
    write(e);
    return out;
}

/** Bytes of one element once written. */
export function encodedLength(e: Element): number {
    let n = 1 + e.tagBytes.length + e.payload.length;
    if (e.children !== undefined) n += 1 + e.children.reduce((sum, c) => sum + encodedLength(c), 0);
    return n;
}

/** Containers nested inside `e`, itself included: 0 for a scalar, 1 for a flat container. */
export function nestingDepth(e: Element): number {
    let deepest = 0;
    const stack: [Element, number][] = [[e, 1]];
    while (stack.length > 0) {
        const [x, d] = stack.pop()!;
        if (x.children === undefined) continue;
        deepest = Math.max(deepest, d);
        for (const c of x.children) stack.push([c, d + 1]);
    }
    return deepest;
}

/** An unsigned integer's value (any width), or the raw bits of a signed one. */
export function intValue(e: Element): bigint {
    return readLe(e.payload, 0, e.payload.length);
}
/** A string's data bytes. */
export function stringData(e: Element): Uint8Array {
    const width = 1 << (e.type & 3);
    return e.payload.subarray(width);
}
/** A string's declared length and the width of its length field. */
export function stringLength(e: Element): { length: number; width: number } {
    const width = 1 << (e.type & 3);
    return { length: Number(readLe(e.payload, 0, width)), width };
}

// ── builders ─────────────────────────────────────────────────────────────────────────────────
/** A tag: anonymous (undefined), a context tag (number), or a profile form with its raw bytes. */
export type Tag = undefined | number | { ctl: number; bytes: number[] };

function tagOf(tag: Tag): { tagCtl: number; tagBytes: Uint8Array } {
    if (tag === undefined) return { tagCtl: 0, tagBytes: new Uint8Array() };
    if (typeof tag === "number") return { tagCtl: 1, tagBytes: Uint8Array.of(tag & 0xff) };
    return { tagCtl: tag.ctl, tagBytes: Uint8Array.from(tag.bytes) };
}
function le(v: bigint, width: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < width; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
    return out;
}
/** Width code (0..3) of the smallest unsigned form holding `v`. */
function widthCode(v: bigint): number {
    return v <= 0xffn ? 0 : v <= 0xffffn ? 1 : v <= 0xffff_ffffn ? 2 : 3;
}

export const tlv = {
    /** Unsigned integer; `widthCode` 0..3 forces 1, 2, 4 or 8 bytes. */
    uint(tag: Tag, value: number | bigint, code?: number): Element {
        const v = BigInt(value);
        const c = code ?? widthCode(v);
        return { ...tagOf(tag), type: 0x04 + c, payload: Uint8Array.from(le(v, 1 << c)) };
    },
    /** Signed integer (two's complement); `widthCode` as for `uint`. */
    int(tag: Tag, value: number | bigint, code = 0): Element {
        const v = BigInt.asUintN(64, BigInt(value));
        return { ...tagOf(tag), type: 0x00 + code, payload: Uint8Array.from(le(v, 1 << code)) };
    },
    bool(tag: Tag, b: boolean): Element {
        return { ...tagOf(tag), type: b ? T.true : T.false, payload: new Uint8Array() };
    },
    null(tag: Tag): Element {
        return { ...tagOf(tag), type: T.null, payload: new Uint8Array() };
    },
    float32(tag: Tag, x: number): Element {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setFloat32(0, x, true);
        return { ...tagOf(tag), type: T.float32, payload: b };
    },
    /** UTF-8 string (type 0x0c..0x0f) of `data`; `code` forces the length width. */
    utf8(tag: Tag, data: string | Uint8Array, code?: number): Element {
        return stringElement(tag, 0x0c, typeof data === "string" ? new TextEncoder().encode(data) : data, code);
    },
    /** Octet string (type 0x10..0x13). */
    bytes(tag: Tag, data: Uint8Array, code?: number): Element {
        return stringElement(tag, 0x10, data, code);
    },
    struct(tag: Tag, children: Element[]): Element {
        return { ...tagOf(tag), type: T.struct, payload: new Uint8Array(), children };
    },
    array(tag: Tag, children: Element[]): Element {
        return { ...tagOf(tag), type: T.array, payload: new Uint8Array(), children };
    },
    list(tag: Tag, children: Element[]): Element {
        return { ...tagOf(tag), type: T.list, payload: new Uint8Array(), children };
    },
};

function stringElement(tag: Tag, base: number, data: Uint8Array, code?: number): Element {
    const c = code ?? widthCode(BigInt(data.length));
    const payload = new Uint8Array((1 << c) + data.length);
    payload.set(le(BigInt(data.length), 1 << c));
    payload.set(data, 1 << c);
    return { ...tagOf(tag), type: base + c, payload };
}

/** A copy of `e` with another tag (same value). */
export function retag(e: Element, tag: Tag): Element {
    return { ...e, ...tagOf(tag) };
}
/** A deep copy. */
export function clone(e: Element): Element {
    const c: Element = { tagCtl: e.tagCtl, tagBytes: e.tagBytes, type: e.type, payload: e.payload };
    if (e.children !== undefined) c.children = e.children.map(clone);
    return c;
}
