/**
 * Reads the controllers' addresses out of the mDNS responses the relay carries to a client, so the
 * client's node may reach a controller's operational port wherever it is (policy.ts, "learned
 * destinations"). mDNS is plain DNS on the wire, not Matter: this is the only payload the relay
 * reads, and it never reads a Matter message.
 *
 * A destination is an (address, port) pair: the port of an SRV record whose instance belongs to an
 * operational (`<fabric>-<node>._matter._tcp.local`) or commissioner (`…._matterd._udp.local`)
 * service, and each A/AAAA address of that record's target host. Responders put the host's addresses
 * next to the SRV record (additional records), but a querier may also learn them from a later
 * answer, so a small cache joins the two across messages: hosts → addresses and services → (host,
 * port), each entry for its record's TTL (at most `lifetimeMs`), at most `maxEntries` of each (the
 * oldest goes first) and `MAX_ADDRESSES_PER_HOST` addresses per host. A record with TTL 0 (a
 * goodbye) yields the destinations it ends, with `ttlMs` 0.
 *
 * Parsing is matter.js' own `DnsCodec` (the same decoder a matter.js node uses), which returns
 * nothing for a malformed message rather than throwing. Queries and messages without SRV/A/AAAA
 * records yield nothing. Limits: no PTR/TXT reading (the instance name alone says the service);
 * names compared case-insensitively; the caller decides which destinations to keep
 * (`RelayPolicy.learnable`).
 */

import { DnsCodec, DnsMessageType, DnsRecordType, type DnsRecord } from "@matter/main";
import { canonicalAddress, ipVersion } from "./policy.js";

/** DNS-SD service types whose SRV records name a controller's port. */
export const CONTROLLER_SERVICES = ["_matter._tcp.local", "_matterd._udp.local"] as const;

/** Addresses remembered per host name. */
export const MAX_ADDRESSES_PER_HOST = 16;

/** One (address, port) an mDNS response advertised; `ttlMs` 0 = the record's goodbye. */
export interface AdvertisedDestination {
    /** The address, canonical (see `canonicalAddress`). */
    address: string;
    /** The service's port. */
    port: number;
    /** The TTL of the records it came from, in ms (the smaller of SRV and address); 0 for a goodbye. */
    ttlMs: number;
}

interface Service {
    host: string;
    port: number;
    expiresAt: number;
    ttlMs: number;
}

/** True when `name` is an instance of one of the {@link CONTROLLER_SERVICES}. */
export function isControllerService(name: string): boolean {
    const lower = name.toLowerCase();
    return CONTROLLER_SERVICES.some(service => lower.endsWith(`.${service}`));
}

/** Per-client reader of mDNS responses: what controllers advertised, joined across messages. */
export class MdnsDestinations {
    /** host name → address → { expiresAt, ttlMs } */
    readonly #hosts = new Map<string, Map<string, { expiresAt: number; ttlMs: number }>>();
    /** service instance name → where it listens */
    readonly #services = new Map<string, Service>();

    constructor(
        readonly maxEntries: number,
        readonly lifetimeMs: number,
        readonly now: () => number = () => performance.now(),
    ) {}

    /** The destinations `payload` (one mDNS datagram) advertises or withdraws. */
    observe(payload: Uint8Array): AdvertisedDestination[] {
        // header: 12 bytes; the QR bit says response
        if (payload.length < 12 || ((payload[2] ?? 0) & 0x80) === 0) return [];
        const message = DnsCodec.decode(payload);
        if (message === undefined || !DnsMessageType.isResponse(message.messageType)) return [];
        const records = [...message.answers, ...message.additionalRecords];
        const now = this.now();
        const found = new Map<string, AdvertisedDestination>();
        const add = (address: string, port: number, ttlMs: number) => {
            const key = `${address}|${port}`;
            const seen = found.get(key);
            // a goodbye and a fresh record in one message: the fresh one wins
            if (seen === undefined || ttlMs > seen.ttlMs) found.set(key, { address, port, ttlMs });
        };

        // addresses first, so an SRV record in the same message finds its host's addresses
        const touchedHosts = new Set<string>();
        for (const record of records) {
            if (record.recordType !== DnsRecordType.A && record.recordType !== DnsRecordType.AAAA) continue;
            const address = addressOf(record);
            if (address === undefined) continue;
            const host = record.name.toLowerCase();
            const ttlMs = this.#ttl(record);
            if (ttlMs === 0) {
                this.#hosts.get(host)?.delete(address);
                for (const service of this.#servicesOn(host, now)) add(address, service.port, 0);
                continue;
            }
            this.#remember(this.#hosts, host, () => new Map()).set(address, { expiresAt: now + ttlMs, ttlMs });
            const addresses = this.#hosts.get(host);
            while (addresses !== undefined && addresses.size > MAX_ADDRESSES_PER_HOST) {
                const oldest = addresses.keys().next();
                if (oldest.done) break;
                addresses.delete(oldest.value);
            }
            touchedHosts.add(host);
        }

        for (const record of records) {
            if (record.recordType !== DnsRecordType.SRV || !isControllerService(record.name)) continue;
            const value = record.value as { port?: unknown; target?: unknown };
            if (typeof value.port !== "number" || typeof value.target !== "string") continue;
            const instance = record.name.toLowerCase();
            const host = value.target.toLowerCase();
            const ttlMs = this.#ttl(record);
            if (ttlMs === 0) {
                this.#services.delete(instance);
                for (const [address] of this.#addressesOf(host, now)) add(address, value.port, 0);
                continue;
            }
            this.#services.delete(instance);
            this.#remember(this.#services, instance, () => ({ host, port: value.port as number, expiresAt: now + ttlMs, ttlMs }));
            for (const [address, entry] of this.#addressesOf(host, now)) add(address, value.port, Math.min(ttlMs, entry.ttlMs));
        }

        // a host's addresses that arrived after its SRV record
        for (const host of touchedHosts) {
            for (const service of this.#servicesOn(host, now)) {
                for (const [address, entry] of this.#addressesOf(host, now)) add(address, service.port, Math.min(service.ttlMs, entry.ttlMs));
            }
        }
        return [...found.values()];
    }

    /** A record's TTL in ms, at most `lifetimeMs` (DnsCodec gives durations in ms). */
    #ttl(record: DnsRecord<unknown>): number {
        const ttl = Number(record.ttl);
        return Number.isFinite(ttl) && ttl > 0 ? Math.min(ttl, this.lifetimeMs) : 0;
    }

    /** The entry for `key`, created (and the oldest entry dropped beyond the cap) when missing. */
    #remember<V>(map: Map<string, V>, key: string, create: () => V): V {
        let value = map.get(key);
        if (value === undefined) {
            value = create();
            map.set(key, value);
            while (map.size > this.maxEntries) {
                const oldest = map.keys().next();
                if (oldest.done) break;
                map.delete(oldest.value);
            }
        }
        return value;
    }

    #addressesOf(host: string, now: number): [string, { expiresAt: number; ttlMs: number }][] {
        const addresses = this.#hosts.get(host);
        if (addresses === undefined) return [];
        for (const [address, entry] of addresses) if (entry.expiresAt <= now) addresses.delete(address);
        if (addresses.size === 0) this.#hosts.delete(host);
        return [...addresses];
    }

    #servicesOn(host: string, now: number): Service[] {
        const on: Service[] = [];
        for (const [name, service] of this.#services) {
            if (service.expiresAt <= now) this.#services.delete(name);
            else if (service.host === host) on.push(service);
        }
        return on;
    }
}

function addressOf(record: DnsRecord<unknown>): string | undefined {
    if (typeof record.value !== "string") return undefined;
    const version = ipVersion(record.value);
    if ((record.recordType === DnsRecordType.A && version !== 4) || (record.recordType === DnsRecordType.AAAA && version !== 6)) return undefined;
    return canonicalAddress(record.value);
}
