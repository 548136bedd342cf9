/**
 * A matter.js controller as a program of its own, so it can run inside a LAN box host
 * (`ip netns exec`): the suite's {@link TestController} with `discover: true`, commissioning a
 * camera by its manual pairing code through mDNS discovery (no seeded address), then streaming
 * from it with ProvideOffer to a node-datachannel viewer bound to this host's LAN address.
 *
 * It reports every step as one JSON line on stdout (`{"step": ...}`), which the vitest test
 * asserts; a failure is `{"step":"error","message":…}` and exit 1. With LAN_RESTART=1 it stops
 * after the first session with `{"step":"waiting"}` until a line `continue` arrives on stdin (the
 * test restarts the camera meanwhile, on another port), then streams again: the camera's new
 * address can only come from operational discovery, and the step reports where the session went.
 *
 * Configuration (environment):
 *   LAN_PAIRING_CODE   the camera's manual pairing code; without it, the controller starts and
 *                      then waits for a line `code <digits>` on stdin (so it can start while the
 *                      camera does, and get the code the camera printed)
 *   LAN_CONTROLLER_PORT  its own Matter port (default 5540)
 *   LAN_BIND_ADDRESS   its LAN address, for the WebRTC viewer (required)
 *   LAN_STORAGE        a fresh storage directory (required)
 *   LAN_FRAMES         video frames to wait for per session (default 30)
 *   LAN_RESTART        "1": wait for `continue`, then find the camera again and stream again
 *   LAN_PREFER_TCP     "1": every interaction over TCP (default: UDP, TCP for the Large Message commands)
 *   MATTER_MDNS_NETWORKINTERFACE  the interface mDNS runs on (lan0 in a box)
 *   LAN_ADDRESS_DELAY_MS  matter.js's stagger between a peer's addresses (default 1 s; its own 45 s)
 * Every step is bounded (LAN_STEP_TIMEOUT_MS, default 40 s).
 */

import { createInterface } from "node:readline";
import { CommissioningClient, Environment, Millis } from "@matter/main";
import { PeerSet } from "@matter/main/protocol";
import { openLiveSession } from "../runtimes/camera-host.js";
import { TestController, type CameraPeer } from "../support/matter-controller.js";

function required(name: string): string {
    const value = process.env[name];
    if (value === undefined || value === "") {
        report({ step: "error", message: `${name} is not set` });
        process.exit(2);
    }
    return value;
}

function report(line: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify(line)}\n`);
}

const bindAddress = required("LAN_BIND_ADDRESS");
const storage = required("LAN_STORAGE");
const port = Number(process.env.LAN_CONTROLLER_PORT ?? "5540");
const minFrames = Number(process.env.LAN_FRAMES ?? "30");
const stepTimeoutMs = Number(process.env.LAN_STEP_TIMEOUT_MS ?? "40000");
const addressDelayMs = Number(process.env.LAN_ADDRESS_DELAY_MS ?? "1000");

/** Rejects after the step's bound; the step's own work is left to the process exit. */
function bounded<T>(what: string, work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${stepTimeoutMs} ms`)), stepTimeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The camera's operational address as this controller knows it now (matter.js's record of it). */
function cameraAddress(peer: CameraPeer): { ip: string; port: number } | undefined {
    for (const address of peer.client.stateOf(CommissioningClient).addresses ?? []) {
        if ("ip" in address && "port" in address) return { ip: address.ip, port: address.port };
    }
    return undefined;
}

/**
 * Where the newest session to the camera actually goes. matter.js's own record can be wrong after a
 * move: for a TCP session it takes the port of the first address mDNS ever gave it, which may be
 * the record the camera had before its restart, still cached.
 */
function sessionAddress(controller: TestController, peer: CameraPeer): { ip: string; port: number } | undefined {
    const address = controller.node.env.get(PeerSet).for(peer.address)?.newestSession()?.channel.networkAddress;
    return address === undefined ? undefined : { ip: address.ip, port: address.port };
}

const lines = createInterface({ input: process.stdin });
const stdinLines: string[] = [];
let onLine: (() => void) | undefined;
lines.on("line", line => {
    stdinLines.push(line.trim());
    onLine?.();
});
/** The first stdin line matching `pattern` (its first group, or the line); waits until one comes. */
async function nextLine(pattern: RegExp): Promise<string> {
    for (;;) {
        for (const line of stdinLines) {
            const match = pattern.exec(line);
            if (match) return match[1] ?? line;
        }
        await new Promise<void>(resolve => (onLine = resolve));
    }
}

async function stream(controller: TestController, peer: CameraPeer, label: string): Promise<void> {
    // a restarted camera numbers its sessions from 1 again: forget what the last one received
    controller.received.splice(0);
    const started = performance.now();
    const session = await openLiveSession(controller, peer, { video: 0, audio: 0 }, { minFrames, bindAddress, timeoutMs: stepTimeoutMs });
    const remote = controller.received.filter(r => r.kind === "iceCandidates" && r.sessionId === session.id).flatMap(r => (r.candidates ?? []).map(c => c.candidate));
    report({
        step: label,
        sessionId: session.id,
        frames: session.local.video.frames,
        keyframes: session.local.video.keyframes,
        setupMs: Math.round(session.setupMs),
        ms: Math.round(performance.now() - started),
        cameraCandidates: remote,
        viewerCandidates: session.local.localCandidates.map(c => c.candidate),
    });
    const ended = await peer.endSession(session.id);
    session.local.close();
    if (!ended.ok) throw new Error(`EndSession ${session.id} refused: 0x${ended.status.toString(16)}`);
}

let controller: TestController | undefined;
try {
    Environment.default.vars.set("storage.path", storage);
    const started = performance.now();
    controller = await TestController.create("lan-controller", port, 0, { discover: true, preferTcp: process.env.LAN_PREFER_TCP === "1" });
    // matter.js starts one address of a peer 45 s after the last (PeerTimingParameters), and tries
    // the last known address first: a camera back on another port would be reached after 45 s or
    // more. One address at a time is for peers with many addresses on slow links; on this LAN the
    // stagger only stretches the test, so it is short. Which address works is still mDNS's to say.
    const peers = controller.node.env.get(PeerSet);
    peers.timing = { ...peers.timing, delayBeforeNextAddress: Millis(addressDelayMs) };
    report({ step: "started", ms: Math.round(performance.now() - started), port, mdnsInterface: process.env.MATTER_MDNS_NETWORKINTERFACE ?? null });

    const pairingCode = process.env.LAN_PAIRING_CODE || (await bounded("the pairing code on stdin", nextLine(/^code (\d{11,21})$/)));
    const codeAt = performance.now();
    const peer = await bounded("commissioning by pairing code", controller.commissionByCode(pairingCode, stepTimeoutMs));
    report({ step: "commissioned", ms: Math.round(performance.now() - codeAt), address: cameraAddress(peer) ?? null, session: sessionAddress(controller, peer) ?? null });

    await bounded("first session", stream(controller, peer, "streamed"));

    if (process.env.LAN_RESTART === "1") {
        report({ step: "waiting" });
        await nextLine(/^continue$/);
        const again = performance.now();
        // The camera's restart dropped the TCP connection and the session on it. The next command
        // opens a new CASE session: the last known address refuses it, and the one that answers is
        // the one the camera's operational mDNS record now names.
        await bounded("session after the camera restarted", stream(controller, peer, "streamed-again"));
        report({ step: "rediscovered", ms: Math.round(performance.now() - again), address: sessionAddress(controller, peer) ?? null });
    }
    report({ step: "done" });
    await bounded("closing the controller", controller.close());
    process.exit(0);
} catch (error) {
    // what the camera had sent by then tells a missing Answer from a missing candidate or path
    const received = controller?.received.map(r => ({ kind: r.kind, sessionId: r.sessionId, ...(r.candidates ? { candidates: r.candidates.map(c => c.candidate) } : {}), ...(r.reason !== undefined ? { reason: r.reason } : {}) }));
    report({ step: "error", message: error instanceof Error ? `${error.message}` : String(error), received: received ?? [] });
    process.exit(1);
}
