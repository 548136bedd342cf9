/**
 * Helpers for the relay tests: port blocks that do not collide with the other suites' ports
 * (test/support's `testPort()` uses 20000–21800; these use 30000+), raw HTTP upgrade probes, a raw
 * WebSocket client for malformed frames, checks that a port is free again, and bounded waits.
 */

import { createSocket } from "node:dgram";
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { createServer } from "node:net";
import { WebSocket } from "ws";
import { encodeClientMessage, PROTOCOL_VERSION } from "../../src/relay/protocol.js";
import type { PortRange } from "../../src/relay/policy.js";

let block = Math.floor(Math.random() * 20);
/** A block of `size` (≤ 20) consecutive ports for this test process. */
export function portBlock(size = 10): PortRange {
    const pool = Number(process.env.VITEST_POOL_ID ?? "1");
    const from = 30_000 + (pool % 16) * 400 + (block++ % 20) * 20;
    return { from, to: from + size - 1 };
}

/** Status of a WebSocket upgrade request (101 when accepted). */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
    const target = new URL(url.replace(/^ws/, "http"));
    return new Promise((resolve, reject) => {
        const req = request({
            host: target.hostname.replace(/^\[|\]$/g, ""),
            port: target.port,
            path: `${target.pathname}${target.search}`,
            headers: {
                Connection: "Upgrade",
                Upgrade: "websocket",
                "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
                "Sec-WebSocket-Version": "13",
                ...headers,
            },
        });
        req.setTimeout(5_000, () => req.destroy(new Error("upgrade probe timed out")));
        req.on("upgrade", (_res, socket) => {
            socket.destroy();
            resolve(101);
        });
        req.on("response", res => {
            res.resume();
            resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
    });
}

/** A raw HTTP GET/HEAD with an exact (unnormalised) path. */
export function rawGet(port: number, path: string, method = "GET"): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    return new Promise((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path, method }, res => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.setTimeout(5_000, () => req.destroy(new Error("GET timed out")));
        req.on("error", reject);
        req.end();
    });
}

/** A raw client that sends hello, then whatever frames a test wants. */
export class RawClient {
    readonly closed: Promise<{ code: number; reason: string }>;
    readonly frames: Buffer[] = [];

    private constructor(readonly ws: WebSocket) {
        this.closed = new Promise(resolve => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
        ws.on("message", data => this.frames.push(data as Buffer));
        ws.on("error", () => {});
    }

    static async open(url: string, hello = true): Promise<RawClient> {
        const ws = new WebSocket(url);
        const client = new RawClient(ws);
        await new Promise<void>((resolve, reject) => {
            ws.once("open", () => resolve());
            ws.once("error", reject);
        });
        if (hello) {
            ws.send(encodeClientMessage({ type: "hello", id: 1, version: PROTOCOL_VERSION }));
            await until("helloOk", () => client.frames.length > 0);
        }
        return client;
    }

    send(frame: Uint8Array | string): void {
        if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame, { binary: typeof frame !== "string" });
    }

    get isOpen(): boolean {
        return this.ws.readyState === WebSocket.OPEN;
    }

    /** The close code and reason, waiting at most `timeoutMs`. */
    async closedWithin(timeoutMs = 3_000): Promise<{ code: number; reason: string }> {
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
            return await Promise.race([
                this.closed,
                new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("client was not closed in time")), timeoutMs))),
            ]);
        } finally {
            clearTimeout(timer);
        }
    }

    terminate(): void {
        this.ws.terminate();
    }
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise(resolve => setTimeout(resolve, 10));
    }
}

/** True if this process can bind UDP `port` (IPv6, exclusive) right now. */
export function udpPortFree(port: number): Promise<boolean> {
    return new Promise(resolve => {
        const socket = createSocket({ type: "udp6" });
        socket.once("error", () => {
            socket.close();
            resolve(false);
        });
        socket.bind(port, () => socket.close(() => resolve(true)));
    });
}

/** True if this process can listen on TCP `port` right now. */
export function tcpPortFree(port: number): Promise<boolean> {
    return new Promise(resolve => {
        const server = createServer();
        server.once("error", () => resolve(false));
        server.listen(port, () => server.close(() => resolve(true)));
    });
}
