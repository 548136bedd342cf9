/**
 * Builds the camera page: `web/` (Vite root) → `dist/web/`, with the camera worker
 * (`worker/camera-worker.ts`, matter.js + the engine) bundled as an ES module worker and the WASM
 * core emitted as separate `.wasm` assets (never inlined: the worker compiles them with
 * `WebAssembly.compileStreaming`, which needs `application/wasm` from the server).
 * `src/engine/loader.ts` finds them through `new URL("../../build/<profile>.wasm", import.meta.url)`,
 * which Vite rewrites to the hashed asset URLs.
 *
 * `npm run build:wasm` must have produced build/*.wasm first.
 */

import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL("./web/", import.meta.url));
const outDir = fileURLToPath(new URL("./dist/web/", import.meta.url));

export default defineConfig({
    root,
    base: "./",
    publicDir: false,
    logLevel: "warn",
    build: {
        outDir,
        emptyOutDir: true,
        target: "es2022",
        sourcemap: false,
        // a .wasm must stay a file; everything else keeps Vite's default limit (4 KiB)
        assetsInlineLimit: (file: string) => (file.endsWith(".wasm") ? false : undefined),
        chunkSizeWarningLimit: 4096,
    },
    worker: {
        format: "es",
    },
    server: {
        // the dev server may read the worker, src/ and build/ outside the web/ root
        fs: { allow: [fileURLToPath(new URL("./", import.meta.url))] },
    },
});
