// Static proof, for every build profile, that the WebRTC core is fixed-memory:
//   - no imports at all (nothing from the host, not even `env.abort`);
//   - one memory whose initial size equals its maximum (it cannot be grown from outside either);
//   - no `memory.grow` instruction anywhere in the code;
//   - no allocator or GC (`~lib/rt`, `__new`, `__alloc`, ...): the build uses the rt-forbid
//     runtime, so an allocation would already have failed to compile; this double-checks the output.
// It then prints the footprint: .wasm bytes, gzip -9 bytes, pages and static bytes used.
// Run by `npm test` (after `npm run build:wasm`); exits non-zero on any violation.

import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const PROFILES = ["tiny", "default", "large"];
const ALLOCATOR_NAMES = ["~lib/rt", "__new", "__alloc", "__realloc", "__free", "__collect", "__pin", "__renew", "__visit"];

function leb(bytes, at) {
    let value = 0, shift = 0, pos = at;
    for (;;) {
        const b = bytes[pos++];
        value += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if ((b & 0x80) === 0) return { value, next: pos };
    }
}

/** Memory limits from the binary's memory section (id 5). */
function memoryLimits(bytes) {
    let pos = 8;
    const found = [];
    while (pos < bytes.length) {
        const id = bytes[pos];
        const size = leb(bytes, pos + 1);
        const start = size.next;
        if (id === 5) {
            const count = leb(bytes, start);
            let p = count.next;
            for (let i = 0; i < count.value; i++) {
                const flags = bytes[p++];
                const min = leb(bytes, p);
                p = min.next;
                let max;
                if (flags & 1) {
                    const m = leb(bytes, p);
                    max = m.value;
                    p = m.next;
                }
                found.push({ flags, min: min.value, max });
            }
        }
        pos = start + size.value;
    }
    return found;
}

let failures = 0;
const rows = [];
for (const profile of PROFILES) {
    const wasm = readFileSync(new URL(`../../build/${profile}.wasm`, import.meta.url));
    const wat = readFileSync(new URL(`../../build/${profile}.wat`, import.meta.url), "utf8");
    const module = new WebAssembly.Module(wasm);
    const checks = [];
    const imports = WebAssembly.Module.imports(module);
    checks.push([imports.length === 0, `no imports${imports.length ? ` (found ${imports.map(i => `${i.module}.${i.name}`).join(", ")})` : ""}`]);
    const memories = memoryLimits(wasm);
    const mem = memories[0];
    checks.push([memories.length === 1 && mem.max !== undefined && mem.min === mem.max && (mem.flags & 2) === 0,
        `memory initial == maximum (${mem ? `${mem.min}..${mem.max ?? "unbounded"} pages` : "no memory"})`]);
    checks.push([!/\bmemory\.grow\b/.test(wat), "no memory.grow"]);
    const allocator = ALLOCATOR_NAMES.filter(name => wat.includes(name));
    checks.push([allocator.length === 0, `no allocator or GC${allocator.length ? ` (found ${allocator.join(", ")})` : ""}`]);
    const exports = new WebAssembly.Instance(module, {}).exports;
    const pages = exports.memory.buffer.byteLength / 65536;
    const staticEnd = exports.staticEnd() >>> 0;
    checks.push([staticEnd <= exports.memory.buffer.byteLength, `static data fits its ${pages} page(s)`]);
    // an outbound batch must always take at least one full-size candidate, and the SDP stage must fit OUT
    const oneCandidate = 2 + 4 + exports.capCandLen() + 4 + exports.capMidLen() + 4 + 2;
    checks.push([exports.outCap() >= oneCandidate + 16, "OUT holds at least one full-size candidate"]);
    checks.push([exports.stageCap() === exports.capSdp(), "OUT holds a full SDP_LEN SDP"]);
    for (const [ok, what] of checks) {
        console.log(`${ok ? "ok  " : "FAIL"} ${profile.padEnd(8)} ${what}`);
        if (!ok) failures++;
    }
    rows.push({
        profile,
        wasm: wasm.length,
        gzip: gzipSync(wasm, { level: 9 }).length,
        pages,
        staticEnd,
        sessions: exports.capSessions(),
        sdp: exports.capSdp(),
    });
}
console.log("\nprofile   sessions  SDP_LEN  .wasm B  gzip B  pages  static bytes used");
for (const r of rows) {
    console.log(`${r.profile.padEnd(9)} ${String(r.sessions).padStart(8)} ${String(r.sdp).padStart(8)} ${String(r.wasm).padStart(8)} ${String(r.gzip).padStart(7)} ${String(r.pages).padStart(6)} ${String(r.staticEnd).padStart(8)} of ${r.pages * 65536}`);
}
if (failures > 0) {
    console.error(`\n${failures} static check(s) failed`);
    process.exit(1);
}
