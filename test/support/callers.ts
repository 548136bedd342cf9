/**
 * The callers every core, engine and vector test issues commands as: the accessing fabric index
 * and CASE peer node id of the test's own controller, and of a second controller on another
 * fabric. One set of values, so a vector recorded by the generator and a unit test name the same
 * caller.
 *
 * PEER is above 2^53 on purpose: a node id that passes through a JavaScript number anywhere
 * between the request and the response comes back changed. The benchmark issues its commands as
 * the same caller (test/bench/fixtures.ts re-exports these).
 */

import type { Caller } from "../../src/engine/index.js";

/** The test controller's fabric index. */
export const FABRIC = 1;
/** The test controller's node id (a full 64-bit value). */
export const PEER = 0x1122_3344_5566_7788n;
/** The test controller as `WebRtcEngine.invoke` takes it. */
export const caller: Caller = { fabricIndex: FABRIC, peerNodeId: PEER };

/** A second controller, on another fabric, whose sessions the first must never reach. */
export const OTHER_FABRIC = 2;
export const OTHER_PEER = 77n;
export const otherCaller: Caller = { fabricIndex: OTHER_FABRIC, peerNodeId: OTHER_PEER };
