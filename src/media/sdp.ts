/**
 * The little SDP reading the media hosts need: the m-sections of a description (kind, mid, index,
 * direction, payload formats, setup role) and their `a=fmtp` parameters. Offer planning
 * (`offer-plan.ts`) decides on top of it.
 *
 * It reads, it never writes (the one rewrite the browser needs, restricting an offer's formats,
 * lives in `offer-plan.ts`). Only the attributes used here are parsed (`m=`, `a=mid`, `a=rtpmap`,
 * `a=fmtp`, `a=setup`, direction attributes); anything else is ignored, and a section without
 * `a=mid` gets its index as mid, as the unified-plan rules do for a missing mid. Works in Node,
 * workers and pages (no platform API).
 */

/** An m-section's direction attribute (`sendrecv` when the section has none). */
export type MediaDirection = "sendrecv" | "sendonly" | "recvonly" | "inactive";

/** One payload format of an m-section (`a=rtpmap` plus its `a=fmtp`). */
export interface RtpFormat {
    /** The RTP payload type number. */
    payloadType: number;
    /** Encoding name as written, e.g. "H264", "opus". */
    codec: string;
    /** The RTP clock rate in Hz (90000 for video, 48000 for Opus). */
    clockRate: number;
    /** Audio channels, when the rtpmap names them. */
    channels?: number;
    /** The `a=fmtp` parameters, verbatim ("" when absent). */
    fmtp: string;
}

/** One m-section of an SDP, as far as the hosts read it. */
export interface MediaSection {
    /** "video", "audio", "application", ... */
    kind: string;
    /** Position among the m= lines, from 0 (the sdpMLineIndex of its candidates). */
    index: number;
    /** Its `a=mid` (its index when it has none). */
    mid: string;
    /** Its direction attribute. */
    direction: MediaDirection;
    /** Formats in the order of the m= line (the offerer's preference). */
    formats: RtpFormat[];
    /** Port 0: a rejected or stopped section. */
    rejected: boolean;
    /** `a=setup` (actpass, active, passive), if the section has one. */
    setup: string | undefined;
}

const DIRECTIONS = new Set<string>(["sendrecv", "sendonly", "recvonly", "inactive"]);

/** Parses the m-sections of `sdp`. */
export function mediaSections(sdp: string): MediaSection[] {
    const sections: MediaSection[] = [];
    let current: (MediaSection & { order: number[]; rtpmap: Map<number, RtpFormat>; fmtp: Map<number, string> }) | undefined;
    const finish = (): void => {
        if (current === undefined) return;
        const { order, rtpmap, fmtp, ...section } = current;
        section.formats = order.flatMap(pt => {
            const format = rtpmap.get(pt);
            return format === undefined ? [] : [{ ...format, fmtp: fmtp.get(pt) ?? "" }];
        });
        sections.push(section);
    };
    for (const raw of sdp.split(/\r?\n/)) {
        const line = raw.trim();
        if (line.startsWith("m=")) {
            finish();
            const [kind = "", port = "0", , ...fmts] = line.slice(2).split(/\s+/);
            const index = sections.length;
            current = {
                kind,
                index,
                mid: String(index),
                direction: "sendrecv",
                formats: [],
                rejected: port === "0",
                setup: undefined,
                order: fmts.map(Number).filter(Number.isInteger),
                rtpmap: new Map(),
                fmtp: new Map(),
            };
            continue;
        }
        if (current === undefined || !line.startsWith("a=")) continue;
        const attr = line.slice(2);
        const colon = attr.indexOf(":");
        const name = colon < 0 ? attr : attr.slice(0, colon);
        const value = colon < 0 ? "" : attr.slice(colon + 1);
        if (DIRECTIONS.has(name)) {
            current.direction = name as MediaDirection;
        } else if (name === "mid") {
            current.mid = value.trim();
        } else if (name === "setup") {
            current.setup = value.trim();
        } else if (name === "rtpmap") {
            const m = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(value);
            if (m !== null) {
                const payloadType = Number(m[1]);
                const format: RtpFormat = { payloadType, codec: m[2] ?? "", clockRate: Number(m[3]), fmtp: "" };
                if (m[4] !== undefined) format.channels = Number(m[4]);
                current.rtpmap.set(payloadType, format);
            }
        } else if (name === "fmtp") {
            const m = /^(\d+)\s+(.*)$/.exec(value);
            if (m !== null) current.fmtp.set(Number(m[1]), (m[2] ?? "").trim());
        }
    }
    finish();
    return sections;
}

/** `a=fmtp` parameters as a map (keys lower-cased). */
export function fmtpParameters(fmtp: string): Map<string, string> {
    const map = new Map<string, string>();
    for (const part of fmtp.split(";")) {
        const eq = part.indexOf("=");
        if (eq < 0) continue;
        map.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
    }
    return map;
}

/** Index of the m-section with `mid` in `sdp`, or null. */
export function mLineIndexOf(sdp: string, mid: string): number | null {
    return mediaSections(sdp).find(s => s.mid === mid)?.index ?? null;
}

/** The candidate type (`host`, `srflx`, `prflx`, `relay`) of an ICE candidate line, or undefined. */
export function candidateType(candidate: string): string | undefined {
    return /\btyp\s+(\S+)/.exec(candidate)?.[1];
}

/** `sdp` without the `a=candidate` lines `keep` refuses (every other line as it was). */
export function filterCandidates(sdp: string, keep: (candidate: string) => boolean): string {
    const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
    return sdp
        .split(/\r?\n/)
        .filter(line => !line.startsWith("a=candidate:") || keep(line.slice(2)))
        .join(eol);
}

/** An `a=candidate` line of a description, with the m-line it belongs to. */
export interface InlineCandidate {
    /** The candidate attribute without `a=` ("candidate:..."). */
    candidate: string;
    sdpMid: string;
    sdpMLineIndex: number;
}

/** Splits `sdp` into the description without its `a=candidate` lines and those candidates. */
export function takeInlineCandidates(sdp: string): { sdp: string; candidates: InlineCandidate[] } {
    const sections = mediaSections(sdp);
    const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
    const kept: string[] = [];
    const candidates: InlineCandidate[] = [];
    let index = -1;
    for (const line of sdp.split(/\r?\n/)) {
        if (line.startsWith("m=")) index++;
        if (index >= 0 && line.startsWith("a=candidate:")) {
            candidates.push({ candidate: line.slice(2), sdpMid: sections[index]?.mid ?? String(index), sdpMLineIndex: index });
            continue;
        }
        kept.push(line);
    }
    return { sdp: kept.join(eol), candidates };
}
