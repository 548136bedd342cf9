//! Compile-time capacities of the core, one set per build profile.
//!
//! rs-matter's const generics (`N_SESSIONS`, `SDP_LEN`, `OUT_LEN`, `CAND_LEN`, `MAX_CAND`) plus the
//! core's own bounds. Each `asconfig.json` target sets them with `--use CFG_X=value` (decimal only);
//! only the `isDefined(...) ? ... : default` form is overridden (a plain `const X = 3` wins). Every
//! buffer they size is a `memory.data` reservation of the module that owns it; memory is `initial
//! == maximum`, so a profile whose buffers do not fit its pages fails to compile (AS105/AS106).

// @ts-ignore: injected by --use
export const N_SESSIONS: i32 = isDefined(CFG_N_SESSIONS) ? CFG_N_SESSIONS : 5;
// @ts-ignore: injected by --use
export const SDP_LEN: i32 = isDefined(CFG_SDP_LEN) ? CFG_SDP_LEN : 16384;
// @ts-ignore: injected by --use
export const OUT_LEN: i32 = isDefined(CFG_OUT_LEN) ? CFG_OUT_LEN : 16448;
// @ts-ignore: injected by --use
export const CAND_LEN: i32 = isDefined(CFG_CAND_LEN) ? CFG_CAND_LEN : 256;
// @ts-ignore: injected by --use
export const MAX_CAND: i32 = isDefined(CFG_MAX_CAND) ? CFG_MAX_CAND : 16;
/** Largest inbound command payload (the TLV fields of one invoke). SDPs are read in place here. */
// @ts-ignore: injected by --use
export const IN_LEN: i32 = isDefined(CFG_IN_LEN) ? CFG_IN_LEN : 20480;
/** Allocated streams the registry can hold, per kind (video, audio). */
// @ts-ignore: injected by --use
export const MAX_STREAMS: i32 = isDefined(CFG_MAX_STREAMS) ? CFG_MAX_STREAMS : 8;
/** Remote candidates accepted in one ProvideICECandidates command. */
// @ts-ignore: injected by --use
export const MAX_IN_CAND: i32 = isDefined(CFG_MAX_IN_CAND) ? CFG_MAX_IN_CAND : 32;

/** Provider-initiated End records waiting to be sent (capacity overflow, privacy, timeouts). */
export const END_CAP: i32 = N_SESSIONS + 4;
/** Longest SDP media id ("0", "video", ...) kept with an outbound candidate. */
export const MID_LEN: i32 = 32;
/** Spec bound of the rev-2 VideoStreams / AudioStreams lists. */
export const MAX_LIST: i32 = 16;
/** Spec bounds of ICEServers: servers, URLs per server, URL, username and credential lengths. */
export const MAX_ICE_SERVERS: i32 = 10;
export const MAX_ICE_URLS: i32 = 10;
export const MAX_URL_LEN: i32 = 2000;
export const MAX_USERNAME_LEN: i32 = 508;
export const MAX_CREDENTIAL_LEN: i32 = 512;
export const MAX_POLICY_LEN: i32 = 16;
/** Deepest container nesting the reader accepts; no command nests deeper than 3. */
export const MAX_DEPTH: i32 = 8;
/** Seconds a deferred offer may take before the session is ended (TC_WEBRTCP_2_11). */
export const DEFERRED_OFFER_TIMEOUT_S: u32 = 30;
