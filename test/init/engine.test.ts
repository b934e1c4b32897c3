// The pure manager and service state machine against systemd.service(5) and
// systemd.unit(5) rules, driven through a simulated shell (sim.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from './sim.js';
import { isCleanExit, shallRestart } from '../../src/init/states.js';
import type { RestartPolicy } from '../../src/units/index.js';

const svc = (body: string, unit = ''): string => `[Unit]\n${unit}\n[Service]\n${body}\n`;

test('engine: a simple service is active/running once spawned and inactive/dead after stop', () => {
  const s = new Sim({ 'a.service': svc('ExecStart=/bin/run') });
  const job = s.start('a.service');
  assert.equal(s.state('a.service'), 'active/running');
  assert.equal(s.jobs.get(job), 'done');
  assert.equal(s.m.status('a.service').mainPid !== null, true);
  s.stop('a.service');
  assert.equal(s.state('a.service'), 'inactive/dead');
  assert.equal(s.running('a.service'), 0);
  assert.deepEqual(s.log.filter((l) => !l.includes(':')), ['Starting a.service...', 'Started a.service.', 'Stopping a.service...', 'Stopped a.service.']);
});

const lifecycle: { name: string; unit: string; want: string; result: string; job: string }[] = [
  { name: 'oneshot without RemainAfterExit ends inactive/dead, never active', unit: svc('Type=oneshot\nExecStart=/bin/ok\nExecStart=/bin/ok'), want: 'inactive/dead', result: 'success', job: 'done' },
  { name: 'oneshot with RemainAfterExit stays active/exited', unit: svc('Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/ok'), want: 'active/exited', result: 'success', job: 'done' },
  { name: 'a failing ExecStartPre fails the start', unit: svc('ExecStartPre=/bin/fail\nExecStart=/bin/run'), want: 'failed/failed', result: 'exit-code', job: 'failed' },
  { name: 'a `-` ExecStartPre failure is ignored', unit: svc('ExecStartPre=-/bin/fail\nExecStart=/bin/run'), want: 'active/running', result: 'success', job: 'done' },
  { name: 'a missing binary fails with the exec error', unit: svc('Type=exec\nExecStart=/bin/missing'), want: 'failed/failed', result: 'exit-code', job: 'failed' },
  { name: 'Type=simple reports the start done even when the binary is missing, then fails', unit: svc('ExecStart=/bin/missing'), want: 'failed/failed', result: 'exit-code', job: 'done' },
  { name: 'a failing oneshot fails', unit: svc('Type=oneshot\nExecStart=/bin/fail'), want: 'failed/failed', result: 'exit-code', job: 'failed' },
  { name: 'SuccessExitStatus makes an exit code clean', unit: svc('Type=oneshot\nSuccessExitStatus=1\nExecStart=/bin/fail'), want: 'inactive/dead', result: 'success', job: 'done' },
  { name: 'a failing ExecStartPost stops the service as failed', unit: svc('ExecStart=/bin/run\nExecStartPost=/bin/fail'), want: 'failed/failed', result: 'exit-code', job: 'failed' },
  { name: 'forking is active once the parent exits with the daemon’s pid', unit: svc('Type=forking\nExecStart=/bin/fork'), want: 'active/running', result: 'success', job: 'done' },
  { name: 'notify waits in activating/start for READY=1', unit: svc('Type=notify\nExecStart=/bin/run'), want: 'activating/start', result: 'success', job: 'running' },
];

for (const c of lifecycle) {
  test(`engine: ${c.name}`, () => {
    const s = new Sim({ 'u.service': c.unit });
    const job = s.start('u.service');
    assert.equal(s.state('u.service'), c.want);
    assert.equal(s.m.status('u.service').result, c.result);
    assert.equal(s.jobs.get(job) ?? 'running', c.job);
  });
}

test('engine: notify becomes active on READY=1, and a missing READY with a clean exit is a protocol failure', () => {
  const s = new Sim({ 'n.service': svc('Type=notify\nExecStart=/bin/run'), 'p.service': svc('Type=notify\nExecStart=/bin/run') });
  const j = s.start('n.service');
  s.notify('n.service', { READY: '1', STATUS: 'serving' });
  assert.equal(s.state('n.service'), 'active/running');
  assert.equal(s.jobs.get(j), 'done');
  assert.equal(s.m.status('n.service').statusText, 'serving');
  s.start('p.service');
  s.crash('p.service', { code: 'exited', status: 0 });
  assert.equal(s.state('p.service'), 'failed/failed');
  assert.equal(s.m.status('p.service').result, 'protocol');
});

test('engine: ExecStop runs only after a successful start; ExecStopPost always, with SERVICE_RESULT', () => {
  const s = new Sim({
    'a.service': svc('ExecStart=/bin/run\nExecStop=/bin/ok stop\nExecStopPost=/bin/ok post'),
    'b.service': svc('ExecStartPre=/bin/fail\nExecStart=/bin/run\nExecStop=/bin/ok stop\nExecStopPost=/bin/ok post'),
  });
  s.start('a.service');
  s.stop('a.service');
  s.start('b.service');
  assert.deepEqual(s.trace, [
    'a.service start /bin/run', 'a.service stop /bin/ok stop', 'a.service stop-post /bin/ok post',
    'b.service start-pre /bin/fail', 'b.service stop-post /bin/ok post',
  ]);
});

test('engine: a process ignoring SIGTERM gets SIGKILL after TimeoutStopSec (stop-sigterm → stop-sigkill → failed/timeout)', () => {
  const s = new Sim({ 'a.service': svc('ExecStart=/bin/stubborn\nTimeoutStopSec=5') });
  s.start('a.service');
  const j = s.stop('a.service');
  assert.equal(s.state('a.service'), 'deactivating/stop-sigterm');
  assert.equal(s.advance(), true);
  // systemd counts the stop timeout against the unit: failed, Result=timeout.
  assert.equal(s.state('a.service'), 'failed/failed');
  assert.equal(s.m.status('a.service').result, 'timeout');
  assert.equal(s.jobs.get(j), 'done');
  assert.ok(s.log.includes("a.service: State 'stop-sigterm' timed out. Killing."));
});

test('engine: Restart=always brings a crashed service back, until the start limit', () => {
  const s = new Sim({ 'a.service': svc('ExecStart=/bin/run\nRestart=always\nRestartSec=1', 'StartLimitIntervalSec=1h\nStartLimitBurst=3') });
  s.start('a.service');
  s.crash('a.service', { code: 'killed', status: 9 });
  assert.equal(s.state('a.service'), 'activating/auto-restart');
  assert.equal(s.m.status('a.service').result, 'signal');
  s.advance();
  assert.equal(s.state('a.service'), 'active/running');
  assert.equal(s.m.status('a.service').nRestarts, 1);
  s.crash('a.service', { code: 'exited', status: 0 });
  s.advance();
  assert.equal(s.state('a.service'), 'active/running');
  s.crash('a.service', { code: 'exited', status: 3 });
  s.advance();
  assert.equal(s.state('a.service'), 'failed/failed');
  assert.equal(s.m.status('a.service').result, 'start-limit-hit');
  s.m.resetFailed('a.service');
  assert.equal(s.state('a.service'), 'inactive/dead');
  s.start('a.service');
  assert.equal(s.state('a.service'), 'active/running');
});

test('engine: an explicit stop never restarts', () => {
  const s = new Sim({ 'a.service': svc('ExecStart=/bin/run\nRestart=always') });
  s.start('a.service');
  s.stop('a.service');
  assert.equal(s.state('a.service'), 'inactive/dead');
  assert.equal(s.advance(), false);
});

const D = { code: 'exited' as const, status: 0 };
const F = { code: 'exited' as const, status: 1 };
const K = { code: 'killed' as const, status: 9 };
const T = { code: 'killed' as const, status: 15 };
test('engine: the Restart= table of systemd.service(5)', () => {
  const none = { codes: [], signals: [] };
  const rows: [RestartPolicy, string, boolean][] = [
    ['no', 'exit-code', false], ['always', 'success', true], ['always', 'exit-code', true],
    ['on-success', 'success', true], ['on-success', 'exit-code', false],
    ['on-failure', 'success', false], ['on-failure', 'exit-code', true], ['on-failure', 'signal', true], ['on-failure', 'timeout', true],
    ['on-abnormal', 'exit-code', false], ['on-abnormal', 'signal', true], ['on-abnormal', 'timeout', true], ['on-abnormal', 'watchdog', true],
    ['on-abort', 'signal', true], ['on-abort', 'core-dump', true], ['on-abort', 'timeout', false],
    ['on-watchdog', 'watchdog', true], ['on-watchdog', 'signal', false],
  ];
  for (const [policy, result, want] of rows) {
    assert.equal(shallRestart(policy, result as 'success', null, none), want, `${policy} on ${result}`);
  }
  assert.equal(shallRestart('always', 'exit-code', F, { codes: [1], signals: [] }), false, 'RestartPreventExitStatus');
  const simple = { type: 'simple' as const, successExitStatus: none };
  assert.equal(isCleanExit(D, simple), true);
  assert.equal(isCleanExit(F, simple), false);
  assert.equal(isCleanExit(T, simple), true, 'SIGTERM is clean for non-oneshot');
  assert.equal(isCleanExit(T, { ...simple, type: 'oneshot' }), false, 'but not for oneshot');
  assert.equal(isCleanExit(K, simple), false);
});

test('engine: Requires + After start the dependency first and stop the dependent first', () => {
  const s = new Sim({
    'db.service': svc('ExecStart=/bin/run db'),
    'web.service': svc('ExecStart=/bin/run web', 'Requires=db.service\nAfter=db.service'),
  });
  s.start('web.service');
  assert.deepEqual(s.trace, ['db.service start /bin/run db', 'web.service start /bin/run web']);
  assert.equal(s.state('db.service'), 'active/running');
  s.stop('db.service');
  assert.equal(s.state('web.service'), 'inactive/dead', 'stop propagates to what Requires= it');
  const stops = s.log.filter((l) => l.startsWith('Stopped'));
  assert.deepEqual(stops, ['Stopped web.service.', 'Stopped db.service.']);
});

test('engine: a failed requirement ordered before fails the dependent with "dependency"; Wants= does not', () => {
  const s = new Sim({
    'db.service': svc('ExecStartPre=/bin/fail\nExecStart=/bin/run'),
    'web.service': svc('ExecStart=/bin/run web', 'Requires=db.service\nAfter=db.service'),
    'soft.service': svc('ExecStart=/bin/run soft', 'Wants=db.service\nAfter=db.service'),
  });
  const j = s.start('web.service');
  assert.equal(s.jobs.get(j), 'dependency');
  assert.equal(s.state('web.service'), 'inactive/dead');
  s.start('soft.service');
  assert.equal(s.state('soft.service'), 'active/running');
});

test('engine: Requires= on a unit that does not exist refuses the transaction', () => {
  const s = new Sim({ 'web.service': svc('ExecStart=/bin/run', 'Requires=nope.service') });
  const r = s.m.enqueue('start', 'web.service');
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.code, 'not-found');
  const u = s.m.enqueue('start', 'ghost.service');
  assert.deepEqual(u, { ok: false, code: 'not-found', message: 'Unit ghost.service not found.' });
});

test('engine: Requisite= fails when the unit is not already active', () => {
  const s = new Sim({ 'db.service': svc('ExecStart=/bin/run'), 'web.service': svc('ExecStart=/bin/run', 'Requisite=db.service\nAfter=db.service') });
  const j = s.start('web.service');
  assert.equal(s.jobs.get(j), 'dependency');
  s.start('db.service');
  s.start('web.service');
  assert.equal(s.state('web.service'), 'active/running');
});

test('engine: BindsTo= stops the bound unit when its target dies on its own; PartOf= follows stops', () => {
  const s = new Sim({
    'db.service': svc('ExecStart=/bin/run'),
    'side.service': svc('ExecStart=/bin/run', 'BindsTo=db.service\nAfter=db.service'),
    'part.service': svc('ExecStart=/bin/run', 'PartOf=db.service'),
  });
  s.start('side.service');
  s.start('part.service');
  s.crash('db.service', { code: 'exited', status: 1 });
  assert.equal(s.state('db.service'), 'failed/failed');
  assert.equal(s.state('side.service'), 'inactive/dead');
  assert.equal(s.state('part.service'), 'active/running', 'PartOf follows explicit stops only');
  s.start('db.service');
  s.stop('db.service');
  assert.equal(s.state('part.service'), 'inactive/dead');
});

test('engine: Conflicts= stops the other unit, either way round', () => {
  const s = new Sim({ 'a.service': svc('ExecStart=/bin/run', 'Conflicts=b.service'), 'b.service': svc('ExecStart=/bin/run') });
  s.start('b.service');
  s.start('a.service');
  assert.equal(s.state('b.service'), 'inactive/dead');
  s.start('b.service');
  assert.equal(s.state('a.service'), 'inactive/dead');
  assert.equal(s.state('b.service'), 'active/running');
});

test('engine: a failed condition skips the start without failing; a failed assert fails the job', () => {
  const s = new Sim(
    {
      'c.service': svc('ExecStart=/bin/run', 'ConditionPathExists=/nope'),
      'o.service': svc('ExecStart=/bin/run', 'ConditionPathExists=|/nope\nConditionPathExists=|/yes'),
      'a.service': svc('ExecStart=/bin/run', 'AssertPathExists=/nope'),
    },
    (c) => c.parameter === '/yes',
  );
  const j = s.start('c.service');
  assert.equal(s.jobs.get(j), 'done');
  assert.equal(s.state('c.service'), 'inactive/dead');
  assert.equal(s.m.status('c.service').conditionResult, false);
  s.start('o.service');
  assert.equal(s.state('o.service'), 'active/running', 'one triggering condition is enough');
  const a = s.start('a.service');
  assert.equal(s.jobs.get(a), 'assert');
  assert.equal(s.state('a.service'), 'inactive/dead');
});

test('engine: targets pull in what they want; stopping everything goes in reverse order', () => {
  const s = new Sim({
    'multi-user.target': '[Unit]\nDescription=Multi-User System\nWants=web.service db.service\n',
    'db.service': svc('ExecStart=/bin/run db'),
    'web.service': svc('ExecStart=/bin/run web', 'After=db.service'),
  });
  s.start('multi-user.target');
  assert.equal(s.state('multi-user.target'), 'active/active');
  assert.deepEqual(s.trace, ['db.service start /bin/run db', 'web.service start /bin/run web']);
  s.m.stopAll();
  s.settle();
  assert.deepEqual(s.log.filter((l) => l.startsWith('Stopped')), ['Stopped target Multi-User System.', 'Stopped web.service.', 'Stopped db.service.']);
});

test('engine: restart stops then starts; a start timeout terminates the start', () => {
  const s = new Sim({
    'a.service': svc('ExecStart=/bin/run'),
    't.service': svc('Type=notify\nExecStart=/bin/run\nTimeoutStartSec=2'),
  });
  s.start('a.service');
  const pid = s.m.status('a.service').mainPid;
  const r = s.m.enqueue('restart', 'a.service');
  s.settle();
  assert.ok(r.ok && s.jobs.get(r.job) === 'done');
  assert.equal(s.state('a.service'), 'active/running');
  assert.notEqual(s.m.status('a.service').mainPid, pid);
  const j = s.start('t.service');
  s.advance();
  assert.equal(s.state('t.service'), 'failed/failed');
  assert.equal(s.m.status('t.service').result, 'timeout');
  assert.equal(s.jobs.get(j), 'failed');
});

test('engine: restarting a unit restarts the active units that Require it', () => {
  const s = new Sim({
    'db.service': svc('ExecStart=/bin/run db'),
    'web.service': svc('ExecStart=/bin/run web', 'Requires=db.service\nAfter=db.service'),
  });
  s.start('web.service');
  const before = [s.m.status('db.service').mainPid, s.m.status('web.service').mainPid];
  const r = s.m.enqueue('restart', 'db.service');
  s.settle();
  assert.ok(r.ok && s.jobs.get(r.job) === 'done');
  assert.equal(s.state('web.service'), 'active/running');
  const after = [s.m.status('db.service').mainPid, s.m.status('web.service').mainPid];
  assert.notEqual(after[0], before[0]);
  assert.notEqual(after[1], before[1]);
  // Stops in reverse order, starts in order.
  const order = s.log.filter((l) => /^(Stopped|Started) /.test(l)).slice(2);
  assert.deepEqual(order, ['Stopped web.service.', 'Stopped db.service.', 'Started db.service.', 'Started web.service.']);
});

test('engine: a stop while the unit is still starting cancels the start job and tears the start down', () => {
  const s = new Sim({ 'slow.service': svc('ExecStartPre=/bin/run\nExecStart=/bin/run') });
  const start = s.start('slow.service');
  assert.equal(s.state('slow.service'), 'activating/start-pre');
  const stop = s.stop('slow.service');
  assert.equal(s.jobs.get(start), 'canceled');
  assert.equal(s.jobs.get(stop), 'done');
  assert.equal(s.state('slow.service'), 'inactive/dead');
  assert.equal(s.running('slow.service'), 0);
});

test('engine: Restart= waits RestartSec= in activating/auto-restart; a stop there ends it', () => {
  const s = new Sim({ 'r.service': svc('ExecStart=/bin/run\nRestart=on-failure\nRestartSec=5') });
  s.start('r.service');
  s.crash('r.service', { code: 'exited', status: 2 });
  assert.equal(s.state('r.service'), 'activating/auto-restart');
  assert.equal(s.nextTimer(), 5 * 1_000_000);
  s.stop('r.service');
  assert.equal(s.state('r.service'), 'inactive/dead');
  assert.equal(s.advance(), false);
});

test('engine: an After= cycle does not hang the transaction; the cycle is reported', () => {
  const s = new Sim({
    'a.service': svc('ExecStart=/bin/run a', 'Wants=b.service\nAfter=b.service'),
    'b.service': svc('ExecStart=/bin/run b', 'After=a.service'),
  });
  const j = s.start('a.service');
  assert.equal(s.jobs.get(j), 'done');
  assert.equal(s.state('a.service'), 'active/running');
  assert.equal(s.state('b.service'), 'active/running');
  assert.ok(s.log.some((l) => l.includes('Found ordering cycle')));
});
