/**
 * Time to Live: once UpdateTimeToLive enables an attribute on a table, items whose attribute is a
 * Number of epoch seconds in the past are deleted in the background, through the item-write path,
 * so they leave the indexes, the table stats and the stream (a REMOVE record whose userIdentity is
 * `{ type: "Service", principalId: "dynamodb.amazonaws.com" }`).
 *
 * AWS deletes expired items "within a few days"; Nimbus deletes them on the next sweep: on every
 * clock advance and every 60 seconds of real time. Until then reads still return them, as on AWS.
 * As on AWS, only Number values count (a String or a set is ignored), and an expiry more than five
 * years in the past is ignored (AWS's guard against milliseconds or other units by mistake).
 *
 * A sweep walks every item of each TTL-enabled table (in pages); its cost grows with table size.
 */
import type { MetadataStore, Scope } from "../../storage/types.js";
import { compareNumbers } from "./number.js";
import { fromStored, itemsTable, keyOf, writeItems, type TableRecord } from "./table-store.js";
import type { Item } from "./attribute-value.js";
import { compactPitr } from "./backups.js";

export const TTL_USER_IDENTITY = { type: "Service", principalId: "dynamodb.amazonaws.com" } as const;
const FIVE_YEARS_S = 5 * 365 * 24 * 3600;
const PAGE = 1000;

/** Whether `item` has expired under `attribute` at `nowMs`. */
export function isExpired(item: Item | undefined, attribute: string, nowMs: number): boolean {
  const v = item?.[attribute];
  if (!v || !("N" in v)) return false;
  const nowS = Math.floor(nowMs / 1000);
  // Compare as decimals (the value may be fractional or huge), without floats.
  if (compareNumbers(v.N, String(nowS)) >= 0) return false;
  return compareNumbers(v.N, String(nowS - FIVE_YEARS_S)) >= 0;
}

/** Deletes the expired items of one table; returns how many. */
export async function expireTable(metadata: MetadataStore, scope: Scope, table: TableRecord, nowMs: number): Promise<number> {
  const ttl = table.TimeToLive;
  if (!ttl || ttl.TimeToLiveStatus !== "ENABLED") return 0;
  const items = itemsTable(metadata, scope, table);
  let after: string | undefined;
  let deleted = 0;
  for (;;) {
    const page = await items.list({ ...(after !== undefined ? { after } : {}), limit: PAGE });
    if (page.length === 0) break;
    after = page[page.length - 1]!.key;
    const expired = page.map((e) => fromStored(e.value)).filter((item) => isExpired(item, ttl.AttributeName, nowMs));
    if (expired.length > 0) {
      deleted += await writeItems(metadata, scope, nowMs, async (w) => {
        let n = 0;
        for (const item of expired) {
          const key = keyOf(table, item);
          // Re-read inside the write: a concurrent write may have renewed the item.
          if (!isExpired(await w.get(table, key), ttl.AttributeName, nowMs)) continue;
          w.delete(table, key, { userIdentity: TTL_USER_IDENTITY });
          n++;
        }
        return n;
      });
    }
    if (page.length < PAGE) break;
  }
  return deleted;
}

/** One TTL sweep over every account and region that has DynamoDB tables. */
export async function sweepTtl(metadata: MetadataStore, nowMs: number): Promise<number> {
  let deleted = 0;
  for (const scope of await metadata.scopes("dynamodb", "tables")) {
    for (const { value: table } of await metadata.table<TableRecord>(scope, "tables").list()) {
      if (table.TimeToLive?.TimeToLiveStatus === "ENABLED" && table.TableStatus !== "DELETING") {
        deleted += await expireTable(metadata, scope, table, nowMs);
      }
    }
  }
  return deleted;
}

/**
 * Runs the TTL sweep (and the PITR log compaction of backups.ts, which wants the same schedule)
 * on every clock advance and every 60 s of real time; returns the stopper.
 */
export function startTtlSweeper(runtime: { storage: { metadata: MetadataStore }; clock: { nowMs(): number; onAdvance(fn: () => void): () => void }; logger: { warn(msg: string): void } }): () => void {
  let busy = false;
  let again = false;
  const run = (): void => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    sweepTtl(runtime.storage.metadata, runtime.clock.nowMs())
      .then(() => compactPitr(runtime.storage.metadata, runtime.clock.nowMs()))
      .catch((e: unknown) => runtime.logger.warn(`dynamodb ttl: ${String(e)}`))
      .finally(() => {
        busy = false;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const timer = setInterval(run, 60_000);
  timer.unref();
  const off = runtime.clock.onAdvance(run);
  return () => {
    clearInterval(timer);
    off();
  };
}
