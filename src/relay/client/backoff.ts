/**
 * Reconnect policy for the relay: `connectWithBackoff(url, options)` keeps trying to open a
 * `WebSocketNetwork` with exponential backoff with jitter (a random wait between half and all of 250 ms doubling up to
 * `maxDelayMs`)
 * until it succeeds, `maxAttempts` is used up, or `signal` aborts.
 *
 * Typical use in the page or worker — a relay restart means a fresh network and a restarted node:
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

import { WebSocketNetwork, type WebSocketNetworkOptions } from "./websocket-network.js";

export interface BackoffOptions extends WebSocketNetworkOptions {
    /** Upper bound of the wait between attempts. Default 30 s. */
    maxDelayMs?: number;
    /** First wait. Default 250 ms. */
    initialDelayMs?: number;
    /** Give up after this many attempts (the last error is thrown). Default: never. */
    maxAttempts?: number;
    signal?: AbortSignal;
    /** Told about each failed attempt and the wait before the next. */
    onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
}

export async function connectWithBackoff(url: string, options: BackoffOptions = {}): Promise<WebSocketNetwork> {
    const maxDelay = options.maxDelayMs ?? 30_000;
    const initial = Math.min(options.initialDelayMs ?? 250, maxDelay);
    for (let attempt = 1; ; attempt++) {
        options.signal?.throwIfAborted();
        try {
            return await WebSocketNetwork.connect(url, options);
        } catch (error) {
            if (options.maxAttempts !== undefined && attempt >= options.maxAttempts) throw error;
            const ceiling = Math.min(maxDelay, initial * 2 ** Math.min(attempt - 1, 30));
            const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
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
