//! Stream context: what CameraAvStreamManagement tells the provider, and the reference counts
//! the provider's sessions hold on it.
//!
//! The host (the CameraAvStreamManagement behavior) mirrors its AllocatedVideoStreams /
//! AllocatedAudioStreams (id and stream usage), StreamUsagePriorities, the three privacy switches
//! and whether Time Synchronization's UTCTime is null. The provider reads this for the checks the
//! reference runs (privacy, supported usage, stream ids, auto-selection, turns:/stuns:) and keeps,
//! per stream, how many sessions use it. A stream in use cannot be removed, so a count can never
//! point at a stream that is gone. Capacity is MAX_STREAMS per kind.

import { MAX_STREAMS } from "./config";
import { ALREADY_EXISTS, INVALID_IN_STATE, NOT_FOUND, RESOURCE_EXHAUSTED, SUCCESS, CONSTRAINT_ERROR, USAGE_MAX } from "./status";

// Registry entry: id u16 @0, usage u8 @2, pad u8, refs u32 @4 — 8 bytes; kind k at REG + k*MAX_STREAMS*8.
const ENTRY: i32 = 8;
const REG: usize = memory.data(2 * MAX_STREAMS * ENTRY, 8);
const COUNTS: usize = memory.data(8, 4);
const PRIORITIES: usize = memory.data(4, 4);
let priorityCount: i32 = 0;

export let hardPrivacy: bool = false;
export let softRecordingPrivacy: bool = false;
export let softLivestreamPrivacy: bool = false;
export let utcTimeNull: bool = false;
/** Set whenever a reference count changes; the host reads and clears it. */
export let refsChanged: bool = false;

function entry(kind: i32, i: i32): usize {
  return REG + <usize>((kind * MAX_STREAMS + i) * ENTRY);
}
export function streamCount(kind: i32): i32 {
  return load<i32>(COUNTS + <usize>(kind * 4));
}
function setCount(kind: i32, n: i32): void {
  store<i32>(COUNTS + <usize>(kind * 4), n);
}
export function streamIdAt(kind: i32, i: i32): i32 {
  return <i32>load<u16>(entry(kind, i));
}
export function streamUsageAt(kind: i32, i: i32): i32 {
  return <i32>load<u8>(entry(kind, i), 2);
}
export function streamRefsAt(kind: i32, i: i32): i32 {
  return <i32>load<u32>(entry(kind, i), 4);
}
export function streamIndex(kind: i32, id: i32): i32 {
  const n = streamCount(kind);
  for (let i = 0; i < n; i++) if (streamIdAt(kind, i) == id) return i;
  return -1;
}

export function addStream(kind: i32, id: i32, usage: i32): u32 {
  if (kind < 0 || kind > 1 || id < 0 || id > 0xffff || usage < 0 || usage > <i32>USAGE_MAX) return CONSTRAINT_ERROR;
  if (streamIndex(kind, id) >= 0) return ALREADY_EXISTS;
  const n = streamCount(kind);
  if (n >= MAX_STREAMS) return RESOURCE_EXHAUSTED;
  const e = entry(kind, n);
  store<u16>(e, <u16>id);
  store<u8>(e, <u8>usage, 2);
  store<u32>(e, 0, 4);
  setCount(kind, n + 1);
  return SUCCESS;
}

/** Removes an allocated stream; refused with INVALID_IN_STATE while a session references it. */
export function removeStream(kind: i32, id: i32): u32 {
  if (kind < 0 || kind > 1) return CONSTRAINT_ERROR;
  const i = streamIndex(kind, id);
  if (i < 0) return NOT_FOUND;
  if (streamRefsAt(kind, i) > 0) return INVALID_IN_STATE;
  const n = streamCount(kind);
  // keep allocation order: shift the tail down
  memory.copy(entry(kind, i), entry(kind, i + 1), <usize>((n - i - 1) * ENTRY));
  setCount(kind, n - 1);
  return SUCCESS;
}

/** Adds `delta` to the reference count of stream `id`; ids not in the registry are ignored. */
export function addRef(kind: i32, id: i32, delta: i32): void {
  const i = streamIndex(kind, id);
  if (i < 0) return;
  const e = entry(kind, i);
  const refs = <i32>load<u32>(e, 4) + delta;
  store<u32>(e, <u32>(refs < 0 ? 0 : refs), 4);
  refsChanged = true;
}

export function clearRefsChanged(): void {
  refsChanged = false;
}

/** StreamUsagePriorities as up to four distinct usages packed one per byte, lowest byte first. */
export function setPriorities(count: i32, packed: u32): u32 {
  if (count < 0 || count > 4) return CONSTRAINT_ERROR;
  let seen: u32 = 0;
  for (let i = 0; i < count; i++) {
    const u = (packed >> (<u32>i * 8)) & 0xff;
    if (u > <u32>USAGE_MAX) return CONSTRAINT_ERROR;
    if (seen & (1 << u)) return ALREADY_EXISTS;
    seen |= 1 << u;
  }
  store<u32>(PRIORITIES, packed);
  priorityCount = count;
  return SUCCESS;
}
export function priorityCountGet(): i32 {
  return priorityCount;
}
export function priorityAt(i: i32): i32 {
  return <i32>load<u8>(PRIORITIES + <usize>i);
}
export function usageSupported(usage: i32): bool {
  for (let i = 0; i < priorityCount; i++) if (priorityAt(i) == usage) return true;
  return false;
}

export function setPrivacyFlags(hard: bool, softRecording: bool, softLivestream: bool): void {
  hardPrivacy = hard;
  softRecordingPrivacy = softRecording;
  softLivestreamPrivacy = softLivestream;
}
export function setUtcTimeNull(isNull: bool): void {
  utcTimeNull = isNull;
}

/** True when privacy forbids a session of this usage (the reference's CheckPrivacyModes). */
export function privacyBlocks(usage: i32): bool {
  if (hardPrivacy) return true;
  if (softLivestreamPrivacy && usage == 3) return true;
  if (softRecordingPrivacy && (usage == 1 || usage == 2)) return true;
  return false;
}

/**
 * Auto-selection for a kind requested without an explicit id: an allocated stream whose usage
 * matches exactly, else the first allocated one (the camera app's loose match). -1 if none.
 */
export function autoSelect(kind: i32, usage: i32): i32 {
  const n = streamCount(kind);
  for (let i = 0; i < n; i++) if (streamUsageAt(kind, i) == usage) return streamIdAt(kind, i);
  return n > 0 ? streamIdAt(kind, 0) : -1;
}

export function resetStreams(): void {
  setCount(0, 0);
  setCount(1, 0);
  priorityCount = 0;
  store<u32>(PRIORITIES, 0);
  hardPrivacy = false;
  softRecordingPrivacy = false;
  softLivestreamPrivacy = false;
  utcTimeNull = false;
  refsChanged = false;
}
