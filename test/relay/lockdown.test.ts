/**
 * The relay is a generic socket proxy, so these tests prove it is locked down, against a live relay
 * on loopback:
 * - HTTP: bound to 127.0.0.1; static files with the right content types and COOP/COEP; path
 *   traversal (`/../package.json`, encoded forms, a symlink out of the root) refused;
 * - upgrade: missing/wrong token → 401, wrong path → 404, wrong Origin → 403, too many clients →
 *   503, and none of them opens a session; the first message must be hello (in time);
 * - policy: binds, listens and connects outside the allowed ports are refused and open nothing;
 *   no DNS names, no unicast "memberships", destinations gated; replies to a peer that wrote first
 *   pass; the relay's own port is never a target;
 * - caps: sockets per client, bytes per second, pending TCP bytes;
 * - malformed frames close only that client, with a close code and a readable reason; a fuzz of
 *   more than 1000 random and mutated frames leaves the relay serving and leaks nothing;
 * - closing a client's WebSocket (cleanly or abruptly) closes all its sockets: the ports are free.
 */

import { createSocket, type Socket as UdpSocketNode } from "node:dgram";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetworkError, type TcpConnection, type UdpSocket } from "@matter/main";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { WebSocketNetwork } from "../../src/relay/client/websocket-network.js";
import type { PortRange } from "../../src/relay/policy.js";
import { encodeClientMessage, MAX_FRAME_SIZE, MessageCode, type ClientMessage } from "../../src/relay/protocol.js";
import { startRelay, type Relay, type RelayOptions } from "../../src/relay/server.js";
import { portBlock, rawGet, RawClient, tcpPortFree, udpPortFree, until, upgradeStatus } from "./support.js";

const SECRET = "do-not-serve-this-secret";
const root = mkdtempSync(join(tmpdir(), "mwp-relay-"));
const staticDir = join(root, "web");
mkdirSync(join(staticDir, "sub"), { recursive: true });
const FILES: Record<string, [string, string]> = {
    "/": ["<!doctype html><title>camera</title>", "text/html; charset=utf-8"],
    "/app.js": ["export const x = 1;", "text/javascript; charset=utf-8"],
    "/core.wasm": ["\0asm\x01\0\0\0", "application/wasm"],
    "/style.css": ["body{}", "text/css; charset=utf-8"],
    "/sub/": ["<p>sub</p>", "text/html; charset=utf-8"],
    "/data.json": ["{}", "application/json; charset=utf-8"],
};
writeFileSync(join(staticDir, "index.html"), FILES["/"]?.[0] ?? "");
writeFileSync(join(staticDir, "app.js"), FILES["/app.js"]?.[0] ?? "");
writeFileSync(join(staticDir, "core.wasm"), FILES["/core.wasm"]?.[0] ?? "");
writeFileSync(join(staticDir, "style.css"), FILES["/style.css"]?.[0] ?? "");
writeFileSync(join(staticDir, "data.json"), FILES["/data.json"]?.[0] ?? "");
writeFileSync(join(staticDir, "sub", "index.html"), FILES["/sub/"]?.[0] ?? "");
writeFileSync(join(root, "package.json"), JSON.stringify({ name: SECRET }));
symlinkSync(join(root, "package.json"), join(staticDir, "leak.json"));

const isLoopback = (address: string) => address === "::1" || address.startsWith("127.") || address === "::ffff:127.0.0.1";

const relays: Relay[] = [];
const networks: WebSocketNetwork[] = [];
const rawClients: RawClient[] = [];
const nodeSockets: (UdpSocketNode | Server)[] = [];

async function relayWith(ports: PortRange, options: RelayOptions = {}): Promise<Relay> {
    const relay = await startRelay({ staticDir, matterPorts: ports, allowDestination: isLoopback, ...options });
    relays.push(relay);
    return relay;
}

async function connect(relay: Relay, origin?: string): Promise<WebSocketNetwork> {
    const network = await WebSocketNetwork.connect(new WebSocket(relay.url, origin !== undefined ? { origin } : {}));
    networks.push(network);
    return network;
}

async function raw(relay: Relay, hello = true): Promise<RawClient> {
    const client = await RawClient.open(relay.url, hello);
    rawClients.push(client);
    return client;
}

function nodeUdp(port: number): Promise<UdpSocketNode> {
    const socket = createSocket({ type: "udp6" });
    nodeSockets.push(socket);
    return new Promise((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(port, "::1", () => resolve(socket));
    });
}

function nodeTcpServer(port: number, onConnection: () => void): Promise<Server> {
    const server = createServer(socket => {
        onConnection();
        socket.destroy();
    });
    nodeSockets.push(server);
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "::1", () => resolve(server));
    });
}

/** A UDP round trip inside one client: proves the client (and the relay) still work. */
async function udpLoopback(network: WebSocketNetwork, ports: PortRange): Promise<string> {
    const a = await network.createUdpSocket({ type: "udp6", listeningPort: 0 });
    const b = await network.createUdpSocket({ type: "udp6", listeningPort: 0 });
    expect(a.port).toBeGreaterThanOrEqual(ports.from);
    expect(b.port).toBeLessThanOrEqual(ports.to);
    const received = new Promise<string>(resolve => b.onData((_i, _a, _p, data) => resolve(Buffer.from(data as Uint8Array).toString())));
    await a.send("::1", b.port, new TextEncoder().encode("still here"));
    const text = await withTimeout(received, 3_000, "datagram");
    await a.close();
    await b.close();
    return text;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
        return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]);
    } finally {
        clearTimeout(timer);
    }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
    try {
        await promise;
    } catch (error) {
        return error as Error;
    }
    throw new Error("expected a rejection");
}

afterEach(async () => {
    for (const client of rawClients.splice(0)) client.terminate();
    await Promise.all(networks.splice(0).map(n => n.close()));
    for (const socket of nodeSockets.splice(0)) socket.close();
});

afterAll(async () => {
    await Promise.all(relays.splice(0).map(r => r.close()));
    rmSync(root, { recursive: true, force: true });
});

describe("HTTP: bind address, static files, traversal", () => {
    let relay: Relay;
    beforeAll(async () => {
        relay = await relayWith(portBlock());
    });

    it("binds to 127.0.0.1 by default and puts the token in both URLs", () => {
        expect(relay.host).toBe("127.0.0.1");
        expect(relay.token.length).toBeGreaterThanOrEqual(43);
        expect(relay.pageUrl).toBe(`http://127.0.0.1:${relay.port}/?token=${relay.token}`);
        expect(relay.url).toBe(`ws://127.0.0.1:${relay.port}/matter?token=${relay.token}`);
    });

    it("serves the page with the right content types and COOP/COEP (crossOriginIsolated)", async () => {
        for (const [path, [body, type]] of Object.entries(FILES)) {
            const response = await rawGet(relay.port, path);
            expect(response.status, path).toBe(200);
            expect(response.headers["content-type"], path).toBe(type);
            expect(response.headers["cross-origin-opener-policy"]).toBe("same-origin");
            expect(response.headers["cross-origin-embedder-policy"]).toBe("require-corp");
            expect(response.headers["x-content-type-options"]).toBe("nosniff");
            expect(response.body.toString("latin1")).toBe(body);
        }
        const head = await rawGet(relay.port, "/core.wasm", "HEAD");
        expect(head.status).toBe(200);
        expect(head.headers["content-length"]).toBe("8");
        expect(head.body.length).toBe(0);
        expect((await rawGet(relay.port, "/missing.js")).status).toBe(404);
        expect((await rawGet(relay.port, "/", "POST")).status).toBe(405);
        // the WebSocket path over plain HTTP
        expect((await rawGet(relay.port, "/matter")).status).toBe(426);
    });

    it("refuses path traversal, encoded or through a symlink", async () => {
        const attempts = [
            "/../package.json",
            "/sub/../../package.json",
            "/%2e%2e/package.json",
            "/%2E%2E%2Fpackage.json",
            "/..%2fpackage.json",
            "/..%5cpackage.json",
            "/..\\package.json",
            "/sub/%2e%2e/%2e%2e/package.json",
            "/leak.json",
            "/%00/index.html",
            "/%ff",
        ];
        for (const path of attempts) {
            const response = await rawGet(relay.port, path);
            expect([400, 403, 404], path).toContain(response.status);
            expect(response.body.toString(), path).not.toContain(SECRET);
        }
    });
});

describe("WebSocket upgrade: token, Origin, path, client cap, hello", () => {
    let relay: Relay;
    let origin: string;
    beforeAll(async () => {
        relay = await relayWith(portBlock(), { allowedOrigins: ["https://camera.example"] });
        origin = new URL(relay.pageUrl).origin;
    });

    it("refuses a missing or wrong token (401), a wrong path (404) and a foreign Origin (403), opening nothing", async () => {
        const base = `ws://127.0.0.1:${relay.port}`;
        expect(await upgradeStatus(`${base}/matter`, { Origin: origin })).toBe(401);
        expect(await upgradeStatus(`${base}/matter?token=`, { Origin: origin })).toBe(401);
        expect(await upgradeStatus(`${base}/matter?token=${"x".repeat(43)}`, { Origin: origin })).toBe(401);
        expect(await upgradeStatus(`${base}/matter?token=${relay.token}x`, { Origin: origin })).toBe(401);
        expect(await upgradeStatus(`${base}/other?token=${relay.token}`, { Origin: origin })).toBe(404);
        expect(await upgradeStatus(relay.url, { Origin: "http://evil.example" })).toBe(403);
        expect(await upgradeStatus(relay.url, { Origin: `http://127.0.0.1:${relay.port + 1}` })).toBe(403);
        expect(await upgradeStatus(relay.url, { Origin: "null" })).toBe(403);
        expect(relay.stats()).toMatchObject({ clients: 0, udpSockets: 0, tcpListeners: 0, tcpConnections: 0 });
        // and the WebSocket client reports the refusal readably
        const error = await rejection(WebSocketNetwork.connect(new WebSocket(`${base}/matter?token=wrong`)));
        expect(error.message).toMatch(/refused the WebSocket.*401/);
    });

    it("accepts the relay's own origins, configured ones, and Origin-less (non-browser) clients", async () => {
        for (const allowed of [origin, `http://localhost:${relay.port}`, `http://[::1]:${relay.port}`, "https://camera.example"]) {
            expect(await upgradeStatus(relay.url, { Origin: allowed }), allowed).toBe(101);
        }
        expect(await upgradeStatus(relay.url)).toBe(101);
        const network = await connect(relay, origin);
        expect(network.isOpen).toBe(true);
    });

    it("can require an Origin", async () => {
        const strict = await relayWith(portBlock(), { requireOrigin: true });
        expect(await upgradeStatus(strict.url)).toBe(403);
        expect(await upgradeStatus(strict.url, { Origin: new URL(strict.pageUrl).origin })).toBe(101);
    });

    it("refuses clients beyond maxClients with 503", async () => {
        const single = await relayWith(portBlock(), { limits: { maxClients: 1 } });
        await connect(single);
        expect(await upgradeStatus(single.url)).toBe(503);
    });

    it("closes a client whose first message is not hello, one that never says hello, and one with another protocol version", async () => {
        const quick = await relayWith(portBlock(), { limits: { helloTimeoutMs: 200 } });
        const rude = await raw(quick, false);
        rude.send(encodeClientMessage({ type: "getNetInterfaces", id: 1 }));
        expect(await rude.closedWithin()).toEqual({ code: 1002, reason: "expected hello, got getNetInterfaces" });
        const silent = await raw(quick, false);
        expect(await silent.closedWithin()).toEqual({ code: 1008, reason: "no hello in time" });
        const future = await raw(quick, false);
        future.send(encodeClientMessage({ type: "hello", id: 1, version: 99 }));
        expect(await future.closedWithin()).toEqual({ code: 1002, reason: "unsupported protocol version 99" });
    });
});

describe("policy: ports and destinations", () => {
    const ports = portBlock(10);
    const outside = ports.to + 5; // inside this process's block of 20, outside the relay's range
    let relay: Relay;
    let network: WebSocketNetwork;
    beforeAll(async () => {
        relay = await relayWith(ports);
    });

    it("refuses a UDP bind or TCP listen outside the range, and opens nothing", async () => {
        network = await connect(relay);
        const udp = await rejection(network.createUdpSocket({ type: "udp6", listeningPort: outside }));
        expect(udp).toBeInstanceOf(NetworkError);
        expect(udp.message).toBe(`UDP port ${outside} is not allowed (allowed: ${ports.from}-${ports.to} and 5353)`);
        const tcp = await rejection(network.createTcpListener({ listeningPort: outside }));
        expect(tcp.message).toBe(`TCP port ${outside} is not allowed (allowed: ${ports.from}-${ports.to})`);
        expect(await rejection(network.createTcpListener({ listeningPort: 5353 }))).toBeInstanceOf(NetworkError);
        // shared binds only where matter.js needs them (mDNS)
        const shared = await rejection(network.createUdpSocket({ type: "udp6", listeningPort: ports.from, reuseAddress: true }));
        expect(shared.message).toBe("reuseAddress is only allowed on the mDNS port 5353");
        expect(await rejection(network.createUdpSocket({ type: "udp6", listeningPort: relay.port }))).toBeInstanceOf(NetworkError);
        expect(relay.stats()).toMatchObject({ udpSockets: 0, tcpListeners: 0, tcpConnections: 0 });
        expect(await udpPortFree(outside)).toBe(true);
        expect(await tcpPortFree(outside)).toBe(true);
        // "any port" is served from the range
        const any = await network.createUdpSocket({ type: "udp6" });
        expect(any.port).toBeGreaterThanOrEqual(ports.from);
        expect(any.port).toBeLessThanOrEqual(ports.to);
        const listener = await network.createTcpListener({});
        expect(listener.port).toBeGreaterThanOrEqual(ports.from);
        expect(listener.port).toBeLessThanOrEqual(ports.to);
        await any.close();
        await listener.close();
    });

    it("refuses TCP connects outside the allowed ports, to the relay itself, to names, and to disallowed hosts", async () => {
        network = await connect(relay);
        let reached = 0;
        await nodeTcpServer(outside, () => reached++);
        const cases: [string, number, RegExp][] = [
            ["::1", outside, /TCP connect to port \d+ is not allowed/],
            ["127.0.0.1", relay.port, /not allowed|belongs to the relay/],
            ["localhost", ports.from, /not an IP address/],
            ["192.0.2.1", ports.from, /destination 192\.0\.2\.1 is not allowed/],
            ["ff02::1", ports.from, /not allowed|multicast/],
        ];
        for (const [host, port, reason] of cases) {
            const error = await rejection(network.connectTcp(host, port, { timeout: 2_000 }));
            expect(error, `${host}:${port}`).toBeInstanceOf(NetworkError);
            expect(error.message, `${host}:${port}`).toMatch(reason);
        }
        await new Promise(resolve => setTimeout(resolve, 50));
        expect(reached).toBe(0);
        expect(relay.stats().tcpConnections).toBe(0);
    });

    it("sends UDP only to allowed ports, or back to a peer that wrote first; memberships only for multicast", async () => {
        network = await connect(relay);
        const socket = await network.createUdpSocket({ type: "udp6", listeningPort: ports.from });
        const peer = await nodeUdp(outside);
        const got: string[] = [];
        peer.on("message", data => got.push(data.toString()));

        const refused = await rejection(socket.send("::1", outside, new TextEncoder().encode("unsolicited")));
        expect(refused.message).toBe(`UDP destination port ${outside} is not allowed`);
        expect((await rejection(socket.send("example.com", ports.from, new Uint8Array(1)))).message).toMatch(/not an IP address/);
        expect((await rejection(socket.send("192.0.2.1", ports.from, new Uint8Array(1)))).message).toMatch(/not allowed/);

        // the peer writes first: a reply is allowed, as through a NAT
        const heard = new Promise<number>(resolve => socket.onData((_i, _a, port) => resolve(port)));
        peer.send("hello", socket.port, "::1");
        expect(await withTimeout(heard, 3_000, "datagram from peer")).toBe(outside);
        await socket.send("::1", outside, new TextEncoder().encode("reply"));
        await until("reply at peer", () => got.length === 1);
        expect(got).toEqual(["reply"]);

        expect((await rejection(Promise.resolve(socket.addMembership("192.0.2.1")))).message).toMatch(/not a multicast address/);
        await socket.addMembership("ff02::fb");
        await socket.close();
    });
});

describe("caps per client", () => {
    it("limits open UDP sockets, TCP listeners and TCP connections", async () => {
        const ports = portBlock(10);
        const relay = await relayWith(ports, { limits: { maxUdpSockets: 2, maxTcpListeners: 1, maxTcpConnections: 2 } });
        const network = await connect(relay);
        const a = await network.createUdpSocket({ type: "udp6" });
        await network.createUdpSocket({ type: "udp4" });
        expect((await rejection(network.createUdpSocket({ type: "udp6" }))).message).toBe("limit of 2 UDP sockets per client reached");
        await a.close();
        await network.createUdpSocket({ type: "udp6" });

        const listener = await network.createTcpListener({});
        expect((await rejection(network.createTcpListener({}))).message).toBe("limit of 1 TCP listeners per client reached");
        // a connection to our own listener counts twice: the outgoing and the accepted one
        const accepted: TcpConnection[] = [];
        listener.onConnection(socket => accepted.push(socket));
        await network.connectTcp("::1", listener.port);
        await until("accepted", () => accepted.length === 1);
        expect((await rejection(network.connectTcp("::1", listener.port))).message).toBe("limit of 2 TCP connections per client reached");
        expect(relay.stats()).toMatchObject({ udpSockets: 2, tcpListeners: 1, tcpConnections: 2 });
    });

    it("drops datagrams beyond the byte rate with a limit error", async () => {
        const ports = portBlock(10);
        const relay = await relayWith(ports, { limits: { maxBytesPerSecond: 4_000 } });
        const network = await connect(relay);
        const sender = await network.createUdpSocket({ type: "udp6" });
        const receiver = await network.createUdpSocket({ type: "udp6" });
        let received = 0;
        receiver.onData(() => received++);
        const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => sender.send("::1", receiver.port, new Uint8Array(1_000))));
        const sent = outcomes.filter(o => o.status === "fulfilled").length;
        const limited = outcomes.filter(o => o.status === "rejected" && /rate limit of 4000 B\/s reached/.test(String(o.reason.message)));
        expect(sent).toBeGreaterThanOrEqual(3);
        expect(sent).toBeLessThanOrEqual(5);
        expect(limited.length).toBe(10 - sent);
        await until("datagrams in", () => received === sent, 3_000);
        // the bucket refills
        await new Promise(resolve => setTimeout(resolve, 600));
        await sender.send("::1", receiver.port, new Uint8Array(1_000));
    });

    it("closes a TCP connection whose pending bytes exceed the buffer cap", async () => {
        const ports = portBlock(10);
        const relay = await relayWith(ports, { limits: { maxBytesPerSecond: 1_000, maxBufferedBytes: 3_000 } });
        const network = await connect(relay);
        const listener = await network.createTcpListener({});
        listener.onConnection(() => {});
        const connection = await network.connectTcp("::1", listener.port);
        const errors: Error[] = [];
        connection.onError(error => errors.push(error));
        const closed = new Promise<void>(resolve => connection.onClose(resolve));
        const sends = await Promise.allSettled(Array.from({ length: 5 }, () => connection.send(new Uint8Array(1_000))));
        const refused = sends.filter((o): o is PromiseRejectedResult => o.status === "rejected");
        expect(refused.length).toBeGreaterThanOrEqual(1);
        expect(refused.some(o => /more than 3000 bytes pending/.test(String(o.reason.message)))).toBe(true);
        await withTimeout(closed, 5_000, "connection closed by the relay");
        expect(errors.map(e => e.message).join()).toMatch(/pending/);
    }, 15_000);
});

describe("malformed frames", () => {
    const ports = portBlock(10);
    let relay: Relay;
    let bystander: WebSocketNetwork;
    let bystanderSocket: UdpSocket;

    beforeAll(async () => {
        // no mDNS port here: fuzzed datagrams must not reach other suites' mDNS sockets on lo
        relay = await relayWith(ports, { mdnsPort: false, limits: { maxClients: 16 } });
        // lives through both tests (not closed by afterEach)
        bystander = await WebSocketNetwork.connect(new WebSocket(relay.url));
        bystanderSocket = await bystander.createUdpSocket({ type: "udp6", listeningPort: ports.to });
    });
    afterAll(async () => {
        await bystanderSocket?.close();
        await bystander?.close();
    });

    it("close only the sender, with a close code and a readable reason", async () => {
        const header = (code: number) => new Uint8Array([code, 0, 0, 0, 7, 0, 0, 0, 0]);
        const random = new Uint8Array(64).map((_, i) => (i * 151 + 7) & 0xff);
        const cases: [Uint8Array | string, number, RegExp][] = [
            [random, 1002, /^malformed frame: /],
            [new Uint8Array([MessageCode.udpCreate, 0, 0]), 1002, /^malformed frame: truncated header: 3 of 9 bytes$/],
            [header(0x7e), 1002, /^malformed frame: unknown request type 0x7e$/],
            [Uint8Array.from([...header(MessageCode.getIpMac), 250, 0x6c, 0x6f]), 1002, /^malformed frame: truncated frame: interface name needs 250 byte/],
            [Uint8Array.from([...header(MessageCode.close).subarray(0, 5), 0, 0, 0, 1, 9]), 1002, /trailing byte/],
            [new Uint8Array(MAX_FRAME_SIZE + 1), 1009, new RegExp(`^frame of ${MAX_FRAME_SIZE + 1} bytes exceeds the ${MAX_FRAME_SIZE}-byte limit$`)],
            // beyond what ws buffers at all: ws closes with the bare code
            [new Uint8Array(8 * MAX_FRAME_SIZE), 1009, /^$/],
            ["{\"type\":\"hello\"}", 1003, /^text frames are not accepted/],
        ];
        for (const [frame, code, reason] of cases) {
            const client = await raw(relay);
            client.send(frame);
            const closed = await client.closedWithin();
            expect(closed.code, String(reason)).toBe(code);
            expect(closed.reason, String(reason)).toMatch(reason);
        }
        await until("only the bystander left", () => relay.stats().clients === 1);
        expect(relay.stats().udpSockets).toBe(1);
        expect(await udpLoopback(bystander, ports)).toBe("still here");
    });

    it("survive a fuzz of more than 1000 random and mutated frames; the relay keeps serving and leaks nothing", async () => {
        let seed = 0x9e3779b9;
        const random = () => {
            seed ^= seed << 13;
            seed ^= seed >>> 17;
            seed ^= seed << 5;
            return (seed >>> 0) / 0x1_0000_0000;
        };
        const valid: ClientMessage[] = [
            { type: "getNetInterfaces", id: 2 },
            { type: "getIpMac", id: 3, name: "lo" },
            { type: "udpCreate", id: 4, socketType: "udp6", port: 0, reuseAddress: false },
            { type: "udpCreate", id: 5, socketType: "udp4", port: ports.from + 1, reuseAddress: false, address: "127.0.0.1" },
            { type: "udpSend", id: 6, handle: 1, host: "::1", port: ports.from + 2, payload: new Uint8Array(32) },
            { type: "udpAddMembership", id: 7, handle: 1, address: "ff02::fb" },
            { type: "tcpListen", id: 8, port: 0 },
            { type: "tcpConnect", id: 9, host: "::1", port: ports.from + 3, timeoutMs: 500 },
            { type: "tcpSend", id: 10, handle: 2, payload: new Uint8Array(16) },
            { type: "close", id: 11, handle: 1 },
        ];
        const frames = valid.map(encodeClientMessage);
        const nextFrame = (): Uint8Array => {
            if (random() < 0.3) {
                const bytes = new Uint8Array(Math.floor(random() * 48));
                for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
                return bytes;
            }
            const frame = (frames[Math.floor(random() * frames.length)] as Uint8Array).slice();
            const flips = Math.floor(random() * 3);
            for (let k = 0; k < flips; k++) frame[Math.floor(random() * frame.length)] = Math.floor(random() * 256);
            return random() < 0.15 ? frame.subarray(0, Math.floor(random() * frame.length)) : frame;
        };

        let sent = 0;
        let closedByRelay = 0;
        // valid mutated frames open real sockets on the way: record the peak to show it
        let peakSockets = 0;
        const sampler = setInterval(() => {
            const stats = relay.stats();
            peakSockets = Math.max(peakSockets, stats.udpSockets + stats.tcpListeners - 1);
        }, 5);
        const worker = async () => {
            while (sent < 1_200) {
                const client = await RawClient.open(relay.url);
                for (let n = 0; n < 40 && client.isOpen && sent < 1_200; n++) {
                    client.send(nextFrame());
                    sent++;
                    // let the relay answer (or close us) before the next frame
                    await new Promise(resolve => setImmediate(resolve));
                }
                const closed = await Promise.race([client.closed, new Promise<undefined>(resolve => setTimeout(resolve, 20))]);
                if (closed !== undefined) {
                    closedByRelay++;
                    expect(closed.reason.length).toBeGreaterThan(0);
                } else {
                    client.terminate();
                }
            }
        };
        await Promise.all(Array.from({ length: 8 }, worker)).finally(() => clearInterval(sampler));
        expect(sent).toBeGreaterThanOrEqual(1_000);
        expect(peakSockets).toBeGreaterThan(0);
        expect(closedByRelay).toBeGreaterThan(50);

        // nothing of the fuzz clients is left; the bystander and the relay still work
        await until("fuzz clients gone", () => relay.stats().clients === 1, 10_000).catch(error => {
            throw new Error(`${(error as Error).message}: ${JSON.stringify(relay.stats())}`);
        });
        await until("fuzz sockets gone", () => relay.stats().udpSockets === 1 && relay.stats().tcpListeners === 0 && relay.stats().tcpConnections === 0, 10_000);
        expect(relay.stats().udpPorts).toEqual([ports.to]);
        expect(bystander.isOpen).toBe(true);
        expect(await udpLoopback(bystander, ports)).toBe("still here");
        const fresh = await connect(relay);
        expect(await udpLoopback(fresh, ports)).toBe("still here");
    }, 60_000);
});

describe("teardown", () => {
    async function openEverything(network: WebSocketNetwork, ports: PortRange) {
        const udp6 = await network.createUdpSocket({ type: "udp6", listeningPort: ports.from });
        const udp4 = await network.createUdpSocket({ type: "udp4", listeningPort: ports.from });
        const listener = await network.createTcpListener({ listeningPort: ports.from + 1 });
        const accepted: TcpConnection[] = [];
        listener.onConnection(socket => accepted.push(socket));
        const outgoing = await network.connectTcp("::1", ports.from + 1);
        await until("accepted", () => accepted.length === 1);
        return { udp6, udp4, listener, outgoing, accepted: accepted[0] as TcpConnection };
    }

    async function portsFree(ports: PortRange): Promise<boolean> {
        return (await udpPortFree(ports.from)) && (await tcpPortFree(ports.from + 1));
    }

    it("closing the WebSocket closes every socket the client opened; the ports are free again", async () => {
        const ports = portBlock(10);
        const relay = await relayWith(ports);
        const network = await connect(relay);
        await openEverything(network, ports);
        expect(relay.stats()).toMatchObject({ clients: 1, udpSockets: 2, tcpListeners: 1, tcpConnections: 2 });
        expect(await udpPortFree(ports.from)).toBe(false);
        expect(await tcpPortFree(ports.from + 1)).toBe(false);
        await network.close();
        await until("client gone", () => relay.stats().clients === 0);
        expect(await portsFree(ports)).toBe(true);
    });

    it("an abruptly dropped WebSocket (no close handshake) frees everything too", async () => {
        const ports = portBlock(10);
        const relay = await relayWith(ports);
        const ws = new WebSocket(relay.url);
        const network = await WebSocketNetwork.connect(ws);
        networks.push(network);
        await openEverything(network, ports);
        ws.terminate();
        const closed = await withTimeout(network.closed, 3_000, "closed");
        expect(closed.code).toBe(1006);
        await until("client gone", () => relay.stats().clients === 0);
        expect(await portsFree(ports)).toBe(true);
    });

    it("relay.close() closes every client and socket; the client sees the loss", async () => {
        const ports = portBlock(10);
        const relay = await relayWith(ports);
        const network = await connect(relay);
        const { outgoing, udp6 } = await openEverything(network, ports);
        const outgoingErrors: Error[] = [];
        outgoing.onError(error => outgoingErrors.push(error));
        const outgoingClosed = new Promise<void>(resolve => outgoing.onClose(resolve));
        await relay.close();
        expect(await withTimeout(network.closed, 3_000, "closed")).toEqual({ code: 1001, reason: "relay shutting down" });
        await withTimeout(outgoingClosed, 3_000, "TCP close");
        expect(outgoingErrors[0]?.message).toMatch(/relay connection closed \(1001 relay shutting down\)/);
        expect((await rejection(udp6.send("::1", ports.from, new Uint8Array(1)))).message).toMatch(/relay connection closed \(1001 relay shutting down\)/);
        expect((await rejection(network.createUdpSocket({ type: "udp6" }))).message).toMatch(/relay connection closed/);
        expect(await portsFree(ports)).toBe(true);
        expect(await upgradeStatus(relay.url).catch(() => "refused")).toBe("refused");
    });
});
