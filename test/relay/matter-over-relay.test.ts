/**
 * The real proof: the matter.js camera node with NO sockets of its own — its environment's
 * `Network` is a `WebSocketNetwork` (Node's `ws` as the WebSocket, sending the page's Origin as a
 * browser would) connected to the relay — is commissioned by a real matter.js controller over real
 * UDP and TCP on loopback, all of it through the relay; then a SolicitOffer (a Large Message
 * command, so TCP) succeeds and the camera's Offer reaches the controller's Requestor cluster.
 *
 * The camera runs in its own ROOT environment, set up like the browser worker will: WebCrypto
 * (`StandardCrypto`), memory storage, the relay network, mDNS limited to `lo` (one root environment
 * per node: mDNS is root-scoped). The controller uses the default Node environment.
 */

import nodeDataChannel from "node-datachannel";
import { Crypto, Entropy, Environment, MockStorageService, Network, StandardCrypto } from "@matter/main";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { CameraNode } from "../../src/matter/camera-node.js";
import { WebSocketNetwork } from "../../src/relay/client/websocket-network.js";
import { startRelay, type Relay } from "../../src/relay/server.js";
import { NodeCameraRig } from "../support/camera-rig.js";
import { testEnvironment, testPort, type CameraPeer, type TestController } from "../support/matter-controller.js";
import { tcpPortFree, udpPortFree, until } from "./support.js";

const env = testEnvironment();

/** A root environment like the browser worker's: no Node platform services. */
function browserLikeEnvironment(network: Network): Environment {
    const environment = new Environment("relay-camera");
    const crypto = new StandardCrypto(globalThis.crypto);
    environment.set(Crypto, crypto);
    environment.set(Entropy, crypto);
    new MockStorageService(environment);
    environment.set(Network, network);
    environment.vars.set("mdns.networkInterface", "lo");
    return environment;
}

describe("a camera whose network is the relay", () => {
    const cameraPort = testPort();
    let relay: Relay;
    let network: WebSocketNetwork;
    let rig: NodeCameraRig;
    let camera: CameraNode;
    let controller: TestController;
    let peer: CameraPeer;
    let commissionMs = 0;

    beforeAll(async () => {
        relay = await startRelay({ matterPorts: { from: cameraPort, to: cameraPort } });
        const origin = new URL(relay.pageUrl).origin;
        network = await WebSocketNetwork.connect(new WebSocket(relay.url, { origin }));
        rig = await NodeCameraRig.start({ name: "relay", port: cameraPort, environment: browserLikeEnvironment(network) });
        camera = rig.camera;
        const started = performance.now();
        ({ controller, peer } = await rig.addController({ id: "ctl-relay" }));
        commissionMs = performance.now() - started;
        console.log(`commissioned through the relay in ${commissionMs.toFixed(0)} ms`);
    }, 60_000);

    afterAll(async () => {
        await rig?.close();
        await network?.close();
        await relay?.close();
        nodeDataChannel.cleanup();
        env.cleanup();
    });

    it("is commissioned over UDP through the relay, and the relay holds the camera's sockets", async () => {
        expect(camera.commissioned).toBe(true);
        expect(peer.address.nodeId).toBeDefined();
        expect(commissionMs).toBeLessThan(30_000);
        const stats = relay.stats();
        expect(stats.clients).toBe(1);
        // Matter UDP (IPv6 + IPv4) on the camera port, mDNS on 5353, the TCP listener
        expect(stats.udpSockets).toBeGreaterThanOrEqual(3);
        expect(stats.udpPorts).toEqual([cameraPort, 5353].sort((a, b) => a - b));
        expect(stats.tcpPorts).toEqual([cameraPort]);
        expect(stats.bytesFromClient).toBeGreaterThan(0);
        expect(stats.bytesToClient).toBeGreaterThan(0);
        // the camera's port is bound by the relay, on this host
        expect(await udpPortFree(cameraPort)).toBe(false);
        expect(await tcpPortFree(cameraPort)).toBe(false);
    });

    it("answers a SolicitOffer over TCP through the relay, and the Offer reaches the controller", async () => {
        const streams = await peer.allocateStreams();
        const asked = performance.now();
        const response = await peer.solicitOffer({ videoStreams: [streams.video], audioStreams: [streams.audio] });
        if (!response.ok) throw new Error(`SolicitOffer refused: 0x${response.status.toString(16)}`);
        const id = response.value.webRtcSessionId;
        expect(id).not.toBe(0);
        expect(response.value.deferredOffer).toBe(false);
        await peer.track(id, [streams.video], [streams.audio]);

        const offer = await controller.waitFor(r => r.kind === "offer" && r.sessionId === id, 15_000);
        console.log(`SolicitOffer → Offer at the controller through the relay in ${(performance.now() - asked).toFixed(0)} ms`);
        expect(offer.sdp).toMatch(/^v=0/);
        expect(offer.sdp).toMatch(/m=video/);
        // the Large Message command needed TCP: the controller's connection was accepted by the relay
        expect(relay.stats().tcpConnections).toBeGreaterThanOrEqual(1);

        expect((await peer.endSession(id)).ok).toBe(true);
    }, 60_000);

    it("frees the camera's ports on this host when the camera's WebSocket closes", async () => {
        await rig.close();
        await network.close();
        await until("relay client gone", () => relay.stats().clients === 0, 5_000);
        expect(await udpPortFree(cameraPort)).toBe(true);
        expect(await tcpPortFree(cameraPort)).toBe(true);
    }, 30_000);
});
