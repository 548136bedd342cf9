/**
 * A real TURN server for tests: Debian's coturn (`turnserver`), started on loopback for one test
 * file and stopped after it. Nothing reaches beyond this machine: it listens on 127.0.0.1, relays
 * on another loopback address (default 127.0.0.2, so a relayed path is told apart from a direct
 * one by its address), and has no TLS, no CLI and no database outside its temp directory.
 *
 * Credentials follow the TURN REST API (coturn's `use-auth-secret`), the shape SmartThings sends
 * in its ICEServers: username `<expiry>:<id>`, credential base64(HMAC-SHA1(secret, username)).
 * `allocations()` counts the allocations the server granted, read from its log; with the selected
 * candidate pair being `relay`, that shows a session really went through it.
 */

import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const TURNSERVER_PATH = process.env.TURNSERVER_PATH ?? "/usr/bin/turnserver";

export interface TurnServer {
    /** `turn:127.0.0.1:<port>` (UDP). */
    url: string;
    port: number;
    /** The loopback address relayed candidates carry. */
    relayAddress: string;
    /** REST-API credentials valid for an hour, as a Matter ICEServerStruct's Username / Credential. */
    credentials(id?: string): { username: string; credential: string };
    /** Allocations granted so far (successful ALLOCATE requests). */
    allocations(): number;
    close(): Promise<void>;
}

export interface TurnServerOptions {
    /** Listening port (UDP and TCP); default a random one in 34000–34999. */
    port?: number;
    relayAddress?: string;
}

/** Starts coturn; rejects with a readable message when it is not installed or does not come up. */
export async function startTurnServer(options: TurnServerOptions = {}): Promise<TurnServer> {
    if (!existsSync(TURNSERVER_PATH)) {
        throw new Error(`no TURN server at ${TURNSERVER_PATH}: apt-get install --no-install-recommends coturn (.ci/run does)`);
    }
    const port = options.port ?? 34_000 + Math.floor(Math.random() * 500) * 2;
    const relayAddress = options.relayAddress ?? "127.0.0.2";
    const secret = randomBytes(16).toString("hex");
    const dir = mkdtempSync(join(tmpdir(), "mwp-turn-"));
    const relayPorts = 35_000 + Math.floor(Math.random() * 50) * 200;
    const args = [
        "-n",
        "--listening-ip=127.0.0.1",
        `--relay-ip=${relayAddress}`,
        `--listening-port=${port}`,
        `--min-port=${relayPorts}`,
        `--max-port=${relayPorts + 199}`,
        "--use-auth-secret",
        `--static-auth-secret=${secret}`,
        "--realm=mwp.test",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--allow-loopback-peers",
        "--fingerprint",
        "--no-software-attribute",
        "--log-file=stdout",
        "--simple-log",
        "--verbose", // session lines: the ALLOCATE successes allocations() counts
        `--pidfile=${join(dir, "turnserver.pid")}`,
        `--userdb=${join(dir, "turndb.sqlite")}`,
    ];
    const child: ChildProcess = spawn(TURNSERVER_PATH, args, { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    const append = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.length > 4_000_000) log = log.slice(-2_000_000); // long runs: keep the tail
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    const exited = new Promise<number | null>(resolve => child.once("exit", code => resolve(code)));

    // up once it logs that its listener runs (bounded)
    const deadline = Date.now() + 5_000;
    while (!/Total (General|UDP|auth) servers|IPv4\. UDP listener opened|listener opened on/.test(log)) {
        if (child.exitCode !== null) throw new Error(`turnserver exited (${child.exitCode}):\n${log.slice(-2000)}`);
        if (Date.now() > deadline) {
            child.kill("SIGKILL");
            throw new Error(`turnserver did not come up within 5 s:\n${log.slice(-2000)}`);
        }
        await new Promise(resolve => setTimeout(resolve, 50));
    }

    return {
        url: `turn:127.0.0.1:${port}`,
        port,
        relayAddress,
        credentials(id = "camera-test") {
            const username = `${Math.floor(Date.now() / 1000) + 3600}:${id}`;
            return { username, credential: createHmac("sha1", secret).update(username).digest("base64") };
        },
        allocations: () => (log.match(/ALLOCATE processed, success/g) ?? []).length,
        async close() {
            if (child.exitCode === null) {
                child.kill("SIGTERM");
                const stopped = await Promise.race([exited, new Promise(resolve => setTimeout(() => resolve("timeout"), 3_000))]);
                if (stopped === "timeout") child.kill("SIGKILL");
                await exited;
            }
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
