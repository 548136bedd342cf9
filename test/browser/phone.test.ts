/**
 * The camera page on a phone's screen, and what it tells a phone's user.
 *
 * Real pieces (`TabCamera`): the built page served by a real relay on 127.0.0.1, Debian's Chromium
 * (playwright-core) emulating a phone (`isMobile`, touch, device scale factor 3) at the widths of
 * common phones, 360×740, 390×844 and 430×932 CSS pixels; a real matter.js controller
 * (`TestController`) commissions it and opens two live sessions to node-datachannel peers.
 *
 * What it proves:
 * 1. before commissioning, at each width: nothing scrolls sideways (the document is no wider than
 *    the screen, and no card scrolls sideways inside either), the manual pairing code's text lies
 *    wholly on the screen, and the pairing QR code is at least 60 % of the screen's width (large
 *    enough to scan from another phone); a screenshot at 390×844 is saved as
 *    dist/phone-screenshot.png (web/phone-screenshot.png, the README's, is refreshed from it by hand);
 * 2. commissioned, with two live sessions in the sessions table and the fabric in the fabrics
 *    table: still nothing scrolls sideways at any width, each session row is on the screen, and
 *    each of its values is labelled with its column (the phone layout stacks the rows);
 * 3. the screen stays awake: headless Chromium grants the Screen Wake Lock and the header says
 *    "screen kept awake"; where the API does not exist (older Firefox ESR), the page says "screen may
 *    sleep" and stays a camera, with no error;
 * 4. the page explains its connection (connection-help.ts): a pure function of the URL in Node,
 *    then in Chromium: served over https from a LAN name (a self-signed certificate from
 *    `selfsigned`, the name mapped to 127.0.0.1 inside Chromium) it shows the collapsed
 *    certificate explanation (fingerprint, token); served over plain http from that name (not a
 *    secure context) it says the camera will be refused and names `npm start -- --lan`, without an
 *    uncaught error; neither fits wider than a 360 px screen.
 */

import { CHROMIUM_PATH, testChromiumArgs } from "../support/chromium-args.js";
import { PAGE_DIR } from "../../src/cli/build-page.js";
import { createStaticHandler } from "../../src/relay/static-files.js";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import nodeDataChannel from "node-datachannel";
import { chromium, type Browser, type Page } from "playwright-core";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionHelp, isLoopbackHost } from "../../web/connection-help.js";
import { TestController, testEnvironment, type CameraPeer } from "../support/matter-controller.js";
import { TabCamera, tabControllerPort } from "../support/tab-camera.js";
import { openTabSession, type TabSession } from "../support/tab-session.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PHONES = [
    { width: 360, height: 740 },
    { width: 390, height: 844 },
    { width: 430, height: 932 },
] as const;
const PHONE_CONTEXT = { isMobile: true, hasTouch: true, deviceScaleFactor: 3 };

interface Box {
    left: number;
    right: number;
    top: number;
    bottom: number;
    width: number;
}

interface Layout {
    innerWidth: number;
    scrollWidth: number;
    /** Cards (and header, banners) whose content is wider than they are: they would scroll sideways. */
    wideBoxes: string[];
    /** The manual code's text (its glyphs, not its block). */
    code: Box;
    codeText: string;
    qr: Box;
    /** Each row of the sessions table. */
    sessionRows: Box[];
    /** data-label of every cell of the sessions table. */
    sessionLabels: string[];
}

/** Sets a phone's viewport and reads the page's layout after it has been laid out again. */
async function layoutAt(page: Page, size: { width: number; height: number }): Promise<Layout> {
    await page.setViewportSize(size);
    // two frames: the resize is laid out and painted before measuring
    await page.evaluate(() => new Promise<void>(resolve => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
    // inline code only: a bundler's helper for named functions does not exist in the page
    return page.evaluate(() => {
        const code = document.getElementById("manual-code") as HTMLElement;
        const range = document.createRange();
        range.selectNodeContents(code);
        const rows = [...document.querySelectorAll("#sessions tr")];
        const [codeBox, qrBox, ...rowBoxes] = [range, document.getElementById("qr") as HTMLElement, ...rows]
            .map(e => e.getBoundingClientRect())
            .map(r => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width }));
        return {
            innerWidth: window.innerWidth,
            scrollWidth: document.documentElement.scrollWidth,
            wideBoxes: [...document.querySelectorAll<HTMLElement>("header, main, .card, .help, .problem")]
                .filter(e => e.getClientRects().length > 0 && e.scrollWidth > e.clientWidth + 1)
                .map(e => `${e.tagName.toLowerCase()}#${e.id || e.className}: ${e.scrollWidth} > ${e.clientWidth}`),
            code: codeBox as Box,
            codeText: code.textContent ?? "",
            qr: qrBox as Box,
            sessionRows: rowBoxes,
            sessionLabels: [...document.querySelectorAll<HTMLElement>("#sessions td")].map(td => td.dataset.label ?? ""),
        };
    });
}

function expectFits(layout: Layout, width: number, what: string): void {
    // the layout viewport is the phone's width (a page wider than it would make a mobile browser zoom out)
    expect(layout.innerWidth, what).toBe(width);
    expect(layout.scrollWidth, `${what}: document wider than the screen`).toBeLessThanOrEqual(width);
    expect(layout.wideBoxes, `${what}: boxes that scroll sideways`).toEqual([]);
}

describe("the page on a phone", () => {
    const env = testEnvironment();
    let tab: TabCamera;
    let controller: TestController | undefined;
    let camera: CameraPeer;
    const sessions: TabSession[] = [];
    const measured: Record<string, string> = {};

    beforeAll(async () => {
        tab = await TabCamera.start({ name: "phone", viewport: PHONES[1], contextOptions: PHONE_CONTEXT });
    }, 90_000);

    afterAll(async () => {
        for (const s of sessions) s.peer.close();
        await controller?.close().catch(() => undefined);
        await tab?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
        console.log(`phone layout: ${JSON.stringify(measured, null, 1)}`);
    }, 30_000);

    it("fits 360, 390 and 430 px wide: no sideways scroll, the manual code on screen, the QR code ≥ 60 % of the width", async () => {
        const status = await tab.status();
        expect(status.commissioned).toBe(false);
        const manual = status.pairing?.manualPairingCode.replace(/^(\d{4})(\d{3})(\d{4})$/, "$1-$2-$3");
        for (const size of PHONES) {
            const layout = await layoutAt(tab.page, size);
            const what = `${size.width}×${size.height}`;
            expectFits(layout, size.width, what);
            expect(layout.codeText).toBe(manual);
            expect(layout.code.width, `${what}: manual code drawn`).toBeGreaterThan(100);
            expect(layout.code.left, `${what}: manual code cut at the left`).toBeGreaterThanOrEqual(0);
            expect(layout.code.right, `${what}: manual code cut at the right`).toBeLessThanOrEqual(size.width);
            expect(layout.qr.left).toBeGreaterThanOrEqual(0);
            expect(layout.qr.right).toBeLessThanOrEqual(size.width);
            expect(layout.qr.width, `${what}: QR code width`).toBeGreaterThanOrEqual(0.6 * size.width);
            measured[`${what}: QR code width (px, share of the screen)`] = `${Math.round(layout.qr.width)} (${Math.round((100 * layout.qr.width) / size.width)} %)`;
            measured[`${what}: manual code (px from the left … right edge)`] = `${Math.round(layout.code.left)} … ${Math.round(layout.code.right)}`;
        }
        await tab.page.setViewportSize(PHONES[1]);
        // into the git-ignored dist/: `npm test` never rewrites a tracked file
        await tab.page.screenshot({ path: `${ROOT}dist/phone-screenshot.png` });
    }, 60_000);

    it("still fits with two live sessions and a fabric in the tables", async () => {
        const status = await tab.status();
        controller = await TestController.create("phone-ctl", tabControllerPort(), tab.port, { preferTcp: true });
        camera = await controller.commission(tab.port, status.pairing?.passcode);
        const streams = await camera.allocateStreams();
        sessions.push(await openTabSession(controller, camera, streams));
        sessions.push(await openTabSession(controller, camera, streams));
        // the page's 1 s refresh lists both, connected, and the fabric
        await tab.page.waitForFunction(
            () => {
                const rows = [...document.querySelectorAll("#sessions tr")];
                return rows.length === 2 && rows.every(tr => tr.textContent?.includes("connected")) && document.querySelectorAll("#fabrics tr td[data-label]").length === 5;
            },
            null,
            { timeout: 10_000 },
        );
        for (const size of PHONES) {
            const layout = await layoutAt(tab.page, size);
            const what = `${size.width}×${size.height}, two sessions`;
            expectFits(layout, size.width, what);
            expect(layout.sessionRows).toHaveLength(2);
            for (const r of layout.sessionRows) {
                expect(r.left, what).toBeGreaterThanOrEqual(0);
                expect(r.right, what).toBeLessThanOrEqual(size.width);
            }
            // stacked rows keep their meaning: every value is labelled with its column
            expect(layout.sessionLabels).toHaveLength(26);
            expect(layout.sessionLabels.slice(0, 13)).toEqual(["Id", "Fabric", "Peer node", "Streams", "State", "Role", "ICE", "Connection", "Frames sent", "Bytes sent", "Bitrate", "Codec", "Path"]);
        }
        await tab.page.setViewportSize(PHONES[1]);
        await tab.page.screenshot({ path: `${ROOT}dist/phone-screenshot-sessions.png`, fullPage: true });
        // both sessions kept streaming while the page was resized
        const before = sessions.map(s => s.peer.video.frames);
        await tab.page.waitForTimeout(1_000);
        sessions.forEach((s, i) => expect(s.peer.video.frames).toBeGreaterThan(before[i] ?? 0));
        expect(tab.pageErrors).toEqual([]);
    }, 90_000);

    it("keeps the screen awake, and says 'screen may sleep' where the browser has no Screen Wake Lock", async () => {
        expect(await tab.page.evaluate(() => window.mwp.wakeLock().state)).toBe("awake");
        expect(await tab.page.locator("#wake-lock").textContent()).toContain("screen kept awake");
        // a browser without the API (Firefox ESR before 126): no navigator.wakeLock at all
        await tab.context.addInitScript(() => {
            delete (Navigator.prototype as { wakeLock?: unknown }).wakeLock;
        });
        for (const s of sessions.splice(0)) s.peer.close();
        const status = await tab.reload();
        expect(status.state).toBe("online");
        expect(await tab.page.evaluate(() => "wakeLock" in navigator)).toBe(false);
        await tab.page.waitForFunction(() => window.mwp.wakeLock().state === "may-sleep", null, { timeout: 5_000 });
        expect(await tab.page.locator("#wake-lock").textContent()).toBe("screen may sleep");
        expect(await tab.page.evaluate(() => window.mwp.wakeLock().text)).toMatch(/no Screen Wake Lock/);
        expect(await tab.page.evaluate(() => window.mwp.source())).toBe("pattern");
        expect(tab.pageErrors).toEqual([]);
    }, 60_000);
});

describe("the page explains its connection", () => {
    it("tells which explanation a URL needs", () => {
        for (const host of ["localhost", "cam.localhost", "127.0.0.1", "127.1.2.3", "[::1]", "::1", "LOCALHOST"]) expect(isLoopbackHost(host), host).toBe(true);
        for (const host of ["192.168.1.20", "fd00::1", "[fd00::1]", "camera.lan", "my-laptop.local", "128.0.0.1", "localhost.example"]) expect(isLoopbackHost(host), host).toBe(false);
        // the relay's LAN mode: https from another machine; the browser warned about the certificate
        expect(connectionHelp({ protocol: "https:", hostname: "192.168.1.20" }, true)).toBe("certificate");
        expect(connectionHelp({ protocol: "https:", hostname: "[fd00::1]" }, true)).toBe("certificate");
        // plain http from another machine: not a secure context
        expect(connectionHelp({ protocol: "http:", hostname: "192.168.1.20" }, false)).toBe("insecure");
        // this machine: secure either way, no warning
        expect(connectionHelp({ protocol: "http:", hostname: "127.0.0.1" }, true)).toBe("none");
        expect(connectionHelp({ protocol: "https:", hostname: "localhost" }, true)).toBe("none");
    });

    describe("in Chromium, from a LAN name", () => {
        const NAME = "camera.test";
        let browser: Browser;
        let https: Server;
        let http: Server;
        const pageErrors: string[] = [];

        beforeAll(async () => {
            const handler = await createStaticHandler(PAGE_DIR);
            const pems = await generate([{ name: "commonName", value: NAME }], {
                keyType: "ec",
                algorithm: "sha256",
                extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: NAME }] }],
            });
            https = createHttpsServer({ key: pems.private, cert: pems.cert }, handler);
            http = createHttpServer(handler);
            await Promise.all([https, http].map(s => new Promise<void>(resolve => s.listen(0, "127.0.0.1", resolve))));
            // the name resolves to 127.0.0.1 inside this Chromium only: nothing leaves the machine
            browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: testChromiumArgs({ map: { [NAME]: "127.0.0.1" } }), timeout: 30_000 });
        }, 60_000);

        afterAll(async () => {
            await browser?.close().catch(() => undefined);
            for (const server of [https, http]) {
                server?.closeAllConnections();
                await new Promise<void>(resolve => (server ? server.close(() => resolve()) : resolve()));
            }
        });

        /** Opens the page at `origin` on a 360 px phone screen (the certificate warning already accepted). */
        async function open(origin: string): Promise<Page> {
            const context = await browser.newContext({ ...PHONE_CONTEXT, viewport: PHONES[0], ignoreHTTPSErrors: true });
            const page = await context.newPage();
            page.on("pageerror", error => pageErrors.push(`${origin}: ${String(error)}`));
            await page.goto(`${origin}/?token=not-a-relay&source=pattern&camera=help`, { timeout: 15_000 });
            await page.waitForFunction(() => window.mwp?.source() === "pattern", null, { timeout: 10_000 });
            return page;
        }

        it("over https: the certificate warning explained, collapsed, with the fingerprint and the token", async () => {
            const page = await open(`https://${NAME}:${(https.address() as AddressInfo).port}`);
            try {
                expect(await page.evaluate(() => [location.protocol, window.isSecureContext])).toEqual(["https:", true]);
                const help = page.locator("#certificate-help");
                expect(await help.isVisible()).toBe(true);
                expect(await help.evaluate(d => (d as HTMLDetailsElement).open)).toBe(false);
                expect(await page.locator("#certificate-help summary").textContent()).toBe("About the certificate warning");
                await page.locator("#certificate-help summary").click();
                expect(await help.evaluate(d => (d as HTMLDetailsElement).open)).toBe(true);
                const text = (await help.textContent()) ?? "";
                expect(text).toMatch(/self-signed/);
                expect(text).toMatch(/fingerprint/);
                expect(text).toMatch(/token/);
                expect(await page.locator("#insecure-help").isVisible()).toBe(false);
                expectFits(await layoutAt(page, PHONES[0]), PHONES[0].width, "https, certificate help open");
            } finally {
                await page.context().close();
            }
        }, 60_000);

        it("over plain http: says the browser will refuse the camera and how to use --lan", async () => {
            const page = await open(`http://${NAME}:${(http.address() as AddressInfo).port}`);
            try {
                expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
                const help = page.locator("#insecure-help");
                expect(await help.isVisible()).toBe(true);
                const text = (await help.textContent()) ?? "";
                expect(text).toMatch(/refuse/);
                expect(text).toContain("npm start -- --lan");
                expect(await page.locator("#certificate-help").isVisible()).toBe(false);
                // no Screen Wake Lock outside a secure context either: said, not thrown
                expect(await page.evaluate(() => window.mwp.wakeLock().state)).toBe("may-sleep");
                // the camera button explains too
                await page.locator("#use-camera").click();
                await page.waitForFunction(() => !(document.getElementById("source-message") as HTMLElement).hidden, null, { timeout: 5_000 });
                expect(await page.locator("#source-message").textContent()).toMatch(/secure page/);
                expect(await page.evaluate(() => window.mwp.source())).toBe("pattern");
                expectFits(await layoutAt(page, PHONES[0]), PHONES[0].width, "http, insecure help");
            } finally {
                await page.context().close();
            }
            expect(pageErrors).toEqual([]);
        }, 60_000);
    });
});
