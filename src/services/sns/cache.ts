/**
 * Read-through cache of topics and of each topic's subscriptions, which every Publish reads (the
 * topic for its policy and attributes, the subscriptions for the fan-out). Any write to either
 * table (store.ts wraps them) and the end of every SNS transaction bump one generation; entries
 * from an older generation are ignored, and a read that overlapped a write is not kept. Cached
 * records are shared: callers must not modify them (they copy before writing, as they do now).
 */
import type { MetadataStore, Tx } from "../../storage/types.js";

let generation = 0;
const MAX_ENTRIES = 10_000;

interface Entry {
  generation: number;
  value: unknown;
}

const caches = new WeakMap<MetadataStore, Map<string, Entry>>();

/** Something in the topics or subscriptions tables changed (or may be about to). */
export function snsChanged(): void {
  generation++;
}

/** Run `fn` in a transaction, treating its end (commit or rollback) as a change. */
export async function snsTransaction<T>(metadata: MetadataStore, fn: (tx: Tx) => Promise<T>): Promise<T> {
  snsChanged();
  try {
    return await metadata.transaction(fn);
  } finally {
    snsChanged();
  }
}

/** The cached value for `key`, or `read()`'s result (kept when no write overlapped the read). */
export async function cached<V>(metadata: MetadataStore, key: string, read: () => Promise<V>): Promise<V> {
  let cache = caches.get(metadata);
  if (!cache) caches.set(metadata, (cache = new Map()));
  const hit = cache.get(key);
  if (hit && hit.generation === generation) return hit.value as V;
  const before = generation;
  const value = await read();
  if (generation === before) {
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(key, { generation, value });
  }
  return value;
}
