/**
 * The mutation fuzz mode for the WASM core: random and mutated command payloads, interleaved with
 * the provider's own operations, checked after every step. (The structure-aware mode, which
 * predicts every status, is `structured.ts`; this one is the baseline it is compared with, so its
 * inputs are left as they were.)
 *
 * Inputs come from three sources, chosen at random per step:
 * - mutations of a seed corpus of valid requests for all five commands, encoded with matter.js's
 *   codecs through test/support/wire.ts (bit flips, byte changes, inserts, deletes, truncations,
 *   splices, length-field tweaks);
 * - random TLV trees (every element type and tag form, nested), wrapped as a command's fields;
 * - random bytes.
 * Successful decisions are committed or aborted at random (a hook that succeeds or fails), and
 * provider operations (privacy switches, fabric removal, provider End, stream changes, snapshots,
 * candidate admission, offer expiry) are mixed in.
 *
 * After every step: no trap, the status is a Matter status the core may return, linear memory has
 * not changed size, the abort hook never fired, the table's invariants hold (`selfCheck`), and a
 * refused command left the table byte-for-byte unchanged, and a payload the oracle
 * (`request-oracle.ts`) finds malformed was answered INVALID_COMMAND. A deterministic PRNG makes
 * any failure reproducible from its seed and step number.
 */

import { Action, type Core } from "../../src/engine/core.js";
import { Status } from "../../src/engine/status.js";
import { StreamKind, type EndReason, type StreamUsage } from "../../src/engine/types.js";
import { AUTO_STREAMS, answerTlv, endTlv, iceTlv, offerTlv, solicitTlv } from "../support/wire.js";
import { mixes, namesAnyStream } from "./model.js";
import { decodeRequest } from "./request-oracle.js";
import { newStats, record, timer, type ModeStats } from "./stats.js";

const VALID_STATUSES = new Set<number>([...Object.values(Status)]);
const COMMANDS = [0x00, 0x02, 0x04, 0x05, 0x06];

/** xorshift32: small, fast, reproducible. */
export class Rng {
    #s: number;
    constructor(seed: number) {
        this.#s = seed >>> 0 || 0x9e3779b9;
    }
    next(): number {
        let x = this.#s;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        this.#s = x >>> 0;
        return this.#s;
    }
    int(n: number): number {
        return this.next() % n;
    }
    chance(p: number): boolean {
        return this.next() / 0x100000000 < p;
    }
    pick<T>(items: readonly T[]): T {
        return items[this.int(items.length)] as T;
    }
}

const sdp = (n: number) =>
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n" + "a=x\r\n".repeat(n);

/** Valid requests of every command, as matter.js encodes them (test/support/wire.ts): the mutation corpus. */
function seedCorpus(): { command: number; bytes: Uint8Array }[] {
    const servers = [
        { urLs: ["stun:stun.example.com:19302"], username: "", credential: "" },
        { urLs: ["turn:turn.example.com:3478", "turns:turn.example.com:5349"], username: "u", credential: "p", caid: 7 },
    ];
    const corpus: { command: number; bytes: Uint8Array }[] = [];
    const add = (command: number, bytes: Uint8Array) => corpus.push({ command, bytes });
    for (const usage of [0, 1, 2, 3]) {
        add(0x00, solicitTlv({ streamUsage: usage, ...AUTO_STREAMS }));
        add(0x00, solicitTlv({ streamUsage: usage, originatingEndpointId: 2, videoStreams: [1], audioStreams: [2] }));
        add(0x02, offerTlv({ sdp: sdp(usage * 20), streamUsage: usage, videoStreamId: 1, audioStreamId: 2 }));
    }
    add(0x00, solicitTlv({ videoStreamId: 1, iceServers: servers, iceTransportPolicy: "relay", metadataEnabled: false }));
    add(0x02, offerTlv({ sdp: sdp(3), videoStreams: [1, 3], iceServers: servers, iceTransportPolicy: "all" }));
    for (const id of [1, 2, 3, 4, 5, 6]) {
        add(0x02, offerTlv({ webRtcSessionId: id, sdp: sdp(2), streamUsage: undefined, originatingEndpointId: undefined, videoStreamId: null }));
        add(0x04, answerTlv(id, sdp(4)));
        add(0x05, iceTlv(id, [
            { candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", sdpMid: "0", sdpmLineIndex: 0 },
            { candidate: "candidate:2 1 udp 2122260222 ::1 50001 typ host", sdpMid: null, sdpmLineIndex: null },
        ]));
        add(0x06, endTlv(id, id % 13));
    }
    return corpus;
}

function mutate(rng: Rng, input: Uint8Array, corpus: { bytes: Uint8Array }[]): Uint8Array {
    let b = Array.from(input);
    const rounds = 1 + rng.int(4);
    for (let r = 0; r < rounds; r++) {
        const at = b.length === 0 ? 0 : rng.int(b.length);
        switch (rng.int(8)) {
            case 0: // bit flip
                if (b.length) b[at] = (b[at] as number) ^ (1 << rng.int(8));
                break;
            case 1: // interesting byte
                if (b.length) b[at] = rng.pick([0x00, 0x01, 0x7f, 0x80, 0xff, 0x18, 0x15, 0x16, 0x17, 0x14, 0x0c, 0x0f, 0x13, 0x07, 0x34, 0x35, 0x36]);
                break;
            case 2: // insert
                b.splice(at, 0, rng.int(256));
                break;
            case 3: // delete a run
                b.splice(at, 1 + rng.int(8));
                break;
            case 4: // truncate
                b = b.slice(0, at);
                break;
            case 5: { // splice in part of another seed
                const other = rng.pick(corpus).bytes;
                const from = rng.int(other.length);
                b.splice(at, rng.int(6), ...Array.from(other.subarray(from, from + 1 + rng.int(16))));
                break;
            }
            case 6: // duplicate a run (duplicated fields, unclosed containers)
                b.splice(at, 0, ...b.slice(at, at + 1 + rng.int(12)));
                break;
            default: // large length byte
                if (b.length) b[at] = 0xf0 | rng.int(16);
        }
    }
    return Uint8Array.from(b);
}

/** A random TLV element: any type, any tag form, nested up to `depth`. */
function randomElement(rng: Rng, out: number[], depth: number, tagged: boolean): void {
    const types = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x10, 0x11, 0x14, 0x15, 0x16, 0x17];
    const type = depth <= 0 ? rng.pick(types.slice(0, 17)) : rng.pick(types);
    const tagForms = tagged ? [1, 1, 1, 2, 3, 4, 5, 6, 7] : [0];
    const tagCtl = rng.pick(tagForms);
    out.push((tagCtl << 5) | type);
    const tagBytes = [0, 1, 2, 4, 2, 4, 6, 8][tagCtl] as number;
    for (let i = 0; i < tagBytes; i++) out.push(tagCtl === 1 ? rng.int(14) : rng.int(256));
    if (type <= 0x07) for (let i = 0; i < 1 << (type & 3); i++) out.push(rng.int(256));
    else if (type === 0x0a) for (let i = 0; i < 4; i++) out.push(rng.int(256));
    else if (type === 0x0b) for (let i = 0; i < 8; i++) out.push(rng.int(256));
    else if (type >= 0x0c && type <= 0x13) {
        const len = rng.int(12);
        const width = 1 << (type & 3);
        for (let i = 0; i < width; i++) out.push(i === 0 ? len : 0);
        for (let i = 0; i < len; i++) out.push(0x20 + rng.int(0x5f));
    } else if (type >= 0x15 && type <= 0x17) {
        const members = rng.int(5);
        for (let i = 0; i < members; i++) randomElement(rng, out, depth - 1, type === 0x15 || (type === 0x17 && rng.chance(0.5)));
        out.push(0x18);
    }
}

function randomFields(rng: Rng): Uint8Array {
    const out = [0x15];
    const members = rng.int(8);
    for (let i = 0; i < members; i++) randomElement(rng, out, 3, true);
    out.push(0x18);
    return Uint8Array.from(out);
}

function tableDigest(core: Core): string {
    const refs = [StreamKind.Video, StreamKind.Audio].map(k => core.streams(k).map(s => `${s.id}:${s.references}`).join(","));
    return Buffer.from(core.currentSessionsTlv(0)).toString("hex") + "|" + refs.join("|") + "|" + core.exports.endPendingCount();
}

export interface FuzzStats {
    steps: number;
    payloads: number;
    accepted: number;
    statuses: Map<number, number>;
}

export class FuzzFailure extends Error {}

/**
 * Runs `payloads` fuzzed commands (plus interleaved provider operations) against `core`. Each
 * payload's outcome goes into `modeStats`; the oracle's reading of the bytes (`request-oracle.ts`)
 * says whether it got past decoding, and a payload the oracle finds malformed must be INVALID_COMMAND.
 */
export function runFuzz(core: Core, payloads: number, seed: number, modeStats: ModeStats = newStats("mutation", "")): FuzzStats {
    const stop = timer(modeStats);
    const rng = new Rng(seed);
    const corpus = seedCorpus();
    const memoryBytes = core.memoryBytes;
    const stats: FuzzStats = { steps: 0, payloads: 0, accepted: 0, statuses: new Map() };
    const fabrics = [1, 2, 3];
    const peers = [11n, 12n, 0xffff_ffff_ffff_fff0n];
    const setup = () => {
        core.reset();
        core.addStream(StreamKind.Video, 1, 3);
        core.addStream(StreamKind.Video, 3, 1);
        core.addStream(StreamKind.Audio, 2, 3);
        core.setStreamUsagePriorities([3, 1, 2]);
    };
    setup();
    const fail = (what: string) => {
        throw new FuzzFailure(`seed ${seed}, step ${stats.steps}: ${what}`);
    };
    const check = (what: string) => {
        if (core.memoryBytes !== memoryBytes) fail(`${what}: memory changed size`);
        if (core.exports.abortLine() !== 0) fail(`${what}: abort fired at line ${core.exports.abortLine()}`);
        const broken = core.selfCheck(true);
        if (broken !== 0) fail(`${what}: invariant ${broken} broken`);
        core.takeEvents();
    };
    while (stats.payloads < payloads) {
        stats.steps++;
        if (rng.chance(0.12)) {
            providerOperation(core, rng);
            check("provider operation");
            continue;
        }
        const source = rng.int(10);
        let command: number;
        let bytes: Uint8Array;
        if (source < 6) {
            const seedItem = rng.pick(corpus);
            command = rng.chance(0.9) ? seedItem.command : rng.pick(COMMANDS);
            bytes = rng.chance(0.15) ? seedItem.bytes : mutate(rng, seedItem.bytes, corpus);
        } else if (source < 9) {
            command = rng.pick(COMMANDS);
            bytes = randomFields(rng);
        } else {
            command = rng.pick(COMMANDS);
            bytes = Uint8Array.from({ length: rng.int(64) }, () => rng.int(256));
        }
        stats.payloads++;
        const before = tableDigest(core);
        let decision;
        try {
            decision = core.decide(command, bytes, rng.pick(fabrics), rng.pick(peers));
        } catch (error) {
            fail(`command 0x${command.toString(16)} trapped on ${Buffer.from(bytes).toString("hex")}: ${String(error)}`);
            return stats;
        }
        stats.statuses.set(decision.status, (stats.statuses.get(decision.status) ?? 0) + 1);
        if (!VALID_STATUSES.has(decision.status)) fail(`invalid status ${decision.status}`);
        const decoded = decodeRequest(command, bytes);
        const admitted = bytes.length <= core.capacities.inLen;
        const reached = !admitted ? "admission: size" : !decoded.ok ? "decode" : decision.status === Status.Success ? "decided" : "rules (any)";
        record(modeStats, command, decision.status, admitted && decoded.ok, `${decision.action}:${reached}`);
        if (admitted && !decoded.ok && decision.status !== Status.InvalidCommand) {
            fail(`the oracle finds 0x${command.toString(16)} malformed (${decoded.why}) but the core answers ${decision.status}: ${Buffer.from(bytes).toString("hex")}`);
        }
        if (decoded.ok && decision.status === Status.InvalidCommand) {
            const r = decoded.request;
            const ruleLevel = r.kind === "offer" && (mixes(r) || (!namesAnyStream(r) && (command === 0x00 || r.sessionId === null)));
            if (!ruleLevel) fail(`the oracle decodes 0x${command.toString(16)} but the core answers INVALID_COMMAND: ${Buffer.from(bytes).toString("hex")}`);
        }
        if (decision.status !== Status.Success) {
            if (tableDigest(core) !== before) fail(`refused command 0x${command.toString(16)} changed the table: ${Buffer.from(bytes).toString("hex")}`);
        } else {
            stats.accepted++;
            if (decision.action === Action.Hook) settle(core, rng, command, decision.sessionId);
        }
        check(`command 0x${command.toString(16)} ${Buffer.from(bytes).toString("hex")}`);
        if (rng.chance(0.002)) setup();
    }
    modeStats.steps += stats.steps;
    modeStats.checks += stats.steps;
    stop();
    return stats;
}

/** Phase 2 as a hook would drive it: commit, or abort as a failed hook does. */
function settle(core: Core, rng: Rng, command: number, id: number): void {
    const commit = rng.chance(0.8);
    let status: number = Status.Success;
    if (command === 0x00) status = commit ? core.commitSolicitOffer(id, rng.chance(0.5), rng.int(100)) : core.abortPending(id);
    else if (command === 0x02) status = commit ? core.commitProvideOffer(id) : core.abortPending(id);
    else if (command === 0x04) status = commit ? core.commitProvideAnswer(id) : core.abortPending(id);
    if (status !== Status.Success) throw new FuzzFailure(`phase 2 of 0x${command.toString(16)} for ${id} failed: ${status}`);
}

function providerOperation(core: Core, rng: Rng): void {
    const ids = core.sessions().map(s => s.id);
    const id = ids.length > 0 && rng.chance(0.9) ? rng.pick(ids) : rng.int(0x10000);
    switch (rng.int(9)) {
        case 0:
            core.setPrivacy(rng.chance(0.2), rng.chance(0.3), rng.chance(0.3));
            break;
        case 1:
            core.removeFabric(1 + rng.int(3));
            break;
        case 2:
            core.endByProvider(id, rng.int(14) as EndReason);
            break;
        case 3:
            core.snapOffer(id, "v=0\r\n" + "a=y\r\n".repeat(rng.int(50)));
            break;
        case 4:
            core.snapAnswer(id, "v=0\r\n");
            break;
        case 5: {
            const n = 1 + rng.int(24);
            for (let i = 0; i < n; i++) {
                core.admitCandidate(id, {
                    candidate: `candidate:${i} 1 udp ${rng.next()} 127.0.0.1 ${rng.int(65536)} typ host` + "x".repeat(rng.chance(0.05) ? 600 : 0),
                    sdpMid: rng.chance(0.3) ? null : String(rng.int(3)),
                    sdpMLineIndex: rng.chance(0.3) ? null : rng.int(3),
                });
            }
            break;
        }
        case 6:
            core.snapIce(id);
            break;
        case 7: {
            const ends = core.exports.endPendingCount();
            for (let probe = 1; probe < 0x10000 && core.exports.endPendingCount() === ends && ends > 0; probe = probe * 2 + rng.int(3)) core.snapEnd(probe);
            core.expireOffers(rng.int(200));
            break;
        }
        default: {
            const kind = rng.pick([StreamKind.Video, StreamKind.Audio]);
            const sid = rng.pick([1, 2, 3, 4]);
            if (rng.chance(0.5)) core.addStream(kind, sid, rng.int(4) as StreamUsage);
            else core.removeStream(kind, sid);
        }
    }
}
