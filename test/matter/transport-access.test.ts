/**
 * Transport gating and malformed input over the wire, against the camera node with real matter.js
 * controllers on loopback. What it proves:
 * - every provider command is a Large Message command: sent over UDP (a controller built without
 *   TCP, raw invoke without the large-message flag, so it goes on the UDP CASE session) it gets
 *   INVALID_TRANSPORT_TYPE (Core §8.8.2.3; matter.js's interaction layer answers it before the
 *   handler), reads still work over UDP, and no session is created;
 * - requests the client would never build, sent as raw TLV over TCP, get the spec's status and
 *   leave CurrentSessions (and the engine's table) unchanged: 11 ICE servers and a 17-character
 *   ICETransportPolicy → CONSTRAINT_ERROR; an SDP longer than the profile's SDP_LEN, or longer than
 *   the core's whole inbound buffer → RESOURCE_EXHAUSTED (never cut); a StreamUsage above 3 or an
 *   EndSession reason above 12 → CONSTRAINT_ERROR; an empty ICECandidates list → CONSTRAINT_ERROR;
 *   a missing mandatory field → INVALID_COMMAND.
 * (A field of the wrong TLV type is not here: matter.js 0.17.9 fails decoding it before any handler
 * and answers FAILURE, where the reference answers INVALID_COMMAND; nothing the camera can change.)
 */

import nodeDataChannel from "node-datachannel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderCommand } from "../../src/engine/index.js";
import type { CameraNode } from "../../src/matter/camera-node.js";
import { NodeCameraRig } from "../support/camera-rig.js";
import { testEnvironment, type CameraPeer, type TestController } from "../support/matter-controller.js";
import { SDP, answerTlv, endTlv, iceTlv, offerTlv, solicitTlv } from "../support/wire.js";

const INVALID_COMMAND = 0x85;
const CONSTRAINT_ERROR = 0x87;
const RESOURCE_EXHAUSTED = 0x89;
const INVALID_TRANSPORT_TYPE = 0xd1;

describe("transport and malformed requests", () => {
    const env = testEnvironment();
    let rig: NodeCameraRig;
    let camera: CameraNode;
    let tcp: CameraPeer;
    let tcpController: TestController;
    let udp: CameraPeer;
    let streams: { video: number; audio: number };

    beforeAll(async () => {
        rig = await NodeCameraRig.start({ name: "transport" });
        camera = rig.camera;
        ({ controller: tcpController, peer: tcp } = await rig.addController({ id: "ctl-tcp" }));
        streams = await tcp.allocateStreams();
        ({ peer: udp } = await rig.addController({ id: "ctl-udp", tcp: false }));
    }, 60_000);

    afterAll(async () => {
        await rig?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
    });

    // Core §8.8.2.3 (TC_WEBRTCP tests all send with LARGE_PAYLOAD, i.e. over TCP)
    it("answers INVALID_TRANSPORT_TYPE to every provider command sent over UDP", async () => {
        const endpoint = udp.requestorEndpoint;
        const overUdp = (command: number, fields: Uint8Array) => udp.rawInvoke(command, fields, { largeMessage: false, timeoutMs: 15_000 });
        const candidate = { candidate: "candidate:1 1 UDP 2122317823 127.0.0.1 50000 typ host", sdpMid: "0", sdpmLineIndex: null };

        expect(await overUdp(ProviderCommand.SolicitOffer, solicitTlv({ originatingEndpointId: endpoint, videoStreamId: streams.video }))).toEqual({
            ok: false,
            status: INVALID_TRANSPORT_TYPE,
        });
        expect(await overUdp(ProviderCommand.ProvideOffer, offerTlv({ originatingEndpointId: endpoint, videoStreamId: streams.video }))).toEqual({
            ok: false,
            status: INVALID_TRANSPORT_TYPE,
        });
        expect(await overUdp(ProviderCommand.ProvideAnswer, answerTlv(1))).toEqual({ ok: false, status: INVALID_TRANSPORT_TYPE });
        expect(await overUdp(ProviderCommand.ProvideIceCandidates, iceTlv(1, [candidate]))).toEqual({ ok: false, status: INVALID_TRANSPORT_TYPE });
        expect(await overUdp(ProviderCommand.EndSession, endTlv(1))).toEqual({ ok: false, status: INVALID_TRANSPORT_TYPE });

        // reads are not Large Message: CurrentSessions reads fine over UDP, and nothing was created
        expect(await udp.currentSessions()).toEqual([]);
        expect(camera.engine.sessions()).toEqual([]);

        // the same SolicitOffer over TCP (the other controller) is accepted
        const accepted = await tcp.solicitOffer({ videoStreamId: streams.video });
        if (!accepted.ok) throw new Error(`SolicitOffer over TCP refused: 0x${accepted.status.toString(16)}`);
        const id = accepted.value.webRtcSessionId;
        await tcp.track(id, [streams.video], undefined);
        await tcpController.waitFor(r => r.kind === "offer" && r.sessionId === id);
        expect((await tcp.currentSessions()).map(s => s.id)).toEqual([id]);
        expect((await tcp.endSession(id)).ok).toBe(true);
    }, 60_000);

    it("refuses oversized and malformed requests sent as raw TLV, leaving CurrentSessions unchanged", async () => {
        const endpoint = tcp.requestorEndpoint;
        const { sdpLen, inLen } = camera.engine.capacities;
        // one live session that nothing below may touch
        const live = await tcp.solicitOffer({ videoStreamId: streams.video, audioStreamId: streams.audio });
        if (!live.ok) throw new Error(`SolicitOffer refused: 0x${live.status.toString(16)}`);
        const id = live.value.webRtcSessionId;
        await tcp.track(id, [streams.video], [streams.audio]);
        await tcpController.waitFor(r => r.kind === "offer" && r.sessionId === id);
        const before = await tcp.currentSessions();
        expect(before.map(s => s.id)).toEqual([id]);
        const tableBefore = camera.engine.sessions();

        const servers = Array.from({ length: 11 }, (_, i) => ({ urLs: [`stun:stun${i}.example.com:3478`] }));
        const sdpOf = (length: number) => SDP + "a=x-pad:" + "x".repeat(length - SDP.length - 10) + "\r\n";
        expect(sdpOf(sdpLen + 1)).toHaveLength(sdpLen + 1);
        const cases: { what: string; command: number; fields: Uint8Array; status: number }[] = [
            {
                what: "SolicitOffer with 11 ICE servers",
                command: ProviderCommand.SolicitOffer,
                fields: solicitTlv({ originatingEndpointId: endpoint, videoStreamId: streams.video, iceServers: servers }),
                status: CONSTRAINT_ERROR,
            },
            {
                what: "ProvideOffer with 11 ICE servers",
                command: ProviderCommand.ProvideOffer,
                fields: offerTlv({ originatingEndpointId: endpoint, videoStreamId: streams.video, iceServers: servers }),
                status: CONSTRAINT_ERROR,
            },
            {
                what: "SolicitOffer with a 17-character ICETransportPolicy",
                command: ProviderCommand.SolicitOffer,
                fields: solicitTlv({ originatingEndpointId: endpoint, videoStreamId: streams.video, iceTransportPolicy: "x".repeat(17) }),
                status: CONSTRAINT_ERROR,
            },
            {
                what: `ProvideOffer with an SDP of SDP_LEN + 1 = ${sdpLen + 1} bytes`,
                command: ProviderCommand.ProvideOffer,
                fields: offerTlv({ originatingEndpointId: endpoint, videoStreamId: streams.video, sdp: sdpOf(sdpLen + 1) }),
                status: RESOURCE_EXHAUSTED,
            },
            {
                what: `ProvideOffer larger than the core's inbound buffer (${inLen} bytes)`,
                command: ProviderCommand.ProvideOffer,
                fields: offerTlv({ originatingEndpointId: endpoint, videoStreamId: streams.video, sdp: sdpOf(inLen + 1000) }),
                status: RESOURCE_EXHAUSTED,
            },
            {
                what: "re-offer of the live session with an SDP of SDP_LEN + 1 bytes",
                command: ProviderCommand.ProvideOffer,
                fields: offerTlv({ webRtcSessionId: id, originatingEndpointId: endpoint, sdp: sdpOf(sdpLen + 1) }),
                status: RESOURCE_EXHAUSTED,
            },
            {
                what: "ProvideAnswer with an SDP of SDP_LEN + 1 bytes",
                command: ProviderCommand.ProvideAnswer,
                fields: answerTlv(id, sdpOf(sdpLen + 1)),
                status: RESOURCE_EXHAUSTED,
            },
            {
                what: "SolicitOffer with StreamUsage 9",
                command: ProviderCommand.SolicitOffer,
                fields: solicitTlv({ originatingEndpointId: endpoint, videoStreamId: streams.video, streamUsage: 9 }),
                status: CONSTRAINT_ERROR,
            },
            {
                what: "ProvideICECandidates with an empty list",
                command: ProviderCommand.ProvideIceCandidates,
                fields: iceTlv(id, []),
                status: CONSTRAINT_ERROR,
            },
            {
                what: "EndSession with reason 13",
                command: ProviderCommand.EndSession,
                fields: endTlv(id, 13),
                status: CONSTRAINT_ERROR,
            },
            {
                what: "SolicitOffer without its mandatory OriginatingEndpointID",
                command: ProviderCommand.SolicitOffer,
                // hand-made TLV (the encoder refuses it): { 0: LiveView, 2: video stream }
                fields: Uint8Array.of(0x15, 0x24, 0x00, 0x03, 0x25, 0x02, streams.video & 0xff, streams.video >> 8, 0x18),
                status: INVALID_COMMAND,
            },
        ];
        for (const c of cases) {
            const outcome = await tcp.rawInvoke(c.command, c.fields, { timeoutMs: 15_000 });
            expect({ what: c.what, outcome }).toEqual({ what: c.what, outcome: { ok: false, status: c.status } });
            expect({ what: c.what, rows: await tcp.currentSessions() }).toEqual({ what: c.what, rows: before });
        }
        expect(camera.engine.sessions()).toEqual(tableBefore);
        expect(rig.media.sessionIds()).toEqual([id]);
        expect(tcpController.received.some(r => r.kind === "end")).toBe(false);

        expect((await tcp.endSession(id)).ok).toBe(true);
        expect(await tcp.currentSessions()).toEqual([]);
    }, 60_000);
});
