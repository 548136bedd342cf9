/**
 * Shared test fixtures: load a fresh core of each profile (compiled once per file) and a stream
 * context that lets SolicitOffer / ProvideOffer through (video 1 and audio 2 for LiveView,
 * priorities LiveView then Recording).
 */

import { readFile } from "node:fs/promises";
import { Core, PROFILES, StreamKind, StreamUsage, profileUrl, type Profile } from "../../src/engine/index.js";

const modules = new Map<Profile, Promise<WebAssembly.Module>>();

export function moduleOf(profile: Profile): Promise<WebAssembly.Module> {
    let m = modules.get(profile);
    if (m === undefined) {
        m = readFile(profileUrl(profile)).then(bytes => WebAssembly.compile(bytes));
        modules.set(profile, m);
    }
    return m;
}

/** A new, empty core instance of `profile`. */
export async function freshCore(profile: Profile = "default"): Promise<Core> {
    const instance = await WebAssembly.instantiate(await moduleOf(profile), {});
    return new Core(instance.exports as never);
}

export const VIDEO = 1;
export const AUDIO = 2;

/** Allocates video 1 and audio 2 (LiveView) and supports LiveView and Recording. */
export function allocateDefaultStreams(core: Core): void {
    core.addStream(StreamKind.Video, VIDEO, StreamUsage.LiveView);
    core.addStream(StreamKind.Audio, AUDIO, StreamUsage.LiveView);
    core.setStreamUsagePriorities([StreamUsage.LiveView, StreamUsage.Recording]);
}

export { PROFILES };
