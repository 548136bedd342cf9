/**
 * Section 7 of `npm run bench`: the real controllers' flows (test/interop/flows.ts) against both
 * cameras, measured over repeated runs, and a run of plain ProvideOffer sessions in a row.
 *
 * Per camera (the Node camera in process; the browser camera in headless Chromium through the
 * relay), both in the default mode, two fabrics (a SmartThings-shaped hub, a Home Assistant-shaped
 * matter server), coturn on loopback:
 *
 * - first frame per flow: ProvideOffer invoke → first video RTP at a node-datachannel viewer
 *   (SmartThings, HA core) or first decoded frame in a Chromium viewer (HA dashboard), p50/p95;
 * - time to free a session whose viewer closed without EndSession: a Chromium viewer (DTLS
 *   close_notify) and a libdatachannel viewer (silent close, receiver reports stop), p50/p95;
 * - sessions with video out of `IN_A_ROW` ordinary ProvideOffer sessions in a row (libdatachannel
 *   viewer, recvonly H.264 + Opus, EndSession after each): a session counts when ≥ 10 frames of
 *   the answered payload type arrive within 5 s of the invoke.
 *
 * Figures, not pass/fail: a flow that throws is counted and reported, and the run goes on.
 */

import { existsSync } from "node:fs";
import nodeDataChannel from "node-datachannel";
import { chromium, type Browser } from "playwright-core";
import { CHROMIUM_PATH, TEST_CHROMIUM_ARGS } from "../support/chromium-args.js";
import { buildPage } from "../../src/cli/build-page.js";
import { isH264Mode1 } from "../../src/media/offer-plan.js";
import { mediaSections } from "../../src/media/sdp.js";
import { endAllSessions, haCoreFlow, haDashboardFlow, smartThingsFlow, type FlowContext } from "../interop/flows.js";
import { ControllerPeer } from "../media/controller-peer.js";
import { ChromiumViewer } from "../support/chromium-viewer.js";
import { NodeCameraRig } from "../support/camera-rig.js";
import { TestController, testEnvironment, type CameraPeer } from "../support/matter-controller.js";
import { TabCamera, tabControllerPort } from "../support/tab-camera.js";
import { startTurnServer, type TurnServer } from "../support/turn-server.js";
import { section, table } from "./report.js";

const FLOW_RUNS = Number(process.env.BENCH_FLOW_RUNS ?? 10);
const IN_A_ROW = Number(process.env.BENCH_IN_A_ROW ?? 50);

interface CameraUnderTest {
    name: string;
    port: number;
    passcode: number;
    close(): Promise<void>;
}

interface Figures {
    firstFrame: Map<string, number[]>;
    free: Map<string, number[]>;
    failures: Map<string, string[]>;
    withVideo: number;
    rowFirstFrames: number[];
}

function percentile(values: number[], p: number): number | undefined {
    if (values.length === 0) return undefined;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (v: number | undefined): string => (v === undefined ? "—" : v.toFixed(0));

function push(map: Map<string, number[]>, key: string, value: number | undefined): void {
    if (value === undefined) return;
    map.set(key, [...(map.get(key) ?? []), value]);
}

async function nodeCamera(): Promise<CameraUnderTest> {
    const rig = await NodeCameraRig.start({ name: "bench-interop", snapshots: true });
    return { name: "Node camera", port: rig.port, passcode: 20202021, close: () => rig.close() };
}

async function tabCamera(browser: Browser): Promise<CameraUnderTest> {
    const tab = await TabCamera.start({ name: "bench-interop", browser });
    const status = await tab.status();
    return { name: "browser camera", port: tab.port, passcode: status.pairing?.passcode ?? 0, close: () => tab.close() };
}

/** One plain ProvideOffer session; true when ≥ 10 frames of the answered video PT arrived within 5 s. */
async function plainSession(ctx: FlowContext): Promise<{ video: boolean; firstFrameMs: number | undefined }> {
    const { controller, peer } = ctx;
    const viewer = new ControllerPeer({ videoPt: 102, audioPt: 111, bindAddress: ctx.viewerAddress });
    try {
        const mark = controller.received.length;
        const offer = await viewer.createOffer();
        const started = performance.now();
        const response = await peer.provideOffer({ sdp: offer, videoStreamId: 0, audioStreamId: 0 });
        if (!response.ok) return { video: false, firstFrameMs: undefined };
        const id = response.value.webRtcSessionId;
        await peer.track(id, [0], [0]);
        viewer.forwardCandidates(c => void peer.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }]));
        const answer = await controller.waitFor(r => r.kind === "answer" && r.sessionId === id && controller.received.indexOf(r) >= mark, 5_000);
        const pt = mediaSections(answer.sdp as string).find(s => s.kind === "video")?.formats.find(isH264Mode1)?.payloadType;
        viewer.setRemote(answer.sdp as string, "answer");
        let applied = 0;
        const deadline = started + 5_000;
        while (performance.now() < deadline && (viewer.videoPayloadTypes.get(pt ?? -1) ?? 0) < 10) {
            const batches = controller.received.slice(mark).filter(r => r.kind === "iceCandidates" && r.sessionId === id);
            for (const batch of batches.slice(applied)) for (const c of batch.candidates ?? []) viewer.addRemoteCandidate(c.candidate, c.sdpMid ?? "v");
            applied = batches.length;
            await new Promise(resolve => setTimeout(resolve, 10));
        }
        const video = (viewer.videoPayloadTypes.get(pt ?? -1) ?? 0) >= 10;
        await peer.endSession(id);
        return { video, firstFrameMs: viewer.video.firstPacketAt === undefined ? undefined : viewer.video.firstPacketAt - started };
    } finally {
        viewer.close();
    }
}

async function measureCamera(camera: CameraUnderTest, browser: Browser, turn: TurnServer): Promise<Figures> {
    const figures: Figures = { firstFrame: new Map(), free: new Map(), failures: new Map(), withVideo: 0, rowFirstFrames: [] };
    const hub = await TestController.create("bench-hub", tabControllerPort(), camera.port, { requestorEndpoint: 0, preferTcp: true });
    const server = await TestController.create("bench-server", tabControllerPort(), camera.port, { requestorEndpoint: 2, preferTcp: true });
    try {
        const hubPeer: CameraPeer = await hub.commission(camera.port, camera.passcode);
        const window = await hubPeer.openCommissioningWindow();
        const serverPeer = await server.commission(camera.port, window.passcode);
        const smartThings: FlowContext = { controller: hub, peer: hubPeer, requestorEndpoint: 0, viewerAddress: "127.0.0.3" };
        const homeAssistant: FlowContext = { controller: server, peer: serverPeer, requestorEndpoint: 2, viewerAddress: "127.0.0.3" };
        const attempt = async (flow: string, run: () => Promise<{ firstFrameMs: number; freeMs: number | undefined }>) => {
            try {
                const result = await run();
                push(figures.firstFrame, flow, result.firstFrameMs);
                push(figures.free, flow, result.freeMs);
            } catch (error) {
                figures.failures.set(flow, [...(figures.failures.get(flow) ?? []), error instanceof Error ? error.message.split("\n")[0] ?? "" : String(error)]);
                // a failed run must not leave sessions that hold slots and references for the next
                await endAllSessions(hubPeer).catch(() => undefined);
                await endAllSessions(serverPeer).catch(() => undefined);
            }
        };
        for (let i = 0; i < FLOW_RUNS; i++) {
            await attempt("SmartThings (libdatachannel viewer, TURN, inline candidates)", () => smartThingsFlow(smartThings, { turn, freeLimitMs: 10_000 }));
            await attempt("HA dashboard (Chromium viewer, no candidates)", async () => {
                const viewer = await ChromiumViewer.open(browser);
                try {
                    return await haDashboardFlow(homeAssistant, viewer);
                } finally {
                    await viewer.close();
                }
            });
            await attempt("HA core (libdatachannel viewer, allocate, trickle, EndSession)", () => haCoreFlow(homeAssistant, { turn }));
        }
        for (let i = 0; i < IN_A_ROW; i++) {
            const { video, firstFrameMs } = await plainSession(homeAssistant);
            if (video) figures.withVideo++;
            if (firstFrameMs !== undefined) figures.rowFirstFrames.push(firstFrameMs);
        }
    } finally {
        await hub.close();
        await server.close();
    }
    return figures;
}

export async function interopSection(): Promise<string> {
    const title = `7. Real controllers' flows (${FLOW_RUNS} runs each) and ${IN_A_ROW} ProvideOffer sessions in a row, per camera`;
    if (!existsSync(CHROMIUM_PATH)) return [section(title), `skipped: no Chromium at ${CHROMIUM_PATH}`].join("\n");
    const env = testEnvironment();
    await buildPage();
    const turn = await startTurnServer();
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...TEST_CHROMIUM_ARGS], timeout: 30_000 });
    const rows: string[][] = [];
    const freeRows: string[][] = [];
    const rowLines: string[] = [];
    const failureLines: string[] = [];
    try {
        for (const make of [() => nodeCamera(), () => tabCamera(browser)]) {
            const camera = await make();
            try {
                const figures = await measureCamera(camera, browser, turn);
                for (const [flow, values] of figures.firstFrame) {
                    rows.push([camera.name, flow, String(values.length), ms(percentile(values, 50)), ms(percentile(values, 95))]);
                }
                for (const [flow, values] of figures.free) {
                    freeRows.push([camera.name, flow, String(values.length), ms(percentile(values, 50)), ms(percentile(values, 95))]);
                }
                for (const [flow, messages] of figures.failures) failureLines.push(`${camera.name}, ${flow}: ${messages.length} failed (${[...new Set(messages)].join("; ")})`);
                rowLines.push(
                    `${camera.name}: ${figures.withVideo} of ${IN_A_ROW} sessions showed video; first frame p50 ${ms(percentile(figures.rowFirstFrames, 50))} ms, p95 ${ms(percentile(figures.rowFirstFrames, 95))} ms`,
                );
            } finally {
                await camera.close();
            }
        }
    } finally {
        await browser.close();
        await turn.close();
        nodeDataChannel.cleanup();
        env.cleanup();
    }
    return [
        section(title),
        table(["camera", "flow: first frame", "runs", "p50 ms", "p95 ms"], rows),
        "",
        table(["camera", "flow: closed without EndSession → freed", "runs", "p50 ms", "p95 ms"], freeRows),
        "",
        ...rowLines,
        ...(failureLines.length > 0 ? ["", "failed runs:", ...failureLines] : ["", "no run failed"]),
        "",
        "first frame: ProvideOffer invoke → first video RTP (libdatachannel viewer) / first decoded frame (Chromium)",
        "freed: viewer closed → End received, row gone, references released (read over Matter). A Chromium viewer",
        "sends a DTLS close_notify; a libdatachannel viewer's close is silent: the camera frees it when nothing",
        "more comes from it for 5 s (its receiver reports, and in the tab its ICE consent answers too).",
    ].join("\n");
}
