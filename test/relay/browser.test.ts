/**
 * The client in a real browser: headless Chromium (playwright-core, `/usr/bin/chromium` or
 * `CHROMIUM_PATH`) opens the relay's page URL; the page (served by the relay, so with its
 * COOP/COEP headers) runs `WebSocketNetwork` with the browser's own WebSocket, on the main thread
 * and in a module Web Worker. Each round-trips UDP and TCP with Node peers on this host through the
 * relay. Proves: the page is crossOriginIsolated, the token travels in the page URL, the Origin a
 * browser sends is accepted, the client bundle needs nothing from Node.
 */

import { createSocket, type Socket as DgramSocket } from "node:dgram";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRelay, type Relay } from "../../src/relay/server.js";
import type { ProbeResult } from "./fixtures/browser-probe.js";
import { CHROMIUM_PATH, testChromiumArgs } from "../support/chromium-args.js";
import { portBlock, until } from "./support.js";

const INDEX_HTML = `<!doctype html>
<meta charset="utf-8">
<title>relay probe</title>
<script type="module">
import { probe } from "./probe.js";
const token = new URLSearchParams(location.search).get("token") ?? "";
const url = \`ws://\${location.host}/matter?token=\${encodeURIComponent(token)}\`;
window.runProbes = async (udpPort, tcpPort) => {
    const page = await probe("page", url, udpPort, tcpPort);
    const worker = new Worker("./worker.js", { type: "module" });
    const fromWorker = await new Promise(resolve => {
        worker.onmessage = event => resolve(event.data);
        worker.onerror = event => resolve({ where: "worker", error: String(event.message) });
        worker.postMessage({ url, udpPort, tcpPort });
    });
    worker.terminate();
    return { page, worker: fromWorker };
};
window.ready = true;
</script>`;

const WORKER_JS = `import { probe } from "./probe.js";
self.onmessage = async event => {
    const { url, udpPort, tcpPort } = event.data;
    self.postMessage(await probe("worker", url, udpPort, tcpPort));
};`;

describe("WebSocketNetwork in Chromium (page and module worker)", () => {
    const ports = portBlock(10);
    const staticDir = mkdtempSync(join(tmpdir(), "mwp-relay-web-"));
    let relay: Relay;
    let browser: Browser;
    let udpPeer: DgramSocket;
    let tcpPeer: Server;

    beforeAll(async () => {
        if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH} (apt-get install --no-install-recommends chromium, or set CHROMIUM_PATH)`);
        await build({
            entryPoints: [join(import.meta.dirname, "fixtures", "browser-probe.ts")],
            bundle: true,
            platform: "browser",
            format: "esm",
            outfile: join(staticDir, "probe.js"),
            logLevel: "silent",
        });
        writeFileSync(join(staticDir, "index.html"), INDEX_HTML);
        writeFileSync(join(staticDir, "worker.js"), WORKER_JS);

        udpPeer = createSocket({ type: "udp6" });
        udpPeer.on("message", (data, from) => udpPeer.send(`pong: ${data.toString()}`, from.port, from.address));
        await new Promise<void>(resolve => udpPeer.bind(ports.from, "::1", () => resolve()));
        tcpPeer = createServer(socket => {
            socket.on("data", data => socket.write(`echo: ${data.toString()}`));
            socket.on("error", () => {});
        });
        await new Promise<void>(resolve => tcpPeer.listen(ports.from + 1, "::1", resolve));

        relay = await startRelay({ staticDir, matterPorts: ports });
        browser = await chromium.launch({
            executablePath: CHROMIUM_PATH,
            args: testChromiumArgs({ drop: ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"] }),
            timeout: 30_000,
        });
    }, 60_000);

    afterAll(async () => {
        await browser?.close();
        await relay?.close();
        udpPeer?.close();
        await new Promise(resolve => (tcpPeer ? tcpPeer.close(resolve) : resolve(undefined)));
        rmSync(staticDir, { recursive: true, force: true });
    });

    it("round-trips UDP and TCP through the relay from the page and from a module worker", async () => {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on("pageerror", error => errors.push(error.message));
        await page.goto(relay.pageUrl);
        await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true, undefined, { timeout: 15_000 });
        expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);

        const results = await page.evaluate(
            ([udpPort, tcpPort]) => (globalThis as unknown as { runProbes(u: number, t: number): Promise<{ page: ProbeResult; worker: ProbeResult }> }).runProbes(udpPort, tcpPort),
            [ports.from, ports.from + 1] as const,
        );
        expect(errors).toEqual([]);
        for (const where of ["page", "worker"] as const) {
            const result = results[where];
            expect(result.error, where).toBeUndefined();
            expect(result).toMatchObject({
                where,
                crossOriginIsolated: true,
                hasProcess: false,
                udp: `pong: ping from ${where}`,
                tcp: `echo: hello from ${where}`,
                closeCode: 1000,
            });
            expect(result.interfaces).toBeGreaterThanOrEqual(0);
        }
        await page.close();
        await until("browser clients gone", () => relay.stats().clients === 0, 5_000);
    }, 60_000);
});
