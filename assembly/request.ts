//! Decoding of the five provider commands' TLV fields into fixed argument registers.
//!
//! Decoding is a pass of its own, before any rule is checked, because the reference decodes the
//! whole command first: anything malformed (truncated TLV, a wrong element type, a missing
//! mandatory field, a duplicated field, bad UTF-8, trailing bytes) is INVALID_COMMAND whatever
//! else is wrong. Values that decode but break a data-model bound (too many ICE servers, a long
//! policy, an empty SDPMid) are only noted here; `commands.ts` reports them at the step where the
//! reference does. Unknown context tags are skipped (forward compatibility, as the SDK does),
//! which is also how the provisional SFrameConfig is ignored.
//!
//! Strings are not copied: the registers hold spans into the inbound buffer, valid until the next
//! command is decoded.

import {
  readElement, skipElement, elType, elTagCtl, elTag, elUint, elPtr, elLen, elNext,
  isUnsigned, isUtf8, T_STRUCT, T_ARRAY, T_END, T_NULL, T_TRUE, T_FALSE, TAG_CONTEXT, TAG_ANONYMOUS,
} from "./tlv";
import { validUtf8, startsWith } from "./utf8";
import {
  MAX_LIST, MAX_ICE_SERVERS, MAX_ICE_URLS, MAX_URL_LEN, MAX_USERNAME_LEN, MAX_CREDENTIAL_LEN,
  MAX_POLICY_LEN, MAX_IN_CAND,
} from "./config";
import { INVALID_COMMAND, SUCCESS } from "./status";

// ── argument registers ──────────────────────────────────────────────────────────────────────
export let aHasUsage: bool = false;
export let aUsage: i32 = 0;
export let aHasEndpoint: bool = false;
export let aEndpoint: i32 = 0;
/** Scalar VideoStreamID / AudioStreamID: presence, and the id or -1 for null. */
export let aHasVideoId: bool = false;
export let aVideoId: i32 = -1;
export let aHasAudioId: bool = false;
export let aAudioId: i32 = -1;
/** Rev-2 lists: presence and the count as sent (only the first MAX_LIST are kept). */
export let aHasVideoList: bool = false;
export let aVideoListCount: i32 = 0;
export let aHasAudioList: bool = false;
export let aAudioListCount: i32 = 0;
export const A_VIDEO_LIST: usize = memory.data(MAX_LIST * 2, 4);
export const A_AUDIO_LIST: usize = memory.data(MAX_LIST * 2, 4);
export let aHasMetadata: bool = false;
export let aMetadata: bool = false;
export let aHasPolicy: bool = false;
export let aPolicyPtr: usize = 0;
export let aPolicyLen: u32 = 0;
/** ProvideOffer's WebRTCSessionID: -1 for null. */
export let aSessionId: i32 = -1;
export let aSdpPtr: usize = 0;
export let aSdpLen: u32 = 0;
export let aReason: i32 = 0;

/** ICEServers: count as sent; a data-model bound broken somewhere inside; any turns:/stuns: URL. */
export let aHasIce: bool = false;
export let aIceServerCount: i32 = 0;
export let aIceBoundsBroken: bool = false;
export let aIceSecureScheme: bool = false;
/** ICE strings: ptr u32 @0, len u16 @4, server u8 @6, kind u8 @7 (0 URL, 1 username, 2 credential). */
export const ICE_STR_CAP: i32 = MAX_ICE_SERVERS * (MAX_ICE_URLS + 2);
export const A_ICE_STRS: usize = memory.data(ICE_STR_CAP * 8, 4);
export let aIceStrCount: i32 = 0;
/** CAID per server, -1 when absent. */
export const A_ICE_CAID: usize = memory.data(MAX_ICE_SERVERS * 4, 4);

/** ProvideICECandidates: count as sent; an empty non-null SDPMid seen. */
export let aCandCount: i32 = 0;
export let aCandEmptyMid: bool = false;
/** Candidates: cand ptr u32 @0, cand len u32 @4, mid ptr u32 @8, mid len i32 @12 (-1 null), mline i32 @16 (-1 null). */
export const CAND_ENTRY: i32 = 20;
export const A_CANDS: usize = memory.data(MAX_IN_CAND * CAND_ENTRY, 4);

function clearArgs(): void {
  aHasUsage = false; aUsage = 0;
  aHasEndpoint = false; aEndpoint = 0;
  aHasVideoId = false; aVideoId = -1;
  aHasAudioId = false; aAudioId = -1;
  aHasVideoList = false; aVideoListCount = 0;
  aHasAudioList = false; aAudioListCount = 0;
  aHasMetadata = false; aMetadata = false;
  aHasPolicy = false; aPolicyPtr = 0; aPolicyLen = 0;
  aSessionId = -1; aSdpPtr = 0; aSdpLen = 0; aReason = 0;
  aHasIce = false; aIceServerCount = 0; aIceBoundsBroken = false; aIceSecureScheme = false; aIceStrCount = 0;
  aCandCount = 0; aCandEmptyMid = false;
}

// ── element helpers: each reads the member at `p` and leaves its value in the el* registers ──
let memberEnd: usize = 0;

function readUint(p: usize, end: usize, max: u64): bool {
  if (!readElement(p, end) || !isUnsigned(elType) || elUint > max) return false;
  memberEnd = elNext;
  return true;
}
/** Nullable unsigned: -1 for null. */
let nullableValue: i32 = -1;
function readNullableU16(p: usize, end: usize): bool {
  if (!readElement(p, end)) return false;
  memberEnd = elNext;
  if (elType == T_NULL) { nullableValue = -1; return true; }
  if (!isUnsigned(elType) || elUint > 0xffff) return false;
  nullableValue = <i32>elUint;
  return true;
}
let strPtr: usize = 0;
let strLen: u32 = 0;
function readUtf8(p: usize, end: usize): bool {
  if (!readElement(p, end) || !isUtf8(elType)) return false;
  strPtr = elPtr;
  strLen = elLen;
  memberEnd = elNext;
  return validUtf8(strPtr, strLen);
}
let boolValue: bool = false;
function readBool(p: usize, end: usize): bool {
  if (!readElement(p, end) || (elType != T_TRUE && elType != T_FALSE)) return false;
  boolValue = elType == T_TRUE;
  memberEnd = elNext;
  return true;
}

/** Reads a member header at `p` that must carry a context tag; returns the tag or -1. */
let memberTag: i32 = -1;
function structMember(p: usize, end: usize): i32 {
  if (!readElement(p, end)) return -1;
  if (elType == T_END) return -2;
  memberTag = elTagCtl == TAG_CONTEXT ? <i32>elTag : 1000 + <i32>elTagCtl;
  return memberTag;
}

/** Decodes a list of u16 into `dest` (first MAX_LIST kept); returns the count or -1 when malformed. */
function readU16List(p: usize, end: usize, dest: usize): i32 {
  if (!readElement(p, end) || elType != T_ARRAY) return -1;
  let q = elNext;
  let n = 0;
  // every element consumes at least one byte, so this is bounded by the payload length
  while (true) {
    if (!readElement(q, end)) return -1;
    if (elType == T_END) { memberEnd = elNext; return n; }
    if (elTagCtl != TAG_ANONYMOUS || !isUnsigned(elType) || elUint > 0xffff) return -1;
    if (n < MAX_LIST) store<u16>(dest + <usize>(n * 2), <u16>elUint);
    n++;
    q = elNext;
  }
}

function pushIceStr(server: i32, kind: i32, ptr: usize, len: u32): void {
  if (aIceStrCount >= ICE_STR_CAP) return;
  const e = A_ICE_STRS + <usize>(aIceStrCount * 8);
  store<u32>(e, <u32>ptr);
  store<u16>(e, <u16>(len > 0xffff ? 0xffff : len), 4);
  store<u8>(e, <u8>server, 6);
  store<u8>(e, <u8>kind, 7);
  aIceStrCount++;
}

// "turns:" and "stuns:" as packed little-endian ASCII
const TURNS: u64 = 0x3a736e727574;
const STUNS: u64 = 0x3a736e757473;

/** ICEServers: array of ICEServerStruct. Records strings for the hook and notes broken bounds. */
function readIceServers(p: usize, end: usize): bool {
  if (!readElement(p, end) || elType != T_ARRAY) return false;
  let q = elNext;
  let server = 0;
  while (true) {
    if (!readElement(q, end)) return false;
    if (elType == T_END) { memberEnd = elNext; break; }
    if (elTagCtl != TAG_ANONYMOUS || elType != T_STRUCT) return false;
    if (server >= MAX_ICE_SERVERS) aIceBoundsBroken = true;
    const keep = server < MAX_ICE_SERVERS;
    if (keep) store<i32>(A_ICE_CAID + <usize>(server * 4), -1);
    let m = elNext;
    let seen: u32 = 0;
    while (true) {
      const tag = structMember(m, end);
      if (tag == -1) return false;
      if (tag == -2) { m = elNext; break; }
      if (tag >= 0 && tag < 4) {
        if (seen & (1 << tag)) return false;
        seen |= 1 << tag;
      }
      if (tag == 0) {
        if (!readElement(m, end) || elType != T_ARRAY) return false;
        let u = elNext;
        let urls = 0;
        while (true) {
          if (!readElement(u, end)) return false;
          if (elType == T_END) { u = elNext; break; }
          if (elTagCtl != TAG_ANONYMOUS || !readUtf8(u, end)) return false;
          if (urls >= MAX_ICE_URLS || strLen > <u32>MAX_URL_LEN) aIceBoundsBroken = true;
          if (startsWith(strPtr, strLen, TURNS, 6) || startsWith(strPtr, strLen, STUNS, 6)) aIceSecureScheme = true;
          if (keep && urls < MAX_ICE_URLS) pushIceStr(server, 0, strPtr, strLen);
          urls++;
          u = memberEnd;
        }
        m = u;
      } else if (tag == 1 || tag == 2) {
        if (!readUtf8(m, end)) return false;
        if (strLen > <u32>(tag == 1 ? MAX_USERNAME_LEN : MAX_CREDENTIAL_LEN)) aIceBoundsBroken = true;
        if (keep) pushIceStr(server, tag, strPtr, strLen);
        m = memberEnd;
      } else if (tag == 3) {
        if (!readUint(m, end, 0xffff)) return false;
        if (elUint > 65534) aIceBoundsBroken = true;
        if (keep) store<i32>(A_ICE_CAID + <usize>(server * 4), <i32>elUint);
        m = memberEnd;
      } else {
        m = skipElement(m, end);
        if (m == 0) return false;
      }
    }
    if (!(seen & 1)) return false; // URLs is mandatory
    server++;
    q = m;
  }
  aIceServerCount = server;
  return true;
}

/** Opens the command's outer structure; returns the first member position or 0. */
function openStruct(start: usize, end: usize): usize {
  if (!readElement(start, end) || elType != T_STRUCT) return 0;
  return elNext;
}

/**
 * SolicitOffer (base 0) and ProvideOffer (base 2) share their field layout shifted by `base`;
 * ProvideOffer adds WebRTCSessionID (0) and SDP (1) in front.
 */
export function decodeOffer(start: usize, len: i32, isProvide: bool): u32 {
  clearArgs();
  const end = start + <usize>len;
  let p = openStruct(start, end);
  if (p == 0) return INVALID_COMMAND;
  const base = isProvide ? 2 : 0;
  let seen: u32 = 0;
  let hasSession = false;
  let hasSdp = false;
  while (true) {
    const tag = structMember(p, end);
    if (tag == -1) return INVALID_COMMAND;
    if (tag == -2) { p = elNext; break; }
    if (tag >= 0 && tag < 32) {
      if (seen & (1 << tag)) return INVALID_COMMAND;
      seen |= 1 << tag;
    }
    if (isProvide && tag == 0) {
      if (!readNullableU16(p, end)) return INVALID_COMMAND;
      aSessionId = nullableValue;
      hasSession = true;
    } else if (isProvide && tag == 1) {
      if (!readUtf8(p, end)) return INVALID_COMMAND;
      aSdpPtr = strPtr;
      aSdpLen = strLen;
      hasSdp = true;
    } else if (tag == base + 0) {
      if (!readUint(p, end, 0xff)) return INVALID_COMMAND;
      aUsage = <i32>elUint;
      aHasUsage = true;
    } else if (tag == base + 1) {
      if (!readUint(p, end, 0xffff)) return INVALID_COMMAND;
      aEndpoint = <i32>elUint;
      aHasEndpoint = true;
    } else if (tag == base + 2) {
      if (!readNullableU16(p, end)) return INVALID_COMMAND;
      aVideoId = nullableValue;
      aHasVideoId = true;
    } else if (tag == base + 3) {
      if (!readNullableU16(p, end)) return INVALID_COMMAND;
      aAudioId = nullableValue;
      aHasAudioId = true;
    } else if (tag == base + 4) {
      if (!readIceServers(p, end)) return INVALID_COMMAND;
      aHasIce = true;
    } else if (tag == base + 5) {
      if (!readUtf8(p, end)) return INVALID_COMMAND;
      aPolicyPtr = strPtr;
      aPolicyLen = strLen;
      aHasPolicy = true;
    } else if (tag == base + 6) {
      if (!readBool(p, end)) return INVALID_COMMAND;
      aMetadata = boolValue;
      aHasMetadata = true;
    } else if (tag == base + 8) {
      const n = readU16List(p, end, A_VIDEO_LIST);
      if (n < 0) return INVALID_COMMAND;
      aVideoListCount = n;
      aHasVideoList = true;
    } else if (tag == base + 9) {
      const n = readU16List(p, end, A_AUDIO_LIST);
      if (n < 0) return INVALID_COMMAND;
      aAudioListCount = n;
      aHasAudioList = true;
    } else {
      memberEnd = skipElement(p, end);
      if (memberEnd == 0) return INVALID_COMMAND;
    }
    p = memberEnd;
  }
  if (p != end) return INVALID_COMMAND;
  if (isProvide) {
    if (!hasSession || !hasSdp) return INVALID_COMMAND;
    // StreamUsage and OriginatingEndpointID are mandatory for a new session only
    if (aSessionId < 0 && (!aHasUsage || !aHasEndpoint)) return INVALID_COMMAND;
  } else if (!aHasUsage || !aHasEndpoint) {
    return INVALID_COMMAND;
  }
  return SUCCESS;
}

/** ProvideAnswer: WebRTCSessionID (0), SDP (1). */
export function decodeAnswer(start: usize, len: i32): u32 {
  clearArgs();
  const end = start + <usize>len;
  let p = openStruct(start, end);
  if (p == 0) return INVALID_COMMAND;
  let seen: u32 = 0;
  while (true) {
    const tag = structMember(p, end);
    if (tag == -1) return INVALID_COMMAND;
    if (tag == -2) { p = elNext; break; }
    if (tag >= 0 && tag < 32) {
      if (seen & (1 << tag)) return INVALID_COMMAND;
      seen |= 1 << tag;
    }
    if (tag == 0) {
      if (!readUint(p, end, 0xffff)) return INVALID_COMMAND;
      aSessionId = <i32>elUint;
    } else if (tag == 1) {
      if (!readUtf8(p, end)) return INVALID_COMMAND;
      aSdpPtr = strPtr;
      aSdpLen = strLen;
    } else {
      memberEnd = skipElement(p, end);
      if (memberEnd == 0) return INVALID_COMMAND;
    }
    p = memberEnd;
  }
  if (p != end || (seen & 3) != 3) return INVALID_COMMAND;
  return SUCCESS;
}

/** EndSession: WebRTCSessionID (0), Reason (1). */
export function decodeEnd(start: usize, len: i32): u32 {
  clearArgs();
  const end = start + <usize>len;
  let p = openStruct(start, end);
  if (p == 0) return INVALID_COMMAND;
  let seen: u32 = 0;
  while (true) {
    const tag = structMember(p, end);
    if (tag == -1) return INVALID_COMMAND;
    if (tag == -2) { p = elNext; break; }
    if (tag >= 0 && tag < 32) {
      if (seen & (1 << tag)) return INVALID_COMMAND;
      seen |= 1 << tag;
    }
    if (tag == 0) {
      if (!readUint(p, end, 0xffff)) return INVALID_COMMAND;
      aSessionId = <i32>elUint;
    } else if (tag == 1) {
      if (!readUint(p, end, 0xff)) return INVALID_COMMAND;
      aReason = <i32>elUint;
    } else {
      memberEnd = skipElement(p, end);
      if (memberEnd == 0) return INVALID_COMMAND;
    }
    p = memberEnd;
  }
  if (p != end || (seen & 3) != 3) return INVALID_COMMAND;
  return SUCCESS;
}

/** One ICECandidateStruct: Candidate (0), SDPMid (1, nullable), SDPMLineIndex (2, nullable). */
function readCandidate(p: usize, end: usize, index: i32): bool {
  if (!readElement(p, end) || elType != T_STRUCT || elTagCtl != TAG_ANONYMOUS) return false;
  let m = elNext;
  let seen: u32 = 0;
  let cPtr: usize = 0, cLen: u32 = 0, midPtr: usize = 0, midLen: i32 = -1, mline: i32 = -1;
  while (true) {
    const tag = structMember(m, end);
    if (tag == -1) return false;
    if (tag == -2) { m = elNext; break; }
    if (tag >= 0 && tag < 3) {
      if (seen & (1 << tag)) return false;
      seen |= 1 << tag;
    }
    if (tag == 0) {
      if (!readUtf8(m, end)) return false;
      cPtr = strPtr; cLen = strLen;
    } else if (tag == 1) {
      if (!readElement(m, end)) return false;
      if (elType == T_NULL) { midLen = -1; memberEnd = elNext; }
      else {
        if (!readUtf8(m, end)) return false;
        midPtr = strPtr; midLen = <i32>strLen;
        if (strLen == 0) aCandEmptyMid = true;
      }
    } else if (tag == 2) {
      if (!readNullableU16(m, end)) return false;
      mline = nullableValue;
    } else {
      memberEnd = skipElement(m, end);
      if (memberEnd == 0) return false;
    }
    m = memberEnd;
  }
  if (seen != 7) return false; // all three are mandatory (two of them nullable)
  if (index < MAX_IN_CAND) {
    const e = A_CANDS + <usize>(index * CAND_ENTRY);
    store<u32>(e, <u32>cPtr);
    store<u32>(e, cLen, 4);
    store<u32>(e, <u32>midPtr, 8);
    store<i32>(e, midLen, 12);
    store<i32>(e, mline, 16);
  }
  memberEnd = m;
  return true;
}

/** ProvideICECandidates: WebRTCSessionID (0), ICECandidates (1). */
export function decodeCandidates(start: usize, len: i32): u32 {
  clearArgs();
  const end = start + <usize>len;
  let p = openStruct(start, end);
  if (p == 0) return INVALID_COMMAND;
  let seen: u32 = 0;
  while (true) {
    const tag = structMember(p, end);
    if (tag == -1) return INVALID_COMMAND;
    if (tag == -2) { p = elNext; break; }
    if (tag >= 0 && tag < 32) {
      if (seen & (1 << tag)) return INVALID_COMMAND;
      seen |= 1 << tag;
    }
    if (tag == 0) {
      if (!readUint(p, end, 0xffff)) return INVALID_COMMAND;
      aSessionId = <i32>elUint;
    } else if (tag == 1) {
      if (!readElement(p, end) || elType != T_ARRAY) return INVALID_COMMAND;
      let q = elNext;
      let n = 0;
      while (true) {
        if (!readElement(q, end)) return INVALID_COMMAND;
        if (elType == T_END) { memberEnd = elNext; break; }
        if (!readCandidate(q, end, n)) return INVALID_COMMAND;
        n++;
        q = memberEnd;
      }
      aCandCount = n;
    } else {
      memberEnd = skipElement(p, end);
      if (memberEnd == 0) return INVALID_COMMAND;
    }
    p = memberEnd;
  }
  if (p != end || (seen & 3) != 3) return INVALID_COMMAND;
  return SUCCESS;
}
