//! A runtime that refuses to exist: passed as `--runtime`, it makes any managed allocation (a
//! `string`, an `Array`, `new` on any class, a closure) a compile error (AS102) instead of a silent
//! allocator and `memory.grow`. Buffers are `memory.data`, records `changetype` on fixed addresses.
//!
//! The error points here, not at the allocating line: compile once with `--runtime stub` and search
//! the `.wat` for `__new`. The hooks stay non-exported (exported ones fail every build).

// @ts-ignore: decorator
@global @unsafe function __alloc(size: usize): usize { ERROR("heap allocation is forbidden in the core"); return 0; }
// @ts-ignore: decorator
@global @unsafe function __realloc(ptr: usize, size: usize): usize { ERROR("heap allocation is forbidden in the core"); return 0; }
// @ts-ignore: decorator
@global @unsafe function __free(ptr: usize): void { ERROR("heap allocation is forbidden in the core"); }
// @ts-ignore: decorator
@global @unsafe function __reset(): void { ERROR("heap allocation is forbidden in the core"); }
// @ts-ignore: decorator
@global @unsafe function __new(size: usize, id: u32): usize { ERROR("managed allocation is forbidden in the core"); return 0; }
// @ts-ignore: decorator
@global @unsafe function __renew(oldPtr: usize, size: usize): usize { ERROR("managed allocation is forbidden in the core"); return 0; }
// @ts-ignore: decorator
@global @unsafe function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void { ERROR("managed references are forbidden in the core"); }
// @ts-ignore: decorator
@global @unsafe function __pin(ptr: usize): usize { ERROR("managed references are forbidden in the core"); return 0; }
// @ts-ignore: decorator
@global @unsafe function __unpin(ptr: usize): void { ERROR("managed references are forbidden in the core"); }
// @ts-ignore: decorator
@global @unsafe function __visit(ptr: usize, cookie: u32): void { ERROR("managed references are forbidden in the core"); }
// @ts-ignore: decorator
@global @unsafe function __collect(): void { ERROR("garbage collection is forbidden in the core"); }
