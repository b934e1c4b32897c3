// Keys responses against exchanges captured from a real etcd 3.4.23
// --enable-v2 with `curl -si` (Date and Content-Length left to the HTTP layer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorReply, eventReply, KEYS_ALLOWED_METHODS, methodNotAllowed, successHeaders } from '../../src/etcd/keys/response.js';
import { isV2Error, keysPath, Store } from '../../src/store/index.js';
import type { Event } from '../../src/store/index.js';

const CLUSTER = '41d412a7add8b39a';
const NOW = 1_700_000_000_000_000_000n;
const raft = { raftIndex: 5, raftTerm: 2 };

function storeAtIndex3(): Store {
  // The real member's first user write got index 4; bring the store there.
  const s = new Store();
  for (let i = 0; i < 3; i++) s.set(keysPath('/x'), false, 'v', { expireTime: null, refresh: false }, NOW);
  return s;
}

function event(r: Event | unknown): Event {
  if (isV2Error(r)) assert.fail(r.body());
  return r as Event;
}

const expectedHeaders = (etcdIndex: string, raftIndex: string): Array<[string, string]> => [
  ['Access-Control-Allow-Headers', 'accept, content-type, authorization'],
  ['Access-Control-Allow-Methods', 'POST, GET, OPTIONS, PUT, DELETE'],
  ['Access-Control-Allow-Origin', '*'],
  ['Content-Type', 'application/json'],
  ['X-Etcd-Cluster-Id', CLUSTER],
  ['X-Etcd-Index', etcdIndex],
  ['X-Raft-Index', raftIndex],
  ['X-Raft-Term', '2'],
];

test('PUT of a new key: 201 Created, etcd\'s headers in Go\'s order, the event body', () => {
  const s = new Store();
  const e = event(s.set(keysPath('/a'), false, '1', { expireTime: null, refresh: false }, NOW));
  const r = eventReply(e, { clusterId: CLUSTER, etcdIndex: s.index, raft });
  assert.equal(r.status, 201);
  assert.deepEqual(r.headers, expectedHeaders(String(s.index), '5'));
  assert.equal(r.body, `{"action":"set","node":{"key":"/a","value":"1","modifiedIndex":${s.index},"createdIndex":${s.index}}}\n`);
});

test('GET of that key: 200 with the same headers; HEAD: the headers and no body', () => {
  const s = storeAtIndex3();
  event(s.set(keysPath('/a'), false, '1', { expireTime: null, refresh: false }, NOW));
  const g = event(s.get(keysPath('/a'), false, false, NOW));
  const r = eventReply(g, { clusterId: CLUSTER, etcdIndex: s.index, raft });
  assert.equal(r.status, 200);
  assert.deepEqual(r.headers, expectedHeaders('4', '5'));
  assert.equal(r.body, '{"action":"get","node":{"key":"/a","value":"1","modifiedIndex":4,"createdIndex":4}}\n');
  const h = eventReply(g, { clusterId: CLUSTER, etcdIndex: s.index, raft, head: true });
  assert.deepEqual(h.headers, r.headers);
  assert.equal(h.body, '');
});

test('key not found: 404, no Raft headers, X-Etcd-Index from the error, cause without the namespace', () => {
  const s = storeAtIndex3();
  event(s.set(keysPath('/a'), false, '1', { expireTime: null, refresh: false }, NOW));
  const err = s.get(keysPath('/nokey'), false, false, NOW);
  assert.ok(isV2Error(err));
  const r = errorReply(err, { clusterId: CLUSTER });
  assert.equal(r.status, 404);
  assert.deepEqual(r.headers, expectedHeaders('4', '').slice(0, 6));
  assert.equal(r.body, '{"errorCode":100,"message":"Key not found","cause":"/nokey","index":4}\n');
});

test('create of an existing key: 412 Precondition Failed', () => {
  const s = storeAtIndex3();
  event(s.set(keysPath('/a'), false, '1', { expireTime: null, refresh: false }, NOW));
  const err = s.create(keysPath('/a'), false, '2', false, { expireTime: null, refresh: false }, NOW);
  assert.ok(isV2Error(err));
  const r = errorReply(err, { clusterId: CLUSTER });
  assert.equal(r.status, 412);
  assert.equal(r.body, '{"errorCode":105,"message":"Key already exists","cause":"/a","index":4}\n');
});

test('a wrong method: 405 with Allow and Go\'s plain-text body', () => {
  const r = methodNotAllowed(KEYS_ALLOWED_METHODS);
  assert.equal(r.status, 405);
  assert.deepEqual(r.headers, [
    ['Access-Control-Allow-Headers', 'accept, content-type, authorization'],
    ['Access-Control-Allow-Methods', 'POST, GET, OPTIONS, PUT, DELETE'],
    ['Access-Control-Allow-Origin', '*'],
    ['Allow', 'HEAD,GET,PUT,POST,DELETE'],
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['X-Content-Type-Options', 'nosniff'],
  ]);
  assert.equal(r.body, 'Method Not Allowed\n');
});

test('a watch sends the success headers at once, with the store index when it started', () => {
  assert.deepEqual(successHeaders({ clusterId: CLUSTER, etcdIndex: 4, raft: { raftIndex: 6, raftTerm: 2 } }), expectedHeaders('4', '6'));
});
