/**
 * Chromium entry of the portable vector suite: a module Web Worker (not the page) that imports
 * the esbuild bundle of runner.ts from /build/vectors/runner.js, fetches vectors.json, runs every
 * profile with cores loaded by profile name through the engine's loader — here an http: URL,
 * fetched and compiled with `WebAssembly.compileStreaming` (the server sends application/wasm) —
 * and posts the `SuiteResult` back to the page, with proof that it ran in a Worker.
 */

import { runSuite } from "/build/vectors/runner.js";

try {
    const suite = await (await fetch("/test/vectors/vectors.json")).json();
    const result = await runSuite(suite, { runtime: "chromium-worker" });
    const scope = {
        worker: typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope,
        document: typeof document !== "undefined",
    };
    postMessage({ result, scope });
} catch (error) {
    postMessage({ error: String(error?.stack ?? error) });
}
