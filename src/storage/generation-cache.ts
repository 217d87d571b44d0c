/**
 * Read-through caches of stored state that stay exact: an entry is trusted only while the
 * service's write generation (MetadataStore.writeGeneration) is the one it was read at, and a
 * read during which the generation moved is not kept. Any committed write to the service's
 * tables (or a reset) therefore invalidates every entry of that service at once, which suits
 * state read on every request and written rarely: IAM policies, SNS topics and subscriptions.
 * Cached values are shared: callers must not modify them.
 */
import type { MetadataStore } from "./types.js";

interface Entry<V> {
  generation: number;
  value: V;
}

export class GenerationCache<V> {
  private readonly stores = new WeakMap<MetadataStore, Map<string, Entry<V>>>();

  constructor(
    private readonly service: string,
    private readonly maxEntries = 10_000,
  ) {}

  async get(metadata: MetadataStore, key: string, read: () => Promise<V>): Promise<V> {
    let entries = this.stores.get(metadata);
    if (!entries) this.stores.set(metadata, (entries = new Map()));
    const generation = metadata.writeGeneration(this.service);
    const hit = entries.get(key);
    if (hit && hit.generation === generation) return hit.value;
    const value = await read();
    if (metadata.writeGeneration(this.service) === generation) {
      if (entries.size >= this.maxEntries) entries.clear();
      entries.set(key, { generation, value });
    }
    return value;
  }
}
