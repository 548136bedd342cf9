//! Stream context: what CameraAvStreamManagement tells the provider, and the references the
//! provider's sessions hold on its streams.
//!
//! The host mirrors the allocated video and audio streams (id and usage, MAX_STREAMS per kind),
//! StreamUsagePriorities, the three privacy switches and whether UTCTime is null. The command
//! checks read them (privacy, supported usage, stream ids, auto-selection, turns:/stuns:). Each
//! stream counts the live sessions using it; a stream in use cannot be removed, so a count never
//! points at a stream that is gone.

import { MAX_STREAMS } from "./config";
import {
  ALREADY_EXISTS, INVALID_IN_STATE, NOT_FOUND, RESOURCE_EXHAUSTED, SUCCESS, CONSTRAINT_ERROR, USAGE_MAX,
  USAGE_RECORDING, USAGE_ANALYSIS, USAGE_LIVE_VIEW, KIND_VIDEO, KIND_AUDIO,
} from "./status";

/** One allocated stream; kind k's entries start at REGISTRY + k * MAX_STREAMS entries. */
@unmanaged export class StreamEntry {
  id: u16;
  usage: u8;
  /** Live sessions whose lists name this stream. */
  references: u32;
}
const ENTRY_SIZE: i32 = 8;
const REGISTRY: usize = memory.data(2 * MAX_STREAMS * ENTRY_SIZE, 8);
/** Allocated streams per kind: two i32. */
const COUNTS: usize = memory.data(8, 4);
/** StreamUsagePriorities: up to four usages, one per byte, most preferred first. */
const PRIORITIES: usize = memory.data(4, 4);
let priorityCount: i32 = 0;

export let hardPrivacy: bool = false;
export let softRecordingPrivacy: bool = false;
export let softLivestreamPrivacy: bool = false;
export let utcTimeNull: bool = false;
/** Set whenever a reference count changes; the host reads and clears it. */
export let refsChanged: bool = false;

function isKind(kind: i32): bool {
  return kind == KIND_VIDEO || kind == KIND_AUDIO;
}
/** The i-th allocated stream of a kind, in allocation order. */
export function streamAt(kind: i32, i: i32): StreamEntry {
  return changetype<StreamEntry>(REGISTRY + <usize>((kind * MAX_STREAMS + i) * ENTRY_SIZE));
}
export function streamCount(kind: i32): i32 {
  return load<i32>(COUNTS + <usize>(kind * 4));
}
function setCount(kind: i32, n: i32): void {
  store<i32>(COUNTS + <usize>(kind * 4), n);
}
export function streamIdAt(kind: i32, i: i32): i32 {
  return <i32>streamAt(kind, i).id;
}
export function streamUsageAt(kind: i32, i: i32): i32 {
  return <i32>streamAt(kind, i).usage;
}
export function streamRefsAt(kind: i32, i: i32): i32 {
  return <i32>streamAt(kind, i).references;
}
/** Index of stream `id` of a kind, or -1. */
export function streamIndex(kind: i32, id: i32): i32 {
  const n = streamCount(kind);
  for (let i = 0; i < n; i++) if (streamIdAt(kind, i) == id) return i;
  return -1;
}
/** Allocated streams of a kind; 0 for a kind that does not exist. */
export function streamCountOf(kind: i32): i32 {
  return isKind(kind) ? streamCount(kind) : 0;
}
/** Sessions referencing stream `id`, or -1 when it is not allocated (or the kind does not exist). */
export function referencesOf(kind: i32, id: i32): i32 {
  if (!isKind(kind)) return -1;
  const i = streamIndex(kind, id);
  return i < 0 ? -1 : streamRefsAt(kind, i);
}

export function addStream(kind: i32, id: i32, usage: i32): u32 {
  if (kind < 0 || kind > 1 || id < 0 || id > 0xffff || usage < 0 || usage > <i32>USAGE_MAX) return CONSTRAINT_ERROR;
  if (streamIndex(kind, id) >= 0) return ALREADY_EXISTS;
  const n = streamCount(kind);
  if (n >= MAX_STREAMS) return RESOURCE_EXHAUSTED;
  const e = streamAt(kind, n);
  e.id = <u16>id;
  e.usage = <u8>usage;
  e.references = 0;
  setCount(kind, n + 1);
  return SUCCESS;
}

/**
 * Removes an allocated stream; INVALID_IN_STATE while a live session references it. (Streams a
 * reservation names are the session table's to know: `provider.ts` asks it first.)
 */
export function removeStream(kind: i32, id: i32): u32 {
  if (kind < 0 || kind > 1) return CONSTRAINT_ERROR;
  const i = streamIndex(kind, id);
  if (i < 0) return NOT_FOUND;
  if (streamRefsAt(kind, i) > 0) return INVALID_IN_STATE;
  const n = streamCount(kind);
  // keep allocation order: shift the tail down
  memory.copy(changetype<usize>(streamAt(kind, i)), changetype<usize>(streamAt(kind, i + 1)), <usize>((n - i - 1) * ENTRY_SIZE));
  setCount(kind, n - 1);
  return SUCCESS;
}

/** Adds `delta` to the reference count of stream `id`; ids not in the registry are ignored. */
export function addRef(kind: i32, id: i32, delta: i32): void {
  const i = streamIndex(kind, id);
  if (i < 0) return;
  const e = streamAt(kind, i);
  const refs = <i32>e.references + delta;
  e.references = <u32>(refs < 0 ? 0 : refs);
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
/** The camera supports a usage when StreamUsagePriorities lists it. */
export function usageSupported(usage: i32): bool {
  for (let i = 0; i < priorityCount; i++) if (<i32>load<u8>(PRIORITIES + <usize>i) == usage) return true;
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
  if (softLivestreamPrivacy && usage == <i32>USAGE_LIVE_VIEW) return true;
  if (softRecordingPrivacy && (usage == <i32>USAGE_RECORDING || usage == <i32>USAGE_ANALYSIS)) return true;
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
  setCount(KIND_VIDEO, 0);
  setCount(KIND_AUDIO, 0);
  priorityCount = 0;
  store<u32>(PRIORITIES, 0);
  hardPrivacy = false;
  softRecordingPrivacy = false;
  softLivestreamPrivacy = false;
  utcTimeNull = false;
  refsChanged = false;
}
