// How many registry writes may be in flight at once, adapted to what etcd
// answers (AIMD, as TCP's congestion window): until the first sign of
// congestion every quick answer widens the window by one (it doubles per
// window's worth of answers: slow start), after it by about one write per
// window's worth of answers; a slow answer,
// a timeout or an error halves it, at most once per window's worth of
// answers (one congestion episode is one cut, not one cut per request that
// was already queued behind it). A fixed flood of writes makes a busy etcd
// queue them until every request, including lease renewals and machine
// heartbeats, misses its timeout; the window keeps the queue short instead.
// Pure: no timers, no I/O; the caller reports each answer with its latency.

export interface WindowOptions {
  /** Writes in flight at the start. */
  initial?: number;
  min?: number;
  max?: number;
  /** An answer slower than this counts as congestion (ms). */
  slowMs?: number;
}

export type Outcome = 'ok' | 'error';

export class WriteWindow {
  readonly min: number;
  readonly max: number;
  readonly slowMs: number;
  private size: number;
  private inFlight = 0;
  /** Answers still to come before another cut may happen. */
  private holdCuts = 0;
  /** Slow start ends at the first cut. */
  private slowStart = true;
  cuts = 0;

  constructor(opts: WindowOptions = {}) {
    this.min = Math.max(1, opts.min ?? 4);
    this.max = Math.max(this.min, opts.max ?? 256);
    // well above a loaded etcd's batching latency, well below request timeouts
    this.slowMs = opts.slowMs ?? 1500;
    this.size = Math.min(this.max, Math.max(this.min, opts.initial ?? 16));
  }

  /** The current window, in whole writes. */
  get limit(): number {
    return Math.floor(this.size);
  }

  get active(): number {
    return this.inFlight;
  }

  /** Takes a slot if one is free. */
  tryAcquire(): boolean {
    if (this.inFlight >= this.limit) return false;
    this.inFlight++;
    return true;
  }

  /** Gives a slot back with what the write came to. */
  release(outcome: Outcome, latencyMs: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.holdCuts > 0) this.holdCuts--;
    const congested = outcome === 'error' || latencyMs > this.slowMs;
    if (!congested) {
      this.size = Math.min(this.max, this.size + (this.slowStart ? 1 : 1 / this.size));
      return;
    }
    if (this.holdCuts > 0) return;
    this.size = Math.max(this.min, this.size / 2);
    this.slowStart = false;
    this.cuts++;
    // the writes already in flight were sent into the same congestion
    this.holdCuts = Math.max(this.inFlight, this.limit);
  }
}

/**
 * Runs async operations through a WriteWindow: each waits for a free slot,
 * in the order they were queued (or ahead of them with `first`).
 */
export class Pacer {
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly window: WriteWindow = new WriteWindow(),
    /** Whether a failure means etcd is struggling (default: every failure); an answer such as "key exists" does not. */
    private readonly congestion: (err: unknown) => boolean = () => true,
  ) {}

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(op: () => Promise<T>, opts: { first?: boolean } = {}): Promise<T> {
    if (!this.window.tryAcquire()) {
      await new Promise<void>((resolve) => (opts.first === true ? this.waiting.unshift(resolve) : this.waiting.push(resolve)));
    }
    const started = performance.now();
    let outcome: Outcome = 'ok';
    try {
      return await op();
    } catch (e) {
      if (this.congestion(e)) outcome = 'error';
      throw e;
    } finally {
      this.window.release(outcome, performance.now() - started);
      this.wake();
    }
  }

  /** Hands freed slots to the waiting operations (a cut window frees none until enough finished). */
  private wake(): void {
    while (this.waiting.length > 0 && this.window.tryAcquire()) this.waiting.shift()!();
  }
}
