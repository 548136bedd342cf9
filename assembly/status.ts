//! Matter status codes and enum ranges the core returns and checks.
//!
//! Every exported entry point of the core returns one of these as a u32 (0 = SUCCESS), so the
//! host maps nothing: the number on the wire is the number the core chose. The codes are the
//! Interaction Model global statuses named in `chip-reference-behavior.md`.

export const SUCCESS: u32 = 0x00;
export const FAILURE: u32 = 0x01;
export const INVALID_COMMAND: u32 = 0x85;
export const CONSTRAINT_ERROR: u32 = 0x87;
export const RESOURCE_EXHAUSTED: u32 = 0x89;
export const ALREADY_EXISTS: u32 = 0xd0; // Core §8.10.1 (1.5); 0x8a is the deprecated DUPLICATE_EXISTS
export const NOT_FOUND: u32 = 0x8b;
export const INVALID_IN_STATE: u32 = 0xcb;
export const DYNAMIC_CONSTRAINT_ERROR: u32 = 0xcf;

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

/** Stream kinds of the registry. */
export const KIND_VIDEO: i32 = 0;
export const KIND_AUDIO: i32 = 1;
