/**
 * Log events are stored in blocks: one row per PutLogEvents batch rather than one (two) per
 * event, so that a batch costs a couple of row writes and a scan reads a few large rows instead
 * of a million small ones.
 *
 *   log-blocks         group "\0" firstId -> EventBlock            (the events; the group in time order)
 *   log-stream-blocks  group "\0" stream "\0" firstId -> BlockRef   (one stream's blocks)
 *
 * An event id is 56 digits, as AWS's are: the event's timestamp (20 digits, zero-padded) then a
 * 36-digit sequence number that only grows (seeded by real time at start, so it keeps growing
 * across restarts), so ids sort by event time and then by arrival. A block's events are in id
 * order and `firstId` is the id of its first event. A block spans at most 24 hours (AWS's limit
 * for one batch), which bounds how far back a scan starting at a time must look.
 *
 * The blocks of one stream never overlap: a batch older than the stream's newest event is merged
 * with the stream's blocks it overlaps, which are rewritten (rare: producers send in order).
 * Blocks of different streams overlap freely, so reading a group in time order merges them
 * (`scanGroup`).
 */
import type { Table } from "../../storage/types.js";

export interface EventBlock {
  /** Stream name. */
  s: string;
  /** Timestamps (ms), in event order. */
  t: number[];
  /** The messages, concatenated. */
  m: string;
  /** Each message's length in UTF-16 code units (to cut `m`). */
  l: number[];
  /** Sequence number of the first event; event k has `q + k` unless `qa` is set. */
  q: number;
  /** Per-event sequence numbers (blocks rewritten by a merge). */
  qa?: number[];
  /** Ingestion time (ms) of every event, unless `ia` is set. */
  i: number;
  /** Per-event ingestion times (blocks rewritten by a merge). */
  ia?: number[];
  /** UTF-8 bytes of the messages (stored bytes). */
  b: number;
}

/** A stream's pointer to one of its blocks in `log-blocks`. */
export interface BlockRef {
  /** Events in the block. */
  n: number;
  /** Timestamp of its last event. */
  e: number;
  /** UTF-8 bytes of its messages. */
  b: number;
}

export const DAY = 86_400_000;
/** Events per block at most when blocks are rewritten (a batch is at most 10,000 events). */
export const MAX_BLOCK_EVENTS = 10_000;

/** A position in event order: timestamp, then sequence number. */
export interface Pos {
  t: number;
  q: number;
}

export const cmpPos = (at: number, aq: number, bt: number, bq: number) => (at !== bt ? at - bt : aq - bq);

const pad20 = (n: number) => String(n).padStart(20, "0");
export const eventId = (t: number, q: number) => pad20(t) + String(q).padStart(36, "0");
/** The smallest event id at or after `timestamp` (for range starts). */
export const eventIdFloor = (timestamp: number) => pad20(Math.max(0, timestamp));
/** Parses an event id (or a prefix of one: missing digits count as zeros). */
export function parseEventId(id: string): Pos | undefined {
  if (!/^\d{1,56}$/.test(id)) return undefined;
  const full = id.padEnd(56, "0");
  return { t: Number(full.slice(0, 20)), q: Number(full.slice(20)) };
}

// Real time in µs at start: more than a process can ingest per µs of its uptime, so sequence
// numbers keep growing across restarts, and far below 2^53.
let sequence = Date.now() * 1000;

/** Reserves `n` consecutive sequence numbers; returns the first. */
export function reserveSequence(n: number): number {
  const first = sequence + 1;
  sequence += n;
  return first;
}

/** A block read back, with the offsets to cut its messages. */
export class Decoded {
  readonly n: number;
  private readonly starts: number[];
  constructor(
    readonly key: string,
    readonly raw: EventBlock,
  ) {
    this.n = raw.t.length;
    const starts = new Array<number>(this.n);
    let o = 0;
    for (let k = 0; k < this.n; k++) {
      starts[k] = o;
      o += raw.l[k]!;
    }
    this.starts = starts;
  }
  get stream(): string {
    return this.raw.s;
  }
  t(k: number): number {
    return this.raw.t[k]!;
  }
  q(k: number): number {
    return this.raw.qa ? this.raw.qa[k]! : this.raw.q + k;
  }
  ingestion(k: number): number {
    return this.raw.ia ? this.raw.ia[k]! : this.raw.i;
  }
  message(k: number): string {
    const s = this.starts[k]!;
    return this.raw.m.slice(s, s + this.raw.l[k]!);
  }
  id(k: number): string {
    return eventId(this.t(k), this.q(k));
  }
  /** Index of the event holding character `offset` of `m`. */
  eventAt(offset: number, from = 0): number {
    let lo = from;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  /** Character offset where event k starts in `m`. */
  start(k: number): number {
    return k < this.n ? this.starts[k]! : this.raw.m.length;
  }
  /** The first index whose position is after `p` (strictly), from `from` on. */
  firstAfter(p: Pos, from = 0): number {
    let lo = from;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmpPos(this.t(mid), this.q(mid), p.t, p.q) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  /** The first index whose timestamp is >= `t`, from `from` on. */
  firstAtOrAfterTime(t: number, from = 0): number {
    let lo = from;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.t(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface NewEvent {
  t: number;
  m: string;
  q: number;
  i: number;
}

/** Builds blocks (at most MAX_BLOCK_EVENTS each) from events already in order. */
export function buildBlocks(stream: string, events: NewEvent[]): EventBlock[] {
  const out: EventBlock[] = [];
  for (let s = 0; s < events.length; s += MAX_BLOCK_EVENTS) {
    const part = events.slice(s, s + MAX_BLOCK_EVENTS);
    const q0 = part[0]!.q;
    const i0 = part[0]!.i;
    const contiguous = part.every((e, k) => e.q === q0 + k);
    const sameIngestion = part.every((e) => e.i === i0);
    let bytes = 0;
    for (const e of part) bytes += Buffer.byteLength(e.m, "utf8");
    out.push({
      s: stream,
      t: part.map((e) => e.t),
      m: part.map((e) => e.m).join(""),
      l: part.map((e) => e.m.length),
      q: q0,
      ...(contiguous ? {} : { qa: part.map((e) => e.q) }),
      i: i0,
      ...(sameIngestion ? {} : { ia: part.map((e) => e.i) }),
      b: bytes,
    });
  }
  return out;
}

export function eventsOf(d: Decoded): NewEvent[] {
  const out: NewEvent[] = [];
  for (let k = 0; k < d.n; k++) out.push({ t: d.t(k), m: d.message(k), q: d.q(k), i: d.ingestion(k) });
  return out;
}

const firstIdOf = (b: EventBlock) => eventId(b.t[0]!, b.qa ? b.qa[0]! : b.q);

export interface BlockTables {
  blocks: Table<EventBlock>;
  streamBlocks: Table<BlockRef>;
}

export const groupKey = (group: string, firstId: string) => group + "\u0000" + firstId;
export const streamBlockPrefix = (group: string, stream: string) => group + "\u0000" + stream + "\u0000";

/** Writes a block to both tables. */
export async function putBlock(t: BlockTables, group: string, block: EventBlock): Promise<void> {
  const id = firstIdOf(block);
  await t.blocks.put(groupKey(group, id), block);
  await t.streamBlocks.put(streamBlockPrefix(group, block.s) + id, { n: block.t.length, e: block.t[block.t.length - 1]!, b: block.b });
}

/** Deletes a block (by its first id) from both tables. */
export async function deleteBlock(t: BlockTables, group: string, stream: string, firstId: string): Promise<void> {
  await t.blocks.delete(groupKey(group, firstId));
  await t.streamBlocks.delete(streamBlockPrefix(group, stream) + firstId);
}

// ---------------------------------------------------------------------------------------------
// Reading a group in event order: a k-way merge of its blocks, read in firstId order.

export interface ScanOptions {
  /** Start at this block (its firstId, inclusive) rather than where the time range says. */
  fromBlock?: string;
  /** Only events after this position. */
  after?: Pos;
  /** Only events at or after this timestamp. */
  startTime?: number;
  /** Only events before this timestamp. */
  endTime?: number;
  /** Blocks of other streams are skipped without looking at their events. */
  stream?: (name: string) => boolean;
  /**
   * The events of interest among indexes [from, to) of a block, in order (default: all). Only
   * those are merged and visited.
   */
  select?: (d: Decoded, from: number, to: number) => number[];
  /** Stop (resumably) after the blocks read hold this many events in range. */
  maxScanned?: number;
}

export interface ScanResult {
  /** Set when the scan stopped before the end: where to go on from. */
  resume?: { fromBlock: string; after?: Pos };
  scanned: number;
}

interface Cursor {
  d: Decoded;
  idx: number[];
  p: number;
}

/** Blocks read per store call. */
const CHUNK = 32;

/**
 * Visits the group's events in event order. `visit` returns false to stop before taking that
 * event; the result then says where a later call resumes.
 */
export async function scanGroup(table: Table<EventBlock>, group: string, o: ScanOptions, visit: (d: Decoded, k: number) => boolean): Promise<ScanResult> {
  const gp = group + "\u0000";
  const heap: Cursor[] = [];
  const posLess = (a: Cursor, b: Cursor) => {
    const ka = a.idx[a.p]!;
    const kb = b.idx[b.p]!;
    return cmpPos(a.d.t(ka), a.d.q(ka), b.d.t(kb), b.d.q(kb)) < 0;
  };
  const push = (c: Cursor) => {
    heap.push(c);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!posLess(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): Cursor => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && posLess(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && posLess(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  const minHeapKey = () => heap.reduce((min, c) => (c.d.key < min ? c.d.key : min), heap[0]!.d.key);

  const start = o.fromBlock !== undefined ? gp + o.fromBlock : o.startTime !== undefined ? gp + eventIdFloor(o.startTime - DAY) : gp;
  const before = o.endTime !== undefined ? gp + eventIdFloor(o.endTime) : undefined;
  let after = o.after;
  let scanned = 0;
  let lastKey: string | undefined;
  for (;;) {
    const rows = await table.list({ prefix: gp, ...(lastKey !== undefined ? { after: lastKey } : { from: start }), ...(before ? { before } : {}), limit: CHUNK });
    for (const row of rows) {
      const block = row.value;
      if (o.stream && !o.stream(block.s)) continue;
      const d = new Decoded(row.key.slice(gp.length), block);
      let from = 0;
      if (o.after) from = d.firstAfter(o.after);
      if (o.startTime !== undefined) from = Math.max(from, d.firstAtOrAfterTime(o.startTime));
      const to = o.endTime !== undefined ? d.firstAtOrAfterTime(o.endTime, from) : d.n;
      if (from >= to) continue;
      scanned += to - from;
      const idx = o.select ? o.select(d, from, to) : Array.from({ length: to - from }, (_, j) => from + j);
      if (idx.length > 0) push({ d, idx, p: 0 });
    }
    const exhausted = rows.length < CHUNK;
    if (!exhausted) lastKey = rows[rows.length - 1]!.key;
    // Every block not read yet starts after the last one read: events up to its first id are safe.
    const bound = exhausted ? undefined : parseEventId(lastKey!.slice(gp.length))!;
    while (heap.length > 0) {
      const c = pop();
      let k = c.idx[c.p]!;
      if (bound && cmpPos(c.d.t(k), c.d.q(k), bound.t, bound.q) > 0) {
        push(c);
        break;
      }
      // Take this block's events while they come before every other block's next one.
      const next = heap[0];
      const nk = next ? next.idx[next.p]! : -1;
      for (;;) {
        if (!visit(c.d, k)) {
          push(c);
          return { resume: { fromBlock: minHeapKey(), ...(after ? { after } : {}) }, scanned };
        }
        after = { t: c.d.t(k), q: c.d.q(k) };
        c.p++;
        if (c.p >= c.idx.length) break;
        k = c.idx[c.p]!;
        const t = c.d.t(k);
        const q = c.d.q(k);
        if (next && cmpPos(t, q, next.d.t(nk), next.d.q(nk)) > 0) break;
        if (bound && cmpPos(t, q, bound.t, bound.q) > 0) break;
      }
      if (c.p < c.idx.length) push(c);
    }
    if (exhausted) return { scanned };
    if (o.maxScanned !== undefined && scanned >= o.maxScanned) {
      // Everything up to `bound` has been visited or passed over.
      if (!after || cmpPos(after.t, after.q, bound!.t, bound!.q) < 0) after = bound!;
      return { resume: { fromBlock: heap.length > 0 ? minHeapKey() : lastKey!.slice(gp.length), after }, scanned };
    }
  }
}
