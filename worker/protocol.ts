/**
 * The comlink API between the page (web/) and the camera worker (worker/camera-worker.ts), as
 * plain data. The page imports these TYPES only: the worker's code (matter.js, the engine) stays in
 * the worker bundle.
 */

import type { MediaHostApi } from "../src/media/browser/types.js";

export type CoreProfile = "tiny" | "default" | "large";

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

export type CameraState = "stopped" | "starting" | "online" | "relay-lost" | "failed";

export interface PairingInfo {
    manualPairingCode: string;
    qrPairingCode: string;
    passcode: number;
    discriminator: number;
}

export interface FabricInfo {
    fabricIndex: number;
    label: string;
    vendorId: number;
    /** Our node id on that fabric (hex). */
    nodeId: string;
    /** The fabric id (hex). */
    fabricId: string;
}

/** One CurrentSessions row (all fabrics) plus the core's view of its state. */
export interface SessionRow {
    id: number;
    fabricIndex: number;
    peerNodeId: string;
    peerEndpointId: number;
    streamUsage: number;
    videoStreams: number[];
    audioStreams: number[];
    metadataEnabled: boolean;
    /** "reserved" | "awaiting-deferred-offer" | "awaiting-answer" | "established" (core). */
    state: string;
}

export interface PrivacyState {
    softLivestream: boolean;
    softRecording: boolean;
    hard: boolean;
}

export interface CameraStatus {
    state: CameraState;
    storageName: string;
    port: number | undefined;
    commissioned: boolean;
    /** Present while the camera can be commissioned (and after, for adding more fabrics by code). */
    pairing: PairingInfo | undefined;
    fabrics: FabricInfo[];
    sessions: SessionRow[];
    privacy: PrivacyState;
    allocatedStreams: { video: number; audio: number; snapshot: number };
    /** Why the camera is not online, in plain words. */
    error: string | undefined;
    /** ms the last start took (relay connect → node online). */
    startMs: number | undefined;
}

export type PrivacySwitch = keyof PrivacyState;

export interface SessionEndInfo {
    sessionId: number;
    reason: number;
    /** Plain words: "the controller ended it", "ICE failed", … */
    text: string;
}

/** Callbacks the page gives the worker (`Comlink.proxy`). */
export interface WorkerEvents {
    log(level: "info" | "warn" | "error", text: string): void;
    status(status: CameraStatus): void;
    /** The relay connection is gone; the node has stopped. The page restarts it (with backoff). */
    relayLost(info: { code: number; reason: string }): void;
    sessionEnded(info: SessionEndInfo): void;
}

export interface SnapshotResult {
    data: Uint8Array;
    width: number;
    height: number;
    mimeType: string;
}

/** What the worker exposes (`Comlink.expose`). */
export interface CameraWorkerApi {
    /**
     * Connects to the relay (one attempt), opens the camera's storage and brings the node online.
     * Rejects with a plain-words Error when the relay is unreachable or the node cannot start.
     */
    start(options: StartOptions, media: MediaHostApi, events: WorkerEvents): Promise<CameraStatus>;
    status(): Promise<CameraStatus>;
    setPrivacy(which: PrivacySwitch, on: boolean): Promise<CameraStatus>;
    /** The image a controller's CaptureSnapshot gets (from the page's source). */
    captureSnapshot(): Promise<SnapshotResult>;
    /** Forgets every fabric and the stored identity, then starts again uncommissioned. */
    factoryReset(): Promise<CameraStatus>;
    /** Stops the node and closes the relay connection. */
    stop(): Promise<void>;
}
