//! The inbound buffer and the decoded request: one command's TLV fields, decoded before any rule.
//!
//! The host copies a command's fields into IN; `decode*` reads them into `request` (and the lists,
//! ICE strings and candidates beside it) as the reference does, whole, first: anything malformed
//! (truncated TLV, a wrong element type, a missing, duplicated or trailing field, bad UTF-8) is
//! INVALID_COMMAND whatever else is wrong. Data-model bounds that decode fine (too many ICE servers,
//! a long policy, an empty SDPMid) are only noted; `commands.ts` reports them at the reference's
//! step. Unknown context tags are skipped (forward compatibility; the provisional SFrameConfig).
//! Strings stay in IN as spans, valid until the next command.

import {
  readElement, skipElement, element,
  isUnsigned, isUtf8, scan, T_STRUCT, T_ARRAY, T_END, T_NULL, T_TRUE, T_FALSE, TAG_CONTEXT, TAG_ANONYMOUS,
} from "./tlv";
import { validUtf8, startsWith } from "./utf8";
import {
  IN_LEN, MAX_LIST, MAX_ICE_SERVERS, MAX_ICE_URLS, MAX_URL_LEN, MAX_USERNAME_LEN, MAX_CREDENTIAL_LEN, MAX_IN_CAND,
} from "./config";
import { INVALID_COMMAND, SUCCESS } from "./status";

/** Where the host writes one command's TLV fields (the `inPtr` export). */
export const IN: usize = memory.data(IN_LEN, 8);

/** The fields of the command decoded last. Absent fields are false / 0, nullable ids -1. */
@unmanaged export class Request {
  /** WebRTCSessionID: -1 for null (a new ProvideOffer) or absent. */
  sessionId: i32;
  /** Scalar VideoStreamID / AudioStreamID: the id, or -1 for null. */
  videoStreamId: i32;
  audioStreamId: i32;
  streamUsage: i32;
  originatingEndpoint: i32;
  /** Rev-2 VideoStreams / AudioStreams: the count as sent (only the first MAX_LIST are kept). */
  videoListCount: i32;
  audioListCount: i32;
  sdpPtr: usize;
  sdpLen: u32;
  policyPtr: usize;
  policyLen: u32;
  /** EndSession's WebRTCEndReasonEnum. */
  reason: i32;
  /** ICEServers as sent, and how many ICE strings were kept for the hook. */
  iceServerCount: i32;
  iceStringCount: i32;
  /** ICECandidates as sent (only the first MAX_IN_CAND are kept). */
  candidateCount: i32;
  hasStreamUsage: bool;
  hasEndpoint: bool;
  hasVideoId: bool;
  hasAudioId: bool;
  hasVideoList: bool;
  hasAudioList: bool;
  hasMetadata: bool;
  metadataEnabled: bool;
  hasPolicy: bool;
  hasIceServers: bool;
  /** An ICEServers data-model bound is broken somewhere inside (CONSTRAINT_ERROR at its step). */
  iceBoundsBroken: bool;
  /** Some ICE URL is turns: or stuns: (refused while UTCTime is null). */
  iceSecureScheme: bool;
  /** An ICE candidate has an empty, non-null SDPMid (CONSTRAINT_ERROR). */
  emptyMidSeen: bool;

  /** Both scalar ids and a list were sent: the kinds of request the spec forbids mixing. */
  get mixesScalarsAndLists(): bool {
    return (this.hasVideoList || this.hasAudioList) && (this.hasVideoId || this.hasAudioId);
  }
  get namesAnyStream(): bool {
    return this.hasVideoId || this.hasAudioId || this.hasVideoList || this.hasAudioList;
  }
  clear(): void {
    memory.fill(changetype<usize>(this), 0, offsetof<Request>());
    this.sessionId = -1;
    this.videoStreamId = -1;
    this.audioStreamId = -1;
  }
}
export const request = changetype<Request>(memory.data(offsetof<Request>(), 8));
request.clear();

/** VideoStreams / AudioStreams as sent, u16 each. */
export const VIDEO_LIST: usize = memory.data(MAX_LIST * 2, 4);
export const AUDIO_LIST: usize = memory.data(MAX_LIST * 2, 4);

/** One string of ICEServers, a span of IN, for the hook. */
@unmanaged export class IceString {
  ptr: u32;
  /** Byte length (a longer string is noted as a broken bound; 0xFFFF here). */
  len: u16;
  /** Index of its ICEServerStruct. */
  server: u8;
  /** 0 URL, 1 username, 2 credential. */
  kind: u8;
}
const ICE_STRING_CAP: i32 = MAX_ICE_SERVERS * (MAX_ICE_URLS + 2);
const ICE_STRINGS: usize = memory.data(ICE_STRING_CAP * 8, 4);
export function iceString(i: i32): IceString {
  return changetype<IceString>(ICE_STRINGS + <usize>(i * 8));
}
/** CAID per ICE server, -1 when absent. */
const ICE_CAIDS: usize = memory.data(MAX_ICE_SERVERS * 4, 4);
export function iceServerCaid(server: i32): i32 {
  return load<i32>(ICE_CAIDS + <usize>(server * 4));
}

/** One ICECandidateStruct of ProvideICECandidates, spans of IN. */
@unmanaged export class RemoteCandidate {
  candidatePtr: u32;
  candidateLen: u32;
  midPtr: u32;
  /** -1: SDPMid null. */
  midLen: i32;
  /** -1: SDPMLineIndex null. */
  mline: i32;
}
const REMOTE_CANDIDATE_SIZE: i32 = 20;
const REMOTE_CANDIDATES: usize = memory.data(MAX_IN_CAND * REMOTE_CANDIDATE_SIZE, 4);
export function remoteCandidate(i: i32): RemoteCandidate {
  return changetype<RemoteCandidate>(REMOTE_CANDIDATES + <usize>(i * REMOTE_CANDIDATE_SIZE));
}

/** Structure check of an arbitrary TLV element staged in IN: element count, or -1 if malformed. */
export function scanIn(len: i32): i32 {
  if (len < 0 || len > IN_LEN) return -1;
  return scan(IN, len);
}

// ── member readers: each reads the member at `p`, leaves its value below and its end in memberEnd ──
let memberEnd: usize = 0;

function readUint(p: usize, end: usize, max: u64): bool {
  if (!readElement(p, end) || !isUnsigned(element.type) || element.value > max) return false;
  memberEnd = element.next;
  return true;
}
/** Nullable unsigned: -1 for null. */
let nullableValue: i32 = -1;
function readNullableU16(p: usize, end: usize): bool {
  if (!readElement(p, end)) return false;
  memberEnd = element.next;
  if (element.type == T_NULL) { nullableValue = -1; return true; }
  if (!isUnsigned(element.type) || element.value > 0xffff) return false;
  nullableValue = <i32>element.value;
  return true;
}
let strPtr: usize = 0;
let strLen: u32 = 0;
function readUtf8(p: usize, end: usize): bool {
  if (!readElement(p, end) || !isUtf8(element.type)) return false;
  strPtr = element.ptr;
  strLen = element.len;
  memberEnd = element.next;
  return validUtf8(strPtr, strLen);
}
let boolValue: bool = false;
function readBool(p: usize, end: usize): bool {
  if (!readElement(p, end) || (element.type != T_TRUE && element.type != T_FALSE)) return false;
  boolValue = element.type == T_TRUE;
  memberEnd = element.next;
  return true;
}

/** Reads a member header at `p` that must carry a context tag; returns the tag or -1. */
let memberTag: i32 = -1;
function structMember(p: usize, end: usize): i32 {
  if (!readElement(p, end)) return -1;
  if (element.type == T_END) return -2;
  memberTag = element.tagControl == TAG_CONTEXT ? <i32>element.tag : 1000 + <i32>element.tagControl;
  return memberTag;
}

/** Decodes a list of u16 into `dest` (first MAX_LIST kept); returns the count or -1 when malformed. */
function readU16List(p: usize, end: usize, dest: usize): i32 {
  if (!readElement(p, end) || element.type != T_ARRAY) return -1;
  let q = element.next;
  let n = 0;
  // every element consumes at least one byte, so this is bounded by the payload length
  while (true) {
    if (!readElement(q, end)) return -1;
    if (element.type == T_END) { memberEnd = element.next; return n; }
    if (element.tagControl != TAG_ANONYMOUS || !isUnsigned(element.type) || element.value > 0xffff) return -1;
    if (n < MAX_LIST) store<u16>(dest + <usize>(n * 2), <u16>element.value);
    n++;
    q = element.next;
  }
}

function pushIceString(server: i32, kind: i32, ptr: usize, len: u32): void {
  if (request.iceStringCount >= ICE_STRING_CAP) return;
  const e = iceString(request.iceStringCount);
  e.ptr = <u32>ptr;
  e.len = <u16>(len > 0xffff ? 0xffff : len);
  e.server = <u8>server;
  e.kind = <u8>kind;
  request.iceStringCount++;
}

// "turns:" and "stuns:" as packed little-endian ASCII
const TURNS: u64 = 0x3a736e727574;
const STUNS: u64 = 0x3a736e757473;

/** ICEServers: array of ICEServerStruct. Records strings for the hook and notes broken bounds. */
function readIceServers(p: usize, end: usize): bool {
  if (!readElement(p, end) || element.type != T_ARRAY) return false;
  let q = element.next;
  let server = 0;
  while (true) {
    if (!readElement(q, end)) return false;
    if (element.type == T_END) { memberEnd = element.next; break; }
    if (element.tagControl != TAG_ANONYMOUS || element.type != T_STRUCT) return false;
    if (server >= MAX_ICE_SERVERS) request.iceBoundsBroken = true;
    const keep = server < MAX_ICE_SERVERS;
    if (keep) store<i32>(ICE_CAIDS + <usize>(server * 4), -1);
    let m = element.next;
    let seen: u32 = 0;
    while (true) {
      const tag = structMember(m, end);
      if (tag == -1) return false;
      if (tag == -2) { m = element.next; break; }
      if (tag >= 0 && tag < 4) {
        if (seen & (1 << tag)) return false;
        seen |= 1 << tag;
      }
      if (tag == 0) {
        if (!readElement(m, end) || element.type != T_ARRAY) return false;
        let u = element.next;
        let urls = 0;
        while (true) {
          if (!readElement(u, end)) return false;
          if (element.type == T_END) { u = element.next; break; }
          if (element.tagControl != TAG_ANONYMOUS || !readUtf8(u, end)) return false;
          if (urls >= MAX_ICE_URLS || strLen > <u32>MAX_URL_LEN) request.iceBoundsBroken = true;
          if (startsWith(strPtr, strLen, TURNS, 6) || startsWith(strPtr, strLen, STUNS, 6)) request.iceSecureScheme = true;
          if (keep && urls < MAX_ICE_URLS) pushIceString(server, 0, strPtr, strLen);
          urls++;
          u = memberEnd;
        }
        m = u;
      } else if (tag == 1 || tag == 2) {
        if (!readUtf8(m, end)) return false;
        if (strLen > <u32>(tag == 1 ? MAX_USERNAME_LEN : MAX_CREDENTIAL_LEN)) request.iceBoundsBroken = true;
        if (keep) pushIceString(server, tag, strPtr, strLen);
        m = memberEnd;
      } else if (tag == 3) {
        if (!readUint(m, end, 0xffff)) return false;
        if (element.value > 65534) request.iceBoundsBroken = true;
        if (keep) store<i32>(ICE_CAIDS + <usize>(server * 4), <i32>element.value);
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
  request.iceServerCount = server;
  return true;
}

/** Opens the command's outer structure; returns the first member position or 0. */
function openStruct(start: usize, end: usize): usize {
  if (!readElement(start, end) || element.type != T_STRUCT) return 0;
  return element.next;
}

/**
 * SolicitOffer (base 0) and ProvideOffer (base 2) share their field layout shifted by `base`;
 * ProvideOffer adds WebRTCSessionID (0) and SDP (1) in front.
 */
export function decodeOffer(len: i32, isProvide: bool): u32 {
  request.clear();
  const end = IN + <usize>len;
  let p = openStruct(IN, end);
  if (p == 0) return INVALID_COMMAND;
  const base = isProvide ? 2 : 0;
  let seen: u32 = 0;
  let hasSession = false;
  let hasSdp = false;
  while (true) {
    const tag = structMember(p, end);
    if (tag == -1) return INVALID_COMMAND;
    if (tag == -2) { p = element.next; break; }
    if (tag >= 0 && tag < 32) {
      if (seen & (1 << tag)) return INVALID_COMMAND;
      seen |= 1 << tag;
    }
    if (isProvide && tag == 0) {
      if (!readNullableU16(p, end)) return INVALID_COMMAND;
      request.sessionId = nullableValue;
      hasSession = true;
    } else if (isProvide && tag == 1) {
      if (!readUtf8(p, end)) return INVALID_COMMAND;
      request.sdpPtr = strPtr;
      request.sdpLen = strLen;
      hasSdp = true;
    } else if (tag == base + 0) {
      if (!readUint(p, end, 0xff)) return INVALID_COMMAND;
      request.streamUsage = <i32>element.value;
      request.hasStreamUsage = true;
    } else if (tag == base + 1) {
      if (!readUint(p, end, 0xffff)) return INVALID_COMMAND;
      request.originatingEndpoint = <i32>element.value;
      request.hasEndpoint = true;
    } else if (tag == base + 2) {
      if (!readNullableU16(p, end)) return INVALID_COMMAND;
      request.videoStreamId = nullableValue;
      request.hasVideoId = true;
    } else if (tag == base + 3) {
      if (!readNullableU16(p, end)) return INVALID_COMMAND;
      request.audioStreamId = nullableValue;
      request.hasAudioId = true;
    } else if (tag == base + 4) {
      if (!readIceServers(p, end)) return INVALID_COMMAND;
      request.hasIceServers = true;
    } else if (tag == base + 5) {
      if (!readUtf8(p, end)) return INVALID_COMMAND;
      request.policyPtr = strPtr;
      request.policyLen = strLen;
      request.hasPolicy = true;
    } else if (tag == base + 6) {
      if (!readBool(p, end)) return INVALID_COMMAND;
      request.metadataEnabled = boolValue;
      request.hasMetadata = true;
    } else if (tag == base + 8) {
      const n = readU16List(p, end, VIDEO_LIST);
      if (n < 0) return INVALID_COMMAND;
      request.videoListCount = n;
      request.hasVideoList = true;
    } else if (tag == base + 9) {
      const n = readU16List(p, end, AUDIO_LIST);
      if (n < 0) return INVALID_COMMAND;
      request.audioListCount = n;
      request.hasAudioList = true;
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
    if (request.sessionId < 0 && (!request.hasStreamUsage || !request.hasEndpoint)) return INVALID_COMMAND;
  } else if (!request.hasStreamUsage || !request.hasEndpoint) {
    return INVALID_COMMAND;
  }
  return SUCCESS;
}

/** ProvideAnswer: WebRTCSessionID (0), SDP (1). */
export function decodeAnswer(len: i32): u32 {
  request.clear();
  const end = IN + <usize>len;
  let p = openStruct(IN, end);
  if (p == 0) return INVALID_COMMAND;
  let seen: u32 = 0;
  while (true) {
    const tag = structMember(p, end);
    if (tag == -1) return INVALID_COMMAND;
    if (tag == -2) { p = element.next; break; }
    if (tag >= 0 && tag < 32) {
      if (seen & (1 << tag)) return INVALID_COMMAND;
      seen |= 1 << tag;
    }
    if (tag == 0) {
      if (!readUint(p, end, 0xffff)) return INVALID_COMMAND;
      request.sessionId = <i32>element.value;
    } else if (tag == 1) {
      if (!readUtf8(p, end)) return INVALID_COMMAND;
      request.sdpPtr = strPtr;
      request.sdpLen = strLen;
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
export function decodeEnd(len: i32): u32 {
  request.clear();
  const end = IN + <usize>len;
  let p = openStruct(IN, end);
  if (p == 0) return INVALID_COMMAND;
  let seen: u32 = 0;
  while (true) {
    const tag = structMember(p, end);
    if (tag == -1) return INVALID_COMMAND;
    if (tag == -2) { p = element.next; break; }
    if (tag >= 0 && tag < 32) {
      if (seen & (1 << tag)) return INVALID_COMMAND;
      seen |= 1 << tag;
    }
    if (tag == 0) {
      if (!readUint(p, end, 0xffff)) return INVALID_COMMAND;
      request.sessionId = <i32>element.value;
    } else if (tag == 1) {
      if (!readUint(p, end, 0xff)) return INVALID_COMMAND;
      request.reason = <i32>element.value;
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
  if (!readElement(p, end) || element.type != T_STRUCT || element.tagControl != TAG_ANONYMOUS) return false;
  let m = element.next;
  let seen: u32 = 0;
  let cPtr: usize = 0, cLen: u32 = 0, midPtr: usize = 0, midLen: i32 = -1, mline: i32 = -1;
  while (true) {
    const tag = structMember(m, end);
    if (tag == -1) return false;
    if (tag == -2) { m = element.next; break; }
    if (tag >= 0 && tag < 3) {
      if (seen & (1 << tag)) return false;
      seen |= 1 << tag;
    }
    if (tag == 0) {
      if (!readUtf8(m, end)) return false;
      cPtr = strPtr; cLen = strLen;
    } else if (tag == 1) {
      if (!readElement(m, end)) return false;
      if (element.type == T_NULL) { midLen = -1; memberEnd = element.next; }
      else {
        if (!readUtf8(m, end)) return false;
        midPtr = strPtr; midLen = <i32>strLen;
        if (strLen == 0) request.emptyMidSeen = true;
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
    const e = remoteCandidate(index);
    e.candidatePtr = <u32>cPtr;
    e.candidateLen = cLen;
    e.midPtr = <u32>midPtr;
    e.midLen = midLen;
    e.mline = mline;
  }
  memberEnd = m;
  return true;
}

/** ProvideICECandidates: WebRTCSessionID (0), ICECandidates (1). */
export function decodeCandidates(len: i32): u32 {
  request.clear();
  const end = IN + <usize>len;
  let p = openStruct(IN, end);
  if (p == 0) return INVALID_COMMAND;
  let seen: u32 = 0;
  while (true) {
    const tag = structMember(p, end);
    if (tag == -1) return INVALID_COMMAND;
    if (tag == -2) { p = element.next; break; }
    if (tag >= 0 && tag < 32) {
      if (seen & (1 << tag)) return INVALID_COMMAND;
      seen |= 1 << tag;
    }
    if (tag == 0) {
      if (!readUint(p, end, 0xffff)) return INVALID_COMMAND;
      request.sessionId = <i32>element.value;
    } else if (tag == 1) {
      if (!readElement(p, end) || element.type != T_ARRAY) return INVALID_COMMAND;
      let q = element.next;
      let n = 0;
      while (true) {
        if (!readElement(q, end)) return INVALID_COMMAND;
        if (element.type == T_END) { memberEnd = element.next; break; }
        if (!readCandidate(q, end, n)) return INVALID_COMMAND;
        n++;
        q = memberEnd;
      }
      request.candidateCount = n;
    } else {
      memberEnd = skipElement(p, end);
      if (memberEnd == 0) return INVALID_COMMAND;
    }
    p = memberEnd;
  }
  if (p != end || (seen & 3) != 3) return INVALID_COMMAND;
  return SUCCESS;
}
