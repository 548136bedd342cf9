/**
 * Once before the whole test run: build the camera page (dist/web) if it is stale, so the suites
 * that open it in Chromium (browser e2e, interop, ...) all serve the same build and never build it
 * concurrently. `npm test` has built the WASM profiles just before (pretest).
 */

import { buildPage } from "../src/cli/build-page.js";

export async function setup(): Promise<void> {
    const ms = await buildPage();
    if (ms !== undefined) console.log(`global setup: page built in ${(ms / 1000).toFixed(1)} s`);
}
