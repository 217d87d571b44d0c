/**
 * The in-memory queue index over the SQLite rows (see store.ts): visibility, delays, FIFO
 * groups, deduplication, dead-lettering, long-poll waiters. One `SqsEngine` per Nimbus instance.
 */
import { randomUUID } from "node:crypto";
import { randomString } from "../../core/random.js";
import type { MetadataStore, Scope } from "../../storage/types.js";
import type { MetricAggregator } from "../cloudwatch/builtin-metrics.js";
import {
  Deque,
  messageKey,
  SEP,
  TimeHeap,
  Writer,
  type DedupRecord,
  type MessageRecord,
  type MoveTaskRecord,
  type QueueRecord,
} from "./store.js";

export const DEFAULTS = {
  VisibilityTimeout: "30",
  MaximumMessageSize: "262144",
  MessageRetentionPeriod: "345600",
  DelaySeconds: "0",
  ReceiveMessageWaitTimeSeconds: "0",
};

interface Group {
  seqs: Deque;
}

export class QueueState {
  readonly messages = new Map<number, MessageRecord>();
  /** Standard queues: seqs believed visible (stale entries skipped on read). */
  readonly ready = new Deque();
  readonly inReady = new Set<number>();
  /** Delayed and in-flight messages by the time they become visible. */
  readonly timed = new TimeHeap();
  /** FIFO queues: the messages of each group in order. */
  readonly groups = new Map<string, Group>();
  readonly dedup = new Map<string, DedupRecord>();
  readonly attempts = new Map<string, { expires: number; seqs: number[]; tokens: string[] }>();
  readonly waiters = new Set<() => void>();
  nextSeq = 1;
  deleted = false;

  constructor(
    public rec: QueueRecord,
    readonly scope: Scope,
  ) {}

  get name(): string {
    return this.rec.name;
  }

  get arn(): string {
    return `arn:aws:sqs:${this.scope.region}:${this.scope.account}:${this.rec.name}`;
  }

  attr(name: keyof typeof DEFAULTS): number {
    return Number(this.rec.attributes[name] ?? DEFAULTS[name]);
  }

  /** Index a message (from a send or from the rows at load). */
  index(m: MessageRecord, now: number): void {
    this.messages.set(m.seq, m);
    if (m.seq >= this.nextSeq) this.nextSeq = m.seq + 1;
    if (this.rec.fifo) {
      const g = m.group ?? "";
      let group = this.groups.get(g);
      if (!group) this.groups.set(g, (group = { seqs: new Deque() }));
      group.seqs.push(m.seq);
    } else if (m.visibleAt <= now) {
      this.ready.push(m.seq);
      this.inReady.add(m.seq);
    } else {
      this.timed.push(m.visibleAt, m.seq);
    }
  }

  /** Move messages whose time has come into the ready deque (standard queues). */
  promote(now: number): void {
    for (;;) {
      const at = this.timed.peekAt();
      if (at === undefined || at > now) return;
      const [, seq] = this.timed.pop()!;
      const m = this.messages.get(seq);
      if (m && m.visibleAt === at && !this.inReady.has(seq)) {
        this.ready.push(seq);
        this.inReady.add(seq);
      }
    }
  }

  /** Schedule a visibility change. */
  setVisibleAt(m: MessageRecord, at: number): void {
    m.visibleAt = at;
    if (!this.rec.fifo) this.timed.push(at, m.seq);
  }

  /** The earliest time something may become visible (for long-poll wake-ups). */
  nextDue(now: number): number | undefined {
    if (!this.rec.fifo) return this.timed.peekAt();
    let min: number | undefined;
    for (const g of this.groups.values()) {
      for (let i = 0; ; i++) {
        const seq = g.seqs.peek(i);
        if (seq === undefined) break;
        const m = this.messages.get(seq);
        if (!m) continue;
        if (m.visibleAt > now && (min === undefined || m.visibleAt < min)) min = m.visibleAt;
        break;
      }
    }
    return min;
  }

  remove(seq: number): MessageRecord | undefined {
    const m = this.messages.get(seq);
    if (!m) return undefined;
    this.messages.delete(seq);
    this.inReady.delete(seq);
    if (this.rec.fifo) {
      const g = this.groups.get(m.group ?? "");
      if (g) {
        // Drop deleted heads so the group's head is always a live message.
        while (g.seqs.length > 0 && !this.messages.has(g.seqs.peek()!)) g.seqs.shift();
        if (g.seqs.length === 0) this.groups.delete(m.group ?? "");
      }
    }
    return m;
  }

  clearMessages(): void {
    this.messages.clear();
    this.ready.clear();
    this.inReady.clear();
    this.timed.clear();
    this.groups.clear();
  }

  counts(now: number): { visible: number; notVisible: number; delayed: number } {
    let visible = 0;
    let notVisible = 0;
    let delayed = 0;
    const retention = this.attr("MessageRetentionPeriod") * 1000;
    for (const m of this.messages.values()) {
      if (m.sent + retention <= now) continue;
      if (m.visibleAt <= now) {
        visible++;
      } else if (m.receives > 0) notVisible++;
      else delayed++;
    }
    return { visible, notVisible, delayed };
  }

  /** The queue-depth gauges AWS/SQS samples once a minute (one pass over the index). */
  gauges(now: number): { visible: number; notVisible: number; delayed: number; oldestAgeSeconds: number } {
    const { visible, notVisible, delayed } = this.counts(now);
    const retention = this.attr("MessageRetentionPeriod") * 1000;
    let oldest = now;
    for (const m of this.messages.values()) if (m.sent < oldest && m.sent + retention > now) oldest = m.sent;
    return { visible, notVisible, delayed, oldestAgeSeconds: Math.floor((now - oldest) / 1000) };
  }

  wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

export class ScopeState {
  readonly queues = new Map<string, QueueState>();
  readonly deleted = new Map<string, number>();
  readonly tasks = new Map<string, MoveTaskRecord>();
  constructor(readonly scope: Scope) {}
}

export class SqsEngine {
  readonly writer: Writer;
  /** AWS/SQS counters (sent, received, deleted, empty receives, sizes), written once a minute. */
  metrics: MetricAggregator | undefined;
  private scopes = new Map<string, Promise<ScopeState>>();
  /** FIFO sequence numbers grow across restarts: seeded from real time (an id, not a clock reading). */
  private seqBase = BigInt(Date.now()) * 1_000_000n;

  constructor(
    readonly metadata: MetadataStore,
    private readonly nowMs: () => number,
  ) {
    this.writer = new Writer(metadata);
  }

  /** Forget everything in memory (after the store was reset). */
  forget(): void {
    for (const p of this.scopes.values()) {
      void p.then((s) => {
        for (const q of s.queues.values()) {
          q.deleted = true;
          q.wake();
        }
      });
    }
    this.scopes.clear();
  }

  scope(account: string, region: string): Promise<ScopeState> {
    const key = `${account}/${region}`;
    let p = this.scopes.get(key);
    if (!p) {
      p = this.load({ account, region, service: "sqs" });
      this.scopes.set(key, p);
      p.catch(() => this.scopes.delete(key));
    }
    return p;
  }

  private async load(scope: Scope): Promise<ScopeState> {
    const s = new ScopeState(scope);
    const now = this.nowMs();
    for (const { key, value } of await this.metadata.table<QueueRecord>(scope, "queues").list()) {
      s.queues.set(key, new QueueState(value, scope));
    }
    for (const { key, value } of await this.metadata.table<{ at: number }>(scope, "deleted").list()) s.deleted.set(key, value.at);
    const messages = this.metadata.table<MessageRecord>(scope, "messages");
    for (const q of s.queues.values()) {
      for (const { value } of await messages.list({ prefix: q.name + SEP })) q.index(value, now);
    }
    for (const { key, value } of await this.metadata.table<DedupRecord>(scope, "dedup").list()) {
      const i = key.indexOf(SEP);
      s.queues.get(key.slice(0, i))?.dedup.set(key.slice(i + 1), value);
    }
    for (const { value } of await this.metadata.table<MoveTaskRecord>(scope, "move-tasks").list()) s.tasks.set(value.id, value);
    return s;
  }

  /** Every scope with queues (loaded), for background sweeps. */
  async allScopes(): Promise<ScopeState[]> {
    const out: ScopeState[] = [];
    for (const scope of await this.metadata.scopes("sqs", "queues")) out.push(await this.scope(scope.account, scope.region));
    return out;
  }

  putQueue(q: QueueState): Promise<void> {
    return this.writer.write(q.scope, "queues", q.name, q.rec);
  }

  putMessage(q: QueueState, m: MessageRecord): Promise<void> {
    return this.writer.write(q.scope, "messages", messageKey(q.name, m.seq), m);
  }

  putMessageLater(q: QueueState, m: MessageRecord): void {
    this.writer.writeLater(q.scope, "messages", messageKey(q.name, m.seq), m);
  }

  deleteMessage(q: QueueState, seq: number): Promise<void> {
    return this.writer.write(q.scope, "messages", messageKey(q.name, seq), undefined);
  }

  sequenceNumber(): string {
    this.seqBase += 1n;
    return String(this.seqBase).padStart(20, "1");
  }

  newToken(): string {
    return randomString(12, "base64url");
  }

  newMessageId(): string {
    return randomUUID();
  }

  /**
   * Drop messages past their queue's retention period, dedup entries past their window and
   * stale FIFO receive attempts (runs once a minute and whenever the clock is advanced).
   */
  async sweep(): Promise<void> {
    const now = this.nowMs();
    const writes: Promise<void>[] = [];
    for (const s of await this.allScopes()) {
      for (const q of s.queues.values()) {
        const retention = q.attr("MessageRetentionPeriod") * 1000;
        for (const m of [...q.messages.values()]) {
          if (m.sent + retention <= now) {
            q.remove(m.seq);
            writes.push(this.deleteMessage(q, m.seq));
          }
        }
        for (const [k, d] of [...q.dedup]) {
          if (d.expires <= now) {
            q.dedup.delete(k);
            writes.push(this.writer.write(q.scope, "dedup", q.name + SEP + k, undefined));
          }
        }
        for (const [k, a] of [...q.attempts]) if (a.expires <= now) q.attempts.delete(k);
      }
    }
    await Promise.all(writes);
  }

  /** Wait until something may be receivable, the deadline passes or the queue goes away. */
  wait(q: QueueState, deadlineMs: number, now: () => number, onAdvance: (l: () => void) => () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let off: (() => void) | undefined;
      const done = () => {
        q.waiters.delete(done);
        if (timer) clearTimeout(timer);
        off?.();
        resolve();
      };
      q.waiters.add(done);
      off = onAdvance(done);
      const t = now();
      const due = q.nextDue(t);
      const until = Math.min(deadlineMs, due ?? Infinity);
      timer = setTimeout(done, Math.max(0, until - t));
      timer.unref();
    });
  }
}
