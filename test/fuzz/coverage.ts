/**
 * Branch coverage of the WASM core, to measure what a fuzz mode reaches: the core compiled for one
 * profile without optimisation (`asc -O0 --debug`, in memory; build/ is not touched), then
 * instrumented with binaryen: one flag per function entry, per arm of every `if` (an `if` without
 * `else` gets one), and per outcome of every `br_if` without a value in a block (taken, not taken).
 * A flag is a mutable global the module exports; `hits()` reads them all.
 *
 * At -O0 the AssemblyScript compiler keeps the source's branches as `if`s and `br_if`s (`&&` and
 * `||` included), so a flag is close to a branch of the source, and the function names
 * (`assembly/commands/solicitOffer`) say which module it is in. Counts compare fuzz modes run on
 * the same instrumented build; they are not line coverage.
 *
 * Limits: `select`, `br_table` and `br_if` outside a block's list are not instrumented; the
 * instrumented module imports nothing but exports one global per flag, so it is for measurement
 * only (never loaded by the camera).
 */

import asc from "assemblyscript/asc";
// binaryen as AssemblyScript ships it (its own pinned version): no dependency of our own
import binaryen from "assemblyscript/binaryen";
import { Core } from "../../src/engine/core.js";
import type { Profile } from "../../src/engine/loader.js";

/** One flag: the function it is in and which branch it marks. */
export interface Site {
    fn: string;
    kind: "entry" | "then" | "else" | "br_if taken" | "br_if not taken";
}

export interface CoveredCore {
    core: Core;
    sites: readonly Site[];
    /** Which flags are set (1) since the last `clear`. */
    hits(): Uint8Array;
    clear(): void;
}

/** binaryen.js's expression and function wrappers, which its type declarations leave out. */
const wrap = binaryen as unknown as {
    If: { setIfTrue(expr: number, x: number): void; setIfFalse(expr: number, x: number): void };
    Block: { setChildAt(expr: number, index: number, x: number): void };
    Function: { setBody(fn: number, body: number): void };
};

const built = new Map<Profile, Promise<{ module: WebAssembly.Module; sites: Site[] }>>();

/** Compiles `profile` at -O0 with debug names, in memory. */
async function compileO0(profile: Profile): Promise<Uint8Array> {
    let wasm: Uint8Array | undefined;
    const result = await asc.main(
        ["assembly/index.ts", "--config", "asconfig.json", "--target", profile, "--optimizeLevel", "0", "--shrinkLevel", "0", "--debug", "--outFile", "coverage.wasm"],
        {
            writeFile(name: string, contents: Uint8Array | string) {
                if (name.endsWith(".wasm") && typeof contents !== "string") wasm = contents;
            },
        },
    );
    if (result.error !== null || wasm === undefined) throw new Error(`asc failed for ${profile}: ${String(result.error)} ${result.stderr.toString()}`);
    return wasm;
}

const CHILD_FIELDS: Record<number, string[]> = {
    [binaryen.BlockId]: ["children"],
    [binaryen.IfId]: ["condition", "ifTrue", "ifFalse"],
    [binaryen.LoopId]: ["body"],
    [binaryen.BreakId]: ["condition", "value"],
    [binaryen.SwitchId]: ["condition", "value"],
    [binaryen.CallId]: ["operands"],
    [binaryen.CallIndirectId]: ["target", "operands"],
    [binaryen.LocalSetId]: ["value"],
    [binaryen.GlobalSetId]: ["value"],
    [binaryen.LoadId]: ["ptr"],
    [binaryen.StoreId]: ["ptr", "value"],
    [binaryen.UnaryId]: ["value"],
    [binaryen.BinaryId]: ["left", "right"],
    [binaryen.SelectId]: ["ifTrue", "ifFalse", "condition"],
    [binaryen.DropId]: ["value"],
    [binaryen.ReturnId]: ["value"],
    [binaryen.MemoryGrowId]: ["delta"],
    [binaryen.MemoryFillId]: ["dest", "value", "size"],
    [binaryen.MemoryCopyId]: ["dest", "source", "size"],
};

/** Adds the flags to every function of `m`; returns the sites in flag order. */
function instrument(m: binaryen.Module): Site[] {
    const sites: Site[] = [];
    const flag = (fn: string, kind: Site["kind"]): binaryen.ExpressionRef => {
        const name = `cov${sites.length}`;
        sites.push({ fn, kind });
        m.addGlobal(name, binaryen.i32, true, m.i32.const(0));
        m.addGlobalExport(name, `__cov${sites.length - 1}`);
        return m.global.set(name, m.i32.const(1));
    };
    const visit = (fn: string, expr: binaryen.ExpressionRef): void => {
        if (expr === 0) return;
        const fields = CHILD_FIELDS[binaryen.getExpressionId(expr)];
        if (fields === undefined) return; // a leaf (const, local.get, nop, unreachable, ...)
        const info = binaryen.getExpressionInfo(expr) as unknown as Record<string, unknown> & { id: number; type: number };
        for (const field of fields) {
            const v = info[field];
            if (Array.isArray(v)) for (const c of v as number[]) visit(fn, c);
            else if (typeof v === "number") visit(fn, v);
        }
        if (info.id === binaryen.IfId) {
            const ifTrue = info.ifTrue as number;
            const ifFalse = info.ifFalse as number;
            wrap.If.setIfTrue(expr, m.block(null, [flag(fn, "then"), ifTrue], binaryen.getExpressionType(ifTrue)));
            if (ifFalse !== 0) wrap.If.setIfFalse(expr, m.block(null, [flag(fn, "else"), ifFalse], binaryen.getExpressionType(ifFalse)));
            else if (info.type === binaryen.none) wrap.If.setIfFalse(expr, flag(fn, "else"));
        } else if (info.id === binaryen.BlockId) {
            const children = info.children as number[];
            children.forEach((c, i) => {
                if (binaryen.getExpressionId(c) !== binaryen.BreakId) return;
                const b = binaryen.getExpressionInfo(c) as unknown as { name: string; condition: number; value: number };
                if (b.condition === 0 || b.value !== 0) return;
                const taken = m.block(null, [flag(fn, "br_if taken"), m.br(b.name)], binaryen.unreachable);
                wrap.Block.setChildAt(expr, i, m.if(b.condition, taken, flag(fn, "br_if not taken")));
            });
        }
    };
    const n = m.getNumFunctions();
    for (let i = 0; i < n; i++) {
        const f = m.getFunctionByIndex(i);
        const info = binaryen.getFunctionInfo(f);
        if (info.body === 0) continue; // imported
        visit(info.name, info.body);
        wrap.Function.setBody(f, m.block(null, [flag(info.name, "entry"), info.body], info.results));
    }
    return sites;
}

/** A fresh instrumented core of `profile` (compiled and instrumented once per process). */
export async function coveredCore(profile: Profile = "default"): Promise<CoveredCore> {
    let entry = built.get(profile);
    if (entry === undefined) {
        entry = (async () => {
            const m = binaryen.readBinaryWithFeatures(await compileO0(profile), binaryen.Features.All);
            const sites = instrument(m);
            if (!m.validate()) throw new Error("instrumented module does not validate");
            const bytes = new Uint8Array(m.emitBinary());
            m.dispose();
            return { module: await WebAssembly.compile(bytes), sites };
        })();
        built.set(profile, entry);
    }
    const { module, sites } = await entry;
    const instance = await WebAssembly.instantiate(module, {});
    const exports = instance.exports as Record<string, unknown>;
    const globals = sites.map((_, i) => exports[`__cov${i}`] as WebAssembly.Global);
    return {
        core: new Core(instance.exports as never),
        sites,
        hits: () => Uint8Array.from(globals, g => (g.value as number) === 0 ? 0 : 1),
        clear: () => globals.forEach(g => (g.value = 0)),
    };
}

/** The module a function name belongs to: "assembly/commands/solicitOffer" → "commands". */
export function moduleOf(fn: string): string {
    const m = /^assembly\/([a-z0-9-]+)\//.exec(fn);
    return m !== null ? (m[1] as string) : "(runtime)";
}

/** Flags set per module: [module, set, total], for the modules of `assembly/`. */
export function byModule(sites: readonly Site[], hits: Uint8Array): [string, number, number][] {
    const out = new Map<string, [number, number]>();
    sites.forEach((s, i) => {
        const k = moduleOf(s.fn);
        const e = out.get(k) ?? [0, 0];
        e[0] += hits[i] ?? 0;
        e[1] += 1;
        out.set(k, e);
    });
    return [...out.entries()].map(([k, [a, b]]) => [k, a, b] as [string, number, number]).sort((x, y) => x[0].localeCompare(y[0]));
}
