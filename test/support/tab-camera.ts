/**
 * The browser camera as a test fixture: the built page (dist/web, made by the global setup) served
 * by a real relay on 127.0.0.1, opened in Debian's Chromium (playwright-core) on the animated test
 * pattern. The tab's matter.js node runs in its worker and reaches the network through the relay;
 * its Matter port is opened on this host by the relay, so controllers commission and talk to it
 * like to any camera on the machine.
 *
 * Port blocks: relay Matter ports per test fork in 24000–24319, controller ports in 23000–23999,
 * clear of `testPort()` (20000–21999) and the relay suites (30000+).
 */

import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { CHROMIUM_PATH, TEST_CHROMIUM_ARGS } from "./chromium-args.js";
import { PAGE_DIR } from "../../src/cli/build-page.js";
import { portFree } from "./matter-controller.js";
import { startRelay, type Relay } from "../../src/relay/server.js";
import type { CameraStatus } from "../../worker/protocol.js";

/** Relay Matter ports for this test fork: a block of 10 in 24000–24319. */
export function tabCameraPortRange(): { from: number; to: number } {
    const pool = Number(process.env.VITEST_POOL_ID ?? "1");
    const from = 24_000 + (pool % 16) * 20 + Math.floor(Math.random() * 2) * 10;
    return { from, to: from + 9 };
}

let nextControllerPort = Math.floor(Math.random() * 50);
/**
 * Controller ports for suites that open the tab: a block of their own (23000–23999), skipping
 * ports still held (another file's controller, another test run on this machine).
 */
export function tabControllerPort(): number {
    const pool = Number(process.env.VITEST_POOL_ID ?? "1");
    for (let tries = 0; tries < 100; tries++) {
        const port = 23_000 + (pool % 10) * 100 + (nextControllerPort++ % 100);
        if (portFree(port)) return port;
    }
    throw new Error("no free tab controller port in 23000..23999");
}

export interface TabCameraOptions {
    /** The camera's identity (its IndexedDB database and node id). */
    name: string;
    certification?: boolean;
    /** An existing browser (a context of its own is created); default: launch one. */
    browser?: Browser;
    viewport?: { width: number; height: number };
    /** More options of the tab's browser context (a phone: `isMobile`, `hasTouch`, `deviceScaleFactor`). */
    contextOptions?: BrowserContextOptions;
    /** The page's `source` parameter; "choice" leaves it out (the page opens this device's camera). Default "pattern". */
    source?: "pattern" | "webcam" | "choice";
}

export class TabCamera {
    readonly pageErrors: string[] = [];
    #relay: Relay;

    private constructor(
        relay: Relay,
        readonly matterPorts: { from: number; to: number },
        readonly browser: Browser,
        readonly ownsBrowser: boolean,
        readonly context: BrowserContext,
        readonly page: Page,
        readonly url: string,
        readonly port: number,
    ) {
        this.#relay = relay;
        page.on("pageerror", error => this.pageErrors.push(String(error)));
    }

    static async start(options: TabCameraOptions): Promise<TabCamera> {
        const matterPorts = tabCameraPortRange();
        const relay = await startRelay({ staticDir: PAGE_DIR, matterPorts });
        let browser = options.browser;
        const owns = browser === undefined;
        try {
            browser ??= await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...TEST_CHROMIUM_ARGS], timeout: 30_000 });
            const context = await browser.newContext({ ...options.contextOptions, viewport: options.viewport ?? { width: 1280, height: 1000 } });
            const page = await context.newPage();
            const source = options.source ?? "pattern";
            const url = `${relay.pageUrl}${source === "choice" ? "" : `&source=${source}`}&mdns=lo&camera=${encodeURIComponent(options.name)}${options.certification ? "&mode=certification" : ""}`;
            await page.goto(url, { timeout: 15_000 });
            const status = await waitOnline(page);
            return new TabCamera(relay, matterPorts, browser, owns, context, page, url, status.port ?? 0);
        } catch (error) {
            if (owns) await browser?.close().catch(() => undefined);
            await relay.close();
            throw error;
        }
    }

    get relay(): Relay {
        return this.#relay;
    }

    /** Stops the relay (the tab loses its network); `restartRelay` brings the same one back. */
    async stopRelay(): Promise<void> {
        await this.#relay.close();
    }

    /** A relay again on the same port, token, page and Matter ports (a relay restart as the tab sees it). */
    async restartRelay(): Promise<void> {
        const { port, token } = this.#relay;
        this.#relay = await startRelay({ port, token, staticDir: PAGE_DIR, matterPorts: this.matterPorts });
    }

    async status(): Promise<CameraStatus> {
        const status = await this.page.evaluate(() => window.mwp.status());
        if (status === undefined) throw new Error("the page has no camera status");
        return status;
    }

    /** Reloads the tab (the camera restarts from IndexedDB) and waits until it is online again. */
    async reload(): Promise<CameraStatus> {
        await this.page.reload({ timeout: 15_000 });
        return waitOnline(this.page);
    }

    /** RTCPeerConnections the page's media host still holds. */
    async openPeers(): Promise<number> {
        return this.page.evaluate(() => window.mwp.client()?.host.sessionIds().length ?? -1);
    }

    async close(): Promise<void> {
        await this.context.close().catch(() => undefined);
        if (this.ownsBrowser) await this.browser.close().catch(() => undefined);
        await this.#relay.close();
    }
}

async function waitOnline(page: Page, timeoutMs = 30_000): Promise<CameraStatus> {
    await page.waitForFunction(() => window.mwp?.status()?.state === "online", null, { timeout: timeoutMs });
    const status = await page.evaluate(() => window.mwp.status());
    if (status === undefined) throw new Error("the page has no camera status");
    return status;
}
