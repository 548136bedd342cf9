/**
 * The structure-aware fuzz mode: sequences of well-formed commands against live sessions, most
 * carrying exactly one fault, mixed with the camera's own operations, every step predicted by a
 * model of the table and checked against the core.
 *
 * A step is a command from one of four controllers (two peers on fabric 1, fabrics 2 and 3): a
 * clean request built against the table (`generator.ts`), one with a field fault, one with a shape
 * fault (`faults.ts`), or one refused at admission (no accessing fabric, a payload one byte past
 * IN_LEN, or exactly IN_LEN); now and then a burst of clean SolicitOffers fills the table and the
 * End records. Or it settles a hook left open (a command's phase 2 arriving after other commands),
 * or is a provider operation: privacy switches, fabric removal, provider End,
 * Offer/Answer/End snapshots at the stage's capacity edge, local candidates at CAND_LEN, MID_LEN and
 * MAX_CAND, ICE batches, offer expiry, stream allocation and removal, priorities, UTC time.
 *
 * The oracle (`request-oracle.ts`) reads the bytes and the model (`model.ts`) predicts the status,
 * session id and action; the core must agree. After every step: no trap, memory the same size, the
 * abort hook silent, `selfCheck` clean, and the model equal to the core (sessions with every field,
 * reservations, pending Ends, next id, stream references, waiting candidates, change events); a
 * refused command left the table byte for byte unchanged. Every accepted command's hook arguments
 * (streams, usage, endpoint, ICE servers, SDP, candidates, reason), every response and every
 * snapshot are decoded with matter.js and compared with the model; CurrentSessions is decoded for
 * each fabric every 32 steps. A deterministic PRNG makes a failure reproducible from seed and step.
 *
 * Limits: one core, synchronous; the engine's async hooks are modelled as phase 1 now and phase 2
 * later, at most three open at a time.
 */

import type { Core } from "../../src/engine/core.js";
import { Status, statusName } from "../../src/engine/status.js";
import { StreamKind } from "../../src/engine/types.js";
import { decode, toHex } from "../support/wire.js";
import { family, shapeFault } from "./faults.js";
import { FuzzFailure, Rng } from "./fuzzer.js";
import { CALLERS, encodeDraft, Generator, sdpOfBytes, type Caller } from "./generator.js";
import { Action, TableModel, type Expectation, type ModelCaps, type Terms } from "./model.js";
import { COMMAND_NAMES, decodeRequest, type CommandId, type Decoded, type IceServerRequest } from "./request-oracle.js";
import { newStats, record, timer, type ModeStats } from "./stats.js";
import { encodedLength, serialize, tlv, parseElement } from "./tlv-tree.js";

/** Commands by weight: offers most, as they open the sessions the others need. */
const COMMAND_MIX: readonly CommandId[] = [0x00, 0x00, 0x02, 0x02, 0x02, 0x04, 0x04, 0x05, 0x05, 0x06, 0x06];
const MAX_OPEN_HOOKS = 3;

export function capsOf(core: Core): ModelCaps {
    const c = core.capacities;
    return {
        sessions: c.sessions, sdpLen: c.sdpLen, inLen: c.inLen, inboundCandidates: c.inboundCandidates, pendingEnds: c.pendingEnds,
        maxCand: c.maxCand, candLen: c.candLen, midLen: c.midLen, streamsPerKind: c.streamsPerKind, outLen: c.outLen,
    };
}

/** JSON with sorted keys and bigints as strings: order-free comparison of decoded values. */
function canon(v: unknown): string {
    return JSON.stringify(v, (_, x: unknown) => {
        if (typeof x === "bigint") return x.toString();
        if (x !== null && typeof x === "object" && !Array.isArray(x)) {
            return Object.fromEntries(Object.entries(x as Record<string, unknown>).filter(([, y]) => y !== undefined).sort(([a], [b]) => a.localeCompare(b)));
        }
        return x;
    });
}

/** `bytes` with an unknown octet-string member (tag 20) added so the payload is exactly `total` bytes. */
export function padTo(bytes: Uint8Array, total: number): Uint8Array {
    const root = parseElement(bytes)!.element;
    const fill = total - encodedLength(root) - 4;
    if (fill < 0 || fill > 0xffff) throw new Error(`cannot pad ${bytes.length} bytes to ${total}`);
    root.children!.push(tlv.bytes(20, new Uint8Array(fill), 1));
    return serialize(root);
}

function digest(core: Core): string {
    const x = core.exports;
    const refs = [StreamKind.Video, StreamKind.Audio].map(k => core.streams(k).map(s => `${s.id}:${s.references}`).join(","));
    return `${toHex(core.currentSessionsTlv(0))}|${refs.join("|")}|${x.endPendingCount()}|${x.nextId()}|${x.candFreeSlots()}`;
}

interface OpenHook {
    command: CommandId;
    id: number;
}

/** Runs `payloads` structure-aware commands (plus provider operations) against `core`. */
export function runStructured(core: Core, payloads: number, seed: number, stats: ModeStats = newStats("structured", "")): ModeStats {
    const rng = new Rng(seed);
    const caps = capsOf(core);
    const model = new TableModel(caps);
    const gen = new Generator(rng, model);
    const memoryBytes = core.memoryBytes;
    const open: OpenHook[] = [];
    let clock = 1000;
    /** What the step is doing, formatted only when it fails. */
    let context: string | (() => string) = "";
    const stop = timer(stats);

    const fail = (what: string): never => {
        throw new FuzzFailure(`structured, seed ${seed}, step ${stats.steps} (${typeof context === "string" ? context : context()}): ${what}`);
    };
    const same = (what: string, got: unknown, want: unknown): void => {
        const g = canon(got);
        const w = canon(want);
        if (g !== w) fail(`${what}: core ${g}, model ${w}`);
    };
    const statusIs = (what: string, got: number, want: number): void => {
        if (got !== want) fail(`${what}: core ${statusName(got)}, model ${statusName(want)}`);
    };

    // ── the stream context of an episode ──────────────────────────────────────────────────────
    const setup = (): void => {
        core.reset();
        model.reset();
        open.length = 0;
        for (const kind of [0, 1] as const) {
            const n = rng.chance(0.1) ? 0 : rng.chance(0.1) ? caps.streamsPerKind : 1 + rng.int(3);
            for (let i = 0; i < n; i++) {
                // CameraAvStreamManagement allocates ids 0..65534 (0xFFFF is a nullable u16's null)
                const id = rng.chance(0.8) ? 1 + kind + 2 * i : rng.int(0xffff);
                const usage = rng.int(4);
                statusIs("addStream", core.addStream(kind, id, usage as 0), model.addStream(kind, id, usage));
            }
        }
        const usages = [3, 0, 1, 2].filter((u, i) => i === 0 ? rng.chance(0.9) : rng.chance(0.4));
        statusIs("setStreamUsagePriorities", core.setStreamUsagePriorities(usages as never), model.setPriorities(usages));
        const utc = rng.chance(0.2);
        core.setUtcTimeNull(utc);
        model.utcTimeNull = utc;
        core.takeEvents();
        model.events = [];
    };

    const check = (): void => {
        stats.checks++;
        if (core.memoryBytes !== memoryBytes) fail("memory changed size");
        if (core.exports.abortLine() !== 0) fail(`abort fired at line ${core.exports.abortLine()}`);
        const quiescent = model.pending().length === 0 && model.live().every(r => !r.busy);
        const broken = core.selfCheck(quiescent);
        if (broken !== 0) fail(`invariant ${broken} broken`);
        const m = model.mismatch(core);
        if (m !== undefined) fail(`model and core differ: ${m}`);
        if (stats.steps % 32 === 0) checkCurrentSessions();
    };
    const checkCurrentSessions = (): void => {
        for (const fabric of [1, 2, 3]) {
            const rows = decode.currentSessions(core.currentSessionsTlv(fabric));
            const want = model.live().filter(r => r.fabric === fabric).map(r => ({
                id: r.id, peerNodeId: r.peer, peerEndpointId: r.terms.endpoint, streamUsage: r.terms.usage,
                videoStreamId: r.terms.video[0] ?? null, audioStreamId: r.terms.audio[0] ?? null, metadataEnabled: r.terms.metadata,
                videoStreams: r.terms.video.length > 0 ? r.terms.video : undefined, audioStreams: r.terms.audio.length > 0 ? r.terms.audio : undefined,
                fabricIndex: fabric,
            }));
            same(`CurrentSessions of fabric ${fabric}`, rows.map(r => ({ ...r, peerNodeId: BigInt(r.peerNodeId) })), want);
        }
    };

    // ── commands ──────────────────────────────────────────────────────────────────────────────
    const checkArgs = (command: CommandId, decoded: Decoded, expect: Expectation, caller: Caller): void => {
        if (!decoded.ok) return;
        const r = decoded.request;
        const id = expect.sessionId!;
        if (r.kind === "offer" && expect.action === Action.Hook) {
            const p = core.offerParams(id, caller.fabric, caller.peer);
            const t = expect.proposal as Terms;
            same("hook arguments", {
                videoStreams: p.videoStreams, audioStreams: p.audioStreams, streamUsage: p.streamUsage, originatingEndpointId: p.originatingEndpointId,
                metadataEnabled: p.metadataEnabled, reoffer: p.reoffer, iceServers: p.iceServers, iceTransportPolicy: p.iceTransportPolicy,
            }, {
                videoStreams: t.video, audioStreams: t.audio, streamUsage: t.usage, originatingEndpointId: t.endpoint, metadataEnabled: t.metadata,
                reoffer: expect.reoffer, iceServers: r.iceServers?.map(serverArgs), iceTransportPolicy: r.policy,
            });
            if (command === 0x02 && core.sdp() !== r.sdp) fail("hook SDP differs from the request's");
        } else if (r.kind === "answer" && expect.action === Action.Hook) {
            if (core.sdp() !== r.sdp) fail("ProvideAnswer hook SDP differs from the request's");
        } else if (r.kind === "ice") {
            same("hook candidates", core.candidates(), r.candidates.map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.mline })));
        } else if (r.kind === "end") {
            if (core.endReason() !== r.reason) fail(`EndSession hook reason ${core.endReason()}, request ${r.reason}`);
        }
    };
    const checkResponse = (command: CommandId, id: number, deferred: boolean, terms: Terms): void => {
        const echo = (on: boolean, list: number[]) => (on ? list[0] ?? null : undefined);
        if (command === 0x00) {
            same("SolicitOfferResponse", decode.solicitResponse(core.response()), {
                webRtcSessionId: id, deferredOffer: deferred, videoStreamId: echo(terms.echoVideo, terms.video), audioStreamId: echo(terms.echoAudio, terms.audio),
            });
        } else {
            same("ProvideOfferResponse", decode.offerResponse(core.response()), {
                webRtcSessionId: id, videoStreamId: echo(terms.echoVideo, terms.video), audioStreamId: echo(terms.echoAudio, terms.audio),
            });
        }
    };
    const settle = (hook: OpenHook): void => {
        const { command, id } = hook;
        const commit = rng.chance(0.8);
        context = () => `${commit ? "commit" : "abort"} ${COMMAND_NAMES[command]} ${id}`;
        if (!commit) {
            statusIs("abortPending", core.abortPending(id), model.abortPending(id));
            return;
        }
        if (command === 0x00) {
            const deferred = rng.chance(0.5);
            const want = model.commitSolicitOffer(id, deferred, clock);
            statusIs("commitSolicitOffer", core.commitSolicitOffer(id, deferred, clock), want);
            if (want === Status.Success) checkResponse(command, id, deferred, model.find(id)!.terms);
        } else if (command === 0x02) {
            const want = model.commitProvideOffer(id);
            statusIs("commitProvideOffer", core.commitProvideOffer(id), want);
            if (want === Status.Success) checkResponse(command, id, false, model.find(id)!.terms);
        } else {
            statusIs("commitProvideAnswer", core.commitProvideAnswer(id), model.commitProvideAnswer(id));
        }
    };

    /** One command; `flood` forces a clean SolicitOffer (the burst that fills the table and the End records). */
    const commandStep = (flood = false): void => {
        const live = model.live();
        // an empty or nearly empty table first grows: a clean offer (sessions are what the other commands need)
        const grow = flood || (live.length < 2 && rng.chance(live.length === 0 ? 0.5 : 0.25));
        const command = flood ? 0x00 : grow ? rng.pick<CommandId>([0x00, 0x02]) : rng.pick(COMMAND_MIX);
        // commands about a session mostly come from its owner (a stranger's is one of the faults)
        const owner = command !== 0x00 && live.length > 0 && rng.chance(0.7) ? rng.pick(live) : undefined;
        const caller = owner !== undefined ? (CALLERS.find(c => c.fabric === owner.fabric && c.peer === owner.peer) as Caller) : rng.pick(CALLERS);
        const roll = rng.int(100);
        const kind = grow || roll < 22 ? "clean" : roll < 52 ? "field" : roll < 97 ? "shape" : "admission";
        const draft = gen.draft(command, caller, kind === "field");
        let bytes = encodeDraft(draft);
        let fault = draft.fault;
        let fabric = caller.fabric;
        if (kind === "shape") ({ bytes, fault } = shapeFault(rng, bytes));
        if (kind === "admission") {
            const r = rng.int(4);
            if (r === 0) (fabric = 0), (fault = "admission: no accessing fabric");
            else if (r === 1) (fabric = 255), (fault = "admission: fabric 255");
            else if (r === 2) (bytes = padTo(bytes, caps.inLen + 1)), (fault = "admission: IN_LEN + 1 bytes");
            else (bytes = padTo(bytes, caps.inLen)), (fault = "admission: exactly IN_LEN bytes");
        }
        const sent = bytes;
        context = () => `${COMMAND_NAMES[command]} from fabric ${fabric} peer ${caller.peer}, fault "${fault}", ${sent.length > 600 ? `${sent.length} bytes` : toHex(sent)}`;
        const decoded = decodeRequest(command, bytes);
        const expect = model.decide(command, bytes.length, decoded, fabric, caller.peer);
        const before = expect.status !== Status.Success ? digest(core) : undefined;
        let d;
        try {
            d = core.decide(command, bytes, fabric, caller.peer);
        } catch (error) {
            return fail(`trapped: ${String(error)}`);
        }
        const admitted = bytes.length <= caps.inLen && fabric >= 1 && fabric <= 254;
        record(stats, command, d.status, admitted && decoded.ok, `${d.action}:${expect.step}`, kind === "shape" ? family(fault) : kind === "clean" ? "none" : kind);
        if (d.status !== expect.status) {
            fail(`status ${statusName(d.status)}, model ${statusName(expect.status)} at step "${expect.step}"${decoded.ok ? "" : ` (oracle: ${decoded.why})`}`);
        }
        if (before !== undefined) {
            if (digest(core) !== before) fail("a refused command changed the table");
            return;
        }
        if (d.sessionId !== expect.sessionId || d.action !== expect.action) {
            fail(`decision session ${d.sessionId} action ${d.action}, model session ${expect.sessionId} action ${expect.action}`);
        }
        checkArgs(command, decoded, expect, caller);
        const id = d.sessionId;
        if (command === 0x00 && d.action === Action.Respond) checkResponse(command, id, false, expect.proposal!);
        if (d.action === Action.Hook && (command === 0x00 || command === 0x02 || command === 0x04)) {
            if (open.length < MAX_OPEN_HOOKS && rng.chance(0.15)) open.push({ command, id });
            else settle({ command, id });
        }
        if (command === 0x06) gen.noteGone(id);
    };

    // ── provider operations ───────────────────────────────────────────────────────────────────
    const anyId = (): number => {
        const live = model.live();
        const r = rng.int(10);
        if (r < 7 && live.length > 0) return rng.pick(live).id;
        if (r < 8 && model.pending().length > 0) return rng.pick(model.pending()).id;
        if (r < 9 && model.endIds().length > 0) return rng.pick(model.endIds());
        return rng.int(0x10000);
    };
    const checkSnapshot = (what: string, id: number, fabric: number, peer: bigint, endpoint: number): Uint8Array => {
        const s = core.snapshot();
        same(`${what} addressing`, [s.sessionId, s.fabricIndex, s.peerNodeId, s.endpointId], [id, fabric, peer, endpoint]);
        return s.fields;
    };
    const providerStep = (): void => {
        const op = rng.int(17);
        switch (op) {
            case 0: {
                // privacy mostly off again: while it is on, most new sessions are refused
                const on = rng.chance(0.25);
                const [h, r, l] = on ? [rng.chance(0.3), rng.chance(0.5), rng.chance(0.5)] : [false, false, false];
                context = `setPrivacy(${h}, ${r}, ${l})`;
                same("sessions ended by privacy", core.setPrivacy(h, r, l), model.setPrivacy(h, r, l));
                break;
            }
            case 1: {
                const f = 1 + rng.int(4);
                context = `removeFabric(${f})`;
                for (const r of model.live()) if (r.fabric === f) gen.noteGone(r.id);
                same("rows removed with the fabric", core.removeFabric(f), model.removeFabric(f));
                break;
            }
            case 2: {
                const id = anyId();
                const reason = rng.int(14);
                context = `endByProvider(${id}, ${reason})`;
                statusIs("endByProvider", core.endByProvider(id, reason as 0), model.endByProvider(id, reason));
                gen.noteGone(id);
                break;
            }
            case 3:
            case 4: {
                const offer = op === 3;
                const id = anyId();
                const cap = model.stageCap;
                const bytes = rng.pick([40, 300, cap, cap + 1]);
                const sdp = sdpOfBytes(bytes, rng.chance(0.3));
                context = `snap${offer ? "Offer" : "Answer"}(${id}, ${bytes} bytes)`;
                const row = model.findLive(id);
                const want = model.snapSdp(offer, id, bytes);
                statusIs(context, offer ? core.snapOffer(id, sdp) : core.snapAnswer(id, sdp), want);
                if (want === Status.Success) {
                    const fields = checkSnapshot(context, id, row!.fabric, row!.peer, row!.terms.endpoint);
                    same(`${context} fields`, offer ? decode.offer(fields) : decode.answer(fields), { webRtcSessionId: id, sdp });
                }
                break;
            }
            case 5:
            case 6: {
                // one candidate at a capacity edge, or a burst that fills the pool
                const id = anyId();
                const n = op === 5 ? 1 : caps.maxCand + 2;
                for (let i = 0; i < n; i++) {
                    const candLen = op === 5 ? rng.pick([30, caps.candLen, caps.candLen + 1]) : 30 + rng.int(60);
                    const candidate = `candidate:${i} 1 udp 1 10.0.0.1 ${i} typ host `.padEnd(candLen, "x").slice(0, candLen);
                    const sdpMid = rng.chance(0.3) ? null : rng.pick(["0", "v".repeat(caps.midLen), "v".repeat(caps.midLen + 1), ""]);
                    const mline = rng.chance(0.3) ? null : rng.pick([0, 1, 0xff, 0x100, 0xfffe, 0xffff]);
                    context = `admitCandidate(${id}, ${candLen} bytes, mid ${sdpMid?.length ?? "null"}, mline ${mline})`;
                    const want = model.admitCandidate(id, candidate, sdpMid, mline);
                    const name = want === Status.Success ? "accepted" : want === Status.Busy ? "full" : want === Status.NotFound ? "no-session" : "too-long";
                    same(context, core.admitCandidate(id, { candidate, sdpMid, sdpMLineIndex: mline }), name);
                }
                break;
            }
            case 7: {
                const id = anyId();
                context = `snapIce(${id})`;
                const row = model.findLive(id);
                const want = model.snapIce(id);
                statusIs(context, core.snapIce(id), want.status);
                if (want.status === Status.Success && want.taken.length > 0) {
                    const fields = checkSnapshot(context, id, row!.fabric, row!.peer, row!.terms.endpoint);
                    same(`${context} candidates`, decode.iceCandidates(fields), {
                        webRtcSessionId: id, iceCandidates: want.taken.map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpmLineIndex: c.mline })),
                    });
                }
                break;
            }
            case 8: {
                const id = rng.chance(0.8) && model.endIds().length > 0 ? rng.pick(model.endIds()) : anyId();
                context = `snapEnd(${id})`;
                const end = model.snapEnd(id);
                statusIs(context, core.snapEnd(id), end === undefined ? Status.NotFound : Status.Success);
                if (end !== undefined) {
                    const fields = checkSnapshot(context, id, end.fabric, end.peer, end.endpoint);
                    same(`${context} fields`, decode.end(fields), { webRtcSessionId: id, reason: end.reason });
                }
                break;
            }
            case 9: {
                const due = model.live().filter(r => r.offerDue);
                const now = due.length > 0 && rng.chance(0.7) ? rng.pick(due).deadline + rng.pick([-1, 0, 1]) : clock;
                context = `expireOffers(${now})`;
                same("sessions expired", core.expireOffers(now), model.expireOffers(now));
                break;
            }
            case 10:
            case 11: {
                const kind = rng.int(2);
                const list = model.streamsOf(kind);
                const id = list.length > 0 && rng.chance(0.6) ? rng.pick(list).id : rng.pick([1, 2, 3, 4, 5, 0, 0xfffe, 0x10000]);
                if (op === 10) {
                    const usage = rng.pick([0, 1, 2, 3, 4]);
                    context = `addStream(${kind}, ${id}, ${usage})`;
                    statusIs(context, core.addStream(kind as 0, id, usage as 0), model.addStream(kind, id, usage));
                } else {
                    context = `removeStream(${kind}, ${id})`;
                    statusIs(context, core.removeStream(kind as 0, id), model.removeStream(kind, id));
                }
                break;
            }
            case 12: {
                // mostly lists with LiveView (the usage most requests ask for), sometimes empty, bad or duplicated
                const n = rng.int(6);
                const list = Array.from({ length: n }, () => rng.int(rng.chance(0.9) ? 4 : 6));
                if (rng.chance(0.7)) list.unshift(3);
                const usages = rng.chance(0.8) ? [...new Set(list)].slice(0, 4) : list;
                context = `setStreamUsagePriorities([${usages.join(",")}])`;
                statusIs(context, core.setStreamUsagePriorities(usages as never), model.setPriorities(usages));
                break;
            }
            case 13: {
                const v = rng.chance(0.3);
                context = `setUtcTimeNull(${v})`;
                core.setUtcTimeNull(v);
                model.utcTimeNull = v;
                break;
            }
            case 14: {
                // where the id allocator continues (a host hook): exercises the wrap at 0xFFFE and skipping ids in use
                const v = rng.pick([0, 1, 0xfffd, 0xfffe, 0xffff, 0x10000, ...model.rowsInUse().map(r => r.id), ...model.endIds()]);
                context = `setNextId(${v})`;
                core.exports.setNextId(v);
                model.nextId = v < 1 || v > 0xfffe ? 1 : v;
                break;
            }
            case 15: {
                // a phase 2 nobody asked for: a host that commits twice, or for the wrong session
                const id = anyId();
                const which = rng.int(4);
                context = `stray ${["commitSolicitOffer", "commitProvideOffer", "commitProvideAnswer", "abortPending"][which]}(${id})`;
                if (which === 0) statusIs(context, core.commitSolicitOffer(id, false, clock), model.commitSolicitOffer(id, false, clock));
                else if (which === 1) statusIs(context, core.commitProvideOffer(id), model.commitProvideOffer(id));
                else if (which === 2) statusIs(context, core.commitProvideAnswer(id), model.commitProvideAnswer(id));
                else statusIs(context, core.abortPending(id), model.abortPending(id));
                break;
            }
            default:
                if (open.length > 0) settle(open.splice(rng.int(open.length), 1)[0]!);
        }
    };

    setup();
    while (stats.payloads < payloads) {
        stats.steps++;
        clock += rng.int(3);
        const roll = rng.int(100);
        if (roll < 18) providerStep();
        else if (roll < 22 && open.length > 0) settle(open.splice(rng.int(open.length), 1)[0]!);
        else if (roll === 22 && rng.chance(0.3)) {
            // capacity exhaustion: SolicitOffers past N_SESSIONS are answered and owe End(OutOfResources)
            // until the End records run out (RESOURCE_EXHAUSTED), with the table checked after each
            for (let k = 0; k < caps.sessions + caps.pendingEnds + 2 && stats.payloads < payloads; k++) {
                commandStep(true);
                check();
            }
        } else commandStep();
        check();
        if (rng.chance(0.002)) setup();
    }
    stop();
    return stats;
}

function serverArgs(s: IceServerRequest): { urls: string[]; username?: string; credential?: string; caid?: number } {
    return { urls: s.urls, username: s.username, credential: s.credential, caid: s.caid };
}
