/**
 * The client end (`WebSocketNetwork`) against a live relay on loopback, and against a fake relay:
 * - the browser's WebSocket type and `ws`'s both fit `WebSocketLike` (compile-time);
 * - interface answers come from the relay host; bind conflicts surface as matter.js'
 *   `AddressInUseError`;
 * - TCP carries a megabyte in Matter-sized sends intact and in order;
 * - `connectTcp` honours an abort (before and during the connect) and leaves nothing open;
 * - a malformed frame FROM the relay closes the client with 1002 and a reason; pending requests
 *   reject;
 * - `connectWithBackoff` retries with growing waits, gives up after `maxAttempts`, and connects
 *   once a relay appears.
 */

import { AddressInUseError, InterfaceType, NetworkError, type TcpConnection } from "@matter/main";
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { connectWithBackoff } from "../../src/relay/client/reconnect.js";
import { WebSocketNetwork, type WebSocketLike } from "../../src/relay/client/websocket-network.js";
import { decodeClientMessage, encodeRelayMessage, MAX_FRAME_SIZE, PROTOCOL_VERSION } from "../../src/relay/protocol.js";
import { startRelay, type Relay } from "../../src/relay/server.js";
import { portBlock, until } from "./support.js";

// compile-time: both WebSocket implementations fit what the client needs
export const browserSocketFits = (ws: globalThis.WebSocket): WebSocketLike => ws;
export const wsSocketFits = (ws: WebSocket): WebSocketLike => ws;

const ports = portBlock(10);
let relay: Relay;
const cleanups: (() => unknown)[] = [];

async function sharedRelay(): Promise<Relay> {
    relay ??= await startRelay({ matterPorts: ports, allowDestination: a => a === "::1" || a.startsWith("127.") });
    return relay;
}

async function connect(): Promise<WebSocketNetwork> {
    const network = await WebSocketNetwork.connect((await sharedRelay()).url, { WebSocket });
    cleanups.push(() => network.close());
    return network;
}

afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
    await relay?.close();
});

describe("WebSocketNetwork", () => {
    it("reports the relay host's interfaces, with configured types", async () => {
        const network = await connect();
        const interfaces = await network.getNetInterfaces();
        expect(interfaces.every(i => i.name !== "lo")).toBe(true); // like matter.js on Node: no internal ones
        const lo = await network.getIpMac("lo");
        expect(lo?.ipV4).toContain("127.0.0.1");
        expect(await network.getIpMac("no-such-interface0")).toBeUndefined();
        if (interfaces[0] !== undefined) {
            const typed = await network.getNetInterfaces([{ name: interfaces[0].name, type: InterfaceType.WiFi }]);
            expect(typed[0]?.type).toBe(InterfaceType.WiFi);
        }
    });

    it("raises matter.js' AddressInUseError for a port someone else holds", async () => {
        const network = await connect();
        const holder = createSocket({ type: "udp6" });
        cleanups.push(() => holder.close());
        await new Promise<void>(resolve => holder.bind(ports.from + 1, "::", () => resolve()));
        const error = await network.createUdpSocket({ type: "udp6", listeningPort: ports.from + 1 }).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(AddressInUseError);
    });

    it("carries a megabyte over TCP in Matter-sized sends, intact and in order", async () => {
        const network = await connect();
        const listener = await network.createTcpListener({ listeningPort: ports.from + 2 });
        cleanups.push(() => listener.close());
        const accepted = new Promise<TcpConnection>(resolve => listener.onConnection(resolve));
        const client = await network.connectTcp("::1", listener.port);
        const server = await accepted;
        expect(server.remotePort).toBe(client.localPort);

        const data = new Uint8Array(1_000_000).map((_, i) => (i * 31 + (i >> 8)) & 0xff);
        const received: Uint8Array[] = [];
        let total = 0;
        const reading = (async () => {
            for await (const chunk of server) {
                received.push(new Uint8Array(chunk as Uint8Array));
                total += (chunk as Uint8Array).length;
                if (total >= data.length) break;
            }
        })();
        for (let at = 0; at < data.length; at += 64_000) await client.send(data.subarray(at, at + 64_000));
        await reading;
        const digest = (chunks: Uint8Array[]) => {
            const hash = createHash("sha256");
            for (const c of chunks) hash.update(c);
            return hash.digest("hex");
        };
        expect(total).toBe(data.length);
        expect(digest(received)).toBe(digest([data]));

        const closed = new Promise<void>(resolve => server.onClose(resolve));
        await client.close();
        await closed;
    });

    it("honours an abort of connectTcp, before and during the connect, leaving nothing open", async () => {
        const network = await connect();
        let connections = 0;
        const target: Server = createServer(socket => {
            connections++;
            socket.on("error", () => {});
        });
        cleanups.push(() => new Promise(resolve => target.close(resolve)));
        await new Promise<void>(resolve => target.listen(ports.from + 3, "::1", resolve));

        const early = await network.connectTcp("::1", ports.from + 3, { abort: AbortSignal.abort() }).catch((e: unknown) => e);
        expect(early).toBeInstanceOf(NetworkError);
        expect((early as Error).message).toBe("TCP connect aborted");

        const controller = new AbortController();
        const during = network.connectTcp("::1", ports.from + 3, { abort: controller.signal });
        controller.abort();
        const error = await during.catch((e: unknown) => e);
        expect((error as Error).message).toBe("TCP connect aborted");
        // the relay may have connected meanwhile: the client hangs up as soon as it hears
        await until("no connection left at the relay", () => relay.stats().tcpConnections === 0, 3_000);
        expect(connections).toBeLessThanOrEqual(1);
    });

    it("closes on a malformed frame from the relay (1002 with a reason) and rejects what is pending", async () => {
        const fake = new WebSocketServer({ host: "127.0.0.1", port: 0 });
        cleanups.push(() => new Promise(resolve => fake.close(resolve)));
        fake.on("connection", ws => {
            ws.on("message", data => {
                const decoded = decodeClientMessage(data);
                if (!decoded.ok) return;
                if (decoded.message.type === "hello") {
                    ws.send(encodeRelayMessage({ type: "helloOk", id: decoded.message.id, version: PROTOCOL_VERSION, maxFrameSize: MAX_FRAME_SIZE }));
                } else {
                    ws.send(new Uint8Array([0x99, 0, 0, 0, 0, 0, 0, 0, 0])); // unknown type
                }
            });
        });
        await new Promise(resolve => fake.once("listening", resolve));
        const address = fake.address() as { port: number };
        const network = await WebSocketNetwork.connect(`ws://127.0.0.1:${address.port}/`, { WebSocket });
        const pending = network.getIpMac("lo").catch((e: unknown) => e);
        const closed = await network.closed;
        expect(closed.code).toBe(1002);
        expect(closed.reason).toBe("malformed frame from relay: unknown relay message type 0x99");
        expect(String(await pending)).toMatch(/relay connection closed \(1002/);
        expect(network.isOpen).toBe(false);
    });
});

describe("connectWithBackoff", () => {
    it("retries with growing waits and gives up after maxAttempts", async () => {
        const waits: number[] = [];
        const url = `ws://127.0.0.1:${ports.from + 5}/matter?token=${"t".repeat(43)}`;
        const error = await connectWithBackoff(url, {
            WebSocket,
            initialDelayMs: 20,
            maxDelayMs: 60,
            maxAttempts: 4,
            onRetry: (_attempt, delay) => waits.push(delay),
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect(waits.length).toBe(3);
        expect(waits[0]).toBeGreaterThanOrEqual(10);
        expect(waits[0]).toBeLessThanOrEqual(20);
        expect(waits[2]).toBeGreaterThanOrEqual(30);
        expect(waits[2]).toBeLessThanOrEqual(60);
    });

    it("connects once the relay appears", async () => {
        const token = "a-fixed-token-for-this-test-0123456789";
        const port = ports.from + 6;
        const url = `ws://127.0.0.1:${port}/matter?token=${token}`;
        let late: Relay | undefined;
        const starter = setTimeout(() => {
            void startRelay({ port, token, matterPorts: { from: ports.to, to: ports.to } }).then(r => (late = r));
        }, 150);
        cleanups.push(async () => {
            clearTimeout(starter);
            await late?.close();
        });
        let retries = 0;
        const network = await connectWithBackoff(url, { WebSocket, initialDelayMs: 25, maxDelayMs: 100, onRetry: () => retries++ });
        cleanups.push(() => network.close());
        expect(retries).toBeGreaterThan(0);
        expect(network.isOpen).toBe(true);
        expect((await network.getIpMac("lo"))?.ipV6).toContain("::1");
    });
});
