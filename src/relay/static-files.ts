/**
 * Serves the built page (e.g. `dist/web`) read-only from one directory, with the headers the page
 * needs: correct content types (including `application/wasm` for streaming compilation) and
 * COOP/COEP, so the page is `crossOriginIsolated` (SharedArrayBuffer, precise timers).
 *
 * Limits: GET and HEAD only; no directory listings (a directory serves its index.html); `..`
 * segments, encoded slashes/backslashes, NUL bytes and anything that resolves (symlinks included)
 * outside the root are refused. Files are streamed, never cached in memory.
 */

import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, resolve, sep } from "node:path";

const CONTENT_TYPES: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
    ".h264": "video/h264",
};

export function contentTypeFor(path: string): string {
    return CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/** Headers on every response of the relay's HTTP server. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
};

export function sendText(response: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
    const body = Buffer.from(`${text}\n`);
    response.writeHead(status, {
        ...SECURITY_HEADERS,
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Length": String(body.length),
        "Cache-Control": "no-store",
        ...extra,
    });
    response.end(response.req.method === "HEAD" ? undefined : body);
}

/**
 * The file a URL path names inside `root`, or a status to answer instead. `root` must already be
 * a real path (no symlinks).
 */
export async function resolveStaticPath(root: string, urlPath: string): Promise<{ file: string; size: number } | { status: number; reason: string }> {
    let decoded: string;
    try {
        decoded = decodeURIComponent(urlPath);
    } catch {
        return { status: 400, reason: "bad URL encoding" };
    }
    if (decoded.includes("\0") || decoded.includes("\\")) return { status: 400, reason: "bad path" };
    const segments = decoded.split("/");
    if (segments.some(s => s === ".." || s === ".")) return { status: 403, reason: "path traversal refused" };
    if (/%2f|%5c/i.test(urlPath)) return { status: 400, reason: "encoded separators refused" };

    let candidate = resolve(join(root, ...segments.filter(s => s !== "")));
    if (candidate !== root && !candidate.startsWith(root + sep)) return { status: 403, reason: "path traversal refused" };
    try {
        let info = await stat(candidate);
        if (info.isDirectory()) {
            candidate = join(candidate, "index.html");
            info = await stat(candidate);
        }
        if (!info.isFile()) return { status: 404, reason: "not found" };
        const real = await realpath(candidate);
        if (real !== root && !real.startsWith(root + sep)) return { status: 403, reason: "path leaves the static root" };
        return { file: real, size: info.size };
    } catch {
        return { status: 404, reason: "not found" };
    }
}

/** An HTTP handler serving `root` (resolved once at creation). */
export async function createStaticHandler(rootDir: string): Promise<(request: IncomingMessage, response: ServerResponse) => void> {
    const root = await realpath(rootDir);
    return (request, response) => {
        if (request.method !== "GET" && request.method !== "HEAD") {
            sendText(response, 405, "method not allowed", { Allow: "GET, HEAD" });
            return;
        }
        const rawPath = (request.url ?? "/").split("?")[0]?.split("#")[0] ?? "/";
        if (!rawPath.startsWith("/")) {
            sendText(response, 400, "bad request target");
            return;
        }
        resolveStaticPath(root, rawPath).then(
            found => {
                if ("status" in found) {
                    sendText(response, found.status, found.reason);
                    return;
                }
                response.writeHead(200, {
                    ...SECURITY_HEADERS,
                    "Content-Type": contentTypeFor(found.file),
                    "Content-Length": String(found.size),
                    "Cache-Control": "no-cache",
                });
                if (request.method === "HEAD") {
                    response.end();
                    return;
                }
                const stream = createReadStream(found.file);
                stream.on("error", () => response.destroy());
                stream.pipe(response);
            },
            () => sendText(response, 500, "internal error"),
        );
    };
}
