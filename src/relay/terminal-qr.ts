/**
 * A QR code drawn with text, so a phone can scan the page URL off the terminal the relay prints it
 * in. Two modules per character cell (Unicode half blocks `▀ ▄ █`), so a URL with its token
 * (version 6–7, ~50 modules with the quiet zone) is ~25 lines tall: it fits an ordinary terminal,
 * where `qr`'s own "term" output (one module per cell pair) takes twice that.
 *
 * On a terminal (`color: true`) every line is drawn black on white with ANSI colours, so the code is
 * dark on light whatever the terminal's theme (phone scanners expect that; many cannot read an
 * inverted code). Without colour the blocks are the dark modules, as they print on paper or in a
 * log. Error correction "low": a screen does not smudge, and every level up makes the code larger.
 * The quiet zone is 2 modules, inside the white.
 */

import encodeQR from "qr";

/** The text block of a QR code of `text`; `color` adds the ANSI black-on-white. */
export function terminalQr(text: string, options: { color: boolean }): string {
    const modules = encodeQR(text, "raw", { ecc: "low", border: 2 });
    const lines: string[] = [];
    for (let y = 0; y < modules.length; y += 2) {
        const top = modules[y] ?? [];
        const bottom = modules[y + 1] ?? [];
        let line = "";
        for (let x = 0; x < top.length; x++) {
            const up = top[x] === true;
            const down = bottom[x] === true;
            line += up && down ? "█" : up ? "▀" : down ? "▄" : " ";
        }
        lines.push(options.color ? `\x1b[30;47m${line}\x1b[0m` : line);
    }
    return lines.join("\n");
}

/** The module matrix a {@link terminalQr} block (without colour) draws: true = dark. For tests and checks. */
export function readTerminalQr(block: string): boolean[][] {
    const rows: boolean[][] = [];
    for (const line of block.replace(/\x1b\[[0-9;]*m/g, "").split("\n")) {
        const chars = [...line];
        rows.push(chars.map(c => c === "█" || c === "▀"));
        rows.push(chars.map(c => c === "█" || c === "▄"));
    }
    return rows;
}
