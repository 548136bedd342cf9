/**
 * Bun entry of the portable vector suite (see main.ts). Launched by `hosts.ts` as
 *
 *   bun test/vectors/runtimes/bun.ts
 *
 * Bun resolves the repository's `./core.js` specifiers to the `.ts` files itself.
 */

import { main } from "./main.js";

await main("bun");
