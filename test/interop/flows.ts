/**
 * The real controllers' flows (shared/reference/real-controllers.md), replayed with real peers
 * against a camera in its default mode. Each flow sends exactly the command shapes the recorded
 * controller sends, and checks what a user of that controller would see:
 *
 * - SmartThings (§1): CaptureSnapshot(null) before any snapshot stream (NOT_FOUND), a snapshot
 *   stream 640x480..1920x1080 and a 1920x1080 capture; ProvideOffer with the singular stream ids
 *   0/0 (never allocated) and a TURN server in ICEServers; a libdatachannel Offer shaped like the
 *   hub's (audio first `sendrecv`, H.264 + H.265, every candidate inline, no trickle); no
 *   ProvideICECandidates, no EndSession: the viewer closes and the camera must free the session.
 * - Home Assistant dashboard (§2): ProvideOffer with the rev-2 lists [0]/[0], no ICEServers,
 *   Chromium's default recvonly Offer with no candidates, never any ProvideICECandidates; a
 *   Chromium page decodes; it closes without EndSession; then a 1920x1080..1920x1080 snapshot
 *   stream is allocated, captured and deallocated.
 * - Home Assistant core (§3): allocates H.264 and Opus streams, ProvideOffer with those ids and its
 *   own ICE servers (TURN), trickles candidates once it knows the session id, EndSession(UserHangup),
 *   deallocates. Its first version's null ids are replayed too.
 *
 * Every flow checks the media on the wire: frames arrive with the payload type the camera's Answer
 * names and no other; the Answer's directions and setup role; the stream references after the end;
 * and, for a session closed without EndSession, the time until the camera has sent End, removed
 * the row and released the streams.
 */

import { Bytes } from "@matter/main";
import { EndpointNumber } from "@matter/main/types";
import { expect } from "vitest";
import { isH264Mode1, isOpus, isVp8 } from "../../src/media/offer-plan.js";
import { mediaSections, type MediaSection } from "../../src/media/sdp.js";
import { libdatachannelIceUrls as iceServerUrls } from "../../src/media/ice-servers.js";
import { ControllerPeer } from "../media/controller-peer.js";
import type { ChromiumViewer } from "../support/chromium-viewer.js";
import type { CameraPeer, TestController } from "../support/matter-controller.js";
import { until } from "../support/streaming.js";
import type { TurnServer } from "../support/turn-server.js";

/** What a flow measured. */
export interface FlowResult {
    /** Session id the camera gave. */
    sessionId: number;
    /** ProvideOffer invoke → first video RTP at the viewer (node-datachannel) or first decoded frame (Chromium). */
    firstFrameMs: number;
    /** Viewer closed without EndSession → End received, row gone, references released (undefined: the flow ends with EndSession). */
    freeMs: number | undefined;
    /** The Answer's video codec and payload type. */
    videoCodec: string;
    videoPayloadType: number;
    /** Candidate types of the viewer's selected pair ("relay ↔ relay" when forced through TURN). */
    pair: string;
}

export interface FlowContext {
    controller: TestController;
    peer: CameraPeer;
    /** Where the controller's Requestor cluster lives (OriginatingEndpointID). */
    requestorEndpoint: number;
    /** Local address the controller's WebRTC stack binds (distinct from the TURN relay address). */
    viewerAddress: string;
}

const SNAPSHOT_JPEG = 0; // ImageCodecEnum.Jpeg
const FULL_HD = { width: 1920, height: 1080 };

/** Width and height from a JPEG's SOF marker (baseline or progressive). */
export function jpegSize(data: Uint8Array): { width: number; height: number } {
    if (data[0] !== 0xff || data[1] !== 0xd8) throw new Error("not a JPEG (no SOI)");
    for (let i = 2; i + 9 < data.length; ) {
        if (data[i] !== 0xff) throw new Error(`JPEG marker expected at ${i}`);
        const marker = data[i + 1] ?? 0;
        const length = ((data[i + 2] ?? 0) << 8) | (data[i + 3] ?? 0);
        if (marker >= 0xc0 && marker <= 0xc3) {
            return { height: ((data[i + 5] ?? 0) << 8) | (data[i + 6] ?? 0), width: ((data[i + 7] ?? 0) << 8) | (data[i + 8] ?? 0) };
        }
        i += 2 + length;
    }
    throw new Error("JPEG without a frame header");
}

/** The Answer's checks every controller relies on; returns its video section. */
export function checkAnswer(answer: string, offer: string): MediaSection {
    const offered = mediaSections(offer);
    const answered = mediaSections(answer);
    // same m-lines, same order, same mids
    expect(answered.map(s => [s.kind, s.mid])).toEqual(offered.map(s => [s.kind, s.mid]));
    for (const section of answered) {
        if (section.rejected) continue;
        // an answer says who starts DTLS; "actpass" is for offers only
        expect(section.setup === undefined || section.setup === "active" || section.setup === "passive", `a=setup:${section.setup}`).toBe(true);
        const offeredSection = offered.find(s => s.mid === section.mid);
        // never sendrecv to a receive-only offer; the camera does not play audio yet
        if (offeredSection?.direction === "recvonly") expect(section.direction).toBe("sendonly");
        if (offeredSection?.direction === "sendrecv") expect(section.direction).toBe("sendonly");
        // only formats the offer listed, under the offer's payload types
        const offeredPts = new Set(offeredSection?.formats.map(f => f.payloadType));
        for (const f of section.formats) expect(offeredPts.has(f.payloadType), `PT ${f.payloadType} not offered`).toBe(true);
    }
    const video = answered.find(s => s.kind === "video" && !s.rejected);
    if (video === undefined) throw new Error("the Answer has no video");
    // exactly one sendable video format (plus its rtx): what is listed is what is sent
    expect(video.formats.filter(f => isH264Mode1(f) || isVp8(f))).toHaveLength(1);
    return video;
}

/** The one sendable video format of an answered section, and the rtx bound to it. */
function answeredVideo(section: MediaSection): { payloadType: number; codec: string; rtx: number | undefined } {
    const format = section.formats.find(f => isH264Mode1(f) || isVp8(f));
    if (format === undefined) throw new Error("no video format in the Answer");
    const rtx = section.formats.find(f => f.codec.toLowerCase() === "rtx" && /apt=(\d+)/.exec(f.fmtp)?.[1] === String(format.payloadType));
    return { payloadType: format.payloadType, codec: format.codec, rtx: rtx?.payloadType };
}

/** Ends every session this controller's fabric has on the camera (after a flow failed midway). */
export async function endAllSessions(peer: CameraPeer): Promise<void> {
    for (const row of await peer.currentSessions()) await peer.endSession(row.id);
}

/** Applies the camera's ICECandidates for `id` to `apply` until `connected()` (bounded). */
async function applyCameraCandidates(
    controller: TestController,
    id: number,
    mark: number,
    apply: (c: { candidate: string; sdpMid: string | null; sdpmLineIndex: number | null }) => Promise<void> | void,
    connected: () => Promise<boolean> | boolean,
): Promise<void> {
    let applied = 0;
    await until(
        `session ${id} connected`,
        async () => {
            const batches = controller.received.slice(mark).filter(r => r.kind === "iceCandidates" && r.sessionId === id);
            for (const batch of batches.slice(applied)) for (const c of batch.candidates ?? []) await apply(c);
            applied = batches.length;
            return connected();
        },
        20_000,
    );
}

/** Checks the libdatachannel viewer received the Answer's formats and nothing else. */
function checkWire(viewer: ControllerPeer, video: { payloadType: number; rtx: number | undefined }, audioPt: number | undefined): void {
    const videoPts = [...viewer.videoPayloadTypes.keys()];
    expect(videoPts.every(pt => pt === video.payloadType || pt === video.rtx), `video PTs on the wire ${videoPts}, answered ${video.payloadType}`).toBe(true);
    expect(viewer.videoPayloadTypes.get(video.payloadType) ?? 0).toBeGreaterThanOrEqual(30);
    if (audioPt !== undefined) {
        const audioPts = [...viewer.audioPayloadTypes.keys()];
        expect(audioPts, "audio PTs on the wire").toEqual([audioPt]);
    }
}

/**
 * After the viewer closed without EndSession: the time until the camera sent End for `id`, the row
 * is gone from CurrentSessions and the streams' references are back to `base`. Bounded by `limitMs`.
 */
async function timeToFree(
    ctx: FlowContext,
    id: number,
    mark: number,
    streams: { video: number; audio: number },
    base: { video: number; audio: number },
    closedAt: number,
    limitMs: number,
): Promise<number> {
    const { controller, peer } = ctx;
    await controller.waitFor(r => r.kind === "end" && r.sessionId === id && controller.received.indexOf(r) >= mark, limitMs);
    await until(
        `session ${id} gone and its streams released`,
        async () => {
            const rows = await peer.currentSessions();
            const counts = await peer.referenceCounts(streams.video, streams.audio);
            return !rows.some(r => r.id === id) && counts.video === base.video && counts.audio === base.audio;
        },
        limitMs,
    );
    return performance.now() - closedAt;
}

// ── SmartThings ─────────────────────────────────────────────────────────────────────────────

/**
 * The hub lists, besides its UDP host/srflx/relay candidates, TCP passive host candidates and
 * component-2 (RTCP) candidates in every m-section (§1). libdatachannel gathers neither, so they
 * are added, on loopback ports nothing listens on: the camera must accept them and connect on
 * the usable ones.
 */
function withHubCandidates(offer: string): string {
    const eol = offer.includes("\r\n") ? "\r\n" : "\n";
    const out: string[] = [];
    for (const line of offer.split(/\r?\n/)) {
        out.push(line);
        const m = /^a=candidate:(\S+) 1 (?:udp|UDP) (\d+) (\S+) (\d+) typ host/.exec(line);
        if (m === null) continue;
        const [, foundation, priority, address, port] = m;
        out.push(`a=candidate:${foundation} 2 UDP ${Number(priority) - 1} ${address} ${Number(port) + 1} typ host`);
        out.push(`a=candidate:${foundation}9 1 TCP ${Math.floor(Number(priority) / 2)} ${address} 9 typ host tcptype passive`);
    }
    return out.join(eol);
}

export interface SmartThingsOptions {
    turn: TurnServer;
    /** ICETransportPolicy "relay" on both sides: the media must go through the TURN server. */
    forceRelay?: boolean;
    /**
     * Bound for freeing the session after the viewer closed. The replay's viewer is libdatachannel,
     * whose close puts nothing on the wire (no DTLS close_notify, no RTCP BYE), so the camera
     * notices it by its receiver reports stopping: the camera's RTCP-silence limit plus margin.
     */
    freeLimitMs: number;
}

export async function smartThingsFlow(ctx: FlowContext, options: SmartThingsOptions): Promise<FlowResult> {
    const { controller, peer } = ctx;
    // 1-3. the thumbnail: NOT_FOUND before any snapshot stream exists, then allocate and capture
    const existing = await peer.allocatedSnapshotStreams();
    const before = await peer.captureSnapshot(null, FULL_HD.width, FULL_HD.height);
    if (existing.length === 0) expect(before).toEqual({ ok: false, status: 0x8b });
    else expect(before.ok).toBe(true);
    const allocated = await peer.snapshotStreamAllocate({
        imageCodec: SNAPSHOT_JPEG,
        maxFrameRate: 10,
        minResolution: { width: 640, height: 480 },
        maxResolution: FULL_HD,
        quality: 90,
    });
    if (!allocated.ok) throw new Error(`SnapshotStreamAllocate refused: 0x${allocated.status.toString(16)}`);
    const shot = await peer.captureSnapshot(allocated.value.snapshotStreamId, FULL_HD.width, FULL_HD.height);
    if (!shot.ok) throw new Error(`CaptureSnapshot refused: 0x${shot.status.toString(16)}`);
    expect(shot.value.resolution).toEqual(FULL_HD);
    expect(jpegSize(Bytes.of(shot.value.data))).toEqual(FULL_HD);
    // a live source: a capture a moment later shows another picture
    await new Promise(resolve => setTimeout(resolve, 250));
    const later = await peer.captureSnapshot(allocated.value.snapshotStreamId, FULL_HD.width, FULL_HD.height);
    if (!later.ok) throw new Error(`CaptureSnapshot refused: 0x${later.status.toString(16)}`);
    expect(Bytes.areEqual(Bytes.of(later.value.data), Bytes.of(shot.value.data))).toBe(false);

    // 4-5. ProvideOffer: singular ids 0/0, never allocated by this controller; TURN in ICEServers
    const mark = controller.received.length;
    const cameraCredentials = options.turn.credentials("smartthings-camera");
    const viewerCredentials = options.turn.credentials("smartthings-hub");
    const viewer = new ControllerPeer({
        shape: "smartthings",
        videoPt: 96,
        audioPt: 111,
        iceServers: iceServerUrls([{ urls: [options.turn.url], ...viewerCredentials }]),
        ...(options.forceRelay ? { iceTransportPolicy: "relay" as const } : {}),
        bindAddress: ctx.viewerAddress,
        receiverReports: true, // the hub's libwebrtc reports reception
    });
    try {
        const offer = withHubCandidates(await viewer.offerWithCandidates());
        expect(offer.match(/a=candidate:/g)?.length ?? 0).toBeGreaterThan(0);
        const base = await peer.referenceCounts(0, 0);
        const started = performance.now();
        const response = await peer.provideOffer({
            sdp: offer,
            originatingEndpointId: EndpointNumber(ctx.requestorEndpoint),
            videoStreamId: 0,
            audioStreamId: 0,
            iceServers: [{ urLs: [options.turn.url], username: cameraCredentials.username, credential: cameraCredentials.credential }],
            ...(options.forceRelay ? { iceTransportPolicy: "relay" } : {}),
        });
        if (!response.ok) throw new Error(`ProvideOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        expect(response.value.videoStreamId).toBe(0);
        expect(response.value.audioStreamId).toBe(0);
        await peer.track(id, [0], [0]);

        const answer = (await controller.waitFor(r => r.kind === "answer" && r.sessionId === id && controller.received.indexOf(r) >= mark)).sdp as string;
        const videoSection = checkAnswer(answer, offer);
        const video = answeredVideo(videoSection);
        expect(video.codec.toUpperCase()).toBe("H264"); // the hub listed H.264 and H.265 only
        const audioPt = mediaSections(answer).find(s => s.kind === "audio")?.formats.find(isOpus)?.payloadType;
        viewer.setRemote(answer, "answer");
        // the hub applies the camera's candidates; it never sends its own beyond the Offer
        await applyCameraCandidates(controller, id, mark, c => viewer.addRemoteCandidate(c.candidate, c.sdpMid ?? videoSection.mid), () => viewer.state() === "connected");
        await until("first video packet", () => viewer.video.firstPacketAt !== undefined, 10_000);
        const firstFrameMs = (viewer.video.firstPacketAt ?? 0) - started;
        await until("30 video frames with a keyframe, and audio", () => viewer.video.frames >= 30 && viewer.video.keyframes > 0 && viewer.audioPackets > 0, 15_000);
        checkWire(viewer, video, audioPt);
        const pair = viewer.selectedPair();
        if (options.forceRelay) {
            expect(pair).toEqual({ local: "relay", remote: "relay" });
            expect(options.turn.allocations()).toBeGreaterThanOrEqual(2);
        }
        expect(await peer.referenceCounts(0, 0)).toEqual({ video: base.video + 1, audio: base.audio + 1 });

        // 6. the user closes the tile: no EndSession
        const closedAt = performance.now();
        viewer.close();
        const freeMs = await timeToFree(ctx, id, mark, { video: 0, audio: 0 }, base, closedAt, options.freeLimitMs);
        return { sessionId: id, firstFrameMs, freeMs, videoCodec: video.codec, videoPayloadType: video.payloadType, pair: `${pair?.local} ↔ ${pair?.remote}` };
    } finally {
        viewer.close();
    }
}

// ── Home Assistant dashboard ────────────────────────────────────────────────────────────────

export async function haDashboardFlow(ctx: FlowContext, viewer: ChromiumViewer, options: { freeLimitMs?: number } = {}): Promise<FlowResult> {
    const { controller, peer } = ctx;
    const mark = controller.received.length;
    const offer = await viewer.createOffer();
    expect(offer).not.toMatch(/a=candidate:/);
    const base = await peer.referenceCounts(0, 0);
    const started = performance.now();
    const response = await peer.provideOffer({ sdp: offer, originatingEndpointId: EndpointNumber(ctx.requestorEndpoint), videoStreams: [0], audioStreams: [0] });
    if (!response.ok) throw new Error(`ProvideOffer refused: 0x${response.status.toString(16)}`);
    const id = response.value.webRtcSessionId;
    // lists in, no singular ids echoed
    expect(response.value.videoStreamId).toBeUndefined();
    expect(response.value.audioStreamId).toBeUndefined();
    await peer.track(id, [0], [0]);

    const answer = (await controller.waitFor(r => r.kind === "answer" && r.sessionId === id && controller.received.indexOf(r) >= mark)).sdp as string;
    const videoSection = checkAnswer(answer, offer);
    const video = answeredVideo(videoSection);
    await viewer.setAnswer(answer);
    try {
        return await dashboardSession(ctx, viewer, { id, mark, started, base, video, options });
    } finally {
        await viewer.closePeer().catch(() => undefined);
    }
}

async function dashboardSession(
    ctx: FlowContext,
    viewer: ChromiumViewer,
    s: { id: number; mark: number; started: number; base: { video: number; audio: number }; video: { payloadType: number; codec: string }; options: { freeLimitMs?: number } },
): Promise<FlowResult> {
    const { controller, peer } = ctx;
    const { id, mark, started, base, video, options } = s;
    // the page learns the camera's candidates; the camera never gets the page's (peer-reflexive only)
    await applyCameraCandidates(controller, id, mark, c => viewer.addCandidate(c), async () => (await viewer.stats()).connectionState === "connected");
    await until("first decoded frame", async () => (await viewer.stats()).framesDecoded > 0, 10_000);
    const firstFrameMs = performance.now() - started;
    await until("30 decoded frames", async () => (await viewer.stats()).framesDecoded > 30, 15_000);
    const stats = await viewer.stats();
    // decoded what the Answer says, under its payload type
    expect(stats.codec.toLowerCase()).toBe(`video/${video.codec.toLowerCase()}`);
    expect(stats.payloadType).toBe(video.payloadType);
    expect(await peer.referenceCounts(0, 0)).toEqual({ video: base.video + 1, audio: base.audio + 1 });

    // the tile closes: transport teardown only
    const closedAt = performance.now();
    await viewer.closePeer();
    const freeMs = await timeToFree(ctx, id, mark, { video: 0, audio: 0 }, base, closedAt, options.freeLimitMs ?? 2_000);

    // the thumbnail, a while later: exactly 1920x1080, then the stream goes again
    const allocated = await peer.snapshotStreamAllocate({ imageCodec: SNAPSHOT_JPEG, maxFrameRate: 10, minResolution: FULL_HD, maxResolution: FULL_HD, quality: 90 });
    if (!allocated.ok) throw new Error(`SnapshotStreamAllocate refused: 0x${allocated.status.toString(16)}`);
    const shot = await peer.captureSnapshot(allocated.value.snapshotStreamId, FULL_HD.width, FULL_HD.height);
    if (!shot.ok) throw new Error(`CaptureSnapshot refused: 0x${shot.status.toString(16)}`);
    expect(jpegSize(Bytes.of(shot.value.data))).toEqual(FULL_HD);
    expect(await peer.snapshotStreamDeallocate(allocated.value.snapshotStreamId)).toEqual({ ok: true, value: undefined });
    return { sessionId: id, firstFrameMs, freeMs, videoCodec: video.codec, videoPayloadType: video.payloadType, pair: stats.pair };
}

// ── Home Assistant core ─────────────────────────────────────────────────────────────────────

export async function haCoreFlow(ctx: FlowContext, options: { turn: TurnServer }): Promise<FlowResult> {
    const { controller, peer } = ctx;
    // its first version: null ids select among the allocated streams (the camera's default ones)
    const legacy = new ControllerPeer({ videoPt: 102, audioPt: 111, bindAddress: ctx.viewerAddress });
    try {
        const response = await peer.provideOffer({ sdp: await legacy.createOffer(), originatingEndpointId: EndpointNumber(ctx.requestorEndpoint), videoStreamId: null, audioStreamId: null });
        if (!response.ok) throw new Error(`ProvideOffer with null ids refused: 0x${response.status.toString(16)}`);
        expect(response.value.videoStreamId).toBe(0);
        expect(response.value.audioStreamId).toBe(0);
        await peer.track(response.value.webRtcSessionId, [0], [0]);
        expect(await peer.endSession(response.value.webRtcSessionId)).toEqual({ ok: true, value: undefined });
    } finally {
        legacy.close();
    }

    // the current version allocates first
    const videoAllocated = await peer.videoStreamAllocate({
        streamUsage: 3,
        videoCodec: 0, // H264
        minFrameRate: 30,
        maxFrameRate: 30,
        minResolution: { width: 640, height: 480 },
        maxResolution: { width: 640, height: 480 },
        minBitRate: 10_000,
        maxBitRate: 2_000_000,
        keyFrameInterval: 4000,
    });
    const audioAllocated = await peer.audioStreamAllocate({ streamUsage: 3, audioCodec: 0, channelCount: 1, sampleRate: 48_000, bitRate: 32_000, bitDepth: 16 });
    if (!videoAllocated.ok || !audioAllocated.ok) throw new Error("stream allocation refused");
    const streams = { video: videoAllocated.value.videoStreamId, audio: audioAllocated.value.audioStreamId };
    const base = await peer.referenceCounts(streams.video, streams.audio);
    expect(base).toEqual({ video: 0, audio: 0 });

    const mark = controller.received.length;
    const credentials = options.turn.credentials("home-assistant");
    const viewer = new ControllerPeer({ videoPt: 102, audioPt: 111, bindAddress: ctx.viewerAddress });
    try {
        const offer = await viewer.createOffer();
        const started = performance.now();
        const response = await peer.provideOffer({
            sdp: offer,
            originatingEndpointId: EndpointNumber(ctx.requestorEndpoint),
            videoStreams: [streams.video],
            audioStreams: [streams.audio],
            iceServers: [{ urLs: [options.turn.url], username: credentials.username, credential: credentials.credential }],
        });
        if (!response.ok) throw new Error(`ProvideOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        await peer.track(id, [streams.video], [streams.audio]);
        // trickle: candidates gathered before the id was known were buffered; now they go, and later ones follow
        const sent: Promise<{ ok: boolean }>[] = [];
        viewer.forwardCandidates(c => sent.push(peer.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }])));

        const answer = (await controller.waitFor(r => r.kind === "answer" && r.sessionId === id && controller.received.indexOf(r) >= mark)).sdp as string;
        const videoSection = checkAnswer(answer, offer);
        const video = answeredVideo(videoSection);
        const audioPt = mediaSections(answer).find(s => s.kind === "audio")?.formats.find(isOpus)?.payloadType;
        viewer.setRemote(answer, "answer");
        await applyCameraCandidates(controller, id, mark, c => viewer.addRemoteCandidate(c.candidate, c.sdpMid ?? videoSection.mid), () => viewer.state() === "connected");
        await until("first video packet", () => viewer.video.firstPacketAt !== undefined, 10_000);
        const firstFrameMs = (viewer.video.firstPacketAt ?? 0) - started;
        await until("30 video frames with a keyframe", () => viewer.video.frames >= 30 && viewer.video.keyframes > 0, 15_000);
        checkWire(viewer, video, audioPt);
        for (const outcome of await Promise.all(sent)) expect(outcome.ok).toBe(true);
        expect(await peer.referenceCounts(streams.video, streams.audio)).toEqual({ video: 1, audio: 1 });
        const pair = viewer.selectedPair();

        expect(await peer.endSession(id, 2 /* UserHangup */)).toEqual({ ok: true, value: undefined });
        expect(await peer.referenceCounts(streams.video, streams.audio)).toEqual({ video: 0, audio: 0 });
        expect(await peer.videoStreamDeallocate(streams.video)).toEqual({ ok: true, value: undefined });
        expect(await peer.audioStreamDeallocate(streams.audio)).toEqual({ ok: true, value: undefined });
        return { sessionId: id, firstFrameMs, freeMs: undefined, videoCodec: video.codec, videoPayloadType: video.payloadType, pair: `${pair?.local} ↔ ${pair?.remote}` };
    } finally {
        viewer.close();
    }
}
