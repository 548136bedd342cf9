/**
 * Finds, compiles and instantiates the core for a build profile, the same way in Node, a Web
 * Worker, a page built by Vite and vitest.
 *
 * A profile name resolves to `build/<profile>.wasm` next to this package through
 * `new URL(..., import.meta.url)`, which bundlers understand and rewrite. Node 20's `fetch` cannot
 * read `file:` URLs, so those are read with `node:fs/promises`, imported through a variable so
 * bundlers leave it out of browser builds. Hosts that already hold the bytes or a compiled
 * `WebAssembly.Module` (a Worker deployment binds the module directly) pass those instead.
 *
 * Checked by the portable vector suite (test/vectors): by profile name in Node, Deno and Bun
 * (`file:` URL, `node:fs`) and in a Chromium Web Worker (http: URL, `compileStreaming`); in
 * workerd by `WebAssembly.Module`. workerd is the one runtime that differs: its modules have no
 * `import.meta.url` and it refuses to compile WebAssembly from bytes at run time, so there a
 * profile name or bytes cannot work; a profile name fails with an error saying so.
 *
 * The module imports nothing: instantiation takes an empty import object.
 */

import type { CoreExports } from "./exports.js";

/**
 * The core's build profiles, smallest first: `tiny` (3 sessions, 2 KiB SDPs, one 64 KiB page),
 * `default` (5 sessions, 16 KiB SDPs, one page) and `large` (16 sessions, 32 KiB SDPs, two pages).
 */
export const PROFILES = ["tiny", "default", "large"] as const;
/** One of the {@link PROFILES}. */
export type Profile = (typeof PROFILES)[number];

/**
 * Where a core comes from: a profile name (its `.wasm` inside this package), a URL, the module's
 * bytes, or a module compiled already (the only form workerd accepts).
 */
export type CoreSource = Profile | URL | BufferSource | WebAssembly.Module;

/** Whether `value` names one of the {@link PROFILES}. */
export function isProfile(value: unknown): value is Profile {
    return typeof value === "string" && (PROFILES as readonly string[]).includes(value);
}

/** URL of a profile's `.wasm` inside this package. */
export function profileUrl(profile: Profile): URL {
    // workerd gives modules no URL: say what to pass instead of failing on `new URL(…, undefined)`
    if (typeof import.meta.url !== "string") {
        throw new Error(`cannot locate build/${profile}.wasm: this runtime gives modules no import.meta.url; pass the compiled WebAssembly.Module (e.g. a .wasm module import) instead`);
    }
    switch (profile) {
        // literal URLs, one per profile, so bundlers can find and emit each file
        case "tiny":
            return new URL("../../build/tiny.wasm", import.meta.url);
        case "default":
            return new URL("../../build/default.wasm", import.meta.url);
        case "large":
            return new URL("../../build/large.wasm", import.meta.url);
    }
}

async function readFileUrl(url: URL): Promise<Uint8Array<ArrayBuffer>> {
    const fsModule = "node:fs/promises";
    const fs = (await import(/* @vite-ignore */ fsModule)) as { readFile(url: URL): Promise<Uint8Array<ArrayBuffer>> };
    return fs.readFile(url);
}

/** Compiles a core from any {@link CoreSource}; `file:` URLs are read with `node:fs`, others fetched (streaming when served as wasm). */
export async function compileCore(source: CoreSource = "default"): Promise<WebAssembly.Module> {
    if (source instanceof WebAssembly.Module) return source;
    if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
    const url = isProfile(source) ? profileUrl(source) : source;
    if (!(url instanceof URL)) throw new TypeError(`unknown core source ${String(source)}`);
    if (url.protocol === "file:") return WebAssembly.compile(await readFileUrl(url));
    const response = await fetch(url);
    if (!response.ok) throw new Error(`cannot load the WebRTC core from ${url.href}: HTTP ${response.status}`);
    if ((response.headers.get("content-type") ?? "").startsWith("application/wasm")) {
        return WebAssembly.compileStreaming(response);
    }
    return WebAssembly.compile(await response.arrayBuffer());
}

/** Instantiates a compiled core (it imports nothing) and returns its raw exports; `Core` wraps them. */
export async function instantiateCore(module: WebAssembly.Module): Promise<CoreExports> {
    const instance = await WebAssembly.instantiate(module, {});
    return instance.exports as unknown as CoreExports;
}
