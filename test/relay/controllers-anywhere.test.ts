/**
 * "Controllers anywhere on the LAN" through a live relay on loopback, with real sockets: a client
 * (`WebSocketNetwork`, as the page's node uses it) may reach a controller's port outside the
 * Matter range once
 * (a) an mDNS response the relay carried to it advertised that port (a DnsCodec-encoded
 *     operational response sent to the client's mDNS socket; the relay's mDNS port is moved to a
 *     test port so nothing touches the machine's real 5353), or
 * (b) that (address, port) wrote to one of the client's UDP sockets first;
 * and not before, not on the relay's own port even when advertised, not after a goodbye, not after
 * the learned lifetime, and not beyond the per-client cap. The learned count is in the stats.
 */

import { createSocket, type Socket as UdpSocketNode } from "node:dgram";
import { createServer, type Server } from "node:net";
import { AAAARecord, Bytes, DnsCodec, DnsMessageType, Millis, NetworkError, NodeId, PtrRecord, SrvRecord, type UdpSocket } from "@matter/main";
import { GlobalFabricId } from "@matter/main/types";
import { getOperationalDeviceQname } from "@matter/main/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { WebSocketNetwork } from "../../src/relay/client/websocket-network.js";
import type { PortRange } from "../../src/relay/policy.js";
import { startRelay, type Relay, type RelayOptions } from "../../src/relay/server.js";
import { portBlock, until } from "./support.js";

const isLoopback = (address: string) => address === "::1" || address.startsWith("127.");

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
});

/** A relay whose Matter ports and mDNS port come from this fork's blocks (never 5353). */
async function relayAndClient(options: RelayOptions = {}): Promise<{ relay: Relay; network: WebSocketNetwork; ports: PortRange; mdnsPort: number }> {
    const ports = portBlock(10);
    const mdnsPort = ports.to; // inside the block, outside the Matter range given to the relay
    const relay = await startRelay({ matterPorts: { from: ports.from, to: ports.to - 1 }, mdnsPort, allowDestination: isLoopback, ...options });
    cleanups.push(() => relay.close());
    const network = await WebSocketNetwork.connect(new WebSocket(relay.url));
    cleanups.push(() => network.close());
    return { relay, network, ports: { from: ports.from, to: ports.to - 1 }, mdnsPort };
}

/** A "controller": UDP and TCP on one port (as a matter.js node listens), outside the relay's Matter range. */
async function controllerAt(): Promise<{ port: number; udp: UdpSocketNode; accepted: () => number }> {
    for (const port of (() => {
        const block = portBlock(20);
        return Array.from({ length: 20 }, (_, i) => block.from + i);
    })()) {
        const udp = createSocket({ type: "udp6" });
        const bound = await new Promise<boolean>(resolve => {
            udp.once("error", () => resolve(false));
            udp.bind(port, "::1", () => resolve(true));
        });
        if (!bound) {
            udp.close();
            continue;
        }
        let accepted = 0;
        const tcp: Server = createServer(socket => {
            accepted++;
            socket.destroy();
        });
        const listening = await new Promise<boolean>(resolve => {
            tcp.once("error", () => resolve(false));
            tcp.listen(port, "::1", () => resolve(true));
        });
        if (!listening) {
            udp.close();
            continue;
        }
        cleanups.push(() => new Promise<void>(resolve => tcp.close(() => resolve())));
        cleanups.push(() => udp.close());
        return { port, udp, accepted: () => accepted };
    }
    throw new Error("no free controller port");
}

/** An operational mDNS response as matter.js advertises it: `port` on host addresses ::1. */
function advertisement(port: number, ttlMs = 120_000): Uint8Array {
    const qname = getOperationalDeviceQname(GlobalFabricId(0x1122_3344_5566_7788n), NodeId(7n));
    const host = "0A0B0C0D0E0F0000.local";
    const ttl = Millis(ttlMs);
    return Bytes.of(
        DnsCodec.encode({
            messageType: DnsMessageType.Response,
            answers: [PtrRecord("_matter._tcp.local", qname, ttl), SrvRecord(qname, { priority: 0, weight: 0, port, target: host }, ttl)],
            additionalRecords: [AAAARecord(host, "::1", ttl)],
        }),
    );
}

/** Sends `payload` from `from` to [::1]:port and waits until the client's socket got it. */
async function deliver(from: UdpSocketNode, to: UdpSocket, payload: Uint8Array): Promise<void> {
    const got = new Promise<void>(resolve => {
        const listener = to.onData(() => {
            void listener.close();
            resolve();
        });
    });
    from.send(payload, to.port, "::1");
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([got, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("datagram not delivered")), 5_000)))]).finally(() => clearTimeout(timer));
}

async function connectOutcome(network: WebSocketNetwork, port: number): Promise<"connected" | string> {
    try {
        const connection = await network.connectTcp("::1", port);
        await connection.close();
        return "connected";
    } catch (error) {
        expect(error).toBeInstanceOf(NetworkError);
        return (error as Error).message;
    }
}

async function mdnsSocket(network: WebSocketNetwork, mdnsPort: number): Promise<UdpSocket> {
    return network.createUdpSocket({ type: "udp6", listeningPort: mdnsPort, reuseAddress: true });
}

/**
 * A plain socket that answers like an mDNS responder (a unicast reply to the querier's socket). Not
 * bound to the mDNS port itself: with two sockets sharing a port, a unicast datagram reaches only one.
 */
async function responder(): Promise<UdpSocketNode> {
    const socket = createSocket({ type: "udp6" });
    cleanups.push(() => socket.close());
    await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(0, "::1", () => resolve());
    });
    return socket;
}

describe("controllers anywhere on the LAN (relay on loopback)", () => {
    it("(a) reaches a port a controller advertised over mDNS, and not before", async () => {
        const { relay, network, mdnsPort } = await relayAndClient();
        const controller = await controllerAt();
        expect(await connectOutcome(network, controller.port)).toMatch(/TCP connect to port \d+ is not allowed/);

        const mdns = await mdnsSocket(network, mdnsPort);
        await deliver(await responder(), mdns, advertisement(controller.port));
        expect(await connectOutcome(network, controller.port)).toBe("connected");
        await until("the controller accepted", () => controller.accepted() === 1);
        // UDP too, from any of the client's sockets
        const other = await network.createUdpSocket({ type: "udp6", listeningPort: 0 });
        const heard = new Promise<void>(resolve => controller.udp.once("message", () => resolve()));
        await other.send("::1", controller.port, new Uint8Array([1, 2, 3]));
        await heard;
        expect(relay.stats().learnedDestinations).toBeGreaterThanOrEqual(1);
    });

    it("never learns the relay's own port, even when advertised; a goodbye withdraws a destination", async () => {
        const { relay, network, mdnsPort } = await relayAndClient();
        const controller = await controllerAt();
        const mdns = await mdnsSocket(network, mdnsPort);
        const from = await responder();
        await deliver(from, mdns, advertisement(relay.port));
        expect(await connectOutcome(network, relay.port)).toMatch(/not allowed|belongs to the relay/);

        await deliver(from, mdns, advertisement(controller.port));
        expect(await connectOutcome(network, controller.port)).toBe("connected");
        await deliver(from, mdns, advertisement(controller.port, 0));
        expect(await connectOutcome(network, controller.port)).toMatch(/not allowed/);
    });

    it("(b) reaches a peer that wrote to one of the client's sockets first (TCP on the same port)", async () => {
        const { network } = await relayAndClient();
        const controller = await controllerAt();
        const silent = await controllerAt();
        const socket = await network.createUdpSocket({ type: "udp6", listeningPort: 0 });
        await deliver(controller.udp, socket, new Uint8Array([0x42]));
        expect(await connectOutcome(network, controller.port)).toBe("connected");
        // a port that never wrote stays shut, for TCP and for UDP from another socket
        expect(await connectOutcome(network, silent.port)).toMatch(/not allowed/);
        const other = await network.createUdpSocket({ type: "udp6", listeningPort: 0 });
        await expect(other.send("::1", silent.port, new Uint8Array(1))).rejects.toThrow(/not allowed/);
    });

    it("forgets a destination after the learned lifetime, and holds at most maxLearnedDestinations", async () => {
        const { network } = await relayAndClient({ limits: { learnedDestinationMs: 1_500, maxLearnedDestinations: 2 } });
        const [a, b, c] = [await controllerAt(), await controllerAt(), await controllerAt()];
        const socket = await network.createUdpSocket({ type: "udp6", listeningPort: 0 });
        for (const controller of [a, b, c]) await deliver(controller.udp, socket, new Uint8Array([1]));
        // cap 2: the first one learned is gone, the two newest stay
        expect(await connectOutcome(network, a.port)).toMatch(/not allowed/);
        expect(await connectOutcome(network, c.port)).toBe("connected");
        await new Promise(resolve => setTimeout(resolve, 1_600));
        expect(await connectOutcome(network, c.port)).toMatch(/not allowed/);
    });
});
