/**
 * Where the TC_AVSM steps go differently on the camera's default mode, shown on a DUT in that mode
 * (`CameraNode.create()` without `certification`): video stream 0 and audio stream 0 exist from
 * the first start, are persisted, and are made again right after a deallocation, for controllers
 * that name stream 0 without allocating it (shared/reference/real-controllers.md §5).
 *
 * These are not conformance cases (the table counts only `TC_AVSM_` blocks): each test names the
 * SDK steps whose expectation the default streams change, and asserts what the DUT does instead,
 * so test/conformance/README.md's list of differences is checked on every run. Status codes and
 * the order of checks are the same in both modes (the last test).
 */

import { beforeAll, describe, expect, it } from "vitest";
import { AvsmTh, successOf } from "./avsm.js";
import { Status, StreamUsage, expectStatus, useDuts } from "./harness.js";

const duts = useDuts("avsm-default", { defaultMode: true });
const th = () => new AvsmTh(duts.app());

describe("TC_AVSM steps on the default mode (default streams 0)", () => {
    beforeAll(async () => {
        await duts.app().reset();
    });

    it("after commissioning the lists hold video stream 0 and audio stream 0 (2_5.2, 2_7.2, 2_11.2–3, 2_13.2, 2_14.2, 2_18.3, 2_19.3, 2_21.3 expect 0 entries); snapshot streams: none, as in certification mode", async () => {
        const video = await th().videoStreams();
        const audio = await th().audioStreams();
        expect(video.map(s => [s.videoStreamId, s.streamUsage])).toEqual([[0, StreamUsage.LiveView]]);
        expect(audio.map(s => [s.audioStreamId, s.streamUsage])).toEqual([[0, StreamUsage.LiveView]]);
        expect(await th().snapshotStreams()).toHaveLength(0);
    });

    it("AVSMTestBase's precondition reuses stream 0; deallocating it succeeds (2_6.4, 2_9.4) but it is back at once: 2_6.5 / 2_9.5 read 1 entry, not 0", async () => {
        expect(await th().oneVideoStream()).toBe(0);
        expect(await th().oneAudioStream()).toBe(0);
        expectStatus(await th().videoStreamDeallocate(1), Status.NotFound);
        expectStatus(await th().videoStreamDeallocate(0), Status.Success);
        expectStatus(await th().audioStreamDeallocate(0), Status.Success);
        expect((await th().videoStreams()).map(s => s.videoStreamId)).toEqual([0]);
        expect((await th().audioStreams()).map(s => s.audioStreamId)).toEqual([0]);
    });

    it("the SDK's VideoStreamAllocate / AudioStreamAllocate differ from the default streams: a second stream is made and reused (2_7.10–12, 2_13.8–10, 2_14.5–7), so 2_5.7, 2_7.11/13, 2_13.9/11, 2_14.6/8 read 2 entries", async () => {
        const video = await th().videoRequest();
        const id = successOf(await th().videoStreamAllocate(video), "VideoStreamAllocate").videoStreamId;
        expect(id).not.toBe(0);
        expect(successOf(await th().videoStreamAllocate(video), "VideoStreamAllocate").videoStreamId).toBe(id);
        expect(await th().videoStreams()).toHaveLength(2);
        const audio = await th().audioRequest();
        const aid = successOf(await th().audioStreamAllocate(audio), "AudioStreamAllocate").audioStreamId;
        expect(aid).not.toBe(0);
        expect(await th().audioStreams()).toHaveLength(2);
    });

    it("SetStreamPriorities needs no stream allocated, and stream 0 always is: 2_11.6 and 2_21.5 answer INVALID_IN_STATE (2_11.7–8, 2_21.6–9 then read the unchanged priorities)", async () => {
        const before = await th().read<number[]>("streamUsagePriorities");
        const supported = await th().read<number[]>("supportedStreamUsages");
        expectStatus(await th().setStreamPriorities([...supported].reverse()), Status.InvalidInState);
        expect(await th().read<number[]>("streamUsagePriorities")).toEqual(before);
    });

    it("a reboot keeps stream 0 and the allocated streams, field for field (2_18.15 / 2_19.11 hold, but list 2 entries where they expect 1)", async () => {
        const video = await th().videoStreams();
        const audio = await th().audioStreams();
        await duts.app().restart(60_000);
        expect(await th().videoStreams()).toEqual(video.map(s => ({ ...s, referenceCount: 0 })));
        expect(await th().audioStreams()).toEqual(audio.map(s => ({ ...s, referenceCount: 0 })));
    }, 70_000);

    it("status codes are the mode's same: 2_2.9 Quality 0 CONSTRAINT_ERROR, 2_5.8 unprioritised usage INVALID_IN_STATE, 2_7.25 MaxFPS + 10 DYNAMIC_CONSTRAINT_ERROR, 2_9.3 unknown id NOT_FOUND", async () => {
        expectStatus(await th().snapshotStreamAllocate(await th().snapshotRequest({ quality: 0 })), Status.ConstraintError);
        expectStatus(await th().audioStreamAllocate(await th().audioRequest({ streamUsage: StreamUsage.Analysis })), Status.InvalidInState);
        const sensor = await th().read<{ maxFps: number }>("videoSensorParams");
        expectStatus(await th().videoStreamAllocate(await th().videoRequest({ maxFrameRate: sensor.maxFps + 10 })), Status.DynamicConstraintError);
        expectStatus(await th().videoStreamDeallocate(999), Status.NotFound);
    });
});
