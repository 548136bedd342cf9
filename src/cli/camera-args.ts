/**
 * Command-line options of the Node camera (`npm run camera -- ...`), parsed by hand because the
 * connectedhomeip test harness passes them space-separated (`--discriminator 1234 --KVS kvs1
 * --camera-deferred-offer`), a form matter.js's own `--name=value` parser does not read. Both
 * `--name value` and `--name=value` are accepted; unknown options the harness may add
 * (`--trace-to`, `--secured-device-port`, ...) are reported back, not fatal.
 *
 * Bad values are errors with a readable message, never a crash with a stack.
 */

import { PROFILES, isProfile, type Profile } from "../engine/loader.js";

export interface CameraArgs {
    passcode: number;
    discriminator: number;
    port: number;
    /** Storage directory (file storage). `--KVS` names it too. */
    storagePath: string;
    /** Answer SolicitOffer with DeferredOffer=TRUE and send the Offer after a short delay. */
    deferredOffer: boolean;
    profile: Profile;
    factoryReset: boolean;
    vendorId: number;
    productId: number;
    /** Local address for WebRTC ICE; undefined binds every interface. */
    webrtcBind: string | undefined;
    /** Certification mode: no default streams (empty stream lists after commissioning). */
    certification: boolean;
    help: boolean;
    ignored: string[];
}

export const DEFAULTS: CameraArgs = {
    passcode: 20202021,
    discriminator: 3840,
    port: 5540,
    storagePath: ".camera-storage",
    deferredOffer: false,
    profile: "default",
    factoryReset: false,
    vendorId: 0xfff1,
    productId: 0x8001,
    webrtcBind: undefined,
    certification: false,
    help: false,
    ignored: [],
};

export const USAGE = `Usage: npm run camera -- [options]

A Matter camera (device type 0x0142) on this host: commission it with any controller, then
stream from it with the WebRTC Transport Provider cluster (TCP required).

Options (--name value or --name=value):
  --passcode N             setup passcode (default ${DEFAULTS.passcode})
  --discriminator N        12-bit discriminator (default ${DEFAULTS.discriminator})
  --port N                 Matter UDP/TCP port (default ${DEFAULTS.port})
  --storage PATH           storage directory (default ${DEFAULTS.storagePath}); also --KVS PATH
  --camera-deferred-offer  answer SolicitOffer with DeferredOffer=TRUE
  --certification          certification mode: no default video/audio stream 0, so the stream
                           lists are empty after commissioning, as the TC_AVSM/TC_WEBRTCP steps
                           expect (default: stream 0 of each kind exists for SmartThings / HA)
  --profile NAME           WASM core profile: ${PROFILES.join(", ")} (default ${DEFAULTS.profile})
  --factory-reset          erase the storage before starting
  --webrtc-bind ADDRESS    local address for WebRTC (default: every interface)
  --vendor-id N, --product-id N
  --help                   this text`;

export class ArgumentError extends Error {}

const VALUE_OPTIONS = new Set(["passcode", "discriminator", "port", "storage", "kvs", "profile", "vendor-id", "product-id", "webrtc-bind"]);
const FLAG_OPTIONS = new Set(["camera-deferred-offer", "factory-reset", "certification", "help"]);

function integer(name: string, text: string, min: number, max: number): number {
    const value = /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
        throw new ArgumentError(`--${name} must be an integer from ${min} to ${max}, got "${text}"`);
    }
    return value;
}

/** Invalid setup passcodes per the Matter spec (all-same digits, 12345678, 87654321). */
const INVALID_PASSCODES = new Set([0, 11111111, 22222222, 33333333, 44444444, 55555555, 66666666, 77777777, 88888888, 99999999, 12345678, 87654321]);

export function parseCameraArgs(argv: readonly string[]): CameraArgs {
    const args: CameraArgs = { ...DEFAULTS, ignored: [] };
    for (let i = 0; i < argv.length; i++) {
        const token = argv[i] as string;
        if (!token.startsWith("--")) {
            args.ignored.push(token);
            continue;
        }
        const eq = token.indexOf("=");
        const name = (eq < 0 ? token.slice(2) : token.slice(2, eq)).toLowerCase();
        let value = eq < 0 ? undefined : token.slice(eq + 1);
        if (FLAG_OPTIONS.has(name)) {
            if (value !== undefined && value !== "true" && value !== "false") throw new ArgumentError(`--${name} takes no value`);
            const on = value !== "false";
            if (name === "camera-deferred-offer") args.deferredOffer = on;
            else if (name === "factory-reset") args.factoryReset = on;
            else if (name === "certification") args.certification = on;
            else args.help = on;
            continue;
        }
        if (!VALUE_OPTIONS.has(name)) {
            // an option of the test harness we do not use; skip its value if it has one
            args.ignored.push(token);
            if (value === undefined && i + 1 < argv.length && !(argv[i + 1] as string).startsWith("--")) args.ignored.push(argv[++i] as string);
            continue;
        }
        if (value === undefined) {
            if (i + 1 >= argv.length) throw new ArgumentError(`--${name} needs a value`);
            value = argv[++i] as string;
        }
        switch (name) {
            case "passcode":
                args.passcode = integer(name, value, 1, 99999998);
                if (INVALID_PASSCODES.has(args.passcode)) throw new ArgumentError(`--passcode ${value} is not allowed by the Matter spec`);
                break;
            case "discriminator":
                args.discriminator = integer(name, value, 0, 4095);
                break;
            case "port":
                args.port = integer(name, value, 1, 65535);
                break;
            case "storage":
            case "kvs":
                if (value.length === 0) throw new ArgumentError(`--${name} needs a path`);
                args.storagePath = value;
                break;
            case "profile":
                if (!isProfile(value)) throw new ArgumentError(`--profile must be one of ${PROFILES.join(", ")}, got "${value}"`);
                args.profile = value;
                break;
            case "vendor-id":
                args.vendorId = integer(name, value, 1, 0xfff4);
                break;
            case "product-id":
                args.productId = integer(name, value, 1, 0xfffe);
                break;
            case "webrtc-bind":
                if (!/^[0-9a-f:.]+$/i.test(value)) throw new ArgumentError(`--webrtc-bind needs an IP address, got "${value}"`);
                args.webrtcBind = value;
                break;
        }
    }
    return args;
}
