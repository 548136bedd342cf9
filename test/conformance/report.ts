/**
 * The conformance report: the catalogues of connectedhomeip's TC_WEBRTCP_2_x and TC_AVSM_2_x cases
 * (what each proves, which DUT app it runs on, which are not applicable) and the tables printed
 * after a run, one per suite.
 *
 * Pure data and formatting, no vitest: `table-reporter.ts` feeds it the results of a run, and the
 * README's tables are the same catalogues.
 */

export type App = "immediate" | "deferred";

export interface CaseInfo {
    /** "2_1" … "2_33". */
    id: string;
    title: string;
    app: App;
    /** Not applicable: why the case has no tests. */
    notApplicable?: string;
}

/** Every TC_WEBRTCP_2_x in connectedhomeip's python_testing (2_26 does not exist). */
export const CASES: readonly CaseInfo[] = [
    { id: "2_1", app: "deferred", title: "SolicitOffer validation: IC without ids, DCE for unknown ids, IIS under soft livestream privacy; DeferredOffer=TRUE, id ≠ 0" },
    { id: "2_2", app: "immediate", title: "SolicitOffer DeferredOffer=FALSE; CurrentSessions holds the id; EndSession NF for id+1, SUCCESS for id" },
    { id: "2_3", app: "immediate", title: "ProvideOffer validation: IC, IIS with nothing allocated, DCE for unknown ids, IIS under privacy; response; 1 session" },
    { id: "2_4", app: "immediate", title: "ProvideOffer: NF for unknown ids, stream ids echoed, re-offer keeps id and stream ids" },
    { id: "2_5", app: "immediate", title: "SolicitOffer: IIS per missing kind, DCE for unknown id / unprioritised usage, auto-selection, insertion order" },
    { id: "2_6", app: "immediate", title: "Descriptor ServerList of the provider endpoint has 0x0553 and 0x0551" },
    { id: "2_7", app: "immediate", title: "HardPrivacyModeOn (app pipe) → SolicitOffer IIS; off → response" },
    { id: "2_8", app: "immediate", title: "SoftRecordingPrivacyModeEnabled → SolicitOffer Recording/Analysis IIS (before priorities), LiveView OK" },
    { id: "2_9", app: "immediate", title: "SolicitOffer with ICEServers (STUN, TURN + credentials) and ICETransportPolicy all/relay; EndSession" },
    { id: "2_10", app: "immediate", title: "SolicitOffer(OriginatingEndpointID=5) → PeerEndpointID 5 in CurrentSessions" },
    { id: "2_11", app: "deferred", title: "Deferred SolicitOffer → Offer(same id, non-empty SDP) within 30 s; EndSession" },
    { id: "2_12", app: "immediate", title: "Capacity: N=5 SolicitOffers; the 6th answers SUCCESS, then End(OutOfResources)" },
    { id: "2_13", app: "immediate", title: "HardPrivacyModeOn (app pipe) → ProvideOffer IIS; off → response" },
    { id: "2_14", app: "immediate", title: "SoftRecordingPrivacyModeEnabled → ProvideOffer Recording/Analysis IIS, LiveView OK" },
    { id: "2_15", app: "immediate", title: "ProvideOffer(OriginatingEndpointID=2) → PeerEndpointID 2 in CurrentSessions" },
    { id: "2_16", app: "immediate", title: "Capacity: N=5 ProvideOffers; the 6th → RESOURCE_EXHAUSTED" },
    { id: "2_17", app: "immediate", title: "ProvideOffer(real offer) → Answer(same id) with v=, s=, t=, m=video, m=audio; End; deallocation SUCCESS" },
    { id: "2_18", app: "immediate", title: "SolicitOffer → Offer within 30 s → ProvideAnswer SUCCESS; End; deallocation SUCCESS" },
    { id: "2_19", app: "immediate", title: "SolicitOffer → Offer → ProvideAnswer(id+1000) NF; End; deallocation SUCCESS" },
    { id: "2_20", app: "immediate", title: "ProvideOffer → Answer → ProvideICECandidates (null SDPMid/SDPMLineIndex) SUCCESS; End; deallocation" },
    { id: "2_21", app: "immediate", title: "ProvideOffer → Answer → ProvideICECandidates(9999) NF; End; deallocation" },
    { id: "2_22", app: "immediate", title: "ICE both ways: the DUT sends ICECandidates (≥1), the peers connect; End empties CurrentSessions" },
    { id: "2_23", app: "immediate", title: "ReferenceCount base+1 during a connected session, base after EndSession; deallocation" },
    {
        id: "2_24",
        app: "immediate",
        title: "SolicitOffer with SFrameConfig (provisional SFrame, F02)",
        notApplicable: "SFrame not implemented: matter.js 0.17.9's model has no SFrameConfig field (README: skipped as an unknown field)",
    },
    {
        id: "2_25",
        app: "immediate",
        title: "ProvideOffer with SFrameConfig (provisional SFrame, F02)",
        notApplicable: "SFrame not implemented: matter.js 0.17.9's model has no SFrameConfig field (README: skipped as an unknown field)",
    },
    { id: "2_27", app: "deferred", title: "Rev 2 lists on SolicitOffer: IC (none / scalar+list), DCE unknown, ALREADY_EXISTS duplicates, IIS privacy; session lists" },
    { id: "2_28", app: "immediate", title: "Rev 2 SolicitOffer with lists → DeferredOffer=FALSE; valid session struct; End NF / SUCCESS" },
    { id: "2_29", app: "immediate", title: "Rev 2 lists on ProvideOffer: IC, DCE, ALREADY_EXISTS, IIS privacy; response; 1 session" },
    { id: "2_30", app: "immediate", title: "Rev 2 ProvideOffer: NF for unknown ids, new session, re-offer keeps the id" },
    { id: "2_31", app: "immediate", title: "Rev 2 SolicitOffer: DCE unknown list id and unprioritised usage (Analysis); other usage OK; End NF / SUCCESS" },
    { id: "2_32", app: "immediate", title: "Scalar VideoStreamID/AudioStreamID are mapped into the session's VideoStreams/AudioStreams" },
    { id: "2_33", app: "immediate", title: "Stream reuse over two sessions: ReferenceCount 0→1→0→1, RTP video frames and audio packets within 5 s" },
];

/**
 * Every TC_AVSM_2_1 … 2_21 in connectedhomeip's python_testing (Camera AV Stream Management,
 * 0x0551). The camera advertises Video, Audio, Snapshot and Privacy; cases that need another
 * feature do not apply.
 */
export const AVSM_CASES: readonly CaseInfo[] = [
    { id: "2_1", app: "immediate", title: "Attributes: each attribute the camera claims reads as its type; the 18 of features it does not advertise are absent (UNSUPPORTED_ATTRIBUTE)" },
    { id: "2_2", app: "immediate", title: "SnapshotStreamAllocate: 0 streams after commissioning, allocation from SnapshotCapabilities[0]; CONSTRAINT_ERROR for MaxFrameRate 0, Quality 0/101, ImageCodec 10, Min/MaxResolution {0,0}" },
    {
        id: "2_3",
        app: "immediate",
        title: "SnapshotStreamModify (watermark / OSD toggled)",
        notApplicable: "needs SNP & (WMARK | OSD); the camera advertises neither Watermark nor OnScreenDisplay (SnapshotStreamModify is not in its cluster)",
    },
    { id: "2_4", app: "immediate", title: "SnapshotStreamDeallocate: NOT_FOUND for id+1, SUCCESS, 0 streams" },
    { id: "2_5", app: "immediate", title: "AudioStreamAllocate: 0 streams after commissioning, Opus 30000; unprioritised usage IIS (Internal CE); CE for ChannelCount 16, BitDepth 48, SampleRate 0, BitRate 0, AudioCodec 10" },
    { id: "2_6", app: "immediate", title: "AudioStreamDeallocate: NOT_FOUND for id+1, SUCCESS, 0 streams" },
    { id: "2_7", app: "immediate", title: "VideoStreamAllocate: 0 streams, allocation, identical request reuses the id; Internal CE, unprioritised IIS, CE for frame/bit rates, KeyFrameInterval, codec; MaxFPS+10 DCE (DPTZ steps 15–16 n/a)" },
    {
        id: "2_8",
        app: "immediate",
        title: "VideoStreamModify (watermark / OSD toggled)",
        notApplicable: "needs VDO & (WMARK | OSD); the camera advertises neither Watermark nor OnScreenDisplay (VideoStreamModify is not in its cluster)",
    },
    { id: "2_9", app: "immediate", title: "VideoStreamDeallocate: NOT_FOUND for id+1, SUCCESS, 0 streams" },
    { id: "2_10", app: "immediate", title: "CaptureSnapshot: JPEG for the id and for null, NOT_FOUND for id+1; soft livestream privacy → IIS; after deallocation NOT_FOUND" },
    { id: "2_11", app: "immediate", title: "SetStreamPriorities: SUCCESS once no stream is allocated; usage not supported DCE; duplicates ALREADY_EXISTS" },
    { id: "2_12", app: "immediate", title: "Writable attributes read back: soft recording / livestream privacy, Viewport, MicrophoneMuted (HDR, NightVision, Speaker, LocalStorage steps n/a)" },
    { id: "2_13", app: "immediate", title: "Video allocation reuse: the identical request returns the same id, one stream" },
    { id: "2_14", app: "immediate", title: "Audio allocation reuse: the identical request returns the same id, one stream" },
    { id: "2_15", app: "immediate", title: "Snapshot allocation reuse: the identical request returns the same id, one stream" },
    { id: "2_16", app: "immediate", title: "ReferenceCount +1 while a WebRTC session holds the streams; deallocation IIS; EndSession → base; deallocation SUCCESS" },
    { id: "2_17", app: "immediate", title: "Soft livestream privacy during a session: End(PrivacyMode = 11), CurrentSessions empty, ReferenceCount back to base, deallocation SUCCESS" },
    { id: "2_18", app: "immediate", title: "Persistence: an allocated video stream survives a reboot field for field; its deallocation survives one too" },
    { id: "2_19", app: "immediate", title: "Persistence: an allocated audio stream survives a reboot field for field; its deallocation survives one too" },
    { id: "2_20", app: "immediate", title: "Persistence: an allocated snapshot stream survives a reboot field for field; its deallocation survives one too" },
    { id: "2_21", app: "immediate", title: "Persistence: StreamUsagePriorities set with SetStreamPriorities survive a reboot" },
];

/** A catalogue of cases with its describe-block prefix and the note under its table. */
export interface SuiteInfo {
    /** "TC_WEBRTCP" or "TC_AVSM": describe blocks are named `${prefix}_${id}`. */
    prefix: string;
    /** The cluster, for the heading. */
    cluster: string;
    cases: readonly CaseInfo[];
    /** Appended to the totals line. */
    note: string;
}

export const SUITES: readonly SuiteInfo[] = [
    { prefix: "TC_WEBRTCP", cluster: "WebRTC Transport Provider (0x0553)", cases: CASES, note: "2_24, 2_25: provisional SFrame; 2_26 does not exist" },
    { prefix: "TC_AVSM", cluster: "Camera AV Stream Management (0x0551)", cases: AVSM_CASES, note: "2_3, 2_8: Watermark / OnScreenDisplay not advertised" },
];

/** The describe-block name of a case: "TC_WEBRTCP_2_17" (the suite's prefix, default TC_WEBRTCP). */
export function suiteName(id: string, prefix = "TC_WEBRTCP"): string {
    return `${prefix}_${id}`;
}

/** The case a describe-block name belongs to ("TC_AVSM_2_7 (steps …)" → "TC_AVSM_2_7"), or undefined. */
export function caseIdOf(name: string): string | undefined {
    return /^(TC_(?:WEBRTCP|AVSM)_\d+_\d+)\b/.exec(name)?.[1];
}

export interface CaseResult {
    /** The full case name: "TC_WEBRTCP_2_17", "TC_AVSM_2_7". */
    id: string;
    /** Test cases (`it`s) run: the steps, step groups and preconditions. */
    steps: number;
    passed: number;
    failed: number;
    /** Skipped or not run (a failed hook skips a case's steps). */
    skipped: number;
    /** A hook of the case's describe block failed. */
    hookFailed: boolean;
    durationMs: number;
}

export type Verdict = "pass" | "FAIL" | "n/a" | "not run";

export function verdictOf(info: CaseInfo, result: CaseResult | undefined): Verdict {
    if (info.notApplicable !== undefined) return "n/a";
    if (result === undefined || result.steps === 0) return "not run";
    return result.failed === 0 && result.skipped === 0 && !result.hookFailed ? "pass" : "FAIL";
}

/** Sorts "2_9" before "2_10". */
function order(id: string): number {
    const [major, minor] = id.split("_").map(Number);
    return (major ?? 0) * 1000 + (minor ?? 0);
}

/**
 * The table of one suite: TC | app | steps (passed/run) | result | time, one row per catalogued
 * case (and any other case of that suite that ran), then totals. `results` is keyed by the full
 * case name ("TC_AVSM_2_7").
 */
export function renderSuiteTable(suite: SuiteInfo, results: ReadonlyMap<string, CaseResult>, wallMs?: number): string {
    const known = new Map(suite.cases.map(c => [c.id, c]));
    const ran = [...results.keys()].filter(key => key.startsWith(`${suite.prefix}_`)).map(key => key.slice(suite.prefix.length + 1));
    const ids = [...new Set([...known.keys(), ...ran])].sort((a, b) => order(a) - order(b));
    const rows: string[][] = [["TC", "app", "steps", "result", "time", "what it checks"]];
    let pass = 0;
    let fail = 0;
    let na = 0;
    let notRun = 0;
    let steps = 0;
    let stepsPassed = 0;
    for (const id of ids) {
        const info = known.get(id) ?? { id, title: "(not in the catalogue)", app: "immediate" as const };
        const result = results.get(suiteName(id, suite.prefix));
        const verdict = verdictOf(info, result);
        if (verdict === "pass") pass++;
        else if (verdict === "FAIL") fail++;
        else if (verdict === "n/a") na++;
        else notRun++;
        steps += result?.steps ?? 0;
        stepsPassed += result?.passed ?? 0;
        rows.push([
            suiteName(id, suite.prefix),
            info.notApplicable !== undefined ? "—" : info.app,
            result === undefined ? "—" : `${result.passed}/${result.steps}`,
            verdict,
            result === undefined ? "—" : `${(result.durationMs / 1000).toFixed(1)} s`,
            info.notApplicable !== undefined ? `not applicable: ${info.notApplicable}` : info.title,
        ]);
    }
    const widths = rows[0]!.map((_, col) => Math.max(...rows.map(r => r[col]!.length)));
    const line = (r: string[]) => `| ${r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join(" | ")}`;
    const rule = `|${widths.map((w, col) => "-".repeat(col === widths.length - 1 ? 16 : w + 2)).join("|")}`;
    const out = [line(rows[0]!), rule, ...rows.slice(1).map(line)];
    out.push("");
    out.push(
        `${suite.prefix}_2_x: ${pass} pass, ${fail} fail, ${na} not applicable (${suite.note}), ${notRun} not run; ` +
            `steps ${stepsPassed}/${steps} passed` +
            (wallMs === undefined ? "" : `; ${(wallMs / 1000).toFixed(1)} s`),
    );
    return out.join("\n");
}

/** Both suites' tables, each under its heading; the run's wall time on the last one. */
export function renderTables(results: ReadonlyMap<string, CaseResult>, wallMs?: number): string {
    return SUITES.map((suite, i) => {
        const table = renderSuiteTable(suite, results, i === SUITES.length - 1 ? wallMs : undefined);
        return `Conformance: connectedhomeip ${suite.prefix}_2_x, ${suite.cluster}\n\n${table}`;
    }).join("\n\n");
}
