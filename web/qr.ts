/**
 * Draws the Matter onboarding QR code ("MT:…") on a canvas. The symbol comes from `qr` (zero
 * dependencies, by the author of @noble/curves that matter.js already uses); this only paints the
 * module matrix, with a 4-module quiet zone as the QR standard asks.
 */

import encodeQR from "qr";

export function drawQr(canvas: HTMLCanvasElement, text: string, moduleSize = 6): void {
    const matrix = encodeQR(text, "raw", { ecc: "medium", border: 4 });
    const size = matrix.length;
    canvas.width = size * moduleSize;
    canvas.height = size * moduleSize;
    const g = canvas.getContext("2d");
    if (g === null) return;
    g.fillStyle = "#ffffff";
    g.fillRect(0, 0, canvas.width, canvas.height);
    g.fillStyle = "#000000";
    matrix.forEach((row, y) =>
        row.forEach((dark, x) => {
            if (dark) g.fillRect(x * moduleSize, y * moduleSize, moduleSize, moduleSize);
        }),
    );
}
