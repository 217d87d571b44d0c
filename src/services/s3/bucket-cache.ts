/**
 * An in-memory cache of the per-bucket state nearly every S3 request reads: the bucket record,
 * its configuration rows (policy, ownership, Block Public Access, encryption, ...), its
 * versioning record and the account's Block Public Access. Without it a 4 KiB GET made five or
 * six metadata reads before touching the object; with it, one.
 *
 * Invalidation is by generation: every bucket name (and every account, for the account-level
 * setting) has a counter that each write bumps once its transaction has committed. An entry
 * remembers the counter it was read under and is served only while the counter is unchanged.
 * The counter is taken *before* the read starts, so a read that raced with a commit (and may
 * have seen the old row) is stored under the old counter and never served after the bump.
 * Reads inside a transaction never go through the cache (they must see the transaction's own
 * view).
 *
 * Writers: BucketStore.create/delete, BucketConfigStore.put/delete/putMany and
 * setAccountPublicAccessBlock bump for themselves; code that writes these tables through a
 * transaction handle (writeVersioning, writeBucketConfig, clearBucketConfig) must have its caller
 * call `invalidateBucket` after the transaction resolves.
 *
 * Values handed out are deep-frozen (the store hands out fresh objects; a cached one is shared, so
 * a caller mutating it would be a bug this turns into an immediate TypeError).
 *
 * `POST /_nimbus/reset` wipes storage right after the service's reset hook runs: the hook
 * suspends caching for a while (every read goes to the store meanwhile) and empties the cache
 * when it resumes, so nothing read before the wipe is served after it.
 */

interface CacheEntry {
  gen: number;
  epoch: number;
  value: Promise<unknown>;
}

/** Bounds memory when a process serves very many buckets: the cache is simply emptied. */
const MAX_ENTRIES = 50_000;
const RESET_SUSPEND_MS = 2_000;

const caches = new WeakMap<object, Map<string, CacheEntry>>();
const generations = new Map<string, number>();
let epoch = 0;
let suspended = 0;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

const bucketGroup = (name: string) => `b:${name}`;
const accountGroup = (account: string) => `a:${account}`;

function cached<T>(store: object, group: string, key: string, load: () => Promise<T>): Promise<T> {
  if (suspended > 0) return load();
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new Map()));
  const gen = generations.get(group) ?? 0;
  const id = `${group}\u0000${key}`;
  const hit = cache.get(id);
  if (hit && hit.gen === gen && hit.epoch === epoch) return hit.value as Promise<T>;
  const value = load().then(deepFreeze);
  if (cache.size >= MAX_ENTRIES) cache.clear();
  const c = cache;
  c.set(id, { gen, epoch, value });
  value.catch(() => {
    if (c.get(id)?.value === value) c.delete(id);
  });
  return value;
}

/** A read of `bucket`'s state (its record, a configuration row, its versioning), cached. */
export function cachedBucketRead<T>(store: object, bucket: string, key: string, load: () => Promise<T>): Promise<T> {
  return cached(store, bucketGroup(bucket), key, load);
}

/** A read of an account's S3 settings (account-level Block Public Access), cached. */
export function cachedAccountRead<T>(store: object, account: string, key: string, load: () => Promise<T>): Promise<T> {
  return cached(store, accountGroup(account), key, load);
}

/** Forget everything cached about the bucket of this name (call after the write committed). */
export function invalidateBucket(name: string): void {
  const g = bucketGroup(name);
  generations.set(g, (generations.get(g) ?? 0) + 1);
}

export function invalidateAccount(account: string): void {
  const g = accountGroup(account);
  generations.set(g, (generations.get(g) ?? 0) + 1);
}

/** The service's reset hook: storage is about to be wiped. */
export function suspendForReset(): void {
  suspended++;
  epoch++;
  const resume = setTimeout(() => {
    epoch++;
    suspended--;
  }, RESET_SUSPEND_MS);
  resume.unref();
}

/** Whether a metadata source is the store itself (cacheable) rather than a transaction handle. */
export function isStore(source: object): boolean {
  return typeof (source as { transaction?: unknown }).transaction === "function";
}
