/**
 * TC_AVSM_2_1 … 2_6 (connectedhomeip `src/python_testing/TC_AVSM_2_1.py` … `2_6.py`): the
 * attributes of Camera AV Stream Management, snapshot stream allocation and deallocation, audio
 * stream allocation and deallocation, against the Node camera in certification mode (empty stream
 * lists after commissioning). One DUT for the file; each case starts from a reset DUT (no
 * sessions, no streams, privacy off, StreamUsagePriorities as commissioned), as a fresh CI app.
 *
 * 2_3 (SnapshotStreamModify) needs SNP & (WMARK | OSD): the camera advertises neither Watermark
 * nor OnScreenDisplay, so the case does not apply (report.ts).
 */

import type { CameraAvStreamManagement as Avsm } from "@matter/main/clusters/camera-av-stream-management";
import { beforeAll, describe, expect, it } from "vitest";
import { Feature, AvsmTh, successOf } from "./avsm.js";
import { Status, StreamUsage, expectStatus, statusName, useDuts } from "./harness.js";

const duts = useDuts("avsm2-1to6");
/** The SDK's out-of-range enum value for ImageCodec / AudioCodec (steps 2_2.11, 2_5.13). */
const OUT_OF_RANGE = 10;
const th = () => new AvsmTh(duts.app());

/** The features CameraNode's CameraAvStreamServer advertises. */
const ADVERTISED = Feature.video | Feature.audio | Feature.snapshot | Feature.privacy;

// ── value checks for "Verify that the DUT response contains a … value" ─────────────────────────
const isUint = (bits: 8 | 16 | 32) => (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v < 2 ** bits;
const uint8 = isUint(8);
const uint16 = isUint(16);
const uint32 = isUint(32);
const bool = (v: unknown) => typeof v === "boolean";
const struct = (fields: Record<string, (v: unknown) => boolean>) => (v: unknown) =>
    typeof v === "object" && v !== null && Object.entries(fields).every(([name, check]) => check((v as Record<string, unknown>)[name]));
const list = (entry: (v: unknown) => boolean) => (v: unknown) => Array.isArray(v) && v.every(entry);
const enumIn = (...values: number[]) => (v: unknown) => typeof v === "number" && values.includes(v);
const resolution = struct({ width: uint16, height: uint16 });
const streamUsage = enumIn(StreamUsage.Internal, StreamUsage.Recording, StreamUsage.Analysis, StreamUsage.LiveView);

/** TC_AVSM_2_1 steps 2–42: attribute (matter.js name), the attribute id the PICS names, the value check. */
const ATTRIBUTE_STEPS: { step: number; name: string; id: number; what: string; check: (v: unknown) => boolean }[] = [
    { step: 2, name: "maxConcurrentEncoders", id: 0x00, what: "uint8", check: uint8 },
    { step: 3, name: "maxEncodedPixelRate", id: 0x01, what: "uint32", check: uint32 },
    { step: 4, name: "videoSensorParams", id: 0x02, what: "VideoSensorParamsStruct", check: struct({ sensorWidth: uint16, sensorHeight: uint16, maxFps: uint16 }) },
    { step: 5, name: "nightVisionUsesInfrared", id: 0x03, what: "bool", check: bool },
    { step: 6, name: "minViewportResolution", id: 0x04, what: "VideoResolutionStruct", check: resolution },
    { step: 7, name: "rateDistortionTradeOffPoints", id: 0x05, what: "list of RateDistortionTradeOffPointsStruct", check: list(struct({ codec: uint8, resolution, minBitRate: uint32 })) },
    { step: 8, name: "maxContentBufferSize", id: 0x06, what: "uint32", check: uint32 },
    {
        step: 9,
        name: "microphoneCapabilities",
        id: 0x07,
        what: "AudioCapabilitiesStruct",
        check: struct({ maxNumberOfChannels: uint8, supportedCodecs: list(uint8), supportedSampleRates: list(uint32), supportedBitDepths: list(uint8) }),
    },
    { step: 10, name: "speakerCapabilities", id: 0x08, what: "AudioCapabilitiesStruct", check: struct({ maxNumberOfChannels: uint8 }) },
    { step: 11, name: "twoWayTalkSupport", id: 0x09, what: "TwoWayTalkSupportTypeEnum", check: uint8 },
    {
        step: 12,
        name: "snapshotCapabilities",
        id: 0x0a,
        what: "list of SnapshotCapabilitiesStruct",
        check: list(struct({ resolution, maxFrameRate: uint16, imageCodec: uint8, requiresEncodedPixels: bool })),
    },
    { step: 13, name: "maxNetworkBandwidth", id: 0x0b, what: "uint32", check: uint32 },
    { step: 14, name: "currentFrameRate", id: 0x0c, what: "uint16", check: uint16 },
    { step: 15, name: "hdrModeEnabled", id: 0x0d, what: "bool", check: bool },
    { step: 16, name: "supportedStreamUsages", id: 0x0e, what: "list of StreamUsageEnum", check: list(streamUsage) },
    { step: 17, name: "allocatedVideoStreams", id: 0x0f, what: "list of VideoStreamStruct", check: list(struct({ videoStreamId: uint16, referenceCount: uint8 })) },
    { step: 18, name: "allocatedAudioStreams", id: 0x10, what: "list of AudioStreamStruct", check: list(struct({ audioStreamId: uint16, referenceCount: uint8 })) },
    { step: 19, name: "allocatedSnapshotStreams", id: 0x11, what: "list of SnapshotStreamStruct", check: list(struct({ snapshotStreamId: uint16, referenceCount: uint8 })) },
    { step: 20, name: "streamUsagePriorities", id: 0x12, what: "list of StreamUsageEnum", check: list(streamUsage) },
    { step: 21, name: "softRecordingPrivacyModeEnabled", id: 0x13, what: "bool", check: bool },
    { step: 22, name: "softLivestreamPrivacyModeEnabled", id: 0x14, what: "bool", check: bool },
    { step: 23, name: "hardPrivacyModeOn", id: 0x15, what: "bool", check: bool },
    { step: 24, name: "nightVision", id: 0x16, what: "TriStateAutoEnum", check: uint8 },
    { step: 25, name: "nightVisionIllum", id: 0x17, what: "TriStateAutoEnum", check: uint8 },
    { step: 26, name: "viewport", id: 0x18, what: "ViewportStruct", check: struct({ x1: uint16, y1: uint16, x2: uint16, y2: uint16 }) },
    { step: 27, name: "speakerMuted", id: 0x19, what: "bool", check: bool },
    { step: 28, name: "speakerVolumeLevel", id: 0x1a, what: "uint8", check: uint8 },
    { step: 29, name: "speakerMaxLevel", id: 0x1b, what: "uint8", check: uint8 },
    { step: 30, name: "speakerMinLevel", id: 0x1c, what: "uint8", check: uint8 },
    { step: 31, name: "microphoneMuted", id: 0x1d, what: "bool", check: bool },
    { step: 32, name: "microphoneVolumeLevel", id: 0x1e, what: "uint8", check: uint8 },
    { step: 33, name: "microphoneMaxLevel", id: 0x1f, what: "uint8", check: uint8 },
    { step: 34, name: "microphoneMinLevel", id: 0x20, what: "uint8", check: uint8 },
    { step: 35, name: "microphoneAgcEnabled", id: 0x21, what: "bool", check: bool },
    { step: 36, name: "imageRotation", id: 0x22, what: "uint16", check: uint16 },
    { step: 37, name: "imageFlipHorizontal", id: 0x23, what: "bool", check: bool },
    { step: 38, name: "imageFlipVertical", id: 0x24, what: "bool", check: bool },
    { step: 39, name: "localVideoRecordingEnabled", id: 0x25, what: "bool", check: bool },
    { step: 40, name: "localSnapshotRecordingEnabled", id: 0x26, what: "bool", check: bool },
    { step: 41, name: "statusLightEnabled", id: 0x27, what: "bool", check: bool },
    { step: 42, name: "statusLightBrightness", id: 0x28, what: "ThreeLevelAutoEnum", check: uint8 },
];

/**
 * Steps whose PICS (AVSM.S.A00xx) the camera does not claim: the attribute belongs to a feature it
 * does not advertise (NightVision, Speaker, HighDynamicRange, ImageControl, LocalStorage) or is an
 * optional attribute it leaves out (MicrophoneAGCEnabled, StatusLightEnabled / Brightness). The
 * SDK's `pics_guard` skips them.
 */
const NOT_CLAIMED = new Set([5, 10, 11, 15, 24, 25, 27, 28, 29, 30, 35, 36, 37, 38, 39, 40, 41, 42]);

describe("TC_AVSM_2_1 (steps 1–42; 5, 10, 11, 15, 24, 25, 27–30, 35–42 not claimed)", () => {
    let attributeList: number[];
    beforeAll(async () => {
        await duts.app().reset();
        attributeList = await th().read<number[]>("attributeList");
    });

    it("step 1: commissioned; FeatureMap = Video | Audio | Snapshot | Privacy (what the PICS follow)", async () => {
        expect(duts.app().camera.commissioned).toBe(true);
        expect(await th().featureBits()).toBe(ADVERTISED);
    });

    for (const s of ATTRIBUTE_STEPS.filter(s => !NOT_CLAIMED.has(s.step))) {
        it(`step ${s.step}: read ${s.name} (AVSM.S.A${s.id.toString(16).toUpperCase().padStart(4, "0")}) → a ${s.what} value`, async () => {
            expect(attributeList).toContain(s.id);
            const value = await th().read<unknown>(s.name);
            expect(s.check(value), `${s.name} = ${JSON.stringify(value, (_, v) => (typeof v === "bigint" ? String(v) : v))}`).toBe(true);
        });
    }

    it(`steps ${[...NOT_CLAIMED].join(", ")}: not claimed → absent from AttributeList, a read answers UNSUPPORTED_ATTRIBUTE`, async () => {
        for (const s of ATTRIBUTE_STEPS.filter(s => NOT_CLAIMED.has(s.step))) {
            expect(attributeList, `step ${s.step}: ${s.name}`).not.toContain(s.id);
            const outcome = await th().readOutcome(s.name);
            expect(outcome.ok ? "a value" : statusName(outcome.status), `step ${s.step}: ${s.name}`).toBe(statusName(Status.UnsupportedAttribute));
        }
    });
});

describe("TC_AVSM_2_2 (steps precondition, 1–13)", () => {
    let request: Awaited<ReturnType<AvsmTh["snapshotRequest"]>>;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: commissioned", () => {
        expect(duts.app().camera.commissioned).toBe(true);
    });

    it("step 1: read FeatureMap → SNP is supported", async () => {
        expect((await th().featureBits()) & Feature.snapshot).toBe(Feature.snapshot);
    });

    it("step 2: read AllocatedSnapshotStreams → 0 entries", async () => {
        expect(await th().snapshotStreams()).toHaveLength(0);
    });

    it("step 3: read SnapshotCapabilities → aSnapshotCapabilities (not empty)", async () => {
        expect((await th().read<unknown[]>("snapshotCapabilities")).length).toBeGreaterThan(0);
    });

    it("steps 4–5: aWatermark / aOSD = null (WMARK and OSD not supported)", async () => {
        const bits = await th().featureBits();
        expect(bits & (Feature.watermark | Feature.onScreenDisplay)).toBe(0);
        request = await th().snapshotRequest();
        expect(request.watermarkEnabled).toBeUndefined();
        expect(request.osdEnabled).toBeUndefined();
    });

    it("step 6: SnapshotStreamAllocate(capabilities[0], Min = MaxResolution = Resolution, Quality 90) → a SnapshotStreamID", async () => {
        const response = successOf(await th().snapshotStreamAllocate(request), "SnapshotStreamAllocate");
        expect(response.snapshotStreamId).toBeGreaterThanOrEqual(0);
    });

    it("step 7: read AllocatedSnapshotStreams → 1 entry", async () => {
        expect(await th().snapshotStreams()).toHaveLength(1);
    });

    it("step 8: SnapshotStreamAllocate with MaxFrameRate 0 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().snapshotStreamAllocate({ ...request, maxFrameRate: 0 }), Status.ConstraintError);
    });

    it("step 9: SnapshotStreamAllocate with Quality 0 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().snapshotStreamAllocate({ ...request, quality: 0 }), Status.ConstraintError);
    });

    it("step 10: SnapshotStreamAllocate with Quality 101 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().snapshotStreamAllocate({ ...request, quality: 101 }), Status.ConstraintError);
    });

    it("step 11: SnapshotStreamAllocate with ImageCodec 10 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().snapshotStreamAllocate({ ...request, imageCodec: OUT_OF_RANGE as Avsm.ImageCodec }), Status.ConstraintError);
    });

    it("step 12: SnapshotStreamAllocate with MinResolution {0,0} → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().snapshotStreamAllocate({ ...request, minResolution: { width: 0, height: 0 } }), Status.ConstraintError);
    });

    it("step 13: SnapshotStreamAllocate with MaxResolution {0,0} → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().snapshotStreamAllocate({ ...request, maxResolution: { width: 0, height: 0 } }), Status.ConstraintError);
    });
});

describe("TC_AVSM_2_4 (steps precondition, 1–5)", () => {
    let toDelete: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: one allocated snapshot stream (AVSMTestBase)", async () => {
        await th().oneSnapshotStream();
    });

    it("step 1: read FeatureMap → SNP is supported", async () => {
        expect((await th().featureBits()) & Feature.snapshot).toBe(Feature.snapshot);
    });

    it("step 2: read AllocatedSnapshotStreams → 1 entry; aStreamIDToDelete", async () => {
        const streams = await th().snapshotStreams();
        expect(streams).toHaveLength(1);
        toDelete = streams[0]!.snapshotStreamId;
    });

    it("step 3: SnapshotStreamDeallocate(aStreamIDToDelete + 1) → NOT_FOUND", async () => {
        expectStatus(await th().snapshotStreamDeallocate(toDelete + 1), Status.NotFound);
    });

    it("step 4: SnapshotStreamDeallocate(aStreamIDToDelete) → SUCCESS", async () => {
        expectStatus(await th().snapshotStreamDeallocate(toDelete), Status.Success);
    });

    it("step 5: read AllocatedSnapshotStreams → 0 entries", async () => {
        expect(await th().snapshotStreams()).toHaveLength(0);
    });
});

describe("TC_AVSM_2_5 (steps precondition, 1–13)", () => {
    let request: Awaited<ReturnType<AvsmTh["audioRequest"]>>;
    let priorities: number[];
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: commissioned", () => {
        expect(duts.app().camera.commissioned).toBe(true);
    });

    it("step 1: read FeatureMap → ADO is supported", async () => {
        expect((await th().featureBits()) & Feature.audio).toBe(Feature.audio);
    });

    it("step 2: read AllocatedAudioStreams → 0 entries", async () => {
        expect(await th().audioStreams()).toHaveLength(0);
    });

    it("steps 3–4: read MicrophoneCapabilities; aBitRate = 30000 (Opus is supportedCodecs[0])", async () => {
        request = await th().audioRequest();
        expect(request.bitRate).toBe(30_000);
    });

    it("step 5: read StreamUsagePriorities → aStreamUsagePriorities (not empty)", async () => {
        priorities = await th().read<number[]>("streamUsagePriorities");
        expect(priorities.length).toBeGreaterThan(0);
    });

    it("step 6: AudioStreamAllocate(codec, channels, rate, depth from the capabilities, usage = priorities[0], aBitRate) → an AudioStreamID", async () => {
        const response = successOf(await th().audioStreamAllocate(request), "AudioStreamAllocate");
        expect(response.audioStreamId).toBeGreaterThanOrEqual(0);
    });

    it("step 7: read AllocatedAudioStreams → 1 entry", async () => {
        expect(await th().audioStreams()).toHaveLength(1);
    });

    it("step 8: AudioStreamAllocate with a StreamUsage not in aStreamUsagePriorities (Analysis; Internal is CONSTRAINT_ERROR first) → INVALID_IN_STATE", async () => {
        // The stored TC_AVSM_2_5.py takes the first StreamUsageEnum value not prioritised, which on
        // this camera is Internal; the reference cluster answers Internal CONSTRAINT_ERROR before it
        // looks at the priorities, and TC_AVSM_2_7 (steps 17–18) now tests the two apart, skipping
        // Internal. Both are asserted.
        const notPrioritised = [StreamUsage.Recording, StreamUsage.Analysis, StreamUsage.LiveView].find(u => !priorities.includes(u));
        expect(notPrioritised).toBe(StreamUsage.Analysis);
        expectStatus(await th().audioStreamAllocate({ ...request, streamUsage: notPrioritised! }), Status.InvalidInState);
        expectStatus(await th().audioStreamAllocate({ ...request, streamUsage: StreamUsage.Internal }), Status.ConstraintError);
    });

    it("step 9: AudioStreamAllocate with ChannelCount 16 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().audioStreamAllocate({ ...request, channelCount: 16 }), Status.ConstraintError);
    });

    it("step 10: AudioStreamAllocate with BitDepth 48 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().audioStreamAllocate({ ...request, bitDepth: 48 }), Status.ConstraintError);
    });

    it("step 11: AudioStreamAllocate with SampleRate 0 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().audioStreamAllocate({ ...request, sampleRate: 0 }), Status.ConstraintError);
    });

    it("step 12: AudioStreamAllocate with BitRate 0 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().audioStreamAllocate({ ...request, bitRate: 0 }), Status.ConstraintError);
    });

    it("step 13: AudioStreamAllocate with AudioCodec 10 → CONSTRAINT_ERROR", async () => {
        expectStatus(await th().audioStreamAllocate({ ...request, audioCodec: OUT_OF_RANGE as Avsm.AudioCodec }), Status.ConstraintError);
    });
});

describe("TC_AVSM_2_6 (steps precondition, 1–5)", () => {
    let toDelete: number;
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("precondition: one allocated audio stream (AVSMTestBase)", async () => {
        await th().oneAudioStream();
    });

    it("step 1: read FeatureMap → ADO is supported", async () => {
        expect((await th().featureBits()) & Feature.audio).toBe(Feature.audio);
    });

    it("step 2: read AllocatedAudioStreams → 1 entry; aStreamIDToDelete", async () => {
        const streams = await th().audioStreams();
        expect(streams).toHaveLength(1);
        toDelete = streams[0]!.audioStreamId;
    });

    it("step 3: AudioStreamDeallocate(aStreamIDToDelete + 1) → NOT_FOUND", async () => {
        expectStatus(await th().audioStreamDeallocate(toDelete + 1), Status.NotFound);
    });

    it("step 4: AudioStreamDeallocate(aStreamIDToDelete) → SUCCESS", async () => {
        expectStatus(await th().audioStreamDeallocate(toDelete), Status.Success);
    });

    it("step 5: read AllocatedAudioStreams → 0 entries", async () => {
        expect(await th().audioStreams()).toHaveLength(0);
    });
});
