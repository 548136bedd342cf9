/**
 * Offer planning on the offers real controllers send: a Chromium 156 recvonly offer (recorded
 * from Debian's chromium: VP8 first, VP9, H.264 in six variants, AV1, red/ulpfec/flexfec, each
 * with rtx; audio second), a SmartThings-shaped offer (real-controllers.md §1, written from the
 * recorded description: audio first `sendrecv`, H.264 + H.265 with rtx, candidates inline for
 * components 1 and 2) and libdatachannel's own offer. Pure functions: no peer involved.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
    answerDirection,
    h264Profile,
    isH264Mode1,
    isOpus,
    isVp8,
    OfferRefused,
    planAnswer,
    rejectingAnswer,
    restrictOffer,
    type MediaCapabilities,
} from "../../src/media/offer-plan.js";
import { mediaSections } from "../../src/media/sdp.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const CHROMIUM = fixture("chromium-156-recvonly-offer.sdp");
const SMARTTHINGS = fixture("smartthings-shaped-offer.sdp");

/** The Node camera: a pre-encoded H.264 clip and Opus. */
const NODE: MediaCapabilities = { video: isH264Mode1, audio: isOpus };
/** Chromium's sender: VP8 and H.264 42001f/42e01f/4d001f (what getCapabilities lists). */
const BROWSER: MediaCapabilities = {
    video: f => isVp8(f) || (isH264Mode1(f) && ["4200", "42e0", "4d00"].includes(h264Profile(f))),
    audio: isOpus,
};
/** Firefox without its H.264 plugin: VP8 only. */
const VP8_ONLY: MediaCapabilities = { video: isVp8, audio: isOpus };

describe("planAnswer", () => {
    it("gives the Node camera the Chromium offer's first H.264 packetization-mode 1 format, and Opus", () => {
        const plan = planAnswer(CHROMIUM, NODE);
        expect(plan.video).toMatchObject({ kind: "video", mid: "0", index: 0, direction: "sendonly", format: { payloadType: 102, codec: "H264" } });
        expect(plan.video?.format.fmtp).toMatch(/profile-level-id=42001f/);
        expect(plan.video?.rtx?.payloadType).toBe(103);
        expect(plan.audio).toMatchObject({ kind: "audio", mid: "1", index: 1, direction: "sendonly", format: { payloadType: 111, codec: "opus" } });
        expect(plan.skipped).toEqual([]);
    });

    it("gives a browser VP8 when the offer prefers it, and H.264 when H.264 comes first", () => {
        expect(planAnswer(CHROMIUM, BROWSER).video?.format).toMatchObject({ payloadType: 96, codec: "VP8" });
        expect(planAnswer(CHROMIUM, BROWSER).video?.rtx?.payloadType).toBe(97);
        const plan = planAnswer(SMARTTHINGS, BROWSER);
        expect(plan.video?.format).toMatchObject({ payloadType: 96, codec: "H264" });
        expect(plan.video?.rtx?.payloadType).toBe(97);
    });

    it("serves SmartThings' audio-first sendrecv offer: sendonly audio (no talk-back), H.264 not H.265", () => {
        const plan = planAnswer(SMARTTHINGS, NODE);
        expect(plan.audio).toMatchObject({ mid: "0", index: 0, direction: "sendonly", format: { payloadType: 111 } });
        expect(plan.video).toMatchObject({ mid: "1", index: 1, direction: "sendonly", format: { payloadType: 96, codec: "H264" } });
        // with talk-back the audio is answered sendrecv
        expect(planAnswer(SMARTTHINGS, { ...NODE, receivesAudio: true }).audio?.direction).toBe("sendrecv");
    });

    it("refuses an offer whose video lists nothing the host can send, naming what it lists", () => {
        expect(() => planAnswer(SMARTTHINGS, VP8_ONLY)).toThrow(OfferRefused);
        expect(() => planAnswer(SMARTTHINGS, VP8_ONLY)).toThrow(/video \(mid 1\) lists H264, H265: nothing this camera can send/);
        expect(planAnswer(CHROMIUM, VP8_ONLY).video?.format.codec).toBe("VP8");
        // the refusal carries the offered video codecs (for the user's message), without rtx
        const refusal = (() => {
            try {
                planAnswer(SMARTTHINGS, VP8_ONLY);
            } catch (error) {
                return error;
            }
        })();
        expect(refusal).toBeInstanceOf(OfferRefused);
        expect((refusal as OfferRefused).offeredVideo).toEqual(["H264", "H265"]);
    });

    it("answers audio without a track when the audio m-line has no Opus, and a host without audio skips it", () => {
        const noOpus = CHROMIUM.replace(/m=audio 9 UDP\/TLS\/RTP\/SAVPF 111 63/, "m=audio 9 UDP/TLS/RTP/SAVPF 63").replace(/a=rtpmap:111 opus\/48000\/2\r?\n/, "");
        const plan = planAnswer(noOpus, NODE);
        expect(plan.audio).toBeUndefined();
        expect(plan.skipped).toEqual([{ mid: "1", kind: "audio", why: "offers G722, PCMU, PCMA, no Opus" }]);
        expect(planAnswer(CHROMIUM, { video: isH264Mode1 }).skipped).toEqual([{ mid: "1", kind: "audio", why: "this camera sends no audio" }]);
    });

    it("sends on nothing the controller does not receive, and refuses when that leaves nothing", () => {
        const sendonly = CHROMIUM.replaceAll("a=recvonly", "a=sendonly");
        expect(() => planAnswer(sendonly, NODE)).toThrow(/no m-line this camera can send on/);
        const videoOnly = CHROMIUM.replace(/m=audio 9 /, "m=audio 0 ");
        const plan = planAnswer(videoOnly, NODE);
        expect(plan.audio).toBeUndefined();
        expect(plan.skipped).toEqual([{ mid: "1", kind: "audio", why: "rejected in the offer" }]);
    });

    it("answers a data-only offer (the SDK's test SDP) with no media, and refuses an empty one", () => {
        const dataOnly = "v=0\r\no=- 1 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n";
        expect(planAnswer(dataOnly, NODE)).toEqual({ video: undefined, audio: undefined, dataOnly: true, skipped: [] });
        expect(() => planAnswer("v=0\r\n", NODE)).toThrow(OfferRefused);
    });

    it("mirrors directions, never sendrecv to a receive-only offer", () => {
        expect(answerDirection("recvonly", false)).toBe("sendonly");
        expect(answerDirection("recvonly", true)).toBe("sendonly");
        expect(answerDirection("sendrecv", false)).toBe("sendonly");
        expect(answerDirection("sendrecv", true)).toBe("sendrecv");
        expect(answerDirection("sendonly", false)).toBe("inactive");
        expect(answerDirection("sendonly", true)).toBe("recvonly");
        expect(answerDirection("inactive", true)).toBe("inactive");
    });
});

describe("restrictOffer", () => {
    it("keeps every m-line, mid, candidate and order, and only the planned formats in planned m-lines", () => {
        const plan = planAnswer(SMARTTHINGS, NODE);
        const restricted = restrictOffer(SMARTTHINGS, plan);
        const before = mediaSections(SMARTTHINGS);
        const after = mediaSections(restricted);
        expect(after.map(s => [s.kind, s.mid, s.direction])).toEqual(before.map(s => [s.kind, s.mid, s.direction]));
        expect(after[0]?.formats.map(f => f.payloadType)).toEqual([111]);
        expect(after[1]?.formats.map(f => f.payloadType)).toEqual([96, 97]);
        expect(restricted).toContain("m=video 50002 UDP/TLS/RTP/SAVPF 96 97\r\n");
        expect(restricted).not.toMatch(/a=(rtpmap|fmtp|rtcp-fb):35 /);
        expect(restricted.match(/a=candidate:/g)).toHaveLength(12);
        expect(restricted.split("\r\n").every(line => !line.includes("\n"))).toBe(true);
    });

    it("leaves m-lines without a plan untouched", () => {
        const plan = planAnswer(CHROMIUM, { video: isVp8 });
        const restricted = restrictOffer(CHROMIUM, plan);
        const audio = mediaSections(restricted)[1];
        expect(audio?.formats.map(f => f.payloadType)).toEqual([111, 63, 9, 0, 8, 13, 110, 126]);
        expect(mediaSections(restricted)[0]?.formats.map(f => f.codec)).toEqual(["VP8", "rtx"]);
    });
});

describe("rejectingAnswer", () => {
    it("rejects every m-line of the offer, in its order, with its mids, and describes no transport", () => {
        for (const offer of [SMARTTHINGS, CHROMIUM]) {
            const answer = rejectingAnswer(offer);
            const offered = mediaSections(offer);
            const answered = mediaSections(answer);
            expect(answered.map(s => [s.kind, s.mid])).toEqual(offered.map(s => [s.kind, s.mid]));
            expect(answered.every(s => s.rejected && s.direction === "inactive")).toBe(true);
            // each m= line: port 0, the offer's protocol, the offer's first format
            const mLines = (sdp: string) => sdp.split(/\r?\n/).filter(l => l.startsWith("m=")).map(l => l.split(" "));
            const offerLines = mLines(offer);
            mLines(answer).forEach((line, i) => expect(line).toEqual([offerLines[i]?.[0], "0", offerLines[i]?.[2], offerLines[i]?.[3]]));
            expect(answer).not.toMatch(/a=(candidate|ice-ufrag|ice-pwd|fingerprint|setup|group)/);
            expect(answer.startsWith("v=0\r\n")).toBe(true);
            expect(answer.endsWith("\r\n")).toBe(true);
        }
    });

    it("answers a data-channel offer's m-line too", () => {
        const offer = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n";
        expect(rejectingAnswer(offer)).toContain("m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n");
    });
});
