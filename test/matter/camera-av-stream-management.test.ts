/**
 * CameraAvStreamServer on a real matter.js ServerNode, in process: a simulated network, mock crypto
 * and memory storage; commands are invoked on the behavior through `endpoint.act`.
 */

import { readFile } from "node:fs/promises";
import {
    Bytes,
    Crypto,
    Endpoint,
    Entropy,
    Environment,
    LogDestination,
    Logger,
    LogLevel,
    MockCrypto,
    MockStorageService,
    MutableEndpoint,
    Network,
    NetworkSimulator,
    ServerNode,
    SupportedBehaviors,
    type MaybePromise,
} from "@matter/main";
import { TimeSynchronizationServer } from "@matter/main/behaviors/time-synchronization";
import { CameraAvStreamManagement } from "@matter/main/clusters/camera-av-stream-management";
import { Status, StatusResponseError, StreamUsage } from "@matter/main/types";
import { afterEach, describe, expect, it } from "vitest";
import type { StreamContext } from "../../src/engine/core.js";
import { StreamKind } from "../../src/engine/types.js";
import { CameraAvStreamServer, type SnapshotSource } from "../../src/matter/camera-av-stream-management.js";
import { snapshotFixtureJpeg } from "../../src/matter/fixtures/snapshot-jpeg.js";
import { liveAudioRequest, liveVideoRequest } from "../support/stream-requests.js";

const { VideoCodec, AudioCodec, ImageCodec } = CameraAvStreamManagement;

/** Camera device type 0x142 with only this cluster (CameraDevice would also require the WebRTC provider). */
function cameraType(behavior: SupportedBehaviors.List[number]) {
    return MutableEndpoint({
        name: "TestCamera",
        deviceType: 0x142,
        deviceRevision: 1,
        requirements: {},
        behaviors: SupportedBehaviors(behavior),
    });
}

// Warnings and errors only (matter.js logs every step of a node's life at INFO/DEBUG), and a copy
// of them to check that the node raised no validation error for this cluster.
Logger.level = LogLevel.WARN;
const warnings: string[] = [];
Logger.destinations.avsmTest = LogDestination({ level: LogLevel.WARN, write: (text: string) => warnings.push(text) });

// the certification steps' view: lists start empty (the default mode's stream 0 is tested below)
const Certification = CameraAvStreamServer.set({ defaultStreams: false });
const Overlays = CameraAvStreamServer.with("Video", "Audio", "Snapshot", "Privacy", "Watermark", "OnScreenDisplay").set({ defaultStreams: false });

let node: ServerNode | undefined;
let hostByte = 0x10;

afterEach(async () => {
    await node?.close();
    node = undefined;
});

interface Harness {
    node: ServerNode;
    camera: Endpoint;
    /** Runs `fn` on the behavior in a fresh transaction (committed when it returns). */
    invoke<T>(fn: (server: CameraAvStreamServer) => MaybePromise<T>): Promise<T>;
    /** Every StreamContext emitted since the harness started. */
    contexts: StreamContext[];
    /** Waits (bounded) until an emitted context satisfies `predicate`. */
    waitForContext(predicate: (context: StreamContext) => boolean, timeoutMs?: number): Promise<StreamContext>;
}

function testEnvironment(): Environment {
    const environment = new Environment(`avsm-${hostByte}`);
    const crypto = MockCrypto();
    environment.set(Entropy, crypto);
    environment.set(Crypto, crypto);
    new MockStorageService(environment);
    environment.set(Network, new NetworkSimulator().addHost(hostByte++));
    return environment;
}

type CameraBehavior = typeof CameraAvStreamServer | typeof Overlays;

async function start(
    options: { behavior?: CameraBehavior; timeSync?: boolean; environment?: Environment } = {},
): Promise<Harness> {
    const environment = options.environment ?? testEnvironment();
    const root = options.timeSync ? ServerNode.RootEndpoint.with(TimeSynchronizationServer) : ServerNode.RootEndpoint;
    const serverNode = new ServerNode(root, { environment, id: "camera-node" });
    node = serverNode;
    const behavior = options.behavior ?? Certification;
    const camera = await serverNode.add(new Endpoint(cameraType(behavior), { id: "camera" }));
    await serverNode.start();

    const contexts: StreamContext[] = [];
    const waiters = new Set<() => void>();
    camera.eventsOf(CameraAvStreamServer).streamContextChanged.on(context => {
        contexts.push(context);
        for (const wake of [...waiters]) wake();
    });

    return {
        node: serverNode,
        camera,
        // async: Endpoint.act throws synchronously when a synchronous actor throws.
        invoke: async fn => camera.act(agent => fn(agent.get(CameraAvStreamServer))),
        contexts,
        waitForContext(predicate, timeoutMs = 2000) {
            const found = () => contexts.find(predicate);
            const already = found();
            if (already !== undefined) return Promise.resolve(already);
            return new Promise((resolve, reject) => {
                const wake = () => {
                    const context = found();
                    if (context === undefined) return;
                    clearTimeout(timer);
                    waiters.delete(wake);
                    resolve(context);
                };
                const timer = setTimeout(() => {
                    waiters.delete(wake);
                    reject(new Error(`no matching StreamContext within ${timeoutMs} ms: ${JSON.stringify(contexts)}`));
                }, timeoutMs);
                waiters.add(wake);
            });
        },
    };
}

/** The global attributes of the cluster (not part of the typed state of a ClusterBehavior). */
interface GlobalAttributes {
    featureMap: Record<string, boolean>;
    attributeList: readonly number[];
    acceptedCommandList: readonly number[];
    generatedCommandList: readonly number[];
}

function globalsOf(camera: Endpoint): GlobalAttributes {
    return camera.stateOf(CameraAvStreamServer) as unknown as GlobalAttributes;
}

/** The status a command failed with, or "success". */
async function statusOf(promise: Promise<unknown>): Promise<Status | "success"> {
    try {
        await promise;
        return "success";
    } catch (error) {
        if (error instanceof StatusResponseError) return error.code;
        throw error;
    }
}

function snapshotRequest(
    overrides: Partial<CameraAvStreamManagement.SnapshotStreamAllocateRequest> = {},
): CameraAvStreamManagement.SnapshotStreamAllocateRequest {
    return {
        imageCodec: ImageCodec.Jpeg,
        maxFrameRate: 5,
        minResolution: { width: 320, height: 240 },
        maxResolution: { width: 640, height: 480 },
        quality: 80,
        ...overrides,
    };
}

describe("CameraAvStreamServer on a ServerNode", () => {
    it("starts with the capabilities the WebRTC provider tests read", async () => {
        warnings.length = 0;
        const { camera } = await start();
        // matter.js validates the cluster's state and commands at startup and logs what fails.
        expect(warnings.filter(w => /cameraAvStream|CameraAvStream/.test(w))).toEqual([]);
        const state = camera.stateOf(CameraAvStreamServer);
        const globals = globalsOf(camera);
        expect(globals.featureMap).toMatchObject({ audio: true, video: true, snapshot: true, privacy: true });
        expect(state.videoSensorParams).toMatchObject({ sensorWidth: 640, sensorHeight: 480, maxFps: 30 });
        expect(state.minViewportResolution).toEqual({ width: 320, height: 240 });
        expect(state.rateDistortionTradeOffPoints[0]).toMatchObject({ codec: VideoCodec.H264 });
        expect(state.microphoneCapabilities).toEqual({
            maxNumberOfChannels: 1,
            supportedCodecs: [AudioCodec.Opus],
            supportedSampleRates: [48_000],
            supportedBitDepths: [16],
        });
        // the sensor's size and the thumbnail sizes real controllers allocate (640x480..1920x1080, 1920x1080)
        expect(state.snapshotCapabilities).toEqual(
            [
                { width: 640, height: 480 },
                { width: 1280, height: 720 },
                { width: 1920, height: 1080 },
            ].map(resolution => ({ resolution, maxFrameRate: 10, imageCodec: ImageCodec.Jpeg, requiresEncodedPixels: false })),
        );
        expect(state.supportedStreamUsages).toEqual([StreamUsage.LiveView, StreamUsage.Recording]);
        expect(state.streamUsagePriorities).toEqual([StreamUsage.LiveView, StreamUsage.Recording]);
        expect(state.hardPrivacyModeOn).toBe(false);
        expect(state.softLivestreamPrivacyModeEnabled).toBe(false);
        expect(state.softRecordingPrivacyModeEnabled).toBe(false);
        expect(state.allocatedVideoStreams).toEqual([]);

        // Attribute ids present on the wire (HardPrivacyModeOn 21 included, no Speaker/NightVision/HDR).
        const attributes = [...globals.attributeList];
        for (const id of [0, 1, 2, 4, 5, 6, 7, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 24, 29, 30, 31, 32]) {
            expect(attributes).toContain(id);
        }
        for (const id of [3, 8, 9, 13, 22, 25]) expect(attributes).not.toContain(id);

        // Commands: the Modify commands need Watermark or OnScreenDisplay, so they are absent here.
        const accepted = [...globals.acceptedCommandList].sort((a, b) => a - b);
        expect(accepted).toEqual([0, 2, 3, 6, 7, 10, 11, 12]);
        expect([...globals.generatedCommandList].sort((a, b) => a - b)).toEqual([1, 4, 8, 13]);
    });

    it("accepts the allocations TC_WEBRTCPTestBase derives from the capabilities", async () => {
        const { camera, invoke } = await start();
        const state = camera.stateOf(CameraAvStreamServer);
        expect(state.streamUsagePriorities).toContain(StreamUsage.LiveView);
        const point = state.rateDistortionTradeOffPoints[0]!;
        const video = await invoke(s =>
            s.videoStreamAllocate({
                streamUsage: StreamUsage.LiveView,
                videoCodec: point.codec,
                minFrameRate: 30,
                maxFrameRate: state.videoSensorParams.maxFps,
                minResolution: { ...state.minViewportResolution },
                maxResolution: {
                    width: state.videoSensorParams.sensorWidth,
                    height: state.videoSensorParams.sensorHeight,
                },
                minBitRate: point.minBitRate,
                maxBitRate: point.minBitRate,
                keyFrameInterval: 4000,
            }),
        );
        const mic = state.microphoneCapabilities;
        const audio = await invoke(s =>
            s.audioStreamAllocate({
                streamUsage: StreamUsage.LiveView,
                audioCodec: mic.supportedCodecs[0]!,
                channelCount: mic.maxNumberOfChannels,
                sampleRate: mic.supportedSampleRates[0]!,
                bitRate: 1024,
                bitDepth: mic.supportedBitDepths[0]!,
            }),
        );
        const after = camera.stateOf(CameraAvStreamServer);
        expect(after.allocatedVideoStreams.map(s => s.videoStreamId)).toEqual([video.videoStreamId]);
        expect(after.allocatedAudioStreams.map(s => s.audioStreamId)).toEqual([audio.audioStreamId]);
    });

    it("allocates, reuses and deallocates video streams", async () => {
        const { camera, invoke } = await start();

        const first = await invoke(s => s.videoStreamAllocate(liveVideoRequest()));
        expect(first.videoStreamId).toBe(0);
        const again = await invoke(s => s.videoStreamAllocate(liveVideoRequest()));
        expect(again.videoStreamId).toBe(first.videoStreamId); // identical request: the stream is reused

        const recording = await invoke(s =>
            s.videoStreamAllocate(liveVideoRequest({ streamUsage: StreamUsage.Recording })),
        );
        expect(recording.videoStreamId).toBe(1);

        const streams = camera.stateOf(CameraAvStreamServer).allocatedVideoStreams;
        expect(streams).toHaveLength(2);
        expect(streams[0]).toMatchObject({
            videoStreamId: 0,
            streamUsage: StreamUsage.LiveView,
            videoCodec: VideoCodec.H264,
            minResolution: { width: 320, height: 240 },
            maxResolution: { width: 640, height: 480 },
            keyFrameInterval: 4000,
            referenceCount: 0,
        });
        expect(streams[0]!.watermarkEnabled).toBeUndefined(); // no Watermark feature
        expect(streams[0]!.osdEnabled).toBeUndefined();

        expect(await statusOf(invoke(s => s.videoStreamDeallocate({ videoStreamId: 0 })))).toBe("success");
        expect(await statusOf(invoke(s => s.videoStreamDeallocate({ videoStreamId: 0 })))).toBe(Status.NotFound);
        expect(camera.stateOf(CameraAvStreamServer).allocatedVideoStreams.map(s => s.videoStreamId)).toEqual([1]);

        // Ids keep increasing after a deallocation.
        const next = await invoke(s => s.videoStreamAllocate(liveVideoRequest()));
        expect(next.videoStreamId).toBe(2);
    });

    it("refuses bad video allocations with the reference's statuses", async () => {
        const { camera, invoke } = await start();
        const allocate = (overrides: Partial<CameraAvStreamManagement.VideoStreamAllocateRequest>) =>
            statusOf(invoke(s => s.videoStreamAllocate(liveVideoRequest(overrides))));

        expect(await allocate({ streamUsage: StreamUsage.Internal })).toBe(Status.ConstraintError);
        expect(await allocate({ videoCodec: 9 as CameraAvStreamManagement.VideoCodec })).toBe(Status.ConstraintError);
        expect(await allocate({ minFrameRate: 31 })).toBe(Status.ConstraintError);
        expect(await allocate({ minResolution: { width: 800, height: 600 } })).toBe(Status.ConstraintError);
        expect(await allocate({ minBitRate: 400_000 })).toBe(Status.ConstraintError);
        expect(await allocate({ keyFrameInterval: 65501 })).toBe(Status.ConstraintError);
        expect(await allocate({ watermarkEnabled: true })).toBe(Status.InvalidCommand); // no Watermark feature
        // Analysis is not in StreamUsagePriorities.
        expect(await allocate({ streamUsage: StreamUsage.Analysis })).toBe(Status.InvalidInState);
        // Allowed by the data model but not producible by this camera.
        expect(await allocate({ videoCodec: VideoCodec.Av1 })).toBe(Status.DynamicConstraintError);
        expect(await allocate({ minFrameRate: 60, maxFrameRate: 60 })).toBe(Status.DynamicConstraintError);
        // a range reaching above the sensor's MaxFPS (TC_AVSM_2_7 step 25)
        expect(await allocate({ maxFrameRate: 40 })).toBe(Status.DynamicConstraintError);
        const hd = { minResolution: { width: 1280, height: 720 }, maxResolution: { width: 1920, height: 1080 } };
        expect(await allocate(hd)).toBe(Status.DynamicConstraintError);
        expect(camera.stateOf(CameraAvStreamServer).allocatedVideoStreams).toEqual([]);

        // Four encoders; the fifth distinct stream is RESOURCE_EXHAUSTED.
        for (let i = 0; i < 4; i++) {
            expect(await allocate({ keyFrameInterval: 1000 + i })).toBe("success");
        }
        expect(await allocate({ keyFrameInterval: 2000 })).toBe(Status.ResourceExhausted);
        // An identical request still reuses.
        expect(await allocate({ keyFrameInterval: 1000 })).toBe("success");
    });

    it("modifies video and snapshot streams when Watermark and OnScreenDisplay are supported", async () => {
        const { camera, invoke } = await start({ behavior: Overlays });
        const globals = globalsOf(camera);
        expect(globals.featureMap).toMatchObject({ watermark: true, onScreenDisplay: true });
        expect([...globals.acceptedCommandList].sort((a, b) => a - b)).toEqual([0, 2, 3, 5, 6, 7, 9, 10, 11, 12]);

        // With the features, both flags are mandatory in the allocation.
        expect(await statusOf(invoke(s => s.videoStreamAllocate(liveVideoRequest())))).toBe(Status.InvalidCommand);
        const { videoStreamId } = await invoke(s =>
            s.videoStreamAllocate(liveVideoRequest({ watermarkEnabled: false, osdEnabled: false })),
        );
        const modify = (request: CameraAvStreamManagement.VideoStreamModifyRequest) =>
            statusOf(invoke(s => s.videoStreamModify(request)));
        expect(await modify({ videoStreamId })).toBe(Status.InvalidCommand);
        expect(await modify({ videoStreamId: 99, osdEnabled: true })).toBe(Status.NotFound);
        expect(await modify({ videoStreamId, osdEnabled: true })).toBe("success");
        expect(camera.stateOf(CameraAvStreamServer).allocatedVideoStreams[0]).toMatchObject({
            watermarkEnabled: false,
            osdEnabled: true,
        });
        expect(await modify({ videoStreamId, watermarkEnabled: true })).toBe("success");
        expect(camera.stateOf(CameraAvStreamServer).allocatedVideoStreams[0]).toMatchObject({
            watermarkEnabled: true,
            osdEnabled: true,
        });

        const { snapshotStreamId } = await invoke(s =>
            s.snapshotStreamAllocate(snapshotRequest({ watermarkEnabled: true, osdEnabled: false })),
        );
        expect(await statusOf(invoke(s => s.snapshotStreamModify({ snapshotStreamId, osdEnabled: true })))).toBe(
            "success",
        );
        expect(camera.stateOf(CameraAvStreamServer).allocatedSnapshotStreams[0]).toMatchObject({
            watermarkEnabled: true,
            osdEnabled: true,
        });
        expect(await statusOf(invoke(s => s.snapshotStreamModify({ snapshotStreamId: 42, osdEnabled: true })))).toBe(
            Status.NotFound,
        );
        expect(await statusOf(invoke(s => s.snapshotStreamModify({ snapshotStreamId })))).toBe(Status.InvalidCommand);
    });

    it("allocates, reuses and deallocates audio streams", async () => {
        const { camera, invoke } = await start();
        const first = await invoke(s => s.audioStreamAllocate(liveAudioRequest()));
        expect(first.audioStreamId).toBe(0);
        expect((await invoke(s => s.audioStreamAllocate(liveAudioRequest()))).audioStreamId).toBe(0);
        expect(camera.stateOf(CameraAvStreamServer).allocatedAudioStreams).toEqual([
            {
                audioStreamId: 0,
                streamUsage: StreamUsage.LiveView,
                audioCodec: AudioCodec.Opus,
                channelCount: 1,
                sampleRate: 48_000,
                bitRate: 1024,
                bitDepth: 16,
                referenceCount: 0,
            },
        ]);

        const allocate = (overrides: Partial<CameraAvStreamManagement.AudioStreamAllocateRequest>) =>
            statusOf(invoke(s => s.audioStreamAllocate(liveAudioRequest(overrides))));
        expect(await allocate({ channelCount: 9 })).toBe(Status.ConstraintError);
        expect(await allocate({ bitDepth: 12 })).toBe(Status.ConstraintError);
        expect(await allocate({ sampleRate: 0 })).toBe(Status.ConstraintError);
        expect(await allocate({ streamUsage: StreamUsage.Analysis })).toBe(Status.InvalidInState);
        expect(await allocate({ channelCount: 2 })).toBe(Status.DynamicConstraintError);
        expect(await allocate({ sampleRate: 16_000 })).toBe(Status.DynamicConstraintError);
        expect(await allocate({ audioCodec: AudioCodec.AacLc })).toBe(Status.DynamicConstraintError);

        const recording = await invoke(s =>
            s.audioStreamAllocate(liveAudioRequest({ streamUsage: StreamUsage.Recording })),
        );
        expect(recording.audioStreamId).toBe(1);
        expect(await statusOf(invoke(s => s.audioStreamDeallocate({ audioStreamId: 0 })))).toBe("success");
        expect(await statusOf(invoke(s => s.audioStreamDeallocate({ audioStreamId: 0 })))).toBe(Status.NotFound);
        expect(camera.stateOf(CameraAvStreamServer).allocatedAudioStreams.map(s => s.audioStreamId)).toEqual([1]);
    });

    it("allocates, reuses and deallocates snapshot streams and captures a JPEG", async () => {
        const { camera, invoke } = await start();

        // No snapshot stream yet: NOT_FOUND.
        const capture = (snapshotStreamId: number | null) =>
            invoke(s => s.captureSnapshot({ snapshotStreamId, requestedResolution: { width: 640, height: 480 } }));
        expect(await statusOf(capture(null))).toBe(Status.NotFound);

        const { snapshotStreamId } = await invoke(s => s.snapshotStreamAllocate(snapshotRequest()));
        expect(snapshotStreamId).toBe(0);
        expect((await invoke(s => s.snapshotStreamAllocate(snapshotRequest()))).snapshotStreamId).toBe(0);
        expect(camera.stateOf(CameraAvStreamServer).allocatedSnapshotStreams).toEqual([
            {
                snapshotStreamId: 0,
                imageCodec: ImageCodec.Jpeg,
                frameRate: 5,
                minResolution: { width: 320, height: 240 },
                maxResolution: { width: 640, height: 480 },
                quality: 80,
                referenceCount: 0,
                encodedPixels: false,
                hardwareEncoder: false,
            },
        ]);

        const allocate = (overrides: Partial<CameraAvStreamManagement.SnapshotStreamAllocateRequest>) =>
            statusOf(invoke(s => s.snapshotStreamAllocate(snapshotRequest(overrides))));
        expect(await allocate({ quality: 0 })).toBe(Status.ConstraintError);
        expect(await allocate({ maxFrameRate: 0 })).toBe(Status.ConstraintError);
        expect(await allocate({ osdEnabled: true })).toBe(Status.InvalidCommand);
        expect(await allocate({ imageCodec: ImageCodec.Heic })).toBe(Status.DynamicConstraintError);
        expect(await allocate({ maxFrameRate: 30 })).toBe(Status.DynamicConstraintError);
        expect(await allocate({ maxResolution: { width: 320, height: 240 } })).toBe(Status.DynamicConstraintError);

        for (const id of [null, snapshotStreamId]) {
            const response = await capture(id);
            expect(response.imageCodec).toBe(ImageCodec.Jpeg);
            expect(response.resolution).toEqual({ width: 640, height: 480 });
            const data = Bytes.of(response.data);
            expect([...data.subarray(0, 2)]).toEqual([0xff, 0xd8]); // SOI
            expect([...data.subarray(-2)]).toEqual([0xff, 0xd9]); // EOI
            expect(data.length).toBeGreaterThan(1000);
        }
        expect(await statusOf(capture(7))).toBe(Status.NotFound);
        const tiny = { snapshotStreamId: null, requestedResolution: { width: 0, height: 1 } };
        expect(await statusOf(invoke(s => s.captureSnapshot(tiny)))).toBe(Status.ConstraintError);

        // Live-view privacy and hard privacy refuse snapshots.
        await camera.setStateOf(CameraAvStreamServer, { softLivestreamPrivacyModeEnabled: true });
        expect(await statusOf(capture(null))).toBe(Status.InvalidInState);
        await camera.setStateOf(CameraAvStreamServer, { softLivestreamPrivacyModeEnabled: false });
        await invoke(s => s.setHardPrivacyModeOn(true));
        expect(await statusOf(capture(null))).toBe(Status.InvalidInState);
        await invoke(s => s.setHardPrivacyModeOn(false));

        // An installed source replaces the fixture.
        const frame = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
        const source: SnapshotSource = ({ requestedResolution }) => ({
            data: frame,
            width: requestedResolution.width / 2,
            height: requestedResolution.height / 2,
        });
        await invoke(s => s.setSnapshotSource(source));
        const live = await capture(null);
        expect([...Bytes.of(live.data)]).toEqual([...frame]);
        expect(live.resolution).toEqual({ width: 320, height: 240 });
        await invoke(s =>
            s.setSnapshotSource(() => {
                throw new Error("camera unplugged");
            }),
        );
        expect(await statusOf(capture(null))).toBe(Status.Failure);

        expect(await statusOf(invoke(s => s.snapshotStreamDeallocate({ snapshotStreamId })))).toBe("success");
        expect(await statusOf(invoke(s => s.snapshotStreamDeallocate({ snapshotStreamId })))).toBe(Status.NotFound);
        expect(camera.stateOf(CameraAvStreamServer).allocatedSnapshotStreams).toEqual([]);
    });

    it("asks the snapshot source for the requested resolution clamped into the stream's range", async () => {
        const { invoke } = await start();
        const asked: { width: number; height: number }[] = [];
        await invoke(s =>
            s.setSnapshotSource(({ requestedResolution }) => {
                asked.push(requestedResolution);
                return { data: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), ...requestedResolution };
            }),
        );
        // SmartThings' thumbnail stream, then Home Assistant's exact 1920x1080 one
        const wide = await invoke(s =>
            s.snapshotStreamAllocate(
                snapshotRequest({ maxFrameRate: 10, quality: 90, minResolution: { width: 640, height: 480 }, maxResolution: { width: 1920, height: 1080 } }),
            ),
        );
        const exact = await invoke(s =>
            s.snapshotStreamAllocate(
                snapshotRequest({ maxFrameRate: 10, quality: 90, minResolution: { width: 1920, height: 1080 }, maxResolution: { width: 1920, height: 1080 } }),
            ),
        );
        const capture = (snapshotStreamId: number, width: number, height: number) =>
            invoke(s => s.captureSnapshot({ snapshotStreamId, requestedResolution: { width, height } }));
        expect((await capture(wide.snapshotStreamId, 1920, 1080)).resolution).toEqual({ width: 1920, height: 1080 });
        expect((await capture(wide.snapshotStreamId, 3840, 2160)).resolution).toEqual({ width: 1920, height: 1080 });
        expect((await capture(wide.snapshotStreamId, 100, 100)).resolution).toEqual({ width: 640, height: 480 });
        expect((await capture(wide.snapshotStreamId, 800, 100)).resolution).toEqual({ width: 800, height: 480 });
        expect((await capture(exact.snapshotStreamId, 640, 480)).resolution).toEqual({ width: 1920, height: 1080 });
        expect(asked).toEqual([
            { width: 1920, height: 1080 },
            { width: 1920, height: 1080 },
            { width: 640, height: 480 },
            { width: 800, height: 480 },
            { width: 1920, height: 1080 },
        ]);
    });

    it("lowers the JPEG quality until the snapshot fits the response, then gives up with RESOURCE_EXHAUSTED", async () => {
        const { invoke } = await start();
        const asked: { quality: number; maxBytes: number }[] = [];
        let bytesPerQuality = 20_000;
        await invoke(s =>
            s.setSnapshotSource(({ requestedResolution, quality, maxBytes }) => {
                asked.push({ quality, maxBytes });
                return { data: new Uint8Array(quality * bytesPerQuality), ...requestedResolution };
            }),
        );
        const { snapshotStreamId } = await invoke(s => s.snapshotStreamAllocate(snapshotRequest({ quality: 90 })));
        const capture = () => invoke(s => s.captureSnapshot({ snapshotStreamId, requestedResolution: { width: 640, height: 480 } }));
        // 90 → 1.8 MB, 60 → 1.2 MB, 40 → 800 kB: fits the 1 MiB - 100 of a local call
        expect((await capture()).data.byteLength).toBe(40 * 20_000);
        expect(asked.map(a => a.quality)).toEqual([90, 60, 40]);
        expect(asked.every(a => a.maxBytes === 1024 * 1024 - 100)).toBe(true);
        asked.length = 0;
        bytesPerQuality = 1_000_000;
        expect(await statusOf(capture())).toBe(Status.ResourceExhausted);
        expect(asked.map(a => a.quality)).toEqual([90, 60, 40, 26]);
    });

    it("keeps default video and audio stream 0 when asked to (the camera's default mode)", async () => {
        const environment = testEnvironment();
        const Defaults = CameraAvStreamServer.set({ defaultStreams: true });
        const first = await start({ behavior: Defaults, environment });
        let state = first.camera.stateOf(CameraAvStreamServer);
        expect(state.allocatedVideoStreams).toEqual([
            {
                videoStreamId: 0,
                streamUsage: StreamUsage.LiveView,
                videoCodec: VideoCodec.H264,
                minFrameRate: 15,
                maxFrameRate: 30,
                minResolution: { width: 320, height: 240 },
                maxResolution: { width: 640, height: 480 },
                minBitRate: 100_000,
                maxBitRate: 2_000_000,
                keyFrameInterval: 1000,
                referenceCount: 0,
            },
        ]);
        expect(state.allocatedAudioStreams).toEqual([
            { audioStreamId: 0, streamUsage: StreamUsage.LiveView, audioCodec: AudioCodec.Opus, channelCount: 1, sampleRate: 48_000, bitRate: 32_000, bitDepth: 16, referenceCount: 0 },
        ]);
        expect(state.allocatedSnapshotStreams).toEqual([]);
        expect(await first.invoke(s => s.streamContext())).toMatchObject({
            videoStreams: [{ id: 0, usage: StreamUsage.LiveView }],
            audioStreams: [{ id: 0, usage: StreamUsage.LiveView }],
        });

        // another allocation gets the next id; deallocating stream 0 brings it back at once
        const { videoStreamId } = await first.invoke(s => s.videoStreamAllocate(liveVideoRequest()));
        expect(videoStreamId).toBe(1);
        expect(await statusOf(first.invoke(s => s.videoStreamDeallocate({ videoStreamId: 0 })))).toBe("success");
        expect(await statusOf(first.invoke(s => s.audioStreamDeallocate({ audioStreamId: 0 })))).toBe("success");
        state = first.camera.stateOf(CameraAvStreamServer);
        expect(state.allocatedVideoStreams.map(s => s.videoStreamId)).toEqual([0, 1]);
        expect(state.allocatedAudioStreams.map(s => s.audioStreamId)).toEqual([0]);
        // in use, stream 0 is refused like any other
        await first.invoke(s => s.setReferenceCounts([{ kind: StreamKind.Video, streamId: 0, references: 1 }]));
        expect(await statusOf(first.invoke(s => s.videoStreamDeallocate({ videoStreamId: 0 })))).toBe(Status.InvalidInState);
        await first.node.close();
        node = undefined;

        // persisted: the same streams after a restart, unused
        const second = await start({ behavior: Defaults, environment });
        state = second.camera.stateOf(CameraAvStreamServer);
        expect(state.allocatedVideoStreams.map(s => [s.videoStreamId, s.referenceCount])).toEqual([[0, 0], [1, 0]]);
        expect(state.allocatedAudioStreams.map(s => s.audioStreamId)).toEqual([0]);
        await second.node.close();
        node = undefined;

        // certification mode (the flag off) on the same storage keeps what is there and adds nothing
        const third = await start({ environment });
        expect(third.camera.stateOf(CameraAvStreamServer).allocatedVideoStreams.map(s => s.videoStreamId)).toEqual([0, 1]);
    });

    it("keeps the embedded JPEG fixture identical to the committed .jpg", async () => {
        const file = await readFile(new URL("../../src/matter/fixtures/snapshot-640x480.jpg", import.meta.url));
        expect(Buffer.from(snapshotFixtureJpeg()).equals(file)).toBe(true);
    });

    it("validates SetStreamPriorities", async () => {
        const { camera, invoke, waitForContext } = await start();
        const set = (streamPriorities: StreamUsage[]) =>
            statusOf(invoke(s => s.setStreamPriorities({ streamPriorities })));

        expect(await set([StreamUsage.LiveView, StreamUsage.Analysis])).toBe(Status.DynamicConstraintError);
        expect(await set([StreamUsage.Internal])).toBe(Status.DynamicConstraintError);
        expect(await set([StreamUsage.LiveView, StreamUsage.LiveView])).toBe(Status.AlreadyExists);
        expect(await set([7 as StreamUsage])).toBe(Status.InvalidCommand);
        expect(camera.stateOf(CameraAvStreamServer).streamUsagePriorities).toEqual([
            StreamUsage.LiveView,
            StreamUsage.Recording,
        ]);

        expect(await set([StreamUsage.Recording, StreamUsage.LiveView])).toBe("success");
        expect(camera.stateOf(CameraAvStreamServer).streamUsagePriorities).toEqual([
            StreamUsage.Recording,
            StreamUsage.LiveView,
        ]);
        const context = await waitForContext(c => c.streamUsagePriorities[0] === StreamUsage.Recording);
        expect(context.streamUsagePriorities).toEqual([StreamUsage.Recording, StreamUsage.LiveView]);

        // Not while streams are allocated.
        await invoke(s => s.audioStreamAllocate(liveAudioRequest()));
        expect(await set([StreamUsage.LiveView, StreamUsage.Recording])).toBe(Status.InvalidInState);
        await invoke(s => s.audioStreamDeallocate({ audioStreamId: 0 }));
        await invoke(s => s.snapshotStreamAllocate(snapshotRequest()));
        expect(await set([StreamUsage.LiveView, StreamUsage.Recording])).toBe(Status.InvalidInState);
    });

    it("refuses to deallocate streams in use until the reference counts drop", async () => {
        const { camera, invoke } = await start();
        const { videoStreamId } = await invoke(s => s.videoStreamAllocate(liveVideoRequest()));
        const { audioStreamId } = await invoke(s => s.audioStreamAllocate(liveAudioRequest()));

        const changed = await invoke(s =>
            s.setReferenceCounts([
                { kind: StreamKind.Video, streamId: videoStreamId, references: 1 },
                { kind: StreamKind.Audio, streamId: audioStreamId, references: 2 },
                { kind: StreamKind.Video, streamId: 999, references: 5 }, // not allocated: ignored
            ]),
        );
        expect(changed).toBe(true);
        let state = camera.stateOf(CameraAvStreamServer);
        expect(state.allocatedVideoStreams[0]!.referenceCount).toBe(1);
        expect(state.allocatedAudioStreams[0]!.referenceCount).toBe(2);
        // The same counts again change nothing.
        const same = [{ kind: StreamKind.Video, streamId: videoStreamId, references: 1 }];
        expect(await invoke(s => s.setReferenceCounts(same))).toBe(false);

        expect(await statusOf(invoke(s => s.videoStreamDeallocate({ videoStreamId })))).toBe(Status.InvalidInState);
        expect(await statusOf(invoke(s => s.audioStreamDeallocate({ audioStreamId })))).toBe(Status.InvalidInState);
        state = camera.stateOf(CameraAvStreamServer);
        expect(state.allocatedVideoStreams).toHaveLength(1);
        expect(state.allocatedAudioStreams).toHaveLength(1);

        await invoke(s =>
            s.setReferenceCounts([
                { kind: StreamKind.Video, streamId: videoStreamId, references: 0 },
                { kind: StreamKind.Audio, streamId: audioStreamId, references: 0 },
            ]),
        );
        expect(await statusOf(invoke(s => s.videoStreamDeallocate({ videoStreamId })))).toBe("success");
        expect(await statusOf(invoke(s => s.audioStreamDeallocate({ audioStreamId })))).toBe("success");
        state = camera.stateOf(CameraAvStreamServer);
        expect(state.allocatedVideoStreams).toEqual([]);
        expect(state.allocatedAudioStreams).toEqual([]);
    });

    it("asks an installed reference source before ReferenceCount on deallocation", async () => {
        const { invoke } = await start();
        const { videoStreamId } = await invoke(s => s.videoStreamAllocate(liveVideoRequest()));
        const { audioStreamId } = await invoke(s => s.audioStreamAllocate(liveAudioRequest()));
        const live = new Map<string, number>([
            [`${StreamKind.Video}:${videoStreamId}`, 1],
            [`${StreamKind.Audio}:${audioStreamId}`, -1], // unknown to the source: ReferenceCount decides
        ]);
        await invoke(s => s.setReferenceSource((kind, id) => live.get(`${kind}:${id}`) ?? -1));

        // ReferenceCount is still 0, but the engine already holds the video stream.
        expect(await statusOf(invoke(s => s.videoStreamDeallocate({ videoStreamId })))).toBe(Status.InvalidInState);
        // The other way round: the engine let go before the ReferenceCount write arrived.
        await invoke(s => s.setReferenceCounts([{ kind: StreamKind.Video, streamId: videoStreamId, references: 1 }]));
        live.set(`${StreamKind.Video}:${videoStreamId}`, 0);
        expect(await statusOf(invoke(s => s.videoStreamDeallocate({ videoStreamId })))).toBe("success");

        await invoke(s => s.setReferenceCounts([{ kind: StreamKind.Audio, streamId: audioStreamId, references: 1 }]));
        expect(await statusOf(invoke(s => s.audioStreamDeallocate({ audioStreamId })))).toBe(Status.InvalidInState);
        await invoke(s => s.setReferenceSource(undefined));
        await invoke(s => s.setReferenceCounts([{ kind: StreamKind.Audio, streamId: audioStreamId, references: 0 }]));
        expect(await statusOf(invoke(s => s.audioStreamDeallocate({ audioStreamId })))).toBe("success");
    });

    it("clamps reference counts to the uint8 range", async () => {
        const { camera, invoke } = await start();
        const { videoStreamId } = await invoke(s => s.videoStreamAllocate(liveVideoRequest()));
        await invoke(s => s.setReferenceCounts([{ kind: StreamKind.Video, streamId: videoStreamId, references: 300 }]));
        expect(camera.stateOf(CameraAvStreamServer).allocatedVideoStreams[0]!.referenceCount).toBe(255);
        await invoke(s => s.setReferenceCounts([{ kind: StreamKind.Video, streamId: videoStreamId, references: -3 }]));
        expect(camera.stateOf(CameraAvStreamServer).allocatedVideoStreams[0]!.referenceCount).toBe(0);
    });

    it("emits streamContextChanged for allocations, privacy writes and hard privacy", async () => {
        const { camera, invoke, contexts, waitForContext } = await start();
        const initial = await invoke(s => s.streamContext());
        expect(initial).toEqual({
            videoStreams: [],
            audioStreams: [],
            streamUsagePriorities: [StreamUsage.LiveView, StreamUsage.Recording],
            hardPrivacyModeOn: false,
            softRecordingPrivacyModeEnabled: false,
            softLivestreamPrivacyModeEnabled: false,
            utcTimeNull: false,
        });

        const { videoStreamId } = await invoke(s => s.videoStreamAllocate(liveVideoRequest()));
        await waitForContext(c => c.videoStreams.length === 1);
        const { audioStreamId } = await invoke(s =>
            s.audioStreamAllocate(liveAudioRequest({ streamUsage: StreamUsage.Recording })),
        );
        const allocated = await waitForContext(c => c.audioStreams.length === 1);
        expect(allocated.videoStreams).toEqual([{ id: videoStreamId, usage: StreamUsage.LiveView }]);
        expect(allocated.audioStreams).toEqual([{ id: audioStreamId, usage: StreamUsage.Recording }]);

        // A privacy write (a controller's write lands in the same state) is reflected and emitted.
        await camera.setStateOf(CameraAvStreamServer, { softLivestreamPrivacyModeEnabled: true });
        await waitForContext(c => c.softLivestreamPrivacyModeEnabled);
        expect((await invoke(s => s.streamContext())).softLivestreamPrivacyModeEnabled).toBe(true);

        await camera.setStateOf(CameraAvStreamServer, { softRecordingPrivacyModeEnabled: true });
        await waitForContext(c => c.softRecordingPrivacyModeEnabled);

        await invoke(s => s.setHardPrivacyModeOn(true));
        const hard = await waitForContext(c => c.hardPrivacyModeOn);
        expect(hard).toMatchObject({
            hardPrivacyModeOn: true,
            softLivestreamPrivacyModeEnabled: true,
            softRecordingPrivacyModeEnabled: true,
        });
        expect(camera.stateOf(CameraAvStreamServer).hardPrivacyModeOn).toBe(true);

        await camera.setStateOf(CameraAvStreamServer, { softLivestreamPrivacyModeEnabled: false });
        await waitForContext(c => c.hardPrivacyModeOn && !c.softLivestreamPrivacyModeEnabled);

        // Reference counts and a repeated value do not emit.
        const emitted = contexts.length;
        await invoke(s => s.setReferenceCounts([{ kind: StreamKind.Video, streamId: videoStreamId, references: 1 }]));
        await invoke(s => s.setHardPrivacyModeOn(true));
        await invoke(s => s.setReferenceCounts([{ kind: StreamKind.Video, streamId: videoStreamId, references: 0 }]));

        await invoke(s => s.videoStreamDeallocate({ videoStreamId }));
        const last = await waitForContext(c => c.videoStreams.length === 0 && c.audioStreams.length === 1);
        expect(contexts.length).toBe(emitted + 1);
        expect(contexts.at(-1)).toBe(last);
        expect(await invoke(s => s.streamContext())).toEqual(last);
    });

    it("a failed command changes nothing and emits nothing", async () => {
        const { camera, invoke, contexts } = await start();
        await invoke(s => s.videoStreamAllocate(liveVideoRequest()));
        const emitted = contexts.length;
        const before = camera.stateOf(CameraAvStreamServer).allocatedVideoStreams;
        await expect(
            invoke(s => {
                s.videoStreamAllocate(liveVideoRequest({ streamUsage: StreamUsage.Recording }));
                return s.videoStreamAllocate(liveVideoRequest({ videoCodec: VideoCodec.Hevc }));
            }),
        ).rejects.toBeInstanceOf(StatusResponseError);
        expect(camera.stateOf(CameraAvStreamServer).allocatedVideoStreams).toEqual(before);
        await new Promise(resolve => setTimeout(resolve, 50));
        expect(contexts.length).toBe(emitted);
    });

    it("keeps allocated streams across a restart and recomputes ReferenceCount", async () => {
        const environment = testEnvironment();
        const first = await start({ environment });
        const { videoStreamId } = await first.invoke(s => s.videoStreamAllocate(liveVideoRequest()));
        const { audioStreamId } = await first.invoke(s => s.audioStreamAllocate(liveAudioRequest()));
        await first.invoke(s => s.snapshotStreamAllocate(snapshotRequest()));
        await first.invoke(s =>
            s.setReferenceCounts([
                { kind: StreamKind.Video, streamId: videoStreamId, references: 2 },
                { kind: StreamKind.Audio, streamId: audioStreamId, references: 1 },
            ]),
        );
        await first.camera.setStateOf(CameraAvStreamServer, { softRecordingPrivacyModeEnabled: true });
        await first.node.close();
        node = undefined;

        const second = await start({ environment });
        const state = second.camera.stateOf(CameraAvStreamServer);
        expect(state.allocatedVideoStreams.map(s => [s.videoStreamId, s.referenceCount])).toEqual([[videoStreamId, 0]]);
        expect(state.allocatedAudioStreams.map(s => [s.audioStreamId, s.referenceCount])).toEqual([[audioStreamId, 0]]);
        expect(state.allocatedSnapshotStreams).toHaveLength(1);
        expect(state.softRecordingPrivacyModeEnabled).toBe(true);
        expect(await second.invoke(s => s.streamContext())).toMatchObject({
            videoStreams: [{ id: videoStreamId, usage: StreamUsage.LiveView }],
            audioStreams: [{ id: audioStreamId, usage: StreamUsage.LiveView }],
            softRecordingPrivacyModeEnabled: true,
        });
        // Ids continue after the restored ones.
        const next = await second.invoke(s =>
            s.videoStreamAllocate(liveVideoRequest({ streamUsage: StreamUsage.Recording })),
        );
        expect(next.videoStreamId).toBe(videoStreamId + 1);
        expect(await statusOf(second.invoke(s => s.videoStreamDeallocate({ videoStreamId })))).toBe("success");
    });

    it("takes capabilities and limits from State defaults set by the node factory", async () => {
        const Small = CameraAvStreamServer.set({ maxStreamsPerKind: 1, maxConcurrentEncoders: 2, defaultStreams: false });
        const { camera, invoke } = await start({ behavior: Small });
        expect(camera.stateOf(CameraAvStreamServer).maxConcurrentEncoders).toBe(2);
        await invoke(s => s.audioStreamAllocate(liveAudioRequest()));
        expect(
            await statusOf(
                invoke(s => s.audioStreamAllocate(liveAudioRequest({ streamUsage: StreamUsage.Recording }))),
            ),
        ).toBe(Status.ResourceExhausted);
        await invoke(s => s.videoStreamAllocate(liveVideoRequest()));
        expect(
            await statusOf(
                invoke(s => s.videoStreamAllocate(liveVideoRequest({ streamUsage: StreamUsage.Recording }))),
            ),
        ).toBe(Status.ResourceExhausted);
    });

    it("reports utcTimeNull from Time Synchronization when the root has it", async () => {
        const { node: serverNode, invoke, waitForContext } = await start({ timeSync: true });
        expect((await invoke(s => s.streamContext())).utcTimeNull).toBe(true);
        await serverNode.setStateOf(TimeSynchronizationServer, { utcTime: 1_700_000_000_000_000 });
        const context = await waitForContext(c => !c.utcTimeNull);
        expect(context.utcTimeNull).toBe(false);
    });
});
