/**
 * A real matter.js controller for integration tests: a ServerNode with the controller behavior and
 * a camera-controller endpoint running matter.js's own `WebRtcTransportRequestorServer` (with its
 * End handler fixed, see `TestRequestorServer`), talking to a camera over real UDP/TCP on loopback.
 *
 * It commissions by address (no commissionable discovery) and seeds the operational address, so
 * mDNS can stay on `lo`; with `discover: true` (the LAN-in-a-box suite) it seeds nothing and
 * commissions by pairing code through mDNS discovery instead, finding the camera's operational
 * address by operational discovery as a real controller does. It records what the camera sends
 * to its Requestor cluster (Offer, Answer, ICECandidates, End) and registers sessions there after
 * each SolicitOffer / ProvideOffer, as a controller application must. Provider commands return the
 * response or the status code the camera answered, so tests can assert either.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommissioningClient, ControllerBehavior, Crypto, Endpoint, Environment, Millis, ServerNode, type ClientNode } from "@matter/main";
import { AdministratorCommissioningClient } from "@matter/main/behaviors/administrator-commissioning";
import { CameraAvStreamManagementClient } from "@matter/main/behaviors/camera-av-stream-management";
import { WebRtcTransportProviderClient } from "@matter/main/behaviors/web-rtc-transport-provider";
import { CameraAvStreamManagement } from "@matter/main/clusters/camera-av-stream-management";
import { WebRtcTransportRequestorServer } from "@matter/main/behaviors/web-rtc-transport-requestor";
import { WebRtcTransportProvider } from "@matter/main/clusters/web-rtc-transport-provider";
import { CameraControllerDevice } from "@matter/main/devices/camera-controller";
import { WebRtcTransportRequestor } from "@matter/main/clusters/web-rtc-transport-requestor";
import { Invoke, NodeSession, PaseClient, PeerSet, Read, Write, assertRemoteActor } from "@matter/main/protocol";
import { liveAudioRequest, liveVideoRequest } from "./stream-requests.js";
import { CommandId, EndpointNumber, NodeId, Status, StatusResponseError, TlvAny, type FabricIndex } from "@matter/main/types";

export interface Received {
    kind: "offer" | "answer" | "iceCandidates" | "end";
    sessionId: number;
    sdp?: string;
    candidates?: { candidate: string; sdpMid: string | null; sdpmLineIndex: number | null }[];
    reason?: number;
}


/**
 * matter.js 0.17.9's Requestor server, with `end` fixed: the stock handler removes the session and
 * then emits the removed state entry, whose first read throws PhantomReferenceError, so a listener
 * that reads the session fails the command (the camera sees FAILURE) and never learns the id. Same
 * checks (NOT_FOUND unless the session is the caller's), but the event carries a plain copy.
 */
export class TestRequestorServer extends WebRtcTransportRequestorServer {
    override async end(request: WebRtcTransportRequestor.EndRequest): Promise<void> {
        assertRemoteActor(this.context);
        NodeSession.assert(this.context.session);
        const peer = this.context.session.peerAddress;
        const live = this.state.currentSessions.find(s => s.id === request.webRtcSessionId);
        if (live === undefined || live.fabricIndex !== peer.fabricIndex || live.peerNodeId !== peer.nodeId) {
            throw new StatusResponseError(`WebRTC session ${request.webRtcSessionId} not found`, Status.NotFound);
        }
        const session = {
            ...live,
            ...(live.videoStreams ? { videoStreams: [...live.videoStreams] } : {}),
            ...(live.audioStreams ? { audioStreams: [...live.audioStreams] } : {}),
        };
        this.removeSession(request.webRtcSessionId);
        this.events.end.emit(session, request.reason);
    }
}

/** A command's response, or the status the camera answered instead. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; status: number };

/** True when nothing on this host holds `port` for UDP or TCP (checked in a short child process). */
export function portFree(port: number): boolean {
    const probe = `const d=require("dgram"),n=require("net");const u=d.createSocket({type:"udp6"});
u.once("error",()=>process.exit(1));u.bind(${port},"::",()=>{const t=n.createServer();t.once("error",()=>process.exit(1));
t.listen(${port},"::",()=>{t.close();u.close();process.exit(0)})});`;
    try {
        execFileSync(process.execPath, ["-e", probe], { stdio: "ignore", timeout: 5_000 });
        return true;
    } catch {
        return false;
    }
}

// Each test process (fork) draws from its own range through VITEST_POOL_ID, starting at a random
// point, and skips ports still held (a camera process of an earlier file, another test run).
let nextPort = Math.floor(Math.random() * 1000);
/** A free port for a test node, in 20000–21999 (other suites keep clear of that range). */
export function testPort(): number {
    const base = 20000 + ((Number(process.env.VITEST_POOL_ID ?? "1") - 1) % 2) * 1000;
    for (let tries = 0; tries < 100; tries++) {
        const port = base + (nextPort++ % 1000);
        if (portFree(port)) return port;
    }
    throw new Error(`no free test port in ${base}..${base + 999}`);
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
     * `tcp: false`: a controller without TCP (every interaction goes over UDP).
     * `requestorEndpoint`: where its Requestor cluster lives (the OriginatingEndpointID it sends):
     * 0 puts it on the root endpoint, as the SmartThings hub has it; default the next free endpoint.
     * `discover`: seed no operational address (`cameraPort` is then unused): addresses come from
     * mDNS, on the interface the environment names (MATTER_MDNS_NETWORKINTERFACE).
     */
    static async create(
        id: string,
        port: number,
        cameraPort: number,
        options: { preferTcp?: boolean; tcp?: boolean; requestorEndpoint?: number; discover?: boolean } = {},
    ): Promise<TestController> {
        const onRoot = options.requestorEndpoint === 0;
        const root = onRoot ? ServerNode.RootEndpoint.with(ControllerBehavior, TestRequestorServer) : ServerNode.RootEndpoint.with(ControllerBehavior);
        const node = await ServerNode.create(root, {
            id,
            network: { port, tcp: options.tcp ?? true, ...(options.preferTcp ? { transportPreference: "tcp" as const } : {}) },
            commissioning: { enabled: false },
            controller: { adminFabricLabel: id },
        });
        const requestor: Endpoint = onRoot
            ? node
            : await node.add(
                  new Endpoint(CameraControllerDevice.with(TestRequestorServer), {
                      id: "requestor",
                      ...(options.requestorEndpoint !== undefined ? { number: options.requestorEndpoint } : {}),
                  }),
              );
        await node.start();
        if (options.discover) return new TestController(node, requestor);
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

    /**
     * Commissions the camera its manual pairing code names, found by commissionable (mDNS)
     * discovery, within `timeoutMs` (matter.js's own bound, 3 minutes, is too long for a test).
     */
    async commissionByCode(pairingCode: string, timeoutMs = 30_000): Promise<CameraPeer> {
        const client = await this.node.peers.commission({ pairingCode, timeout: Millis(timeoutMs) });
        return new CameraPeer(this, client);
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
        const video = await this.streams.videoStreamAllocate(liveVideoRequest({ streamUsage }));
        const audio = await this.streams.audioStreamAllocate(liveAudioRequest({ streamUsage }));
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
        // never "no sessions" on a read that returned nothing: that would let an empty check pass on an error
        throw new Error("no CurrentSessions in the read");
    }

    /**
     * Opens an Enhanced Commissioning Window on the camera (AdministratorCommissioning
     * OpenCommissioningWindow with a fresh PAKE verifier, as matter.js's legacy
     * `PairedNode.openEnhancedCommissioningWindow` does), so another controller can add a fabric.
     * Returns the passcode (and discriminator) of that window.
     */
    async openCommissioningWindow(timeoutSeconds = 180): Promise<{ passcode: number; discriminator: number }> {
        const crypto = this.controller.node.env.get(Crypto);
        const passcode = PaseClient.generateRandomPasscode(crypto);
        const discriminator = PaseClient.generateRandomDiscriminator(crypto);
        const salt = crypto.randomBytes(32);
        const iterations = 1000; // CRYPTO_PBKDF_ITERATIONS_MIN
        const pakePasscodeVerifier = await PaseClient.generatePakePasscodeVerifier(crypto, passcode, { iterations, salt });
        this.client.behaviors.require(AdministratorCommissioningClient);
        await this.client.commandsOf(AdministratorCommissioningClient).openCommissioningWindow({
            commissioningTimeout: timeoutSeconds,
            pakePasscodeVerifier,
            discriminator,
            iterations,
            salt,
        });
        return { passcode, discriminator };
    }

    /**
     * Invokes provider command `commandId` with raw TLV `fields` (an anonymous structure), bypassing
     * the client's typing and validation. `largeMessage: false` lets the client use the session it
     * has (UDP when it has no TCP). Bounded by `timeoutMs`. Returns the response fields' TLV (or
     * undefined for a status-only command), or the status the camera answered.
     */
    async rawInvoke(
        commandId: number,
        fields: Uint8Array,
        options: { largeMessage?: boolean; timeoutMs?: number } = {},
    ): Promise<Outcome<Uint8Array | undefined>> {
        const command = { requestId: CommandId(commandId), requestSchema: TlvAny, responseSchema: TlvAny, timed: false };
        const request = Invoke({
            commands: [{ endpoint: EndpointNumber(1), cluster: WebRtcTransportProvider, command, fields: TlvAny.decode(fields) } as never],
        });
        request.largeMessage = options.largeMessage ?? true; // Invoke() drops the option: set it on the result
        const run = async (): Promise<Outcome<Uint8Array | undefined>> => {
            let outcome: Outcome<Uint8Array | undefined> | undefined;
            for await (const chunk of this.client.interaction.invoke(request)) {
                for (const entry of chunk) {
                    if (entry.kind === "cmd-status") {
                        outcome = entry.status === 0 ? { ok: true, value: undefined } : { ok: false, status: entry.status };
                    } else if (entry.kind === "cmd-response") {
                        outcome = { ok: true, value: TlvAny.encode(entry.data as never) as Uint8Array };
                    }
                }
            }
            if (outcome === undefined) throw new Error(`no answer to command ${commandId}`);
            return outcome;
        };
        const timeoutMs = options.timeoutMs ?? 10_000;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer to command ${commandId} within ${timeoutMs} ms`)), timeoutMs);
        });
        try {
            const outcome = await Promise.race([this.#call(run), timeout]);
            return outcome.ok ? outcome.value : outcome;
        } finally {
            clearTimeout(timer);
        }
    }

    /** AllocatedVideoStreams and AllocatedAudioStreams of CameraAvStreamManagement, read over Matter. */
    async allocatedStreams(): Promise<{ video: CameraAvStreamManagement.VideoStream[]; audio: CameraAvStreamManagement.AudioStream[] }> {
        const request = Read(
            Read.Attribute({
                endpoint: EndpointNumber(1),
                cluster: CameraAvStreamManagement,
                attributes: ["allocatedVideoStreams", "allocatedAudioStreams"],
            }),
        );
        let video: CameraAvStreamManagement.VideoStream[] | undefined;
        let audio: CameraAvStreamManagement.AudioStream[] | undefined;
        for await (const chunk of this.client.interaction.read(request)) {
            for await (const entry of chunk) {
                if (entry.kind !== "attr-value") continue;
                if (entry.path.attributeId === CameraAvStreamManagement.attributes.allocatedVideoStreams.id) {
                    video = entry.value as CameraAvStreamManagement.VideoStream[];
                } else if (entry.path.attributeId === CameraAvStreamManagement.attributes.allocatedAudioStreams.id) {
                    audio = entry.value as CameraAvStreamManagement.AudioStream[];
                }
            }
        }
        // as with CurrentSessions: a read that returned nothing is an error, never "no streams"
        if (video === undefined || audio === undefined) {
            throw new Error(`no ${video === undefined ? "AllocatedVideoStreams" : "AllocatedAudioStreams"} in the read`);
        }
        return { video, audio };
    }

    /** ReferenceCount of video stream `video` and audio stream `audio`, read over Matter (-1: not allocated). */
    async referenceCounts(video: number, audio: number): Promise<{ video: number; audio: number }> {
        const streams = await this.allocatedStreams();
        return {
            video: streams.video.find(s => s.videoStreamId === video)?.referenceCount ?? -1,
            audio: streams.audio.find(s => s.audioStreamId === audio)?.referenceCount ?? -1,
        };
    }

    /** Writes a CameraAvStreamManagement privacy attribute over Matter; returns its status (0 = success). */
    async writePrivacy(attribute: "softLivestreamPrivacyModeEnabled" | "softRecordingPrivacyModeEnabled", value: boolean): Promise<number> {
        const statuses = await this.client.interaction.write(
            Write(Write.Attribute({ endpoint: EndpointNumber(1), cluster: CameraAvStreamManagement, attributes: attribute, value })),
        );
        return statuses.find(s => s.status !== 0)?.status ?? 0;
    }

    videoStreamAllocate(fields: CameraAvStreamManagement.VideoStreamAllocateRequest) {
        return this.#call(() => this.streams.videoStreamAllocate(fields));
    }
    audioStreamAllocate(fields: CameraAvStreamManagement.AudioStreamAllocateRequest) {
        return this.#call(() => this.streams.audioStreamAllocate(fields));
    }
    snapshotStreamAllocate(fields: CameraAvStreamManagement.SnapshotStreamAllocateRequest) {
        return this.#call(() => this.streams.snapshotStreamAllocate(fields));
    }
    snapshotStreamDeallocate(snapshotStreamId: number) {
        return this.#call(() => this.streams.snapshotStreamDeallocate({ snapshotStreamId }));
    }
    captureSnapshot(snapshotStreamId: number | null, width: number, height: number) {
        return this.#call(() => this.streams.captureSnapshot({ snapshotStreamId, requestedResolution: { width, height } }));
    }

    /** AllocatedSnapshotStreams, read over Matter. */
    async allocatedSnapshotStreams(): Promise<CameraAvStreamManagement.SnapshotStream[]> {
        const request = Read(Read.Attribute({ endpoint: EndpointNumber(1), cluster: CameraAvStreamManagement, attributes: "allocatedSnapshotStreams" }));
        for await (const chunk of this.client.interaction.read(request)) {
            for await (const entry of chunk) {
                if (entry.kind === "attr-value") return entry.value as CameraAvStreamManagement.SnapshotStream[];
            }
        }
        throw new Error("no AllocatedSnapshotStreams in the read");
    }

    videoStreamDeallocate(videoStreamId: number) {
        return this.#call(() => this.streams.videoStreamDeallocate({ videoStreamId }));
    }
    audioStreamDeallocate(audioStreamId: number) {
        return this.#call(() => this.streams.audioStreamDeallocate({ audioStreamId }));
    }
}
