//! Outbound snapshots for the Requestor cluster (0x0554): Offer, Answer, ICECandidates and End.
//!
//! A snapshot encodes one command's TLV fields into OUT exactly once and leaves its addressing in
//! `snapshot`; the host sends those bytes and re-sends the same bytes on a retransmit, so no hook
//! is ever asked twice for the same work. The host stages an SDP at STAGE, inside OUT past the room
//! the header needs, and the encoder moves it into place: there is no separate SDP buffer. An SDP
//! longer than SDP_LEN is RESOURCE_EXHAUSTED, never cut. Local candidates wait in the pool
//! (`candidates.ts`); a batch takes as many of one session's as fit OUT, oldest first.

import { OUT_LEN, SDP_LEN, MAX_CAND } from "./config";
import { SUCCESS, NOT_FOUND, RESOURCE_EXHAUSTED, INVALID_IN_STATE, CONSTRAINT_ERROR } from "./status";
import { row, findLive, offerSent, ST_AWAIT_DEFERRED, ST_AWAIT_ANSWER, ST_ESTABLISHED } from "./sessions";
import { findEnd, endRecord, releaseEnd } from "./ends";
import { admitStaged, candidateSlot, dropSession, oldestOf } from "./candidates";
import { wBegin, wFinish, wStruct, wArray, wEndContainer, wUint, wUtf8, wNull, wPosition } from "./tlv";
import { validUtf8 } from "./utf8";

export const OUT: usize = memory.data(OUT_LEN, 8);
/** Header room in front of a staged SDP: struct, session id and a 4-byte string length fit in 16. */
const STAGE_OFFSET: i32 = 16;
export const STAGE: usize = OUT + <usize>STAGE_OFFSET;
export const STAGE_CAP: i32 = OUT_LEN - STAGE_OFFSET - 2 < SDP_LEN ? OUT_LEN - STAGE_OFFSET - 2 : SDP_LEN;

/** Requestor command ids (the `outCommand` export). */
export const CMD_OFFER: i32 = 0;
export const CMD_ANSWER: i32 = 1;
export const CMD_ICE_CANDIDATES: i32 = 2;
export const CMD_END: i32 = 3;

/** The last snapshot: its length in OUT and where it goes. `command` -1: none. */
@unmanaged export class Snapshot {
  peerNode: u64;
  length: i32;
  command: i32;
  session: i32;
  fabric: i32;
  endpoint: i32;

  clear(): void {
    memory.fill(changetype<usize>(this), 0, offsetof<Snapshot>());
    this.command = -1;
  }
}
export const snapshot = changetype<Snapshot>(memory.data(offsetof<Snapshot>(), 8));
snapshot.clear();

function discardLast(): void {
  snapshot.length = 0;
  snapshot.command = -1;
}
function addressTo(command: i32, session: i32, fabric: i32, peerNode: u64, endpoint: i32): void {
  snapshot.command = command;
  snapshot.session = session;
  snapshot.fabric = fabric;
  snapshot.peerNode = peerNode;
  snapshot.endpoint = endpoint;
}

/** {0: id, 1: sdp} with the SDP moved from STAGE; Offer and Answer share the layout. */
function snapSdp(command: i32, id: i32, sdpLen: i32): u32 {
  discardLast();
  if (sdpLen < 0 || sdpLen > STAGE_CAP) return RESOURCE_EXHAUSTED;
  const i = findLive(id);
  if (i < 0) return NOT_FOUND;
  const r = row(i);
  if (command == CMD_OFFER && r.state != ST_AWAIT_DEFERRED && r.state != ST_AWAIT_ANSWER) return INVALID_IN_STATE;
  if (command == CMD_ANSWER && r.state != ST_ESTABLISHED) return INVALID_IN_STATE;
  if (!validUtf8(STAGE, <u32>sdpLen)) return CONSTRAINT_ERROR;
  wBegin(OUT, OUT_LEN);
  wStruct(-1);
  wUint(0, <u64>id);
  wUtf8(1, STAGE, <u32>sdpLen); // header ≤ 11 bytes < STAGE_OFFSET: the move is always backwards
  wEndContainer();
  const n = wFinish();
  if (n < 0) return RESOURCE_EXHAUSTED;
  snapshot.length = n;
  addressTo(command, id, <i32>r.fabric, r.peerNode, <i32>r.terms.endpoint);
  if (command == CMD_OFFER) offerSent(i);
  return SUCCESS;
}
export function snapOffer(id: i32, sdpLen: i32): u32 {
  return snapSdp(CMD_OFFER, id, sdpLen);
}
export function snapAnswer(id: i32, sdpLen: i32): u32 {
  return snapSdp(CMD_ANSWER, id, sdpLen);
}

/** End from its record: {0: id, 1: reason}. The record is released once encoded. */
export function snapEnd(id: i32): u32 {
  discardLast();
  const k = findEnd(id);
  if (k < 0 || id == 0) return NOT_FOUND;
  const e = endRecord(k);
  wBegin(OUT, OUT_LEN);
  wStruct(-1);
  wUint(0, <u64>id);
  wUint(1, <u64>e.reason);
  wEndContainer();
  snapshot.length = wFinish();
  addressTo(CMD_END, id, <i32>e.fabric, e.peerNode, <i32>e.endpoint);
  releaseEnd(k);
  return SUCCESS;
}

/**
 * Admits the candidate staged at CAND_STAGE / MID_STAGE for live session `id`: NOT_FOUND when it
 * is not live, else the pool's verdict (SUCCESS, BUSY, RESOURCE_EXHAUSTED, CONSTRAINT_ERROR).
 */
export function admitCandidate(id: i32, candLen: i32, midLen: i32, mline: i32): u32 {
  if (findLive(id) < 0) return NOT_FOUND;
  return admitStaged(id, candLen, midLen, mline);
}

function strBytes(len: i32): i32 {
  return 2 + (len <= 0xff ? 1 : 2) + len;
}

/**
 * ICECandidates {0: id, 1: [{0: candidate, 1: SDPMid, 2: SDPMLineIndex}...]} with as many of
 * the session's waiting candidates as fit OUT, oldest first. SUCCESS with length 0 when none
 * wait. Candidates of a session that is gone are released and NOT_FOUND returned.
 */
export function snapIce(id: i32): u32 {
  discardLast();
  const i = findLive(id);
  if (i < 0) {
    dropSession(id);
    return NOT_FOUND;
  }
  if (oldestOf(id) < 0) return SUCCESS;
  const r = row(i);
  wBegin(OUT, OUT_LEN);
  wStruct(-1);
  wUint(0, <u64>id);
  wArray(1);
  const limit = OUT + <usize>OUT_LEN - 2; // room for the array and struct ends
  let taken = 0;
  for (let n = 0; n < MAX_CAND; n++) {
    const k = oldestOf(id);
    if (k < 0) break;
    const s = candidateSlot(k);
    const midLen = <i32>s.midLen;
    const mline = <i32>s.mline;
    const candLen = <i32>s.candidateLen;
    const need = 2 + strBytes(candLen) + (s.midNull ? 2 : strBytes(midLen)) + (s.mlineNull ? 2 : mline <= 0xff ? 3 : 4);
    if (wPosition() + <usize>need > limit) break;
    wStruct(-1);
    wUtf8(0, s.candidatePtr, <u32>candLen);
    if (s.midNull) wNull(1); else wUtf8(1, s.midPtr, <u32>midLen);
    if (s.mlineNull) wNull(2); else wUint(2, <u64>mline);
    wEndContainer();
    s.used = false;
    taken++;
  }
  wEndContainer();
  wEndContainer();
  const len = wFinish();
  if (len < 0 || taken == 0) return RESOURCE_EXHAUSTED;
  snapshot.length = len;
  addressTo(CMD_ICE_CANDIDATES, id, <i32>r.fabric, r.peerNode, <i32>r.terms.endpoint);
  return SUCCESS;
}

export function resetOutbound(): void {
  snapshot.clear();
}
