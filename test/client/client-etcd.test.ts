// The client against a real etcd 3.4: every keys option, typed errors,
// polled and streamed watches, members, version, health and stats.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdClient, EtcdError, MembersError, type KeysResponse } from '../../src/client/index.js';
import { startEtcd, type RunningEtcd } from './real-etcd.js';

let etcd: RunningEtcd;
let c: EtcdClient;

before(async () => {
  etcd = await startEtcd({ name: 'client', ip: '127.0.0.42', clientPort: 24379, peerPort: 24380 });
  c = new EtcdClient({ endpoints: [etcd.clientURL], localAddress: '127.0.0.42', totalTimeout: 5000 });
});

after(async () => {
  c?.close();
  await etcd?.stop();
});

async function code(p: Promise<unknown>): Promise<number> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(e instanceof EtcdError, `expected an EtcdError, got ${String(e)}`);
  return e.errorCode;
}

test('set, get, create, update, compare-and-swap and compare-and-delete', async () => {
  const s = await c.keys.set('/k/a', '1');
  assert.equal(s.action, 'set');
  assert.equal(s.status, 201);
  assert.ok(s.raftIndex !== undefined && s.raftTerm !== undefined);
  const idx = s.node!.modifiedIndex!;
  assert.equal((await c.keys.get('/k/a')).node?.value, '1');
  assert.equal(await code(c.keys.create('/k/a', 'x')), 105);
  assert.equal((await c.keys.create('/k/b', 'x')).action, 'create');
  assert.equal((await c.keys.update('/k/a', '2')).prevNode?.value, '1');
  assert.equal(await code(c.keys.update('/k/none', 'x')), 100);
  assert.equal((await c.keys.set('/k/a', '3', { prevValue: '2' })).action, 'compareAndSwap');
  assert.equal(await code(c.keys.set('/k/a', '4', { prevIndex: idx })), 101);
  const err = await c.keys.set('/k/a', '4', { prevValue: 'nope' }).catch((e: unknown) => e);
  assert.ok(err instanceof EtcdError);
  assert.equal(err.cause, '[nope != 3]');
  assert.ok(err.index > 0);
  assert.equal(await code(c.keys.delete('/k/a', { prevValue: 'nope' })), 101);
  assert.equal((await c.keys.delete('/k/a', { prevValue: '3' })).action, 'compareAndDelete');
  assert.equal((await c.keys.set('/k/n', 'v', { noValueOnSuccess: true })).node, undefined);
});

test('directories, recursive and sorted listings, quorum reads, in-order keys', async () => {
  await c.keys.set('/d', '', { dir: true });
  assert.equal(await code(c.keys.set('/d', '', { dir: true, prevExist: false })), 105);
  for (const k of ['c', 'a', 'b']) await c.keys.set(`/d/${k}/x`, k);
  const r = await c.keys.get('/d', { recursive: true, sorted: true, quorum: true });
  assert.deepEqual(r.node?.nodes?.map((n) => n.key), ['/d/a', '/d/b', '/d/c']);
  assert.equal(r.node?.nodes?.[0]?.nodes?.[0]?.value, 'a');
  assert.equal(await code(c.keys.delete('/d')), 102);
  assert.equal(await code(c.keys.delete('/d', { dir: true })), 108);
  assert.equal((await c.keys.delete('/d', { recursive: true })).node?.dir, true);
  const q1 = await c.keys.createInOrder('/q', 'job1');
  const q2 = await c.keys.createInOrder('/q', 'job2', { ttl: 60 });
  assert.match(q1.node!.key!, /^\/q\/\d{20}$/);
  assert.ok(q2.node!.key! > q1.node!.key!);
  assert.equal(q2.node?.ttl, 60);
});

test('TTLs and refresh', async () => {
  const t = await c.keys.set('/ttl', 'v', { ttl: 30 });
  assert.equal(t.node?.ttl, 30);
  assert.match(t.node!.expiration!, /Z$/);
  const r = await c.keys.set('/ttl', '', { ttl: 60, refresh: true, prevExist: true });
  assert.equal(r.node?.value, 'v');
  assert.equal(r.node?.ttl, 60);
  assert.equal(await code(c.keys.set('/ttl', 'x', { ttl: 60, refresh: true })), 211);
});

test('watch: polled from an index, streamed, and the cleared-history error', async () => {
  const base = (await c.keys.set('/w/k', '0')).node!.modifiedIndex!;
  await c.keys.set('/w/k', '1');
  const w = c.keys.watcher('/w', { afterIndex: base, recursive: true });
  assert.equal((await w.next()).node?.value, '1');
  const pending = w.next();
  await c.keys.set('/w/k', '2');
  assert.equal((await pending).node?.value, '2');

  const s = c.keys.watcher('/ws', { stream: true });
  const got: KeysResponse[] = [];
  const reading = (async () => {
    for await (const ev of s) {
      got.push(ev);
      if (got.length === 3) break;
    }
  })();
  // Write only once the stream's watcher is registered.
  while (((await c.storeStats()).watchers ?? 0) < 1) await new Promise((r) => setTimeout(r, 20));
  for (const v of ['a', 'b', 'c']) await c.keys.set('/ws', v);
  await reading;
  s.close();
  assert.deepEqual(got.map((e) => e.node?.value), ['a', 'b', 'c']);

  const closed = c.keys.watcher('/never');
  const p = closed.next();
  closed.close();
  await assert.rejects(p, { name: 'CanceledError' });

  for (let i = 0; i < 1005; i++) await c.keys.set('/fill', String(i));
  assert.equal(await code(c.keys.watcher('/w', { afterIndex: 1 }).next()), 401);
});

test('members, leader, version, health and stats', async () => {
  const ms = await c.members.list();
  assert.equal(ms.length, 1);
  assert.deepEqual(ms[0]!.clientURLs, [etcd.clientURL]);
  assert.equal((await c.members.leader()).id, ms[0]!.id);
  const dup = await c.members.add(etcd.peerURL).catch((e: unknown) => e);
  assert.ok(dup instanceof MembersError);
  assert.equal(dup.status, 409);
  await assert.rejects(c.members.add('notaurl'), { message: 'URL scheme must be http, https, unix, or unixs: notaurl' });
  await c.members.update(ms[0]!.id, [etcd.peerURL]);
  assert.equal((await c.version()).etcdserver.startsWith('3.4.'), true);
  assert.equal(await c.health(), true);
  assert.equal((await c.selfStats()).state, 'StateLeader');
  assert.equal((await c.leaderStats()).leader, ms[0]!.id);
  assert.equal(typeof (await c.storeStats()).setsSuccess, 'number');
  await c.sync();
  assert.deepEqual(c.endpoints(), [etcd.clientURL]);
});
