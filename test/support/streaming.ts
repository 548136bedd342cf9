/**
 * Helpers shared by the Matter integration tests that stream: a bounded poll, reference counts
 * read over Matter until they reach a value, and the controller's half of a camera-offered
 * (SolicitOffer) session all the way to media.
 */

import { expect } from "vitest";
import { DEFAULT_STREAM_ID } from "../../src/matter/camera-av-stream-management.js";
import type { CameraNode } from "../../src/matter/camera-node.js";
import { OFFER_FORMATS, type NodeMediaHost, type NodeMediaHostOptions } from "../../src/media/node/index.js";
import type { ControllerPeer } from "../media/controller-peer.js";
import { NodeCameraRig } from "./camera-rig.js";
import type { CameraPeer, TestController } from "./matter-controller.js";

/**
 * A Node camera commissioned by one controller (a `NodeCameraRig` with its first controller). In
 * the default mode `streams` are the camera's own default streams (video 0, audio 0: nothing is
 * allocated); in certification mode the rig allocates a video and an audio stream, as the
 * certification steps do.
 */
export interface CameraRig {
    rig: NodeCameraRig;
    media: NodeMediaHost;
    camera: CameraNode;
    controller: TestController;
    peer: CameraPeer;
    streams: { video: number; audio: number };
    /** Controller-side WebRTC peers the tests open; closed with the rig. */
    peers: ControllerPeer[];
}

/** Starts a camera (`cam-<name>`) and commissions it with one controller (see {@link CameraRig} for `streams`). */
export async function startCameraRig(
    name: string,
    media: Partial<NodeMediaHostOptions> = {},
    options: { certification?: boolean } = {},
): Promise<CameraRig> {
    const certification = options.certification === true;
    const rig = await NodeCameraRig.start({ name, media, certification });
    const { controller, peer } = await rig.addController({ id: `ctl-${name}` });
    const streams = certification ? await peer.allocateStreams() : { video: DEFAULT_STREAM_ID, audio: DEFAULT_STREAM_ID };
    return { rig, media: rig.media, camera: rig.camera, controller, peer, streams, peers: rig.peers };
}

/** Closes the rig: peers, then the camera before its controller (closed after it, the camera waits out its sessions). */
export async function closeCameraRig(rig: CameraRig | undefined): Promise<void> {
    await rig?.rig.close();
}

/** Polls `check` until it holds; throws after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise(resolve => setTimeout(resolve, 25));
    }
}

/**
 * The ReferenceCount of `streams` read over Matter, once it equals `expected`; after a bounded wait
 * (the camera writes the counts in its own transaction) the last value read, for the caller to assert.
 */
export async function referenceCountsBecome(
    peer: CameraPeer,
    streams: { video: number; audio: number },
    expected: { video: number; audio: number },
    timeoutMs = 5_000,
): Promise<{ video: number; audio: number }> {
    let counts = await peer.referenceCounts(streams.video, streams.audio);
    const deadline = Date.now() + timeoutMs;
    while ((counts.video !== expected.video || counts.audio !== expected.audio) && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 50));
        counts = await peer.referenceCounts(streams.video, streams.audio);
    }
    return counts;
}

/**
 * The controller's half of a camera-offered session (SolicitOffer; `peer.track` done): waits for
 * the Offer, answers it with `local` (ProvideAnswer), sends its candidates with
 * ProvideICECandidates and applies the camera's ICECandidates until connected, then waits for
 * ≥30 video frames with a keyframe and some audio. `local` must receive the camera's offered
 * payload types (`OFFER_FORMATS`).
 */
export async function answerAndStream(
    controller: TestController,
    peer: CameraPeer,
    local: ControllerPeer,
    id: number,
    offerTimeoutMs = 10_000,
): Promise<void> {
    const offer = await controller.waitFor(r => r.kind === "offer" && r.sessionId === id, offerTimeoutMs);
    expect(offer.sdp).toMatch(/m=video/);
    expect(offer.sdp).toMatch(/m=audio/);
    const answer = await local.answer(offer.sdp as string, OFFER_FORMATS.video.mid, OFFER_FORMATS.audio.mid);
    expect(await peer.provideAnswer(id, answer)).toEqual({ ok: true, value: undefined });

    // ICE: ours through ProvideICECandidates, the camera's from its ICECandidates commands
    const sent: Promise<{ ok: boolean }>[] = [];
    local.forwardCandidates(c => sent.push(peer.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }])));
    await controller.waitFor(r => r.kind === "iceCandidates" && r.sessionId === id && (r.candidates?.length ?? 0) > 0);
    let applied = 0;
    await until(
        "connected",
        () => {
            const batches = controller.received.filter(r => r.kind === "iceCandidates" && r.sessionId === id);
            for (const batch of batches.slice(applied)) {
                for (const c of batch.candidates ?? []) local.addRemoteCandidate(c.candidate, c.sdpMid ?? OFFER_FORMATS.video.mid);
            }
            applied = batches.length;
            return local.state() === "connected";
        },
        15_000,
    );
    expect(sent.length).toBeGreaterThan(0);
    for (const outcome of await Promise.all(sent)) expect(outcome.ok).toBe(true);

    await until(
        "30 video frames with a keyframe, and audio",
        () => local.video.frames >= 30 && local.video.keyframes > 0 && local.audioPackets > 0,
        15_000,
    );
}
