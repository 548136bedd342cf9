/**
 * The page's side of the camera: starts the camera worker (module Worker, bundled by Vite), hands
 * it the page's `BrowserMediaHost` and event callbacks as `Comlink.proxy`s, and keeps the camera
 * running: when a start fails (relay unreachable) or the relay connection is lost later, it starts
 * again after a backoff (0.5 s doubling to 30 s, with jitter), and the node comes back from
 * IndexedDB on its stored fabrics.
 */

import * as Comlink from "comlink";
import { BrowserMediaHost } from "../src/media/browser/browser-media-host.js";
import { backoffDelay } from "../src/relay/client/backoff.js";
import type { MediaLogEntry } from "../src/media/browser/types.js";
import type { CameraStatus, CameraWorkerApi, SessionEndInfo, StartOptions, WorkerEvents } from "../worker/protocol.js";

export interface CameraClientOptions {
    start: StartOptions;
    onStatus(status: CameraStatus): void;
    onLog(level: "info" | "warn" | "error", text: string): void;
    /** Plain-words problem for the banner (undefined clears it). */
    onProblem(text: string | undefined): void;
    onSessionEnded?(info: SessionEndInfo): void;
    onMediaChange?(): void;
}

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;

export class CameraClient {
    readonly worker: Worker;
    readonly api: Comlink.Remote<CameraWorkerApi>;
    readonly host: BrowserMediaHost;
    status: CameraStatus | undefined;
    /** Resolves once the camera is online for the first time. */
    readonly online: Promise<CameraStatus>;
    readonly #options: CameraClientOptions;
    #stopped = false;
    #lost: (() => void) | undefined;
    #wake: (() => void) | undefined;
    #markOnline: (status: CameraStatus) => void = () => undefined;
    /** Starts done so far (1 = first start); tests read it. */
    starts = 0;

    constructor(options: CameraClientOptions) {
        this.#options = options;
        this.online = new Promise(resolve => (this.#markOnline = resolve));
        this.host = new BrowserMediaHost({
            onLog: (entry: MediaLogEntry) => options.onLog("info", `${entry.sessionId === undefined ? "" : `session ${entry.sessionId}: `}${entry.text}`),
            onChange: () => options.onMediaChange?.(),
        });
        this.worker = new Worker(new URL("../worker/camera-worker.ts", import.meta.url), { type: "module", name: "matter-camera" });
        this.worker.addEventListener("error", event => {
            options.onProblem(`the camera worker crashed: ${event.message || "unknown error"}`);
        });
        this.api = Comlink.wrap<CameraWorkerApi>(this.worker);
    }

    /** Runs the camera until `stop()`, restarting it after failures and relay losses. */
    async run(): Promise<void> {
        let failures = 0;
        const events: WorkerEvents = {
            log: (level, text) => this.#options.onLog(level, text),
            status: status => this.#setStatus(status),
            relayLost: info => {
                this.#options.onProblem(`lost the relay connection (${info.code}${info.reason ? `: ${info.reason}` : ""}); reconnecting…`);
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
                this.#options.onProblem(undefined);
                this.#markOnline(status);
                await lost;
            } catch (error) {
                const text = error instanceof Error ? error.message : String(error);
                failures++;
                const delay = backoffDelay(failures, MIN_DELAY_MS, MAX_DELAY_MS);
                this.#options.onProblem(`${text} — retrying in ${(delay / 1000).toFixed(1)} s`);
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
        this.#options.onStatus(status);
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
