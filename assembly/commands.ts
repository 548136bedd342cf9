//! The five provider commands: admission, the reference's order of checks, and which change of the
//! session table each outcome makes.
//!
//! Each runs in two phases around the host's async media hook. Phase 1 (`solicitOffer` …
//! `endSession`) decides; on success it reserves what the hook needs (a PENDING row, or staged
//! terms on a `busy` live row) and sets `decision`: HOOK (run the hook, then `commit*` or
//! `abortPending`), RESPOND (RESP holds the answer: SolicitOffer over capacity) or DONE (a
//! duplicate answer). Any other return is the status for the wire, with the table unchanged.
//!
//! Order of checks (chip-reference-behavior.md §b): admission (RESOURCE_EXHAUSTED, then
//! UNSUPPORTED_ACCESS) → decode (INVALID_COMMAND) → data-model bounds (CONSTRAINT_ERROR) → session
//! lookup (NOT_FOUND) → privacy (INVALID_IN_STATE) → supported usage (DYNAMIC_CONSTRAINT_ERROR) →
//! scalar/list exclusivity (INVALID_COMMAND) → stream ids → stream lists → turns:/stuns: without
//! UTC time → auto-selection → capacity.

import { IN_LEN, SDP_LEN, MAX_LIST, MAX_IN_CAND, MAX_POLICY_LEN, DEFERRED_OFFER_TIMEOUT_S } from "./config";
import {
  SUCCESS, INVALID_COMMAND, CONSTRAINT_ERROR, RESOURCE_EXHAUSTED, ALREADY_EXISTS, NOT_FOUND, UNSUPPORTED_ACCESS,
  INVALID_IN_STATE, DYNAMIC_CONSTRAINT_ERROR, KIND_VIDEO, KIND_AUDIO, USAGE_MAX, END_REASON_MAX,
  END_OUT_OF_RESOURCES, FABRIC_INDEX_MAX,
} from "./status";
import { request, VIDEO_LIST, AUDIO_LIST, decodeOffer, decodeAnswer, decodeEnd, decodeCandidates } from "./request";
import {
  SessionTerms, row, isLive, findAny, findOwned, freeRow, allocateId, removeRow, reserve, goLiveOwingOffer,
  goLiveEstablished, stageReoffer, applyReoffer, awaitAnswerHook, answerApplied, unstage, dropReservation,
  ST_PENDING, ST_ESTABLISHED, TERMS_SIZE,
} from "./sessions";
import { freeEnd, queueEnd } from "./ends";
import { CAUSE_PEER } from "./events";
import { streamCount, streamIndex, privacyBlocks, usageSupported, autoSelect, utcTimeNull } from "./streams";
import { encodeSolicitResponse, encodeProvideOfferResponse, responseLength } from "./responses";

/** What phase 1 decided (the `actAction` export). */
export const ACT_HOOK: i32 = 1;
export const ACT_RESPOND: i32 = 2;
export const ACT_DONE: i32 = 3;

/** The outcome of the last successful phase 1: the session it concerns and what the host does next. */
@unmanaged export class Decision {
  session: i32;
  action: i32;
}
export const decision = changetype<Decision>(memory.data(offsetof<Decision>(), 4));

/**
 * The terms the command being decided asks for: the hook reads its stream selection
 * (`selVideoAt` …), and a reservation copies it into the row.
 */
export const proposal = changetype<SessionTerms>(memory.data(TERMS_SIZE, 8));

function decided(session: i32, action: i32): u32 {
  decision.session = session;
  decision.action = action;
  return SUCCESS;
}

/** A payload must fit IN; a fabric-scoped command needs an accessing fabric (not PASE). */
function admit(len: i32, fabric: i32): u32 {
  if (len < 0 || len > IN_LEN) return RESOURCE_EXHAUSTED;
  if (fabric <= 0 || fabric > FABRIC_INDEX_MAX) return UNSUPPORTED_ACCESS;
  return SUCCESS;
}

/** Steps 1–5: enum range, mandatory stream fields, ICE server and policy bounds, list bounds. */
function dataModelChecks(requireStreams: bool): u32 {
  if (request.hasStreamUsage && request.streamUsage > <i32>USAGE_MAX) return CONSTRAINT_ERROR;
  if (requireStreams && !request.namesAnyStream) return INVALID_COMMAND;
  if (request.hasIceServers && request.iceBoundsBroken) return CONSTRAINT_ERROR;
  if (request.hasPolicy && request.policyLen > <u32>MAX_POLICY_LEN) return CONSTRAINT_ERROR;
  if (request.hasVideoList && (request.videoListCount < 1 || request.videoListCount > MAX_LIST)) return CONSTRAINT_ERROR;
  if (request.hasAudioList && (request.audioListCount < 1 || request.audioListCount > MAX_LIST)) return CONSTRAINT_ERROR;
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
  let s = validateScalar(KIND_VIDEO, request.hasVideoId, request.videoStreamId);
  if (s != SUCCESS) return s;
  s = validateScalar(KIND_AUDIO, request.hasAudioId, request.audioStreamId);
  if (s != SUCCESS) return s;
  s = validateList(KIND_VIDEO, request.hasVideoList, VIDEO_LIST, request.videoListCount);
  if (s != SUCCESS) return s;
  return validateList(KIND_AUDIO, request.hasAudioList, AUDIO_LIST, request.audioListCount);
}

/** Resolves one kind into the list at `into`: the list as sent, the scalar id, or auto-selection for null. */
function resolveKind(kind: i32, usage: i32, hasId: bool, id: i32, hasList: bool, list: usize, n: i32, into: usize): i32 {
  if (hasList) {
    memory.copy(into, list, <usize>(n * 2));
    return n;
  }
  if (!hasId) return 0;
  const chosen = id >= 0 ? id : autoSelect(kind, usage);
  if (chosen < 0) return -1;
  store<u16>(into, <u16>chosen);
  return 1;
}
/** ValidateStreamUsage: fills the proposal's lists; false when a requested kind has nothing to use. */
function resolveStreams(usage: i32): bool {
  const v = resolveKind(KIND_VIDEO, usage, request.hasVideoId, request.videoStreamId,
    request.hasVideoList, VIDEO_LIST, request.videoListCount, proposal.videoList);
  const a = resolveKind(KIND_AUDIO, usage, request.hasAudioId, request.audioStreamId,
    request.hasAudioList, AUDIO_LIST, request.audioListCount, proposal.audioList);
  if (v < 0 || a < 0) return false;
  proposal.videoCount = <u8>v;
  proposal.audioCount = <u8>a;
  return true;
}

/** The proposal's fields besides the lists: usage, endpoint, MetadataEnabled and the echoes. */
function propose(usage: i32, endpoint: i32, metadataEnabled: bool): void {
  proposal.usage = <u8>usage;
  proposal.endpoint = <u16>endpoint;
  proposal.metadataEnabled = metadataEnabled;
  proposal.echoVideo = request.hasVideoId;
  proposal.echoAudio = request.hasAudioId;
}
function requestedMetadata(): bool {
  return request.hasMetadata && request.metadataEnabled;
}

/** Checks a new session shares from privacy on (SolicitOffer and a new ProvideOffer). */
function newSessionRules(): u32 {
  if (privacyBlocks(request.streamUsage)) return INVALID_IN_STATE;
  if (!usageSupported(request.streamUsage)) return DYNAMIC_CONSTRAINT_ERROR;
  if (request.mixesScalarsAndLists) return INVALID_COMMAND;
  return validateStreams();
}
function secureIceWithoutTime(): bool {
  return request.hasIceServers && request.iceSecureScheme && utcTimeNull;
}

// ── SolicitOffer ─────────────────────────────────────────────────────────────────────────────
export function solicitOffer(len: i32, fabric: i32, peer: u64): u32 {
  let s = admit(len, fabric);
  if (s != SUCCESS) return s;
  s = decodeOffer(len, false);
  if (s != SUCCESS) return s;
  s = dataModelChecks(true);
  if (s != SUCCESS) return s;
  s = newSessionRules();
  if (s != SUCCESS) return s;
  if (secureIceWithoutTime()) return INVALID_IN_STATE;
  if (!resolveStreams(request.streamUsage)) return DYNAMIC_CONSTRAINT_ERROR;
  propose(request.streamUsage, request.originatingEndpoint, requestedMetadata());

  const slot = freeRow();
  if (slot < 0) {
    // Over capacity the reference still answers SUCCESS and then sends End(OutOfResources)
    // (TC_WEBRTCP_2_12). That needs an End record; only when those are all taken is it refused.
    if (freeEnd() < 0) return RESOURCE_EXHAUSTED;
    const id = allocateId();
    if (id == 0) return RESOURCE_EXHAUSTED;
    queueEnd(id, fabric, peer, request.originatingEndpoint, END_OUT_OF_RESOURCES);
    encodeSolicitResponse(id, false, proposal);
    return decided(id, ACT_RESPOND);
  }
  const id = allocateId();
  if (id == 0) return RESOURCE_EXHAUSTED;
  reserve(slot, id, fabric, peer, proposal);
  return decided(id, ACT_HOOK);
}

/** The SolicitOffer hook succeeded: the session goes live, owing an Offer within 30 s. */
export function commitSolicitOffer(id: i32, deferred: bool, nowS: u32): u32 {
  const i = findAny(id);
  if (i < 0 || row(i).state != ST_PENDING) return NOT_FOUND;
  goLiveOwingOffer(i, deferred, nowS + DEFERRED_OFFER_TIMEOUT_S);
  encodeSolicitResponse(id, deferred, row(i).terms);
  return responseLength < 0 ? RESOURCE_EXHAUSTED : SUCCESS;
}

// ── ProvideOffer ─────────────────────────────────────────────────────────────────────────────
export function provideOffer(len: i32, fabric: i32, peer: u64): u32 {
  let s = admit(len, fabric);
  if (s != SUCCESS) return s;
  s = decodeOffer(len, true);
  if (s != SUCCESS) return s;
  const isNew = request.sessionId < 0;
  s = dataModelChecks(isNew);
  if (s != SUCCESS) return s;
  if (request.sdpLen > <u32>SDP_LEN) return RESOURCE_EXHAUSTED;
  if (!isNew) return reoffer(fabric, peer);

  s = newSessionRules();
  if (s != SUCCESS) return s;
  // ProvideOffer reports a failed ValidateStreamUsage as RESOURCE_EXHAUSTED (SolicitOffer: DCE)
  if (!resolveStreams(request.streamUsage)) return RESOURCE_EXHAUSTED;
  if (secureIceWithoutTime()) return INVALID_IN_STATE;
  const slot = freeRow();
  if (slot < 0) return RESOURCE_EXHAUSTED;
  const id = allocateId();
  if (id == 0) return RESOURCE_EXHAUSTED;
  propose(request.streamUsage, request.originatingEndpoint, requestedMetadata());
  reserve(slot, id, fabric, peer, proposal);
  return decided(id, ACT_HOOK);
}

/** Re-offer: only the owner's live session; no privacy, usage or capacity checks. */
function reoffer(fabric: i32, peer: u64): u32 {
  const id = request.sessionId;
  const i = findOwned(id, fabric, peer);
  if (i < 0) return NOT_FOUND;
  const r = row(i);
  if (r.busy) return INVALID_IN_STATE;
  const current = r.terms;
  const usage = request.hasStreamUsage ? request.streamUsage : <i32>current.usage;
  if (request.namesAnyStream) {
    if (request.mixesScalarsAndLists) return INVALID_COMMAND;
    const s = validateStreams();
    if (s != SUCCESS) return s;
    if (!resolveStreams(usage)) return RESOURCE_EXHAUSTED;
  } else {
    // no stream fields: the session keeps its streams
    proposal.videoCount = current.videoCount;
    proposal.audioCount = current.audioCount;
    for (let k = 0; k < <i32>current.videoCount; k++) proposal.setVideoAt(k, current.videoAt(k));
    for (let k = 0; k < <i32>current.audioCount; k++) proposal.setAudioAt(k, current.audioAt(k));
  }
  // MetadataEnabled is a new-session field: a re-offer without it keeps the session's value
  propose(usage, request.hasEndpoint ? request.originatingEndpoint : <i32>current.endpoint,
    request.hasMetadata ? request.metadataEnabled : current.metadataEnabled);
  stageReoffer(i, proposal);
  return decided(id, ACT_HOOK);
}

/** The offer hook succeeded: a new session goes live, a re-offer replaces the terms in place. */
export function commitProvideOffer(id: i32): u32 {
  const i = findAny(id);
  if (i < 0) return NOT_FOUND;
  const r = row(i);
  if (r.state == ST_PENDING) goLiveEstablished(i);
  else if (isLive(r.state) && r.reofferStaged) applyReoffer(i);
  else return INVALID_IN_STATE;
  encodeProvideOfferResponse(id, r.terms);
  return responseLength < 0 ? RESOURCE_EXHAUSTED : SUCCESS;
}

// ── ProvideAnswer ────────────────────────────────────────────────────────────────────────────
export function provideAnswer(len: i32, fabric: i32, peer: u64): u32 {
  let s = admit(len, fabric);
  if (s != SUCCESS) return s;
  s = decodeAnswer(len);
  if (s != SUCCESS) return s;
  if (request.sdpLen > <u32>SDP_LEN) return RESOURCE_EXHAUSTED;
  const id = request.sessionId;
  const i = findOwned(id, fabric, peer);
  if (i < 0) return NOT_FOUND;
  const r = row(i);
  // The reference camera accepts and ignores an answer it is not waiting for (a duplicate).
  if (r.state == ST_ESTABLISHED || r.busy) return decided(id, ACT_DONE);
  awaitAnswerHook(i);
  return decided(id, ACT_HOOK);
}

export function commitProvideAnswer(id: i32): u32 {
  const i = findAny(id);
  if (i < 0 || !isLive(row(i).state)) return NOT_FOUND;
  const r = row(i);
  if (!r.busy || r.reofferStaged) return INVALID_IN_STATE;
  answerApplied(i);
  return SUCCESS;
}

/** The hook failed: a reserved row is freed, a staged re-offer or answer is dropped. */
export function abortPending(id: i32): u32 {
  const i = findAny(id);
  if (i < 0) return NOT_FOUND;
  const r = row(i);
  if (r.state == ST_PENDING) {
    dropReservation(i);
    return SUCCESS;
  }
  if (r.busy) {
    unstage(i);
    return SUCCESS;
  }
  return INVALID_IN_STATE;
}

// ── ProvideICECandidates ─────────────────────────────────────────────────────────────────────
export function provideIceCandidates(len: i32, fabric: i32, peer: u64): u32 {
  let s = admit(len, fabric);
  if (s != SUCCESS) return s;
  s = decodeCandidates(len);
  if (s != SUCCESS) return s;
  if (request.emptyMidSeen) return CONSTRAINT_ERROR;
  if (request.candidateCount == 0) return CONSTRAINT_ERROR;
  if (request.candidateCount > MAX_IN_CAND) return RESOURCE_EXHAUSTED;
  if (findOwned(request.sessionId, fabric, peer) < 0) return NOT_FOUND;
  return decided(request.sessionId, ACT_HOOK);
}

// ── EndSession ───────────────────────────────────────────────────────────────────────────────
export function endSession(len: i32, fabric: i32, peer: u64): u32 {
  let s = admit(len, fabric);
  if (s != SUCCESS) return s;
  s = decodeEnd(len);
  if (s != SUCCESS) return s;
  if (request.reason > <i32>END_REASON_MAX) return CONSTRAINT_ERROR;
  const i = findOwned(request.sessionId, fabric, peer);
  if (i < 0) return NOT_FOUND;
  // The row goes now, whatever the hook later says (the reference's RemoveSession always runs).
  removeRow(i, request.reason, CAUSE_PEER);
  return decided(request.sessionId, ACT_HOOK);
}
