// CRC-32C against published check values (RFC 3720 appendix B.4 and the
// catalogue's "123456789" check), and the chaining property the WAL uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '../../src/wal/crc32c.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

test('known check values', () => {
  assert.equal(crc32c(ascii('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  const inc = new Uint8Array(32);
  for (let i = 0; i < 32; i++) inc[i] = i;
  assert.equal(crc32c(inc), 0x46dd794e);
  const dec = new Uint8Array(32);
  for (let i = 0; i < 32; i++) dec[i] = 31 - i;
  assert.equal(crc32c(dec), 0x113fdb5c);
});

test('a running CRC continued over the rest equals the CRC of the whole, at every split', () => {
  const data = new Uint8Array(61);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) & 0xff;
  const whole = crc32c(data);
  for (let cut = 0; cut <= data.length; cut++) {
    assert.equal(crc32c(data, crc32c(data, 0, 0, cut), cut, data.length), whole, `split at ${cut}`);
    assert.equal(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut))), whole);
  }
});

test('one flipped bit changes it', () => {
  const data = ascii('the quick brown fox jumps over the lazy dog');
  const base = crc32c(data);
  for (let i = 0; i < data.length; i++) {
    const d = data.slice();
    d[i]! ^= 0x10;
    assert.notEqual(crc32c(d), base);
  }
});
