/**
 * The package as someone else installs it: `npm pack` of this repository (lib/ built first, see
 * build.ts), installed into a fresh project in the system's temp directory with nothing but the
 * package's declared dependencies (its matter.js peers come with it), plus the tools a consumer
 * brings: TypeScript, Vite and Node's types. Shared by the package test and the bench.
 *
 * Nothing from the repository's source tree is on the consumer's path: the project lives outside
 * the checkout, resolves only its own node_modules, and its programs run with the project as cwd.
 * The install reuses npm's cache (`--prefer-offline`), which `npm ci` filled with the same versions.
 *
 * The README's examples are the consumer's programs: `readmeExample(name)` returns the block after
 * `<!-- package-example: <name> … -->`, so the README cannot drift from what the test runs.
 */

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildPackage } from "./build.js";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;

/**
 * This process' environment without npm's `npm_*` variables: under `npm test` or `npx` they name
 * this repository as npm's project (`npm_config_local_prefix`, …), which a nested npm would obey.
 */
function cleanEnv(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    for (const name of Object.keys(env)) if (name.toLowerCase().startsWith("npm_")) delete env[name];
    delete env.NODE_PATH;
    delete env.NODE_OPTIONS;
    // Vite sets NODE_ENV=production in a process that built the page; npm would then leave out the dev tools
    delete env.NODE_ENV;
    return env;
}

/** `npm pack --json`'s report of the tarball. */
export interface PackReport {
    filename: string;
    /** Tarball bytes. */
    size: number;
    /** Bytes of the files it holds. */
    unpackedSize: number;
    entryCount: number;
    files: { path: string; size: number }[];
}

export interface ConsumerProject {
    /** The project's directory (outside the repository). */
    dir: string;
    /** The tarball, in a temp directory of its own. */
    tarball: string;
    pack: PackReport;
    /** ms: building lib/, npm pack, npm install. */
    timings: { build: number; pack: number; install: number };
    /** Runs `command args` in the project (its node_modules/.bin first on PATH); rejects on a non-zero exit. */
    exec(command: string, args: string[], options?: { timeoutMs?: number; env?: Record<string, string> }): Promise<{ stdout: string; stderr: string }>;
    /** Removes the project and the tarball. */
    remove(): void;
}

/** The repository's installed version of a dev tool, so the consumer gets the same one from the cache. */
function installedVersion(name: string): string {
    return (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

/** The code block that follows `<!-- package-example: <name>` in README.md. */
export function readmeExample(name: string): string {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const marker = readme.indexOf(`<!-- package-example: ${name}`);
    if (marker < 0) throw new Error(`README.md has no package-example "${name}"`);
    const open = readme.indexOf("```ts\n", marker);
    const close = readme.indexOf("\n```", open + 6);
    if (open < 0 || close < 0) throw new Error(`README.md package-example "${name}" has no \`\`\`ts block`);
    return readme.slice(open + 6, close + 1);
}

/** Builds lib/, packs it and installs the tarball into a new consumer project. */
export async function createConsumerProject(log: (line: string) => void = () => undefined): Promise<ConsumerProject> {
    const timings = { build: 0, pack: 0, install: 0 };
    let at = performance.now();
    const lap = (step: keyof typeof timings): void => {
        const now = performance.now();
        timings[step] = now - at;
        at = now;
    };
    await buildPackage(log);
    lap("build");
    const packDir = mkdtempSync(join(tmpdir(), "mwp-pack-"));
    const dir = mkdtempSync(join(tmpdir(), "mwp-consumer-"));
    const remove = (): void => {
        rmSync(dir, { recursive: true, force: true });
        rmSync(packDir, { recursive: true, force: true });
    };
    try {
        // lib/ is built above; the prepack script would rebuild the WASM profiles other suites read
        const packed = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], { cwd: ROOT, env: cleanEnv(), maxBuffer: 64 << 20 });
        const pack = (JSON.parse(packed.stdout) as PackReport[])[0]!;
        const tarball = join(packDir, pack.filename);
        lap("pack");
        writeFileSync(
            join(dir, "package.json"),
            JSON.stringify(
                {
                    name: "mwp-consumer",
                    private: true,
                    type: "module",
                    dependencies: { "matter-webrtc-provider": `file:${tarball}` },
                    devDependencies: {
                        typescript: installedVersion("typescript"),
                        vite: installedVersion("vite"),
                        "@types/node": installedVersion("@types/node"),
                    },
                },
                null,
                2,
            ),
        );
        log(`npm install in ${dir}`);
        await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, env: cleanEnv(), maxBuffer: 64 << 20, timeout: 300_000 });
        lap("install");
        const env = { ...cleanEnv(), PATH: `${join(dir, "node_modules", ".bin")}:${process.env.PATH ?? ""}` };
        return {
            dir,
            tarball,
            pack,
            timings,
            exec: (command, args, options = {}) =>
                run(command, args, { cwd: dir, env: { ...env, ...options.env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 }),
            remove,
        };
    } catch (error) {
        remove();
        throw error;
    }
}
