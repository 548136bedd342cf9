/**
 * A token bucket for bytes: `ratePerSecond` tokens refill continuously, at most one second's worth
 * is stored (the burst). The relay keeps one per client and direction. It only counts; what to do
 * when the bucket is empty (drop a datagram, delay a TCP write) is the caller's choice.
 */

export class ByteBucket {
    #tokens: number;
    #last: number;

    constructor(
        readonly ratePerSecond: number,
        private readonly now: () => number = () => performance.now(),
    ) {
        this.#tokens = ratePerSecond;
        this.#last = now();
    }

    #refill(): void {
        const now = this.now();
        this.#tokens = Math.min(this.ratePerSecond, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSecond);
        this.#last = now;
    }

    /** Takes `bytes` now if the bucket holds them; false (and nothing taken) otherwise. */
    tryTake(bytes: number): boolean {
        this.#refill();
        if (bytes > this.#tokens) return false;
        this.#tokens -= bytes;
        return true;
    }

    /**
     * Takes `bytes` unconditionally (the balance may go negative) and returns how many milliseconds
     * the caller should wait before acting so the average rate holds.
     */
    reserve(bytes: number): number {
        this.#refill();
        this.#tokens -= bytes;
        return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.ratePerSecond) * 1000);
    }
}
