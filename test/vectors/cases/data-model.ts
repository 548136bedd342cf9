/**
 * The steps SolicitOffer and new-session ProvideOffer share, as tables: steps 1–5 of
 * chip-reference-behavior.md §b in the same order (StreamUsage range, mandatory stream field,
 * ICEServers bounds, ICETransportPolicy length, rev-2 list bounds) and step 6 (the privacy
 * switches). Each data-model row is the fields of an otherwise valid request and the status the
 * core must return; the rows that break two steps at once show which step comes first.
 * `addSharedStepCases` turns every row into one case of each command.
 */

import { Status, StreamUsage } from "../../../src/engine/index.js";
import type { IceServerFields, SolicitFields } from "../../support/wire.js";
import { like, type Recorder } from "../recorder.js";
import { V, type Add, type Fixture } from "./fixtures.js";

const url = (n: number, scheme = "stun:") => scheme + "x".repeat(n - scheme.length);
/** `n` ICE servers, each with one STUN URL and the fields of `server`. */
const servers = (n: number, server: Partial<IceServerFields> = {}): IceServerFields[] =>
    Array.from({ length: n }, (_, i) => ({ urLs: [`stun:s${i}.example.com:3478`], ...server }));

export interface FieldCase {
    name: string;
    fields: SolicitFields;
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

/**
 * Step 6, the privacy switches, shared by SolicitOffer and new-session ProvideOffer: with the
 * switches [hard, soft recording, soft livestream] on, each `refused` request is INVALID_IN_STATE
 * (before the priorities: Analysis is not a supported usage, yet privacy answers first) and the
 * `accepted` one goes through. The fixture's LiveView session of the other caller ends when
 * LiveView is blocked (`ended`).
 */
export interface PrivacyCase {
    name: string;
    switches: [hard: boolean, softRecording: boolean, softLivestream: boolean];
    ended: number;
    refused: SolicitFields[];
    accepted?: SolicitFields;
}
export const privacyCases: PrivacyCase[] = [
    {
        name: "HardPrivacyModeOn refuses every usage",
        switches: [true, false, false],
        ended: 1,
        refused: [0, 1, 2, 3].map(streamUsage => ({ ...V, streamUsage })),
    },
    {
        name: "SoftLivestreamPrivacyModeEnabled refuses LiveView only (TC 2.13)",
        switches: [false, false, true],
        ended: 1,
        refused: [V, { videoStreams: [V.videoStreamId] }, { videoStreams: [V.videoStreamId], audioStreams: [V.audioStreamId] }],
        accepted: { ...V, streamUsage: StreamUsage.Recording },
    },
    {
        name: "SoftRecordingPrivacyModeEnabled refuses Recording and Analysis, before the priorities; LiveView goes through (TC 2.8, 2.14)",
        switches: [false, true, false],
        ended: 0,
        refused: [{ ...V, streamUsage: StreamUsage.Recording }, { ...V, streamUsage: StreamUsage.Analysis }],
        accepted: V,
    },
];

/** How one of the two commands is driven through the shared steps. */
export interface SharedStepsCommand {
    name: "SolicitOffer" | "ProvideOffer";
    fixture: Fixture<unknown>;
    refuse(r: Recorder, fields: SolicitFields, status: number): void;
    /** Through the hook and commit; returns the new session id. */
    open(r: Recorder, fields: SolicitFields): number;
    /** The state a new session of this command is in. */
    openedState: string;
}

/** Adds the cases of steps 1–6 for `command`, one per table row. */
export function addSharedStepCases(add: Add, command: SharedStepsCommand): void {
    const { name, fixture } = command;
    for (const c of dataModelRefusals) add(`${name} steps 1–5: ${c.name}`, fixture, r => command.refuse(r, c.fields, c.status));
    for (const c of dataModelAccepted) add(`${name} steps 1–5 accepted: ${c.name}`, fixture, r => r.session(command.open(r, c.fields), like({ state: command.openedState })));
    for (const c of privacyCases) {
        add(`${name} step 6: ${c.name}`, fixture, r => {
            r.privacy(...c.switches, c.ended);
            for (const fields of c.refused) command.refuse(r, fields, Status.InvalidInState);
            if (c.accepted !== undefined) r.session(command.open(r, c.accepted), like({ usage: c.accepted.streamUsage ?? StreamUsage.LiveView }));
        });
    }
}
