/**
 * Latency of the whole Node camera, measured against a real matter.js controller on loopback:
 * from the controller's ProvideOffer invoke (or SolicitOffer invoke) to the first video RTP
 * packet at the controller's node-datachannel peer. It includes the Matter round trips over TCP,
 * the core's decisions, the outbound Answer/Offer and ICECandidates invokes, ICE and DTLS on
 * loopback and the first H.264 frame. Prints p50 / p95 / min / max over `runs` sessions each.
 */

import nodeDataChannel from "node-datachannel";
import { ControllerPeer } from "../media/controller-peer.js";
import { NodeCameraRig } from "../support/camera-rig.js";
import { testEnvironment, type CameraPeer, type TestController } from "../support/matter-controller.js";

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!check()) {
        if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise(resolve => setTimeout(resolve, 2));
    }
}

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Feeds the camera's trickled candidates to `local` until its first video packet (bounded). */
async function firstPacket(controller: TestController, local: ControllerPeer, id: number, defaultMid: string): Promise<void> {
    const seen = new Set<string>();
    await until("first video packet", () => {
        for (const r of controller.received) {
            if (r.kind !== "iceCandidates" || r.sessionId !== id) continue;
            for (const c of r.candidates ?? []) {
                if (seen.has(c.candidate)) continue;
                seen.add(c.candidate);
                local.addRemoteCandidate(c.candidate, c.sdpMid ?? defaultMid);
            }
        }
        return local.video.firstPacketAt !== undefined;
    }, 15_000);
}

async function provideOfferRun(peer: CameraPeer, controller: TestController, streams: { video: number; audio: number }): Promise<number> {
    const local = new ControllerPeer({ videoPt: 102, audioPt: 111 });
    try {
        const offer = await local.createOffer();
        const started = performance.now();
        const response = await peer.provideOffer({ sdp: offer, videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!response.ok) throw new Error(`ProvideOffer refused: ${response.status}`);
        const id = response.value.webRtcSessionId;
        await peer.track(id, [streams.video], [streams.audio]);
        local.forwardCandidates(c => void peer.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }]));
        const answer = await controller.waitFor(r => r.kind === "answer" && r.sessionId === id);
        local.setRemote(answer.sdp as string, "answer");
        await firstPacket(controller, local, id, "v");
        const elapsed = (local.video.firstPacketAt as number) - started;
        await peer.endSession(id);
        return elapsed;
    } finally {
        local.close();
    }
}

async function solicitOfferRun(peer: CameraPeer, controller: TestController, streams: { video: number; audio: number }): Promise<number> {
    const local = new ControllerPeer({ videoPt: 96, audioPt: 111 });
    try {
        const started = performance.now();
        const response = await peer.solicitOffer({ videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!response.ok) throw new Error(`SolicitOffer refused: ${response.status}`);
        const id = response.value.webRtcSessionId;
        await peer.track(id, [streams.video], [streams.audio]);
        const offer = await controller.waitFor(r => r.kind === "offer" && r.sessionId === id);
        const answer = await local.answer(offer.sdp as string, "0", "1");
        local.forwardCandidates(c => void peer.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }]));
        const answered = await peer.provideAnswer(id, answer);
        if (!answered.ok) throw new Error(`ProvideAnswer refused: ${answered.status}`);
        await firstPacket(controller, local, id, "0");
        const elapsed = (local.video.firstPacketAt as number) - started;
        await peer.endSession(id);
        return elapsed;
    } finally {
        local.close();
    }
}

export interface LatencyResult {
    flow: string;
    runs: number;
    p50: number;
    p95: number;
    min: number;
    max: number;
}

/** Runs both flows `runs` times against one in-process camera and controller. */
export async function measureCameraLatency(runs = 10): Promise<LatencyResult[]> {
    const env = testEnvironment();
    const rig = await NodeCameraRig.start({ name: "bench-latency" });
    try {
        const { controller, peer } = await rig.addController({ id: "bench-controller" });
        const streams = await peer.allocateStreams();
        const results: LatencyResult[] = [];
        for (const [flow, run] of [
            ["ProvideOffer invoke → first video RTP", provideOfferRun],
            ["SolicitOffer invoke → first video RTP", solicitOfferRun],
        ] as const) {
            const samples: number[] = [];
            for (let i = 0; i < runs; i++) samples.push(await run(peer, controller, streams));
            samples.sort((a, b) => a - b);
            results.push({ flow, runs, p50: percentile(samples, 50), p95: percentile(samples, 95), min: samples[0] as number, max: samples[samples.length - 1] as number });
            // with 10 samples the p95 is their maximum
        }
        return results;
    } finally {
        await rig.close();
        nodeDataChannel.cleanup();
        env.cleanup();
    }
}

/** Standalone: `node --import tsx test/bench/camera-latency.ts`. */
if (import.meta.url === `file://${process.argv[1]}`) {
    for (const r of await measureCameraLatency(Number(process.env.RUNS ?? 10))) {
        console.log(`${r.flow.padEnd(40)} p50 ${r.p50.toFixed(0)} ms  p95 ${r.p95.toFixed(0)} ms  (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)}, ${r.runs} runs)`);
    }
    process.exit(0);
}
