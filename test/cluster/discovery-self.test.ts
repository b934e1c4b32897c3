// `coracle cluster up --discovery self`: the machines bootstrap through a
// discovery directory made by hand in a small etcd (as the seed's discovery
// master did, `_config/size` set), not through a discovery service. Checked
// from the outside: the directory lists every member, etcd has them all, and
// `down` leaves nothing running or listening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withHostLock } from '../support/host-lock.js';
import { listenersOn, processesMentioning, tearDownCluster } from './helpers.js';

const CORACLE = path.resolve(fileURLToPath(new URL('../../../bin/coracle.js', import.meta.url)));

function coracle(dir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CORACLE, 'cluster', '--dir', dir, ...args], { encoding: 'utf8', timeout: 5 * 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, { localAddress: '127.0.0.1' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

test('cluster up --discovery self: 3 machines join through a hand-made discovery directory; down leaves nothing', { timeout: 10 * 60_000 }, async () => {
  await withHostLock('one-host-cluster', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-self-'));
    try {
      const up = coracle(dir, 'up', '--machines', '3', '--discovery', 'self');
      assert.equal(up.status, 0, `${up.stdout}\n${up.stderr}`);
      const config = fs.readFileSync(path.join(dir, 'machines/core-02/cloud-config.yml'), 'utf8');
      const url = /discovery: (http:\/\/127\.0\.0\.1:\d+\/v2\/keys\/discovery\/[0-9a-f]+)/.exec(config)?.[1];
      assert.ok(url, `the cloud-config names a discovery directory:\n${config}`);
      assert.doesNotMatch(config, /initial-cluster:/, 'discovery, not a static member list');

      // The directory, as etcd holds it: its size and one entry per member.
      const size = JSON.parse(await get(`${url}/_config/size`)) as { node: { value: string } };
      assert.equal(size.node.value, '3');
      const dirList = JSON.parse(await get(url)) as { node: { nodes?: { key: string; value?: string; dir?: boolean }[] } };
      const entries = (dirList.node.nodes ?? []).filter((n) => !n.dir).map((n) => n.value ?? '');
      assert.deepEqual(entries.map((v) => /=http:\/\/(127\.0\.0\.\d+):2380$/.exec(v)?.[1]).sort(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);

      const members = coracle(dir, 'exec', '3', '--', 'etcdctl', 'member', 'list');
      assert.equal(members.status, 0, members.stderr);
      assert.equal(members.stdout.trim().split('\n').length, 3, members.stdout);
      assert.equal(coracle(dir, 'exec', '1', '--', 'etcdctl', 'set', '/via', 'self-discovery').status, 0);
      assert.equal(coracle(dir, 'exec', '3', '--', 'etcdctl', 'get', '/via').stdout.trim(), 'self-discovery');

      const down = coracle(dir, 'down');
      assert.equal(down.status, 0, down.stderr);
      assert.deepEqual(processesMentioning(dir), []);
      assert.deepEqual(listenersOn(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']).filter((l) => /:(2379|2380|4001|49153|12379|12380|18087)$/.test(l)), []);
    } finally {
      tearDownCluster(dir, () => coracle(dir, 'down'));
    }
  });
});
