/**
 * Which camera this tab is. Each camera has a storage name (its IndexedDB database, its Matter node
 * id); a tab claims one with the Web Locks API and holds the lock while it lives:
 *
 * - `?camera=NAME` pins the name (refused while another tab holds it);
 * - otherwise the tab keeps the name it had before a reload (sessionStorage), else takes the lowest
 *   free `camera-N`. So one tab is `camera-1` again after a browser restart (still commissioned),
 *   and a second tab becomes `camera-2`: several tabs are several cameras, never two tabs one.
 *
 * Without Web Locks (very old browsers) the first rule still applies and the rest falls back to the
 * sessionStorage name or `camera-1`.
 */

const LOCK_PREFIX = "matter-webrtc-provider:";
const SESSION_KEY = "mwp-camera-name";
const MAX_CAMERAS = 16;

export interface Identity {
    name: string;
    release(): void;
}

async function tryLock(name: string): Promise<Identity | undefined> {
    const locks = navigator.locks;
    let release: () => void = () => undefined;
    const held = new Promise<void>(resolve => (release = resolve));
    return new Promise<Identity | undefined>((resolve, reject) => {
        locks
            .request(`${LOCK_PREFIX}${name}`, { ifAvailable: true }, lock => {
                if (lock === null) {
                    resolve(undefined);
                    return undefined;
                }
                resolve({ name, release });
                return held; // the lock is held until release() (or the tab goes away)
            })
            .catch(reject);
    });
}

export function validName(name: string): boolean {
    return /^[A-Za-z0-9_-]{1,40}$/.test(name);
}

export async function claimIdentity(explicit: string | null): Promise<Identity> {
    if (explicit !== null && !validName(explicit)) {
        throw new Error(`"${explicit}" is not a usable camera name (letters, digits, - and _, up to 40)`);
    }
    if (navigator.locks === undefined) {
        const name = explicit ?? sessionStorage.getItem(SESSION_KEY) ?? "camera-1";
        return { name, release: () => undefined };
    }
    if (explicit !== null) {
        const identity = await tryLock(explicit);
        if (identity === undefined) throw new Error(`camera "${explicit}" is already open in another tab`);
        return identity;
    }
    const previous = sessionStorage.getItem(SESSION_KEY);
    const names = [...(previous !== null && validName(previous) ? [previous] : []), ...Array.from({ length: MAX_CAMERAS }, (_, i) => `camera-${i + 1}`)];
    for (const name of names) {
        const identity = await tryLock(name);
        if (identity !== undefined) {
            sessionStorage.setItem(SESSION_KEY, name);
            return identity;
        }
    }
    throw new Error(`${MAX_CAMERAS} cameras are already open in this browser`);
}
