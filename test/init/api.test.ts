// The control API's routes and JSON shapes, in process (ControlServer + InitClient).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { InitClient, unitPath } from '../../src/init/client.js';
import { ControlServer, type UnitDetail } from '../../src/init/node/api.js';
import type { JournalEntry } from '../../src/init/node/journal.js';
import { InitNode } from '../../src/init/node/runtime.js';
import { tempRoot, waitFor, writeUnit } from './helpers.js';

async function withApi(fn: (c: InitClient, root: string, node: InitNode) => Promise<void>): Promise<void> {
  const root = tempRoot();
  const node = new InitNode(root, { pollMs: 20 });
  const server = new ControlServer(node);
  await server.listen();
  try {
    await fn(InitClient.forRoot(root), root, node);
  } finally {
    await node.shutdown();
    await server.close();
  }
}

test('api: start/stop answer with the job result and the unit; errors carry a code and systemd’s message', async () => {
  await withApi(async (c, root) => {
    writeUnit(root, 'a.service', '[Unit]\nDescription=A\n[Service]\nExecStart=/bin/sleep 600\n');
    const r = await c.request<{ job: number; result: string; unit: UnitDetail }>('POST', unitPath('a.service', 'start'));
    assert.equal(r.status, 200);
    assert.equal(r.body.result, 'done');
    assert.equal(typeof r.body.job, 'number');
    assert.deepEqual([r.body.unit.activeState, r.body.unit.subState, r.body.unit.loadState], ['active', 'running', 'loaded']);
    assert.deepEqual(r.body.unit.tasks.map((t) => t.cmdline), ['/bin/sleep 600']);
    const list = await c.request<{ units: { id: string; activeState: string }[] }>('GET', '/v1/units');
    assert.ok(list.body.units.some((u) => u.id === 'a.service' && u.activeState === 'active'));
    const some = await c.request<{ units: { id: string; activeState: string; loadState: string }[] }>('GET', '/v1/units?name=a.service&name=other.service');
    assert.deepEqual(some.body.units.map((u) => [u.id, u.loadState, u.activeState]), [['a.service', 'loaded', 'active'], ['other.service', 'not-found', 'inactive']]);
    const missing = await c.request<{ error: string; message: string }>('POST', unitPath('zzz.service', 'start'));
    assert.deepEqual([missing.status, missing.body], [404, { error: 'not-found', message: 'Unit zzz.service not found.' }]);
    const reload = await c.request<{ error: string; message: string }>('POST', unitPath('a.service', 'reload'));
    assert.deepEqual([reload.status, reload.body.error], [409, 'not-applicable']);
    const stop = await c.request<{ result: string }>('POST', unitPath('a.service', 'stop'));
    assert.equal(stop.body.result, 'done');
  });
});

test('api: the state-change stream and journal follow deliver as things happen', async () => {
  await withApi(async (c, root) => {
    writeUnit(root, 'talk.service', '[Service]\nExecStart=/bin/sh -c "echo one; sleep 0.2; echo two; sleep 600"\n');
    const abort = new AbortController();
    const states: string[] = [];
    const lines: string[] = [];
    const events = c.stream<{ unit: string; activeState: string; subState: string }>('/v1/events', (e) => {
      if (e.unit === 'talk.service') states.push(`${e.activeState}/${e.subState}`);
    }, abort.signal);
    const follow = c.stream<JournalEntry>('/v1/journal?unit=talk.service&follow=1', (e) => lines.push(e.msg), abort.signal);
    await new Promise((r) => setTimeout(r, 50));
    await c.request('POST', unitPath('talk.service', 'start'));
    await waitFor('both lines', () => lines.includes('two'));
    await c.request('POST', unitPath('talk.service', 'stop'));
    await waitFor('the stop in the stream', () => states.includes('inactive/dead'));
    abort.abort();
    await Promise.all([events, follow]);
    const order = ['activating/start', 'active/running', 'deactivating/stop-sigterm', 'inactive/dead'];
    assert.deepEqual(order.map((s) => states.indexOf(s) >= 0), [true, true, true, true], states.join(' '));
    assert.deepEqual([...order].sort((a, b) => states.indexOf(a) - states.indexOf(b)), order);
    assert.deepEqual(lines.filter((l) => l === 'one' || l === 'two'), ['one', 'two']);
  });
});

test('api: enable/disable via [Install] links, daemon-reload picks up edits, files route, unit-files list', async () => {
  await withApi(async (c, root) => {
    const unit = writeUnit(root, 'svc.service', '[Unit]\nDescription=Before\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nAlias=other-name.service\n');
    const en = await c.request<{ changes: unknown[] }>('POST', unitPath('svc.service', 'enable'));
    const etc = path.join(root, 'etc/systemd/system');
    assert.deepEqual(en.body.changes, [
      { type: 'symlink', path: `${etc}/multi-user.target.wants/svc.service`, target: unit },
      { type: 'symlink', path: `${etc}/other-name.service`, target: unit },
    ]);
    assert.equal(fs.readlinkSync(`${etc}/multi-user.target.wants/svc.service`), unit);
    const files = await c.request<{ unitFiles: { name: string; state: string }[] }>('GET', '/v1/unit-files');
    assert.deepEqual(files.body.unitFiles.filter((f) => f.name.startsWith('svc') || f.name.startsWith('other')), [{ name: 'other-name.service', path: `${etc}/other-name.service`, state: 'alias' }, { name: 'svc.service', path: unit, state: 'enabled' }]);
    const dis = await c.request<{ changes: { type: string; path: string }[] }>('POST', unitPath('svc.service', 'disable'));
    assert.deepEqual(dis.body.changes.map((x) => x.path).sort(), [`${etc}/multi-user.target.wants/svc.service`, `${etc}/other-name.service`]);
    assert.equal(fs.existsSync(`${etc}/other-name.service`), false);

    let u = await c.request<UnitDetail>('GET', unitPath('svc.service'));
    assert.equal(u.body.description, 'Before');
    fs.writeFileSync(unit, '[Unit]\nDescription=After\n[Service]\nExecStart=/bin/true\n');
    fs.mkdirSync(`${unit}.d`);
    fs.writeFileSync(`${unit}.d/10-env.conf`, '[Service]\nEnvironment=A=1\n');
    await c.request('POST', '/v1/daemon-reload');
    u = await c.request<UnitDetail>('GET', unitPath('svc.service'));
    assert.equal(u.body.description, 'After');
    assert.deepEqual(u.body.dropInPaths, [`${unit}.d/10-env.conf`]);
    const f = await c.request<{ contents: { path: string; text: string }[] }>('GET', unitPath('svc.service', 'files'));
    assert.deepEqual(f.body.contents.map((x) => x.path), [unit, `${unit}.d/10-env.conf`]);
  });
});

test('api: a transient unit runs a command as a unit, words passed verbatim', async () => {
  await withApi(async (c, root, node) => {
    const r = await c.request<{ name: string; result: string; unit: UnitDetail }>('POST', '/v1/transient', {
      command: ['/bin/sh', '-c', "echo 'hi $HOME 100% \"q\" \\\\'; echo $GREETING"], type: 'oneshot', remainAfterExit: true,
      environment: { GREETING: 'a $b 5%' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'run-u1.service');
    assert.equal(r.body.result, 'done');
    assert.equal(r.body.unit.subState, 'exited');
    await waitFor('the output', () => node.journal.read({ units: ['run-u1.service'] }).filter((e) => e.stream === 'stdout').length === 2);
    assert.deepEqual(node.journal.read({ units: ['run-u1.service'] }).filter((e) => e.stream === 'stdout').map((e) => e.msg), ['hi $HOME 100% "q" \\', 'a $b 5%']);
    const again = await c.request<{ error: string }>('POST', '/v1/transient', { name: 'run-u1', command: ['/bin/true'] });
    assert.deepEqual([again.status, again.body.error], [409, 'exists']);
    const bad = await c.request<{ error: string }>('POST', '/v1/transient', { command: ['true'] });
    assert.equal(bad.status, 400);
    assert.ok(fs.existsSync(path.join(root, 'run/systemd/system/run-u1.service')));
  });
});

test('api: try-restart restarts only a running unit; kill signals its processes; reset-failed clears a failure', async () => {
  await withApi(async (c, root, node) => {
    writeUnit(root, 'a.service', '[Service]\nExecStart=/bin/sleep 600\n');
    writeUnit(root, 'f.service', '[Service]\nType=oneshot\nExecStart=/bin/false\n');
    const idle = await c.request<{ job: number | null; result: string }>('POST', unitPath('a.service', 'try-restart'));
    assert.deepEqual(idle.body, { job: null, result: 'done' });
    assert.equal(node.status('a.service').activeState, 'inactive');
    await c.request('POST', unitPath('a.service', 'start'));
    const pid = node.status('a.service').mainPid;
    const again = await c.request<{ job: number | null; result: string }>('POST', unitPath('a.service', 'try-restart'));
    assert.equal(again.body.result, 'done');
    assert.notEqual(node.status('a.service').mainPid, pid);
    const k = await c.request<{ pids: number[] }>('POST', unitPath('a.service', 'kill'), { signal: 'SIGKILL', whom: 'main' });
    assert.deepEqual(k.body.pids, [node.status('a.service').mainPid]);
    await waitFor('the killed unit to fail', () => node.status('a.service').activeState === 'failed');
    assert.deepEqual(node.status('a.service').execMain, { code: 'killed', status: 9 });
    const none = await c.request<{ error: string }>('POST', unitPath('a.service', 'kill'), { whom: 'main' });
    assert.deepEqual([none.status, none.body.error], [409, 'no-process']);
    await c.request('POST', unitPath('f.service', 'start'));
    assert.equal(node.status('f.service').activeState, 'failed');
    await c.request('POST', unitPath('f.service', 'reset-failed'));
    assert.deepEqual([node.status('f.service').activeState, node.status('f.service').result], ['inactive', 'success']);
  });
});
