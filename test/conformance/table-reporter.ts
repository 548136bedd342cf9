/**
 * A vitest reporter that prints the conformance tables after a run, one per suite (TC_WEBRTCP_2_x,
 * TC_AVSM_2_x): one row per case (test case | app | steps passed/run | pass/FAIL | time | what it
 * checks), grouped by the name of the describe block ("TC_WEBRTCP_2_17", "TC_AVSM_2_7 (steps …)"),
 * plus the not-applicable cases.
 *
 * Use it beside a normal reporter:
 *   vitest run test/conformance --reporter=default --reporter=./test/conformance/table-reporter.ts
 *
 * A case passes when every one of its steps passed and none of its hooks failed; a step skipped
 * because a hook failed counts against the case.
 */

import type { Reporter, TestCase, TestModule, TestSuite } from "vitest/node";
import { caseIdOf, renderTables, type CaseResult } from "./report.js";

/** The case a test or suite belongs to: the nearest enclosing TC_WEBRTCP_ / TC_AVSM_ describe block. */
function caseOf(node: TestCase | TestSuite): string | undefined {
    for (let current: TestCase | TestSuite | TestModule = node; current.type !== "module"; current = current.parent) {
        const id = caseIdOf(current.name);
        if (id !== undefined) return id;
    }
    return undefined;
}

export default class ConformanceTableReporter implements Reporter {
    #startedAt = Date.now();

    onTestRunStart(): void {
        this.#startedAt = Date.now();
    }

    onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
        const results = new Map<string, CaseResult>();
        const resultOf = (id: string): CaseResult => {
            let result = results.get(id);
            if (result === undefined) {
                result = { id, steps: 0, passed: 0, failed: 0, skipped: 0, hookFailed: false, durationMs: 0 };
                results.set(id, result);
            }
            return result;
        };
        for (const module of testModules) {
            for (const suite of module.children.allSuites()) {
                const id = caseIdOf(suite.name);
                if (id !== undefined && suite.errors().length > 0) resultOf(id).hookFailed = true;
            }
            for (const test of module.children.allTests()) {
                const id = caseOf(test);
                if (id === undefined) continue;
                const result = resultOf(id);
                result.steps++;
                const state = test.result().state;
                if (state === "passed") result.passed++;
                else if (state === "failed") result.failed++;
                else result.skipped++;
                result.durationMs += test.diagnostic()?.duration ?? 0;
            }
        }
        process.stdout.write(`\n${renderTables(results, Date.now() - this.#startedAt)}\n\n`);
    }
}
