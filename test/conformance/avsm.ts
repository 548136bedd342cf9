/**
 * What connectedhomeip's TC_AVSM_2_x scripts use beyond the TC_WEBRTCP harness: the Camera AV
 * Stream Management (0x0551) side of the TH, on the same `ConformanceHarness` (one DUT in
 * certification mode, one matter.js TH).
 *
 * - `invoke`: any AVSM command sent as the SDK's `send_single_cmd` does, fields encoded with
 *   matter.js's codec but without its bound checks (`encodeInternal`), so out-of-range values
 *   (ImageCodec 10, Quality 101, ChannelCount 16, MinResolution {0,0}) reach the DUT and the DUT's
 *   own status comes back, never a client-side refusal. CaptureSnapshot (quality L) goes as a
 *   Large Message (TCP), as the SDK's `LARGE_PAYLOAD`.
 * - `read` / `readOutcome` / `write`: `read_single_attribute_check_success`, a read that reports
 *   the status (UNSUPPORTED_ATTRIBUTE for an attribute the DUT does not have) and
 *   `write_single_attribute`.
 * - `oneVideoStream` / `oneAudioStream` / `oneSnapshotStream`: `AVSMTestBase`'s
 *   `precondition_one_allocated_*_stream` (TC_AVSMTestBase.py): reuse an allocated stream, else
 *   allocate one from the DUT's own capabilities with the SDK's values (MinFrameRate 30,
 *   KeyFrameInterval 4000, Opus BitRate 30000, snapshot Quality 90, MinResolution = MaxResolution
 *   = SnapshotCapabilities[0].Resolution).
 * - `videoRequest` / `audioRequest` / `snapshotRequest`: those requests, for steps that send them
 *   with one field changed.
 *
 * Limits: Watermark / OnScreenDisplay fields are sent only when the DUT advertises the feature
 * (the SDK's `aWatermark` / `aOSD`), which this camera does not.
 */

import { CameraAvStreamManagement as Avsm } from "@matter/main/clusters/camera-av-stream-management";
import { Invoke, Read, Write } from "@matter/main/protocol";
import { CommandId, EndpointNumber, Status, StatusResponseError, TlvAny, TlvOfModel } from "@matter/main/types";
import { DUT_ENDPOINT, bounded, statusName, type ConformanceHarness, type Outcome } from "./harness.js";

export type VideoRequest = Avsm.VideoStreamAllocateRequest;
export type AudioRequest = Avsm.AudioStreamAllocateRequest;
export type SnapshotRequest = Avsm.SnapshotStreamAllocateRequest;
export type SnapshotStream = Avsm.SnapshotStream;
export type SnapshotResponse = Avsm.CaptureSnapshotResponse;

/** AVSM FeatureMap bits (spec §11.2.4). */
export const Feature = {
    audio: 1 << 0,
    video: 1 << 1,
    snapshot: 1 << 2,
    privacy: 1 << 3,
    speaker: 1 << 4,
    imageControl: 1 << 5,
    watermark: 1 << 6,
    onScreenDisplay: 1 << 7,
    localStorage: 1 << 8,
    highDynamicRange: 1 << 9,
    nightVision: 1 << 10,
} as const;

/** The AVSM commands the TC_AVSM steps send, by matter.js name. */
type CommandName =
    | "audioStreamAllocate"
    | "audioStreamDeallocate"
    | "videoStreamAllocate"
    | "videoStreamModify"
    | "videoStreamDeallocate"
    | "snapshotStreamAllocate"
    | "snapshotStreamModify"
    | "snapshotStreamDeallocate"
    | "setStreamPriorities"
    | "captureSnapshot";

interface CommandModel {
    id: number;
    schema: Parameters<typeof TlvOfModel>[0] & { responseModel?: Parameters<typeof TlvOfModel>[0] };
}

function commandModel(name: CommandName): CommandModel {
    return (Avsm.commands as unknown as Record<CommandName, CommandModel>)[name];
}

/** matter.js types its encoder output as a buffer source; the bytes are a Uint8Array at run time. */
function u8(bytes: AllowSharedBufferSource): Uint8Array {
    return ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
}

/** The TH's Camera AV Stream Management side, on a harness's DUT. */
export class AvsmTh {
    constructor(readonly h: ConformanceHarness) {}

    // ── commands ───────────────────────────────────────────────────────────────────────────────

    /**
     * Invokes AVSM command `name` with `fields` (undefined fields left out, no client-side bound
     * checks) and returns the decoded response (undefined for a status-only command) or the status.
     */
    async invoke<T = undefined>(name: CommandName, fields: object, timeoutMs = 15_000): Promise<Outcome<T>> {
        const model = commandModel(name);
        const present = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
        const bytes = u8(TlvOfModel(model.schema).encodeInternal(present));
        const command = { requestId: CommandId(model.id), requestSchema: TlvAny, responseSchema: TlvAny, timed: false };
        const request = Invoke({
            commands: [{ endpoint: EndpointNumber(DUT_ENDPOINT), cluster: Avsm, command, fields: TlvAny.decode(bytes) } as never],
        });
        // CaptureSnapshot and its response are Large Messages (quality L): TCP, as LARGE_PAYLOAD
        if (name === "captureSnapshot") request.largeMessage = true;
        const run = async (): Promise<Outcome<T>> => {
            let outcome: Outcome<T> | undefined;
            try {
                for await (const chunk of this.h.dut.client.interaction.invoke(request)) {
                    for (const entry of chunk) {
                        if (entry.kind === "cmd-status") {
                            outcome = entry.status === Status.Success ? { ok: true, value: undefined as T } : { ok: false, status: entry.status };
                        } else if (entry.kind === "cmd-response") {
                            const response = model.schema.responseModel;
                            const data = u8(TlvAny.encode(entry.data as never));
                            outcome = { ok: true, value: (response ? TlvOfModel(response).decode(data) : undefined) as T };
                        }
                    }
                }
            } catch (error) {
                if (error instanceof StatusResponseError) return { ok: false, status: error.code };
                throw error;
            }
            if (outcome === undefined) throw new Error(`no answer to ${name}`);
            return outcome;
        };
        return bounded(name, run(), timeoutMs);
    }

    videoStreamAllocate(request: Partial<VideoRequest>): Promise<Outcome<Avsm.VideoStreamAllocateResponse>> {
        return this.invoke("videoStreamAllocate", request);
    }
    audioStreamAllocate(request: Partial<AudioRequest>): Promise<Outcome<Avsm.AudioStreamAllocateResponse>> {
        return this.invoke("audioStreamAllocate", request);
    }
    snapshotStreamAllocate(request: Partial<SnapshotRequest>): Promise<Outcome<Avsm.SnapshotStreamAllocateResponse>> {
        return this.invoke("snapshotStreamAllocate", request);
    }
    videoStreamDeallocate(videoStreamId: number): Promise<Outcome<undefined>> {
        return this.invoke("videoStreamDeallocate", { videoStreamId });
    }
    audioStreamDeallocate(audioStreamId: number): Promise<Outcome<undefined>> {
        return this.invoke("audioStreamDeallocate", { audioStreamId });
    }
    snapshotStreamDeallocate(snapshotStreamId: number): Promise<Outcome<undefined>> {
        return this.invoke("snapshotStreamDeallocate", { snapshotStreamId });
    }
    setStreamPriorities(streamPriorities: number[]): Promise<Outcome<undefined>> {
        return this.invoke("setStreamPriorities", { streamPriorities });
    }
    captureSnapshot(snapshotStreamId: number | null, requestedResolution: { width: number; height: number }): Promise<Outcome<SnapshotResponse>> {
        return this.invoke("captureSnapshot", { snapshotStreamId, requestedResolution }, 30_000);
    }

    // ── attributes ─────────────────────────────────────────────────────────────────────────────

    /** An AVSM attribute, or the status the DUT answered for it (e.g. UNSUPPORTED_ATTRIBUTE). */
    async readOutcome<T>(attribute: string): Promise<Outcome<T>> {
        const request = Read(
            Read.Attribute({ endpoint: EndpointNumber(DUT_ENDPOINT), cluster: Avsm, attributes: attribute as never }),
        );
        for await (const chunk of this.h.dut.client.interaction.read(request)) {
            for await (const entry of chunk) {
                if (entry.kind === "attr-value") return { ok: true, value: entry.value as T };
                if (entry.kind === "attr-status") return { ok: false, status: entry.status };
            }
        }
        throw new Error(`read ${attribute}: neither a value nor a status`);
    }

    /** `read_single_attribute_check_success`: the value, or an error naming the status. */
    async read<T>(attribute: string): Promise<T> {
        const outcome = await this.readOutcome<T>(attribute);
        if (!outcome.ok) throw new Error(`read ${attribute} → ${statusName(outcome.status)}`);
        return outcome.value;
    }

    /** `write_single_attribute`: the status of one AVSM attribute write. */
    async write(attribute: string, value: unknown): Promise<number> {
        const statuses = await this.h.dut.client.interaction.write(
            Write(Write.Attribute({ endpoint: EndpointNumber(DUT_ENDPOINT), cluster: Avsm, attributes: attribute, value } as never)),
        );
        return statuses.find(s => s.status !== Status.Success)?.status ?? Status.Success;
    }

    /** FeatureMap as the raw bitmap the SDK masks (`aFeatureMap & Feature.kX`). */
    async featureBits(): Promise<number> {
        const map = await this.read<Record<string, boolean>>("featureMap");
        const bits: Record<string, number> = Feature;
        return Object.entries(map).reduce((acc, [name, on]) => (on && bits[name] !== undefined ? acc | bits[name] : acc), 0);
    }

    videoStreams(): Promise<Avsm.VideoStream[]> {
        return this.read("allocatedVideoStreams");
    }
    audioStreams(): Promise<Avsm.AudioStream[]> {
        return this.read("allocatedAudioStreams");
    }
    snapshotStreams(): Promise<SnapshotStream[]> {
        return this.read("allocatedSnapshotStreams");
    }

    // ── the SDK's requests and preconditions (TC_AVSMTestBase.py) ─────────────────────────────────

    /** The VideoStreamAllocate of TC_AVSM_2_7 step 10 / AVSMTestBase, with `overrides`. */
    async videoRequest(overrides: Partial<VideoRequest> = {}): Promise<VideoRequest> {
        const priorities = await this.read<number[]>("streamUsagePriorities");
        const points = await this.read<Avsm.RateDistortionTradeOffPoints[]>("rateDistortionTradeOffPoints");
        const minViewport = await this.read<Avsm.VideoResolution>("minViewportResolution");
        const sensor = await this.read<Avsm.VideoSensorParams>("videoSensorParams");
        const bits = await this.featureBits();
        if (priorities.length === 0) throw new Error("StreamUsagePriorities is empty");
        if (points.length === 0) throw new Error("RateDistortionTradeOffPoints is empty");
        return {
            streamUsage: priorities[0]!,
            videoCodec: points[0]!.codec,
            minFrameRate: 30,
            maxFrameRate: sensor.maxFps,
            minResolution: { width: minViewport.width, height: minViewport.height },
            maxResolution: { width: sensor.sensorWidth, height: sensor.sensorHeight },
            minBitRate: points[0]!.minBitRate,
            maxBitRate: points[0]!.minBitRate,
            keyFrameInterval: 4000,
            ...(bits & Feature.watermark ? { watermarkEnabled: true } : {}),
            ...(bits & Feature.onScreenDisplay ? { osdEnabled: true } : {}),
            ...overrides,
        };
    }

    /** The AudioStreamAllocate of TC_AVSM_2_5 step 6 (BitRate 30000 for Opus, 40000 for AAC-LC), with `overrides`. */
    async audioRequest(overrides: Partial<AudioRequest> = {}): Promise<AudioRequest> {
        const mic = await this.read<Avsm.AudioCapabilities>("microphoneCapabilities");
        const priorities = await this.read<number[]>("streamUsagePriorities");
        if (priorities.length === 0) throw new Error("StreamUsagePriorities is empty");
        const codec = mic.supportedCodecs[0]!;
        const bitRate = codec === Avsm.AudioCodec.Opus ? 30_000 : codec === Avsm.AudioCodec.AacLc ? 40_000 : 0;
        return {
            streamUsage: priorities[0]!,
            audioCodec: codec,
            channelCount: mic.maxNumberOfChannels,
            sampleRate: mic.supportedSampleRates[0]!,
            bitRate,
            bitDepth: mic.supportedBitDepths[0]!,
            ...overrides,
        };
    }

    /** The SnapshotStreamAllocate of TC_AVSM_2_2 step 6 (SnapshotCapabilities[0], Quality 90), with `overrides`. */
    async snapshotRequest(overrides: Partial<SnapshotRequest> = {}): Promise<SnapshotRequest> {
        const capabilities = await this.read<Avsm.SnapshotCapabilities[]>("snapshotCapabilities");
        const bits = await this.featureBits();
        const first = capabilities[0];
        if (first === undefined) throw new Error("SnapshotCapabilities list is empty");
        return {
            imageCodec: first.imageCodec,
            maxFrameRate: first.maxFrameRate,
            minResolution: { ...first.resolution },
            maxResolution: { ...first.resolution },
            quality: 90,
            ...(bits & Feature.watermark ? { watermarkEnabled: true } : {}),
            ...(bits & Feature.onScreenDisplay ? { osdEnabled: true } : {}),
            ...overrides,
        };
    }

    /** `precondition_one_allocated_video_stream`: the first allocated video stream, else a new one. */
    async oneVideoStream(): Promise<number> {
        if (!((await this.featureBits()) & Feature.video)) throw new Error("Video Feature is not supported.");
        const allocated = await this.videoStreams();
        if (allocated.length > 0) return allocated[0]!.videoStreamId;
        return successOf(await this.videoStreamAllocate(await this.videoRequest()), "VideoStreamAllocate").videoStreamId;
    }

    /** `precondition_one_allocated_audio_stream`: the first allocated audio stream, else a new one. */
    async oneAudioStream(): Promise<number> {
        if (!((await this.featureBits()) & Feature.audio)) throw new Error("Audio Feature is not supported.");
        const allocated = await this.audioStreams();
        if (allocated.length > 0) return allocated[0]!.audioStreamId;
        return successOf(await this.audioStreamAllocate(await this.audioRequest()), "AudioStreamAllocate").audioStreamId;
    }

    /** `precondition_one_allocated_snapshot_stream`: the first allocated snapshot stream, else a new one. */
    async oneSnapshotStream(): Promise<number> {
        if (!((await this.featureBits()) & Feature.snapshot)) throw new Error("Snapshot Feature is not supported.");
        const allocated = await this.snapshotStreams();
        if (allocated.length > 0) return allocated[0]!.snapshotStreamId;
        return successOf(await this.snapshotStreamAllocate(await this.snapshotRequest()), "SnapshotStreamAllocate").snapshotStreamId;
    }
}

/** The response of a successful outcome; throws with the status otherwise. */
export function successOf<T>(outcome: Outcome<T>, what: string): T {
    if (!outcome.ok) throw new Error(`${what} → ${statusName(outcome.status)}, expected a response`);
    return outcome.value;
}
