//! Abort hook for the core (wired with `--use abort=assembly/abort/onAbort`).
//!
//! The core never calls `abort` on purpose: every bad input is a status code. This hook exists so
//! that a bug (an out-of-range `unchecked` index cannot abort, but a compiler-inserted check can)
//! does not pull in the `env.abort` import. It records the source line in a static slot, readable
//! through `abortLine()`, then traps. The fuzz test asserts it never fires.

const ABORT_SLOT: usize = memory.data(4, 4);

export function onAbort(message: usize, fileName: usize, line: u32, column: u32): void {
  store<u32>(ABORT_SLOT, line);
  unreachable();
}

/** Line of the last abort, 0 if none happened. */
export function abortLine(): u32 {
  return load<u32>(ABORT_SLOT);
}
