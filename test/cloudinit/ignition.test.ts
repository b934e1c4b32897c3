// Ignition: version detection, structure checks, data: URLs and hashes,
// against reference §2.1-2.2 and fixture §7.2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeDataUrl, parseIgnition, verifyHash } from '../../src/cloudinit/index.js';

function fixture72(): string {
  const ref = readFileSync(new URL('../../../../shared/reference/provisioning.md', import.meta.url), 'utf8');
  const from = ref.indexOf('### 7.2');
  const start = ref.indexOf('```json\n', from) + '```json\n'.length;
  return ref.slice(start, ref.indexOf('```\n', start));
}

test('the §7.2 Ignition 2.2.0 document parses clean and its file verifies', () => {
  const r = parseIgnition(fixture72());
  assert.deepEqual([r.version, r.spec, r.errors, r.warnings], ['2.2.0', 2, [], []]);
  const files = (r.config?.storage as { files: { path: string; contents: { source: string; verification?: { hash: string } } }[] }).files;
  const hello = files.find((f) => f.path === '/opt/bin/hello.sh');
  assert.ok(hello);
  const data = decodeDataUrl(hello.contents.source);
  assert.ok(data.ok);
  assert.equal(Buffer.from(data.bytes).toString(), '#!/bin/sh\necho hello from ignition\n');
  assert.deepEqual(verifyHash(data.bytes, hello.contents.verification?.hash ?? ''), { ok: true });
  assert.deepEqual(
    verifyHash(data.bytes, 'sha256-d1b3b9f6c5ae88328f39ade402f1bb4e2c425a20d4c82673811f95afcc2a6fd8'),
    { ok: true },
  );
  const tampered = verifyHash(new TextEncoder().encode('echo evil\n'), hello.contents.verification?.hash ?? '');
  assert.equal(tampered.ok, false);
  const hostname = decodeDataUrl(files[0].contents.source);
  assert.ok(hostname.ok && Buffer.from(hostname.bytes).toString() === 'node1\n');
});

test('versions: deprecated, unparseable, unsupported, and not-a-config inputs', () => {
  assert.deepEqual(parseIgnition('{"ignitionVersion": 1}').errors, ['config format deprecated']);
  assert.deepEqual(parseIgnition('{"ignition": {"version": "two"}}').errors, ["invalid config version (couldn't parse)"]);
  assert.deepEqual(parseIgnition('{"ignition": {"version": "2.9.0"}}').errors, ['unsupported config version']);
  assert.deepEqual(parseIgnition('{"ignition": {"version": "4.0.0"}}').errors, ['unsupported config version']);
  assert.deepEqual(parseIgnition('').errors, ['not a config (empty)']);
  assert.deepEqual(parseIgnition('#cloud-config\n').errors, ['not a config (found coreos-cloudinit config)']);
  assert.deepEqual(parseIgnition('#!/bin/sh\n').errors, ['not a config (found coreos-cloudinit script)']);
  assert.match(parseIgnition('{"ignition": ').errors[0], /^config is not valid: /);
});

test('3.x: unknown keys warn, wrong types and relative paths are errors, 2.x-only fields are unknown', () => {
  const r = parseIgnition(
    JSON.stringify({
      ignition: { version: '3.3.0' },
      storage: { files: [{ path: 'etc/x', mode: '0644', filesystem: 'root' }] },
      systemd: { units: [{ name: 'a.service', enable: true, enabled: true }] },
      passwd: { users: [{ name: 'core', sshAuthorizedKeys: ['k'], shouldExist: true }] },
      networkd: {},
    }),
  );
  assert.deepEqual(r.errors, ['storage.files.0.mode: expected integer, found string']);
  assert.deepEqual(r.warnings, [
    'storage.files.0.filesystem: Unused key filesystem',
    'systemd.units.0.enable: Unused key enable',
    'networkd: Unused key networkd',
  ]);
  const semantic = parseIgnition(
    JSON.stringify({
      ignition: { version: '3.0.0' },
      storage: { files: [{ path: 'rel', contents: { verification: { hash: 'sha256-00' } } }] },
      systemd: { units: [{ name: 'nope', dropins: [{ name: 'x.txt' }] }] },
    }),
  );
  assert.deepEqual(semantic.errors, [
    'systemd.units.0.name: invalid systemd unit extension',
    'systemd.units.0.dropins.0.name: invalid systemd unit dropin extension',
    'storage.files.0.path: path not absolute',
    'storage.files.0.contents.verification.hash: unrecognized hash function',
  ]);
  assert.equal(semantic.config, undefined);
});
