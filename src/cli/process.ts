/**
 * What every command-line entry point does the same way: parse its options or print a readable
 * message with the usage and exit 2 (never a stack), and stop cleanly on SIGINT/SIGTERM (a stop
 * that hangs is cut off after a bound).
 */

/** `parse()`'s result, or exit 2 with `<name>: <message>` and the usage when it throws `ArgumentError`. */
export function parseOrExit<T>(name: string, usage: string, parse: () => T, isArgumentError: (error: unknown) => boolean): T {
    try {
        return parse();
    } catch (error) {
        if (isArgumentError(error)) {
            console.error(`${name}: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
            process.exit(2);
        }
        throw error;
    }
}

/**
 * Runs `stop` on the first SIGINT or SIGTERM and exits 0 after it; a stop that takes longer than
 * `boundMs` exits 1 with a message. Later signals while stopping are ignored (matter.js's own
 * process manager may deliver the same signal again).
 */
export function onStopSignals(name: string, stop: () => Promise<void>, boundMs = 20_000): void {
    let stopping = false;
    const handle = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        console.log(`${name}: ${signal}, stopping`);
        setTimeout(() => {
            console.error(`${name}: did not stop within ${boundMs / 1000} s, exiting`);
            process.exit(1);
        }, boundMs).unref();
        stop().then(
            () => process.exit(0),
            error => {
                console.error(`${name}: stopping failed: ${error instanceof Error ? error.message : String(error)}`);
                process.exit(1);
            },
        );
    };
    process.on("SIGINT", () => handle("SIGINT"));
    process.on("SIGTERM", () => handle("SIGTERM"));
}
