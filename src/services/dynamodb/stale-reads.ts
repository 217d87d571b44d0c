/**
 * Eventually consistent reads that can be stale, as AWS's can: with NIMBUS_DYNAMODB_STALE_READ_MS
 * set to a number of milliseconds (default 0: off, every read is current, so tests stay
 * deterministic), an eventually consistent GetItem / BatchGetItem within that window after a
 * write returns the item as it was before the write. ConsistentRead: true is always current.
 * Query and Scan are always current (documented gap).
 *
 * The previous versions are remembered in memory by an item-change listener (table-store.ts),
 * stamped with the injected clock, so tests advance the clock past the window.
 */
import type { RequestContext } from "../../core/service.js";
import type { Item } from "./attribute-value.js";
import { itemStorageKey, onItemChange, type TableRecord } from "./table-store.js";

interface Previous {
  item: Item | undefined;
  untilMs: number;
}

const previous = new Map<string, Previous>();
let registered = false;

export function staleWindowMs(): number {
  const v = Number(process.env.NIMBUS_DYNAMODB_STALE_READ_MS ?? "0");
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/** Starts remembering previous versions when the window is on (called at service start). */
export function enableStaleReads(): void {
  if (registered || staleWindowMs() === 0) return;
  registered = true;
  onItemChange((change, c) => {
    const window = staleWindowMs();
    if (window === 0) return;
    const key = `${c.scope.account}/${c.scope.region}/${c.tableRecord.TableId}/${itemStorageKey(c.tableRecord, change.keys)}`;
    const existing = previous.get(key);
    // Within one window the oldest version is what a lagging replica still shows.
    if (existing && existing.untilMs > c.nowMs) return;
    previous.set(key, { item: change.oldImage, untilMs: c.nowMs + window });
    if (previous.size > 100_000) {
      for (const [k, v] of previous) if (v.untilMs <= c.nowMs) previous.delete(k);
    }
  });
}

/** What an eventually consistent read of `storageKey` returns now. */
export function staleRead(ctx: RequestContext, table: TableRecord, storageKey: string, current: Item | undefined): Item | undefined {
  if (!registered) return current;
  const p = previous.get(`${ctx.account}/${ctx.region}/${table.TableId}/${storageKey}`);
  if (!p || p.untilMs <= ctx.clock.nowMs()) return current;
  return p.item;
}
