//! Every Matter status code the core returns, and every enum bound it checks.
//!
//! Each entry point that can fail returns one of these as a u32 (0 = SUCCESS): the number on the
//! wire is the number the core chose, the host maps nothing (`src/engine/status.ts` names the same
//! numbers). The codes are the Interaction Model global statuses of `chip-reference-behavior.md`.

export const SUCCESS: u32 = 0x00;
export const FAILURE: u32 = 0x01;
/** A fabric-scoped command without an accessing fabric (PASE). */
export const UNSUPPORTED_ACCESS: u32 = 0x7e;
export const INVALID_COMMAND: u32 = 0x85;
export const CONSTRAINT_ERROR: u32 = 0x87;
export const RESOURCE_EXHAUSTED: u32 = 0x89;
export const NOT_FOUND: u32 = 0x8b;
/** The candidate pool is full: the hook keeps the candidate and offers it after the next batch. */
export const BUSY: u32 = 0x9c;
export const INVALID_IN_STATE: u32 = 0xcb;
export const DYNAMIC_CONSTRAINT_ERROR: u32 = 0xcf;
export const ALREADY_EXISTS: u32 = 0xd0; // Core §8.10.1 (1.5); 0x8a is the deprecated DUPLICATE_EXISTS

/** StreamUsageEnum: 0 Internal, 1 Recording, 2 Analysis, 3 LiveView. */
export const USAGE_INTERNAL: u8 = 0;
export const USAGE_RECORDING: u8 = 1;
export const USAGE_ANALYSIS: u8 = 2;
export const USAGE_LIVE_VIEW: u8 = 3;
export const USAGE_MAX: u8 = 3;

/** WebRTCEndReasonEnum values the core itself sends, and the highest valid value. */
export const END_INVITE_TIMEOUT: u8 = 6;
export const END_OUT_OF_RESOURCES: u8 = 8;
export const END_PRIVACY_MODE: u8 = 11;
export const END_UNKNOWN_REASON: u8 = 12;
export const END_REASON_MAX: u8 = 12;

/** Stream kinds of the registry (the `kind` argument of the stream exports). */
export const KIND_VIDEO: i32 = 0;
export const KIND_AUDIO: i32 = 1;

/** Largest fabric index; 0 is "no accessing fabric". */
export const FABRIC_INDEX_MAX: i32 = 254;
