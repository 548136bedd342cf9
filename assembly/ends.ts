//! End records: the Ends the provider owes its peers, kept until the host snapshots them.
//!
//! When the camera ends a session itself (over capacity, privacy, offer timeout, media failure)
//! the row goes at once and a record keeps what the outbound End needs. A record's session id
//! stays in use until its End is sent, so the allocator does not hand it out again meanwhile.

import { END_CAP } from "./config";
import { pushEvent, EV_END_QUEUED } from "./events";

@unmanaged export class EndRecord {
  /** Session id; 0 marks a free record. */
  id: u16;
  fabric: u8;
  /** WebRTCEndReasonEnum. */
  reason: u8;
  /** The peer's endpoint the End is addressed to. */
  endpoint: u16;
  peerNode: u64;
}
const END_RECORD_SIZE: i32 = 16;
const ENDS: usize = memory.data(END_CAP * END_RECORD_SIZE, 8);

export function endRecord(i: i32): EndRecord {
  return changetype<EndRecord>(ENDS + <usize>(i * END_RECORD_SIZE));
}

/** Index of the record for session `id` (0: a free record), or -1. */
export function findEnd(id: i32): i32 {
  for (let i = 0; i < END_CAP; i++) if (<i32>endRecord(i).id == id) return i;
  return -1;
}

/** Index of a free record, or -1 when every record is taken. */
export function freeEnd(): i32 {
  return findEnd(0);
}

/** Ends waiting to be sent. */
export function pendingEnds(): i32 {
  let n = 0;
  for (let i = 0; i < END_CAP; i++) if (endRecord(i).id != 0) n++;
  return n;
}

/** Records an End to send and reports it; false when every record is taken. */
export function queueEnd(id: i32, fabric: i32, peerNode: u64, endpoint: i32, reason: i32): bool {
  const i = freeEnd();
  if (i < 0) return false;
  const e = endRecord(i);
  e.id = <u16>id;
  e.fabric = <u8>fabric;
  e.reason = <u8>reason;
  e.endpoint = <u16>endpoint;
  e.peerNode = peerNode;
  pushEvent(EV_END_QUEUED, id, reason, 0);
  return true;
}

/** The End was snapshotted (or can no longer be delivered): the record and its id are free. */
export function releaseEnd(i: i32): void {
  endRecord(i).id = 0;
}

/** A fabric left: its unsent Ends can reach no one. */
export function dropEndsOfFabric(fabric: i32): void {
  for (let i = 0; i < END_CAP; i++) {
    const e = endRecord(i);
    if (e.id != 0 && <i32>e.fabric == fabric) releaseEnd(i);
  }
}

export function resetEnds(): void {
  memory.fill(ENDS, 0, <usize>(END_CAP * END_RECORD_SIZE));
}
