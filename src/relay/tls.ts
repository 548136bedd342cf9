/**
 * The certificate of the relay's LAN mode: a phone's browser gives the camera only to a secure
 * (HTTPS) page, so the relay serves the page over TLS.
 *
 * - Made on first start with `selfsigned` (a maintained library; no hand-written crypto): an ECDSA
 *   P-256 key, SHA-256 signature, 397 days (under every browser's limit for server certificates),
 *   `serverAuth`, and subject alternative names for every address the relay serves plus
 *   `localhost`, the host name and `<host>.local`. Kept in the state directory (`lan-cert.pem`,
 *   `lan-key.pem`, key mode 0600, directory 0700) and used again on the next start, so a phone that
 *   accepted it once is not asked again; made anew when asked (`renew`), when it expires within 7
 *   days, when its files are unreadable or do not belong together, or when it does not name an
 *   address or name the relay now serves (the LAN gave the machine a new address).
 * - Or the user's own (`--cert FILE --key FILE`): read as PEM, checked (a certificate, a private
 *   key that is not encrypted, the two belong together, valid now); a failure is a
 *   {@link CertificateError} whose message says which file and what is wrong. Names it lacks are
 *   reported, not refused: the user may reach it by a name we do not know.
 *
 * The SHA-256 fingerprint is what the user compares with what the phone's browser shows.
 * Limits: self-signed, so every browser warns once; nothing here installs it as trusted anywhere.
 */

import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";
import { canonicalAddress, ipVersion } from "./policy.js";

/** A certificate and key the relay serves, and what the user is shown about it. */
export interface TlsIdentity {
    /** The certificate, PEM. */
    cert: string;
    /** The private key, PEM. */
    key: string;
    /** SHA-256 fingerprint, colon-separated hex, as browsers show it. */
    fingerprint256: string;
    /** When it expires. */
    validTo: Date;
    /** Its subject alternative names: DNS names and addresses (canonical). */
    names: string[];
    /** "generated" now, "reused" from the state directory, or the user's "files". */
    source: "generated" | "reused" | "files";
    /** Why a new one was made (for the log), when `source` is "generated". */
    reason?: string;
    /** The files it was read from or written to. */
    files: { cert: string; key: string };
    /** Names and addresses asked for that it does not carry (only for the user's own files). */
    missing: string[];
}

/** A certificate or key file that cannot be used; the message names the file and the problem. */
export class CertificateError extends Error {}

/** How long a generated certificate is valid. */
export const CERTIFICATE_DAYS = 397;
/** A kept certificate closer than this to its end is made anew. */
export const RENEW_BEFORE_DAYS = 7;
const DAY_MS = 86_400_000;

/** `$XDG_CONFIG_HOME/matter-webrtc-provider`, else `~/.config/matter-webrtc-provider`. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
    const base = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME.startsWith("/") ? env.XDG_CONFIG_HOME : join(home, ".config");
    return join(base, "matter-webrtc-provider");
}

/** The files of the kept certificate in `stateDir`. */
export function certificateFiles(stateDir: string): { cert: string; key: string } {
    return { cert: join(stateDir, "lan-cert.pem"), key: join(stateDir, "lan-key.pem") };
}

/** The subject alternative names of a certificate: DNS names lower case, addresses canonical. */
export function subjectAltNames(x509: X509Certificate): string[] {
    return (x509.subjectAltName ?? "")
        .split(/,\s*/)
        .map(entry => {
            const match = /^(DNS|IP Address):(.+)$/.exec(entry.trim());
            if (match === null) return undefined;
            return match[1] === "DNS" ? (match[2] ?? "").toLowerCase() : canonicalAddress(match[2] ?? "");
        })
        .filter((name): name is string => name !== undefined && name !== "");
}

/** What of `wanted` (names and addresses) the certificate does not name. */
export function notCovered(x509: X509Certificate, wanted: readonly string[]): string[] {
    const names = new Set(subjectAltNames(x509));
    return wanted.filter(name => !names.has(ipVersion(name) !== 0 ? canonicalAddress(name) : name.toLowerCase()));
}

function identity(cert: string, key: string, x509: X509Certificate, source: TlsIdentity["source"], files: TlsIdentity["files"], missing: string[] = [], reason?: string): TlsIdentity {
    return {
        cert,
        key,
        fingerprint256: x509.fingerprint256,
        validTo: new Date(x509.validTo),
        names: subjectAltNames(x509),
        source,
        ...(reason !== undefined ? { reason } : {}),
        files,
        missing,
    };
}

function parseCertificate(pem: string, file: string): X509Certificate {
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new CertificateError(`${file} is not a PEM certificate (no "BEGIN CERTIFICATE" block)`);
    try {
        return new X509Certificate(pem);
    } catch (error) {
        throw new CertificateError(`${file} holds no readable certificate: ${error instanceof Error ? error.message : String(error)}`);
    }
}

function parseKey(pem: string, file: string): KeyObject {
    if (/ENCRYPTED/.test(pem)) throw new CertificateError(`${file} is an encrypted private key; give the relay an unencrypted one`);
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new CertificateError(`${file} is not a PEM private key (no "BEGIN … PRIVATE KEY" block)`);
    try {
        return createPrivateKey(pem);
    } catch (error) {
        throw new CertificateError(`${file} holds no readable private key: ${error instanceof Error ? error.message : String(error)}`);
    }
}

async function readText(file: string, what: string): Promise<string> {
    try {
        return await readFile(file, "utf8");
    } catch (error) {
        const code = (error as { code?: unknown }).code;
        const why = code === "ENOENT" ? "it does not exist" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a directory" : String(error);
        throw new CertificateError(`cannot read the ${what} ${file}: ${why}`);
    }
}

/**
 * The user's own certificate and key (`--cert`, `--key`), checked: PEM, unencrypted key, the pair
 * belongs together, valid at `now`. `wanted` names and addresses it lacks are in `missing`.
 */
export async function loadCertificateFiles(certFile: string, keyFile: string, wanted: readonly string[] = [], now = new Date()): Promise<TlsIdentity> {
    const cert = await readText(certFile, "certificate file");
    const key = await readText(keyFile, "key file");
    const x509 = parseCertificate(cert, certFile);
    const privateKey = parseKey(key, keyFile);
    if (!x509.checkPrivateKey(privateKey)) throw new CertificateError(`the key in ${keyFile} does not belong to the certificate in ${certFile}`);
    if (new Date(x509.validTo).getTime() <= now.getTime()) throw new CertificateError(`the certificate in ${certFile} expired on ${x509.validTo}`);
    if (new Date(x509.validFrom).getTime() > now.getTime()) throw new CertificateError(`the certificate in ${certFile} is not valid before ${x509.validFrom}`);
    return identity(cert, key, x509, "files", { cert: certFile, key: keyFile }, notCovered(x509, wanted));
}

/** The kept certificate when it can be used again, else why not. */
async function unusable(files: { cert: string; key: string }, wanted: readonly string[], now: Date): Promise<{ reason: string } | { kept: TlsIdentity }> {
    let kept: TlsIdentity;
    try {
        kept = await loadCertificateFiles(files.cert, files.key, wanted, now);
    } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        return { reason: /does not exist/.test(text) ? "there was none yet" : `the kept one cannot be used (${text})` };
    }
    if (kept.validTo.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return { reason: `the kept one expires on ${kept.validTo.toISOString().slice(0, 10)}` };
    if (kept.missing.length > 0) return { reason: `the kept one does not name ${kept.missing.join(", ")}` };
    return { kept: { ...kept, source: "reused" } };
}

/**
 * The LAN mode's certificate: the one kept in `stateDir` if it is still good for `addresses` and
 * `names`, else a new one (written there). `renew` forces a new one.
 */
export async function lanCertificate(options: { stateDir: string; addresses: readonly string[]; names: readonly string[]; renew?: boolean; now?: Date }): Promise<TlsIdentity> {
    const now = options.now ?? new Date();
    const files = certificateFiles(options.stateDir);
    const wanted = [...options.names, ...options.addresses.map(canonicalAddress)];
    let reason = "a new one was asked for";
    if (options.renew !== true) {
        const verdict = await unusable(files, wanted, now);
        if ("kept" in verdict) return verdict.kept;
        reason = verdict.reason;
    }
    const notBefore = new Date(now.getTime() - 60_000); // a phone whose clock is a little behind
    const generated = await generate([{ name: "commonName", value: `matter-webrtc-provider relay (${hostname()})` }], {
        keyType: "ec",
        curve: "P-256",
        algorithm: "sha256",
        notBeforeDate: notBefore,
        notAfterDate: new Date(now.getTime() + CERTIFICATE_DAYS * DAY_MS),
        extensions: [
            { name: "basicConstraints", cA: false, critical: true },
            { name: "keyUsage", digitalSignature: true, critical: true },
            { name: "extKeyUsage", serverAuth: true },
            {
                name: "subjectAltName",
                altNames: [...options.names.map(value => ({ type: 2 as const, value })), ...options.addresses.map(ip => ({ type: 7 as const, ip: canonicalAddress(ip) }))],
            },
        ],
    });
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    // written next to the final names and renamed, so a crash never leaves half a file to reuse
    await writeFile(`${files.key}.new`, generated.private, { mode: 0o600 });
    await chmod(`${files.key}.new`, 0o600);
    await writeFile(`${files.cert}.new`, generated.cert, { mode: 0o644 });
    await rename(`${files.key}.new`, files.key);
    await rename(`${files.cert}.new`, files.cert);
    return identity(generated.cert, generated.private, new X509Certificate(generated.cert), "generated", files, [], reason);
}
