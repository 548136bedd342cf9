//! The WebRTC Transport Provider core: exports of the fixed-memory WebAssembly module.
//!
//! This is the data plane of rs-matter's `WebRtcProvHandler` (session table, command validation
//! and state machine, TLV in and out, outbound snapshots) with every capacity fixed at compile
//! time (`config.ts`). The module imports nothing, never grows its memory and has no allocator:
//! the JS boundary is numbers only, and bytes travel through the buffers whose addresses are
//! exported here (IN for requests, RESP for responses and CurrentSessions, OUT for outbound
//! snapshots, the stage areas for SDPs and candidates the host supplies).
//!
//! Every entry point that can fail returns a Matter status code (0 = SUCCESS); none traps on any
//! input. `src/engine` is the typed facade over these exports.

import {
  N_SESSIONS, SDP_LEN, OUT_LEN, CAND_LEN, MAX_CAND, IN_LEN, MAX_STREAMS, MAX_IN_CAND, MID_LEN, END_CAP, MAX_LIST,
} from "./config";
import { SUCCESS, RESOURCE_EXHAUSTED, INVALID_IN_STATE, KIND_VIDEO, KIND_AUDIO } from "./status";
import { IN } from "./layout";
import * as req from "./request";
import * as cmd from "./commands";
import * as ses from "./sessions";
import * as st from "./streams";
import * as out from "./outbound";
import * as resp from "./responses";
import * as tlv from "./tlv";

export { abortLine } from "./abort";

/** IM status UNSUPPORTED_ACCESS: a fabric-scoped command without an accessing fabric (PASE). */
const UNSUPPORTED_ACCESS: u32 = 0x7e;

// ── buffers and capacities ──────────────────────────────────────────────────────────────────
export function inPtr(): usize { return IN; }
export function inCap(): i32 { return IN_LEN; }
export function respPtr(): usize { return resp.RESP; }
export function respCap(): i32 { return resp.RESP_LEN; }
export function respLen(): i32 { return resp.respLength; }
export function outPtr(): usize { return out.OUT; }
export function outCap(): i32 { return OUT_LEN; }
export function stagePtr(): usize { return out.STAGE; }
export function stageCap(): i32 { return out.STAGE_CAP; }
export function candStagePtr(): usize { return out.CAND_STAGE; }
export function midStagePtr(): usize { return out.MID_STAGE; }
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
function admit(len: i32, fabric: i32): u32 {
  if (len < 0 || len > IN_LEN) return RESOURCE_EXHAUSTED;
  if (fabric <= 0 || fabric > 254) return UNSUPPORTED_ACCESS;
  return SUCCESS;
}
export function solicitOffer(len: i32, fabric: i32, peer: u64): u32 {
  const s = admit(len, fabric);
  return s != SUCCESS ? s : cmd.cmdSolicitOffer(len, fabric, peer);
}
export function provideOffer(len: i32, fabric: i32, peer: u64): u32 {
  const s = admit(len, fabric);
  return s != SUCCESS ? s : cmd.cmdProvideOffer(len, fabric, peer);
}
export function provideAnswer(len: i32, fabric: i32, peer: u64): u32 {
  const s = admit(len, fabric);
  return s != SUCCESS ? s : cmd.cmdProvideAnswer(len, fabric, peer);
}
export function provideIceCandidates(len: i32, fabric: i32, peer: u64): u32 {
  const s = admit(len, fabric);
  return s != SUCCESS ? s : cmd.cmdProvideIceCandidates(len, fabric, peer);
}
export function endSession(len: i32, fabric: i32, peer: u64): u32 {
  const s = admit(len, fabric);
  return s != SUCCESS ? s : cmd.cmdEndSession(len, fabric, peer);
}
export function commitSolicitOffer(id: i32, deferred: bool, nowS: u32): u32 { return cmd.commitSolicitOffer(id, deferred, nowS); }
export function commitProvideOffer(id: i32): u32 { return cmd.commitProvideOffer(id); }
export function commitProvideAnswer(id: i32): u32 { return cmd.commitProvideAnswer(id); }
export function abortPending(id: i32): u32 { return cmd.abortPending(id); }
export function actSession(): i32 { return cmd.actSession; }
export function actAction(): i32 { return cmd.actAction; }

// ── arguments of the command just decided, for the media hook ────────────────────────────────
export function argUsage(): i32 { return req.aUsage; }
export function argEndpoint(): i32 { return req.aEndpoint; }
export function argMetadata(): bool { return req.aHasMetadata && req.aMetadata; }
export function argReason(): i32 { return req.aReason; }
export function argReoffer(): bool { return req.aSessionId >= 0; }
export function argSdpPtr(): usize { return req.aSdpPtr; }
export function argSdpLen(): u32 { return req.aSdpLen; }
export function argPolicyLen(): i32 { return req.aHasPolicy ? <i32>req.aPolicyLen : -1; }
export function argPolicyPtr(): usize { return req.aPolicyPtr; }
export function argIceServerCount(): i32 { return req.aHasIce ? req.aIceServerCount : -1; }
export function argIceStrCount(): i32 { return req.aIceStrCount; }
export function argIceStrPtr(i: i32): usize { return <usize>load<u32>(req.A_ICE_STRS + <usize>(i * 8)); }
export function argIceStrLen(i: i32): i32 { return <i32>load<u16>(req.A_ICE_STRS + <usize>(i * 8), 4); }
export function argIceStrServer(i: i32): i32 { return <i32>load<u8>(req.A_ICE_STRS + <usize>(i * 8), 6); }
export function argIceStrKind(i: i32): i32 { return <i32>load<u8>(req.A_ICE_STRS + <usize>(i * 8), 7); }
export function argIceCaid(server: i32): i32 { return load<i32>(req.A_ICE_CAID + <usize>(server * 4)); }
export function argCandCount(): i32 { return req.aCandCount < MAX_IN_CAND ? req.aCandCount : MAX_IN_CAND; }
function cand(i: i32): usize { return req.A_CANDS + <usize>(i * req.CAND_ENTRY); }
export function argCandPtr(i: i32): usize { return <usize>load<u32>(cand(i)); }
export function argCandLen(i: i32): i32 { return load<i32>(cand(i), 4); }
export function argMidPtr(i: i32): usize { return <usize>load<u32>(cand(i), 8); }
export function argMidLen(i: i32): i32 { return load<i32>(cand(i), 12); }
export function argMline(i: i32): i32 { return load<i32>(cand(i), 16); }
export function selVideoCount(): i32 { return cmd.selVideoCount; }
export function selAudioCount(): i32 { return cmd.selAudioCount; }
export function selVideoAt(k: i32): i32 { return cmd.selVideoAt(k); }
export function selAudioAt(k: i32): i32 { return cmd.selAudioAt(k); }

// ── stream context ───────────────────────────────────────────────────────────────────────────
export function streamAdd(kind: i32, id: i32, usage: i32): u32 { return st.addStream(kind, id, usage); }
export function streamRemove(kind: i32, id: i32): u32 {
  if ((kind == KIND_VIDEO || kind == KIND_AUDIO) && stagedUse(kind, id)) return INVALID_IN_STATE;
  return st.removeStream(kind, id);
}
/** A reserved row or a staged re-offer takes its references only on commit; its streams are in use already. */
function stagedUse(kind: i32, id: i32): bool {
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = ses.row(i);
    let list = 0;
    let n = 0;
    if (r.state == ses.ST_PENDING) {
      list = kind == KIND_VIDEO ? ses.L_VIDEO : ses.L_AUDIO;
      n = kind == KIND_VIDEO ? <i32>r.nVideo : <i32>r.nAudio;
    } else if (ses.isLive(r.state) && (r.flags & ses.FLAG_REOFFER) != 0) {
      list = kind == KIND_VIDEO ? ses.L_SVIDEO : ses.L_SAUDIO;
      n = kind == KIND_VIDEO ? <i32>r.sNVideo : <i32>r.sNAudio;
    }
    for (let k = 0; k < n; k++) if (ses.listAt(i, list, k) == id) return true;
  }
  return false;
}
export function streamCount(kind: i32): i32 { return kind == KIND_VIDEO || kind == KIND_AUDIO ? st.streamCount(kind) : 0; }
export function streamIdAt(kind: i32, i: i32): i32 { return st.streamIdAt(kind, i); }
export function streamUsageAt(kind: i32, i: i32): i32 { return st.streamUsageAt(kind, i); }
/** Sessions referencing stream `id`, or -1 when it is not allocated. */
export function streamRefs(kind: i32, id: i32): i32 {
  if (kind != KIND_VIDEO && kind != KIND_AUDIO) return -1;
  const i = st.streamIndex(kind, id);
  return i < 0 ? -1 : st.streamRefsAt(kind, i);
}
export function refsChanged(): bool { return st.refsChanged; }
export function clearRefsChanged(): void { st.clearRefsChanged(); }
export function setPriorities(count: i32, packed: u32): u32 { return st.setPriorities(count, packed); }
export function setPrivacy(hard: bool, softRecording: bool, softLivestream: bool): i32 { return cmd.setPrivacy(hard, softRecording, softLivestream); }
export function setUtcTimeNull(isNull: bool): void { st.setUtcTimeNull(isNull); }

// ── the table ────────────────────────────────────────────────────────────────────────────────
/** Id of the k-th live session in insertion order (all fabrics), or -1. */
export function sessionAt(k: i32): i32 {
  let seq: u32 = 0;
  for (let n = 0; n <= k && n < N_SESSIONS; n++) {
    const i = resp.nextInOrder(seq, 0);
    if (i < 0) return -1;
    if (n == k) return <i32>ses.row(i).id;
    seq = ses.row(i).seq;
  }
  return -1;
}
function live(id: i32): i32 {
  const i = ses.findAny(id);
  return i >= 0 && ses.isLive(ses.row(i).state) ? i : -1;
}
export function sessionCount(): i32 {
  let n = 0;
  for (let i = 0; i < N_SESSIONS; i++) if (ses.isLive(ses.row(i).state)) n++;
  return n;
}
/** State of session `id`: 0 none, 1 reserved, 2 awaiting deferred offer, 3 awaiting answer, 4 established. */
export function sessionState(id: i32): i32 { const i = ses.findAny(id); return i < 0 ? 0 : <i32>ses.row(i).state; }
export function sessionFabric(id: i32): i32 { const i = live(id); return i < 0 ? 0 : <i32>ses.row(i).fabric; }
export function sessionPeer(id: i32): u64 { const i = live(id); return i < 0 ? 0 : ses.row(i).peerNode; }
export function sessionEndpoint(id: i32): i32 { const i = live(id); return i < 0 ? -1 : <i32>ses.row(i).endpoint; }
export function sessionUsage(id: i32): i32 { const i = live(id); return i < 0 ? -1 : <i32>ses.row(i).usage; }
export function sessionMetadata(id: i32): bool { const i = live(id); return i >= 0 && (ses.row(i).flags & ses.FLAG_METADATA) != 0; }
export function sessionVideoCount(id: i32): i32 { const i = live(id); return i < 0 ? 0 : <i32>ses.row(i).nVideo; }
export function sessionAudioCount(id: i32): i32 { const i = live(id); return i < 0 ? 0 : <i32>ses.row(i).nAudio; }
export function sessionVideoAt(id: i32, k: i32): i32 { const i = live(id); return i < 0 || k < 0 || k >= MAX_LIST ? -1 : ses.listAt(i, ses.L_VIDEO, k); }
export function sessionAudioAt(id: i32, k: i32): i32 { const i = live(id); return i < 0 || k < 0 || k >= MAX_LIST ? -1 : ses.listAt(i, ses.L_AUDIO, k); }
/** CurrentSessions TLV into RESP for one fabric (0: every fabric); returns its length. */
export function encodeSessions(fabricFilter: i32): i32 { return resp.encodeSessions(fabricFilter); }
export function removeFabric(fabric: i32): i32 { return cmd.removeFabric(fabric); }
export function endByProvider(id: i32, reason: i32): u32 { return cmd.endByProvider(id, reason); }
export function expireOffers(nowS: u32): i32 { return cmd.expireOffers(nowS); }
export function nextId(): i32 { return ses.nextIdPeek(); }
export function setNextId(v: i32): void { ses.setNextId(v); }

// ── change events ────────────────────────────────────────────────────────────────────────────
export function eventCount(): i32 { return ses.eventCount(); }
export function eventKind(i: i32): i32 { return ses.eventKind(i); }
export function eventSession(i: i32): i32 { return ses.eventSession(i); }
export function eventReason(i: i32): i32 { return ses.eventReason(i); }
export function eventCause(i: i32): i32 { return ses.eventCause(i); }
export function eventOverflow(): bool { return ses.evOverflow; }
export function clearEvents(): void { ses.clearEvents(); }

// ── outbound snapshots ───────────────────────────────────────────────────────────────────────
export function snapOffer(id: i32, sdpLen: i32): u32 { return out.snapOffer(id, sdpLen); }
export function snapAnswer(id: i32, sdpLen: i32): u32 { return out.snapAnswer(id, sdpLen); }
export function snapIce(id: i32): u32 { return out.snapIce(id); }
export function snapEnd(id: i32): u32 { return out.snapEnd(id); }
export function candAdmit(id: i32, candLen: i32, midLen: i32, mline: i32): u32 { return out.candAdmit(id, candLen, midLen, mline); }
export function candPending(id: i32): i32 { return out.candPending(id); }
export function candFreeSlots(): i32 { return out.candFreeSlots(); }
export function endPendingCount(): i32 { return ses.endCount(); }
export function outLength(): i32 { return out.oLength; }
export function outCommand(): i32 { return out.oCommand; }
export function outSession(): i32 { return out.oSession; }
export function outFabric(): i32 { return out.oFabric; }
export function outPeer(): u64 { return out.oPeer; }
export function outEndpoint(): i32 { return out.oEndpoint; }

// ── maintenance ──────────────────────────────────────────────────────────────────────────────
/** Back to the state right after instantiation (factory reset, and between test cases). */
export function reset(): void {
  ses.resetSessions();
  st.resetStreams();
  out.resetOutbound();
}

/**
 * Checks the table's invariants; 0 when they hold, else the number of the first one broken.
 * `quiescent`: no command is between its phase 1 and its commit, so nothing may be reserved.
 */
export function selfCheck(quiescent: bool): i32 {
  let lastSeqSeen: u32 = 0;
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = ses.row(i);
    if (r.state == ses.ST_FREE) continue;
    const id = <i32>r.id;
    if (id <= 0 || id >= 0xffff) return 1;
    for (let j = 0; j < i; j++) if (ses.row(j).state != ses.ST_FREE && <i32>ses.row(j).id == id) return 2;
    if (ses.endIndex(id) >= 0) return 3;
    if (r.state > ses.ST_ESTABLISHED) return 4;
    if (<i32>r.nVideo > MAX_LIST || <i32>r.nAudio > MAX_LIST) return 5;
    if (r.fabric == 0) return 6;
    if (quiescent && (r.state == ses.ST_PENDING || (r.flags & ses.FLAG_BUSY) != 0)) return 7;
    if (ses.isLive(r.state)) {
      if (r.seq == 0) return 8;
      for (let j = 0; j < i; j++) if (ses.isLive(ses.row(j).state) && ses.row(j).seq == r.seq) return 9;
      if (<i32>r.nVideo + <i32>r.nAudio == 0) return 10;
      if (r.seq > lastSeqSeen) lastSeqSeen = r.seq;
    }
  }
  // every reference count equals the number of live list entries naming that stream
  for (let kind = 0; kind < 2; kind++) {
    for (let s = 0; s < st.streamCount(kind); s++) {
      const sid = st.streamIdAt(kind, s);
      let n = 0;
      for (let i = 0; i < N_SESSIONS; i++) {
        const r = ses.row(i);
        if (!ses.isLive(r.state)) continue;
        const cnt = kind == KIND_VIDEO ? <i32>r.nVideo : <i32>r.nAudio;
        for (let k = 0; k < cnt; k++) if (ses.listAt(i, kind == KIND_VIDEO ? ses.L_VIDEO : ses.L_AUDIO, k) == sid) n++;
      }
      if (n != st.streamRefsAt(kind, s)) return 11;
    }
  }
  if (ses.evOverflow) return 12;
  // waiting candidates belong to live sessions
  if (out.candFreeSlots() + liveCandidates() != MAX_CAND) return 13;
  return 0;
}
function liveCandidates(): i32 {
  let n = 0;
  for (let i = 0; i < N_SESSIONS; i++) {
    const r = ses.row(i);
    if (ses.isLive(r.state)) n += out.candPending(<i32>r.id);
  }
  return n;
}

/** Structure check of an arbitrary TLV element staged in IN: element count, or -1 if malformed. */
export function tlvScan(len: i32): i32 {
  if (len < 0 || len > IN_LEN) return -1;
  return tlv.scan(IN, len);
}
