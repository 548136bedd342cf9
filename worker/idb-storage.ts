/**
 * IndexedDB storage for the camera in a browser (page or Worker: workers have no localStorage).
 *
 * matter.js 0.17.9 persists a node through `StorageService` (`@matter/general`), which opens a
 * namespace (the ServerNode id) with a registered `StorageDriver` implementation. Its
 * `WebStorageDriver` turns the driver API into string keys ("ctx.ctx.key") and JSON values on any
 * `WebStorageProvider` (`getItem/setItem/removeItem/getAllKeys/getMany/setMany/removeMany/clear`,
 * all async). This file provides that provider on IndexedDB and registers it:
 *
 * - one database per camera (`mwp-camera-<storageName>`), object store `kv` for matter.js (keys
 *   prefixed by namespace) and `meta` for the camera's own identity (port, passcode, discriminator);
 * - every key is loaded into memory when the namespace opens; reads are served from memory (the
 *   driver calls `getAllKeys` for every `keys()`/`values()`), writes update memory at once and go
 *   to IndexedDB in order, each awaited until its transaction completes, so a resolved `set` is on
 *   disk (commissioning survives a reload or a browser restart);
 * - BDX blob storage (only for OTA/file transfer, which the camera does not use) stays in memory.
 */

import { MemoryBlobStorageDriver, StorageService, WebStorageDriver, type Environment, type WebStorageProvider } from "@matter/main";

const KV = "kv";
const META = "meta";
const VERSION = 1;

export function databaseName(storageName: string): string {
    return `mwp-camera-${storageName}`;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
    return new Promise((resolve, reject) => {
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
    });
}

function completion(tx: IDBTransaction): Promise<void> {
    return new Promise((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
        tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    });
}

/** Opens (and creates) a camera's database. */
export async function openCameraDatabase(storageName: string): Promise<IDBDatabase> {
    if (typeof indexedDB === "undefined") throw new Error("this browser has no IndexedDB: the camera cannot remember its pairings");
    const open = indexedDB.open(databaseName(storageName), VERSION);
    open.onupgradeneeded = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains(KV)) db.createObjectStore(KV);
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
    };
    // another tab holding an older version open would block; none exists (version 1), but say so if it happens
    open.onblocked = () => console.warn(`IndexedDB ${databaseName(storageName)} is blocked by another tab`);
    const db = await request(open);
    // a later version or a deletion elsewhere: let it proceed
    db.onversionchange = () => db.close();
    return db;
}

/** A `WebStorageProvider` for one namespace of a camera database, served from memory. */
export class IndexedDbStorageProvider implements WebStorageProvider {
    readonly #db: IDBDatabase;
    readonly #prefix: string;
    readonly #cache: Map<string, string>;
    /** Writes go to IndexedDB strictly in order. */
    #tail: Promise<void> = Promise.resolve();

    private constructor(db: IDBDatabase, prefix: string, cache: Map<string, string>) {
        this.#db = db;
        this.#prefix = prefix;
        this.#cache = cache;
    }

    static async open(db: IDBDatabase, namespace: string): Promise<IndexedDbStorageProvider> {
        const prefix = `${namespace}/`;
        const tx = db.transaction(KV, "readonly");
        const store = tx.objectStore(KV);
        const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
        const [keys, values] = await Promise.all([request(store.getAllKeys(range)), request(store.getAll(range))]);
        const cache = new Map<string, string>();
        keys.forEach((key, i) => cache.set(String(key).slice(prefix.length), String(values[i])));
        return new IndexedDbStorageProvider(db, prefix, cache);
    }

    #write(apply: (store: IDBObjectStore) => void): Promise<void> {
        const run = async (): Promise<void> => {
            const tx = this.#db.transaction(KV, "readwrite");
            const done = completion(tx);
            apply(tx.objectStore(KV));
            await done;
        };
        const next = this.#tail.then(run, run);
        this.#tail = next.catch(() => undefined);
        return next;
    }

    async getItem(key: string): Promise<string | null> {
        return this.#cache.get(key) ?? null;
    }

    async setItem(key: string, value: string): Promise<void> {
        this.#cache.set(key, value);
        await this.#write(store => store.put(value, this.#prefix + key));
    }

    async removeItem(key: string): Promise<void> {
        this.#cache.delete(key);
        await this.#write(store => store.delete(this.#prefix + key));
    }

    async getAllKeys(): Promise<string[]> {
        return [...this.#cache.keys()];
    }

    async getMany(keys: string[]): Promise<Record<string, string | null>> {
        return Object.fromEntries(keys.map(key => [key, this.#cache.get(key) ?? null]));
    }

    async setMany(entries: Record<string, string>): Promise<void> {
        const list = Object.entries(entries);
        for (const [key, value] of list) this.#cache.set(key, value);
        await this.#write(store => {
            for (const [key, value] of list) store.put(value, this.#prefix + key);
        });
    }

    async removeMany(keys: string[]): Promise<void> {
        for (const key of keys) this.#cache.delete(key);
        await this.#write(store => {
            for (const key of keys) store.delete(this.#prefix + key);
        });
    }

    async clear(): Promise<void> {
        this.#cache.clear();
        const prefix = this.#prefix;
        await this.#write(store => store.delete(IDBKeyRange.bound(prefix, `${prefix}\uffff`)));
    }

    /** Resolves when every write so far is on disk. */
    flushed(): Promise<void> {
        return this.#tail;
    }
}

/** The camera's own small records (not matter.js data). */
export class CameraMeta {
    constructor(readonly db: IDBDatabase) {}

    async get<T>(key: string): Promise<T | undefined> {
        const tx = this.db.transaction(META, "readonly");
        return (await request(tx.objectStore(META).get(key))) as T | undefined;
    }

    async set(key: string, value: unknown): Promise<void> {
        const tx = this.db.transaction(META, "readwrite");
        const done = completion(tx);
        tx.objectStore(META).put(value, key);
        await done;
    }

    /** Deletes every record: matter.js data and identity (factory reset). */
    async wipe(): Promise<void> {
        const tx = this.db.transaction([KV, META], "readwrite");
        const done = completion(tx);
        tx.objectStore(KV).clear();
        tx.objectStore(META).clear();
        await done;
    }
}

export const INDEXEDDB_DRIVER_ID = "indexeddb";

/**
 * Installs a `StorageService` in `environment` whose default driver is IndexedDB database `db`
 * (namespaces = ServerNode ids), with in-memory blob storage.
 */
export function installIndexedDbStorage(environment: Environment, db: IDBDatabase): StorageService {
    const service = new StorageService(environment);
    service.registerDriver({
        id: INDEXEDDB_DRIVER_ID,
        create: async namespace => new WebStorageDriver(await IndexedDbStorageProvider.open(db, namespace.namespace)),
    });
    service.defaultDriver = INDEXEDDB_DRIVER_ID;
    service.registerBlobDriver({ id: MemoryBlobStorageDriver.id, create: () => new MemoryBlobStorageDriver() });
    service.defaultBlobDriver = MemoryBlobStorageDriver.id;
    return service;
}
