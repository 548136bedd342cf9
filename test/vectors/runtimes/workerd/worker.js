/**
 * workerd entry of the portable vector suite: a module Worker given its assets the way a Worker
 * deployment gives them — each profile's core as a Wasm module (`import x from "./x.wasm"` yields
 * a compiled `WebAssembly.Module`; workerd refuses `wasmModule` env bindings in module Workers and
 * compiles no WebAssembly from bytes at run time) and vectors.json as a `json` env binding (see
 * config.capnp). `GET /run` replays every profile and answers the `SuiteResult` as
 * JSON; the host (`hosts.ts`) fetches it over loopback.
 *
 * The runner is the esbuild bundle of runner.ts (the same file Node and the Chromium Worker run),
 * embedded as the module "runner.js". The loader is handed the compiled Module, which
 * `compileCore` already passes through unchanged. The answer also reports what the loader says
 * when given a profile name here (workerd modules have no `import.meta.url`), so the host can
 * check the error names the way out.
 */

import { compileCore, runSuite } from "./runner.js";
import tinyWasm from "./tiny.wasm";
import defaultWasm from "./default.wasm";
import largeWasm from "./large.wasm";

export default {
    async fetch(request, env) {
        const url = new URL(request.url);
        if (url.pathname !== "/run") return new Response("GET /run\n", { status: 404 });
        const modules = { tiny: tinyWasm, default: defaultWasm, large: largeWasm };
        try {
            const bindings = Object.fromEntries(Object.entries(modules).map(([k, m]) => [k, m instanceof WebAssembly.Module]));
            const byName = await compileCore("tiny").then(() => "loaded", error => String(error));
            const result = await runSuite(env.VECTORS, { runtime: "workerd", sourceOf: profile => modules[profile] });
            return Response.json({ ...result, bindings, byName });
        } catch (error) {
            return Response.json({ error: String(error?.stack ?? error) }, { status: 500 });
        }
    },
};
