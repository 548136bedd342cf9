/**
 * `npm start` for now: loads every build profile of the WebRTC provider core and prints what
 * each one holds and costs (capacities, .wasm and gzip size, linear memory, static bytes used,
 * instantiation time).
 *
 * Limit: this is the core alone. The relay that serves the virtual camera page (the main job the
 * README describes) is not built yet; until it is, this is what `npm start` can honestly show.
 */

import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { Core, PROFILES, profileUrl } from "../engine/index.js";

console.log("matter-webrtc-provider: WebRTC Transport Provider core, per build profile\n");
console.log("profile  sessions  SDP_LEN  OUT_LEN  CAND_LEN  MAX_CAND  IN_LEN   .wasm B  gzip B  memory    static used  instantiate");
for (const profile of PROFILES) {
    const bytes = await readFile(profileUrl(profile));
    const module = await WebAssembly.compile(bytes);
    const started = performance.now();
    const core = new Core((await WebAssembly.instantiate(module, {})).exports as never);
    const micros = (performance.now() - started) * 1000;
    const c = core.capacities;
    console.log(
        [
            profile.padEnd(8),
            String(c.sessions).padStart(8),
            String(c.sdpLen).padStart(8),
            String(c.outLen).padStart(8),
            String(c.candLen).padStart(9),
            String(c.maxCand).padStart(9),
            String(c.inLen).padStart(7),
            String(bytes.length).padStart(9),
            String(gzipSync(bytes, { level: 9 }).length).padStart(7),
            `${core.memoryBytes / 1024} KiB`.padStart(9),
            `${core.staticBytes} B`.padStart(12),
            `${micros.toFixed(0)} µs`.padStart(12),
        ].join(" "),
    );
}
console.log("\nThe virtual camera page and its relay are not part of this build yet; see README.md.");
