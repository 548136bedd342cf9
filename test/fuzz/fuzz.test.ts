/**
 * The fuzz runs of `npm test`, test-sized (`npm run fuzz` runs the same modes for millions of
 * payloads and measures coverage):
 * - the stored regression cases (`regressions/*.json`, inputs that found past bugs) replay on every
 *   profile with their expected statuses;
 * - the mutation mode (random and mutated bytes): no trap, a Matter status every time, memory the
 *   same size, the table consistent, and every payload the oracle finds malformed answered
 *   INVALID_COMMAND;
 * - the structure-aware mode on every profile: every status, session id, action, hook argument,
 *   response and snapshot as the model predicts, the table equal to the model after every step —
 *   and it must reach the rules: most payloads get past decoding, a large share is accepted, and
 *   every command meets its main statuses (bounds set from measured runs with a wide margin, so a
 *   generator that degraded to random bytes fails them);
 * - the checks can fail: a core whose answers are altered, or whose table changes behind the
 *   model's back, is caught;
 * - the element tree the faults are made on re-encodes matter.js's bytes exactly.
 */

import { describe, expect, it } from "vitest";
import { Status } from "../../src/engine/status.js";
import { freshCore } from "../support/profiles.js";
import { FuzzFailure, Rng, runFuzz } from "./fuzzer.js";
import { CALLERS, encodeDraft, Generator } from "./generator.js";
import { TableModel } from "./model.js";
import { loadRegressions, replay } from "./regressions.js";
import { COMMAND_IDS } from "./request-oracle.js";
import { newStats, pastDecodeShare, successShare } from "./stats.js";
import { capsOf, runStructured } from "./structured.js";
import { parseElement, serialize } from "./tlv-tree.js";

const PROFILES = ["tiny", "default", "large"] as const;
const regressions = loadRegressions();

describe("regression cases", () => {
    it("are stored", () => {
        expect(regressions.length).toBeGreaterThanOrEqual(9);
    });
    for (const profile of PROFILES) {
        it.each(regressions.map(r => [r.file, r.regression] as const))(`${profile}: %s`, async (_, regression) => {
            replay(await freshCore(profile), regression);
        });
    }
});

describe("mutation mode", () => {
    it("default profile: 40,000 payloads", async () => {
        const run = runFuzz(await freshCore("default"), 40_000, 0x5eed0001);
        expect(run.payloads).toBe(40_000);
        // the corpus must keep reaching the accepting paths, not only the decoder's refusals
        expect(run.accepted).toBeGreaterThan(300);
        expect(run.statuses.size).toBeGreaterThan(6);
    });
    it.each(["tiny", "large"] as const)("%s profile: 15,000 payloads", async profile => {
        const run = runFuzz(await freshCore(profile), 15_000, 0x5eed0002);
        expect(run.payloads).toBe(15_000);
        expect(run.accepted).toBeGreaterThan(100);
    });
});

describe("structure-aware mode", () => {
    // measured on 450,000 payloads per profile: 68–70 % past decoding, 25–28 % accepted
    it.each([["default", 10_000], ["tiny", 5_000], ["large", 5_000]] as const)("%s profile: %i payloads, every step as the model predicts", async (profile, n) => {
        const stats = runStructured(await freshCore(profile), n, 0x5eed0003, newStats("structured", profile));
        expect(stats.payloads).toBe(n);
        expect(pastDecodeShare(stats)).toBeGreaterThan(0.55);
        expect(successShare(stats)).toBeGreaterThan(0.15);
        for (const command of COMMAND_IDS) {
            const statuses = stats.statuses.get(command)!;
            // SolicitOffer names no session, so it alone never meets NOT_FOUND
            const main = [Status.Success, Status.InvalidCommand, Status.UnsupportedAccess, ...(command === 0x00 ? [] : [Status.NotFound])];
            for (const status of main) expect(statuses.get(status) ?? 0, `command ${command} status ${status}`).toBeGreaterThan(0);
        }
        for (const status of [Status.ConstraintError, Status.ResourceExhausted, Status.InvalidInState, Status.DynamicConstraintError, Status.AlreadyExists]) {
            expect(stats.statuses.get(0x00)!.get(status) ?? 0, `SolicitOffer status ${status}`).toBeGreaterThan(0);
        }
        expect(stats.outcomes.size).toBeGreaterThan(40);
    });
    it("reaches the rules far more often than the mutation mode", async () => {
        const mutation = newStats("mutation", "default");
        runFuzz(await freshCore("default"), 5_000, 7, mutation);
        const structured = runStructured(await freshCore("default"), 5_000, 7, newStats("structured", "default"));
        expect(pastDecodeShare(structured)).toBeGreaterThan(4 * pastDecodeShare(mutation));
        expect(successShare(structured)).toBeGreaterThan(8 * successShare(mutation));
    });
});

describe("the checks can fail", () => {
    it("a core that answers INVALID_IN_STATE for NOT_FOUND is caught", async () => {
        const core = await freshCore("default");
        const decide = core.decide.bind(core);
        core.decide = (...args) => {
            const d = decide(...args);
            return d.status === Status.NotFound ? { ...d, status: Status.InvalidInState } : d;
        };
        expect(() => runStructured(core, 4_000, 11)).toThrow(FuzzFailure);
    });
    it("a table changed behind the model's back is caught", async () => {
        const core = await freshCore("default");
        const decide = core.decide.bind(core);
        let calls = 0;
        core.decide = (...args) => {
            // every 500th command, the camera ends its sessions without the model knowing
            if (++calls % 500 === 0) for (const s of core.sessions()) core.endByProvider(s.id, 2);
            return decide(...args);
        };
        expect(() => runStructured(core, 4_000, 12)).toThrow(FuzzFailure);
    });
    it("a malformed payload the core accepts is caught in the mutation mode", async () => {
        const core = await freshCore("default");
        const decide = core.decide.bind(core);
        core.decide = (command, fields, fabric, peer) => {
            const d = decide(command, fields, fabric, peer);
            return d.status === Status.InvalidCommand && fields.length % 7 === 0 ? { ...d, status: Status.ConstraintError } : d;
        };
        expect(() => runFuzz(core, 4_000, 13)).toThrow(/the oracle finds/);
    });
});

describe("the element tree", () => {
    it("re-encodes matter.js's encoding of 2,000 generated requests byte for byte", async () => {
        const core = await freshCore("default");
        const model = new TableModel(capsOf(core));
        model.addStream(0, 1, 3);
        model.addStream(1, 2, 3);
        model.setPriorities([3]);
        const gen = new Generator(new Rng(5), model);
        for (let i = 0; i < 2_000; i++) {
            const bytes = encodeDraft(gen.draft(COMMAND_IDS[i % 5]!, CALLERS[i % 4]!, i % 2 === 0));
            const parsed = parseElement(bytes);
            expect(parsed?.next).toBe(bytes.length);
            expect(Buffer.from(serialize(parsed!.element)).equals(bytes)).toBe(true);
        }
    });
});
