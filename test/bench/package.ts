/**
 * The bench's package section: the npm package as a consumer gets it (test/package/consumer.ts:
 * lib/ built, `npm pack`, the tarball installed into a fresh project in the temp directory with
 * its declared dependencies and peers, plus the consumer's TypeScript, Vite and @types/node).
 * Prints:
 *
 * a. size: the tarball (bytes, unpacked bytes, files, from `npm pack --json`), then what the install
 *    puts on disk: node_modules/matter-webrtc-provider alone, the package's dependency closure
 *    (dependencies + installed peers + installed optional dependencies, followed recursively through
 *    node_modules the way Node resolves them) and the whole node_modules including the consumer's
 *    dev tools; apparent bytes (sum of file sizes) and on-disk bytes (allocated 512-byte blocks),
 *    each hard-linked inode counted once, symlinks not followed, as `du` does;
 * b. cold import of each Node entry point of the package's `exports` map, each in a fresh `node`
 *    process with the consumer project as cwd, next to `@matter/main` and `@matter/nodejs` alone;
 * c. the browser entry point: a tiny page that `import()`s "matter-webrtc-provider/browser",
 *    bundled by the consumer's Vite, served on 127.0.0.1 and loaded in Chromium (a fresh browser
 *    context per run, so nothing is cached), and the bundle's files.
 *
 *   node --import tsx test/bench/package.ts     (standalone, after npm run build:wasm)
 *
 * About 1–2 minutes, most of it building lib/ and the install (from npm's cache).
 */

import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium, type Browser } from "playwright-core";
import { CHROMIUM_PATH, TEST_CHROMIUM_ARGS } from "../support/chromium-args.js";
import { createConsumerProject, type ConsumerProject } from "../package/consumer.js";
import { bytes, int, section, table } from "./report.js";

const PACKAGE = "matter-webrtc-provider";
/** The exports that run in Node; "./browser" and "./worker" are browser modules (part c). */
const NODE_ENTRIES = [".", "./engine", "./node", "./relay", "./relay-client"];
const BASELINES = ["@matter/main", "@matter/nodejs"];
const RUNS = Number(process.env.PACKAGE_RUNS ?? 5);
/** No module path or preloaded loader (tsx) from this process reaches the consumer's programs. */
const OWN_PATH_ONLY = { NODE_OPTIONS: "", NODE_PATH: "" };

// ── a. sizes ───────────────────────────────────────────────────────────────────────────────

interface DiskUsage {
    /** Sum of the files' sizes (st.size). */
    apparent: number;
    /** Allocated blocks × 512 (st.blocks), what `du` reports. */
    onDisk: number;
    files: number;
}

/** `du`-like walk: lstat only (symlinks counted as links), each inode once; `skip` prunes directories. */
function diskUsage(root: string, skip: (dir: string) => boolean = () => false, seen = new Set<string>()): DiskUsage {
    const total: DiskUsage = { apparent: 0, onDisk: 0, files: 0 };
    const walk = (path: string): void => {
        const stat = lstatSync(path);
        const inode = `${stat.dev}:${stat.ino}`;
        if (seen.has(inode)) return;
        seen.add(inode);
        total.apparent += stat.size;
        total.onDisk += stat.blocks * 512;
        if (stat.isDirectory()) {
            for (const name of readdirSync(path)) {
                const child = join(path, name);
                if (!skip(child)) walk(child);
            }
        } else {
            total.files++;
        }
    };
    walk(root);
    return total;
}

interface Manifest {
    name?: string;
    version?: string;
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    exports?: Record<string, unknown>;
}

function manifest(dir: string): Manifest {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

/** Where Node finds package `name` from package directory `from`: its own node_modules, then each parent's. */
function resolvePackage(name: string, from: string, root: string): string | undefined {
    let dir = from;
    for (;;) {
        const candidate = join(dir, "node_modules", name);
        if (existsSync(join(candidate, "package.json"))) return candidate;
        if (dir === root || dir.length <= root.length) return undefined;
        // up to the directory holding the node_modules that holds `dir` (scoped names are two levels)
        const at = dir.lastIndexOf("/node_modules/");
        if (at < 0) return undefined;
        dir = dir.slice(0, at);
    }
}

interface Closure {
    /** Package directories reached from the package, itself included. */
    dirs: string[];
    /** Declared but not installed (optional peers, other platforms' optional dependencies). */
    missing: string[];
}

/** The package's dependency closure: dependencies, peers and optional dependencies, recursively, as installed. */
function dependencyClosure(projectDir: string): Closure {
    const start = join(projectDir, "node_modules", PACKAGE);
    const dirs = new Set<string>([start]);
    const missing = new Set<string>();
    const queue = [start];
    while (queue.length > 0) {
        const dir = queue.shift() as string;
        const m = manifest(dir);
        const names = new Set([...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {})]);
        for (const name of names) {
            const found = resolvePackage(name, dir, projectDir);
            if (found === undefined) {
                missing.add(name);
                continue;
            }
            if (dirs.has(found)) continue;
            dirs.add(found);
            queue.push(found);
        }
    }
    return { dirs: [...dirs], missing: [...missing].sort() };
}

interface SizeFigures {
    own: DiskUsage;
    closure: DiskUsage;
    closurePackages: number;
    missing: string[];
    all: DiskUsage;
    allPackages: number;
    largest: { name: string; usage: DiskUsage }[];
}

/** Package directories under a node_modules (scoped ones included), recursively through nested node_modules. */
function countPackages(nodeModules: string): number {
    let n = 0;
    if (!existsSync(nodeModules)) return 0;
    for (const name of readdirSync(nodeModules)) {
        if (name.startsWith(".")) continue;
        const path = join(nodeModules, name);
        const dirs = name.startsWith("@") ? readdirSync(path).map(s => join(path, s)) : [path];
        for (const dir of dirs) {
            if (!existsSync(join(dir, "package.json"))) continue;
            n++;
            n += countPackages(join(dir, "node_modules"));
        }
    }
    return n;
}

function sizeFigures(projectDir: string): SizeFigures {
    const nodeModules = join(projectDir, "node_modules");
    const ownDir = join(nodeModules, PACKAGE);
    const closure = dependencyClosure(projectDir);
    const seen = new Set<string>();
    const closureTotal: DiskUsage = { apparent: 0, onDisk: 0, files: 0 };
    const perPackage: { name: string; usage: DiskUsage }[] = [];
    for (const dir of closure.dirs) {
        // a package's nested node_modules are packages of their own, counted when the closure reaches them
        const usage = diskUsage(dir, path => path === join(dir, "node_modules"), seen);
        closureTotal.apparent += usage.apparent;
        closureTotal.onDisk += usage.onDisk;
        closureTotal.files += usage.files;
        const m = manifest(dir);
        perPackage.push({ name: `${m.name ?? dir}@${m.version ?? "?"}`, usage });
    }
    perPackage.sort((a, b) => b.usage.onDisk - a.usage.onDisk);
    return {
        own: diskUsage(ownDir, path => path === join(ownDir, "node_modules")),
        closure: closureTotal,
        closurePackages: closure.dirs.length,
        missing: closure.missing,
        all: diskUsage(nodeModules),
        allPackages: countPackages(nodeModules),
        largest: perPackage.slice(0, 8),
    };
}

// ── b. Node cold import ────────────────────────────────────────────────────────────────────

const IMPORT_PROBE = `// written by test/bench/package.ts: one cold import, then its figures as one JSON line
const specifier = process.argv[2];
const started = performance.now();
const module = await import(specifier);
const importMs = performance.now() - started;
globalThis.gc?.();
const memory = process.memoryUsage();
console.log(JSON.stringify({ importMs, bootMs: started, exports: Object.keys(module).length, rss: memory.rss, heap: memory.heapUsed }));
process.exit(0);
`;

interface ImportRun {
    /** ms inside the process: `await import(specifier)`. */
    importMs: number;
    /** ms from the process' time origin to the probe's first line (Node's own start-up). */
    bootMs: number;
    /** ms measured here: spawn → exit of the whole process. */
    wallMs: number;
    exports: number;
    rss: number;
    heap: number;
}

interface ImportRow {
    label: string;
    specifier: string;
    runs: ImportRun[];
    error?: string;
}

async function importOnce(project: ConsumerProject, specifier: string): Promise<ImportRun> {
    const started = performance.now();
    const { stdout } = await project.exec(process.execPath, ["--expose-gc", "import-probe.mjs", specifier], { timeoutMs: 60_000, env: OWN_PATH_ONLY });
    const wallMs = performance.now() - started;
    const line = stdout.trim().split("\n").at(-1) ?? "";
    return { ...(JSON.parse(line) as Omit<ImportRun, "wallMs">), wallMs };
}

/** RUNS rounds, each importing every row once in turn (interleaved, so drift spreads over all rows). */
async function nodeImports(project: ConsumerProject, entries: string[]): Promise<ImportRow[]> {
    writeFileSync(join(project.dir, "import-probe.mjs"), IMPORT_PROBE);
    const rows: ImportRow[] = [
        ...entries.map(entry => ({ label: entry === "." ? PACKAGE : `${PACKAGE}/${entry.slice(2)}`, specifier: entry === "." ? PACKAGE : `${PACKAGE}/${entry.slice(2)}`, runs: [] })),
        ...BASELINES.map(name => ({ label: `${name} (baseline)`, specifier: name, runs: [] })),
    ];
    for (let round = 0; round < RUNS; round++) {
        for (const row of rows) {
            if (row.error !== undefined) continue;
            try {
                row.runs.push(await importOnce(project, row.specifier));
            } catch (error) {
                row.error = String((error as { stderr?: string }).stderr || error).trim().split("\n").slice(-3).join(" ").slice(0, 300);
            }
        }
    }
    return rows;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** "median (min–max)" in ms. */
function spread(values: number[], digits = 0): string {
    if (values.length === 0) return "n/a";
    return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}

/** Breaks a long list into lines of at most 110 characters, continued with an indent. */
function wrap(text: string): string {
    const lines: string[] = [];
    let line = "";
    for (const word of text.split(" ")) {
        if (line.length > 0 && line.length + word.length > 110) {
            lines.push(line);
            line = "  ";
        }
        line += (line.trim().length > 0 ? " " : "") + word;
    }
    lines.push(line);
    return lines.join("\n");
}

/** a / b with two significant digits: "1.2×", "0.0052×". */
function share(a: number, b: number): string {
    return b > 0 && Number.isFinite(a) ? `${Number((a / b).toPrecision(2))}×` : "n/a";
}

function mib(n: number): string {
    return Number.isFinite(n) ? (n / 1048576).toFixed(1) : "n/a";
}

// ── c. browser ─────────────────────────────────────────────────────────────────────────────

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>import bench</title></head>
<body><script type="module" src="./main.js"></script></body></html>
`;

/** The page's own module is tiny; the package arrives with the dynamic import (its own chunk). */
const PAGE_JS = `// written by test/bench/package.ts
const entryAt = performance.now();
import("${PACKAGE}/browser").then(
    module => {
        const evaluatedAt = performance.now();
        performance.mark("mwp-imported");
        window.__bench = { entryAt, evaluatedAt, importMs: evaluatedAt - entryAt, exports: Object.keys(module).length };
    },
    error => {
        window.__bench = { error: String(error) };
    },
);
`;

const MIME: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
};

/** A static file server for `root` on 127.0.0.1 (an ephemeral port). */
async function serveStatic(root: string): Promise<{ server: Server; url: string }> {
    const server = createServer((request, response) => {
        const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname));
        const file = join(root, path.endsWith("/") ? `${path}index.html` : path);
        if (!file.startsWith(root) || !existsSync(file) || !lstatSync(file).isFile()) {
            response.writeHead(404).end();
            return;
        }
        readFile(file).then(
            data => response.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" }).end(data),
            () => response.writeHead(500).end(),
        );
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
    });
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

interface BrowserRun {
    /** ms from navigation start (the page's time origin) to the page module's first line. */
    entryAt: number;
    /** ms from navigation start to the package module evaluated. */
    evaluatedAt: number;
    /** ms of `import()`: fetch, compile and evaluate of the package's chunk(s). */
    importMs: number;
    /** ms measured here: page.goto() called → the page reports the module evaluated. */
    wallMs: number;
    exports: number;
    /** Paths the page fetched. */
    fetched: string[];
}

interface BrowserFigures {
    runs: BrowserRun[];
    files: { name: string; bytes: number; gzip: number }[];
    buildMs: number;
    launchMs: number;
    error?: string;
}

async function browserLoad(project: ConsumerProject): Promise<BrowserFigures> {
    const pageDir = join(project.dir, "bench-page");
    const distDir = join(project.dir, "bench-dist");
    mkdirSync(pageDir, { recursive: true });
    writeFileSync(join(pageDir, "index.html"), PAGE_HTML);
    writeFileSync(join(pageDir, "main.js"), PAGE_JS);
    const building = performance.now();
    await project.exec(join(project.dir, "node_modules", ".bin", "vite"), ["build", "bench-page", "--outDir", "../bench-dist", "--emptyOutDir", "--logLevel", "warn"], {
        timeoutMs: 120_000,
        env: OWN_PATH_ONLY,
    });
    const buildMs = performance.now() - building;
    const files: BrowserFigures["files"] = [];
    const list = (dir: string, prefix: string): void => {
        for (const name of readdirSync(dir).sort()) {
            const path = join(dir, name);
            if (lstatSync(path).isDirectory()) list(path, `${prefix}${name}/`);
            else {
                const data = readFileSync(path);
                files.push({ name: `${prefix}${name}`, bytes: data.length, gzip: gzipSync(data, { level: 9 }).length });
            }
        }
    };
    list(distDir, "");
    const figures: BrowserFigures = { runs: [], files, buildMs, launchMs: NaN };
    if (!existsSync(CHROMIUM_PATH)) return { ...figures, error: `no Chromium at ${CHROMIUM_PATH}` };

    let browser: Browser | undefined;
    const { server, url } = await serveStatic(distDir);
    try {
        const launching = performance.now();
        browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...TEST_CHROMIUM_ARGS], timeout: 60_000 });
        figures.launchMs = performance.now() - launching;
        for (let i = 0; i < RUNS; i++) {
            // a fresh context: its own empty HTTP cache and storage
            const context = await browser.newContext();
            try {
                const page = await context.newPage();
                const fetched: string[] = [];
                page.on("request", request => fetched.push(new URL(request.url()).pathname));
                const started = performance.now();
                await page.goto(url, { timeout: 30_000 });
                await page.waitForFunction(() => (window as unknown as { __bench?: unknown }).__bench !== undefined, null, { timeout: 30_000, polling: 5 });
                const wallMs = performance.now() - started;
                const result = (await page.evaluate(() => (window as unknown as { __bench: unknown }).__bench)) as Omit<BrowserRun, "wallMs" | "fetched"> & { error?: string };
                if (result.error !== undefined) throw new Error(`the page's import failed: ${result.error}`);
                figures.runs.push({ ...result, wallMs, fetched });
            } finally {
                await context.close();
            }
        }
    } catch (error) {
        figures.error = String(error).split("\n")[0];
    } finally {
        await browser?.close().catch(() => undefined);
        server.closeAllConnections();
        await new Promise<void>(resolve => server.close(() => resolve()));
    }
    return figures;
}

/** What a file of the page's bundle is; `entry` is the script index.html loads, `fetched` what a page load fetched. */
function fileKind(name: string, entry: string | undefined, fetched: Set<string>): string {
    if (name.endsWith(".html")) return "page HTML";
    if (name.endsWith(".wasm")) return `wasm (${name.split("/").at(-1)?.split("-")[0]} profile)`;
    if (/camera-worker-[\w-]+\.js$/.test(name)) return "camera worker JS";
    if (name === entry) return "page entry JS (the page's own module)";
    if (name.endsWith(".js")) return fetched.has(name) ? `JS chunk of import("…/browser")` : "JS chunk";
    return "other";
}

// ── the section ────────────────────────────────────────────────────────────────────────────

/** The consumer project (cleanEnv() keeps NODE_ENV away from its npm install, which would skip the dev tools). */
async function consumerProject(): Promise<ConsumerProject> {
    const project = await createConsumerProject();
    if (!existsSync(join(project.dir, "node_modules", ".bin", "vite"))) {
        project.remove();
        throw new Error("the consumer's npm install left out its devDependencies (vite)");
    }
    return project;
}

export async function packageSection(): Promise<string> {
    const started = performance.now();
    let project: ConsumerProject | undefined;
    try {
        project = await consumerProject();
        const { pack, timings } = project;
        const installed = manifest(join(project.dir, "node_modules", PACKAGE));
        const exportKeys = Object.keys(installed.exports ?? {});
        const entries = NODE_ENTRIES.filter(e => exportKeys.includes(e));
        const notMeasured = exportKeys.filter(e => !entries.includes(e) && e !== "./browser");

        const steps: Record<string, number> = { "consumer project": performance.now() - started };
        let at = performance.now();
        const lap = (step: string): void => {
            steps[step] = performance.now() - at;
            at = performance.now();
        };
        const sizes = sizeFigures(project.dir);
        lap("sizes");
        const imports = await nodeImports(project, entries);
        lap("node imports");
        const browser = await browserLoad(project);
        lap("browser");

        const usageRow = (label: string, u: DiskUsage, extra = ""): string[] => [label, bytes(u.apparent), bytes(u.onDisk), int(u.files), extra];
        const sizeTable = table(
            ["size", "apparent bytes", "on-disk bytes", "files", ""],
            [
                ["npm pack tarball (.tgz)", bytes(pack.size), "", "", pack.filename],
                ["  unpacked (sum of its files, npm pack --json)", bytes(pack.unpackedSize), "", int(pack.entryCount), ""],
                usageRow(`installed node_modules/${PACKAGE}`, sizes.own, ""),
                usageRow("installed: the package + its dependency closure", sizes.closure, `${sizes.closurePackages} packages`),
                usageRow("installed: the consumer's whole node_modules", sizes.all, `${sizes.allPackages} packages`),
            ],
        );
        const largestTable = table(
            ["largest packages of the closure", "apparent bytes", "on-disk bytes", "files"],
            sizes.largest.map(p => [p.name, bytes(p.usage.apparent), bytes(p.usage.onDisk), int(p.usage.files)]),
        );

        const base = imports.find(r => r.specifier === "@matter/main");
        const baseImport = base === undefined ? NaN : median(base.runs.map(r => r.importMs));
        const baseWall = base === undefined ? NaN : median(base.runs.map(r => r.wallMs));
        const importTable = table(
            ["cold import in a fresh node", "import() ms", "process wall ms", "node boot ms", "import / @matter/main", "wall / @matter/main", "RSS MiB", "heap MiB", "exports"],
            imports.map(row =>
                row.error !== undefined && row.runs.length === 0
                    ? [row.label, `failed: ${row.error}`, "", "", "", "", "", "", ""]
                    : [
                          row.label,
                          spread(row.runs.map(r => r.importMs)),
                          spread(row.runs.map(r => r.wallMs)),
                          spread(row.runs.map(r => r.bootMs)),
                          share(median(row.runs.map(r => r.importMs)), baseImport),
                          share(median(row.runs.map(r => r.wallMs)), baseWall),
                          mib(median(row.runs.map(r => r.rss))),
                          mib(median(row.runs.map(r => r.heap))),
                          String(row.runs[0]?.exports ?? "n/a"),
                      ],
            ),
        );

        const fetchedOnLoad = new Set(browser.runs[0]?.fetched.map(p => p.replace(/^\//, "")) ?? []);
        const html = browser.files.find(f => f.name === "index.html") === undefined ? "" : readFileSync(join(project.dir, "bench-dist", "index.html"), "utf8");
        const entryScript = /<script[^>]*type="module"[^>]*src="\.?\/?([^"]+)"/.exec(html)?.[1];
        const loadedBytes = browser.files.filter(f => fetchedOnLoad.has(f.name) || (f.name === "index.html" && fetchedOnLoad.has(""))).reduce((n, f) => n + f.bytes, 0);
        const bundleTable = table(
            ["bundle (vite build of the page)", "file", "bytes", "gzip -9", "fetched by the page load"],
            browser.files.map(f => [
                fileKind(f.name, entryScript, fetchedOnLoad),
                f.name,
                int(f.bytes),
                int(f.gzip),
                browser.runs.length === 0 ? "n/a" : fetchedOnLoad.has(f.name) || (f.name === "index.html" && fetchedOnLoad.has("")) ? "yes" : "no",
            ]),
        );
        const browserTable =
            browser.runs.length === 0
                ? `browser load: ${browser.error ?? "no runs"}`
                : table(
                      [`Chromium, fresh context per run (${browser.runs.length} runs)`, "median ms", "min ms", "max ms"],
                      (
                          [
                              ["navigation start → page module runs", r => r.entryAt],
                              ["navigation start → package module evaluated", r => r.evaluatedAt],
                              ['  of which import("…/browser"): fetch + compile + evaluate', r => r.importMs],
                              ["page.goto() → evaluated, measured from Node", r => r.wallMs],
                          ] as [string, (r: BrowserRun) => number][]
                      ).map(([label, f]) => {
                          const v = browser.runs.map(f);
                          return [label, median(v).toFixed(1), Math.min(...v).toFixed(1), Math.max(...v).toFixed(1)];
                      }),
                  );

        const totalMs = performance.now() - started;
        return [
            section(`8. Package: npm pack → installed into a fresh consumer project (${installed.name}@${installed.version})`),
            sizeTable,
            "",
            "apparent = sum of file sizes (st.size, directories included); on-disk = allocated blocks (st.blocks × 512),",
            "as du reports; symlinks not followed, each inode counted once.",
            `dependency closure = ${PACKAGE} plus its dependencies, peerDependencies and optionalDependencies, followed`,
            "recursively through node_modules as Node resolves them (each package without its nested node_modules,",
            "which are counted when reached).",
            sizes.missing.length > 0 ? wrap(`declared but not installed (optional peers, other platforms' binaries): ${sizes.missing.join(", ")}`) : null,
            "whole node_modules = the closure plus the consumer's dev tools (typescript, vite, @types/node) and theirs.",
            "",
            largestTable,
            "",
            importTable,
            "",
            `${RUNS} fresh \`node --expose-gc import-probe.mjs <specifier>\` processes per row, cwd = the consumer project, rows`,
            "interleaved; median (min–max). import() ms = performance.now() around `await import(specifier)` inside the",
            "process; process wall ms = spawn → exit measured here (Node start-up + import + exit); node boot ms = the",
            "process' time origin → the probe's first line. Ratios use the medians. RSS and heap after the import and a gc().",
            "Node 20 keeps no compile cache between processes; the files are in the OS page cache (just installed).",
            notMeasured.length > 0 ? `exports not imported here: ${notMeasured.join(", ")} ("./browser" is below).` : null,
            "",
            browserTable,
            "",
            `A page whose module does import("${PACKAGE}/browser") (nothing started), built by the consumer's`,
            `Vite ${int(browser.buildMs)} ms, served from 127.0.0.1 with no-store; Chromium launched once (${int(browser.launchMs)} ms), a new`,
            "context (empty cache) per run. Times in the page are performance.now(), whose origin is the navigation start.",
            browser.runs.length > 0 ? `fetched by one page load: ${int(loadedBytes)} bytes (${browser.runs[0]!.fetched.length} requests); the camera worker and wasm load only when a BrowserCamera starts.` : null,
            browser.error !== undefined && browser.runs.length > 0 ? `browser: ${browser.error}` : null,
            "",
            bundleTable,
            "",
            `consumer project: build lib/ ${(timings.build / 1000).toFixed(1)} s, npm pack ${(timings.pack / 1000).toFixed(1)} s, npm install ${(timings.install / 1000).toFixed(1)} s.`,
            `section ${(totalMs / 1000).toFixed(1)} s: ${Object.entries(steps)
                .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
                .join(", ")}.`,
        ]
            .filter(line => line !== null)
            .join("\n");
    } catch (error) {
        return [section("8. Package"), `failed: ${String(error).slice(0, 2000)}`].join("\n");
    } finally {
        project?.remove();
    }
}

/** Standalone: `node --import tsx test/bench/package.ts`. */
if (import.meta.url === `file://${process.argv[1]}`) {
    console.log(await packageSection());
    process.exit(0);
}
