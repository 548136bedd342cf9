/**
 * The fuzz run of `npm test`: at least 100,000 random and mutated payloads across all five
 * commands (default profile), and 40,000 more on each of tiny and large, proving the core never
 * traps, always answers a Matter status, keeps its memory size, and keeps its table consistent.
 * `npm run fuzz` runs the same fuzzer for millions of payloads.
 */

import { describe, expect, it } from "vitest";
import { freshCore } from "../support/profiles.js";
import { runFuzz } from "./fuzzer.js";

describe("core fuzzing", () => {
    it("default profile: 100,000 payloads", async () => {
        const stats = runFuzz(await freshCore("default"), 100_000, 0x5eed0001);
        expect(stats.payloads).toBe(100_000);
        // the corpus must keep reaching the accepting paths, not only the decoder's refusals
        expect(stats.accepted).toBeGreaterThan(1_000);
        expect(stats.statuses.size).toBeGreaterThan(6);
    });
    it.each(["tiny", "large"] as const)("%s profile: 40,000 payloads", async profile => {
        const stats = runFuzz(await freshCore(profile), 40_000, 0x5eed0002);
        expect(stats.payloads).toBe(40_000);
        expect(stats.accepted).toBeGreaterThan(300);
    });
});
