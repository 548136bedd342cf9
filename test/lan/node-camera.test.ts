/**
 * The Node camera on a LAN in a box (test/support/lan-box.ts): the camera CLI in namespace
 * `camera`, a matter.js controller program (lan-controller.ts) in namespace `controller`, one
 * veth between them, IPv6 ULA + link-local only, mDNS on `lan0` in both. Nothing is seeded: the
 * controller has only the manual pairing code the camera printed, as a person would.
 *
 * - Commissioning by pairing code through commissionable (mDNS) discovery, a ProvideOffer session
 *   whose viewer (node-datachannel, bound to the controller's LAN address) receives ≥ 30 frames;
 *   then the camera process restarts on another port, and the controller finds it again by
 *   operational discovery and streams again (the new port can have come from nowhere else).
 * - A controller whose own operational port is outside 5540–5600 commissions and streams: the
 *   camera's Answer and candidates reach it there.
 *
 * Each test bounds its waits (a step 40 s at most, the test 90 s); the box is removed after the
 * file, processes after each test, whether they passed or not.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { ROOT } from "../runtimes/camera-host.js";
import { LAN_INTERFACE, LanBox, describeLan, type LanProcess } from "../support/lan-box.js";

const FRAMES = 30;
/** Ports matter.js / the relay treat as "Matter's" (the tab's relay allows only these by default). */
const MATTER_RANGE = { from: 5540, to: 5600 };

describeLan("Node camera on a LAN in a box (mDNS discovery, no seeded address)", () => {
    let box: LanBox;
    /** What each phase took, printed after each test (for the record, never asserted). */
    const timings: string[] = [];
    const storages: string[] = [];
    const storage = (label: string): string => {
        const dir = mkdtempSync(join(tmpdir(), `mwp-lan-${label}-`));
        storages.push(dir);
        return dir;
    };

    beforeAll(async () => {
        const started = performance.now();
        box = await LanBox.create({ hosts: ["camera", "controller"] });
        timings.push(`box made in ${Math.round(performance.now() - started)} ms`);
    });
    afterEach(async () => {
        if (timings.length > 0) console.log(`LAN timings: ${timings.splice(0).join("; ")}`);
        await box.stopAll(10_000);
    }, 30_000);
    afterAll(async () => {
        await box?.destroy();
        expect(box?.leftovers() ?? []).toEqual([]);
        for (const dir of storages) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    const mdnsEnv = { MATTER_MDNS_NETWORKINTERFACE: LAN_INTERFACE, MATTER_LOG_LEVEL: "warn", MATTER_LOG_FORMAT: "plain", NO_COLOR: "1" };

    /** The camera CLI in the camera namespace, ICE on every interface there (the default); waits for "online". */
    async function startCamera(port: number, dir: string): Promise<LanProcess> {
        const camera = box.run("camera", process.execPath, ["--import", "tsx", "src/cli/camera.ts", "--port", String(port), "--storage", dir], {
            cwd: ROOT,
            env: mdnsEnv,
            label: `camera:${port}`,
        });
        const started = performance.now();
        await camera.waitForLine(/^camera: online on port/, 40_000);
        timings.push(`camera on ${port} online in ${Math.round(performance.now() - started)} ms`);
        return camera;
    }

    /**
     * lan-controller.ts in the controller namespace. `preferTcp`: everything over TCP, as a
     * streaming controller keeps it (default: UDP, TCP only for the Large Message commands).
     * It starts at once and waits for the pairing code on stdin ({@link givePairingCode}).
     */
    function startController(options: { port: number; dir: string; restart?: boolean; preferTcp?: boolean }): LanProcess {
        return box.run("controller", process.execPath, ["--import", "tsx", "test/lan/lan-controller.ts"], {
            cwd: ROOT,
            env: {
                ...mdnsEnv,
                LAN_CONTROLLER_PORT: String(options.port),
                LAN_BIND_ADDRESS: box.host("controller").address,
                LAN_STORAGE: options.dir,
                LAN_FRAMES: String(FRAMES),
                LAN_RESTART: options.restart ? "1" : "0",
                LAN_PREFER_TCP: options.preferTcp ? "1" : "0",
            },
            label: "controller",
        });
    }

    /** Reads the manual pairing code the camera printed and types it into the controller, as a person would. */
    async function givePairingCode(camera: LanProcess, controller: LanProcess): Promise<string> {
        const line = await camera.waitForLine(/^camera: manual pairing code: \d+/, 10_000);
        const code = (/(\d{11,21})/.exec(line) as RegExpExecArray)[1] as string;
        controller.send(`code ${code}`);
        return code;
    }

    /** True for an address of this box: its ULA /64 or link-local; never loopback or anything else. */
    const inBox = (address: string): boolean => address.startsWith(`${box.prefix}:`) || /^fe80:/i.test(address);

    /** The connection address of an ICE candidate line. */
    const candidateAddress = (candidate: string): string => candidate.replace(/^a=/, "").split(" ")[4] ?? "";

    const step = async (controller: LanProcess, name: string, timeoutMs = 45_000) => {
        const line = await Promise.race([
            controller.waitForJson("step", name, timeoutMs),
            controller.waitForJson("step", "error", timeoutMs).then(error => {
                throw new Error(`controller failed before "${name}": ${String(error.message)}\n${controller.tail()}`);
            }),
        ]);
        return line;
    };

    it("commissions by pairing code over mDNS, streams, and finds the restarted camera by operational discovery", async () => {
        const cameraDir = storage("camera");
        const firstPort = 5540;
        const secondPort = 5550;
        // both programs start at once (each takes seconds on a loaded machine)
        const controller = startController({ port: 5540, dir: storage("controller"), restart: true, preferTcp: true });
        let camera = await startCamera(firstPort, cameraDir);
        await givePairingCode(camera, controller);

        const commissioned = await step(controller, "commissioned");
        const address = commissioned.address as { ip: string; port: number };
        expect(inBox(address.ip), JSON.stringify(address)).toBe(true);
        expect(address.port).toBe(firstPort);

        const streamed = await step(controller, "streamed");
        expect(streamed.frames as number).toBeGreaterThanOrEqual(FRAMES);
        const cameraCandidates = (streamed.cameraCandidates as string[]).map(candidateAddress);
        expect(cameraCandidates.length).toBeGreaterThan(0);
        expect(cameraCandidates.filter(a => !inBox(a)), JSON.stringify(streamed.cameraCandidates)).toEqual([]);

        // the camera restarts on another port: only operational discovery can tell the controller
        await step(controller, "waiting");
        const stopped = await camera.stop(15_000);
        expect(stopped, camera.tail()).toMatchObject({ code: 0, graceful: true });
        camera = await startCamera(secondPort, cameraDir);
        await camera.waitForLine(/^camera: commissioned; waiting for controllers/, 5_000);
        controller.send("continue");

        const again = await step(controller, "streamed-again", 60_000);
        expect(again.frames as number).toBeGreaterThanOrEqual(FRAMES);
        const rediscovered = await step(controller, "rediscovered", 5_000);
        const newAddress = rediscovered.address as { ip: string; port: number };
        expect(inBox(newAddress.ip), JSON.stringify(newAddress)).toBe(true);
        expect(newAddress.port).toBe(secondPort);
        await step(controller, "done", 10_000);
        expect(await controller.exited, controller.tail()).toMatchObject({ code: 0 });
        timings.push(
            `commissioned ${String(commissioned.ms)} ms after the code, ${FRAMES} frames ${String(streamed.ms)} ms after ProvideOffer, ` +
                `${FRAMES} frames ${String(rediscovered.ms)} ms after the restarted camera was online`,
        );
    }, 120_000);

    it("a controller whose operational port is outside 5540–5600 commissions and streams", async () => {
        // any port in the controller's own namespace is free; draw one well away from Matter's range
        const port = 40_000 + Math.floor(Math.random() * 20_000);
        expect(port < MATTER_RANGE.from || port > MATTER_RANGE.to).toBe(true);
        const controller = startController({ port, dir: storage("controller-b") });
        const camera = await startCamera(5540, storage("camera-b"));
        const started = await step(controller, "started");
        expect(started.port).toBe(port);
        await givePairingCode(camera, controller);
        const commissioned = await step(controller, "commissioned");
        const streamed = await step(controller, "streamed");
        expect(streamed.frames as number).toBeGreaterThanOrEqual(FRAMES);
        await step(controller, "done", 10_000);
        timings.push(`controller on port ${port}: commissioned in ${String(commissioned.ms)} ms, ${FRAMES} frames in ${String(streamed.ms)} ms`);
        expect(await controller.exited, controller.tail()).toMatchObject({ code: 0 });
    }, 90_000);
});
