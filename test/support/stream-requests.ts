/**
 * The stream allocations tests send to CameraAvStreamManagement: the requests of
 * TC_WEBRTCPTestBase's allocate_one_video_stream / allocate_one_audio_stream for this camera's
 * capabilities (H.264 320x240..640x480 at 30 fps and 300 kbit/s; Opus mono 48 kHz, bitRate 1024
 * as the test sends it). One statement for the test controller and the cluster's own tests;
 * `overrides` change single fields.
 */

import { CameraAvStreamManagement } from "@matter/main/clusters/camera-av-stream-management";
import { StreamUsage } from "@matter/main/types";

const LIVE_VIEW = StreamUsage.LiveView;

export function liveVideoRequest(
    overrides: Partial<CameraAvStreamManagement.VideoStreamAllocateRequest> = {},
): CameraAvStreamManagement.VideoStreamAllocateRequest {
    return {
        streamUsage: LIVE_VIEW,
        videoCodec: CameraAvStreamManagement.VideoCodec.H264,
        minFrameRate: 30,
        maxFrameRate: 30,
        minResolution: { width: 320, height: 240 },
        maxResolution: { width: 640, height: 480 },
        minBitRate: 300_000,
        maxBitRate: 300_000,
        keyFrameInterval: 4000,
        ...overrides,
    };
}

export function liveAudioRequest(
    overrides: Partial<CameraAvStreamManagement.AudioStreamAllocateRequest> = {},
): CameraAvStreamManagement.AudioStreamAllocateRequest {
    return {
        streamUsage: LIVE_VIEW,
        audioCodec: CameraAvStreamManagement.AudioCodec.Opus,
        channelCount: 1,
        sampleRate: 48_000,
        bitRate: 1024,
        bitDepth: 16,
        ...overrides,
    };
}
