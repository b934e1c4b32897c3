// What coracle's etcdctl does where the real one has something it lacks:
// each says so plainly and exits 1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OURS } from './etcdctl-harness.js';

function ours(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [OURS, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
}

test('ETCDCTL_API=3 is refused with a clear message; unset or 2 means v2', () => {
  const r = ours(['--version'], { ETCDCTL_API: '3' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ETCDCTL_API=3 is not supported: coracle's etcdctl speaks only the etcd v2 API/);
  assert.equal(ours(['--version'], { ETCDCTL_API: '4' }).stderr, 'unsupported API version 4\n');
  assert.equal(ours(['--version']).status, 0);
  assert.equal(ours(['--version'], { ETCDCTL_API: '2' }).status, 0);
});

test('backup parses its flags and refuses a dir that holds no coracle member', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coracle-backup-'));
  try {
    const r = ours(['backup', '--data-dir', dir, '--backup-dir', join(dir, 'out')]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `etcdctl backup: ${dir} holds no coracle member (no ${dir}/member/wal)\n`);
    assert.equal(ours(['backup', '--backup-dir', dir]).stderr, 'etcdctl backup: --data-dir is required\n');
    assert.match(ours(['backup', '--data-dir', dir, '--bogus']).stdout, /^Incorrect Usage: flag provided but not defined: -bogus/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the v2 auth commands, TLS and SRV discovery are refused by name', () => {
  const user = ours(['user', 'list']);
  assert.equal(user.status, 1);
  assert.match(user.stderr, /the v2 auth command 'user' is not supported/);
  assert.match(ours(['--ca-file', '/x', 'get', '/k']).stderr, /--ca-file is not supported/);
  assert.match(ours(['get', '/k'], { ETCDCTL_DISCOVERY_SRV: 'example.com' }).stderr, /--discovery-srv is not supported/);
});
