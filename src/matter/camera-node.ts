/**
 * The camera node factory: a matter.js ServerNode that is a Matter camera (device type 0x0142)
 * with the WebRTC Transport Provider on endpoint 1, driven by the WASM engine.
 *
 * It is the ready-made use of the public pieces, which an application with a node of its own
 * combines the same way:
 * - `WebRtcService` (installed on the node before the endpoint is added) registers the engine
 *   (`WebRtcEngine` over the WASM core) as a service of the node's environment, where
 *   `WebRtcProviderServer` (commands, CurrentSessions) and `CameraAvStreamServer` (streams,
 *   privacy, reference counts, snapshots) find it in `initialize`; it turns the media plane — any
 *   `MediaHost` (`NodeMediaHost`, or the browser page's host across the worker boundary) — into
 *   the engine's hooks and, while the node is online, carries the engine's outbound invokes to
 *   controllers and ends sessions whose Offer is overdue (30 s);
 * - the camera endpoint (device type 0x0142) carries both behaviors.
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
import type { CoreSource, EngineOptions, MediaHost, MediaHostHooks, WebRtcEngine } from "../engine/index.js";
import { CameraAvStreamServer } from "./camera-av-stream-management.js";
import { checkIdentityOptions } from "./options.js";
import type { RequestorTransportOptions } from "./requestor-transport.js";
import { WebRtcProviderServer } from "./webrtc-provider-server.js";
import { WebRtcService } from "./webrtc-service.js";

/** Options of {@link CameraNode.create}: the media plane, the core profile, and the node's Matter identity. */
export interface CameraNodeOptions {
    /** The media plane: one WebRTC peer per session (`NodeMediaHost`, a browser page's host, ...). */
    media: MediaHost;
    /** The WASM core: a profile name or a compiled module / bytes / URL. */
    core?: CoreSource;
    /** Node id in storage (several cameras in one process need distinct ids). Default `"camera"`. */
    id?: string;
    /** The matter.js environment (storage, crypto, network). Default: `Environment.default`. */
    environment?: Environment;
    /** Matter UDP/TCP port, 0–65535 (0: any free port). Default 5540. */
    port?: number;
    /** Setup passcode, 1–99999998 without the trivial ones Matter forbids. Default 20202021. */
    passcode?: number;
    /** 12-bit discriminator, 0–4095. Default 3840. */
    discriminator?: number;
    /** Vendor id, 1–0xFFF4. Default 0xFFF1 (a test vendor). */
    vendorId?: number;
    /** Product id, 1–0xFFFF. Default 0x8001. */
    productId?: number;
    /** Product name and node label, at most 32 characters. Default "Virtual Camera". */
    productName?: string;
    /** Retries and timeouts of the invokes to controllers. */
    transport?: RequestorTransportOptions;
    /** Errors nobody else can be told about (a failed send, a failed cleanup hook). */
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

/** The endpoint number of the camera endpoint that carries both clusters. */
export const CAMERA_ENDPOINT = 1;

/**
 * A ready Matter camera: a matter.js ServerNode (device type 0x0142) with the WebRTC Transport
 * Provider and Camera AV Stream Management on endpoint {@link CAMERA_ENDPOINT}, driven by the WASM
 * engine and the given media host. Create it, `start` it, commission it with `pairingCodes`.
 */
export class CameraNode {
    private constructor(
        /** The matter.js node: lifecycle, commissioning state, fabrics. */
        readonly node: ServerNode,
        /** The camera endpoint; its behaviors' state is read with `camera.stateOf(...)`. */
        readonly camera: Endpoint,
        /** The node's WebRTC runtime (engine, media hooks, outbound loop). */
        readonly service: WebRtcService,
    ) {}

    /**
     * Creates the node and its camera endpoint and loads the core; the node is not online until
     * `start`. Invalid options (passcode, discriminator, ids, name) throw a readable error.
     */
    static async create(options: CameraNodeOptions): Promise<CameraNode> {
        checkIdentityOptions("CameraNode", options);
        const id = options.id ?? "camera";
        const productName = options.productName ?? "Virtual Camera";
        const node = await ServerNode.create({
            id,
            ...(options.environment ? { environment: options.environment } : {}),
            network: { port: options.port ?? 5540, tcp: true },
            commissioning: { passcode: options.passcode ?? 20202021, discriminator: options.discriminator ?? 3840 },
            productDescription: { name: productName, deviceType: DeviceTypeId(CameraDevice.deviceType) },
            basicInformation: {
                vendorName: "matter-webrtc-provider",
                vendorId: VendorId(options.vendorId ?? 0xfff1),
                productName,
                productId: options.productId ?? 0x8001,
                nodeLabel: productName,
                serialNumber: `mwp-${id}`,
            },
        });
        try {
            // the behaviors find the engine in `initialize`, so it is in place before the endpoint is added
            const service = await WebRtcService.install(node, {
                media: options.media,
                ...(options.core === undefined ? {} : { core: options.core }),
                ...(options.transport === undefined ? {} : { transport: options.transport }),
                ...(options.onError === undefined ? {} : { onError: options.onError }),
                ...(options.onLog === undefined ? {} : { onLog: options.onLog }),
            });
            const streams = CameraAvStreamServer.set({ defaultStreams: options.certification !== true });
            const camera = await node.add(new Endpoint(CameraDevice.with(streams, WebRtcProviderServer), { id: "camera", number: CAMERA_ENDPOINT }));
            return new CameraNode(node, camera, service);
        } catch (error) {
            // a bad media host or a core that does not load must not leave the node (and its storage) open
            await node.close().catch(() => undefined);
            throw error;
        }
    }

    /** The engine (session table, command path, outbound queue). */
    get engine(): WebRtcEngine {
        return this.service.engine;
    }

    /** The media host given to {@link CameraNode.create}. */
    get media(): MediaHost {
        return this.service.media;
    }

    /** The media host as the engine's hooks. */
    get hooks(): MediaHostHooks {
        return this.service.hooks;
    }

    /** Brings the node online (advertising when uncommissioned); the outbound loop runs while it is. */
    async start(): Promise<void> {
        await this.node.start();
    }

    /** The codes a controller commissions the camera with. */
    get pairingCodes(): {
        /** The 11-digit manual pairing code. */
        manualPairingCode: string;
        /** The QR code payload (`MT:...`). */
        qrPairingCode: string;
    } {
        return this.node.state.commissioning.pairingCodes;
    }

    /** Whether at least one fabric has commissioned the camera. */
    get commissioned(): boolean {
        return this.node.state.commissioning.commissioned;
    }

    /** Stops the WebRTC service and closes the node; the media host's own peers stay with whoever made it. */
    async close(): Promise<void> {
        await this.service.close();
        await this.node.close();
    }
}
