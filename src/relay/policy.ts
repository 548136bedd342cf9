/**
 * What a relay client may do: which ports it may bind, where it may send and connect, and how much
 * it may hold open or move. The relay is a generic socket proxy, so these rules are what keep it from
 * being one for anything but a Matter node.
 *
 * Defaults (each configurable through `RelayOptions`):
 * - bind (UDP sockets, TCP listeners): only the Matter port range (5540–5600) and the mDNS port 5353
 *   (UDP only). Port 0 ("any") is served from the Matter range. Shared binds (`reuseAddress`) only
 *   on 5353;
 * - TCP connect: any IP address, on a port in the Matter range or on a destination the client
 *   learned (below). Allowing any address keeps LAN controllers reachable, the port rule keeps the
 *   relay from reaching SSH, databases or web admin pages. Tighten with `allowDestination` (e.g.
 *   loopback + the LAN);
 * - UDP send: to a port in the Matter range or 5353 (mDNS, multicast included), back to any
 *   address/port that sent this socket a datagram (a reply, as a NAT would allow), or to a learned
 *   destination;
 * - learned destinations ("controllers anywhere on the LAN"): a controller's operational port can be
 *   any port, so a client may also reach an (address, port) that (a) a controller advertised in an
 *   operational (`_matter._tcp`) or commissioner (`_matterd._udp`) DNS-SD record of an mDNS
 *   response the relay carried to this client (mdns-destinations.ts), or (b) sent a datagram to one
 *   of this client's UDP sockets (a controller that talked first). Only ports from 1024 up that are
 *   neither the relay's own nor the mDNS port are learned; at most `maxLearnedDestinations` per client
 *   (the least recently learned goes first), each for `learnedDestinationMs` after it was last
 *   advertised or heard from, and an mDNS goodbye (TTL 0) forgets it at once. What this does not
 *   stop: anyone on the LAN can send mDNS responses or datagrams, so a client that holds the token
 *   and a LAN host that cooperates with it can make the relay reach that host's unprivileged ports
 *   (or, with a spoofed source, another host's); the caps keep it from becoming a port scanner;
 * - hosts must be IP literals (the relay never resolves names), membership only for multicast groups;
 * - never a port of the relay's own HTTP server.
 *
 * Limits are per client (one WebSocket), except `maxClients`.
 */

import { isIP } from "node:net";

/** An inclusive range of ports. */
export interface PortRange {
    /** The first port of the range. */
    from: number;
    /** The last port of the range (equal to `from` for one port). */
    to: number;
}

/** What each relay client may hold open or move (all per WebSocket client, except `maxClients`). */
export interface RelayLimits {
    /** WebSocket clients at once. */
    maxClients: number;
    /** Open UDP sockets per client. */
    maxUdpSockets: number;
    /** Open TCP listeners per client. */
    maxTcpListeners: number;
    /** Open TCP connections (accepted + outgoing) per client. */
    maxTcpConnections: number;
    /** Payload bytes per second per client and direction (token bucket, one second of burst). */
    maxBytesPerSecond: number;
    /** Bytes a client may have in flight: WebSocket send buffer, and pending TCP writes per connection. */
    maxBufferedBytes: number;
    /** Time a new client has to say hello. */
    helloTimeoutMs: number;
    /** Longest TCP connect a client may ask for. */
    maxConnectTimeoutMs: number;
    /** Peers remembered per UDP socket for replies outside the allowed ports. */
    maxLearnedPeers: number;
    /** Destinations (address, port) a client may learn from mDNS advertisements and from peers that wrote first. */
    maxLearnedDestinations: number;
    /** How long a learned destination stays allowed after it was last advertised or heard from. */
    learnedDestinationMs: number;
}

/** The limits a relay applies unless `RelayOptions.limits` changes them: 4 clients, 32 sockets each, 1 MiB/s. */
export const DEFAULT_LIMITS: RelayLimits = {
    maxClients: 4,
    maxUdpSockets: 32,
    maxTcpListeners: 4,
    maxTcpConnections: 32,
    maxBytesPerSecond: 1_048_576,
    maxBufferedBytes: 1_048_576,
    helloTimeoutMs: 10_000,
    maxConnectTimeoutMs: 30_000,
    maxLearnedPeers: 1_024,
    maxLearnedDestinations: 64,
    learnedDestinationMs: 30 * 60_000,
};

/** The ports a client may bind and connect to by default: 5540 (Matter's) to 5600. */
export const DEFAULT_MATTER_PORTS: PortRange = { from: 5540, to: 5600 };
/** The mDNS port (UDP), which clients may bind (shared) and send to. */
export const MDNS_PORT = 5353;
/** The lowest port a destination may be learned on: privileged ports (SSH, HTTP, ...) never are. */
export const MIN_LEARNED_PORT = 1024;

/** Which ports and destinations relay clients may use, and their limits. */
export interface PolicyOptions {
    /** Ports clients may bind (UDP and TCP); port 0 ("any") is served from it. Default {@link DEFAULT_MATTER_PORTS}. */
    matterPorts?: PortRange;
    /** The mDNS port a client may bind and send to; `false` forbids mDNS. Default 5353. */
    mdnsPort?: number | false;
    /** Ports TCP connects may go to; default: the Matter range. */
    connectPorts?: PortRange[];
    /** Extra gate on UDP send and TCP connect destinations (an IP literal, zone stripped); default: any. */
    allowDestination?: (address: string) => boolean;
    /** Limits to change; the rest keep {@link DEFAULT_LIMITS}. */
    limits?: Partial<RelayLimits>;
}

/** A yes, or a no with the reason the client is told. */
export type Verdict =
    | {
          /** Allowed. */
          ok: true;
      }
    | {
          /** Refused. */
          ok: false;
          /** Why, in words the client shows. */
          reason: string;
      };
const YES: Verdict = { ok: true };
const no = (reason: string): Verdict => ({ ok: false, reason });

export function inRange(port: number, range: PortRange): boolean {
    return port >= range.from && port <= range.to;
}

export function formatRange(range: PortRange): string {
    return range.from === range.to ? `${range.from}` : `${range.from}-${range.to}`;
}

/** Parses "5540-5600" or "5540"; undefined if malformed. */
export function parsePortRange(text: string): PortRange | undefined {
    const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
    if (!match) return undefined;
    const from = Number(match[1]);
    const to = Number(match[2] ?? match[1]);
    if (from < 1 || to > 65_535 || from > to) return undefined;
    return { from, to };
}

/** The address without an IPv6 zone (`fe80::1%eth0` → `fe80::1`). */
export function stripZone(address: string): string {
    const at = address.indexOf("%");
    return at < 0 ? address : address.slice(0, at);
}

/**
 * One spelling per address, so addresses from DNS records, socket events and client requests
 * compare equal: zone stripped, IPv6 compressed and lower case (RFC 5952, as URLs write it), an
 * IPv4-mapped IPv6 address as its IPv4 form. Not an IP literal: returned as is.
 */
export function canonicalAddress(address: string): string {
    const bare = stripZone(address).toLowerCase();
    if (isIP(bare) !== 6) return bare;
    const compressed = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
    if (mapped === null) return compressed;
    const high = parseInt(mapped[1] ?? "0", 16);
    const low = parseInt(mapped[2] ?? "0", 16);
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** 4 or 6 for an IP literal (IPv6 may carry a zone), 0 otherwise. */
export function ipVersion(address: string): 0 | 4 | 6 {
    const version = isIP(stripZone(address));
    if (version === 6 && address.includes("%") && !/^[\w.-]{1,64}$/.test(address.slice(address.indexOf("%") + 1))) return 0;
    return version === 4 || version === 6 ? version : 0;
}

export function isMulticast(address: string): boolean {
    const version = ipVersion(address);
    if (version === 6) return /^ff/i.test(stripZone(address));
    if (version === 4) {
        const first = Number(address.split(".")[0]);
        return first >= 224 && first <= 239;
    }
    return false;
}

/** The rules a running relay applies to every client request, built from {@link PolicyOptions} with defaults filled in. */
export class RelayPolicy {
    /** Ports clients may bind. */
    readonly matterPorts: PortRange;
    /** The mDNS port clients may use; undefined when mDNS is forbidden. */
    readonly mdnsPort: number | undefined;
    /** Ports TCP connects may go to. */
    readonly connectPorts: PortRange[];
    /** The limits in force (defaults merged with the options). */
    readonly limits: RelayLimits;
    readonly #allowDestination: (address: string) => boolean;
    /** Set once the HTTP server listens: its port is never a target. */
    relayPort = 0;

    constructor(options: PolicyOptions = {}) {
        this.matterPorts = options.matterPorts ?? DEFAULT_MATTER_PORTS;
        validRange(this.matterPorts, "matterPorts");
        this.mdnsPort = options.mdnsPort === false ? undefined : (options.mdnsPort ?? MDNS_PORT);
        this.connectPorts = options.connectPorts ?? [this.matterPorts];
        for (const range of this.connectPorts) validRange(range, "connectPorts");
        this.#allowDestination = options.allowDestination ?? (() => true);
        this.limits = { ...DEFAULT_LIMITS, ...options.limits };
        for (const [key, value] of Object.entries(this.limits)) {
            if (!Number.isFinite(value) || value < 0) throw new RangeError(`limits.${key} must be a non-negative number`);
        }
    }

    /** The policy in one line for the relay's log, e.g. `bind 5540-5600 (+5353/udp), connect 5540-5600`. */
    describe(): string {
        return `bind ${formatRange(this.matterPorts)}${this.mdnsPort !== undefined ? ` (+${this.mdnsPort}/udp)` : ""}, connect ${this.connectPorts.map(formatRange).join(",")}`;
    }

    /**
     * May a UDP socket bind `port` (0 = the relay picks one from the Matter range)? Shared binds
     * (`reuseAddress`) only on the mDNS port, where matter.js needs them: elsewhere they could
     * share a port with another program's socket and read its datagrams.
     */
    udpBind(port: number, reuseAddress = false): Verdict {
        if (reuseAddress && (port === 0 || port !== this.mdnsPort)) return no(`reuseAddress is only allowed on the mDNS port${this.mdnsPort !== undefined ? ` ${this.mdnsPort}` : ""}`);
        if (port === 0 || inRange(port, this.matterPorts) || port === this.mdnsPort) return this.#notRelay(port);
        return no(`UDP port ${port} is not allowed (allowed: ${formatRange(this.matterPorts)}${this.mdnsPort !== undefined ? ` and ${this.mdnsPort}` : ""})`);
    }

    /** May a TCP listener bind `port`? */
    tcpListen(port: number): Verdict {
        if (port === 0 || inRange(port, this.matterPorts)) return this.#notRelay(port);
        return no(`TCP port ${port} is not allowed (allowed: ${formatRange(this.matterPorts)})`);
    }

    /** Bind address (optional) must be an IP literal. */
    bindAddress(address: string | undefined): Verdict {
        if (address === undefined || ipVersion(address) !== 0) return YES;
        return no(`listening address "${address}" is not an IP address`);
    }

    /**
     * May a UDP datagram go to host:port; `learned` = that peer sent this socket a datagram, or the
     * client learned the destination (`LearnedDestinations`).
     */
    udpSend(host: string, port: number, learned: boolean): Verdict {
        const destination = this.#destination(host);
        if (!destination.ok) return destination;
        if (learned || inRange(port, this.matterPorts) || port === this.mdnsPort) return this.#notRelay(port);
        return no(`UDP destination port ${port} is not allowed`);
    }

    /**
     * May a TCP connection go to host:port (an IP literal, not multicast, a connect port or a
     * `learned` destination: see `LearnedDestinations`)?
     */
    tcpConnect(host: string, port: number, learned = false): Verdict {
        const destination = this.#destination(host);
        if (!destination.ok) return destination;
        if (isMulticast(host)) return no(`cannot connect to multicast address ${host}`);
        if (!learned && !this.connectPorts.some(range => inRange(port, range))) {
            return no(`TCP connect to port ${port} is not allowed (allowed: ${this.connectPorts.map(formatRange).join(",")}, or a port a controller advertised or talked from)`);
        }
        return this.#notRelay(port);
    }

    /**
     * May (address, port) become a learned destination? Only an IP literal that passes
     * `allowDestination`, not multicast, on a port from {@link MIN_LEARNED_PORT} up that is neither the
     * relay's own nor the mDNS port: an advertisement cannot open what the port rules keep shut.
     */
    learnable(address: string, port: number): Verdict {
        const destination = this.#destination(address);
        if (!destination.ok) return destination;
        if (isMulticast(address)) return no(`${address} is a multicast address`);
        if (!Number.isInteger(port) || port < MIN_LEARNED_PORT || port > 65_535) return no(`port ${port} is below ${MIN_LEARNED_PORT} or not a port`);
        if (port === this.mdnsPort) return no(`port ${port} is the mDNS port`);
        return this.#notRelay(port);
    }

    /** May a UDP socket join group `address`? Only multicast addresses. */
    membership(address: string): Verdict {
        return isMulticast(address) ? YES : no(`"${address}" is not a multicast address`);
    }

    /** Ports to try for "any port" binds: the Matter range, from a random start. */
    candidatePorts(): number[] {
        const { from, to } = this.matterPorts;
        const count = to - from + 1;
        const start = Math.floor(Math.random() * count);
        const ports: number[] = [];
        for (let i = 0; i < count; i++) {
            const port = from + ((start + i) % count);
            if (port !== this.relayPort) ports.push(port);
        }
        return ports;
    }

    #destination(host: string): Verdict {
        if (ipVersion(host) === 0) return no(`destination "${host}" is not an IP address`);
        if (!this.#allowDestination(stripZone(host))) return no(`destination ${host} is not allowed`);
        return YES;
    }

    #notRelay(port: number): Verdict {
        return port !== 0 && port === this.relayPort ? no(`port ${port} belongs to the relay itself`) : YES;
    }
}

function validRange(range: PortRange, what: string): void {
    const ok = Number.isInteger(range.from) && Number.isInteger(range.to) && range.from >= 1 && range.to <= 65_535 && range.from <= range.to;
    if (!ok) throw new RangeError(`${what} must be a port range within 1-65535, got ${range.from}-${range.to}`);
}

/** Remembers who sent a UDP socket datagrams, so replies to them pass the port rule. Bounded. */
export class LearnedPeers {
    readonly #peers = new Set<string>();

    constructor(readonly max: number) {}

    static key(address: string, port: number): string {
        return `${stripZone(address).toLowerCase()}|${port}`;
    }

    learn(address: string, port: number): void {
        const key = LearnedPeers.key(address, port);
        if (this.#peers.has(key)) {
            // refresh: move to the newest end
            this.#peers.delete(key);
        } else if (this.#peers.size >= this.max) {
            const oldest = this.#peers.values().next();
            if (!oldest.done) this.#peers.delete(oldest.value);
        }
        if (this.max > 0) this.#peers.add(key);
    }

    knows(address: string, port: number): boolean {
        return this.#peers.has(LearnedPeers.key(address, port));
    }
}

/** Why a client may reach a learned destination. */
export type LearnedSource = "mdns" | "peer";

/**
 * The destinations one client learned: (address, port) pairs a controller advertised over mDNS or
 * that wrote to one of the client's UDP sockets. Bounded (the least recently learned goes first when
 * full) and expiring: an entry lasts `lifetimeMs` after it was last learned. Record TTLs do not set
 * the lifetime: Matter advertises with 120 s TTLs and re-announces rarely, so a controller would
 * vanish between a camera's reconnects; a goodbye (TTL 0) forgets it at once instead. The caller
 * checks {@link RelayPolicy.learnable} first.
 */
export class LearnedDestinations {
    readonly #entries = new Map<string, { expiresAt: number; source: LearnedSource }>();

    constructor(
        readonly max: number,
        readonly lifetimeMs: number,
        readonly now: () => number = () => performance.now(),
    ) {}

    static key(address: string, port: number): string {
        return `${canonicalAddress(address)}|${port}`;
    }

    /** Adds or refreshes a destination; true when it was not known before. */
    learn(address: string, port: number, source: LearnedSource): boolean {
        if (this.max <= 0) return false;
        const key = LearnedDestinations.key(address, port);
        const known = this.#live(key);
        // refresh: move to the newest end
        this.#entries.delete(key);
        if (!known) {
            this.#sweep();
            while (this.#entries.size >= this.max) {
                const oldest = this.#entries.keys().next();
                if (oldest.done) break;
                this.#entries.delete(oldest.value);
            }
        }
        this.#entries.set(key, { expiresAt: this.now() + this.lifetimeMs, source });
        return !known;
    }

    /** Forgets a destination (an mDNS goodbye). */
    forget(address: string, port: number): boolean {
        return this.#entries.delete(LearnedDestinations.key(address, port));
    }

    /** Whether the client may reach (address, port) because it learned it (zone and spelling ignored). */
    allows(address: string, port: number): boolean {
        return this.#live(LearnedDestinations.key(address, port));
    }

    /** Where an allowed destination was last learned from, or undefined. */
    sourceOf(address: string, port: number): LearnedSource | undefined {
        const key = LearnedDestinations.key(address, port);
        return this.#live(key) ? this.#entries.get(key)?.source : undefined;
    }

    /** Destinations allowed now. */
    get size(): number {
        this.#sweep();
        return this.#entries.size;
    }

    #live(key: string): boolean {
        const entry = this.#entries.get(key);
        if (entry === undefined) return false;
        if (entry.expiresAt > this.now()) return true;
        this.#entries.delete(key);
        return false;
    }

    #sweep(): void {
        const now = this.now();
        for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
    }
}
