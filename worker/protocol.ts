/**
 * The comlink API between the page (web/) and the camera worker (worker/camera-worker.ts), as
 * plain data. The page imports these TYPES only: the worker's code (matter.js, the engine) stays in
 * the worker bundle.
 */

import type { MediaHostApi } from "../src/media/browser/types.js";

/** The WASM core's build profiles, as the worker takes them (the engine's `Profile`). */
export type CoreProfile = "tiny" | "default" | "large";

/** How the worker starts the camera: which relay, which stored identity, which core. */
export interface StartOptions {
    /** `ws(s)://<host>/matter?token=…` of the relay. */
    relayUrl: string;
    /** This camera's identity: its IndexedDB database and its Matter node id. */
    storageName: string;
    /** A fixed Matter port; default: the one stored for this camera, else a free one from the relay's range. */
    port?: number;
    /** Restrict mDNS to one interface of the relay host (e.g. "lo"); default: every interface. */
    mdnsInterface?: string;
    /** matter.js log level for the worker console ("debug" … "error"); default "warn". */
    logLevel?: string;
    /** WASM core build profile; default "default". */
    core?: CoreProfile;
    /** Shown as product name / node label. */
    productName?: string;
    /**
     * Certification mode: no default video/audio streams (empty lists after commissioning), as the
     * certification steps expect. Default false: stream 0 of each kind always exists, for
     * controllers that never allocate (SmartThings, Home Assistant).
     */
    certification?: boolean;
}

/**
 * Where the camera is: `stopped`, `starting`, `online` (a Matter node reachable through the relay),
 * `relay-lost` (the relay connection dropped; the page starts it again) or `failed` (see `error`).
 */
export type CameraState = "stopped" | "starting" | "online" | "relay-lost" | "failed";

/** What a controller needs to commission the camera. */
export interface PairingInfo {
    /** The 11-digit manual pairing code. */
    manualPairingCode: string;
    /** The QR code payload (`MT:...`). */
    qrPairingCode: string;
    /** The setup passcode chosen at first start. */
    passcode: number;
    /** The 12-bit discriminator chosen at first start. */
    discriminator: number;
}

/** A fabric (a controller's ecosystem) the camera is commissioned into. */
export interface FabricInfo {
    /** The fabric's index on this device. */
    fabricIndex: number;
    /** The label the controller gave the fabric (may be empty). */
    label: string;
    /** The controller's vendor id. */
    vendorId: number;
    /** Our node id on that fabric (hex). */
    nodeId: string;
    /** The fabric id (hex). */
    fabricId: string;
}

/** One CurrentSessions row (all fabrics) plus the core's view of its state. */
export interface SessionRow {
    /** The WebRTCSessionID. */
    id: number;
    /** The fabric that owns the session. */
    fabricIndex: number;
    /** The controller's node id (hex). */
    peerNodeId: string;
    /** The controller's Requestor endpoint. */
    peerEndpointId: number;
    /** The session's StreamUsage (3: LiveView). */
    streamUsage: number;
    /** Ids of the video streams the session uses. */
    videoStreams: number[];
    /** Ids of the audio streams the session uses. */
    audioStreams: number[];
    /** Whether the session carries a metadata data channel. */
    metadataEnabled: boolean;
    /** "reserved" | "awaiting-deferred-offer" | "awaiting-answer" | "established" (core). */
    state: string;
}

/** The camera's three privacy switches (CameraAvStreamManagement). */
export interface PrivacyState {
    /** SoftLivestreamPrivacyModeEnabled: no live view sessions. */
    softLivestream: boolean;
    /** SoftRecordingPrivacyModeEnabled: no recording or analysis sessions. */
    softRecording: boolean;
    /** HardPrivacyModeOn (the device's physical switch): no sessions at all. */
    hard: boolean;
}

/** A snapshot of the camera for the page's UI, pushed on every change and returned by the API's calls. */
export interface CameraStatus {
    /** Where the camera is. */
    state: CameraState;
    /** The camera's identity (its IndexedDB database). */
    storageName: string;
    /** The Matter port on the relay host, while running. */
    port: number | undefined;
    /** Whether at least one fabric has commissioned the camera. */
    commissioned: boolean;
    /** Present while the camera can be commissioned (and after, for adding more fabrics by code). */
    pairing: PairingInfo | undefined;
    /** The fabrics the camera belongs to. */
    fabrics: FabricInfo[];
    /** The live WebRTC sessions of every fabric. */
    sessions: SessionRow[];
    /** The privacy switches. */
    privacy: PrivacyState;
    /** How many streams of each kind controllers have allocated. */
    allocatedStreams: {
        /** Allocated video streams. */
        video: number;
        /** Allocated audio streams. */
        audio: number;
        /** Allocated snapshot streams. */
        snapshot: number;
    };
    /** Why the camera is not online, in plain words. */
    error: string | undefined;
    /** ms the last start took (relay connect → node online). */
    startMs: number | undefined;
}

/** One of the privacy switches, as `setPrivacy` names it. */
export type PrivacySwitch = keyof PrivacyState;

/** A WebRTC session that ended, for the page's log. */
export interface SessionEndInfo {
    /** The session that ended. */
    sessionId: number;
    /** Its end reason (an `EndReason` value). */
    reason: number;
    /** Plain words: "the controller ended it", "ICE failed", … */
    text: string;
}

/** Callbacks the page gives the worker (`Comlink.proxy`). */
export interface WorkerEvents {
    /** A line for the page's log: the camera's own and matter.js's warnings and errors. */
    log(level: "info" | "warn" | "error", text: string): void;
    /** The camera's status changed (a burst of changes is pushed once). */
    status(status: CameraStatus): void;
    /** The relay connection is gone; the node has stopped. The page restarts it (with backoff). */
    relayLost(info: { code: number; reason: string }): void;
    /** A WebRTC session ended, with the reason in plain words. */
    sessionEnded(info: SessionEndInfo): void;
}

/** An image of the page's current media source. */
export interface SnapshotResult {
    /** The encoded image. */
    data: Uint8Array;
    /** Width in pixels. */
    width: number;
    /** Height in pixels. */
    height: number;
    /** The image's MIME type (`image/jpeg`). */
    mimeType: string;
}

/** What the worker exposes (`Comlink.expose`). */
export interface CameraWorkerApi {
    /**
     * Connects to the relay (one attempt), opens the camera's storage and brings the node online.
     * Rejects with a plain-words Error when the relay is unreachable or the node cannot start.
     */
    start(options: StartOptions, media: MediaHostApi, events: WorkerEvents): Promise<CameraStatus>;
    /** The camera's current status. */
    status(): Promise<CameraStatus>;
    /** Turns a privacy switch on or off; sessions the new mode forbids end (PrivacyMode). */
    setPrivacy(which: PrivacySwitch, on: boolean): Promise<CameraStatus>;
    /** The image a controller's CaptureSnapshot gets (from the page's source). */
    captureSnapshot(): Promise<SnapshotResult>;
    /** Forgets every fabric and the stored identity, then starts again uncommissioned. */
    factoryReset(): Promise<CameraStatus>;
    /** Stops the node and closes the relay connection. */
    stop(): Promise<void>;
}
