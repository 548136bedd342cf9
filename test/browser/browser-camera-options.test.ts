/**
 * `checkStartOptions` of `BrowserCamera` (worker/browser-camera.ts), in Node: a pure function, so
 * no browser is needed (the module imports in Node; only constructing a camera with good options
 * would need a Worker). What it proves:
 * - good start options pass, at the edges of their ranges (ws: and wss:, port 1 and 65535, each
 *   build profile, a 32-character product name);
 * - each bad one is refused with a `TypeError` (wrong kind: no options, not a URL, not a
 *   WebSocket URL, no storage name) or a `RangeError` (wrong value: port, core, product name)
 *   whose message names the option and what is allowed;
 * - `new BrowserCamera` checks them before it starts a worker.
 */

import { describe, expect, it } from "vitest";
import { BrowserCamera, checkStartOptions } from "../../worker/browser-camera.js";
import type { StartOptions } from "../../worker/protocol.js";

const GOOD: StartOptions = { relayUrl: "ws://127.0.0.1:8080/matter?token=abc", storageName: "cam-1" };

/** What `fn` threw; fails the test when it did not throw. */
function thrown(fn: () => unknown): Error {
    try {
        fn();
    } catch (error) {
        expect(error).toBeInstanceOf(Error);
        return error as Error;
    }
    throw new Error("expected an error, nothing was thrown");
}

/** Asserts the exact class (a RangeError is not accepted where a TypeError is expected) and the message. */
function expectRefused(start: unknown, kind: typeof TypeError | typeof RangeError, message: RegExp): void {
    const error = thrown(() => checkStartOptions(start as StartOptions));
    expect(error.constructor, `${error.constructor.name}: ${error.message}`).toBe(kind);
    expect(error.message).toMatch(message);
}

describe("checkStartOptions", () => {
    it("accepts good options at the edges of their ranges", () => {
        const accepted: StartOptions[] = [
            GOOD,
            { ...GOOD, relayUrl: "wss://camera.example/matter?token=abc" },
            { ...GOOD, port: 1 },
            { ...GOOD, port: 65535 },
            { ...GOOD, core: "tiny" },
            { ...GOOD, core: "default" },
            { ...GOOD, core: "large" },
            { ...GOOD, productName: "x" },
            { ...GOOD, productName: "x".repeat(32) },
            { ...GOOD, certification: true, logLevel: "debug", mdnsInterface: "lo" },
        ];
        for (const start of accepted) expect(() => checkStartOptions(start), JSON.stringify(start)).not.toThrow();
    });

    it("refuses missing start options with a TypeError", () => {
        for (const start of [undefined, null, "ws://127.0.0.1:8080/matter"]) {
            expectRefused(start, TypeError, /^BrowserCamera: options\.start is required$/);
        }
    });

    it("refuses a relayUrl that is not a URL with a TypeError showing the value and the expected form", () => {
        expectRefused({ ...GOOD, relayUrl: "not a url" }, TypeError, /^BrowserCamera: start\.relayUrl "not a url" is not a URL \(ws\(s\):\/\/host\/matter\?token=…\)$/);
        expectRefused({ ...GOOD, relayUrl: "" }, TypeError, /^BrowserCamera: start\.relayUrl "" is not a URL/);
    });

    it("refuses an http: or https: relayUrl with a TypeError naming the protocol", () => {
        expectRefused({ ...GOOD, relayUrl: "http://127.0.0.1:8080/matter?token=abc" }, TypeError, /^BrowserCamera: start\.relayUrl must be ws: or wss:, got http:$/);
        expectRefused({ ...GOOD, relayUrl: "https://127.0.0.1:8080/matter?token=abc" }, TypeError, /^BrowserCamera: start\.relayUrl must be ws: or wss:, got https:$/);
    });

    it("refuses an empty or missing storageName with a TypeError saying what it names", () => {
        for (const storageName of ["", undefined, 3]) {
            expectRefused({ ...GOOD, storageName }, TypeError, /^BrowserCamera: start\.storageName must be a non-empty string \(it names the camera's IndexedDB database\)$/);
        }
    });

    it("refuses port 0, 70000 and a fractional port with a RangeError naming 1–65535", () => {
        expectRefused({ ...GOOD, port: 0 }, RangeError, /^BrowserCamera: start\.port 0 is out of range \(1–65535\)$/);
        expectRefused({ ...GOOD, port: 70000 }, RangeError, /^BrowserCamera: start\.port 70000 is out of range \(1–65535\)$/);
        expectRefused({ ...GOOD, port: 65536 }, RangeError, /^BrowserCamera: start\.port 65536 is out of range \(1–65535\)$/);
        expectRefused({ ...GOOD, port: 5540.5 }, RangeError, /^BrowserCamera: start\.port 5540\.5 is out of range \(1–65535\)$/);
    });

    it('refuses core "huge" with a RangeError listing the build profiles', () => {
        expectRefused({ ...GOOD, core: "huge" }, RangeError, /^BrowserCamera: start\.core "huge" is not a build profile \(tiny, default, large\)$/);
    });

    it("refuses a product name over 32 characters or empty with a RangeError", () => {
        expectRefused({ ...GOOD, productName: "x".repeat(33) }, RangeError, /^BrowserCamera: start\.productName must be 1–32 characters$/);
        expectRefused({ ...GOOD, productName: "" }, RangeError, /^BrowserCamera: start\.productName must be 1–32 characters$/);
    });

    it("new BrowserCamera refuses bad start options before it starts a worker", () => {
        const error = thrown(() => new BrowserCamera({ start: { ...GOOD, relayUrl: "http://127.0.0.1:8080/matter" } }));
        expect(error.constructor).toBe(TypeError);
        expect(error.message).toMatch(/^BrowserCamera: start\.relayUrl must be ws: or wss:, got http:$/);
    });
});
