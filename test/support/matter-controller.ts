/**
 * A real matter.js controller for integration tests: a ServerNode with the controller behavior and
 * a camera-controller endpoint running matter.js's own `WebRtcTransportRequestorServer`, talking
 * to a camera over real UDP/TCP on loopback.
 *
 * It commissions by address (no commissionable discovery) and seeds the operational address, so
 * mDNS can stay on `lo`. It records what the camera sends to its Requestor cluster (Offer, Answer,
 * ICECandidates, End) and registers sessions there after each SolicitOffer / ProvideOffer, as a
 * controller application must. Provider commands return the response or the status code the
 * camera answered, so tests can assert either.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommissioningClient, ControllerBehavior, Endpoint, Environment, ServerNode, type ClientNode } from "@matter/main";
import { CameraAvStreamManagementClient } from "@matter/main/behaviors/camera-av-stream-management";
import { WebRtcTransportProviderClient } from "@matter/main/behaviors/web-rtc-transport-provider";
import { CameraAvStreamManagement } from "@matter/main/clusters/camera-av-stream-management";
import { WebRtcTransportRequestorServer } from "@matter/main/behaviors/web-rtc-transport-requestor";
import { WebRtcTransportProvider } from "@matter/main/clusters/web-rtc-transport-provider";
import { CameraControllerDevice } from "@matter/main/devices/camera-controller";
import { PeerSet, Read } from "@matter/main/protocol";
import { EndpointNumber, NodeId, StatusResponseError, type FabricIndex } from "@matter/main/types";

export interface Received {
    kind: "offer" | "answer" | "iceCandidates" | "end";
    sessionId: number;
    sdp?: string;
    candidates?: { candidate: string; sdpMid: string | null; sdpmLineIndex: number | null }[];
    reason?: number;
}


/** A command's response, or the status the camera answered instead. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; status: number };

// A random start inside the range: two test runs at once (same VITEST_POOL_ID) rarely collide.
let nextPort = Math.floor(Math.random() * 200);
/** Ports for test nodes; each test process (fork) gets its own range through VITEST_POOL_ID. */
export function testPort(): number {
    const pool = Number(process.env.VITEST_POOL_ID ?? "1");
    return 20000 + pool * 200 + (nextPort++ % 200);
}

/** Quiet matter.js logs and keep mDNS on loopback; storage in a fresh temp directory. */
export function testEnvironment(): { storage: string; cleanup: () => void } {
    const storage = mkdtempSync(join(tmpdir(), "mwp-test-"));
    const env = Environment.default;
    env.vars.set("storage.path", storage);
    env.vars.set("mdns.networkInterface", "lo");
    env.vars.set("log.level", "warn");
    return { storage, cleanup: () => rmSync(storage, { recursive: true, force: true }) };
}

export class TestController {
    readonly received: Received[] = [];
    readonly #waiters = new Set<() => void>();

    private constructor(
        readonly node: ServerNode,
        readonly requestor: Endpoint,
    ) {
        const events = requestor.eventsOf(WebRtcTransportRequestorServer);
        events.offer.on((session, request) => this.#push({ kind: "offer", sessionId: session.id, sdp: request.sdp }));
        events.answer.on((session, sdp) => this.#push({ kind: "answer", sessionId: session.id, sdp }));
        events.iceCandidates.on((session, candidates) =>
            this.#push({
                kind: "iceCandidates",
                sessionId: session.id,
                candidates: candidates.map(c => ({ candidate: c.candidate, sdpMid: c.sdpMid, sdpmLineIndex: c.sdpmLineIndex })),
            }),
        );
        events.end.on((session, reason) => this.#push({ kind: "end", sessionId: session.id, reason }));
    }

    /**
     * `preferTcp`: run every interaction over TCP, as a controller streaming from cameras would;
     * a camera that restarts then drops the connection and its sessions with it, so the next
     * interaction opens a new CASE session instead of waiting out a stale one.
     */
    static async create(id: string, port: number, cameraPort: number, options: { preferTcp?: boolean } = {}): Promise<TestController> {
        const node = await ServerNode.create(ServerNode.RootEndpoint.with(ControllerBehavior), {
            id,
            network: { port, tcp: true, ...(options.preferTcp ? { transportPreference: "tcp" as const } : {}) },
            commissioning: { enabled: false },
            controller: { adminFabricLabel: id },
        });
        const requestor = await node.add(new Endpoint(CameraControllerDevice.with(WebRtcTransportRequestorServer), { id: "requestor" }));
        await node.start();
        // post-commissioning CASE needs the camera's operational address; mDNS stays on lo
        node.env.get(PeerSet).added.on(peer => {
            const descriptor = peer.descriptor as { operationalAddress?: unknown };
            descriptor.operationalAddress ??= { type: "udp", ip: "::1", port: cameraPort };
        });
        return new TestController(node, requestor);
    }

    #push(item: Received): void {
        this.received.push(item);
        for (const wake of [...this.#waiters]) wake();
    }

    /** Waits (bounded) until `predicate` finds something in `received`. */
    async waitFor(predicate: (r: Received) => boolean, timeoutMs = 10_000): Promise<Received> {
        const found = () => this.received.find(predicate);
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const hit = found();
            if (hit !== undefined) return hit;
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`timed out waiting for a ${predicate.toString()}`);
            await new Promise<void>(resolve => {
                const timer = setTimeout(done, left);
                const waiters = this.#waiters;
                function done() {
                    clearTimeout(timer);
                    waiters.delete(done);
                    resolve();
                }
                waiters.add(done);
            });
        }
    }

    async commission(cameraPort: number, passcode = 20202021): Promise<CameraPeer> {
        const peer = await this.node.peers.forDescriptor({ addresses: [{ type: "udp", ip: "::1", port: cameraPort }] });
        await peer.commission({ passcode });
        return new CameraPeer(this, peer);
    }

    async close(): Promise<void> {
        await this.node.close();
    }
}

/** The camera as one controller sees it. */
export class CameraPeer {
    constructor(
        readonly controller: TestController,
        readonly client: ClientNode,
    ) {
        client.endpoints.require(1).behaviors.require(WebRtcTransportProviderClient);
        client.endpoints.require(1).behaviors.require(CameraAvStreamManagementClient);
    }

    get streams() {
        return this.client.endpoints.require(1).commandsOf(CameraAvStreamManagementClient);
    }

    /** Allocates a LiveView H.264 video stream and an Opus audio stream (TC's allocate_one_*_stream). */
    async allocateStreams(streamUsage = 3): Promise<{ video: number; audio: number }> {
        const video = await this.streams.videoStreamAllocate({
            streamUsage,
            videoCodec: CameraAvStreamManagement.VideoCodec.H264,
            minFrameRate: 30,
            maxFrameRate: 30,
            minResolution: { width: 320, height: 240 },
            maxResolution: { width: 640, height: 480 },
            minBitRate: 300_000,
            maxBitRate: 300_000,
            keyFrameInterval: 4000,
        });
        const audio = await this.streams.audioStreamAllocate({
            streamUsage,
            audioCodec: CameraAvStreamManagement.AudioCodec.Opus,
            channelCount: 1,
            sampleRate: 48_000,
            bitRate: 1024,
            bitDepth: 16,
        });
        return { video: video.videoStreamId, audio: audio.audioStreamId };
    }

    get address(): { fabricIndex: FabricIndex; nodeId: NodeId } {
        const address = this.client.stateOf(CommissioningClient).peerAddress;
        if (address === undefined) throw new Error("camera not commissioned");
        return address;
    }

    get #commands() {
        return this.client.endpoints.require(1).commandsOf(WebRtcTransportProviderClient);
    }

    async #call<T>(run: () => Promise<T>): Promise<Outcome<T>> {
        try {
            return { ok: true, value: await run() };
        } catch (error) {
            if (error instanceof StatusResponseError) return { ok: false, status: error.code };
            throw error;
        }
    }

    /** Registers the session with the controller's Requestor cluster, as a controller app does. */
    async track(id: number, videoStreams: number[] | undefined, audioStreams: number[] | undefined, streamUsage = 3): Promise<void> {
        const { fabricIndex, nodeId } = this.address;
        await this.controller.requestor.act(agent =>
            agent.get(WebRtcTransportRequestorServer).upsertSession({
                id,
                peerNodeId: nodeId,
                peerEndpointId: EndpointNumber(1),
                streamUsage,
                metadataEnabled: false,
                ...(videoStreams?.length ? { videoStreams } : {}),
                ...(audioStreams?.length ? { audioStreams } : {}),
                ...(!videoStreams?.length && !audioStreams?.length ? { videoStreams: [0] } : {}),
                fabricIndex,
            }),
        );
    }

    get requestorEndpoint(): EndpointNumber {
        return EndpointNumber(this.controller.requestor.number);
    }

    solicitOffer(fields: Partial<WebRtcTransportProvider.SolicitOfferRequest>) {
        return this.#call(() =>
            this.#commands.solicitOffer({ streamUsage: 3, originatingEndpointId: this.requestorEndpoint, ...fields } as WebRtcTransportProvider.SolicitOfferRequest),
        );
    }
    provideOffer(fields: Partial<WebRtcTransportProvider.ProvideOfferRequest> & { sdp: string }) {
        return this.#call(() =>
            this.#commands.provideOffer({
                webRtcSessionId: null,
                streamUsage: 3,
                originatingEndpointId: this.requestorEndpoint,
                ...fields,
            } as WebRtcTransportProvider.ProvideOfferRequest),
        );
    }
    provideAnswer(webRtcSessionId: number, sdp: string) {
        return this.#call(() => this.#commands.provideAnswer({ webRtcSessionId, sdp }));
    }
    provideIceCandidates(webRtcSessionId: number, iceCandidates: { candidate: string; sdpMid: string | null; sdpmLineIndex: number | null }[]) {
        return this.#call(() => this.#commands.provideIceCandidates({ webRtcSessionId, iceCandidates }));
    }
    endSession(webRtcSessionId: number, reason = 2) {
        return this.#call(() => this.#commands.endSession({ webRtcSessionId, reason }));
    }

    /** CurrentSessions, fabric-filtered (the normal read) or not. */
    async currentSessions(fabricFiltered = true): Promise<WebRtcTransportProvider.Attributes["currentSessions"]> {
        const request = Read(
            { fabricFilter: fabricFiltered },
            Read.Attribute({ endpoint: EndpointNumber(1), cluster: WebRtcTransportProvider, attributes: "currentSessions" }),
        );
        for await (const chunk of this.client.interaction.read(request)) {
            for await (const entry of chunk) {
                if (entry.kind === "attr-value") return entry.value as WebRtcTransportProvider.Attributes["currentSessions"];
            }
        }
        return [];
    }
}
