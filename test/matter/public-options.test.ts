/**
 * The public API's option checks and the `WebRtcService` lifecycle, on real matter.js ServerNodes
 * (Node's file storage in a temp directory, UDP/TCP on loopback, mDNS on `lo`) and a real
 * `NodeMediaHost`; the only fake is a bare object standing in for a media host where nothing but
 * validation (or a refused install) touches it. What it proves:
 * - `checkIdentityOptions` takes every value at the edges of Matter's ranges and refuses the first
 *   one outside them with a `TypeError` (wrong kind) or `RangeError` (wrong value) whose message
 *   names the owner, the option, the value and what is allowed; `FORBIDDEN_PASSCODES` is exactly
 *   the core specification's list (§5.1.7.1) and each of them is refused, their neighbours are not;
 * - `CameraNode.create` refuses bad options before it creates anything (no storage for its id),
 *   and a create that fails later (no media host, a media host missing methods, a core that cannot
 *   be loaded) closes the node it made, so its storage is not left locked and the same id is
 *   created, started and closed right afterwards;
 * - `WebRtcService.install` refuses a missing media host, names the methods a host lacks, refuses
 *   a second install on the same node and a core it cannot load — each time without registering
 *   anything in the node's environment or attaching the refused host, so a correct install then
 *   works;
 * - the service follows the node: `running` is true exactly while the node is online (installed
 *   before or after `start`, through `stop` / `start` again), and once the node is closed
 *   (destroyed) its media hooks no longer reach the media host.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { ServerNode } from "@matter/main";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { WebRtcEngine, type MediaHost } from "../../src/engine/index.js";
import { CameraNode } from "../../src/matter/camera-node.js";
import { checkIdentityOptions, FORBIDDEN_PASSCODES, type IdentityOptions } from "../../src/matter/options.js";
import { WebRtcService } from "../../src/matter/webrtc-service.js";
import { NodeMediaHost, testPatternClip } from "../../src/media/node/index.js";
import { testEnvironment, testPort } from "../support/matter-controller.js";

const env = testEnvironment();
afterAll(() => env.cleanup());

// Everything a test opens is closed after it, whether it passed or not.
const openNodes: { close(): Promise<void> }[] = [];
const openMedia: NodeMediaHost[] = [];
afterEach(async () => {
    for (const node of openNodes.splice(0).reverse()) await node.close();
    for (const media of openMedia.splice(0)) media.close();
});

let ids = 0;
/** A storage id no other test of this file uses. */
function freshId(what: string): string {
    return `opts-${what}-${++ids}`;
}

function newMedia(): NodeMediaHost {
    const media = new NodeMediaHost({ video: testPatternClip(), bindAddress: "127.0.0.1" });
    openMedia.push(media);
    return media;
}

/** A plain ServerNode with TCP on a free loopback test port (not started). */
async function newServerNode(what: string): Promise<ServerNode> {
    const node = await ServerNode.create({ id: freshId(what), network: { port: testPort(), tcp: true } });
    openNodes.push(node);
    return node;
}

/** Whether matter.js's file storage for `id` exists at all / is held open (its lock file is there while it is). */
function storageExists(id: string): boolean {
    return existsSync(join(env.storage, id));
}
function storageLocked(id: string): boolean {
    return existsSync(join(env.storage, id, "matter.lock"));
}

/** What `fn` threw (or rejected with); fails the test when it did not throw. */
async function thrown(fn: () => unknown): Promise<Error> {
    try {
        await fn();
    } catch (error) {
        expect(error).toBeInstanceOf(Error);
        return error as Error;
    }
    throw new Error("expected an error, nothing was thrown");
}

/** Asserts the exact class (a RangeError is not accepted where a TypeError is expected) and the message. */
function expectError(error: Error, kind: typeof Error | typeof TypeError | typeof RangeError, message: RegExp): void {
    expect(error.constructor, `${error.constructor.name}: ${error.message}`).toBe(kind);
    expect(error.message).toMatch(message);
}

const METHODS = ["attachEvents", "solicitOffer", "answerOffer", "applyAnswer", "addRemoteCandidates", "takeLocalCandidates", "end"] as const;

/** A bare stand-in for a media host, for installs that must be refused: it records whether it was attached. */
function fakeHost(without: readonly string[] = []): { host: MediaHost; attached: number } {
    const record = { host: {} as MediaHost, attached: 0 };
    const host: Record<string, unknown> = {};
    for (const name of METHODS) {
        if (without.includes(name)) continue;
        host[name] = name === "attachEvents" ? () => void record.attached++ : () => undefined;
    }
    record.host = host as unknown as MediaHost;
    return record;
}

describe("checkIdentityOptions", () => {
    it("accepts no options and every value at the edges of Matter's ranges", () => {
        const accepted: IdentityOptions[] = [
            {},
            { id: "c" },
            { port: 0 },
            { port: 65535 },
            { passcode: 1 },
            { passcode: 99999998 },
            { passcode: 20202021 },
            { discriminator: 0 },
            { discriminator: 4095 },
            { vendorId: 1 },
            { vendorId: 0xfff4 },
            { productId: 1 },
            { productId: 0xffff },
            { productName: "x" },
            { productName: "x".repeat(32) },
            { core: "tiny" },
            { core: "default" },
            { core: "large" },
            { core: new URL("file:///elsewhere/core.wasm") },
        ];
        for (const options of accepted) expect(() => checkIdentityOptions("Owner", options), JSON.stringify(options)).not.toThrow();
    });

    it("FORBIDDEN_PASSCODES is exactly the core specification's list (§5.1.7.1)", () => {
        expect([...FORBIDDEN_PASSCODES].sort((a, b) => a - b)).toEqual([
            0, 11111111, 12345678, 22222222, 33333333, 44444444, 55555555, 66666666, 77777777, 87654321, 88888888, 99999999,
        ]);
    });

    it("refuses every forbidden passcode in range with a RangeError saying Matter forbids it, but not its neighbours", async () => {
        const inRange = FORBIDDEN_PASSCODES.filter(p => p >= 1 && p <= 99999998);
        expect(inRange).toHaveLength(10);
        for (const passcode of inRange) {
            const error = await thrown(() => checkIdentityOptions("Owner", { passcode }));
            expectError(error, RangeError, new RegExp(`^Owner: passcode ${passcode} is one Matter forbids \\(trivial or sequential\\); choose another$`));
            expect(() => checkIdentityOptions("Owner", { passcode: passcode + 1 })).not.toThrow();
            expect(() => checkIdentityOptions("Owner", { passcode: passcode - 1 })).not.toThrow();
        }
    });

    it("refuses a passcode outside 1–99999998 with a RangeError naming the range", async () => {
        for (const passcode of [0, -5, 99999999, 100000000]) {
            const error = await thrown(() => checkIdentityOptions("Owner", { passcode }));
            expectError(error, RangeError, new RegExp(`^Owner: passcode ${passcode} is out of range \\(1–99999998\\)$`));
        }
    });

    it("refuses a passcode that is not an integer with a TypeError showing the value", async () => {
        expectError(await thrown(() => checkIdentityOptions("Owner", { passcode: 2020.5 })), TypeError, /^Owner: passcode must be an integer, got 2020\.5$/);
        expectError(
            await thrown(() => checkIdentityOptions("Owner", { passcode: "20202021" as unknown as number })),
            TypeError,
            /^Owner: passcode must be an integer, got "20202021"$/,
        );
    });

    it("refuses a discriminator outside 12 bits with a RangeError, a fractional one with a TypeError", async () => {
        expectError(await thrown(() => checkIdentityOptions("Owner", { discriminator: 4096 })), RangeError, /^Owner: discriminator 4096 is out of range \(0–4095, 12 bits\)$/);
        expectError(await thrown(() => checkIdentityOptions("Owner", { discriminator: -1 })), RangeError, /^Owner: discriminator -1 is out of range \(0–4095, 12 bits\)$/);
        expectError(await thrown(() => checkIdentityOptions("Owner", { discriminator: 1.5 })), TypeError, /^Owner: discriminator must be an integer, got 1\.5$/);
    });

    it("refuses port, vendor id and product id outside their ranges with a RangeError naming the range", async () => {
        expectError(await thrown(() => checkIdentityOptions("Owner", { port: 65536 })), RangeError, /^Owner: port 65536 is out of range \(0–65535\)$/);
        expectError(await thrown(() => checkIdentityOptions("Owner", { port: -1 })), RangeError, /^Owner: port -1 is out of range \(0–65535\)$/);
        expectError(await thrown(() => checkIdentityOptions("Owner", { vendorId: 0 })), RangeError, /^Owner: vendorId 0 is out of range \(1–65524\)$/);
        // 0xFFF5–0xFFFF: matter.js's VendorId refuses them (deep inside ServerNode.create), so the check does first
        expectError(await thrown(() => checkIdentityOptions("Owner", { vendorId: 0xfff5 })), RangeError, /^Owner: vendorId 65525 is out of range \(1–65524\)$/);
        expectError(await thrown(() => checkIdentityOptions("Owner", { vendorId: 0xffff })), RangeError, /^Owner: vendorId 65535 is out of range \(1–65524\)$/);
        expectError(await thrown(() => checkIdentityOptions("Owner", { productId: 0 })), RangeError, /^Owner: productId 0 is out of range \(1–65535\)$/);
        expectError(await thrown(() => checkIdentityOptions("Owner", { productId: 0x10000 })), RangeError, /^Owner: productId 65536 is out of range \(1–65535\)$/);
    });

    it("refuses an empty or non-string id with a TypeError", async () => {
        expectError(await thrown(() => checkIdentityOptions("Owner", { id: "" })), TypeError, /^Owner: id must be a non-empty string$/);
        expectError(await thrown(() => checkIdentityOptions("Owner", { id: 7 as unknown as string })), TypeError, /^Owner: id must be a non-empty string$/);
    });

    it("refuses an empty product name with a TypeError and one over 32 characters with a RangeError giving its length", async () => {
        expectError(await thrown(() => checkIdentityOptions("Owner", { productName: "" })), TypeError, /^Owner: productName must be a non-empty string$/);
        expectError(
            await thrown(() => checkIdentityOptions("Owner", { productName: "x".repeat(33) })),
            RangeError,
            /^Owner: productName is 33 characters; Matter allows at most 32$/,
        );
    });

    it("refuses a core profile name that is not built with a RangeError listing the profiles", async () => {
        expectError(
            await thrown(() => checkIdentityOptions("Owner", { core: "huge" as never })),
            RangeError,
            /^Owner: core "huge" is not a build profile \(tiny, default, large\)$/,
        );
    });

    it("reports the first bad option in its fixed order (passcode before discriminator before productName)", async () => {
        const all: IdentityOptions = { passcode: 11111111, discriminator: 5000, productName: "" };
        expect((await thrown(() => checkIdentityOptions("Owner", all))).message).toMatch(/passcode 11111111/);
        expect((await thrown(() => checkIdentityOptions("Owner", { ...all, passcode: 20202021 }))).message).toMatch(/discriminator 5000/);
        expect((await thrown(() => checkIdentityOptions("Owner", { ...all, passcode: 20202021, discriminator: 1 }))).message).toMatch(/productName must be/);
    });
});

describe("CameraNode.create", () => {
    const refused: { name: string; options: IdentityOptions; kind: typeof TypeError | typeof RangeError; message: RegExp }[] = [
        { name: "a fractional passcode", options: { passcode: 2020.5 }, kind: TypeError, message: /^CameraNode: passcode must be an integer, got 2020\.5$/ },
        { name: "passcode 100000000", options: { passcode: 100000000 }, kind: RangeError, message: /^CameraNode: passcode 100000000 is out of range \(1–99999998\)$/ },
        { name: "forbidden passcode 11111111", options: { passcode: 11111111 }, kind: RangeError, message: /^CameraNode: passcode 11111111 is one Matter forbids/ },
        { name: "forbidden passcode 12345678", options: { passcode: 12345678 }, kind: RangeError, message: /^CameraNode: passcode 12345678 is one Matter forbids/ },
        { name: "discriminator 4096", options: { discriminator: 4096 }, kind: RangeError, message: /^CameraNode: discriminator 4096 is out of range \(0–4095, 12 bits\)$/ },
        { name: "a 33-character product name", options: { productName: "C".repeat(33) }, kind: RangeError, message: /^CameraNode: productName is 33 characters; Matter allows at most 32$/ },
        { name: "an empty product name", options: { productName: "" }, kind: TypeError, message: /^CameraNode: productName must be a non-empty string$/ },
        { name: "vendor id 0xFFFE (matter.js takes at most 0xFFF4)", options: { vendorId: 0xfffe }, kind: RangeError, message: /^CameraNode: vendorId 65534 is out of range \(1–65524\)$/ },
        { name: 'core profile "huge"', options: { core: "huge" as never }, kind: RangeError, message: /^CameraNode: core "huge" is not a build profile \(tiny, default, large\)$/ },
    ];

    for (const { name, options, kind, message } of refused) {
        it(`refuses ${name} before creating the node`, async () => {
            const id = freshId("refused");
            const error = await thrown(() => CameraNode.create({ media: newMedia(), id, port: testPort(), ...options }));
            expectError(error, kind, message);
            expect(storageExists(id), "no storage was made for the refused node").toBe(false);
        });
    }

    it("refuses a missing media host with a TypeError, leaves the node's storage unlocked, and the same id then works", async () => {
        const id = freshId("no-media");
        const port = testPort();
        const error = await thrown(() => CameraNode.create({ media: undefined as unknown as MediaHost, id, port }));
        expectError(error, TypeError, /^WebRtcService: options\.media is required \(a MediaHost such as NodeMediaHost\)$/);
        expect(storageLocked(id), "the node made before the media host was checked is closed again").toBe(false);

        const camera = await CameraNode.create({ media: newMedia(), id, port });
        openNodes.push(camera);
        expect(storageLocked(id), "an open node holds its storage's lock").toBe(true);
        expect(camera.node.env.get(WebRtcService)).toBe(camera.service);
        await camera.start();
        expect(camera.service.running).toBe(true);
        await camera.close();
        expect(camera.service.running).toBe(false);
        expect(storageLocked(id)).toBe(false);
    });

    it("refuses a media host missing methods with a TypeError naming them, leaving no node open", async () => {
        const id = freshId("half-media");
        const { host, attached } = fakeHost(["answerOffer", "end"]);
        const error = await thrown(() => CameraNode.create({ media: host, id, port: testPort() }));
        expectError(error, TypeError, /^WebRtcService: options\.media is not a MediaHost \(missing answerOffer, end\)$/);
        expect(attached).toBe(0);
        expect(storageLocked(id)).toBe(false);
    });

    it("closes the node again when the core cannot be loaded, and the same id then works", async () => {
        const id = freshId("no-core");
        const port = testPort();
        const missing = new URL(`file://${join(env.storage, "no-such-core.wasm")}`);
        const error = await thrown(() => CameraNode.create({ media: newMedia(), id, port, core: missing }));
        expect(error.message).toMatch(/no-such-core\.wasm/);
        expect(storageLocked(id)).toBe(false);

        const camera = await CameraNode.create({ media: newMedia(), id, port, core: "tiny" });
        openNodes.push(camera);
        expect(camera.service.running).toBe(false);
    });

    it("takes options at the edges of the ranges and puts them on the node", async () => {
        const productName = "P".repeat(32);
        const camera = await CameraNode.create({
            media: newMedia(),
            id: freshId("edges"),
            port: testPort(),
            passcode: 99999998,
            discriminator: 4095,
            vendorId: 0xfff4,
            productId: 0xffff,
            productName,
        });
        openNodes.push(camera);
        expect(camera.node.state.commissioning.passcode).toBe(99999998);
        expect(camera.node.state.commissioning.discriminator).toBe(4095);
        expect(camera.node.state.basicInformation.productName).toBe(productName);
        expect(camera.node.state.basicInformation.nodeLabel).toBe(productName);
        expect(camera.node.state.basicInformation.vendorId).toBe(0xfff4);
        expect(camera.node.state.basicInformation.productId).toBe(0xffff);
    });
});

describe("WebRtcService.install", () => {
    it("refuses a missing media host with a TypeError and registers nothing; a correct install then works", async () => {
        const node = await newServerNode("svc-no-media");
        for (const options of [undefined, {}, { media: undefined }, { media: null }, { media: "host" }]) {
            const error = await thrown(() => WebRtcService.install(node, options as never));
            expectError(error, TypeError, /^WebRtcService: options\.media is required \(a MediaHost such as NodeMediaHost\)$/);
        }
        expect(node.env.has(WebRtcService)).toBe(false);
        expect(node.env.has(WebRtcEngine)).toBe(false);

        const service = await WebRtcService.install(node, { media: newMedia() });
        expect(node.env.get(WebRtcService)).toBe(service);
        expect(node.env.get(WebRtcEngine)).toBe(service.engine);
    });

    it("names exactly the methods a media host lacks, attaches nothing, registers nothing", async () => {
        const node = await newServerNode("svc-half-media");
        const some = fakeHost(["applyAnswer", "takeLocalCandidates"]);
        expectError(
            await thrown(() => WebRtcService.install(node, { media: some.host })),
            TypeError,
            /^WebRtcService: options\.media is not a MediaHost \(missing applyAnswer, takeLocalCandidates\)$/,
        );
        expect(some.attached).toBe(0);

        const none = fakeHost(METHODS);
        expectError(
            await thrown(() => WebRtcService.install(node, { media: none.host })),
            TypeError,
            /^WebRtcService: options\.media is not a MediaHost \(missing attachEvents, solicitOffer, answerOffer, applyAnswer, addRemoteCandidates, takeLocalCandidates, end\)$/,
        );
        expect(node.env.has(WebRtcService)).toBe(false);
        expect(node.env.has(WebRtcEngine)).toBe(false);

        const service = await WebRtcService.install(node, { media: newMedia() });
        expect(node.env.get(WebRtcService)).toBe(service);
    });

    it("refuses a core it cannot load before attaching the media host", async () => {
        const node = await newServerNode("svc-bad-core");
        const host = fakeHost();
        const error = await thrown(() => WebRtcService.install(node, { media: host.host, core: "huge" as never }));
        expectError(error, TypeError, /unknown core source huge/);
        expect(host.attached).toBe(0);
        expect(node.env.has(WebRtcService)).toBe(false);
        expect(node.env.has(WebRtcEngine)).toBe(false);
    });

    it("refuses a second install on the same node with an Error, keeping the first service in place and working", async () => {
        const node = await newServerNode("svc-twice");
        const first = await WebRtcService.install(node, { media: newMedia() });
        const second = fakeHost();
        const error = await thrown(() => WebRtcService.install(node, { media: second.host }));
        expectError(error, Error, /^WebRtcService: already installed on this node$/);
        expect(second.attached, "the refused host was never attached").toBe(0);
        expect(node.env.get(WebRtcService)).toBe(first);
        expect(node.env.get(WebRtcEngine)).toBe(first.engine);

        await node.start();
        expect(first.running).toBe(true);
    });

    it("runs exactly while the node is online: start, stop, start again, close", async () => {
        const node = await newServerNode("svc-life");
        const service = await WebRtcService.install(node, { media: newMedia() });
        expect(node.lifecycle.isOnline).toBe(false);
        expect(service.running).toBe(false);

        await node.start();
        expect(node.lifecycle.isOnline).toBe(true);
        expect(service.running).toBe(true);

        await node.stop();
        expect(node.lifecycle.isOnline).toBe(false);
        expect(service.running).toBe(false);

        await node.start();
        expect(service.running).toBe(true);

        await node.close();
        expect(service.running).toBe(false);
    });

    it("starts running at once when installed on a node already online", async () => {
        const node = await newServerNode("svc-late");
        await node.start();
        const service = await WebRtcService.install(node, { media: newMedia() });
        expect(service.running).toBe(true);
        await node.close();
        expect(service.running).toBe(false);
    });

    it("stops forwarding to the media host once the node is destroyed", async () => {
        const node = await newServerNode("svc-destroyed");
        const service = await WebRtcService.install(node, { media: newMedia() });
        await node.start();
        await node.close();
        const params = { videoStreamId: null, audioStreamId: null } as unknown as Parameters<typeof service.hooks.onSolicitOffer>[1];
        expectError(await thrown(() => service.hooks.onSolicitOffer(1, params)), Error, /^media plane closed$/);
        expect(service.hooks.sessionIds()).toEqual([]);
    });
});
