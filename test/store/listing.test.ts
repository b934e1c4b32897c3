// Listings: unsorted order is the caller's choice (etcd: Go's random map
// order), sorted is byte-wise per level; namespaces stay out of the keys API.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keysPath, KEYS_PREFIX, renderEvent, Store, V2Error, type NodeExtern } from '../../src/store/index.js';
import { T0 } from './helpers.js';

function keysOf(s: Store, path: string, sorted: boolean): string[] {
  const e = s.get(keysPath(path), true, sorted, T0);
  if (e instanceof V2Error) throw new Error(e.toString());
  return (e.node.nodes ?? []).map((n) => n.key);
}

test('unsorted listings use the permutation the member supplies; default is insertion order', () => {
  const plain = new Store();
  const reversed = new Store({ permuteUnsorted: (nodes: NodeExtern[]) => nodes.reverse() });
  for (const s of [plain, reversed]) for (const k of ['b', 'a', 'c']) s.set(keysPath(`/l/${k}`), false, k, {}, T0);
  assert.deepEqual(keysOf(plain, '/l', false), ['/1/l/b', '/1/l/a', '/1/l/c']);
  assert.deepEqual(keysOf(reversed, '/l', false), ['/1/l/c', '/1/l/a', '/1/l/b']);
  assert.deepEqual(keysOf(reversed, '/l', true), ['/1/l/a', '/1/l/b', '/1/l/c']);
});

test('the membership namespace is invisible to the keys API and read-only', () => {
  const s = new Store();
  s.set('/0/members/abc/attributes', false, '{}', {}, T0);
  s.set(keysPath('/k'), false, 'v', {}, T0);
  const root = s.get(keysPath('/'), true, true, T0);
  assert.ok(!(root instanceof V2Error));
  // Root quirk: no key, no indexes.
  assert.equal(renderEvent(root, { trimPrefix: KEYS_PREFIX }), '{"action":"get","node":{"dir":true,"nodes":[{"key":"/k","value":"v","modifiedIndex":2,"createdIndex":2}]}}\n');
  const del = s.delete('/0', true, true, T0);
  assert.ok(del instanceof V2Error);
  assert.equal(del.body(), '{"errorCode":107,"message":"Root is read only","cause":"/","index":2}\n');
});
