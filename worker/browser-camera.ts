/**
 * `BrowserCamera`: a browser tab as a Matter camera, from a page of one's own. It starts this
 * package's camera worker (`camera-worker.ts`: matter.js, the WASM core, IndexedDB storage, the
 * relay's WebSocket network) as a module Worker, gives it the page's `BrowserMediaHost` (the
 * RTCPeerConnections live on the main thread) and keeps the camera running: when a start fails
 * (relay unreachable) or the relay connection is lost later, it starts again after a backoff
 * (0.5 s doubling to 30 s, with jitter), and the node comes back from IndexedDB on its stored
 * fabrics.
 *
 * ```ts
 * const camera = new BrowserCamera({ start: { relayUrl: "ws://localhost:8080/matter?token=…", storageName: "cam-1" } });
 * await camera.host.setSource(await openTestPattern());
 * void camera.run();
 * const status = await camera.online;          // status.pairing.manualPairingCode …
 * ```
 *
 * The worker is found with `new Worker(new URL("./camera-worker.js", import.meta.url))`, which
 * Vite, webpack 5 and esbuild-based bundlers understand; `workerUrl` (or `worker`) overrides it.
 * Limits: one camera per `storageName` at a time (two tabs on one storage would share a node
 * identity); the page must be a secure context (https or localhost) for WebCrypto.
 */

import * as Comlink from "comlink";
import { BrowserMediaHost } from "../src/media/browser/browser-media-host.js";
import type { MediaLogEntry } from "../src/media/browser/types.js";
import { backoffDelay } from "../src/relay/client/backoff.js";
import type { CameraStatus, CameraWorkerApi, SessionEndInfo, StartOptions, WorkerEvents } from "./protocol.js";

/** Options of {@link BrowserCamera}: how the worker starts, the callbacks for a UI, and where the worker and media host come from. */
export interface BrowserCameraOptions {
    /** What the worker starts with: relay URL (with its token), storage name, port, core, mode. */
    start: StartOptions;
    /** Every status the worker reports (online, fabrics, sessions, privacy, pairing codes). */
    onStatus?(status: CameraStatus): void;
    /** Log lines from the worker and the media host. */
    onLog?(level: "info" | "warn" | "error", text: string): void;
    /** A problem in plain words for the user (undefined: it is gone). */
    onProblem?(text: string | undefined): void;
    /**
     * A media problem in plain words (a controller asked for video this browser cannot send), or
     * undefined once a session streams again. Apart from `onProblem`, whose problems are over when
     * the camera is online again; default: `onProblem`.
     */
    onMediaProblem?(text: string | undefined): void;
    /** A session ended (by a controller, the viewer or the camera). */
    onSessionEnded?(info: SessionEndInfo): void;
    /** The media host's sessions or source changed (for a stats view). */
    onMediaChange?(): void;
    /** The media host to use; default: a new `BrowserMediaHost` reporting to `onLog` / `onMediaChange`. */
    host?: BrowserMediaHost;
    /** The camera worker's script (a module Worker); default: this package's `camera-worker.js`. */
    workerUrl?: URL | string;
    /** A worker already made from the camera worker script (wins over `workerUrl`). */
    worker?: Worker;
}

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
const PROFILES = ["tiny", "default", "large"];

/**
 * A browser tab as a Matter camera: starts this package's camera worker, gives it the page's
 * {@link BrowserMediaHost}, and keeps the camera running (`run`), starting it again with backoff
 * after a failed start or a lost relay connection.
 */
export class BrowserCamera {
    /** The module Worker running the Matter node. */
    readonly worker: Worker;
    /** The worker's API (status, privacy, snapshot, factory reset) across comlink. */
    readonly api: Comlink.Remote<CameraWorkerApi>;
    /** The page's media host: set its source (`setSource`), read its stats. */
    readonly host: BrowserMediaHost;
    /** The last status the worker reported. */
    status: CameraStatus | undefined;
    /** Resolves once the camera is online for the first time. */
    readonly online: Promise<CameraStatus>;
    /** Starts done so far (1 = first start). */
    starts = 0;
    readonly #options: BrowserCameraOptions;
    #stopped = false;
    #lost: (() => void) | undefined;
    #wake: (() => void) | undefined;
    #markOnline: (status: CameraStatus) => void = () => undefined;

    constructor(options: BrowserCameraOptions) {
        checkStartOptions(options?.start);
        this.#options = options;
        this.online = new Promise(resolve => (this.#markOnline = resolve));
        this.host =
            options.host ??
            new BrowserMediaHost({
                onLog: (entry: MediaLogEntry) => options.onLog?.("info", `${entry.sessionId === undefined ? "" : `session ${entry.sessionId}: `}${entry.text}`),
                onChange: () => options.onMediaChange?.(),
                // an offer this browser cannot serve (e.g. H.264 only, in Firefox without OpenH264)
                onProblem: text => (options.onMediaProblem ?? options.onProblem)?.(text),
            });
        this.worker =
            options.worker ??
            (options.workerUrl === undefined
                ? new Worker(new URL("./camera-worker.js", import.meta.url), { type: "module", name: "matter-camera" })
                : new Worker(options.workerUrl, { type: "module", name: "matter-camera" }));
        this.worker.addEventListener("error", event => {
            options.onProblem?.(`the camera worker crashed: ${event.message || "unknown error"}`);
        });
        this.api = Comlink.wrap<CameraWorkerApi>(this.worker);
    }

    /** Runs the camera until `stop()`, restarting it after failures and relay losses. */
    async run(): Promise<void> {
        let failures = 0;
        const events: WorkerEvents = {
            log: (level, text) => this.#options.onLog?.(level, text),
            status: status => this.#setStatus(status),
            relayLost: info => {
                this.#options.onProblem?.(`lost the relay connection (${info.code}${info.reason ? `: ${info.reason}` : ""}); reconnecting…`);
                this.#lost?.();
            },
            sessionEnded: info => this.#options.onSessionEnded?.(info),
        };
        const eventsProxy = Comlink.proxy(events);
        const hostProxy = Comlink.proxy(this.host);
        while (!this.#stopped) {
            const lost = new Promise<void>(resolve => (this.#lost = resolve));
            try {
                const status = await this.api.start(this.#options.start, hostProxy, eventsProxy);
                this.starts++;
                failures = 0;
                this.#setStatus(status);
                this.#options.onProblem?.(undefined);
                this.#markOnline(status);
                await lost;
            } catch (error) {
                const text = error instanceof Error ? error.message : String(error);
                failures++;
                const delay = backoffDelay(failures, MIN_DELAY_MS, MAX_DELAY_MS);
                this.#options.onProblem?.(`${text} — retrying in ${(delay / 1000).toFixed(1)} s`);
                await this.#sleep(delay);
                continue;
            }
            if (this.#stopped) break;
            // relay lost: a short pause, then start again (failures back off from here)
            await this.#sleep(MIN_DELAY_MS);
        }
    }

    /** Retry now instead of waiting out the backoff. */
    retryNow(): void {
        this.#wake?.();
    }

    /** Stops the node, closes every peer and terminates the worker. */
    async stop(): Promise<void> {
        this.#stopped = true;
        this.#lost?.();
        this.#wake?.();
        await this.api.stop().catch(() => undefined);
        this.host.closeAll("page closing");
        this.worker.terminate();
    }

    #setStatus(status: CameraStatus): void {
        this.status = status;
        this.#options.onStatus?.(status);
    }

    #sleep(ms: number): Promise<void> {
        return new Promise(resolve => {
            const timer = setTimeout(done, ms);
            function done() {
                clearTimeout(timer);
                resolve();
            }
            this.#wake = done;
        });
    }
}

/** Readable errors for start options the worker could only fail on later (or never say why). */
export function checkStartOptions(start: StartOptions | undefined): void {
    if (start === undefined || start === null || typeof start !== "object") throw new TypeError("BrowserCamera: options.start is required");
    let url: URL;
    try {
        url = new URL(start.relayUrl);
    } catch {
        throw new TypeError(`BrowserCamera: start.relayUrl ${JSON.stringify(start.relayUrl)} is not a URL (ws(s)://host/matter?token=…)`);
    }
    if (url.protocol !== "ws:" && url.protocol !== "wss:") {
        throw new TypeError(`BrowserCamera: start.relayUrl must be ws: or wss:, got ${url.protocol}`);
    }
    if (typeof start.storageName !== "string" || start.storageName.length === 0) {
        throw new TypeError("BrowserCamera: start.storageName must be a non-empty string (it names the camera's IndexedDB database)");
    }
    if (start.port !== undefined && !(Number.isInteger(start.port) && start.port >= 1 && start.port <= 65535)) {
        throw new RangeError(`BrowserCamera: start.port ${String(start.port)} is out of range (1–65535)`);
    }
    if (start.core !== undefined && !PROFILES.includes(start.core)) {
        throw new RangeError(`BrowserCamera: start.core ${JSON.stringify(start.core)} is not a build profile (tiny, default, large)`);
    }
    if (start.productName !== undefined && (typeof start.productName !== "string" || start.productName.length === 0 || start.productName.length > 32)) {
        throw new RangeError("BrowserCamera: start.productName must be 1–32 characters");
    }
}
