// Detection, substitution, typed parsing and write_files encodings, with
// expected values from the reference (§1.1-1.5, §7.1) and upstream tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import {
  decodeContent,
  detectUserData,
  parseCloudConfig,
  substitute,
  substitutionsFrom,
} from '../../src/cloudinit/index.js';

const H = '#cloud-config\n';
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

test('detection: gzip, header, script, Ignition, empty, unknown', () => {
  assert.equal(detectUserData('').kind, 'empty');
  assert.equal(detectUserData('#cloud-config').kind, 'cloud-config');
  assert.equal(detectUserData('#cloud-config \t\r\nhostname: a').kind, 'cloud-config');
  assert.equal(detectUserData(' #cloud-config\n').kind, 'unknown');
  assert.equal(detectUserData('#cloud-config-x\n').kind, 'unknown');
  assert.equal(detectUserData('#!/bin/sh\necho hi').kind, 'script');
  assert.equal(detectUserData('{"ignitionVersion": 1}').kind, 'ignition');
  assert.equal(detectUserData('{"ignition": {"version": "3.3.0"}}').kind, 'ignition');
  assert.equal(detectUserData('{"IGNITION": {"Version": "2.2.0"}}').kind, 'ignition', 'Go matches JSON fields case-insensitively');
  assert.equal(detectUserData('{"ignitionVersion": "1"}').kind, 'unknown');
  assert.equal(detectUserData('{"ignition": {}}').kind, 'unknown');
  const gz = detectUserData(gzipSync(Buffer.from('#cloud-config\nhostname: z\n')));
  assert.deepEqual([gz.kind, gz.gzipped, gz.text], ['cloud-config', true, '#cloud-config\nhostname: z\n']);
  const bad = detectUserData(Uint8Array.from([0x1f, 0x8b, 1, 2, 3]));
  assert.equal(bad.kind, 'empty');
  assert.match(bad.problem ?? '', /^Failed decompressing user-data from datasource: /);
});

test('substitution: each variable, escapes kept literal, the adjacent-occurrence quirk', () => {
  const subs = substitutionsFrom({ privateIPv4: '10.0.0.5', publicIPv4: '203.0.113.5', publicIPv6: '2001:db8::1' }, { COREOS_PRIVATE_IPV6: 'fd00::5' });
  assert.equal(substitute('a: $private_ipv4:2379', subs), 'a: 10.0.0.5:2379');
  assert.equal(substitute('$public_ipv4 [$public_ipv6] $private_ipv6', subs), '203.0.113.5 [2001:db8::1] fd00::5');
  assert.equal(substitute('x: \\$private_ipv4', subs), 'x: $private_ipv4');
  assert.equal(substitute('${private_ipv4}', subs), '${private_ipv4}');
  // Go's regexp consumed the character before the match: of two adjacent
  // occurrences only the first is replaced.
  assert.equal(substitute('$private_ipv4$private_ipv4', subs), '10.0.0.5$private_ipv4');
  assert.equal(substitute('$private_ipv4', substitutionsFrom({})), '');
  assert.equal(substitutionsFrom({}, { COREOS_PUBLIC_IPV4: '198.51.100.1' }).$public_ipv4, '198.51.100.1');
});

test('hyphens and underscores are the same key at every level', () => {
  const p = parseCloudConfig(
    `${H}ssh-authorized-keys: [k1]\nwrite-files:\n  - path: /a\ncoreos:\n  update:\n    reboot-strategy: off\n  units:\n    - name: a.service\n      drop-ins:\n        - name: x.conf\n          content: y\n  fleet:\n    public-ip: 1.2.3.4\n    engine_reconcile-interval: 2.5\nmanage-etc-hosts: localhost\nusers:\n  - name: u\n    no-create-home: true\n    primary-group: g\n`,
  );
  assert.equal(p.error, undefined);
  const c = p.config;
  assert.deepEqual(c.ssh_authorized_keys, ['k1']);
  assert.equal(c.write_files[0].path, '/a');
  assert.equal(c.coreos.update.reboot_strategy, 'off');
  assert.deepEqual(c.coreos.units[0].drop_ins, [{ name: 'x.conf', content: 'y' }]);
  assert.equal(c.coreos.fleet.public_ip, '1.2.3.4');
  assert.equal(c.coreos.fleet.engine_reconcile_interval, 2.5);
  assert.equal(c.manage_etc_hosts, 'localhost');
  assert.equal(c.users[0].no_create_home, true);
  assert.equal(c.users[0].primary_group, 'g');
});

test('go-yaml v1 typing: strings keep the text, wrong types are skipped, nulls reset', () => {
  const p = parseCloudConfig(
    `${H}hostname: 0744\ncoreos:\n  units:\n    - name: a\n      enable: yes\n      runtime: 4\n    - true\n    - name: b\n  fleet:\n    verbosity: 1.9\n    token-limit: lots\n  etcd2:\n    snapshot-count: 0x10\nwrite_files:\n  - permissions: 0644\n    path: /p\n`,
  );
  const c = p.config;
  assert.equal(c.hostname, '0744');
  assert.equal(c.coreos.units.length, 2, 'a scalar where a struct belongs is dropped');
  assert.equal(c.coreos.units[0].enable, true);
  assert.equal(c.coreos.units[0].runtime, false);
  assert.equal(c.coreos.units[1].name, 'b');
  assert.equal(c.coreos.fleet.verbosity, 1);
  assert.equal(c.coreos.fleet.token_limit, 0);
  assert.equal(c.coreos.etcd2.snapshot_count, 16);
  assert.equal(c.write_files[0].permissions, '0644');
  assert.equal(parseCloudConfig(`${H}hostname: a\nhostname:\n`).config.hostname, '');
});

test('every field of a user is read', () => {
  const p = parseCloudConfig(
    `${H}users:\n  - name: elroy\n    passwd: h\n    ssh-authorized-keys: [k]\n    coreos-ssh-import-github: gh\n    coreos-ssh-import-github-users: [a, b]\n    coreos-ssh-import-url: http://x\n    gecos: Elroy Jetson\n    homedir: /opt/elroy\n    no-create-home: true\n    primary-group: staff\n    groups: [sudo, docker]\n    no-user-group: true\n    system: true\n    no-log-init: true\n    shell: /bin/zsh\n`,
  );
  assert.deepEqual(p.config.users[0], {
    name: 'elroy',
    passwd: 'h',
    ssh_authorized_keys: ['k'],
    coreos_ssh_import_github: 'gh',
    coreos_ssh_import_github_users: ['a', 'b'],
    coreos_ssh_import_url: 'http://x',
    gecos: 'Elroy Jetson',
    homedir: '/opt/elroy',
    no_create_home: true,
    primary_group: 'staff',
    groups: ['sudo', 'docker'],
    no_user_group: true,
    system: true,
    no_log_init: true,
    shell: '/bin/zsh',
  });
});

test('write_files encodings decode exactly as the original', () => {
  const todo = 'Pack my box with five dozen liquor jugs';
  const files = parseCloudConfig(
    `${H}write_files:\n` +
      `  - path: /a\n    encoding: base64\n    content: UGFjayBteSBib3ggd2l0aCBmaXZlIGRvemVuIGxpcXVvciBqdWdz\n` +
      `  - path: /b\n    encoding: b64\n    content: UGFjayBteSBib3ggd2l0aCBmaXZlIGRvemVuIGxpcXVvciBqdWdz\n` +
      `  - path: /c\n    encoding: gzip+base64\n    content: H4sIAKgdh1QAAwtITM5WyK1USMqvUCjPLMlQSMssS1VIya9KzVPIySwszS9SyCpNLwYARQFQ5CcAAAA=\n` +
      `  - path: /d\n    encoding: gz+b64\n    content: H4sIAKgdh1QAAwtITM5WyK1USMqvUCjPLMlQSMssS1VIya9KzVPIySwszS9SyCpNLwYARQFQ5CcAAAA=\n` +
      `  - path: /e\n    encoding: gzip\n    content: !!binary H4sIAOC3tVQAA8tIzcnJ5wIAIDA6NgYAAAA=\n` +
      `  - path: /f\n    content: plain\n`,
  );
  assert.equal(files.error, undefined);
  assert.deepEqual(files.fileContents.map(text), [todo, todo, todo, todo, 'hello\n', 'plain']);
  assert.equal(files.config.write_files[2].encoding, '');

  assert.equal(parseCloudConfig(`${H}write_files:\n  - encoding: base64\n    content: "@@@@"\n`).error, 'Unable to decode base64: "illegal base64 data at input byte 0"');
  assert.equal(parseCloudConfig(`${H}write_files:\n  - encoding: gzip\n    content: nope\n`).error, 'Unable to decode gzip: "unexpected EOF"');
  assert.equal(parseCloudConfig(`${H}write_files:\n  - encoding: gzip\n    content: "not a gzip stream!"\n`).error, 'Unable to decode gzip: "gzip: invalid header"');
  assert.equal(parseCloudConfig(`${H}write_files:\n  - encoding: rot13\n    content: x\n`).error, 'Unsupported encoding "rot13"');
  // Go's base64 ignores line breaks but nothing else.
  const b = decodeContent(new TextEncoder().encode('aGVs\nbG8K\r\n'), 'base64');
  assert.ok(b.ok && text(b.bytes) === 'hello\n');
  assert.equal(decodeContent(new TextEncoder().encode('aGVsbG8K '), 'base64').ok, false);
  assert.equal(decodeContent(new TextEncoder().encode('aGVsbG8'), 'base64').ok, false);
});

test('a YAML error makes the config empty with the original\'s message', () => {
  const p = parseCloudConfig(`${H}a:\na`);
  assert.equal(p.error, "YAML error: line 3: could not find expected ':'");
  assert.equal(p.config.hostname, '');
  assert.deepEqual(p.config.coreos.units, []);
});

test('merge keys and anchors work as in go-yaml', () => {
  const p = parseCloudConfig(
    `${H}base: &b\n  command: start\n  enable: true\ncoreos:\n  units:\n    - <<: *b\n      name: one.service\n    - name: two.service\n      <<: *b\n      command: stop\n`,
  );
  assert.deepEqual(
    p.config.coreos.units.map((u) => [u.name, u.command, u.enable]),
    [
      ['one.service', 'start', true],
      ['two.service', 'stop', true],
    ],
  );
});
