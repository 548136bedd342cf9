/**
 * Which explanation of the page's connection a user needs, from the page's own address:
 *
 * - "certificate": the page came over https from another machine (the relay's LAN mode, with the
 *   certificate it made itself): the browser warned about the certificate; say why, how to check
 *   the fingerprint, and what the token protects;
 * - "insecure": the page came over plain http from another machine: not a secure context, so the
 *   browser gives it no camera and no WebCrypto (the camera's node cannot start); say how to use
 *   the LAN mode instead;
 * - "none": this machine (localhost, 127.0.0.0/8, ::1) over either scheme — a secure context,
 *   no warning was shown.
 *
 * A pure function of the URL's scheme and host and the browser's `isSecureContext`, so it is
 * tested in Node; web/main.ts shows the matching part of index.html.
 */

export type ConnectionHelp = "certificate" | "insecure" | "none";

/** True for names and addresses of this machine, which browsers treat as secure over http too. */
export function isLoopbackHost(hostname: string): boolean {
    const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
    return host === "localhost" || host.endsWith(".localhost") || /^127(\.\d{1,3}){3}$/.test(host) || host === "::1";
}

export function connectionHelp(page: { protocol: string; hostname: string }, isSecureContext: boolean): ConnectionHelp {
    if (!isSecureContext) return "insecure";
    if (page.protocol === "https:" && !isLoopbackHost(page.hostname)) return "certificate";
    return "none";
}
