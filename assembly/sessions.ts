//! The session table: N_SESSIONS fixed rows, the id allocator, provider-initiated End records and
//! the change events the host drains after every call.
//!
//! A row is FREE, PENDING (reserved by a command whose media hook is still running: it holds its
//! id and its capacity but is invisible to reads and to other commands), or live in one of three
//! signalling states. A live row can additionally carry a staged update (a re-offer or an answer
//! whose hook is running), flagged BUSY. Insertion order, which CurrentSessions must keep, is a
//! sequence number given when a row goes live; a re-offer updates in place and keeps its place.
//!
//! Ids are sequential from 1, wrap after 65534 (0xFFFF is never used), and skip ids that are live,
//! pending or waiting in an End record, so a just-ended id is not handed out again at once.
//!
//! When the provider ends a session itself (capacity, privacy, offer timeout, media failure) the
//! row is removed at once and an End record keeps what the outbound End needs (peer, fabric,
//! endpoint, reason) until the host takes its snapshot.

import { N_SESSIONS, END_CAP, MAX_LIST } from "./config";
import { addRef } from "./streams";
import { candDrop } from "./outbound";
import { KIND_AUDIO, KIND_VIDEO } from "./status";

export const ST_FREE: u8 = 0;
export const ST_PENDING: u8 = 1;
export const ST_AWAIT_DEFERRED: u8 = 2;
export const ST_AWAIT_ANSWER: u8 = 3;
export const ST_ESTABLISHED: u8 = 4;

export const FLAG_METADATA: u8 = 1;
/** A hook for this row is running (re-offer or answer); staged fields are in use for a re-offer. */
export const FLAG_BUSY: u8 = 2;
/** The response echoes VideoStreamID / AudioStreamID (the request carried that scalar field). */
export const FLAG_ECHO_VIDEO: u8 = 4;
export const FLAG_ECHO_AUDIO: u8 = 8;
/** A staged re-offer waits for its hook (set together with BUSY). */
export const FLAG_REOFFER: u8 = 32;
/** The provider still owes an Offer (SolicitOffer) before `deadline`. */
export const FLAG_OFFER_DUE: u8 = 16;

/**
 * Row layout. `offsetof` is unpadded, so ROW is rounded up; the stream lists follow the fixed
 * fields. Staged (`s*`) fields hold a re-offer until its hook succeeds.
 */
@unmanaged export class Row {
  peerNode: u64;
  seq: u32;
  deadline: u32;
  id: u16;
  endpoint: u16;
  sEndpoint: u16;
  state: u8;
  fabric: u8;
  usage: u8;
  flags: u8;
  nVideo: u8;
  nAudio: u8;
  sUsage: u8;
  sFlags: u8;
  sNVideo: u8;
  sNAudio: u8;
}
const FIXED: i32 = (offsetof<Row>() + 7) & ~7;
const LIST_BYTES: i32 = MAX_LIST * 2;
/** Offsets of the four u16 lists inside a row. */
export const L_VIDEO: i32 = FIXED;
export const L_AUDIO: i32 = FIXED + LIST_BYTES;
export const L_SVIDEO: i32 = FIXED + 2 * LIST_BYTES;
export const L_SAUDIO: i32 = FIXED + 3 * LIST_BYTES;
export const ROW: i32 = FIXED + 4 * LIST_BYTES;
const TABLE: usize = memory.data(N_SESSIONS * ROW, 8);

export function row(i: i32): Row {
  return changetype<Row>(TABLE + <usize>(i * ROW));
}
export function rowPtr(i: i32): usize {
  return TABLE + <usize>(i * ROW);
}
export function listAt(i: i32, list: i32, k: i32): i32 {
  return <i32>load<u16>(rowPtr(i) + <usize>(list + k * 2));
}
export function listSet(i: i32, list: i32, k: i32, v: i32): void {
  store<u16>(rowPtr(i) + <usize>(list + k * 2), <u16>v);
}
export function isLive(st: u8): bool {
  return st >= ST_AWAIT_DEFERRED;
}

let nextId: u32 = 1;
let nextSeq: u32 = 1;

// ── End records: id u16 @0, fabric u8 @2, reason u8 @3, endpoint u16 @4, pad, peer u64 @8 ──
const END_REC: i32 = 16;
const ENDS: usize = memory.data(END_CAP * END_REC, 8);
function endRec(i: i32): usize {
  return ENDS + <usize>(i * END_REC);
}
export function endIndex(id: i32): i32 {
  for (let i = 0; i < END_CAP; i++) if (<i32>load<u16>(endRec(i)) == id) return i;
  return -1;
}
export function endFree(): i32 {
  return endIndex(0);
}
export function endId(i: i32): i32 { return <i32>load<u16>(endRec(i)); }
export function endFabric(i: i32): i32 { return <i32>load<u8>(endRec(i), 2); }
export function endReason(i: i32): i32 { return <i32>load<u8>(endRec(i), 3); }
export function endEndpoint(i: i32): i32 { return <i32>load<u16>(endRec(i), 4); }
export function endPeer(i: i32): u64 { return load<u64>(endRec(i), 8); }
export function endRelease(i: i32): void { store<u16>(endRec(i), 0); }
export function endCount(): i32 {
  let n = 0;
  for (let i = 0; i < END_CAP; i++) if (endId(i) != 0) n++;
  return n;
}
/** Records an End to send; false when every record is taken. */
export function endPush(id: i32, fabric: i32, peer: u64, endpoint: i32, reason: i32): bool {
  const i = endFree();
  if (i < 0) return false;
  const r = endRec(i);
  store<u16>(r, <u16>id);
  store<u8>(r, <u8>fabric, 2);
  store<u8>(r, <u8>reason, 3);
  store<u16>(r, <u16>endpoint, 4);
  store<u64>(r, peer, 8);
  pushEvent(EV_END_QUEUED, id, reason, 0);
  return true;
}
export function dropEndsOfFabric(fabric: i32): void {
  for (let i = 0; i < END_CAP; i++) if (endId(i) != 0 && endFabric(i) == fabric) endRelease(i);
}

// ── change events: kind u8 @0, reason u8 @1, cause u8 @2, pad, id u16 @4 — 8 bytes ──
export const EV_ADDED: i32 = 1;
export const EV_UPDATED: i32 = 2;
export const EV_REMOVED: i32 = 3;
export const EV_END_QUEUED: i32 = 4;
/** Why a row was removed. */
export const CAUSE_PEER: i32 = 0;
export const CAUSE_PROVIDER: i32 = 1;
export const CAUSE_FABRIC: i32 = 2;
const EV_CAP: i32 = 2 * N_SESSIONS + END_CAP + 4;
const EVENTS: usize = memory.data(EV_CAP * 8, 8);
let evCount: i32 = 0;
/** Set when events were lost because the host did not drain; the host must then resync. */
export let evOverflow: bool = false;

export function pushEvent(kind: i32, id: i32, reason: i32, cause: i32): void {
  if (evCount >= EV_CAP) {
    evOverflow = true;
    return;
  }
  const e = EVENTS + <usize>(evCount * 8);
  store<u8>(e, <u8>kind);
  store<u8>(e, <u8>reason, 1);
  store<u8>(e, <u8>cause, 2);
  store<u16>(e, <u16>id, 4);
  evCount++;
}
export function eventCount(): i32 { return evCount; }
export function eventKind(i: i32): i32 { return <i32>load<u8>(EVENTS + <usize>(i * 8)); }
export function eventReason(i: i32): i32 { return <i32>load<u8>(EVENTS + <usize>(i * 8), 1); }
export function eventCause(i: i32): i32 { return <i32>load<u8>(EVENTS + <usize>(i * 8), 2); }
export function eventSession(i: i32): i32 { return <i32>load<u16>(EVENTS + <usize>(i * 8), 4); }
export function clearEvents(): void {
  evCount = 0;
  evOverflow = false;
}

// ── lookup and allocation ─────────────────────────────────────────────────────────────────
/** Index of the row holding `id` in any non-free state, or -1. */
export function findAny(id: i32): i32 {
  if (id <= 0) return -1;
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = row(i);
    if (r.state != ST_FREE && <i32>r.id == id) return i;
  }
  return -1;
}
/** Index of the live row `id` owned by (fabric, peer), or -1: another owner's session is not found. */
export function findOwned(id: i32, fabric: i32, peer: u64): i32 {
  const i = findAny(id);
  if (i < 0) return -1;
  const r = row(i);
  if (!isLive(r.state) || <i32>r.fabric != fabric || r.peerNode != peer) return -1;
  return i;
}
export function freeRow(): i32 {
  for (let i = 0; i < N_SESSIONS; i++) if (row(i).state == ST_FREE) return i;
  return -1;
}
export function usedRows(): i32 {
  let n = 0;
  for (let i = 0; i < N_SESSIONS; i++) if (row(i).state != ST_FREE) n++;
  return n;
}

function idInUse(id: u32): bool {
  return findAny(<i32>id) >= 0 || endIndex(<i32>id) >= 0;
}
/** Next session id: sequential, non-zero, never 0xFFFF, skipping ids in use. */
export function allocateId(): i32 {
  // At most N_SESSIONS + END_CAP ids are in use, so this ends within that many + 1 steps.
  for (let tries = 0; tries <= N_SESSIONS + END_CAP; tries++) {
    const c = nextId;
    nextId = c >= 0xfffe ? 1 : c + 1;
    if (!idInUse(c)) return <i32>c;
  }
  return 0;
}
export function nextIdPeek(): i32 {
  return <i32>nextId;
}
/** Test and host hook: where the allocator continues (1..0xFFFE), to exercise wrap-around. */
export function setNextId(v: i32): void {
  nextId = v < 1 || v > 0xfffe ? 1 : <u32>v;
}
export function takeSeq(): u32 {
  return nextSeq++;
}

/** Adds (+1) or releases (-1) the stream references of a row's live lists. */
export function rowRefs(i: i32, delta: i32): void {
  const r = row(i);
  for (let k = 0; k < <i32>r.nVideo; k++) addRef(KIND_VIDEO, listAt(i, L_VIDEO, k), delta);
  for (let k = 0; k < <i32>r.nAudio; k++) addRef(KIND_AUDIO, listAt(i, L_AUDIO, k), delta);
}

/** Removes a row of any state; live rows release their streams and report the removal. */
export function removeRow(i: i32, reason: i32, cause: i32): void {
  const r = row(i);
  if (isLive(r.state)) {
    rowRefs(i, -1);
    pushEvent(EV_REMOVED, <i32>r.id, reason, cause);
  }
  candDrop(<i32>r.id);
  memory.fill(rowPtr(i), 0, <usize>ROW);
}

export function resetSessions(): void {
  memory.fill(TABLE, 0, <usize>(N_SESSIONS * ROW));
  memory.fill(ENDS, 0, <usize>(END_CAP * END_REC));
  nextId = 1;
  nextSeq = 1;
  clearEvents();
}
