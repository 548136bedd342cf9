/**
 * The LAN-in-a-box helper itself (test/support/lan-box.ts), so a failing LAN suite points at the
 * camera and not at the box: what the hosts can reach (the box's ULA /64 and link-local, mDNS's
 * ff02::fb between every pair, across a bridge when there are three hosts), what they cannot (no
 * IPv4 address, no default route, no interface but `lo` and `lan0`; with a dead-end route, a
 * gateway nobody holds and no forwarding), and that `destroy()` leaves no namespace and no process
 * behind. A second or two per test.
 */

import { execFile, execFileSync, spawnSync } from "node:child_process";
import { expect, it } from "vitest";
import { ROOT } from "../runtimes/camera-host.js";
import { BOX_PREFIX, LAN_INTERFACE, LanBox, describeLan, sweepStaleBoxes } from "../support/lan-box.js";

const PROBE = "test/lan/udp-probe.mjs";

/** Sends `text` from host `from` to `address` and reports whether host `to` (listening) got it. */
async function delivered(box: LanBox, from: string, to: string, address: string, port: number, group?: string): Promise<boolean> {
    const listener = box.run(to, process.execPath, [PROBE, "listen", String(port), LAN_INTERFACE, ...(group ? [group] : [])], { cwd: ROOT });
    try {
        await listener.waitForJson("ready", true, 10_000);
        const text = `from ${from} to ${address}`;
        const sent = await box.exec(from, process.execPath, [`${ROOT}${PROBE}`, "send", address, String(port), LAN_INTERFACE, text]);
        expect(sent.trim()).toBe('{"sent":true}');
        return await listener
            .waitUntil(`"${text}"`, () => (listener.json.some(j => j.got === text) ? true : undefined), 3_000)
            .catch(() => false);
    } finally {
        await listener.stop(2_000);
    }
}

describeLan("LAN in a box", () => {
    it("joins two hosts by one veth: ULA, link-local and mDNS multicast reach, nothing else exists, nothing is left", async () => {
        const box = await LanBox.create({ hosts: ["camera", "controller"] });
        try {
            const camera = box.host("camera");
            const controller = box.host("controller");
            expect(camera.address).toMatch(/^fd[0-9a-f]{2}:/);
            expect(camera.address.startsWith(`${box.prefix}::`) && controller.address.startsWith(`${box.prefix}::`)).toBe(true);
            expect(camera.linkLocal).toMatch(/^fe80::/);

            expect(await delivered(box, "controller", "camera", camera.address, 4001)).toBe(true);
            expect(await delivered(box, "camera", "controller", controller.linkLocal, 4002)).toBe(true);
            expect(await delivered(box, "controller", "camera", "ff02::fb", 4003, "ff02::fb")).toBe(true);

            for (const host of ["camera", "controller"]) {
                // no IPv4 on the LAN, no route out, and no interface but lo and lan0
                expect(await box.exec(host, "ip", ["-4", "-o", "addr", "show", "dev", LAN_INTERFACE])).toBe("");
                expect(await box.exec(host, "ip", ["-4", "route", "show"])).toBe("");
                expect(await box.exec(host, "ip", ["-6", "route", "show", "default"])).toBe("");
                const links = (await box.exec(host, "ip", ["-o", "link", "show"])).split("\n").filter(l => l.length > 0);
                expect(links.map(l => /^\d+: ([^:@]+)/.exec(l)?.[1]).sort()).toEqual(["lan0", "lo"]);
            }
        } finally {
            await box.destroy();
        }
        expect(box.leftovers()).toEqual([]);
    });

    it("joins three hosts through a bridge: mDNS from one reaches both others", async () => {
        const box = await LanBox.create({ hosts: ["camera", "controller", "phone"] });
        try {
            expect(box.namespaces).toHaveLength(4); // three hosts and the bridge
            expect(await delivered(box, "phone", "camera", "ff02::fb", 4004, "ff02::fb")).toBe(true);
            expect(await delivered(box, "phone", "controller", "ff02::fb", 4005, "ff02::fb")).toBe(true);
            expect(await delivered(box, "camera", "phone", box.host("phone").address, 4006)).toBe(true);
        } finally {
            await box.destroy();
        }
        expect(box.leftovers()).toEqual([]);
    });

    it("a dead-end default route: via a gateway no host holds, IPv4 link-local on every host, no route on the others", async () => {
        const box = await LanBox.create({ hosts: ["camera", "controller"], deadEndRoute: ["camera"] });
        try {
            const v4 = await box.exec("camera", "ip", ["-4", "route", "show", "default"]);
            const v6 = await box.exec("camera", "ip", ["-6", "route", "show", "default"]);
            const gateway4 = /via (169\.254\.\d+\.254) dev lan0/.exec(v4)?.[1];
            const gateway6 = /via (\S+) dev lan0/.exec(v6)?.[1];
            expect(gateway4, v4).toBeDefined();
            expect(gateway6, v6).toBe(`${box.prefix}::fe`);
            for (const host of box.hosts) {
                expect(host.ipv4).toMatch(/^169\.254\.\d+\.\d+$/);
                const addresses = await box.exec(host.name, "ip", ["-o", "addr", "show"]);
                // nobody answers for the gateway
                expect(addresses).not.toContain(`${gateway4 as string}/`);
                expect(addresses).not.toContain(`${gateway6 as string}/`);
                // and nobody forwards
                expect((await box.exec(host.name, "sysctl", ["-n", "net.ipv6.conf.all.forwarding", "net.ipv4.ip_forward"])).split(/\s+/).filter(Boolean)).toEqual(["0", "0"]);
            }
            expect(await box.exec("controller", "ip", ["-4", "route", "show", "default"])).toBe("");
            expect(await box.exec("controller", "ip", ["-6", "route", "show", "default"])).toBe("");
            expect(await delivered(box, "controller", "camera", box.host("camera").address, 4007)).toBe(true);
        } finally {
            await box.destroy();
        }
        expect(box.leftovers()).toEqual([]);
    });

    it("destroy() ends every process inside, its own and their children, even one that ignores SIGTERM", async () => {
        const box = await LanBox.create({ hosts: ["a", "b"] });
        // a shell that ignores SIGTERM and leaves a child of its own behind
        const stubborn = box.run("a", "sh", ["-c", "trap '' TERM; sleep 300 & echo started; wait"]);
        await stubborn.waitForLine(/^started$/, 5_000);
        await box.destroy(1_000);
        expect(stubborn.alive).toBe(false);
        expect(stubborn.exit?.signal).toBe("SIGKILL");
        expect(box.leftovers()).toEqual([]);
        // nothing of it runs anywhere: no "sleep 300" in this machine's process list
        const sleeping = await new Promise<string>(resolve =>
            execFile("pgrep", ["-f", "^sleep 300$"], (_error, stdout) => resolve(stdout.trim())),
        );
        expect(sleeping).toBe("");
    });

    it("a box whose owner died is swept by the next run; a live owner's box is left alone", async () => {
        // a namespace as a crashed run leaves it: named after a pid that no longer runs
        const gone = spawnSync(process.execPath, ["-e", "0"]).pid as number;
        const stale = `${BOX_PREFIX}${gone}-dead00-camera`;
        execFileSync("ip", ["netns", "add", stale]);
        const box = await LanBox.create({ hosts: ["a", "b"] }); // create() sweeps first
        try {
            expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(stale);
            // this process is alive: its own box stays
            expect(sweepStaleBoxes()).toEqual([]);
            expect(box.leftovers()).toHaveLength(2);
        } finally {
            await box.destroy();
            spawnSync("ip", ["netns", "del", stale]);
        }
    });
});
