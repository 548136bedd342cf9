//! The five provider commands: validation in the reference's order and the session state machine.
//!
//! Each command runs in two phases around the host's async media hook, because a hook may take a
//! while and other commands may arrive meanwhile:
//!
//! 1. `cmd*` decodes and validates the request and decides. On success it reserves what the hook
//!    will need (a PENDING row for a new session, a BUSY flag and staged values on a live one) and
//!    returns SUCCESS with an action: HOOK (run the hook, then commit or abort), RESPOND (the
//!    response is already in RESP: the over-capacity SolicitOffer) or DONE (nothing to run: a
//!    duplicate answer). Any other return value is the Matter status for the wire, and then
//!    nothing in the table has changed.
//! 2. `commit*` applies the reservation and encodes the response; `abortPending` undoes it when
//!    the hook failed. EndSession and ProvideICECandidates need no commit: the row is removed in
//!    phase 1 whatever the hook says, and candidates change no state.
//!
//! Order of checks (chip-reference-behavior.md §b): decode (INVALID_COMMAND) → data-model bounds
//! (CONSTRAINT_ERROR) → session lookup for existing ids (NOT_FOUND) → privacy (INVALID_IN_STATE) →
//! supported usage (DYNAMIC_CONSTRAINT_ERROR) → scalar/list exclusivity (INVALID_COMMAND) → stream
//! ids → stream lists → turns:/stuns: without UTC time → auto-selection → capacity.

import { N_SESSIONS, SDP_LEN, MAX_LIST, MAX_IN_CAND, MAX_POLICY_LEN, DEFERRED_OFFER_TIMEOUT_S } from "./config";
import {
  SUCCESS, INVALID_COMMAND, CONSTRAINT_ERROR, RESOURCE_EXHAUSTED, ALREADY_EXISTS, NOT_FOUND,
  INVALID_IN_STATE, DYNAMIC_CONSTRAINT_ERROR, KIND_VIDEO, KIND_AUDIO, USAGE_MAX, END_REASON_MAX,
  END_OUT_OF_RESOURCES, END_PRIVACY_MODE, END_INVITE_TIMEOUT, END_UNKNOWN_REASON,
} from "./status";
import {
  aHasUsage, aUsage, aHasEndpoint, aEndpoint, aHasVideoId, aVideoId, aHasAudioId, aAudioId,
  aHasVideoList, aVideoListCount, aHasAudioList, aAudioListCount, A_VIDEO_LIST, A_AUDIO_LIST,
  aHasMetadata, aMetadata, aHasPolicy, aPolicyLen, aSessionId, aSdpLen, aReason, aHasIce,
  aIceBoundsBroken, aIceSecureScheme, aCandCount, aCandEmptyMid,
  decodeOffer, decodeAnswer, decodeEnd, decodeCandidates,
} from "./request";
import {
  Row, row, rowPtr, isLive, findAny, findOwned, freeRow, allocateId, takeSeq, rowRefs, removeRow,
  endPush, endFree, dropEndsOfFabric, pushEvent, listSet, listAt,
  ST_PENDING, ST_AWAIT_DEFERRED, ST_AWAIT_ANSWER, ST_ESTABLISHED, ST_FREE,
  FLAG_METADATA, FLAG_BUSY, FLAG_ECHO_VIDEO, FLAG_ECHO_AUDIO, FLAG_OFFER_DUE, FLAG_REOFFER,
  L_VIDEO, L_AUDIO, L_SVIDEO, L_SAUDIO, ROW, EV_ADDED, EV_UPDATED, CAUSE_PEER, CAUSE_PROVIDER, CAUSE_FABRIC,
} from "./sessions";
import {
  streamCount, streamIndex, privacyBlocks, usageSupported, autoSelect, utcTimeNull, setPrivacyFlags,
} from "./streams";
import {
  encodeSolicitResponse, encodeProvideOfferResponse, rowFirstVideo, rowFirstAudio, respLength,
} from "./responses";
import { IN } from "./layout";

export const ACT_HOOK: i32 = 1;
export const ACT_RESPOND: i32 = 2;
export const ACT_DONE: i32 = 3;
/** What phase 1 decided: the session it concerns and what the host does next. */
export let actSession: i32 = 0;
export let actAction: i32 = 0;

// ── stream selection of the command being decided (copied into the row on reservation) ──
const SEL_VIDEO: usize = memory.data(MAX_LIST * 2, 4);
const SEL_AUDIO: usize = memory.data(MAX_LIST * 2, 4);
export let selVideoCount: i32 = 0;
export let selAudioCount: i32 = 0;
export function selVideoAt(k: i32): i32 { return <i32>load<u16>(SEL_VIDEO + <usize>(k * 2)); }
export function selAudioAt(k: i32): i32 { return <i32>load<u16>(SEL_AUDIO + <usize>(k * 2)); }

function decided(session: i32, action: i32): u32 {
  actSession = session;
  actAction = action;
  return SUCCESS;
}

/** Steps 1–5: enum range, mandatory stream fields, ICE server and policy bounds, list bounds. */
function dataModelChecks(requireStreams: bool): u32 {
  if (aHasUsage && aUsage > <i32>USAGE_MAX) return CONSTRAINT_ERROR;
  if (requireStreams && !aHasVideoId && !aHasAudioId && !aHasVideoList && !aHasAudioList) return INVALID_COMMAND;
  if (aHasIce && aIceBoundsBroken) return CONSTRAINT_ERROR;
  if (aHasPolicy && aPolicyLen > <u32>MAX_POLICY_LEN) return CONSTRAINT_ERROR;
  if (aHasVideoList && (aVideoListCount < 1 || aVideoListCount > MAX_LIST)) return CONSTRAINT_ERROR;
  if (aHasAudioList && (aAudioListCount < 1 || aAudioListCount > MAX_LIST)) return CONSTRAINT_ERROR;
  return SUCCESS;
}

/** ValidateStreamID: null needs something allocated (else IIS); an id must be allocated (else DCE). */
function validateScalar(kind: i32, has: bool, id: i32): u32 {
  if (!has) return SUCCESS;
  if (id < 0) return streamCount(kind) == 0 ? INVALID_IN_STATE : SUCCESS;
  return streamIndex(kind, id) < 0 ? DYNAMIC_CONSTRAINT_ERROR : SUCCESS;
}

/** ValidateStreams: nothing allocated → IIS, a duplicate → ALREADY_EXISTS, an unknown id → DCE. */
function validateList(kind: i32, has: bool, list: usize, n: i32): u32 {
  if (!has) return SUCCESS;
  if (streamCount(kind) == 0) return INVALID_IN_STATE;
  for (let a = 0; a < n; a++) {
    const id = <i32>load<u16>(list + <usize>(a * 2));
    for (let b = 0; b < a; b++) if (<i32>load<u16>(list + <usize>(b * 2)) == id) return ALREADY_EXISTS;
  }
  for (let a = 0; a < n; a++) {
    if (streamIndex(kind, <i32>load<u16>(list + <usize>(a * 2))) < 0) return DYNAMIC_CONSTRAINT_ERROR;
  }
  return SUCCESS;
}

function validateStreams(): u32 {
  let s = validateScalar(KIND_VIDEO, aHasVideoId, aVideoId);
  if (s != SUCCESS) return s;
  s = validateScalar(KIND_AUDIO, aHasAudioId, aAudioId);
  if (s != SUCCESS) return s;
  s = validateList(KIND_VIDEO, aHasVideoList, A_VIDEO_LIST, aVideoListCount);
  if (s != SUCCESS) return s;
  return validateList(KIND_AUDIO, aHasAudioList, A_AUDIO_LIST, aAudioListCount);
}

/** Resolves one kind into `sel`: the list as sent, the scalar id, or auto-selection for null. */
function resolveKind(kind: i32, usage: i32, hasId: bool, id: i32, hasList: bool, list: usize, n: i32, sel: usize): i32 {
  if (hasList) {
    memory.copy(sel, list, <usize>(n * 2));
    return n;
  }
  if (!hasId) return 0;
  const chosen = id >= 0 ? id : autoSelect(kind, usage);
  if (chosen < 0) return -1;
  store<u16>(sel, <u16>chosen);
  return 1;
}
/** ValidateStreamUsage: fills the selection; false when a requested kind has nothing to use. */
function resolveStreams(usage: i32): bool {
  const v = resolveKind(KIND_VIDEO, usage, aHasVideoId, aVideoId, aHasVideoList, A_VIDEO_LIST, aVideoListCount, SEL_VIDEO);
  const a = resolveKind(KIND_AUDIO, usage, aHasAudioId, aAudioId, aHasAudioList, A_AUDIO_LIST, aAudioListCount, SEL_AUDIO);
  if (v < 0 || a < 0) return false;
  selVideoCount = v;
  selAudioCount = a;
  return true;
}

function echoFlags(): u8 {
  let f: u8 = 0;
  if (aHasVideoId) f |= FLAG_ECHO_VIDEO;
  if (aHasAudioId) f |= FLAG_ECHO_AUDIO;
  if (aHasMetadata && aMetadata) f |= FLAG_METADATA;
  return f;
}

/** Writes the selection into a row's live (`staged` false) or staged lists. */
function storeSelection(i: i32, staged: bool): void {
  const r = row(i);
  for (let k = 0; k < selVideoCount; k++) listSet(i, staged ? L_SVIDEO : L_VIDEO, k, selVideoAt(k));
  for (let k = 0; k < selAudioCount; k++) listSet(i, staged ? L_SAUDIO : L_AUDIO, k, selAudioAt(k));
  if (staged) {
    r.sNVideo = <u8>selVideoCount;
    r.sNAudio = <u8>selAudioCount;
  } else {
    r.nVideo = <u8>selVideoCount;
    r.nAudio = <u8>selAudioCount;
  }
}

function reserve(i: i32, id: i32, fabric: i32, peer: u64): void {
  memory.fill(rowPtr(i), 0, <usize>ROW);
  const r = row(i);
  r.id = <u16>id;
  r.state = ST_PENDING;
  r.fabric = <u8>fabric;
  r.peerNode = peer;
  r.usage = <u8>aUsage;
  r.endpoint = <u16>aEndpoint;
  r.flags = echoFlags();
  storeSelection(i, false);
}

function goLive(i: i32, state: u8): void {
  const r = row(i);
  r.state = state;
  r.seq = takeSeq();
  rowRefs(i, 1);
  pushEvent(EV_ADDED, <i32>r.id, 0, 0);
}

// ── SolicitOffer ─────────────────────────────────────────────────────────────────────────────
export function cmdSolicitOffer(len: i32, fabric: i32, peer: u64): u32 {
  let s = decodeOffer(IN, len, false);
  if (s != SUCCESS) return s;
  s = dataModelChecks(true);
  if (s != SUCCESS) return s;
  if (privacyBlocks(aUsage)) return INVALID_IN_STATE;
  if (!usageSupported(aUsage)) return DYNAMIC_CONSTRAINT_ERROR;
  if ((aHasVideoList || aHasAudioList) && (aHasVideoId || aHasAudioId)) return INVALID_COMMAND;
  s = validateStreams();
  if (s != SUCCESS) return s;
  if (aHasIce && aIceSecureScheme && utcTimeNull) return INVALID_IN_STATE;
  if (!resolveStreams(aUsage)) return DYNAMIC_CONSTRAINT_ERROR;

  const slot = freeRow();
  if (slot < 0) {
    // Over capacity the reference still answers SUCCESS and then sends End(OutOfResources)
    // (TC_WEBRTCP_2_12). That needs an End record; only when those are all taken is it refused.
    if (endFree() < 0) return RESOURCE_EXHAUSTED;
    const id = allocateId();
    if (id == 0) return RESOURCE_EXHAUSTED;
    endPush(id, fabric, peer, aEndpoint, END_OUT_OF_RESOURCES);
    encodeSolicitResponse(id, false, echoFlags(),
      selVideoCount > 0 ? selVideoAt(0) : -1, selAudioCount > 0 ? selAudioAt(0) : -1);
    return decided(id, ACT_RESPOND);
  }
  const id = allocateId();
  if (id == 0) return RESOURCE_EXHAUSTED;
  reserve(slot, id, fabric, peer);
  return decided(id, ACT_HOOK);
}

/** The SolicitOffer hook succeeded: the session goes live, owing an Offer within 30 s. */
export function commitSolicitOffer(id: i32, deferred: bool, nowS: u32): u32 {
  const i = findAny(id);
  if (i < 0 || row(i).state != ST_PENDING) return NOT_FOUND;
  const r = row(i);
  r.flags |= FLAG_OFFER_DUE;
  r.deadline = nowS + DEFERRED_OFFER_TIMEOUT_S;
  goLive(i, deferred ? ST_AWAIT_DEFERRED : ST_AWAIT_ANSWER);
  encodeSolicitResponse(id, deferred, r.flags, rowFirstVideo(i), rowFirstAudio(i));
  return respLength < 0 ? RESOURCE_EXHAUSTED : SUCCESS;
}

// ── ProvideOffer ─────────────────────────────────────────────────────────────────────────────
export function cmdProvideOffer(len: i32, fabric: i32, peer: u64): u32 {
  let s = decodeOffer(IN, len, true);
  if (s != SUCCESS) return s;
  const isNew = aSessionId < 0;
  s = dataModelChecks(isNew);
  if (s != SUCCESS) return s;
  if (aSdpLen > <u32>SDP_LEN) return RESOURCE_EXHAUSTED;

  if (!isNew) {
    // Re-offer: only the owner's live session; no privacy, usage or capacity checks.
    const i = findOwned(aSessionId, fabric, peer);
    if (i < 0) return NOT_FOUND;
    const r = row(i);
    if (r.flags & FLAG_BUSY) return INVALID_IN_STATE;
    const usage = aHasUsage ? aUsage : <i32>r.usage;
    const anyStream = aHasVideoId || aHasAudioId || aHasVideoList || aHasAudioList;
    if (anyStream) {
      if ((aHasVideoList || aHasAudioList) && (aHasVideoId || aHasAudioId)) return INVALID_COMMAND;
      s = validateStreams();
      if (s != SUCCESS) return s;
      if (!resolveStreams(usage)) return RESOURCE_EXHAUSTED;
    } else {
      selVideoCount = <i32>r.nVideo;
      selAudioCount = <i32>r.nAudio;
      for (let k = 0; k < selVideoCount; k++) store<u16>(SEL_VIDEO + <usize>(k * 2), <u16>listAt(i, L_VIDEO, k));
      for (let k = 0; k < selAudioCount; k++) store<u16>(SEL_AUDIO + <usize>(k * 2), <u16>listAt(i, L_AUDIO, k));
    }
    r.sUsage = <u8>usage;
    r.sEndpoint = aHasEndpoint ? <u16>aEndpoint : r.endpoint;
    // MetadataEnabled is a new-session field: a re-offer without it keeps the session's value
    r.sFlags = aHasMetadata ? echoFlags() : echoFlags() | (r.flags & FLAG_METADATA);
    storeSelection(i, true);
    r.flags |= FLAG_BUSY | FLAG_REOFFER;
    return decided(aSessionId, ACT_HOOK);
  }

  if (privacyBlocks(aUsage)) return INVALID_IN_STATE;
  if (!usageSupported(aUsage)) return DYNAMIC_CONSTRAINT_ERROR;
  if ((aHasVideoList || aHasAudioList) && (aHasVideoId || aHasAudioId)) return INVALID_COMMAND;
  s = validateStreams();
  if (s != SUCCESS) return s;
  // ProvideOffer reports a failed ValidateStreamUsage as RESOURCE_EXHAUSTED (SolicitOffer: DCE)
  if (!resolveStreams(aUsage)) return RESOURCE_EXHAUSTED;
  if (aHasIce && aIceSecureScheme && utcTimeNull) return INVALID_IN_STATE;
  const slot = freeRow();
  if (slot < 0) return RESOURCE_EXHAUSTED;
  const id = allocateId();
  if (id == 0) return RESOURCE_EXHAUSTED;
  reserve(slot, id, fabric, peer);
  return decided(id, ACT_HOOK);
}

/** The offer hook succeeded: a new session goes live, a re-offer replaces the row in place. */
export function commitProvideOffer(id: i32): u32 {
  const i = findAny(id);
  if (i < 0) return NOT_FOUND;
  const r = row(i);
  if (r.state == ST_PENDING) {
    goLive(i, ST_ESTABLISHED);
  } else if (isLive(r.state) && (r.flags & FLAG_REOFFER)) {
    rowRefs(i, -1);
    r.usage = r.sUsage;
    r.endpoint = r.sEndpoint;
    r.flags = r.sFlags; // BUSY, REOFFER and OFFER_DUE all end here
    r.nVideo = r.sNVideo;
    r.nAudio = r.sNAudio;
    memory.copy(rowPtr(i) + <usize>L_VIDEO, rowPtr(i) + <usize>L_SVIDEO, <usize>(MAX_LIST * 2));
    memory.copy(rowPtr(i) + <usize>L_AUDIO, rowPtr(i) + <usize>L_SAUDIO, <usize>(MAX_LIST * 2));
    r.state = ST_ESTABLISHED;
    rowRefs(i, 1);
    pushEvent(EV_UPDATED, id, 0, 0);
  } else {
    return INVALID_IN_STATE;
  }
  encodeProvideOfferResponse(id, r.flags, rowFirstVideo(i), rowFirstAudio(i));
  return respLength < 0 ? RESOURCE_EXHAUSTED : SUCCESS;
}

// ── ProvideAnswer ────────────────────────────────────────────────────────────────────────────
export function cmdProvideAnswer(len: i32, fabric: i32, peer: u64): u32 {
  const s = decodeAnswer(IN, len);
  if (s != SUCCESS) return s;
  if (aSdpLen > <u32>SDP_LEN) return RESOURCE_EXHAUSTED;
  const i = findOwned(aSessionId, fabric, peer);
  if (i < 0) return NOT_FOUND;
  const r = row(i);
  // The reference camera accepts and ignores an answer it is not waiting for (a duplicate).
  if (r.state == ST_ESTABLISHED || (r.flags & FLAG_BUSY)) return decided(aSessionId, ACT_DONE);
  r.flags |= FLAG_BUSY;
  return decided(aSessionId, ACT_HOOK);
}

export function commitProvideAnswer(id: i32): u32 {
  const i = findAny(id);
  if (i < 0 || !isLive(row(i).state)) return NOT_FOUND;
  const r = row(i);
  if ((r.flags & FLAG_BUSY) == 0 || (r.flags & FLAG_REOFFER)) return INVALID_IN_STATE;
  r.state = ST_ESTABLISHED;
  r.flags &= ~(FLAG_BUSY | FLAG_OFFER_DUE);
  return SUCCESS;
}

/** The hook failed: a reserved row is freed, a staged re-offer or answer is dropped. */
export function abortPending(id: i32): u32 {
  const i = findAny(id);
  if (i < 0) return NOT_FOUND;
  const r = row(i);
  if (r.state == ST_PENDING) {
    memory.fill(rowPtr(i), 0, <usize>ROW);
    return SUCCESS;
  }
  if (r.flags & FLAG_BUSY) {
    r.flags &= ~(FLAG_BUSY | FLAG_REOFFER);
    return SUCCESS;
  }
  return INVALID_IN_STATE;
}

// ── ProvideICECandidates ─────────────────────────────────────────────────────────────────────
export function cmdProvideIceCandidates(len: i32, fabric: i32, peer: u64): u32 {
  const s = decodeCandidates(IN, len);
  if (s != SUCCESS) return s;
  if (aCandEmptyMid) return CONSTRAINT_ERROR;
  if (aCandCount == 0) return CONSTRAINT_ERROR;
  if (aCandCount > MAX_IN_CAND) return RESOURCE_EXHAUSTED;
  if (findOwned(aSessionId, fabric, peer) < 0) return NOT_FOUND;
  return decided(aSessionId, ACT_HOOK);
}

// ── EndSession ───────────────────────────────────────────────────────────────────────────────
export function cmdEndSession(len: i32, fabric: i32, peer: u64): u32 {
  const s = decodeEnd(IN, len);
  if (s != SUCCESS) return s;
  if (aReason > <i32>END_REASON_MAX) return CONSTRAINT_ERROR;
  const i = findOwned(aSessionId, fabric, peer);
  if (i < 0) return NOT_FOUND;
  // The row goes now, whatever the hook later says (the reference's RemoveSession always runs).
  removeRow(i, aReason, CAUSE_PEER);
  return decided(aSessionId, ACT_HOOK);
}

// ── provider-side changes ────────────────────────────────────────────────────────────────────
/** The camera ends a live session itself: the row goes and an End is queued for the peer. */
export function endByProvider(id: i32, reason: i32): u32 {
  if (reason < 0 || reason > <i32>END_REASON_MAX) return CONSTRAINT_ERROR;
  const i = findAny(id);
  if (i < 0 || !isLive(row(i).state)) return NOT_FOUND;
  const r = row(i);
  const fabric = <i32>r.fabric;
  const peer = r.peerNode;
  const endpoint = <i32>r.endpoint;
  removeRow(i, reason, CAUSE_PROVIDER);
  return endPush(id, fabric, peer, endpoint, reason) ? SUCCESS : RESOURCE_EXHAUSTED;
}

/** Ends every session whose Offer is overdue (deadline reached); returns how many. */
export function expireOffers(nowS: u32): i32 {
  let n = 0;
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = row(i);
    if (!isLive(r.state) || (r.flags & FLAG_OFFER_DUE) == 0) continue;
    if (<i32>(nowS - r.deadline) >= 0) {
      endByProvider(<i32>r.id, END_INVITE_TIMEOUT);
      n++;
    }
  }
  return n;
}

/** An Offer snapshot was taken for row `i`: it now awaits the answer and owes nothing. */
export function offerSent(i: i32): void {
  const r = row(i);
  r.state = ST_AWAIT_ANSWER;
  r.flags &= ~FLAG_OFFER_DUE;
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
    if (r.state == ST_FREE || !privacyBlocks(<i32>r.usage)) continue;
    if (r.state == ST_PENDING) {
      memory.fill(rowPtr(i), 0, <usize>ROW);
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
