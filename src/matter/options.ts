/**
 * Checks the options of the camera node factory before anything is created, so a wrong value is
 * a readable `TypeError` / `RangeError` naming the option and its allowed range, not a failure
 * deep inside matter.js (or a node that commissions with a passcode no controller accepts).
 *
 * The ranges are Matter's: passcode 1–99999998 without the trivial values the core
 * specification forbids (§5.1.7.1), 12-bit discriminator, vendor id 1–0xFFF4 (what matter.js's `VendorId` takes), product id 1–0xFFFF,
 * BasicInformation ProductName / NodeLabel at most 32 characters.
 */

import { isProfile, type CoreSource } from "../engine/index.js";

/** Passcodes the Matter core specification forbids (§5.1.7.1). */
export const FORBIDDEN_PASSCODES: readonly number[] = [
    0, 11111111, 22222222, 33333333, 44444444, 55555555, 66666666, 77777777, 88888888, 99999999, 12345678, 87654321,
];

export interface IdentityOptions {
    id?: string;
    port?: number;
    passcode?: number;
    discriminator?: number;
    vendorId?: number;
    productId?: number;
    productName?: string;
    core?: CoreSource;
}

function integerIn(owner: string, name: string, value: number | undefined, min: number, max: number, hint = ""): void {
    if (value === undefined) return;
    if (typeof value !== "number" || !Number.isInteger(value)) {
        throw new TypeError(`${owner}: ${name} must be an integer, got ${JSON.stringify(value)}`);
    }
    if (value < min || value > max) throw new RangeError(`${owner}: ${name} ${value} is out of range (${min}–${max}${hint})`);
}

/** Throws a readable error for the first option of a camera node that Matter or this library cannot take. */
export function checkIdentityOptions(owner: string, options: IdentityOptions): void {
    if (options.id !== undefined && (typeof options.id !== "string" || options.id.length === 0)) {
        throw new TypeError(`${owner}: id must be a non-empty string`);
    }
    integerIn(owner, "port", options.port, 0, 65535);
    integerIn(owner, "passcode", options.passcode, 1, 99999998);
    if (options.passcode !== undefined && FORBIDDEN_PASSCODES.includes(options.passcode)) {
        throw new RangeError(`${owner}: passcode ${options.passcode} is one Matter forbids (trivial or sequential); choose another`);
    }
    integerIn(owner, "discriminator", options.discriminator, 0, 4095, ", 12 bits");
    integerIn(owner, "vendorId", options.vendorId, 1, 0xfff4);
    integerIn(owner, "productId", options.productId, 1, 0xffff);
    if (options.productName !== undefined) {
        if (typeof options.productName !== "string" || options.productName.length === 0) {
            throw new TypeError(`${owner}: productName must be a non-empty string`);
        }
        if (options.productName.length > 32) {
            throw new RangeError(`${owner}: productName is ${options.productName.length} characters; Matter allows at most 32`);
        }
    }
    const core = options.core;
    if (typeof core === "string" && !isProfile(core)) {
        throw new RangeError(`${owner}: core ${JSON.stringify(core)} is not a build profile (tiny, default, large)`);
    }
}
