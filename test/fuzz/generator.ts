/**
 * Well-formed provider requests for the structure-aware fuzzer, chosen against the live table, and
 * the one-field faults made before encoding.
 *
 * A request names what the table holds: an allocated stream, a usage StreamUsagePriorities lists,
 * a live session of the calling controller — or, as its one fault, a session of another fabric or
 * peer, one that just ended, an unallocated stream, a usage out of range, a string one byte past a
 * bound (SDP_LEN, ICE URL/username/credential/policy lengths), a list one entry past a bound
 * (MAX_IN_CAND candidates, 16 stream ids, 10 ICE servers or URLs), or a field left out. Every
 * request is encoded by matter.js's own codecs (test/support/wire.ts), which skip their bound
 * checks so out-of-range values reach the core.
 *
 * Limits: a field fault changes what the request means, never its TLV shape; shape faults are
 * `faults.ts`'s.
 */

import type { Rng } from "./fuzzer.js";
import type { ModelCaps, TableModel } from "./model.js";
import { Command, type CommandId } from "./request-oracle.js";
import { contextTag, parseElement, serialize } from "./tlv-tree.js";
import {
    answerTlv, endTlv, iceTlv, offerTlv, solicitTlv, type CandidateFields, type IceServerFields, type OfferFields, type SolicitFields,
} from "../support/wire.js";

/** A controller issuing commands: its accessing fabric and CASE node id. */
export interface Caller {
    fabric: number;
    peer: bigint;
}
/** Four controllers: two on fabric 1 (different peers), one each on fabrics 2 and 3. */
export const CALLERS: readonly Caller[] = [
    { fabric: 1, peer: 0x1122_3344_5566_7788n },
    { fabric: 1, peer: 5n },
    { fabric: 2, peer: 77n },
    { fabric: 3, peer: 0xffff_ffff_ffff_fff0n },
];

/** A request before encoding, with the fault it carries ("none" when clean). */
export interface Draft {
    command: CommandId;
    fields: SolicitFields | OfferFields | { webRtcSessionId: number; sdp?: string; iceCandidates?: CandidateFields[]; reason?: number };
    fault: string;
    /** Mandatory members left out after encoding (matter.js will not encode without them). */
    drop?: number[];
}

/** An ASCII SDP of exactly `bytes` bytes (or a few multi-byte characters when `utf8`), at least 5. */
export function sdpOfBytes(bytes: number, utf8 = false): string {
    const head = "v=0\r\n";
    if (bytes <= head.length) return head.slice(0, Math.max(bytes, 0));
    let body = "";
    let left = bytes - head.length;
    if (utf8) {
        // matter.js 0.17.9 sizes a string's length field by its UTF-16 length, not its UTF-8
        // length (TlvString.encodeTlvInternal): keep both on the same side of 256 bytes
        const n = Math.min(Math.floor(left / 2), 8, bytes >= 256 ? bytes - 256 : Infinity);
        body = "é".repeat(n);
        left -= 2 * n;
    }
    return head + body + "a".repeat(left);
}

export class Generator {
    readonly #rng: Rng;
    readonly #model: TableModel;
    readonly #caps: ModelCaps;
    /** Ids that were live once: a command for one is a command for a session that is gone. */
    readonly #gone: number[] = [];

    constructor(rng: Rng, model: TableModel) {
        this.#rng = rng;
        this.#model = model;
        this.#caps = model.caps;
    }

    noteGone(id: number): void {
        this.#gone.push(id);
        if (this.#gone.length > 16) this.#gone.shift();
    }

    // ── choices against the table ─────────────────────────────────────────────────────────────
    /** A live session of `caller` if there is one (or, rarely, any id worth trying). */
    ownedSession(caller: Caller): number | undefined {
        const mine = this.#model.live().filter(r => r.fabric === caller.fabric && r.peer === caller.peer);
        return mine.length > 0 ? this.#rng.pick(mine).id : undefined;
    }
    /** A session id that is not the caller's: another controller's, a gone one, an unused one, 0 or 0xFFFF. */
    wrongSession(caller: Caller): { id: number; what: string } {
        const rng = this.#rng;
        const others = this.#model.live().filter(r => r.fabric !== caller.fabric || r.peer !== caller.peer);
        const roll = rng.int(10);
        if (roll < 4 && others.length > 0) {
            const r = rng.pick(others);
            return { id: r.id, what: r.fabric !== caller.fabric ? "another fabric's session" : "another peer's session" };
        }
        if (roll < 6 && this.#gone.length > 0) return { id: rng.pick(this.#gone), what: "an ended session" };
        if (roll < 7) return { id: rng.pick([0, 0xffff]), what: "session id 0 or 0xFFFF" };
        const ends = this.#model.endIds();
        if (roll < 8 && ends.length > 0) return { id: rng.pick(ends), what: "a session owed an End" };
        const pending = this.#model.pending();
        if (roll < 9 && pending.length > 0) return { id: rng.pick(pending).id, what: "a reserved session" };
        return { id: 1000 + rng.int(60000), what: "an unknown session" };
    }
    #usage(): number {
        const p = this.#model.priorities;
        return p.length > 0 && this.#rng.chance(0.9) ? this.#rng.pick(p) : this.#rng.int(4);
    }
    #streamId(kind: number): number | null {
        const list = this.#model.streamsOf(kind);
        return list.length > 0 && this.#rng.chance(0.85) ? this.#rng.pick(list).id : null;
    }
    #streamList(kind: number): number[] | undefined {
        const ids = this.#model.streamsOf(kind).map(s => s.id);
        if (ids.length === 0) return undefined;
        const out = ids.filter(() => this.#rng.chance(0.5));
        return out.length > 0 ? out : [this.#rng.pick(ids)];
    }
    /** Stream fields a new session may ask for: auto, explicit ids, one kind, or the rev-2 lists. */
    #streamFields(): Partial<SolicitFields> {
        const rng = this.#rng;
        switch (rng.int(5)) {
            case 0:
                return { videoStreamId: null, audioStreamId: null };
            case 1:
                return { videoStreamId: this.#streamId(0), audioStreamId: this.#streamId(1) };
            case 2:
                return rng.chance(0.5) ? { videoStreamId: this.#streamId(0) } : { audioStreamId: this.#streamId(1) };
            default: {
                const v = this.#streamList(0);
                const a = this.#streamList(1);
                if (v === undefined && a === undefined) return { videoStreamId: null };
                return { ...(v !== undefined ? { videoStreams: v } : {}), ...(a !== undefined ? { audioStreams: a } : {}) };
            }
        }
    }
    #iceServers(): IceServerFields[] | undefined {
        const rng = this.#rng;
        if (!rng.chance(0.3)) return undefined;
        const n = 1 + rng.int(3);
        return Array.from({ length: n }, () => {
            const s: IceServerFields = { urLs: [rng.pick(["stun:stun.example:3478", "turn:turn.example:3478?transport=tcp", "turns:t.example:5349", "stuns:s.example", "turns", "stun:", ""])] };
            if (rng.chance(0.5)) s.username = "user" + rng.int(4);
            if (rng.chance(0.5)) s.credential = "pw" + rng.int(4);
            if (rng.chance(0.3)) s.caid = rng.pick([0, 7, 300, 65534]);
            return s;
        });
    }
    #sdp(): string {
        const rng = this.#rng;
        // SDPs at SDP_LEN are rare (they cost a thousand times a small one to encode and check)
        const r = rng.int(200);
        if (r === 0) return sdpOfBytes(this.#caps.sdpLen, rng.chance(0.5));
        if (r === 1) return sdpOfBytes(this.#caps.sdpLen - 1 - rng.int(4));
        return sdpOfBytes(r < 20 ? 20 + rng.int(1000) : 20 + 8 * rng.int(16), rng.chance(0.1));
    }
    #candidates(n: number): CandidateFields[] {
        const rng = this.#rng;
        return Array.from({ length: n }, (_, i) => ({
            candidate: `candidate:${i} 1 udp ${2122260223 - i} 10.0.0.${rng.int(2)} 50000 typ host`,
            sdpMid: rng.chance(0.25) ? null : rng.pick(["0", "1", "video"]),
            sdpmLineIndex: rng.chance(0.25) ? null : rng.int(2),
        }));
    }

    // ── drafts ────────────────────────────────────────────────────────────────────────────────
    /** A clean request of `command` from `caller` against the table, or with one field fault. */
    draft(command: CommandId, caller: Caller, faulty: boolean): Draft {
        switch (command) {
            case Command.SolicitOffer:
                return this.#offerDraft(false, caller, faulty);
            case Command.ProvideOffer:
                return this.#offerDraft(true, caller, faulty);
            case Command.ProvideAnswer:
                return this.#answerDraft(caller, faulty);
            case Command.ProvideIceCandidates:
                return this.#iceDraft(caller, faulty);
            default:
                return this.#endDraft(caller, faulty);
        }
    }

    #offerDraft(isProvide: boolean, caller: Caller, faulty: boolean): Draft {
        const rng = this.#rng;
        const command = isProvide ? Command.ProvideOffer : Command.SolicitOffer;
        const owned = this.ownedSession(caller);
        const reoffer = isProvide && owned !== undefined && rng.chance(0.35);
        let fields: OfferFields;
        if (reoffer) {
            fields = { webRtcSessionId: owned, sdp: this.#sdp(), streamUsage: undefined, originatingEndpointId: undefined };
            if (rng.chance(0.3)) fields.streamUsage = this.#usage();
            if (rng.chance(0.3)) fields.originatingEndpointId = 1 + rng.int(3);
            if (rng.chance(0.4)) Object.assign(fields, this.#streamFields());
            if (rng.chance(0.3)) fields.metadataEnabled = rng.chance(0.5);
        } else {
            fields = { streamUsage: this.#usage(), originatingEndpointId: 1 + rng.int(3), ...this.#streamFields() };
            if (isProvide) Object.assign(fields, { webRtcSessionId: null, sdp: this.#sdp() });
            if (rng.chance(0.4)) fields.metadataEnabled = rng.chance(0.5);
        }
        const servers = this.#iceServers();
        if (servers !== undefined) fields.iceServers = servers;
        if (rng.chance(0.2)) fields.iceTransportPolicy = rng.pick(["all", "relay", "x".repeat(16)]);
        if (!faulty) return { command, fields, fault: "none" };
        return { command, ...this.#offerFault(isProvide, fields, caller) };
    }

    #offerFault(isProvide: boolean, f: OfferFields, caller: Caller): { fields: OfferFields; fault: string; drop: number[] } {
        const rng = this.#rng;
        const drop: number[] = [];
        const base = isProvide ? 2 : 0;
        const caps = this.#caps;
        const unallocated = (kind: number) => {
            const ids = new Set(this.#model.streamsOf(kind).map(s => s.id));
            let id = rng.pick([0, 2, 4, 9, 0xfffe, 0xffff]);
            while (ids.has(id)) id++;
            return id & 0xffff;
        };
        const server = (over: Partial<IceServerFields>): IceServerFields => ({ urLs: ["stun:a.example"], ...over });
        const faults: [string, () => void][] = [
            ["StreamUsage out of range", () => (f.streamUsage = rng.pick([4, 5, 0x80, 0xff]))],
            ["StreamUsage not supported", () => (f.streamUsage = [0, 1, 2, 3].find(u => !this.#model.priorities.includes(u)) ?? 0)],
            ["OriginatingEndpointID 0xFFFF", () => (f.originatingEndpointId = 0xffff)],
            ["VideoStreamID unallocated", () => Object.assign(f, { videoStreamId: unallocated(0), videoStreams: undefined, audioStreams: undefined })],
            ["AudioStreamID unallocated", () => Object.assign(f, { audioStreamId: unallocated(1), videoStreams: undefined, audioStreams: undefined })],
            ["VideoStreams with an unallocated id", () => Object.assign(f, { videoStreams: [...(this.#streamList(0) ?? []), unallocated(0)], videoStreamId: undefined, audioStreamId: undefined })],
            ["VideoStreams with a duplicate", () => Object.assign(f, { videoStreams: [1, 1], videoStreamId: undefined, audioStreamId: undefined })],
            ["AudioStreams with a duplicate", () => Object.assign(f, { audioStreams: [2, 3, 2], videoStreamId: undefined, audioStreamId: undefined })],
            ["VideoStreams empty", () => Object.assign(f, { videoStreams: [], videoStreamId: undefined, audioStreamId: undefined })],
            ["AudioStreams of 17", () => Object.assign(f, { audioStreams: Array.from({ length: 17 }, (_, i) => i + 1), videoStreamId: undefined, audioStreamId: undefined })],
            ["VideoStreams of 16 distinct", () => Object.assign(f, { videoStreams: Array.from({ length: 16 }, (_, i) => i + 1), videoStreamId: undefined, audioStreamId: undefined })],
            ["scalar id and list together", () => Object.assign(f, { videoStreamId: this.#streamId(0), audioStreams: this.#streamList(1) ?? [2] })],
            ["no stream field", () => Object.assign(f, { videoStreamId: undefined, audioStreamId: undefined, videoStreams: undefined, audioStreams: undefined })],
            ["StreamUsage missing", () => drop.push(base)],
            ["OriginatingEndpointID missing", () => drop.push(base + 1)],
            ["11 ICE servers", () => (f.iceServers = Array.from({ length: 11 }, () => server({})))],
            ["10 ICE servers", () => (f.iceServers = Array.from({ length: 10 }, () => server({})))],
            ["11 URLs", () => (f.iceServers = [server({ urLs: Array.from({ length: 11 }, (_, i) => `stun:h${i}`) })])],
            ["URL of 2001 bytes", () => (f.iceServers = [server({ urLs: ["stun:" + "u".repeat(1995)] })])],
            ["URL of 2000 bytes", () => (f.iceServers = [server({ urLs: ["stun:" + "u".repeat(1994)] })])],
            ["Username of 509 bytes", () => (f.iceServers = [server({ username: "n".repeat(509) })])],
            ["Username of 508 bytes (multi-byte)", () => (f.iceServers = [server({ username: "é".repeat(200) + "n".repeat(108) })])],
            ["Credential of 513 bytes", () => (f.iceServers = [server({ credential: "c".repeat(513) })])],
            ["CAID 65535", () => (f.iceServers = [server({ caid: 65535 })])],
            ["CAID 65534", () => (f.iceServers = [server({ caid: 65534 })])],
            ["ICETransportPolicy of 17 bytes", () => (f.iceTransportPolicy = "p".repeat(17))],
            ["turns: URL", () => (f.iceServers = [server({ urLs: ["turns:t.example:5349"] })])],
            ["MetadataEnabled", () => (f.metadataEnabled = !(f.metadataEnabled ?? false))],
        ];
        if (isProvide) {
            faults.push(
                ["SDP of SDP_LEN + 1 bytes", () => (f.sdp = sdpOfBytes(caps.sdpLen + 1, rng.chance(0.5)))],
                ["SDP of SDP_LEN bytes", () => (f.sdp = sdpOfBytes(caps.sdpLen, rng.chance(0.5)))],
                ["SDP empty", () => (f.sdp = "")],
                ["WebRTCSessionID not the caller's", () => {
                    const w = this.wrongSession(caller);
                    f.webRtcSessionId = w.id;
                }],
                ["WebRTCSessionID missing", () => drop.push(0)],
                ["SDP missing", () => drop.push(1)],
            );
        }
        const [fault, apply] = rng.pick(faults);
        apply();
        return { fields: f, fault, drop };
    }

    #answerDraft(caller: Caller, faulty: boolean): Draft {
        const rng = this.#rng;
        const id = this.ownedSession(caller) ?? this.wrongSession(caller).id;
        const fields = { webRtcSessionId: id, sdp: this.#sdp() };
        if (!faulty) return { command: Command.ProvideAnswer, fields, fault: "none" };
        const faults: [string, () => void][] = [
            ["WebRTCSessionID not the caller's", () => (fields.webRtcSessionId = this.wrongSession(caller).id)],
            ["SDP empty", () => (fields.sdp = "")],
            ["SDP of SDP_LEN + 1 bytes", () => (fields.sdp = sdpOfBytes(this.#caps.sdpLen + 1, rng.chance(0.5)))],
            ["SDP of SDP_LEN bytes", () => (fields.sdp = sdpOfBytes(this.#caps.sdpLen, rng.chance(0.5)))],
        ];
        // the SDP_LEN edges cost a thousand small payloads each: one answer fault in ten
        const [fault, apply] = faults[rng.chance(0.1) ? 2 + rng.int(2) : rng.int(2)]!;
        apply();
        return { command: Command.ProvideAnswer, fields, fault };
    }

    #iceDraft(caller: Caller, faulty: boolean): Draft {
        const rng = this.#rng;
        const id = this.ownedSession(caller) ?? this.wrongSession(caller).id;
        const fields = { webRtcSessionId: id, iceCandidates: this.#candidates(1 + rng.int(4)) };
        if (!faulty) return { command: Command.ProvideIceCandidates, fields, fault: "none" };
        const max = this.#caps.inboundCandidates;
        const faults: [string, () => void][] = [
            ["ICECandidates empty", () => (fields.iceCandidates = [])],
            ["MAX_IN_CAND + 1 candidates", () => (fields.iceCandidates = this.#candidates(max + 1))],
            ["MAX_IN_CAND candidates", () => (fields.iceCandidates = this.#candidates(max))],
            ["SDPMid empty", () => (fields.iceCandidates[rng.int(fields.iceCandidates.length)]!.sdpMid = "")],
            ["SDPMLineIndex 0xFFFF", () => (fields.iceCandidates[0]!.sdpmLineIndex = 0xffff)],
            ["Candidate of 2000 bytes", () => (fields.iceCandidates[0]!.candidate = "candidate:" + "c".repeat(1990))],
            ["WebRTCSessionID not the caller's", () => (fields.webRtcSessionId = this.wrongSession(caller).id)],
        ];
        const [fault, apply] = rng.pick(faults);
        apply();
        return { command: Command.ProvideIceCandidates, fields, fault };
    }

    #endDraft(caller: Caller, faulty: boolean): Draft {
        const rng = this.#rng;
        const id = this.ownedSession(caller) ?? this.wrongSession(caller).id;
        const fields = { webRtcSessionId: id, reason: rng.int(13) };
        if (!faulty) return { command: Command.EndSession, fields, fault: "none" };
        const faults: [string, () => void][] = [
            ["Reason out of range", () => (fields.reason = rng.pick([13, 14, 0x80, 0xff]))],
            ["Reason 12 (highest)", () => (fields.reason = 12)],
            ["WebRTCSessionID not the caller's", () => (fields.webRtcSessionId = this.wrongSession(caller).id)],
        ];
        const [fault, apply] = rng.pick(faults);
        apply();
        return { command: Command.EndSession, fields, fault };
    }
}

/**
 * matter.js's encodings of recent drafts. Some drafts repeat (clean requests for the same sessions
 * and streams, small SDPs), and matter.js's encoder is the fuzzer's most expensive step: a hit
 * costs a JSON key instead.
 */
const encoded = new Map<string, Uint8Array>();
const ENCODED_CAP = 8192;

/** The draft's fields as matter.js encodes them (less the members it drops); the bytes are shared, never change them. */
export function encodeDraft(d: Draft): Uint8Array {
    const key = `${d.command}|${d.drop?.join(",") ?? ""}|${JSON.stringify(d.fields)}`;
    const hit = encoded.get(key);
    if (hit !== undefined) return hit;
    const bytes = dropMembers(d);
    if (encoded.size >= ENCODED_CAP) encoded.clear();
    encoded.set(key, bytes);
    return bytes;
}
function dropMembers(d: Draft): Uint8Array {
    const bytes = encodeFields(d);
    if (d.drop === undefined || d.drop.length === 0) return bytes;
    const root = parseElement(bytes)!.element;
    root.children = root.children!.filter(m => !d.drop!.includes(contextTag(m) ?? -1));
    return serialize(root);
}
function encodeFields(d: Draft): Uint8Array {
    const f = d.fields as OfferFields & { webRtcSessionId: number; sdp: string; iceCandidates: CandidateFields[]; reason: number };
    switch (d.command) {
        case Command.SolicitOffer:
            return solicitTlv(f);
        case Command.ProvideOffer:
            return offerTlv(f);
        case Command.ProvideAnswer:
            return answerTlvRaw(f);
        case Command.ProvideIceCandidates:
            return iceTlv(f.webRtcSessionId, f.iceCandidates);
        default:
            return endTlv(f.webRtcSessionId, f.reason);
    }
}
function answerTlvRaw(f: { webRtcSessionId: number; sdp: string }): Uint8Array {
    return answerTlv(f.webRtcSessionId, f.sdp);
}

