// The init running real processes in a temp machine root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InitNode } from '../../src/init/node/runtime.js';
import { isMachineId } from '../../src/init/node/root.js';
import { marker, pidsWith, tempRoot, waitFor, waitState, withNode, writeUnit } from './helpers.js';

test('node: first start creates etc/machine-id (32 lowercase hex), kept on later starts; %m uses it, %H the root’s etc/hostname', async () => {
  const root = tempRoot();
  writeUnit(root, 'id.service', '[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c "echo %m %H > $CORACLE_ROOT/got-id"\n');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/hostname'), 'core-07\n');
  let first = '';
  await withNode(async (node) => {
    first = fs.readFileSync(path.join(root, 'etc/machine-id'), 'utf8');
    assert.match(first, /^[0-9a-f]{32}\n$/);
    assert.ok(isMachineId(first.trim()));
    const r = await node.request('start', 'id.service');
    assert.deepEqual(r.ok && r.result, 'done');
    assert.equal(fs.readFileSync(path.join(root, 'got-id'), 'utf8').trim(), `${first.trim()} core-07`);
  }, {}, root);
  await withNode(async () => {
    assert.equal(fs.readFileSync(path.join(root, 'etc/machine-id'), 'utf8'), first);
  }, {}, root);
});

test('node: units get CORACLE_ROOT, Environment=, EnvironmentFile= read inside the root, WorkingDirectory=', async () => {
  await withNode(async (node, root) => {
    fs.writeFileSync(path.join(root, 'etc/environment'), 'COREOS_PRIVATE_IPV4=127.0.0.7\n# comment\nQUOTED="a b"\n');
    writeUnit(root, 'env.service', [
      '[Service]', 'Type=oneshot', 'Environment="GREETING=hello world" OTHER=1', 'EnvironmentFile=/etc/environment',
      'EnvironmentFile=-/etc/missing', 'WorkingDirectory=/tmp',
      'ExecStart=/bin/sh -c "echo \\"$CORACLE_ROOT,$GREETING,$COREOS_PRIVATE_IPV4,$QUOTED,$(pwd)\\" > $CORACLE_ROOT/out"', '',
    ].join('\n'));
    const r = await node.request('start', 'env.service');
    assert.ok(r.ok && r.result === 'done');
    assert.equal(fs.readFileSync(path.join(root, 'out'), 'utf8').trim(), `${root},hello world,127.0.0.7,a b,/tmp`);
    assert.equal(node.status('env.service').activeState, 'inactive');
  });
});

test('node: a simple service runs, its output is in the journal with unit and pid, and stop leaves nothing', async () => {
  const m = marker();
  await withNode(async (node, root) => {
    writeUnit(root, 'web.service', `[Unit]\nDescription=Web\n[Service]\nExecStart=/bin/sh -c "echo hello from web; echo oops >&2; exec sleep ${m}"\n`);
    const r = await node.request('start', 'web.service');
    assert.ok(r.ok && r.result === 'done');
    const s = await waitState(node, 'web.service', 'active/running');
    assert.ok(s.mainPid);
    const lines = await waitFor('output in the journal', () => {
      const got = node.journal.read({ units: ['web.service'] }).filter((e) => e.stream !== 'init');
      return got.length >= 2 ? got : undefined;
    });
    assert.deepEqual(lines.map((e) => [e.msg, e.stream, e.pid]).sort(), [['hello from web', 'stdout', s.mainPid], ['oops', 'stderr', s.mainPid]]);
    assert.deepEqual(pidsWith(`sleep ${m}`), [s.mainPid]);
    const stop = await node.request('stop', 'web.service');
    assert.ok(stop.ok && stop.result === 'done');
    assert.equal(node.status('web.service').subState, 'dead');
    assert.deepEqual(pidsWith(`sleep ${m}`), []);
    const init = node.journal.read({ units: ['web.service'] }).filter((e) => e.stream === 'init').map((e) => e.msg);
    assert.deepEqual(init, ['Starting Web...', 'Started Web.', 'Stopping Web...', 'web.service: Deactivated successfully.', 'Stopped Web.']);
  });
});

for (const environTracking of [false, true]) {
  test(`node: stop kills what double-forked into a new session (${environTracking ? '/proc environ marker' : 'cgroup if available'})`, async () => {
    const m = marker();
    await withNode(async (node, root) => {
      // The child escapes: a new session via setsid, its parent gone, reparented away from the init.
      writeUnit(root, 'escape.service', `[Service]\nExecStart=/bin/sh -c "setsid sh -c 'sleep ${m} & sleep ${m} & wait' & exec sleep 600"\n`);
      await node.request('start', 'escape.service');
      await waitFor('the escaped sleeps', () => pidsWith(`sleep ${m}`).length === 2);
      const r = await node.request('stop', 'escape.service');
      assert.ok(r.ok && r.result === 'done');
      assert.deepEqual(pidsWith(`sleep ${m}`), []);
    }, { environTracking });
  });
}

test('node: a failing ExecStart leaves failed/failed with the exit code; a missing binary is 203/EXEC (Type=exec fails the start)', async () => {
  await withNode(async (node, root) => {
    writeUnit(root, 'bad.service', '[Service]\nExecStart=/bin/sh -c "exit 3"\n');
    writeUnit(root, 'nobin.service', '[Service]\nType=exec\nExecStart=/no/such/binary\n');
    await node.request('start', 'bad.service');
    const s = await waitState(node, 'bad.service', 'failed/failed');
    assert.equal(s.result, 'exit-code');
    assert.deepEqual(s.execMain, { code: 'exited', status: 3 });
    const r = await node.request('start', 'nobin.service');
    assert.ok(r.ok && r.result === 'failed');
    const n = node.status('nobin.service');
    assert.deepEqual([n.activeState, n.result, n.execMain], ['failed', 'exit-code', { code: 'exited', status: 203 }]);
  });
});

test('node: Restart=always brings back a killed process, and stops at the start limit', async () => {
  await withNode(async (node, root) => {
    writeUnit(root, 'again.service', '[Unit]\nStartLimitIntervalSec=1h\nStartLimitBurst=3\n[Service]\nExecStart=/bin/sleep 600\nRestart=always\nRestartSec=50ms\n');
    await node.request('start', 'again.service');
    for (let round = 1; round <= 2; round++) {
      const before = node.status('again.service').mainPid!;
      process.kill(before, 'SIGKILL');
      const s = await waitFor('a new main process', () => {
        const st = node.status('again.service');
        return st.subState === 'running' && st.mainPid !== before ? st : undefined;
      });
      assert.equal(s.nRestarts, round);
    }
    process.kill(node.status('again.service').mainPid!, 'SIGKILL');
    const s = await waitState(node, 'again.service', 'failed/failed');
    assert.equal(s.result, 'start-limit-hit');
  });
});

test('node: a process ignoring SIGTERM is killed after TimeoutStopSec; KillSignal= is what it gets first', async () => {
  const m = marker();
  await withNode(async (node, root) => {
    writeUnit(root, 'stubborn.service', `[Service]\nExecStart=/bin/sh -c "trap '' TERM; sleep ${m} & wait; sleep ${m}"\nTimeoutStopSec=300ms\n`);
    writeUnit(root, 'hup.service', `[Service]\nExecStart=/bin/sh -c "trap 'echo got HUP; exit 0' HUP; sleep 600 & wait"\nKillSignal=SIGHUP\n`);
    await node.request('start', 'stubborn.service');
    await waitFor('the sleep', () => pidsWith(`sleep ${m}`).length === 1);
    const r = await node.request('stop', 'stubborn.service');
    assert.ok(r.ok);
    const s = node.status('stubborn.service');
    assert.deepEqual([s.activeState, s.result], ['failed', 'timeout']);
    assert.deepEqual(pidsWith(`sleep ${m}`), []);
    assert.ok(node.journal.read({ units: ['stubborn.service'] }).some((e) => e.msg === "stubborn.service: State 'stop-sigterm' timed out. Killing."));
    await node.request('start', 'hup.service');
    await new Promise((r) => setTimeout(r, 100));
    await node.request('stop', 'hup.service');
    await waitFor('the HUP line', () => node.journal.read({ units: ['hup.service'] }).some((e) => e.msg === 'got HUP'));
  });
});

test('node: Type=forking with PIDFile= follows the daemon; Type=notify waits for READY=1', async () => {
  const m = marker();
  await withNode(async (node, root) => {
    const pidFile = path.join(root, 'run/daemon.pid');
    writeUnit(root, 'forking.service', `[Service]\nType=forking\nPIDFile=${pidFile}\nExecStart=/bin/sh -c "sleep ${m} & echo $! > ${pidFile}"\n`);
    const r = await node.request('start', 'forking.service');
    assert.ok(r.ok && r.result === 'done');
    const s = node.status('forking.service');
    assert.equal(`${s.activeState}/${s.subState}`, 'active/running');
    // The daemon may not have exec'd sleep yet (its cmdline is still the shell's) when the parent has exited.
    assert.deepEqual([s.mainPid], await waitFor('the daemon to exec sleep', () => (pidsWith(`sleep ${m}`).length > 0 ? pidsWith(`sleep ${m}`) : undefined)));
    process.kill(s.mainPid!, 'SIGTERM');
    await waitState(node, 'forking.service', 'inactive/dead');

    const lib = path.resolve('node_modules/unix-dgram');
    const script = `const u=require(${JSON.stringify(lib)});setTimeout(()=>{const s=u.createSocket('unix_dgram');const b=Buffer.from('READY=1\\nSTATUS=serving');s.send(b,0,b.length,process.env.NOTIFY_SOCKET,()=>s.close())},200);setInterval(()=>{},1000)`;
    fs.writeFileSync(path.join(root, 'notify.js'), script);
    writeUnit(root, 'ready.service', `[Service]\nType=notify\nExecStart=${process.execPath} ${path.join(root, 'notify.js')}\n`);
    const seen: string[] = [];
    node.on('changed', (st: { name: string; subState: string }) => { if (st.name === 'ready.service') seen.push(st.subState); });
    const n = await node.request('start', 'ready.service');
    assert.ok(n.ok && n.result === 'done');
    const st = node.status('ready.service');
    assert.deepEqual([st.subState, st.statusText], ['running', 'serving']);
    assert.ok(seen.includes('start'), 'it waited in activating/start');
  });
});

test('node: boot starts what multi-user.target wants; shutdown stops in reverse order and leaves nothing', async () => {
  const m = marker();
  const root = tempRoot();
  writeUnit(root, 'db.service', `[Unit]\nDescription=DB\n[Service]\nExecStart=/bin/sleep ${m}\n[Install]\nWantedBy=multi-user.target\n`);
  writeUnit(root, 'app.service', `[Unit]\nDescription=App\nRequires=db.service\nAfter=db.service\n[Service]\nExecStart=/bin/sleep ${m}\n`);
  writeUnit(root, 'multi-user.target.wants/app.service', '', 'etc/systemd/system');
  fs.rmSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/app.service'));
  fs.symlinkSync(path.join(root, 'etc/systemd/system/app.service'), path.join(root, 'etc/systemd/system/multi-user.target.wants/app.service'));
  const node = new InitNode(root, { pollMs: 20 });
  try {
    const r = await node.boot();
    assert.ok(r.ok && r.result === 'done');
    assert.equal(node.status('app.service').subState, 'running');
    assert.equal(node.status('db.service').subState, 'running');
    assert.equal(pidsWith(`sleep ${m}`).length, 2);
  } finally {
    await node.shutdown();
  }
  assert.deepEqual(pidsWith(`sleep ${m}`), []);
  const stopped = node.journal.read().filter((e) => e.msg.startsWith('Stopped')).map((e) => e.msg);
  assert.deepEqual(stopped.slice(-3), ['Stopped target Multi-User System.', 'Stopped App.', 'Stopped DB.']);
});

test('node: a .timer starts its service when it elapses, again and again', async () => {
  await withNode(async (node, root) => {
    writeUnit(root, 'tick.timer', '[Timer]\nOnActiveSec=50ms\nOnUnitActiveSec=100ms\n');
    writeUnit(root, 'tick.service', '[Service]\nType=oneshot\nExecStart=/bin/sh -c "echo tick >> $CORACLE_ROOT/ticks"\n');
    const r = await node.request('start', 'tick.timer');
    assert.ok(r.ok && r.result === 'done');
    assert.equal(node.status('tick.timer').subState, 'waiting');
    await waitFor('three ticks', () => {
      try {
        return fs.readFileSync(path.join(root, 'ticks'), 'utf8').split('\n').length > 3;
      } catch {
        return false;
      }
    });
    await node.request('stop', 'tick.timer');
    assert.equal(node.status('tick.timer').activeState, 'inactive');
  });
});

test('node: Condition*= paths are checked inside the machine root', async () => {
  await withNode(async (node, root) => {
    fs.mkdirSync(path.join(root, 'etc/coreos'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/coreos/update.conf'), 'GROUP=stable\n');
    writeUnit(root, 'yes.service', '[Unit]\nConditionPathExists=/etc/coreos/update.conf\nConditionFileNotEmpty=/etc/coreos/update.conf\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n');
    writeUnit(root, 'no.service', '[Unit]\nConditionPathExists=!/etc/coreos/update.conf\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n');
    await node.request('start', 'yes.service');
    await node.request('start', 'no.service');
    assert.equal(node.status('yes.service').activeState, 'active');
    const no = node.status('no.service');
    assert.deepEqual([no.activeState, no.conditionResult, no.failedCondition], ['inactive', false, 'PathExists=!/etc/coreos/update.conf']);
  });
});

test('node: the cloud-config drop-in for etcd2 (run/systemd/system/etcd2.service.d/20-cloudinit.conf) reaches the daemon', async () => {
  await withNode(async (node, root) => {
    const seeds = path.resolve(fileURLToPath(import.meta.url), '../../../../../shared/fixtures/seeds');
    writeUnit(root, 'etcd2.service', '[Unit]\nDescription=etcd2\n[Service]\nType=oneshot\nExecStart=/bin/sh -c "env | grep ^ETCD_ | sort"\n', 'lib/systemd/system');
    writeUnit(root, 'etcd2.service.d/20-cloudinit.conf', fs.readFileSync(path.join(seeds, 'etcd2-expected-20-cloudinit.conf'), 'utf8'), 'run/systemd/system');
    const r = await node.request('start', 'etcd2.service');
    assert.ok(r.ok && r.result === 'done');
    const conf = fs.readFileSync(path.join(seeds, 'etcd2-expected-20-cloudinit.conf'), 'utf8');
    const want = [...conf.matchAll(/^Environment="(.*)"$/gm)].map((m) => m[1]!).sort();
    assert.ok(want.length >= 5);
    const got = await waitFor('the environment', () => {
      const lines = node.journal.read({ units: ['etcd2.service'] }).filter((e) => e.stream === 'stdout').map((e) => e.msg);
      return lines.length >= want.length ? lines : undefined;
    });
    assert.deepEqual(got, want);
    assert.deepEqual(node.status('etcd2.service').dropInPaths, [path.join(root, 'run/systemd/system/etcd2.service.d/20-cloudinit.conf')]);
  });
});
