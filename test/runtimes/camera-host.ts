/**
 * The camera CLI as a child process, and the controller's side of live sessions with it: the
 * machinery shared by the memory-capped camera test, the Bun/Deno camera-host tests and the
 * bench's footprint section.
 *
 * - {@link CameraChild} starts `src/cli/camera.ts` (or its bundle, build/camera/camera.mjs) under
 *   Node (optionally with `--max-old-space-size`), Bun or Deno on loopback
 *   (`MATTER_MDNS_NETWORKINTERFACE=lo`, `--webrtc-bind 127.0.0.1`), waits (bounded) for its
 *   "online" line, keeps its output, reads its RSS from `/proc/<pid>/status`, parses the heap lines
 *   of heap-probe.mjs (Node only), and stops it with SIGTERM (SIGKILL after a bound).
 * - {@link openLiveSession}: ProvideOffer from a {@link ControllerPeer}, the camera's Answer
 *   through the controller's Requestor cluster, ICE both ways (ProvideICECandidates / the camera's
 *   ICECandidates), until video frames arrive.
 *
 * Launch commands (cwd = repository root):
 *   node-tsx     node [--max-old-space-size=N] --import tsx --import ./test/runtimes/heap-probe.mjs src/cli/camera.ts …
 *   node-bundle  node [--max-old-space-size=N] --import ./test/runtimes/heap-probe.mjs build/camera/camera.mjs …
 *   bun          node_modules/.bin/bun src/cli/camera.ts …
 *   deno         node_modules/.bin/deno run --sloppy-imports <permissions> --preload test/runtimes/deno-preload.ts src/cli/camera.ts …
 *
 * The child gets MATTER_MDNS_NETWORKINTERFACE=lo, MATTER_LOG_LEVEL=warn and MATTER_LOG_FORMAT=plain
 * (matter.js logs WARN and worse to stderr, INFO to stdout; the CLI prints its own lines to stdout
 * and its `onError` reports, "camera: <context>: <message>", to stderr).
 *
 * Linux only for RSS (`/proc`); everything listens on loopback.
 */

import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ControllerPeer } from "../media/controller-peer.js";
import type { CameraPeer, TestController } from "../support/matter-controller.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const bin = (name: string): string => `${ROOT}node_modules/.bin/${name}`;

export type CameraLaunch = "node-tsx" | "node-bundle" | "bun" | "deno";

export interface CameraChildOptions {
    launch: CameraLaunch;
    port: number;
    storage: string;
    /** Node only: `--max-old-space-size` in MB. */
    maxOldSpaceMb?: number;
    /** Node only: load heap-probe.mjs (default true). */
    heapProbe?: boolean;
    /** Bound on start-up to the "online" line (default 60 s). */
    startTimeoutMs?: number;
    /** More CLI options. */
    args?: string[];
    /** More environment variables (after the loopback / log-level defaults). */
    env?: Record<string, string>;
}

/** One heap-probe.mjs line (bytes). */
export interface HeapSample {
    rss: number;
    heapUsed: number;
    heapTotal: number;
    external: number;
    arrayBuffers: number;
    heapLimit: number;
    oldSpaceUsed: number;
}

export interface ProcMemory {
    /** VmRSS, bytes. */
    rss: number;
    /** VmHWM (peak RSS), bytes. */
    hwm: number;
}

/** Deno's permissions for the camera: files, sockets, env (matter.js config), N-API, interfaces. */
export const DENO_PERMISSIONS = ["--allow-read", "--allow-write", "--allow-net", "--allow-env", "--allow-ffi", "--allow-sys"];

export function launchCommand(options: CameraChildOptions): { command: string; args: string[] } {
    const cli = ["--port", String(options.port), "--storage", options.storage, "--webrtc-bind", "127.0.0.1", ...(options.args ?? [])];
    const heap = options.heapProbe === false ? [] : ["--import", "./test/runtimes/heap-probe.mjs"];
    const cap = options.maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${options.maxOldSpaceMb}`];
    switch (options.launch) {
        case "node-tsx":
            return { command: process.execPath, args: [...cap, "--import", "tsx", ...heap, "src/cli/camera.ts", ...cli] };
        case "node-bundle":
            return { command: process.execPath, args: [...cap, ...heap, "build/camera/camera.mjs", ...cli] };
        case "bun":
            return { command: bin("bun"), args: ["src/cli/camera.ts", ...cli] };
        case "deno":
            return { command: bin("deno"), args: ["run", "--sloppy-imports", ...DENO_PERMISSIONS, "--preload", "test/runtimes/deno-preload.ts", "src/cli/camera.ts", ...cli] };
    }
}

/** VmRSS and VmHWM of a process, or undefined once it is gone. */
export function procMemory(pid: number): ProcMemory | undefined {
    try {
        const status = readFileSync(`/proc/${pid}/status`, "utf8");
        const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
        return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
    } catch {
        return undefined;
    }
}

/** Lines of camera output that report a failure: matter.js ERROR/FATAL logs, runtime crash reports, anything naming an error. */
export function errorLines(lines: readonly string[]): string[] {
    return lines.filter(l => /\b(ERROR|FATAL)\b|error|exception|uncaught|unhandled|panic|segmentation fault|abort/i.test(l));
}

const HEAP_MARKER = "@@heap ";

export class CameraChild {
    readonly stdout: string[] = [];
    readonly stderr: string[] = [];
    readonly heap: HeapSample[] = [];
    readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    readonly command: string;
    exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    readonly #waiters = new Set<() => void>();

    private constructor(
        readonly child: ChildProcess,
        command: string,
    ) {
        this.command = command;
        const lines = (target: string[], heap: boolean) => {
            let partial = "";
            return (chunk: string) => {
                partial += chunk;
                const parts = partial.split("\n");
                partial = parts.pop() ?? "";
                for (const line of parts) {
                    if (heap && line.startsWith(HEAP_MARKER)) {
                        this.heap.push(JSON.parse(line.slice(HEAP_MARKER.length)) as HeapSample);
                        if (this.heap.length > 600) this.heap.splice(0, 300);
                    } else if (line.length > 0) {
                        target.push(line);
                    }
                }
                for (const wake of [...this.#waiters]) wake();
            };
        };
        child.stdout!.setEncoding("utf8").on("data", lines(this.stdout, true));
        child.stderr!.setEncoding("utf8").on("data", lines(this.stderr, false));
        this.exited = new Promise(resolve =>
            child.on("close", (code, signal) => {
                this.exit = { code, signal };
                for (const wake of [...this.#waiters]) wake();
                resolve(this.exit);
            }),
        );
    }

    /** Spawns the camera CLI and waits (bounded) for its "online" line; kills it and throws on failure. */
    static start(options: CameraChildOptions): Promise<CameraChild> {
        const { command, args } = launchCommand(options);
        return CameraChild.spawnProgram({ command, args, cwd: ROOT, ready: /^camera: online on port/, startTimeoutMs: options.startTimeoutMs, env: options.env });
    }

    /**
     * Spawns any camera program (`command args` in `cwd`, on loopback with quiet matter.js logs)
     * and waits (bounded, default 60 s) for a line matching `ready`; kills it and throws on failure.
     */
    static async spawnProgram(program: {
        command: string;
        args: string[];
        cwd: string;
        ready: RegExp;
        startTimeoutMs?: number | undefined;
        env?: Record<string, string> | undefined;
    }): Promise<CameraChild> {
        const { command, args } = program;
        const child = spawn(command, args, {
            cwd: program.cwd,
            stdio: ["ignore", "pipe", "pipe"],
            env: { ...process.env, MATTER_MDNS_NETWORKINTERFACE: "lo", MATTER_LOG_LEVEL: "warn", MATTER_LOG_FORMAT: "plain", NO_COLOR: "1", ...program.env },
        });
        const camera = new CameraChild(child, [command.startsWith(ROOT) ? command.slice(ROOT.length) : "node", ...args].join(" "));
        const spawned = new Promise<void>((resolve, reject) => {
            child.once("spawn", resolve);
            child.once("error", reject);
        });
        try {
            await spawned;
            await camera.waitForLine(program.ready, program.startTimeoutMs ?? 60_000);
            return camera;
        } catch (error) {
            await camera.stop(2_000);
            throw new Error(`${camera.command}: ${String(error)}\n${camera.output().slice(-3000)}`);
        }
    }

    get pid(): number {
        return this.child.pid as number;
    }

    get alive(): boolean {
        return this.exit === undefined;
    }

    /** VmRSS / VmHWM of the child now (undefined after it exited). */
    memory(): ProcMemory | undefined {
        return this.alive ? procMemory(this.pid) : undefined;
    }

    lastHeap(): HeapSample | undefined {
        return this.heap[this.heap.length - 1];
    }

    output(): string {
        return [...this.stdout.map(l => `out| ${l}`), ...this.stderr.map(l => `err| ${l}`)].join("\n");
    }

    /** Output lines that report a failure ({@link errorLines}, plus the CLI's `onError` lines on stderr). */
    errors(): string[] {
        const onError = this.stderr.filter(l => l.startsWith("camera: "));
        return [...new Set([...errorLines([...this.stdout, ...this.stderr]), ...onError])];
    }

    /** Waits until a stdout or stderr line matches; throws after `timeoutMs` or if the child exits. */
    async waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const hit = [...this.stdout, ...this.stderr].find(l => pattern.test(l));
            if (hit !== undefined) return hit;
            if (this.exit !== undefined) throw new Error(`exited (code ${String(this.exit.code)}, signal ${String(this.exit.signal)}) before ${String(pattern)}`);
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)}`);
            await new Promise<void>(resolve => {
                const waiters = this.#waiters;
                const timer = setTimeout(done, left);
                function done() {
                    clearTimeout(timer);
                    waiters.delete(done);
                    resolve();
                }
                waiters.add(done);
            });
        }
    }

    /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with how it ended. */
    async stop(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; graceful: boolean; ms: number }> {
        const started = Date.now();
        if (this.exit === undefined) this.child.kill("SIGTERM");
        let timer: ReturnType<typeof setTimeout> | undefined;
        const killed = new Promise<"timeout">(resolve => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
        const first = await Promise.race([this.exited, killed]);
        clearTimeout(timer);
        if (first === "timeout") {
            this.child.kill("SIGKILL");
            const exit = await this.exited;
            return { ...exit, graceful: false, ms: Date.now() - started };
        }
        return { ...first, graceful: true, ms: Date.now() - started };
    }
}

/** Polls `check` until it holds; throws after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs: number, stepMs = 20): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
        await new Promise(resolve => setTimeout(resolve, stepMs));
    }
}

export interface LiveSession {
    id: number;
    local: ControllerPeer;
    /** Outcomes of every ProvideICECandidates the controller sent. */
    iceSent: Promise<{ ok: boolean; status?: number; error?: string }>[];
    /** ProvideOffer invoke to the first video frame (marker bit) at the controller's peer. */
    setupMs: number;
}

const VIDEO_PT = 102;
const AUDIO_PT = 111;

/**
 * Opens one streaming session (ProvideOffer flow): Offer from a fresh {@link ControllerPeer},
 * the camera's Answer, ICE both ways, until `minFrames` video frames arrived. Closes the peer and
 * throws on any failure (bounded by `timeoutMs`).
 */
export async function openLiveSession(
    controller: TestController,
    peer: CameraPeer,
    streams: { video: number; audio: number },
    options: { timeoutMs?: number; minFrames?: number; bindAddress?: string } = {},
): Promise<LiveSession> {
    const timeoutMs = options.timeoutMs ?? 20_000;
    // bindAddress: the viewer's local address (default loopback; a LAN box host's own address)
    const local = new ControllerPeer({ videoPt: VIDEO_PT, audioPt: AUDIO_PT, ...(options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {}) });
    try {
        const offer = await local.createOffer();
        const started = performance.now();
        const response = await peer.provideOffer({ sdp: offer, videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!response.ok) throw new Error(`ProvideOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        await peer.track(id, [streams.video], [streams.audio]);
        const answer = await controller.waitFor(r => r.kind === "answer" && r.sessionId === id, timeoutMs);
        local.setRemote(answer.sdp as string, "answer");
        const iceSent: LiveSession["iceSent"] = [];
        local.forwardCandidates(c =>
            iceSent.push(
                peer.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }]).then(
                    outcome => (outcome.ok ? { ok: true } : { ok: false, status: outcome.status }),
                    (error: unknown) => ({ ok: false, error: String(error) }),
                ),
            ),
        );
        const seen = new Set<string>();
        const minFrames = options.minFrames ?? 5;
        await until(
            `session ${id}: ${minFrames} video frames`,
            () => {
                for (const r of controller.received) {
                    if (r.kind !== "iceCandidates" || r.sessionId !== id) continue;
                    for (const c of r.candidates ?? []) {
                        if (seen.has(c.candidate)) continue;
                        seen.add(c.candidate);
                        local.addRemoteCandidate(c.candidate, c.sdpMid ?? "v");
                    }
                }
                return local.video.frames >= minFrames;
            },
            timeoutMs,
        );
        return { id, local, iceSent, setupMs: performance.now() - started };
    } catch (error) {
        local.close();
        throw error;
    }
}

export function mib(bytes: number | undefined): string {
    return bytes === undefined || Number.isNaN(bytes) ? "n/a" : (bytes / 1024 / 1024).toFixed(1);
}
