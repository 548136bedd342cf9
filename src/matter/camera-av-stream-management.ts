/**
 * `CameraAvStreamServer`: the Camera AV Stream Management cluster (0x0551) of the virtual camera.
 *
 * matter.js 0.17.9 ships `CameraAvStreamManagementServer` as an empty stub. This behavior makes it a
 * real server for a software camera with features Audio, Video, Snapshot and Privacy:
 *
 * - fixed capabilities (quality F) for a 640x480@30 H.264 camera with a mono 48 kHz Opus microphone
 *   and 640x480 JPEG snapshots; every value is a `State` default, so a node factory can override it
 *   with `CameraAvStreamServer.set({ ... })`;
 * - VideoStreamAllocate / VideoStreamDeallocate, AudioStreamAllocate / AudioStreamDeallocate,
 *   SnapshotStreamAllocate / SnapshotStreamDeallocate, SetStreamPriorities and CaptureSnapshot, with
 *   the connectedhomeip reference cluster's status codes (`CameraAVStreamManagementCluster.{h,cpp}`);
 * - VideoStreamModify and SnapshotStreamModify. Their conformance is `VDO & (WMARK | OSD)` and
 *   `SNP & (WMARK | OSD)`, so they are part of the cluster only in a variant that adds the Watermark or
 *   OnScreenDisplay feature: `CameraAvStreamServer.with("Video", "Audio", "Snapshot", "Privacy",
 *   "Watermark", "OnScreenDisplay")`. The flags are only recorded on the stream; nothing draws them.
 *
 * Default streams (`State.defaultStreams`, true unless certification mode turns it off):
 * SmartThings and Home Assistant name video stream 0 and audio stream 0 without ever
 * allocating them (shared/reference/real-controllers.md §5). With the flag, video stream 0 (H.264
 * LiveView, the sensor's range) and audio stream 0 (Opus mono 48 kHz LiveView) always exist: made
 * at first start, made again at start and right after a deallocation if they are missing. They are
 * ordinary allocated streams (persisted, reference-counted, reusable by an identical allocation).
 * Without the flag the lists start empty, as TC_AVSM_2_2 / 2_5 and the TC_WEBRTCP steps expect.
 *
 * Coupling with the WebRTC engine (which keeps the provider's sessions), found as a service of the
 * node's environment (`WebRtcEngine`, set by the camera node factory):
 *
 * - `streamContext()` is the engine's `StreamContext`, computed from state: the allocated video and
 *   audio streams (id, usage), StreamUsagePriorities, the three privacy flags and `utcTimeNull`;
 *   the engine gets it at start and after any of those changed and the change committed
 *   (allocation, deallocation, SetStreamPriorities, a privacy write from a controller or locally,
 *   `setHardPrivacyModeOn`, Time Synchronization's UTCTime turning null or non-null), and
 *   `events.streamContextChanged` emits it too (consecutive identical contexts once);
 * - session counts flow one way, from the engine: its reports are written into ReferenceCount
 *   (`setReferenceCounts`), which gates deallocation (a stream in use is INVALID_IN_STATE), and
 *   deallocation asks the engine itself first, so no write can lag a session starting or ending.
 *   Without an engine, `setReferenceCounts` / `setReferenceSource` are the same seams for any
 *   other source.
 *
 * Limits:
 *
 * - There is no encoder behind the streams: an allocation records the negotiated parameters and
 *   reserves capacity (streams per kind, MaxConcurrentEncoders, MaxEncodedPixelRate); the media layer
 *   decides what it actually sends. Viewport, microphone level and mute are stored, not applied;
 *   a written Viewport is not checked against the sensor and MinViewportResolution (the reference
 *   answers CONSTRAINT_ERROR there).
 * - A stream is reused only when a request is identical to an allocated stream (usage included); the
 *   reference also reuses a stream whose ranges contain the request and narrows it, which this server
 *   does not do.
 * - `utcTimeNull` is true only when the root endpoint has a Time Synchronization server whose UTCTime
 *   is null; without that cluster the device is taken to know the time (the reference camera app
 *   hard-codes "not null" as well).
 * - Ending WebRTC sessions when a privacy mode turns on (spec: End with reason PrivacyMode) is the
 *   provider's job, triggered by `streamContextChanged`.
 * - CaptureSnapshot asks the installed `SnapshotSource` (else the snapshot of the `WebRtcService`'s
 *   media host) for the current frame at the requested
 *   resolution clamped into the stream's MinResolution..MaxResolution (so the image always fits
 *   the range the controller allocated), at the stream's Quality, lowered (up to four tries) until
 *   the JPEG fits the response (matter.js sends one TCP message of at most 64,000 bytes: a
 *   1920x1080 frame usually needs a lower quality); without a source it returns a fixed 640x480
 *   JPEG (colour bars, `fixtures/snapshot-jpeg.ts`) whatever the range.
 * - Allocated streams persist (quality N); after a restart their ReferenceCount is reset to 0, as the
 *   spec requires it to be recomputed at runtime and no session survives a restart.
 *
 * Size: one cluster's server is one matter.js behavior class (ten commands, state, the engine
 * coupling); the records and field rules it uses live apart in stream-records.ts.
 */

import { Logger, Node, Observable, type MaybePromise } from "@matter/main";
import { CameraAvStreamManagementServer } from "@matter/main/behaviors/camera-av-stream-management";
import { TimeSynchronizationBehavior } from "@matter/main/behaviors/time-synchronization";
import { CameraAvStreamManagement } from "@matter/main/clusters/camera-av-stream-management";
import { hasRemoteActor } from "@matter/main/protocol";
import { Status, StatusResponseError, StreamUsage } from "@matter/main/types";
import type { StreamContext } from "../engine/core.js";
import { WebRtcEngine } from "../engine/engine.js";
import { StreamKind, type StreamReference } from "../engine/types.js";
import { WebRtcService } from "./webrtc-service.js";
import {
    DEFAULT_STREAM_ID,
    checkAllocatableUsage,
    checkDeallocatable,
    checkResolutionRange,
    clampResolution,
    copyAudio,
    copyResolution,
    copySnapshot,
    copyVideo,
    defaultAudioStream,
    defaultVideoStream,
    engineUsage,
    fail,
    hasOtherCount,
    isAudioCodec,
    isImageCodec,
    isStreamUsage,
    isVideoCodec,
    matchesCapability,
    pixelsOf,
    sameAudio,
    sameContext,
    sameSnapshot,
    sameVideo,
    withReferenceCount,
    type AudioStream,
    type SnapshotCapabilities,
    type SnapshotStream,
    type VideoStream,
} from "./stream-records.js";
import { SNAPSHOT_FIXTURE_HEIGHT, SNAPSHOT_FIXTURE_WIDTH, snapshotFixtureJpeg } from "./fixtures/snapshot-jpeg.js";

export { DEFAULT_STREAM_ID };

const logger = Logger.get("CameraAvStreamServer");

const { VideoCodec, AudioCodec, ImageCodec } = CameraAvStreamManagement;

/** Stream ids run 0..65534 (VideoStreamID / AudioStreamID / SnapshotStreamID, §11.2.6.15-17). */
const MAX_STREAM_ID = 65534;
/** VideoStreamStruct KeyFrameInterval constraint. */
const MAX_KEY_FRAME_INTERVAL = 65500;
/** ReferenceCount is a uint8. */
const MAX_REFERENCE_COUNT = 255;
/** Upper bound for CaptureSnapshotResponse.Data: the reference's kMaxLargeSecureSduLengthBytes - 100. */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024 - 100;
/** Bytes of a CaptureSnapshotResponse around its Data (the struct, resolution, codec and invoke framing). */
const SNAPSHOT_RESPONSE_OVERHEAD = 200;
/** Tries at ever lower JPEG quality before a snapshot that does not fit is RESOURCE_EXHAUSTED. */
const SNAPSHOT_QUALITY_TRIES = 4;

const SENSOR_WIDTH = 640;
const SENSOR_HEIGHT = 480;
const SENSOR_FPS = 30;

/** The request of SnapshotStreamModify (cluster §11.2.8.11); matter.js 0.17.9 generates no type for it. */
export interface SnapshotStreamModifyRequest {
    /** The allocated snapshot stream to change. */
    snapshotStreamId: number;
    /** Turns the watermark on or off (Watermark feature). */
    watermarkEnabled?: boolean;
    /** Turns the on-screen display on or off (OnScreenDisplay feature). */
    osdEnabled?: boolean;
}

/** An image for CaptureSnapshot. */
export interface SnapshotImage {
    /** Encoded image bytes (JPEG unless `imageCodec` says otherwise). */
    data: Uint8Array;
    /** Width in pixels; the response reports it as the image's resolution. */
    width: number;
    /** Height in pixels. */
    height: number;
    /** The encoding of `data`. Default JPEG. */
    imageCodec?: CameraAvStreamManagement.ImageCodec;
}

/**
 * Produces the image for CaptureSnapshot (e.g. a frame grabbed from the live media source). A
 * `StatusResponseError` it throws becomes the command's status; any other error is FAILURE.
 */
export type SnapshotSource = (request: {
    snapshotStreamId: number;
    /** The exact size to produce (the request clamped into the stream's range). */
    requestedResolution: { width: number; height: number };
    /** JPEG quality 1–100: the stream's Quality, lowered when an image does not fit `maxBytes`. */
    quality: number;
    /** The largest image the response can carry on this exchange. */
    maxBytes: number;
}) => MaybePromise<SnapshotImage>;

/**
 * The number of sessions using a video or audio stream right now, or a negative number when the
 * source does not know the stream (the shape of `Core.streamReferences`).
 */
export type ReferenceSource = (kind: StreamKind, streamId: number) => number;

const Base = CameraAvStreamManagementServer.with("Video", "Audio", "Snapshot", "Privacy");

/**
 * The Camera AV Stream Management (0x0551) behavior of a software camera (features Video, Audio,
 * Snapshot, Privacy): fixed capabilities, stream allocation with the reference's status codes,
 * privacy switches and CaptureSnapshot, coupled to the node's {@link WebRtcEngine} for stream
 * context and session counts. Put it on the camera endpoint next to `WebRtcProviderServer`.
 */
export class CameraAvStreamServer extends Base {
    /** The behavior's private runtime state (matter.js keeps it per endpoint, outside attributes). */
    declare internal: CameraAvStreamServer.Internal;
    declare state: CameraAvStreamServer.State;
    declare readonly events: CameraAvStreamServer.Events;

    override initialize(): void {
        this.#resetReferenceCounts();
        this.#ensureDefaultStreams();
        this.#seedIdCounters();

        const events = this.events;
        this.reactTo(events.allocatedVideoStreams$Changed, this.#contextMaybeChanged, { offline: true });
        this.reactTo(events.allocatedAudioStreams$Changed, this.#contextMaybeChanged, { offline: true });
        this.reactTo(events.streamUsagePriorities$Changed, this.#contextMaybeChanged, { offline: true });
        this.reactTo(events.softRecordingPrivacyModeEnabled$Changed, this.#contextMaybeChanged, { offline: true });
        this.reactTo(events.softLivestreamPrivacyModeEnabled$Changed, this.#contextMaybeChanged, { offline: true });
        // Optional attribute: present because State gives it a value.
        const hardPrivacyChanged = events.hardPrivacyModeOn$Changed;
        if (hardPrivacyChanged !== undefined) {
            this.reactTo(hardPrivacyChanged, this.#contextMaybeChanged, { offline: true });
        }

        const node = Node.forEndpoint(this.endpoint);
        if (node !== this.endpoint && node.behaviors.has(TimeSynchronizationBehavior)) {
            this.reactTo(node.eventsOf(TimeSynchronizationBehavior).utcTime$Changed, this.#contextMaybeChanged, {
                offline: true,
            });
        }

        this.internal.lastContext = this.streamContext();
        const engine = this.env.maybeGet(WebRtcEngine);
        if (engine !== undefined) this.#bindEngine(engine);
    }

    /** Stops following the engine's reference counts, then lets matter.js dispose of the behavior. */
    override [Symbol.asyncDispose](): MaybePromise {
        this.internal.unbindEngine?.();
        this.internal.unbindEngine = undefined;
        return super[Symbol.asyncDispose]();
    }

    /**
     * The WebRTC engine of this node (a service of its environment, set by the camera node): it
     * gets this cluster's StreamContext now and after every change, and is where session counts
     * come from, one way: ReferenceCount is written from its reports, and deallocation asks it
     * directly (no window between a session starting or ending and the attribute following).
     */
    #bindEngine(engine: WebRtcEngine): void {
        this.internal.engine = engine;
        try {
            engine.setStreamContext(this.streamContext());
        } catch (error) {
            logger.error("the WebRTC engine refused the stream context", error);
        }
        this.internal.referenceSource = (kind, id) => engine.streamReferences(kind, id);
        const endpoint = this.endpoint;
        let writes: Promise<void> = Promise.resolve();
        this.internal.unbindEngine = engine.onStreamReferences(references => {
            // in order, each in its own transaction that waits for the cluster's lock (a command
            // of the engine may hold a transaction of its own meanwhile)
            writes = writes
                .then(() =>
                    endpoint.act("reference counts", async agent => {
                        const server = agent.get(CameraAvStreamServer);
                        await agent.context.transaction.begin();
                        await agent.context.transaction.addResources(server);
                        server.setReferenceCounts(references);
                    }),
                )
                .catch((error: unknown) => logger.warn("ReferenceCount update failed", error));
        });
    }

    // ── coupling with the WebRTC Transport Provider ─────────────────────────────────────────────

    /** The provider's view of this cluster, computed from the current state (a fresh plain object). */
    streamContext(): StreamContext {
        const state = this.state;
        return {
            videoStreams: state.allocatedVideoStreams.map(s => ({
                id: s.videoStreamId,
                usage: engineUsage(s.streamUsage),
            })),
            audioStreams: state.allocatedAudioStreams.map(s => ({
                id: s.audioStreamId,
                usage: engineUsage(s.streamUsage),
            })),
            streamUsagePriorities: state.streamUsagePriorities.map(engineUsage),
            hardPrivacyModeOn: state.hardPrivacyModeOn ?? false,
            softRecordingPrivacyModeEnabled: state.softRecordingPrivacyModeEnabled,
            softLivestreamPrivacyModeEnabled: state.softLivestreamPrivacyModeEnabled,
            utcTimeNull: this.#utcTimeNull(),
        };
    }

    /**
     * Writes ReferenceCount of the allocated video and audio streams from the engine's counts
     * (`Core.takeReferenceChanges()`). Streams not listed keep their count; entries for streams that
     * are not allocated are ignored; counts are clamped to 0..255 (the field is a uint8). Writes only
     * what changed. Returns true when some count changed.
     */
    setReferenceCounts(references: readonly StreamReference[]): boolean {
        const video = new Map<number, number>();
        const audio = new Map<number, number>();
        for (const r of references) {
            const count = Math.min(MAX_REFERENCE_COUNT, Math.max(0, Math.trunc(r.references)));
            (r.kind === StreamKind.Video ? video : audio).set(r.streamId, count);
        }

        let changed = false;
        const videoStreams = this.state.allocatedVideoStreams;
        if (videoStreams.some(s => hasOtherCount(video, s.videoStreamId, s.referenceCount))) {
            this.state.allocatedVideoStreams = videoStreams.map(s =>
                withReferenceCount(copyVideo(s), video.get(s.videoStreamId)),
            );
            changed = true;
        }
        const audioStreams = this.state.allocatedAudioStreams;
        if (audioStreams.some(s => hasOtherCount(audio, s.audioStreamId, s.referenceCount))) {
            this.state.allocatedAudioStreams = audioStreams.map(s =>
                withReferenceCount(copyAudio(s), audio.get(s.audioStreamId)),
            );
            changed = true;
        }
        for (const id of video.keys()) {
            if (!videoStreams.some(s => s.videoStreamId === id)) logger.debug(`count for unknown video stream ${id}`);
        }
        for (const id of audio.keys()) {
            if (!audioStreams.some(s => s.audioStreamId === id)) logger.debug(`count for unknown audio stream ${id}`);
        }
        return changed;
    }

    /** Sets HardPrivacyModeOn (read-only to controllers): the device's physical privacy switch. */
    setHardPrivacyModeOn(on: boolean): void {
        if (this.state.hardPrivacyModeOn !== on) this.state.hardPrivacyModeOn = on;
    }

    /**
     * Installs (or, with undefined, removes) the producer of CaptureSnapshot images. Without one,
     * the media host of the node's `WebRtcService` answers when it can take snapshots.
     */
    setSnapshotSource(source: SnapshotSource | undefined): void {
        this.internal.snapshotSource = source;
    }

    /** The snapshot of the `WebRtcService`'s media host, as a SnapshotSource (undefined when it has none). */
    #mediaSnapshotSource(): SnapshotSource | undefined {
        const media = this.env.maybeGet(WebRtcService)?.media;
        const snapshot = media?.snapshot;
        if (media === undefined || snapshot === undefined) return undefined;
        return request => snapshot.call(media, request.requestedResolution, request.quality);
    }

    /**
     * Installs (or removes) a live reference count, e.g. `(kind, id) => core.streamReferences(kind, id)`.
     * VideoStreamDeallocate / AudioStreamDeallocate then decide on the engine's current count instead
     * of ReferenceCount, which `setReferenceCounts` updates only after the engine reported a change
     * (a later transaction). A negative answer (stream unknown to the engine) falls back to
     * ReferenceCount.
     */
    setReferenceSource(source: ReferenceSource | undefined): void {
        this.internal.referenceSource = source;
    }

    // ── video ───────────────────────────────────────────────────────────────────────────────────

    override videoStreamAllocate(
        request: CameraAvStreamManagement.VideoStreamAllocateRequest,
    ): CameraAvStreamManagement.VideoStreamAllocateResponse {
        this.#checkOverlayFields(request, "VideoStreamAllocate");
        checkAllocatableUsage(request.streamUsage);
        if (!isVideoCodec(request.videoCodec)) fail(Status.ConstraintError, `video codec ${request.videoCodec}?`);
        if (request.minFrameRate < 1 || request.maxFrameRate < 1 || request.minFrameRate > request.maxFrameRate) {
            fail(Status.ConstraintError, "MinFrameRate must be 1..MaxFrameRate");
        }
        checkResolutionRange(request.minResolution, request.maxResolution);
        if (request.minBitRate < 1 || request.maxBitRate < 1 || request.minBitRate > request.maxBitRate) {
            fail(Status.ConstraintError, "MinBitRate must be 1..MaxBitRate");
        }
        if (request.keyFrameInterval > MAX_KEY_FRAME_INTERVAL) {
            fail(Status.ConstraintError, `KeyFrameInterval above ${MAX_KEY_FRAME_INTERVAL}`);
        }
        this.#checkPrioritised(request.streamUsage);

        const state = this.state;
        const candidate: VideoStream = {
            videoStreamId: 0,
            streamUsage: request.streamUsage,
            videoCodec: request.videoCodec,
            minFrameRate: request.minFrameRate,
            maxFrameRate: request.maxFrameRate,
            minResolution: copyResolution(request.minResolution),
            maxResolution: copyResolution(request.maxResolution),
            minBitRate: request.minBitRate,
            maxBitRate: request.maxBitRate,
            keyFrameInterval: request.keyFrameInterval,
            referenceCount: 0,
        };
        if (this.features.watermark) candidate.watermarkEnabled = request.watermarkEnabled;
        if (this.features.onScreenDisplay) candidate.osdEnabled = request.osdEnabled;

        const same = state.allocatedVideoStreams.find(s => sameVideo(s, candidate));
        if (same !== undefined) return { videoStreamId: same.videoStreamId };

        // What this camera can produce (the reference delegate answers DYNAMIC_CONSTRAINT_ERROR when
        // no stream of the HAL is compatible).
        if (!state.rateDistortionTradeOffPoints.some(p => p.codec === request.videoCodec)) {
            fail(Status.DynamicConstraintError, `video codec ${request.videoCodec} not supported`);
        }
        const sensor = state.videoSensorParams;
        // the whole range within the sensor (MinFrameRate ≤ MaxFrameRate is checked above): the
        // reference camera has no stream above its MaxFPS (TC_AVSM_2_7 step 25: MaxFPS + 10 is DCE)
        if (request.maxFrameRate > sensor.maxFps) {
            fail(Status.DynamicConstraintError, `frame rate range ${request.minFrameRate}..${request.maxFrameRate} beyond the sensor's ${sensor.maxFps} fps`);
        }
        if (request.minResolution.width > sensor.sensorWidth || request.minResolution.height > sensor.sensorHeight) {
            fail(Status.DynamicConstraintError, "MinResolution larger than the sensor");
        }
        if (request.minBitRate > state.maxNetworkBandwidth) {
            fail(Status.DynamicConstraintError, "MinBitRate above MaxNetworkBandwidth");
        }

        // Resources.
        if (state.allocatedVideoStreams.length >= state.maxStreamsPerKind) {
            fail(Status.ResourceExhausted, `no more than ${state.maxStreamsPerKind} video streams`);
        }
        if (this.#encodersInUse() + 1 > state.maxConcurrentEncoders) {
            fail(Status.ResourceExhausted, "all encoders are in use");
        }
        const pixelRate = pixelsOf(request.maxResolution) * request.maxFrameRate;
        if (this.#encodedPixelRate() + pixelRate > state.maxEncodedPixelRate) {
            fail(Status.ResourceExhausted, "MaxEncodedPixelRate exceeded");
        }

        candidate.videoStreamId = this.#newId("video", state.allocatedVideoStreams.map(s => s.videoStreamId));
        state.allocatedVideoStreams = [...state.allocatedVideoStreams.map(copyVideo), candidate];
        logger.info(`video stream ${candidate.videoStreamId} allocated (usage ${request.streamUsage})`);
        return { videoStreamId: candidate.videoStreamId };
    }

    /** Part of the cluster only with the Watermark or OnScreenDisplay feature. */
    videoStreamModify(request: CameraAvStreamManagement.VideoStreamModifyRequest): void {
        this.#checkModifyFields(request, "VideoStreamModify");
        const streams = this.state.allocatedVideoStreams;
        const index = streams.findIndex(s => s.videoStreamId === request.videoStreamId);
        if (index < 0) fail(Status.NotFound, `video stream ${request.videoStreamId} not found`);
        const stream = streams[index]!;
        if (stream.streamUsage === StreamUsage.Internal) {
            fail(Status.DynamicConstraintError, `video stream ${request.videoStreamId} is Internal`);
        }
        const modified = copyVideo(stream);
        if (request.watermarkEnabled !== undefined) modified.watermarkEnabled = request.watermarkEnabled;
        if (request.osdEnabled !== undefined) modified.osdEnabled = request.osdEnabled;
        this.state.allocatedVideoStreams = streams.map((s, i) => (i === index ? modified : copyVideo(s)));
    }

    override videoStreamDeallocate(request: CameraAvStreamManagement.VideoStreamDeallocateRequest): void {
        const streams = this.state.allocatedVideoStreams;
        const stream = streams.find(s => s.videoStreamId === request.videoStreamId);
        if (stream === undefined) fail(Status.NotFound, `video stream ${request.videoStreamId} not found`);
        const references = this.#references(StreamKind.Video, stream.videoStreamId, stream.referenceCount);
        checkDeallocatable("video", stream.videoStreamId, references, stream.streamUsage);
        this.state.allocatedVideoStreams = streams.filter(s => s !== stream).map(copyVideo);
        logger.info(`video stream ${request.videoStreamId} deallocated`);
        this.#ensureDefaultStreams();
    }

    // ── audio ───────────────────────────────────────────────────────────────────────────────────

    override audioStreamAllocate(
        request: CameraAvStreamManagement.AudioStreamAllocateRequest,
    ): CameraAvStreamManagement.AudioStreamAllocateResponse {
        checkAllocatableUsage(request.streamUsage);
        if (!isAudioCodec(request.audioCodec)) fail(Status.ConstraintError, `audio codec ${request.audioCodec}?`);
        if (request.channelCount < 1 || request.channelCount > 8) fail(Status.ConstraintError, "ChannelCount not 1..8");
        if (request.sampleRate < 1) fail(Status.ConstraintError, "SampleRate must be at least 1");
        if (request.bitRate < 1) fail(Status.ConstraintError, "BitRate must be at least 1");
        if (![8, 16, 24, 32].includes(request.bitDepth)) fail(Status.ConstraintError, "BitDepth not 8, 16, 24, 32");
        this.#checkPrioritised(request.streamUsage);

        const state = this.state;
        const candidate: AudioStream = {
            audioStreamId: 0,
            streamUsage: request.streamUsage,
            audioCodec: request.audioCodec,
            channelCount: request.channelCount,
            sampleRate: request.sampleRate,
            bitRate: request.bitRate,
            bitDepth: request.bitDepth,
            referenceCount: 0,
        };
        const same = state.allocatedAudioStreams.find(s => sameAudio(s, candidate));
        if (same !== undefined) return { audioStreamId: same.audioStreamId };

        const mic = state.microphoneCapabilities;
        if (!mic.supportedCodecs.includes(request.audioCodec)) {
            fail(Status.DynamicConstraintError, `audio codec ${request.audioCodec} not supported`);
        }
        if (request.channelCount > mic.maxNumberOfChannels) {
            fail(Status.DynamicConstraintError, `more than ${mic.maxNumberOfChannels} channel(s)`);
        }
        if (!mic.supportedSampleRates.includes(request.sampleRate)) {
            fail(Status.DynamicConstraintError, `sample rate ${request.sampleRate} not supported`);
        }
        if (!mic.supportedBitDepths.includes(request.bitDepth)) {
            fail(Status.DynamicConstraintError, `bit depth ${request.bitDepth} not supported`);
        }
        if (request.bitRate > state.maxNetworkBandwidth) {
            fail(Status.DynamicConstraintError, "BitRate above MaxNetworkBandwidth");
        }
        if (state.allocatedAudioStreams.length >= state.maxStreamsPerKind) {
            fail(Status.ResourceExhausted, `no more than ${state.maxStreamsPerKind} audio streams`);
        }

        candidate.audioStreamId = this.#newId("audio", state.allocatedAudioStreams.map(s => s.audioStreamId));
        state.allocatedAudioStreams = [...state.allocatedAudioStreams.map(copyAudio), candidate];
        logger.info(`audio stream ${candidate.audioStreamId} allocated (usage ${request.streamUsage})`);
        return { audioStreamId: candidate.audioStreamId };
    }

    override audioStreamDeallocate(request: CameraAvStreamManagement.AudioStreamDeallocateRequest): void {
        const streams = this.state.allocatedAudioStreams;
        const stream = streams.find(s => s.audioStreamId === request.audioStreamId);
        if (stream === undefined) fail(Status.NotFound, `audio stream ${request.audioStreamId} not found`);
        const references = this.#references(StreamKind.Audio, stream.audioStreamId, stream.referenceCount);
        checkDeallocatable("audio", stream.audioStreamId, references, stream.streamUsage);
        this.state.allocatedAudioStreams = streams.filter(s => s !== stream).map(copyAudio);
        logger.info(`audio stream ${request.audioStreamId} deallocated`);
        this.#ensureDefaultStreams();
    }

    // ── snapshot ────────────────────────────────────────────────────────────────────────────────

    override snapshotStreamAllocate(
        request: CameraAvStreamManagement.SnapshotStreamAllocateRequest,
    ): CameraAvStreamManagement.SnapshotStreamAllocateResponse {
        this.#checkOverlayFields(request, "SnapshotStreamAllocate");
        if (!isImageCodec(request.imageCodec)) fail(Status.ConstraintError, `image codec ${request.imageCodec}?`);
        if (request.maxFrameRate < 1) fail(Status.ConstraintError, "MaxFrameRate must be at least 1");
        checkResolutionRange(request.minResolution, request.maxResolution);
        if (request.quality < 1 || request.quality > 100) fail(Status.ConstraintError, "Quality must be 1..100");

        const state = this.state;
        const capability = state.snapshotCapabilities.find(c => matchesCapability(c, request));
        if (capability === undefined) {
            fail(Status.DynamicConstraintError, "no SnapshotCapabilities entry matches the request");
        }
        const candidate: SnapshotStream = {
            snapshotStreamId: 0,
            imageCodec: request.imageCodec,
            frameRate: request.maxFrameRate,
            minResolution: copyResolution(request.minResolution),
            maxResolution: copyResolution(request.maxResolution),
            quality: request.quality,
            referenceCount: 0,
            encodedPixels: capability.requiresEncodedPixels,
            hardwareEncoder: capability.requiresEncodedPixels && (capability.requiresHardwareEncoder ?? false),
        };
        if (this.features.watermark) candidate.watermarkEnabled = request.watermarkEnabled;
        if (this.features.onScreenDisplay) candidate.osdEnabled = request.osdEnabled;

        const same = state.allocatedSnapshotStreams.find(s => sameSnapshot(s, candidate));
        if (same !== undefined) return { snapshotStreamId: same.snapshotStreamId };

        if (state.allocatedSnapshotStreams.length >= state.maxStreamsPerKind) {
            fail(Status.ResourceExhausted, `no more than ${state.maxStreamsPerKind} snapshot streams`);
        }
        if (candidate.hardwareEncoder && this.#encodersInUse() + 1 > state.maxConcurrentEncoders) {
            fail(Status.ResourceExhausted, "all encoders are in use");
        }
        const pixelRate = pixelsOf(request.maxResolution) * request.maxFrameRate;
        if (candidate.encodedPixels && this.#encodedPixelRate() + pixelRate > state.maxEncodedPixelRate) {
            fail(Status.ResourceExhausted, "MaxEncodedPixelRate exceeded");
        }

        candidate.snapshotStreamId = this.#newId(
            "snapshot",
            state.allocatedSnapshotStreams.map(s => s.snapshotStreamId),
        );
        state.allocatedSnapshotStreams = [...state.allocatedSnapshotStreams.map(copySnapshot), candidate];
        logger.info(`snapshot stream ${candidate.snapshotStreamId} allocated`);
        return { snapshotStreamId: candidate.snapshotStreamId };
    }

    /** Part of the cluster only with the Watermark or OnScreenDisplay feature. */
    snapshotStreamModify(request: SnapshotStreamModifyRequest): void {
        this.#checkModifyFields(request, "SnapshotStreamModify");
        const streams = this.state.allocatedSnapshotStreams;
        const index = streams.findIndex(s => s.snapshotStreamId === request.snapshotStreamId);
        if (index < 0) fail(Status.NotFound, `snapshot stream ${request.snapshotStreamId} not found`);
        const stream = streams[index]!;
        // The reference refuses to modify a snapshot stream cut from a video stream (its capability
        // says RequiresHardwareEncoder = false) or one that matches no capability any more.
        const capability = this.state.snapshotCapabilities.find(c => matchesCapability(c, stream));
        if (capability === undefined || capability.requiresHardwareEncoder === false) {
            fail(Status.InvalidInState, `snapshot stream ${request.snapshotStreamId} cannot be modified`);
        }
        const modified = copySnapshot(stream);
        if (request.watermarkEnabled !== undefined) modified.watermarkEnabled = request.watermarkEnabled;
        if (request.osdEnabled !== undefined) modified.osdEnabled = request.osdEnabled;
        this.state.allocatedSnapshotStreams = streams.map((s, i) => (i === index ? modified : copySnapshot(s)));
    }

    override snapshotStreamDeallocate(request: CameraAvStreamManagement.SnapshotStreamDeallocateRequest): void {
        const streams = this.state.allocatedSnapshotStreams;
        const stream = streams.find(s => s.snapshotStreamId === request.snapshotStreamId);
        if (stream === undefined) fail(Status.NotFound, `snapshot stream ${request.snapshotStreamId} not found`);
        checkDeallocatable("snapshot", stream.snapshotStreamId, stream.referenceCount, undefined);
        this.state.allocatedSnapshotStreams = streams.filter(s => s !== stream).map(copySnapshot);
        logger.info(`snapshot stream ${request.snapshotStreamId} deallocated`);
    }

    override async captureSnapshot(
        request: CameraAvStreamManagement.CaptureSnapshotRequest,
    ): Promise<CameraAvStreamManagement.CaptureSnapshotResponse> {
        const state = this.state;
        const streams = state.allocatedSnapshotStreams;
        if (streams.length === 0) fail(Status.NotFound, "no snapshot stream is allocated");
        const stream =
            request.snapshotStreamId === null
                ? streams[0]!
                : streams.find(s => s.snapshotStreamId === request.snapshotStreamId);
        if (stream === undefined) fail(Status.NotFound, `snapshot stream ${request.snapshotStreamId} not found`);
        const { width, height } = request.requestedResolution;
        if (width < 1 || height < 1) fail(Status.ConstraintError, "RequestedResolution must be at least 1x1");
        if (state.softLivestreamPrivacyModeEnabled || state.hardPrivacyModeOn) {
            fail(Status.InvalidInState, "privacy mode is on");
        }

        const snapshotStreamId = stream.snapshotStreamId;
        const imageCodec = stream.imageCodec;
        const resolution = clampResolution({ width, height }, stream.minResolution, stream.maxResolution);
        // matter.js carries at most one TCP message (64,000 bytes by default) per response: the
        // image must fit the exchange it goes back on, so quality gives way before size does
        const exchangeLimit = hasRemoteActor(this.context) ? this.context.exchange.maxPayloadSize - SNAPSHOT_RESPONSE_OVERHEAD : MAX_SNAPSHOT_BYTES;
        const maxBytes = Math.min(MAX_SNAPSHOT_BYTES, exchangeLimit);
        const source = this.internal.snapshotSource ?? this.#mediaSnapshotSource();
        let image: SnapshotImage;
        if (source === undefined) {
            image = { data: snapshotFixtureJpeg(), width: SNAPSHOT_FIXTURE_WIDTH, height: SNAPSHOT_FIXTURE_HEIGHT };
        } else {
            let quality = stream.quality;
            for (let attempt = 1; ; attempt++) {
                try {
                    image = await source({ snapshotStreamId, requestedResolution: resolution, quality, maxBytes });
                } catch (error) {
                    if (error instanceof StatusResponseError) throw error;
                    logger.warn("snapshot source failed", error);
                    fail(Status.Failure, "the snapshot source failed");
                }
                if (image.data.length <= maxBytes || attempt >= SNAPSHOT_QUALITY_TRIES) break;
                quality = Math.max(1, Math.floor((quality * 2) / 3));
            }
        }
        if (image.data.length > maxBytes) {
            fail(Status.ResourceExhausted, `snapshot of ${image.data.length} bytes exceeds the ${maxBytes} this response can carry`);
        }
        return {
            data: image.data,
            imageCodec: image.imageCodec ?? imageCodec,
            resolution: { width: image.width, height: image.height },
        };
    }

    // ── priorities ──────────────────────────────────────────────────────────────────────────────

    override setStreamPriorities(request: CameraAvStreamManagement.SetStreamPrioritiesRequest): void {
        const state = this.state;
        if (
            state.allocatedVideoStreams.length > 0 ||
            state.allocatedAudioStreams.length > 0 ||
            state.allocatedSnapshotStreams.length > 0
        ) {
            fail(Status.InvalidInState, "streams are allocated; deallocate them before SetStreamPriorities");
        }
        const priorities: StreamUsage[] = [];
        for (const usage of request.streamPriorities) {
            if (!isStreamUsage(usage)) fail(Status.InvalidCommand, `unknown stream usage ${usage}`);
            if (!state.supportedStreamUsages.includes(usage)) {
                fail(Status.DynamicConstraintError, `stream usage ${usage} is not in SupportedStreamUsages`);
            }
            priorities.push(usage);
        }
        if (new Set(priorities).size !== priorities.length) {
            fail(Status.AlreadyExists, "StreamPriorities has duplicates");
        }
        state.streamUsagePriorities = priorities;
    }

    // ── internals ───────────────────────────────────────────────────────────────────────────────

    /** Reactor for every attribute the StreamContext depends on (runs after the change committed). */
    #contextMaybeChanged(): void {
        const context = this.streamContext();
        if (this.internal.lastContext !== undefined && sameContext(context, this.internal.lastContext)) return;
        this.internal.lastContext = this.streamContext();
        try {
            // privacy ends sessions there, and their End goes out from its queue
            this.internal.engine?.setStreamContext(this.streamContext());
        } catch (error) {
            logger.error("the WebRTC engine refused the stream context", error);
        }
        this.events.streamContextChanged.emit(context);
    }

    /**
     * Default mode: video stream 0 and audio stream 0 exist. Called at start and after each
     * deallocation; an id 0 held by any stream of that kind counts as present.
     */
    #ensureDefaultStreams(): void {
        const state = this.state;
        if (!state.defaultStreams) return;
        if (!state.allocatedVideoStreams.some(s => s.videoStreamId === DEFAULT_STREAM_ID)) {
            state.allocatedVideoStreams = [defaultVideoStream(state), ...state.allocatedVideoStreams.map(copyVideo)];
            logger.info(`default video stream ${DEFAULT_STREAM_ID} allocated`);
        }
        if (!state.allocatedAudioStreams.some(s => s.audioStreamId === DEFAULT_STREAM_ID)) {
            state.allocatedAudioStreams = [defaultAudioStream(state), ...state.allocatedAudioStreams.map(copyAudio)];
            logger.info(`default audio stream ${DEFAULT_STREAM_ID} allocated`);
        }
    }

    /** Sessions using a stream: the live source when installed and it knows the stream, else ReferenceCount. */
    #references(kind: StreamKind, id: number, referenceCount: number): number {
        const live = this.internal.referenceSource?.(kind, id);
        return live !== undefined && live >= 0 ? live : referenceCount;
    }

    #utcTimeNull(): boolean {
        const node = Node.forEndpoint(this.endpoint);
        if (node === this.endpoint || !node.behaviors.has(TimeSynchronizationBehavior)) return false;
        return node.stateOf(TimeSynchronizationBehavior).utcTime === null;
    }

    /** With the feature, the field is mandatory; without it, it must be absent (reference: INVALID_COMMAND). */
    #checkOverlayFields(request: { watermarkEnabled?: boolean; osdEnabled?: boolean }, command: string): void {
        if (this.features.watermark !== (request.watermarkEnabled !== undefined)) {
            fail(Status.InvalidCommand, `${command}: WatermarkEnabled must be present iff Watermark is supported`);
        }
        if (this.features.onScreenDisplay !== (request.osdEnabled !== undefined)) {
            fail(Status.InvalidCommand, `${command}: OSDEnabled must be present iff OnScreenDisplay is supported`);
        }
    }

    #checkModifyFields(request: { watermarkEnabled?: boolean; osdEnabled?: boolean }, command: string): void {
        if (request.watermarkEnabled !== undefined && !this.features.watermark) {
            fail(Status.InvalidCommand, `${command}: WatermarkEnabled without the Watermark feature`);
        }
        if (request.osdEnabled !== undefined && !this.features.onScreenDisplay) {
            fail(Status.InvalidCommand, `${command}: OSDEnabled without the OnScreenDisplay feature`);
        }
        if (request.watermarkEnabled === undefined && request.osdEnabled === undefined) {
            fail(Status.InvalidCommand, `${command}: one of WatermarkEnabled or OSDEnabled is required`);
        }
    }

    /** Reference: a usage missing from StreamUsagePriorities is INVALID_IN_STATE. */
    #checkPrioritised(usage: StreamUsage): void {
        if (!this.state.streamUsagePriorities.includes(usage)) {
            fail(Status.InvalidInState, `stream usage ${usage} is not in StreamUsagePriorities`);
        }
    }

    #encodersInUse(): number {
        const state = this.state;
        const snapshotEncoders = state.allocatedSnapshotStreams.filter(s => s.hardwareEncoder).length;
        return state.allocatedVideoStreams.length + snapshotEncoders;
    }

    #encodedPixelRate(): number {
        const state = this.state;
        let rate = 0;
        for (const s of state.allocatedVideoStreams) rate += pixelsOf(s.maxResolution) * s.maxFrameRate;
        for (const s of state.allocatedSnapshotStreams) {
            if (s.encodedPixels) rate += pixelsOf(s.maxResolution) * s.frameRate;
        }
        return rate;
    }

    /**
     * The next stream id of a kind: starts at 0, increases by 1 per allocation, wraps past 65534 to 0
     * and skips ids in use (§11.2.6.15-17).
     */
    #newId(kind: "video" | "audio" | "snapshot", inUse: readonly number[]): number {
        const used = new Set(inUse);
        let id = this.internal.nextId[kind];
        for (let tries = 0; tries <= MAX_STREAM_ID; tries++) {
            const next = id >= MAX_STREAM_ID ? 0 : id + 1;
            if (!used.has(id)) {
                this.internal.nextId[kind] = next;
                return id;
            }
            id = next;
        }
        fail(Status.ResourceExhausted, `no free ${kind} stream id`);
    }

    #seedIdCounters(): void {
        const state = this.state;
        const after = (ids: number[]) => (ids.length === 0 ? 0 : (Math.max(...ids) + 1) % (MAX_STREAM_ID + 1));
        this.internal.nextId = {
            video: after(state.allocatedVideoStreams.map(s => s.videoStreamId)),
            audio: after(state.allocatedAudioStreams.map(s => s.audioStreamId)),
            snapshot: after(state.allocatedSnapshotStreams.map(s => s.snapshotStreamId)),
        };
    }

    /** ReferenceCount is recomputed at runtime; after a restart no session holds a stream. */
    #resetReferenceCounts(): void {
        const state = this.state;
        if (state.allocatedVideoStreams.some(s => s.referenceCount !== 0)) {
            state.allocatedVideoStreams = state.allocatedVideoStreams.map(s => withReferenceCount(copyVideo(s), 0));
        }
        if (state.allocatedAudioStreams.some(s => s.referenceCount !== 0)) {
            state.allocatedAudioStreams = state.allocatedAudioStreams.map(s => withReferenceCount(copyAudio(s), 0));
        }
        if (state.allocatedSnapshotStreams.some(s => s.referenceCount !== 0)) {
            state.allocatedSnapshotStreams = state.allocatedSnapshotStreams.map(s =>
                withReferenceCount(copySnapshot(s), 0),
            );
        }
    }
}

export namespace CameraAvStreamServer {
    /** Per-endpoint runtime state of {@link CameraAvStreamServer}. */
    export class Internal {
        /** Next candidate stream id per kind. */
        nextId = {
            /** Next VideoStreamID to try. */
            video: 0,
            /** Next AudioStreamID to try. */
            audio: 0,
            /** Next SnapshotStreamID to try. */
            snapshot: 0,
        };
        /** The last StreamContext emitted (or the initial one), to emit only real changes. */
        lastContext?: StreamContext;
        /** Producer of CaptureSnapshot images; the JPEG fixture when undefined. */
        snapshotSource?: SnapshotSource;
        /** Live per-stream session counts (the engine's), consulted on deallocation. */
        referenceSource?: ReferenceSource;
        /** The node's WebRTC engine, when it has one. */
        engine?: WebRtcEngine;
        /** Stops the engine's reference reports. */
        unbindEngine?: () => void;
    }

    /**
     * The cluster's attributes with this camera's values (a 640x480@30 H.264 sensor, a mono 48 kHz
     * Opus microphone, JPEG snapshots), plus two settings that are not attributes.
     */
    export class State extends Base.State {
        // Capabilities of the virtual camera (quality F: fixed for the life of the node).
        override maxConcurrentEncoders = 4;
        /** Four 640x480@30 streams. */
        override maxEncodedPixelRate = 4 * SENSOR_WIDTH * SENSOR_HEIGHT * SENSOR_FPS;
        override videoSensorParams = { sensorWidth: SENSOR_WIDTH, sensorHeight: SENSOR_HEIGHT, maxFps: SENSOR_FPS };
        override minViewportResolution = { width: 320, height: 240 };
        override rateDistortionTradeOffPoints = [
            { codec: VideoCodec.H264, resolution: { width: 640, height: 480 }, minBitRate: 300_000 },
            { codec: VideoCodec.H264, resolution: { width: 320, height: 240 }, minBitRate: 100_000 },
        ];
        override maxContentBufferSize = 1024 * 1024;
        override microphoneCapabilities = {
            maxNumberOfChannels: 1,
            supportedCodecs: [AudioCodec.Opus],
            supportedSampleRates: [48_000],
            supportedBitDepths: [16],
        };
        /**
         * JPEG from the live source at the sensor's size and at the sizes controllers ask for
         * thumbnails (SmartThings 640x480..1920x1080, Home Assistant exactly 1920x1080); the
         * source scales the current frame to whatever size CaptureSnapshot settles on.
         */
        override snapshotCapabilities: SnapshotCapabilities[] = [
            { width: SNAPSHOT_FIXTURE_WIDTH, height: SNAPSHOT_FIXTURE_HEIGHT },
            { width: 1280, height: 720 },
            { width: 1920, height: 1080 },
        ].map(resolution => ({ resolution, maxFrameRate: 10, imageCodec: ImageCodec.Jpeg, requiresEncodedPixels: false }));
        override maxNetworkBandwidth = 20_000_000;
        /**
         * Spec: the default StreamUsagePriorities shall exactly match SupportedStreamUsages. Analysis
         * is left out so that a usage that is not prioritised exists (TC_WEBRTCP_2_31 step 7).
         */
        override supportedStreamUsages = [StreamUsage.LiveView, StreamUsage.Recording];
        override streamUsagePriorities = [StreamUsage.LiveView, StreamUsage.Recording];

        // Dynamic attributes.
        override currentFrameRate = SENSOR_FPS;
        override viewport = { x1: 0, y1: 0, x2: SENSOR_WIDTH, y2: SENSOR_HEIGHT };
        override hardPrivacyModeOn = false;
        override softRecordingPrivacyModeEnabled = false;
        override softLivestreamPrivacyModeEnabled = false;
        override microphoneMuted = false;
        override microphoneVolumeLevel = 128;
        override microphoneMaxLevel = 254;
        override microphoneMinLevel = 0;

        /**
         * Not an attribute: streams of each kind (video, audio, snapshot) that may be allocated. Keep it
         * at or below the engine's stream registry (MAX_STREAMS: 4 in the tiny profile).
         */
        maxStreamsPerKind = 4;

        /**
         * Not an attribute: keep video stream 0 and audio stream 0 allocated for controllers that
         * never allocate (the default mode, true). False: the lists start empty (certification
         * mode), set with `CameraAvStreamServer.set({ defaultStreams: false })`.
         */
        defaultStreams = true;
    }

    /** The cluster's attribute events, plus the stream context the WebRTC engine follows. */
    export class Events extends Base.Events {
        /** A changed StreamContext, after the change committed. The object is the listener's to keep. */
        streamContextChanged = Observable<[context: StreamContext]>();
    }
}
