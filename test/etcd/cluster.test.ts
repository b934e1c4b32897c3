// `coracle etcd` as a user runs it: separate processes, each on its own
// loopback address (127.0.0.21-39, a range per test so one failure cannot
// leave another test's addresses taken), driven by the real etcdctl 3.4 and
// by plain HTTP. Members are stopped by PID.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { etcdctl, findLeader, initialCluster, MemberProcess, request, sleep, startCluster, tempDir } from './members.js';

const addrs = (...last: number[]) => last.map((n) => `127.0.0.${n}`);

/** Send raw bytes and return the first response bytes (for request lines no HTTP client would send). */
function rawRequest(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port }, () => sock.write(text));
    let out = '';
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      out += d;
      if (out.includes('\r\n\r\n')) sock.destroy();
    });
    sock.on('close', () => resolve(out));
    sock.on('error', reject);
    sock.setTimeout(5000, () => sock.destroy());
  });
}
const running: MemberProcess[] = [];
const dirs: string[] = [];

after(async () => {
  await Promise.all(running.map((m) => m.kill9()));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function cluster(addrs: string[], extra: string[] = []): Promise<{ members: MemberProcess[]; dir: string }> {
  const dir = tempDir('coracle-etcd-');
  dirs.push(dir);
  const members = await startCluster(addrs, dir, extra);
  running.push(...members);
  return { members, dir };
}

async function stopAll(ms: MemberProcess[]): Promise<void> {
  await Promise.all(ms.map((m) => m.stop()));
}

const endpoints = (ms: MemberProcess[]) => ms.map((m) => m.clientURL).join(',');

test('the etcdctl these tests drive is the real etcd 3.4 client', () => {
  const r = etcdctl(['--version']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^etcdctl version: 3\.4\./m);
});

test('real etcdctl drives a 3-member cluster: set, get, mk, ls, rm, member list, cluster-health', async () => {
  const ADDRS = addrs(21, 22, 23);
  const { members } = await cluster(ADDRS);
  const ep = ['--endpoints', endpoints(members)];
  assert.deepEqual(etcdctl([...ep, 'set', '/ctl/a', 'hello']), { status: 0, stdout: 'hello\n', stderr: '' });
  assert.equal(etcdctl([...ep, 'get', '/ctl/a']).stdout, 'hello\n');
  const mk = etcdctl([...ep, 'mk', '/ctl/a', 'x']);
  assert.equal(mk.status, 4);
  assert.match(mk.stderr, /^Error: {2}105: Key already exists \(\/ctl\/a\) \[\d+\]$/m);
  etcdctl([...ep, 'mkdir', '/ctl/d']);
  assert.equal(etcdctl([...ep, 'ls', '--sort', '-p', '/ctl']).stdout, '/ctl/a\n/ctl/d/\n');
  assert.equal(etcdctl([...ep, 'rm', '/ctl/a']).stdout, 'PrevNode.Value: hello\n');
  const get = etcdctl([...ep, 'get', '/ctl/a']);
  assert.equal(get.status, 4);
  assert.match(get.stderr, /100: Key not found \(\/ctl\/a\)/);

  const list = etcdctl([...ep, 'member', 'list']).stdout.trim().split('\n').sort();
  assert.equal(list.length, 3);
  for (const [i, addr] of ADDRS.entries()) {
    assert.ok(
      list.some((l) => l.endsWith(`name=m${i + 1} peerURLs=http://${addr}:2380 clientURLs=http://${addr}:2379 isLeader=${l.includes('isLeader=true') ? 'true' : 'false'}`)),
      `member list lacks m${i + 1}:\n${list.join('\n')}`,
    );
  }
  assert.equal(list.filter((l) => l.includes('isLeader=true')).length, 1);
  // A new cluster's first election may be opened at once, and then only by
  // the member with the lowest ID (the others would split the vote).
  const ids = list.map((l) => l.split(':')[0]!);
  const lowest = ids.reduce((a, b) => (BigInt(`0x${a}`) < BigInt(`0x${b}`) ? a : b));
  const eager = members.filter((m) => m.log.some((l) => l.includes('campaigning at once')));
  assert.ok(eager.length <= 1, 'at most one member campaigns at once');
  for (const m of eager) assert.ok(list.some((l) => l.startsWith(`${lowest}:`) && l.includes(`name=${m.spec.name} `)), `${m.spec.name} campaigned at once without the lowest ID`);
  const health = etcdctl([...ep, 'cluster-health']);
  assert.equal(health.status, 0, health.stderr);
  assert.match(health.stdout, /cluster is healthy\n$/);
  assert.equal((health.stdout.match(/is healthy: got healthy result from/g) ?? []).length, 3);
  await stopAll(members);
});

test('kill -9 the leader during writes: a new leader, writes continue, no acknowledged write lost; the member rejoins', async () => {
  const { members, dir } = await cluster(addrs(24, 25, 26));
  const acked: string[] = [];
  let killed: MemberProcess | undefined;
  const deadline = Date.now() + 15000;
  for (let i = 0; i < 300 && Date.now() < deadline; i++) {
    if (i === 60) {
      killed = await findLeader(members);
      await killed.kill9();
    }
    const live = members.filter((m) => m !== killed);
    const target = live[i % live.length]!;
    try {
      const r = await request('PUT', `${target.clientURL}/v2/keys/w/${i}`, `value=v${i}`);
      if (r.status === 201 || r.status === 200) acked.push(String(i));
    } catch {
      // not acknowledged: may or may not have been written
    }
  }
  assert.ok(killed, 'the leader was killed');
  assert.ok(acked.length >= 240, `only ${acked.length} of 300 writes were acknowledged`);
  const newLeader = await findLeader(members.filter((m) => m !== killed));
  assert.notEqual(newLeader, killed);

  // Restart the killed member from its data dir; it must catch up.
  const restarted = new MemberProcess({ ...killed.spec, dataDir: path.join(dir, killed.spec.name) });
  running.push(restarted);
  await restarted.waitReady();
  for (const m of [...members.filter((x) => x !== killed), restarted]) {
    for (const i of acked) {
      const r = await request('GET', `${m.clientURL}/v2/keys/w/${i}?quorum=true`);
      assert.equal(r.status, 200, `acknowledged key /w/${i} missing on ${m.spec.name}: ${r.body}`);
      assert.equal((JSON.parse(r.body) as { node: { value: string } }).node.value, `v${i}`);
    }
  }
  await stopAll([...members, restarted]);
});

test('a member far behind catches up from a snapshot', async () => {
  const { members, dir } = await cluster(addrs(27, 28, 29), ['--snapshot-count', '20']);
  // Stop a follower (a proposal forwarded to a leader that dies is lost, as in etcd).
  const leader = await findLeader(members);
  const lagging = members.find((m) => m !== leader)!;
  const up = members.filter((m) => m !== lagging);
  await lagging.stop();
  for (let i = 0; i < 120; i++) {
    const r = await request('PUT', `${up[i % 2]!.clientURL}/v2/keys/s/${i}`, `value=${i}`);
    assert.ok(r.status === 201 || r.status === 200, r.body);
  }
  const back = new MemberProcess({ ...lagging.spec, dataDir: path.join(dir, lagging.spec.name) });
  running.push(back);
  await back.waitReady();
  const r = await request('GET', `${back.clientURL}/v2/keys/s/119?quorum=true`);
  assert.equal(JSON.parse(r.body).node.value, '119');
  const local = await request('GET', `${back.clientURL}/v2/keys/s/0`);
  assert.equal(JSON.parse(local.body).node.value, '0');
  assert.ok(back.log.some((l) => l.includes('applied snapshot from the leader')), 'the lagging member was sent a snapshot');
  await stopAll([...up, back]);
});

test('etcdctl member add / remove grow and shrink the cluster', async () => {
  const { members, dir } = await cluster(addrs(31, 32, 33));
  const ep = ['--endpoints', endpoints(members)];
  const add = etcdctl([...ep, 'member', 'add', 'm4', 'http://127.0.0.34:2380']);
  assert.equal(add.status, 0, add.stderr);
  const id = /Added member named m4 with ID ([0-9a-f]+) to cluster/.exec(add.stdout)?.[1];
  assert.ok(id, add.stdout);
  assert.match(add.stdout, /\nETCD_NAME="m4"\nETCD_INITIAL_CLUSTER="[^"]*m4=http:\/\/127\.0\.0\.34:2380[^"]*"\nETCD_INITIAL_CLUSTER_STATE="existing"\n/);
  const ic = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(add.stdout)![1]!;
  assert.match(etcdctl([...ep, 'member', 'list']).stdout, new RegExp(`^${id}\\[unstarted\\]: peerURLs=http://127.0.0.34:2380$`, 'm'));

  const m4 = new MemberProcess({ name: 'm4', addr: '127.0.0.34', dataDir: path.join(dir, 'm4'), initialCluster: ic, state: 'existing' });
  running.push(m4);
  await m4.waitReady();
  assert.match(etcdctl([...ep, 'member', 'list']).stdout, new RegExp(`^${id}: name=m4 peerURLs=http://127.0.0.34:2380 clientURLs=http://127.0.0.34:2379`, 'm'));
  etcdctl([...ep, 'set', '/grown', 'yes']);
  assert.equal((await request('GET', `${m4.clientURL}/v2/keys/grown?quorum=true`)).status, 200);
  // m4 joined as a learner and the leader made it a voter once it caught up.
  for (let i = 0; i < 50 && !members.some((m) => m.log.some((l) => l.includes('promoting a caught-up member to voter'))); i++) await sleep(100);
  assert.ok(members.some((m) => m.log.some((l) => l.includes(`"member":"${id}"`) && l.includes('promoting a caught-up member to voter'))));

  const rm = etcdctl([...ep, 'member', 'remove', id]);
  assert.equal(rm.stdout, `Removed member ${id} from cluster\n`);
  assert.equal(await Promise.race([m4.exited.then(() => 'exited'), sleep(10000).then(() => 'still running')]), 'exited');
  assert.equal(etcdctl([...ep, 'member', 'list']).stdout.trim().split('\n').length, 3);
  assert.equal(etcdctl([...ep, 'set', '/shrunk', 'yes']).status, 0);
  await stopAll(members);
});

test('--force-new-cluster brings a lone survivor back as a one-member cluster with its data', async () => {
  const { members, dir } = await cluster(addrs(35, 36, 37));
  await request('PUT', `${members[0]!.clientURL}/v2/keys/kept`, 'value=yes');
  await stopAll(members);
  const survivor = new MemberProcess({ ...members[0]!.spec, dataDir: path.join(dir, 'm1'), extra: ['--force-new-cluster'] });
  running.push(survivor);
  await survivor.waitReady();
  const r = await request('GET', `${survivor.clientURL}/v2/keys/kept`);
  assert.equal(JSON.parse(r.body).node.value, 'yes');
  const listed = JSON.parse((await request('GET', `${survivor.clientURL}/v2/members`)).body) as { members: Array<{ name: string }> };
  const names = listed.members.map((x) => x.name);
  assert.deepEqual(names, ['m1']);
  assert.equal((await request('PUT', `${survivor.clientURL}/v2/keys/after`, 'value=1')).status, 201);
  await survivor.stop();
});

test('bad input gets etcd\'s errors and the member stays up', async () => {
  const { members } = await cluster(addrs(38));
  const url = members[0]!.clientURL;
  const big = await request('PUT', `${url}/v2/keys/big`, `value=${'x'.repeat(12 * 1024 * 1024)}`);
  assert.equal(big.status, 400);
  assert.equal(big.body, '{"errorCode":210,"message":"Invalid POST form","cause":"http: POST too large","index":0}\n');
  const ok2mb = await request('PUT', `${url}/v2/keys/two`, `value=${'y'.repeat(2 * 1024 * 1024)}`);
  assert.equal(ok2mb.status, 201);
  const bad = await request('PUT', `${url}/v2/keys/k?ttl=abc`, 'value=1');
  assert.equal(bad.body, '{"errorCode":202,"message":"The given TTL in POST form is not a number","cause":"invalid value for \\"ttl\\"","index":0}\n');
  const wrong = await request('PATCH', `${url}/v2/keys/k`);
  assert.equal(wrong.status, 405);
  const peerGarbage = await request('POST', 'http://127.0.0.38:2380/raft', '{"not":"a batch"}', { 'X-Etcd-Cluster-ID': 'x' });
  assert.equal(peerGarbage.status, 412);
  // The right cluster ID but a broken batch: refused with the reason, nothing reaches Raft.
  const cid = (await request('GET', `${url}/v2/members`)).headers['x-etcd-cluster-id'] as string;
  const broken = await request('POST', 'http://127.0.0.38:2380/raft', '[{"type":"MsgApp","to":"x","from":"y","term":-1}]', { 'X-Etcd-Cluster-ID': cid });
  assert.equal(broken.status, 400);
  assert.equal(broken.body, 'message 0: "term" must be a non-negative integer\n');
  const notJSON = await request('POST', 'http://127.0.0.38:2380/raft', '\u0000garbage', { 'X-Etcd-Cluster-ID': cid });
  assert.equal(notJSON.status, 400);
  assert.match(notJSON.body, /^raft message batch is not JSON/);
  // Input that would break Raft's own checks, from a peer that claims to be a member: refused, the member stays up.
  const memberId = (JSON.parse((await request('GET', `${url}/v2/members`)).body) as { members: Array<{ id: string }> }).members[0]!.id;
  const emptyProp = await request('POST', 'http://127.0.0.38:2380/raft', `[{"type":"MsgProp","to":"${memberId}","from":"zz","term":0}]`, { 'X-Etcd-Cluster-ID': cid });
  assert.equal(emptyProp.status, 400);
  assert.equal(emptyProp.body, 'message 0: MsgProp without entries\n');
  const liar = await request('POST', 'http://127.0.0.38:2380/raft', `[{"type":"MsgHeartbeat","to":"${memberId}","from":"${memberId}","term":99,"commit":100000}]`, { 'X-Etcd-Cluster-ID': cid });
  assert.equal(liar.status, 204);
  const unknown = await request('POST', 'http://127.0.0.38:2380/raft', `[{"type":"MsgHeartbeat","to":"${memberId}","from":"feedface","term":99,"commit":100000}]`, { 'X-Etcd-Cluster-ID': cid });
  assert.equal(unknown.status, 204);
  // A snapshot whose data is not a store is refused before it is saved.
  const header = Buffer.from(`[{"type":"MsgSnap","to":"${memberId}","from":"${memberId}","term":99,"snapshot":{"index":500,"term":99,"voters":["${memberId}"],"learners":[],"data":""}}]`);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length, 0);
  const badSnap = await request('POST', 'http://127.0.0.38:2380/raft/snapshot', Buffer.concat([len, header, Buffer.from('not a store')]).toString('latin1'), { 'X-Etcd-Cluster-ID': cid, 'Content-Type': 'application/octet-stream' });
  assert.equal(badSnap.status, 400);
  // A request target that does not parse: 400, on both listeners.
  for (const port of [2379, 2380]) {
    const raw = await rawRequest('127.0.0.38', port, 'GET http://[%zz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 400 /);
  }
  assert.equal((await request('PUT', `${url}/v2/keys/still-up`, 'value=1')).status, 201);
  // Many oversized forms at once: each refused, the member stays up.
  const many = await Promise.all(
    Array.from({ length: 12 }, (_, i) => request('PUT', `${url}/v2/keys/big${i}`, `value=${'z'.repeat(11 * 1024 * 1024)}`)),
  );
  assert.deepEqual(many.map((r) => r.status), Array(12).fill(400));
  const health = await request('GET', `${url}/health`);
  assert.equal(health.body, '{"health":"true"}');
  await members[0]!.stop();
});

test('a second member cannot open a data dir in use', async () => {
  const { members, dir } = await cluster(addrs(39));
  const second = new MemberProcess({ ...members[0]!.spec, addr: '127.0.0.30', initialCluster: initialCluster(['127.0.0.30']), dataDir: path.join(dir, 'm1') });
  running.push(second);
  const code = await second.exited;
  assert.equal(code, 1);
  assert.ok(second.log.some((l) => /locked/.test(l)), second.log.join('\n'));
  await members[0]!.stop();
});

test('etcdctl backup of a running member restores with --force-new-cluster', async () => {
  const { members, dir } = await cluster(addrs(50));
  const m = members[0]!;
  for (let i = 0; i < 30; i++) await request('PUT', `${m.clientURL}/v2/keys/b/${i}`, `value=${i}`);
  const backupDir = path.join(dir, 'backup');
  const ETCDCTL = new URL('../../../bin/etcdctl.js', import.meta.url).pathname;
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, [ETCDCTL, 'backup', '--data-dir', m.spec.dataDir, '--backup-dir', backupDir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const again = spawnSync(process.execPath, [ETCDCTL, 'backup', '--data-dir', m.spec.dataDir, '--backup-dir', backupDir], { encoding: 'utf8' });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already holds a member/);
  await m.stop();

  const restored = new MemberProcess({ ...m.spec, dataDir: backupDir, extra: ['--force-new-cluster'] });
  running.push(restored);
  await restored.waitReady();
  const got = await request('GET', `${restored.clientURL}/v2/keys/b/29`);
  assert.equal(JSON.parse(got.body).node.value, '29');
  const oldCluster = m.log.join('\n').match(/"cluster":"([0-9a-f]+)"/)?.[1];
  assert.ok(oldCluster);
  assert.notEqual(got.headers['x-etcd-cluster-id'], oldCluster, 'the restored member is a new cluster');
  await restored.stop();
});

test('strict reconfiguration: a remove that would break the active quorum is refused; unstarted members never cost the quorum', async () => {
  const { members } = await cluster(addrs(81, 82, 83));
  const [m1, m2, m3] = members as [MemberProcess, MemberProcess, MemberProcess];
  await m3.stop();
  await sleep(1500); // every member notices within a probe or two
  const ids = JSON.parse((await request('GET', `${m1.clientURL}/v2/members`)).body) as { members: Array<{ id: string; name: string }> };
  const m2id = ids.members.find((m) => m.name === 'm2')!.id;
  // Without m2 the quorum of the remaining two needs m3, which is down.
  const rm = await request('DELETE', `${m1.clientURL}/v2/members/${m2id}`);
  assert.equal(rm.status, 500);
  assert.equal(rm.body, '{"message":"Internal Server Error"}'); // no newline: etcd's json.Marshal
  // The member that took the request says why (its log arrives through a pipe: wait for it).
  await m1.waitForLog('reconfigure breaks active quorum', 5000);
  assert.equal((JSON.parse((await request('GET', `${m1.clientURL}/v2/members`)).body) as { members: unknown[] }).members.length, 3);
  await stopAll([m1, m2]);

  const single = await cluster(addrs(84));
  const s = single.members[0]!;
  const add = (url: string) => request('POST', `${s.clientURL}/v2/members`, JSON.stringify({ peerURLs: [url] }), { 'Content-Type': 'application/json' });
  // Members join as learners: adding two that never start leaves the quorum as
  // it was (etcd 3.4 would lose it after the first), so writes go on.
  assert.equal((await add('http://127.0.0.85:2380')).status, 201);
  assert.equal((await add('http://127.0.0.86:2380')).status, 201);
  assert.equal((await request('PUT', `${s.clientURL}/v2/keys/still-writable`, 'value=1')).status, 201);
  await s.kill9();
});

test('a member serves clients on every listed client URL, 4001 as well as 2379', async () => {
  const dir = tempDir('coracle-4001-');
  dirs.push(dir);
  const addr = '127.0.0.87';
  const m = new MemberProcess({
    name: 'p1', addr, dataDir: path.join(dir, 'p1'), initialCluster: initialCluster([addr], ['p1']),
    extra: ['--listen-client-urls', `http://${addr}:2379,http://${addr}:4001`, '--advertise-client-urls', `http://${addr}:2379,http://${addr}:4001`],
  });
  running.push(m);
  await m.waitReady();
  assert.equal((await request('PUT', `http://${addr}:4001/v2/keys/legacy`, 'value=4001')).status, 201);
  assert.equal(JSON.parse((await request('GET', `http://${addr}:2379/v2/keys/legacy`)).body).node.value, '4001');
  assert.equal((await request('GET', `http://${addr}:4001/v2/machines`)).body, `http://${addr}:2379, http://${addr}:4001`);
  const metrics = (await request('GET', `http://${addr}:2379/metrics`)).body;
  assert.match(metrics, /^etcd_server_has_leader 1$/m);
  assert.match(metrics, /^etcd_server_is_leader 1$/m);
  await m.stop();
});
