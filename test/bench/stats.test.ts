// The benchmark's statistics: percentiles, QPS, mean/stddev, histogram and
// the summary, on fixed inputs (no clocks, no timing thresholds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { histogram, meanStddev, median, percentile, PERCENTILES, qps, summarize } from '../../src/bench/stats.js';

const oneToHundred = Float64Array.from({ length: 100 }, (_, i) => i + 1);

test('nearest-rank percentiles of 1..100 are the percentile itself', () => {
  assert.equal(percentile(oneToHundred, 10), 10);
  assert.equal(percentile(oneToHundred, 50), 50);
  assert.equal(percentile(oneToHundred, 90), 90);
  assert.equal(percentile(oneToHundred, 99), 99);
  assert.equal(percentile(oneToHundred, 99.9), 100);
  assert.equal(percentile(oneToHundred, 100), 100);
  assert.equal(percentile(oneToHundred, 0), 1);
});

test('percentiles of 1..1000 at 99.9 land on 999, not past it', () => {
  const a = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(percentile(a, 99.9), 999);
  assert.equal(percentile(a, 99), 990);
  assert.equal(percentile(a, 25), 250);
});

test('percentiles of small samples: one value, two values', () => {
  assert.equal(percentile([7], 1), 7);
  assert.equal(percentile([7], 99.9), 7);
  assert.equal(percentile([1, 2], 50), 1);
  assert.equal(percentile([1, 2], 51), 2);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 101), RangeError);
});

test('qps is successes over wall time, 0 for a zero-length run', () => {
  assert.equal(qps(20000, 2), 10000);
  assert.equal(qps(150, 0.5), 300);
  assert.equal(qps(10, 0), 0);
  assert.equal(qps(0, 3), 0);
});

test('mean and population stddev', () => {
  const { mean, stddev } = meanStddev([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(mean, 5);
  assert.equal(stddev, 2);
  assert.deepEqual(meanStddev([]), { mean: 0, stddev: 0 });
});

test('histogram: buckets from fastest to slowest hold every value once', () => {
  const h = histogram(oneToHundred, 10);
  assert.equal(h.length, 11);
  assert.equal(h[0]!.mark, 1);
  assert.equal(h[10]!.mark, 100);
  assert.equal(h.reduce((a, b) => a + b.count, 0), 100);
  assert.equal(h[0]!.count, 1); // only the fastest value sits at the first mark
  assert.deepEqual(histogram([], 10), []);
  const same = histogram([3, 3, 3], 10);
  assert.equal(same.reduce((a, b) => a + b.count, 0), 3);
});

test('summarize: figures, unsorted input, errors counted apart from latencies', () => {
  const lat = [0.004, 0.001, 0.003, 0.002]; // seconds, unsorted
  const s = summarize(lat, 0.5, { 'HTTP 500 (etcd 300: Raft Internal Error)': 2, 'connection closed before the response': 1 });
  assert.equal(s.ok, 4);
  assert.equal(s.failed, 3);
  assert.equal(s.rps, 8); // 4 successes in 0.5 s; failures do not count
  assert.equal(s.fastestSec, 0.001);
  assert.equal(s.slowestSec, 0.004);
  assert.ok(Math.abs(s.averageSec - 0.0025) < 1e-12);
  assert.deepEqual(Object.keys(s.percentiles), PERCENTILES.map(String));
  assert.equal(s.percentiles['50'], 0.002);
  assert.equal(s.percentiles['99'], 0.004);
  assert.equal(s.errors['HTTP 500 (etcd 300: Raft Internal Error)'], 2);
  assert.deepEqual(lat, [0.004, 0.001, 0.003, 0.002], 'the input is left as it was');
});

test('summarize of a run where everything failed', () => {
  const s = summarize([], 1.5, { 'connect ECONNREFUSED 127.0.0.70:2379': 10 });
  assert.equal(s.ok, 0);
  assert.equal(s.failed, 10);
  assert.equal(s.rps, 0);
  assert.equal(s.percentiles['99'], 0);
  assert.deepEqual(s.histogram, []);
});

test('median of an odd and an even count', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});
