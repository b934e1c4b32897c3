// Go-compatibility helpers: JSON string escaping (checked against bodies of
// the real etcd 3.4.23, built with go1.19.8), byte-wise key order (real
// sorted listing), path.Clean (the examples of Go's documentation), time
// formatting (RFC3339Nano as printed by the real etcd).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cleanPath,
  compareBytewise,
  formatRFC3339Nano,
  goQuote,
  joinPath,
  parseRFC3339Nano,
  ttlSeconds,
} from '../../src/store/index.js';
import { FakeApi } from './helpers.js';

const SEC = 1_000_000_000n;

test('JSON escaping: value sent to the real etcd and the bytes it answered', () => {
  const value = '<a>&b "q" \\ \x01\x08\x0c\t\n\r\x1f\x7f é € 😀 \u2028\u2029 \ufffd';
  // Real body: {"action":"set","node":{"key":"/esc","value":…}} — the value part:
  const real = '"\\u003ca\\u003e\\u0026b \\"q\\" \\\\ \\u0001\\u0008\\u000c\\t\\n\\r\\u001f\x7f é € 😀 \\u2028\\u2029 \ufffd"';
  assert.equal(goQuote(value), real);
  // Two invalid UTF-8 bytes (sent as \xff\xfe) came back as "\ufffd\ufffdok"; lone surrogates stand for them.
  assert.equal(goQuote('\udcff\udcfeok'), '"\\ufffd\\ufffdok"');
  assert.equal(goQuote('plain'), '"plain"');
  assert.equal(goQuote('😀\ud83d'), '"😀\\ufffd"');
});

test('sorted listing is byte-wise UTF-8 order, like the real etcd', () => {
  const api = new FakeApi();
  for (const k of ['%EF%BD%A1', '%F0%9F%98%80', 'Z', 'a%20b']) api.call('PUT', `/u/${k}`, 'value=1');
  const body = api.call('GET', '/u?sorted=true').body;
  const keys = [...body.matchAll(/"key":"([^"]*)"/g)].map((m) => m[1]);
  // Real order: /u, then /u/Z, /u/a b, /u/｡ (U+FF61), /u/😀 (U+1F600) — JS's default sort puts 😀 before ｡.
  assert.deepEqual(keys, ['/u', '/u/Z', '/u/a b', '/u/\uff61', '/u/😀']);
  assert.ok(compareBytewise('\uff61', '😀') < 0);
  assert.ok(compareBytewise('a', 'ab') < 0);
  assert.equal(compareBytewise('x', 'x'), 0);
});

test('path.Clean and path.Join as in Go', () => {
  // Go's path.Clean examples
  const cases: [string, string][] = [
    ['a/c', 'a/c'],
    ['a//c', 'a/c'],
    ['a/c/.', 'a/c'],
    ['a/c/b/..', 'a/c'],
    ['/../a/c', '/a/c'],
    ['/../a/b/../././/c', '/a/c'],
    ['', '.'],
    ['/', '/'],
    ['../../x', '../../x'],
    // clean already, or nearly: names that start with dots are names
    ['/a/.b/..c/c..', '/a/.b/..c/c..'],
    ['.', '.'],
    ['..', '..'],
    ['/a/', '/a'],
    ['/a/.', '/a'],
    ['/a/..', '/'],
    ['./a', 'a'],
    ['/v2/keys/foo', '/v2/keys/foo'],
  ];
  for (const [input, want] of cases) assert.equal(cleanPath(input), want, input);
  assert.equal(joinPath('/1', '/empty/'), '/1/empty');
  assert.equal(joinPath('/1', '/'), '/1');
  assert.equal(joinPath('/1', '/../0/members'), '/0/members'); // etcd's own join can leave /1
  assert.equal(joinPath('', ''), '');
});

test('RFC3339Nano as Go prints it: UTC, trailing zeros of the fraction trimmed', () => {
  const t = (s: bigint, ns: bigint): bigint => s * SEC + ns;
  // Printed by the real etcd: "2026-11-22T17:53:33.67263528Z" (…280 ns: one zero trimmed)
  assert.equal(formatRFC3339Nano(t(1795370013n, 672635280n)), '2026-11-22T17:53:33.67263528Z');
  assert.equal(formatRFC3339Nano(t(1795370013n, 0n)), '2026-11-22T17:53:33Z');
  assert.equal(formatRFC3339Nano(t(1795370013n, 500_000_000n)), '2026-11-22T17:53:33.5Z');
  assert.equal(formatRFC3339Nano(t(1795370013n, 1n)), '2026-11-22T17:53:33.000000001Z');
  assert.equal(formatRFC3339Nano(t(946684800n, 0n)), '2000-01-01T00:00:00Z');
  assert.equal(parseRFC3339Nano('2026-11-22T17:53:33.67263528Z'), t(1795370013n, 672635280n));
  assert.equal(parseRFC3339Nano('2026-11-22T18:53:33.5+01:00'), t(1795370013n, 500_000_000n));
  assert.equal(parseRFC3339Nano('0001-01-01T00:00:00Z'), null);
  assert.equal(parseRFC3339Nano('yesterday'), undefined);
});

test('ttl = ceil((expire − now) / 1s): 1..n ahead, 0 at expiry, negative when late', () => {
  const now = 1795370013n * SEC;
  assert.equal(ttlSeconds(now + 5n * SEC, now), 5);
  assert.equal(ttlSeconds(now + 4n * SEC + 1n, now), 5);
  assert.equal(ttlSeconds(now + 1n, now), 1);
  assert.equal(ttlSeconds(now, now), 0);
  assert.equal(ttlSeconds(now - 999_999_999n, now), 0);
  assert.equal(ttlSeconds(now - SEC, now), -1);
  assert.equal(ttlSeconds(now - 1_500_000_000n, now), -1);
  assert.equal(ttlSeconds(now - 2n * SEC - 1n, now), -2);
});
