/**
 * Data-model cases shared by SolicitOffer and (new-session) ProvideOffer, which run the same
 * steps 1–5 of chip-reference-behavior.md §b in the same order: StreamUsage range, mandatory
 * stream field, ICEServers bounds, ICETransportPolicy length, rev-2 list bounds. Each case is the
 * set of fields to merge into an otherwise valid request and the status the core must return.
 */

import { Status } from "../../src/engine/index.js";
import type { IceServerW, SolicitW } from "./wire.js";

const V = { videoStreamId: 1, audioStreamId: 2 } as const;
const url = (n: number, scheme = "stun:") => scheme + "x".repeat(n - scheme.length);
const servers = (n: number, server: Partial<IceServerW> = {}): IceServerW[] =>
    Array.from({ length: n }, (_, i) => ({ urLs: [`stun:s${i}.example.com:3478`], ...server }));

export interface FieldCase {
    name: string;
    fields: SolicitW;
    status: number;
}

/** Refused by steps 1–5, each one also proving it runs before later steps (see `also`). */
export const dataModelRefusals: FieldCase[] = [
    { name: "StreamUsage 4 → CONSTRAINT_ERROR", fields: { ...V, streamUsage: 4 }, status: Status.ConstraintError },
    { name: "StreamUsage 9 → CONSTRAINT_ERROR", fields: { ...V, streamUsage: 9 }, status: Status.ConstraintError },
    { name: "StreamUsage 255 → CONSTRAINT_ERROR", fields: { ...V, streamUsage: 255 }, status: Status.ConstraintError },
    // step 1 before step 2: a bad usage wins over missing stream fields
    { name: "StreamUsage 4 and no stream field → CONSTRAINT_ERROR (step 1 first)", fields: { streamUsage: 4 }, status: Status.ConstraintError },
    { name: "no stream field at all → INVALID_COMMAND", fields: {}, status: Status.InvalidCommand },
    // step 2 before step 4
    {
        name: "no stream field and 11 ICE servers → INVALID_COMMAND (step 2 first)",
        fields: { iceServers: servers(11) },
        status: Status.InvalidCommand,
    },
    { name: "11 ICE servers → CONSTRAINT_ERROR", fields: { ...V, iceServers: servers(11) }, status: Status.ConstraintError },
    {
        name: "11 URLs in one server → CONSTRAINT_ERROR",
        fields: { ...V, iceServers: [{ urLs: Array.from({ length: 11 }, (_, i) => `stun:u${i}`) }] },
        status: Status.ConstraintError,
    },
    { name: "URL of 2001 bytes → CONSTRAINT_ERROR", fields: { ...V, iceServers: [{ urLs: [url(2001)] }] }, status: Status.ConstraintError },
    {
        name: "long URL in the 11th server only → CONSTRAINT_ERROR",
        fields: { ...V, iceServers: [...servers(10), { urLs: [url(2001)] }] },
        status: Status.ConstraintError,
    },
    { name: "username of 509 bytes → CONSTRAINT_ERROR", fields: { ...V, iceServers: servers(1, { username: "u".repeat(509) }) }, status: Status.ConstraintError },
    {
        name: "credential of 513 bytes → CONSTRAINT_ERROR",
        fields: { ...V, iceServers: servers(1, { credential: "c".repeat(513) }) },
        status: Status.ConstraintError,
    },
    { name: "CAID 65535 → CONSTRAINT_ERROR", fields: { ...V, iceServers: servers(1, { caid: 65535 }) }, status: Status.ConstraintError },
    // a CAID that does not fit its u16 type does not decode at all
    { name: "CAID 70000 (not a u16) → INVALID_COMMAND", fields: { ...V, iceServers: servers(1, { caid: 70000 }) }, status: Status.InvalidCommand },
    { name: "ICETransportPolicy of 17 bytes → CONSTRAINT_ERROR", fields: { ...V, iceTransportPolicy: "r".repeat(17) }, status: Status.ConstraintError },
    // step 4 before step 5
    {
        name: "bad ICE server and bad policy → CONSTRAINT_ERROR",
        fields: { ...V, iceServers: servers(11), iceTransportPolicy: "r".repeat(17) },
        status: Status.ConstraintError,
    },
    { name: "empty VideoStreams list → CONSTRAINT_ERROR", fields: { videoStreams: [] }, status: Status.ConstraintError },
    { name: "empty AudioStreams list → CONSTRAINT_ERROR", fields: { audioStreams: [] }, status: Status.ConstraintError },
    {
        name: "17 VideoStreams → CONSTRAINT_ERROR",
        fields: { videoStreams: Array.from({ length: 17 }, (_, i) => i + 100) },
        status: Status.ConstraintError,
    },
    {
        name: "17 AudioStreams → CONSTRAINT_ERROR",
        fields: { audioStreams: Array.from({ length: 17 }, (_, i) => i + 100) },
        status: Status.ConstraintError,
    },
];

/** At the bounds: accepted by steps 1–5 (and by everything after, with the default streams). */
export const dataModelAccepted: FieldCase[] = [
    { name: "StreamUsage 3 with both scalars", fields: { ...V }, status: Status.Success },
    { name: "10 ICE servers", fields: { ...V, iceServers: servers(10) }, status: Status.Success },
    { name: "10 URLs", fields: { ...V, iceServers: [{ urLs: Array.from({ length: 10 }, (_, i) => `turn:u${i}`) }] }, status: Status.Success },
    { name: "URL of 2000 bytes", fields: { ...V, iceServers: [{ urLs: [url(2000)] }] }, status: Status.Success },
    { name: "username of 508 bytes", fields: { ...V, iceServers: servers(1, { username: "u".repeat(508) }) }, status: Status.Success },
    { name: "credential of 512 bytes", fields: { ...V, iceServers: servers(1, { credential: "c".repeat(512) }) }, status: Status.Success },
    { name: "CAID 65534", fields: { ...V, iceServers: servers(1, { caid: 65534 }) }, status: Status.Success },
    { name: "ICETransportPolicy of 16 bytes", fields: { ...V, iceTransportPolicy: "r".repeat(16) }, status: Status.Success },
    { name: "policy \"relay\"", fields: { ...V, iceTransportPolicy: "relay" }, status: Status.Success },
    { name: "empty ICEServers list", fields: { ...V, iceServers: [] }, status: Status.Success },
    { name: "only VideoStreamID", fields: { videoStreamId: 1 }, status: Status.Success },
    { name: "only AudioStreamID (null)", fields: { audioStreamId: null }, status: Status.Success },
    { name: "only VideoStreams", fields: { videoStreams: [1] }, status: Status.Success },
    { name: "only AudioStreams", fields: { audioStreams: [2] }, status: Status.Success },
];
