/**
 * `WebRtcService`: the WebRTC provider's runtime on a matter.js node of one's own — the engine over
 * the WASM core, the media host turned into the engine's hooks, and the loop that carries the
 * engine's Offer / Answer / ICECandidates / End invokes to controllers.
 *
 * Installed once per node, before the camera endpoint is added, it registers the engine (and
 * itself) as services of the node's environment, where `WebRtcProviderServer` and
 * `CameraAvStreamServer` find them in `initialize`:
 *
 * ```ts
 * const node = await ServerNode.create({ id: "camera", network: { port: 5540, tcp: true }, ... });
 * await WebRtcService.install(node, { media: new MyMediaHost() });
 * await node.add(new Endpoint(CameraDevice.with(CameraAvStreamServer, WebRtcProviderServer), { id: "camera" }));
 * await node.start();
 * ```
 *
 * It follows the node's lifecycle: the outbound loop and the once-a-second check for overdue
 * deferred Offers (30 s) run while the node is online, stop when it goes offline, and the media
 * host stops being told about sessions when the node is destroyed (closing the host's own peers
 * stays with whoever made it). TCP must be enabled on the node: every WebRTC command is a Large
 * Message command. The media host's `snapshot`, when it has one, serves CaptureSnapshot unless
 * the application installed its own source (`CameraAvStreamServer.setSnapshotSource`).
 */

import type { ServerNode } from "@matter/main";
import { Core, MediaHostHooks, WebRtcEngine, type CoreSource, type EngineOptions, type MediaHost } from "../engine/index.js";
import { RequestorTransport, type RequestorTransportOptions } from "./requestor-transport.js";

/** Options of {@link WebRtcService.install}. */
export interface WebRtcServiceOptions {
    /** The media plane: one WebRTC peer per session (`NodeMediaHost`, `BrowserMediaHost` across a worker, or one's own). */
    media: MediaHost;
    /** The WASM core: a profile name (`"tiny"`, `"default"`, `"large"`), or a compiled module, bytes or URL. Default `"default"`. */
    core?: CoreSource;
    /** Retries and timeouts of the invokes to controllers. */
    transport?: RequestorTransportOptions;
    /** Errors nobody else can be told about (a failed send, a failed cleanup hook). Default: ignored. */
    onError?: EngineOptions["onError"];
    /** Media-plane lines worth a log (a session's peer ended by itself, a candidate dropped). */
    onLog?: (line: string) => void;
}

/** How often overdue deferred Offers are looked for. */
const OFFER_CHECK_INTERVAL_MS = 1_000;
/** How long closing waits for an invoke still in flight (it ends with the node anyway). */
const DRAIN_WAIT_MS = 2_000;

/**
 * The WebRTC provider's runtime on a node of one's own: the engine over the WASM core, the media
 * host as its hooks, and the outbound loop to controllers, registered in the node's environment
 * where `WebRtcProviderServer` and `CameraAvStreamServer` find them. It follows the node's lifecycle.
 */
export class WebRtcService {
    #running: { abort: AbortController; ticker: ReturnType<typeof setInterval>; drain: Promise<void> } | undefined;

    /** @internal Use {@link WebRtcService.install}, which loads the core and wires the pieces. */
    constructor(
        /** The node the service runs on. */
        readonly node: ServerNode,
        /** The engine: session table, command path, outbound queue. */
        readonly engine: WebRtcEngine,
        /** The media host given to {@link WebRtcService.install}. */
        readonly media: MediaHost,
        /** The media host as the engine's hooks (its `events` is the sink the host was given). */
        readonly hooks: MediaHostHooks,
        /** Retries and timeouts of the invokes to controllers, as given to `install`. */
        readonly transportOptions: RequestorTransportOptions | undefined,
    ) {}

    /**
     * Loads the core, connects `options.media` to a new engine and registers both in `node.env`.
     * Call it before adding the endpoint that carries `WebRtcProviderServer` /
     * `CameraAvStreamServer`; a second install on the same node is refused.
     */
    static async install(node: ServerNode, options: WebRtcServiceOptions): Promise<WebRtcService> {
        checkServiceOptions(options);
        if (node.env.has(WebRtcService)) throw new Error("WebRtcService: already installed on this node");
        const core = await Core.load(options.core ?? "default");
        const media = options.media;
        const hooks = new MediaHostHooks(media, options.onLog === undefined ? {} : { onLog: options.onLog });
        const engine = new WebRtcEngine(core, hooks, { onError: options.onError });
        hooks.attach(engine);
        await media.attachEvents(hooks.events);

        const service = new WebRtcService(node, engine, media, hooks, options.transport);
        node.env.set(WebRtcEngine, engine);
        node.env.set(WebRtcService, service);
        node.lifecycle.online.on(() => service.#start());
        node.lifecycle.goingOffline.on(() => service.#stop());
        node.lifecycle.destroyed.on(() => void service.close());
        if (node.lifecycle.isOnline) service.#start();
        return service;
    }

    /** True while the outbound loop runs (the node is online). */
    get running(): boolean {
        return this.#running !== undefined;
    }

    #start(): void {
        if (this.#running !== undefined) return;
        const abort = new AbortController();
        const transport = new RequestorTransport(this.node, this.engine, this.transportOptions);
        const drain = this.engine.run(transport, abort.signal);
        const ticker = setInterval(() => this.engine.expireOffers(), OFFER_CHECK_INTERVAL_MS);
        this.#running = { abort, ticker, drain };
    }

    async #stop(): Promise<void> {
        const running = this.#running;
        if (running === undefined) return;
        this.#running = undefined;
        running.abort.abort();
        clearInterval(running.ticker);
        // an invoke still in flight ends with the node; do not wait out its timeout
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([running.drain, new Promise(resolve => (timer = setTimeout(resolve, DRAIN_WAIT_MS)))]);
        clearTimeout(timer);
    }

    /** Stops the loop and stops forwarding to the media host; called by itself when the node is destroyed. */
    async close(): Promise<void> {
        this.hooks.close();
        await this.#stop();
    }
}

function checkServiceOptions(options: WebRtcServiceOptions): void {
    const media = options?.media as Partial<MediaHost> | undefined;
    if (media === undefined || media === null || typeof media !== "object") {
        throw new TypeError("WebRtcService: options.media is required (a MediaHost such as NodeMediaHost)");
    }
    const missing = (["attachEvents", "solicitOffer", "answerOffer", "applyAnswer", "addRemoteCandidates", "takeLocalCandidates", "end"] as const).filter(
        name => typeof media[name] !== "function",
    );
    if (missing.length > 0) throw new TypeError(`WebRtcService: options.media is not a MediaHost (missing ${missing.join(", ")})`);
}
