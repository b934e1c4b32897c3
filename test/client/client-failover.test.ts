// The client's endpoint rules, against scripted members: connection errors,
// header timeouts and 5xx move on to the next endpoint; other answers are
// returned; creates and deletes are not retried elsewhere; the pinned
// endpoint follows the last success; requests are built as the Go client
// builds them; sockets bind to the requested local address.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClusterError,
  DeadlineExceededError,
  EtcdClient,
  EtcdError,
  HeaderTimeoutError,
  isConnectionError,
} from '../../src/client/index.js';
import { event, fakeMember } from './fake-member.js';

const IP = '127.0.0.45';
const DEAD = `http://${IP}:1`;
const ok = (body: string, index = 7) => ({ status: 200, body, headers: { 'X-Etcd-Index': String(index), 'X-Etcd-Cluster-Id': 'abc' } });

test('a refused connection and a 5xx move on to the next endpoint; the success is pinned', async () => {
  const bad = await fakeMember(IP, [{ status: 503, body: '{"message":"During election"}' }]);
  const good = await fakeMember(IP, [ok(event('get', '/k', 'v', 5))]);
  const c = new EtcdClient({ endpoints: [DEAD, bad.url, good.url], shuffle: false });
  try {
    const r = await c.keys.get('/k');
    assert.equal(r.node?.value, 'v');
    assert.equal(r.index, 7);
    assert.equal(r.clusterId, 'abc');
    assert.equal(bad.seen.length, 1);
    await c.keys.get('/k');
    assert.equal(bad.seen.length, 1, 'the pinned endpoint is asked first');
    assert.equal(good.seen.length, 2);
  } finally {
    c.close();
    await bad.close();
    await good.close();
  }
});

test('an etcd error (4xx) is the answer: typed, not retried elsewhere', async () => {
  const a = await fakeMember(IP, [{ status: 404, body: '{"errorCode":100,"message":"Key not found","cause":"/k","index":9}\n' }]);
  const b = await fakeMember(IP, [ok(event('get', '/k', 'v', 5))]);
  const c = new EtcdClient({ endpoints: [a.url, b.url], shuffle: false });
  try {
    const err = await c.keys.get('/k').catch((e: unknown) => e);
    assert.ok(err instanceof EtcdError);
    assert.equal(err.errorCode, 100);
    assert.equal(err.cause, '/k');
    assert.equal(err.index, 9);
    assert.equal(err.message, '100: Key not found (/k) [9]');
    assert.equal(b.seen.length, 0);
  } finally {
    c.close();
    await a.close();
    await b.close();
  }
});

test('when every endpoint fails the ClusterError lists each attempt in Go words', async () => {
  const a = await fakeMember(IP, [{ status: 500 }]);
  const b = await fakeMember(IP, [{ status: 502 }]);
  const c = new EtcdClient({ endpoints: [a.url, b.url, DEAD], shuffle: false });
  try {
    const err = await c.keys.get('/k').catch((e: unknown) => e);
    assert.ok(err instanceof ClusterError);
    assert.deepEqual(
      err.errors.map((e) => e.message),
      [
        `client: etcd member ${a.url} has no leader`,
        `client: etcd member ${b.url} returns server error [Bad Gateway]`,
        `dial tcp ${IP}:1: connect: connection refused`,
      ],
    );
    assert.equal(isConnectionError(err), false);
    const dead = new EtcdClient({ endpoints: [DEAD] });
    const err2 = await dead.keys.get('/k').catch((e: unknown) => e);
    assert.ok(isConnectionError(err2));
    dead.close();
  } finally {
    c.close();
    await a.close();
    await b.close();
  }
});

test('creates and deletes are one-shot: a failure is returned, not retried on another member', async () => {
  const a = await fakeMember(IP, [{ status: 500 }]);
  const b = await fakeMember(IP, [ok(event('create', '/k', 'v', 5))]);
  const c = new EtcdClient({ endpoints: [a.url, b.url], shuffle: false });
  try {
    await assert.rejects(c.keys.create('/k', 'v'), { message: `client: etcd member ${a.url} has no leader` });
    assert.equal(b.seen.length, 0);
    // ...but the next request starts at the next endpoint.
    await c.keys.get('/k');
    assert.equal(a.seen.length, 1);
    assert.equal(b.seen.length, 1);
    const d = new EtcdClient({ endpoints: [DEAD, b.url], shuffle: false });
    await assert.rejects(d.keys.delete('/k'), { message: `dial tcp ${IP}:1: connect: connection refused` });
    d.close();
  } finally {
    c.close();
    await a.close();
    await b.close();
  }
});

test('a member that never answers hits the header timeout and the next is tried; the total timeout ends the call', async () => {
  const hang = await fakeMember(IP, ['hang']);
  const good = await fakeMember(IP, [ok(event('get', '/k', 'v', 5))]);
  const c = new EtcdClient({ endpoints: [hang.url, good.url], shuffle: false, headerTimeoutPerRequest: 150 });
  const alone = new EtcdClient({ endpoints: [hang.url], headerTimeoutPerRequest: 150 });
  const slow = new EtcdClient({ endpoints: [hang.url], totalTimeout: 150 });
  try {
    assert.equal((await c.keys.get('/k')).node?.value, 'v');
    const err = await alone.keys.get('/k').catch((e: unknown) => e);
    assert.ok(err instanceof ClusterError);
    assert.ok(err.errors[0] instanceof HeaderTimeoutError);
    assert.equal(err.errors[0].message, `client: endpoint ${hang.url} exceeded header timeout`);
    await assert.rejects(slow.keys.get('/k'), DeadlineExceededError);
    await assert.rejects(c.keys.get('/k', { timeout: 0 }), DeadlineExceededError);
  } finally {
    c.close();
    alone.close();
    slow.close();
    await hang.close();
    await good.close();
  }
});

test('requests are encoded like the Go client: sorted query, form body, escaped path', async () => {
  const m = await fakeMember(IP, [{ status: 201, body: event('set', '/a b', 'v', 5) }]);
  const c = new EtcdClient({ endpoints: [m.url], username: 'root', password: 'pw' });
  try {
    await c.keys.set('/a b/c?d', 'v&w', { ttl: 5, prevValue: 'old', prevIndex: 3, prevExist: true, refresh: true });
    await c.keys.set('dir', 'ignored', { dir: true, prevExist: false });
    await c.keys.get('/x/', { recursive: true, quorum: true });
    await c.keys.delete('/x', { recursive: true, dir: true, prevValue: 'p', prevIndex: 2 });
    await c.keys.createInOrder('/q', 'job', { ttl: 9 });
    const got = m.seen.map((s) => `${s.method} ${s.url} ${s.body}`);
    assert.deepEqual(got, [
      'PUT /v2/keys/a%20b/c%3Fd?prevExist=true&prevIndex=3&prevValue=old refresh=true&ttl=5&value=v%26w',
      'PUT /v2/keys/dir?dir=true&prevExist=false ',
      'GET /v2/keys/x/?quorum=true&recursive=true&sorted=false ',
      'DELETE /v2/keys/x?dir=true&prevIndex=2&prevValue=p&recursive=true ',
      'POST /v2/keys/q ttl=9&value=job',
    ]);
    assert.equal(m.seen[0]!.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(m.seen[0]!.headers.authorization, `Basic ${Buffer.from('root:pw').toString('base64')}`);
  } finally {
    c.close();
    await m.close();
  }
});

test('outgoing sockets bind to localAddress', async () => {
  const m = await fakeMember(IP, [ok(event('get', '/k', 'v', 5))]);
  const c = new EtcdClient({ endpoints: [m.url], localAddress: '127.0.0.46' });
  try {
    await c.keys.get('/k');
    assert.equal(m.seen[0]!.remoteAddress, '127.0.0.46');
  } finally {
    c.close();
    await m.close();
  }
});

test('a watch retries on an empty 200 and resumes from the last modifiedIndex + 1', async () => {
  const m = await fakeMember(IP, [{ status: 200, body: '' }, ok(event('set', '/w', 'a', 11)), ok(event('set', '/w', 'b', 15))]);
  const c = new EtcdClient({ endpoints: [m.url] });
  try {
    const w = c.keys.watcher('/w', { afterIndex: 4, recursive: true });
    assert.equal((await w.next()).node?.value, 'a');
    assert.equal((await w.next()).node?.value, 'b');
    assert.deepEqual(
      m.seen.map((s) => s.url),
      [
        '/v2/keys/w?recursive=true&wait=true&waitIndex=5',
        '/v2/keys/w?recursive=true&wait=true&waitIndex=5',
        '/v2/keys/w?recursive=true&wait=true&waitIndex=12',
      ],
    );
    assert.equal(w.nextIndex, 16);
  } finally {
    c.close();
    await m.close();
  }
});

test('sync replaces the endpoints with the members\' published client URLs', async () => {
  const m = await fakeMember(IP, (s) =>
    s.url === '/v2/members'
      ? { status: 200, body: JSON.stringify({ members: [{ id: 'a', name: 'a', peerURLs: [], clientURLs: ['http://127.0.0.47:2379', 'http://127.0.0.48:2379'] }] }) }
      : { status: 404 },
  );
  const c = new EtcdClient({ endpoints: [m.url] });
  try {
    await c.sync();
    assert.deepEqual(c.endpoints().sort(), ['http://127.0.0.47:2379', 'http://127.0.0.48:2379']);
  } finally {
    c.close();
    await m.close();
  }
});
