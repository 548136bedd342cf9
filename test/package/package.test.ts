/**
 * The npm package as a consumer meets it (consumer.ts: `npm pack`, then installed into a fresh
 * project outside the checkout with only its declared dependencies, plus TypeScript and Vite):
 *
 * 1. the tarball holds the built package only (JavaScript with .d.ts, the three .wasm profiles,
 *    the Node camera's fixtures, the built page), no sources, tests or AssemblyScript;
 * 2. every entry point resolves inside the consumer's node_modules and imports in Node; the core
 *    loads by profile name from the installed package in Node, Deno and Bun;
 * 3. the README's two examples type-check against the installed types (strict, skipLibCheck off);
 * 4. the README's camera example runs: a real matter.js controller commissions it over UDP/TCP
 *    on loopback, a ProvideOffer session reaches its own hook (the line it prints) and streams
 *    video to a node-datachannel viewer; SIGTERM stops it cleanly;
 * 5. the README's page example, bundled by the consumer's Vite, runs in Chromium served by the
 *    package's own `relay` bin: the tab comes online, a controller commissions it with the code
 *    the page shows, and a SolicitOffer gets the tab's H.264 Offer;
 * 6. `npx matter-webrtc-provider` lists its commands and forwards `--help`.
 *
 * About a minute and a half, most of it the install (from npm's cache) and the two type-checks.
 */

import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualPairingCodeCodec } from "@matter/main/types";
import nodeDataChannel from "node-datachannel";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_PATH, TEST_CHROMIUM_ARGS } from "../support/chromium-args.js";
import { CameraChild, bin, openLiveSession, type LiveSession } from "../runtimes/camera-host.js";
import { TestController, testEnvironment, testPort } from "../support/matter-controller.js";
import { tabCameraPortRange, tabControllerPort } from "../support/tab-camera.js";
import { createConsumerProject, readmeExample, type ConsumerProject } from "./consumer.js";

const PACKAGE = "matter-webrtc-provider";
const NODE_ENTRIES = [".", "./engine", "./node", "./relay", "./relay-client"];
/** No module path or preloaded loader from this process reaches the consumer's programs. */
const OWN_PATH_ONLY = { NODE_OPTIONS: "", NODE_PATH: "" };

const env = testEnvironment();
let project: ConsumerProject;
const cleanups: (() => Promise<void> | void)[] = [];

const NODE_TSCONFIG = {
    compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        outDir: "out",
        types: ["node"],
        // matter.js's own declarations use WebCrypto types
        lib: ["ES2022", "DOM"],
        skipLibCheck: false,
    },
    include: ["src"],
};
const PAGE_TSCONFIG = {
    compilerOptions: {
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "Bundler",
        strict: true,
        noEmit: true,
        types: [],
        lib: ["ES2022", "DOM", "DOM.Iterable"],
        skipLibCheck: false,
    },
    include: ["page.ts"],
};
const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>my camera</title></head>
<body><script type="module" src="./page.ts"></script></body></html>
`;

beforeAll(async () => {
    project = await createConsumerProject();
    const dir = project.dir;
    mkdirSync(join(dir, "src"));
    mkdirSync(join(dir, "web"));
    writeFileSync(join(dir, "src", "camera.ts"), readmeExample("camera.ts"));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(NODE_TSCONFIG, null, 2));
    writeFileSync(join(dir, "web", "page.ts"), readmeExample("page.ts"));
    writeFileSync(join(dir, "web", "tsconfig.json"), JSON.stringify(PAGE_TSCONFIG, null, 2));
    writeFileSync(join(dir, "web", "index.html"), PAGE_HTML);
}, 300_000);

/** tsc over the consumer's src/ (the README's camera example) into out/, once for the tests that need it. */
let compiling: Promise<unknown> | undefined;
function compileCamera(): Promise<unknown> {
    compiling ??= project.exec(join(project.dir, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], { timeoutMs: 180_000 });
    return compiling;
}

afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    nodeDataChannel.cleanup();
    project?.remove();
    env.cleanup();
}, 60_000);

describe("the packed package", () => {
    it("holds the built package only: JavaScript with types, the .wasm profiles, fixtures and the page", () => {
        const paths = project.pack.files.map(f => f.path);
        const outside = paths.filter(p => !p.startsWith("lib/") && p !== "package.json" && p !== "README.md");
        expect(outside).toEqual([]);
        for (const profile of ["tiny", "default", "large"]) expect(paths).toContain(`lib/build/${profile}.wasm`);
        for (const file of ["lib/src/index.js", "lib/src/index.d.ts", "lib/worker/index.js", "lib/worker/camera-worker.js", "lib/src/cli/main.js"]) {
            expect(paths).toContain(file);
        }
        expect(paths).toContain("lib/dist/web/index.html");
        expect(paths).toContain("lib/src/media/node/fixtures/testsrc-320x240.h264");
        const sources = paths.filter(p => (p.endsWith(".ts") && !p.endsWith(".d.ts")) || p.includes("/test/") || p.includes("assembly/"));
        expect(sources).toEqual([]);
        // every module has its declarations
        const js = paths.filter(p => p.endsWith(".js") && !p.startsWith("lib/dist/"));
        expect(js.filter(p => !paths.includes(p.replace(/\.js$/, ".d.ts")))).toEqual([]);
    });

    it("resolves every Node entry point inside the consumer's node_modules and imports it", async () => {
        const probe = `
            const out = {};
            for (const entry of ${JSON.stringify(NODE_ENTRIES)}) {
                const specifier = entry === "." ? "${PACKAGE}" : "${PACKAGE}/" + entry.slice(2);
                const module = await import(specifier);
                out[entry] = { url: import.meta.resolve(specifier), exports: Object.keys(module).length };
            }
            out.wasm = import.meta.resolve("${PACKAGE}/wasm/default.wasm");
            console.log(JSON.stringify(out));`;
        writeFileSync(join(project.dir, "probe.mjs"), probe);
        const { stdout } = await project.exec(process.execPath, ["probe.mjs"]);
        const found = JSON.parse(stdout) as Record<string, { url: string; exports: number } | string>;
        const installed = `file://${join(project.dir, "node_modules", PACKAGE)}/`;
        for (const entry of NODE_ENTRIES) {
            const { url, exports } = found[entry] as { url: string; exports: number };
            expect(url.startsWith(installed), `${entry} → ${url}`).toBe(true);
            expect(exports, entry).toBeGreaterThan(0);
        }
        expect(found.wasm).toBe(`${installed}lib/build/default.wasm`);
    }, 60_000);

    it.each([
        ["node", () => [process.execPath, ["core.mjs"]] as const],
        ["bun", () => [bin("bun"), ["core.mjs"]] as const],
        ["deno", () => [bin("deno"), ["run", "--allow-read", "--allow-env", "core.mjs"]] as const],
    ])("loads the core by profile name from the installed package in %s", async (_runtime, launch) => {
        writeFileSync(
            join(project.dir, "core.mjs"),
            `import { Core } from "${PACKAGE}/engine";
             const core = await Core.load("tiny");
             console.log(JSON.stringify(core.capacities));`,
        );
        const [command, args] = launch();
        const { stdout } = await project.exec(command, [...args]);
        expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toMatchObject({ sessions: 3 });
    }, 60_000);

    it("type-checks the README's camera and page examples against the installed types", async () => {
        await compileCamera();
        await project.exec(join(project.dir, "node_modules", ".bin", "tsc"), ["-p", "web/tsconfig.json"], { timeoutMs: 180_000 });
        expect(readFileSync(join(project.dir, "out", "camera.js"), "utf8")).toContain("WebRtcService.install");
    }, 240_000);

    it("runs the README's camera example: commissioned by a real controller, a session reaches its hook and streams", async () => {
        await compileCamera();
        const cameraPort = testPort();
        const storage = mkdtempSync(join(tmpdir(), "mwp-consumer-storage-"));
        let session: LiveSession | undefined;
        const camera = await CameraChild.spawnProgram({
            command: process.execPath,
            args: ["out/camera.js"],
            cwd: project.dir,
            ready: /^pairing code \d+/,
            startTimeoutMs: 30_000,
            env: { ...OWN_PATH_ONLY, CAMERA_PORT: String(cameraPort), CAMERA_ICE_ADDRESS: "127.0.0.1", MATTER_STORAGE_PATH: storage },
        });
        const controller = await TestController.create("ctl-consumer", testPort(), cameraPort);
        cleanups.push(async () => {
            session?.local.close();
            await camera.stop(5_000);
            await controller.close();
            rmSync(storage, { recursive: true, force: true });
        });
        const peer = await controller.commission(cameraPort);
        // the default mode's stream 0 of each kind: nothing to allocate
        session = await openLiveSession(controller, peer, { video: 0, audio: 0 }, { timeoutMs: 20_000, minFrames: 10 });
        const hookLine = await camera.waitForLine(new RegExp(`^session ${session.id}: Offer from node \\d+ on fabric \\d+$`), 5_000);
        expect(hookLine).toContain(`session ${session.id}`);
        expect(session.local.video.frames).toBeGreaterThanOrEqual(10);
        expect(await peer.endSession(session.id)).toEqual({ ok: true, value: undefined });
        session.local.close();
        session = undefined;
        const stopped = await camera.stop(10_000);
        expect(stopped, camera.output().slice(-2000)).toMatchObject({ code: 0, graceful: true });
    }, 240_000);

    it("bundles the README's page example with Vite; in Chromium, served by the package's relay bin, it is a camera", async () => {
        await project.exec(join(project.dir, "node_modules", ".bin", "vite"), ["build", "web", "--outDir", "../dist-web", "--emptyOutDir", "--logLevel", "warn"], {
            timeoutMs: 120_000,
        });
        const assets = readdirSync(join(project.dir, "dist-web", "assets"));
        expect(assets.some(name => /^camera-worker-.*\.js$/.test(name)), assets.join(", ")).toBe(true);
        expect(assets.filter(name => name.endsWith(".wasm"))).toHaveLength(3);

        const ports = tabCameraPortRange();
        const relay = await CameraChild.spawnProgram({
            command: join(project.dir, "node_modules", ".bin", PACKAGE),
            args: ["relay", "--port", "0", "--static", "dist-web", "--matter-ports", `${ports.from}-${ports.to}`],
            cwd: project.dir,
            ready: /^relay: open http:\/\/127\.0\.0\.1:\d+\/\?token=/,
            startTimeoutMs: 20_000,
            env: OWN_PATH_ONLY,
        });
        let browser: Browser | undefined;
        let controller: TestController | undefined;
        cleanups.push(async () => {
            await browser?.close();
            await controller?.close();
            await relay.stop(5_000);
        });
        const url = (await relay.waitForLine(/^relay: open /, 1_000)).replace(/^relay: open /, "");
        browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...TEST_CHROMIUM_ARGS] });
        const page = await browser.newPage();
        const pageErrors: string[] = [];
        const consoleLines: string[] = [];
        page.on("pageerror", error => pageErrors.push(String(error)));
        page.on("console", message => consoleLines.push(message.text()));
        // mDNS on loopback only, as every test keeps it
        await page.goto(`${url}&mdns=lo`);
        await page.waitForFunction(() => document.body.textContent?.includes("pairing code"), null, { timeout: 30_000 });
        const text = (await page.evaluate(() => document.body.textContent)) ?? "";
        const code = /pairing code (\d{11})/.exec(text)?.[1];
        expect(code, text).toBeDefined();
        // the worker's own line: "camera: online on Matter port N (waiting to be commissioned) …"
        const online = consoleLines.find(line => /^camera: online on Matter port \d+/.test(line));
        expect(online, consoleLines.join("\n")).toBeDefined();
        const port = Number(/Matter port (\d+)/.exec(online!)![1]);

        controller = await TestController.create("ctl-consumer-tab", tabControllerPort(), port);
        const peer = await controller.commission(port, ManualPairingCodeCodec.decode(code!).passcode);
        const solicited = await peer.solicitOffer({ videoStreamId: 0, audioStreamId: 0 });
        if (!solicited.ok) throw new Error(`SolicitOffer refused: 0x${solicited.status.toString(16)}`);
        const id = solicited.value.webRtcSessionId;
        await peer.track(id, [0], [0]);
        const offer = await controller.waitFor(r => r.kind === "offer" && r.sessionId === id, 15_000).catch((error: unknown) => {
            throw new Error(`${String(error)}\npage console:\n${consoleLines.slice(-40).join("\n")}\nrelay:\n${relay.output().slice(-2000)}`);
        });
        expect(offer.sdp).toMatch(/^m=video /m);
        expect(offer.sdp).toMatch(/a=rtpmap:\d+ H264\/90000/);
        expect(await peer.endSession(id)).toEqual({ ok: true, value: undefined });
        expect(pageErrors).toEqual([]);
    }, 120_000);

    it("runs as npx matter-webrtc-provider: lists its commands and forwards --help", async () => {
        const { stdout } = await project.exec(join(project.dir, "node_modules", ".bin", PACKAGE), ["--help"]);
        for (const command of ["start", "camera", "relay"]) expect(stdout).toMatch(new RegExp(`^  ${command} `, "m"));
        const camera = await project.exec(join(project.dir, "node_modules", ".bin", PACKAGE), ["camera", "--help"]);
        expect(camera.stdout).toContain("--port");
        const unknown = await project.exec(join(project.dir, "node_modules", ".bin", PACKAGE), ["film"]).then(
            () => "exit 0",
            (error: { code?: number; stderr?: string }) => `exit ${error.code}: ${error.stderr ?? ""}`,
        );
        expect(unknown).toMatch(/^exit 2: matter-webrtc-provider: unknown command "film"/);
    }, 60_000);
});
