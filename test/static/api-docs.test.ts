/**
 * The public API renders to an API page with every exported item documented: TypeDoc runs with the
 * repository's own typedoc.json (the seven package entry points, validation on, warnings as
 * errors), so a new export without a doc comment, a public signature that names a type no entry
 * point exports, or a broken `{@link}` fails here as it fails `npm run docs`.
 *
 * The pages are rendered to a temporary directory, never to dist/api, so this test and
 * `npm run docs` cannot write over each other. The checks on the output are few and coarse: the
 * index lists the seven entry modules, and the symbols a reader starts from have pages.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Application, LogLevel } from "typedoc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "../..");

/** The package's subpath exports, as TypeDoc names their modules (the `@module` tag of each entry file). */
const MODULES = [
    "matter-webrtc-provider",
    "matter-webrtc-provider/engine",
    "matter-webrtc-provider/node",
    "matter-webrtc-provider/browser",
    "matter-webrtc-provider/worker",
    "matter-webrtc-provider/relay",
    "matter-webrtc-provider/relay-client",
];

/** Where a reader starts: symbol → the page TypeDoc's default theme gives it. */
const KEY_PAGES: Record<string, string> = {
    CameraNode: "classes/matter-webrtc-provider.CameraNode.html",
    WebRtcService: "classes/matter-webrtc-provider.WebRtcService.html",
    WebRtcProviderServer: "classes/matter-webrtc-provider.WebRtcProviderServer.html",
    CameraAvStreamServer: "classes/matter-webrtc-provider.CameraAvStreamServer.html",
    MediaHost: "interfaces/matter-webrtc-provider.MediaHost.html",
    NodeMediaHost: "classes/matter-webrtc-provider_node.NodeMediaHost.html",
    BrowserCamera: "classes/matter-webrtc-provider_browser.BrowserCamera.html",
    startRelay: "functions/matter-webrtc-provider_relay.startRelay.html",
    WebSocketNetwork: "classes/matter-webrtc-provider_relay-client.WebSocketNetwork.html",
};

/** The page of an entry module: the module name with `/` written as `_`. */
function modulePage(name: string): string {
    return `modules/${name.replaceAll("/", "_")}.html`;
}

describe("API docs (TypeDoc)", () => {
    let out = "";
    /** Every warning and error TypeDoc reported, in order. */
    const problems: string[] = [];
    let errors = false;
    let warnings = false;

    beforeAll(async () => {
        out = mkdtempSync(join(tmpdir(), "mwp-api-"));
        const app = await Application.bootstrapWithPlugins({ options: join(ROOT, "typedoc.json") });
        const log = app.logger.log.bind(app.logger);
        app.logger.log = (message, level) => {
            // messages come with the console's colour codes
            if (level >= LogLevel.Warn) problems.push(String(message).replace(/\u001b\[[\d;]*m/g, ""));
            log(message, level);
        };
        const project = await app.convert();
        if (project === undefined) throw new Error(`TypeDoc could not convert the project:\n${problems.join("\n")}`);
        app.validate(project);
        await app.generateDocs(project, out);
        errors = app.logger.hasErrors();
        warnings = app.logger.hasWarnings();
    }, 180_000);

    afterAll(() => {
        if (out !== "") rmSync(out, { recursive: true, force: true });
    });

    it("reports no error and no warning (a missing doc comment is a warning)", () => {
        expect(problems).toEqual([]);
        expect(errors).toBe(false);
        expect(warnings).toBe(false);
    });

    it("lists each entry module on the index, with a page of its own", () => {
        const index = readFileSync(join(out, "index.html"), "utf8");
        for (const name of MODULES) {
            expect(index, name).toContain(`href="${modulePage(name)}"`);
            expect(index, name).toContain(`>${name}<`);
            expect(existsSync(join(out, modulePage(name))), modulePage(name)).toBe(true);
        }
    });

    it("gives the key symbols pages with their doc comments", () => {
        for (const [symbol, page] of Object.entries(KEY_PAGES)) {
            const path = join(out, page);
            expect(existsSync(path), `${symbol}: ${page}`).toBe(true);
            const html = readFileSync(path, "utf8");
            expect(html, symbol).toMatch(new RegExp(`<h1>\\w+ ${symbol}</h1>`));
            // the symbol's own summary (a function's sits under its signature)
            expect(html.slice(html.indexOf("<h1>")), symbol).toMatch(/class="tsd-comment tsd-typography"><p>\S/);
        }
    });
});
