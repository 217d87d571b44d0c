/**
 * SQS state: SQLite rows as the record, an in-memory index per queue to serve from.
 *
 * Tables of the account + region scope:
 *
 *   queues         queue name -> QueueRecord
 *   deleted        queue name -> { at }             (names blocked for 60 s after DeleteQueue)
 *   messages       queue name "\0" seq(20 digits) -> MessageRecord
 *   dedup          queue name "\0" scope key -> DedupRecord   (FIFO, 5-minute window)
 *   move-tasks     task id -> MoveTaskRecord
 *
 * Every write goes through one `Writer` that group-commits: writes issued while a commit is
 * running wait and land together in the next transaction (one fsync for many requests). A
 * request that must be durable before it is acknowledged (sends, deletes, queue changes) awaits
 * its write; receives do not (losing a receive in a crash only makes the message visible again,
 * which SQS's at-least-once delivery allows).
 *
 * The in-memory index of a scope is loaded from the rows on first use. For a standard queue it
 * keeps a deque of visible messages and a min-heap of (time, seq) for delayed and in-flight
 * ones; for a FIFO queue, the messages of each group in order.
 */
import type { MetadataStore, Scope } from "../../storage/types.js";

export const SEP = "\u0000";

export interface QueueRecord {
  name: string;
  fifo: boolean;
  /** Settable attributes as set (defaults are filled in on read). */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  created: number;
  modified: number;
  lastPurge?: number;
}

export interface StoredAttribute {
  DataType: string;
  StringValue?: string;
  /** Base64. */
  BinaryValue?: string;
}

export interface MessageRecord {
  id: string;
  seq: number;
  body: string;
  md5: string;
  attrs?: Record<string, StoredAttribute>;
  md5Attrs?: string;
  sys?: Record<string, StoredAttribute>;
  md5Sys?: string;
  sent: number;
  sender: string;
  group?: string;
  dedup?: string;
  seqNo?: string;
  visibleAt: number;
  receives: number;
  firstReceive?: number;
  /** Token of the current receipt handle. */
  token?: string;
  /** The queue a dead-lettered message came from (ARN), for move tasks' default destination. */
  src?: string;
}

export interface DedupRecord {
  id: string;
  seqNo?: string;
  expires: number;
}

export interface MoveTaskRecord {
  id: string;
  handle: string;
  sourceArn: string;
  destinationArn?: string;
  rate?: number;
  status: "RUNNING" | "COMPLETED" | "CANCELLED" | "FAILED";
  moved: number;
  toMove: number;
  started: number;
  failureReason?: string;
}

export const seqKey = (seq: number) => String(seq).padStart(20, "0");
export const messageKey = (queue: string, seq: number) => queue + SEP + seqKey(seq);

interface PendingWrite {
  scope: Scope;
  table: string;
  key: string;
  value: unknown;
}

/** Group commit: every write queued while a transaction runs lands in the next one. */
export class Writer {
  private pending = new Map<string, PendingWrite>();
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private running: Promise<void> | undefined;
  private scheduled = false;

  constructor(private readonly metadata: MetadataStore) {}

  /** Queue a put (value) or delete (undefined); resolves once committed. */
  write(scope: Scope, table: string, key: string, value: unknown): Promise<void> {
    this.pending.set(`${scope.account}\u0001${scope.region}\u0001${table}\u0001${key}`, { scope, table, key, value });
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Queue a write nobody waits for. */
  writeLater(scope: Scope, table: string, key: string, value: unknown): void {
    this.pending.set(`${scope.account}\u0001${scope.region}\u0001${table}\u0001${key}`, { scope, table, key, value });
    this.schedule();
  }

  /** Resolves when everything queued so far is committed. */
  async flush(): Promise<void> {
    while (this.running || this.pending.size > 0) {
      if (this.running) await this.running.catch(() => undefined);
      else this.kick();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.kick();
    });
  }

  private kick(): void {
    if (this.running || this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    const waiters = this.waiters;
    this.pending = new Map();
    this.waiters = [];
    this.running = this.metadata
      .transaction(async (tx) => {
        for (const w of batch) {
          const t = tx.table(w.scope, w.table);
          if (w.value === undefined) await t.delete(w.key);
          else await t.put(w.key, w.value);
        }
      })
      .then(
        () => {
          for (const w of waiters) w.resolve();
        },
        (e: unknown) => {
          for (const w of waiters) w.reject(e);
        },
      )
      .finally(() => {
        this.running = undefined;
        if (this.pending.size > 0) this.kick();
      });
  }
}

/** A binary min-heap of (at, seq). */
export class TimeHeap {
  private at: number[] = [];
  private seq: number[] = [];

  get size(): number {
    return this.at.length;
  }

  peekAt(): number | undefined {
    return this.at[0];
  }

  push(at: number, seq: number): void {
    this.at.push(at);
    this.seq.push(seq);
    let i = this.at.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.at[p]! <= at) break;
      this.at[i] = this.at[p]!;
      this.seq[i] = this.seq[p]!;
      i = p;
    }
    this.at[i] = at;
    this.seq[i] = seq;
  }

  /** Remove and return the top (at, seq). */
  pop(): [number, number] | undefined {
    const n = this.at.length;
    if (n === 0) return undefined;
    const top: [number, number] = [this.at[0]!, this.seq[0]!];
    const lastAt = this.at.pop()!;
    const lastSeq = this.seq.pop()!;
    if (n > 1) {
      let i = 0;
      const m = n - 1;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        const r = l + 1;
        const c = r < m && this.at[r]! < this.at[l]! ? r : l;
        if (this.at[c]! >= lastAt) break;
        this.at[i] = this.at[c]!;
        this.seq[i] = this.seq[c]!;
        i = c;
      }
      this.at[i] = lastAt;
      this.seq[i] = lastSeq;
    }
    return top;
  }

  clear(): void {
    this.at = [];
    this.seq = [];
  }
}

/** An array used as a FIFO with a moving head. */
export class Deque {
  private items: number[] = [];
  private start = 0;

  get length(): number {
    return this.items.length - this.start;
  }

  push(v: number): void {
    this.items.push(v);
  }

  shift(): number | undefined {
    if (this.start >= this.items.length) return undefined;
    const v = this.items[this.start++]!;
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
    return v;
  }

  peek(i = 0): number | undefined {
    return this.items[this.start + i];
  }

  /** The first n items. */
  head(n: number): number[] {
    return this.items.slice(this.start, this.start + n);
  }

  /** Drop the first n. */
  drop(n: number): void {
    this.start += n;
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }

  clear(): void {
    this.items = [];
    this.start = 0;
  }
}
