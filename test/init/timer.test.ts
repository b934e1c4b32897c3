// .timer units on the pure manager (systemd.timer(5)), driven by the simulated shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from './sim.js';

const S = 1_000_000;
const job = '[Service]\nType=oneshot\nExecStart=/bin/ok\n';

test('timer: OnActiveSec= then OnUnitActiveSec= repeat; the timer waits, runs its unit, and waits again', () => {
  const s = new Sim({ 'job.timer': '[Timer]\nOnActiveSec=10\nOnUnitActiveSec=20\n', 'job.service': job });
  s.start('job.timer');
  assert.equal(s.state('job.timer'), 'active/waiting');
  assert.equal(s.nextTimer(), 10 * S);
  s.advance();
  assert.deepEqual(s.trace, ['job.service start /bin/ok']);
  assert.equal(s.state('job.timer'), 'active/waiting');
  assert.equal(s.nextTimer(), 30 * S);
  s.advance();
  assert.equal(s.trace.length, 2);
  assert.equal(s.nextTimer(), 50 * S);
  assert.equal(s.m.status('job.timer').timer?.lastTrigger, 30 * S);
  s.stop('job.timer');
  assert.equal(s.state('job.timer'), 'inactive/dead');
  assert.equal(s.nextTimer(), null);
});

test('timer: a one-shot OnBootSec= already past fires at activation, then the timer is elapsed', () => {
  const s = new Sim({ 'b.timer': '[Timer]\nOnBootSec=5\nUnit=other.service\n', 'other.service': job }, () => true, { clock: 60 * S });
  s.start('b.timer');
  assert.equal(s.nextTimer(), 60 * S, 'due at once');
  s.advance();
  assert.deepEqual(s.trace, ['other.service start /bin/ok']);
  assert.equal(s.state('b.timer'), 'active/elapsed');
});

test('timer: OnCalendar= fires at the next matching wall-clock time; Persistent= catches up a missed one', () => {
  const base = Date.UTC(2026, 0, 1, 10, 0, 30) * 1000;
  const s = new Sim({ 'c.timer': '[Timer]\nOnCalendar=*-*-* *:*:00 UTC\n', 'c.service': job }, () => true, { clock: base });
  s.start('c.timer');
  assert.equal(s.nextTimer(), base + 30 * S);
  s.advance();
  assert.equal(s.trace.length, 1);
  assert.equal(s.nextTimer(), base + 90 * S);

  const missed = Date.UTC(2026, 0, 1, 9, 0, 0) * 1000;
  const p = new Sim({ 'p.timer': '[Timer]\nOnCalendar=hourly UTC\nPersistent=true\n', 'p.service': job }, () => true, { clock: base, lastTrigger: () => missed });
  p.start('p.timer');
  assert.equal(p.nextTimer(), base, 'the 10:00 elapse was missed while down: fire now');
  p.advance();
  assert.equal(p.trace.length, 1);
  assert.equal(p.nextTimer(), Date.UTC(2026, 0, 1, 11, 0, 0) * 1000);
});

test('timer: a timer whose unit does not exist fails with result resources', () => {
  const s = new Sim({ 'x.timer': '[Timer]\nOnActiveSec=1\n' });
  s.start('x.timer');
  s.advance();
  assert.equal(s.state('x.timer'), 'failed/failed');
  assert.equal(s.m.status('x.timer').result, 'resources');
});
