// `coracle cluster up` by a user who is not root: no mount namespaces (the
// machines share the host's /tmp, and up says so), processes tracked without
// a writable cgroup — and still a working cluster that `down` removes
// entirely. Run as `nobody` through setpriv(1); skipped only when this test
// itself cannot switch users (not root) or `nobody` cannot read the checkout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withHostLock } from '../support/host-lock.js';
import { listenersOn, processesMentioning, tearDownCluster } from './helpers.js';

const CORACLE = path.resolve(fileURLToPath(new URL('../../../bin/coracle.js', import.meta.url)));
const NOBODY = 65534;

function asNobody(cmd: string[], timeout = 5 * 60_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'env', `HOME=/nonexistent`, ...cmd], { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error?.message ?? '') };
}

function whyNot(): string | false {
  if (process.getuid?.() !== 0) return 'switching to nobody needs root';
  const probe = asNobody([process.execPath, CORACLE, '--version'], 30_000);
  if (probe.status !== 0) return `nobody cannot run this checkout's coracle: ${probe.stderr.trim() || `exit ${probe.status}`}`;
  return false;
}

test('cluster up as an unprivileged user: 3 machines on a shared /tmp, fleet lists them, down leaves nothing', { skip: whyNot(), timeout: 10 * 60_000 }, async () => {
  await withHostLock('one-host-cluster', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-nobody-'));
    fs.chownSync(home, NOBODY, NOBODY);
    const dir = path.join(home, 'cluster');
    const cluster = (...args: string[]) => asNobody([process.execPath, CORACLE, 'cluster', '--dir', dir, ...args]);
    try {
      const up = cluster('up', '--machines', '3');
      assert.equal(up.status, 0, `${up.stdout}\n${up.stderr}`);
      assert.match(up.stdout, /machines share the host's \/tmp \(not running as root/);
      const list = asNobody([path.join(dir, 'bin/fleetctl'), '--endpoint', 'http://127.0.0.2:49153', 'list-machines', '--no-legend', '--fields', 'ip']);
      assert.equal(list.status, 0, list.stderr);
      assert.deepEqual(list.stdout.trim().split('\n').sort(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
      // Every process of the cluster runs as nobody.
      for (const p of processesMentioning(dir)) {
        const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1];
        assert.equal(uid, String(NOBODY), `${p.cmdline} runs as uid ${uid}`);
      }
      const down = cluster('down');
      assert.equal(down.status, 0, down.stderr);
      assert.deepEqual(processesMentioning(dir), []);
      assert.deepEqual(listenersOn(['127.0.0.2', '127.0.0.3', '127.0.0.4']).filter((l) => /:(2379|2380|4001|49153)$/.test(l)), []);
    } finally {
      tearDownCluster(dir, () => cluster('down'), home);
    }
  });
});
