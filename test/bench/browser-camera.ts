/**
 * The browser camera (a Chromium tab) measured the way test/browser/e2e.test.ts drives it: the page
 * built with Vite into dist/web, served by the relay on 127.0.0.1, opened in Debian's Chromium
 * (playwright-core, the project's flags), commissioned by a real matter.js controller through the
 * relay, sessions streamed to node-datachannel peers. Prints:
 *
 * a. controller invoke → first video RTP packet at its peer, ProvideOffer and SolicitOffer;
 * b. the camera worker's JS heap, the page's main-thread JS heap and the renderer process's
 *    memory (RSS / PSS from /proc), idle (commissioned, no session) and with 5 live sessions;
 * c. the bundle in dist/web: page JS, worker JS, wasm, raw and gzip -9.
 *
 * The setup is a minimal copy of the e2e's (that file is a vitest suite full of assertions).
 */

import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import nodeDataChannel from "node-datachannel";
import type { CDPSession, Page } from "playwright-core";
import { buildPage } from "../../src/cli/build-page.js";
import { CHROMIUM_PATH } from "../../src/cli/chromium.js";
import { isH264Mode1, isOpus } from "../../src/media/offer-plan.js";
import { mediaSections } from "../../src/media/sdp.js";
import { ControllerPeer } from "../media/controller-peer.js";
import { TestController, testEnvironment, type CameraPeer } from "../support/matter-controller.js";
import { TabCamera, tabControllerPort } from "../support/tab-camera.js";
import { bytes, int, section, table } from "./report.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const RUNS = Number(process.env.BROWSER_RUNS ?? 10);
const LIVE = 5;

type Streams = { video: number; audio: number };

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(await check())) {
        if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise(resolve => setTimeout(resolve, 2));
    }
}

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** "candidate:… udp <priority> <address> <port> typ …": true for 127.0.0.0/8 and ::1. */
function isLoopbackCandidate(candidate: string): boolean {
    const address = candidate.split(" ")[4] ?? "";
    return address.startsWith("127.") || address === "::1";
}

/** Feeds the tab's loopback candidates for `id` (received after `mark`) to `local` until its first video packet. */
async function firstPacket(controller: TestController, local: ControllerPeer, id: number, mark: number, defaultMid: string): Promise<void> {
    const seen = new Set<string>();
    await until(
        `session ${id}: first video packet`,
        () => {
            for (const r of controller.received.slice(mark)) {
                if (r.kind !== "iceCandidates" || r.sessionId !== id) continue;
                for (const c of r.candidates ?? []) {
                    if (seen.has(c.candidate) || !isLoopbackCandidate(c.candidate)) continue;
                    seen.add(c.candidate);
                    local.addRemoteCandidate(c.candidate, c.sdpMid ?? defaultMid);
                }
            }
            return local.video.firstPacketAt !== undefined;
        },
        15_000,
    );
}

/** ProvideOffer until the first video packet; returns the session id and the elapsed ms (session left open). */
async function provideOffer(controller: TestController, peer: CameraPeer, streams: Streams, local: ControllerPeer): Promise<{ id: number; ms: number }> {
    const offer = await local.createOffer();
    const mark = controller.received.length;
    const started = performance.now();
    const response = await peer.provideOffer({ sdp: offer, videoStreamId: streams.video, audioStreamId: streams.audio });
    if (!response.ok) throw new Error(`ProvideOffer refused: 0x${response.status.toString(16)}`);
    const id = response.value.webRtcSessionId;
    await peer.track(id, [streams.video], [streams.audio]);
    local.forwardCandidates(c => void peer.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }]));
    const answer = await controller.waitFor(r => r.kind === "answer" && r.sessionId === id && controller.received.indexOf(r) >= mark, 10_000);
    local.setRemote(answer.sdp as string, "answer");
    await firstPacket(controller, local, id, mark, "v");
    return { id, ms: (local.video.firstPacketAt as number) - started };
}

/** SolicitOffer until the first video packet; the peer is created from the tab's Offer. */
async function solicitOffer(controller: TestController, peer: CameraPeer, streams: Streams): Promise<{ id: number; ms: number; local: ControllerPeer }> {
    const mark = controller.received.length;
    const started = performance.now();
    const response = await peer.solicitOffer({ videoStreamId: streams.video, audioStreamId: streams.audio });
    if (!response.ok) throw new Error(`SolicitOffer refused: 0x${response.status.toString(16)}`);
    const id = response.value.webRtcSessionId;
    await peer.track(id, [streams.video], [streams.audio]);
    const offer = await controller.waitFor(r => r.kind === "offer" && r.sessionId === id && controller.received.indexOf(r) >= mark, 10_000);
    const sections = mediaSections(offer.sdp as string);
    const video = sections.find(s => s.kind === "video");
    const audio = sections.find(s => s.kind === "audio");
    const h264 = video === undefined ? undefined : video.formats.find(isH264Mode1);
    if (video === undefined || h264 === undefined) throw new Error("the tab's Offer has no H.264 video");
    const opus = audio === undefined ? undefined : audio.formats.find(isOpus);
    const local = new ControllerPeer({ videoPt: h264.payloadType, audioPt: opus?.payloadType ?? 111 });
    try {
        const answer = await local.answer(offer.sdp as string, video.mid, audio?.mid ?? "1");
        local.forwardCandidates(c => void peer.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }]));
        const answered = await peer.provideAnswer(id, answer);
        if (!answered.ok) throw new Error(`ProvideAnswer refused: 0x${answered.status.toString(16)}`);
        await firstPacket(controller, local, id, mark, video.mid);
        return { id, ms: (local.video.firstPacketAt as number) - started, local };
    } catch (error) {
        local.close();
        throw error;
    }
}

async function endAndWait(page: Page, peer: CameraPeer, id: number): Promise<void> {
    await peer.endSession(id);
    await page.waitForFunction(i => window.mwp.client()?.host.closedPeers.get(i) === "closed", id, { timeout: 5_000 });
}

// ── memory ─────────────────────────────────────────────────────────────────────────────────

interface Memory {
    workerHeap: number | undefined;
    pageHeap: number;
    rendererRss: number;
    tabRss: number;
    tabPss: number;
    rendererPss: number;
    chromiumRss: number;
    chromiumPss: number;
    renderers: number;
}

/** VmRSS and Pss (smaps_rollup) of a process, in bytes; 0 when it is gone. */
async function processMemory(pid: number): Promise<{ rss: number; pss: number }> {
    const kb = (text: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) * 1024;
    try {
        const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8");
        return { rss: kb(rollup, "Rss"), pss: kb(rollup, "Pss") };
    } catch {
        return { rss: 0, pss: 0 };
    }
}

/**
 * The camera worker's JS heap after a GC, through CDP on the worker's own target (Playwright opens
 * CDP sessions only on pages): attach from the browser session (non-flat) and talk to the worker
 * with Target.sendMessageToTarget. `performance.memory` is not exposed in workers.
 */
async function workerHeap(browserCdp: CDPSession): Promise<number | undefined> {
    const { targetInfos } = await browserCdp.send("Target.getTargets");
    const target = targetInfos.find(t => t.type === "worker" && /camera-worker-[\w-]+\.js$/.test(t.url));
    if (target === undefined) return undefined;
    const { sessionId } = await browserCdp.send("Target.attachToTarget", { targetId: target.targetId, flatten: false });
    let nextId = 1;
    const pending = new Map<number, (result: unknown) => void>();
    const onMessage = (event: { sessionId: string; message: string }): void => {
        if (event.sessionId !== sessionId) return;
        const message = JSON.parse(event.message) as { id?: number; result?: unknown; error?: unknown };
        if (message.id !== undefined) pending.get(message.id)?.(message.result ?? message.error);
    };
    browserCdp.on("Target.receivedMessageFromTarget", onMessage);
    const send = (method: string, params: object = {}): Promise<unknown> => {
        const id = nextId++;
        const answered = new Promise<unknown>(resolve => pending.set(id, resolve));
        void browserCdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method, params }) });
        return Promise.race([answered, new Promise(resolve => setTimeout(() => resolve(undefined), 5_000))]);
    };
    try {
        await send("HeapProfiler.enable");
        await send("HeapProfiler.collectGarbage");
        const usage = (await send("Runtime.getHeapUsage")) as { usedSize?: number } | undefined;
        return usage?.usedSize;
    } finally {
        browserCdp.off("Target.receivedMessageFromTarget", onMessage);
        await browserCdp.send("Target.detachFromTarget", { sessionId }).catch(() => undefined);
    }
}

async function measureMemory(pageCdp: CDPSession, browserCdp: CDPSession): Promise<Memory> {
    await pageCdp.send("HeapProfiler.collectGarbage");
    await new Promise(resolve => setTimeout(resolve, 500));
    const { usedSize } = await pageCdp.send("Runtime.getHeapUsage");
    const worker = await workerHeap(browserCdp);
    // SystemInfo.getProcessInfo: every Chromium process with its type and pid
    const info = (await browserCdp.send("SystemInfo.getProcessInfo" as never)) as unknown as { processInfo: { type: string; id: number }[] };
    let rendererRss = 0;
    let rendererPss = 0;
    let chromiumRss = 0;
    let chromiumPss = 0;
    let renderers = 0;
    let tab = { rss: 0, pss: 0 };
    for (const p of info.processInfo) {
        const m = await processMemory(p.id);
        chromiumRss += m.rss;
        chromiumPss += m.pss;
        if (p.type === "renderer") {
            rendererRss += m.rss;
            rendererPss += m.pss;
            renderers++;
            if (m.rss > tab.rss) tab = m;
        }
    }
    return { workerHeap: worker, pageHeap: usedSize, rendererRss, rendererPss, tabRss: tab.rss, tabPss: tab.pss, chromiumRss, chromiumPss, renderers };
}

// ── bundle ─────────────────────────────────────────────────────────────────────────────────

async function bundleRows(): Promise<string[][]> {
    const dir = `${ROOT}dist/web/assets/`;
    const files = (await readdir(dir)).sort();
    const rows: string[][] = [];
    const kind = (name: string): string =>
        name.startsWith("camera-worker-") ? "worker JS" : name.endsWith(".wasm") ? `wasm (${name.split("-")[0]} profile)` : name.endsWith(".js") ? "page JS" : name.endsWith(".css") ? "page CSS" : "other";
    for (const name of files) {
        const data = await readFile(dir + name);
        rows.push([kind(name), name, int(data.length), int(gzipSync(data, { level: 9 }).length)]);
    }
    const html = await readFile(`${ROOT}dist/web/index.html`);
    rows.push(["page HTML", "index.html", int(html.length), int(gzipSync(html, { level: 9 }).length)]);
    return rows;
}

// ── the section ────────────────────────────────────────────────────────────────────────────

export async function browserCameraSection(): Promise<string> {
    if (!existsSync(CHROMIUM_PATH)) return [section("6. Browser camera"), `skipped: no Chromium at ${CHROMIUM_PATH}`].join("\n");
    const env = testEnvironment();
    let tab: TabCamera | undefined;
    let controller: TestController | undefined;
    const peers: ControllerPeer[] = [];
    const started = performance.now();
    try {
        await buildPage();
        const buildMs = performance.now() - started;
        const opened = performance.now();
        tab = await TabCamera.start({ name: "bench" });
        const onlineMs = performance.now() - opened;
        const { page, context, browser } = tab;
        const pageCdp = await context.newCDPSession(page);
        const browserCdp = await browser.newBrowserCDPSession();
        const status = await tab.status();
        const cameraPort = tab.port;

        controller = await TestController.create("bench-browser", tabControllerPort(), cameraPort, { preferTcp: true });
        const commissioning = performance.now();
        const peer = await controller.commission(cameraPort, status.pairing?.passcode);
        const commissionMs = performance.now() - commissioning;
        const streams = await peer.allocateStreams();
        await page.waitForFunction(() => window.mwp.status()?.commissioned === true, null, { timeout: 10_000 });

        // a. latency, one session at a time, each ended after its first frame
        const provide: number[] = [];
        const solicit: number[] = [];
        for (let i = 0; i < RUNS; i++) {
            const local = new ControllerPeer({ videoPt: 96, audioPt: 111 });
            try {
                const { id, ms } = await provideOffer(controller, peer, streams, local);
                provide.push(ms);
                await endAndWait(page, peer, id);
            } finally {
                local.close();
            }
        }
        for (let i = 0; i < RUNS; i++) {
            const { id, ms, local } = await solicitOffer(controller, peer, streams);
            try {
                solicit.push(ms);
                await endAndWait(page, peer, id);
            } finally {
                local.close();
            }
        }
        await page.waitForFunction(() => (window.mwp.status()?.sessions.length ?? -1) === 0, null, { timeout: 5_000 });

        // b. memory idle, then with LIVE sessions streaming at once
        await new Promise(resolve => setTimeout(resolve, 1_000));
        const idle = await measureMemory(pageCdp, browserCdp);
        const live: { id: number; local: ControllerPeer }[] = [];
        for (let i = 0; i < LIVE; i++) {
            const local = new ControllerPeer({ videoPt: 96, audioPt: 111 });
            peers.push(local);
            const { id } = await provideOffer(controller, peer, streams, local);
            live.push({ id, local });
        }
        const base = live.map(s => s.local.video.frames);
        await until("every live session streams 30 more frames", () => live.every((s, i) => s.local.video.frames - (base[i] as number) >= 30), 10_000);
        const busy = await measureMemory(pageCdp, browserCdp);
        const liveFps = await (async () => {
            const before = live.map(s => s.local.video.frames);
            await new Promise(resolve => setTimeout(resolve, 2_000));
            return live.map((s, i) => (s.local.video.frames - (before[i] as number)) / 2);
        })();
        for (const s of live) await endAndWait(page, peer, s.id);

        // c. bundle
        const bundle = await bundleRows();

        const stat = (label: string, samples: number[]): string[] => {
            const sorted = [...samples].sort((x, y) => x - y);
            return [label, String(sorted.length), percentile(sorted, 50).toFixed(0), percentile(sorted, 95).toFixed(0), (sorted[0] as number).toFixed(0), (sorted[sorted.length - 1] as number).toFixed(0)];
        };
        const mem = (label: string, f: (m: Memory) => number | undefined): string[] => {
            const cell = (v: number | undefined) => (v === undefined ? "n/a" : bytes(v));
            const i = f(idle);
            const b = f(busy);
            return [label, cell(i), cell(b), i === undefined || b === undefined ? "—" : bytes(b - i)];
        };
        return [
            section(`6. Browser camera (Chromium tab, relay on loopback, ${RUNS} sessions per flow, ${LIVE} live for memory)`),
            table(
                ["controller invoke → first video RTP at its peer", "n", "p50 ms", "p95 ms", "min ms", "max ms"],
                [stat("ProvideOffer (the tab answers)", provide), stat("SolicitOffer (the tab offers)", solicit)],
            ),
            "",
            `setup: vite build ${int(buildMs)} ms, relay + Chromium + page → camera online ${int(onlineMs)} ms, commissioning over the relay ${int(commissionMs)} ms`,
            "Matter over TCP through the relay's WebSocket to the worker's matter.js node, the core, the",
            "tab's RTCPeerConnection, ICE (loopback candidates only) + DTLS, then the first H.264 packet.",
            "",
            table(
                ["memory", "idle", `${LIVE} live`, "delta"],
                [
                    mem("camera worker JS heap (CDP Runtime.getHeapUsage after GC)", m => m.workerHeap),
                    mem("page main-thread JS heap (CDP Runtime.getHeapUsage)", m => m.pageHeap),
                    mem("largest renderer (the tab) RSS", m => m.tabRss),
                    mem("largest renderer (the tab) PSS", m => m.tabPss),
                    mem(`all renderers RSS (${idle.renderers}/${busy.renderers} processes)`, m => m.rendererRss),
                    mem("all renderers PSS", m => m.rendererPss),
                    mem("all Chromium processes RSS (sum, shared pages counted per process)", m => m.chromiumRss),
                    mem("all Chromium processes PSS (sum)", m => m.chromiumPss),
                ],
            ),
            "",
            `idle: commissioned, no session, after a CDP GC of page and worker; ${LIVE} live: ${LIVE} ProvideOffer sessions streaming`,
            `at once (the default profile's capacity), received ${liveFps.map(f => f.toFixed(0)).join("/")} frames/s per peer.`,
            "JS heaps: CDP HeapProfiler.collectGarbage then Runtime.getHeapUsage, on the page and on the worker's",
            "own target. RSS/PSS: /proc/<pid>/smaps_rollup of the pids CDP SystemInfo.getProcessInfo lists;",
            "\"largest renderer\" assumed to be the tab's (no pid↔tab mapping; the others are spare/extension renderers).",
            "",
            table(["bundle (dist/web)", "file", "bytes", "gzip -9"], bundle),
        ].join("\n");
    } finally {
        for (const p of peers) p.close();
        await controller?.close().catch(() => undefined);
        await tab?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
    }
}

/** Standalone: `node --import tsx test/bench/browser-camera.ts`. */
if (import.meta.url === `file://${process.argv[1]}`) {
    console.log(await browserCameraSection());
    process.exit(0);
}
