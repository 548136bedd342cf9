/**
 * Builds the camera page (`vite build` → dist/web) when it is missing or older than its inputs:
 * web/, worker/, src/, the WASM profiles, vite.config.ts and the lockfile. `npm start`, the test
 * run (vitest's global setup, once before every suite that opens the page) and the bench share it,
 * so two suites never build into dist/web at the same time. An installed package carries the page
 * it was packed with (`FROM_SOURCES` is false there) and never builds.
 */

import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Where the built page lives (the relay's static directory). */
export const PAGE_DIR = join(ROOT, "dist", "web");

/**
 * True in a checkout (web/ and assembly/ are there to build from); false in an installed package,
 * whose page and WASM profiles were built when it was packed and are never rebuilt.
 */
export const FROM_SOURCES = existsSync(join(ROOT, "web", "index.html")) && existsSync(join(ROOT, "assembly"));

const INPUTS = ["web", "worker", "src", "vite.config.ts", "build/tiny.wasm", "build/default.wasm", "build/large.wasm", "package-lock.json"];

/** Newest mtime under `path` (files only; skips node_modules, dotfiles and screenshots). */
function newest(path: string): number {
    if (!existsSync(path)) return 0;
    const info = statSync(path);
    if (!info.isDirectory()) return info.mtimeMs;
    let max = 0;
    for (const entry of readdirSync(path)) {
        if (entry.startsWith(".") || entry === "node_modules" || entry.endsWith(".png")) continue;
        max = Math.max(max, newest(join(path, entry)));
    }
    return max;
}

/** True when dist/web is missing or older than one of its inputs (never in an installed package). */
export function pageIsStale(): boolean {
    const index = join(PAGE_DIR, "index.html");
    if (!FROM_SOURCES) return false;
    if (!existsSync(index)) return true;
    const built = statSync(index).mtimeMs;
    return INPUTS.some(p => newest(join(ROOT, p)) > built);
}

/** Builds the page if it is stale (or `force`); returns the build time in ms, or undefined if it was current. */
export async function buildPage(options: { force?: boolean; log?: (line: string) => void } = {}): Promise<number | undefined> {
    if (!options.force && !pageIsStale()) return undefined;
    options.log?.("building the page (vite build → dist/web)…");
    const started = performance.now();
    const { build } = await import("vite");
    await build({ configFile: join(ROOT, "vite.config.ts"), logLevel: "warn" });
    return performance.now() - started;
}
