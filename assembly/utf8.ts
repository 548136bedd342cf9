//! Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
//!
//! Matter strings on the wire must be valid UTF-8; the core checks SDPs, candidates and URLs in
//! place in the inbound buffer so the host can decode them with a fatal TextDecoder and never see
//! replacement characters it would then forward to a WebRTC stack.

export function validUtf8(ptr: usize, len: u32): bool {
  let i: u32 = 0;
  while (i < len) {
    // SDPs and candidates are ASCII: skip eight bytes at a time while no high bit is set
    if (len - i >= 8 && (load<u64>(ptr + i) & 0x8080808080808080) == 0) { i += 8; continue; }
    const b0 = <u32>load<u8>(ptr + i);
    if (b0 < 0x80) { i++; continue; }
    let need: u32;
    let min: u32;
    let cp: u32;
    if ((b0 & 0xe0) == 0xc0) { need = 1; min = 0x80; cp = b0 & 0x1f; }
    else if ((b0 & 0xf0) == 0xe0) { need = 2; min = 0x800; cp = b0 & 0x0f; }
    else if ((b0 & 0xf8) == 0xf0) { need = 3; min = 0x10000; cp = b0 & 0x07; }
    else return false;
    if (len - i - 1 < need) return false;
    for (let k: u32 = 1; k <= need; k++) {
      const b = <u32>load<u8>(ptr + i + k);
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

/** True when the `len` bytes at `ptr` begin with the ASCII bytes of `prefix` (packed little-endian, ≤ 8). */
export function startsWith(ptr: usize, len: u32, prefix: u64, prefixLen: u32): bool {
  if (len < prefixLen) return false;
  for (let k: u32 = 0; k < prefixLen; k++) {
    if (<u64>load<u8>(ptr + k) != ((prefix >> (<u64>k * 8)) & 0xff)) return false;
  }
  return true;
}
