//! The inbound buffer: where the host copies one command's TLV fields before calling `cmd*`.
//!
//! It is the only buffer the host writes a request into; the decoder keeps spans into it (SDPs,
//! candidates, URLs) instead of copying, so its contents are valid until the next command.
//! A payload longer than IN_LEN is refused with RESOURCE_EXHAUSTED before anything is decoded.

import { IN_LEN } from "./config";

export const IN: usize = memory.data(IN_LEN, 8);
