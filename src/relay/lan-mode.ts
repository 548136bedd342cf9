/**
 * The relay's LAN mode as the two programs use it (`npm start -- --lan`, `npm run relay -- --lan`):
 * a phone (or another computer) on the same network opens the page and becomes the camera.
 *
 * `prepareLanMode` picks the interface and its addresses (lan.ts), gets the certificate (the kept
 * one, a new one, or the user's files; tls.ts) and returns the `startRelay` options that follow:
 * those addresses on one port, HTTPS, the host name and `<host>.local` as extra origins, and the
 * best address as the URLs' host. `lanBanner` is what the program prints once the relay listens:
 * the page URL, a QR code of it, the certificate's SHA-256 fingerprint, and the other addresses.
 *
 * Security model (what each piece protects, and what it does not):
 * - the token (256 random bits, in the page URL, required on the WebSocket; a new one each start
 *   unless `--token`) decides who may use the relay: without it nothing connects, and the relay is
 *   a socket proxy for whoever has it, within the port rules (policy.ts). Anyone who sees the URL
 *   (the QR code on the screen, a shared link, the browser's history) has it;
 * - the certificate encrypts the page, the token and the Matter traffic between the phone and the
 *   relay, so others on the LAN can neither read nor change them, and gives the page the secure
 *   context a browser demands for the camera and WebCrypto. Self-signed: no authority vouches for
 *   it, so the browser warns once, and only the fingerprint comparison (printed here, shown by the
 *   browser) tells the user that the page comes from this relay and not from someone answering on
 *   its address. Its key sits unencrypted in the state directory (0600): whoever can read that
 *   file can pose as the relay;
 * - the Origin check makes a browser refuse the WebSocket to pages of other sites (a page elsewhere
 *   cannot drive the relay with a token it learned); it accepts only this relay's own https
 *   origins: its addresses, localhost, the host name and `<host>.local`. It does not stop a
 *   non-browser client, which may send any Origin: against those the token is the lock;
 * - none of them protects the camera's picture or the Matter fabric: Matter's own encryption (CASE)
 *   protects what the node and its controllers say, and the video goes to the viewer encrypted
 *   (DTLS-SRTP). A relay host that is compromised, or a LAN host that answers mDNS for a controller,
 *   can still make the node reach places it names (within the port rules and the caps).
 */

import { hostname as osHostname } from "node:os";
import { chooseLanInterface, lanServerNames, type LanChoice } from "./lan.js";
import type { RelayOptions } from "./server.js";
import { terminalQr } from "./terminal-qr.js";
import { defaultStateDir, lanCertificate, loadCertificateFiles, type TlsIdentity } from "./tls.js";

export { CertificateError } from "./tls.js";
export { LanError } from "./lan.js";

/** What the LAN mode is asked for (the CLI's options). */
export interface LanModeOptions {
    /** The interface to serve; default the default route's (lan.ts). */
    interface?: string;
    /** The page's mDNS interface; default the served interface. */
    mdnsInterface?: string;
    /** The user's own certificate and key files (PEM); both or neither. */
    certFile?: string;
    keyFile?: string;
    /** Where the generated certificate is kept; default `defaultStateDir()`. */
    stateDir?: string;
    /** Make a new certificate even if the kept one is still good. */
    renewCertificate?: boolean;
    /** The host name for the certificate and origins; default the machine's. */
    hostname?: string;
}

/** The LAN mode, ready to start: the relay options, and what to print. */
export interface LanSetup {
    /** The interface served and its addresses. */
    choice: LanChoice;
    /** The certificate served. */
    tls: TlsIdentity;
    /** The page's mDNS interface (the page URL's `mdns=`). */
    mdnsInterface: string;
    /** Names besides addresses that reach the relay (certificate names, origins). */
    serverNames: string[];
    /** The `startRelay` options the LAN mode sets. */
    relayOptions: Required<Pick<RelayOptions, "hosts" | "tls" | "serverNames" | "urlHost">>;
    /** Lines to print before the relay starts (interface, certificate, warnings). */
    notes: string[];
}

/** Picks the interface and the certificate; throws `LanError` or `CertificateError` with a readable message. */
export async function prepareLanMode(options: LanModeOptions = {}): Promise<LanSetup> {
    const choice = chooseLanInterface(options.interface !== undefined ? { name: options.interface } : {});
    const serverNames = lanServerNames(options.hostname ?? osHostname());
    const wanted = [...serverNames, ...choice.addresses];
    const tls =
        options.certFile !== undefined && options.keyFile !== undefined
            ? await loadCertificateFiles(options.certFile, options.keyFile, wanted)
            : await lanCertificate({ stateDir: options.stateDir ?? defaultStateDir(), addresses: choice.addresses, names: serverNames, ...(options.renewCertificate ? { renew: true } : {}) });
    const notes = [`LAN mode on ${choice.interface} (${choice.addresses.join(", ")}), HTTPS`];
    if (choice.exposure === "public") {
        notes.push(`warning: ${choice.interface} has no private (LAN) address, so the relay listens on public ones: it is reachable from wherever those addresses are (the token still guards it); pick another with --interface NAME`);
    }
    if (choice.exposure === "loopback") notes.push(`note: ${choice.interface} is a loopback interface: only this machine can reach the page`);
    const until = tls.validTo.toISOString().slice(0, 10);
    if (tls.source === "generated") notes.push(`certificate: made a new self-signed one (${tls.reason ?? "asked"}), kept in ${tls.files.cert}, valid until ${until}`);
    else if (tls.source === "reused") notes.push(`certificate: the self-signed one kept in ${tls.files.cert}, valid until ${until}`);
    else notes.push(`certificate: ${tls.files.cert}, valid until ${until}`);
    if (tls.missing.length > 0) notes.push(`warning: the certificate does not name ${tls.missing.join(", ")}: a browser that opens the page by that name or address will refuse it`);
    return {
        choice,
        tls,
        mdnsInterface: options.mdnsInterface ?? choice.interface,
        serverNames,
        relayOptions: { hosts: choice.addresses, tls: { cert: tls.cert, key: tls.key }, serverNames, urlHost: choice.addresses[0] as string },
        notes,
    };
}

/**
 * What to print once the relay listens: the page URL (with the token and `mdns=`), its QR code,
 * the certificate's fingerprint and the other ways to reach the page. `color`: ANSI colours for
 * the QR code (a terminal).
 */
export function lanBanner(setup: LanSetup, pageUrl: string, port: number, options: { color: boolean; prefix: string }): string {
    const url = new URL(pageUrl);
    const others = [...setup.choice.addresses.slice(1).map(a => (a.includes(":") ? `[${a}]` : a)), ...setup.serverNames.filter(n => n !== "localhost")].map(host => {
        const other = new URL(url);
        other.host = `${host}:${port}`;
        return other.href;
    });
    const p = options.prefix;
    return [
        `${p}open this page on the phone (scan the QR code with its camera):`,
        "",
        `    ${pageUrl}`,
        "",
        terminalQr(pageUrl, { color: options.color }),
        "",
        `${p}certificate SHA-256 fingerprint (the phone's browser shows the same in the warning's details):`,
        `    ${setup.tls.fingerprint256}`,
        `${p}the browser warns once about this self-signed certificate: compare the fingerprint, then continue`,
        ...(others.length > 0 ? [`${p}the page is also at: ${others.join("  ")}`] : []),
        `${p}the address holds the access token: show the QR code only to devices you mean to use as cameras`,
    ].join("\n");
}
