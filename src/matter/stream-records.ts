/**
 * The records of Camera AV Stream Management and the rules about them, apart from the behavior
 * that serves the cluster (camera-av-stream-management.ts): plain copies of state entries (so
 * nothing managed by an old transaction is written back), equality for "an identical allocation
 * reuses the stream", the camera's default streams, capability matching, resolution clamping, and
 * the field checks with the reference cluster's status codes. Pure functions over matter.js's
 * generated types; no state of their own.
 */

import { CameraAvStreamManagement } from "@matter/main/clusters/camera-av-stream-management";
import { Status, StatusResponseError, StreamUsage } from "@matter/main/types";
import type { StreamContext } from "../engine/core.js";
import { StreamUsage as EngineUsage } from "../engine/types.js";

export type VideoStream = CameraAvStreamManagement.VideoStream;
export type AudioStream = CameraAvStreamManagement.AudioStream;
export type SnapshotStream = CameraAvStreamManagement.SnapshotStream;
export type SnapshotCapabilities = CameraAvStreamManagement.SnapshotCapabilities;
export type Resolution = CameraAvStreamManagement.VideoResolution;

const { VideoCodec, AudioCodec, ImageCodec } = CameraAvStreamManagement;

/** What a default stream is made from: the camera's capabilities (the behavior's state). */
export interface StreamCapabilities {
    videoSensorParams: { sensorWidth: number; sensorHeight: number; maxFps: number };
    minViewportResolution: Resolution;
    microphoneCapabilities: { maxNumberOfChannels: number; supportedSampleRates: number[]; supportedBitDepths: number[] };
}


/** The id of the default video and audio streams (the id SmartThings and Home Assistant name). */
export const DEFAULT_STREAM_ID = 0;

/** The camera's own LiveView video stream: H.264 over the sensor's range. */
export function defaultVideoStream(state: StreamCapabilities): VideoStream {
    const sensor = state.videoSensorParams;
    const min = state.minViewportResolution;
    return {
        videoStreamId: DEFAULT_STREAM_ID,
        streamUsage: StreamUsage.LiveView,
        videoCodec: VideoCodec.H264,
        minFrameRate: Math.min(15, sensor.maxFps),
        maxFrameRate: sensor.maxFps,
        minResolution: { width: min.width, height: min.height },
        maxResolution: { width: sensor.sensorWidth, height: sensor.sensorHeight },
        minBitRate: 100_000,
        maxBitRate: 2_000_000,
        keyFrameInterval: 1000,
        referenceCount: 0,
    };
}

/** The camera's own LiveView audio stream: Opus from the microphone's first capabilities. */
export function defaultAudioStream(state: StreamCapabilities): AudioStream {
    const mic = state.microphoneCapabilities;
    return {
        audioStreamId: DEFAULT_STREAM_ID,
        streamUsage: StreamUsage.LiveView,
        audioCodec: AudioCodec.Opus,
        channelCount: Math.min(1, mic.maxNumberOfChannels),
        sampleRate: mic.supportedSampleRates[0] ?? 48_000,
        bitRate: 32_000,
        bitDepth: mic.supportedBitDepths[0] ?? 16,
        referenceCount: 0,
    };
}

/** `requested` with each side clamped into min..max. */
export function clampResolution(requested: Resolution, min: Resolution, max: Resolution): Resolution {
    const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
    return { width: clamp(requested.width, min.width, max.width), height: clamp(requested.height, min.height, max.height) };
}

export function fail(status: Status, message: string): never {
    throw new StatusResponseError(message, status);
}

export function isStreamUsage(value: number): value is StreamUsage {
    return value === StreamUsage.Internal || value === StreamUsage.Recording || value === StreamUsage.Analysis
        || value === StreamUsage.LiveView;
}

export function isVideoCodec(value: number): boolean {
    return Object.values(VideoCodec).includes(value);
}

export function isAudioCodec(value: number): boolean {
    return Object.values(AudioCodec).includes(value);
}

export function isImageCodec(value: number): boolean {
    return Object.values(ImageCodec).includes(value);
}

/** Allocation commands accept Recording, Analysis and LiveView (field constraint); else CONSTRAINT_ERROR. */
export function checkAllocatableUsage(usage: StreamUsage): void {
    if (usage !== StreamUsage.Recording && usage !== StreamUsage.Analysis && usage !== StreamUsage.LiveView) {
        fail(Status.ConstraintError, `stream usage ${usage} cannot be allocated`);
    }
}

export function checkResolutionRange(min: Resolution, max: Resolution): void {
    if (min.width < 1 || min.height < 1 || max.width < 1 || max.height < 1) {
        fail(Status.ConstraintError, "resolutions must be at least 1x1");
    }
    if (min.width > max.width || min.height > max.height) {
        fail(Status.ConstraintError, "MinResolution is larger than MaxResolution");
    }
}

/**
 * Deallocation: unknown id NOT_FOUND (checked by the caller), in use INVALID_IN_STATE, an Internal
 * video or audio stream DYNAMIC_CONSTRAINT_ERROR (reference `ValidateStreamForModifyOrDeallocateImpl`).
 */
export function checkDeallocatable(kind: string, id: number, referenceCount: number, usage: StreamUsage | undefined): void {
    if (referenceCount > 0) {
        fail(Status.InvalidInState, `${kind} stream ${id} is in use (ReferenceCount ${referenceCount})`);
    }
    if (usage === StreamUsage.Internal) fail(Status.DynamicConstraintError, `${kind} stream ${id} is Internal`);
}

/** The reference's capability match: same codec, enough frame rate, capability resolution inside the range. */
export function matchesCapability(
    capability: SnapshotCapabilities,
    stream: { imageCodec: number; minResolution: Resolution; maxResolution: Resolution } & (
        | { maxFrameRate: number }
        | { frameRate: number }
    ),
): boolean {
    const frameRate = "maxFrameRate" in stream ? stream.maxFrameRate : stream.frameRate;
    const r = capability.resolution;
    return (
        capability.imageCodec === stream.imageCodec &&
        capability.maxFrameRate >= frameRate &&
        r.width >= stream.minResolution.width &&
        r.height >= stream.minResolution.height &&
        r.width <= stream.maxResolution.width &&
        r.height <= stream.maxResolution.height
    );
}

export function engineUsage(usage: StreamUsage): EngineUsage {
    switch (usage) {
        case StreamUsage.Internal:
            return EngineUsage.Internal;
        case StreamUsage.Recording:
            return EngineUsage.Recording;
        case StreamUsage.Analysis:
            return EngineUsage.Analysis;
        default:
            return EngineUsage.LiveView;
    }
}

export function pixelsOf(r: Resolution): number {
    return r.width * r.height;
}

export function copyResolution(r: Resolution): Resolution {
    return { width: r.width, height: r.height };
}

export function sameResolution(a: Resolution, b: Resolution): boolean {
    return a.width === b.width && a.height === b.height;
}

/** Plain copies of state entries, so nothing managed by the old transaction is written back. */
export function copyVideo(s: VideoStream): VideoStream {
    const copy: VideoStream = {
        videoStreamId: s.videoStreamId,
        streamUsage: s.streamUsage,
        videoCodec: s.videoCodec,
        minFrameRate: s.minFrameRate,
        maxFrameRate: s.maxFrameRate,
        minResolution: copyResolution(s.minResolution),
        maxResolution: copyResolution(s.maxResolution),
        minBitRate: s.minBitRate,
        maxBitRate: s.maxBitRate,
        keyFrameInterval: s.keyFrameInterval,
        referenceCount: s.referenceCount,
    };
    if (s.watermarkEnabled !== undefined) copy.watermarkEnabled = s.watermarkEnabled;
    if (s.osdEnabled !== undefined) copy.osdEnabled = s.osdEnabled;
    return copy;
}

export function copyAudio(s: AudioStream): AudioStream {
    return {
        audioStreamId: s.audioStreamId,
        streamUsage: s.streamUsage,
        audioCodec: s.audioCodec,
        channelCount: s.channelCount,
        sampleRate: s.sampleRate,
        bitRate: s.bitRate,
        bitDepth: s.bitDepth,
        referenceCount: s.referenceCount,
    };
}

export function copySnapshot(s: SnapshotStream): SnapshotStream {
    const copy: SnapshotStream = {
        snapshotStreamId: s.snapshotStreamId,
        imageCodec: s.imageCodec,
        frameRate: s.frameRate,
        minResolution: copyResolution(s.minResolution),
        maxResolution: copyResolution(s.maxResolution),
        quality: s.quality,
        referenceCount: s.referenceCount,
        encodedPixels: s.encodedPixels,
        hardwareEncoder: s.hardwareEncoder,
    };
    if (s.watermarkEnabled !== undefined) copy.watermarkEnabled = s.watermarkEnabled;
    if (s.osdEnabled !== undefined) copy.osdEnabled = s.osdEnabled;
    return copy;
}

export function hasOtherCount(counts: Map<number, number>, id: number, current: number): boolean {
    const count = counts.get(id);
    return count !== undefined && count !== current;
}

export function withReferenceCount<T extends { referenceCount: number }>(stream: T, count: number | undefined): T {
    if (count !== undefined) stream.referenceCount = count;
    return stream;
}

/** Identical parameters (id and ReferenceCount aside). */
export function sameVideo(a: VideoStream, b: VideoStream): boolean {
    return (
        a.streamUsage === b.streamUsage &&
        a.videoCodec === b.videoCodec &&
        a.minFrameRate === b.minFrameRate &&
        a.maxFrameRate === b.maxFrameRate &&
        sameResolution(a.minResolution, b.minResolution) &&
        sameResolution(a.maxResolution, b.maxResolution) &&
        a.minBitRate === b.minBitRate &&
        a.maxBitRate === b.maxBitRate &&
        a.keyFrameInterval === b.keyFrameInterval &&
        a.watermarkEnabled === b.watermarkEnabled &&
        a.osdEnabled === b.osdEnabled
    );
}

export function sameAudio(a: AudioStream, b: AudioStream): boolean {
    return (
        a.streamUsage === b.streamUsage &&
        a.audioCodec === b.audioCodec &&
        a.channelCount === b.channelCount &&
        a.sampleRate === b.sampleRate &&
        a.bitRate === b.bitRate &&
        a.bitDepth === b.bitDepth
    );
}

export function sameSnapshot(a: SnapshotStream, b: SnapshotStream): boolean {
    return (
        a.imageCodec === b.imageCodec &&
        a.frameRate === b.frameRate &&
        sameResolution(a.minResolution, b.minResolution) &&
        sameResolution(a.maxResolution, b.maxResolution) &&
        a.quality === b.quality &&
        a.watermarkEnabled === b.watermarkEnabled &&
        a.osdEnabled === b.osdEnabled
    );
}

export function sameStreams(a: StreamContext["videoStreams"], b: StreamContext["videoStreams"]): boolean {
    return a.length === b.length && a.every((s, i) => s.id === b[i]!.id && s.usage === b[i]!.usage);
}

export function sameContext(a: StreamContext, b: StreamContext): boolean {
    return (
        sameStreams(a.videoStreams, b.videoStreams) &&
        sameStreams(a.audioStreams, b.audioStreams) &&
        a.streamUsagePriorities.length === b.streamUsagePriorities.length &&
        a.streamUsagePriorities.every((u, i) => u === b.streamUsagePriorities[i]) &&
        a.hardPrivacyModeOn === b.hardPrivacyModeOn &&
        a.softRecordingPrivacyModeEnabled === b.softRecordingPrivacyModeEnabled &&
        a.softLivestreamPrivacyModeEnabled === b.softLivestreamPrivacyModeEnabled &&
        a.utcTimeNull === b.utcTimeNull
    );
}
