/**
 * A browser tab as a person's browser would open the LAN page, run inside a LAN box host (the
 * camera's, beside `npm start -- --lan`): Debian's Chromium (playwright-core) with its default
 * settings, none of the flags the other suites use (no faked camera or permission prompt, no
 * loopback ICE), so it hides its host ICE candidates behind mDNS `.local` names as browsers do
 * for a page without camera permission. Only what running it headless as root on this machine
 * needs: `--headless`, `--no-sandbox`, `--disable-gpu`. The relay's certificate is self-signed:
 * the context accepts it (ignoreHTTPSErrors), as a person clicking through the warning does.
 *
 * It opens LAN_PAGE_URL with `source=pattern` (the test pattern: no camera on this machine) and
 * reports JSON lines on stdout: `{"step":"online", …}` once the camera runs (its manual pairing
 * code, its Matter port, whether the page is a secure context, the camera permission's state, the
 * ICE candidates a throwaway RTCPeerConnection of the page gathers),
 * then `{"step":"status", …}` whenever commissioning or the session list changes, and
 * `{"step":"error", …}` (exit 1) when it cannot get there. SIGTERM closes the browser.
 *
 * Environment: LAN_PAGE_URL (required), CHROMIUM_PATH (default /usr/bin/chromium),
 * LAN_STEP_TIMEOUT_MS (bound on coming online, default 60 s).
 */

import { chromium, type Browser } from "playwright-core";
import { CHROMIUM_PATH } from "../../src/cli/chromium.js";
import type { CameraStatus } from "../../worker/protocol.js";

type PageWindow = Window & { mwp?: { status(): CameraStatus | undefined; problems(): string[] } };

function report(line: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify(line)}\n`);
}

const url = process.env.LAN_PAGE_URL;
if (url === undefined || url === "") {
    report({ step: "error", message: "LAN_PAGE_URL is not set" });
    process.exit(2);
}
const timeoutMs = Number(process.env.LAN_STEP_TIMEOUT_MS ?? "60000");

let browser: Browser | undefined;
let stopping = false;
const stop = async (code: number): Promise<never> => {
    stopping = true;
    await browser?.close().catch(() => undefined);
    process.exit(code);
};
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));

try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    page.on("pageerror", error => report({ step: "page-error", message: String(error) }));
    page.on("console", message => {
        if (message.type() === "error") report({ step: "console-error", message: message.text() });
    });
    const started = performance.now();
    await page.goto(`${url}&source=pattern`, { timeout: timeoutMs });
    try {
        await page.waitForFunction(() => (window as PageWindow).mwp?.status()?.state === "online", null, { timeout: timeoutMs });
    } catch {
        const problems = await page.evaluate(() => (window as PageWindow).mwp?.problems() ?? []).catch((): string[] => []);
        throw new Error(`the camera did not come online within ${timeoutMs} ms: ${problems.join("; ") || "no reason given"}`);
    }
    const status = (await page.evaluate(() => (window as PageWindow).mwp?.status())) as CameraStatus;
    const secure = await page.evaluate(() => window.isSecureContext);
    // "prompt": nobody granted the camera; a faked prompt would say "granted"
    const permission = await page.evaluate(async () => (await navigator.permissions.query({ name: "camera" as PermissionName })).state).catch(() => "unknown");
    // the host candidates this page gets, as any page of it would (a throwaway connection)
    const gathered = await page.evaluate(async () => {
        const pc = new RTCPeerConnection();
        const found: string[] = [];
        pc.onicecandidate = event => {
            if (event.candidate?.candidate) found.push(event.candidate.candidate);
        };
        pc.createDataChannel("probe");
        await pc.setLocalDescription(await pc.createOffer());
        await new Promise<void>(resolve => {
            const timer = setTimeout(resolve, 3000);
            pc.onicegatheringstatechange = () => {
                if (pc.iceGatheringState === "complete") {
                    clearTimeout(timer);
                    resolve();
                }
            };
        });
        pc.close();
        return found;
    });
    report({
        step: "online",
        gathered,
        ms: Math.round(performance.now() - started),
        origin: new URL(page.url()).origin,
        secure,
        cameraPermission: permission,
        port: status.port ?? null,
        manualPairingCode: status.pairing?.manualPairingCode ?? null,
        userAgent: await page.evaluate(() => navigator.userAgent),
    });

    // then report changes until stopped
    let last = "";
    while (!stopping) {
        const now = await page.evaluate(() => (window as PageWindow).mwp?.status()).catch(() => undefined);
        if (now !== undefined) {
            const line = { commissioned: now.commissioned, fabrics: now.fabrics.length, sessions: now.sessions.map(s => s.id), state: now.state };
            const key = JSON.stringify(line);
            if (key !== last) {
                last = key;
                report({ step: "status", ...line });
            }
        }
        await new Promise(resolve => setTimeout(resolve, 250));
    }
} catch (error) {
    if (!stopping) {
        report({ step: "error", message: error instanceof Error ? error.message : String(error) });
        await stop(1);
    }
}
