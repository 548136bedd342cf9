/**
 * The real controllers' flows (flows.ts) against the browser camera in its default mode: a
 * Chromium tab (the page and its worker, through the relay), on a fresh camera and again after the
 * tab reloaded (the node comes back from IndexedDB). Same controllers and viewers as the Node
 * camera's suite: a SmartThings hub (Requestor on endpoint 0) and a Home Assistant matter server
 * (Requestor on endpoint 2), node-datachannel and Chromium viewers, coturn on loopback.
 */

import nodeDataChannel from "node-datachannel";
import { VIEWER_SILENCE_LIMIT_MS } from "../../src/media/liveness.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChromiumViewer } from "../support/chromium-viewer.js";
import { TestController, testEnvironment, type CameraPeer } from "../support/matter-controller.js";
import { TabCamera, tabControllerPort } from "../support/tab-camera.js";
import { startTurnServer, type TurnServer } from "../support/turn-server.js";
import { haCoreFlow, haDashboardFlow, smartThingsFlow, type FlowContext, type FlowResult } from "./flows.js";

const env = testEnvironment();
/**
 * A libdatachannel viewer's close is silent: the tab frees it once nothing came from it for 5 s
 * (its RTCP and ICE consent answers, read from getStats every 500 ms), plus margin for a loaded
 * machine (a CI run on 2 cores took over 7.5 s once, through TURN). Still below Chromium's ICE
 * consent expiry (~15 s), so a tab that stopped watching for silence fails here; the time itself
 * is measured by the bench (`--only interop`), not asserted.
 */
const SILENT_VIEWER_FREE_MS = VIEWER_SILENCE_LIMIT_MS + 6_500;
/**
 * Through TURN the tab's silence watch does not always fire: in 2 of 4 CI runs the relayed viewer
 * was freed only after 9–13 s, at Chromium's ICE consent expiry (its getStats kept counting on the
 * relayed pair). Open: the session is still freed without EndSession, which is what this asserts.
 */
const RELAYED_VIEWER_FREE_MS = 20_000;
const results: Record<string, FlowResult> = {};

describe("real controllers against the browser camera (default mode)", () => {
    let tab: TabCamera;
    let turn: TurnServer;
    let hub: TestController;
    let server: TestController;
    let hubPeer: CameraPeer;
    let serverPeer: CameraPeer;

    const smartThings = (): FlowContext => ({ controller: hub, peer: hubPeer, requestorEndpoint: 0, viewerAddress: "127.0.0.3" });
    const homeAssistant = (): FlowContext => ({ controller: server, peer: serverPeer, requestorEndpoint: 2, viewerAddress: "127.0.0.3" });

    beforeAll(async () => {
        turn = await startTurnServer();
        tab = await TabCamera.start({ name: "interop" });
        const pairing = (await tab.status()).pairing;
        hub = await TestController.create("smartthings-hub", tabControllerPort(), tab.port, { requestorEndpoint: 0, preferTcp: true });
        hubPeer = await hub.commission(tab.port, pairing?.passcode);
        const window = await hubPeer.openCommissioningWindow();
        server = await TestController.create("matter-server", tabControllerPort(), tab.port, { requestorEndpoint: 2, preferTcp: true });
        serverPeer = await server.commission(tab.port, window.passcode);
    }, 120_000);

    afterAll(async () => {
        await hub?.close();
        await server?.close();
        await tab?.close();
        await turn?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
        console.log(`interop, browser camera: ${JSON.stringify(results, null, 1)}`);
    }, 60_000);

    for (const phase of ["fresh", "after reload"] as const) {
        describe(phase === "fresh" ? "on a fresh camera" : "after the tab reloaded", () => {
            if (phase === "after reload") {
                beforeAll(async () => {
                    const status = await tab.reload();
                    expect(status.commissioned).toBe(true);
                    expect(status.fabrics).toHaveLength(2);
                }, 60_000);
            }

            it("SmartThings: thumbnail, ProvideOffer with ids 0/0 and TURN, inline candidates, freed without EndSession", async () => {
                results[`SmartThings, ${phase}`] = await smartThingsFlow(smartThings(), { turn, freeLimitMs: SILENT_VIEWER_FREE_MS });
            }, 60_000);

            it("SmartThings forced through the TURN server (ICETransportPolicy relay)", async () => {
                const result = await smartThingsFlow(smartThings(), { turn, forceRelay: true, freeLimitMs: RELAYED_VIEWER_FREE_MS });
                expect(result.pair).toBe("relay ↔ relay");
                results[`SmartThings via TURN, ${phase}`] = result;
            }, 60_000);

            it("Home Assistant dashboard: lists [0]/[0], a Chromium viewer with no candidates decodes VP8, freed without EndSession; snapshot", async () => {
                const viewer = await ChromiumViewer.open(tab.browser);
                try {
                    const result = await haDashboardFlow(homeAssistant(), viewer);
                    expect(result.videoCodec.toUpperCase()).toBe("VP8"); // the browser's first choice, which the tab can send
                    results[`HA dashboard, ${phase}`] = result;
                } finally {
                    await viewer.close();
                }
            }, 60_000);

            it("Home Assistant core: null ids, then allocate, TURN, trickle, EndSession, deallocate", async () => {
                results[`HA core, ${phase}`] = await haCoreFlow(homeAssistant(), { turn });
            }, 60_000);

            it("leaves no peer connection behind in the page", async () => {
                expect(await tab.openPeers()).toBe(0);
                expect(tab.pageErrors).toEqual([]);
            });
        });
    }
});
