/**
 * Items that requests are writing right now, for AWS's transaction conflicts. An item is "in
 * flight" from the moment a request has been validated until its write is committed and durable
 * (with group commit, a few milliseconds at least), and AWS's rules apply in that window:
 *
 * - PutItem, UpdateItem or DeleteItem on an item an ongoing TransactWriteItems holds fails with
 *   TransactionConflictException;
 * - TransactWriteItems on an item another ongoing TransactWriteItems holds is cancelled
 *   (TransactionCanceledException, reason TransactionConflict for that item);
 * - TransactGetItems on an item an ongoing TransactWriteItems, BatchWriteItem, PutItem,
 *   UpdateItem or DeleteItem is writing is cancelled the same way.
 *
 * Writes themselves are serialised by the store, so a conflict never loses an update: it is the
 * observable refusal AWS gives, which clients must handle (and retry).
 */
import type { MetadataStore, Scope } from "../../storage/types.js";
import type { TableRecord } from "./table-store.js";
import { itemStorageKey } from "./table-store.js";
import type { AttributeMap } from "./attribute-value.js";

export type Holder = "transaction" | "write";

interface Holds {
  transaction: number;
  write: number;
}

const stores = new WeakMap<MetadataStore, Map<string, Holds>>();

function holdsOf(metadata: MetadataStore): Map<string, Holds> {
  let m = stores.get(metadata);
  if (!m) stores.set(metadata, (m = new Map()));
  return m;
}

/** The key of one item of one table in one account and region. */
export const flightKey = (scope: Scope, table: TableRecord, key: AttributeMap): string =>
  `${scope.account}\u0000${scope.region}\u0000${table.TableId}\u0000${itemStorageKey(table, key)}`;

/** What holds the item now (undefined: nothing). */
export function heldBy(metadata: MetadataStore, key: string): Readonly<Holds> | undefined {
  return stores.get(metadata)?.get(key);
}

/** Mark the items as being written by `holder`; the returned function releases them (once). */
export function hold(metadata: MetadataStore, keys: string[], holder: Holder): () => void {
  const m = holdsOf(metadata);
  for (const k of keys) {
    let h = m.get(k);
    if (!h) m.set(k, (h = { transaction: 0, write: 0 }));
    h[holder]++;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    for (const k of keys) {
      const h = m.get(k);
      if (!h) continue;
      h[holder]--;
      if (h.transaction === 0 && h.write === 0) m.delete(k);
    }
  };
}
