//! Matter TLV reader and writer over fixed buffers (Matter Core spec, Appendix A).
//!
//! `readElement` parses one element into the `element` registers (type, tag, value or string span,
//! where the next element starts); it knows every element type and tag form and never reads past
//! the end it is given: anything truncated, reserved or a tagged end-of-container is `false`.
//! `skipElement` steps over a whole element, containers included, with a nesting bound instead of
//! recursion. The writer (`w*`) encodes into a caller-given window with the smallest integer and
//! length widths (the form matter.js and the SDK produce); overflow is a sticky flag, so an encoder
//! writes a whole structure and checks once (`wFinish`).

import { MAX_DEPTH } from "./config";

export const T_INT8: i32 = 0x00;
export const T_UINT8: i32 = 0x04;
export const T_FALSE: i32 = 0x08;
export const T_TRUE: i32 = 0x09;
export const T_FLOAT32: i32 = 0x0a;
export const T_FLOAT64: i32 = 0x0b;
export const T_UTF8_1: i32 = 0x0c;
export const T_BYTES_1: i32 = 0x10;
export const T_NULL: i32 = 0x14;
export const T_STRUCT: i32 = 0x15;
export const T_ARRAY: i32 = 0x16;
export const T_LIST: i32 = 0x17;
export const T_END: i32 = 0x18;

export const TAG_ANONYMOUS: i32 = 0;
export const TAG_CONTEXT: i32 = 1;

// ── the element most recently read: wasm globals (a namespace), not memory, on the hot path ──
export namespace element {
  /** Element type, 0x00..0x18. */
  export let type: i32 = 0;
  /** Tag control, 0..7 (0 anonymous, 1 context, 2..7 profile forms). */
  export let tagControl: i32 = 0;
  /** Tag number (context tag, or the tag part of a profile tag). */
  export let tag: u32 = 0;
  /** Unsigned value for unsigned integers (also the raw bits of signed ones). */
  export let value: u64 = 0;
  /** Start of string data. */
  export let ptr: usize = 0;
  /** String length in bytes. */
  export let len: u32 = 0;
  /** Position right after this element's header and payload (first member for containers). */
  export let next: usize = 0;
}

export function isContainer(t: i32): bool {
  return t == T_STRUCT || t == T_ARRAY || t == T_LIST;
}
export function isUnsigned(t: i32): bool {
  return t >= 0x04 && t <= 0x07;
}
export function isSigned(t: i32): bool {
  return t <= 0x03;
}
export function isUtf8(t: i32): bool {
  return t >= 0x0c && t <= 0x0f;
}
export function isBytes(t: i32): bool {
  return t >= 0x10 && t <= 0x13;
}

/** Reads `n` (1, 2, 4 or 8) little-endian bytes at `p`. The caller has checked the bounds. */
function loadWidth(p: usize, n: i32): u64 {
  if (n == 1) return <u64>load<u8>(p);
  if (n == 2) return <u64>load<u16>(p);
  if (n == 4) return <u64>load<u32>(p);
  return load<u64>(p);
}

/** Parses the element at `pos`, not reading at or past `end`. False on any malformed input. */
export function readElement(pos: usize, end: usize): bool {
  if (pos >= end) return false;
  const ctl = <i32>load<u8>(pos);
  let p = pos + 1;
  const type = ctl & 0x1f;
  const tagCtl = ctl >> 5;
  if (type > T_END) return false;
  if (type == T_END && tagCtl != TAG_ANONYMOUS) return false;

  let tag: u32 = 0;
  const avail = end - p;
  if (tagCtl == 1) {
    if (avail < 1) return false;
    tag = load<u8>(p); p += 1;
  } else if (tagCtl == 2 || tagCtl == 4) {
    if (avail < 2) return false;
    tag = load<u16>(p); p += 2;
  } else if (tagCtl == 3 || tagCtl == 5) {
    if (avail < 4) return false;
    tag = load<u32>(p); p += 4;
  } else if (tagCtl == 6) {
    if (avail < 6) return false;
    tag = load<u16>(p + 4); p += 6;
  } else if (tagCtl == 7) {
    if (avail < 8) return false;
    tag = load<u32>(p + 4); p += 8;
  }

  let value: u64 = 0;
  let sPtr: usize = 0;
  let sLen: u32 = 0;
  if (type <= 0x07) {
    const n = 1 << (type & 3);
    if (<i32>(end - p) < n) return false;
    value = loadWidth(p, n);
    if (type <= 0x03 && n < 8) {
      // sign-extend into the raw bits so isSigned() users can reinterpret as i64
      const shift = <u64>(64 - n * 8);
      value = <u64>((<i64>(value << shift)) >> shift);
    }
    p += n;
  } else if (type == T_FLOAT32) {
    if (end - p < 4) return false;
    value = <u64>load<u32>(p); p += 4;
  } else if (type == T_FLOAT64) {
    if (end - p < 8) return false;
    value = load<u64>(p); p += 8;
  } else if (type >= 0x0c && type <= 0x13) {
    const n = 1 << (type & 3);
    if (<i32>(end - p) < n) return false;
    const len = loadWidth(p, n);
    p += n;
    if (len > <u64>(end - p)) return false;
    sPtr = p;
    sLen = <u32>len;
    p += <usize>len;
  } else if (type == T_FALSE) {
    value = 0;
  } else if (type == T_TRUE) {
    value = 1;
  }
  element.type = type;
  element.tagControl = tagCtl;
  element.tag = tag;
  element.value = value;
  element.ptr = sPtr;
  element.len = sLen;
  element.next = p;
  return true;
}

/**
 * Returns the position after the whole element at `pos` (a container with everything up to its
 * matching end), or 0 when it is malformed, unterminated or nested deeper than MAX_DEPTH. A bare
 * end-of-container is not an element and also yields 0.
 */
export function skipElement(pos: usize, end: usize): usize {
  if (!readElement(pos, end)) return 0;
  if (element.type == T_END) return 0;
  if (!isContainer(element.type)) return element.next;
  let depth = 1;
  let p = element.next;
  while (depth > 0) {
    if (!readElement(p, end)) return 0;
    if (element.type == T_END) depth--;
    else if (isContainer(element.type)) {
      depth++;
      if (depth > MAX_DEPTH) return 0;
    }
    p = element.next;
  }
  return p;
}

// ── writer ──────────────────────────────────────────────────────────────────────────────────
let wPos: usize = 0;
let wStart: usize = 0;
let wEnd: usize = 0;
let wOverflow: bool = false;

/** Starts writing into [ptr, ptr + cap). */
export function wBegin(ptr: usize, cap: i32): void {
  wPos = ptr;
  wStart = ptr;
  wEnd = ptr + <usize>cap;
  wOverflow = false;
}
/** Bytes written, or -1 if anything did not fit (nothing after the overflow was written). */
export function wFinish(): i32 {
  return wOverflow ? -1 : <i32>(wPos - wStart);
}
export function wPosition(): usize {
  return wPos;
}

function room(n: usize): bool {
  if (wOverflow || wEnd - wPos < n) {
    wOverflow = true;
    return false;
  }
  return true;
}

/** Control byte and tag. `tag` < 0 is anonymous, 0..255 a context tag. */
function head(type: i32, tag: i32, payload: usize): bool {
  const tagBytes: usize = tag < 0 ? 0 : 1;
  if (!room(1 + tagBytes + payload)) return false;
  if (tag < 0) {
    store<u8>(wPos, <u8>type);
    wPos += 1;
  } else {
    store<u8>(wPos, <u8>((TAG_CONTEXT << 5) | type));
    store<u8>(wPos + 1, <u8>tag);
    wPos += 2;
  }
  return true;
}

export function wUint(tag: i32, v: u64): void {
  if (v <= 0xff) {
    if (head(0x04, tag, 1)) { store<u8>(wPos, <u8>v); wPos += 1; }
  } else if (v <= 0xffff) {
    if (head(0x05, tag, 2)) { store<u16>(wPos, <u16>v); wPos += 2; }
  } else if (v <= 0xffffffff) {
    if (head(0x06, tag, 4)) { store<u32>(wPos, <u32>v); wPos += 4; }
  } else {
    if (head(0x07, tag, 8)) { store<u64>(wPos, v); wPos += 8; }
  }
}
export function wBool(tag: i32, b: bool): void {
  head(b ? T_TRUE : T_FALSE, tag, 0);
}
export function wNull(tag: i32): void {
  head(T_NULL, tag, 0);
}
export function wStruct(tag: i32): void {
  head(T_STRUCT, tag, 0);
}
export function wArray(tag: i32): void {
  head(T_ARRAY, tag, 0);
}
export function wEndContainer(): void {
  head(T_END, -1, 0);
}
/** A UTF-8 string copied from `src` (which may overlap the destination, as memmove). */
export function wUtf8(tag: i32, src: usize, len: u32): void {
  let lenBytes: usize = len <= 0xff ? 1 : len <= 0xffff ? 2 : 4;
  const type = T_UTF8_1 + (lenBytes == 1 ? 0 : lenBytes == 2 ? 1 : 2);
  if (!head(type, tag, lenBytes + <usize>len)) return;
  if (lenBytes == 1) store<u8>(wPos, <u8>len);
  else if (lenBytes == 2) store<u16>(wPos, <u16>len);
  else store<u32>(wPos, len);
  wPos += lenBytes;
  memory.copy(wPos, src, len);
  wPos += <usize>len;
}
/** Nullable u16: null when `v` < 0. */
export function wNullableU16(tag: i32, v: i32): void {
  if (v < 0) wNull(tag);
  else wUint(tag, <u64>v);
}

/**
 * Walks a whole TLV stream of `len` bytes at `start` and checks its structure: every element well
 * formed, containers closed, struct members tagged, array members anonymous, nothing after the
 * last top-level element. Returns the number of elements, or -1 if malformed.
 */
export function scan(start: usize, len: i32): i32 {
  const end = start + <usize>len;
  let p = start;
  let count = 0;
  let depth = 0;
  // kind of each open container (T_STRUCT / T_ARRAY / T_LIST), MAX_DEPTH deep
  let kinds: u64 = 0;
  while (p < end) {
    if (!readElement(p, end)) return -1;
    if (element.type == T_END) {
      if (depth == 0) return -1;
      depth--;
      p = element.next;
      continue;
    }
    if (depth > 0) {
      const parent = <i32>((kinds >> (<u64>(depth - 1) * 8)) & 0xff);
      if (parent == T_STRUCT && element.tagControl == TAG_ANONYMOUS) return -1;
      if (parent == T_ARRAY && element.tagControl != TAG_ANONYMOUS) return -1;
    } else if (count > 0) {
      return -1; // a single top-level element
    }
    count++;
    if (isContainer(element.type)) {
      if (depth >= MAX_DEPTH) return -1;
      kinds = (kinds & ~(<u64>0xff << (<u64>depth * 8))) | (<u64>element.type << (<u64>depth * 8));
      depth++;
    }
    p = element.next;
  }
  return depth == 0 && count > 0 ? count : -1;
}
