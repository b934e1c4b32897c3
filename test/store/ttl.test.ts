// TTL behaviour with explicit times (etcd's store.go / node.go semantics;
// the rendered shapes follow the real etcd 3.4.23 captures in exchanges.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRequest, keysPath, KEYS_PREFIX, renderEvent, Store, V2Error } from '../../src/store/index.js';
import { FakeApi, SEC, T0 } from './helpers.js';

// T0 = 2026-11-22T17:00:00Z
test('a TTL write shows the absolute expiration and the remaining seconds', () => {
  const api = new FakeApi();
  api.now = T0 + 250_000_000n; // ttl computed at 17:00:00.25
  const r = api.call('PUT', '/t', 'value=bar&ttl=5');
  assert.equal(
    r.body,
    '{"action":"set","node":{"key":"/t","value":"bar","expiration":"2026-11-22T17:00:05.25Z","ttl":5,"modifiedIndex":4,"createdIndex":4}}\n',
  );
  api.now = T0 + 1_250_000_001n; // 3.999999999 s left → 4
  assert.match(api.call('GET', '/t').body, /"expiration":"2026-11-22T17:00:05.25Z","ttl":4,/);
  api.now = T0 + 5_250_000_000n; // due now, not yet expired: no ttl field
  assert.equal(
    api.call('GET', '/t').body,
    '{"action":"get","node":{"key":"/t","value":"bar","expiration":"2026-11-22T17:00:05.25Z","modifiedIndex":4,"createdIndex":4}}\n',
  );
});

test('keys expire in expire-time order, one expire event and one index each; late expiry shows a negative ttl', () => {
  const api = new FakeApi();
  api.call('PUT', '/a', 'value=a&ttl=3'); // 4
  api.call('PUT', '/b', 'value=b&ttl=1'); // 5
  api.call('PUT', '/c', 'value=c&ttl=2'); // 6
  api.call('PUT', '/p', 'value=p'); // 7, permanent
  assert.equal(api.store.nextExpiry(), T0 + SEC);
  assert.deepEqual(api.store.deleteExpiredKeys(T0 + SEC - 1n), []);
  const cutoff = T0 + 2n * SEC + 500_000_000n;
  const expired = api.store.deleteExpiredKeys(cutoff, cutoff);
  assert.deepEqual(
    expired.map((e) => renderEvent(e, { trimPrefix: KEYS_PREFIX })),
    [
      '{"action":"expire","node":{"key":"/b","modifiedIndex":8,"createdIndex":5},"prevNode":{"key":"/b","value":"b","expiration":"2026-11-22T17:00:01Z","ttl":-1,"modifiedIndex":5,"createdIndex":5}}\n',
      '{"action":"expire","node":{"key":"/c","modifiedIndex":9,"createdIndex":6},"prevNode":{"key":"/c","value":"c","expiration":"2026-11-22T17:00:02Z","modifiedIndex":6,"createdIndex":6}}\n',
    ],
  );
  assert.equal(api.store.index, 9);
  assert.equal(api.store.stats().expireCount, 2);
  assert.equal(api.call('GET', '/b').status, 404);
  assert.equal(api.store.hasTTLKeys(), true);
  assert.equal(api.store.deleteExpiredKeys(T0 + 3n * SEC).length, 1);
  assert.equal(api.store.hasTTLKeys(), false);
  assert.equal(api.store.nextExpiry(), undefined);
});

test('an expiring dir takes its children (and their TTLs) with it', () => {
  const api = new FakeApi();
  api.call('PUT', '/d?dir=true', 'ttl=5'); // 4
  api.call('PUT', '/d/x', 'value=1&ttl=10'); // 5
  api.call('PUT', '/d/sub/y', 'value=2'); // 6
  const e = api.store.deleteExpiredKeys(T0 + 5n * SEC);
  assert.equal(e.length, 1);
  assert.equal(e[0]?.node.dir, true);
  assert.equal(api.call('GET', '/d/sub/y').status, 404);
  assert.equal(api.store.hasTTLKeys(), false, 'the child TTL left the heap');
  assert.equal(api.store.deleteExpiredKeys(T0 + 20n * SEC).length, 0);
});

test('TTL set, cleared and moved: set without ttl, update with ttl=, CAS with a new ttl', () => {
  const api = new FakeApi();
  api.call('PUT', '/s', 'value=1&ttl=5');
  api.call('PUT', '/s', 'value=2'); // plain set: permanent now
  api.call('PUT', '/u', 'value=1&ttl=5');
  const upd = api.call('PUT', '/u?prevExist=true', 'value=2&ttl=');
  assert.match(upd.body, /^\{"action":"update","node":\{"key":"\/u","value":"2","modifiedIndex":7,"createdIndex":6\},"prevNode":\{"key":"\/u","value":"1","expiration":/);
  api.call('PUT', '/c', 'value=1&ttl=5');
  const cas = api.call('PUT', '/c?prevValue=1', 'value=2&ttl=100');
  assert.match(cas.body, /"node":\{"key":"\/c","value":"2","expiration":"2026-11-22T17:01:40Z","ttl":100,/);
  assert.equal(api.store.deleteExpiredKeys(T0 + 50n * SEC).length, 0);
  const late = api.store.deleteExpiredKeys(T0 + 100n * SEC);
  assert.deepEqual(late.map((e) => e.node.key), ['/1/c']);
});

test('expire times before 2000-01-01 are permanent on create/set, but not on update', () => {
  const s = new Store();
  const now = T0;
  const created = s.set(keysPath('/old'), false, 'v', { expireTime: 1n }, now);
  assert.ok(!(created instanceof V2Error));
  assert.equal(created.node.expiration, undefined);
  assert.equal(s.hasTTLKeys(), false);
  s.update(keysPath('/old'), 'w', { expireTime: 1n }, now);
  assert.equal(s.deleteExpiredKeys(now).length, 1);
});

test('SYNC entries expire through applyRequest with the cutoff the leader proposed', () => {
  const s = new Store();
  const put = applyRequest(s, { method: 'PUT', path: keysPath('/k'), value: 'v', expiration: T0 + SEC }, T0);
  assert.equal(put.kind, 'event');
  const early = applyRequest(s, { method: 'SYNC', path: '', time: T0 }, T0);
  assert.deepEqual(early, { kind: 'expired', events: [] });
  const sync = applyRequest(s, { method: 'SYNC', path: '', time: T0 + SEC }, T0 + 2n * SEC);
  assert.equal(sync.kind, 'expired');
  if (sync.kind === 'expired') {
    assert.equal(sync.events.length, 1);
    assert.equal(sync.events[0]?.prevNode?.ttl, -1, 'ttl shown relative to the apply-time now');
  }
});

test('many TTL keys: expiry touches only what is due', () => {
  const s = new Store();
  for (let i = 0; i < 5000; i++) s.set(keysPath(`/m/k${i}`), false, 'v', { expireTime: T0 + BigInt(5000 - i) * SEC }, T0);
  const due = s.deleteExpiredKeys(T0 + 3n * SEC);
  assert.deepEqual(due.map((e) => e.node.key), ['/1/m/k4999', '/1/m/k4998', '/1/m/k4997']);
  assert.equal(s.nextExpiry(), T0 + 4n * SEC);
});
