/**
 * The relay's reconnect wait: `backoffDelay` is the wait before a retry, exponential with jitter
 * (a random wait between half and all of the initial delay doubled per failure, capped). Used by
 * the camera page when it restarts its worker and by `connectWithBackoff` (reconnect.ts).
 *
 * Imports nothing, so a page that only waits between retries does not pull in matter.js.
 */

/** The wait before retry number `failures` (1 = after the first failure): half to all of `initialMs · 2^(failures-1)`, capped at `maxMs`. */
export function backoffDelay(failures: number, initialMs: number, maxMs: number): number {
    const ceiling = Math.min(maxMs, Math.min(initialMs, maxMs) * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
