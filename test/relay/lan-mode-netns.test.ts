/**
 * The relay's LAN mode on a real LAN interface: two network namespaces this test makes ("relay"
 * and "phone"), joined by a veth pair `lan0` with addresses from a random IPv6 ULA /64 (plus the
 * kernel's link-local ones), no IPv4, no route anywhere else; removed afterwards. Nothing leaves the
 * machine.
 *
 * `relay --lan` runs in the relay namespace without `--interface`: with no default route it must
 * pick `lan0` by itself, serve only its ULA address (not loopback, not the link-local one), name
 * that address in the certificate and the URL, and put `mdns=lan0` in the page URL. From the phone
 * namespace a Node client then fetches the page over HTTPS trusting only the printed certificate
 * (so the SAN for the ULA address is checked by TLS), and opens the WebSocket with the LAN origin
 * (accepted) and with another origin (403) and without the token (401).
 *
 * The setup is this file's own (a small one: two namespaces, one veth); the project's reusable
 * Where namespaces are refused the suite is one failing test with the reason (describeLan,
 * test/support/lan-box.ts).
 */

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { canonicalAddress } from "../../src/relay/policy.js";
import { certificateFiles, subjectAltNames } from "../../src/relay/tls.js";
import { describeLan } from "../support/lan-box.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PREFIX = "mwprelay-";

function ip(args: string[]): string {
    return execFileSync("ip", args, { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] });
}

/** Namespaces of runs that died (their pid is gone): removed before this run makes its own. */
function sweep(): void {
    let list = "";
    try {
        list = ip(["netns", "list"]);
    } catch {
        return;
    }
    for (const ns of list.split("\n").map(l => l.trim().split(/\s+/)[0] ?? "")) {
        const pid = /^mwprelay-(\d+)-/.exec(ns)?.[1];
        if (pid === undefined) continue;
        try {
            process.kill(Number(pid), 0);
        } catch {
            try {
                ip(["netns", "del", ns]);
            } catch {
                // gone meanwhile
            }
        }
    }
}

describeLan("the relay's LAN mode on a real LAN interface (network namespaces, IPv6 ULA)", () => {
    const id = `${PREFIX}${process.pid}-${randomBytes(3).toString("hex")}`;
    const relayNs = `${id}-relay`;
    const phoneNs = `${id}-phone`;
    const bytes = randomBytes(7);
    const prefix = [0xfd00 | (bytes[0] as number), ((bytes[1] as number) << 8) | (bytes[2] as number), ((bytes[3] as number) << 8) | (bytes[4] as number), ((bytes[5] as number) << 8) | (bytes[6] as number)]
        .map(g => g.toString(16))
        .join(":");
    const relayAddress = `${prefix}::1`;
    const phoneAddress = `${prefix}::2`;
    const work = mkdtempSync(join(tmpdir(), "mwp-lan-ns-"));
    const staticDir = join(work, "web");
    const stateDir = join(work, "state");
    let relay: ChildProcess | undefined;
    let output = "";

    beforeAll(() => {
        sweep();
        for (const ns of [relayNs, phoneNs]) {
            ip(["netns", "add", ns]);
            ip(["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0"]);
            ip(["-n", ns, "link", "set", "lo", "up"]);
        }
        ip(["link", "add", "lan0", "netns", relayNs, "type", "veth", "peer", "name", "lan0", "netns", phoneNs]);
        for (const [ns, address] of [
            [relayNs, relayAddress],
            [phoneNs, phoneAddress],
        ] as const) {
            ip(["-n", ns, "addr", "add", `${address}/64`, "dev", "lan0", "nodad"]);
            ip(["-n", ns, "link", "set", "lan0", "up"]);
        }
        mkdirSync(staticDir);
        writeFileSync(join(staticDir, "index.html"), "<!doctype html><title>camera on the LAN</title>");
    });

    afterAll(async () => {
        if (relay !== undefined && relay.exitCode === null && relay.pid !== undefined) {
            process.kill(-relay.pid, "SIGTERM");
            await new Promise<void>(resolve => {
                const timer = setTimeout(() => {
                    if (relay?.pid !== undefined) process.kill(-relay.pid, "SIGKILL");
                    resolve();
                }, 10_000);
                relay?.once("close", () => {
                    clearTimeout(timer);
                    resolve();
                });
            });
        }
        for (const ns of [relayNs, phoneNs]) {
            try {
                ip(["netns", "del", ns]);
            } catch {
                // never made
            }
        }
        rmSync(work, { recursive: true, force: true });
    });

    /** Runs a small Node script in the phone's namespace; its stdout parsed as JSON. */
    function fromPhone(script: string): unknown {
        const out = execFileSync("ip", ["netns", "exec", phoneNs, process.execPath, "--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
        return JSON.parse(out);
    }

    it("picks lan0 by itself, serves its ULA address over HTTPS, and the phone reaches it with the LAN origin only", async () => {
        relay = spawn("ip", ["netns", "exec", relayNs, process.execPath, "--import", "tsx", join(ROOT, "src/cli/relay.ts"), "--lan", "--port", "0", "--state-dir", stateDir, "--static", staticDir], {
            cwd: ROOT,
            stdio: ["ignore", "pipe", "pipe"],
            detached: true,
        });
        relay.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
        relay.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
        const deadline = Date.now() + 90_000;
        let match: RegExpExecArray | null = null;
        while ((match = /^\s*(https:\/\/\[([0-9a-f:]+)\]:(\d+)\/\?token=([\w-]+)&mdns=([\w-]+))$/m.exec(output)) === null || !/fingerprint[^\n]*\n\s*[0-9A-F:]{95}/.test(output)) {
            if (relay.exitCode !== null || Date.now() > deadline) throw new Error(`relay did not print its LAN page URL:\n${output}`);
            await new Promise(resolve => setTimeout(resolve, 100));
        }
        const [, url, host, port, token, mdns] = match;
        expect(output).toMatch(/LAN mode on lan0 \(/);
        expect(host).toBe(canonicalAddress(relayAddress));
        expect(mdns).toBe("lan0");
        // only the ULA address: neither the link-local one nor loopback
        expect(output).toMatch(new RegExp(`LAN mode on lan0 \\(${host?.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\), HTTPS`));
        const cert = readFileSync(certificateFiles(stateDir).cert, "utf8");
        const names = subjectAltNames(new X509Certificate(cert));
        expect(names).toContain(host);
        expect(names).toContain("localhost");
        expect(names.some(n => n.startsWith("fe80"))).toBe(false);

        const result = fromPhone(`
            import { get, request } from "node:https";
            import { randomBytes } from "node:crypto";
            const ca = ${JSON.stringify(cert)};
            const page = await new Promise((resolve, reject) => get(${JSON.stringify(url)}, { ca, timeout: 10000 }, res => {
                let body = ""; res.setEncoding("utf8").on("data", c => body += c); res.on("end", () => resolve({ status: res.statusCode, body }));
            }).on("error", reject));
            const upgrade = (path, origin) => new Promise((resolve, reject) => {
                const req = request({ host: ${JSON.stringify(host)}, port: ${port}, path, ca, timeout: 10000, headers: {
                    Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Key": randomBytes(16).toString("base64"), "Sec-WebSocket-Version": "13", Origin: origin } });
                req.on("upgrade", (_r, s) => { s.destroy(); resolve(101); });
                req.on("response", r => { r.resume(); resolve(r.statusCode); });
                req.on("error", reject); req.end();
            });
            const lanOrigin = "https://[${host}]:${port}";
            console.log(JSON.stringify({
                page,
                lan: await upgrade("/matter?token=${token}", lanOrigin),
                other: await upgrade("/matter?token=${token}", "https://evil.example"),
                plain: await upgrade("/matter?token=${token}", "http://[${host}]:${port}"),
                noToken: await upgrade("/matter", lanOrigin),
            }));
        `);
        expect(result).toEqual({ page: { status: 200, body: "<!doctype html><title>camera on the LAN</title>" }, lan: 101, other: 403, plain: 403, noToken: 401 });

        // bound to the LAN address only: loopback in the relay's own namespace finds nothing there
        const loopback = execFileSync(
            "ip",
            ["netns", "exec", relayNs, process.execPath, "-e", `require("net").connect(${port}, "127.0.0.1").on("connect", () => { console.log("open"); process.exit(0); }).on("error", e => { console.log(e.code); process.exit(0); })`],
            { encoding: "utf8", timeout: 15_000 },
        ).trim();
        expect(loopback).toBe("ECONNREFUSED");
    }, 150_000);
});
