// The error registry against etcd.md §1.7/§1.8 (taken from etcd 3.4's
// v2error/error.go) and bodies captured from the real etcd 3.4.23.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allErrorCodes, Ecode, newError, type ErrorCode } from '../../src/store/index.js';

// [code, exact message, HTTP status]
const table: [number, string, number][] = [
  [100, 'Key not found', 404],
  [101, 'Compare failed', 412],
  [102, 'Not a file', 403],
  [103, 'Reached the max number of peers in the cluster', 400],
  [104, 'Not a directory', 400],
  [105, 'Key already exists', 412],
  [106, 'The prefix of given key is a keyword in etcd', 400],
  [107, 'Root is read only', 400],
  [108, 'Directory not empty', 403],
  [109, 'Peer address has existed', 400],
  [110, 'The request requires user authentication', 401],
  [200, 'Value is Required in POST form', 400],
  [201, 'PrevValue is Required in POST form', 400],
  [202, 'The given TTL in POST form is not a number', 400],
  [203, 'The given index in POST form is not a number', 400],
  [204, 'Value or TTL is required in POST form', 400],
  [205, 'The given timeout in POST form is not a number', 400],
  [206, 'Name is required in POST form', 400],
  [207, 'Index or value is required', 400],
  [208, 'Index and value cannot both be specified', 400],
  [209, 'Invalid field', 400],
  [210, 'Invalid POST form', 400],
  [211, 'Value provided on refresh', 400],
  [212, 'A TTL must be provided on refresh', 400],
  [300, 'Raft Internal Error', 500],
  [301, 'During Leader Election', 500],
  [400, 'watcher is cleared due to etcd recovery', 400],
  [401, 'The event in requested index is outdated and cleared', 400],
  [402, 'Standby Internal Error', 400],
  [403, 'Invalid active size', 400],
  [404, 'Standby remove delay', 400],
  [500, 'Client Internal Error', 400],
];

test('every etcd v2 error code, with its message and HTTP status', () => {
  assert.deepEqual(allErrorCodes, table.map(([c]) => c));
  for (const [code, message, status] of table) {
    const e = newError(code as ErrorCode, 'x', 1);
    assert.equal(e.message, message, `message of ${code}`);
    assert.equal(e.status, status, `status of ${code}`);
  }
});

test('bodies as the real etcd writes them', () => {
  // Captured: GET /v2/keys/nokey → 404
  assert.equal(
    newError(Ecode.KeyNotFound, '/nokey', 5).body(),
    '{"errorCode":100,"message":"Key not found","cause":"/nokey","index":5}\n',
  );
  // Captured: DELETE /v2/keys/?prevValue=x → 403, empty cause omitted
  assert.equal(newError(Ecode.NotFile, '', 7).body(), '{"errorCode":102,"message":"Not a file","index":7}\n');
  // Captured: a parse error carries index 0
  assert.equal(
    newError(Ecode.RefreshTTLRequired, 'No TTL value set').body(),
    '{"errorCode":212,"message":"A TTL must be provided on refresh","cause":"No TTL value set","index":0}\n',
  );
  // Go escapes the quotes of a cause like `"prevValue" cannot be empty`.
  assert.equal(
    newError(Ecode.PrevValueRequired, '"prevValue" cannot be empty').toJSONString(),
    '{"errorCode":201,"message":"PrevValue is Required in POST form","cause":"\\"prevValue\\" cannot be empty","index":0}',
  );
});

test('the keys namespace is trimmed from a cause once; the Go client format', () => {
  const e = newError(Ecode.NotDir, '/1/dir/a/b', 11);
  assert.equal(e.trimCausePrefix('/1').cause, '/dir/a/b');
  assert.equal(newError(Ecode.NotFile, '/1', 7).trimCausePrefix('/1').cause, '');
  assert.equal(newError(Ecode.TestFailed, '[1 != 7]', 9).trimCausePrefix('/1').cause, '[1 != 7]');
  // etcdctl prints `Error:  105: Key already exists (/ctl/a) [1140]`
  assert.equal(newError(Ecode.NodeExist, '/ctl/a', 1140).toString(), '105: Key already exists (/ctl/a) [1140]');
  assert.equal(newError(Ecode.KeyNotFound, '/a', 3).withIndex(9).index, 9);
});
