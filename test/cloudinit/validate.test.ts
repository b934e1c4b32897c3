// The validator against the original's recorded behaviour: the cases of
// reference §1.6/§7.1 (which include the #cloud-config header, so lines count
// it) and the upstream rules_test/validate_test tables (bodies without the
// header there; here the header is prepended, so every line is one higher).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import {
  entryToJson,
  formatEntry,
  reportToJson,
  validateExitCode,
  validateUserData,
} from '../../src/cloudinit/index.js';

const H = '#cloud-config\n';

function lines(input: string | Uint8Array): string[] {
  return validateUserData(input).entries.map(formatEntry);
}

const table: [string, string[]][] = [
  // reference §7.1 validator negatives
  ['coreos:\n  units:\n    - command: lol', ['line 4: error: invalid value lol']],
  ['coreos:\n  update:\n    reboot_strategy: always', ['line 4: error: invalid value always']],
  ['write_files:\n  - path: /usr/invalid', ['line 3: error: file cannot be written to a read-only filesystem']],
  ['coreos:\n  flannel:\n    bad:', ['line 4: warning: unrecognized key "bad"']],
  ['hostname:\n  - name', ['line 2: warning: incorrect type for "hostname" (want string)']],
  ['coreos:\n  write_files:\n    - path: /hi', ['line 3: warning: unrecognized key "write_files"', "line 3: info: write_files doesn't belong under coreos"]],
  ['users:\n  - name: x\n    lock-passwd: true\n    sudo: ALL', ['line 4: warning: unrecognized key "lock_passwd"', 'line 5: warning: unrecognized key "sudo"']],
  ['write_files:\n  - permissions: 0744\n  - permissions: 888', ['line 4: error: invalid value 888']],
  // checkDiscoveryUrl (etcd 0.4 only) — plus coracle's own etcd warning
  ['coreos:\n  etcd:\n    discovery: https://discovery.etcd.io/00000000000000000000000000000000', ['line 3: warning: deprecated key "etcd" (etcd 0.4 options are not supported by coracle; use etcd2)']],
  ['coreos:\n  etcd:\n    discovery: disco', ['line 4: warning: discovery URL is not valid', 'line 3: warning: deprecated key "etcd" (etcd 0.4 options are not supported by coracle; use etcd2)']],
  ['coreos:\n  etcd2:\n    discovery: disco', []],
  // checkEncoding
  ['write_files:\n  - encoding: base64\n    content: aGVsbG8K', []],
  ['write_files:\n  - content: !!binary aGVsbG8K', []],
  ['write_files:\n  - encoding: base64\n    content: !!binary aGVsbG8K', ['line 4: error: content cannot be decoded as "base64"']],
  ['write_files:\n  - encoding: base64\n    content: !!binary YUdWc2JHOEsK', []],
  ['write_files:\n  - encoding: gzip\n    content: !!binary H4sIAOC3tVQAA8tIzcnJ5wIAIDA6NgYAAAA=', []],
  ['write_files:\n  - encoding: gzip+base64\n    content: H4sIAOC3tVQAA8tIzcnJ5wIAIDA6NgYAAAA=', []],
  ['write_files:\n  - encoding: gzip\n    content: not gzip at all', ['line 4: error: content cannot be decoded as "gzip"']],
  // An unknown encoding fails both the decode and the valid pattern.
  ['write_files:\n  - encoding: custom\n    content: hello', ['line 4: error: content cannot be decoded as "custom"', 'line 3: error: invalid value custom']],
  // checkStructure: unknown, deprecated, wrong types
  ['test:', ['line 2: warning: unrecognized key "test"']],
  ['coreos:\n  flannel:\n    interface: good', []],
  ['coreos:\n  etcd:\n    proxy: hi', ['line 3: warning: deprecated key "etcd" (etcd 0.4 options are not supported by coracle; use etcd2)', 'line 4: warning: deprecated key "proxy" (etcd2 options no longer work for etcd)']],
  ['coreos:\n  etcd2:\n    ca-file: /x', ['line 4: warning: deprecated key "ca_file" (ca_file obsoleted by trusted_ca_file and client_cert_auth)']],
  ['coreos:\n  etcd2:\n    name: a\n  fleet:\n    verbosity: 2', []],
  ['users:\n  - name: x\n    coreos-ssh-import-github: y', ['line 4: warning: deprecated key "coreos_ssh_import_github" (trying to fetch from a remote endpoint introduces too many intermittent errors)']],
  ['coreos:\n  units:\n    - hello\n    - goodbye', ['line 4: warning: incorrect type for "units[0]" (want struct)', 'line 5: warning: incorrect type for "units[1]" (want struct)']],
  ['coreos:\n  units:\n    - enable: true', []],
  ['coreos:\n  units:\n    - enable: 4', ['line 4: warning: incorrect type for "enable" (want bool)']],
  ['coreos:\n  units:\n    - enable: bad', ['line 4: warning: incorrect type for "enable" (want bool)']],
  ['coreos:\n  units:\n    - enable:\n        bad:', ['line 4: warning: incorrect type for "enable" (want bool)']],
  ['coreos:\n  units:\n    - enable:\n      - bad', ['line 4: warning: incorrect type for "enable" (want bool)']],
  ['hostname: true', []],
  ['hostname: 4', []],
  ['hostname: host', []],
  ['hostname:\n  name:', ['line 2: warning: incorrect type for "hostname" (want string)']],
  ['coreos: true', ['line 2: warning: incorrect type for "coreos" (want struct)']],
  ['coreos: 4', ['line 2: warning: incorrect type for "coreos" (want struct)']],
  ['coreos: hello', ['line 2: warning: incorrect type for "coreos" (want struct)']],
  ['coreos:\n  - hello', ['line 2: warning: incorrect type for "coreos" (want struct)']],
  ['ssh_authorized_keys: true', ['line 2: warning: incorrect type for "ssh_authorized_keys" (want []string)']],
  ['ssh_authorized_keys: key', ['line 2: warning: incorrect type for "ssh_authorized_keys" (want []string)']],
  ['ssh_authorized_keys:\n  key: value', ['line 2: warning: incorrect type for "ssh_authorized_keys" (want []string)']],
  ['ssh_authorized_keys:\n  - key', []],
  ['ssh_authorized_keys:\n  - key: value', ['line 3: warning: incorrect type for "ssh_authorized_keys[0]" (want string)']],
  ['ssh-authorized-keys:\n  - key: value', ['line 3: warning: incorrect type for "ssh_authorized_keys[0]" (want string)']],
  ['users:\n  true', ['line 2: warning: incorrect type for "users" (want []struct)']],
  ['users:\n  bad:', ['line 2: warning: incorrect type for "users" (want []struct)']],
  ['users:\n  - name: good', []],
  ['users:\n  - true', ['line 3: warning: incorrect type for "users[0]" (want struct)']],
  ['users:\n  - name: hi\n  - true', ['line 4: warning: incorrect type for "users[1]" (want struct)']],
  ['users:\n  - - bad', ['line 3: warning: incorrect type for "users[0]" (want struct)']],
  ['coreos:\n  fleet:\n    engine-reconcile-interval: 2', []],
  ['coreos:\n  fleet:\n    engine-reconcile-interval: soon', ['line 4: warning: incorrect type for "engine_reconcile_interval" (want float64)']],
  ['coreos:\n  fleet:\n    verbosity: 1.5', ['line 4: warning: incorrect type for "verbosity" (want int)']],
  // checkValidity
  ['coreos:\n  units:\n    - command: start\n    - name: stop', []],
  ['coreos:\n  update:\n    reboot_strategy: off', []],
  ['coreos:\n  update:\n    reboot-strategy: off', []],
  ['coreos:\n  update:\n    reboot-strategy: false', ['line 4: error: invalid value false']],
  ['write_files:\n  - permissions: 0744', []],
  ["write_files:\n  - permissions: '0744'", []],
  ['write_files:\n  - permissions: 744', []],
  ["write_files:\n  - permissions: '744'", []],
  ['coreos:\n  locksmith:\n    window-start: Thu 04:00\n    window-length: 1h', []],
  ['coreos:\n  locksmith:\n    window-start: Someday 04:00', ['line 4: error: invalid value Someday 04:00']],
  ['coreos:\n  locksmith:\n    window-start: THU 23:59', []],
  ['coreos:\n  locksmith:\n    window-length: 1 hour', ['line 4: error: invalid value 1 hour']],
  ['coreos:\n  etcd2:\n    proxy: maybe', ['line 4: error: invalid value maybe']],
  ['unknown: hi', ['line 2: warning: unrecognized key "unknown"']],
  // checkWriteFiles
  ['write_files:\n  - path: /valid', []],
  ['write_files:\n  - path: /tmp/usr/valid', []],
  ['write-files:\n  - path: /tmp/../usr/invalid', ['line 3: error: file cannot be written to a read-only filesystem']],
  // checkWriteFilesUnderCoreos, hyphenated
  ['coreos:\n  write-files:\n    - path: /hyphen', ['line 3: warning: unrecognized key "write_files"', "line 3: info: write_files doesn't belong under coreos"]],
  // YAML errors: libyaml's messages; go-yaml printed libyaml's zero-based mark
  ['\t', ['line 1: error: found character that cannot start any token']],
  ['a:\na', ["line 3: error: could not find expected ':'"]],
  ['#hello\na:\na', ["line 4: error: could not find expected ':'"]],
  ['coreos:\n  units:\n\t- name: x', ['line 3: error: found character that cannot start any token']],
  ['hostname:\tfoo', ['line 1: error: found character that cannot start any token']],
  ['hostname: a: b', ['line 1: error: mapping values are not allowed in this context']],
  ['coreos:\n    units: x\n  bad: y', ['line 3: error: did not find expected key']],
  ['users:\n  - name: a\n  name: b', ["line 3: error: did not find expected '-' indicator"]],
  ['hostname: "abc\nfoo: 1', ['line 2: error: found unexpected end of stream']],
  ['hostname: [a, b\n', ["line 2: error: did not find expected ',' or ']'"]],
  ['hostname: @x', ['line 1: error: found character that cannot start any token']],
  ['coreos:\n  units:\n    - name: a\n      content: |\n        x\n\ty\n', ['line 6: error: found a tab character where an indentation space is expected']],
  ['coreos:\n  units:\n    - name: a\n      content: |\n        x\ty\n', []],
  ['a: &x 1\nb: *y', ['line 1: error: Unknown anchor \'y\' referenced']],
  ['write_files:\n  - content: !!binary "@@@"', ['line 1: error: !!binary value contains invalid base64 data']],
];

for (const [body, want] of table) {
  test(`validate ${JSON.stringify(body)}`, () => {
    assert.deepEqual(lines(H + body), want);
  });
}

test('input classification: empty, scripts and Ignition are valid; anything else is not a cloud-config', () => {
  assert.deepEqual(lines(''), []);
  assert.deepEqual(lines('#!/bin/bash\necho hey'), []);
  assert.deepEqual(lines('{"ignitionVersion":0}'), []);
  assert.deepEqual(lines('{"ignitionVersion":1}'), []);
  assert.deepEqual(lines('{"ignition":{"version":"2.2.0"}}'), []);
  assert.deepEqual(lines('{}'), ['line 1: error: must be "#cloud-config" or begin with "#!"']);
  assert.deepEqual(lines('{"ignition":{"version":2}}'), ['line 1: error: must be "#cloud-config" or begin with "#!"']);
  assert.deepEqual(lines('hostname: x'), ['line 1: error: must be "#cloud-config" or begin with "#!"']);
  assert.deepEqual(lines('#cloud-config  \r\nhostname: x'), []);
  assert.deepEqual(lines(gzipSync(Buffer.from(`${H}test:`))), ['line 2: warning: unrecognized key "test"']);
});

test('a null value under a key with a valid pattern fails the original validator itself', () => {
  const r = validateUserData(`${H}coreos:\n  units:\n    - command:`);
  assert.deepEqual(r.entries.map(formatEntry), ['line 4: warning: incorrect type for "command" (want string)']);
  assert.equal(r.internalError, 'reflect: call of reflect.Value.Interface on zero Value');
  assert.equal(validateExitCode(r), 1);
});

test('JSON form has sorted keys and Go escaping; exit code is 1 for any entry', () => {
  const r = validateUserData(`${H}coreos:\n  flannel:\n    bad:`);
  assert.equal(entryToJson(r.entries[0]), '{"kind":"warning","line":4,"message":"unrecognized key \\"bad\\""}');
  assert.equal(reportToJson(r), '[{"kind":"warning","line":4,"message":"unrecognized key \\"bad\\""}]');
  assert.equal(validateExitCode(r), 1);
  assert.equal(validateExitCode(validateUserData(`${H}hostname: a`)), 0);
  assert.equal(entryToJson({ kind: 'error', line: 1, message: 'a<b>&c' }), '{"kind":"error","line":1,"message":"a\\u003cb\\u003e\\u0026c"}');
});
