/**
 * The matter.js environment of a camera in a browser Worker. In the browser `@matter/main/platform`
 * is empty (nothing is installed automatically), so every platform service is set here:
 *
 * - crypto and entropy: `StandardCrypto` on WebCrypto (needs a secure context: https or localhost);
 * - storage: IndexedDB through matter.js' `WebStorageDriver` (idb-storage.ts);
 * - network: the relay's `WebSocketNetwork` (UDP, TCP and mDNS on the relay host);
 * - mDNS limited to one relay-host interface when asked (`mdns.networkInterface`).
 *
 * One ROOT environment per camera start: mDNS and other root-scoped services are not shared with a
 * previous (closed) node of the same worker.
 */

import { Crypto, Entropy, Environment, Network, StandardCrypto } from "@matter/main";
import { installIndexedDbStorage } from "./idb-storage.js";

export interface CameraEnvironmentOptions {
    name: string;
    db: IDBDatabase;
    network: Network;
    mdnsInterface?: string;
}

export function cameraEnvironment(options: CameraEnvironmentOptions): Environment {
    if (globalThis.crypto?.subtle === undefined) {
        throw new Error("WebCrypto is not available: open the page over https or from http://localhost / 127.0.0.1");
    }
    const environment = new Environment(options.name);
    const crypto = new StandardCrypto(globalThis.crypto);
    environment.set(Crypto, crypto);
    environment.set(Entropy, crypto);
    installIndexedDbStorage(environment, options.db);
    environment.set(Network, options.network);
    if (options.mdnsInterface !== undefined && options.mdnsInterface !== "") {
        environment.vars.set("mdns.networkInterface", options.mdnsInterface);
    }
    return environment;
}
