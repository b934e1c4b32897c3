// `coracle node` as a process, driven by `coracle systemctl` and `coracle journalctl`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { marker, pidsWith, tempRoot, waitFor, withNodeProcess, writeUnit } from './helpers.js';

const BIN = path.resolve(fileURLToPath(import.meta.url), '../../../../bin/coracle.js');

function coracle(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}


test('cli: systemctl enable/start/status/stop/kill/is-active/show/cat and journalctl over the socket, with systemd exit codes', async () => {
  const root = tempRoot();
  const m = marker();
  writeUnit(root, 'web.service', `[Unit]\nDescription=Demo web\n[Service]\nExecStart=/bin/sh -c "echo hello; exec sleep ${m}"\n[Install]\nWantedBy=multi-user.target\n`);
  writeUnit(root, 'bad.service', '[Service]\nType=oneshot\nExecStart=/bin/sh -c "exit 3"\n');
  const log = await withNodeProcess(root, async () => {
    const en = coracle('systemctl', '--root', root, 'enable', 'web');
    assert.equal(en.code, 0);
    assert.equal(en.err, `Created symlink ${root}/etc/systemd/system/multi-user.target.wants/web.service → ${root}/etc/systemd/system/web.service.\n`);
    assert.deepEqual(coracle('systemctl', '--root', root, 'is-enabled', 'web.service'), { code: 0, out: 'enabled\n', err: '' });

    assert.equal(coracle('systemctl', '--root', root, 'start', 'web').code, 0);
    assert.deepEqual(coracle('systemctl', '--root', root, 'is-active', 'web'), { code: 0, out: 'active\n', err: '' });
    const st = coracle('systemctl', '--root', root, 'status', 'web');
    assert.equal(st.code, 0);
    const lines = st.out.split('\n');
    assert.equal(lines[0], '● web.service - Demo web');
    assert.equal(lines[1], `     Loaded: loaded (${root}/etc/systemd/system/web.service; enabled)`);
    assert.match(lines[2]!, /^ {5}Active: active \(running\) since \w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w+; .+ ago$/);
    assert.match(lines[3]!, /^ {3}Main PID: \d+ \(sleep\)$/);
    await waitFor('the output line', () => coracle('journalctl', '--root', root, '-u', 'web', '-o', 'cat').out.includes('hello'));

    const show = coracle('systemctl', '--root', root, 'show', '-p', 'ActiveState', '-p', 'SubState,Type', 'web');
    assert.deepEqual(show, { code: 0, out: 'ActiveState=active\nSubState=running\nType=simple\n', err: '' });
    const cat = coracle('systemctl', '--root', root, 'cat', 'web');
    assert.equal(cat.out, `# ${root}/etc/systemd/system/web.service\n${fs.readFileSync(path.join(root, 'etc/systemd/system/web.service'), 'utf8')}`);

    const bad = coracle('systemctl', '--root', root, 'start', 'bad');
    assert.equal(bad.code, 1);
    assert.equal(bad.err, 'Job for bad.service failed because the control process exited with error code.\nSee "systemctl status bad.service" and "journalctl -xeu bad.service" for details.\n');
    const badStatus = coracle('systemctl', '--root', root, 'status', 'bad');
    assert.equal(badStatus.code, 3);
    assert.match(badStatus.out, /Active: failed \(Result: exit-code\) since/);
    assert.match(badStatus.out, /Main PID: \d+ \(code=exited, status=3\/NOTIMPLEMENTED\)/);
    assert.deepEqual(coracle('systemctl', '--root', root, 'is-failed', 'bad'), { code: 0, out: 'failed\n', err: '' });

    assert.deepEqual(coracle('systemctl', '--root', root, 'start', 'nope'), { code: 5, out: '', err: 'Failed to start nope.service: Unit nope.service not found.\n' });
    assert.deepEqual(coracle('systemctl', '--root', root, 'status', 'nope'), { code: 4, out: '', err: 'Unit nope.service could not be found.\n' });

    const j = coracle('journalctl', '--root', root, '-u', 'web.service', '-n', '2', '-o', 'json');
    const entries = j.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e) => e._SYSTEMD_UNIT === 'web.service' || e.UNIT === 'web.service'));

    // journalctl -f prints new lines as they come.
    const follower = spawn(process.execPath, [BIN, 'journalctl', '--root', root, '-u', 'ping', '-f', '-o', 'cat'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let followed = '';
    follower.stdout.on('data', (b: Buffer) => (followed += b.toString()));
    try {
      // Whether it connects before or after the line is written, -f shows it (the last 10 lines, then new ones).
      writeUnit(root, 'ping.service', '[Service]\nType=oneshot\nExecStart=/bin/echo pong\n');
      assert.equal(coracle('systemctl', '--root', root, 'start', 'ping').code, 0);
      await waitFor('the followed line', () => followed.includes('pong\n'));
    } finally {
      follower.kill('SIGTERM');
    }
    assert.match(coracle('journalctl', '--root', root, '-u', 'ping', '--since', '-1h', '-o', 'cat').out, /pong/);
    assert.equal(coracle('journalctl', '--root', root, '-u', 'ping', '--since', 'tomorrow').code, 1, 'an unknown time form is refused');

    assert.equal(coracle('systemctl', '--root', root, 'stop', 'web').code, 0);
    assert.deepEqual(coracle('systemctl', '--root', root, 'is-active', 'web'), { code: 3, out: 'inactive\n', err: '' });
    assert.equal(coracle('systemctl', '--root', root, 'start', 'web').code, 0);
    assert.deepEqual(coracle('systemctl', '--root', root, 'kill', '-s', 'SIGKILL', '--kill-whom=main', 'web'), { code: 0, out: '', err: '' });
    await waitFor('web to fail', () => coracle('systemctl', '--root', root, 'is-failed', 'web').code === 0);
    assert.match(coracle('systemctl', '--root', root, 'status', 'web').out, /code=killed, status=9\/KILL/);
    assert.equal(coracle('systemctl', '--root', root, 'start', 'web').code, 0);
  });
  // SIGTERM stopped what was running.
  assert.deepEqual(pidsWith(`sleep ${m}`), []);
  assert.match(log, /Stopped Demo web\./);
});

test('cli: the node boots enabled units; enable --now starts; mask refuses start; link makes an outside unit file loadable; without a node systemctl says so', async () => {
  const root = tempRoot();
  const m = marker();
  writeUnit(root, 'app.service', `[Service]\nExecStart=/bin/sleep ${m}\n[Install]\nWantedBy=multi-user.target\n`);
  fs.mkdirSync(path.join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
  fs.symlinkSync(path.join(root, 'etc/systemd/system/app.service'), path.join(root, 'etc/systemd/system/multi-user.target.wants/app.service'));
  // Outside every unit directory (not under run/: /run starts empty at boot).
  const outside = path.join(root, 'srv/units/hello.service');
  fs.mkdirSync(path.dirname(outside), { recursive: true });
  fs.writeFileSync(outside, '[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n');
  await withNodeProcess(root, async () => {
    await waitFor('app to be started at boot', () => coracle('systemctl', '--root', root, 'is-active', 'app').out === 'active\n');
    const mask = coracle('systemctl', '--root', root, 'mask', 'other');
    assert.deepEqual(mask, { code: 0, out: '', err: `Created symlink ${root}/etc/systemd/system/other.service → /dev/null.\n` });
    assert.deepEqual(coracle('systemctl', '--root', root, 'start', 'other'), { code: 1, out: '', err: 'Failed to start other.service: Unit other.service is masked.\n' });
    writeUnit(root, 'later.service', `[Service]\nExecStart=/bin/sleep ${m}\n[Install]\nWantedBy=multi-user.target\n`);
    assert.equal(coracle('systemctl', '--root', root, 'enable', '--now', 'later').code, 0);
    assert.deepEqual(coracle('systemctl', '--root', root, 'is-active', 'later'), { code: 0, out: 'active\n', err: '' });
    const link = coracle('systemctl', '--root', root, 'link', '--runtime', outside);
    assert.equal(link.code, 0);
    assert.equal(coracle('systemctl', '--root', root, 'start', 'hello.service').code, 0);
    assert.equal(coracle('systemctl', '--root', root, 'is-active', 'hello').out, 'active\n');
    assert.equal(coracle('systemctl', '--root', root, 'is-enabled', 'hello').out, 'linked-runtime\n');
  });
  assert.deepEqual(pidsWith(`sleep ${m}`), []);
  const none = coracle('systemctl', '--root', root, 'status', 'app');
  assert.equal(none.code, 1);
  assert.match(none.err, /no control socket/);
});

test('cli: bad input gets clear errors and the init stays up (malformed unit, a requirement coracle does not ship, missing binary)', async () => {
  const root = tempRoot();
  // CoreOS units often required systemd-networkd, which coracle does not ship.
  writeUnit(root, 'needs-networkd.service', '[Unit]\nRequires=systemd-networkd.service\nAfter=systemd-networkd.service\n[Service]\nExecStart=/bin/sleep 60\n');
  writeUnit(root, 'broken.service', '[Unit]\nDescription=no command\n[Service]\nType=simple\n');
  writeUnit(root, 'nobin.service', '[Service]\nType=exec\nExecStart=/no/such/bin --flag\n');
  await withNodeProcess(root, async () => {
    assert.deepEqual(coracle('systemctl', '--root', root, 'start', 'needs-networkd'), {
      code: 5, out: '', err: 'Failed to start needs-networkd.service: Unit systemd-networkd.service not found.\n',
    });
    const broken = coracle('systemctl', '--root', root, 'start', 'broken');
    assert.deepEqual(broken, { code: 1, out: '', err: 'Failed to start broken.service: Unit broken.service has a bad unit file setting.\n' });
    const st = coracle('systemctl', '--root', root, 'status', 'broken');
    assert.match(st.out, /Loaded: bad-setting \(Reason: Unit broken.service has a bad unit file setting.\)/);
    assert.match(coracle('journalctl', '--root', root, '-u', 'broken', '-o', 'cat').out, /broken.service: Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing./);
    const nobin = coracle('systemctl', '--root', root, 'start', 'nobin');
    assert.equal(nobin.code, 1);
    assert.match(coracle('journalctl', '--root', root, '-u', 'nobin', '-o', 'cat').out, /Failed to execute \/no\/such\/bin: No such file or directory/);
    assert.match(coracle('systemctl', '--root', root, 'status', 'nobin').out, /status=203\/EXEC/);
    assert.deepEqual(coracle('systemctl', '--root', root, 'status', 'a b'), { code: 1, out: '', err: 'Unit name a b.service is not valid.\n' });
    assert.equal(coracle('systemctl', '--root', root, 'list-units').code, 0, 'the init still answers');
    const second = coracle('node', '--root', root);
    assert.deepEqual(second, { code: 1, out: '', err: `coracle node: another init is running on ${root} (its control socket answers)\n` });
  });
});
