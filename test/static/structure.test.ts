/**
 * The shape of the code, checked on every run so it stays what DESIGN.md's ownership table says:
 *
 * - no import circle among the files of `assembly/`, `src/`, `worker/` and `web/` (relative
 *   imports, type-only ones included: a circle of types is still a knot for the reader);
 * - the rooms import downwards only: `src/engine` nothing outside itself; `src/relay` nothing from
 *   the engine, the behaviors or the media hosts; `src/media` nothing from `src/matter`; the
 *   browser host nothing from the Node host and the other way round;
 * - the core stays inside the engine: no `engine.core` outside `src/engine`;
 * - a file in `src/` over 500 lines says in its header why it is one file (a `Size:` paragraph);
 * - the page's main thread does not load matter.js: nothing `web/main.ts` reaches imports
 *   `@matter/*` (the node runs in the worker, which the page starts by URL, not by import).
 *
 * Imports are read with TypeScript's own pre-processor (`ts.preProcessFile`), so comments and
 * strings that look like imports are not counted. Limits: only relative specifiers are followed;
 * packages are outside the graph.
 */

import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "../..");
const ROOMS = ["assembly", "src", "worker", "web"];
const SIZE_LIMIT = 500;

function sourceFiles(dir: string): string[] {
    return readdirSync(dir).flatMap(name => {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return name === "node_modules" ? [] : sourceFiles(path);
        return /\.ts$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
    });
}

/** The repository file a relative specifier names (`.js` written for a `.ts` file, or a folder's index). */
function resolveSpecifier(from: string, specifier: string, known: Set<string>): string | undefined {
    const base = resolve(dirname(from), specifier);
    const candidates = [base, base.replace(/\.(m?js)$/, ".ts"), `${base}.ts`, join(base, "index.ts")];
    return candidates.find(c => known.has(c));
}

const files = ROOMS.flatMap(room => sourceFiles(join(ROOT, room)));
const known = new Set(files);
const specifiers = new Map<string, string[]>(files.map(file => [file, ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map(f => f.fileName)]));
const imports = new Map<string, string[]>(
    files.map(file => {
        const targets = specifiers
            .get(file)!
            .filter(name => name.startsWith("."))
            .map(name => resolveSpecifier(file, name, known))
            .filter((t): t is string => t !== undefined);
        return [file, [...new Set(targets)]];
    }),
);
const rel = (file: string): string => relative(ROOT, file);

/** Every strongly connected group of more than one file (Tarjan), as repository paths. */
function circles(): string[][] {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const found: string[][] = [];
    let next = 0;
    const visit = (file: string): void => {
        index.set(file, next);
        low.set(file, next);
        next++;
        stack.push(file);
        onStack.add(file);
        for (const target of imports.get(file) ?? []) {
            if (!index.has(target)) {
                visit(target);
                low.set(file, Math.min(low.get(file)!, low.get(target)!));
            } else if (onStack.has(target)) {
                low.set(file, Math.min(low.get(file)!, index.get(target)!));
            }
        }
        if (low.get(file) === index.get(file)) {
            const group: string[] = [];
            let member: string;
            do {
                member = stack.pop()!;
                onStack.delete(member);
                group.push(rel(member));
            } while (member !== file);
            if (group.length > 1 || (imports.get(file) ?? []).includes(file)) found.push(group.sort());
        }
    };
    for (const file of files) if (!index.has(file)) visit(file);
    return found;
}

/** Imports from files under `from` into files under any of `into` ("a → b" lines). */
function importsAcross(from: string, into: string[]): string[] {
    return files
        .filter(f => rel(f).startsWith(`${from}/`))
        .flatMap(f => (imports.get(f) ?? []).filter(t => into.some(room => rel(t).startsWith(`${room}/`))).map(t => `${rel(f)} → ${rel(t)}`));
}

describe("code structure", () => {
    it("reads the import graph (the rooms are there and import each other)", () => {
        expect(files.length).toBeGreaterThan(50);
        expect(importsAcross("src/matter", ["src/engine"]).length).toBeGreaterThan(0);
    });

    it("has no import circle in assembly/, src/, worker/ or web/", () => {
        expect(circles()).toEqual([]);
    });

    it("imports downwards only: engine ← matter, media; relay on its own; the two media hosts apart", () => {
        expect(importsAcross("src/engine", ["src/matter", "src/media", "src/relay", "src/cli", "worker", "web"])).toEqual([]);
        expect(importsAcross("src/relay", ["src/engine", "src/matter", "src/media", "src/cli", "worker", "web"])).toEqual([]);
        expect(importsAcross("src/media", ["src/matter", "src/cli", "worker", "web"])).toEqual([]);
        expect(importsAcross("src/media/browser", ["src/media/node"])).toEqual([]);
        expect(importsAcross("src/media/node", ["src/media/browser"])).toEqual([]);
    });

    it("keeps the core inside the engine (no engine.core outside src/engine)", () => {
        const reaching = files
            .filter(f => !rel(f).startsWith("src/engine/"))
            .filter(f => /\bengine\??\.core\b/.test(readFileSync(f, "utf8")))
            .map(rel);
        expect(reaching).toEqual([]);
    });

    it("keeps matter.js out of the page's main thread (it runs in the worker)", () => {
        const reached = new Set<string>();
        const visit = (file: string): void => {
            if (reached.has(file)) return;
            reached.add(file);
            for (const target of imports.get(file) ?? []) visit(target);
        };
        visit(join(ROOT, "web", "main.ts"));
        expect(reached.size).toBeGreaterThan(3);
        const pulling = [...reached].filter(f => specifiers.get(f)!.some(name => name.startsWith("@matter/"))).map(rel);
        expect(pulling).toEqual([]);
    });

    it(`says why a file in src/ is over ${SIZE_LIMIT} lines`, () => {
        const unexplained = files
            .filter(f => rel(f).startsWith("src/"))
            .map(f => ({ file: rel(f), text: readFileSync(f, "utf8") }))
            .filter(({ text }) => text.split("\n").length > SIZE_LIMIT)
            .filter(({ text }) => !/^ \* Size:/m.test(text.slice(0, text.indexOf("*/") + 2)))
            .map(({ file }) => file);
        expect(unexplained).toEqual([]);
    });
});
