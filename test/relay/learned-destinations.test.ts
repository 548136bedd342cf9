/**
 * "Controllers anywhere on the LAN", the rules alone (no sockets): what the relay learns from an mDNS
 * response and from peers, and what stays shut.
 *
 * - mdns-destinations.ts reads a real operational response, encoded by matter.js' own `DnsCodec`
 *   with the records matter.js' advertiser sends (PTR, SRV, TXT, AAAA and A for the SRV's host):
 *   one destination per address at the SRV port; commissioner records too; commissionable
 *   (`_matterc`) records, queries and malformed bytes yield nothing; a host's addresses in a later
 *   message join an earlier SRV record; a goodbye (TTL 0) withdraws; the caches are capped;
 * - policy.ts: only ports from 1024 up that are neither the relay's own nor the mDNS port are
 *   learnable; a learned destination opens TCP connect and UDP send outside the Matter range, an
 *   unlearned one does not; `LearnedDestinations` expires entries, evicts the least recently learned
 *   beyond its cap, and ignores zones and spelling.
 */

import { AAAARecord, ARecord, Bytes, DnsCodec, DnsMessageType, Millis, NodeId, PtrRecord, SrvRecord, TxtRecord, type DnsMessagePartiallyPreEncoded, type DnsRecord } from "@matter/main";
import { GlobalFabricId } from "@matter/main/types";
import { getOperationalDeviceQname } from "@matter/main/protocol";
import { describe, expect, it } from "vitest";
import { MdnsDestinations } from "../../src/relay/mdns-destinations.js";
import { canonicalAddress, LearnedDestinations, RelayPolicy } from "../../src/relay/policy.js";

const HOST = "0A1B2C3D4E5F0000.local";

/** DnsCodec.encode as bytes. */
const encode = (message: Partial<DnsMessagePartiallyPreEncoded>): Uint8Array => Bytes.of(DnsCodec.encode(message));
const CONTROLLER_PORT = 20_417;

/** An mDNS response as matter.js' advertiser builds it for an operational node (MdnsAdvertisement.#recordsFor). */
function operationalResponse(options: { port?: number; ttl?: number; addresses?: string[]; withAddresses?: boolean; host?: string } = {}): Uint8Array {
    const qname = getOperationalDeviceQname(GlobalFabricId(0x1234_5678_9abc_def0n), NodeId(0x42n));
    const ttl = Millis(options.ttl ?? 120_000);
    const host = options.host ?? HOST;
    const addresses = options.addresses ?? ["fd00:1:2:3::2", "fe80::1c2d:3eff:fe4f:5a6b", "192.168.77.2"];
    const records: DnsRecord[] = [
        PtrRecord("_matter._tcp.local", qname, ttl),
        SrvRecord(qname, { priority: 0, weight: 0, port: options.port ?? CONTROLLER_PORT, target: host }, ttl),
        TxtRecord(qname, ["SII=5000", "SAI=300", "T=6"], ttl),
    ];
    const addressRecords = addresses.map(a => (a.includes(":") ? AAAARecord(host, a, ttl) : ARecord(host, a, ttl)));
    return encode({
        messageType: DnsMessageType.Response,
        answers: options.withAddresses === false ? records : records.slice(0, 3),
        additionalRecords: options.withAddresses === false ? [] : addressRecords,
    });
}

function addressesOnly(addresses: string[], ttlMs = 120_000, host = HOST): Uint8Array {
    const ttl = Millis(ttlMs);
    return encode({ messageType: DnsMessageType.Response, answers: addresses.map(a => (a.includes(":") ? AAAARecord(host, a, ttl) : ARecord(host, a, ttl))) });
}

const sorted = (list: { address: string; port: number; ttlMs: number }[]) => [...list].sort((a, b) => a.address.localeCompare(b.address));

describe("mDNS responses → controller destinations", () => {
    it("reads an operational response: every address of the SRV's host at the SRV port", () => {
        const found = new MdnsDestinations(64, 30 * 60_000).observe(operationalResponse());
        expect(sorted(found)).toEqual([
            { address: "192.168.77.2", port: CONTROLLER_PORT, ttlMs: 120_000 },
            { address: "fd00:1:2:3::2", port: CONTROLLER_PORT, ttlMs: 120_000 },
            { address: "fe80::1c2d:3eff:fe4f:5a6b", port: CONTROLLER_PORT, ttlMs: 120_000 },
        ]);
    });

    it("reads a commissioner (_matterd._udp) record, not a commissionable (_matterc._udp) one", () => {
        const srv = (service: string) =>
            encode({
                messageType: DnsMessageType.Response,
                answers: [SrvRecord(`ABCDEF.${service}`, { priority: 0, weight: 0, port: 5555, target: HOST })],
                additionalRecords: [AAAARecord(HOST, "fd00::9")],
            });
        expect(new MdnsDestinations(64, 60_000).observe(srv("_matterd._udp.local"))).toEqual([{ address: "fd00::9", port: 5555, ttlMs: 60_000 }]);
        expect(new MdnsDestinations(64, 60_000).observe(srv("_matterc._udp.local"))).toEqual([]);
        expect(new MdnsDestinations(64, 60_000).observe(srv("_http._tcp.local"))).toEqual([]);
    });

    it("ignores queries, truncated and malformed messages", () => {
        const reader = new MdnsDestinations(64, 60_000);
        const query = encode({ messageType: DnsMessageType.Query, queries: [{ name: "_matter._tcp.local", recordType: 12, recordClass: 1 }] });
        expect(reader.observe(query)).toEqual([]);
        const response = operationalResponse();
        expect(reader.observe(response.subarray(0, 40))).toEqual([]);
        expect(reader.observe(new Uint8Array(5))).toEqual([]);
        const garbage = Uint8Array.from(response);
        for (let i = 12; i < garbage.length; i += 3) garbage[i] = 0xff;
        expect(() => reader.observe(garbage)).not.toThrow();
    });

    it("joins a host's addresses that come in a later message with the SRV record before them", () => {
        const reader = new MdnsDestinations(64, 60_000);
        expect(reader.observe(operationalResponse({ withAddresses: false }))).toEqual([]);
        expect(reader.observe(addressesOnly(["fd00::7"]))).toEqual([{ address: "fd00::7", port: CONTROLLER_PORT, ttlMs: 60_000 }]);
        // and an address that was known before the SRV record
        const other = new MdnsDestinations(64, 60_000);
        other.observe(addressesOnly(["10.1.2.3"]));
        expect(other.observe(operationalResponse({ withAddresses: false }))).toEqual([{ address: "10.1.2.3", port: CONTROLLER_PORT, ttlMs: 60_000 }]);
    });

    it("yields a goodbye (TTL 0) as ttlMs 0, and forgets the service", () => {
        const reader = new MdnsDestinations(64, 60_000);
        reader.observe(operationalResponse({ addresses: ["fd00::7"] }));
        expect(reader.observe(operationalResponse({ addresses: ["fd00::7"], ttl: 0 }))).toEqual([{ address: "fd00::7", port: CONTROLLER_PORT, ttlMs: 0 }]);
        // the service is gone: a later address record for the host teaches nothing
        expect(reader.observe(addressesOnly(["fd00::8"]))).toEqual([]);
    });

    it("caps its caches: hosts and services beyond maxEntries, addresses per host", () => {
        const reader = new MdnsDestinations(2, 60_000);
        // three hosts announced without services: the first one is forgotten
        for (const n of [1, 2, 3]) reader.observe(addressesOnly([`fd00::${n}`], 60_000, `host${n}.local`));
        expect(reader.observe(operationalResponse({ withAddresses: false, host: "host1.local" }))).toEqual([]);
        expect(reader.observe(operationalResponse({ withAddresses: false, host: "host3.local" }))).toEqual([{ address: "fd00::3", port: CONTROLLER_PORT, ttlMs: 60_000 }]);
        const many = Array.from({ length: 40 }, (_, i) => `fd00::1:${(i + 1).toString(16)}`);
        expect(new MdnsDestinations(64, 60_000).observe(operationalResponse({ addresses: many }))).toHaveLength(16);
    });
});

describe("learned destinations in the policy", () => {
    it("learns only unprivileged ports that are neither the relay's own nor mDNS, on allowed addresses", () => {
        const policy = new RelayPolicy({ allowDestination: a => a !== "fd00::bad" });
        policy.relayPort = 8443;
        expect(policy.learnable("fd00::2", CONTROLLER_PORT)).toEqual({ ok: true });
        expect(policy.learnable("fe80::2%lan0", 5540)).toEqual({ ok: true });
        for (const [address, port] of [
            ["fd00::2", 22],
            ["fd00::2", 443],
            ["fd00::2", 1023],
            ["fd00::2", 8443],
            ["fd00::2", 5353],
            ["fd00::2", 0],
            ["fd00::2", 70_000],
            ["ff02::fb", CONTROLLER_PORT],
            ["224.0.0.251", CONTROLLER_PORT],
            ["fd00::bad", CONTROLLER_PORT],
            ["controller.local", CONTROLLER_PORT],
        ] as const) {
            expect(policy.learnable(address, port).ok, `${address} ${port}`).toBe(false);
        }
    });

    it("an advertised relay port is never learned, even when a response names it", () => {
        const policy = new RelayPolicy();
        policy.relayPort = 24_680;
        const found = new MdnsDestinations(64, 60_000).observe(operationalResponse({ port: 24_680 }));
        expect(found.length).toBeGreaterThan(0);
        expect(found.every(d => !policy.learnable(d.address, d.port).ok)).toBe(true);
        // and a connect to it is refused even if the caller claims it learned it
        expect(policy.tcpConnect("fd00:1:2:3::2", 24_680, true).ok).toBe(false);
    });

    it("a learned destination opens TCP connect and UDP send outside the Matter range; an unlearned one does not", () => {
        const policy = new RelayPolicy();
        const learned = new LearnedDestinations(64, 60_000);
        for (const d of new MdnsDestinations(64, 60_000).observe(operationalResponse())) learned.learn(d.address, d.port, "mdns");
        expect(policy.tcpConnect("fd00:1:2:3::2", CONTROLLER_PORT, learned.allows("fd00:1:2:3::2", CONTROLLER_PORT)).ok).toBe(true);
        expect(policy.udpSend("192.168.77.2", CONTROLLER_PORT, learned.allows("192.168.77.2", CONTROLLER_PORT)).ok).toBe(true);
        // a link-local address with the zone the client adds
        expect(learned.allows("fe80::1c2d:3eff:fe4f:5a6b%lan0", CONTROLLER_PORT)).toBe(true);
        // another port on the same host, or another host on the same port: no
        for (const [host, port] of [
            ["fd00:1:2:3::2", CONTROLLER_PORT + 1],
            ["fd00:1:2:3::3", CONTROLLER_PORT],
        ] as const) {
            expect(learned.allows(host, port)).toBe(false);
            expect(policy.tcpConnect(host, port, learned.allows(host, port)).ok).toBe(false);
            expect(policy.udpSend(host, port, learned.allows(host, port)).ok).toBe(false);
        }
    });

    it("expires an entry lifetimeMs after it was last learned; learning again refreshes it", () => {
        let now = 1_000;
        const learned = new LearnedDestinations(64, 10_000, () => now);
        learned.learn("fd00::2", CONTROLLER_PORT, "peer");
        now += 9_999;
        expect(learned.allows("fd00::2", CONTROLLER_PORT)).toBe(true);
        learned.learn("fd00::2", CONTROLLER_PORT, "peer");
        now += 9_999;
        expect(learned.allows("fd00::2", CONTROLLER_PORT)).toBe(true);
        now += 1;
        expect(learned.allows("fd00::2", CONTROLLER_PORT)).toBe(false);
        expect(learned.size).toBe(0);
    });

    it("holds at most max entries, dropping the least recently learned; forget removes one", () => {
        const learned = new LearnedDestinations(3, 60_000);
        expect(learned.learn("fd00::1", 20_001, "mdns")).toBe(true);
        learned.learn("fd00::2", 20_002, "mdns");
        learned.learn("fd00::3", 20_003, "mdns");
        expect(learned.learn("fd00::1", 20_001, "peer")).toBe(false); // a refresh, now the newest
        learned.learn("fd00::4", 20_004, "mdns");
        expect(learned.size).toBe(3);
        expect(learned.allows("fd00::2", 20_002)).toBe(false);
        expect(learned.allows("fd00::1", 20_001)).toBe(true);
        expect(learned.sourceOf("fd00::1", 20_001)).toBe("peer");
        expect(learned.forget("fd00::4", 20_004)).toBe(true);
        expect(learned.allows("fd00::4", 20_004)).toBe(false);
        expect(new LearnedDestinations(0, 60_000).learn("fd00::1", 20_001, "mdns")).toBe(false);
    });

    it("compares addresses in one spelling: zone, case, zero groups, IPv4-mapped", () => {
        expect(canonicalAddress("FD00:0:0:0:0:0:0:0002")).toBe("fd00::2");
        expect(canonicalAddress("fe80::1%lan0")).toBe("fe80::1");
        expect(canonicalAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
        expect(canonicalAddress("::FFFF:7f00:1")).toBe("127.0.0.1");
        expect(canonicalAddress("10.0.0.1")).toBe("10.0.0.1");
        const learned = new LearnedDestinations(8, 60_000);
        learned.learn("::ffff:10.0.0.1", 20_001, "peer");
        expect(learned.allows("10.0.0.1", 20_001)).toBe(true);
    });
});
