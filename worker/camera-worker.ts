/**
 * The camera worker (a module Web Worker): the matter.js ServerNode with the WebRTC Transport
 * Provider (`CameraNode`, the same factory the Node camera uses) and the WASM core, on a
 * browser-made environment (environment.ts): WebCrypto, IndexedDB, and the relay's WebSocket
 * network for UDP/TCP/mDNS.
 *
 * The media plane lives on the page (RTCPeerConnection is main-thread only): the page passes its
 * `BrowserMediaHost` to `start` as a `Comlink.proxy`, and `remoteMediaHost` makes it this node's
 * `MediaHost`. Events for the UI (log lines, status, relay loss, session ends) go back through the
 * page's `WorkerEvents` proxy. The API (protocol.ts) is exposed with `Comlink.expose`.
 *
 * Identity per camera (`storageName`): its own IndexedDB database holding the matter.js node
 * (fabrics, ACLs, attributes) and a small identity record — Matter port, passcode, discriminator —
 * chosen at first start: a random valid passcode and discriminator, and a port the relay reports
 * free in its Matter range. The same name gives the same camera after a reload or a browser
 * restart; several tabs with distinct names are several cameras.
 *
 * Relay loss: the WebSocket's `closed` fires → the node is closed (bounded), the page's peers are
 * closed, `relayLost` is reported. The page calls `start` again (with backoff); the node comes back
 * from IndexedDB on its stored fabrics and port.
 *
 * @module matter-webrtc-provider/worker
 */

import * as Comlink from "comlink";
import { LogDestination, LogFormat, LogLevel, Logger } from "@matter/main";
import type { Remote } from "comlink";
import { CameraAvStreamServer } from "../src/matter/camera-av-stream-management.js";
import { CameraNode } from "../src/matter/camera-node.js";
import { WebRtcProviderServer } from "../src/matter/webrtc-provider-server.js";
import type { MediaHostApi } from "../src/media/browser/types.js";
import { WebSocketNetwork } from "../src/relay/client/websocket-network.js";
import { EndReason } from "../src/engine/types.js";
import { cameraEnvironment } from "./environment.js";
import { CameraMeta, openCameraDatabase } from "./idb-storage.js";
import type {
    CameraState,
    CameraStatus,
    PairingInfo,
    PrivacySwitch,
    SessionRow,
    SnapshotResult,
    StartOptions,
    WorkerEvents,
} from "./protocol.js";
import { remoteMediaHost } from "./remote-media-host.js";

interface Identity {
    passcode: number;
    discriminator: number;
    port?: number;
}

interface Running {
    options: StartOptions;
    db: IDBDatabase;
    meta: CameraMeta;
    network: WebSocketNetwork;
    camera: CameraNode;
    identity: Identity;
    port: number;
    stopping: boolean;
}

const INVALID_PASSCODES = new Set([0, 11111111, 22222222, 33333333, 44444444, 55555555, 66666666, 77777777, 88888888, 99999999, 12345678, 87654321]);
const STOP_TIMEOUT_MS = 5_000;
const PORT_RETRY_MS = 10_000;

const END_REASONS: Record<number, string> = {
    [EndReason.IceFailed]: "ICE failed",
    [EndReason.IceTimeout]: "ICE timed out",
    [EndReason.UserHangup]: "the controller hung up",
    [EndReason.UserBusy]: "the controller was busy",
    [EndReason.Replaced]: "it was replaced",
    [EndReason.NoUserMedia]: "no media",
    [EndReason.InviteTimeout]: "no Offer/Answer came in time",
    [EndReason.AnsweredElsewhere]: "it was answered elsewhere",
    [EndReason.OutOfResources]: "the camera ran out of sessions or buffer space",
    [EndReason.MediaTimeout]: "media timed out",
    [EndReason.LowPower]: "low power",
    [EndReason.PrivacyMode]: "privacy mode turned on",
    [EndReason.UnknownReason]: "unknown reason",
};

function randomInt(max: number): number {
    const buffer = new Uint32Array(1);
    crypto.getRandomValues(buffer);
    return (buffer[0] ?? 0) % max;
}

function newIdentity(): Identity {
    let passcode = 0;
    while (INVALID_PASSCODES.has(passcode)) passcode = 1 + randomInt(99_999_998);
    return { passcode, discriminator: randomInt(4096) };
}

function message(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
        promise,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms))),
    ]).finally(() => clearTimeout(timer));
}

function hex(value: bigint | number): string {
    return BigInt(value).toString(16).toUpperCase().padStart(16, "0");
}

class CameraWorker {
    #run: Running | undefined;
    #events: Remote<WorkerEvents> | undefined;
    #media: Remote<MediaHostApi> | undefined;
    #state: CameraState = "stopped";
    #error: string | undefined;
    #startMs: number | undefined;
    #storageName = "";
    #statusTimer: ReturnType<typeof setTimeout> | undefined;
    /** Serialises start/stop/reset. */
    #busy: Promise<unknown> = Promise.resolve();

    start(options: StartOptions, media: Remote<MediaHostApi>, events: Remote<WorkerEvents>): Promise<CameraStatus> {
        return this.#exclusive(() => this.#start(options, media, events));
    }

    stop(): Promise<void> {
        return this.#exclusive(async () => {
            await this.#stop("stopped");
            this.#state = "stopped";
            this.#pushStatus();
        });
    }

    factoryReset(): Promise<CameraStatus> {
        return this.#exclusive(async () => {
            const run = this.#run;
            const media = this.#media;
            const events = this.#events;
            if (run === undefined || media === undefined || events === undefined) throw new Error("the camera is not running");
            const { options, identity } = run;
            await this.#stop("factory reset");
            // the node is closed (its last writes are done); the database was closed with it
            const db = await openCameraDatabase(options.storageName);
            try {
                const meta = new CameraMeta(db);
                await meta.wipe();
                // a fresh identity, but the same port (the relay range is small, and it is free)
                await meta.set("identity", { ...newIdentity(), port: identity.port });
            } finally {
                db.close();
            }
            this.#log("info", "factory reset: fabrics and identity erased");
            return this.#start(options, media, events);
        });
    }

    async status(): Promise<CameraStatus> {
        return this.#status();
    }

    async setPrivacy(which: PrivacySwitch, on: boolean): Promise<CameraStatus> {
        const run = this.#requireRun();
        const endpoint = run.camera.camera;
        switch (which) {
            case "softLivestream":
                await endpoint.setStateOf(CameraAvStreamServer, { softLivestreamPrivacyModeEnabled: on });
                break;
            case "softRecording":
                await endpoint.setStateOf(CameraAvStreamServer, { softRecordingPrivacyModeEnabled: on });
                break;
            case "hard":
                await endpoint.act(agent => agent.get(CameraAvStreamServer).setHardPrivacyModeOn(on));
                break;
        }
        this.#log("info", `privacy: ${which} ${on ? "on" : "off"}`);
        return this.#status();
    }

    async captureSnapshot(): Promise<SnapshotResult> {
        const run = this.#requireRun();
        const privacy = this.#privacy(run.camera);
        if (privacy.hard || privacy.softLivestream) throw new Error("privacy mode is on: no snapshot");
        const media = this.#media;
        if (media === undefined) throw new Error("no media source");
        return media.snapshot({ width: 640, height: 480 }, 85);
    }

    // ── lifecycle ────────────────────────────────────────────────────────────────────────────
    #exclusive<T>(task: () => Promise<T>): Promise<T> {
        const next = this.#busy.then(task, task);
        this.#busy = next.catch(() => undefined);
        return next;
    }

    async #start(options: StartOptions, media: Remote<MediaHostApi>, events: Remote<WorkerEvents>): Promise<CameraStatus> {
        if (this.#run !== undefined) await this.#stop("restarted");
        this.#media = media;
        this.#events = events;
        this.#storageName = options.storageName;
        this.#state = "starting";
        this.#error = undefined;
        this.#installLogging(options.logLevel);
        this.#pushStatus();
        const started = performance.now();
        let db: IDBDatabase | undefined;
        let network: WebSocketNetwork | undefined;
        try {
            db = await openCameraDatabase(options.storageName);
            const meta = new CameraMeta(db);
            let identity = await meta.get<Identity>("identity");
            if (identity === undefined) {
                identity = newIdentity();
                await meta.set("identity", identity);
            }
            try {
                network = await WebSocketNetwork.connect(options.relayUrl, { openTimeoutMs: 5_000 });
            } catch (error) {
                // the client's message already says what to check (URL, token, Origin)
                throw new Error(`cannot reach the relay: ${message(error)}`);
            }
            const { camera, port } = await this.#bringUp(options, network, db, identity, media);
            if (identity.port !== port) {
                identity = { ...identity, port };
                await meta.set("identity", identity);
            }
            const run: Running = { options, db, meta, network, camera, identity, port, stopping: false };
            this.#run = run;
            void network.closed.then(info => this.#relayLost(run, info));
            this.#state = "online";
            this.#startMs = performance.now() - started;
            this.#log("info", `online on Matter port ${port} (${camera.commissioned ? "commissioned" : "waiting to be commissioned"}) in ${this.#startMs.toFixed(0)} ms`);
            return this.#pushStatus();
        } catch (error) {
            this.#state = "failed";
            this.#error = message(error);
            this.#log("error", this.#error);
            await network?.close().catch(() => undefined);
            db?.close();
            this.#pushStatus();
            throw new Error(this.#error);
        }
    }

    /** Creates and starts the node; retries while the port is still held (a reload's previous page). */
    async #bringUp(
        options: StartOptions,
        network: WebSocketNetwork,
        db: IDBDatabase,
        identity: Identity,
        media: Remote<MediaHostApi>,
    ): Promise<{ camera: CameraNode; port: number }> {
        let port = options.port ?? identity.port ?? (await this.#probePort(network));
        const deadline = Date.now() + PORT_RETRY_MS;
        for (let attempt = 1; ; attempt++) {
            await media.closeAll("camera (re)starting");
            const camera = await CameraNode.create({
                media: remoteMediaHost(media),
                onLog: line => this.#log("info", line),
                environment: cameraEnvironment({ name: `camera-${options.storageName}`, db, network, mdnsInterface: options.mdnsInterface }),
                id: options.storageName,
                port,
                passcode: identity.passcode,
                discriminator: identity.discriminator,
                productName: options.productName ?? "Browser Camera",
                core: options.core ?? "default",
                certification: options.certification === true,
                onError: (error, context) => this.#log("warn", `${context}: ${message(error)}`),
            });
            try {
                await camera.start();
                this.#observe(camera);
                return { camera, port };
            } catch (error) {
                await withTimeout(camera.close(), STOP_TIMEOUT_MS, "closing the node").catch(() => undefined);
                const inUse = /in use|EADDRINUSE/i.test(message(error));
                if (!inUse) throw error;
                if (Date.now() < deadline) {
                    this.#log("warn", `Matter port ${port} is still in use (attempt ${attempt}); retrying`);
                    await new Promise(resolve => setTimeout(resolve, 500));
                    continue;
                }
                if (options.port !== undefined) throw new Error(`Matter port ${port} is in use on the relay host`);
                port = await this.#probePort(network);
                this.#log("warn", `stored Matter port stayed in use: moving to ${port}`);
            }
        }
    }

    /** A port in the relay's Matter range that is free for UDP and TCP right now. */
    async #probePort(network: WebSocketNetwork): Promise<number> {
        for (let attempt = 0; attempt < 10; attempt++) {
            const udp = await network.createUdpSocket({ type: "udp6", listeningPort: 0 });
            const port = udp.port;
            try {
                const tcp = await network.createTcpListener({ listeningPort: port });
                await tcp.close();
                return port;
            } catch {
                // TCP taken on that port: try another
            } finally {
                await udp.close();
            }
        }
        throw new Error("the relay has no free port in its Matter range");
    }

    #observe(camera: CameraNode): void {
        camera.engine.subscribe(change => {
            if (change.kind === "removed") {
                const text = change.cause === "peer" ? `the controller ended it (${END_REASONS[change.reason] ?? change.reason})` : change.cause === "fabric-removed" ? "its fabric was removed" : END_REASONS[change.reason] ?? `reason ${change.reason}`;
                this.#log("info", `session ${change.sessionId} ended: ${text}`);
                void this.#events?.sessionEnded({ sessionId: change.sessionId, reason: change.reason, text });
            } else if (change.kind === "added") {
                this.#log("info", `session ${change.sessionId} started`);
            }
            this.#schedulePush();
        });
        const lifecycle = camera.node.lifecycle;
        lifecycle.commissioned.on(() => {
            this.#log("info", "commissioned");
            this.#schedulePush();
        });
        lifecycle.decommissioned.on(() => {
            this.#log("info", "decommissioned: no fabric left");
            this.#schedulePush();
        });
    }

    async #relayLost(run: Running, info: { code: number; reason: string }): Promise<void> {
        if (run.stopping || this.#run !== run) return;
        await this.#exclusive(async () => {
            if (run.stopping || this.#run !== run) return;
            this.#log("warn", `relay connection lost (${info.code}${info.reason ? `: ${info.reason}` : ""}); the camera is offline`);
            await this.#stop("relay lost");
            this.#state = "relay-lost";
            this.#error = "the relay connection was lost; reconnecting";
            this.#pushStatus();
            void this.#events?.relayLost(info);
        });
    }

    async #stop(why: string): Promise<void> {
        const run = this.#run;
        if (run === undefined) return;
        this.#run = undefined;
        this.#state = "stopped";
        run.stopping = true;
        clearTimeout(this.#statusTimer);
        run.camera.hooks.close();
        await this.#media?.closeAll(why).catch(() => undefined);
        await withTimeout(run.camera.close(), STOP_TIMEOUT_MS, "closing the node").catch(error => this.#log("warn", message(error)));
        await withTimeout(run.network.close(), STOP_TIMEOUT_MS, "closing the relay connection").catch(() => undefined);
        run.db.close();
    }

    #requireRun(): Running {
        const run = this.#run;
        if (run === undefined) throw new Error(this.#state === "relay-lost" ? "the camera is offline (relay lost)" : "the camera is not running");
        return run;
    }

    // ── status ───────────────────────────────────────────────────────────────────────────────
    #privacy(camera: CameraNode): CameraStatus["privacy"] {
        const state = camera.camera.stateOf(CameraAvStreamServer);
        return {
            softLivestream: state.softLivestreamPrivacyModeEnabled,
            softRecording: state.softRecordingPrivacyModeEnabled,
            hard: state.hardPrivacyModeOn ?? false,
        };
    }

    #status(): CameraStatus {
        const run = this.#run;
        const base: CameraStatus = {
            state: this.#state,
            storageName: this.#storageName,
            port: run?.port,
            commissioned: false,
            pairing: undefined,
            fabrics: [],
            sessions: [],
            privacy: { softLivestream: false, softRecording: false, hard: false },
            allocatedStreams: { video: 0, audio: 0, snapshot: 0 },
            error: this.#error,
            startMs: this.#startMs,
        };
        if (run === undefined) return base;
        const { camera, identity } = run;
        try {
            const codes = camera.pairingCodes;
            const pairing: PairingInfo = {
                manualPairingCode: codes.manualPairingCode,
                qrPairingCode: codes.qrPairingCode,
                passcode: identity.passcode,
                discriminator: identity.discriminator,
            };
            const fabrics = camera.node.state.operationalCredentials.fabrics.map(f => ({
                fabricIndex: Number(f.fabricIndex),
                label: f.label,
                vendorId: Number(f.vendorId),
                nodeId: hex(f.nodeId),
                fabricId: hex(f.fabricId),
            }));
            const rows = camera.camera.stateOf(WebRtcProviderServer).currentSessions;
            const sessions: SessionRow[] = rows.map(r => ({
                id: r.id,
                fabricIndex: Number(r.fabricIndex),
                peerNodeId: hex(r.peerNodeId),
                peerEndpointId: Number(r.peerEndpointId),
                streamUsage: Number(r.streamUsage),
                videoStreams: [...(r.videoStreams ?? [])].map(Number),
                audioStreams: [...(r.audioStreams ?? [])].map(Number),
                metadataEnabled: r.metadataEnabled,
                state: camera.engine.session(r.id)?.state ?? "unknown",
            }));
            const av = camera.camera.stateOf(CameraAvStreamServer);
            return {
                ...base,
                commissioned: camera.commissioned,
                pairing,
                fabrics,
                sessions,
                privacy: this.#privacy(camera),
                allocatedStreams: {
                    video: av.allocatedVideoStreams.length,
                    audio: av.allocatedAudioStreams.length,
                    snapshot: av.allocatedSnapshotStreams.length,
                },
            };
        } catch (error) {
            // the node is between states (closing): report what is known
            return { ...base, error: base.error ?? message(error) };
        }
    }

    #pushStatus(): CameraStatus {
        const status = this.#status();
        void this.#events?.status(status)?.catch?.(() => undefined);
        return status;
    }

    /** One status push for a burst of changes (after matter.js committed them). */
    #schedulePush(): void {
        if (this.#statusTimer !== undefined) return;
        this.#statusTimer = setTimeout(() => {
            this.#statusTimer = undefined;
            this.#pushStatus();
        }, 50);
    }

    // ── logging ──────────────────────────────────────────────────────────────────────────────
    #log(level: "info" | "warn" | "error", text: string): void {
        (level === "error" ? console.error : level === "warn" ? console.warn : console.log)(`camera: ${text}`);
        void this.#events?.log(level, text)?.catch?.(() => undefined);
    }

    #installLogging(level: string | undefined): void {
        Logger.format = LogFormat.PLAIN;
        Logger.level = level ?? "warn";
        // matter.js warnings and errors also reach the page's log
        Logger.destinations.page = LogDestination({
            name: "page",
            level: LogLevel.WARN,
            write: (text: string, entry: { level: LogLevel }) => {
                void this.#events?.log(entry.level >= LogLevel.ERROR ? "error" : "warn", `matter.js: ${text}`)?.catch?.(() => undefined);
            },
        });
    }
}

Comlink.expose(new CameraWorker());
