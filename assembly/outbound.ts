//! Outbound snapshots for the Requestor cluster (0x0554): Offer, Answer, ICECandidates and End.
//!
//! A snapshot encodes one command's TLV fields into OUT exactly once; the host sends those bytes
//! and re-sends the same bytes on a retransmit, so no hook is ever asked twice for the same work.
//! The addressing the host needs (fabric, peer node, endpoint, command id) is left in `o*`.
//!
//! SDPs are staged by the host at `STAGE` (inside OUT, past the room the header needs) and moved
//! into place, so there is no separate SDP buffer. An SDP longer than SDP_LEN is
//! RESOURCE_EXHAUSTED, never cut.
//!
//! Local ICE candidates wait in a pool of MAX_CAND slots of CAND_LEN bytes (plus SDPMid and
//! SDPMLineIndex). A snapshot takes one session's candidates in the order they were admitted, as
//! many as fit OUT; the rest stay in their slots for the next batch. A full pool answers BUSY so
//! the media hook keeps the candidate for later: nothing is dropped silently.

import { OUT_LEN, SDP_LEN, CAND_LEN, MAX_CAND, MID_LEN } from "./config";
import { SUCCESS, NOT_FOUND, RESOURCE_EXHAUSTED, INVALID_IN_STATE, CONSTRAINT_ERROR } from "./status";
import { row, findAny, isLive, endIndex, endFabric, endPeer, endEndpoint, endReason, endRelease, ST_AWAIT_DEFERRED, ST_AWAIT_ANSWER, ST_ESTABLISHED } from "./sessions";
import { offerSent } from "./commands";
import { wBegin, wFinish, wStruct, wArray, wEndContainer, wUint, wUtf8, wNull, wPosition } from "./tlv";
import { validUtf8 } from "./utf8";

export const OUT: usize = memory.data(OUT_LEN, 8);
/** Header room in front of a staged SDP: struct, session id and a 4-byte string length fit in 16. */
const STAGE_OFFSET: i32 = 16;
export const STAGE: usize = OUT + <usize>STAGE_OFFSET;
export const STAGE_CAP: i32 = OUT_LEN - STAGE_OFFSET - 2 < SDP_LEN ? OUT_LEN - STAGE_OFFSET - 2 : SDP_LEN;

export const CMD_OFFER: i32 = 0;
export const CMD_ANSWER: i32 = 1;
export const CMD_ICE_CANDIDATES: i32 = 2;
export const CMD_END: i32 = 3;
/** IM status BUSY: the candidate pool is full, try again after the next snapshot. */
export const BUSY: u32 = 0x9c;

export let oLength: i32 = 0;
export let oCommand: i32 = -1;
export let oSession: i32 = 0;
export let oFabric: i32 = 0;
export let oPeer: u64 = 0;
export let oEndpoint: i32 = 0;

function address(cmd: i32, id: i32, fabric: i32, peer: u64, endpoint: i32): void {
  oCommand = cmd;
  oSession = id;
  oFabric = fabric;
  oPeer = peer;
  oEndpoint = endpoint;
}
function clearOut(): void {
  oLength = 0;
  oCommand = -1;
}

/** {0: id, 1: sdp} with the SDP moved from STAGE; Offer and Answer share the layout. */
function snapSdp(cmd: i32, id: i32, sdpLen: i32): u32 {
  clearOut();
  if (sdpLen < 0 || sdpLen > STAGE_CAP) return RESOURCE_EXHAUSTED;
  const i = findAny(id);
  if (i < 0 || !isLive(row(i).state)) return NOT_FOUND;
  const r = row(i);
  if (cmd == CMD_OFFER && r.state != ST_AWAIT_DEFERRED && r.state != ST_AWAIT_ANSWER) return INVALID_IN_STATE;
  if (cmd == CMD_ANSWER && r.state != ST_ESTABLISHED) return INVALID_IN_STATE;
  if (!validUtf8(STAGE, <u32>sdpLen)) return CONSTRAINT_ERROR;
  wBegin(OUT, OUT_LEN);
  wStruct(-1);
  wUint(0, <u64>id);
  wUtf8(1, STAGE, <u32>sdpLen); // header ≤ 11 bytes < STAGE_OFFSET: the move is always backwards
  wEndContainer();
  const n = wFinish();
  if (n < 0) return RESOURCE_EXHAUSTED;
  oLength = n;
  address(cmd, id, <i32>r.fabric, r.peerNode, <i32>r.endpoint);
  if (cmd == CMD_OFFER) offerSent(i);
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
  clearOut();
  const e = endIndex(id);
  if (e < 0 || id == 0) return NOT_FOUND;
  wBegin(OUT, OUT_LEN);
  wStruct(-1);
  wUint(0, <u64>id);
  wUint(1, <u64>endReason(e));
  wEndContainer();
  oLength = wFinish();
  address(CMD_END, id, endFabric(e), endPeer(e), endEndpoint(e));
  endRelease(e);
  return SUCCESS;
}

// ── candidate pool: session u16 @0, used u8 @2, flags u8 @3 (1 mid null, 2 mline null),
//    midLen u8 @4, mline u16 @6, candLen u16 @8, seq u32 @12, mid @16, candidate @16+MID_LEN ──
const SLOT_HEAD: i32 = 16;
const SLOT: i32 = (SLOT_HEAD + MID_LEN + CAND_LEN + 7) & ~7;
const POOL: usize = memory.data(MAX_CAND * SLOT, 8);
export const CAND_STAGE: usize = memory.data(CAND_LEN, 8);
export const MID_STAGE: usize = memory.data(MID_LEN, 8);
let candSeq: u32 = 1;

function slot(k: i32): usize {
  return POOL + <usize>(k * SLOT);
}

/**
 * Admits the candidate staged at CAND_STAGE (and SDPMid at MID_STAGE; `midLen` -1 for null,
 * `mline` -1 for null) for session `id`. SUCCESS, NOT_FOUND (no live session), BUSY (pool full:
 * keep it for later) or RESOURCE_EXHAUSTED (longer than CAND_LEN / MID_LEN: it can never fit).
 * SDPMLineIndex is a nullable u16, so 0xFFFF is not a value: CONSTRAINT_ERROR, like bad UTF-8.
 */
export function candAdmit(id: i32, candLen: i32, midLen: i32, mline: i32): u32 {
  const i = findAny(id);
  if (i < 0 || !isLive(row(i).state)) return NOT_FOUND;
  if (candLen < 0 || candLen > CAND_LEN || midLen > MID_LEN) return RESOURCE_EXHAUSTED;
  if (mline > 0xfffe) return CONSTRAINT_ERROR;
  if (!validUtf8(CAND_STAGE, <u32>candLen) || (midLen > 0 && !validUtf8(MID_STAGE, <u32>midLen))) return CONSTRAINT_ERROR;
  let k = 0;
  while (k < MAX_CAND && load<u8>(slot(k), 2) != 0) k++;
  if (k == MAX_CAND) return BUSY;
  const s = slot(k);
  store<u16>(s, <u16>id);
  store<u8>(s, 1, 2);
  store<u8>(s, <u8>((midLen < 0 ? 1 : 0) | (mline < 0 ? 2 : 0)), 3);
  store<u8>(s, <u8>(midLen < 0 ? 0 : midLen), 4);
  store<u16>(s, <u16>(mline < 0 ? 0 : mline), 6);
  store<u16>(s, <u16>candLen, 8);
  store<u32>(s, candSeq++, 12);
  if (midLen > 0) memory.copy(s + <usize>SLOT_HEAD, MID_STAGE, <usize>midLen);
  memory.copy(s + <usize>(SLOT_HEAD + MID_LEN), CAND_STAGE, <usize>candLen);
  return SUCCESS;
}

/** Candidates of session `id` still waiting in the pool. */
export function candPending(id: i32): i32 {
  let n = 0;
  for (let k = 0; k < MAX_CAND; k++) {
    const s = slot(k);
    if (load<u8>(s, 2) != 0 && <i32>load<u16>(s) == id) n++;
  }
  return n;
}
export function candFreeSlots(): i32 {
  let n = 0;
  for (let k = 0; k < MAX_CAND; k++) if (load<u8>(slot(k), 2) == 0) n++;
  return n;
}

/** Releases every slot of a session (it ended, or is gone). */
export function candDrop(id: i32): void {
  for (let k = 0; k < MAX_CAND; k++) {
    const s = slot(k);
    if (load<u8>(s, 2) != 0 && <i32>load<u16>(s) == id) store<u8>(s, 0, 2);
  }
}

/** Oldest waiting slot of session `id`, or -1. */
function oldest(id: i32): i32 {
  let best = -1;
  let bestSeq: u32 = 0xffffffff;
  for (let k = 0; k < MAX_CAND; k++) {
    const s = slot(k);
    if (load<u8>(s, 2) == 0 || <i32>load<u16>(s) != id) continue;
    const q = load<u32>(s, 12);
    if (q < bestSeq) { best = k; bestSeq = q; }
  }
  return best;
}

function strBytes(len: i32): i32 {
  return 2 + (len <= 0xff ? 1 : 2) + len;
}

/**
 * ICECandidates {0: id, 1: [{0: candidate, 1: SDPMid, 2: SDPMLineIndex}...]} with as many of
 * the session's waiting candidates as fit OUT, oldest first. SUCCESS with `oLength` 0 when none
 * wait. Candidates of a session that is gone are released and NOT_FOUND returned.
 */
export function snapIce(id: i32): u32 {
  clearOut();
  const i = findAny(id);
  if (i < 0 || !isLive(row(i).state)) {
    candDrop(id);
    return NOT_FOUND;
  }
  if (oldest(id) < 0) return SUCCESS;
  const r = row(i);
  wBegin(OUT, OUT_LEN);
  wStruct(-1);
  wUint(0, <u64>id);
  wArray(1);
  const limit = OUT + <usize>OUT_LEN - 2; // room for the array and struct ends
  let taken = 0;
  for (let n = 0; n < MAX_CAND; n++) {
    const k = oldest(id);
    if (k < 0) break;
    const s = slot(k);
    const flags = load<u8>(s, 3);
    const midLen = <i32>load<u8>(s, 4);
    const mline = <i32>load<u16>(s, 6);
    const candLen = <i32>load<u16>(s, 8);
    const need = 2 + strBytes(candLen) + ((flags & 1) ? 2 : strBytes(midLen)) + ((flags & 2) ? 2 : mline <= 0xff ? 3 : 4);
    if (wPosition() + <usize>need > limit) break;
    wStruct(-1);
    wUtf8(0, s + <usize>(SLOT_HEAD + MID_LEN), <u32>candLen);
    if (flags & 1) wNull(1); else wUtf8(1, s + <usize>SLOT_HEAD, <u32>midLen);
    if (flags & 2) wNull(2); else wUint(2, <u64>mline);
    wEndContainer();
    store<u8>(s, 0, 2);
    taken++;
  }
  wEndContainer();
  wEndContainer();
  const len = wFinish();
  if (len < 0 || taken == 0) return RESOURCE_EXHAUSTED;
  oLength = len;
  address(CMD_ICE_CANDIDATES, id, <i32>r.fabric, r.peerNode, <i32>r.endpoint);
  return SUCCESS;
}

export function resetOutbound(): void {
  memory.fill(POOL, 0, <usize>(MAX_CAND * SLOT));
  candSeq = 1;
  clearOut();
  address(-1, 0, 0, 0, 0);
}
