/**
 * Video sources for the Node media host: where encoded H.264 pictures come from.
 *
 * A {@link VideoSource} hands out independent, endless frame iterators, one per WebRTC session,
 * each starting at a keyframe so a new viewer can decode from its first frame. The host paces
 * them at `fps` and packetizes them; the source never touches RTP.
 *
 * {@link H264Clip} is the source used by tests and headless deployments: a pre-encoded Annex-B
 * clip split into access units and looped. Looping restarts at the clip's first keyframe, so the
 * picture jumps at the seam (the clip's own frame numbers and POC restart with an IDR, which
 * decoders accept). There is no encoder here, no rate control, and keyframe requests (PLI/FIR)
 * from viewers are not served: the next keyframe comes from the clip's own GOP (1 s for the
 * fixture). `testPatternClip()` loads the committed 320×240, 20 fps, baseline-profile fixture
 * (made once with ffmpeg's `testsrc`, see `fixtures/README.md`), so nothing at run time or in CI
 * needs ffmpeg.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { accessUnits, type H264AccessUnit } from "./h264.js";

/** A source of encoded H.264 pictures (Annex-B access units). */
export interface VideoSource {
    /** The codec of the pictures: H.264 is the one this host sends. */
    readonly codec: "H264";
    /** Pictures per second the host sends; also sets the RTP timestamp step (90000 / fps). */
    readonly fps: number;
    /** A new endless iterator for one session, starting at a keyframe. */
    frames(): Iterator<H264AccessUnit>;
}

/** A looped, pre-encoded H.264 clip. */
export class H264Clip implements VideoSource {
    /** Always H.264. */
    readonly codec = "H264";
    readonly fps: number;
    /** The clip's access units, in stream order, starting at its first keyframe. */
    readonly units: readonly H264AccessUnit[];

    /** `stream`: Annex-B bytes; it must contain at least one IDR picture. */
    constructor(stream: Uint8Array, fps = 20) {
        if (!(fps > 0 && fps <= 120)) throw new RangeError(`fps ${fps} out of range (0, 120]`);
        const all = accessUnits(stream);
        const firstKey = all.findIndex(u => u.keyframe);
        if (firstKey < 0) throw new Error("H.264 clip has no IDR picture");
        this.fps = fps;
        this.units = all.slice(firstKey);
    }

    /** Reads an Annex-B `.h264` file (synchronously) as a clip played at `fps`. */
    static fromFile(path: string | URL, fps = 20): H264Clip {
        return new H264Clip(new Uint8Array(readFileSync(path)), fps);
    }

    /** Duration of one loop in seconds. */
    get duration(): number {
        return this.units.length / this.fps;
    }

    *frames(): Iterator<H264AccessUnit> {
        for (;;) yield* this.units;
    }
}

/** Path of the committed test-pattern fixture (320×240, 20 fps, 3 s, keyframe every 20 frames). */
export const TEST_PATTERN_PATH: string = fileURLToPath(new URL("./fixtures/testsrc-320x240.h264", import.meta.url));

/** The committed test pattern as a 20 fps clip. */
export function testPatternClip(): H264Clip {
    return H264Clip.fromFile(TEST_PATTERN_PATH, 20);
}
