// The peer wire: what one member encodes, another decodes to the same
// messages; a truncated or corrupt batch is an error naming where it broke.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessages, encodeMessages, encodeMessagesJSON, WireError } from '../../src/etcd/transport/codec.js';
import { message } from '../../src/raft/index.js';
import type { Message } from '../../src/raft/index.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s));

const batch: Message[] = [
  message({
    type: 'MsgApp', to: '8e9e05c52164694d', from: 'fd422379fda50e48', term: 7, logTerm: 6, index: 41, commit: 40,
    entries: [
      { term: 7, index: 42, type: 'normal', data: bytes('{"m":"PUT","p":"/1/foo","v":"bär"}') },
      { term: 7, index: 43, type: 'confChange', data: new Uint8Array([0, 1, 2, 255]) },
      { term: 7, index: 44, type: 'normal', data: new Uint8Array(0) },
    ],
  }),
  message({ type: 'MsgAppResp', to: 'fd422379fda50e48', from: '8e9e05c52164694d', term: 7, index: 12, reject: true, rejectHint: 9, logTerm: 3 }),
  message({ type: 'MsgHeartbeat', to: 'a', from: 'b', term: 2 ** 40, commit: Number.MAX_SAFE_INTEGER, context: bytes('read-7') }),
  message({
    type: 'MsgSnap', to: 'a', from: 'b', term: 9,
    snapshot: { data: bytes('{"Root":{}}'), metadata: { index: 500, term: 8, confState: { voters: ['a', 'b', 'c'], learners: ['d'] } } },
  }),
];

test('a binary batch decodes to the messages that were encoded', () => {
  const wire = encodeMessages(batch);
  assert.equal(wire[0], 0xc5);
  assert.deepEqual(decodeMessages(wire), batch);
  assert.deepEqual(decodeMessages(encodeMessages([])), []);
});

test('the JSON form decodes to the same messages', () => {
  assert.deepEqual(decodeMessages(encodeMessagesJSON(batch)), batch);
});

test('the binary batch carries entry data without base64: smaller than the JSON form', () => {
  const big = [message({ type: 'MsgApp', to: 'a', from: 'b', term: 1, entries: Array.from({ length: 50 }, (_, i) => ({ term: 1, index: i + 1, type: 'normal' as const, data: new Uint8Array(256).fill(i) })) })];
  assert.ok(encodeMessages(big).length < encodeMessagesJSON(big).length * 0.8);
});

test('every truncation of a batch is refused with an error, never a wrong message', () => {
  const wire = encodeMessages(batch);
  for (let cut = 1; cut < wire.length; cut++) {
    assert.throws(() => decodeMessages(wire.subarray(0, cut)), WireError, `cut at ${cut}`);
  }
});

test('corrupt batches name what is wrong', () => {
  const wire = encodeMessages(batch.slice(0, 1));
  const badVersion = Buffer.from(wire);
  badVersion[1] = 9;
  assert.throws(() => decodeMessages(badVersion), /unknown binary version 9/);
  const badType = Buffer.from(wire);
  badType[6] = 200;
  assert.throws(() => decodeMessages(badType), /message 0: unknown message type code 200/);
  const negativeTerm = Buffer.from(wire);
  const toLen = negativeTerm.readUInt16LE(7);
  const fromLen = negativeTerm.readUInt16LE(9 + toLen);
  negativeTerm.writeDoubleLE(-1, 11 + toLen + fromLen);
  assert.throws(() => decodeMessages(negativeTerm), /message 0: "term" must be a non-negative integer/);
  assert.throws(() => decodeMessages(Buffer.concat([wire, Buffer.from([0])])), /1 bytes after the last message/);
  assert.throws(() => decodeMessages(encodeMessages([message({ type: 'MsgApp', to: '', from: 'b', term: 1 })])), /"from" and "to" must name members/);
});

test('a local message is never put on the wire', () => {
  assert.throws(() => encodeMessages([message({ type: 'MsgHup', to: 'a', from: 'a' })]), /cannot send a local message \(MsgHup\)/);
});
