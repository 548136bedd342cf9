/**
 * `npm run bench`: size, memory and speed of the WASM core next to a plain matter.js baseline.
 *
 * Run with `node --expose-gc --import tsx test/bench/bench.ts` (after `npm run build:wasm`);
 * `npm run bench -- --only interop` (or a comma-separated list) runs just some sections.
 * It prints plain-text tables and passes or fails nothing (section 4 runs the Node camera against a
 * real matter.js controller on loopback, in `camera-latency.ts`):
 *
 * 1. Footprint of each build profile: `.wasm` bytes, gzip -9 bytes, linear memory pages, static
 *    bytes actually used (`Core.staticBytes`) and the compile-time capacities.
 * 2. Time per operation (median ns/op of interleaved samples) of every provider command, the
 *    CurrentSessions read and the two outbound snapshots with data: the `Core` path on the
 *    default profile, the same plus reading the media hook's arguments out, and the baseline
 *    (matter.js `TlvOfModel` codecs + the same rules on plain JS objects, `baseline.ts`). Both
 *    start from the same encoded request and end with encoded bytes; a column says whether those
 *    bytes are identical.
 * 3. Allocation per operation of the same three paths: JS heap bytes and ArrayBuffer
 *    backing-store bytes, each batch bracketed by `process.memoryUsage()` after a minor GC.
 * 4. The Node camera's invoke → first video RTP latency (camera-latency.ts).
 * 5. Small runtimes' footprint (runtimes-footprint.ts). 6. The browser camera (browser-camera.ts).
 * 7. The real controllers' flows against both cameras: first frame per flow, time to free a
 *    session closed without EndSession, sessions with video out of 50 in a row (interop.ts).
 * 8. The npm package as a consumer installs it: tarball and installed sizes, cold import time of
 *    each Node entry point next to `@matter/main`, the browser entry point's load in Chromium and
 *    its Vite bundle (package.ts).
 *
 * How time and allocation are measured is described in harness.ts; what each case does, in
 * cases.ts. Everything runs in one process, so the figures of one run are comparable with each
 * other; absolute numbers depend on the machine and on what else it is doing.
 */

import { readFile } from "node:fs/promises";
import os from "node:os";
import { gzipSync } from "node:zlib";
import { Core, PROFILES, profileUrl, type Capacities } from "../../src/engine/index.js";
import { browserCameraSection } from "./browser-camera.js";
import { interopSection } from "./interop.js";
import { measureCameraLatency } from "./camera-latency.js";
import { CASES, World, allocationSources, sameOutput, type Case } from "./cases.js";
import { SAMPLES, allocation, time, timerOverheadNs, type Allocation, type Timing } from "./harness.js";
import { bytes, int, ns, ratio, section, table } from "./report.js";
import { packageSection } from "./package.js";
import { runtimesFootprintSection } from "./runtimes-footprint.js";

const PAGE = 65536;

function header(): string {
    const cpus = os.cpus();
    return [
        "matter-webrtc-provider benchmark",
        `date      ${new Date().toISOString()}`,
        `node      ${process.version} (V8 ${process.versions.v8}), ${process.platform}/${process.arch}`,
        `cpu       ${cpus.length} × ${cpus[0]?.model ?? "unknown"}`,
        `load avg  ${loadAverage()} (other processes on the machine add noise; see the ± columns)`,
    ].join("\n");
}

function loadAverage(): string {
    return os
        .loadavg()
        .map(l => l.toFixed(2))
        .join(" ");
}

// ── 1. profiles ──────────────────────────────────────────────────────────────────────────────

interface ProfileFigures {
    wasmBytes: number;
    gzipBytes: number;
    pages: number;
    staticBytes: number;
    capacities: Capacities;
}

async function profileFigures(profile: (typeof PROFILES)[number]): Promise<ProfileFigures> {
    const wasm = await readFile(profileUrl(profile));
    const core = await Core.load(wasm);
    return {
        wasmBytes: wasm.length,
        gzipBytes: gzipSync(wasm, { level: 9 }).length,
        pages: core.memoryBytes / PAGE,
        staticBytes: core.staticBytes,
        capacities: core.capacities,
    };
}

const CAPACITY_ROWS: [keyof Capacities, string][] = [
    ["sessions", "N_SESSIONS (session rows)"],
    ["sdpLen", "SDP_LEN (bytes)"],
    ["outLen", "OUT_LEN (bytes)"],
    ["candLen", "CAND_LEN (bytes)"],
    ["maxCand", "MAX_CAND (local candidates)"],
    ["inLen", "IN_LEN (request bytes)"],
    ["streamsPerKind", "streams per kind"],
    ["inboundCandidates", "remote candidates per command"],
    ["midLen", "SDPMid bytes"],
    ["pendingEnds", "pending End records"],
];

async function profilesSection(): Promise<string> {
    const figures = await Promise.all(PROFILES.map(profileFigures));
    const row = (label: string, value: (f: ProfileFigures) => number): string[] => [label, ...figures.map(f => int(value(f)))];
    const rows = [
        row(".wasm bytes", f => f.wasmBytes),
        row("gzip -9 bytes", f => f.gzipBytes),
        row("linear memory pages (64 KiB)", f => f.pages),
        row("static bytes used", f => f.staticBytes),
        row("  of linear memory, %", f => (100 * f.staticBytes) / (f.pages * PAGE)),
        ...CAPACITY_ROWS.map(([key, label]) => row(label, f => f.capacities[key])),
    ];
    return [section("1. Build profiles"), table(["", ...PROFILES], rows)].join("\n");
}

// ── 2. and 3. per-operation time and allocation ──────────────────────────────────────────────

interface Measured {
    name: string;
    same: boolean;
    time: { core: Timing; coreArgs?: Timing; baseline: Timing };
    alloc: { core: Allocation; coreArgs?: Allocation; baseline: Allocation };
}

/** Allocation batches stay small so a batch never outgrows the young generation. */
function heapBatch(c: Case): number {
    return Math.min(c.batch, 20);
}

function measure(world: World, factory: (w: World) => Case, overhead: number): Measured {
    world.reset();
    const c = factory(world);
    const same = sameOutput(c);
    const sides = c.coreArgs === undefined ? [c.core, c.baseline] : [c.core, c.coreArgs, c.baseline];
    const timings = time(sides, c.batch, overhead);
    const allocs = sides.map(side => allocation(side, heapBatch(c)));
    const last = sides.length - 1;
    return {
        name: c.name,
        same,
        time: { core: timings[0]!, coreArgs: c.coreArgs && timings[1], baseline: timings[last]! },
        alloc: { core: allocs[0]!, coreArgs: c.coreArgs && allocs[1], baseline: allocs[last]! },
    };
}

function timeSection(results: Measured[], overhead: number): string {
    const rows = results.map(r => [
        r.name,
        ns(r.time.core.ns, r.time.core.spread),
        r.time.coreArgs ? ns(r.time.coreArgs.ns, r.time.coreArgs.spread) : "—",
        ns(r.time.baseline.ns, r.time.baseline.spread),
        ratio(r.time.baseline.ns, r.time.core.ns),
        r.time.coreArgs ? ratio(r.time.baseline.ns, r.time.coreArgs.ns) : "—",
        r.same ? "yes" : "NO",
    ]);
    return [
        section("2. Time per operation, default profile (ns/op, median of " + SAMPLES + " samples ± median abs. deviation)"),
        table(["operation", "core", "core+args", "baseline", "base/core", "base/core+args", "same bytes"], rows),
        "",
        "core       Core.decide + commit + response() copy (snapshots: snapAnswer/admitCandidate×4+snapIce + snapshot())",
        "core+args  the same, plus what the engine reads out for the media hook: sdp() string, offerParams(),",
        "           candidates(), endReason()",
        "baseline   matter.js TlvOfModel decode + validate, the same checks on a Map of plain objects,",
        "           matter.js encode of the response / attribute / outbound command",
        "same bytes both sides produced identical response / attribute / outbound bytes (status and id for",
        "           commands without a response)",
        `timer overhead subtracted: ${overhead.toFixed(1)} ns per timed batch`,
    ].join("\n");
}

function allocSection(results: Measured[]): string {
    const cell = (a: Allocation | undefined): string[] => (a === undefined ? ["—", "—"] : [bytes(a.heap), bytes(a.buffers)]);
    const rows = results.map(r => [r.name, ...cell(r.alloc.core), ...cell(r.alloc.coreArgs), ...cell(r.alloc.baseline)]);
    return [
        section("3. Allocation per operation, default profile (bytes/op)"),
        table(["operation", "core heap", "core buf", "core+args heap", "core+args buf", "baseline heap", "baseline buf"], rows),
        "",
        "heap  JS heap bytes (process.memoryUsage().heapUsed delta over a batch, after a minor GC)",
        "buf   ArrayBuffer backing stores outside the JS heap (memoryUsage().arrayBuffers delta)",
    ].join("\n");
}

/** The values the facade hands out, measured alone: what the core path's bytes are. */
function sourcesSection(world: World): string {
    const rows = allocationSources(world).map(({ name, side }) => {
        const a = allocation(side, 20);
        return [name, bytes(a.heap), bytes(a.buffers)];
    });
    return [
        section("3b. Where the core path's bytes come from (bytes/op)"),
        table(["value handed out by Core", "heap", "buf"], rows),
        "",
        "The request copy into IN, decoding, validation, the table update and TLV encoding run in linear",
        "memory and allocate nothing on the JS heap; the core path's bytes are the values above. A Decision",
        "costs nothing where TurboFan sees it does not escape (the commit loops); copies of up to 64 bytes",
        "live on the JS heap, larger ones keep their bytes off-heap (buf).",
    ].join("\n");
}

/** The Node camera end to end: controller invoke to first video RTP at its peer, on loopback. */
async function latencySection(): Promise<string> {
    const runs = 10;
    const results = await measureCameraLatency(runs);
    return [
        section(`4. Node camera: controller invoke → first video RTP packet at its peer (${runs} sessions each, loopback)`),
        table(
            ["flow", "p50 ms", "p95 ms", "min ms", "max ms"],
            results.map(r => [r.flow, r.p50.toFixed(0), r.p95.toFixed(0), r.min.toFixed(0), r.max.toFixed(0)]),
        ),
        "",
        "Matter over TCP to a matter.js controller, the core's decision, the outbound Answer/Offer and",
        "ICECandidates invokes, ICE + DTLS between two node-datachannel peers, then the first H.264 frame.",
    ].join("\n");
}

/** `npm run bench -- --only <name>[,<name>]` runs just those sections (profiles, speed, latency, runtimes, browser, interop, package). */
function selected(): (name: string) => boolean {
    const at = process.argv.indexOf("--only");
    if (at < 0) return () => true;
    const names = new Set((process.argv[at + 1] ?? "").split(","));
    return name => names.has(name);
}

async function main(): Promise<void> {
    const started = performance.now();
    const want = selected();
    console.log(header());
    if (want("profiles")) console.log(await profilesSection());
    if (want("speed")) {
        const world = new World(await Core.load("default"));
        const overhead = timerOverheadNs();
        const results = CASES.map(factory => measure(world, factory, overhead));
        console.log(timeSection(results, overhead));
        console.log(allocSection(results));
        console.log(sourcesSection(world));
    }
    if (want("latency")) console.log(await latencySection());
    if (want("runtimes")) console.log(await runtimesFootprintSection());
    if (want("browser")) console.log(await browserCameraSection());
    if (want("interop")) console.log(await interopSection());
    if (want("package")) console.log(await packageSection());
    console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s, load avg now ${loadAverage()}`);
}

await main();
// node-datachannel and matter.js timers are closed; exit even if a stray handle lingers
process.exit(0);
