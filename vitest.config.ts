import { defineConfig } from "vitest/config";

// Unit, fuzz and integration tests run in Node against the compiled .wasm of every profile
// (`npm test` builds them first). Later suites that drive Chromium live beside them.
export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        globalSetup: ["test/global-setup.ts"],
        environment: "node",
        testTimeout: 60_000,
        hookTimeout: 60_000,
        pool: "forks",
        // matter.js logs at INFO by default; keep test output to what failed. Its IPv4 mDNS socket
        // joins 224.0.0.251 on the default interface whatever interface it is given (an IGMP report
        // on eth0, seen with tcpdump); tests run mDNS over IPv6 on the interfaces they name.
        // Deno checks dl.deno.land for a newer version on start (a DNS query out of this machine).
        env: { MATTER_LOG_LEVEL: "error", MATTER_MDNS_IPV4: "false", DENO_NO_UPDATE_CHECK: "1" },
    },
});
