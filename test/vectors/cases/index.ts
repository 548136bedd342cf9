/**
 * Every core case, in the order vectors.json lists them: the single statement of what the WASM
 * core must do, replayed by the unit suite (test/core/vectors.test.ts) for every profile and by
 * the runtimes suite in Node, Deno, Bun, workerd and a Chromium worker.
 */

import { ANSWER_ICE_END_CASES } from "./answer-ice-end.js";
import type { CaseDefinition } from "./fixtures.js";
import { MALFORMED_CASES } from "./malformed.js";
import { OUTBOUND_CASES } from "./outbound.js";
import { PROVIDE_OFFER_CASES } from "./provide-offer.js";
import { SESSION_CASES } from "./sessions.js";
import { SOLICIT_OFFER_CASES } from "./solicit-offer.js";
import { TLV_CASES } from "./tlv.js";

export const ALL_CASES: readonly CaseDefinition[] = [
    ...TLV_CASES,
    ...SOLICIT_OFFER_CASES,
    ...PROVIDE_OFFER_CASES,
    ...ANSWER_ICE_END_CASES,
    ...SESSION_CASES,
    ...OUTBOUND_CASES,
    ...MALFORMED_CASES,
];
