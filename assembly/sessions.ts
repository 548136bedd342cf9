//! The session table: N_SESSIONS fixed rows, the id allocator, insertion order, and every change
//! of a row's state. Which command may make which change is the callers' rule, not this module's.
//!
//! A row is FREE, PENDING (reserved while a command's hook runs: it holds an id and a slot but is
//! invisible to reads and other commands) or live: AWAIT_DEFERRED, AWAIT_ANSWER, ESTABLISHED. A
//! live row is `busy` while a re-offer's or answer's hook runs; a re-offer's terms wait in `staged`.
//! Ids run from 1, wrap after 65534 (never 0xFFFF) and skip ids in use or in an End record.
//! Insertion order (CurrentSessions) is a sequence number given when a row goes live.

import { N_SESSIONS, END_CAP, MAX_LIST } from "./config";
import { KIND_AUDIO, KIND_VIDEO } from "./status";
import { addRef } from "./streams";
import { dropSession } from "./candidates";
import { findEnd } from "./ends";
import { pushEvent, EV_ADDED, EV_UPDATED, EV_REMOVED } from "./events";

/** Row states (the `sessionState` export). */
export const ST_FREE: u8 = 0;
export const ST_PENDING: u8 = 1;
export const ST_AWAIT_DEFERRED: u8 = 2;
export const ST_AWAIT_ANSWER: u8 = 3;
export const ST_ESTABLISHED: u8 = 4;

export function isLive(state: u8): bool {
  return state >= ST_AWAIT_DEFERRED;
}

/**
 * What a session carries, as its request settled it: usage, the peer's endpoint, MetadataEnabled,
 * which scalar stream ids the responses echo, and the stream lists (rev-2 VideoStreams /
 * AudioStreams, filled from the scalar ids too). The lists follow the fields, MAX_LIST u16 each.
 */
@unmanaged export class SessionTerms {
  /** The peer's OriginatingEndpointID. */
  endpoint: u16;
  usage: u8;
  metadataEnabled: bool;
  /** The request carried the scalar VideoStreamID / AudioStreamID, so the response echoes it. */
  echoVideo: bool;
  echoAudio: bool;
  videoCount: u8;
  audioCount: u8;

  get videoList(): usize {
    return changetype<usize>(this) + <usize>TERMS_HEAD;
  }
  get audioList(): usize {
    return changetype<usize>(this) + <usize>(TERMS_HEAD + LIST_BYTES);
  }
  videoAt(k: i32): i32 {
    return <i32>load<u16>(this.videoList + <usize>(k * 2));
  }
  audioAt(k: i32): i32 {
    return <i32>load<u16>(this.audioList + <usize>(k * 2));
  }
  setVideoAt(k: i32, id: i32): void {
    store<u16>(this.videoList + <usize>(k * 2), <u16>id);
  }
  setAudioAt(k: i32, id: i32): void {
    store<u16>(this.audioList + <usize>(k * 2), <u16>id);
  }
  /** First video / audio stream, or -1 (null in a response). */
  get firstVideo(): i32 {
    return this.videoCount > 0 ? this.videoAt(0) : -1;
  }
  get firstAudio(): i32 {
    return this.audioCount > 0 ? this.audioAt(0) : -1;
  }
  countOf(kind: i32): i32 {
    return kind == KIND_VIDEO ? <i32>this.videoCount : <i32>this.audioCount;
  }
  streamAt(kind: i32, k: i32): i32 {
    return kind == KIND_VIDEO ? this.videoAt(k) : this.audioAt(k);
  }
  /** The list of `kind` holds stream `id`. */
  names(kind: i32, id: i32): bool {
    const n = this.countOf(kind);
    for (let k = 0; k < n; k++) if (this.streamAt(kind, k) == id) return true;
    return false;
  }
  /** Copies `from`'s fields and the used part of its lists; list entries past the counts stay. */
  assign(from: SessionTerms): void {
    this.endpoint = from.endpoint;
    this.usage = from.usage;
    this.metadataEnabled = from.metadataEnabled;
    this.echoVideo = from.echoVideo;
    this.echoAudio = from.echoAudio;
    for (let k = 0; k < <i32>from.videoCount; k++) this.setVideoAt(k, from.videoAt(k));
    for (let k = 0; k < <i32>from.audioCount; k++) this.setAudioAt(k, from.audioAt(k));
    this.videoCount = from.videoCount;
    this.audioCount = from.audioCount;
  }
}
const LIST_BYTES: i32 = MAX_LIST * 2;
const TERMS_HEAD: i32 = (offsetof<SessionTerms>() + 1) & ~1;
export const TERMS_SIZE: i32 = (TERMS_HEAD + 2 * LIST_BYTES + 7) & ~7;

/** One row; its current terms and its staged terms follow the fields (`offsetof` is unpadded). */
@unmanaged export class SessionRow {
  peerNode: u64;
  /** Insertion order, given when the row goes live. */
  seq: u32;
  /** When an owed Offer is overdue, in the host's seconds. */
  deadline: u32;
  id: u16;
  state: u8;
  fabric: u8;
  /** A media hook for this live row runs (a re-offer or an answer). */
  busy: bool;
  /** `staged` holds a re-offer waiting for its hook (set together with `busy`). */
  reofferStaged: bool;
  /** The provider still owes an Offer (SolicitOffer) before `deadline`. */
  offerDue: bool;

  get terms(): SessionTerms {
    return changetype<SessionTerms>(changetype<usize>(this) + <usize>ROW_HEAD);
  }
  get staged(): SessionTerms {
    return changetype<SessionTerms>(changetype<usize>(this) + <usize>(ROW_HEAD + TERMS_SIZE));
  }
}
const ROW_HEAD: i32 = (offsetof<SessionRow>() + 7) & ~7;
const ROW_SIZE: i32 = ROW_HEAD + 2 * TERMS_SIZE;
const TABLE: usize = memory.data(N_SESSIONS * ROW_SIZE, 8);

let nextId: u32 = 1;
let nextSeq: u32 = 1;

export function row(i: i32): SessionRow {
  return changetype<SessionRow>(TABLE + <usize>(i * ROW_SIZE));
}
function clearRow(i: i32): void {
  memory.fill(changetype<usize>(row(i)), 0, <usize>ROW_SIZE);
}

// ── lookup ───────────────────────────────────────────────────────────────────────────────────
/** Index of the row holding `id` in any non-free state, or -1. */
export function findAny(id: i32): i32 {
  if (id <= 0) return -1;
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = row(i);
    if (r.state != ST_FREE && <i32>r.id == id) return i;
  }
  return -1;
}
/** Index of the live row `id`, or -1. */
export function findLive(id: i32): i32 {
  const i = findAny(id);
  return i >= 0 && isLive(row(i).state) ? i : -1;
}
/** Index of the live row `id` owned by (fabric, peer), or -1: another owner's session is not found. */
export function findOwned(id: i32, fabric: i32, peerNode: u64): i32 {
  const i = findAny(id);
  if (i < 0) return -1;
  const r = row(i);
  if (!isLive(r.state) || <i32>r.fabric != fabric || r.peerNode != peerNode) return -1;
  return i;
}
export function freeRow(): i32 {
  for (let i = 0; i < N_SESSIONS; i++) if (row(i).state == ST_FREE) return i;
  return -1;
}
export function liveCount(): i32 {
  let n = 0;
  for (let i = 0; i < N_SESSIONS; i++) if (isLive(row(i).state)) n++;
  return n;
}
/** Index of the live row with the smallest sequence number above `after`, or -1 (`fabric` 0: any). */
export function nextInOrder(after: u32, fabric: i32): i32 {
  let best = -1;
  let bestSeq: u32 = 0xffffffff;
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = row(i);
    if (!isLive(r.state)) continue;
    if (fabric != 0 && <i32>r.fabric != fabric) continue;
    if (r.seq > after && r.seq < bestSeq) {
      best = i;
      bestSeq = r.seq;
    }
  }
  return best;
}
/** Id of the k-th live session in insertion order (all fabrics), or -1. */
export function liveIdInOrder(k: i32): i32 {
  let seq: u32 = 0;
  for (let n = 0; n <= k && n < N_SESSIONS; n++) {
    const i = nextInOrder(seq, 0);
    if (i < 0) return -1;
    if (n == k) return <i32>row(i).id;
    seq = row(i).seq;
  }
  return -1;
}
/**
 * A reservation names stream `id`: a PENDING row or a staged re-offer, which take their stream
 * references only on commit, so the stream is in use already.
 */
export function reservedUse(kind: i32, id: i32): bool {
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = row(i);
    if (r.state == ST_PENDING) {
      if (r.terms.names(kind, id)) return true;
    } else if (isLive(r.state) && r.reofferStaged) {
      if (r.staged.names(kind, id)) return true;
    }
  }
  return false;
}

// ── ids ──────────────────────────────────────────────────────────────────────────────────────
function idInUse(id: u32): bool {
  return findAny(<i32>id) >= 0 || findEnd(<i32>id) >= 0;
}
/** Next session id: sequential, non-zero, never 0xFFFF, skipping ids in use; 0 if none is free. */
export function allocateId(): i32 {
  // At most N_SESSIONS + END_CAP ids are in use, so this ends within that many + 1 steps.
  for (let tries = 0; tries <= N_SESSIONS + END_CAP; tries++) {
    const c = nextId;
    nextId = c >= 0xfffe ? 1 : c + 1;
    if (!idInUse(c)) return <i32>c;
  }
  return 0;
}
export function peekNextId(): i32 {
  return <i32>nextId;
}
/** Test and host hook: where the allocator continues (1..0xFFFE), to exercise wrap-around. */
export function setNextId(v: i32): void {
  nextId = v < 1 || v > 0xfffe ? 1 : <u32>v;
}

// ── state changes ────────────────────────────────────────────────────────────────────────────
/** Adds (+1) or releases (-1) the stream references of a row's current terms. */
function holdStreams(r: SessionRow, delta: i32): void {
  const t = r.terms;
  for (let k = 0; k < <i32>t.videoCount; k++) addRef(KIND_VIDEO, t.videoAt(k), delta);
  for (let k = 0; k < <i32>t.audioCount; k++) addRef(KIND_AUDIO, t.audioAt(k), delta);
}
function goLive(r: SessionRow, state: u8): void {
  r.state = state;
  r.seq = nextSeq++;
  holdStreams(r, 1);
  pushEvent(EV_ADDED, <i32>r.id, 0, 0);
}

/** FREE → PENDING: row `i` holds `id` and the terms while the command's hook runs. */
export function reserve(i: i32, id: i32, fabric: i32, peerNode: u64, terms: SessionTerms): void {
  clearRow(i);
  const r = row(i);
  r.id = <u16>id;
  r.state = ST_PENDING;
  r.fabric = <u8>fabric;
  r.peerNode = peerNode;
  r.terms.assign(terms);
}
/** PENDING → AWAIT_DEFERRED / AWAIT_ANSWER (SolicitOffer): live, owing an Offer by `deadline`. */
export function goLiveOwingOffer(i: i32, deferred: bool, deadline: u32): void {
  const r = row(i);
  r.offerDue = true;
  r.deadline = deadline;
  goLive(r, deferred ? ST_AWAIT_DEFERRED : ST_AWAIT_ANSWER);
}
/** PENDING → ESTABLISHED (ProvideOffer of a new session). */
export function goLiveEstablished(i: i32): void {
  goLive(row(i), ST_ESTABLISHED);
}
/** The provider's Offer was snapshotted: the row awaits the answer and owes nothing. */
export function offerSent(i: i32): void {
  const r = row(i);
  r.state = ST_AWAIT_ANSWER;
  r.offerDue = false;
}
/** A re-offer's hook starts: its terms wait in `staged`. */
export function stageReoffer(i: i32, terms: SessionTerms): void {
  const r = row(i);
  r.staged.assign(terms);
  r.busy = true;
  r.reofferStaged = true;
}
/** The re-offer's hook succeeded: the staged terms replace the current ones, in place. */
export function applyReoffer(i: i32): void {
  const r = row(i);
  holdStreams(r, -1);
  memory.copy(changetype<usize>(r.terms), changetype<usize>(r.staged), <usize>TERMS_SIZE);
  r.busy = false;
  r.reofferStaged = false;
  r.offerDue = false;
  r.state = ST_ESTABLISHED;
  holdStreams(r, 1);
  pushEvent(EV_UPDATED, <i32>r.id, 0, 0);
}
/** An answer's hook starts. */
export function awaitAnswerHook(i: i32): void {
  row(i).busy = true;
}
/** The answer's hook succeeded: the session is established and owes nothing. */
export function answerApplied(i: i32): void {
  const r = row(i);
  r.state = ST_ESTABLISHED;
  r.busy = false;
  r.offerDue = false;
}
/** A re-offer's or an answer's hook failed: the row is as it was before the command. */
export function unstage(i: i32): void {
  const r = row(i);
  r.busy = false;
  r.reofferStaged = false;
}
/** A reservation is given up: the row is FREE again (it held no references yet). */
export function dropReservation(i: i32): void {
  clearRow(i);
}
/** Removes a row of any state; a live row releases its streams and reports the removal. */
export function removeRow(i: i32, reason: i32, cause: i32): void {
  const r = row(i);
  if (isLive(r.state)) {
    holdStreams(r, -1);
    pushEvent(EV_REMOVED, <i32>r.id, reason, cause);
  }
  dropSession(<i32>r.id);
  clearRow(i);
}

export function resetSessions(): void {
  memory.fill(TABLE, 0, <usize>(N_SESSIONS * ROW_SIZE));
  nextId = 1;
  nextSeq = 1;
}
