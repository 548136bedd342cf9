/**
 * When a viewer is gone: the rule both media hosts use to end a session nobody watches any more.
 *
 * Real controllers never send EndSession (shared/reference/real-controllers.md), so a camera must
 * notice by itself that the viewer left. Three signals, strongest first:
 *
 * 1. the viewer's DTLS close_notify (browsers and libwebrtc send one when they close their peer):
 *    the host sees its DTLS transport close and ends the session at once (UserHangup);
 * 2. its RTCP stopping: a viewer that has sent receiver reports and then sends nothing for
 *    {@link VIEWER_SILENCE_LIMIT_MS} is gone (MediaTimeout). libdatachannel viewers need this one:
 *    their `close()` puts nothing on the wire;
 * 3. ICE consent freshness running out (IceTimeout): ~15 s in Chromium, ~27 s in libdatachannel,
 *    for a viewer that never sent RTCP.
 *
 * {@link SilenceWatch} is rule 2 as a small state machine: it arms on the first sign of life, so a
 * viewer that never reports is left to rule 3 rather than ended for silence it always had.
 */

/**
 * Silence after which a viewer that has reported reception counts as gone. Measured on loopback:
 * Chromium sends video RTCP every ~250 ms (longest gap 609 ms in 30 s), a libdatachannel
 * `RtcpReceivingSession` about one report per second (longest gap 1,019 ms). 5 s ends a viewer that
 * closed without a word ~5 s later instead of 15–27 s, lets a 2–3 s network outage pass, and ends
 * a longer one: a controller that wants the picture back asks again.
 */
export const VIEWER_SILENCE_LIMIT_MS = 5_000;

/** How often a host looks for silence. */
export const SILENCE_CHECK_INTERVAL_MS = 250;

export class SilenceWatch {
    #lastHeardAt: number | undefined;
    #lastTotal: number | undefined;

    /** `limitMs` null: never expires (the check is off). */
    constructor(
        readonly limitMs: number | null = VIEWER_SILENCE_LIMIT_MS,
        readonly now: () => number = () => performance.now(),
    ) {
        if (limitMs !== null && !(limitMs > 0 && Number.isFinite(limitMs))) throw new RangeError(`silence limit ${limitMs} is not a duration`);
    }

    /** A sign of life from the viewer (an RTCP packet). */
    heard(): void {
        this.#lastHeardAt = this.now();
    }

    /**
     * A running count of what the viewer sent (a browser's transport `packetsReceived`): counts as
     * heard when it grew since the last call. The first call only sets the baseline.
     */
    observe(total: number): void {
        if (this.#lastTotal !== undefined && total > this.#lastTotal) this.heard();
        this.#lastTotal = total;
    }

    /** True once the viewer has been heard. */
    get armed(): boolean {
        return this.#lastHeardAt !== undefined;
    }

    /** Silence since the viewer was last heard, in ms; undefined before it was heard at all. */
    silentFor(): number | undefined {
        return this.#lastHeardAt === undefined ? undefined : this.now() - this.#lastHeardAt;
    }

    /** The viewer was heard, and has been silent longer than the limit. */
    expired(): boolean {
        const silent = this.silentFor();
        return this.limitMs !== null && silent !== undefined && silent > this.limitMs;
    }
}
