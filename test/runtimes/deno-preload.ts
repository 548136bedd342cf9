/**
 * Deno adapter for the camera CLI, loaded before it with
 *
 *   deno run --sloppy-imports --allow-read --allow-write --allow-net --allow-env --allow-ffi --allow-sys \
 *       --preload test/runtimes/deno-preload.ts src/cli/camera.ts --port 5540 …
 *
 * Two things differ in Deno 2.9.6 and are adapted here, on matter.js's default environment, so
 * the CLI and src/ stay as they are (Node and Bun never load this file):
 *
 * 1. Crypto. matter.js installs its node:crypto implementation (`NodeJsStyleCrypto`, found
 *    through `process.getBuiltinModule("crypto")`), and Deno's node:crypto polyfill refuses what
 *    Matter needs: `createHash("SHA-256")` throws "Digest method not supported: sha-256" (PASE
 *    fails at the first PBKDFParamRequest), `createHmac("SHA-256")` throws "Invalid digest", and
 *    `createCipheriv("aes-128-ccm")` throws "Unknown cipher" (every Matter message is AES-CCM).
 *    matter.js's `StandardCrypto` on WebCrypto (with its own AES-CCM) is what it already uses
 *    under Bun and what the browser worker uses; Deno's WebCrypto runs it.
 * 2. Signals. matter.js's ProcessManager answers SIGTERM/SIGINT by removing and re-adding its own
 *    listener inside the listener; Deno's node:process then calls the re-added listener again in
 *    the same dispatch, forever (`runtime.interrupt()` in a loop until V8 runs out of heap). With
 *    `runtime.signals` off, the CLI's own SIGINT/SIGTERM handlers stop the camera, as under Node.
 */

import { Crypto, Entropy, Environment, StandardCrypto } from "@matter/main";

const crypto = new StandardCrypto(globalThis.crypto);
Environment.default.set(Entropy, crypto);
Environment.default.set(Crypto, crypto);
Environment.default.vars.set("runtime.signals", false);
