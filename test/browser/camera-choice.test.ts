/**
 * The page asks for this device's camera, front or back, and falls back to the test pattern.
 *
 * Real pieces (`TabCamera`): the built page served by a real relay on 127.0.0.1, its camera
 * online in Debian's Chromium. Chromium runs with its fake capture device
 * (`--use-fake-device-for-media-stream`) but WITHOUT the flag that accepts every permission
 * prompt: the permission is what the test grants to the browser context, or nothing, which headless
 * Chromium answers like a user who blocks the camera (NotAllowedError).
 *
 * What it proves:
 * 1. granted: the page opens this device's camera by itself (no `source` parameter, nothing
 *    remembered), asking for the front camera (`facingMode` "user"); choosing "Back camera" while
 *    it runs switches to a camera opened with `facingMode` "environment"; "Use the test pattern"
 *    and "Use this device's camera" go back and forth, the camera keeping the back choice; the
 *    camera stays online throughout;
 * 2. denied: the page says in plain words that the camera permission was denied and that it
 *    streams the test pattern instead (next to the button and in the banner), stays a camera on
 *    the pattern, and says so again when the button is pressed once more; no uncaught error.
 */

import { CHROMIUM_PATH, testChromiumArgs } from "../support/chromium-args.js";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TabCamera } from "../support/tab-camera.js";

/** What the page streams and how its video track was asked for. */
async function source(page: Page): Promise<{ kind: string | undefined; facingMode: unknown; label: string; pressed: string | null }> {
    await page.evaluate(() => window.mwp.sourceSettled());
    return {
        kind: await page.evaluate(() => window.mwp.source()),
        // Chromium reports the constraint as given ({ ideal: "user" }) or as its value
        facingMode: await page.evaluate(() => {
            const facing = window.mwp.videoConstraints()?.facingMode;
            return typeof facing === "object" && facing !== null && "ideal" in facing ? facing.ideal : facing;
        }),
        label: (await page.locator("#source-label").textContent()) ?? "",
        pressed: await page.locator("#use-camera").getAttribute("aria-pressed"),
    };
}

describe("this device's camera, front or back, or the test pattern", () => {
    let browser: Browser;
    const tabs: TabCamera[] = [];

    beforeAll(async () => {
        // the permission prompt is NOT auto-accepted here: the grant is the context's, or none
        const args = testChromiumArgs({ drop: ["--use-fake-ui-for-media-stream"] });
        expect(args).toContain("--use-fake-device-for-media-stream");
        browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args, timeout: 30_000 });
    }, 60_000);

    afterAll(async () => {
        for (const tab of tabs) await tab.close();
        await browser?.close().catch(() => undefined);
    }, 30_000);

    it("with the permission granted: opens the camera, front first, switches to the back one while running", async () => {
        const tab = await TabCamera.start({ name: "granted", browser, source: "choice", contextOptions: { permissions: ["camera", "microphone"] } });
        tabs.push(tab);
        const page = tab.page;
        const first = await source(page);
        expect(first.kind).toBe("webcam");
        expect(first.facingMode).toBe("user");
        expect(first.label).toMatch(/^streaming: fake_device/);
        expect(first.pressed).toBe("true");
        expect(await page.locator("#source-message").isHidden()).toBe(true);
        expect(await page.evaluate(() => window.mwp.problems())).toEqual([]);

        // the back camera, while the camera runs: a new track asked for with facingMode "environment"
        await page.locator('input[name="facing"][value="environment"]').check();
        await page.waitForFunction(() => {
            const facing = window.mwp.videoConstraints()?.facingMode;
            return (typeof facing === "object" && facing !== null && "ideal" in facing ? facing.ideal : facing) === "environment";
        }, null, { timeout: 10_000 });
        const back = await source(page);
        expect(back.kind).toBe("webcam");
        expect(back.facingMode).toBe("environment");

        // to the test pattern and back: the camera keeps the back choice
        await page.locator("#use-pattern").click();
        expect((await source(page)).kind).toBe("pattern");
        expect(await page.locator("#use-pattern").getAttribute("aria-pressed")).toBe("true");
        await page.locator("#use-camera").click();
        const again = await source(page);
        expect(again.kind).toBe("webcam");
        expect(again.facingMode).toBe("environment");

        expect((await tab.status()).state).toBe("online");
        expect(tab.pageErrors).toEqual([]);
    }, 90_000);

    it("with the permission denied: says so in plain words and stays a camera on the test pattern", async () => {
        const tab = await TabCamera.start({ name: "denied", browser, source: "choice" });
        tabs.push(tab);
        const page = tab.page;
        const fallback = await source(page);
        expect(fallback.kind).toBe("pattern");
        expect(fallback.pressed).toBe("false");
        const message = page.locator("#source-message");
        expect(await message.isVisible()).toBe(true);
        expect(await message.textContent()).toBe("Camera permission was denied; allow the camera for this page, or use the test pattern. This camera streams the test pattern instead.");
        expect(await page.evaluate(() => window.mwp.problems())).toContain("Camera permission was denied; allow the camera for this page, or use the test pattern. This camera streams the test pattern instead.");
        expect(await page.locator("#problem").isVisible()).toBe(true);
        // it is a camera all the same: online, on the pattern
        const status = await tab.status();
        expect(status.state).toBe("online");
        expect(status.pairing?.manualPairingCode).toMatch(/^\d{11}$/);

        // asking again: refused again, said again, still the pattern
        await page.locator("#use-camera").click();
        const after = await source(page);
        expect(after.kind).toBe("pattern");
        expect(await message.textContent()).toMatch(/^Camera permission was denied/);
        expect(await page.evaluate(() => window.mwp.log.filter(e => e.text.includes("permission was denied")).length)).toBe(2);
        expect(tab.pageErrors).toEqual([]);
    }, 90_000);
});
