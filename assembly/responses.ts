//! What the provider answers, TLV-encoded into RESP: SolicitOfferResponse, ProvideOfferResponse and
//! the CurrentSessions attribute.
//!
//! A response echoes VideoStreamID / AudioStreamID only when the request carried that scalar field
//! (the reference's rule), with the session's first stream or null. CurrentSessions lists the live
//! rows of one fabric (or all, for an unfiltered read) in insertion order, with the rev-2
//! VideoStreams / AudioStreams lists filled even when the request used the scalar ids.

import { N_SESSIONS, MAX_LIST } from "./config";
import { SessionTerms, row, nextInOrder } from "./sessions";
import { wBegin, wFinish, wStruct, wArray, wEndContainer, wUint, wBool, wNullableU16 } from "./tlv";

/** Upper bound of one encoded WebRTCSessionStruct (two full 16-entry lists included). */
const SESSION_TLV_MAX: i32 = 48 + 2 * (3 + MAX_LIST * 3);
export const RESP_LEN: i32 = 64 + N_SESSIONS * SESSION_TLV_MAX;
export const RESP: usize = memory.data(RESP_LEN, 8);
/** Bytes of the last response, or -1 when it did not fit RESP. */
export let responseLength: i32 = 0;

/** SolicitOfferResponse {0: id, 1: deferred, 2: VideoStreamID?, 3: AudioStreamID?}. */
export function encodeSolicitResponse(id: i32, deferred: bool, terms: SessionTerms): void {
  wBegin(RESP, RESP_LEN);
  wStruct(-1);
  wUint(0, <u64>id);
  wBool(1, deferred);
  if (terms.echoVideo) wNullableU16(2, terms.firstVideo);
  if (terms.echoAudio) wNullableU16(3, terms.firstAudio);
  wEndContainer();
  responseLength = wFinish();
}

/** ProvideOfferResponse {0: id, 1: VideoStreamID?, 2: AudioStreamID?}. */
export function encodeProvideOfferResponse(id: i32, terms: SessionTerms): void {
  wBegin(RESP, RESP_LEN);
  wStruct(-1);
  wUint(0, <u64>id);
  if (terms.echoVideo) wNullableU16(1, terms.firstVideo);
  if (terms.echoAudio) wNullableU16(2, terms.firstAudio);
  wEndContainer();
  responseLength = wFinish();
}

function encodeList(tag: i32, list: usize, n: i32): void {
  wArray(tag);
  for (let k = 0; k < n; k++) wUint(-1, <u64>load<u16>(list + <usize>(k * 2)));
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
    const t = r.terms;
    seq = r.seq;
    wStruct(-1);
    wUint(0, <u64>r.id);
    wUint(1, r.peerNode);
    wUint(2, <u64>t.endpoint);
    wUint(3, <u64>t.usage);
    wNullableU16(4, t.firstVideo);
    wNullableU16(5, t.firstAudio);
    wBool(6, t.metadataEnabled);
    if (t.videoCount > 0) encodeList(7, t.videoList, <i32>t.videoCount);
    if (t.audioCount > 0) encodeList(8, t.audioList, <i32>t.audioCount);
    wUint(254, <u64>r.fabric);
    wEndContainer();
  }
  wEndContainer();
  responseLength = wFinish();
  return responseLength;
}
