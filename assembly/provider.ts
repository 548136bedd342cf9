//! Changes the camera makes on its own, not asked by a peer's command: it ends a session, an owed
//! Offer comes too late, the privacy switches change, a fabric leaves, a stream is deallocated.
//!
//! A session the provider ends leaves the table at once and an End record is queued for its peer
//! (`ends.ts`); the host sends it from `snapEnd`.

import { N_SESSIONS } from "./config";
import {
  SUCCESS, CONSTRAINT_ERROR, NOT_FOUND, RESOURCE_EXHAUSTED, INVALID_IN_STATE, KIND_VIDEO, KIND_AUDIO,
  END_REASON_MAX, END_INVITE_TIMEOUT, END_PRIVACY_MODE, END_UNKNOWN_REASON,
} from "./status";
import { row, findLive, isLive, removeRow, dropReservation, reservedUse, ST_FREE, ST_PENDING } from "./sessions";
import { queueEnd, dropEndsOfFabric } from "./ends";
import { CAUSE_PROVIDER, CAUSE_FABRIC } from "./events";
import { privacyBlocks, setPrivacyFlags, removeStream as unregisterStream } from "./streams";

/** The camera ends a live session itself: the row goes and an End is queued for the peer. */
export function endByProvider(id: i32, reason: i32): u32 {
  if (reason < 0 || reason > <i32>END_REASON_MAX) return CONSTRAINT_ERROR;
  const i = findLive(id);
  if (i < 0) return NOT_FOUND;
  const r = row(i);
  const fabric = <i32>r.fabric;
  const peerNode = r.peerNode;
  const endpoint = <i32>r.terms.endpoint;
  removeRow(i, reason, CAUSE_PROVIDER);
  return queueEnd(id, fabric, peerNode, endpoint, reason) ? SUCCESS : RESOURCE_EXHAUSTED;
}

/** Ends every session whose owed Offer is overdue (deadline reached); returns how many. */
export function expireOffers(nowS: u32): i32 {
  let n = 0;
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = row(i);
    if (!isLive(r.state) || !r.offerDue) continue;
    if (<i32>(nowS - r.deadline) >= 0) {
      endByProvider(<i32>r.id, END_INVITE_TIMEOUT);
      n++;
    }
  }
  return n;
}

/**
 * Privacy switches changed: sessions the new mode forbids end with End(PrivacyMode); reserved
 * rows it forbids are dropped (their commit then reports NOT_FOUND). Returns how many ended.
 */
export function setPrivacy(hard: bool, softRecording: bool, softLivestream: bool): i32 {
  setPrivacyFlags(hard, softRecording, softLivestream);
  let n = 0;
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = row(i);
    if (r.state == ST_FREE || !privacyBlocks(<i32>r.terms.usage)) continue;
    if (r.state == ST_PENDING) {
      dropReservation(i);
    } else {
      endByProvider(<i32>r.id, END_PRIVACY_MODE);
      n++;
    }
  }
  return n;
}

/** A fabric left: its rows (live or reserved) and unsent Ends go; nothing can reach it now. */
export function removeFabric(fabric: i32): i32 {
  let n = 0;
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = row(i);
    if (r.state == ST_FREE || <i32>r.fabric != fabric) continue;
    removeRow(i, END_UNKNOWN_REASON, CAUSE_FABRIC);
    n++;
  }
  dropEndsOfFabric(fabric);
  return n;
}

/**
 * A stream is deallocated: INVALID_IN_STATE while a session uses it, a live one or a reservation
 * (a PENDING row or a staged re-offer takes its references only on commit).
 */
export function removeStream(kind: i32, id: i32): u32 {
  if ((kind == KIND_VIDEO || kind == KIND_AUDIO) && reservedUse(kind, id)) return INVALID_IN_STATE;
  return unregisterStream(kind, id);
}
