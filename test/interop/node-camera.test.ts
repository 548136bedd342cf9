/**
 * The real controllers' flows (flows.ts) against the Node camera in its default mode, on a fresh
 * camera and again after the camera process restarted on the same storage.
 *
 * Two fabrics, as in a home that has both: a SmartThings hub (its Requestor cluster on endpoint 0)
 * and a Home Assistant matter server (Requestor on endpoint 2), whose dashboard and core
 * integration share its fabric. Real pieces only: matter.js controllers over UDP/TCP on loopback,
 * the camera's node-datachannel peers, node-datachannel and Chromium viewers, and coturn on
 * loopback for the TURN servers the controllers hand the camera.
 */

import nodeDataChannel from "node-datachannel";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_PATH, TEST_CHROMIUM_ARGS } from "../support/chromium-args.js";
import { DEFAULT_RTCP_TIMEOUT_MS } from "../../src/media/node/index.js";
import { NodeCameraRig } from "../support/camera-rig.js";
import { ChromiumViewer } from "../support/chromium-viewer.js";
import { testEnvironment, type CameraPeer, type TestController } from "../support/matter-controller.js";
import { startTurnServer, type TurnServer } from "../support/turn-server.js";
import { haCoreFlow, haDashboardFlow, smartThingsFlow, type FlowContext, type FlowResult } from "./flows.js";

const env = testEnvironment();
/** A libdatachannel viewer's close is silent: freed once its receiver reports stop (5 s) plus margin. */
const SILENT_VIEWER_FREE_MS = DEFAULT_RTCP_TIMEOUT_MS + 1_500;
const results: Record<string, FlowResult> = {};

describe("real controllers against the Node camera (default mode)", () => {
    let rig: NodeCameraRig;
    let turn: TurnServer;
    let browser: Browser;
    let hub: TestController;
    let server: TestController;
    let hubPeer: CameraPeer;
    let serverPeer: CameraPeer;
    const viewers: ChromiumViewer[] = [];

    const smartThings = (): FlowContext => ({ controller: hub, peer: hubPeer, requestorEndpoint: 0, viewerAddress: "127.0.0.3" });
    const homeAssistant = (): FlowContext => ({ controller: server, peer: serverPeer, requestorEndpoint: 2, viewerAddress: "127.0.0.3" });

    beforeAll(async () => {
        turn = await startTurnServer();
        browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...TEST_CHROMIUM_ARGS], timeout: 30_000 });
        rig = await NodeCameraRig.start({ name: "interop", snapshots: true });
        ({ controller: hub, peer: hubPeer } = await rig.addController({ id: "smartthings-hub", requestorEndpoint: 0, preferTcp: true }));
        ({ controller: server, peer: serverPeer } = await rig.addController({ id: "matter-server", requestorEndpoint: 2, preferTcp: true }));
    }, 90_000);

    afterAll(async () => {
        for (const viewer of viewers) await viewer.close();
        await rig?.close();
        await browser?.close();
        await turn?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
        console.log(`interop, Node camera: ${JSON.stringify(results, null, 1)}`);
    }, 60_000);

    for (const phase of ["fresh", "after restart"] as const) {
        describe(phase === "fresh" ? "on a fresh camera" : "after the camera restarted", () => {
            if (phase === "after restart") {
                beforeAll(async () => {
                    await rig.restart();
                    expect(rig.camera.commissioned).toBe(true);
                }, 60_000);
            }

            it("SmartThings: thumbnail, ProvideOffer with ids 0/0 and TURN, inline candidates, freed without EndSession", async () => {
                results[`SmartThings, ${phase}`] = await smartThingsFlow(smartThings(), { turn, freeLimitMs: SILENT_VIEWER_FREE_MS });
            }, 60_000);

            it("SmartThings forced through the TURN server (ICETransportPolicy relay)", async () => {
                const result = await smartThingsFlow(smartThings(), { turn, forceRelay: true, freeLimitMs: SILENT_VIEWER_FREE_MS });
                expect(result.pair).toBe("relay ↔ relay");
                results[`SmartThings via TURN, ${phase}`] = result;
            }, 60_000);

            it("Home Assistant dashboard: lists [0]/[0], a Chromium viewer with no candidates decodes, freed without EndSession; snapshot", async () => {
                const viewer = await ChromiumViewer.open(browser);
                viewers.push(viewer);
                results[`HA dashboard, ${phase}`] = await haDashboardFlow(homeAssistant(), viewer);
                await viewer.close();
            }, 60_000);

            it("Home Assistant core: null ids, then allocate, TURN, trickle, EndSession, deallocate", async () => {
                results[`HA core, ${phase}`] = await haCoreFlow(homeAssistant(), { turn });
            }, 60_000);
        });
    }
});
