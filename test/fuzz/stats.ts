/**
 * What a fuzz run reached, per mode and command: the status of every payload, how many got past
 * admission and decoding (by the oracle's reading, the same measure for both modes), how many were
 * accepted, the distinct outcomes (command, status, action, the check that decided), the statuses
 * per fault family, and the rate. `report` prints the modes side by side.
 *
 * Limits: "past decoding" is the oracle's verdict on the bytes, so it is as right as the oracle —
 * which the structured mode checks against the core on every payload.
 */

import { statusName } from "../../src/engine/status.js";
import { COMMAND_IDS, COMMAND_NAMES } from "./request-oracle.js";

export interface ModeStats {
    mode: string;
    profile: string;
    payloads: number;
    steps: number;
    /** Wall-clock seconds. */
    seconds: number;
    /** CPU seconds of this process (user + system): the rate that does not depend on the machine's load. */
    cpuSeconds: number;
    /** command → status → payloads. */
    statuses: Map<number, Map<number, number>>;
    /** command → payloads admitted and decoded (they reached the rules). */
    pastDecode: Map<number, number>;
    /** Payloads per distinct outcome: command, status, action and the deciding check. */
    outcomes: Map<string, number>;
    /** fault family → status → payloads (structured mode). */
    families: Map<string, Map<number, number>>;
    /** Model comparisons made (structured mode) or invariant checks (both). */
    checks: number;
}

export function newStats(mode: string, profile: string): ModeStats {
    return { mode, profile, payloads: 0, steps: 0, seconds: 0, cpuSeconds: 0, statuses: new Map(), pastDecode: new Map(), outcomes: new Map(), families: new Map(), checks: 0 };
}

function bump<K>(map: Map<K, number>, key: K, n = 1): void {
    map.set(key, (map.get(key) ?? 0) + n);
}
function bumpIn<K>(map: Map<K, Map<number, number>>, key: K, status: number, n = 1): void {
    let inner = map.get(key);
    if (inner === undefined) map.set(key, (inner = new Map()));
    bump(inner, status, n);
}

/** Starts timing a run; the returned function adds the elapsed wall and CPU time to `s`. */
export function timer(s: ModeStats): () => void {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    return () => {
        const used = process.cpuUsage(cpu);
        s.seconds += (performance.now() - wall) / 1000;
        s.cpuSeconds += (used.user + used.system) / 1e6;
    };
}

/** Records one payload's outcome. */
export function record(s: ModeStats, command: number, status: number, pastDecode: boolean, outcome: string, fault?: string): void {
    s.payloads++;
    bumpIn(s.statuses, command, status);
    if (pastDecode) bump(s.pastDecode, command);
    bump(s.outcomes, `${command}:${status}:${outcome}`);
    if (fault !== undefined) bumpIn(s.families, fault, status);
}

/** Adds `b`'s counts into `a` (same mode, another profile). */
export function merge(a: ModeStats, b: ModeStats): void {
    a.payloads += b.payloads;
    a.steps += b.steps;
    a.seconds += b.seconds;
    a.cpuSeconds += b.cpuSeconds;
    a.checks += b.checks;
    for (const [c, m] of b.statuses) for (const [st, n] of m) bumpIn(a.statuses, c, st, n);
    for (const [c, n] of b.pastDecode) bump(a.pastDecode, c, n);
    for (const [o, n] of b.outcomes) bump(a.outcomes, o, n);
    for (const [f, m] of b.families) for (const [st, n] of m) bumpIn(a.families, f, st, n);
}

const sum = (m: Map<number, number> | undefined) => [...(m?.values() ?? [])].reduce((x, y) => x + y, 0);
export const total = (s: ModeStats, status?: number): number =>
    [...s.statuses.values()].reduce((x, m) => x + (status === undefined ? sum(m) : m.get(status) ?? 0), 0);
export const pastDecodeTotal = (s: ModeStats): number => [...s.pastDecode.values()].reduce((x, y) => x + y, 0);
/** Share of payloads accepted (SUCCESS). */
export const successShare = (s: ModeStats): number => (s.payloads === 0 ? 0 : total(s, 0) / s.payloads);
/** Share of payloads that got past admission and decoding. */
export const pastDecodeShare = (s: ModeStats): number => (s.payloads === 0 ? 0 : pastDecodeTotal(s) / s.payloads);

const pct = (n: number, of: number) => (of === 0 ? "-" : `${((100 * n) / of).toFixed(1)}%`);
const short = (status: number) => statusName(status).replace(/ \(0x..\)$/, "");

/** The side-by-side report of several modes' stats (one line per mode and command). */
export function report(modes: ModeStats[]): string {
    const lines: string[] = [];
    const statusSet = new Set<number>();
    for (const s of modes) for (const m of s.statuses.values()) for (const st of m.keys()) statusSet.add(st);
    const statuses = [...statusSet].sort((a, b) => a - b);
    lines.push("mode        profile(s)          payloads    steps   wall s    CPU s   payloads/s   per CPU s   accepted   past decoding   distinct outcomes");
    for (const s of modes) {
        lines.push(
            `${s.mode.padEnd(11)} ${s.profile.padEnd(18)} ${String(s.payloads).padStart(9)} ${String(s.steps).padStart(8)} ${s.seconds.toFixed(1).padStart(8)} ${s.cpuSeconds.toFixed(1).padStart(8)} ` +
            `${Math.round(s.payloads / Math.max(s.seconds, 1e-9)).toString().padStart(12)} ${Math.round(s.payloads / Math.max(s.cpuSeconds, 1e-9)).toString().padStart(11)} ${pct(total(s, 0), s.payloads).padStart(10)} ` +
            `${pct(pastDecodeTotal(s), s.payloads).padStart(15)} ${String(s.outcomes.size).padStart(19)}`,
        );
    }
    lines.push("");
    lines.push(`statuses per command (share of that command's payloads; "past dec." = admitted and decoded):`);
    lines.push(["command".padEnd(21), "mode".padEnd(11), "payloads".padStart(9), "past dec.".padStart(10), ...statuses.map(st => short(st).slice(0, 16).padStart(17))].join(" "));
    for (const c of COMMAND_IDS) {
        for (const s of modes) {
            const m = s.statuses.get(c);
            const n = sum(m);
            lines.push([
                (COMMAND_NAMES[c] as string).padEnd(21), s.mode.padEnd(11), String(n).padStart(9), pct(s.pastDecode.get(c) ?? 0, n).padStart(10),
                ...statuses.map(st => pct(m?.get(st) ?? 0, n).padStart(17)),
            ].join(" "));
        }
    }
    lines.push("");
    lines.push("where payloads were decided (share of all payloads of the mode): the check that answered, in the core's order");
    const checks = new Map<string, number[]>();
    modes.forEach((s, i) => {
        for (const [o, n] of s.outcomes) {
            const step = o.split(":").slice(3).join(":") || "?";
            const row = checks.get(step) ?? modes.map(() => 0);
            row[i] = (row[i] as number) + n;
            checks.set(step, row);
        }
    });
    lines.push(["check".padEnd(22), ...modes.map(s => s.mode.padStart(12))].join(" "));
    for (const [step, row] of [...checks.entries()].sort((a, b) => (b[1][b[1].length - 1] as number) - (a[1][a[1].length - 1] as number))) {
        lines.push([step.padEnd(22), ...row.map((n, i) => pct(n, (modes[i] as ModeStats).payloads).padStart(12))].join(" "));
    }
    const withFamilies = modes.filter(s => s.families.size > 0);
    for (const s of withFamilies) {
        lines.push("");
        lines.push(`${s.mode}: statuses per fault family`);
        for (const [f, m] of [...s.families.entries()].sort()) {
            const n = sum(m);
            const top = [...m.entries()].sort((a, b) => b[1] - a[1]).map(([st, k]) => `${short(st)} ${pct(k, n)}`).join(", ");
            lines.push(`  ${f.padEnd(12)} ${String(n).padStart(9)}  ${top}`);
        }
    }
    return lines.join("\n");
}
