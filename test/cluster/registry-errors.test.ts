// `cluster up --etcd-servers` refuses, before booting anything, a registry
// fleet could not use — with words that say how to fix it: nothing answering
// there, or a real etcd 3.4 started without --enable-v2 (no v2 keys API).
// The real etcd is on 127.0.0.97 (the docker story's registry address), so
// this takes the one-host-cluster lock the story holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withHostLock } from '../support/host-lock.js';
import { REAL_ETCD, requireRealEtcd } from '../client/real-etcd.js';
import { processesMentioning } from './helpers.js';

const CORACLE = path.resolve(fileURLToPath(new URL('../../../bin/coracle.js', import.meta.url)));

/** GET URL/health from 127.0.0.97 itself: true on 200. */
function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/health`, { localAddress: '127.0.0.97', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function up(dir: string, ...flags: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CORACLE, 'cluster', '--dir', dir, 'up', ...flags], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('cluster up --etcd-servers refuses a registry fleet cannot use, and boots nothing', { timeout: 120_000 }, async () => {
  await withHostLock('one-host-cluster', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-registry-errors-'));
    try {
      const nobody = up(dir, '--etcd-servers', 'http://127.0.0.97:2379');
      assert.equal(nobody.code, 1, nobody.out + nobody.err);
      assert.match(nobody.err, /--etcd-servers http:\/\/127\.0\.0\.97:2379: no etcd answers there/);

      const bad = up(dir, '--registry', 'http://127.0.0.97:2379/v2/keys');
      assert.equal(bad.code, 2);
      assert.match(bad.err, /has a path; give the client URL only/);

      const both = up(dir, '--etcd-servers', 'http://127.0.0.97:2379', '--discovery', 'service');
      assert.equal(both.code, 2);
      assert.match(both.err, /--discovery service with --etcd-servers: the machines run no etcd2 of their own/);

      // etcd 3.4 started as by default: v3 API only (test/client/real-etcd.ts always adds --enable-v2).
      requireRealEtcd();
      const data = path.join(dir, 'etcd-data');
      const url = 'http://127.0.0.97:2379';
      const etcd = spawn(REAL_ETCD, ['--name', 'registry', '--data-dir', data, '--listen-client-urls', url, '--advertise-client-urls', url,
        '--listen-peer-urls', 'http://127.0.0.97:2380', '--initial-advertise-peer-urls', 'http://127.0.0.97:2380',
        '--initial-cluster', 'registry=http://127.0.0.97:2380'], { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => etcd.once('exit', () => resolve()));
      try {
        const deadline = Date.now() + 20_000;
        while (!(await healthy(url))) {
          assert.ok(Date.now() < deadline && etcd.exitCode === null, 'the real etcd did not come up on 127.0.0.97:2379');
          await sleep(100);
        }
        const noV2 = up(dir, '--etcd-servers', url);
        assert.equal(noV2.code, 1, noV2.out + noV2.err);
        assert.match(noV2.err, /does not serve the v2 keys API that fleet uses \(etcd 3\.4: start it with --enable-v2\)/);
      } finally {
        etcd.kill('SIGTERM');
        await exited;
        fs.rmSync(data, { recursive: true, force: true });
      }
      assert.equal(fs.existsSync(path.join(dir, 'cluster.json')), false, 'no cluster state was written');
      assert.equal(fs.existsSync(path.join(dir, 'machines')), false, 'no machine was made');
      assert.deepEqual(processesMentioning(dir), [], 'nothing was started');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
