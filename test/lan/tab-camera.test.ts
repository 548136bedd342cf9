/**
 * The browser camera on a LAN in a box, as a person runs it: `npm start -- --lan` (the command it
 * runs: `src/cli/start.ts --lan --interface lan0`) in namespace `camera` serves the page over HTTPS
 * with the certificate it makes on first start; Chromium in the same namespace, with its default
 * settings (lan-tab.ts: no faked camera or permission prompt, no loopback ICE, the self-signed
 * certificate clicked through), opens the printed URL on the test pattern; a matter.js
 * controller in namespace `controller` (lan-controller.ts), on an operational port outside
 * 5540–5600, commissions the tab by the pairing code the page shows, through mDNS discovery, and
 * streams from it.
 *
 * What it proves: the page is a secure context on a LAN address without any camera permission
 * granted; the browser hides its host candidates behind mDNS `.local` names and the session
 * streams all the same (≥ 30 frames); the relay let the tab's node answer a controller outside
 * Matter's port range and refused nothing.
 *
 * The camera namespace has a dead-end default route (lan-box.ts): Chromium without camera
 * permission gathers no ICE candidate at all on a host without an IPv4 default route.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT } from "../runtimes/camera-host.js";
import { LAN_INTERFACE, LanBox, describeLan, type LanProcess } from "../support/lan-box.js";

const FRAMES = 30;
const MATTER_RANGE = { from: 5540, to: 5600 };

describeLan("Tab camera on a LAN in a box (npm start -- --lan, Chromium with default settings)", () => {
    let box: LanBox;
    const dirs: string[] = [];
    const dir = (label: string): string => {
        const made = mkdtempSync(join(tmpdir(), `mwp-lan-${label}-`));
        dirs.push(made);
        return made;
    };

    beforeAll(async () => {
        box = await LanBox.create({ hosts: ["camera", "controller"], deadEndRoute: ["camera"] });
    });
    afterAll(async () => {
        await box?.destroy();
        expect(box?.leftovers() ?? []).toEqual([]);
        for (const made of dirs) rmSync(made, { recursive: true, force: true });
    }, 30_000);

    const step = async (proc: LanProcess, name: string, timeoutMs: number) =>
        Promise.race([
            proc.waitForJson("step", name, timeoutMs),
            proc.waitForJson("step", "error", timeoutMs).then(error => {
                throw new Error(`${proc.label} failed before "${name}": ${JSON.stringify(error)}\n${proc.tail()}`);
            }),
        ]);

    it("is served over HTTPS, commissioned by pairing code over mDNS from a controller outside 5540–5600, and streams with mDNS host candidates", async () => {
        const timings: string[] = [];
        const started = performance.now();
        const since = () => Math.round(performance.now() - started);

        // the controller starts at once and waits for the code (it takes seconds to start too)
        const controllerPort = 40_000 + Math.floor(Math.random() * 20_000);
        expect(controllerPort < MATTER_RANGE.from || controllerPort > MATTER_RANGE.to).toBe(true);
        const controller = box.run("controller", process.execPath, ["--import", "tsx", "test/lan/lan-controller.ts"], {
            cwd: ROOT,
            env: {
                MATTER_MDNS_NETWORKINTERFACE: LAN_INTERFACE,
                MATTER_LOG_LEVEL: "warn",
                MATTER_LOG_FORMAT: "plain",
                NO_COLOR: "1",
                LAN_CONTROLLER_PORT: String(controllerPort),
                LAN_BIND_ADDRESS: box.host("controller").address,
                LAN_STORAGE: dir("tab-controller"),
                LAN_FRAMES: String(FRAMES),
            },
            label: "controller",
        });

        // npm start -- --lan: relay over HTTPS on lan0 with a certificate made now, the page's mDNS on lan0
        const relay = box.run("camera", process.execPath, ["--import", "tsx", "src/cli/start.ts", "--lan", "--interface", LAN_INTERFACE, "--state-dir", dir("tab-state")], {
            cwd: ROOT,
            env: { NO_COLOR: "1" },
            label: "npm start --lan",
        });
        const urlLine = await relay.waitForLine(/^\s+https:\/\/\S+token=/, 90_000);
        const pageUrl = urlLine.trim();
        const url = new URL(pageUrl);
        expect(url.protocol).toBe("https:");
        expect(url.hostname).toBe(`[${box.host("camera").address}]`);
        expect(url.searchParams.get("mdns")).toBe(LAN_INTERFACE);
        await relay.waitForLine(/certificate: made a new self-signed one/, 5_000);
        await relay.waitForLine(/^\s+([0-9A-F]{2}:){31}[0-9A-F]{2}$/, 5_000); // the fingerprint to compare
        timings.push(`relay printed its URL at ${since()} ms`);

        const tab = box.run("camera", process.execPath, ["--import", "tsx", "test/lan/lan-tab.ts"], {
            cwd: ROOT,
            env: { LAN_PAGE_URL: pageUrl, LAN_STEP_TIMEOUT_MS: "60000" },
            label: "tab",
        });
        const online = await step(tab, "online", 90_000);
        timings.push(`tab online at ${since()} ms (${String(online.ms)} ms after opening the page)`);
        expect(online.secure).toBe(true);
        expect(online.origin).toBe(url.origin);
        expect(online.cameraPermission).toBe("prompt"); // nothing granted, nothing faked
        const gathered = online.gathered as string[];
        expect(gathered.length, JSON.stringify(online)).toBeGreaterThan(0);
        expect(gathered.filter(c => !/ [0-9a-f-]{36}\.local \d+ typ host/.test(c)), "host candidates are mDNS names").toEqual([]);
        const code = online.manualPairingCode as string;
        expect(code).toMatch(/^\d{11}$/);

        // typed in from the page, as a person would
        await step(controller, "started", 60_000);
        controller.send(`code ${code}`);
        const commissioned = await step(controller, "commissioned", 60_000);
        const address = commissioned.address as { ip: string; port: number };
        expect(address.port).toBe(online.port);
        timings.push(`commissioned at ${since()} ms (${String(commissioned.ms)} ms after the code)`);

        const streamed = await step(controller, "streamed", 60_000);
        expect(streamed.frames as number).toBeGreaterThanOrEqual(FRAMES);
        const cameraCandidates = streamed.cameraCandidates as string[];
        expect(cameraCandidates.length).toBeGreaterThan(0);
        expect(cameraCandidates.filter(c => !/\.local \d+ typ host/.test(c)), "the tab sent only mDNS host candidates").toEqual([]);
        timings.push(`${FRAMES} frames at ${since()} ms (${String(streamed.ms)} ms after ProvideOffer)`);

        await step(controller, "done", 20_000);
        expect(await controller.exited, controller.tail()).toMatchObject({ code: 0 });

        // the page saw it too, and the relay refused nothing on the way
        await tab.waitUntil("the page's status to show the session", () => tab.json.find(j => j.step === "status" && j.commissioned === true && (j.sessions as number[]).length > 0), 5_000);
        expect(tab.json.filter(j => j.step === "page-error")).toEqual([]);
        expect(relay.stdout.filter(l => /refused/.test(l)), relay.tail()).toEqual([]);
        console.log(`LAN tab timings: ${timings.join("; ")}`);
    }, 180_000);
});
