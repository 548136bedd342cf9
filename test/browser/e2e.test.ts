/**
 * The browser camera end to end: a Chromium tab IS the Matter camera.
 *
 * Real pieces only (`TabCamera`): the page is built with Vite (`vite.config.ts`) into dist/web and
 * served by the relay on 127.0.0.1; Debian's Chromium (playwright-core, not vitest browser mode)
 * opens it with the test pattern; the camera's matter.js node runs in the page's Web Worker and its
 * UDP/TCP/mDNS go through the relay's WebSocket (the camera's Matter port is opened on this host by
 * the relay). Real matter.js controllers (`TestController`, native sockets) commission it and drive
 * the WebRTC Transport Provider; node-datachannel peers (`ControllerPeer`) play the controllers'
 * WebRTC stacks and count H.264 frames (RTP marker bits) and keyframes; Chromium's outbound-rtp
 * `framesSent` is read through the page's test handle (`window.mwp`).
 *
 * What it proves, in order (one tab, one browser context, so IndexedDB persists across the reload):
 * 1. the QR code drawn on the page decodes to the camera's pairing payload;
 * 2. commissioning over the relay; the page lists the fabric;
 * 3. ProvideOffer → Answer → ICE both ways → ≥30 frames and a keyframe within 5 s, Chromium agrees;
 * 4. SolicitOffer → Offer → ProvideAnswer → the same;
 * 5. EndSession closes the tab's RTCPeerConnection;
 * 6. a reload keeps the commissioning (IndexedDB) and a new session streams;
 * 6b. a relay restart (same port and token): the page reports the loss, reconnects with backoff,
 *    the node comes back on its stored fabrics and port, and a new session streams;
 * 7. a second fabric (commissioning window opened by the first) and two sessions streaming at once;
 *    a screenshot of that page is saved as dist/screenshot-two-fabrics.png.
 */

import { CHROMIUM_PATH } from "../../src/cli/chromium.js";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import nodeDataChannel from "node-datachannel";
import type { Page } from "playwright-core";
import decodeQR from "qr/decode.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isH264Mode1, isOpus } from "../../src/media/offer-plan.js";
import { mediaSections } from "../../src/media/sdp.js";
import type { BrowserSessionStats } from "../../src/media/browser/types.js";
import type { CameraStatus } from "../../worker/protocol.js";
import { ControllerPeer } from "../media/controller-peer.js";
import { TestController, testEnvironment, type CameraPeer } from "../support/matter-controller.js";
import { until } from "../support/streaming.js";
import { TabCamera, tabControllerPort } from "../support/tab-camera.js";

/** "candidate:… udp <priority> <address> <port> typ …": true for 127.0.0.0/8 and ::1. */
function isLoopbackCandidate(candidate: string): boolean {
    const address = candidate.split(" ")[4] ?? "";
    return address.startsWith("127.") || address === "::1";
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Streams {
    video: number;
    audio: number;
}

const timings: Record<string, number> = {};

describe("the browser tab is a Matter camera", () => {
    const env = testEnvironment();
    let tab: TabCamera;
    let page: Page;
    let cameraPort = 0;
    let status: CameraStatus;
    let controllerA: TestController;
    let controllerB: TestController | undefined;
    let a: CameraPeer;
    let streams: Streams;
    const peers: ControllerPeer[] = [];

    const cameraStatus = (): Promise<CameraStatus | undefined> => page.evaluate(() => window.mwp.status());
    const browserStats = (): Promise<BrowserSessionStats[]> => page.evaluate(() => window.mwp.stats());

    async function waitOnline(timeoutMs = 30_000): Promise<CameraStatus> {
        await page.waitForFunction(() => window.mwp?.status()?.state === "online", null, { timeout: timeoutMs });
        const s = await cameraStatus();
        if (s === undefined) throw new Error("no camera status");
        return s;
    }

    function newPeer(videoPt: number, audioPt: number): ControllerPeer {
        const peer = new ControllerPeer({ videoPt, audioPt });
        peers.push(peer);
        return peer;
    }

    /** ICE both ways for session `id` until `local` is connected (bounded). */
    async function exchangeIce(controller: TestController, peer: CameraPeer, local: ControllerPeer, id: number, fallbackMid: string, mark: number): Promise<void> {
        const sent: Promise<{ ok: boolean }>[] = [];
        local.forwardCandidates(c => sent.push(peer.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }])));
        let applied = 0;
        await until(
            `session ${id} connected`,
            () => {
                const batches = controller.received.slice(mark).filter(r => r.kind === "iceCandidates" && r.sessionId === id);
                for (const batch of batches.slice(applied)) {
                    // only the tab's loopback candidates: the test's WebRTC traffic stays on 127.0.0.1 / ::1
                    for (const c of batch.candidates ?? []) {
                        if (isLoopbackCandidate(c.candidate)) local.addRemoteCandidate(c.candidate, c.sdpMid ?? fallbackMid);
                    }
                }
                applied = batches.length;
                return local.state() === "connected";
            },
            15_000,
        );
        expect(controller.received.slice(mark).some(r => r.kind === "iceCandidates" && r.sessionId === id && (r.candidates?.length ?? 0) > 0)).toBe(true);
        for (const outcome of await Promise.all(sent)) expect(outcome.ok).toBe(true);
    }

    /** ≥30 frames and a keyframe within 5 s of the first packet; Chromium's framesSent agrees. */
    async function expectStreaming(local: ControllerPeer, id: number): Promise<void> {
        await until("first video packet", () => local.video.firstPacketAt !== undefined, 10_000);
        const first = local.video.firstPacketAt ?? 0;
        await until("30 video frames with a keyframe", () => local.video.frames >= 30 && local.video.keyframes > 0, 5_000);
        expect(performance.now() - first).toBeLessThan(5_000);
        // Chromium's count of the same session, read right after ours: equal up to frames in flight
        const received = local.video.frames;
        const stats = (await browserStats()).find(s => s.sessionId === id);
        expect(stats, `page stats for session ${id}`).toBeDefined();
        const sent = stats?.framesSent ?? 0;
        expect(stats?.codec.toLowerCase()).toBe("video/h264");
        expect(sent).toBeGreaterThanOrEqual(Math.floor(received * 0.9));
        expect(sent).toBeLessThanOrEqual(local.video.frames + 15);
        expect(stats?.connectionState).toBe("connected");
    }

    /** ProvideOffer from `peer`: the controller offers, the tab answers. Returns the session id. */
    async function provideOfferSession(controller: TestController, peer: CameraPeer, local: ControllerPeer, label: string): Promise<number> {
        const offer = await local.createOffer();
        // session ids start at 1 again after the camera restarts: only look at what comes from now on
        const mark = controller.received.length;
        const fresh = (r: (typeof controller.received)[number]) => controller.received.indexOf(r) >= mark;
        const started = performance.now();
        const response = await peer.provideOffer({ sdp: offer, videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!response.ok) throw new Error(`ProvideOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        await peer.track(id, [streams.video], [streams.audio]);
        const answer = await controller.waitFor(r => r.kind === "answer" && r.sessionId === id && fresh(r), 10_000);
        expect(answer.sdp).toMatch(/m=video/);
        expect(answer.sdp).toMatch(/H264/i);
        local.setRemote(answer.sdp as string, "answer");
        await exchangeIce(controller, peer, local, id, "v", mark);
        await until("first video packet", () => local.video.firstPacketAt !== undefined, 10_000);
        timings[`${label}: ProvideOffer invoke → first frame (ms)`] = Math.round((local.video.firstPacketAt ?? 0) - started);
        return id;
    }

    /** SolicitOffer from `peer`: the tab offers, the controller answers. Returns the session id. */
    async function solicitOfferSession(controller: TestController, peer: CameraPeer, label: string): Promise<{ id: number; local: ControllerPeer }> {
        const mark = controller.received.length;
        const fresh = (r: (typeof controller.received)[number]) => controller.received.indexOf(r) >= mark;
        const started = performance.now();
        const response = await peer.solicitOffer({ videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!response.ok) throw new Error(`SolicitOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        expect(response.value.deferredOffer).toBe(false);
        await peer.track(id, [streams.video], [streams.audio]);
        const offer = await controller.waitFor(r => r.kind === "offer" && r.sessionId === id && fresh(r), 10_000);
        const sections = mediaSections(offer.sdp as string);
        const video = sections.find(s => s.kind === "video");
        const audio = sections.find(s => s.kind === "audio");
        const h264 = video === undefined ? undefined : video.formats.find(isH264Mode1);
        const opus = audio === undefined ? undefined : audio.formats.find(isOpus);
        if (video === undefined || h264 === undefined) throw new Error("the tab's Offer has no H.264 video");
        // the tab restricted its video m-line to H.264 packetization-mode=1 (+ RTX), 42e01f first
        expect(video.formats[0]?.codec.toUpperCase()).toBe("H264");
        expect(video.formats[0]?.fmtp).toMatch(/profile-level-id=42e01f/i);
        expect(video.formats.every(f => ["H264", "RTX"].includes(f.codec.toUpperCase()))).toBe(true);
        const local = newPeer(h264.payloadType, opus?.payloadType ?? 111);
        const answer = await local.answer(offer.sdp as string, video.mid, audio?.mid ?? "1");
        expect(await peer.provideAnswer(id, answer)).toEqual({ ok: true, value: undefined });
        await exchangeIce(controller, peer, local, id, video.mid, mark);
        await until("first video packet", () => local.video.firstPacketAt !== undefined, 10_000);
        timings[`${label}: SolicitOffer invoke → first frame (ms)`] = Math.round((local.video.firstPacketAt ?? 0) - started);
        return { id, local };
    }

    beforeAll(async () => {
        if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install --no-install-recommends chromium (or set CHROMIUM_PATH)`);
        const started = performance.now();
        tab = await TabCamera.start({ name: "e2e" });
        page = tab.page;
        status = await tab.status();
        timings["relay + Chromium + page → camera online (ms)"] = Math.round(performance.now() - started);
        cameraPort = tab.port;
        expect(cameraPort).toBeGreaterThanOrEqual(tab.matterPorts.from);
        expect(cameraPort).toBeLessThanOrEqual(tab.matterPorts.to);
        controllerA = await TestController.create("ctl-a", tabControllerPort(), cameraPort, { preferTcp: true });
    }, 90_000);

    afterAll(async () => {
        for (const peer of peers) peer.close();
        await controllerB?.close().catch(() => undefined);
        await controllerA?.close().catch(() => undefined);
        await tab?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
        console.log(`browser e2e timings: ${JSON.stringify(timings, null, 1)}`);
    }, 30_000);

    it("draws a QR code that decodes to the camera's pairing payload", async () => {
        expect(status.commissioned).toBe(false);
        const payload = status.pairing?.qrPairingCode ?? "";
        expect(payload).toMatch(/^MT:[0-9A-Z.-]+$/);
        const image = await page.evaluate(() => {
            const canvas = document.getElementById("qr") as HTMLCanvasElement;
            const data = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height);
            return { width: canvas.width, height: canvas.height, data: Array.from(data?.data ?? []) };
        });
        expect(decodeQR({ width: image.width, height: image.height, data: Uint8Array.from(image.data) })).toBe(payload);
        // two dedicated workers: the camera (matter.js + core) and the test pattern's frame ticker
        expect(page.workers().map(w => w.url()).some(u => /camera-worker-[\w-]+\.js$/.test(u))).toBe(true);
        expect(page.workers()).toHaveLength(2);
        expect(await page.locator("#manual-code").textContent()).toBe(status.pairing?.manualPairingCode.replace(/^(\d{4})(\d{3})(\d{4})$/, "$1-$2-$3"));
    });

    it("is commissioned by a real controller over UDP/TCP through the relay", async () => {
        const started = performance.now();
        a = await controllerA.commission(cameraPort, status.pairing?.passcode);
        timings["commissioning (ms)"] = Math.round(performance.now() - started);
        streams = await a.allocateStreams();
        await page.waitForFunction(() => window.mwp.status()?.commissioned === true && (window.mwp.status()?.fabrics.length ?? 0) === 1, null, { timeout: 10_000 });
        const stats = tab.relay.stats();
        expect(stats.clients).toBe(1);
        expect(stats.tcpPorts).toContain(cameraPort);
        expect(stats.udpPorts).toContain(cameraPort);
        await page.waitForFunction(() => document.querySelectorAll("#fabrics tr").length === 1 && !document.querySelector("#fabrics td.muted"), null, { timeout: 5_000 });
    }, 60_000);

    let offered = 0;
    it("ProvideOffer: the tab answers, ICE both ways, H.264 frames arrive and Chromium agrees", async () => {
        const local = newPeer(96, 111);
        offered = await provideOfferSession(controllerA, a, local, "ProvideOffer");
        await expectStreaming(local, offered);
        const rows = await a.currentSessions();
        expect(rows.map(r => r.id)).toContain(offered);
    }, 60_000);

    let solicited = 0;
    it("SolicitOffer: the tab offers H.264, the controller answers, frames arrive", async () => {
        const { id, local } = await solicitOfferSession(controllerA, a, "SolicitOffer");
        solicited = id;
        await expectStreaming(local, id);
    }, 60_000);

    it("EndSession closes the tab's RTCPeerConnection", async () => {
        for (const id of [offered, solicited]) {
            expect(await page.evaluate(i => window.mwp.client()?.host.peerConnection(i)?.connectionState, id)).toBe("connected");
            expect((await a.endSession(id)).ok).toBe(true);
            await page.waitForFunction(i => window.mwp.client()?.host.closedPeers.get(i) === "closed", id, { timeout: 5_000 });
            expect(await page.evaluate(i => window.mwp.client()?.host.peerConnection(i), id)).toBeUndefined();
        }
        expect(await a.currentSessions()).toEqual([]);
        await page.waitForFunction(() => (window.mwp.status()?.sessions.length ?? -1) === 0, null, { timeout: 5_000 });
        for (const peer of peers.splice(0)) peer.close();
    }, 30_000);

    it("stays commissioned across a page reload (IndexedDB) and streams again", async () => {
        const started = performance.now();
        await page.reload({ timeout: 15_000 });
        const after = await waitOnline();
        timings["reload → camera online (ms)"] = Math.round(performance.now() - started);
        expect(after.commissioned).toBe(true);
        expect(after.port).toBe(cameraPort);
        expect(after.fabrics).toHaveLength(1);
        expect(after.pairing?.passcode).toBe(status.pairing?.passcode);
        const local = newPeer(96, 111);
        const id = await provideOfferSession(controllerA, a, local, "after reload");
        await expectStreaming(local, id);
        expect((await a.endSession(id)).ok).toBe(true);
        for (const peer of peers.splice(0)) peer.close();
    }, 90_000);

    it("survives a relay restart: the tab reconnects with backoff and comes back on its fabrics", async () => {
        const startsBefore = await page.evaluate(() => window.mwp.client()?.starts ?? 0);
        await tab.stopRelay();
        await page.waitForFunction(() => window.mwp.problems().some(p => p.includes("relay")), null, { timeout: 10_000 });
        const started = performance.now();
        await tab.restartRelay();
        await page.waitForFunction(n => (window.mwp.client()?.starts ?? 0) > n && window.mwp.status()?.state === "online", startsBefore, { timeout: 30_000 });
        timings["relay back → camera online (ms)"] = Math.round(performance.now() - started);
        const after = await cameraStatus();
        expect(after?.commissioned).toBe(true);
        expect(after?.port).toBe(cameraPort);
        expect(after?.fabrics).toHaveLength(1);
        expect(await page.evaluate(() => window.mwp.problems())).toEqual([]);
        const local = newPeer(96, 111);
        const id = await provideOfferSession(controllerA, a, local, "after relay restart");
        await expectStreaming(local, id);
        expect((await a.endSession(id)).ok).toBe(true);
        for (const peer of peers.splice(0)) peer.close();
    }, 90_000);

    it("serves two fabrics at once: a session from each streams at the same time", async () => {
        const commissioningWindow = await a.openCommissioningWindow();
        controllerB = await TestController.create("ctl-b", tabControllerPort(), cameraPort, { preferTcp: true });
        const b = await controllerB.commission(cameraPort, commissioningWindow.passcode);
        await page.waitForFunction(() => (window.mwp.status()?.fabrics.length ?? 0) === 2, null, { timeout: 10_000 });

        const localA = newPeer(96, 111);
        const idA = await provideOfferSession(controllerA, a, localA, "fabric A");
        const { id: idB, local: localB } = await solicitOfferSession(controllerB, b, "fabric B");
        expect(idB).not.toBe(idA);
        // both at once: each peer keeps receiving while the other runs
        const base = { a: localA.video.frames, b: localB.video.frames };
        await until("both sessions stream 30 more frames", () => localA.video.frames - base.a >= 30 && localB.video.frames - base.b >= 30, 8_000);
        await expectStreaming(localA, idA);
        await expectStreaming(localB, idB);
        // each fabric sees only its own row; the page shows both
        expect((await a.currentSessions()).map(r => r.id)).toEqual([idA]);
        expect((await b.currentSessions()).map(r => r.id)).toEqual([idB]);
        const pageStatus = await cameraStatus();
        expect(pageStatus?.sessions.map(s => s.id).sort()).toEqual([idA, idB].sort());
        expect(new Set(pageStatus?.sessions.map(s => s.fabricIndex)).size).toBe(2);
        // let the page's 1 s refresh show both sessions with their stats, then keep the picture
        await page.waitForFunction(
            () => {
                const rows = [...document.querySelectorAll("#sessions tr")];
                // every row connected, with a bitrate measured over a full second (column 11)
                return rows.length === 2 && rows.every(tr => tr.textContent?.includes("connected") && tr.children[10]?.textContent !== "0 kbit/s");
            },
            null,
            { timeout: 5_000 },
        );
        // into the git-ignored dist/: `npm test` never rewrites a tracked file (web/screenshot.png,
        // the README's picture, is refreshed from this one by hand when the page changes)
        await page.screenshot({ path: `${ROOT}dist/screenshot-two-fabrics.png`, fullPage: true });
        expect(tab.pageErrors).toEqual([]);
        liveSessions = [
            { controller: controllerA, id: idA },
            { controller: controllerB, id: idB },
        ];
    }, 90_000);

    let liveSessions: { controller: TestController; id: number }[] = [];
    it("page controls: a snapshot, the privacy switch ends live sessions, factory reset decommissions", async () => {
        // snapshot: the JPEG a controller's CaptureSnapshot would get, shown on the page
        await page.click("#snapshot");
        await page.waitForFunction(() => !(document.getElementById("snapshot-image") as HTMLImageElement).hidden, null, { timeout: 5_000 });
        const shot = await page.evaluate(() => window.mwp.client()?.api.captureSnapshot());
        expect(shot?.mimeType).toBe("image/jpeg");
        expect([shot?.data[0], shot?.data[1]]).toEqual([0xff, 0xd8]);

        // soft livestream privacy: every live session ends with End(PrivacyMode) and its peer closes
        await page.check("#privacy-softLivestream");
        for (const { controller, id } of liveSessions) {
            const end = await controller.waitFor(r => r.kind === "end" && r.sessionId === id, 10_000);
            expect(end.reason).toBe(11); // PrivacyMode
            await page.waitForFunction(i => window.mwp.client()?.host.closedPeers.get(i) === "closed", id, { timeout: 5_000 });
        }
        expect((await a.solicitOffer({ videoStreamId: streams.video, audioStreamId: streams.audio })).ok).toBe(false);
        await page.uncheck("#privacy-softLivestream");
        await page.waitForFunction(() => window.mwp.status()?.privacy.softLivestream === false, null, { timeout: 5_000 });

        // factory reset: no fabric left, a new pairing code
        const before = (await cameraStatus())?.pairing?.manualPairingCode;
        page.once("dialog", dialog => void dialog.accept());
        await page.click("#factory-reset");
        await page.waitForFunction(() => window.mwp.status()?.state === "online" && window.mwp.status()?.commissioned === false && window.mwp.status()?.pairing !== undefined, null, { timeout: 20_000 });
        const after = await cameraStatus();
        expect(after?.fabrics).toEqual([]);
        expect(after?.pairing?.manualPairingCode).not.toBe(before);
        expect(after?.port).toBe(cameraPort);
        expect(tab.pageErrors).toEqual([]);
    }, 60_000);
});
