/**
 * A preload for the Node camera child (`node --import ./test/runtimes/heap-probe.mjs …`): every
 * `HEAP_PROBE_MS` milliseconds (default 1000) it prints one line
 *
 *   @@heap {"rss":…,"heapUsed":…,"heapTotal":…,"external":…,"arrayBuffers":…,"heapLimit":…,"oldSpaceUsed":…}
 *
 * to stdout, so a parent process can see the child's JS heap next to the RSS it reads from
 * /proc (`camera-host.ts` parses these lines). `heapLimit` is V8's `heap_size_limit`, which shows
 * that `--max-old-space-size` took effect. The timer is unref'd: the probe never keeps a process
 * alive. Plain .mjs so it loads without tsx, under the bundled camera too.
 */

import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";

const MARKER = "@@heap ";
const period = Number(process.env.HEAP_PROBE_MS ?? 1000);

function report() {
    const m = process.memoryUsage();
    const oldSpace = getHeapSpaceStatistics().find(s => s.space_name === "old_space");
    const line = {
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        heapLimit: getHeapStatistics().heap_size_limit,
        oldSpaceUsed: oldSpace?.space_used_size ?? 0,
    };
    process.stdout.write(`${MARKER}${JSON.stringify(line)}\n`);
}

setInterval(report, period > 0 ? period : 1000).unref();
