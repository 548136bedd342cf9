/**
 * The camera node factory: a matter.js ServerNode that is a Matter camera (device type 0x0142)
 * with the WebRTC Transport Provider on endpoint 1, driven by the WASM engine.
 *
 * It puts the pieces together, each owning one job:
 * - the engine (`WebRtcEngine` over the WASM core) is registered as a service of the node's
 *   environment, where `WebRtcProviderServer` (commands, CurrentSessions) and
 *   `CameraAvStreamServer` (streams, privacy, reference counts) find it in `initialize`;
 * - the media plane is any `MediaHost` (`NodeMediaHost`, or the browser page's host across the
 *   worker boundary), turned into the engine's hooks by `MediaHostHooks`;
 * - `RequestorTransport` carries the engine's outbound snapshots to the controller, drained one at
 *   a time by the engine's loop while the node runs;
 * - a once-a-second tick ends sessions whose Offer is overdue (30 s).
 *
 * Two modes (`certification`): the default keeps video and audio stream 0 allocated for real
 * controllers that never allocate; certification mode starts with empty stream lists.
 *
 * TCP is enabled (every WebRTC command is a Large Message command). Storage, crypto and network
 * come from the matter.js environment the node runs in: Node's file storage and sockets by
 * default; the browser worker supplies its own.
 */

import { Endpoint, Environment, ServerNode, VendorId } from "@matter/main";
import { CameraDevice } from "@matter/main/devices/camera";
import { DeviceTypeId } from "@matter/main/types";
import { Core, MediaHostHooks, WebRtcEngine, type CoreSource, type EngineOptions, type MediaHost } from "../engine/index.js";
import { CameraAvStreamServer } from "./camera-av-stream-management.js";
import { RequestorTransport, type RequestorTransportOptions } from "./requestor-transport.js";
import { WebRtcProviderServer } from "./webrtc-provider-server.js";

export interface CameraNodeOptions {
    /** The media plane: one WebRTC peer per session (`NodeMediaHost`, a browser page's host, ...). */
    media: MediaHost;
    /** The WASM core: a profile name or a compiled module / bytes / URL. */
    core?: CoreSource;
    /** Node id in storage (several cameras in one process need distinct ids). */
    id?: string;
    environment?: Environment;
    port?: number;
    passcode?: number;
    discriminator?: number;
    vendorId?: number;
    productId?: number;
    productName?: string;
    transport?: RequestorTransportOptions;
    onError?: EngineOptions["onError"];
    /** Media-plane lines worth a log (a session's peer ended by itself, a candidate dropped). */
    onLog?: (line: string) => void;
    /**
     * Certification mode: no default streams, so AllocatedVideoStreams / AllocatedAudioStreams are
     * empty after commissioning and only allocated ids are accepted, exactly as the TC_AVSM and
     * TC_WEBRTCP steps expect. Default (false): video stream 0 and audio stream 0 always exist, for
     * controllers that name them without allocating (SmartThings, Home Assistant).
     */
    certification?: boolean;
}

export const CAMERA_ENDPOINT = 1;

export class CameraNode {
    readonly #abort = new AbortController();
    #ticker: ReturnType<typeof setInterval> | undefined;
    #drain: Promise<void> | undefined;

    private constructor(
        readonly node: ServerNode,
        readonly camera: Endpoint,
        readonly engine: WebRtcEngine,
        readonly media: MediaHost,
        readonly hooks: MediaHostHooks,
        readonly transportOptions: RequestorTransportOptions | undefined,
    ) {}

    static async create(options: CameraNodeOptions): Promise<CameraNode> {
        const core = await Core.load(options.core ?? "default");
        const media = options.media;
        const hooks = new MediaHostHooks(media, options.onLog === undefined ? {} : { onLog: options.onLog });
        const engine = new WebRtcEngine(core, hooks, { onError: options.onError });
        hooks.attach(engine);
        await media.attachEvents(hooks.events);

        const node = await ServerNode.create({
            id: options.id ?? "camera",
            ...(options.environment ? { environment: options.environment } : {}),
            network: { port: options.port ?? 5540, tcp: true },
            commissioning: { passcode: options.passcode ?? 20202021, discriminator: options.discriminator ?? 3840 },
            productDescription: { name: options.productName ?? "Virtual Camera", deviceType: DeviceTypeId(CameraDevice.deviceType) },
            basicInformation: {
                vendorName: "matter-webrtc-provider",
                vendorId: VendorId(options.vendorId ?? 0xfff1),
                productName: options.productName ?? "Virtual Camera",
                productId: options.productId ?? 0x8001,
                nodeLabel: options.productName ?? "Virtual Camera",
                serialNumber: `mwp-${options.id ?? "camera"}`,
            },
        });
        // the behaviors find the engine in `initialize`, so it is in place before the endpoint is added
        node.env.set(WebRtcEngine, engine);
        const streams = CameraAvStreamServer.set({ defaultStreams: options.certification !== true });
        const camera = await node.add(new Endpoint(CameraDevice.with(streams, WebRtcProviderServer), { id: "camera", number: CAMERA_ENDPOINT }));
        const snapshot = media.snapshot?.bind(media);
        if (snapshot !== undefined) {
            await camera.act(agent =>
                agent.get(CameraAvStreamServer).setSnapshotSource(request => snapshot(request.requestedResolution, request.quality)),
            );
        }
        return new CameraNode(node, camera, engine, media, hooks, options.transport);
    }

    /** Brings the node online (advertising when uncommissioned) and starts the outbound loop. */
    async start(): Promise<void> {
        await this.node.start();
        const transport = new RequestorTransport(this.node, this.engine, this.transportOptions);
        this.#drain = this.engine.run(transport, this.#abort.signal);
        this.#ticker = setInterval(() => this.engine.expireOffers(), 1000);
    }

    get pairingCodes(): { manualPairingCode: string; qrPairingCode: string } {
        return this.node.state.commissioning.pairingCodes;
    }

    get commissioned(): boolean {
        return this.node.state.commissioning.commissioned;
    }

    async close(): Promise<void> {
        this.#abort.abort();
        this.hooks.close();
        if (this.#ticker !== undefined) clearInterval(this.#ticker);
        await this.node.close();
        // an invoke still in flight ends with the node; do not wait out its timeout
        await Promise.race([this.#drain, new Promise(resolve => setTimeout(resolve, 2_000).unref?.())]);
    }
}
