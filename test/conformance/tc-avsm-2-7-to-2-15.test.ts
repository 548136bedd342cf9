/**
 * TC_AVSM_2_7 … 2_15 (connectedhomeip `src/python_testing/TC_AVSM_2_7.py` … `2_15.py`): video
 * stream allocation and deallocation, CaptureSnapshot, SetStreamPriorities, the writable
 * attributes, and reuse of an identical video, audio or snapshot allocation, against the Node
 * camera in certification mode. One DUT for the file; each case starts from a reset DUT.
 *
 * 2_8 (VideoStreamModify) needs VDO & (WMARK | OSD), which the camera does not advertise
 * (report.ts). Steps that hang on a feature the camera does not have are named as such and
 * checked to be skipped for that reason: 2_7 steps 15–16 (no CameraAvSettingsUserLevelManagement
 * with DPTZ on the endpoint), 2_12 steps 2–4, 11–13, 17–19, 23–25 (HDR, NightVision, Speaker,
 * LocalStorage).
 */

import type { CameraAvStreamManagement as Avsm } from "@matter/main/clusters/camera-av-stream-management";
import { beforeAll, describe, expect, it } from "vitest";
import { AvsmTh, Feature, successOf, type AudioRequest, type SnapshotRequest, type SnapshotResponse, type VideoRequest } from "./avsm.js";
import { Status, StreamUsage, expectStatus, useDuts } from "./harness.js";

const duts = useDuts("avsm2-7to15");
const th = () => new AvsmTh(duts.app());

const CAMERA_AV_SETTINGS_USER_LEVEL_MANAGEMENT = 0x0552;

describe("TC_AVSM_2_7 (steps precondition, 1–25; 15–16 not applicable)", () => {
    let request: VideoRequest;
    let priorities: number[];
    let sensor: { sensorWidth: number; sensorHeight: number; maxFps: number };
    let myStreamId: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: commissioned", () => {
        expect(duts.app().camera.commissioned).toBe(true);
    });

    it("step 1: read FeatureMap → VDO is supported", async () => {
        expect((await th().featureBits()) & Feature.video).toBe(Feature.video);
    });

    it("step 2: read AllocatedVideoStreams → 0 entries", async () => {
        expect(await th().videoStreams()).toHaveLength(0);
    });

    it("steps 3–7: read StreamUsagePriorities, RateDistortionTradeOffPoints, MinViewportResolution, VideoSensorParams, MaxEncodedPixelRate", async () => {
        priorities = await th().read<number[]>("streamUsagePriorities");
        expect(priorities.length).toBeGreaterThan(0);
        expect((await th().read<unknown[]>("rateDistortionTradeOffPoints")).length).toBeGreaterThan(0);
        await th().read("minViewportResolution");
        sensor = await th().read("videoSensorParams");
        expect(await th().read<number>("maxEncodedPixelRate")).toBeGreaterThan(0);
    });

    it("steps 8–9: aWatermark / aOSD = null (WMARK and OSD not supported)", async () => {
        expect((await th().featureBits()) & (Feature.watermark | Feature.onScreenDisplay)).toBe(0);
        request = await th().videoRequest();
        expect(request.watermarkEnabled).toBeUndefined();
        expect(request.osdEnabled).toBeUndefined();
    });

    it("step 10: VideoStreamAllocate(priorities[0], trade-off point [0], MinFrameRate 30, sensor MaxFPS and size, KeyFrameInterval 4000) → myStreamID", async () => {
        myStreamId = successOf(await th().videoStreamAllocate(request), "VideoStreamAllocate").videoStreamId;
        expect(myStreamId).toBeGreaterThanOrEqual(0);
    });

    it("step 11: read AllocatedVideoStreams → 1 entry", async () => {
        expect(await th().videoStreams()).toHaveLength(1);
    });

    it("step 12: VideoStreamAllocate with the same arguments → the same VideoStreamID", async () => {
        expect(successOf(await th().videoStreamAllocate(request), "VideoStreamAllocate").videoStreamId).toBe(myStreamId);
    });

    it("step 13: read AllocatedVideoStreams → 1 entry", async () => {
        expect(await th().videoStreams()).toHaveLength(1);
    });

    it("step 14: no CameraAvSettingsUserLevelManagement (0x0552) on the endpoint → steps 15–16 do not apply, go to 17", async () => {
        expect(await duts.app().serverList()).not.toContain(CAMERA_AV_SETTINGS_USER_LEVEL_MANAGEMENT);
    });

    it("step 17: VideoStreamAllocate with StreamUsage Internal → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().videoStreamAllocate({ ...request, streamUsage: StreamUsage.Internal }), Status.ConstraintError);
    });

    it("step 18: VideoStreamAllocate with a StreamUsage not in aStreamUsagePriorities (Internal excluded: Analysis) → INVALID_IN_STATE", async () => {
        const notPrioritised = [StreamUsage.Recording, StreamUsage.Analysis, StreamUsage.LiveView].find(u => !priorities.includes(u));
        expect(notPrioritised).toBe(StreamUsage.Analysis);
        expectStatus(await th().videoStreamAllocate({ ...request, streamUsage: notPrioritised! }), Status.InvalidInState);
    });

    it("step 19: VideoStreamAllocate with MinFrameRate 0 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().videoStreamAllocate({ ...request, minFrameRate: 0 }), Status.ConstraintError);
    });

    it("step 20: VideoStreamAllocate with MinFrameRate 16 > MaxFrameRate 15 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().videoStreamAllocate({ ...request, minFrameRate: 16, maxFrameRate: 15 }), Status.ConstraintError);
    });

    it("step 21: VideoStreamAllocate with MinBitRate 0 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().videoStreamAllocate({ ...request, minBitRate: 0 }), Status.ConstraintError);
    });

    it("step 22: VideoStreamAllocate with MinBitRate > MaxBitRate → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().videoStreamAllocate({ ...request, minBitRate: request.maxBitRate + 1 }), Status.ConstraintError);
    });

    it("step 23: VideoStreamAllocate with KeyFrameInterval 65501 (> 65500) → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().videoStreamAllocate({ ...request, keyFrameInterval: 65_501 }), Status.ConstraintError);
    });

    it("step 24: VideoStreamAllocate with VideoCodec 10 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().videoStreamAllocate({ ...request, videoCodec: 10 as Avsm.VideoCodec }), Status.ConstraintError);
    });

    it("step 25: VideoStreamAllocate with MaxFrameRate = the sensor's MaxFPS + 10 → DYNAMIC_CONSTRAINT_ERROR", async () => {
        expectStatus(await th().videoStreamAllocate({ ...request, maxFrameRate: sensor.maxFps + 10 }), Status.DynamicConstraintError);
    });
});

describe("TC_AVSM_2_9 (steps precondition, 1–5)", () => {
    let toDelete: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: one allocated video stream (AVSMTestBase)", async () => {
        await th().oneVideoStream();
    });

    it("step 1: read FeatureMap → VDO is supported", async () => {
        expect((await th().featureBits()) & Feature.video).toBe(Feature.video);
    });

    it("step 2: read AllocatedVideoStreams → 1 entry; aStreamIDToDelete", async () => {
        const streams = await th().videoStreams();
        expect(streams).toHaveLength(1);
        toDelete = streams[0]!.videoStreamId;
    });

    it("step 3: VideoStreamDeallocate(aStreamIDToDelete + 1) → NOT_FOUND", async () => {
        expectStatus(await th().videoStreamDeallocate(toDelete + 1), Status.NotFound);
    });

    it("step 4: VideoStreamDeallocate(aStreamIDToDelete) → SUCCESS", async () => {
        expectStatus(await th().videoStreamDeallocate(toDelete), Status.Success);
    });

    it("step 5: read AllocatedVideoStreams → 0 entries", async () => {
        expect(await th().videoStreams()).toHaveLength(0);
    });
});

describe("TC_AVSM_2_10 (steps precondition, 1–10)", () => {
    let streamId: number;
    let stream: { imageCodec: number; minResolution: { width: number; height: number } };

    /** Steps 3 and 5: a CaptureSnapshotResponse with image data, the stream's codec and a size. */
    function expectImage(response: SnapshotResponse): void {
        const data = ArrayBuffer.isView(response.data) ? new Uint8Array(response.data.buffer, response.data.byteOffset, response.data.byteLength) : new Uint8Array(response.data);
        expect(data.length).toBeGreaterThan(0);
        expect(response.imageCodec).toBe(stream.imageCodec);
        expect(response.resolution.width).toBeGreaterThan(0);
        expect(response.resolution.height).toBeGreaterThan(0);
        // a JPEG: SOI … EOI
        expect([data[0], data[1], data[data.length - 2], data[data.length - 1]]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
    }

    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: one allocated snapshot stream (AVSMTestBase)", async () => {
        await th().oneSnapshotStream();
    });

    it("step 1: read FeatureMap → SNP is supported (and PRIV: steps 6–7 run)", async () => {
        const bits = await th().featureBits();
        expect(bits & Feature.snapshot).toBe(Feature.snapshot);
        expect(bits & Feature.privacy).toBe(Feature.privacy);
    });

    it("step 2: read AllocatedSnapshotStreams → 1 entry; aStreamID, aResolution = its MinResolution", async () => {
        const streams = await th().snapshotStreams();
        expect(streams).toHaveLength(1);
        streamId = streams[0]!.snapshotStreamId;
        stream = streams[0]!;
    });

    it("step 3: CaptureSnapshot(aStreamID, aResolution) → CaptureSnapshotResponse with the image", async () => {
        expectImage(successOf(await th().captureSnapshot(streamId, stream.minResolution), "CaptureSnapshot"));
    });

    it("step 4: CaptureSnapshot(aStreamID + 1) → NOT_FOUND", async () => {
        expectStatus(await th().captureSnapshot(streamId + 1, stream.minResolution), Status.NotFound);
    });

    it("step 5: CaptureSnapshot(null) → CaptureSnapshotResponse with the image", async () => {
        expectImage(successOf(await th().captureSnapshot(null, stream.minResolution), "CaptureSnapshot"));
    });

    it("step 6: write SoftLivestreamPrivacyModeEnabled = true → SUCCESS", async () => {
        expect(await th().write("softLivestreamPrivacyModeEnabled", true)).toBe(Status.Success);
    });

    it("step 7: CaptureSnapshot(aStreamID) → INVALID_IN_STATE", async () => {
        expectStatus(await th().captureSnapshot(streamId, stream.minResolution), Status.InvalidInState);
    });

    it("step 8: SnapshotStreamDeallocate(aStreamID) → SUCCESS", async () => {
        expectStatus(await th().snapshotStreamDeallocate(streamId), Status.Success);
    });

    it("step 9: read AllocatedSnapshotStreams → 0 entries", async () => {
        expect(await th().snapshotStreams()).toHaveLength(0);
    });

    it("step 10: CaptureSnapshot(null) → NOT_FOUND", async () => {
        expectStatus(await th().captureSnapshot(null, stream.minResolution), Status.NotFound);
    });
});

describe("TC_AVSM_2_11 (steps precondition, 1–8)", () => {
    let streamId: number;
    let supported: number[];
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: one allocated snapshot stream (AVSMTestBase)", async () => {
        await th().oneSnapshotStream();
    });

    it("step 1: read AllocatedSnapshotStreams → 1 entry; aStreamID", async () => {
        const streams = await th().snapshotStreams();
        expect(streams).toHaveLength(1);
        streamId = streams[0]!.snapshotStreamId;
    });

    it("step 2: read AllocatedVideoStreams → 0 entries", async () => {
        expect(await th().videoStreams()).toHaveLength(0);
    });

    it("step 3: read AllocatedAudioStreams → 0 entries", async () => {
        expect(await th().audioStreams()).toHaveLength(0);
    });

    it("step 4: read SupportedStreamUsages → aSupportedStreamUsages", async () => {
        supported = await th().read<number[]>("supportedStreamUsages");
        expect(supported.length).toBeGreaterThan(0);
    });

    it("step 5: SnapshotStreamDeallocate(aStreamID) → SUCCESS", async () => {
        expectStatus(await th().snapshotStreamDeallocate(streamId), Status.Success);
    });

    it("step 6: SetStreamPriorities(aSupportedStreamUsages) → SUCCESS", async () => {
        expectStatus(await th().setStreamPriorities(supported), Status.Success);
        expect(await th().read<number[]>("streamUsagePriorities")).toEqual(supported);
    });

    it("step 7: SetStreamPriorities([a StreamUsage not in aSupportedStreamUsages]) → DYNAMIC_CONSTRAINT_ERROR", async () => {
        const notSupported = [StreamUsage.Internal, StreamUsage.Recording, StreamUsage.Analysis, StreamUsage.LiveView].find(u => !supported.includes(u));
        expect(notSupported).toBeDefined();
        expectStatus(await th().setStreamPriorities([notSupported!]), Status.DynamicConstraintError);
    });

    it("step 8: SetStreamPriorities(aSupportedStreamUsages twice) → ALREADY_EXISTS", async () => {
        expectStatus(await th().setStreamPriorities([...supported, ...supported]), Status.AlreadyExists);
    });
});

describe("TC_AVSM_2_12 (steps 1–25; 2–4, 11–13, 17–19, 23–25 not applicable)", () => {
    let value: boolean;
    let viewport: { x1: number; y1: number; x2: number; y2: number };
    let written: typeof viewport;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("step 1: commissioned; FeatureMap has PRIV, VDO, ADO and neither HDR, NV, SPKR nor LOCALSTORAGE (steps 2–4, 11–13, 17–19, 23–25 skipped)", async () => {
        expect(duts.app().camera.commissioned).toBe(true);
        const bits = await th().featureBits();
        expect(bits & (Feature.privacy | Feature.video | Feature.audio)).toBe(Feature.privacy | Feature.video | Feature.audio);
        expect(bits & (Feature.highDynamicRange | Feature.nightVision | Feature.speaker | Feature.localStorage)).toBe(0);
    });

    it("step 5: read SoftRecordingPrivacyModeEnabled → a bool (aSoftRecordingPrivacyMode)", async () => {
        value = await th().read<boolean>("softRecordingPrivacyModeEnabled");
        expect(typeof value).toBe("boolean");
    });

    it("step 6: write SoftRecordingPrivacyModeEnabled = !aSoftRecordingPrivacyMode → SUCCESS", async () => {
        expect(await th().write("softRecordingPrivacyModeEnabled", !value)).toBe(Status.Success);
    });

    it("step 7: read SoftRecordingPrivacyModeEnabled → the value written in step 6", async () => {
        expect(await th().read<boolean>("softRecordingPrivacyModeEnabled")).toBe(!value);
    });

    it("step 8: read SoftLivestreamPrivacyModeEnabled → a bool (aSoftLivestreamPrivacyMode)", async () => {
        value = await th().read<boolean>("softLivestreamPrivacyModeEnabled");
        expect(typeof value).toBe("boolean");
    });

    it("step 9: write SoftLivestreamPrivacyModeEnabled = !aSoftLivestreamPrivacyMode → SUCCESS", async () => {
        expect(await th().write("softLivestreamPrivacyModeEnabled", !value)).toBe(Status.Success);
    });

    it("step 10: read SoftLivestreamPrivacyModeEnabled → the value written in step 9", async () => {
        expect(await th().read<boolean>("softLivestreamPrivacyModeEnabled")).toBe(!value);
    });

    it("step 14: read Viewport → a ViewportStruct (aViewport)", async () => {
        viewport = await th().read("viewport");
        for (const k of ["x1", "y1", "x2", "y2"] as const) expect(Number.isInteger(viewport[k])).toBe(true);
    });

    it("step 15: write Viewport = aViewport + 1 on every corner → SUCCESS", async () => {
        written = { x1: viewport.x1 + 1, y1: viewport.y1 + 1, x2: viewport.x2 + 1, y2: viewport.y2 + 1 };
        expect(await th().write("viewport", written)).toBe(Status.Success);
    });

    it("step 16: read Viewport → the value written in step 15", async () => {
        expect(await th().read("viewport")).toEqual(written);
    });

    it("step 20: read MicrophoneMuted → a bool (aMicrophoneMuted)", async () => {
        value = await th().read<boolean>("microphoneMuted");
        expect(typeof value).toBe("boolean");
    });

    it("step 21: write MicrophoneMuted = !aMicrophoneMuted → SUCCESS", async () => {
        expect(await th().write("microphoneMuted", !value)).toBe(Status.Success);
    });

    it("step 22: read MicrophoneMuted → the value written in step 21", async () => {
        expect(await th().read<boolean>("microphoneMuted")).toBe(!value);
    });
});

describe("TC_AVSM_2_13 (steps precondition, 1–11)", () => {
    let request: VideoRequest;
    let id: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: commissioned", () => {
        expect(duts.app().camera.commissioned).toBe(true);
    });

    it("step 1: VDO is supported", async () => {
        expect((await th().featureBits()) & Feature.video).toBe(Feature.video);
    });

    it("step 2: read AllocatedVideoStreams → 0 entries", async () => {
        expect(await th().videoStreams()).toHaveLength(0);
    });

    it("steps 3–7: read StreamUsagePriorities, RateDistortionTradeOffPoints, MinViewportResolution, VideoSensorParams, MaxEncodedPixelRate ≥ the sensor's pixel rate", async () => {
        const sensor = await th().read<{ sensorWidth: number; sensorHeight: number; maxFps: number }>("videoSensorParams");
        expect(await th().read<number>("maxEncodedPixelRate")).toBeGreaterThanOrEqual(sensor.sensorWidth * sensor.sensorHeight * sensor.maxFps);
        request = await th().videoRequest();
    });

    it("step 8: VideoStreamAllocate (as TC_AVSM_2_7 step 10) → aVideoStreamID", async () => {
        id = successOf(await th().videoStreamAllocate(request), "VideoStreamAllocate").videoStreamId;
    });

    it("step 9: read AllocatedVideoStreams → 1 entry", async () => {
        expect(await th().videoStreams()).toHaveLength(1);
    });

    it("step 10: VideoStreamAllocate with the same arguments → aVideoStreamID again", async () => {
        expect(successOf(await th().videoStreamAllocate(request), "VideoStreamAllocate").videoStreamId).toBe(id);
    });

    it("step 11: read AllocatedVideoStreams → 1 entry", async () => {
        expect(await th().videoStreams()).toHaveLength(1);
    });
});

describe("TC_AVSM_2_14 (steps precondition, 1–8)", () => {
    let request: AudioRequest;
    let id: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: commissioned", () => {
        expect(duts.app().camera.commissioned).toBe(true);
    });

    it("step 1: ADO is supported", async () => {
        expect((await th().featureBits()) & Feature.audio).toBe(Feature.audio);
    });

    it("step 2: read AllocatedAudioStreams → 0 entries", async () => {
        expect(await th().audioStreams()).toHaveLength(0);
    });

    it("steps 3–4: read MicrophoneCapabilities and StreamUsagePriorities", async () => {
        request = await th().audioRequest({ bitRate: 30_000 });
    });

    it("step 5: AudioStreamAllocate(capabilities, priorities[0], BitRate 30000) → aAudioStreamID", async () => {
        id = successOf(await th().audioStreamAllocate(request), "AudioStreamAllocate").audioStreamId;
    });

    it("step 6: read AllocatedAudioStreams → 1 entry", async () => {
        expect(await th().audioStreams()).toHaveLength(1);
    });

    it("step 7: AudioStreamAllocate with the same parameters → aAudioStreamID again", async () => {
        expect(successOf(await th().audioStreamAllocate(request), "AudioStreamAllocate").audioStreamId).toBe(id);
    });

    it("step 8: read AllocatedAudioStreams → 1 entry", async () => {
        expect(await th().audioStreams()).toHaveLength(1);
    });
});

describe("TC_AVSM_2_15 (steps precondition, 1–7)", () => {
    let request: SnapshotRequest;
    let id: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: commissioned", () => {
        expect(duts.app().camera.commissioned).toBe(true);
    });

    it("step 1: SNP is supported", async () => {
        expect((await th().featureBits()) & Feature.snapshot).toBe(Feature.snapshot);
    });

    it("step 2: read AllocatedSnapshotStreams → 0 entries", async () => {
        expect(await th().snapshotStreams()).toHaveLength(0);
    });

    it("step 3: read SnapshotCapabilities → aSnapshotCapabilities", async () => {
        request = await th().snapshotRequest();
    });

    it("step 4: SnapshotStreamAllocate(capabilities[0], Min = MaxResolution = Resolution, Quality 90) → aSnapshotStreamID", async () => {
        id = successOf(await th().snapshotStreamAllocate(request), "SnapshotStreamAllocate").snapshotStreamId;
    });

    it("step 5: read AllocatedSnapshotStreams → 1 entry", async () => {
        expect(await th().snapshotStreams()).toHaveLength(1);
    });

    it("step 6: SnapshotStreamAllocate with the same parameters → aSnapshotStreamID again", async () => {
        expect(successOf(await th().snapshotStreamAllocate(request), "SnapshotStreamAllocate").snapshotStreamId).toBe(id);
    });

    it("step 7: read AllocatedSnapshotStreams → 1 entry", async () => {
        expect(await th().snapshotStreams()).toHaveLength(1);
    });
});
