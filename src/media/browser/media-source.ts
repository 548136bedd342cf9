/**
 * The page's media sources: the user's webcam (getUserMedia) or a built-in animated test pattern
 * (a canvas with moving bars and a running clock, so consecutive frames always differ, captured with
 * `canvas.captureStream`), each with an audio track: the microphone, or a silent WebAudio
 * oscillator for the test pattern (and for a webcam without a microphone).
 *
 * The pattern is redrawn on ticks from a tiny dedicated Worker rather than a page timer: Chromium
 * and Firefox throttle page timers of hidden tabs (to once a second, in Chromium down to once a
 * minute after five minutes), a worker's messages are not throttled, so a camera tab in the
 * background keeps its frame rate. Measured: Chromium sends as many frames hidden as in front
 * (test/browser/background-tab.test.ts; ticked by a page timer it drops to 1 fps there); Firefox
 * ESR 153, by hand, keeps drawing 30 times a second hidden with the worker, once a second with a
 * page timer. A camera's track is driven by the device, not by the page, and needs nothing of the
 * kind.
 *
 * The webcam can be asked for by the way it faces (`facing`: the front camera of a phone, "user",
 * or the back one, "environment"), as an *ideal* constraint: a laptop with a single camera still
 * opens that one.
 *
 * Errors are `MediaSourceError`s whose message is plain words for the UI ("camera permission was
 * denied", …); the original DOMException name is kept in `cause`.
 */

import type { SnapshotData, SourceKind } from "./types.js";

/** Why a media source could not be opened; the message is plain words for the UI. */
export class MediaSourceError extends Error {
    constructor(
        message: string,
        /** The kind of failure, for code that reacts to it (e.g. asks again for permission). */
        readonly reason: "permission-denied" | "no-device" | "device-busy" | "insecure-context" | "unsupported" | "other",
        options?: { cause?: unknown },
    ) {
        super(message, options);
        this.name = "MediaSourceError";
    }
}

/** Which way a phone's or tablet's camera faces: toward the user (front) or away (back). */
export type CameraFacing = "user" | "environment";

/** Options of {@link openWebcam}. */
export interface WebcamOptions {
    /**
     * The camera to prefer, as the `facingMode` constraint: "user" (front) or "environment"
     * (back). Ideal, not exact: a device whose cameras do not say which way they face opens its
     * default one. Default: the browser's choice.
     */
    facing?: CameraFacing;
}

/** An open media source: its stream and tracks, a snapshot of its current frame, and `stop`. */
export interface MediaSourceHandle {
    /** Webcam or test pattern. */
    kind: SourceKind;
    /** Human-readable name (camera label or "test pattern"). */
    label: string;
    /**
     * Which way the camera faces as the browser reports it (`getSettings().facingMode`);
     * undefined for the test pattern and for cameras that do not say (most laptop webcams).
     */
    facing?: CameraFacing | undefined;
    /** The stream every session's peer sends from. */
    stream: MediaStream;
    /** The stream's video track. */
    video: MediaStreamTrack;
    /** The stream's audio track: the microphone or silence; undefined when the browser has no WebAudio. */
    audio: MediaStreamTrack | undefined;
    /**
     * A JPEG of the current frame at exactly `width`×`height` (default: the source's own size),
     * scaled to cover that size and centre-cropped, so a 4:3 source at 16:9 loses its top and
     * bottom rather than gaining black bars.
     */
    snapshot(width?: number, height?: number, quality?: number): Promise<SnapshotData>;
    /** Stops the tracks (and the pattern's ticker); the handle is unusable afterwards. Twice is harmless. */
    stop(): void;
}

/** Options of {@link openTestPattern}. */
export interface TestPatternOptions {
    /** Frame width in pixels. Default 640. */
    width?: number;
    /** Frame height in pixels. Default 480. */
    height?: number;
    /** Frames per second. Default 30. */
    fps?: number;
    /** Shown on the pattern (e.g. the camera's name). */
    title?: string;
}

/** The animated canvas test pattern with a silent audio track. */
export function openTestPattern(options: TestPatternOptions = {}): MediaSourceHandle {
    const width = options.width ?? 640;
    const height = options.height ?? 480;
    const fps = options.fps ?? 30;
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d", { alpha: false });
    if (context === null) throw new MediaSourceError("this browser cannot draw the test pattern (no 2D canvas)", "unsupported");
    if (typeof canvas.captureStream !== "function") throw new MediaSourceError("this browser cannot stream a canvas (no captureStream)", "unsupported");
    const started = performance.now();
    let frame = 0;
    const draw = (): void => {
        drawPattern(context, width, height, frame++, performance.now() - started, options.title ?? "matter-webrtc-provider");
    };
    draw();
    const stream = canvas.captureStream(fps);
    const ticker = startTicker(1000 / fps, draw);
    const silence = openSilence();
    if (silence !== undefined) stream.addTrack(silence.track);
    const video = stream.getVideoTracks()[0];
    if (video === undefined) throw new MediaSourceError("the canvas produced no video track", "unsupported");
    video.contentHint = "motion";
    let stopped = false;
    return {
        kind: "pattern",
        label: "test pattern",
        stream,
        video,
        audio: silence?.track,
        snapshot: (w, h, q) => frameJpeg(canvas, width, height, w, h, q),
        stop() {
            if (stopped) return;
            stopped = true;
            ticker.stop();
            for (const track of stream.getTracks()) track.stop();
            silence?.close();
        },
    };
}

/**
 * The user's camera and microphone (the microphone is optional: silence replaces it); `facing`
 * prefers the front or the back camera of a phone.
 */
export async function openWebcam(options: WebcamOptions = {}): Promise<MediaSourceHandle> {
    if (!window.isSecureContext || navigator.mediaDevices?.getUserMedia === undefined) {
        throw new MediaSourceError("the camera needs a secure page (https, or http://localhost / 127.0.0.1)", "insecure-context");
    }
    if (options.facing !== undefined && options.facing !== "user" && options.facing !== "environment") {
        throw new MediaSourceError(`facing "${String(options.facing)}" is not a camera direction (user or environment)`, "other");
    }
    const video: MediaTrackConstraints = {
        width: { ideal: 640 },
        height: { ideal: 480 },
        frameRate: { ideal: 30 },
        ...(options.facing !== undefined ? { facingMode: { ideal: options.facing } } : {}),
    };
    let stream: MediaStream;
    try {
        stream = await navigator.mediaDevices.getUserMedia({ video, audio: true });
    } catch (first) {
        // no or refused microphone: try the camera alone before giving up
        try {
            stream = await navigator.mediaDevices.getUserMedia({ video });
        } catch {
            throw webcamError(first);
        }
    }
    const videoTrack = stream.getVideoTracks()[0];
    if (videoTrack === undefined) throw new MediaSourceError("the camera gave no video", "no-device");
    let audio = stream.getAudioTracks()[0];
    const silence = audio === undefined ? openSilence() : undefined;
    if (silence !== undefined) {
        audio = silence.track;
        stream.addTrack(audio);
    }
    const element = document.createElement("video");
    element.muted = true;
    element.playsInline = true;
    element.srcObject = new MediaStream([videoTrack]);
    void element.play().catch(() => undefined);
    const reported = videoTrack.getSettings().facingMode;
    let stopped = false;
    return {
        kind: "webcam",
        label: videoTrack.label || "camera",
        facing: reported === "user" || reported === "environment" ? reported : undefined,
        stream,
        video: videoTrack,
        audio,
        async snapshot(w, h, q) {
            if (element.readyState < 2) await new Promise<void>(resolve => element.addEventListener("loadeddata", () => resolve(), { once: true }));
            return frameJpeg(element, element.videoWidth || 640, element.videoHeight || 480, w, h, q);
        },
        stop() {
            // a switch between front and back stops the old camera before it opens the new one
            if (stopped) return;
            stopped = true;
            for (const track of stream.getTracks()) track.stop();
            element.srcObject = null;
            silence?.close();
        },
    };
}

function webcamError(error: unknown): MediaSourceError {
    const name = error instanceof DOMException ? error.name : "";
    switch (name) {
        case "NotAllowedError":
        case "SecurityError":
            return new MediaSourceError("camera permission was denied; allow the camera for this page, or use the test pattern", "permission-denied", { cause: error });
        case "NotFoundError":
        case "OverconstrainedError":
            return new MediaSourceError("no camera was found; connect one, or use the test pattern", "no-device", { cause: error });
        case "NotReadableError":
        case "AbortError":
            return new MediaSourceError("the camera is in use by another program or could not be started", "device-busy", { cause: error });
        default:
            return new MediaSourceError(`the camera could not be opened (${error instanceof Error ? error.message : String(error)})`, "other", { cause: error });
    }
}

/** A silent audio track from WebAudio (an oscillator through a zero gain). */
function openSilence(): { track: MediaStreamTrack; close(): void } | undefined {
    const Context = globalThis.AudioContext;
    if (Context === undefined) return undefined;
    try {
        const audio = new Context({ sampleRate: 48_000 });
        const oscillator = audio.createOscillator();
        const gain = audio.createGain();
        gain.gain.value = 0;
        const destination = audio.createMediaStreamDestination();
        oscillator.connect(gain).connect(destination);
        oscillator.start();
        // without a user gesture the context may stay suspended until one (the track is silent either way)
        void audio.resume().catch(() => undefined);
        const track = destination.stream.getAudioTracks()[0];
        if (track === undefined) {
            void audio.close();
            return undefined;
        }
        return {
            track,
            close() {
                track.stop();
                oscillator.stop();
                void audio.close().catch(() => undefined);
            },
        };
    } catch {
        return undefined;
    }
}

/** Calls `tick` every `periodMs` from a dedicated worker (not throttled in hidden tabs), else a timer. */
function startTicker(periodMs: number, tick: () => void): { stop(): void } {
    try {
        const source = `setInterval(() => postMessage(0), ${Math.max(5, Math.round(periodMs))});`;
        const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
        const worker = new Worker(url);
        URL.revokeObjectURL(url);
        worker.onmessage = () => tick();
        return { stop: () => worker.terminate() };
    } catch {
        const timer = setInterval(tick, periodMs);
        return { stop: () => clearInterval(timer) };
    }
}

const BARS = ["#c0c0c0", "#c0c000", "#00c0c0", "#00c000", "#c000c0", "#c00000", "#0000c0"];

function drawPattern(g: CanvasRenderingContext2D, w: number, h: number, frame: number, elapsedMs: number, title: string): void {
    const barWidth = w / BARS.length;
    BARS.forEach((colour, i) => {
        g.fillStyle = colour;
        g.fillRect(Math.floor(i * barWidth), 0, Math.ceil(barWidth), h * 0.62);
    });
    g.fillStyle = "#101010";
    g.fillRect(0, h * 0.62, w, h * 0.38);
    // a block sweeping across, so every frame differs even where the clock does not
    const x = ((frame * 6) % (w + 80)) - 80;
    g.fillStyle = "#ffffff";
    g.fillRect(x, h * 0.62 + 8, 80, 24);
    // the running clock
    const now = new Date();
    const clock = `${now.toLocaleTimeString([], { hour12: false })}.${String(now.getMilliseconds()).padStart(3, "0")}`;
    g.fillStyle = "#ffffff";
    g.font = `bold ${Math.round(h / 9)}px monospace`;
    g.textBaseline = "middle";
    g.fillText(clock, w * 0.05, h * 0.8);
    g.font = `${Math.round(h / 24)}px sans-serif`;
    g.fillText(`${title}  ·  frame ${frame}  ·  ${(elapsedMs / 1000).toFixed(1)} s`, w * 0.05, h * 0.93);
}

/** Draws `source` (its size `sourceWidth`×`sourceHeight`) to cover exactly `width`×`height`, centre-cropped, as JPEG. */
async function frameJpeg(
    source: CanvasImageSource,
    sourceWidth: number,
    sourceHeight: number,
    width = sourceWidth,
    height = sourceHeight,
    quality = 85,
): Promise<SnapshotData> {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 4096 || height > 4096) {
        throw new MediaSourceError(`a snapshot of ${width}×${height} is not possible (1..4096 pixels per side)`, "other");
    }
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const g = canvas.getContext("2d", { alpha: false });
    if (g === null) throw new MediaSourceError("this browser cannot draw the snapshot (no 2D canvas)", "unsupported");
    // the largest centred source rectangle with the target's aspect ratio
    const scale = Math.max(width / sourceWidth, height / sourceHeight);
    const cropWidth = width / scale;
    const cropHeight = height / scale;
    g.drawImage(source, (sourceWidth - cropWidth) / 2, (sourceHeight - cropHeight) / 2, cropWidth, cropHeight, 0, 0, width, height);
    const blob = await new Promise<Blob | null>(resolve => canvas.toBlob(resolve, "image/jpeg", Math.min(100, Math.max(1, quality)) / 100));
    if (blob === null) throw new MediaSourceError("the frame could not be encoded as JPEG", "other");
    return { data: new Uint8Array(await blob.arrayBuffer()), width, height, mimeType: "image/jpeg" };
}
