// `coracle cluster` as a user drives it, on the one-host cluster's addresses
// (under the host lock): up with discovery through a coracle discovery
// service and per-machine metadata, status, exec, logs, a crash (kill) and a
// restart (start) of one machine, and down. What runs and listens is checked
// in /proc and /proc/net/tcp.
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

function coracle(dir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CORACLE, 'cluster', '--dir', dir, ...args], { encoding: 'utf8', timeout: 5 * 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('cluster up (discovery service, metadata), status, exec, logs, kill, start, the seed\'s fleet story, down', { timeout: 10 * 60_000 }, async () => {
  await withHostLock('one-host-cluster', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-cluster-'));
    try {
      const up = coracle(dir, 'up', '--machines', '3', '--discovery', 'service', '--metadata', '1=role=edge,3=role=edge');
      assert.equal(up.status, 0, `${up.stdout}\n${up.stderr}`);
      assert.match(up.stdout, /Booting 3 machines/);
      assert.match(up.stdout, /etcd healthy 3\/3/, 'progress is shown');
      assert.match(up.stdout, /export ETCDCTL_ENDPOINTS=http:\/\/127\.0\.0\.2:2379,http:\/\/127\.0\.0\.3:2379,http:\/\/127\.0\.0\.4:2379/);
      const state = JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as { machines: { address: string; pid: number; ports: { etcdClient: number } }[] };
      assert.deepEqual(state.machines.map((m) => m.address), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
      assert.match(fs.readFileSync(path.join(dir, 'machines/core-01/cloud-config.yml'), 'utf8'), /discovery: http:\/\/127\.0\.0\.1:18087\//);
      if (fs.existsSync(path.join(dir, 'machines/core-01/root/run/systemd/system/fleet.service.d/20-cloudinit.conf'))) {
        assert.match(fs.readFileSync(path.join(dir, 'machines/core-01/root/run/systemd/system/fleet.service.d/20-cloudinit.conf'), 'utf8'), /FLEET_METADATA=role=edge/);
      }

      const status = coracle(dir, 'status');
      assert.equal(status.status, 0, status.stderr);
      assert.match(status.stdout, /etcd: 3 members, leader core-0\d/);
      assert.match(status.stdout, /^core-02\s+127\.0\.0\.3\s+\d+\s+etcd healthy/m);

      const put = coracle(dir, 'exec', '2', '--', 'etcdctl', 'set', '/written-on', 'core-02');
      assert.equal(put.status, 0, put.stderr);
      const members = coracle(dir, 'exec', '1', '--', 'etcdctl', 'member', 'list');
      assert.equal(members.stdout.trim().split('\n').length, 3, members.stdout);
      const idOf = (out: string, a: string): string => out.split('\n').find((l) => l.includes(`peerURLs=http://${a}:2380`))!.split(':')[0]!;
      const id2 = idOf(members.stdout, '127.0.0.3');
      const units = coracle(dir, 'exec', '1', '--', 'systemctl', 'is-active', 'etcd2.service');
      assert.equal(units.stdout.trim(), 'active');
      const logs = coracle(dir, 'logs', '1', '-u', 'etcd2.service');
      assert.match(logs.stdout, /Started etcd2\./);

      // A crash: every process of core-02 at once; its address stops answering.
      const root2 = path.join(dir, 'machines/core-02/root');
      assert.ok(processesMentioning(root2).length >= 2, 'core-02 runs its node and etcd');
      const kill = coracle(dir, 'kill', '2');
      assert.equal(kill.status, 0, kill.stderr);
      assert.match(kill.stdout, /core-02: killed \d+ processes/);
      assert.deepEqual(processesMentioning(root2), []);
      assert.deepEqual(listenersOn(['127.0.0.3']), []);
      const after = coracle(dir, 'status');
      assert.match(after.stdout, /^core-02\s+127\.0\.0\.3\s+-\s+stopped/m);
      const read = coracle(dir, 'exec', '1', '--', 'etcdctl', 'get', '/written-on');
      assert.equal(read.stdout.trim(), 'core-02', 'the rest of the cluster keeps serving');

      const start = coracle(dir, 'start', '2');
      assert.equal(start.status, 0, `${start.stdout}\n${start.stderr}`);
      const again = coracle(dir, 'exec', '2', '--', 'etcdctl', 'member', 'list');
      assert.equal(idOf(again.stdout, '127.0.0.3'), id2, 'core-02 rejoins as the same member');
      assert.equal(again.stdout.trim().split('\n').length, 3);

      // The seed's fleet story, typed as a user types it (fleetctl from the cluster's bin/).
      const pkg = JSON.parse(fs.readFileSync(path.resolve(CORACLE, '../../package.json'), 'utf8')) as { bin: Record<string, string> };
      if (pkg.bin.fleetctl) {
        const endpoint = /export FLEETCTL_ENDPOINT=(\S+)/.exec(up.stdout)?.[1];
        assert.equal(endpoint, 'http://127.0.0.2:49153');
        const fleetctl = (ep: string, ...args: string[]): string => {
          const r = spawnSync(path.join(dir, 'bin/fleetctl'), args, { cwd: path.join(dir, 'units'), encoding: 'utf8', env: { ...process.env, FLEETCTL_ENDPOINT: ep }, timeout: 60_000 });
          assert.equal(r.status, 0, `fleetctl ${args.join(' ')}: ${r.stdout}${r.stderr}`);
          return r.stdout;
        };
        const machines = fleetctl(endpoint!, 'list-machines', '--no-legend').trim().split('\n').map((l) => l.split(/\t+/));
        assert.deepEqual(machines.map((m) => m[1]).sort(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
        assert.deepEqual(machines.filter((m) => m[2] === 'role=edge').map((m) => m[1]).sort(), ['127.0.0.2', '127.0.0.4']);
        fleetctl(endpoint!, 'start', 'hello@1.service', 'hello@2.service');
        const where = (ep: string): Map<string, string> => new Map(fleetctl(ep, 'list-units', '--no-legend').trim().split('\n').map((l) => l.split(/\t+/)).map((f) => [f[0]!, f[1]!.split('/')[1] ?? '']));
        const placed = where(endpoint!);
        assert.notEqual(placed.get('hello@1.service'), placed.get('hello@2.service'), 'Conflicts= puts them on different machines');
        // Crash the machine running hello@1 (not core-02, restarted above): the unit moves.
        const victim = placed.get('hello@1.service')!;
        const n = Number(victim.split('.')[3]) - 1;
        const survivor = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].find((a) => a !== victim)!;
        assert.equal(coracle(dir, 'kill', String(n)).status, 0);
        const deadline = Date.now() + 120_000;
        let moved = '';
        while (Date.now() < deadline) {
          moved = where(`http://${survivor}:49153`).get('hello@1.service') ?? '';
          if (moved !== '' && moved !== victim) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
        assert.ok(moved !== '' && moved !== victim, `hello@1.service moved off ${victim} (now on ${moved})`);
        assert.equal(coracle(dir, 'start', String(n)).status, 0);
      }

      const down = coracle(dir, 'down');
      assert.equal(down.status, 0, down.stderr);
      assert.deepEqual(processesMentioning(dir), []);
      assert.deepEqual(listenersOn(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']).filter((l) => !/:(?!2379|2380|4001|49153|12379|12380|18087)\d+$/.test(l)), []);
    } finally {
      tearDownCluster(dir, () => coracle(dir, 'down'));
    }
  });
});
