// The load generator's HTTP/1.1 response parser, fed bytes by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseParser } from '../../src/bench/http1.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('Content-Length response, whole and split at every byte', () => {
  const raw = 'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello';
  const whole = new ResponseParser().push(b(raw));
  assert.equal(whole.length, 1);
  assert.equal(whole[0]!.status, 201);
  assert.equal(whole[0]!.body.toString(), 'hello');
  assert.equal(whole[0]!.close, false);
  const p = new ResponseParser();
  const got = [];
  for (const ch of raw) got.push(...p.push(b(ch)));
  assert.equal(got.length, 1);
  assert.equal(got[0]!.body.toString(), 'hello');
  assert.ok(p.idle);
});

test('chunked response with a trailer, and two responses in one read', () => {
  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n';
  const plain = 'HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\nConnection: close\r\n\r\n{}';
  const rs = new ResponseParser().push(b(chunked + plain));
  assert.equal(rs.length, 2);
  assert.equal(rs[0]!.body.toString(), 'abcde');
  assert.equal(rs[1]!.status, 404);
  assert.equal(rs[1]!.close, true);
});

test('a response with no length and no chunking is refused', () => {
  assert.throws(() => new ResponseParser().push(b('HTTP/1.1 200 OK\r\n\r\nbody')), /neither Content-Length nor chunked/);
  assert.throws(() => new ResponseParser().push(b('SMTP ready\r\n\r\n')), /bad status line/);
});

test('204 has no body; 100 Continue is skipped', () => {
  const rs = new ResponseParser().push(b('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'));
  assert.equal(rs.length, 1);
  assert.equal(rs[0]!.status, 204);
  assert.equal(rs[0]!.body.length, 0);
});
