// Watches and TTLs across a 3-member cluster, driven by the real etcdctl and HTTP.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { etcdctl, findLeader, MemberProcess, REAL_ETCDCTL, request, sleep, startCluster, tempDir } from './members.js';

const running: MemberProcess[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(running.map((m) => m.kill9()));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('a watch on a follower keeps delivering across a leader change; TTL expiry reaches it as an expire event', async () => {
  const dir = tempDir('coracle-watch-');
  dirs.push(dir);
  const members = await startCluster(['127.0.0.91', '127.0.0.92', '127.0.0.93'], dir);
  running.push(...members);
  const leader = await findLeader(members);
  const follower = members.find((m) => m !== leader)!;
  const other = members.find((m) => m !== leader && m !== follower)!;

  const out: string[] = [];
  const watch = spawn(REAL_ETCDCTL, ['--endpoints', follower.clientURL, '--no-sync', 'watch', '--forever', '-r', '/w'], { env: { PATH: process.env.PATH ?? '', ETCDCTL_API: '2' } });
  watch.stdout.setEncoding('utf8');
  watch.stdout.on('data', (d: string) => out.push(d));
  const seen = async (text: string) => {
    for (let i = 0; i < 100 && !out.join('').includes(text); i++) await sleep(100);
    assert.ok(out.join('').includes(text), `watch never printed ${JSON.stringify(text)}; it printed:\n${out.join('')}`);
  };
  try {
    await sleep(500);
    assert.equal((await request('PUT', `${other.clientURL}/v2/keys/w/a`, 'value=before')).status, 201);
    await seen('[set] /w/a\nbefore\n');
    await leader.kill9();
    await findLeader([follower, other]);
    let written = false;
    for (let i = 0; i < 30 && !written; i++) {
      written = (await request('PUT', `${other.clientURL}/v2/keys/w/b`, 'value=after')).status === 201;
      if (!written) await sleep(200);
    }
    await seen('[set] /w/b\nafter\n');
    // A key with a TTL expires on the leader's clock; every member's watchers see it.
    assert.equal((await request('PUT', `${other.clientURL}/v2/keys/w/t`, 'value=gone&ttl=1')).status, 201);
    await seen('[expire] /w/t\n');
    assert.equal((await request('GET', `${follower.clientURL}/v2/keys/w/t`)).status, 404);
  } finally {
    watch.kill('SIGKILL');
  }
  await Promise.all([follower, other].map((m) => m.stop()));
});

test('etcdctl member update changes a member\'s peer URLs', async () => {
  const dir = tempDir('coracle-update-');
  dirs.push(dir);
  const members = await startCluster(['127.0.0.94', '127.0.0.95', '127.0.0.96'], dir);
  running.push(...members);
  const ep = ['--endpoints', members.map((m) => m.clientURL).join(',')];
  const list = etcdctl([...ep, 'member', 'list']).stdout;
  const id = /^([0-9a-f]+): name=m3 /m.exec(list)![1]!;
  const r = etcdctl([...ep, 'member', 'update', id, 'http://127.0.0.96:2380,http://127.0.0.96:7001']);
  assert.equal(r.stdout, `Updated member with ID ${id} in cluster\n`);
  // Acknowledged once applied where etcdctl sent it; members[0] may apply it a moment later.
  const peerURLsOnFirst = async (): Promise<string[]> => {
    const body = JSON.parse((await request('GET', `${members[0]!.clientURL}/v2/members`)).body) as { members: Array<{ id: string; peerURLs: string[] }> };
    return body.members.find((m) => m.id === id)!.peerURLs;
  };
  let seen = await peerURLsOnFirst();
  for (let i = 0; i < 50 && seen.length !== 2; i++) {
    await sleep(100);
    seen = await peerURLsOnFirst();
  }
  assert.deepEqual(seen, ['http://127.0.0.96:2380', 'http://127.0.0.96:7001']);
  const clash = etcdctl([...ep, 'member', 'update', id, 'http://127.0.0.94:2380']);
  assert.notEqual(clash.status, 0);
  await Promise.all(members.map((m) => m.stop()));
});
