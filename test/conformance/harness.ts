/**
 * The conformance harness: what connectedhomeip's `TC_WEBRTCPTestBase` / `WEBRTCPTestBase` and the
 * python test framework give a TC_WEBRTCP_2_x script, rebuilt on a matter.js controller.
 *
 * One harness = one DUT and one TH:
 * - DUT: a fresh camera node (`CameraNode`, default WASM profile, certification mode) on its own port and storage
 *   directory, its media plane a `NodeMediaHost` bound to 127.0.0.1. `deferred: true` makes it the
 *   CI "deferred app" (`--camera-deferred-offer`): SolicitOffer answers DeferredOffer=TRUE and the
 *   Offer follows after `DEFERRED_OFFER_DELAY_MS`.
 * - TH: a `TestController` (a real matter.js controller with a WebRTC Transport Requestor endpoint)
 *   that commissions the DUT and sends every provider command over TCP (matter.js marks them Large
 *   Message, so its client opens a TCP session: the SDK's `LARGE_PAYLOAD`).
 *
 * Helpers mirror the SDK's:
 * - `allocateOneVideoStream` / `allocateOneAudioStream`: reuse the first allocated stream, else
 *   allocate one from the DUT's own capabilities with StreamUsagePriorities[0] (webrtcp_testbase.py);
 * - reads of CurrentSessions, Descriptor ServerList and CameraAvStreamManagement attributes
 *   (privacy flags, allocated streams and their ReferenceCount) are Read interactions;
 * - SoftLivestreamPrivacyModeEnabled / SoftRecordingPrivacyModeEnabled are written with a Write
 *   interaction (`write_single_attribute`); HardPrivacyModeOn is read-only to controllers, so it is
 *   set on the camera itself (`CameraAvStreamServer.setHardPrivacyModeOn`), as the SDK does through
 *   the camera app's named pipe;
 * - `solicitOffer` / `provideOffer` register every session they create with the TH's Requestor
 *   (the SDK's `webrtc_manager.session_id_created`), so the DUT's Offer/Answer/ICECandidates/End are
 *   accepted and recorded (`received`), on the Requestor endpoint the request named as
 *   OriginatingEndpointID (extra Requestor endpoints are added for TC 2.10 / 2.15). End is recorded
 *   on the main endpoint only, through `TestController`'s `TestRequestorServer` (TC 2.12).
 *
 * SDPs. The SDK's `test_sdp` (a data-channel-only offer, ~550 B) is `TEST_SDP`, sent exactly where
 * the SDK sends it; `NodeMediaHost` answers such an offer with a data channel and no media, as the
 * reference camera does. Cases about media (2_17 … 2_23, 2_33) use a real libdatachannel offer
 * (recvonly H.264 + Opus) from a `ControllerPeer` (`realOffer()`).
 *
 * Between test cases `reset()` returns the DUT to the state a fresh CI app has: no sessions (each
 * ended with EndSession), no video, audio or snapshot streams (deallocated), privacy off,
 * StreamUsagePriorities as right after commissioning (TC_AVSM_2_11 / 2_21 change them), TH peers
 * closed, TH records cleared. `restart()` is the SDK's `request_device_reboot` (TC_AVSM_2_18 …
 * 2_21): the camera process restarts on its storage and the TH reconnects. Every wait is bounded.
 */

import { Endpoint, Environment } from "@matter/main";
import { WebRtcTransportRequestorServer } from "@matter/main/behaviors/web-rtc-transport-requestor";
import { CameraAvStreamManagement } from "@matter/main/clusters/camera-av-stream-management";
import { Descriptor } from "@matter/main/clusters/descriptor";
import { WebRtcTransportProvider } from "@matter/main/clusters/web-rtc-transport-provider";
import { CameraControllerDevice } from "@matter/main/devices/camera-controller";
import { PeerAddress, Read, SessionManager, Write } from "@matter/main/protocol";
import { EndpointNumber, Status } from "@matter/main/types";
import nodeDataChannel from "node-datachannel";
import { afterAll, beforeAll, expect } from "vitest";
import { CameraAvStreamServer } from "../../src/matter/camera-av-stream-management.js";
import type { CameraNode } from "../../src/matter/camera-node.js";
import { OFFER_FORMATS, type NodeMediaHost } from "../../src/media/node/index.js";
import { NodeCameraRig } from "../support/camera-rig.js";
import { ControllerPeer } from "../media/controller-peer.js";
import { TestController, testEnvironment, type CameraPeer, type Outcome, type Received } from "../support/matter-controller.js";

export { Status };

/** The DUT endpoint of the WebRTC Transport Provider and CameraAvStreamManagement (the SDK's `endpoint`). */
export const DUT_ENDPOINT = 1;

/** StreamUsageEnum. */
export const StreamUsage = { Internal: 0, Recording: 1, Analysis: 2, LiveView: 3 } as const;

/** WebRTCEndReasonEnum values the tests use. */
export const EndReason = { IceFailed: 0, UserHangup: 2, OutOfResources: 8, PrivacyMode: 11 } as const;

/** Delay of the deferred app's Offer (well inside the 30 s of TC 2.11). */
export const DEFERRED_OFFER_DELAY_MS = 1_500;

/** The spec's bound for an Offer / Answer after the response (TC 2.11; used for every such wait). */
export const OFFER_BOUND_MS = 30_000;

/** TC 2.33: media must arrive within 5 s. */
export const MEDIA_BOUND_MS = 5_000;

/** The SDK's `test_sdp` (TC_WEBRTCP_2_3 …): a data-channel-only offer, line endings as in the SDK. */
export const TEST_SDP =
    "v=0\n" +
    "o=rtc 2281582238 0 IN IP4 127.0.0.1\n" +
    "s=-\n" +
    "t=0 0\n" +
    "a=group:BUNDLE 0\n" +
    "a=msid-semantic:WMS *\n" +
    "a=ice-options:ice2,trickle\n" +
    "a=fingerprint:sha-256 8F:BF:9A:B9:FA:59:EC:F6:08:EA:47:D3:F4:AC:FA:AC:E9:27:FA:28:D3:00:1D:9B:EF:62:3F:B8:C6:09:FB:B9\n" +
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\n" +
    "c=IN IP4 0.0.0.0\n" +
    "a=mid:0\n" +
    "a=sendrecv\n" +
    "a=sctp-port:5000\n" +
    "a=max-message-size:262144\n" +
    "a=setup:actpass\n" +
    "a=ice-ufrag:ytRw\n" +
    "a=ice-pwd:blrzPJtaV9Y1BNgbC1bXpi";

/** Payload types the TH's peer receives when it offers (any; the DUT answers with the offer's). */
const TH_VIDEO_PT = 102;
const TH_AUDIO_PT = 111;

type SolicitOfferRequest = WebRtcTransportProvider.SolicitOfferRequest;
type ProvideOfferRequest = WebRtcTransportProvider.ProvideOfferRequest;
type SolicitOfferResponse = WebRtcTransportProvider.SolicitOfferResponse;
type ProvideOfferResponse = WebRtcTransportProvider.ProvideOfferResponse;
export type Session = WebRtcTransportProvider.Attributes["currentSessions"][number];
export type VideoStream = CameraAvStreamManagement.VideoStream;
export type AudioStream = CameraAvStreamManagement.AudioStream;
export type { Outcome, Received };

/**
 * The test process's matter.js environment: a fresh storage directory, mDNS on loopback (the
 * shared `testEnvironment`), and matter.js logs at ERROR: the DUT logs a conformance WARN for
 * every request without the rev-2 stream lists, which is most requests of these TCs.
 */
export function conformanceEnvironment(): { storage: string; cleanup: () => void } {
    const env = testEnvironment();
    Environment.default.vars.set("log.level", "error");
    return env;
}

/**
 * The DUTs of one test file: the immediate app and, with `deferred`, the deferred-offer app
 * (`--camera-deferred-offer`), started in `beforeAll` and closed in `afterAll` with everything
 * they opened. The getters are valid inside tests and hooks.
 */
export function useDuts(name: string, options: { deferred?: boolean; defaultMode?: boolean } = {}): { app: () => ConformanceHarness; deferredApp: () => ConformanceHarness } {
    const env = conformanceEnvironment();
    let app: ConformanceHarness | undefined;
    let deferredApp: ConformanceHarness | undefined;
    beforeAll(async () => {
        [app, deferredApp] = await Promise.all([
            ConformanceHarness.create({ name, ...(options.defaultMode ? { defaultMode: true } : {}) }),
            options.deferred ? ConformanceHarness.create({ name: `${name}-deferred`, deferred: true }) : undefined,
        ]);
    }, 60_000);
    afterAll(async () => {
        await Promise.all([app?.close(), deferredApp?.close()]);
        nodeDataChannel.cleanup();
        env.cleanup();
    });
    const started = (dut: ConformanceHarness | undefined, what: string): ConformanceHarness => {
        if (dut === undefined) throw new Error(`${what} of ${name} is not running`);
        return dut;
    };
    return { app: () => started(app, "the app"), deferredApp: () => started(deferredApp, "the deferred-offer app") };
}

/** Polls `check` until it holds; throws after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
        await new Promise(resolve => setTimeout(resolve, 25));
    }
}

/** `promise`, or a rejection after `timeoutMs`. */
export async function bounded<T>(what: string, promise: Promise<T>, timeoutMs: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
    });
    try {
        return await Promise.race([promise, timeout]);
    } finally {
        clearTimeout(timer);
    }
}

/** "DynamicConstraintError (0xcf)". */
export function statusName(code: number): string {
    return `${Status[code] ?? "Unknown"} (0x${code.toString(16).padStart(2, "0")})`;
}

/** Asserts the status an outcome carries (SUCCESS for a response), by name for readable failures. */
export function expectStatus(outcome: Outcome<unknown>, expected: number): void {
    expect(statusName(statusOf(outcome))).toBe(statusName(expected));
}

/** The status of an outcome: 0 for success, else the status the DUT answered. */
export function statusOf(outcome: Outcome<unknown>): number {
    return outcome.ok ? Status.Success : outcome.status;
}

/** The response of a successful outcome; throws (with the status) otherwise. */
export function valueOf<T>(outcome: Outcome<T>): T {
    if (!outcome.ok) throw new Error(`expected a response, got status 0x${outcome.status.toString(16)} (${Status[outcome.status] ?? "?"})`);
    return outcome.value;
}

export interface HarnessOptions {
    /** Node ids in storage; distinct per harness in one process. */
    name: string;
    /** The CI "deferred app": SolicitOffer answers DeferredOffer=TRUE. */
    deferred?: boolean;
    /** The camera's default mode (default streams 0) instead of certification mode, to show where the steps differ. */
    defaultMode?: boolean;
}

export class ConformanceHarness {
    /** ControllerPeers made by this harness (closed by `reset` and `close`). */
    readonly #peers: ControllerPeer[] = [];
    /** Offers / Answers received on extra Requestor endpoints. */
    readonly #extraReceived: Received[] = [];
    /** Requestor endpoints of the TH by endpoint number (the main one and extras). */
    readonly #requestors = new Map<number, Endpoint>();

    /** StreamUsagePriorities right after commissioning, restored by `reset` (TC_AVSM_2_11 / 2_21 change them). */
    #initialPriorities: number[] = [];

    private constructor(
        readonly rig: NodeCameraRig,
        readonly th: TestController,
        /** The DUT as the TH sees it. */
        readonly dut: CameraPeer,
        readonly deferred: boolean,
    ) {
        this.#requestors.set(th.requestor.number, th.requestor);
    }

    /** A fresh DUT (own port, own storage id), a TH controller, commissioned over the network. */
    static async create(options: HarnessOptions): Promise<ConformanceHarness> {
        const deferred = options.deferred ?? false;
        // certification mode: empty stream lists after commissioning, as the SDK's CI app (the
        // default mode only where a file shows how the steps differ there)
        const rig = await NodeCameraRig.start({
            name: `dut-${options.name}`,
            certification: options.defaultMode !== true,
            ...(deferred ? { media: { deferredOfferDelayMs: DEFERRED_OFFER_DELAY_MS } } : {}),
        });
        try {
            const { controller: th, peer: dut } = await rig.addController({ id: `th-${options.name}` });
            const harness = new ConformanceHarness(rig, th, dut, deferred);
            harness.#initialPriorities = await harness.readAvsm<number[]>("streamUsagePriorities");
            return harness;
        } catch (error) {
            await rig.close().catch(() => undefined);
            throw error;
        }
    }

    /** The DUT's camera node. */
    get camera(): CameraNode {
        return this.rig.camera;
    }

    /** The DUT's media host. */
    get media(): NodeMediaHost {
        return this.rig.media;
    }

    /** The TH's Requestor endpoint (OriginatingEndpointID of every request unless a step says otherwise). */
    get thEndpoint(): number {
        return this.th.requestor.number;
    }

    // ── reads and writes over Matter ───────────────────────────────────────────────────────────

    async #read<T>(cluster: unknown, attribute: string): Promise<T> {
        const request = Read(
            Read.Attribute({ endpoint: EndpointNumber(DUT_ENDPOINT), cluster: cluster as never, attributes: attribute as never }),
        );
        for await (const chunk of this.dut.client.interaction.read(request)) {
            for await (const entry of chunk) {
                if (entry.kind === "attr-value") return entry.value as T;
                if (entry.kind === "attr-status") throw new Error(`read ${attribute}: status 0x${entry.status.toString(16)}`);
            }
        }
        throw new Error(`read ${attribute}: no value`);
    }

    /** CurrentSessions (fabric-filtered, as `read_single_attribute_check_success` reads it). */
    currentSessions(): Promise<Session[]> {
        return this.#read<Session[]>(WebRtcTransportProvider, "currentSessions");
    }

    /** A CameraAvStreamManagement attribute of the DUT. */
    readAvsm<T>(attribute: string): Promise<T> {
        return this.#read<T>(CameraAvStreamManagement, attribute);
    }

    /** Descriptor ServerList of the DUT endpoint. */
    serverList(): Promise<number[]> {
        return this.#read<number[]>(Descriptor, "serverList");
    }

    allocatedVideoStreams(): Promise<VideoStream[]> {
        return this.readAvsm<VideoStream[]>("allocatedVideoStreams");
    }

    allocatedAudioStreams(): Promise<AudioStream[]> {
        return this.readAvsm<AudioStream[]>("allocatedAudioStreams");
    }

    /** ReferenceCount of allocated streams, read over Matter (the SDK's `_get_stream_ref_count`). */
    async referenceCounts(video: number, audio: number): Promise<{ video: number; audio: number }> {
        const [videos, audios] = await Promise.all([this.allocatedVideoStreams(), this.allocatedAudioStreams()]);
        const v = videos.find(s => s.videoStreamId === video);
        const a = audios.find(s => s.audioStreamId === audio);
        if (v === undefined || a === undefined) throw new Error(`stream ${video}/${audio} is not allocated`);
        return { video: v.referenceCount, audio: a.referenceCount };
    }

    /**
     * `referenceCounts` once they equal `expected`, else (after a bounded wait: the DUT writes the
     * counts in a transaction of its own, just after the session change) the last value read.
     */
    async referenceCountsBecome(video: number, audio: number, expected: { video: number; audio: number }): Promise<{ video: number; audio: number }> {
        let counts = await this.referenceCounts(video, audio);
        const deadline = Date.now() + 5_000;
        while ((counts.video !== expected.video || counts.audio !== expected.audio) && Date.now() < deadline) {
            await new Promise(resolve => setTimeout(resolve, 50));
            counts = await this.referenceCounts(video, audio);
        }
        return counts;
    }

    /** Writes a soft privacy attribute (the SDK's `write_single_attribute`); returns the write status. */
    async writePrivacy(attribute: "softLivestreamPrivacyModeEnabled" | "softRecordingPrivacyModeEnabled", value: boolean): Promise<number> {
        const statuses = await this.dut.client.interaction.write(
            Write(
                Write.Attribute({
                    endpoint: EndpointNumber(DUT_ENDPOINT),
                    cluster: CameraAvStreamManagement,
                    attributes: attribute,
                    value,
                } as never),
            ),
        );
        return statuses.find(s => s.status !== Status.Success)?.status ?? Status.Success;
    }

    /** HardPrivacyModeOn, set on the camera (the SDK's app-pipe `SetHardPrivacyModeOn`). */
    async setHardPrivacyModeOn(on: boolean): Promise<void> {
        await this.camera.camera.act(agent => agent.get(CameraAvStreamServer).setHardPrivacyModeOn(on));
    }

    // ── streams (webrtcp_testbase.py) ──────────────────────────────────────────────────────────

    /** The first allocated video stream, else a new one from the DUT's capabilities (usage = priorities[0]). */
    async allocateOneVideoStream(): Promise<number> {
        const featureMap = await this.readAvsm<{ video?: boolean }>("featureMap");
        if (!featureMap.video) throw new Error("AVSM Video feature is not supported");
        const allocated = await this.allocatedVideoStreams();
        if (allocated.length > 0) return allocated[0]!.videoStreamId;
        const priorities = await this.readAvsm<number[]>("streamUsagePriorities");
        const points = await this.readAvsm<CameraAvStreamManagement.RateDistortionTradeOffPoints[]>("rateDistortionTradeOffPoints");
        const minViewport = await this.readAvsm<CameraAvStreamManagement.VideoResolution>("minViewportResolution");
        const sensor = await this.readAvsm<CameraAvStreamManagement.VideoSensorParams>("videoSensorParams");
        if (priorities.length === 0 || points.length === 0) throw new Error("StreamUsagePriorities or RateDistortionTradeOffPoints empty");
        const response = await this.dut.streams.videoStreamAllocate({
            streamUsage: priorities[0]!,
            videoCodec: points[0]!.codec,
            minFrameRate: 30,
            maxFrameRate: sensor.maxFps,
            minResolution: { width: minViewport.width, height: minViewport.height },
            maxResolution: { width: sensor.sensorWidth, height: sensor.sensorHeight },
            minBitRate: points[0]!.minBitRate,
            maxBitRate: points[0]!.minBitRate,
            keyFrameInterval: 4000,
        });
        return response.videoStreamId;
    }

    /** The first allocated audio stream, else a new one from MicrophoneCapabilities (usage = priorities[0]). */
    async allocateOneAudioStream(): Promise<number> {
        const featureMap = await this.readAvsm<{ audio?: boolean }>("featureMap");
        if (!featureMap.audio) throw new Error("AVSM Audio feature is not supported");
        const allocated = await this.allocatedAudioStreams();
        if (allocated.length > 0) return allocated[0]!.audioStreamId;
        const mic = await this.readAvsm<CameraAvStreamManagement.AudioCapabilities>("microphoneCapabilities");
        const priorities = await this.readAvsm<number[]>("streamUsagePriorities");
        if (priorities.length === 0) throw new Error("StreamUsagePriorities is empty");
        const response = await this.dut.streams.audioStreamAllocate({
            streamUsage: priorities[0]!,
            audioCodec: mic.supportedCodecs[0]!,
            channelCount: mic.maxNumberOfChannels,
            sampleRate: mic.supportedSampleRates[0]!,
            bitRate: 1024,
            bitDepth: mic.supportedBitDepths[0]!,
        });
        return response.audioStreamId;
    }

    /** Audio then video, as most TCs' preconditions do. */
    async allocateBoth(): Promise<{ video: number; audio: number }> {
        const audio = await this.allocateOneAudioStream();
        const video = await this.allocateOneVideoStream();
        return { video, audio };
    }

    // ── provider commands ──────────────────────────────────────────────────────────────────────

    /**
     * SolicitOffer (StreamUsage LiveView and OriginatingEndpointID = the TH's Requestor endpoint
     * unless given). A created session is registered with the TH's Requestor at once.
     */
    async solicitOffer(fields: Partial<SolicitOfferRequest>): Promise<Outcome<SolicitOfferResponse>> {
        const request = { streamUsage: StreamUsage.LiveView, originatingEndpointId: EndpointNumber(this.thEndpoint), ...fields };
        const outcome = await this.dut.solicitOffer(request);
        if (outcome.ok) {
            const r = outcome.value;
            await this.#track(r.webRtcSessionId, request, streamsOf(request, r));
        }
        return outcome;
    }

    /** ProvideOffer (null session id, LiveView, TH endpoint unless given); new sessions are registered. */
    async provideOffer(fields: Partial<ProvideOfferRequest> & { sdp: string }): Promise<Outcome<ProvideOfferResponse>> {
        const request = {
            webRtcSessionId: null,
            streamUsage: StreamUsage.LiveView,
            originatingEndpointId: EndpointNumber(this.thEndpoint),
            ...fields,
        };
        const outcome = await this.dut.provideOffer(request);
        if (outcome.ok) {
            const r = outcome.value;
            await this.#track(r.webRtcSessionId, request, streamsOf(request, r));
        }
        return outcome;
    }

    provideAnswer(id: number, sdp: string): Promise<Outcome<void>> {
        return this.dut.provideAnswer(id, sdp);
    }

    provideIceCandidates(id: number, candidates: { candidate: string; sdpMid: string | null; sdpmLineIndex: number | null }[]): Promise<Outcome<void>> {
        return this.dut.provideIceCandidates(id, candidates);
    }

    endSession(id: number, reason: number = EndReason.UserHangup): Promise<Outcome<void>> {
        return this.dut.endSession(id, reason);
    }

    videoStreamDeallocate(videoStreamId: number): Promise<Outcome<void>> {
        return outcomeOf(() => this.dut.streams.videoStreamDeallocate({ videoStreamId }));
    }

    audioStreamDeallocate(audioStreamId: number): Promise<Outcome<void>> {
        return outcomeOf(() => this.dut.streams.audioStreamDeallocate({ audioStreamId }));
    }

    /** What the DUT sent to the TH's Requestor endpoints (the main one and extras), in arrival order per endpoint. */
    get received(): Received[] {
        return [...this.th.received, ...this.#extraReceived];
    }

    /** Waits (bounded) for something the DUT sent to one of the TH's Requestor endpoints. */
    async waitFor(kind: Received["kind"], sessionId: number | undefined, timeoutMs = OFFER_BOUND_MS, extra: (r: Received) => boolean = () => true): Promise<Received> {
        const matches = (r: Received) => r.kind === kind && (sessionId === undefined || r.sessionId === sessionId) && extra(r);
        let hit: Received | undefined;
        await until(`${kind} for session ${sessionId ?? "any"}`, () => (hit = this.received.find(matches)) !== undefined, timeoutMs);
        return hit!;
    }

    /** Adds a Requestor endpoint with this number to the TH (TC 2.10 / 2.15 originate elsewhere than 1). */
    async requestorAt(number: number): Promise<Endpoint> {
        const existing = this.#requestors.get(number);
        if (existing !== undefined) return existing;
        const endpoint = await this.th.node.add(
            new Endpoint(CameraControllerDevice.with(WebRtcTransportRequestorServer), { id: `requestor-${number}`, number }),
        );
        // recorded like the main endpoint's (End is not: the stock server emits the removed row)
        const events = endpoint.eventsOf(WebRtcTransportRequestorServer);
        events.offer.on((session, request) => void this.#extraReceived.push({ kind: "offer", sessionId: session.id, sdp: request.sdp }));
        events.answer.on((session, sdp) => void this.#extraReceived.push({ kind: "answer", sessionId: session.id, sdp }));
        this.#requestors.set(number, endpoint);
        return endpoint;
    }

    async #track(id: number, request: { originatingEndpointId: number; streamUsage: number }, streams: { video: number[]; audio: number[] }): Promise<void> {
        const requestor = await this.requestorAt(request.originatingEndpointId);
        const { fabricIndex, nodeId } = this.dut.address;
        await requestor.act(agent =>
            agent.get(WebRtcTransportRequestorServer).upsertSession({
                id,
                peerNodeId: nodeId,
                peerEndpointId: EndpointNumber(DUT_ENDPOINT),
                streamUsage: request.streamUsage,
                metadataEnabled: false,
                ...(streams.video.length > 0 ? { videoStreams: streams.video } : {}),
                ...(streams.audio.length > 0 ? { audioStreams: streams.audio } : {}),
                // the Requestor's session struct needs one of the lists
                ...(streams.video.length === 0 && streams.audio.length === 0 ? { videoStreams: [0] } : {}),
                fabricIndex,
            }),
        );
    }

    // ── the TH's WebRTC peer (libdatachannel, as the SDK's LibdatachannelPeerConnection) ──────────

    /** A controller-side peer that receives H.264 + Opus; closed by `reset` / `close`. */
    newPeer(offerer = true): ControllerPeer {
        const peer = new ControllerPeer(
            offerer
                ? { videoPt: TH_VIDEO_PT, audioPt: TH_AUDIO_PT }
                : { videoPt: OFFER_FORMATS.video.payloadType, audioPt: OFFER_FORMATS.audio.payloadType },
        );
        this.#peers.push(peer);
        return peer;
    }

    /** A real libdatachannel offer (recvonly H.264 video + Opus audio) and the peer that made it. */
    async realOffer(): Promise<{ peer: ControllerPeer; sdp: string }> {
        const peer = this.newPeer(true);
        const sdp = await bounded("TH local offer", peer.createOffer(), 10_000);
        return { peer, sdp };
    }

    /** The TH peer's local candidates once gathering completed (bounded; at least one), as the SDK's `get_local_ice_candidates`. */
    async localCandidates(peer: ControllerPeer, timeoutMs = 5_000): Promise<{ candidate: string; mid: string }[]> {
        await until("TH ICE gathering", () => peer.pc.gatheringState() === "complete" || peer.localCandidates.length > 0, timeoutMs);
        // give the agent a moment to finish after the first candidate, bounded by the same deadline
        const deadline = Date.now() + 1_000;
        while (peer.pc.gatheringState() !== "complete" && Date.now() < deadline) await new Promise(r => setTimeout(r, 25));
        // ICECandidateStruct.Candidate carries the attribute value, without "a="
        return peer.localCandidates.map(c => ({ candidate: c.candidate.replace(/^a=/, ""), mid: c.mid }));
    }

    /**
     * The ICE exchange of the SDK's `_establish_session` after the Answer was applied: all TH
     * candidates in one ProvideICECandidates (SDPMid and SDPMLineIndex null), then the DUT's
     * ICECandidates (≥1) applied to the TH peer until it is connected. Returns the
     * ProvideICECandidates status and the DUT's first ICECandidates command.
     */
    async exchangeCandidates(peer: ControllerPeer, id: number): Promise<{ provideStatus: number; dutCandidates: Received }> {
        const candidates = await this.localCandidates(peer);
        const provide = await this.provideIceCandidates(
            id,
            candidates.map(c => ({ candidate: c.candidate, sdpMid: null, sdpmLineIndex: null })),
        );
        const dutCandidates = await this.waitFor("iceCandidates", id, OFFER_BOUND_MS, r => (r.candidates?.length ?? 0) > 0);
        return { provideStatus: statusOf(provide), dutCandidates };
    }

    /** Applies every ICECandidates batch the DUT sent for `id` to `peer` until it is connected (bounded). */
    async connect(peer: ControllerPeer, id: number, defaultMid: string, timeoutMs = 15_000): Promise<void> {
        let applied = 0;
        await until(
            `TH peer of session ${id} connected`,
            () => {
                const batches = this.th.received.filter(r => r.kind === "iceCandidates" && r.sessionId === id);
                for (const batch of batches.slice(applied)) {
                    for (const c of batch.candidates ?? []) peer.addRemoteCandidate(c.candidate, c.sdpMid ?? defaultMid);
                }
                applied = batches.length;
                return peer.state() === "connected";
            },
            timeoutMs,
        );
    }

    // ── between test cases ─────────────────────────────────────────────────────────────────────

    /** Back to a fresh CI app's state: no sessions, no streams, privacy off, priorities as commissioned, TH peers closed. */
    async reset(): Promise<void> {
        for (const peer of this.#peers.splice(0)) peer.close();
        await this.setHardPrivacyModeOn(false);
        for (const attribute of ["softLivestreamPrivacyModeEnabled", "softRecordingPrivacyModeEnabled"] as const) {
            if (await this.readAvsm<boolean>(attribute)) await this.writePrivacy(attribute, false);
        }
        for (const session of await this.currentSessions()) {
            const outcome = await this.endSession(session.id);
            // the DUT may have ended it itself meanwhile (End(OutOfResources) etc.)
            if (!outcome.ok && outcome.status !== Status.NotFound) throw new Error(`reset: EndSession(${session.id}) → 0x${outcome.status.toString(16)}`);
        }
        await until("CurrentSessions empty", async () => (await this.currentSessions()).length === 0, 10_000);
        for (const s of await this.allocatedVideoStreams()) {
            const outcome = await this.videoStreamDeallocate(s.videoStreamId);
            if (!outcome.ok) throw new Error(`reset: VideoStreamDeallocate(${s.videoStreamId}) → 0x${outcome.status.toString(16)}`);
        }
        for (const s of await this.allocatedAudioStreams()) {
            const outcome = await this.audioStreamDeallocate(s.audioStreamId);
            if (!outcome.ok) throw new Error(`reset: AudioStreamDeallocate(${s.audioStreamId}) → 0x${outcome.status.toString(16)}`);
        }
        for (const s of await this.readAvsm<CameraAvStreamManagement.SnapshotStream[]>("allocatedSnapshotStreams")) {
            const outcome = await this.dut.snapshotStreamDeallocate(s.snapshotStreamId);
            if (!outcome.ok) throw new Error(`reset: SnapshotStreamDeallocate(${s.snapshotStreamId}) → 0x${outcome.status.toString(16)}`);
        }
        const priorities = await this.readAvsm<number[]>("streamUsagePriorities");
        if (priorities.join() !== this.#initialPriorities.join()) {
            await this.dut.streams.setStreamPriorities({ streamPriorities: [...this.#initialPriorities] });
        }
        for (const requestor of this.#requestors.values()) {
            await requestor.act(agent => {
                const server = agent.get(WebRtcTransportRequestorServer);
                if (server.state.currentSessions.length > 0) server.state.currentSessions = [];
            });
        }
        this.th.received.length = 0;
        this.#extraReceived.length = 0;
    }

    /**
     * The SDK's `request_device_reboot`: the DUT's process restarts (same storage, same port), the
     * TH expires its sessions with the DUT (the old process took its end of them along) and waits,
     * bounded, until a read over a new CASE session succeeds. WebRTC sessions and the TH's peers
     * are gone with the old process.
     */
    async restart(timeoutMs = 30_000): Promise<void> {
        for (const peer of this.#peers.splice(0)) peer.close();
        await this.rig.restart();
        await this.th.node.env.get(SessionManager).handlePeerShutdown(PeerAddress(this.dut.address));
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            try {
                await bounded("read after restart", this.readAvsm<number>("featureMap"), 10_000);
                return;
            } catch (error) {
                if (Date.now() > deadline) throw new Error(`the DUT is not reachable ${timeoutMs} ms after its restart: ${String(error)}`);
                await new Promise(resolve => setTimeout(resolve, 250));
            }
        }
    }

    /**
     * Ends what the last TC left (best effort, so no outbound send is cut by the shutdown), then
     * closes the TH peers, the DUT (first: closed after its controller it would wait out its
     * sessions) and the TH.
     */
    async close(): Promise<void> {
        await bounded("final reset", this.reset(), 10_000).catch(() => undefined);
        for (const peer of this.#peers.splice(0)) peer.close();
        await this.rig.close().catch(() => undefined);
    }
}

/** The stream ids a session uses, from the response (scalars) or the request (lists / scalars). */
function streamsOf(
    request: { videoStreamId?: number | null; audioStreamId?: number | null; videoStreams?: number[]; audioStreams?: number[] },
    response: { videoStreamId?: number | null; audioStreamId?: number | null },
): { video: number[]; audio: number[] } {
    const pick = (scalar: number | null | undefined, requested: number | null | undefined, list: number[] | undefined): number[] => {
        if (typeof scalar === "number") return [scalar];
        if (typeof requested === "number") return [requested];
        return list ? [...new Set(list)] : [];
    };
    return {
        video: pick(response.videoStreamId, request.videoStreamId, request.videoStreams),
        audio: pick(response.audioStreamId, request.audioStreamId, request.audioStreams),
    };
}

async function outcomeOf<T>(run: () => Promise<T>): Promise<Outcome<T>> {
    try {
        return { ok: true, value: await run() };
    } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === "number") return { ok: false, status: code };
        throw error;
    }
}
