/**
 * The camera as a separate process (`npm run camera`): commissioned by a real controller, then
 * stopped and started again on the same storage. The controller reaches it again without
 * recommissioning: its fabric, its allocated streams and the WebRTC provider all come back.
 */

import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestController, testEnvironment, testPort } from "../support/matter-controller.js";

const CLI = new URL("../../src/cli/camera.ts", import.meta.url).pathname;

/** Starts the camera CLI and resolves once it printed `expect` (bounded). */
function startCamera(args: string[], expectLine: RegExp): Promise<{ child: ChildProcess; output: string[] }> {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
        env: { ...process.env, MATTER_MDNS_NETWORKINTERFACE: "lo", MATTER_LOG_LEVEL: "warn" },
        stdio: ["ignore", "pipe", "pipe"],
    });
    const output: string[] = [];
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`camera did not print ${expectLine}: ${output.join("")}`)), 30_000);
        const onData = (data: Buffer) => {
            output.push(data.toString());
            if (expectLine.test(output.join(""))) {
                clearTimeout(timer);
                resolve({ child, output });
            }
        };
        child.stdout?.on("data", onData);
        child.stderr?.on("data", data => output.push(data.toString()));
        child.on("exit", code => {
            clearTimeout(timer);
            reject(new Error(`camera exited with ${code}: ${output.join("")}`));
        });
    });
}

function stopCamera(child: ChildProcess): Promise<number | null> {
    return new Promise(resolve => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.removeAllListeners("exit");
        child.on("exit", code => {
            clearTimeout(timer);
            resolve(code);
        });
        child.kill("SIGTERM");
    });
}

describe("camera process restart", () => {
    const env = testEnvironment();
    const port = testPort();
    const storage = join(env.storage, "camera-process");
    const args = ["--port", String(port), "--storage", storage, "--webrtc-bind", "127.0.0.1", "--discriminator", "1234"];
    let controller: TestController;
    let child: ChildProcess | undefined;

    beforeAll(async () => {
        controller = await TestController.create("ctl-restart", testPort(), port, { preferTcp: true });
    });
    afterAll(async () => {
        if (child) await stopCamera(child);
        await controller?.close();
        env.cleanup();
    });

    it("prints its pairing codes, and comes back commissioned after a restart", async () => {
        const first = await startCamera(args, /QR code payload: MT:\S+/);
        child = first.child;
        expect(first.output.join("")).toMatch(/manual pairing code: \d{11}/);

        const peer = await controller.commission(port);
        const streams = await peer.allocateStreams();
        const before = await peer.solicitOffer({ videoStreamId: streams.video, audioStreamId: streams.audio });
        expect(before.ok).toBe(true);
        if (before.ok) {
            // a controller app tracks its sessions; the camera's Offer then lands, and we hang up
            await peer.track(before.value.webRtcSessionId, [streams.video], [streams.audio]);
            await controller.waitFor(r => r.kind === "offer" && r.sessionId === before.value.webRtcSessionId);
            expect((await peer.endSession(before.value.webRtcSessionId)).ok).toBe(true);
        }

        expect(await stopCamera(child), first.output.join("")).toBe(0);
        const second = await startCamera(args, /commissioned; waiting for controllers/);
        child = second.child;
        expect(second.output.join("")).not.toMatch(/manual pairing code/);

        // same controller, same fabric, no commissioning: sessions did not survive, streams did
        expect(await peer.currentSessions()).toEqual([]);
        const after = await peer.solicitOffer({ videoStreamId: streams.video, audioStreamId: streams.audio });
        expect(after.ok).toBe(true);
        if (after.ok) expect(after.value.videoStreamId).toBe(streams.video);
    }, 120_000);

    it("rejects bad options with a readable message and status 2", async () => {
        const bad = spawn(process.execPath, ["--import", "tsx", CLI, "--passcode", "12345678"], { stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        bad.stderr.on("data", d => (stderr += d.toString()));
        const code = await new Promise<number | null>(resolve => bad.on("exit", resolve));
        expect(code).toBe(2);
        expect(stderr).toContain("--passcode 12345678 is not allowed");
    }, 30_000);
});
