/**
 * Matter status codes as the core returns them, their names, and the error a media hook throws
 * to choose the status of its command.
 *
 * The core already speaks Matter statuses (0 = SUCCESS), so "mapping" is naming: the engine never
 * picks a status itself except for a hook that failed, where a {@link WebRtcError} carries the
 * status the hook wants and anything else thrown becomes FAILURE (as the reference does for every
 * delegate error that is not an IM global status).
 */

export const Status = {
    Success: 0x00,
    Failure: 0x01,
    UnsupportedAccess: 0x7e,
    InvalidCommand: 0x85,
    ConstraintError: 0x87,
    ResourceExhausted: 0x89,
    AlreadyExists: 0xd0,
    NotFound: 0x8b,
    Busy: 0x9c,
    InvalidInState: 0xcb,
    DynamicConstraintError: 0xcf,
    InvalidTransportType: 0xd1,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

const names = new Map<number, string>(Object.entries(Status).map(([name, code]) => [code, name]));

/** "NotFound (0x8b)" — for logs and error messages. */
export function statusName(code: number): string {
    return `${names.get(code) ?? "Unknown"} (0x${code.toString(16).padStart(2, "0")})`;
}

/** Thrown by a {@link WebRtcHooks} method to fail its command with a specific Matter status. */
export class WebRtcError extends Error {
    constructor(
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
