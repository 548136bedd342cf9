/**
 * Matter status codes as the core returns them, their names, and the error a media hook throws
 * to choose the status of its command.
 *
 * The core already speaks Matter statuses (0 = SUCCESS), so "mapping" is naming: the engine never
 * picks a status itself except for a hook that failed, where a {@link WebRtcError} carries the
 * status the hook wants and anything else thrown becomes FAILURE (as the reference does for every
 * delegate error that is not an IM global status).
 */

/** The Interaction Model status codes the provider's commands answer with, by name. */
export const Status = {
    /** The command was carried out. */
    Success: 0x00,
    /** The command failed for a reason no other code names (also: a hook that threw a non-`WebRtcError`). */
    Failure: 0x01,
    /** A fabric-scoped command without an accessing fabric (over PASE). */
    UnsupportedAccess: 0x7e,
    /** The request is malformed or contradicts itself (e.g. both a stream id and a stream list). */
    InvalidCommand: 0x85,
    /** A field is out of its range. */
    ConstraintError: 0x87,
    /** No free session row, stream slot or buffer space; also a payload larger than a buffer. */
    ResourceExhausted: 0x89,
    /** A list names the same stream twice. */
    AlreadyExists: 0xd0,
    /** No session with that id on the caller's fabric. */
    NotFound: 0x8b,
    /** The device cannot take the command right now. */
    Busy: 0x9c,
    /** The session or the camera is not in a state that allows the command (e.g. privacy mode on). */
    InvalidInState: 0xcb,
    /** A value conflicts with the device's current state (e.g. an unsupported usage or an unallocated stream). */
    DynamicConstraintError: 0xcf,
    /** A Large Message command arrived on a transport that cannot carry large messages (UDP). */
    InvalidTransportType: 0xd1,
} as const;
/** The union of the `Status` codes, as a type. */
export type Status = (typeof Status)[keyof typeof Status];

const names = new Map<number, string>(Object.entries(Status).map(([name, code]) => [code, name]));

/** "NotFound (0x8b)" — for logs and error messages. */
export function statusName(code: number): string {
    return `${names.get(code) ?? "Unknown"} (0x${code.toString(16).padStart(2, "0")})`;
}

/** Thrown by a {@link WebRtcHooks} method to fail its command with a specific Matter status. */
export class WebRtcError extends Error {
    constructor(
        /** The status the failed command answers with. */
        readonly status: Status,
        message?: string,
    ) {
        super(message ?? statusName(status));
        this.name = "WebRtcError";
    }
}

/** The status a failed hook gives its command. */
export function statusOfHookError(error: unknown): Status {
    return error instanceof WebRtcError ? error.status : Status.Failure;
}
