/**
 * Builds the npm package's contents into `lib/` (`npm run build`, also run by `npm pack` through
 * `prepack`). `lib/` mirrors the repository's layout, so every `new URL(…, import.meta.url)` in
 * the code finds in the package what it finds in a checkout:
 *
 *   lib/src/**, lib/worker/**   JavaScript + .d.ts from tsc (tsconfig.build.json)
 *   lib/build/<profile>.wasm     the WASM core profiles (`npm run build:wasm` ran first)
 *   lib/src/media/node/fixtures  the Node camera's H.264 clip and its decoded frames
 *   lib/dist/web                 the camera page, served by `matter-webrtc-provider start|relay`
 *
 *   tsx test/package/build.ts    (after npm run build:wasm)
 */

import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildPage, PAGE_DIR } from "../../src/cli/build-page.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const LIB = join(ROOT, "lib");
const PROFILES = ["tiny", "default", "large"];
const NODE_FIXTURES = ["testsrc-320x240.h264", "testsrc-320x240.yuv420p.br"];

/** Builds lib/ from the sources; returns how long each step took (ms). */
export async function buildPackage(log: (line: string) => void = () => undefined): Promise<Record<string, number>> {
    const took: Record<string, number> = {};
    let at = performance.now();
    const lap = (step: string): void => {
        const now = performance.now();
        took[step] = now - at;
        at = now;
    };
    for (const profile of PROFILES) {
        if (!existsSync(join(ROOT, "build", `${profile}.wasm`))) throw new Error(`build/${profile}.wasm is missing: run npm run build:wasm first`);
    }
    await buildPage({ log });
    lap("page");
    rmSync(LIB, { recursive: true, force: true });
    log("tsc -p tsconfig.build.json → lib/");
    execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "inherit" });
    lap("tsc");
    mkdirSync(join(LIB, "build"), { recursive: true });
    for (const profile of PROFILES) cpSync(join(ROOT, "build", `${profile}.wasm`), join(LIB, "build", `${profile}.wasm`));
    const fixtures = join(LIB, "src", "media", "node", "fixtures");
    mkdirSync(fixtures, { recursive: true });
    for (const file of NODE_FIXTURES) cpSync(join(ROOT, "src", "media", "node", "fixtures", file), join(fixtures, file));
    cpSync(PAGE_DIR, join(LIB, "dist", "web"), { recursive: true });
    chmodSync(join(LIB, "src", "cli", "main.js"), 0o755);
    lap("assets");
    return took;
}

if (import.meta.url === `file://${process.argv[1]}`) {
    const took = await buildPackage(line => console.log(`build: ${line}`));
    console.log(`build: lib/ ready (${Object.entries(took).map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`).join(", ")})`);
}
