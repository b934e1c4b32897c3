// `coracle cloudinit` as a user runs it: validate exit codes and output, and
// apply against a running `coracle node` (enables, masks, commands in order,
// etc/environment respected, idempotent), scripts, and a root with no init.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { marker, pidsWith, tempRoot, waitFor } from '../init/helpers.js';

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

async function withNodeProcess(root: string, fn: () => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'node', '--root', root, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor('the control socket', () => fs.existsSync(path.join(root, 'run/coracle/init.sock')));
    await fn();
  } finally {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(killer);
    assert.equal(code, 0, `coracle node exits 0 on SIGTERM; its log:\n${log}`);
  }
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
