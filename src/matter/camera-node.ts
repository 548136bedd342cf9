/**
 * The camera node factory: a matter.js ServerNode that is a Matter camera (device type 0x0142)
 * with the WebRTC Transport Provider on endpoint 1, driven by the WASM engine.
 *
 * It wires the pieces that each own one job:
 * - `CameraAvStreamServer` (allocated streams, priorities, privacy) feeds the engine's stream
 *   context whenever it changes, and receives the engine's per-stream reference counts;
 * - `WebRtcProviderServer` hands commands to the engine and mirrors CurrentSessions;
 * - the media plane (any `WebRtcHooks`, e.g. `NodeMediaHost` or the browser page) does WebRTC;
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
import {
    Core,
    WebRtcEngine,
    type CoreSource,
    type EngineOptions,
    type OutboundSignal,
    type StreamReference,
    type WebRtcHooks,
} from "../engine/index.js";
import { CameraAvStreamServer, type SnapshotImage } from "./camera-av-stream-management.js";
import { RequestorTransport, type RequestorTransportOptions } from "./requestor-transport.js";
import { WebRtcProviderServer } from "./webrtc-provider-server.js";

/** A media plane the engine can signal once it exists. */
export interface MediaPlane extends WebRtcHooks {
    attach(signal: OutboundSignal): void;
    /**
     * The current frame as a JPEG of exactly `width`×`height` (CaptureSnapshot has already
     * clamped it into the snapshot stream's range) at JPEG `quality` 1–100. Absent: snapshots are
     * the fixed fixture.
     */
    snapshot?(resolution: { width: number; height: number }, quality: number): Promise<SnapshotImage>;
}

export interface CameraNodeOptions {
    media: MediaPlane;
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
        readonly media: MediaPlane,
        readonly transportOptions: RequestorTransportOptions | undefined,
    ) {}

    static async create(options: CameraNodeOptions): Promise<CameraNode> {
        const core = await Core.load(options.core ?? "default");
        const media = options.media;
        let camera: Endpoint | undefined;
        /** Reference-count writes to CameraAvStreamManagement, applied in order. */
        let countsQueue: Promise<void> = Promise.resolve();
        // reference counts go to CameraAvStreamManagement; everything else is the media plane's
        const hooks: WebRtcHooks = {
            onSolicitOffer: (id, params) => media.onSolicitOffer(id, params),
            onOffer: (id, sdp, params) => media.onOffer(id, sdp, params),
            onAnswer: (id, sdp) => media.onAnswer(id, sdp),
            onIceCandidates: (id, candidates) => media.onIceCandidates(id, candidates),
            onEndSession: (id, reason, cause) => media.onEndSession(id, reason, cause),
            takeOfferSdp: id => media.takeOfferSdp(id),
            takeAnswerSdp: id => media.takeAnswerSdp(id),
            takeIceCandidates: (id, sink) => media.takeIceCandidates(id, sink),
            onOutboundDone: (id, kind, delivered) => media.onOutboundDone?.(id, kind, delivered),
            onStreamReferencesChanged: (references: StreamReference[]) => {
                media.onStreamReferencesChanged?.(references);
                if (camera === undefined) return;
                const endpoint = camera;
                // Written in order, each in its own transaction that waits for the cluster's lock
                // (a synchronous act would throw into the engine's command while another
                // transaction holds it). Deallocation does not depend on this write: it asks the
                // engine directly (setReferenceSource below), so the attribute may trail by a tick.
                countsQueue = countsQueue
                    .then(() =>
                        endpoint.act("reference counts", async agent => {
                            const server = agent.get(CameraAvStreamServer);
                            await agent.context.transaction.begin();
                            await agent.context.transaction.addResources(server);
                            server.setReferenceCounts(references);
                        }),
                    )
                    .catch((error: unknown) => options.onError?.(error, "reference counts"));
            },
        };
        const engine = new WebRtcEngine(core, hooks, { onError: options.onError });
        media.attach(engine);

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
        const streams = CameraAvStreamServer.set({ defaultStreams: options.certification !== true });
        camera = await node.add(
            new Endpoint(CameraDevice.with(streams, WebRtcProviderServer), { id: "camera", number: CAMERA_ENDPOINT }),
        );
        const endpoint = camera;
        const snapshot = media.snapshot?.bind(media);
        if (snapshot !== undefined) {
            await endpoint.act(agent =>
                agent.get(CameraAvStreamServer).setSnapshotSource(request => snapshot(request.requestedResolution, request.quality)),
            );
        }
        await endpoint.act(agent => agent.get(WebRtcProviderServer).attach(engine));
        // deallocation asks the engine itself, so no ReferenceCount write can lag a session change
        await endpoint.act(agent =>
            agent.get(CameraAvStreamServer).setReferenceSource((kind, id) => engine.core.streamReferences(kind, id)),
        );
        engine.setStreamContext(await endpoint.act(agent => agent.get(CameraAvStreamServer).streamContext()));
        endpoint.eventsOf(CameraAvStreamServer).streamContextChanged.on(context => {
            try {
                engine.setStreamContext(context);
            } catch (error) {
                options.onError?.(error, "stream context");
            }
        });
        return new CameraNode(node, endpoint, engine, media, options.transport);
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
        if (this.#ticker !== undefined) clearInterval(this.#ticker);
        await this.node.close();
        // an invoke still in flight ends with the node; do not wait out its timeout
        await Promise.race([this.#drain, new Promise(resolve => setTimeout(resolve, 2_000).unref?.())]);
    }
}
