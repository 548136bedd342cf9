/**
 * The browser camera in Firefox ESR: Debian's `firefox-esr`, headless, driven through WebDriver
 * BiDi by puppeteer-core (`FirefoxTabCamera`, test/support/firefox.ts), on a profile that keeps
 * it off the network and without the downloadable OpenH264 plugin, so this Firefox cannot encode
 * H.264, as on a machine that never fetched the plugin.
 *
 * Real pieces only: the built page served by the relay on 127.0.0.1, the camera's matter.js node in
 * the page's module worker (IndexedDB, WebCrypto, the relay's WebSocket network), a real matter.js
 * controller (`TestController`) and node-datachannel viewers (`ControllerPeer`) that count VP8
 * frames (RTP marker bits of the answered payload type) and key frames (RFC 7741); Firefox's own
 * outbound-rtp stats are read through the page's test handle (`window.mwp`).
 *
 * What it proves, in order (one tab, so IndexedDB persists across the reload):
 * 1. the page comes online in Firefox, and this Firefox's sender lists VP8 and no H.264;
 * 2. commissioning over the relay;
 * 3. ProvideOffer with an Offer that lists H.264 first and VP8 second: the camera answers VP8 only
 *    (what this browser can send, whatever the Offer prefers), ≥30 VP8 frames and a key frame
 *    arrive, only the answered payload type is on the wire, Firefox reports video/VP8;
 * 4. SolicitOffer: the camera's Offer lists VP8 (+ RTX) only; answered with VP8, it streams;
 * 5. EndSession closes Firefox's RTCPeerConnection;
 * 5b. Home Assistant's dashboard flow (interop/flows.ts) with a Chromium viewer: Chromium's own
 *    Offer (VP8 first), no candidates from the viewer; Chromium decodes ≥30 VP8 frames under the
 *    answered payload type; its close frees the session; the 1920x1080 thumbnail;
 * 5c. viewers' liveness on Firefox's stats: a viewer that sends receiver reports and vanishes is
 *    ended (MediaTimeout) within the silence limit, while one that sends no RTCP at all keeps
 *    streaming past it (Firefox answers ICE consent only every 4–6 s, which is no sign of life);
 * 6. an H.264-only Offer (SmartThings-shaped: H.264 and H.265) gets the clear refusal: the command
 *    succeeds, the Answer rejects every m-line, the controller receives End(NoUserMedia), the
 *    page shows why in its problem banner, no peer is left; the next session streams and clears it;
 * 7. a reload keeps the commissioning (IndexedDB in Firefox) and a session streams again.
 */

import { existsSync } from "node:fs";
import { networkInterfaces } from "node:os";
import nodeDataChannel from "node-datachannel";
import { chromium, type Browser as ChromiumBrowser } from "playwright-core";
import { CHROMIUM_PATH, TEST_CHROMIUM_ARGS } from "../support/chromium-args.js";
import { VIEWER_SILENCE_LIMIT_MS } from "../../src/media/liveness.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EndReason } from "../../src/engine/types.js";
import { isVp8 } from "../../src/media/offer-plan.js";
import { mediaSections } from "../../src/media/sdp.js";
import type { BrowserSessionStats } from "../../src/media/browser/types.js";
import type { CameraStatus } from "../../worker/protocol.js";
import { haDashboardFlow } from "../interop/flows.js";
import { ControllerPeer } from "../media/controller-peer.js";
import { ChromiumViewer } from "../support/chromium-viewer.js";
import { FIREFOX_PATH, FirefoxTabCamera } from "../support/firefox.js";
import { TestController, testEnvironment, type CameraPeer } from "../support/matter-controller.js";
import { until } from "../support/streaming.js";
import { tabControllerPort } from "../support/tab-camera.js";

/** H.264 first, VP8 second: the viewer takes either, and prefers H.264. */
const H264_PT = 96;
const VP8_PT = 98;
const OPUS_PT = 111;

/**
 * "candidate:… udp <priority> <address> <port> typ …": true for an IPv4 address of this host.
 * Firefox gathers no loopback candidates on a host that has another interface
 * (`media.peerconnection.ice.loopback` only lets it accept a peer's loopback candidate, and it
 * pairs those with loopback addresses only), so the viewer, bound to 127.0.0.1, gets the camera's
 * candidates on this host's own addresses: the kernel delivers packets to them over `lo`, nothing
 * reaches a wire.
 */
function isThisHostCandidate(candidate: string): boolean {
    const address = candidate.split(" ")[4] ?? "";
    return Object.values(networkInterfaces()).some(list => list?.some(i => i.family === "IPv4" && i.address === address));
}

const measured: Record<string, number | string> = {};

describe("the browser camera in Firefox ESR", () => {
    const env = testEnvironment();
    let tab: FirefoxTabCamera;
    let status: CameraStatus;
    let controller: TestController;
    let peer: CameraPeer;
    let streams: { video: number; audio: number };
    let chromiumBrowser: ChromiumBrowser | undefined;
    const viewers: ControllerPeer[] = [];

    const browserStats = (): Promise<BrowserSessionStats[]> => tab.page.evaluate(() => window.mwp.stats());
    const problems = (): Promise<string[]> => tab.page.evaluate(() => window.mwp.problems());

    function viewer(options: { receiverReports?: boolean } = {}): ControllerPeer {
        const v = new ControllerPeer({ videoPt: H264_PT, audioPt: OPUS_PT, extraVideo: [{ pt: VP8_PT, codec: "VP8" }], countVp8: true, ...options });
        viewers.push(v);
        return v;
    }

    /** ICE both ways for session `id` until `local` is connected (bounded); loopback candidates only. */
    async function exchangeIce(local: ControllerPeer, id: number, fallbackMid: string, mark: number): Promise<void> {
        const sent: Promise<{ ok: boolean }>[] = [];
        local.forwardCandidates(c => sent.push(peer.provideIceCandidates(id, [{ candidate: c.candidate, sdpMid: c.mid, sdpmLineIndex: null }])));
        let applied = 0;
        let usable = 0;
        await until(
            `session ${id} connected`,
            () => {
                const batches = controller.received.slice(mark).filter(r => r.kind === "iceCandidates" && r.sessionId === id);
                for (const batch of batches.slice(applied)) {
                    for (const c of batch.candidates ?? []) {
                        if (!isThisHostCandidate(c.candidate)) continue;
                        usable++;
                        local.addRemoteCandidate(c.candidate, c.sdpMid ?? fallbackMid);
                    }
                }
                applied = batches.length;
                return local.state() === "connected";
            },
            20_000,
        );
        expect(usable).toBeGreaterThan(0);
        for (const outcome of await Promise.all(sent)) expect(outcome.ok).toBe(true);
    }

    /** ≥30 VP8 frames with a key frame, only `payloadType` (and its rtx) on the wire; Firefox agrees. */
    async function expectVp8(local: ControllerPeer, id: number, payloadType: number, rtx: number | undefined, label: string): Promise<void> {
        await until("first VP8 packet", () => local.video.firstPacketAt !== undefined, 10_000);
        const first = local.video.firstPacketAt ?? 0;
        await until("30 VP8 frames with a key frame", () => local.video.frames >= 30 && local.video.keyframes > 0, 10_000);
        measured[`${label}: 30 VP8 frames after the first packet (ms)`] = Math.round(performance.now() - first);
        const received = local.video.frames;
        expect(local.video.timestamps.size).toBeGreaterThanOrEqual(30); // 30 distinct pictures, not one frame resent
        expect(local.video.keyframes).toBeLessThan(received); // the RFC 7741 reading tells key frames from the others
        const pts = [...local.videoPayloadTypes.keys()];
        expect(pts.every(pt => pt === payloadType || pt === rtx), `video PTs on the wire: ${pts}`).toBe(true);
        const stats = (await browserStats()).find(s => s.sessionId === id);
        expect(stats, `Firefox stats of session ${id}`).toBeDefined();
        expect(stats?.codec.toLowerCase()).toBe("video/vp8");
        expect(stats?.connectionState).toBe("connected");
        // Firefox's count of the same session, read right after ours: equal up to frames in flight
        expect(stats?.framesSent ?? 0).toBeGreaterThanOrEqual(Math.floor(received * 0.9));
        measured[`${label}: VP8 frames received (viewer)`] = received;
        measured[`${label}: key frames received (viewer)`] = local.video.keyframes;
        measured[`${label}: frames sent (Firefox stats)`] = stats?.framesSent ?? 0;
        measured[`${label}: Firefox sends`] = `${stats?.codec} ${stats?.frameWidth}x${stats?.frameHeight} at ${stats?.framesPerSecond} fps`;
    }

    /** ProvideOffer with an H.264-first, VP8-second Offer; the camera must answer VP8. Returns the session id. */
    async function provideOfferSession(local: ControllerPeer, label: string): Promise<number> {
        const offer = await local.createOffer();
        const offered = mediaSections(offer).find(s => s.kind === "video");
        expect(offered?.formats.map(f => f.codec.toUpperCase())).toEqual(["H264", "VP8"]);
        const mark = controller.received.length;
        const started = performance.now();
        const response = await peer.provideOffer({ sdp: offer, videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!response.ok) throw new Error(`ProvideOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        await peer.track(id, [streams.video], [streams.audio]);
        const answer = (await controller.waitFor(r => r.kind === "answer" && r.sessionId === id && controller.received.indexOf(r) >= mark, 10_000)).sdp as string;
        const video = mediaSections(answer).find(s => s.kind === "video");
        // exactly VP8 (with its rtx, if any): an Answer lists what is sent
        const sendable = video?.formats.filter(f => f.codec.toLowerCase() !== "rtx") ?? [];
        expect(sendable.map(f => `${f.codec.toUpperCase()}/${f.payloadType}`)).toEqual([`VP8/${VP8_PT}`]);
        expect(sendable.every(isVp8)).toBe(true);
        const rtx = video?.formats.find(f => f.codec.toLowerCase() === "rtx")?.payloadType;
        local.setRemote(answer, "answer");
        await exchangeIce(local, id, video?.mid ?? "v", mark);
        await until("first video packet", () => local.video.firstPacketAt !== undefined, 10_000);
        measured[`${label}: ProvideOffer invoke → first VP8 packet (ms)`] = Math.round((local.video.firstPacketAt ?? 0) - started);
        await expectVp8(local, id, VP8_PT, rtx, label);
        return id;
    }

    beforeAll(async () => {
        if (!existsSync(FIREFOX_PATH)) throw new Error(`no Firefox ESR at ${FIREFOX_PATH}: apt-get install --no-install-recommends firefox-esr (or set FIREFOX_PATH)`);
        const started = performance.now();
        tab = await FirefoxTabCamera.start({ name: "firefox" });
        measured["relay + Firefox + page → camera online (ms)"] = Math.round(performance.now() - started);
        measured.browser = tab.firefox.version;
        status = await tab.status();
        controller = await TestController.create("ctl-firefox", tabControllerPort(), status.port ?? 0, { preferTcp: true });
    }, 90_000);

    afterAll(async () => {
        for (const v of viewers) v.close();
        await controller?.close().catch(() => undefined);
        await chromiumBrowser?.close().catch(() => undefined);
        await tab?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
        console.log(`Firefox camera: ${JSON.stringify(measured, null, 1)}`);
    }, 60_000);

    it("comes online in Firefox; this Firefox sends VP8 and cannot send H.264", async () => {
        expect(status.state).toBe("online");
        expect(status.commissioned).toBe(false);
        expect(status.pairing?.manualPairingCode).toMatch(/^\d{11}$/);
        const codecs = await tab.page.evaluate(() => RTCRtpSender.getCapabilities("video")?.codecs.map(c => c.mimeType.toLowerCase()) ?? []);
        expect(codecs).toContain("video/vp8");
        expect(codecs).not.toContain("video/h264");
        expect(await tab.page.evaluate(() => navigator.userAgent)).toMatch(/Firefox\/\d+/);
        expect(await problems()).toEqual([]);
    });

    it("is commissioned by a real controller through the relay", async () => {
        const started = performance.now();
        peer = await controller.commission(status.port ?? 0, status.pairing?.passcode);
        measured["commissioning (ms)"] = Math.round(performance.now() - started);
        streams = await peer.allocateStreams();
        await tab.page.waitForFunction(() => window.mwp.status()?.commissioned === true && window.mwp.status()?.fabrics.length === 1, { timeout: 10_000, polling: 100 });
    }, 60_000);

    let offered = 0;
    it("ProvideOffer listing H.264 first and VP8: the camera answers VP8, ≥30 VP8 frames with a key frame arrive", async () => {
        offered = await provideOfferSession(viewer(), "ProvideOffer");
        expect((await peer.currentSessions()).map(r => r.id)).toContain(offered);
    }, 60_000);

    let solicited = 0;
    it("SolicitOffer: the camera offers VP8 (and its RTX) only; answered with VP8 it streams", async () => {
        const mark = controller.received.length;
        const started = performance.now();
        const response = await peer.solicitOffer({ videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!response.ok) throw new Error(`SolicitOffer refused: 0x${response.status.toString(16)}`);
        solicited = response.value.webRtcSessionId;
        await peer.track(solicited, [streams.video], [streams.audio]);
        const offer = (await controller.waitFor(r => r.kind === "offer" && r.sessionId === solicited && controller.received.indexOf(r) >= mark, 10_000)).sdp as string;
        const video = mediaSections(offer).find(s => s.kind === "video");
        const audio = mediaSections(offer).find(s => s.kind === "audio");
        if (video === undefined) throw new Error("the camera's Offer has no video");
        expect(video.direction).toBe("sendonly");
        expect(video.formats.every(f => ["VP8", "RTX"].includes(f.codec.toUpperCase())), video.formats.map(f => f.codec).join(",")).toBe(true);
        const vp8 = video.formats.find(isVp8);
        if (vp8 === undefined) throw new Error("the camera's Offer has no VP8");
        const local = new ControllerPeer({ videoPt: H264_PT, audioPt: audio?.formats.find(f => f.codec.toLowerCase() === "opus")?.payloadType ?? OPUS_PT, extraVideo: [{ pt: vp8.payloadType, codec: "VP8" }], countVp8: true });
        viewers.push(local);
        const answer = await local.answer(offer, video.mid, audio?.mid ?? "1");
        expect(await peer.provideAnswer(solicited, answer)).toEqual({ ok: true, value: undefined });
        await exchangeIce(local, solicited, video.mid, mark);
        await until("first video packet", () => local.video.firstPacketAt !== undefined, 10_000);
        measured["SolicitOffer invoke → first VP8 packet (ms)"] = Math.round((local.video.firstPacketAt ?? 0) - started);
        const rtx = video.formats.find(f => f.codec.toLowerCase() === "rtx" && f.fmtp.includes(`apt=${vp8.payloadType}`))?.payloadType;
        await expectVp8(local, solicited, vp8.payloadType, rtx, "SolicitOffer");
    }, 60_000);

    it("EndSession closes Firefox's RTCPeerConnection", async () => {
        for (const id of [offered, solicited]) {
            expect((await peer.endSession(id)).ok).toBe(true);
            await tab.page.waitForFunction(i => window.mwp.client()?.host.closedPeers.get(i) === "closed", { timeout: 5_000, polling: 100 }, id);
            expect(await tab.page.evaluate(i => window.mwp.client()?.host.peerConnection(i) === undefined, id)).toBe(true);
        }
        expect(await peer.currentSessions()).toEqual([]);
        for (const v of viewers.splice(0)) v.close();
    }, 30_000);

    it("a Chromium viewer (Home Assistant's dashboard) decodes ≥30 VP8 frames; its close frees the session", async () => {
        chromiumBrowser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...TEST_CHROMIUM_ARGS], timeout: 30_000 });
        const chromiumViewer = await ChromiumViewer.open(chromiumBrowser);
        try {
            const result = await haDashboardFlow({ controller, peer, requestorEndpoint: Number(peer.requestorEndpoint), viewerAddress: "127.0.0.1" }, chromiumViewer);
            expect(result.videoCodec.toUpperCase()).toBe("VP8");
            measured["Chromium viewer: ProvideOffer → first decoded VP8 frame (ms)"] = Math.round(result.firstFrameMs);
            measured["Chromium viewer: close → session freed (ms)"] = Math.round(result.freeMs ?? -1);
            measured["Chromium viewer: pair"] = result.pair;
        } finally {
            await chromiumViewer.close();
            await chromiumBrowser.close().catch(() => undefined);
            chromiumBrowser = undefined;
        }
    }, 90_000);

    it("liveness on Firefox's stats: a reporting viewer that vanishes ends (MediaTimeout), a silent one keeps streaming", async () => {
        const silent = viewer();
        const silentId = await provideOfferSession(silent, "viewer without RTCP");
        const reporting = viewer({ receiverReports: true });
        const reportingId = await provideOfferSession(reporting, "viewer with receiver reports");
        const mark = controller.received.length;
        // past the silence limit and more than one of Firefox's 4–6 s consent intervals
        await new Promise(resolve => setTimeout(resolve, VIEWER_SILENCE_LIMIT_MS + 3_000));
        expect(controller.received.slice(mark).filter(r => r.kind === "end")).toEqual([]);
        const before = { silent: silent.video.frames, reporting: reporting.video.frames };
        await until("both viewers still receive", () => silent.video.frames > before.silent + 10 && reporting.video.frames > before.reporting + 10, 5_000);
        // the reporting viewer goes without a word (libdatachannel's close sends nothing)
        const closedAt = performance.now();
        reporting.close();
        const end = await controller.waitFor(r => r.kind === "end" && r.sessionId === reportingId && controller.received.indexOf(r) >= mark, VIEWER_SILENCE_LIMIT_MS + 5_000);
        expect(end.reason).toBe(EndReason.MediaTimeout);
        measured["vanished reporting viewer → End(MediaTimeout) (ms)"] = Math.round(performance.now() - closedAt);
        // the silent one was not cut off meanwhile
        expect(controller.received.slice(mark).some(r => r.kind === "end" && r.sessionId === silentId)).toBe(false);
        expect((await peer.currentSessions()).map(r => r.id)).toEqual([silentId]);
        expect((await peer.endSession(silentId)).ok).toBe(true);
        for (const v of viewers.splice(0)) v.close();
    }, 90_000);

    it("an H.264-only offer is refused clearly: End(NoUserMedia) to the controller, a message on the page", async () => {
        const hub = new ControllerPeer({ shape: "smartthings", videoPt: H264_PT, audioPt: OPUS_PT });
        viewers.push(hub);
        const offer = await hub.createOffer();
        const video = mediaSections(offer).find(s => s.kind === "video");
        expect(video?.formats.map(f => f.codec.toUpperCase()).filter(c => c !== "RTX")).toEqual(["H264", "H265"]);
        const mark = controller.received.length;
        const fresh = (r: (typeof controller.received)[number]) => controller.received.indexOf(r) >= mark;
        const started = performance.now();
        const response = await peer.provideOffer({ sdp: offer, videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!response.ok) throw new Error(`ProvideOffer failed: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        await peer.track(id, [streams.video], [streams.audio]);

        // the Answer rejects every m-line (same m-lines, same mids, port 0), then End comes
        const answer = (await controller.waitFor(r => r.kind === "answer" && r.sessionId === id && fresh(r), 10_000)).sdp as string;
        const sections = mediaSections(answer);
        expect(sections.map(s => [s.kind, s.mid])).toEqual(mediaSections(offer).map(s => [s.kind, s.mid]));
        expect(sections.every(s => s.rejected)).toBe(true);
        expect(answer).not.toMatch(/a=candidate|a=ice-ufrag|a=fingerprint/);
        const end = await controller.waitFor(r => r.kind === "end" && r.sessionId === id && fresh(r), 15_000);
        measured["H.264-only ProvideOffer → End (ms)"] = Math.round(performance.now() - started);
        expect(end.reason).toBe(EndReason.NoUserMedia);
        measured["refusal End reason"] = `${end.reason} (NoUserMedia)`;
        // the Answer came before the End, and nothing else for this session
        const forSession = controller.received.slice(mark).filter(r => r.sessionId === id);
        expect(forSession.map(r => r.kind)).toEqual(["answer", "end"]);
        await until("session gone from CurrentSessions", async () => !(await peer.currentSessions()).some(r => r.id === id), 5_000);

        // the user reads why on the page
        await tab.page.waitForFunction(() => window.mwp.problems().some(p => p.includes("H.264")), { timeout: 5_000, polling: 100 });
        const banner = await tab.page.evaluate(() => {
            const element = document.getElementById("problem");
            return { hidden: element?.hidden ?? true, text: element?.textContent ?? "" };
        });
        expect(banner.hidden).toBe(false);
        expect(banner.text).toContain(`session ${id} refused`);
        expect(banner.text).toContain("H.264 or H.265");
        expect(banner.text).toContain("cannot send");
        expect(banner.text).toContain("VP8");
        expect(banner.text).toContain("OpenH264");
        measured["page message"] = banner.text;
        // no peer was made for it
        expect(await tab.page.evaluate(() => window.mwp.client()?.host.sessionIds() ?? [])).toEqual([]);
        hub.close();

        // the next session that can be served streams, and the message goes
        const next = await provideOfferSession(viewer(), "after the refusal");
        await tab.page.waitForFunction(() => !window.mwp.problems().some(p => p.includes("refused")), { timeout: 5_000, polling: 100 });
        expect((await peer.endSession(next)).ok).toBe(true);
        for (const v of viewers.splice(0)) v.close();
    }, 60_000);

    it("stays commissioned across a reload (IndexedDB in Firefox) and streams VP8 again", async () => {
        await tab.page.reload({ timeout: 15_000 });
        const after = await tab.waitOnline();
        expect(after.commissioned).toBe(true);
        expect(after.port).toBe(status.port);
        expect(after.fabrics).toHaveLength(1);
        expect(after.pairing?.passcode).toBe(status.pairing?.passcode);
        const id = await provideOfferSession(viewer(), "after reload");
        expect((await peer.endSession(id)).ok).toBe(true);
        for (const v of viewers.splice(0)) v.close();
        expect(tab.pageErrors).toEqual([]);
    }, 90_000);
});
