// The statistics of a benchmark run, as etcd's benchmark tool reports them
// (pkg/report): total time, slowest, fastest, average, standard deviation,
// requests per second, a latency histogram and percentiles. Pure functions
// over recorded latencies; no clocks, no I/O.

/** The percentiles etcd's benchmark tool prints. */
export const PERCENTILES = [10, 25, 50, 75, 90, 95, 99, 99.9] as const;

export interface HistogramBucket {
  /** Upper bound of the bucket, seconds. */
  mark: number;
  count: number;
}

export interface Summary {
  /** Successful requests (those with a latency). */
  ok: number;
  /** Failed requests, all kinds. */
  failed: number;
  /** Failed requests by error text. */
  errors: Record<string, number>;
  /** Wall time of the run, seconds. */
  totalSec: number;
  /** Latency figures, seconds (0 when nothing succeeded). */
  slowestSec: number;
  fastestSec: number;
  averageSec: number;
  stddevSec: number;
  /** Successful requests per second of wall time. */
  rps: number;
  /** Latency at each of PERCENTILES, seconds, keyed by the percentile ("99.9"). */
  percentiles: Record<string, number>;
  histogram: HistogramBucket[];
}

/**
 * Nearest-rank percentile of an ascending array: the smallest recorded value
 * such that at least p percent of the values are less than or equal to it.
 * NaN for an empty array.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0..100`);
  // Guard against 99.9 * n / 100 landing a hair above an integer.
  const rank = Math.ceil(Number(((p / 100) * n).toFixed(9)));
  return sorted[Math.min(n, Math.max(1, rank)) - 1]!;
}

/** Requests per second: successes over wall time (0 for an empty or zero-length run). */
export function qps(count: number, totalSec: number): number {
  return totalSec > 0 ? count / totalSec : 0;
}

/** Mean and population standard deviation, as etcd's report computes them. */
export function meanStddev(values: ArrayLike<number>): { mean: number; stddev: number } {
  const n = values.length;
  if (n === 0) return { mean: 0, stddev: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (values[i]! - mean) ** 2;
  return { mean, stddev: Math.sqrt(sq / n) };
}

/**
 * `buckets` equal-width buckets from fastest to slowest (etcd prints 10, plus
 * one at the fastest value): each counts the values at or below its mark and
 * above the previous one.
 */
export function histogram(sorted: ArrayLike<number>, buckets = 10): HistogramBucket[] {
  const n = sorted.length;
  if (n === 0) return [];
  const fastest = sorted[0]!;
  const slowest = sorted[n - 1]!;
  const width = (slowest - fastest) / buckets;
  const marks: number[] = [fastest];
  for (let i = 1; i < buckets; i++) marks.push(fastest + width * i);
  marks.push(slowest);
  const out = marks.map((mark) => ({ mark, count: 0 }));
  let b = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i]!;
    while (b < out.length - 1 && v > out[b]!.mark) b++;
    out[b]!.count++;
  }
  return out;
}

/**
 * Summarises a run. `latenciesSec` holds one entry per successful request (in
 * any order; a sorted copy is made), `errors` counts failures by their text.
 */
export function summarize(latenciesSec: ArrayLike<number>, totalSec: number, errors: Record<string, number> = {}): Summary {
  const sorted = Float64Array.from(latenciesSec).sort();
  const n = sorted.length;
  const { mean, stddev } = meanStddev(sorted);
  const percentiles: Record<string, number> = {};
  for (const p of PERCENTILES) percentiles[String(p)] = n > 0 ? percentile(sorted, p) : 0;
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    ok: n,
    failed,
    errors: { ...errors },
    totalSec,
    slowestSec: n > 0 ? sorted[n - 1]! : 0,
    fastestSec: n > 0 ? sorted[0]! : 0,
    averageSec: mean,
    stddevSec: stddev,
    rps: qps(n, totalSec),
    percentiles,
    histogram: histogram(sorted),
  };
}

/** Median of a list of numbers (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
