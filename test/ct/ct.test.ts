// ct: the seed's Container Linux Config and table cases against what the
// real transpiler produced (reference §2.3 and §7.2, and ct's source: Go's
// field order for Ignition 2.3.0, the converters' order and messages).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatReport, marshal, transpile } from '../../src/ct/transpile.js';
import { applyConfigToMachine, markFirstBoot } from '../../src/cloudinit/machine.js';

const BIN = path.resolve(fileURLToPath(import.meta.url), '../../../../bin/coracle.js');
const SEED = path.resolve(fileURLToPath(import.meta.url), '../../../../../shared/fixtures/seeds/swarm-container-linux-config.yml');

function ct(input: string, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'ct', ...args], { input, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function dropinOf(yaml: string, platform?: string): string {
  const r = transpile(yaml, platform ? { platform } : {});
  assert.ok(r.config, formatReport([...r.parseReport, ...r.convertReport]));
  const units = (r.config.systemd as { units: { dropins: { contents: string }[] }[] }).units;
  return units[0]!.dropins[0]!.contents;
}

function fileSource(yaml: string, p: string): string {
  const r = transpile(yaml);
  assert.ok(r.config, formatReport([...r.parseReport, ...r.convertReport]));
  const files = (r.config.storage as { files: { path: string; contents: { source: string } }[] }).files;
  return files.find((f) => f.path === p)!.contents.source;
}

// What ct printed for the seed (no -pretty): the always-present ignition
// block, empty networkd and storage, the user's keys and units as given.
const SEED_JOIN =
  '[Unit]\\nDescription=Docker swarm join script\\nRequires=docker.service\\nAfter=docker.service\\n\\n[Service]\\nType=oneshot\\n' +
  'ExecStart=/usr/bin/docker swarm join --token SWMTKN-1-example 127.0.0.2:2377\\n\\n[Install]\\nWantedBy=multi-user.target\\n';
const SEED_LEAVE =
  '[Unit]\\nDescription=Docker swarm leave script\\nBefore=shutdown.target reboot.target halt.target\\n\\n[Service]\\nType=oneshot\\n' +
  'RemainAfterExit=yes\\nExecStart=/bin/true\\nExecStop=/usr/bin/docker swarm leave\\n\\n[Install]\\nWantedBy=multi-user.target\\n';
const SEED_IGNITION =
  '{"ignition":{"config":{},"security":{"tls":{}},"timeouts":{},"version":"2.3.0"},"networkd":{},' +
  '"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEXAMPLEKEY core@example"]}]},' +
  '"storage":{},"systemd":{"units":[' +
  `{"contents":"${SEED_JOIN}","enabled":true,"name":"docker-swarm-join.service"},` +
  `{"contents":"${SEED_LEAVE}","enabled":true,"name":"docker-swarm-leave.service"}]}}`;

test('the seed Swarm config transpiles to what ct produced, and applies on first boot with both units enabled', async () => {
  const r = ct('', '--in-file', SEED);
  assert.deepEqual(r, { code: 0, out: SEED_IGNITION, err: '' });
  // -pretty is Go's MarshalIndent with two spaces and a final newline.
  const pretty = ct(fs.readFileSync(SEED, 'utf8'), '-pretty');
  assert.equal(pretty.code, 0);
  assert.equal(pretty.out, `${JSON.stringify(JSON.parse(SEED_IGNITION), null, 2)}\n`);
  assert.ok(pretty.out.startsWith('{\n  "ignition": {\n    "config": {},\n    "security": {\n      "tls": {}\n    },\n'));

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-ct-'));
  try {
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\ncore:x:500:500:CoreOS Admin:/home/core:/bin/bash\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\ncore:x:500:\n');
    markFirstBoot(root);
    const rep = await applyConfigToMachine({ root, config: r.out, initSocket: null });
    assert.equal(rep.error, undefined);
    assert.deepEqual(rep.actions.map((a) => `${a.action} ${a.unit}`), ['enable docker-swarm-join.service', 'enable docker-swarm-leave.service']);
    for (const u of ['docker-swarm-join.service', 'docker-swarm-leave.service']) {
      assert.equal(fs.readlinkSync(path.join(root, 'etc/systemd/system/multi-user.target.wants', u)), path.join(root, 'etc/systemd/system', u));
    }
    assert.equal(
      fs.readFileSync(path.join(root, 'home/core/.ssh/authorized_keys.d/coreos-ignition'), 'utf8'),
      'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEXAMPLEKEY core@example\n',
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('etcd: → etcd-member.service drop-in with flags in struct order (reference §2.3)', () => {
  const yaml = 'etcd:\n  version: "3.3.9"\n  name: node1\n  listen_client_urls: http://0.0.0.0:2379\n  advertise_client_urls: http://10.0.0.5:2379\n  enable_v2: false\n';
  assert.equal(
    dropinOf(yaml),
    '[Service]\nEnvironment="ETCD_IMAGE_TAG=v3.3.9"\nExecStart=\nExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n  --name="node1" \\\n  --enable-v2=false \\\n' +
      '  --listen-client-urls="http://0.0.0.0:2379" \\\n  --advertise-client-urls="http://10.0.0.5:2379"',
  );
  const r = transpile(yaml);
  const unit = (r.config!.systemd as { units: Record<string, unknown>[] }).units[0]!;
  assert.deepEqual(Object.keys(unit), ['dropins', 'enable', 'name']);
  assert.equal(unit.name, 'etcd-member.service');
  assert.equal(unit.enable, true);
  // Dynamic data with -platform ec2; no ETCD_IMAGE_TAG without version.
  assert.equal(
    dropinOf('etcd:\n  name: "{HOSTNAME}"\n  advertise_client_urls: "http://{PRIVATE_IPV4}:2379"\n', 'ec2'),
    '[Unit]\nRequires=coreos-metadata.service\nAfter=coreos-metadata.service\n\n[Service]\nEnvironmentFile=/run/metadata/coreos\nExecStart=\n' +
      'ExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n  --name="${COREOS_EC2_HOSTNAME}" \\\n  --advertise-client-urls="http://${COREOS_EC2_IPV4_LOCAL}:2379"',
  );
  assert.equal(dropinOf('etcd:\n  name: "{PRIVATE_IPV4}"\n', 'gce').includes('--name="${COREOS_GCE_IP_LOCAL_0}"'), true);
  assert.equal(dropinOf('etcd:\n  name: "{PRIVATE_IPV4}"\n', 'custom').includes('--name="${COREOS_CUSTOM_PRIVATE_IPV4}"'), true);
});

test('update: and locksmith: → one /etc/coreos/update.conf after the user files (reference §7.2)', () => {
  const yaml =
    'storage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n      contents:\n        inline: "Hello, world!"\n' +
    'update:\n  group: stable\n  server: https://updates.example.com/v1/update/\n' +
    'locksmith:\n  reboot_strategy: etcd-lock\n  window_start: "Thu 04:00"\n  window_length: 1h\n';
  assert.equal(
    fileSource(yaml, '/etc/coreos/update.conf'),
    'data:,GROUP%3Dstable%0ASERVER%3Dhttps%3A%2F%2Fupdates.example.com%2Fv1%2Fupdate%2F%0AREBOOT_STRATEGY%3D%22etcd-lock%22%0ALOCKSMITHD_REBOOT_WINDOW_START%3D%22Thu%2004%3A00%22%0ALOCKSMITHD_REBOOT_WINDOW_LENGTH%3D%221h%22',
  );
  assert.equal(fileSource(yaml, '/etc/motd'), 'data:,Hello%2C%20world!');
  const files = (transpile(yaml).config!.storage as { files: Record<string, unknown>[] }).files;
  assert.deepEqual(files.map((f) => f.path), ['/etc/motd', '/etc/coreos/update.conf']);
  assert.deepEqual(Object.keys(files[1]!), ['filesystem', 'path', 'contents', 'mode']);
  assert.equal(files[1]!.mode, 420);
  // Without update: the content starts with a newline, as observed.
  assert.match(fileSource('locksmith:\n  reboot_strategy: etcd-lock\n', '/etc/coreos/update.conf'), /^data:,%0AREBOOT_STRATEGY%3D%22etcd-lock%22$/);
});

test('docker:, flannel: and Go JSON escaping', () => {
  assert.equal(dropinOf('docker:\n  flags:\n    - --insecure-registry=10.0.1.0/24\n    - --debug\n'), '[Service]\nEnvironment="DOCKER_OPTS=--insecure-registry=10.0.1.0/24 --debug"');
  assert.equal(
    dropinOf('flannel:\n  etcd_endpoints: http://127.0.0.1:2379\n  interface: eth1\n  network_config: \'{"Network":"10.1.0.0/16"}\'\n'),
    '[Service]\nExecStart=\nExecStart=/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS \\\n  --etcd-endpoints="http://127.0.0.1:2379" \\\n  --iface="eth1"\n' +
      'ExecStartPre=/usr/bin/etcdctl --endpoints="http://127.0.0.1:2379" set /coreos.com/network/config "{\\"Network\\":\\"10.1.0.0/16\\"}"',
  );
  const r = transpile('systemd:\n  units:\n    - name: a.service\n      contents: "[Service]\\nExecStart=/bin/sh -c \'x 2>&1 <y\'\\n"\n');
  assert.ok(marshal(r.config!, false).includes('x 2\\u003e\\u00261 \\u003cy'));
});

test('errors and warnings with line and column, as ct printed them; exit codes and --strict', () => {
  assert.deepEqual(ct('locksmith:\n  reboot_strategy: always\n'), {
    code: 1, out: '', err: 'error at line 2, column 20\nunknown reboot strategy\nFailed to parse config\n',
  });
  assert.deepEqual(ct('locksmith:\n  window_start: "Thu 04:00"\n'), {
    code: 1, out: '', err: 'error at line 2, column 3\nwindow-start and window-length must both be specified\nFailed to parse config\n',
  });
  assert.equal(ct('locksmith:\n  window_start: "Fun 04:00"\n  window_length: 1h\n').err, 'error at line 2, column 17\nunknown day in window start\nFailed to parse config\n');
  assert.equal(ct('locksmith:\n  window_start: "Thu 4"\n  window_length: 1h\n').err, "error at line 2, column 17\ncouldn't parse window start\nFailed to parse config\n");
  assert.equal(ct('locksmith:\n  window_start: "Thu 04:00"\n  window_length: soon\n').err, "error at line 3, column 18\ncouldn't parse window length\nFailed to parse config\n");

  // Warnings print, and only fail with --strict.
  const warn = ct('update:\n  group: nightly\nsystemd:\n  unitz: []\n  units:\n    - name: a.service\n      Enabled: true\n');
  assert.equal(warn.code, 0);
  assert.equal(
    warn.err,
    // Go's validator recurses into a struct's fields before it lists the struct's own unused keys.
    // and goes through Config's fields in order (systemd before update).
    'warning at line 7, column 7\nConfig has unrecognized key: Enabled\ninfo at line 7, column 7\nDid you mean enabled instead of Enabled\n' +
      'warning at line 4, column 3\nConfig has unrecognized key: unitz\nwarning at line 2, column 3\nunknown update group\n',
  );
  const strict = ct('update:\n  group: nightly\n', '--strict');
  assert.deepEqual(strict, { code: 1, out: '', err: 'warning at line 2, column 3\nunknown update group\nFailed to parse config\n' });
  const mode = ct('storage:\n  files:\n    - path: /etc/motd\n      contents:\n        inline: hi\n');
  assert.equal(mode.code, 0);
  assert.equal(mode.err, 'warning at line 3, column 7\nmode unspecified for file, defaulting to 0644\n');
  assert.match(mode.out, /"mode":420/);

  assert.deepEqual(ct('systemd:\n  units:\n    - name: a.service\n      enabled: maybe\n'), {
    code: 1, out: '', err: 'error: yaml: unmarshal errors:\n  line 4: cannot unmarshal !!str `maybe` into bool\nFailed to parse config\n',
  });
  assert.deepEqual(ct('etcd:\n  name: "{HOSTNAME}"\n'), { code: 1, out: '', err: 'error: platform must be specified to use templating\n' });
  assert.deepEqual(ct('etcd:\n  name: x\n', '--platform', 'mars'), { code: 1, out: '', err: 'error: unsupported platform\n' });
  assert.equal(ct('etcd:\n  version: "2.2.0"\n').err, 'error at line 2, column 12\nEtcd version specified is not valid (too old)\nFailed to parse config\n');
  assert.equal(ct('systemd:\n  units:\n    - name: web\n').err, 'error at line 3, column 13\ninvalid systemd unit extension\n');
  assert.equal(ct('storage:\n  files:\n    - path: etc/motd\n      mode: 420\n').err, 'error at line 3, column 13\npath not absolute\n');
  assert.equal(ct('version: 1\n').err, 'error at line 1, column 10\nInvalid version. Only version 0 is supported\nFailed to parse config\n');
  assert.equal(ct('').err, 'warning: Configuration is empty\n');
});

test('YAML 1.1 scalars as go-yaml v2 read them: 0644 is octal, yes is true, numbers become strings where a string is wanted', () => {
  const r = transpile('storage:\n  files:\n    - path: /x\n      mode: 0755\npasswd:\n  users:\n    - name: 1000\n      no_create_home: yes\n');
  assert.ok(r.config);
  assert.equal((r.config.storage as { files: { mode: number }[] }).files[0]!.mode, 493);
  assert.deepEqual((r.config.passwd as { users: unknown[] }).users[0], { name: '1000', noCreateHome: true });
});

test('bad input never throws: seeded mutations of the seed and random bytes', () => {
  let a = 0x5eed;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const base = fs.readFileSync(SEED, 'utf8');
  const alphabet = ' \n\t:-[]{}"\'|>#&*!%@`,?0123456789abcdefxyz';
  for (let i = 0; i < 2000; i++) {
    const chars = [...base];
    for (let n = 1 + Math.floor(rand() * 6); n > 0; n--) chars[Math.floor(rand() * chars.length)] = alphabet[Math.floor(rand() * alphabet.length)]!;
    const text = i % 4 === 0 ? Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256))).toString('latin1') : chars.join('');
    try {
      const r = transpile(text, { platform: i % 2 ? 'ec2' : '' });
      if (r.config) marshal(r.config, i % 3 === 0);
    } catch (e) {
      assert.fail(`case ${i} threw ${(e as Error).stack}\n--- input:\n${text}`);
    }
  }
});
