// The socket machine and its service in the pure manager (simulated shell).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim } from './sim.js';

test('engine: a socket listens without its service; a connection starts the service, which gets the socket; when the service goes, the socket listens again', () => {
  const sim = new Sim({
    'web.socket': '[Socket]\nListenStream=127.0.0.110:8080\n',
    'web.service': '[Service]\nExecStart=/bin/run\n',
  });
  sim.start('web.socket');
  assert.equal(sim.state('web.socket'), 'active/listening');
  assert.equal(sim.state('web.service'), 'inactive/dead');
  assert.ok(sim.watched.has('web.socket'));

  assert.ok(sim.connect('web.socket'));
  assert.equal(sim.state('web.service'), 'active/running');
  assert.equal(sim.state('web.socket'), 'active/running');
  assert.ok(!sim.watched.has('web.socket'), 'the service accepts now, not the init');
  assert.deepEqual(sim.passed, [{ unit: 'web.service', sockets: ['web.socket'] }]);
  assert.deepEqual(sim.m.status('web.service').triggeredBy, ['web.socket']);

  sim.crash('web.service', { code: 'exited', status: 1 });
  assert.equal(sim.state('web.service'), 'failed/failed');
  assert.equal(sim.state('web.socket'), 'active/listening');
  assert.ok(sim.watched.has('web.socket'), 'connections made now wait for the next start');
  assert.ok(sim.openSockets.has('web.socket'), 'the socket stayed open');
  assert.ok(sim.connect('web.socket'));
  assert.equal(sim.state('web.service'), 'active/running');

  // Stopping the socket leaves the running service alone (as systemd does), and closes the init's copy.
  sim.stop('web.socket');
  assert.equal(sim.state('web.socket'), 'inactive/dead');
  assert.equal(sim.state('web.service'), 'active/running');
  assert.ok(!sim.openSockets.has('web.socket'));
});

test('engine: a service started directly also gets the listening sockets, and its socket goes to running', () => {
  const sim = new Sim({
    'api.socket': '[Socket]\nListenStream=/run/api.sock\nService=api-daemon.service\n',
    'api-daemon.service': '[Service]\nExecStart=/bin/run\n',
  });
  sim.start('api.socket');
  sim.start('api-daemon.service');
  assert.equal(sim.state('api.socket'), 'active/running');
  assert.deepEqual(sim.passed, [{ unit: 'api-daemon.service', sockets: ['api.socket'] }]);
});

test('engine: a forking service\'s ExecStart= gets the sockets too (its parent is not the main process); ExecStartPre= does not', () => {
  const sim = new Sim({
    'f.socket': '[Socket]\nListenStream=9003\n',
    'f.service': '[Service]\nType=forking\nExecStartPre=/bin/ok\nExecStart=/bin/fork\n',
  });
  sim.start('f.socket');
  sim.connect('f.socket');
  assert.equal(sim.state('f.service'), 'active/running');
  assert.deepEqual(sim.passed, [{ unit: 'f.service', sockets: ['f.socket'] }]);
  assert.deepEqual(sim.trace, ['f.service start-pre /bin/ok', 'f.service start /bin/fork']);
});

test('engine: Sockets= pulls the socket in and orders it first; the service gets it', () => {
  const sim = new Sim({
    'a.socket': '[Socket]\nListenDatagram=/run/a.sock\nService=other.service\n',
    'other.service': '[Service]\nExecStart=/bin/run\n',
    'b.service': '[Service]\nSockets=a.socket\nExecStart=/bin/run\n',
  });
  sim.start('b.service');
  assert.equal(sim.state('a.socket'), 'active/listening');
  assert.deepEqual(sim.passed, [{ unit: 'b.service', sockets: ['a.socket'] }]);
});

test('engine: a socket that cannot be opened fails with resources; its service is not started', () => {
  const sim = new Sim({ 'x.socket': '[Socket]\nListenStream=80\n', 'x.service': '[Service]\nExecStart=/bin/run\n' });
  sim.failOpen.add('x.socket');
  const job = sim.start('x.socket');
  assert.equal(sim.jobs.get(job), 'failed');
  assert.equal(sim.state('x.socket'), 'failed/failed');
  assert.equal(sim.m.status('x.socket').result, 'resources');
  assert.ok(sim.log.includes('x.socket: Failed to create listening socket (bind: Address already in use).'));
});

test('engine: a service that keeps exiting without taking its connection hits the socket trigger limit (trigger-limit-hit)', () => {
  const sim = new Sim({
    'spin.socket': '[Socket]\nListenStream=9000\nTriggerLimitIntervalSec=10s\nTriggerLimitBurst=3\n',
    'spin.service': '[Service]\nExecStart=/bin/ok\n',
  });
  sim.start('spin.socket');
  for (let i = 0; i < 3; i++) assert.ok(sim.connect('spin.socket'), `trigger ${i + 1}`);
  assert.equal(sim.state('spin.socket'), 'active/listening');
  sim.connect('spin.socket');
  assert.equal(sim.state('spin.socket'), 'failed/failed');
  assert.equal(sim.m.status('spin.socket').result, 'trigger-limit-hit');
  assert.ok(!sim.openSockets.has('spin.socket'));
});

test('engine: when its service hits the start limit, the socket fails with service-start-limit-hit', () => {
  const sim = new Sim({
    'lim.socket': '[Socket]\nListenStream=9001\n',
    'lim.service': '[Unit]\nStartLimitBurst=2\nStartLimitIntervalSec=1h\n[Service]\nExecStart=/bin/run\n',
  });
  sim.start('lim.socket');
  sim.connect('lim.socket');
  sim.crash('lim.service', { code: 'exited', status: 1 });
  sim.connect('lim.socket');
  sim.crash('lim.service', { code: 'exited', status: 1 });
  sim.connect('lim.socket');
  assert.equal(sim.m.status('lim.service').result, 'start-limit-hit');
  assert.equal(sim.state('lim.socket'), 'failed/failed');
  assert.equal(sim.m.status('lim.socket').result, 'service-start-limit-hit');
});

test('engine: at shutdown a connection waiting on the socket does not start the service again', () => {
  const sim = new Sim({ 's.socket': '[Socket]\nListenStream=9002\n', 's.service': '[Service]\nExecStart=/bin/run\n' });
  sim.start('s.socket');
  sim.connect('s.socket');
  sim.m.stopAll();
  sim.settle();
  sim.connect('s.socket');
  assert.equal(sim.state('s.service'), 'inactive/dead');
  assert.equal(sim.state('s.socket'), 'inactive/dead');
});

test('engine: WatchdogSec= — WATCHDOG=1 re-arms the watchdog; silence sends SIGABRT and fails with Result=watchdog', () => {
  const sim = new Sim({ 'w.service': '[Service]\nWatchdogSec=10s\nExecStart=/bin/run\n' });
  sim.start('w.service');
  assert.equal(sim.state('w.service'), 'active/running');
  assert.equal(sim.nextTimer(), 10_000_000);
  sim.notify('w.service', { WATCHDOG: '1' });
  assert.equal(sim.state('w.service'), 'active/running');
  assert.ok(sim.advance());
  assert.equal(sim.kills[0], 'w.service all 6', 'SIGABRT first (leftovers get SIGKILL when the unit is dead)');
  assert.equal(sim.state('w.service'), 'failed/failed');
  assert.equal(sim.m.status('w.service').result, 'watchdog');
  assert.ok(sim.log.includes('w.service: Watchdog timeout (limit 10s)!'));
});

test('engine: ExecCondition= runs first in the condition state; exit 1 skips without failing the job', () => {
  const sim = new Sim({ 'c.service': '[Service]\nExecCondition=/bin/fail\nExecStartPre=/bin/ok\nExecStart=/bin/run\n' });
  const job = sim.start('c.service');
  assert.equal(sim.jobs.get(job), 'done');
  assert.equal(sim.state('c.service'), 'inactive/dead');
  assert.equal(sim.m.status('c.service').result, 'exec-condition');
  assert.deepEqual(sim.trace, ['c.service condition /bin/fail']);
});
