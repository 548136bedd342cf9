/** Plain-text tables and number formats for the benchmark's output. */

/** Renders rows under a header; the first column is left-aligned, the others right-aligned. */
export function table(header: string[], rows: string[][]): string {
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map(r => (r[c] ?? "").length)));
    const line = (cells: string[]): string =>
        cells
            .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
            .join("  ")
            .trimEnd();
    const rule = widths.map(w => "-".repeat(w)).join("  ");
    return [line(header), rule, ...rows.map(line)].join("\n");
}

export function section(title: string): string {
    return `\n${title}\n${"=".repeat(title.length)}`;
}

/** 1234567 → "1,234,567". */
export function int(n: number): string {
    return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
}

/** ns with three significant digits and a ±spread in percent. */
export function ns(value: number, spread?: number): string {
    const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
    const text = value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return spread === undefined ? text : `${text} ±${Math.round(spread * 100)}%`;
}

export function ratio(a: number, b: number): string {
    return b > 0 ? `${(a / b).toFixed(1)}×` : "n/a";
}

export function bytes(n: number): string {
    return Number.isFinite(n) ? int(n) : "n/a";
}
