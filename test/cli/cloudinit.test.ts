// `coracle cloudinit` as a user runs it: validate exit codes and output, and
// apply against a running `coracle node` (enables, masks, commands in order,
// etc/environment respected, idempotent), scripts, and a root with no init.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { marker, pidsWith, tempRoot, waitFor, withNodeProcess as runNode } from '../init/helpers.js';

/** A quiet `coracle node` around `fn` (its log would only repeat the journal). */
const withNodeProcess = async (root: string, fn: () => Promise<void>): Promise<void> => void (await runNode(root, fn, ['--quiet']));

const BIN = path.resolve(fileURLToPath(import.meta.url), '../../../../bin/coracle.js');
const SEEDS = path.resolve(fileURLToPath(import.meta.url), '../../../../../shared/fixtures/seeds');

function coracle(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Go's log lines without their date prefix. */
function logLines(err: string): string[] {
  return err.split('\n').filter((l) => l !== '').map((l) => l.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, ''));
}


function writeConfig(text: string): string {
  const dir = tempRoot();
  const p = path.join(dir, 'user-data');
  fs.writeFileSync(p, text);
  return p;
}

test('--validate prints the original report and exits 1 when it has any entry', () => {
  const bad = writeConfig('#cloud-config\ncoreos:\n  units:\n    - command: lol\n  flannel:\n    bad: 1\n');
  assert.deepEqual(coracle('cloudinit', '--validate', '--from-file', bad), {
    code: 1,
    // checkStructure runs before checkValidity, so the warning comes first.
    out: 'line 6: warning: unrecognized key "bad"\nline 4: error: invalid value lol\n',
    err: '',
  });
  // Go's single-dash flags work too, and JSON is the original's entry form.
  const json = coracle('cloudinit', '-validate', '-output', 'json', '-from-file', bad);
  assert.equal(json.code, 1);
  assert.equal(json.out, '[{"kind":"warning","line":6,"message":"unrecognized key \\"bad\\""},{"kind":"error","line":4,"message":"invalid value lol"}]\n');
  for (const seed of ['sakura-cloud-config.yml', 'etcd-env-cloud-config.yml', 'webserver-unit-cloud-config.yml']) {
    assert.deepEqual(coracle('cloudinit', '--validate', '--from-file', path.join(SEEDS, seed)), { code: 0, out: '', err: '' }, seed);
  }
  const notConfig = writeConfig('hostname: x\n');
  assert.deepEqual(coracle('cloudinit', '--validate', '--from-file', notConfig), { code: 1, out: 'line 1: error: must be "#cloud-config" or begin with "#!"\n', err: '' });
});

test('usage errors exit 2 with the original messages', () => {
  const none = coracle('cloudinit', '--root', tempRoot());
  assert.equal(none.code, 2);
  assert.match(none.out, /^Provide at least one of --from-file, --from-configdrive, /);
  const oem = coracle('cloudinit', '--oem', 'nope', '--from-file', '/dev/null');
  assert.equal(oem.code, 2);
  assert.match(oem.out, /^Invalid option to -oem: "nope"\. Supported options: \[/);
  assert.equal(coracle('cloudinit', '--bogus').code, 2);
  const help = coracle('cloudinit', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /Examples:\n {2}coracle cloudinit --validate --from-file cloud-config.yml/);
});

test('malformed user-data exits 1, or 0 with --ignore-failure', () => {
  const root = tempRoot();
  const bad = writeConfig('this is not user-data\n');
  const r = coracle('cloudinit', '--root', root, '--no-init', '--from-file', bad);
  assert.equal(r.code, 1);
  assert.ok(logLines(r.err).includes('Failed to parse user-data: Unrecognized user-data format'), r.err);
  assert.equal(coracle('cloudinit', '--root', root, '--no-init', '--ignore-failure', '--from-file', bad).code, 0);
  const missing = coracle('cloudinit', '--root', root, '--no-init', '--from-file', path.join(root, 'nope'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /Failed fetching user-data from datasource: ENOENT/);
});

test('apply against a running node: write, mask, enable, daemon-reload, then commands in order; etc/environment is respected; a second apply changes nothing', async () => {
  const root = tempRoot();
  const m = marker();
  const order = path.join(root, 'order');
  // A unit the config masks, present before.
  fs.mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/systemd/system/gone.service'), '[Service]\nExecStart=/bin/true\n');
  const config = [
    '#cloud-config',
    'write_files:',
    '  - path: /etc/environment',
    '    content: |',
    '      GREETING=hello-from-environment',
    'coreos:',
    '  units:',
    '    - name: web.service',
    '      enable: true',
    '      command: start',
    '      content: |',
    '        [Unit]',
    '        Description=Demo web',
    '        [Service]',
    `        ExecStart=/bin/sleep ${m}`,
    '        [Install]',
    '        WantedBy=multi-user.target',
    '    - name: second.service',
    '      command: start',
    '      content: |',
    '        [Service]',
    '        Type=oneshot',
    '        RemainAfterExit=yes',
    '        EnvironmentFile=/etc/environment',
    `        ExecStart=/bin/sh -c 'echo second $GREETING >> ${order}'`,
    '    - name: first.service',
    '      command: start',
    '      content: |',
    '        [Service]',
    '        Type=oneshot',
    '        RemainAfterExit=yes',
    `        ExecStart=/bin/sh -c 'echo first >> ${order}'`,
    '    - name: gone.service',
    '      mask: true',
    '',
  ].join('\n');
  const cfg = writeConfig(config);
  await withNodeProcess(root, async () => {
    const r = coracle('cloudinit', '--root', root, '--from-file', cfg);
    assert.equal(r.code, 0, r.err);
    const lines = logLines(r.err);
    const expectInOrder = [
      'Fetching user-data from datasource of type "local-file"',
      'Parsing user-data as cloud-config',
      'Merging cloud-config from meta-data and user-data',
      'Wrote file /etc/environment to filesystem',
      'Writing unit "web.service" to filesystem',
      'Wrote unit "web.service"',
      'Masking unit file "gone.service"',
      'Enabling unit file "web.service"',
      'Enabled unit "web.service"',
      'Calling unit command "start" on "web.service"',
      'Result of "start" on "web.service": done',
      'Calling unit command "start" on "second.service"',
      'Result of "start" on "second.service": done',
      'Calling unit command "start" on "first.service"',
      'Result of "start" on "first.service": done',
    ];
    let at = -1;
    for (const want of expectInOrder) {
      const i = lines.indexOf(want, at + 1);
      assert.ok(i > at, `"${want}" after line ${at} in:\n${lines.join('\n')}`);
      at = i;
    }
    // The commands ran in the config's order, and the unit read etc/environment.
    assert.equal(fs.readFileSync(order, 'utf8'), 'second hello-from-environment\nfirst\n');
    assert.deepEqual(coracle('systemctl', '--root', root, 'is-active', 'web.service'), { code: 0, out: 'active\n', err: '' });
    assert.equal(pidsWith(`sleep ${m}`).length, 1);
    assert.deepEqual(coracle('systemctl', '--root', root, 'is-enabled', 'web.service'), { code: 0, out: 'enabled\n', err: '' });
    assert.equal(fs.readlinkSync(path.join(root, 'etc/systemd/system/gone.service')), '/dev/null');
    assert.equal(coracle('systemctl', '--root', root, 'start', 'gone.service').code, 1);

    // Second apply: same files; start on running units is a no-op job.
    const snapshot = (): string =>
      ['etc/environment', 'etc/systemd/system/web.service', 'etc/systemd/system/second.service'].map((p) => fs.readFileSync(path.join(root, p), 'utf8')).join('\0');
    const before = snapshot();
    const again = coracle('cloudinit', '--root', root, '--from-file', cfg, '--output', 'json');
    assert.equal(again.code, 0, again.err);
    const rep = JSON.parse(again.out) as { actions: { action: string; unit?: string; result: string }[]; notRun: string[] };
    assert.deepEqual(
      rep.actions.filter((a) => a.action === 'start').map((a) => `${a.unit}:${a.result}`),
      ['web.service:done', 'second.service:done', 'first.service:done'],
    );
    assert.deepEqual(rep.notRun, []);
    assert.equal(snapshot(), before);
    assert.equal(fs.readFileSync(order, 'utf8'), 'second hello-from-environment\nfirst\n', 'active oneshots are not run again');
    assert.equal(pidsWith(`sleep ${m}`).length, 1);
  });
});

test('a "#!" script runs as a transient oneshot unit through the init', async () => {
  const root = tempRoot();
  const out = path.join(root, 'script-ran');
  const script = writeConfig(`#!/bin/bash\necho "ran as $0" > ${out}\n`);
  await withNodeProcess(root, async () => {
    const r = coracle('cloudinit', '--root', root, '--from-file', script, '--output', 'json');
    assert.equal(r.code, 0, r.err);
    const rep = JSON.parse(r.out) as { kind: string; scriptUnit: string; actions: { result: string }[] };
    assert.equal(rep.kind, 'script');
    assert.match(rep.scriptUnit, /^coreos-cloudinit-\d+\.service$/);
    assert.equal(rep.actions[0]?.result, 'done');
    await waitFor('the script output', () => fs.existsSync(out));
    assert.match(fs.readFileSync(out, 'utf8'), new RegExp(`^ran as ${root}/var/lib/coreos-cloudinit/scripts/\\d+\\n$`));
  });
});

test('with no init: files and enable links are written, commands are reported not run (exit 1; 0 with --no-init)', () => {
  const root = tempRoot();
  const cfg = writeConfig(
    '#cloud-config\nhostname: offline1\ncoreos:\n  units:\n    - name: web.service\n      enable: true\n      command: start\n      content: |\n        [Service]\n        ExecStart=/bin/true\n        [Install]\n        WantedBy=multi-user.target\n',
  );
  const r = coracle('cloudinit', '--root', root, '--from-file', cfg);
  assert.equal(r.code, 1);
  assert.ok(r.err.includes(`Not run (no init answers on ${root}/run/coracle/init.sock): start web.service\n`), r.err);
  assert.equal(fs.readFileSync(path.join(root, 'etc/hostname'), 'utf8'), 'offline1\n');
  assert.equal(fs.readlinkSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/web.service')), path.join(root, 'etc/systemd/system/web.service'));
  const offline = coracle('cloudinit', '--root', root, '--no-init', '--from-file', cfg);
  assert.equal(offline.code, 0);
  assert.ok(offline.err.includes('Not run (--no-init): start web.service\n'), offline.err);
});

test('an etcd2 seed applies to a root with $private_ipv4 from the flag and COREOS_* from etc/environment', () => {
  const root = tempRoot();
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/environment'), 'COREOS_PUBLIC_IPV4=203.0.113.5\n');
  const cfg = writeConfig('#cloud-config\ncoreos:\n  etcd2:\n    name: node1\n    advertise-client-urls: http://$private_ipv4:2379\n  fleet:\n    public-ip: $public_ipv4\n');
  const r = coracle('cloudinit', '--root', root, '--no-init', '--from-file', cfg, '--private-ipv4', '10.0.0.5');
  assert.equal(r.code, 0, r.err);
  assert.equal(
    fs.readFileSync(path.join(root, 'run/systemd/system/etcd2.service.d/20-cloudinit.conf'), 'utf8'),
    '[Service]\nEnvironment="ETCD_ADVERTISE_CLIENT_URLS=http://10.0.0.5:2379"\nEnvironment="ETCD_NAME=node1"\n',
  );
  assert.equal(fs.readFileSync(path.join(root, 'run/systemd/system/fleet.service.d/20-cloudinit.conf'), 'utf8'), '[Service]\nEnvironment="FLEET_PUBLIC_IP=203.0.113.5"\n');
  assert.equal(fs.readFileSync(path.join(root, 'etc/environment'), 'utf8'), 'COREOS_PUBLIC_IPV4=203.0.113.5\nCOREOS_PRIVATE_IPV4=10.0.0.5\n');
});

test('every unit command verb through the init: stop, restart, try-restart, reload-or-restart, reload-or-try-restart', async () => {
  const root = tempRoot();
  const m = marker();
  const log = path.join(root, 'reloads');
  fs.mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/systemd/system/svc.service'), `[Service]\nExecStart=/bin/sleep ${m}\nExecReload=/bin/sh -c 'echo reload >> ${log}'\n`);
  fs.writeFileSync(path.join(root, 'etc/systemd/system/plain.service'), `[Service]\nExecStart=/bin/sleep ${m}1\n`);
  const cfg = writeConfig(
    [
      '#cloud-config',
      'coreos:',
      '  units:',
      '    - name: plain.service',
      '      command: try-restart',
      '    - name: svc.service',
      '      command: reload-or-try-restart',
      '    - name: svc.service',
      '      command: start',
      '    - name: svc.service',
      '      command: reload-or-restart',
      '    - name: plain.service',
      '      command: reload-or-restart',
      '    - name: plain.service',
      '      command: restart',
      '    - name: svc.service',
      '      command: stop',
      '',
    ].join('\n'),
  );
  await withNodeProcess(root, async () => {
    const r = coracle('cloudinit', '--root', root, '--from-file', cfg, '--output', 'json');
    assert.equal(r.code, 0, r.err);
    const rep = JSON.parse(r.out) as { actions: { action: string; unit?: string; result: string }[] };
    assert.deepEqual(rep.actions.map((a) => `${a.action} ${a.unit} ${a.result}`), [
      'try-restart plain.service done',
      'reload-or-try-restart svc.service done',
      'start svc.service done',
      'reload-or-restart svc.service done',
      'reload-or-restart plain.service done',
      'restart plain.service done',
      'stop svc.service done',
    ]);
    // svc was reloaded once (it was inactive the first time); plain, which
    // cannot reload, was started by reload-or-restart; svc is stopped.
    assert.equal(fs.readFileSync(log, 'utf8'), 'reload\n');
    assert.deepEqual(coracle('systemctl', '--root', root, 'is-active', 'plain.service'), { code: 0, out: 'active\n', err: '' });
    assert.equal(coracle('systemctl', '--root', root, 'is-active', 'svc.service').out, 'inactive\n');
    // A command on a unit that does not exist stops the apply, as systemd's error did.
    const missing = writeConfig('#cloud-config\ncoreos:\n  units:\n    - name: nope.service\n      command: start\n');
    const bad = coracle('cloudinit', '--root', root, '--from-file', missing);
    assert.equal(bad.code, 1);
    assert.ok(logLines(bad.err).includes('Failed to apply cloud-config: Unit nope.service not found.'), bad.err);
  });
});

test('--from-url fetches the user-data over http; --from-configdrive reads user_data and its metadata', async () => {
  const http = await import('node:http');
  const body = '#cloud-config\nhostname: from-url\n';
  const server = http.createServer((req, res) => {
    if (req.url === '/user-data') res.end(body);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.131', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const root = tempRoot();
    const ok = await new Promise<{ code: number; err: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'cloudinit', '--root', root, '--no-init', '--local-address', '127.0.0.131', '--from-url', `http://127.0.0.131:${port}/user-data`]);
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('exit', (code) => resolve({ code: code ?? -1, err }));
    });
    assert.equal(ok.code, 0, ok.err);
    assert.ok(logLines(ok.err).includes('Fetching user-data from datasource of type "url"'), ok.err);
    assert.equal(fs.readFileSync(path.join(root, 'etc/hostname'), 'utf8'), 'from-url\n');
    const missing = await new Promise<{ code: number; err: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'cloudinit', '--root', root, '--no-init', '--local-address', '127.0.0.131', '--from-url', `http://127.0.0.131:${port}/nope`]);
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('exit', (code) => resolve({ code: code ?? -1, err }));
    });
    assert.equal(missing.code, 1);
    assert.match(missing.err, /Failed fetching user-data from datasource: GET http:\/\/127\.0\.0\.131:\d+\/nope: HTTP 404\. Continuing\.\.\./);
  } finally {
    server.close();
  }

  const root = tempRoot();
  const drive = path.join(root, 'media/configdrive');
  fs.mkdirSync(path.join(drive, 'openstack/latest'), { recursive: true });
  fs.writeFileSync(path.join(drive, 'openstack/latest/user_data'), '#cloud-config\ncoreos:\n  etcd2:\n    advertise-client-urls: http://$private_ipv4:2379\n');
  fs.writeFileSync(path.join(drive, 'openstack/latest/meta_data.json'), JSON.stringify({ hostname: 'drive-host', public_keys: { k: 'ssh-ed25519 AAAADRIVE drive@test' } }));
  fs.mkdirSync(path.join(drive, 'ec2/2009-04-04'), { recursive: true });
  fs.writeFileSync(path.join(drive, 'ec2/2009-04-04/meta-data.json'), JSON.stringify({ 'local-ipv4': '10.1.2.3' }));
  const r = coracle('cloudinit', '--root', root, '--no-init', '--oem', 'ec2-compat');
  assert.equal(r.code, 0, r.err);
  assert.equal(fs.readFileSync(path.join(root, 'etc/hostname'), 'utf8'), 'drive-host\n');
  assert.equal(fs.readFileSync(path.join(root, 'run/systemd/system/etcd2.service.d/20-cloudinit.conf'), 'utf8'), '[Service]\nEnvironment="ETCD_ADVERTISE_CLIENT_URLS=http://10.1.2.3:2379"\n');
  assert.equal(fs.readFileSync(path.join(root, 'home/core/.ssh/authorized_keys.d/coreos-cloudinit'), 'utf8'), 'ssh-ed25519 AAAADRIVE drive@test\n');
});

test('the sakura seed prepared offline: every file written, its three commands listed in order as not run', () => {
  const root = tempRoot();
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\ncore:x:500:500:CoreOS Admin:/home/core:/bin/bash\n');
  fs.writeFileSync(path.join(root, 'etc/shadow'), 'root:*:16000:0:99999:7:::\ncore:*:16000:0:99999:7:::\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\ncore:x:500:\n');
  // (Its timezone.service runs "ln -sf … /etc/localtime" on the host, so it is
  // never started by a test.)
  const r = coracle('cloudinit', '--root', root, '--no-init', '--output', 'json', '--from-file', path.join(SEEDS, 'sakura-cloud-config.yml'));
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(r.out) as { notRun: string[]; written: string[] };
  assert.deepEqual(rep.notRun, ['restart coreos-setup-environment.service', 'restart systemd-networkd.service', 'start timezone.service']);
  assert.equal(fs.readFileSync(path.join(root, 'etc/hostname'), 'utf8'), 'web01\n');
  assert.match(fs.readFileSync(path.join(root, 'etc/shadow'), 'utf8'), /^core:\$6\$rounds=4096\$saltsalt\$3MEa[^:]*:\d+:0:99999:7:::$/m);
  assert.equal(fs.readFileSync(path.join(root, 'etc/systemd/network/10-static.network'), 'utf8'), '[Match]\nName=e*\n\n[Network]\nAddress=192.0.2.10/24\nGateway=192.0.2.1\nDNS=192.0.2.3\nDNS=192.0.2.4\n');
  assert.match(fs.readFileSync(path.join(root, 'etc/systemd/system/timezone.service'), 'utf8'), /^\[Unit\]\nDescription=timezone\n/);
});
