// An isolated member: its peer traffic dropped with nftables rules on its own
// 127.0.0.x address (a network namespace would take the address away). It
// must refuse writes and quorum reads while the majority serves, then heal.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { findLeader, MemberProcess, request, sleep, startCluster, tempDir } from './members.js';

const TABLE = `coracle_partition_${process.pid}`;
const running: MemberProcess[] = [];
const dirs: string[] = [];

function nft(script: string): void {
  const r = spawnSync('nft', ['-f', '-'], { input: script, encoding: 'utf8' });
  if (r.error) throw new Error(`nft could not run (${r.error.message}); install it with: apt-get install nftables`);
  if (r.status !== 0) throw new Error(`nft failed: ${r.stderr}`);
}

function isolatePeerTraffic(addr: string): void {
  nft(`table inet ${TABLE} {
  chain out {
    type filter hook output priority 0;
    ip saddr ${addr} tcp dport 2380 drop
    ip daddr ${addr} tcp dport 2380 drop
  }
}`);
}

function heal(): void {
  spawnSync('nft', ['delete', 'table', 'inet', TABLE]);
}

after(async () => {
  heal();
  await Promise.all(running.map((m) => m.kill9()));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('an isolated member refuses writes and quorum reads while the majority serves; it heals', async () => {
  const dir = tempDir('coracle-partition-');
  dirs.push(dir);
  const members = await startCluster(['127.0.0.55', '127.0.0.56', '127.0.0.57'], dir);
  running.push(...members);
  const leader = await findLeader(members);
  const isolated = members.find((m) => m !== leader)!;
  const majority = members.filter((m) => m !== isolated);
  assert.equal((await request('PUT', `${leader.clientURL}/v2/keys/before`, 'value=1')).status, 201);

  isolatePeerTraffic(isolated.spec.addr);
  try {
    await sleep(1500); // longer than an election timeout (500 ms here)
    const write = await request('PUT', `${isolated.clientURL}/v2/keys/minority`, 'value=x');
    assert.equal(write.status, 500);
    assert.equal(write.body, '{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: request timed out","index":0}\n');
    const qget = await request('GET', `${isolated.clientURL}/v2/keys/before?quorum=true`);
    assert.equal(qget.status, 500);
    // Plain reads are served locally, possibly stale — as etcd does.
    assert.equal((await request('GET', `${isolated.clientURL}/v2/keys/before`)).status, 200);
    // The majority keeps serving.
    const leaderNow = await findLeader(majority);
    assert.equal((await request('PUT', `${leaderNow.clientURL}/v2/keys/during`, 'value=2')).status, 201);
  } finally {
    heal();
  }

  // Healed: the member catches up and serves linearizable reads again.
  let caughtUp = false;
  for (let i = 0; i < 50 && !caughtUp; i++) {
    const r = await request('GET', `${isolated.clientURL}/v2/keys/during?quorum=true`);
    caughtUp = r.status === 200;
    if (!caughtUp) await sleep(200);
  }
  assert.ok(caughtUp, 'the healed member serves the write made during the partition');
  assert.equal((await request('GET', `${isolated.clientURL}/v2/keys/minority`)).status, 404, 'the refused write never happened');
  await Promise.all(members.map((m) => m.stop()));
});
