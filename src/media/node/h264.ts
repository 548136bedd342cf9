/**
 * H.264 Annex-B helpers: find NAL units in a byte stream and group them into access units.
 *
 * This is just enough of H.264 to stream a pre-encoded clip: no bitstream parsing beyond the NAL
 * header byte. An access unit ends at each VCL NAL (type 1, a non-IDR slice, or 5, an IDR slice),
 * and the SPS/PPS/SEI/AUD units before it belong to it. That is right for single-slice encodes
 * (x264's default, and the committed fixture); a multi-slice picture would come out as one
 * "access unit" per slice, because telling slices of one picture apart needs `first_mb_in_slice`
 * from the slice header. NAL units after the last VCL NAL of the stream are dropped.
 */

/** One NAL unit: its type (the low 5 bits of its header) and where it sits in the stream. */
export interface NalUnit {
    /** The NAL unit type (see {@link NalType}). */
    type: number;
    /** Offset of its start code. */
    start: number;
    /** Offset of its header byte (just after the start code). */
    payload: number;
    /** Offset one past its last byte (the next start code, or the end of the stream). */
    end: number;
}

/** A picture's worth of NAL units, as contiguous Annex-B bytes (start codes included). */
export interface H264AccessUnit {
    /** The access unit's Annex-B bytes, start codes included. */
    data: Uint8Array;
    /** NAL unit types in stream order, e.g. [7, 8, 6, 5] for a keyframe with headers. */
    nalTypes: number[];
    /** Contains an IDR slice (type 5). */
    keyframe: boolean;
}

/** The H.264 NAL unit types this package reads or writes (the low 5 bits of a NAL header). */
export const NalType = {
    /** A slice of a non-IDR picture. */
    NonIdrSlice: 1,
    /** A slice of an IDR picture: a keyframe. */
    IdrSlice: 5,
    /** Supplemental enhancement information. */
    Sei: 6,
    /** Sequence parameter set. */
    Sps: 7,
    /** Picture parameter set. */
    Pps: 8,
    /** Access unit delimiter. */
    Aud: 9,
    /** RTP single-time aggregation packet (RFC 6184), several NAL units in one packet. */
    StapA: 24,
    /** RTP fragmentation unit (RFC 6184), one NAL unit over several packets. */
    FuA: 28,
} as const;

/** Splits an Annex-B stream (3- or 4-byte start codes) into NAL units. */
export function splitAnnexB(stream: Uint8Array): NalUnit[] {
    const units: NalUnit[] = [];
    const n = stream.length;
    let i = 0;
    let current: { start: number; payload: number } | undefined;
    while (i + 2 < n) {
        if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
            // a zero before "00 00 01" makes it a 4-byte start code
            const start = i > 0 && stream[i - 1] === 0 ? i - 1 : i;
            if (current !== undefined) units.push(unit(stream, current.start, current.payload, start));
            current = { start, payload: i + 3 };
            i += 3;
        } else {
            i++;
        }
    }
    if (current !== undefined) units.push(unit(stream, current.start, current.payload, n));
    return units.filter(u => u.payload < u.end);
}

function unit(stream: Uint8Array, start: number, payload: number, end: number): NalUnit {
    return { type: payload < stream.length ? (stream[payload] ?? 0) & 0x1f : 0, start, payload, end };
}

/** True for the slice NAL types that end an access unit here (1 and 5). */
export function isVcl(type: number): boolean {
    return type === NalType.NonIdrSlice || type === NalType.IdrSlice;
}

/**
 * Groups an Annex-B stream into access units (see the module comment for the rule and its
 * limits). The returned `data` are views into `stream`, not copies.
 */
export function accessUnits(stream: Uint8Array): H264AccessUnit[] {
    const out: H264AccessUnit[] = [];
    let first: number | undefined;
    let types: number[] = [];
    for (const u of splitAnnexB(stream)) {
        first ??= u.start;
        types.push(u.type);
        if (isVcl(u.type)) {
            out.push({ data: stream.subarray(first, u.end), nalTypes: types, keyframe: types.includes(NalType.IdrSlice) });
            first = undefined;
            types = [];
        }
    }
    return out;
}
