/**
 * Which network interface the relay's LAN mode serves, and on which of its addresses.
 *
 * One interface, not all of them: the page's node runs mDNS on one interface (matter.js'
 * `mdns.networkInterface` takes one name), the printed QR code can hold one address, and a laptop's
 * Docker bridge or VPN tunnel has no business carrying the camera. The user names it with
 * `--interface NAME`; without it the relay takes the interface of the default route (Linux:
 * /proc/net/route, /proc/net/ipv6_route), else the first interface with a private address, real
 * interfaces before virtual ones (docker0, br-…, veth…, virbr…, tun/tap, wg…, tailscale…).
 *
 * Addresses of that interface, and why:
 * - IPv6 link-local (fe80::/10) never: a browser cannot open a URL with a zone (`%eth0`), and a
 *   certificate cannot name one;
 * - private ones (IPv4 10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16; IPv6 ULA fc00::/7) when
 *   it has any: the LAN, and nothing the Internet can route to;
 * - otherwise its public ones (a LAN numbered with global IPv6 only, say), and the choice says so
 *   (`exposure: "public"`) so the CLI warns that the relay is reachable from wherever that address is;
 * - a loopback interface (`--interface lo`) only when named: its loopback addresses, reachable from
 *   this machine only (how the tests run the LAN mode without a LAN).
 * The addresses are sorted by how well they suit a URL for a phone: private IPv4, ULA, IPv4
 * link-local, public IPv4, public IPv6. The first is the page URL's host.
 */

import { readFileSync } from "node:fs";
import { networkInterfaces, type NetworkInterfaceInfo } from "node:os";
import { canonicalAddress, ipVersion } from "./policy.js";

/** An interface's usable addresses as LAN mode sees them. */
export interface LanChoice {
    /** The interface's name (also the page's mDNS interface by default). */
    interface: string;
    /** The addresses to bind, best URL host first; never IPv6 link-local. */
    addresses: string[];
    /** "private": LAN addresses only; "public": routable addresses (the CLI warns); "loopback": this machine only. */
    exposure: "private" | "public" | "loopback";
}

/** No usable interface, or the named one is missing or has no usable address; the message says which. */
export class LanError extends Error {}

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

const VIRTUAL = /^(docker|br-|veth|virbr|vmnet|vboxnet|lxc|lxd|podman|cni|flannel|cali|tun|tap|wg|tailscale|zt|utun)/;

function inV4(address: string, prefix: string, bits: number): boolean {
    const toInt = (a: string) => a.split(".").reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (toInt(address) & mask) === (toInt(prefix) & mask);
}

/** The address's class for LAN mode. */
export function addressClass(address: string): "loopback" | "link-local" | "private" | "public" | "invalid" {
    const bare = canonicalAddress(address);
    const version = ipVersion(bare);
    if (version === 4) {
        if (inV4(bare, "127.0.0.0", 8)) return "loopback";
        if (inV4(bare, "169.254.0.0", 16)) return "private"; // link-local, but usable in a URL
        if (inV4(bare, "10.0.0.0", 8) || inV4(bare, "172.16.0.0", 12) || inV4(bare, "192.168.0.0", 16) || inV4(bare, "100.64.0.0", 10)) return "private";
        return "public";
    }
    if (version === 6) {
        if (bare === "::1") return "loopback";
        if (/^fe[89ab]/.test(bare)) return "link-local";
        if (/^f[cd]/.test(bare)) return "private";
        return "public";
    }
    return "invalid";
}

/** Sort rank for a page URL's host: private IPv4, ULA, IPv4 link-local, public IPv4, public IPv6, loopback. */
function urlRank(address: string): number {
    const version = ipVersion(address);
    const kind = addressClass(address);
    if (kind === "private") return version === 4 ? (inV4(address, "169.254.0.0", 16) ? 2 : 0) : 1;
    if (kind === "public") return version === 4 ? 3 : 4;
    return version === 4 ? 5 : 6;
}

/**
 * Interfaces that carry a default route, in the kernel's order (IPv4 first), from
 * /proc/net/route and /proc/net/ipv6_route; empty where those files do not exist.
 */
export function defaultRouteInterfaces(read: (path: string) => string = path => readFileSync(path, "utf8")): string[] {
    const found: string[] = [];
    try {
        // Iface Destination Gateway Flags RefCnt Use Metric Mask ...
        for (const line of read("/proc/net/route").split("\n").slice(1)) {
            const [name, destination, , , , , , mask] = line.trim().split(/\s+/);
            if (name !== undefined && destination === "00000000" && mask === "00000000") found.push(name);
        }
    } catch {
        // not Linux, or no procfs
    }
    try {
        // dest prefixlen src srcprefixlen nexthop metric refcnt use flags iface
        for (const line of read("/proc/net/ipv6_route").split("\n")) {
            const fields = line.trim().split(/\s+/);
            const name = fields[9];
            if (fields[0] === "0".repeat(32) && fields[1] === "00" && name !== undefined && name !== "lo") found.push(name);
        }
    } catch {
        // no IPv6 routes table
    }
    return [...new Set(found)];
}

/** The usable addresses of one interface (see the module comment), best URL host first. */
function usable(infos: NetworkInterfaceInfo[], allowLoopback: boolean): { addresses: string[]; exposure: LanChoice["exposure"] } {
    const all = [...new Set(infos.map(info => canonicalAddress(info.address)))];
    const of = (kind: ReturnType<typeof addressClass>) => all.filter(a => addressClass(a) === kind).sort((a, b) => urlRank(a) - urlRank(b));
    const privates = of("private");
    if (privates.length > 0) return { addresses: privates, exposure: "private" };
    const publics = of("public");
    if (publics.length > 0) return { addresses: publics, exposure: "public" };
    if (allowLoopback) return { addresses: of("loopback"), exposure: "loopback" };
    return { addresses: [], exposure: "private" };
}

/**
 * The interface (and addresses) LAN mode serves: `name` if given, else the default route's
 * interface, else the best candidate. Throws {@link LanError} with a readable message.
 */
export function chooseLanInterface(options: { name?: string; interfaces?: Interfaces; defaultRoutes?: string[] } = {}): LanChoice {
    const interfaces = options.interfaces ?? networkInterfaces();
    const names = Object.keys(interfaces).sort();
    if (options.name !== undefined) {
        const infos = interfaces[options.name];
        if (infos === undefined) throw new LanError(`there is no network interface "${options.name}" (this machine has: ${names.join(", ") || "none"})`);
        const found = usable(infos, true);
        if (found.addresses.length === 0) throw new LanError(`interface "${options.name}" has no address a browser can reach (IPv6 link-local addresses cannot be used in a URL)`);
        return { interface: options.name, ...found };
    }
    const candidates = names
        .filter(name => !(interfaces[name] ?? []).every(info => info.internal))
        .map(name => ({ name, ...usable(interfaces[name] ?? [], false) }))
        .filter(candidate => candidate.addresses.length > 0);
    const routes = options.defaultRoutes ?? defaultRouteInterfaces();
    const rank = (candidate: (typeof candidates)[number]): number[] => {
        const route = routes.indexOf(candidate.name);
        return [route < 0 ? routes.length : route, candidate.exposure === "private" ? 0 : 1, VIRTUAL.test(candidate.name) ? 1 : 0];
    };
    candidates.sort((a, b) => {
        const ra = rank(a);
        const rb = rank(b);
        for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return (ra[i] ?? 0) - (rb[i] ?? 0);
        return a.name.localeCompare(b.name);
    });
    const best = candidates[0];
    if (best === undefined) {
        throw new LanError(`no network interface has an address a phone could reach (interfaces: ${names.join(", ") || "none"}); connect to a network or pass --interface NAME`);
    }
    return { interface: best.name, addresses: best.addresses, exposure: best.exposure };
}

/**
 * The DNS names LAN mode's certificate carries and its Origin check accepts, besides addresses:
 * `localhost`, the host name, and its mDNS name (`<first label>.local`). Names that are not valid
 * DNS names are left out.
 */
export function lanServerNames(hostname: string): string[] {
    const valid = (name: string) => /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(name);
    const host = hostname.trim().toLowerCase().replace(/\.$/, "");
    const label = host.split(".")[0] ?? "";
    const local = host.endsWith(".local") ? host : `${label}.local`;
    return [...new Set(["localhost", host, local].filter(valid))];
}
