// Member and cluster IDs, against IDs a real etcd 3.4.23 printed for the same flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeClusterId, computeMemberId, hexToId, idToHex } from '../../src/etcd/member/ids.js';

test('one member, default token: the IDs etcd 3.4.23 showed in /v2/members and X-Etcd-Cluster-Id', () => {
  const id = computeMemberId(['http://127.0.0.9:12380'], 'etcd-cluster');
  assert.equal(id, '21cef95c9ccf688e');
  assert.equal(computeClusterId([id]), '41d412a7add8b39a');
});

test('two members, token tok9: the IDs etcd 3.4.23 logged ("added member … to cluster …")', () => {
  const a = computeMemberId(['http://127.0.0.9:22380'], 'tok9');
  const b = computeMemberId(['http://127.0.0.9:22381'], 'tok9');
  assert.equal(a, 'b33792f9d14515ee');
  assert.equal(b, '555014240fbfb698');
  assert.equal(computeClusterId([a, b]), '7df505b148cb03d9');
  assert.equal(computeClusterId([b, a]), '7df505b148cb03d9');
});

test('peer URL order does not change a member ID; the add time does', () => {
  const urls = ['http://10.0.0.1:2380', 'http://10.0.0.1:7001'];
  assert.equal(computeMemberId(urls, 't'), computeMemberId([...urls].reverse(), 't'));
  assert.notEqual(computeMemberId(urls, 't', 1700000000), computeMemberId(urls, 't'));
});

test('IDs print as lowercase hex without leading zeros', () => {
  assert.equal(idToHex(0x3c3e30b93abb01fn), '3c3e30b93abb01f');
  assert.equal(hexToId('3C3E30B93ABB01F'), 0x3c3e30b93abb01fn);
  assert.equal(hexToId('not-hex'), undefined);
  assert.equal(hexToId('12345678901234567'), undefined);
});
