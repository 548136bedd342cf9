/**
 * `connectWithBackoff(url, options)` keeps trying to open a `WebSocketNetwork` until it succeeds,
 * `maxAttempts` is used up, or `signal` aborts, waiting `backoffDelay` between attempts — for an
 * application that runs its own node behind the relay.
 *
 * Typical use in a page or worker of one's own — a relay restart means a fresh network and a
 * restarted node:
 *
 * ```ts
 * for (;;) {
 *     const network = await connectWithBackoff(url, { maxDelayMs: 30_000 });
 *     const node = await startNode(network);        // env.set(Network, network) in a new root environment
 *     await network.closed;                         // relay gone
 *     await node.close();
 * }
 * ```
 */

import { backoffDelay } from "./backoff.js";
import { WebSocketNetwork, type WebSocketNetworkOptions } from "./websocket-network.js";

/** Options of {@link connectWithBackoff}: the waits between attempts, plus those of each attempt's connect. */
export interface BackoffOptions extends WebSocketNetworkOptions {
    /** Upper bound of the wait between attempts. Default 30 s. */
    maxDelayMs?: number;
    /** First wait. Default 250 ms. */
    initialDelayMs?: number;
    /** Give up after this many attempts (the last error is thrown). Default: never. */
    maxAttempts?: number;
    /** Stops trying: checked before each attempt, and a wait under way rejects with the signal's reason. */
    signal?: AbortSignal;
    /** Told about each failed attempt and the wait before the next. */
    onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
}

/** Opens a `WebSocketNetwork` to `url`, retrying with `backoffDelay` waits (see the module comment). */
export async function connectWithBackoff(url: string, options: BackoffOptions = {}): Promise<WebSocketNetwork> {
    const maxDelay = options.maxDelayMs ?? 30_000;
    const initial = options.initialDelayMs ?? 250;
    for (let attempt = 1; ; attempt++) {
        options.signal?.throwIfAborted();
        try {
            return await WebSocketNetwork.connect(url, options);
        } catch (error) {
            if (options.maxAttempts !== undefined && attempt >= options.maxAttempts) throw error;
            const delay = backoffDelay(attempt, initial, maxDelay);
            options.onRetry?.(attempt, delay, error);
            await wait(delay, options.signal);
        }
    }
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(done, ms);
        function done() {
            signal?.removeEventListener("abort", aborted);
            resolve();
        }
        function aborted() {
            clearTimeout(timer);
            reject(signal?.reason ?? new Error("aborted"));
        }
        signal?.addEventListener("abort", aborted, { once: true });
    });
}
