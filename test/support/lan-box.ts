/**
 * A LAN in a box: Linux network namespaces joined by veth pairs, made by the test itself, so a
 * camera and a controller can find each other by real mDNS and talk over a real link without any
 * traffic leaving this machine.
 *
 * Layout. Every host is a namespace `mwplan-<pid>-<rand>-<host>` whose only interfaces are `lo`
 * and `lan0`. Two hosts: one veth pair joins their `lan0`s directly. More than two: each `lan0` is
 * one end of a veth pair whose other end sits on a bridge `br0` in an extra namespace
 * `mwplan-<pid>-<rand>-lan`. The veths are created inside the namespaces, so nothing of the box ever
 * appears in the host's own namespace.
 *
 * Addresses. IPv6 only: a ULA /64 drawn at random per box (fdXX:XXXX:XXXX:XXXX::/64, so parallel
 * runs never share a prefix) with host n at `::n+1`, and the kernel's link-local fe80:: address.
 * No IPv4 address, no default route, no link to the outside: a packet to any other address has
 * nowhere to go. Duplicate address detection is off in the box (it would hold addresses
 * "tentative" for a second or two after each start), multicast is on, so mDNS (ff02::fb) works on
 * `lan0` — point matter.js at it with MATTER_MDNS_NETWORKINTERFACE=lan0.
 *
 * A dead-end default route, for browsers (`deadEndRoute: ["camera"]`): Chromium with its default
 * settings (a page without camera permission) gathers ICE candidates only on the interface of the
 * default route, and finds none (Chromium 156, measured) unless there is an IPv4 default route.
 * Such a host gets default routes (IPv4 and IPv6) via a gateway address that no host of the box
 * holds: the route exists for the browser's lookup of its local address, and a packet for anywhere
 * else dies in that namespace, its neighbour lookup for the gateway unanswered. The box still has
 * no link to the outside. Every host of such a box then also gets an IPv4 link-local address
 * (169.254.R.n/16, n as in IPv6): a host with IPv4 advertises it in mDNS, and a peer without
 * IPv4 would try it first and wait out the failure (matter.js: 15 s before the next address).
 *
 * Processes. `run(host, command, args)` spawns `ip netns exec <ns> command args` in a process group
 * of its own and keeps its output as lines (stdout JSON lines parsed as well); `destroy()` stops
 * every process it started (SIGTERM, SIGKILL after a bound), then kills whatever still runs in the
 * box's namespaces (a browser's helpers, say) and deletes the namespaces, which takes their veths
 * with them. A box that a crashed run left behind is removed by the next run's `sweepStaleBoxes()`
 * (its owner pid is gone), and a process that exits without `destroy()` removes its boxes in an
 * `exit` handler.
 *
 * Limits: Linux with iproute2, as root (or CAP_NET_ADMIN + CAP_SYS_ADMIN). {@link probeNamespaces}
 * says why namespaces are refused where they are; {@link describeLan} turns that into a failing
 * test with the reason (never a skip).
 */

import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, test } from "vitest";

/** Every namespace of a box starts with this (the stale sweep matches on it). */
export const BOX_PREFIX = "mwplan-";
/** The one LAN interface in every host namespace. */
export const LAN_INTERFACE = "lan0";

const IP_TIMEOUT_MS = 10_000;

/** Runs `ip args` (bounded); resolves with stdout, rejects with stderr's message. */
function ip(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile("ip", args, { timeout: IP_TIMEOUT_MS }, (error, stdout, stderr) => {
            if (error) reject(new Error(`ip ${args.join(" ")}: ${stderr.trim() || error.message}`));
            else resolve(stdout);
        });
    });
}

function ipSync(args: string[]): string {
    return execFileSync("ip", args, { timeout: IP_TIMEOUT_MS, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function listNamespaces(): string[] {
    try {
        // "name (id: 3)" or "name"
        return ipSync(["netns", "list"])
            .split("\n")
            .map(l => l.trim().split(/\s+/)[0] ?? "")
            .filter(n => n.length > 0);
    } catch {
        return [];
    }
}

function namespacePids(ns: string): number[] {
    try {
        return ipSync(["netns", "pids", ns])
            .split(/\s+/)
            .filter(p => /^\d+$/.test(p))
            .map(Number);
    } catch {
        return [];
    }
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** SIGKILLs everything inside `namespaces` and deletes them; synchronous, never throws. */
function removeNamespacesSync(namespaces: string[]): void {
    for (const ns of namespaces) {
        for (const pid of namespacePids(ns)) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                // already gone
            }
        }
    }
    for (const ns of namespaces) {
        try {
            ipSync(["netns", "del", ns]);
        } catch {
            // already gone
        }
    }
}

/**
 * Removes boxes left by runs that died without cleaning up: namespaces named `mwplan-<pid>-…`
 * whose pid is no longer alive (a live pid is a parallel run, left alone). Returns what it removed.
 */
export function sweepStaleBoxes(): string[] {
    const stale = listNamespaces().filter(ns => {
        const match = /^mwplan-(\d+)-/.exec(ns);
        return match !== null && !alive(Number(match[1]));
    });
    removeNamespacesSync(stale);
    return stale;
}

/**
 * Why network namespaces cannot be used here, or undefined when they can: adds and deletes a
 * namespace of its own (synchronous, so a suite can decide at collection time).
 */
export function probeNamespaces(): string | undefined {
    const ns = `${BOX_PREFIX}${process.pid}-probe-${randomBytes(2).toString("hex")}`;
    try {
        ipSync(["netns", "add", ns]);
    } catch (error) {
        const stderr = (error as { stderr?: string }).stderr?.trim();
        return `"ip netns add" was refused (${stderr || (error as Error).message}); the LAN-in-a-box suite needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and iproute2`;
    }
    try {
        ipSync(["netns", "del", ns]);
    } catch {
        // the sweep of a later run removes it
    }
    return undefined;
}

/**
 * `describe` for a suite on a LAN in a box. Where namespaces are refused (not root, no iproute2),
 * the suite is one test that fails with the reason: a run that cannot build the LAN must not pass
 * quietly, on CI or anywhere else.
 */
export function describeLan(name: string, body: () => void): void {
    const refused = probeNamespaces();
    if (refused === undefined) {
        describe(name, body);
    } else {
        describe(name, () => {
            test("network namespaces are available", () => {
                throw new Error(refused);
            });
        });
    }
}

/** One host of the box. */
export interface LanHost {
    name: string;
    /** The namespace's name (for `ip netns exec`). */
    ns: string;
    /** Its ULA address (no brackets, no prefix length). */
    address: string;
    /** Its link-local address on `lan0` (without the `%lan0` zone), read after the link came up. */
    linkLocal: string;
    interface: string;
    /** Its IPv4 link-local address, only in a box with a dead-end route. */
    ipv4?: string;
}

export interface RunOptions {
    /** Environment added to this process's own. */
    env?: Record<string, string>;
    cwd?: string;
    /** A short label for error messages (default the command's base name). */
    label?: string;
}

/** A process running inside a box host: its output as lines, JSON lines parsed, a bounded stop. */
export class LanProcess {
    readonly stdout: string[] = [];
    readonly stderr: string[] = [];
    /** Every stdout line that parsed as a JSON object, in order. */
    readonly json: Record<string, unknown>[] = [];
    exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    readonly #waiters = new Set<() => void>();

    constructor(
        readonly child: ChildProcess,
        readonly label: string,
    ) {
        const lines = (target: string[], parse: boolean) => {
            let partial = "";
            return (chunk: string) => {
                partial += chunk;
                const parts = partial.split("\n");
                partial = parts.pop() ?? "";
                for (const line of parts) {
                    if (line.length === 0) continue;
                    target.push(line);
                    if (parse && line.startsWith("{")) {
                        try {
                            const value: unknown = JSON.parse(line);
                            if (typeof value === "object" && value !== null) this.json.push(value as Record<string, unknown>);
                        } catch {
                            // a log line that merely starts with a brace
                        }
                    }
                }
                this.#wake();
            };
        };
        child.stdout?.setEncoding("utf8").on("data", lines(this.stdout, true));
        child.stderr?.setEncoding("utf8").on("data", lines(this.stderr, false));
        // a child that exits before reading its stdin must not take the test down with EPIPE
        child.stdin?.on("error", () => {});
        this.exited = new Promise(resolve => {
            child.once("error", error => {
                this.stderr.push(`spawn failed: ${error.message}`);
                this.exit ??= { code: null, signal: null };
                this.#wake();
                resolve(this.exit);
            });
            child.once("close", (code, signal) => {
                this.exit ??= { code, signal };
                this.#wake();
                resolve(this.exit);
            });
        });
    }

    #wake(): void {
        for (const wake of [...this.#waiters]) wake();
    }

    get pid(): number | undefined {
        return this.child.pid;
    }

    get alive(): boolean {
        return this.exit === undefined;
    }

    /** Writes one line to its stdin. */
    send(line: string): void {
        this.child.stdin?.write(`${line}\n`);
    }

    /** The last `count` lines of output, for failure messages. */
    tail(count = 60): string {
        return [...this.stdout.map(l => `out| ${l}`), ...this.stderr.map(l => `err| ${l}`)].slice(-count).join("\n");
    }

    /** Waits (bounded) until `find` returns something; throws on timeout or when the process exits first. */
    async waitUntil<T>(what: string, find: () => T | undefined, timeoutMs: number): Promise<T> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const hit = find();
            if (hit !== undefined) return hit;
            if (this.exit !== undefined) {
                throw new Error(`${this.label} exited (code ${String(this.exit.code)}, signal ${String(this.exit.signal)}) before ${what}\n${this.tail()}`);
            }
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`${this.label}: timed out after ${timeoutMs} ms waiting for ${what}\n${this.tail()}`);
            await new Promise<void>(resolve => {
                const waiters = this.#waiters;
                const timer = setTimeout(done, left);
                function done() {
                    clearTimeout(timer);
                    waiters.delete(done);
                    resolve();
                }
                waiters.add(done);
            });
        }
    }

    /** Waits for an output line (stdout or stderr) matching `pattern`. */
    waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
        return this.waitUntil(String(pattern), () => [...this.stdout, ...this.stderr].find(l => pattern.test(l)), timeoutMs);
    }

    /** Waits for a JSON line whose `key` is `value` (e.g. `step: "commissioned"`). */
    waitForJson(key: string, value: unknown, timeoutMs: number): Promise<Record<string, unknown>> {
        return this.waitUntil(`{"${key}": ${JSON.stringify(value)}}`, () => this.json.find(j => j[key] === value), timeoutMs);
    }

    #signal(signal: NodeJS.Signals): void {
        const pid = this.child.pid;
        if (pid === undefined || this.exit !== undefined) return;
        try {
            process.kill(-pid, signal); // its process group (spawned detached)
        } catch {
            try {
                process.kill(pid, signal);
            } catch {
                // already gone
            }
        }
    }

    /** SIGTERM to its process group, SIGKILL after `timeoutMs`; resolves once it exited. */
    async stop(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; graceful: boolean }> {
        this.#signal("SIGTERM");
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<"late">(resolve => (timer = setTimeout(() => resolve("late"), timeoutMs)));
        const first = await Promise.race([this.exited, late]);
        clearTimeout(timer);
        if (first !== "late") return { ...first, graceful: true };
        this.#signal("SIGKILL");
        return { ...(await this.exited), graceful: false };
    }
}

const liveBoxes = new Set<LanBox>();
let exitHookInstalled = false;

function installExitHook(): void {
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    // last resort for a run that ends without destroy(): synchronous, so it works in "exit"
    process.on("exit", () => {
        for (const box of liveBoxes) removeNamespacesSync(box.namespaces);
    });
}

/** A random ULA /64 prefix, four groups: fdXX:XXXX:XXXX:XXXX. */
function randomUlaPrefix(): string {
    const bytes = randomBytes(7);
    const groups = [0xfd00 | (bytes[0] as number)];
    for (let i = 1; i < 7; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
    return groups.map(g => g.toString(16)).join(":");
}

export interface LanBoxOptions {
    /** Host names, e.g. ["camera", "controller"] (letters, digits, dashes; at least two). */
    hosts: string[];
    /** Hosts that get a default route to a gateway no host holds; then every host gets IPv4 link-local (see above). */
    deadEndRoute?: string[];
}

export class LanBox {
    readonly #hosts = new Map<string, LanHost>();
    readonly #processes = new Set<LanProcess>();
    #destroyed = false;
    /** R of the box's IPv4 link-local addresses (169.254.R.n), for hosts with a dead-end route. */
    readonly #ipv4Subnet = 1 + (randomBytes(1)[0] as number) % 253;

    private constructor(
        /** `mwplan-<pid>-<rand>`: every namespace of the box starts with it. */
        readonly id: string,
        /** The box's ULA /64, as four groups (`fdXX:…`); host n is `<prefix>::<n+1>`. */
        readonly prefix: string,
        /** Every namespace the box made (hosts, and the bridge's when there is one). */
        readonly namespaces: string[],
    ) {}

    /**
     * Makes the namespaces, veths and addresses, after sweeping stale boxes. On any failure it
     * removes what it made and throws.
     */
    static async create(options: LanBoxOptions): Promise<LanBox> {
        const names = options.hosts;
        if (names.length < 2 || new Set(names).size !== names.length || names.some(n => !/^[a-z0-9-]{1,20}$/.test(n))) {
            throw new Error(`a LAN box needs two or more distinct host names of [a-z0-9-], got ${JSON.stringify(names)}`);
        }
        sweepStaleBoxes();
        installExitHook();
        const id = `${BOX_PREFIX}${process.pid}-${randomBytes(3).toString("hex")}`;
        const box = new LanBox(id, randomUlaPrefix(), []);
        liveBoxes.add(box);
        try {
            await box.#build(names, options);
        } catch (error) {
            await box.destroy();
            throw error;
        }
        return box;
    }

    async #build(names: string[], options: LanBoxOptions): Promise<void> {
        for (const name of options.deadEndRoute ?? []) {
            if (!names.includes(name)) throw new Error(`deadEndRoute names "${name}", which is not a host of the box`);
        }
        const bridged = names.length > 2;
        const hostNs = names.map(n => `${this.id}-${n}`);
        const bridgeNs = `${this.id}-lan`;
        for (const ns of bridged ? [...hostNs, bridgeNs] : hostNs) {
            await ip(["netns", "add", ns]);
            this.namespaces.push(ns);
            // no DAD (addresses usable at once), IPv6 on; set before the veths exist so lan0 inherits it
            await ip(["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.disable_ipv6=0"]);
            await ip(["-n", ns, "link", "set", "lo", "up"]);
        }
        if (bridged) {
            await ip(["-n", bridgeNs, "link", "add", "br0", "type", "bridge"]);
            // a bridge without STP forwards at once, and snooping off floods multicast (mDNS) to every port
            await ip(["-n", bridgeNs, "link", "set", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0"]);
            await ip(["-n", bridgeNs, "link", "set", "br0", "up"]);
            for (let i = 0; i < names.length; i++) {
                const port = `p${i}`;
                await ip(["link", "add", LAN_INTERFACE, "netns", hostNs[i] as string, "type", "veth", "peer", "name", port, "netns", bridgeNs]);
                await ip(["-n", bridgeNs, "link", "set", port, "master", "br0"]);
                await ip(["-n", bridgeNs, "link", "set", port, "up"]);
            }
        } else {
            await ip(["link", "add", LAN_INTERFACE, "netns", hostNs[0] as string, "type", "veth", "peer", "name", LAN_INTERFACE, "netns", hostNs[1] as string]);
        }
        for (let i = 0; i < names.length; i++) {
            const ns = hostNs[i] as string;
            const address = `${this.prefix}::${(i + 1).toString(16)}`;
            await ip(["-n", ns, "addr", "add", `${address}/64`, "dev", LAN_INTERFACE, "nodad"]);
            await ip(["-n", ns, "link", "set", LAN_INTERFACE, "multicast", "on", "up"]);
            this.#hosts.set(names[i] as string, { name: names[i] as string, ns, address, linkLocal: "", interface: LAN_INTERFACE });
        }
        for (const host of this.#hosts.values()) host.linkLocal = await this.#linkLocal(host.ns);
        const routed = options.deadEndRoute ?? [];
        if (routed.length > 0) {
            for (const [i, host] of this.hosts.entries()) {
                host.ipv4 = `169.254.${this.#ipv4Subnet}.${i + 1}`;
                await ip(["-n", host.ns, "addr", "add", `${host.ipv4}/16`, "dev", LAN_INTERFACE]);
            }
        }
        for (const name of routed) {
            const host = this.host(name);
            // the gateway is .254 / ::fe of the box's own prefix: on the link, held by nobody
            await ip(["-n", host.ns, "route", "add", "default", "via", `169.254.${this.#ipv4Subnet}.254`, "dev", LAN_INTERFACE]);
            await ip(["-n", host.ns, "-6", "route", "add", "default", "via", `${this.prefix}::fe`, "dev", LAN_INTERFACE]);
        }
    }

    /** The link-local address the kernel gave lan0 (bounded wait: it appears when the link is up). */
    async #linkLocal(ns: string): Promise<string> {
        const deadline = Date.now() + 5_000;
        for (;;) {
            const out = await ip(["-n", ns, "-6", "-o", "addr", "show", "dev", LAN_INTERFACE, "scope", "link"]);
            const match = /inet6 (fe80::[0-9a-f:]+)\//.exec(out);
            if (match && !/tentative/.test(out)) return match[1] as string;
            if (Date.now() > deadline) throw new Error(`no link-local address on ${LAN_INTERFACE} in ${ns}: ${out.trim()}`);
            await new Promise(resolve => setTimeout(resolve, 50));
        }
    }

    host(name: string): LanHost {
        const host = this.#hosts.get(name);
        if (host === undefined) throw new Error(`no host "${name}" in this LAN box (${[...this.#hosts.keys()].join(", ")})`);
        return host;
    }

    get hosts(): LanHost[] {
        return [...this.#hosts.values()];
    }

    /** Spawns `command args` inside host `name` (own process group, stdin piped); `destroy()` stops it. */
    run(name: string, command: string, args: readonly string[], options: RunOptions = {}): LanProcess {
        if (this.#destroyed) throw new Error("this LAN box was destroyed");
        const host = this.host(name);
        const child = spawn("ip", ["netns", "exec", host.ns, command, ...args], {
            cwd: options.cwd,
            env: { ...process.env, ...options.env },
            stdio: ["pipe", "pipe", "pipe"],
            detached: true,
        });
        const label = options.label ?? `${name}:${command.split("/").pop() ?? command}`;
        const proc = new LanProcess(child, label);
        this.#processes.add(proc);
        void proc.exited.then(() => this.#processes.delete(proc));
        return proc;
    }

    /** Runs `command args` in host `name` to completion (bounded); resolves with stdout, rejects on failure. */
    exec(name: string, command: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
        const ns = this.host(name).ns;
        return new Promise((resolve, reject) => {
            execFile("ip", ["netns", "exec", ns, command, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
                if (error) reject(new Error(`${name}: ${command} ${args.join(" ")}: ${stderr.trim() || error.message}`));
                else resolve(stdout);
            });
        });
    }

    /** Stops every process this box started that still runs (bounded per process). */
    async stopAll(timeoutMs = 10_000): Promise<void> {
        await Promise.all([...this.#processes].map(p => p.stop(timeoutMs)));
    }

    /**
     * Stops its processes, kills anything else still inside its namespaces and deletes them
     * (their veths and the bridge go with them). `graceMs`: how long a process may take to stop on
     * SIGTERM before SIGKILL. Safe to call twice; never throws.
     */
    async destroy(graceMs = 10_000): Promise<void> {
        if (this.#destroyed) return;
        this.#destroyed = true;
        await this.stopAll(graceMs).catch(() => undefined);
        // anything else inside (a browser's helpers, a grandchild): SIGKILL, and wait (bounded) until
        // it is gone, since a namespace and its veths live on while a process holds them
        const rest = this.namespaces.flatMap(namespacePids);
        for (const pid of rest) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                // already gone
            }
        }
        const deadline = Date.now() + 5_000;
        while (rest.some(alive) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50));
        removeNamespacesSync(this.namespaces);
        liveBoxes.delete(this);
    }

    /** Namespaces of this box that still exist (empty after `destroy()`). */
    leftovers(): string[] {
        const existing = new Set(listNamespaces());
        return this.namespaces.filter(ns => existing.has(ns));
    }
}
