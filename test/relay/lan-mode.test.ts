/**
 * The relay's LAN mode on this machine's loopback addresses (the network-namespace suite,
 * lan-mode-netns.test.ts, binds a real LAN interface):
 *
 * - interface choice (lan.ts) on made-up interface tables: the default route's interface first,
 *   private addresses only, public ones only when there are no private ones (flagged), never IPv6
 *   link-local, loopback only when named, virtual interfaces last; readable errors; the default
 *   route read from /proc/net/route and /proc/net/ipv6_route texts;
 * - the certificate (tls.ts): SANs for the addresses, localhost, the host name and `<host>.local`;
 *   kept and used again (same fingerprint, key file 0600), made anew when asked, when it nears its
 *   end, when an address is new, when its file is garbage; the user's own files used as they are,
 *   and a mismatched key, an expired certificate, an encrypted key or a missing file refused with a
 *   message that names the file;
 * - the HTTPS relay on 127.0.0.1 and ::1 (one port): the page fetched with the certificate as the
 *   only CA, by address and by the host name (`servername`); the WebSocket accepts the https
 *   origins it serves (addresses, `<host>.local`, the host name) and refuses others (http:// of
 *   the same host, another site) with 403, and still wants the token (401);
 * - the CLIs: `relay --lan --interface lo` prints the https page URL with `mdns=lo`, a QR code
 *   block that decodes to exactly that URL, and the certificate's fingerprint, which matches the
 *   kept file and the certificate the server presents; a second start reuses it, `--new-cert`
 *   replaces it, `--cert/--key` serve the user's files; unusable files and a missing interface
 *   exit 2 with the reason; `npm start -- --lan` prints the URL with the LAN interface as `mdns=`
 *   (or `--mdns-interface`'s).
 */

import { spawn, type ChildProcess } from "node:child_process";
import { X509Certificate, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { get, request } from "node:https";
import { tmpdir, type NetworkInterfaceInfo } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { fileURLToPath } from "node:url";
import decodeQR from "qr/decode.js";
import { generate } from "selfsigned";
import { afterAll, describe, expect, it } from "vitest";
import { LAN_DEFAULT_PORT, parseRelayArgs, RelayArgumentError } from "../../src/relay/cli-options.js";
import { chooseLanInterface, defaultRouteInterfaces, lanServerNames, LanError } from "../../src/relay/lan.js";
import { startRelay, type Relay } from "../../src/relay/server.js";
import { readTerminalQr } from "../../src/relay/terminal-qr.js";
import { CertificateError, certificateFiles, lanCertificate, loadCertificateFiles, subjectAltNames } from "../../src/relay/tls.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "mwp-lan-"));
const staticDir = join(work, "web");
mkdirSync(staticDir);
writeFileSync(join(staticDir, "index.html"), "<!doctype html><title>camera</title>");
let dirs = 0;
const freshDir = () => join(work, `state-${++dirs}`);
const relays: Relay[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    for (const relay of relays) await relay.close();
    rmSync(work, { recursive: true, force: true });
});

const info = (address: string, family: "IPv4" | "IPv6", internal = false): NetworkInterfaceInfo =>
    family === "IPv4" ? { address, family, internal, netmask: "", mac: "00:00:00:00:00:00", cidr: null } : { address, family, internal, netmask: "", mac: "00:00:00:00:00:00", cidr: null, scopeid: 0 };
const TABLE: Record<string, NetworkInterfaceInfo[]> = {
    lo: [info("127.0.0.1", "IPv4", true), info("::1", "IPv6", true)],
    docker0: [info("172.17.0.1", "IPv4")],
    wlan0: [info("2001:db8::5", "IPv6"), info("fe80::5", "IPv6"), info("fd12:3456::5", "IPv6"), info("192.168.1.5", "IPv4")],
    wan0: [info("203.0.113.7", "IPv4"), info("fe80::7", "IPv6")],
    ll0: [info("fe80::9", "IPv6")],
};

describe("LAN interface choice", () => {
    it("takes the default route's interface, its private addresses only, private IPv4 first", () => {
        expect(chooseLanInterface({ interfaces: TABLE, defaultRoutes: ["wlan0"] })).toEqual({ interface: "wlan0", addresses: ["192.168.1.5", "fd12:3456::5"], exposure: "private" });
        // without a default route: a real interface with private addresses before a virtual one
        expect(chooseLanInterface({ interfaces: TABLE, defaultRoutes: [] }).interface).toBe("wlan0");
        expect(chooseLanInterface({ interfaces: { docker0: TABLE.docker0, wlan0: TABLE.wlan0 }, defaultRoutes: [] }).interface).toBe("wlan0");
    });

    it("serves public addresses only when the interface has no private one, and says so", () => {
        expect(chooseLanInterface({ interfaces: TABLE, defaultRoutes: ["wan0"] })).toEqual({ interface: "wan0", addresses: ["203.0.113.7"], exposure: "public" });
        expect(chooseLanInterface({ interfaces: TABLE, name: "wan0" }).exposure).toBe("public");
    });

    it("uses a loopback interface only when named, and never IPv6 link-local", () => {
        expect(() => chooseLanInterface({ interfaces: { lo: TABLE.lo, ll0: TABLE.ll0 }, defaultRoutes: [] })).toThrow(/no network interface has an address a phone could reach/);
        expect(chooseLanInterface({ interfaces: TABLE, name: "lo" })).toEqual({ interface: "lo", addresses: ["127.0.0.1", "::1"], exposure: "loopback" });
        expect(() => chooseLanInterface({ interfaces: TABLE, name: "ll0" })).toThrow(/link-local/);
        expect(() => chooseLanInterface({ interfaces: TABLE, name: "eth7" })).toThrow(LanError);
        expect(() => chooseLanInterface({ interfaces: TABLE, name: "eth7" })).toThrow(/no network interface "eth7" \(this machine has: docker0, ll0, lo, wan0, wlan0\)/);
    });

    it("reads the default route's interfaces from procfs text", () => {
        const files: Record<string, string> = {
            "/proc/net/route": "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" + "wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n" + "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n",
            "/proc/net/ipv6_route": `${"0".repeat(32)} 00 ${"0".repeat(32)} 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003   eth1\n` + `${"0".repeat(32)} 00 ${"0".repeat(32)} 00 ${"0".repeat(32)} ffffffff 00000001 00000000 00200200       lo\n`,
        };
        expect(defaultRouteInterfaces(path => files[path] ?? "")).toEqual(["wlan0", "eth1"]);
        expect(
            defaultRouteInterfaces(() => {
                throw new Error("no procfs");
            }),
        ).toEqual([]);
    });

    it("names the host: localhost, the host name, <first label>.local", () => {
        expect(lanServerNames("camera-box")).toEqual(["localhost", "camera-box", "camera-box.local"]);
        expect(lanServerNames("Box.example.org.")).toEqual(["localhost", "box.example.org", "box.local"]);
        expect(lanServerNames("pi.local")).toEqual(["localhost", "pi.local"]);
        expect(lanServerNames("bad_name")).toEqual(["localhost"]);
    });

    it("parses the LAN options: port 8443 by default, --lan-only options and pairs checked", () => {
        const lan = parseRelayArgs(["--lan", "--interface", "wlan0", "--state-dir=/tmp/x", "--new-cert", "--mdns-interface", "eth1"]);
        expect(lan).toMatchObject({ lan: true, port: LAN_DEFAULT_PORT, interface: "wlan0", stateDir: "/tmp/x", newCert: true, mdnsInterface: "eth1" });
        expect(parseRelayArgs(["--lan", "--port", "9443"]).port).toBe(9443);
        expect(parseRelayArgs([]).port).toBe(8080);
        for (const [argv, message] of [
            [["--interface", "wlan0"], /--interface only applies to the LAN mode/],
            [["--cert", "a.pem", "--key", "b.pem"], /--cert only applies to the LAN mode/],
            [["--new-cert"], /--new-cert only applies/],
            [["--lan", "--cert", "a.pem"], /--cert and --key go together/],
            [["--lan", "--host", "0.0.0.0"], /use --interface NAME instead of --host/],
            [["--lan", "--new-cert", "--cert", "a", "--key", "b"], /does not go with --cert/],
            [["--lan=yes"], /--lan takes no value/],
            [["--lan", "--interface", "a b"], /interface name/],
        ] as const) {
            expect(() => parseRelayArgs([...argv]), argv.join(" ")).toThrow(RelayArgumentError);
            expect(() => parseRelayArgs([...argv])).toThrow(message);
        }
    });
});

const NAMES = lanServerNames("camhost");
const LOOPBACK = ["127.0.0.1", "::1"];

describe("the LAN certificate", () => {
    it("names the addresses, localhost, the host name and <host>.local; kept and used again", async () => {
        const stateDir = freshDir();
        const first = await lanCertificate({ stateDir, addresses: LOOPBACK, names: NAMES });
        expect(first.source).toBe("generated");
        expect(first.reason).toBe("there was none yet");
        expect(subjectAltNames(new X509Certificate(first.cert)).sort()).toEqual(["127.0.0.1", "::1", "camhost", "camhost.local", "localhost"].sort());
        expect(first.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
        const files = certificateFiles(stateDir);
        expect(statSync(files.key).mode & 0o777).toBe(0o600);
        expect(statSync(stateDir).mode & 0o777).toBe(0o700);
        expect(new X509Certificate(readFileSync(files.cert)).fingerprint256).toBe(first.fingerprint256);
        const days = (first.validTo.getTime() - Date.now()) / 86_400_000;
        expect(days).toBeGreaterThan(390);
        expect(days).toBeLessThan(398);

        const again = await lanCertificate({ stateDir, addresses: ["::1"], names: NAMES });
        expect(again.source).toBe("reused");
        expect(again.fingerprint256).toBe(first.fingerprint256);
    });

    it("is made anew when asked, near its end, for a new address, or when its file is garbage", async () => {
        const stateDir = freshDir();
        const first = await lanCertificate({ stateDir, addresses: LOOPBACK, names: NAMES });
        const asked = await lanCertificate({ stateDir, addresses: LOOPBACK, names: NAMES, renew: true });
        expect(asked.source).toBe("generated");
        expect(asked.fingerprint256).not.toBe(first.fingerprint256);

        const moved = await lanCertificate({ stateDir, addresses: [...LOOPBACK, "fd00:0:0:0::99"], names: NAMES });
        expect(moved.reason).toBe("the kept one does not name fd00::99");
        expect(moved.names).toContain("fd00::99");

        writeFileSync(certificateFiles(stateDir).cert, "garbage");
        const repaired = await lanCertificate({ stateDir, addresses: LOOPBACK, names: NAMES });
        expect(repaired.source).toBe("generated");
        expect(repaired.reason).toMatch(/cannot be used .*not a PEM certificate/);

        // last: made "6 days before the end", it is not valid yet at the real now
        const nearEnd = await lanCertificate({ stateDir, addresses: LOOPBACK, names: NAMES, now: new Date(repaired.validTo.getTime() - 6 * 86_400_000) });
        expect(nearEnd.source).toBe("generated");
        expect(nearEnd.reason).toMatch(/expires on/);
    });

    it("serves the user's own files as they are, and refuses files it cannot use with the file's name", async () => {
        const own = await generate([{ name: "commonName", value: "mine" }], { keyType: "ec", algorithm: "sha256", extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }] }] });
        const other = await generate([{ name: "commonName", value: "other" }], { keyType: "ec", algorithm: "sha256" });
        const old = await generate([{ name: "commonName", value: "old" }], { keyType: "ec", algorithm: "sha256", notBeforeDate: new Date(Date.now() - 10 * 86_400_000), notAfterDate: new Date(Date.now() - 86_400_000) });
        const encrypted = await generate([{ name: "commonName", value: "locked" }], { keyType: "ec", algorithm: "sha256", passphrase: "secret" });
        const write = (name: string, text: string) => {
            const path = join(work, name);
            writeFileSync(path, text);
            return path;
        };
        const cert = write("own-cert.pem", own.cert);
        const key = write("own-key.pem", own.private);
        const loaded = await loadCertificateFiles(cert, key, ["localhost", "127.0.0.1"]);
        expect(loaded).toMatchObject({ source: "files", missing: ["127.0.0.1"], fingerprint256: new X509Certificate(own.cert).fingerprint256 });

        const refusals: [() => Promise<unknown>, RegExp][] = [
            [() => loadCertificateFiles(cert, write("other-key.pem", other.private)), /the key in .*other-key\.pem does not belong to the certificate in .*own-cert\.pem/],
            [() => loadCertificateFiles(write("old-cert.pem", old.cert), write("old-key.pem", old.private)), /old-cert\.pem expired on/],
            [() => loadCertificateFiles(write("locked-cert.pem", encrypted.cert), write("locked-key.pem", encrypted.private)), /locked-key\.pem is an encrypted private key/],
            [() => loadCertificateFiles(join(work, "nowhere.pem"), key), /cannot read the certificate file .*nowhere\.pem: it does not exist/],
            [() => loadCertificateFiles(key, key), /own-key\.pem is not a PEM certificate/],
            [() => loadCertificateFiles(cert, cert), /own-cert\.pem is not a PEM private key/],
        ];
        for (const [attempt, message] of refusals) {
            const error = await attempt().then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(error).toBeInstanceOf(CertificateError);
            expect((error as Error).message).toMatch(message);
        }
    });
});

/** GET over HTTPS trusting only `ca`; `servername` checks the certificate for that name instead of the address. */
function httpsGet(url: string, ca: string, servername?: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = get(url, { ca, ...(servername !== undefined ? { servername } : {}), timeout: 5_000 }, res => {
            let body = "";
            res.setEncoding("utf8").on("data", chunk => (body += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("timeout", () => req.destroy(new Error("GET timed out")));
        req.on("error", reject);
    });
}

/** The status of a WSS upgrade (101 accepted) trusting only `ca`. */
function wssUpgrade(url: string, ca: string, origin: string | undefined): Promise<number> {
    const target = new URL(url.replace(/^wss/, "https"));
    return new Promise((resolve, reject) => {
        const req = request({
            host: target.hostname.replace(/^\[|\]$/g, ""),
            port: target.port,
            path: `${target.pathname}${target.search}`,
            ca,
            timeout: 5_000,
            headers: {
                Connection: "Upgrade",
                Upgrade: "websocket",
                "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
                "Sec-WebSocket-Version": "13",
                ...(origin !== undefined ? { Origin: origin } : {}),
            },
        });
        req.on("timeout", () => req.destroy(new Error("upgrade timed out")));
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

/** The certificate a TLS server presents at host:port (not verified). */
function presented(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = tlsConnect({ host, port, rejectUnauthorized: false }, () => {
            resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? "");
            socket.destroy();
        });
        socket.setTimeout(5_000, () => socket.destroy(new Error("TLS connect timed out")));
        socket.on("error", reject);
    });
}

describe("the HTTPS relay on loopback", () => {
    it("serves the page on every bound address with the certificate as CA, checks Origins, wants the token", async () => {
        const tls = await lanCertificate({ stateDir: freshDir(), addresses: LOOPBACK, names: NAMES });
        const relay = await startRelay({ staticDir, hosts: LOOPBACK, tls: { cert: tls.cert, key: tls.key }, serverNames: NAMES, urlHost: "127.0.0.1" });
        relays.push(relay);
        expect(relay.secure).toBe(true);
        expect(relay.hosts).toEqual(LOOPBACK);
        expect(relay.pageUrl).toBe(`https://127.0.0.1:${relay.port}/?token=${relay.token}`);
        expect(relay.url).toBe(`wss://127.0.0.1:${relay.port}/matter?token=${relay.token}`);

        for (const url of [`https://127.0.0.1:${relay.port}/`, `https://[::1]:${relay.port}/`]) {
            expect(await httpsGet(url, tls.cert)).toEqual({ status: 200, body: "<!doctype html><title>camera</title>" });
        }
        // by name: the certificate names camhost.local and camhost
        expect((await httpsGet(`https://127.0.0.1:${relay.port}/`, tls.cert, "camhost.local")).status).toBe(200);
        await expect(httpsGet(`https://127.0.0.1:${relay.port}/`, tls.cert, "elsewhere.local")).rejects.toThrow(/altnames|Hostname/i);
        // a client that does not trust it refuses it
        await expect(new Promise((resolve, reject) => get(`https://127.0.0.1:${relay.port}/`, resolve).on("error", reject))).rejects.toThrow(/self-signed|self signed/i);
        expect(await presented("::1", relay.port)).toBe(tls.fingerprint256);

        const port = relay.port;
        for (const origin of [`https://127.0.0.1:${port}`, `https://[::1]:${port}`, `https://localhost:${port}`, `https://camhost.local:${port}`, `https://camhost:${port}`]) {
            expect(await wssUpgrade(relay.url, tls.cert, origin), origin).toBe(101);
        }
        for (const origin of [`http://127.0.0.1:${port}`, `https://127.0.0.1:${port + 1}`, "https://evil.example", `https://192.168.1.5:${port}`, "null"]) {
            expect(await wssUpgrade(relay.url, tls.cert, origin), origin).toBe(403);
        }
        expect(await wssUpgrade(relay.url.replace(/token=[^&]+/, "token=wrong-token-wrong-token"), tls.cert, `https://127.0.0.1:${port}`)).toBe(401);
        expect(await wssUpgrade(relay.url.replace(/\?token=[^&]+/, ""), tls.cert, `https://127.0.0.1:${port}`)).toBe(401);
        expect(relay.origins).not.toBe("any");
        expect([...(relay.origins as string[])].every(o => o.startsWith("https://"))).toBe(true);
    });
});

/** A CLI run: its output lines as they come, its exit. */
class Cli {
    readonly out: string[] = [];
    readonly exited: Promise<number | null>;
    #text = "";

    constructor(
        readonly child: ChildProcess,
        readonly label: string,
    ) {
        children.push(child);
        child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (this.#text += chunk));
        child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (this.#text += chunk));
        this.exited = new Promise(resolve => child.once("close", code => resolve(code)));
    }

    get text(): string {
        return this.#text;
    }

    static run(script: string, args: string[], env: Record<string, string> = {}): Cli {
        const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, script), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        return new Cli(child, `${script} ${args.join(" ")}`);
    }

    async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const match = pattern.exec(this.#text);
            if (match) return match;
            if (this.child.exitCode !== null) throw new Error(`${this.label} exited ${this.child.exitCode} before ${pattern}:\n${this.#text}`);
            if (Date.now() > deadline) throw new Error(`${this.label}: no ${pattern} within ${timeoutMs} ms:\n${this.#text}`);
            await new Promise(resolve => setTimeout(resolve, 50));
        }
    }

    async stop(): Promise<number | null> {
        if (this.child.exitCode === null) this.child.kill("SIGTERM");
        let timer: ReturnType<typeof setTimeout> | undefined;
        const code = await Promise.race([this.exited, new Promise<"late">(resolve => (timer = setTimeout(() => resolve("late"), 20_000)))]);
        clearTimeout(timer);
        if (code === "late") {
            this.child.kill("SIGKILL");
            return this.exited;
        }
        return code;
    }
}

/** The QR block printed after the URL: the lines between the blank lines that follow it. */
function qrBlock(text: string): string {
    const lines = text.split("\n");
    const start = lines.findIndex(l => /^\s*https:\/\/.*token=/.test(l));
    const block: string[] = [];
    let i = start + 2; // the URL, then an empty line
    while (i < lines.length && lines[i] !== "") block.push(lines[i++] as string);
    return block.join("\n");
}

/** Decodes a printed QR block: each module 4×4 pixels, with a white margin. */
function decodePrinted(block: string): string {
    const modules = readTerminalQr(block);
    const scale = 4;
    const margin = 8;
    const size = Math.max(...modules.map(r => r.length));
    const width = size * scale + 2 * margin;
    const height = modules.length * scale + 2 * margin;
    const data = new Uint8Array(width * height * 4).fill(255);
    modules.forEach((row, y) =>
        row.forEach((dark, x) => {
            if (!dark) return;
            for (let dy = 0; dy < scale; dy++) {
                for (let dx = 0; dx < scale; dx++) {
                    const at = ((margin + y * scale + dy) * width + margin + x * scale + dx) * 4;
                    data[at] = data[at + 1] = data[at + 2] = 0;
                }
            }
        }),
    );
    return decodeQR({ width, height, data });
}

const PAGE_URL = /^\s*(https:\/\/127\.0\.0\.1:(\d+)\/\?token=[\w-]+&mdns=lo)$/m;
const FINGERPRINT = /fingerprint[^\n]*\n\s*((?:[0-9A-F]{2}:){31}[0-9A-F]{2})/;

describe("the LAN mode's command line", () => {
    it("relay --lan: the URL with mdns=, its QR code, the fingerprint; reused next start, replaced with --new-cert", async () => {
        const stateDir = freshDir();
        const args = ["--lan", "--interface", "lo", "--port", "0", "--state-dir", stateDir, "--static", staticDir];
        const first = Cli.run("src/cli/relay.ts", args);
        const url = await first.waitFor(PAGE_URL);
        const fingerprint = (await first.waitFor(FINGERPRINT))[1];
        await first.waitFor(/the page is also at: .*https:\/\/\[::1\]:\d+\//);
        expect(first.text).toMatch(/LAN mode on lo \(127\.0\.0\.1, ::1\), HTTPS/);
        expect(first.text).toMatch(/certificate: made a new self-signed one \(there was none yet\)/);
        const block = qrBlock(first.text);
        expect(block.split("\n").length).toBeGreaterThan(15);
        expect(block).not.toMatch(/\x1b/); // not a terminal: no colour codes
        expect(decodePrinted(block)).toBe(url[1]);
        const kept = readFileSync(certificateFiles(stateDir).cert, "utf8");
        expect(new X509Certificate(kept).fingerprint256).toBe(fingerprint);
        expect(await presented("127.0.0.1", Number(url[2]))).toBe(fingerprint);
        expect((await httpsGet(url[1] as string, kept)).status).toBe(200);
        expect(await first.stop()).toBe(0);

        const second = Cli.run("src/cli/relay.ts", args);
        expect((await second.waitFor(FINGERPRINT))[1]).toBe(fingerprint);
        expect(second.text).toMatch(/certificate: the self-signed one kept in/);
        expect(await second.stop()).toBe(0);

        const third = Cli.run("src/cli/relay.ts", [...args, "--new-cert"]);
        expect((await third.waitFor(FINGERPRINT))[1]).not.toBe(fingerprint);
        expect(third.text).toMatch(/a new one was asked for/);
        expect(await third.stop()).toBe(0);
    }, 120_000);

    it("relay --lan --cert --key: serves the user's files, and warns about names they lack", async () => {
        const own = await generate([{ name: "commonName", value: "mine" }], { keyType: "ec", algorithm: "sha256", extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }] });
        const cert = join(work, "cli-cert.pem");
        const key = join(work, "cli-key.pem");
        writeFileSync(cert, own.cert);
        writeFileSync(key, own.private);
        const cli = Cli.run("src/cli/relay.ts", ["--lan", "--interface", "lo", "--port", "0", "--cert", cert, "--key", key, "--static", staticDir]);
        const url = await cli.waitFor(PAGE_URL);
        expect((await cli.waitFor(FINGERPRINT))[1]).toBe(new X509Certificate(own.cert).fingerprint256);
        expect(cli.text).toMatch(/warning: the certificate does not name localhost, .*::1/);
        expect((await httpsGet(url[1] as string, own.cert)).status).toBe(200);
        expect(await cli.stop()).toBe(0);
    }, 60_000);

    it("exits 2 with the reason for unusable certificate files and a missing interface", async () => {
        const own = await generate([{ name: "commonName", value: "a" }], { keyType: "ec", algorithm: "sha256" });
        const other = await generate([{ name: "commonName", value: "b" }], { keyType: "ec", algorithm: "sha256" });
        const cert = join(work, "bad-cert.pem");
        const key = join(work, "bad-key.pem");
        writeFileSync(cert, own.cert);
        writeFileSync(key, other.private);
        const cases: [string[], RegExp][] = [
            [["--lan", "--interface", "lo", "--cert", cert, "--key", key], /relay: the key in .*bad-key\.pem does not belong to the certificate in .*bad-cert\.pem/],
            [["--lan", "--interface", "lo", "--cert", join(work, "missing.pem"), "--key", key], /relay: cannot read the certificate file .*missing\.pem: it does not exist/],
            [["--lan", "--interface", "no-such-if0"], /relay: there is no network interface "no-such-if0"/],
            [["--lan", "--cert", cert], /relay: --cert and --key go together/],
        ];
        for (const [args, message] of cases) {
            const cli = Cli.run("src/cli/relay.ts", [...args, "--port", "0", "--static", staticDir, "--state-dir", freshDir()]);
            expect(await cli.exited, args.join(" ")).toBe(2);
            expect(cli.text).toMatch(message);
            expect(cli.text).not.toMatch(/\n\s+at /); // a message, not a stack
        }
    }, 90_000);

    it("npm start -- --lan: the page URL carries the LAN interface as mdns=, or --mdns-interface's", async () => {
        const stateDir = freshDir();
        const start = Cli.run("src/cli/start.ts", ["--lan", "--interface", "lo", "--port", "0", "--state-dir", stateDir]);
        const url = await start.waitFor(PAGE_URL, 120_000);
        const fingerprint = (await start.waitFor(FINGERPRINT))[1];
        expect(decodePrinted(qrBlock(start.text))).toBe(url[1]);
        expect(new X509Certificate(readFileSync(certificateFiles(stateDir).cert)).fingerprint256).toBe(fingerprint);
        expect(await start.stop()).toBe(0);

        const other = Cli.run("src/cli/start.ts", ["--lan", "--interface", "lo", "--port", "0", "--state-dir", stateDir, "--mdns-interface", "eth9"]);
        await other.waitFor(/^\s*https:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+&mdns=eth9$/m, 120_000);
        expect(other.text).toMatch(/certificate: the self-signed one kept in/);
        expect(await other.stop()).toBe(0);
    }, 240_000);
});
