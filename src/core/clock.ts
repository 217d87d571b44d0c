/**
 * The injected clock. Every time-driven behaviour (credential expiry, visibility timeouts, TTLs,
 * lifecycle rules, alarm evaluation) reads `clock.now()` and subscribes to `onAdvance`, so tests
 * can move time forward (`POST /_nimbus/clock`) instead of sleeping.
 */

export interface Clock {
  now(): Date;
  nowMs(): number;
  /** Move the clock forward; listeners run so schedulers re-evaluate what is now due. */
  advance(seconds: number): void;
  onAdvance(listener: (now: Date) => void): () => void;
}

export class SystemClock implements Clock {
  private offsetMs = 0;
  private readonly listeners = new Set<(now: Date) => void>();

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError("advanceSeconds must be a non-negative number");
    this.offsetMs += seconds * 1000;
    const now = this.now();
    for (const listener of this.listeners) listener(now);
  }

  onAdvance(listener: (now: Date) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
