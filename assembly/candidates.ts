//! The local candidate pool: ICE candidates the camera gathered, waiting for an outbound batch.
//!
//! MAX_CAND slots, shared by every session, each with room for a CAND_LEN candidate and a MID_LEN
//! SDPMid. The host stages one candidate at CAND_STAGE (its SDPMid at MID_STAGE) and `admitStaged`
//! copies it into a free slot, numbered in admission order so a batch takes a session's candidates
//! oldest first. A full pool is BUSY: the hook keeps the candidate and offers it again later, so
//! nothing is dropped silently. The pool knows session ids only; whether a session is live is the
//! caller's check.

import { CAND_LEN, MAX_CAND, MID_LEN } from "./config";
import { SUCCESS, RESOURCE_EXHAUSTED, CONSTRAINT_ERROR, BUSY } from "./status";
import { validUtf8 } from "./utf8";

/** A slot's header; the SDPMid follows at SLOT_HEAD, the candidate at SLOT_HEAD + MID_LEN. */
@unmanaged export class CandidateSlot {
  session: u16;
  used: bool;
  midNull: bool;
  mlineNull: bool;
  midLen: u8;
  /** SDPMLineIndex (when not null). */
  mline: u16;
  candidateLen: u16;
  /** Admission number: lower is older. */
  admitted: u32;

  get midPtr(): usize {
    return changetype<usize>(this) + <usize>SLOT_HEAD;
  }
  get candidatePtr(): usize {
    return changetype<usize>(this) + <usize>(SLOT_HEAD + MID_LEN);
  }
}
const SLOT_HEAD: i32 = 16;
const SLOT_SIZE: i32 = (SLOT_HEAD + MID_LEN + CAND_LEN + 7) & ~7;
const POOL: usize = memory.data(MAX_CAND * SLOT_SIZE, 8);
/** Where the host writes the candidate (and its SDPMid) to admit. */
export const CAND_STAGE: usize = memory.data(CAND_LEN, 8);
export const MID_STAGE: usize = memory.data(MID_LEN, 8);
let nextAdmission: u32 = 1;

export function candidateSlot(k: i32): CandidateSlot {
  return changetype<CandidateSlot>(POOL + <usize>(k * SLOT_SIZE));
}

/**
 * Admits the staged candidate for `session` (`midLen` -1: SDPMid null, as is an empty one; `mline`
 * -1: SDPMLineIndex null). RESOURCE_EXHAUSTED when longer than CAND_LEN / MID_LEN (it can never
 * fit); CONSTRAINT_ERROR for bad UTF-8 or an SDPMLineIndex of 0xFFFF (a nullable u16's null, not a
 * value); BUSY when the pool is full.
 */
export function admitStaged(session: i32, candLen: i32, midLen: i32, mline: i32): u32 {
  if (candLen < 0 || candLen > CAND_LEN || midLen > MID_LEN) return RESOURCE_EXHAUSTED;
  if (mline > 0xfffe) return CONSTRAINT_ERROR;
  if (!validUtf8(CAND_STAGE, <u32>candLen) || (midLen > 0 && !validUtf8(MID_STAGE, <u32>midLen))) return CONSTRAINT_ERROR;
  let k = 0;
  while (k < MAX_CAND && candidateSlot(k).used) k++;
  if (k == MAX_CAND) return BUSY;
  const s = candidateSlot(k);
  s.session = <u16>session;
  s.used = true;
  // an empty SDPMid goes out as null: SDPMid has minLength 1, so a requestor refuses "" (CONSTRAINT_ERROR)
  s.midNull = midLen <= 0;
  s.mlineNull = mline < 0;
  s.midLen = <u8>(midLen < 0 ? 0 : midLen);
  s.mline = <u16>(mline < 0 ? 0 : mline);
  s.candidateLen = <u16>candLen;
  s.admitted = nextAdmission++;
  if (midLen > 0) memory.copy(s.midPtr, MID_STAGE, <usize>midLen);
  memory.copy(s.candidatePtr, CAND_STAGE, <usize>candLen);
  return SUCCESS;
}

/** Candidates of `session` still waiting. */
export function pendingOf(session: i32): i32 {
  let n = 0;
  for (let k = 0; k < MAX_CAND; k++) {
    const s = candidateSlot(k);
    if (s.used && <i32>s.session == session) n++;
  }
  return n;
}

export function freeSlots(): i32 {
  let n = 0;
  for (let k = 0; k < MAX_CAND; k++) if (!candidateSlot(k).used) n++;
  return n;
}

/** Releases every slot of a session (it ended, or is gone). */
export function dropSession(session: i32): void {
  for (let k = 0; k < MAX_CAND; k++) {
    const s = candidateSlot(k);
    if (s.used && <i32>s.session == session) s.used = false;
  }
}

/** Index of the oldest waiting slot of `session`, or -1. */
export function oldestOf(session: i32): i32 {
  let best = -1;
  let bestAdmitted: u32 = 0xffffffff;
  for (let k = 0; k < MAX_CAND; k++) {
    const s = candidateSlot(k);
    if (!s.used || <i32>s.session != session) continue;
    if (s.admitted < bestAdmitted) {
      best = k;
      bestAdmitted = s.admitted;
    }
  }
  return best;
}

export function resetCandidates(): void {
  memory.fill(POOL, 0, <usize>(MAX_CAND * SLOT_SIZE));
  nextAdmission = 1;
}
