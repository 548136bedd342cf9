/**
 * The shared body of the Deno and Bun entries: fetch `vectors.json` (both runtimes' `fetch` reads
 * `file:` URLs), run every profile with cores loaded by profile name through the engine's loader,
 * print the per-profile lines, the closing "N passed, N failed" line and the
 * `@@vectors-result {json}` line for the host, and throw if any case failed (an uncaught error is
 * a non-zero exit in both runtimes).
 *
 * It imports the TypeScript sources directly (runner.ts → src/engine/*.ts): both runtimes execute
 * TypeScript themselves, so here the engine runs from its own files, with its own
 * `import.meta.url`, not from a bundle. Only web-standard globals are used (fetch, console, URL),
 * so this file also type-checks under the repository's Node tsconfig.
 */

import { formatResult, resultLine, runSuite, type VectorSuite } from "../runner.js";

export async function main(runtime: string): Promise<void> {
    const response = await fetch(new URL("../vectors.json", import.meta.url));
    const suite = (await response.json()) as VectorSuite;
    const result = await runSuite(suite, { runtime });
    console.log(formatResult(result));
    console.log(resultLine(result));
    if (result.failed > 0) throw new Error(`${result.failed} vector case(s) failed in ${runtime}`);
}
