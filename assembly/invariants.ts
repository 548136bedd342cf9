//! The table's invariants, checked on demand (`selfCheck`) by the tests and the fuzzer.
//!
//! Each broken invariant has a number, so a failure names which one: ids valid and unique, no id
//! both in a row and in an End record, states in range, list counts within MAX_LIST, rows owned by
//! a fabric, nothing reserved between calls, live rows ordered and holding a stream, every stream
//! reference count equal to the live lists naming it, no event lost, no candidate orphaned.

import { N_SESSIONS, MAX_LIST, MAX_CAND } from "./config";
import { row, isLive, ST_FREE, ST_PENDING, ST_ESTABLISHED } from "./sessions";
import { findEnd } from "./ends";
import { eventsLost } from "./events";
import { freeSlots, pendingOf } from "./candidates";
import { streamCount, streamIdAt, streamRefsAt } from "./streams";

/**
 * 0 when the invariants hold, else the number of the first one broken. `quiescent`: no command
 * is between its phase 1 and its commit, so nothing may be reserved.
 */
export function selfCheck(quiescent: bool): i32 {
  let lastSeqSeen: u32 = 0;
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = row(i);
    if (r.state == ST_FREE) continue;
    const id = <i32>r.id;
    const t = r.terms;
    if (id <= 0 || id >= 0xffff) return 1;
    for (let j = 0; j < i; j++) if (row(j).state != ST_FREE && <i32>row(j).id == id) return 2;
    if (findEnd(id) >= 0) return 3;
    if (r.state > ST_ESTABLISHED) return 4;
    if (<i32>t.videoCount > MAX_LIST || <i32>t.audioCount > MAX_LIST) return 5;
    if (r.fabric == 0) return 6;
    if (quiescent && (r.state == ST_PENDING || r.busy)) return 7;
    if (isLive(r.state)) {
      if (r.seq == 0) return 8;
      for (let j = 0; j < i; j++) if (isLive(row(j).state) && row(j).seq == r.seq) return 9;
      if (<i32>t.videoCount + <i32>t.audioCount == 0) return 10;
      if (r.seq > lastSeqSeen) lastSeqSeen = r.seq;
    }
  }
  // every reference count equals the number of live list entries naming that stream
  for (let kind = 0; kind < 2; kind++) {
    for (let s = 0; s < streamCount(kind); s++) {
      const sid = streamIdAt(kind, s);
      let n = 0;
      for (let i = 0; i < N_SESSIONS; i++) {
        const r = row(i);
        if (!isLive(r.state)) continue;
        const t = r.terms;
        const count = t.countOf(kind);
        for (let k = 0; k < count; k++) if (t.streamAt(kind, k) == sid) n++;
      }
      if (n != streamRefsAt(kind, s)) return 11;
    }
  }
  if (eventsLost) return 12;
  // waiting candidates belong to live sessions
  if (freeSlots() + liveCandidates() != MAX_CAND) return 13;
  return 0;
}

function liveCandidates(): i32 {
  let n = 0;
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = row(i);
    if (isLive(r.state)) n += pendingOf(<i32>r.id);
  }
  return n;
}
