// The deterministic simulator, run over a fixed corpus of seeds, and proof
// that its checks catch a Raft that breaks the rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeViolation, SafetyChecker } from './sim/checker.js';
import type { SimOptions, SimResult } from './sim/simulation.js';
import { runSeed } from './sim/simulation.js';

function runCorpus(nodes: number, from: number, count: number): SimResult[] {
  const failed: SimResult[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const r = runSeed({ seed, nodes });
    if (r.violations.length > 0) failed.push(r);
  }
  return failed;
}

function assertClean(failed: SimResult[]): void {
  const lines = failed.map((r) => `seed ${r.seed}: ${describeViolation(r.violations[0]!)}\n  faults: ${r.profile}`);
  assert.deepEqual(lines, [], `violations (replay with npm run sim -- --seed N):\n${lines.join('\n')}`);
}

test('3-node clusters: 400 seeds of faults, no safety or liveness violation', () => {
  assertClean(runCorpus(3, 1, 400));
});

test('5-node clusters: 200 seeds of faults, no safety or liveness violation', () => {
  assertClean(runCorpus(5, 1, 200));
});

test('7-node clusters: 80 seeds of faults, no safety or liveness violation', () => {
  assertClean(runCorpus(7, 1, 80));
});

/** Run seeds until one reports a violation (or the cap is reached). */
function firstViolating(opts: Omit<SimOptions, 'seed'>, cap: number): SimResult | undefined {
  for (let seed = 1; seed <= cap; seed++) {
    const r = runSeed({ ...opts, seed });
    if (r.violations.length > 0) return r;
  }
  return undefined;
}

test('granting votes without the log up-to-date check is caught as leader-completeness (vote-for-stale-log)', () => {
  const r = firstViolating({ nodes: 3, breakRule: 'vote' }, 200);
  assert.ok(r, 'the broken vote rule went unnoticed for 200 seeds');
  const v = r.violations[0]!;
  assert.equal(v.kind, 'leader-completeness', describeViolation(v));
  assert.equal(v.cause, 'vote-for-stale-log', describeViolation(v));
});

test('committing a previous-term entry by counting replicas (§5.4.2) is caught as leader-completeness (commit-of-previous-term-entry)', () => {
  const r = firstViolating({ nodes: 3, breakRule: 'commit' }, 1500);
  assert.ok(r, 'the broken commit rule went unnoticed for 1500 seeds');
  const v = r.violations[0]!;
  assert.equal(v.kind, 'leader-completeness', describeViolation(v));
  assert.equal(v.cause, 'commit-of-previous-term-entry', describeViolation(v));
});

test("counting a leader's entries before they are on its disk is caught once leaders send before persisting", () => {
  const r = firstViolating({ nodes: 3, breakRule: 'durable' }, 2000);
  assert.ok(r, 'counting unpersisted leader entries went unnoticed for 2000 seeds');
  // A committed entry that lived on one durable copy is lost when the leader crashes first.
  assert.equal(r.violations[0]!.kind, 'leader-completeness', describeViolation(r.violations[0]!));
});

test('a leader lease that never expires is caught as read-linearizable', () => {
  const r = firstViolating({ nodes: 3, breakRule: 'lease' }, 1000);
  assert.ok(r, 'the never-expiring lease went unnoticed for 1000 seeds');
  assert.equal(r.violations[0]!.kind, 'read-linearizable', describeViolation(r.violations[0]!));
});

test('a seed replays exactly: the same trace, event for event', () => {
  const a: string[] = [];
  const b: string[] = [];
  const ra = runSeed({ seed: 77, nodes: 5, trace: (l) => a.push(l) });
  const rb = runSeed({ seed: 77, nodes: 5, trace: (l) => b.push(l) });
  assert.ok(a.length > 1000, `trace too short to mean anything (${a.length} lines)`);
  assert.deepEqual(b, a);
  assert.deepEqual(rb.stats, ra.stats);
  // Tracing must not change the run itself.
  assert.deepEqual(runSeed({ seed: 77, nodes: 5 }).stats, ra.stats);
});

test('the sim CLI prints the summary line and a violation with its seed and a replayable trace', () => {
  const cli = fileURLToPath(new URL('./sim/cli.js', import.meta.url));
  const ok = spawnSync(process.execPath, [cli, '--seeds', '5', '--from', '1', '--quiet'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, '5 seeds, 0 violations\n');

  const bad = spawnSync(process.execPath, [cli, '--seeds', '5', '--from', '1', '--break', 'vote'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /VIOLATION seed \d+ \(3 nodes\): leader-completeness \(vote-for-stale-log\) at step \d+/);
  assert.match(bad.stdout, /replay all with: npm run sim -- --seed \d+ --nodes 3 --break vote/);
  assert.match(bad.stdout, /^ +\d+ deliver \d+->\d+ Msg/m);
  assert.match(bad.stdout, /\n5 seeds, [1-9]\d* violations\n$/);
});

// The checker on its own, fed histories that break each property.

const kinds = (c: SafetyChecker) => c.violations.map((v) => v.kind);
const logOf = (terms: number[]) => ({ termAt: (i: number) => terms[i], snapshotIndex: () => 0 });

test('checker: two leaders in one term is an election-safety violation', () => {
  const c = new SafetyChecker();
  c.becameLeader('1', 3, logOf([0]));
  c.becameLeader('1', 3, logOf([0]));
  assert.deepEqual(kinds(c), []);
  c.becameLeader('2', 3, logOf([0]));
  assert.deepEqual(kinds(c), ['election-safety']);
});

test('checker: the same index and term with different data is a log-matching violation', () => {
  const c = new SafetyChecker();
  c.persisted('1', [{ index: 1, term: 1, dataKey: 'a' }, { index: 2, term: 1, dataKey: 'b' }], 0);
  c.persisted('2', [{ index: 1, term: 1, dataKey: 'a' }], 0);
  assert.deepEqual(kinds(c), []);
  c.persisted('3', [{ index: 2, term: 1, dataKey: 'c' }], 1);
  assert.deepEqual(kinds(c), ['log-matching']);
});

test('checker: applying different entries at one index is a state-machine-safety violation', () => {
  const c = new SafetyChecker();
  c.proposedData('x');
  c.proposedData('y');
  c.appliedEntry('1', 5, 2, 'x', 11, true);
  c.appliedEntry('2', 5, 2, 'x', 11, true);
  assert.deepEqual(kinds(c), []);
  c.appliedEntry('3', 5, 3, 'y', 12, true);
  assert.deepEqual(kinds(c), ['state-machine-safety']);
});

test('checker: applying data nobody proposed is an applied-was-proposed violation', () => {
  const c = new SafetyChecker();
  c.appliedEntry('1', 1, 1, 'ghost', 1, true);
  assert.deepEqual(kinds(c), ['applied-was-proposed']);
});

test('checker: a commit index that goes down is a commit-monotonic violation', () => {
  const c = new SafetyChecker();
  c.commitAdvanced('1', 1, 0, 2, logOf([0, 1, 1]), []);
  assert.deepEqual(kinds(c), []);
  c.commitAdvanced('1', 1, 2, 1, logOf([0, 1, 1]), []);
  assert.deepEqual(kinds(c), ['commit-monotonic']);
});

test('checker: a leader missing an entry committed in an earlier term is a leader-completeness violation', () => {
  const c = new SafetyChecker();
  c.commitAdvanced('1', 2, 0, 3, logOf([0, 1, 2, 2]), []);
  c.becameLeader('2', 3, logOf([0, 1, 2, 2]));
  assert.deepEqual(kinds(c), []);
  c.becameLeader('3', 4, logOf([0, 1, 2]));
  assert.deepEqual(kinds(c), ['leader-completeness']);
});

test('checker: a read point below an earlier commit is a read-linearizable violation', () => {
  const c = new SafetyChecker();
  c.readServed('1', 7, 7);
  assert.deepEqual(kinds(c), []);
  c.readServed('1', 6, 7);
  assert.deepEqual(kinds(c), ['read-linearizable']);
});
