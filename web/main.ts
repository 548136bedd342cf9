/**
 * The camera page. Opening it makes this tab a Matter camera:
 *
 * - reads the relay token from `?token=` and connects the worker to `ws(s)://<this host>/matter`;
 *   `?mode=certification` starts the camera in certification mode (no default streams);
 * - claims a camera identity for the tab (identity.ts) — one tab, one camera;
 * - opens the media source: `?source=pattern|webcam` (headless runs), else the source that last
 *   worked in this browser, else this device's camera; "Use this device's camera" asks for it
 *   (front or back: `facingMode`; changing the choice while the camera runs switches cameras),
 *   falling back to the test pattern with the reason in plain words when it is refused or missing;
 * - keeps the screen awake while it is a camera (wake-lock.ts) and says so in the header;
 * - explains its connection where needed (connection-help.ts): the certificate warning of the
 *   relay's LAN mode, or why a plain-http page from another device gets no camera;
 * - shows pairing QR + manual code, fabrics, live sessions (CurrentSessions rows joined with
 *   RTCPeerConnection stats), privacy switches, snapshot, factory reset and a log; problems in plain
 *   words in a banner. It fits a phone's screen (style.css: one column, tables as stacked rows).
 *
 * `window.mwp` is a small handle for tests and the console (status, stats, the media host).
 */

import { MediaSourceError, openTestPattern, openWebcam, type CameraFacing, type MediaSourceHandle } from "../src/media/browser/media-source.js";
import type { BrowserSessionStats, SourceKind } from "../src/media/browser/types.js";
import type { CameraStatus, CoreProfile, PrivacySwitch, SessionEndInfo } from "../worker/protocol.js";
import { BrowserCamera } from "../worker/browser-camera.js";
import { connectionHelp } from "./connection-help.js";
import { claimIdentity } from "./identity.js";
import { drawQr } from "./qr.js";
import { ScreenAwake, type WakeLockState } from "./wake-lock.js";

const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
    const element = document.getElementById(id);
    if (element === null) throw new Error(`#${id} missing`);
    return element as T;
};

// ── log and problems ────────────────────────────────────────────────────────────────────────
const logEntries: { at: number; level: string; text: string }[] = [];
function log(level: "info" | "warn" | "error", text: string): void {
    logEntries.push({ at: Date.now(), level, text });
    if (logEntries.length > 500) logEntries.shift();
    const list = $("log");
    const item = document.createElement("li");
    item.className = level;
    item.textContent = `${new Date().toLocaleTimeString([], { hour12: false })}  ${text}`;
    list.append(item);
    while (list.childElementCount > 300) list.firstElementChild?.remove();
    list.scrollTop = list.scrollHeight;
}

const problems = new Map<string, string>();
function setProblem(key: string, text: string | undefined): void {
    if (text === undefined) problems.delete(key);
    else problems.set(key, text);
    const banner = $("problem");
    banner.hidden = problems.size === 0;
    banner.textContent = [...problems.values()].join(" · ");
}

// ── media source ────────────────────────────────────────────────────────────────────────────
let source: MediaSourceHandle | undefined;
let client: BrowserCamera | undefined;
let title = "matter-webrtc-provider";
let facing: CameraFacing = localStorage.getItem("mwp-facing") === "environment" ? "environment" : "user";
/** Source changes one after another: a double tap or a quick front/back switch never opens two cameras. */
let changing: Promise<void> = Promise.resolve();

function chooseSource(kind: SourceKind): Promise<void> {
    changing = changing.then(() => useSource(kind)).catch((error: unknown) => log("error", `media source: ${String(error)}`));
    return changing;
}

function showSourceMessage(text: string | undefined): void {
    const message = $("source-message");
    message.hidden = text === undefined;
    message.textContent = text ?? "";
    setProblem("source", text);
}

async function useSource(kind: SourceKind): Promise<void> {
    const previous = source;
    let next: MediaSourceHandle;
    let message: string | undefined;
    if (kind === "webcam") {
        // a phone opens one camera at a time: let go of the running one before asking for the other
        if (previous?.kind === "webcam") previous.stop();
        try {
            next = await openWebcam({ facing });
        } catch (error) {
            const text = error instanceof MediaSourceError ? error.message : `the camera could not be opened: ${String(error)}`;
            message = `${text[0]?.toUpperCase() ?? ""}${text.slice(1)}. This camera streams the test pattern instead.`;
            log("warn", text);
            next = previous?.kind === "pattern" ? previous : openTestPattern({ title });
        }
    } else {
        if (previous?.kind === "pattern") return;
        try {
            next = openTestPattern({ title });
        } catch (error) {
            const text = error instanceof MediaSourceError ? error.message : `the test pattern failed: ${String(error)}`;
            showSourceMessage(text);
            log("error", text);
            return;
        }
    }
    showSourceMessage(message);
    if (next !== previous) {
        source = next;
        await client?.host.setSource(next);
        previous?.stop();
        const preview = $<HTMLVideoElement>("preview");
        preview.srcObject = new MediaStream([next.video]);
        void preview.play().catch(() => undefined);
        // what worked is what the next visit opens: a refused camera is not asked for again by itself
        localStorage.setItem("mwp-source", next.kind);
    }
    const direction = next.facing === "user" ? " (front camera)" : next.facing === "environment" ? " (back camera)" : "";
    $("source-label").textContent = `streaming: ${next.label}${direction}${next.audio === undefined ? " (no audio)" : ""}`;
    $("use-camera").setAttribute("aria-pressed", String(next.kind === "webcam"));
    $("use-pattern").setAttribute("aria-pressed", String(next.kind === "pattern"));
}

// ── screen and connection ───────────────────────────────────────────────────────────────────
const screenAwake = new ScreenAwake(state => renderWakeLock(state));
function renderWakeLock(state: WakeLockState): void {
    const indicator = $("wake-lock");
    indicator.textContent = state.state === "awake" ? "☀ screen kept awake" : state.state === "hidden" ? "page hidden" : "screen may sleep";
    indicator.title = state.text;
    indicator.dataset.state = state.state;
}

function showConnectionHelp(): void {
    const help = connectionHelp(location, window.isSecureContext);
    $("certificate-help").hidden = help !== "certificate";
    $("insecure-help").hidden = help !== "insecure";
}

// ── rendering ───────────────────────────────────────────────────────────────────────────────
let lastQr = "";
function renderStatus(status: CameraStatus): void {
    const badge = $("state");
    badge.textContent = status.state === "relay-lost" ? "relay lost" : status.state;
    badge.className = `badge ${status.state}`;
    $("port").textContent = status.port === undefined ? "" : `Matter port ${status.port}`;
    const pairing = status.pairing;
    const showCodes = pairing !== undefined && !status.commissioned;
    $("pairing").hidden = !showCodes;
    $("commissioned-note").hidden = !status.commissioned;
    if (pairing !== undefined) {
        $("manual-code").textContent = pairing.manualPairingCode.replace(/^(\d{4})(\d{3})(\d{4})$/, "$1-$2-$3");
        $("qr-payload").textContent = pairing.qrPairingCode;
        $("pairing-details").textContent = `passcode ${String(pairing.passcode).padStart(8, "0")}, discriminator ${pairing.discriminator}`;
        if (pairing.qrPairingCode !== lastQr) {
            drawQr($<HTMLCanvasElement>("qr"), pairing.qrPairingCode, 10);
            lastQr = pairing.qrPairingCode;
        }
    }
    const fabrics = $("fabrics");
    fabrics.replaceChildren(
        ...(status.fabrics.length === 0
            ? [row([cell(status.commissioned ? "—" : "not commissioned", "muted", 5)])]
            : status.fabrics.map(f =>
                  row([cell(String(f.fabricIndex)), cell(f.label || "(no label)"), cell(`0x${f.vendorId.toString(16).toUpperCase()}`), cell(f.fabricId), cell(f.nodeId)], fabrics),
              )),
    );
    for (const key of ["softLivestream", "softRecording", "hard"] as const) {
        const input = $<HTMLInputElement>(`privacy-${key}`);
        if (document.activeElement !== input) input.checked = status.privacy[key];
    }
    if (status.state === "online") setProblem("worker", undefined);
    else if (status.error !== undefined && status.state !== "starting") setProblem("worker", status.error);
}

let lastStats: BrowserSessionStats[] = [];
function renderSessions(status: CameraStatus | undefined, stats: BrowserSessionStats[]): void {
    const rows = status?.sessions ?? [];
    const byId = new Map(stats.map(s => [s.sessionId, s]));
    const ids = [...new Set([...rows.map(r => r.id), ...stats.map(s => s.sessionId)])];
    const body = $("sessions");
    if (ids.length === 0) {
        body.replaceChildren(row([cell("no session", "muted", 13)]));
        return;
    }
    body.replaceChildren(
        ...ids.map(id => {
            const r = rows.find(x => x.id === id);
            const s = byId.get(id);
            return row([
                cell(String(id)),
                cell(r === undefined ? "?" : String(r.fabricIndex)),
                cell(r?.peerNodeId ?? "?"),
                cell(r === undefined ? "" : `v${r.videoStreams.join(",") || "–"} a${r.audioStreams.join(",") || "–"}`),
                cell(r?.state ?? "(ended)"),
                cell(s?.role ?? "—"),
                cell(s?.iceConnectionState ?? "—", `state-${s?.iceConnectionState ?? ""}`),
                cell(s?.connectionState ?? "—", `state-${s?.connectionState ?? ""}`),
                cell(String(s?.framesSent ?? 0), "num"),
                cell(formatBytes(s?.bytesSent ?? 0), "num"),
                cell(`${(s?.bitrateKbps ?? 0).toFixed(0)} kbit/s`, "num"),
                cell(s === undefined ? "" : `${s.codec.replace(/^video\//, "")} ${s.frameWidth ? `${s.frameWidth}×${s.frameHeight}` : ""} ${s.framesPerSecond ? `${s.framesPerSecond} fps` : ""}`),
                cell(s?.selectedPair ?? "", "path"),
            ], body);
        }),
    );
}

/** A table row; with `body`, each cell carries its column's heading (`data-label`) for the phone layout's stacked rows. */
function row(cells: HTMLTableCellElement[], body?: HTMLElement): HTMLTableRowElement {
    const tr = document.createElement("tr");
    const headings = body?.closest("table")?.querySelectorAll("thead th");
    cells.forEach((td, i) => {
        const heading = headings?.[i]?.textContent;
        if (heading) td.dataset.label = heading;
    });
    tr.append(...cells);
    return tr;
}

function cell(text: string, className = "", span = 1): HTMLTableCellElement {
    const td = document.createElement("td");
    td.textContent = text;
    if (className !== "") td.className = className;
    if (span > 1) td.colSpan = span;
    return td;
}

function formatBytes(n: number): string {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

// ── start ───────────────────────────────────────────────────────────────────────────────────
const sessionEnds: SessionEndInfo[] = [];

async function main(): Promise<void> {
    showConnectionHelp();
    const token = params.get("token");
    if (token === null || token === "") {
        setProblem("token", "this page needs the relay's token: open the exact URL the relay printed (it ends in ?token=…)");
        $("state").textContent = "no token";
        return;
    }
    if (typeof RTCPeerConnection === "undefined") {
        setProblem("webrtc", "this browser has no WebRTC (RTCPeerConnection): it cannot be a camera");
        return;
    }
    const identity = await claimIdentity(params.get("camera"));
    title = identity.name;
    $("camera-name").textContent = identity.name;
    document.title = `Matter camera ${identity.name}`;

    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const portParam = params.get("port");
    const core = params.get("core");
    client = new BrowserCamera({
        start: {
            relayUrl: `${scheme}://${location.host}/matter?token=${encodeURIComponent(token)}`,
            storageName: identity.name,
            ...(portParam !== null ? { port: Number(portParam) } : {}),
            ...(params.get("mdns") !== null ? { mdnsInterface: params.get("mdns") ?? "" } : {}),
            ...(params.get("log") !== null ? { logLevel: params.get("log") ?? "warn" } : {}),
            ...(core === "tiny" || core === "default" || core === "large" ? { core: core as CoreProfile } : {}),
            productName: `Browser Camera ${identity.name}`,
            certification: params.get("mode") === "certification",
        },
        onStatus: renderStatus,
        onLog: log,
        onProblem: text => setProblem("worker", text),
        onMediaProblem: text => setProblem("media", text),
        // the worker logs the end itself; keep it for tests
        onSessionEnded: info => {
            sessionEnds.push(info);
            $("session-note").textContent = `${new Date().toLocaleTimeString([], { hour12: false })}: session ${info.sessionId} ended: ${info.text}`;
        },
    });

    for (const input of document.querySelectorAll<HTMLInputElement>('input[name="facing"]')) {
        input.checked = input.value === facing;
        input.addEventListener("change", () => {
            if (!input.checked) return;
            facing = input.value === "environment" ? "environment" : "user";
            localStorage.setItem("mwp-facing", facing);
            // a switch while the camera runs; on the test pattern the choice waits for the button
            if (source?.kind === "webcam") void chooseSource("webcam");
        });
    }
    $("use-camera").addEventListener("click", () => void chooseSource("webcam"));
    $("use-pattern").addEventListener("click", () => void chooseSource("pattern"));
    const chosen = params.get("source") ?? localStorage.getItem("mwp-source") ?? "webcam";
    await chooseSource(chosen === "pattern" ? "pattern" : "webcam");
    // from here on this tab is a camera: keep its screen on
    screenAwake.start();
    for (const key of ["softLivestream", "softRecording", "hard"] as PrivacySwitch[]) {
        const input = $<HTMLInputElement>(`privacy-${key}`);
        input.addEventListener("change", () => {
            client?.api.setPrivacy(key, input.checked).then(renderStatus, (error: unknown) => log("error", `privacy: ${String(error)}`));
        });
    }
    $("snapshot").addEventListener("click", () => {
        client?.api.captureSnapshot().then(
            shot => {
                const image = $<HTMLImageElement>("snapshot-image");
                URL.revokeObjectURL(image.src);
                image.src = URL.createObjectURL(new Blob([shot.data as Uint8Array<ArrayBuffer>], { type: shot.mimeType }));
                image.hidden = false;
                log("info", `snapshot ${shot.width}×${shot.height}, ${shot.data.length} bytes`);
            },
            (error: unknown) => log("error", `snapshot: ${error instanceof Error ? error.message : String(error)}`),
        );
    });
    $("factory-reset").addEventListener("click", () => {
        if (!confirm("Factory reset: forget every controller and start uncommissioned?")) return;
        client?.api.factoryReset().then(renderStatus, (error: unknown) => log("error", `factory reset: ${String(error)}`));
    });
    addEventListener("pagehide", () => {
        screenAwake.stop();
        void client?.stop();
    });

    void client.run();
    // stats and status once a second
    setInterval(() => {
        const c = client;
        if (c === undefined) return;
        void Promise.all([c.host.stats(), c.status?.state === "online" ? c.api.status().catch(() => c.status) : Promise.resolve(c.status)]).then(([stats, status]) => {
            lastStats = stats;
            if (status !== undefined && status !== c.status) {
                c.status = status;
                renderStatus(status);
            }
            renderSessions(c.status, stats);
        });
    }, 1000);
}

declare global {
    interface Window {
        mwp: {
            client: () => BrowserCamera | undefined;
            status: () => CameraStatus | undefined;
            stats: () => Promise<BrowserSessionStats[]>;
            lastStats: () => BrowserSessionStats[];
            sessionEnds: SessionEndInfo[];
            log: typeof logEntries;
            problems: () => string[];
            source: () => string | undefined;
            /** The constraints the running source's video track was opened with (facingMode, …). */
            videoConstraints: () => MediaTrackConstraints | undefined;
            wakeLock: () => WakeLockState;
            /** Resolves once the source changes asked for so far are done. */
            sourceSettled: () => Promise<void>;
        };
    }
}

window.mwp = {
    client: () => client,
    status: () => client?.status,
    stats: () => client?.host.stats() ?? Promise.resolve([]),
    lastStats: () => lastStats,
    sessionEnds,
    log: logEntries,
    problems: () => [...problems.values()],
    source: () => source?.kind,
    videoConstraints: () => source?.video.getConstraints(),
    wakeLock: () => screenAwake.state,
    sourceSettled: () => changing,
};

main().catch((error: unknown) => {
    const text = error instanceof Error ? error.message : String(error);
    setProblem("start", text);
    log("error", text);
});
