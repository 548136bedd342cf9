/**
 * A Chromium page as a controller's WebRTC viewer, the way the Home Assistant matter server
 * dashboard views a camera: Chromium's own default Offer for recvonly video and audio, taken at
 * once (no candidates inside, `c=IN IP4 0.0.0.0`) and never followed by candidates, so the camera
 * learns the page's address only as a peer-reflexive candidate from its connectivity checks. The
 * camera's Answer and candidates are applied as they come; `stats()` reads what the page decoded
 * (inbound-rtp framesDecoded, the codec and its payload type).
 *
 * The page is a blank document in its own browser context: nothing of the camera page is shared.
 */

import type { Browser, BrowserContext, Page } from "playwright-core";

export interface ViewerStats {
    connectionState: string;
    framesDecoded: number;
    /** "video/VP8", "video/H264", ... of the decoded stream ("" before the first frame). */
    codec: string;
    /** The payload type the decoded video arrives with. */
    payloadType: number | undefined;
    audioPacketsReceived: number;
    /** `local ↔ remote` candidate types of the selected pair, e.g. "host ↔ host". */
    pair: string;
}

export class ChromiumViewer {
    private constructor(
        readonly context: BrowserContext,
        readonly page: Page,
    ) {}

    static async open(browser: Browser): Promise<ChromiumViewer> {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.setContent("<!doctype html><title>viewer</title>");
        return new ChromiumViewer(context, page);
    }

    /** Chromium's default Offer for recvonly video + audio, without candidates. */
    async createOffer(): Promise<string> {
        return this.page.evaluate(async () => {
            const pc = new RTCPeerConnection();
            (globalThis as unknown as { viewerPc: RTCPeerConnection }).viewerPc = pc;
            pc.addTransceiver("video", { direction: "recvonly" });
            pc.addTransceiver("audio", { direction: "recvonly" });
            const offer = await pc.createOffer();
            await pc.setLocalDescription(offer);
            return offer.sdp ?? "";
        });
    }

    async setAnswer(sdp: string): Promise<void> {
        await this.page.evaluate(async answer => {
            const pc = (globalThis as unknown as { viewerPc: RTCPeerConnection }).viewerPc;
            await pc.setRemoteDescription({ type: "answer", sdp: answer });
        }, sdp);
    }

    async addCandidate(candidate: { candidate: string; sdpMid: string | null; sdpmLineIndex: number | null }): Promise<void> {
        await this.page.evaluate(async c => {
            const pc = (globalThis as unknown as { viewerPc: RTCPeerConnection }).viewerPc;
            const init: RTCIceCandidateInit = { candidate: c.candidate };
            if (c.sdpMid !== null) init.sdpMid = c.sdpMid;
            if (c.sdpmLineIndex !== null) init.sdpMLineIndex = c.sdpmLineIndex;
            if (c.sdpMid === null && c.sdpmLineIndex === null) init.sdpMid = pc.getTransceivers()[0]?.mid ?? "0";
            await pc.addIceCandidate(init);
        }, candidate);
    }

    async stats(): Promise<ViewerStats> {
        return this.page.evaluate(async () => {
            const pc = (globalThis as unknown as { viewerPc: RTCPeerConnection }).viewerPc;
            const out = { connectionState: pc.connectionState, framesDecoded: 0, codec: "", payloadType: undefined as number | undefined, audioPacketsReceived: 0, pair: "" };
            const byId = new Map<string, Record<string, unknown>>();
            (await pc.getStats()).forEach((s: Record<string, unknown>) => byId.set(String(s.id), s));
            for (const s of byId.values()) {
                if (s.type === "inbound-rtp" && s.kind === "video") {
                    out.framesDecoded += Number(s.framesDecoded ?? 0);
                    const codec = byId.get(String(s.codecId));
                    if (codec !== undefined) {
                        out.codec = String(codec.mimeType ?? "");
                        out.payloadType = Number(codec.payloadType);
                    }
                } else if (s.type === "inbound-rtp" && s.kind === "audio") {
                    out.audioPacketsReceived += Number(s.packetsReceived ?? 0);
                } else if (s.type === "transport" && typeof s.selectedCandidatePairId === "string") {
                    const pair = byId.get(s.selectedCandidatePairId);
                    // inline, no helper functions: a bundler's name helpers do not exist in the page
                    if (pair !== undefined) {
                        out.pair = `${String(byId.get(String(pair.localCandidateId))?.candidateType ?? "?")} ↔ ${String(byId.get(String(pair.remoteCandidateId))?.candidateType ?? "?")}`;
                    }
                }
            }
            return out;
        });
    }

    /** The viewer closes its tile: the peer connection is closed (no EndSession is ever sent). */
    async closePeer(): Promise<void> {
        await this.page.evaluate(() => (globalThis as unknown as { viewerPc: RTCPeerConnection }).viewerPc.close());
    }

    async close(): Promise<void> {
        await this.context.close().catch(() => undefined);
    }
}
