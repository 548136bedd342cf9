/**
 * Provider commands over PASE, against the real camera node (CameraNode + NodeMediaHost) and a real
 * matter.js controller node on loopback. What it proves: on a PASE session established with the
 * camera's commissioning window open (matter.js `PaseClient.pair` over a TCP channel, as the
 * commissioner does before CASE, so the Large Message check passes and only the missing accessing
 * fabric is left), every one of the five provider commands is answered UNSUPPORTED_ACCESS (0x7e),
 * and the engine's table (rows, CurrentSessions, stream references, invariants) is unchanged.
 */

import nodeDataChannel from "node-datachannel";
import { ChannelType, TransportSet } from "@matter/main";
import {
    ClientInteraction,
    DedicatedChannelExchangeProvider,
    ExchangeManager,
    Invoke,
    PaseClient,
    SessionManager,
    type NodeSession,
} from "@matter/main/protocol";
import { CommandId, EndpointNumber, SECURE_CHANNEL_PROTOCOL_ID, TlvAny } from "@matter/main/types";
import { WebRtcTransportProvider } from "@matter/main/clusters/web-rtc-transport-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderCommand } from "../../src/engine/index.js";
import type { CameraNode } from "../../src/matter/camera-node.js";
import { NodeCameraRig } from "../support/camera-rig.js";
import { TestController, testEnvironment, testPort } from "../support/matter-controller.js";
import { SDP, answerTlv, endTlv, iceTlv, offerTlv, solicitTlv } from "../support/wire.js";

const UNSUPPORTED_ACCESS = 0x7e;
const PASSCODE = 20202021;

describe("provider commands over a PASE session", () => {
    const env = testEnvironment();
    let rig: NodeCameraRig;
    let camera: CameraNode;
    let cameraPort: number;
    let controller: TestController;
    let pase: NodeSession | undefined;

    beforeAll(async () => {
        rig = await NodeCameraRig.start({ name: "pase" });
        camera = rig.camera;
        cameraPort = rig.port;
        // a controller that never commissions: it only opens PASE
        controller = await TestController.create("ctl-pase", testPort(), cameraPort);
    }, 60_000);

    afterAll(async () => {
        await pase?.initiateForceClose({ cause: new Error("test done") } as never).catch(() => undefined);
        await rig?.close();
        await controller?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
    });

    /** PASE with the camera over TCP (what the commissioner does over UDP before CASE). */
    async function openPase(): Promise<NodeSession> {
        const nodeEnv = controller.node.env;
        const sessions = nodeEnv.get(SessionManager);
        const exchanges = nodeEnv.get(ExchangeManager);
        const tcp = nodeEnv.get(TransportSet).interfaceFor(ChannelType.TCP, "::");
        if (tcp === undefined) throw new Error("controller has no TCP interface");
        const channel = await tcp.openChannel({ type: "tcp", ip: "::1", port: cameraPort });
        const unsecured = sessions.createUnsecuredSession({ channel, isInitiator: true });
        const exchange = exchanges.initiateExchangeForSession(unsecured, SECURE_CHANNEL_PROTOCOL_ID);
        try {
            return await new PaseClient(sessions).pair(sessions.sessionParameters, exchange, channel, PASSCODE);
        } finally {
            await unsecured.detachChannel()?.release();
            await unsecured.initiateForceClose({ cause: new Error("test done") } as never).catch(() => undefined);
        }
    }

    async function invokeOver(session: NodeSession, commandId: number, fields: Uint8Array): Promise<number> {
        const interaction = new ClientInteraction({
            environment: controller.node.env,
            exchangeProvider: new DedicatedChannelExchangeProvider(controller.node.env.get(ExchangeManager), session),
        } as never);
        const command = { requestId: CommandId(commandId), requestSchema: TlvAny, responseSchema: TlvAny, timed: false };
        const request = Invoke({
            commands: [{ endpoint: EndpointNumber(1), cluster: WebRtcTransportProvider, command, fields: TlvAny.decode(fields) } as never],
        });
        request.largeMessage = true;
        let status: number | undefined;
        const run = async () => {
            for await (const chunk of interaction.invoke(request)) {
                for (const entry of chunk) {
                    if (entry.kind === "cmd-status") status = entry.status;
                    else if (entry.kind === "cmd-response") status = 0;
                }
            }
        };
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
            run(),
            new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer to ${commandId}`)), 15_000))),
        ]).finally(() => clearTimeout(timer));
        if (status === undefined) throw new Error(`no status for command ${commandId}`);
        return status;
    }

    it("answers UNSUPPORTED_ACCESS to every provider command and leaves the table unchanged", async () => {
        const core = camera.engine;
        const table = () => ({
            sessions: core.sessions(),
            currentSessions: Array.from(core.currentSessionsTlv()),
            video: core.streams(0),
            audio: core.streams(1),
            selfCheck: core.selfCheck(),
        });
        const before = table();

        pase = await openPase();
        expect(pase.fabric).toBeUndefined();
        const candidate = { candidate: "candidate:1 1 UDP 2122317823 127.0.0.1 50000 typ host", sdpMid: "0", sdpmLineIndex: null };
        const cases: [string, number, Uint8Array][] = [
            ["SolicitOffer", ProviderCommand.SolicitOffer, solicitTlv({ originatingEndpointId: 1 })],
            ["ProvideOffer", ProviderCommand.ProvideOffer, offerTlv({ originatingEndpointId: 1, sdp: SDP })],
            ["ProvideAnswer", ProviderCommand.ProvideAnswer, answerTlv(1)],
            ["ProvideICECandidates", ProviderCommand.ProvideIceCandidates, iceTlv(1, [candidate])],
            ["EndSession", ProviderCommand.EndSession, endTlv(1)],
        ];
        const statuses: Record<string, number> = {};
        for (const [name, id, fields] of cases) statuses[name] = await invokeOver(pase, id, fields);
        expect(statuses).toEqual(Object.fromEntries(cases.map(([name]) => [name, UNSUPPORTED_ACCESS])));
        expect(table()).toEqual(before);
        expect(rig.media.sessionIds()).toEqual([]);

        await pase.initiateForceClose({ cause: new Error("test done") } as never).catch(() => undefined);
        pase = undefined;
        // nothing was commissioned by it
        expect(camera.commissioned).toBe(false);
    }, 60_000);
});
