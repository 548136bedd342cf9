/**
 * Chromium module Worker of the footprint probe (see ../probe.ts): fetches the default profile's
 * bytes, then answers the page's steps: `timing` (compile + instantiate medians and the linear
 * memory size) and `hold` (keep N live engine instances after gc(), which Chromium exposes with
 * --js-flags=--expose-gc). A dedicated worker has no memory API of its own, so the host reads the
 * renderer's RSS from /proc between steps.
 */

import { FootprintProbe } from "/build/footprint/probe.js";

// the handler is installed at once; messages that come before the bytes wait for them
const ready = fetch("/build/default.wasm")
    .then(response => response.arrayBuffer())
    .then(buffer => new FootprintProbe({ source: new Uint8Array(buffer), gc: typeof globalThis.gc === "function" ? () => globalThis.gc() : undefined }));

self.onmessage = async event => {
    const { id, step } = event.data;
    try {
        const probe = await ready;
        if (step.op === "timing") {
            const timing = await probe.timing();
            self.postMessage({ id, result: { timing, linearMemoryBytes: probe.linearMemoryBytes, staticBytes: probe.staticBytes, gc: typeof globalThis.gc === "function" } });
        } else if (step.op === "hold") {
            await probe.hold(step.n);
            self.postMessage({ id, result: { held: probe.held } });
        } else {
            self.postMessage({ id, error: `unknown step ${JSON.stringify(step)}` });
        }
    } catch (error) {
        self.postMessage({ id, error: String(error?.stack ?? error) });
    }
};
