/**
 * Deno entry of the portable vector suite (see main.ts). Launched by `hosts.ts` as
 *
 *   deno run --sloppy-imports --allow-read=. test/vectors/runtimes/deno.ts
 *
 * `--sloppy-imports` lets Deno resolve the repository's TypeScript-style `./core.js` specifiers to
 * `core.ts` (Bun and tsc do that on their own); `--allow-read` covers vectors.json and
 * build/*.wasm. Nothing else is granted: no network, env or write access.
 */

import { main } from "./main.js";

await main("deno");
