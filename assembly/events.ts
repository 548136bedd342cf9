//! Change events: what happened to the session table since the host last drained it.
//!
//! A row went live, a re-offer updated it, it was removed (with the End reason and who caused
//! it), an End was queued. The host reads them after every call and clears them; if it does not,
//! events past EVENT_CAP are dropped and `eventsLost` tells it to resync from the table.

import { N_SESSIONS, END_CAP } from "./config";

/** Event kinds (the `eventKind` export). */
export const EV_ADDED: i32 = 1;
export const EV_UPDATED: i32 = 2;
export const EV_REMOVED: i32 = 3;
export const EV_END_QUEUED: i32 = 4;
/** Why a row was removed (the `eventCause` export). */
export const CAUSE_PEER: i32 = 0;
export const CAUSE_PROVIDER: i32 = 1;
export const CAUSE_FABRIC: i32 = 2;

@unmanaged export class ChangeEvent {
  kind: u8;
  /** WebRTCEndReasonEnum of a removal or a queued End. */
  reason: u8;
  /** CAUSE_* of a removal. */
  cause: u8;
  session: u16;
}
const EVENT_SIZE: i32 = 8;
const EVENT_CAP: i32 = 2 * N_SESSIONS + END_CAP + 4;
const EVENTS: usize = memory.data(EVENT_CAP * EVENT_SIZE, 8);
let eventsStored: i32 = 0;
/** Events were dropped because the host did not drain them; it must resync. */
export let eventsLost: bool = false;

/** The i-th event since the last drain (0 <= i < eventCount()). */
export function event(i: i32): ChangeEvent {
  return changetype<ChangeEvent>(EVENTS + <usize>(i * EVENT_SIZE));
}

export function pushEvent(kind: i32, session: i32, reason: i32, cause: i32): void {
  if (eventsStored >= EVENT_CAP) {
    eventsLost = true;
    return;
  }
  const e = event(eventsStored);
  e.kind = <u8>kind;
  e.reason = <u8>reason;
  e.cause = <u8>cause;
  e.session = <u16>session;
  eventsStored++;
}

export function eventCount(): i32 {
  return eventsStored;
}

export function clearEvents(): void {
  eventsStored = 0;
  eventsLost = false;
}
