/**
 * Debian's Firefox ESR (`firefox-esr`) for the browser suites, driven through WebDriver BiDi by
 * puppeteer-core: headless, on a fresh temporary profile that is removed again, and kept off the
 * network. `FIREFOX_PATH` overrides the binary.
 *
 * The profile's prefs (on top of puppeteer's own test profile) do three things:
 * - media without prompts: a fake camera and microphone and no permission prompt, a peer's
 *   loopback ICE candidates accepted, and real host addresses instead of mDNS `.local` names
 *   (Firefox hides them from a page without a camera permission, and announces the names by
 *   multicast; the test pattern asks for no permission). Firefox gathers no loopback candidate of
 *   its own on a host that has another interface, whatever the prefs: its candidates are this
 *   host's own addresses, which the kernel delivers over `lo`;
 * - nothing leaves the machine: telemetry, data reporting, updates (the browser's, its add-ons',
 *   its plugins'), the OpenH264 / Widevine plugin download, captive-portal and connectivity
 *   checks, Safe Browsing, Remote Settings, Normandy/Shield, region and geolocation look-ups,
 *   push, DNS over HTTPS, prefetching and speculative connections are all off or pointed at
 *   nothing. A release build ignores `services.settings.server` unless
 *   `MOZ_REMOTE_SETTINGS_DEVTOOLS=1` is in its environment: without it Firefox looked up
 *   firefox.settings.services.mozilla.com about once a second (tcpdump); with it, strace shows
 *   Firefox connecting to 127.0.0.1 only;
 * - no OpenH264: without the downloadable plugin Firefox cannot encode H.264, which is exactly
 *   the case the camera has to handle (it sends VP8 there).
 *
 * `FirefoxTabCamera` is the Firefox twin of `TabCamera` (tab-camera.ts): the built page served by a
 * real relay on 127.0.0.1, opened on the test pattern with mDNS on `lo`, online before it returns.
 *
 * Limits: one browser per call; `close()` is bounded and kills the process when Firefox does not
 * quit in time, then deletes the profile.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { PAGE_DIR } from "../../src/cli/build-page.js";
import { startRelay, type Relay } from "../../src/relay/server.js";
import type { CameraStatus } from "../../worker/protocol.js";
import { tabCameraPortRange } from "./tab-camera.js";

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr";

/** Prefs that let a page use fake media without prompts and let WebRTC use loopback. */
const MEDIA_PREFS: Record<string, unknown> = {
    "media.navigator.streams.fake": true,
    "media.navigator.permission.disabled": true,
    "media.autoplay.default": 0,
    "media.autoplay.blocking_policy": 0,
    // accept a viewer's 127.0.0.1 candidates (the test viewers bind loopback)
    "media.peerconnection.ice.loopback": true,
    "media.peerconnection.ice.obfuscate_host_addresses": false,
    // the OpenH264 plugin is never downloaded here: Firefox has no H.264 encoder (the case under test)
    "media.gmp-gmpopenh264.enabled": false,
    "media.gmp-gmpopenh264.autoupdate": false,
    "media.gmp-widevinecdm.enabled": false,
    "media.gmp-widevinecdm.autoupdate": false,
    "media.gmp-manager.url": "",
    "media.gmp-manager.updateEnabled": false,
    "media.eme.enabled": false,
};

/** Prefs that keep every background service of Firefox off the network. */
const OFFLINE_PREFS: Record<string, unknown> = {
    // telemetry and data reporting
    "toolkit.telemetry.enabled": false,
    "toolkit.telemetry.unified": false,
    "toolkit.telemetry.archive.enabled": false,
    "toolkit.telemetry.server": "",
    "toolkit.telemetry.newProfilePing.enabled": false,
    "toolkit.telemetry.shutdownPingSender.enabled": false,
    "toolkit.telemetry.firstShutdownPing.enabled": false,
    "toolkit.telemetry.updatePing.enabled": false,
    "toolkit.telemetry.bhrPing.enabled": false,
    "datareporting.policy.dataSubmissionEnabled": false,
    "datareporting.healthreport.uploadEnabled": false,
    "datareporting.usage.uploadEnabled": false,
    "browser.ping-centre.telemetry": false,
    "browser.newtabpage.activity-stream.telemetry": false,
    "browser.newtabpage.activity-stream.feeds.telemetry": false,
    "dom.private-attribution.submission.enabled": false,
    "breakpad.reportURL": "",
    "browser.tabs.crashReporting.sendReport": false,
    "browser.crashReports.unsubmittedCheck.autoSubmit2": false,
    // updates: the browser, add-ons, system add-ons, search engines
    "app.update.auto": false,
    "app.update.enabled": false,
    "app.update.url": "",
    "app.update.background.enabled": false,
    "extensions.update.enabled": false,
    "extensions.update.autoUpdateDefault": false,
    "extensions.systemAddon.update.enabled": false,
    "extensions.systemAddon.update.url": "",
    "extensions.getAddons.cache.enabled": false,
    "extensions.getAddons.showPane": false,
    "extensions.htmlaboutaddons.recommendations.enabled": false,
    "extensions.blocklist.enabled": false,
    "browser.search.update": false,
    "browser.search.geoSpecificDefaults": false,
    // captive portal and connectivity checks
    "network.captive-portal-service.enabled": false,
    "network.connectivity-service.enabled": false,
    // Safe Browsing
    "browser.safebrowsing.malware.enabled": false,
    "browser.safebrowsing.phishing.enabled": false,
    "browser.safebrowsing.downloads.enabled": false,
    "browser.safebrowsing.downloads.remote.enabled": false,
    "browser.safebrowsing.blockedURIs.enabled": false,
    "browser.safebrowsing.provider.google.updateURL": "",
    "browser.safebrowsing.provider.google4.updateURL": "",
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    // Remote Settings and what feeds on it (blocklists, CRLite, intermediates)
    "services.settings.server": "http://127.0.0.1:9/",
    "security.remote_settings.crlite_filters.enabled": false,
    "security.remote_settings.intermediates.enabled": false,
    "security.OCSP.enabled": 0,
    // Normandy / Shield studies, experiments, messaging
    "app.normandy.enabled": false,
    "app.normandy.api_url": "",
    "app.shield.optoutstudies.enabled": false,
    "messaging-system.rsexperimentloader.enabled": false,
    "browser.discovery.enabled": false,
    // region, geolocation, push, accounts
    "browser.region.network.url": "",
    "browser.region.update.enabled": false,
    "geo.enabled": false,
    "geo.provider.network.url": "",
    "dom.push.enabled": false,
    "dom.push.serverURL": "",
    "identity.fxaccounts.enabled": false,
    // new tab page content, sponsored tiles
    "browser.newtabpage.activity-stream.feeds.topsites": false,
    "browser.newtabpage.activity-stream.feeds.section.topstories": false,
    "browser.newtabpage.activity-stream.showSponsored": false,
    "browser.newtabpage.activity-stream.showSponsoredTopSites": false,
    "browser.topsites.contile.enabled": false,
    // DNS over HTTPS off, no prefetching or speculative connections
    "network.trr.mode": 5,
    "network.dns.disablePrefetch": true,
    "network.prefetch-next": false,
    "network.predictor.enabled": false,
    "network.http.speculative-parallel-limit": 0,
    "browser.urlbar.speculativeConnect.enabled": false,
    "browser.places.speculativeConnect.enabled": false,
};

/** The prefs the launcher gives Firefox (exported for the report of what is set). */
export const FIREFOX_PREFS: Readonly<Record<string, unknown>> = { ...MEDIA_PREFS, ...OFFLINE_PREFS };

export interface LaunchedFirefox {
    browser: Browser;
    /** `firefox-esr --version`-like string from the browser itself. */
    version: string;
    /** Closes the browser (bounded; killed if it does not quit) and removes the profile. */
    close(): Promise<void>;
}

const LAUNCH_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 10_000;

/** Launches headless Firefox ESR over WebDriver BiDi on a temporary profile; `prefs` go on top of {@link FIREFOX_PREFS}. */
export async function launchFirefox(prefs: Record<string, unknown> = {}): Promise<LaunchedFirefox> {
    const profile = await mkdtemp(join(tmpdir(), "mwp-firefox-"));
    let browser: Browser;
    try {
        browser = await puppeteer.launch({
            browser: "firefox",
            executablePath: FIREFOX_PATH,
            headless: true,
            protocol: "webDriverBiDi",
            userDataDir: profile,
            extraPrefsFirefox: { ...FIREFOX_PREFS, ...prefs },
            timeout: LAUNCH_TIMEOUT_MS,
            protocolTimeout: 60_000,
            // no crash reporter, no safe-mode prompt, and Remote Settings honours services.settings.server
            env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: "1", MOZ_DISABLE_AUTO_SAFE_MODE: "1", MOZ_REMOTE_SETTINGS_DEVTOOLS: "1" },
        });
    } catch (error) {
        await rm(profile, { recursive: true, force: true });
        throw error;
    }
    const version = await browser.version().catch(() => "firefox");
    let closed: Promise<void> | undefined;
    const close = (): Promise<void> =>
        (closed ??= (async () => {
            const process = browser.process();
            let timer: ReturnType<typeof setTimeout> | undefined;
            const quit = await Promise.race([
                browser.close().then(
                    () => true,
                    () => false,
                ),
                new Promise<boolean>(resolve => (timer = setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS))),
            ]);
            clearTimeout(timer);
            if (!quit && process !== null && process.exitCode === null) process.kill("SIGKILL");
            await rm(profile, { recursive: true, force: true, maxRetries: 3 });
        })());
    return { browser, version, close };
}

/** The camera page in Firefox ESR: relay on 127.0.0.1, the page on the test pattern, online. */
export class FirefoxTabCamera {
    /** Uncaught errors of the page (and its workers, where Firefox reports them). */
    readonly pageErrors: string[] = [];

    private constructor(
        readonly relay: Relay,
        readonly firefox: LaunchedFirefox,
        readonly page: Page,
        readonly url: string,
    ) {
        page.on("pageerror", error => this.pageErrors.push(String(error)));
    }

    static async start(options: { name: string; prefs?: Record<string, unknown> }): Promise<FirefoxTabCamera> {
        const relay = await startRelay({ staticDir: PAGE_DIR, matterPorts: tabCameraPortRange() });
        let firefox: LaunchedFirefox | undefined;
        try {
            firefox = await launchFirefox(options.prefs);
            const page = await firefox.browser.newPage();
            const url = `${relay.pageUrl}&source=pattern&mdns=lo&camera=${encodeURIComponent(options.name)}`;
            const tab = new FirefoxTabCamera(relay, firefox, page, url);
            await page.goto(url, { timeout: 15_000 });
            await tab.waitOnline();
            return tab;
        } catch (error) {
            await firefox?.close();
            await relay.close();
            throw error;
        }
    }

    /** The camera's status once it is online (bounded). */
    async waitOnline(timeoutMs = 30_000): Promise<CameraStatus> {
        await this.page.waitForFunction(() => window.mwp?.status()?.state === "online", { timeout: timeoutMs, polling: 100 });
        return this.status();
    }

    async status(): Promise<CameraStatus> {
        const status = await this.page.evaluate(() => window.mwp.status());
        if (status === undefined) throw new Error("the page has no camera status");
        return status;
    }

    /** Matter port of the camera (on this host, opened by the relay). */
    async port(): Promise<number> {
        return (await this.status()).port ?? 0;
    }

    async close(): Promise<void> {
        await this.page.close().catch(() => undefined);
        await this.firefox.close();
        await this.relay.close();
    }
}
