/**
 * A camera tab in the background keeps streaming at its full frame rate, and keeps the screen awake
 * again when it comes back to the front.
 *
 * Browsers throttle hidden tabs: a page timer fires about once a second, so a test pattern drawn
 * from one would send about 1 frame per second. The page draws it on ticks from a dedicated worker
 * (media-source.ts), which hidden tabs do not throttle. This proves it as a user's browser does it:
 *
 * - Debian's Chromium through puppeteer-core, in the browser's own default context, because
 *   playwright turns on focus emulation for every page it drives, which keeps every page visible
 *   (`document.visibilityState` never becomes "hidden"); and without the switches automation
 *   libraries add to turn background throttling off (`--disable-background-timer-throttling`,
 *   `--disable-renderer-backgrounding`, `--disable-backgrounding-occluded-windows`);
 * - the camera tab goes to the background the way a user sends it there: a second tab in the same
 *   window is brought to the front. The test checks that the tab is really hidden AND really
 *   throttled (a 10 ms page timer fires a few times per second at most), so it cannot pass on a
 *   browser that stopped throttling;
 * - real pieces otherwise: the built page served by a real relay on 127.0.0.1, a real matter.js
 *   controller (`TestController`) commissions it and opens a session to a node-datachannel peer that
 *   counts the H.264 frames it receives (RTP marker bits).
 *
 * What it proves: over 5 s in front and 5 s hidden, the viewer receives at least 60 % of the
 * foreground frame rate while hidden (a pattern that stops, or drops to 1 fps, fails); the page's
 * screen lock is released while hidden ("page hidden") and held again once the tab is in front.
 */

import { CHROMIUM_PATH, TEST_CHROMIUM_ARGS } from "../support/chromium-args.js";
import { PAGE_DIR } from "../../src/cli/build-page.js";
import { startRelay, type Relay } from "../../src/relay/server.js";
import nodeDataChannel from "node-datachannel";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestController, testEnvironment } from "../support/matter-controller.js";
import { until } from "../support/streaming.js";
import { tabCameraPortRange, tabControllerPort } from "../support/tab-camera.js";
import { openTabSession, type TabSession } from "../support/tab-session.js";

/** Switches puppeteer adds by default that turn a browser's background throttling off. */
const THROTTLING_OFF = ["--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"];
const WINDOW_MS = 5_000;

describe("a camera tab in the background", () => {
    const env = testEnvironment();
    let relay: Relay;
    let browser: Browser;
    let page: Page;
    let controller: TestController | undefined;
    let session: TabSession | undefined;
    const pageErrors: string[] = [];
    const measured: Record<string, number | string> = {};

    /** Frames per second the viewer received over the next `WINDOW_MS`. */
    async function viewerFps(): Promise<number> {
        const peer = session?.peer;
        if (peer === undefined) throw new Error("no session");
        const frames = peer.video.frames;
        const started = performance.now();
        await new Promise(resolve => setTimeout(resolve, WINDOW_MS));
        return ((peer.video.frames - frames) * 1000) / (performance.now() - started);
    }

    /** How often a 10 ms page timer fires per second in the camera tab (≈100 in front, ≈1 when throttled). */
    function pageTimerRate(): Promise<number> {
        return page.evaluate(
            () =>
                new Promise<number>(resolve => {
                    let fired = 0;
                    const started = performance.now();
                    const timer = setInterval(() => fired++, 10);
                    // a worker's timer is not throttled: it ends the measurement on time in a hidden tab
                    const worker = new Worker(URL.createObjectURL(new Blob(["setTimeout(() => postMessage(0), 2000);"], { type: "text/javascript" })));
                    worker.onmessage = () => {
                        clearInterval(timer);
                        worker.terminate();
                        resolve((fired * 1000) / (performance.now() - started));
                    };
                }),
        );
    }

    const visibility = (): Promise<string> => page.evaluate(() => document.visibilityState);
    const wakeLock = (): Promise<string> => page.evaluate(() => window.mwp.wakeLock().state);

    beforeAll(async () => {
        relay = await startRelay({ staticDir: PAGE_DIR, matterPorts: tabCameraPortRange() });
        browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, args: [...TEST_CHROMIUM_ARGS], ignoreDefaultArgs: THROTTLING_OFF, timeout: 30_000 });
        const [first] = await browser.pages();
        page = first ?? (await browser.newPage());
        page.on("pageerror", error => pageErrors.push(String(error)));
        await page.goto(`${relay.pageUrl}&source=pattern&mdns=lo&camera=background`, { timeout: 15_000 });
        await page.waitForFunction(() => window.mwp?.status()?.state === "online", { timeout: 30_000, polling: 100 });
        const status = await page.evaluate(() => window.mwp.status());
        const port = status?.port ?? 0;
        controller = await TestController.create("background-ctl", tabControllerPort(), port, { preferTcp: true });
        const camera = await controller.commission(port, status?.pairing?.passcode);
        session = await openTabSession(controller, camera, await camera.allocateStreams());
    }, 120_000);

    afterAll(async () => {
        session?.peer.close();
        await controller?.close().catch(() => undefined);
        await browser?.close().catch(() => undefined);
        await relay?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
        console.log(`background tab: ${JSON.stringify(measured, null, 1)}`);
    }, 30_000);

    it("streams at ≥ 60 % of its foreground frame rate while another tab is in front", async () => {
        expect(await visibility()).toBe("visible");
        expect(await wakeLock()).toBe("awake");
        const foreground = await viewerFps();
        measured["foreground: viewer fps"] = Number(foreground.toFixed(1));
        measured["foreground: 10 ms page timer, fires/s"] = Math.round(await pageTimerRate());
        expect(foreground).toBeGreaterThan(5);

        // a second tab in the same window comes to the front: the camera tab is hidden, as a user's would be
        const other = await browser.newPage();
        try {
            await other.bringToFront();
            await until("the camera tab hidden", async () => (await visibility()) === "hidden", 5_000);
            // and really throttled: otherwise this test would prove nothing
            const timerRate = await pageTimerRate();
            measured["background: 10 ms page timer, fires/s"] = Math.round(timerRate);
            expect(timerRate).toBeLessThan(10);
            // the browser took the screen lock back; the page says so and waits to be shown
            expect(await wakeLock()).toBe("hidden");

            const background = await viewerFps();
            measured["background: viewer fps"] = Number(background.toFixed(1));
            measured["background / foreground"] = `${Math.round((100 * background) / foreground)} %`;
            expect(await visibility()).toBe("hidden");
            expect(background).toBeGreaterThanOrEqual(0.6 * foreground);
        } finally {
            await other.close();
        }

        // in front again: the screen lock is asked for again
        await page.bringToFront();
        await until("the camera tab visible", async () => (await visibility()) === "visible", 5_000);
        await until("the screen lock held again", async () => (await wakeLock()) === "awake", 5_000);
        expect(pageErrors).toEqual([]);
    }, 60_000);
});
