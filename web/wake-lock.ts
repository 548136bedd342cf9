/**
 * Keeps the screen on while this tab is a camera (Screen Wake Lock API). A phone whose screen
 * turns itself off hides the page, and a hidden page may be frozen: the camera stops.
 *
 * The browser releases the lock whenever the page is hidden (another tab, the power button) and
 * refuses to grant it to a hidden page, so it is asked for again each time the page is visible
 * again (`visibilitychange`). Where there is no Wake Lock API (older Firefox ESR; any page that is
 * not a secure context) or the browser refuses it (battery saver, policy), the state says "screen
 * may sleep" with the reason in plain words; nothing throws.
 *
 * Limits: the lock only asks; a user who presses the power button still turns the screen off.
 */

/** What the indicator shows. */
export interface WakeLockState {
    /** "awake": the lock is held; "hidden": released while the page is hidden, asked again when shown; "may-sleep": not available. */
    state: "awake" | "hidden" | "may-sleep";
    /** Plain words for the indicator. */
    text: string;
}

/** Holds a screen wake lock from `start()` until `stop()`, re-acquiring it whenever the page is visible again. */
export class ScreenAwake {
    #sentinel: WakeLockSentinel | undefined;
    #running = false;
    #asking = false;
    #state: WakeLockState = { state: "may-sleep", text: "screen may sleep (not asked yet)" };
    readonly #onChange: (state: WakeLockState) => void;
    readonly #onVisibility = (): void => {
        if (document.visibilityState === "visible") void this.#acquire();
        else if (this.#sentinel === undefined && this.#state.state === "awake") this.#set("hidden", "page hidden: the screen lock comes back when it is shown");
    };

    constructor(onChange: (state: WakeLockState) => void) {
        this.#onChange = onChange;
    }

    get state(): WakeLockState {
        return this.#state;
    }

    start(): void {
        if (this.#running) return;
        this.#running = true;
        if (!("wakeLock" in navigator) || navigator.wakeLock === undefined) {
            this.#set("may-sleep", window.isSecureContext ? "screen may sleep: this browser cannot keep it on (no Screen Wake Lock)" : "screen may sleep: only a secure (https) page may keep it on");
            return;
        }
        document.addEventListener("visibilitychange", this.#onVisibility);
        void this.#acquire();
    }

    stop(): void {
        this.#running = false;
        document.removeEventListener("visibilitychange", this.#onVisibility);
        const sentinel = this.#sentinel;
        this.#sentinel = undefined;
        void sentinel?.release().catch(() => undefined);
    }

    async #acquire(): Promise<void> {
        if (!this.#running || this.#sentinel !== undefined || this.#asking) return;
        if (document.visibilityState !== "visible") {
            this.#set("hidden", "page hidden: the screen lock comes back when it is shown");
            return;
        }
        this.#asking = true;
        try {
            const sentinel = await navigator.wakeLock.request("screen");
            if (!this.#running) {
                void sentinel.release().catch(() => undefined);
                return;
            }
            this.#sentinel = sentinel;
            sentinel.addEventListener("release", () => {
                if (this.#sentinel !== sentinel) return;
                this.#sentinel = undefined;
                if (!this.#running) return;
                // hidden: asked again on the next visibilitychange; visible: the system took it back
                if (document.visibilityState === "visible") this.#set("may-sleep", "screen may sleep: the system released the screen lock");
                else this.#set("hidden", "page hidden: the screen lock comes back when it is shown");
            });
            this.#set("awake", "screen kept awake");
        } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            this.#set("may-sleep", `screen may sleep: the browser refused the screen lock (${reason})`);
        } finally {
            this.#asking = false;
        }
    }

    #set(state: WakeLockState["state"], text: string): void {
        this.#state = { state, text };
        this.#onChange(this.#state);
    }
}
