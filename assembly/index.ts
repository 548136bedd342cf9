//! The WebRTC Transport Provider core: the exports of the fixed-memory WebAssembly module.
//!
//! No imports, no memory growth, no allocator; numbers only across the boundary, bytes through
//! the buffers whose addresses are exported here. Every entry point that can fail returns a Matter
//! status (0 = SUCCESS) and none traps. This file holds no rule: it re-exports the modules and
//! reads their records field by field. `src/engine` is the typed facade over it.
//!
//! Modules, each importing only modules listed before it (no import circle):
//!   config, status, utf8, tlv, abort   capacities; status codes and bounds; encodings; abort hook
//!   events, ends, candidates, streams  change events, End records, local candidate pool, streams
//!   sessions                           the table: rows, ids, order, every state change
//!   request, responses, outbound       decoding IN, encoding RESP, snapshots into OUT
//!   commands, provider, invariants     the five commands, camera-side changes, selfCheck

import {
  N_SESSIONS, SDP_LEN, OUT_LEN, CAND_LEN, MAX_CAND, IN_LEN, MAX_STREAMS, MAX_IN_CAND, MID_LEN, END_CAP, MAX_LIST,
} from "./config";
import { request, IN, iceString, iceServerCaid, remoteCandidate } from "./request";
import { decision, proposal } from "./commands";
import { row, findAny, findLive, resetSessions } from "./sessions";
import { event, eventsLost, clearEvents as clearChangeEvents } from "./events";
import { pendingEnds, resetEnds } from "./ends";
import { CAND_STAGE, MID_STAGE, pendingOf, freeSlots, resetCandidates } from "./candidates";
import * as streams from "./streams";
import { RESP, RESP_LEN, responseLength } from "./responses";
import { OUT, STAGE, STAGE_CAP, snapshot, resetOutbound } from "./outbound";

export { abortLine } from "./abort";

// ── buffers and capacities ──────────────────────────────────────────────────────────────────
export function inPtr(): usize { return IN; }
export function inCap(): i32 { return IN_LEN; }
export function respPtr(): usize { return RESP; }
export function respCap(): i32 { return RESP_LEN; }
export function respLen(): i32 { return responseLength; }
export function outPtr(): usize { return OUT; }
export function outCap(): i32 { return OUT_LEN; }
export function stagePtr(): usize { return STAGE; }
export function stageCap(): i32 { return STAGE_CAP; }
export function candStagePtr(): usize { return CAND_STAGE; }
export function midStagePtr(): usize { return MID_STAGE; }
export function capSessions(): i32 { return N_SESSIONS; }
export function capSdp(): i32 { return SDP_LEN; }
export function capCandLen(): i32 { return CAND_LEN; }
export function capMaxCand(): i32 { return MAX_CAND; }
export function capStreams(): i32 { return MAX_STREAMS; }
export function capInCand(): i32 { return MAX_IN_CAND; }
export function capMidLen(): i32 { return MID_LEN; }
export function capEnds(): i32 { return END_CAP; }
/** First byte past the static data: how much of linear memory the profile uses. */
export function staticEnd(): usize { return __heap_base; }

// ── inbound commands (phase 1), commits and aborts ─────────────────────────────────────────────
export {
  solicitOffer, provideOffer, provideAnswer, provideIceCandidates, endSession,
  commitSolicitOffer, commitProvideOffer, commitProvideAnswer, abortPending,
} from "./commands";
export function actSession(): i32 { return decision.session; }
export function actAction(): i32 { return decision.action; }

// ── arguments of the command just decided, for the media hook ────────────────────────────────
// usage, endpoint and MetadataEnabled as the session will have them: a re-offer that leaves them
// out keeps the session's (the request's fields would read 0, 0 and false)
export function argUsage(): i32 { return <i32>proposal.usage; }
export function argEndpoint(): i32 { return <i32>proposal.endpoint; }
export function argMetadata(): bool { return proposal.metadataEnabled; }
export function argReason(): i32 { return request.reason; }
export function argReoffer(): bool { return request.sessionId >= 0; }
export function argSdpPtr(): usize { return request.sdpPtr; }
export function argSdpLen(): u32 { return request.sdpLen; }
export function argPolicyLen(): i32 { return request.hasPolicy ? <i32>request.policyLen : -1; }
export function argPolicyPtr(): usize { return request.policyPtr; }
export function argIceServerCount(): i32 { return request.hasIceServers ? request.iceServerCount : -1; }
export function argIceStrCount(): i32 { return request.iceStringCount; }
export function argIceStrPtr(i: i32): usize { return <usize>iceString(i).ptr; }
export function argIceStrLen(i: i32): i32 { return <i32>iceString(i).len; }
export function argIceStrServer(i: i32): i32 { return <i32>iceString(i).server; }
export function argIceStrKind(i: i32): i32 { return <i32>iceString(i).kind; }
export function argIceCaid(server: i32): i32 { return iceServerCaid(server); }
export function argCandCount(): i32 { return request.candidateCount < MAX_IN_CAND ? request.candidateCount : MAX_IN_CAND; }
export function argCandPtr(i: i32): usize { return <usize>remoteCandidate(i).candidatePtr; }
export function argCandLen(i: i32): i32 { return <i32>remoteCandidate(i).candidateLen; }
export function argMidPtr(i: i32): usize { return <usize>remoteCandidate(i).midPtr; }
export function argMidLen(i: i32): i32 { return remoteCandidate(i).midLen; }
export function argMline(i: i32): i32 { return remoteCandidate(i).mline; }
export function selVideoCount(): i32 { return <i32>proposal.videoCount; }
export function selAudioCount(): i32 { return <i32>proposal.audioCount; }
export function selVideoAt(k: i32): i32 { return proposal.videoAt(k); }
export function selAudioAt(k: i32): i32 { return proposal.audioAt(k); }

// ── stream context ───────────────────────────────────────────────────────────────────────────
export function streamAdd(kind: i32, id: i32, usage: i32): u32 { return streams.addStream(kind, id, usage); }
export { removeStream as streamRemove } from "./provider";
export function streamCount(kind: i32): i32 { return streams.streamCountOf(kind); }
export function streamIdAt(kind: i32, i: i32): i32 { return streams.streamIdAt(kind, i); }
export function streamUsageAt(kind: i32, i: i32): i32 { return streams.streamUsageAt(kind, i); }
/** Sessions referencing stream `id`, or -1 when it is not allocated. */
export function streamRefs(kind: i32, id: i32): i32 { return streams.referencesOf(kind, id); }
export function refsChanged(): bool { return streams.refsChanged; }
export function clearRefsChanged(): void { streams.clearRefsChanged(); }
export function setPriorities(count: i32, packed: u32): u32 { return streams.setPriorities(count, packed); }
export { setPrivacy } from "./provider";
export function setUtcTimeNull(isNull: bool): void { streams.setUtcTimeNull(isNull); }

// ── the table ────────────────────────────────────────────────────────────────────────────────
/** sessionAt(k): id of the k-th live session in insertion order (all fabrics), or -1. */
export { liveIdInOrder as sessionAt, liveCount as sessionCount } from "./sessions";
/** State of session `id`: 0 none, 1 reserved, 2 awaiting deferred offer, 3 awaiting answer, 4 established. */
export function sessionState(id: i32): i32 { const i = findAny(id); return i < 0 ? 0 : <i32>row(i).state; }
export function sessionFabric(id: i32): i32 { const i = findLive(id); return i < 0 ? 0 : <i32>row(i).fabric; }
export function sessionPeer(id: i32): u64 { const i = findLive(id); return i < 0 ? 0 : row(i).peerNode; }
export function sessionEndpoint(id: i32): i32 { const i = findLive(id); return i < 0 ? -1 : <i32>row(i).terms.endpoint; }
export function sessionUsage(id: i32): i32 { const i = findLive(id); return i < 0 ? -1 : <i32>row(i).terms.usage; }
export function sessionMetadata(id: i32): bool { const i = findLive(id); return i >= 0 && row(i).terms.metadataEnabled; }
export function sessionVideoCount(id: i32): i32 { const i = findLive(id); return i < 0 ? 0 : <i32>row(i).terms.videoCount; }
export function sessionAudioCount(id: i32): i32 { const i = findLive(id); return i < 0 ? 0 : <i32>row(i).terms.audioCount; }
export function sessionVideoAt(id: i32, k: i32): i32 { const i = findLive(id); return i < 0 || k < 0 || k >= MAX_LIST ? -1 : row(i).terms.videoAt(k); }
export function sessionAudioAt(id: i32, k: i32): i32 { const i = findLive(id); return i < 0 || k < 0 || k >= MAX_LIST ? -1 : row(i).terms.audioAt(k); }
/** CurrentSessions TLV into RESP for one fabric (0: every fabric); returns its length. */
export { encodeSessions } from "./responses";
export { removeFabric, endByProvider, expireOffers } from "./provider";
export { peekNextId as nextId, setNextId } from "./sessions";

// ── change events ────────────────────────────────────────────────────────────────────────────
export { eventCount } from "./events";
export function eventKind(i: i32): i32 { return <i32>event(i).kind; }
export function eventSession(i: i32): i32 { return <i32>event(i).session; }
export function eventReason(i: i32): i32 { return <i32>event(i).reason; }
export function eventCause(i: i32): i32 { return <i32>event(i).cause; }
export function eventOverflow(): bool { return eventsLost; }
export function clearEvents(): void { clearChangeEvents(); }

// ── outbound snapshots ───────────────────────────────────────────────────────────────────────
export { snapOffer, snapAnswer, snapIce, snapEnd, admitCandidate as candAdmit } from "./outbound";
export function candPending(id: i32): i32 { return pendingOf(id); }
export function candFreeSlots(): i32 { return freeSlots(); }
export function endPendingCount(): i32 { return pendingEnds(); }
export function outLength(): i32 { return snapshot.length; }
export function outCommand(): i32 { return snapshot.command; }
export function outSession(): i32 { return snapshot.session; }
export function outFabric(): i32 { return snapshot.fabric; }
export function outPeer(): u64 { return snapshot.peerNode; }
export function outEndpoint(): i32 { return snapshot.endpoint; }

// ── maintenance ──────────────────────────────────────────────────────────────────────────────
/** Back to the state right after instantiation (factory reset, and between test cases). */
export function reset(): void {
  resetSessions();
  resetEnds();
  clearChangeEvents();
  streams.resetStreams();
  resetCandidates();
  resetOutbound();
}
export { selfCheck } from "./invariants";
/** Structure check of an arbitrary TLV element staged in IN: element count, or -1 if malformed. */
export { scanIn as tlvScan } from "./request";
