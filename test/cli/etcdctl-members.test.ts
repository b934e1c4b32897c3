// Differential test of member and cluster-health: the real etcdctl 3.4 and
// ours run the same session, each against a fresh one-member etcd 3.4 at the
// same address: list, update, add (and start the added member with the
// printed ETCD_* settings), remove, and cluster-health when healthy, when a
// member was added but never started, and when quorum is lost.

import http from 'node:http';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdClient } from '../../src/client/index.js';
import { requireRealEtcd, startEtcd, type RunningEtcd } from '../client/real-etcd.js';
import { normalize, ourTool, realTool, runScript, type Step, type Tool, type Transcript } from './etcdctl-harness.js';

const IP = '127.0.0.43';
const IP2 = '127.0.0.44';
const EP = `http://${IP}:24379`;
const PEER = `http://${IP}:24380`;
const PEER2 = `http://${IP2}:24380`;
const PEER3 = `http://${IP2}:24390`;

async function session(tool: Tool): Promise<{ records: Transcript[]; stableId: string }> {
  const etcd = await startEtcd({ name: 'm1', ip: IP, clientPort: 24379, peerPort: 24380 });
  let second: RunningEtcd | undefined;
  const c = new EtcdClient({ endpoints: [EP] });
  try {
    const [self] = await c.members.list();
    const id = self!.id;
    const r = (...args: string[]): Step => ({ args });
    const steps: Step[] = [
      r('member', 'list'),
      r('cluster-health'),
      r('member', 'update', id, PEER),
      r('member', 'update', 'abcdef', PEER2),
      r('member', 'update', id, 'notaurl'),
      r('member', 'add', 'dup', PEER),
      r('member', 'add', 'bad', 'ftp://x:1'),
      r('member', 'add', 'bad', 'http://nohost'),
      r('member', 'add', 'bad', 'http://h:1/path'),
      r('member', 'remove', 'm1'),
      r('member', 'remove', '1234'),
      // Grow to two members and start the new one as `member add` says.
      { args: ['member', 'add', 'm2', PEER2], capture: { name: 'cluster', re: /ETCD_INITIAL_CLUSTER="([^"]*)"/ } },
      {
        kind: 'do',
        fn: async (cap) => {
          second = await startEtcd(
            { name: 'm2', ip: IP2, clientPort: 24379, peerPort: 24380, initialCluster: cap.get('cluster') ?? '', initialClusterState: 'existing' },
            true,
          );
        },
      },
      { args: ['member', 'list'], sortLines: true, capture: { name: 'm2', re: /^([0-9a-f]+): name=m2 /m } },
      { args: ['cluster-health'], sortLines: true },
      // etcd refuses to remove a member connected for less than 5 s (strict reconfig check).
      { kind: 'do', fn: () => new Promise((r) => setTimeout(r, 6500)) },
      { args: (cap) => ['member', 'remove', cap.get('m2') ?? 'missing'] },
      { kind: 'do', fn: async () => second?.stop() },
      r('member', 'list'),
      // An added member that never starts: no client URLs, and quorum is gone.
      r('member', 'add', 'm3', PEER3),
      { args: ['member', 'list'], sortLines: true },
      // Let etcd notice the lost quorum (check-quorum deposes the leader within
      // an election timeout) so both tools see the same settled cluster.
      { kind: 'do', fn: () => untilHealthStatus(EP, 503) },
      // Members print in ID order, and the added member's ID is time-derived: compare lines as a set.
      { args: ['cluster-health'], sortLines: true },
    ];
    const records = await runScript(tool, EP, ['--endpoints', EP], steps);
    return { records, stableId: id };
  } finally {
    c.close();
    await second?.stop();
    await etcd.stop();
  }
}

/** Poll the member's /health until it answers `status` (bounded: 15 s). */
async function untilHealthStatus(clientURL: string, status: number): Promise<void> {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    const got = await new Promise<number>((resolve) => {
      const req = http.get(`${clientURL}/health`, { timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
    });
    if (got === status) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${clientURL}/health did not answer ${status} within 15 s`);
}

test('member list/add/remove/update and cluster-health match the real etcdctl', { timeout: 180000 }, async () => {
  requireRealEtcd();
  const real = await session(realTool);
  const ours = await session(ourTool);
  // The first member's ID is a hash of its peer URL and token: the same in both runs.
  assert.equal(ours.stableId, real.stableId);
  assert.equal(ours.records.length, real.records.length);
  // The session went where it was meant to (so equal transcripts mean something).
  const byArgs = (re: RegExp): Transcript[] => real.records.filter((t) => re.test(t.args));
  assert.match(byArgs(/cluster-health/)[0]!.stdout, /is healthy: got healthy result[\s\S]*cluster is healthy\n$/);
  assert.match(byArgs(/member remove [0-9a-f]{8,}/)[0]!.stdout, /^Removed member [0-9a-f]+ from cluster\n$/);
  const last = real.records[real.records.length - 1]!;
  assert.match(last.stdout, /no available published client urls/);
  assert.equal(last.code, 5);
  for (let i = 0; i < real.records.length; i++) {
    const want = normalize(real.records[i]!, [real.stableId]);
    const got = normalize(ours.records[i]!, [ours.stableId]);
    assert.deepEqual(got, want, `step ${i}: etcdctl ${real.records[i]!.args}`);
  }
});
