/**
 * workerd entry of the footprint probe (see ../probe.ts): a module Worker that holds engine
 * instances between requests, so the host can read the workerd process's RSS from /proc between
 * steps. workerd gives a Worker no memory statistics (no process.memoryUsage, no
 * performance.memory) and freezes its clocks while a request runs (they advance only on I/O), so
 * the host times instantiation from outside, one request per instance against an empty request.
 * The core comes as a compiled `WebAssembly.Module` (a .wasm module import): workerd compiles no
 * WebAssembly from bytes at run time.
 *
 *   GET /info           linear memory, static bytes, whether gc() and memory APIs exist
 *   GET /noop           nothing (the host's baseline for request overhead)
 *   GET /instantiate    one Core + instantiate, discarded
 *   GET /hold?n=N       keep N live engine instances (Core + WebRtcEngine, no-op hooks), after gc()
 */

import { Core, FootprintProbe, instantiateCore } from "./probe.js";
import coreModule from "./default.wasm";

const probe = new FootprintProbe({ source: coreModule, gc: typeof globalThis.gc === "function" ? () => globalThis.gc() : undefined });

export default {
    async fetch(request) {
        const url = new URL(request.url);
        try {
            switch (url.pathname) {
                case "/info": {
                    const core = new Core(await instantiateCore(coreModule));
                    return Response.json({
                        linearMemoryBytes: core.memoryBytes,
                        staticBytes: core.staticBytes,
                        gc: typeof globalThis.gc === "function",
                        processMemoryUsage: typeof globalThis.process?.memoryUsage === "function",
                        performanceMemory: typeof globalThis.performance?.memory === "object",
                    });
                }
                case "/noop":
                    return new Response("ok");
                case "/instantiate": {
                    const core = new Core(await instantiateCore(coreModule));
                    return new Response(String(core.memoryBytes));
                }
                case "/hold": {
                    await probe.hold(Number(url.searchParams.get("n") ?? "0"));
                    return Response.json({ held: probe.held });
                }
                default:
                    return new Response("GET /info, /noop, /instantiate, /hold?n=N\n", { status: 404 });
            }
        } catch (error) {
            return Response.json({ error: String(error?.stack ?? error) }, { status: 500 });
        }
    },
};
