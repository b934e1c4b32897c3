// A machine's own /etc and /tmp (src/node/private-mounts.ts): which host
// directories stay reachable, and — run for real under unshare(1) — that a
// command writing /tmp or reading /etc sees the machine's, not the host's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { hostTmpToKeep, privateMountArgv, privateMountsUnavailable } from '../../src/node/private-mounts.js';

test('the host directories kept inside a private /tmp: the first level below /tmp of each path, once', () => {
  assert.deepEqual(hostTmpToKeep(['/tmp/cluster-a/machines/core-01/root', '/tmp/cluster-a/cloud-config.yml', '/tmp/clone/bin/coracle.js', '/usr/bin/node', '/tmp', '/tmpfoo/x']), [
    '/tmp/cluster-a',
    '/tmp/clone',
  ]);
  assert.deepEqual(hostTmpToKeep(['/var/lib/coracle/root']), []);
});

const unavailable = privateMountsUnavailable();

test('a command run in the machine namespace writes the root\'s tmp/ and reads the root\'s etc/, and the host\'s /tmp and /etc are untouched', { skip: unavailable ?? false }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-private-mounts-'));
  const name = `coracle-pm-${randomBytes(6).toString('hex')}`;
  try {
    // A first boot: the root has neither etc/ nor tmp/ yet.
    const root = path.join(dir, 'root');
    const script = path.join(dir, 'probe.sh');
    fs.writeFileSync(script, [
      `echo written-inside > /tmp/${name}`,
      `echo machine-etc > /etc/${name}`,
      // The probe itself lives under the host's /tmp: still reachable.
      `cat ${script} > /dev/null && echo probe-reachable`,
      '',
    ].join('\n'));
    const argv = privateMountArgv(root, { etc: true, tmp: true }, ['/bin/sh', script]);
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /probe-reachable/);
    assert.equal(fs.readFileSync(path.join(root, 'tmp', name), 'utf8'), 'written-inside\n');
    assert.equal(fs.readFileSync(path.join(root, 'etc', name), 'utf8'), 'machine-etc\n');
    assert.equal(fs.existsSync(path.join('/tmp', name)), false, 'the host /tmp must not see the machine\'s file');
    assert.equal(fs.existsSync(path.join('/etc', name)), false, 'the host /etc must not see the machine\'s file');
    // Nothing stays mounted on the host once the namespace's last process exits.
    assert.doesNotMatch(fs.readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  } finally {
    fs.rmSync(path.join('/tmp', name), { force: true });
    fs.rmSync(path.join('/etc', name), { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
