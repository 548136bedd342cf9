//! TLV encoding of what the provider answers: SolicitOfferResponse, ProvideOfferResponse and the
//! CurrentSessions attribute, into the RESP buffer.
//!
//! Responses echo VideoStreamID / AudioStreamID only when the request carried that scalar field
//! (the reference's rule), with the session's resolved value or null. CurrentSessions lists the
//! live rows of one fabric (or all, for an unfiltered read) in insertion order, with the rev-2
//! VideoStreams / AudioStreams lists filled even when the request used the scalar ids.

import { N_SESSIONS, MAX_LIST } from "./config";
import {
  row, isLive, listAt, L_VIDEO, L_AUDIO, FLAG_ECHO_VIDEO, FLAG_ECHO_AUDIO, FLAG_METADATA,
} from "./sessions";
import { wBegin, wFinish, wStruct, wArray, wEndContainer, wUint, wBool, wNullableU16 } from "./tlv";

/** Upper bound of one encoded WebRTCSessionStruct (two full 16-entry lists included). */
const SESSION_TLV_MAX: i32 = 48 + 2 * (3 + MAX_LIST * 3);
export const RESP_LEN: i32 = 64 + N_SESSIONS * SESSION_TLV_MAX;
export const RESP: usize = memory.data(RESP_LEN, 8);
export let respLength: i32 = 0;

function firstOrNull(i: i32, list: i32, n: i32): i32 {
  return n > 0 ? listAt(i, list, 0) : -1;
}

export function encodeSolicitResponse(id: i32, deferred: bool, flags: u8, video: i32, audio: i32): void {
  wBegin(RESP, RESP_LEN);
  wStruct(-1);
  wUint(0, <u64>id);
  wBool(1, deferred);
  if (flags & FLAG_ECHO_VIDEO) wNullableU16(2, video);
  if (flags & FLAG_ECHO_AUDIO) wNullableU16(3, audio);
  wEndContainer();
  respLength = wFinish();
}

export function encodeProvideOfferResponse(id: i32, flags: u8, video: i32, audio: i32): void {
  wBegin(RESP, RESP_LEN);
  wStruct(-1);
  wUint(0, <u64>id);
  if (flags & FLAG_ECHO_VIDEO) wNullableU16(1, video);
  if (flags & FLAG_ECHO_AUDIO) wNullableU16(2, audio);
  wEndContainer();
  respLength = wFinish();
}

/** Response echo values of a live row. */
export function rowFirstVideo(i: i32): i32 {
  return firstOrNull(i, L_VIDEO, <i32>row(i).nVideo);
}
export function rowFirstAudio(i: i32): i32 {
  return firstOrNull(i, L_AUDIO, <i32>row(i).nAudio);
}

/** Index of the live row with the smallest sequence number above `after`, or -1. */
export function nextInOrder(after: u32, fabricFilter: i32): i32 {
  let best = -1;
  let bestSeq: u32 = 0xffffffff;
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = row(i);
    if (!isLive(r.state)) continue;
    if (fabricFilter != 0 && <i32>r.fabric != fabricFilter) continue;
    if (r.seq > after && r.seq < bestSeq) {
      best = i;
      bestSeq = r.seq;
    }
  }
  return best;
}

function encodeList(tag: i32, i: i32, list: i32, n: i32): void {
  wArray(tag);
  for (let k = 0; k < n; k++) wUint(-1, <u64>listAt(i, list, k));
  wEndContainer();
}

/** CurrentSessions as a TLV array; `fabricFilter` 0 lists every fabric. Returns the length. */
export function encodeSessions(fabricFilter: i32): i32 {
  wBegin(RESP, RESP_LEN);
  wArray(-1);
  let seq: u32 = 0;
  // at most N_SESSIONS rows, each visited once in ascending sequence
  for (let k = 0; k < N_SESSIONS; k++) {
    const i = nextInOrder(seq, fabricFilter);
    if (i < 0) break;
    const r = row(i);
    seq = r.seq;
    const nV = <i32>r.nVideo;
    const nA = <i32>r.nAudio;
    wStruct(-1);
    wUint(0, <u64>r.id);
    wUint(1, r.peerNode);
    wUint(2, <u64>r.endpoint);
    wUint(3, <u64>r.usage);
    wNullableU16(4, firstOrNull(i, L_VIDEO, nV));
    wNullableU16(5, firstOrNull(i, L_AUDIO, nA));
    wBool(6, (r.flags & FLAG_METADATA) != 0);
    if (nV > 0) encodeList(7, i, L_VIDEO, nV);
    if (nA > 0) encodeList(8, i, L_AUDIO, nA);
    wUint(254, <u64>r.fabric);
    wEndContainer();
  }
  wEndContainer();
  respLength = wFinish();
  return respLength;
}
