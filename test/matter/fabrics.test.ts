/**
 * Two fabrics on one camera, each a real matter.js controller over UDP/TCP on loopback.
 * What it proves:
 * - a second controller (B) can commission the camera as a second fabric once controller A opened
 *   an Enhanced Commissioning Window (AdministratorCommissioning OpenCommissioningWindow with a
 *   PAKE verifier, `CameraPeer.openCommissioningWindow`);
 * - CurrentSessions is fabric-scoped: a fabric-filtered read shows a fabric only its own rows, in
 *   the order they were created, even when the fabrics' sessions interleave (TC_WEBRTCP_2_5 reads
 *   by index);
 * - another fabric's session is NOT_FOUND for EndSession, ProvideAnswer, ProvideICECandidates and a
 *   re-offer (ProvideOffer with its id), and stays untouched;
 * - removing fabric B (B decommissions itself: RemoveFabric of its own fabric) purges B's sessions
 *   from the camera (the engine core has no row of that fabric, A's rows stay), releases their
 *   stream references (ReferenceCount back, read over Matter) and closes their peer connections.
 */

import { FabricManager } from "@matter/main/protocol";
import nodeDataChannel from "node-datachannel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CameraNode } from "../../src/matter/camera-node.js";
import { NodeCameraRig } from "../support/camera-rig.js";
import { testEnvironment, type CameraPeer, type TestController } from "../support/matter-controller.js";

const NOT_FOUND = 0x8b;

/** The operational node id of a controller on its (only) fabric. */
function ownNodeId(controller: TestController): bigint {
    const fabrics = controller.node.env.get(FabricManager).fabrics;
    expect(fabrics).toHaveLength(1);
    return BigInt(fabrics[0]!.nodeId);
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise(resolve => setTimeout(resolve, 50));
    }
}

describe("two fabrics on one camera", () => {
    const env = testEnvironment();
    let rig: NodeCameraRig;
    let camera: CameraNode;
    let a: CameraPeer;
    let b: CameraPeer;
    let streams: { video: number; audio: number };
    /** Session ids in creation order. */
    const sessionsA: number[] = [];
    const sessionsB: number[] = [];

    async function solicit(peer: CameraPeer, into: number[]): Promise<number> {
        const response = await peer.solicitOffer({ videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!response.ok) throw new Error(`SolicitOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        await peer.track(id, [streams.video], [streams.audio]);
        into.push(id);
        // the Offer reaches the controller that asked for it, and only that one
        await peer.controller.waitFor(r => r.kind === "offer" && r.sessionId === id);
        return id;
    }

    beforeAll(async () => {
        rig = await NodeCameraRig.start({ name: "fabrics" });
        camera = rig.camera;
        ({ peer: a } = await rig.addController({ id: "ctl-fabric-a" }));
        streams = await a.allocateStreams();
        ({ peer: b } = await rig.addController({ id: "ctl-fabric-b" }));
    }, 60_000);

    afterAll(async () => {
        await rig?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
    });

    it("commissions a second controller as a second fabric", async () => {
        expect(camera.node.state.operationalCredentials.fabrics).toHaveLength(2);
        expect(await b.currentSessions()).toEqual([]);
        // B can use the streams A allocated
        const counts = await b.referenceCounts(streams.video, streams.audio);
        expect(counts).toEqual({ video: 0, audio: 0 });
    });

    // TC_WEBRTCP_2_5 step 12 reads CurrentSessions by index (insertion order); the fabric filter is the SDK's
    it("shows each fabric only its own sessions, in creation order", async () => {
        await solicit(a, sessionsA);
        await solicit(b, sessionsB);
        await solicit(a, sessionsA);
        await solicit(b, sessionsB);

        const rowsA = await a.currentSessions();
        const rowsB = await b.currentSessions();
        expect(rowsA.map(s => s.id)).toEqual(sessionsA);
        expect(rowsB.map(s => s.id)).toEqual(sessionsB);
        // each row names its own fabric and the controller that created it
        const fabricA = camera.engine.session(sessionsA[0]!)!.fabricIndex;
        const fabricB = camera.engine.session(sessionsB[0]!)!.fabricIndex;
        expect(fabricA).not.toBe(fabricB);
        for (const row of rowsA) {
            expect(row.fabricIndex).toBe(fabricA);
            expect(BigInt(row.peerNodeId)).toBe(ownNodeId(a.controller));
        }
        for (const row of rowsB) {
            expect(row.fabricIndex).toBe(fabricB);
            expect(BigInt(row.peerNodeId)).toBe(ownNodeId(b.controller));
        }
        // an unfiltered read lists every fabric's rows, interleaved as they were created
        const all = await a.currentSessions(false);
        expect(all.map(s => [s.id, s.fabricIndex])).toEqual([
            [sessionsA[0], fabricA],
            [sessionsB[0], fabricB],
            [sessionsA[1], fabricA],
            [sessionsB[1], fabricB],
        ]);
        // the camera's table holds all four, interleaved as they were created
        expect(camera.engine.sessions().map(s => s.id)).toEqual([sessionsA[0], sessionsB[0], sessionsA[1], sessionsB[1]]);
        // four sessions on the same two streams
        await until("reference counts 4", async () => {
            const c = await a.referenceCounts(streams.video, streams.audio);
            return c.video === 4 && c.audio === 4;
        });
    }, 60_000);

    // the NOT_FOUND of TC_WEBRTCP_2_2/2_4/2_19/2_21 steps, for a session id that exists on another fabric
    it("answers NOT_FOUND to another fabric's EndSession, ProvideAnswer, ProvideICECandidates and re-offer", async () => {
        const target = sessionsA[0]!;
        const candidate = { candidate: "candidate:1 1 UDP 2122317823 127.0.0.1 50000 typ host", sdpMid: "0", sdpmLineIndex: null };
        expect(await b.endSession(target)).toEqual({ ok: false, status: NOT_FOUND });
        expect(await b.provideAnswer(target, "v=0\r\n")).toEqual({ ok: false, status: NOT_FOUND });
        expect(await b.provideIceCandidates(target, [candidate])).toEqual({ ok: false, status: NOT_FOUND });
        expect(await b.provideOffer({ webRtcSessionId: target, sdp: "v=0\r\n" })).toEqual({ ok: false, status: NOT_FOUND });
        // and the other way round
        expect(await a.endSession(sessionsB[0]!)).toEqual({ ok: false, status: NOT_FOUND });

        expect((await a.currentSessions()).map(s => s.id)).toEqual(sessionsA);
        expect((await b.currentSessions()).map(s => s.id)).toEqual(sessionsB);
        expect(rig.media.stats(target)).toBeDefined();
        expect(a.controller.received.some(r => r.kind === "end")).toBe(false);
    }, 30_000);

    // no TC step (the reference leaves such rows behind); DESIGN: purge rows, release streams, close peers
    it("purges a removed fabric's sessions, releases their streams and closes their peers", async () => {
        const fabricB = camera.engine.session(sessionsB[0]!)!.fabricIndex;
        expect(camera.engine.sessions(fabricB).map(s => s.id)).toEqual(sessionsB);
        for (const id of sessionsB) expect(rig.media.stats(id)).toBeDefined();

        await b.client.decommission();

        await until("fabric B's rows gone", () => camera.engine.sessions(fabricB).length === 0);
        expect(camera.node.state.operationalCredentials.fabrics).toHaveLength(1);
        expect(camera.engine.sessions().map(s => s.id)).toEqual(sessionsA);
        expect((await a.currentSessions()).map(s => s.id)).toEqual(sessionsA);
        expect((await a.currentSessions(false)).map(s => s.id)).toEqual(sessionsA);
        for (const id of sessionsB) expect(rig.media.stats(id)).toBeUndefined();
        for (const id of sessionsA) expect(rig.media.stats(id)).toBeDefined();
        await until("reference counts back to A's 2", async () => {
            const c = await a.referenceCounts(streams.video, streams.audio);
            return c.video === 2 && c.audio === 2;
        });

        // A's sessions still work
        for (const id of sessionsA) expect((await a.endSession(id)).ok).toBe(true);
        expect(await a.currentSessions()).toEqual([]);
        await until("reference counts back to 0", async () => {
            const c = await a.referenceCounts(streams.video, streams.audio);
            return c.video === 0 && c.audio === 0;
        });
    }, 60_000);
});
