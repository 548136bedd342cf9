/**
 * Node entry of the portable vector suite: imports the esbuild bundle of `runner.ts` (the same
 * JavaScript file workerd and the Chromium Worker run), reads `vectors.json` and runs every
 * profile, each core loaded by profile name through the engine's loader (a `file:` URL read with
 * `node:fs`). Prints one line per profile, the closing "N passed, N failed" line and a
 * `@@vectors-result {json}` line for the host (`hosts.ts`); exits 1 if any case failed.
 *
 *   node test/vectors/runtimes/node.mjs [path/to/runner-bundle.js]
 *
 * Plain .mjs on purpose: Node 20 runs no TypeScript, and the bundle is built by `hosts.ts`
 * (`bundleRunner`) into build/vectors/runner.js, two levels below the repository like
 * src/engine/loader.ts, so the loader's `../../build/<profile>.wasm` URLs resolve the same way.
 */

import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";

const bundle = process.argv[2] ? pathToFileURL(process.argv[2]) : new URL("../../../build/vectors/runner.js", import.meta.url);
const { runSuite, formatResult, resultLine } = await import(bundle.href);
const suite = JSON.parse(await readFile(new URL("../vectors.json", import.meta.url), "utf8"));
const result = await runSuite(suite, { runtime: "node" });
console.log(formatResult(result));
console.log(resultLine(result));
if (result.failed > 0) process.exitCode = 1;
