/**
 * The test clip's own pictures, and the pixel work of a snapshot: pick a decoded frame, convert it
 * to RGB, scale it to cover the requested size (centre-cropped), encode a JPEG.
 *
 * The frames are the committed H.264 fixture (`fixtures/testsrc-320x240.h264`) decoded once with
 * ffmpeg into planar YUV 4:2:0 and compressed with Brotli (`fixtures/testsrc-320x240.yuv420p.br`,
 * see `fixtures/SNAPSHOTS.md`). H.264 decoding is bit-exact, so these are exactly the pictures a
 * viewer's decoder shows, not a re-render of the pattern; nothing at run time needs ffmpeg.
 *
 * Everything here is CPU-bound: `clip-snapshots.ts` runs it in a worker thread so the main thread
 * (which paces live video) never waits on it. It is exported for that worker and for tests. Runs
 * in Node, Bun and Deno (node:fs, node:zlib). JPEGs come from MozJPEG compiled to WebAssembly
 * (`@jsquash/jpeg`, Squoosh's build): 4:2:0 with optimised Huffman tables, about a third of a
 * 4:4:4 baseline encoder's bytes, which is what lets a 1920x1080 frame fit the 64,000-byte TCP
 * message a matter.js controller accepts for a CaptureSnapshot response.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync } from "node:zlib";
import mozjpegEncode, { init as initMozjpeg } from "@jsquash/jpeg/encode.js";

/** Path of the committed decoded frames (planar YUV 4:2:0, 320×240, 60 frames, Brotli). */
export const CLIP_FRAMES_PATH: string = fileURLToPath(new URL("./fixtures/testsrc-320x240.yuv420p.br", import.meta.url));

/** Geometry and timing of the committed clip (the same as `testPatternClip()` in video-source.ts). */
export const CLIP_WIDTH = 320;
export const CLIP_HEIGHT = 240;
export const CLIP_FPS = 20;

/** Largest snapshot side accepted, in pixels. */
export const MAX_SNAPSHOT_SIDE = 4096;
/** JPEG quality used when none is given (libjpeg scale, 1–100). */
export const DEFAULT_JPEG_QUALITY = 85;

/** Decoded pictures of a clip, planar YUV 4:2:0 (I420), BT.601 limited range like the encoder's input. */
export interface ClipFrames {
    readonly width: number;
    readonly height: number;
    readonly count: number;
    /** Frame `index` (0 ≤ index < count): Y plane, then U, then V; a view, do not modify. */
    frame(index: number): Uint8Array;
}

/** Loads the committed frames (or other I420 frames of the given size, Brotli-compressed). */
export function loadClipFrames(path: string = CLIP_FRAMES_PATH, width = CLIP_WIDTH, height = CLIP_HEIGHT): ClipFrames {
    const yuv = brotliDecompressSync(readFileSync(path));
    return clipFramesFrom(new Uint8Array(yuv.buffer, yuv.byteOffset, yuv.byteLength), width, height);
}

/** Wraps uncompressed I420 frames laid end to end. */
export function clipFramesFrom(yuv: Uint8Array, width: number, height: number): ClipFrames {
    if (width % 2 !== 0 || height % 2 !== 0) throw new RangeError(`I420 frames need even sides, got ${width}x${height}`);
    const frameBytes = (width * height * 3) / 2;
    if (yuv.length === 0 || yuv.length % frameBytes !== 0) {
        throw new Error(`clip frames: ${yuv.length} bytes is not a whole number of ${width}x${height} I420 frames`);
    }
    const count = yuv.length / frameBytes;
    return {
        width,
        height,
        count,
        frame(index: number): Uint8Array {
            if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`frame ${index} out of range [0, ${count})`);
            return yuv.subarray(index * frameBytes, (index + 1) * frameBytes);
        },
    };
}

/** Throws a RangeError unless `width`×`height` is a snapshot size we make (integers 1…4096). */
export function checkSnapshotSize(width: number, height: number): void {
    for (const [name, v] of [["width", width], ["height", height]] as const) {
        if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_SNAPSHOT_SIDE) {
            throw new RangeError(`snapshot ${name} must be an integer in [1, ${MAX_SNAPSHOT_SIDE}], got ${String(v)}`);
        }
    }
}

/** Throws a RangeError unless `quality` is an integer 1…100. */
export function checkJpegQuality(quality: number): void {
    if (typeof quality !== "number" || !Number.isInteger(quality) || quality < 1 || quality > 100) {
        throw new RangeError(`JPEG quality must be an integer in [1, 100], got ${String(quality)}`);
    }
}

/**
 * I420 (BT.601, limited range) → packed RGB, full resolution. Chroma is upsampled bilinearly with
 * MPEG-2 siting (co-sited horizontally with even luma columns, centred vertically between rows),
 * which is what libx264 via ffmpeg wrote.
 */
export function i420ToRgb(yuv: Uint8Array, width: number, height: number, out = new Uint8ClampedArray(width * height * 3)): Uint8ClampedArray {
    const cw = width >> 1;
    const ch = height >> 1;
    const uBase = width * height;
    const vBase = uBase + cw * ch;
    // one row of chroma upsampled to full width, for U and V, per output row
    const uRow = new Float32Array(width);
    const vRow = new Float32Array(width);
    for (let y = 0; y < height; y++) {
        // vertical: luma row y sits at chroma coordinate (y - 0.5) / 2
        const j = y >> 1;
        const jn = y & 1 ? Math.min(j + 1, ch - 1) : Math.max(j - 1, 0);
        const a = uBase + j * cw, b = uBase + jn * cw;
        const c = vBase + j * cw, d = vBase + jn * cw;
        for (let i = 0; i < cw; i++) {
            const u = 0.75 * yuv[a + i] + 0.25 * yuv[b + i];
            const v = 0.75 * yuv[c + i] + 0.25 * yuv[d + i];
            uRow[2 * i] = u;
            vRow[2 * i] = v;
        }
        // horizontal: odd columns halfway between their neighbours (the last repeats)
        for (let x = 1; x < width; x += 2) {
            const r = x + 1 < width ? x + 1 : x - 1;
            uRow[x] = 0.5 * (uRow[x - 1] + uRow[r]);
            vRow[x] = 0.5 * (vRow[x - 1] + vRow[r]);
        }
        let o = y * width * 3;
        const yRow = y * width;
        for (let x = 0; x < width; x++) {
            const l = 1.164383 * (yuv[yRow + x] - 16);
            const u = uRow[x] - 128;
            const v = vRow[x] - 128;
            out[o++] = l + 1.596027 * v;
            out[o++] = l - 0.391762 * u - 0.812968 * v;
            out[o++] = l + 2.017232 * u;
        }
    }
    return out;
}

/** Resampling taps along one axis: output i = Σ weight[i·taps + k] · source[index[i·taps + k]]. */
interface AxisTaps {
    taps: number;
    index: Int32Array;
    weight: Float32Array;
}

/**
 * Taps for `dst` outputs reading source pixels `[0, src)`; output i's centre is at source
 * coordinate `offset + (i + 0.5) / scale`. A triangle (linear) filter, widened to 1/scale when
 * shrinking so every source pixel counts (area-like averaging instead of aliasing). Edges repeat.
 */
function axisTaps(src: number, dst: number, scale: number, offset: number): AxisTaps {
    const radius = Math.max(1, 1 / scale);
    const taps = Math.ceil(2 * radius) + 1;
    const index = new Int32Array(dst * taps);
    const weight = new Float32Array(dst * taps);
    for (let i = 0; i < dst; i++) {
        const centre = offset + (i + 0.5) / scale;
        const first = Math.floor(centre - radius - 0.5) + 1;
        let sum = 0;
        for (let k = 0; k < taps; k++) {
            const j = first + k;
            const w = Math.max(0, 1 - Math.abs(j + 0.5 - centre) / radius);
            index[i * taps + k] = Math.min(src - 1, Math.max(0, j));
            weight[i * taps + k] = w;
            sum += w;
        }
        for (let k = 0; k < taps; k++) weight[i * taps + k] /= sum;
    }
    return { taps, index, weight };
}

/**
 * Scales packed RGB `sw`×`sh` to RGBA exactly `dw`×`dh`: scaled to cover (the larger of the two
 * ratios), then centre-cropped, so a 4:3 picture at 16:9 loses rows at the top and bottom and is
 * never letterboxed. Separable linear filter (area-averaging when shrinking).
 */
export function coverScaleRgbToRgba(rgb: Uint8ClampedArray, sw: number, sh: number, dw: number, dh: number): Uint8ClampedArray {
    const scale = Math.max(dw / sw, dh / sh);
    const cropX = (sw - dw / scale) / 2;
    const cropY = (sh - dh / scale) / 2;
    const h = axisTaps(sw, dw, scale, cropX);
    const v = axisTaps(sh, dh, scale, cropY);
    // source rows the vertical pass reads
    let rowLo = sh, rowHi = -1;
    for (let k = 0; k < v.index.length; k++) {
        if (v.weight[k] > 0) {
            rowLo = Math.min(rowLo, v.index[k]);
            rowHi = Math.max(rowHi, v.index[k]);
        }
    }
    // horizontal pass: those rows at output width (RGB floats)
    const rows = rowHi - rowLo + 1;
    const mid = new Float32Array(rows * dw * 3);
    for (let r = 0; r < rows; r++) {
        const src = (rowLo + r) * sw * 3;
        let o = r * dw * 3;
        for (let x = 0; x < dw; x++) {
            let red = 0, green = 0, blue = 0;
            for (let k = x * h.taps, end = k + h.taps; k < end; k++) {
                const w = h.weight[k];
                const p = src + h.index[k] * 3;
                red += w * rgb[p];
                green += w * rgb[p + 1];
                blue += w * rgb[p + 2];
            }
            mid[o++] = red;
            mid[o++] = green;
            mid[o++] = blue;
        }
    }
    // vertical pass into RGBA (Uint8ClampedArray rounds and clamps)
    const out = new Uint8ClampedArray(dw * dh * 4);
    for (let y = 0; y < dh; y++) {
        const base = y * v.taps;
        let o = y * dw * 4;
        for (let x = 0; x < dw; x++) {
            let red = 0, green = 0, blue = 0;
            for (let k = 0; k < v.taps; k++) {
                const w = v.weight[base + k];
                if (w === 0) continue;
                const p = ((v.index[base + k] - rowLo) * dw + x) * 3;
                red += w * mid[p];
                green += w * mid[p + 1];
                blue += w * mid[p + 2];
            }
            out[o++] = red;
            out[o++] = green;
            out[o++] = blue;
            out[o++] = 255;
        }
    }
    return out;
}

let encoder: Promise<void> | undefined;

/** Compiles MozJPEG's WebAssembly once (from the package's own file: no fetch, works in Node, Bun, Deno). */
function mozjpeg(): Promise<void> {
    encoder ??= (async () => {
        const path = createRequire(import.meta.url).resolve("@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm");
        const module = await WebAssembly.compile(readFileSync(path));
        // the typings name only the options argument; the module is the first one
        await (initMozjpeg as unknown as (module: WebAssembly.Module) => Promise<void>)(module);
    })();
    return encoder;
}

/** JPEG (MozJPEG, 4:2:0, progressive off) of RGBA pixels, as a Uint8Array that owns its whole buffer (transferable). */
export async function encodeJpeg(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number, quality = DEFAULT_JPEG_QUALITY): Promise<Uint8Array> {
    checkJpegQuality(quality);
    await mozjpeg();
    const pixels = { data: new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height, colorSpace: "srgb" } as ImageData;
    return new Uint8Array(await mozjpegEncode(pixels, { quality, progressive: false, baseline: true }));
}

/** Renders frame `index` of `frames` as a `width`×`height` JPEG (cover + centre crop). */
export async function renderSnapshot(frames: ClipFrames, index: number, width: number, height: number, quality = DEFAULT_JPEG_QUALITY): Promise<Uint8Array> {
    checkSnapshotSize(width, height);
    checkJpegQuality(quality);
    const rgb = i420ToRgb(frames.frame(index), frames.width, frames.height);
    const rgba = coverScaleRgbToRgba(rgb, frames.width, frames.height, width, height);
    return encodeJpeg(rgba, width, height, quality);
}
