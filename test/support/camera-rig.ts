/**
 * The Node camera as a test fixture, one way for every suite: a `CameraNode` with a
 * `NodeMediaHost` on 127.0.0.1 (its ICE bound to loopback), started on a free test port, and the
 * matter.js controllers that commission it. The first controller commissions with the camera's
 * passcode, each later one through a commissioning window the first opens (multi-admin), so a rig
 * holds as many fabrics as a test needs.
 *
 * `restart()` closes the camera and starts it again on the same storage id and port (a process
 * restart as the camera sees it); `close()` closes the controllers' WebRTC peers, the camera
 * before its controllers (closed after them, the camera would wait out their sessions), the media
 * host and the snapshot worker.
 */

import type { Environment } from "@matter/main";
import { CameraNode } from "../../src/matter/camera-node.js";
import { ClipSnapshots, NodeMediaHost, testPatternClip, type NodeMediaHostOptions } from "../../src/media/node/index.js";
import type { ControllerPeer } from "../media/controller-peer.js";
import { TestController, testPort, type CameraPeer } from "./matter-controller.js";

export interface NodeCameraOptions {
    /** Storage id `cam-<name>`; controllers are `ctl-<name>-<n>` unless named. */
    name: string;
    certification?: boolean;
    media?: Partial<NodeMediaHostOptions>;
    /** Live snapshots from the clip (a worker thread); default: the camera's fixture JPEG. */
    snapshots?: boolean;
    /** A matter.js environment of the test's own (e.g. a browser-like one with the relay's network). */
    environment?: Environment;
    port?: number;
}

export interface ControllerOptions {
    /** Its id (default `ctl-<name>-<n>`). */
    id?: string;
    requestorEndpoint?: number;
    preferTcp?: boolean;
    tcp?: boolean;
}

export class NodeCameraRig {
    readonly controllers: TestController[] = [];
    /** Controller-side WebRTC peers the tests open; closed with the rig. */
    readonly peers: ControllerPeer[] = [];
    #media: NodeMediaHost;
    #camera: CameraNode;

    private constructor(
        readonly options: NodeCameraOptions,
        readonly port: number,
        readonly snapshots: ClipSnapshots | undefined,
        media: NodeMediaHost,
        camera: CameraNode,
    ) {
        this.#media = media;
        this.#camera = camera;
    }

    static async start(options: NodeCameraOptions): Promise<NodeCameraRig> {
        const port = options.port ?? testPort();
        const snapshots = options.snapshots ? new ClipSnapshots() : undefined;
        const { media, camera } = await NodeCameraRig.#startCamera(options, port, snapshots);
        return new NodeCameraRig(options, port, snapshots, media, camera);
    }

    static async #startCamera(options: NodeCameraOptions, port: number, snapshots: ClipSnapshots | undefined): Promise<{ media: NodeMediaHost; camera: CameraNode }> {
        const media = new NodeMediaHost({ video: testPatternClip(), bindAddress: "127.0.0.1", ...(snapshots ? { snapshots } : {}), ...options.media });
        const camera = await CameraNode.create({
            media,
            id: `cam-${options.name}`,
            port,
            certification: options.certification === true,
            ...(options.environment ? { environment: options.environment } : {}),
        });
        await camera.start();
        return { media, camera };
    }

    get camera(): CameraNode {
        return this.#camera;
    }

    get media(): NodeMediaHost {
        return this.#media;
    }

    /** A new controller, commissioned: with the passcode if it is the first, else through a window the first opens. */
    async addController(options: ControllerOptions = {}): Promise<{ controller: TestController; peer: CameraPeer }> {
        const first = this.controllers[0];
        const window = first === undefined ? undefined : await (await this.#peerOf(first)).openCommissioningWindow();
        const { requestorEndpoint, preferTcp, tcp } = options;
        const controller = await TestController.create(options.id ?? `ctl-${this.options.name}-${this.controllers.length + 1}`, testPort(), this.port, {
            ...(requestorEndpoint !== undefined ? { requestorEndpoint } : {}),
            ...(preferTcp !== undefined ? { preferTcp } : {}),
            ...(tcp !== undefined ? { tcp } : {}),
        });
        this.controllers.push(controller);
        const peer = await controller.commission(this.port, window?.passcode);
        this.#peers.set(controller, peer);
        return { controller, peer };
    }

    readonly #peers = new Map<TestController, CameraPeer>();

    async #peerOf(controller: TestController): Promise<CameraPeer> {
        const peer = this.#peers.get(controller);
        if (peer === undefined) throw new Error("controller not commissioned by this rig");
        return peer;
    }

    /** Closes the camera and starts it again on the same storage and port. */
    async restart(): Promise<void> {
        for (const p of this.peers.splice(0)) p.close();
        await this.#camera.close();
        this.#media.close();
        const { media, camera } = await NodeCameraRig.#startCamera(this.options, this.port, this.snapshots);
        this.#media = media;
        this.#camera = camera;
    }

    #closed = false;

    /** Closes everything (once; later calls do nothing). */
    async close(): Promise<void> {
        if (this.#closed) return;
        this.#closed = true;
        for (const p of this.peers.splice(0)) p.close();
        await this.#camera.close();
        for (const controller of this.controllers.splice(0)) await controller.close();
        this.#media.close();
        await this.snapshots?.close();
    }
}
