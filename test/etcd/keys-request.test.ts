// parseKeysRequest against etcd 3.4's parseKeyRequest and Go's ParseForm
// (reference etcd.md §1.3 and etcd's v2http/client.go). Every error body in
// the table was also checked with curl against a real etcd 3.4.23 --enable-v2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKeysRequest, type KeysMethod, type KeysRequest } from '../../src/etcd/keys/request.js';
import { isV2Error } from '../../src/store/index.js';

const NOW = 1_700_000_000_000_000_000n;
const FORM = 'application/x-www-form-urlencoded';

function parse(method: KeysMethod, keyPath: string, query = '', body = '', contentType: string | undefined = FORM) {
  return parseKeysRequest({ method, keyPath, query, body, contentType, bodyTooLarge: false }, NOW);
}

function ok(r: ReturnType<typeof parse>): KeysRequest {
  if (isV2Error(r)) assert.fail(`unexpected error ${r.body()}`);
  return r;
}

function err(r: ReturnType<typeof parse>): string {
  if (!isV2Error(r)) assert.fail(`expected an error, got ${JSON.stringify(r)}`);
  return r.body();
}

test('a plain PUT: value from the body, path cleaned under the keys namespace', () => {
  const r = ok(parse('PUT', '/message/', '', 'value=Hello+world'));
  assert.equal(r.path, '/1/message');
  assert.equal(r.value, 'Hello world');
  assert.equal(r.prevExist, undefined);
  assert.equal(r.expiration, undefined);
});

test('body values come before query values and the first value wins', () => {
  assert.equal(ok(parse('PUT', '/k', 'value=fromquery', 'value=frombody')).value, 'frombody');
  assert.equal(ok(parse('PUT', '/k', 'value=a&value=b')).value, 'a');
});

test('a body is a form only for POST/PUT/PATCH with the url-encoded content type', () => {
  assert.equal(ok(parse('PUT', '/k', '', 'value=x', 'text/plain')).value, '');
  assert.equal(ok(parse('PUT', '/k', '', 'value=x', 'application/x-www-form-urlencoded; charset=utf-8')).value, 'x');
  // DELETE bodies are never read by Go's ParseForm.
  assert.equal(ok(parse('DELETE', '/k', '', 'prevValue=x')).prevValue, '');
});

test('ttl becomes an absolute expiration by this member\'s clock; ttl= means no TTL', () => {
  assert.equal(ok(parse('PUT', '/t', '', 'value=bar&ttl=5')).expiration, NOW + 5_000_000_000n);
  assert.equal(ok(parse('PUT', '/t', '', 'value=bar&ttl=')).expiration, undefined);
  assert.equal(ok(parse('PUT', '/t', 'ttl=0')).expiration, NOW);
});

test('prevExist and refresh are tri-state', () => {
  assert.equal(ok(parse('PUT', '/k', 'prevExist=false')).prevExist, false);
  assert.equal(ok(parse('PUT', '/k', 'prevExist=True')).prevExist, true);
  assert.equal(ok(parse('PUT', '/k', 'refresh=false')).refresh, false);
  assert.equal(ok(parse('PUT', '/k', 'refresh=true&ttl=5')).refresh, true);
});

test('Go booleans: 1 t T TRUE true True / 0 f F FALSE false False', () => {
  for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(ok(parse('GET', '/k', `recursive=${v}`)).recursive, true);
  for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(ok(parse('GET', '/k', `recursive=${v}`)).recursive, false);
});

// Each row: the request, then etcd's exact error body.
const errors: Array<[string, () => ReturnType<typeof parse>, string]> = [
  ['bad prevIndex', () => parse('PUT', '/k', 'prevIndex=abc'),
    '{"errorCode":203,"message":"The given index in POST form is not a number","cause":"invalid value for \\"prevIndex\\"","index":0}\n'],
  ['empty prevIndex is not a number either', () => parse('PUT', '/k', 'prevIndex='),
    '{"errorCode":203,"message":"The given index in POST form is not a number","cause":"invalid value for \\"prevIndex\\"","index":0}\n'],
  ['negative waitIndex', () => parse('GET', '/k', 'wait=true&waitIndex=-1'),
    '{"errorCode":203,"message":"The given index in POST form is not a number","cause":"invalid value for \\"waitIndex\\"","index":0}\n'],
  ['bad recursive', () => parse('GET', '/k', 'recursive=yes'),
    '{"errorCode":209,"message":"Invalid field","cause":"invalid value for \\"recursive\\"","index":0}\n'],
  ['bad dir', () => parse('PUT', '/k', 'dir=on'),
    '{"errorCode":209,"message":"Invalid field","cause":"invalid value for \\"dir\\"","index":0}\n'],
  ['wait on a PUT', () => parse('PUT', '/k', 'wait=true'),
    '{"errorCode":209,"message":"Invalid field","cause":"\\"wait\\" can only be used with GET requests","index":0}\n'],
  ['empty prevValue', () => parse('PUT', '/k', 'prevValue='),
    '{"errorCode":201,"message":"PrevValue is Required in POST form","cause":"\\"prevValue\\" cannot be empty","index":0}\n'],
  ['negative ttl', () => parse('PUT', '/k', '', 'value=x&ttl=-1'),
    '{"errorCode":202,"message":"The given TTL in POST form is not a number","cause":"invalid value for \\"ttl\\"","index":0}\n'],
  ['bad prevExist (no quotes in etcd\'s cause)', () => parse('PUT', '/k', 'prevExist=maybe'),
    '{"errorCode":209,"message":"Invalid field","cause":"invalid value for prevExist","index":0}\n'],
  ['refresh with a value', () => parse('PUT', '/k', '', 'refresh=true&ttl=5&value=x'),
    '{"errorCode":211,"message":"Value provided on refresh","cause":"A value was provided on a refresh","index":0}\n'],
  ['refresh without a ttl', () => parse('PUT', '/k', 'refresh=true'),
    '{"errorCode":212,"message":"A TTL must be provided on refresh","cause":"No TTL value set","index":0}\n'],
  ['a bad escape in the query', () => parse('GET', '/k', 'value=%zz'),
    '{"errorCode":210,"message":"Invalid POST form","cause":"invalid URL escape \\"%zz\\"","index":0}\n'],
  ['a semicolon separator', () => parse('GET', '/k', 'a=1;b=2'),
    '{"errorCode":210,"message":"Invalid POST form","cause":"invalid semicolon separator in query","index":0}\n'],
  ['prevIndex is checked before recursive', () => parse('GET', '/k', 'recursive=x&prevIndex=y'),
    '{"errorCode":203,"message":"The given index in POST form is not a number","cause":"invalid value for \\"prevIndex\\"","index":0}\n'],
];

for (const [name, run, body] of errors) {
  test(`error: ${name}`, () => assert.equal(err(run()), body));
}

test('a form body over 10 MB is "http: POST too large" (error 210)', () => {
  const r = parseKeysRequest({ method: 'PUT', keyPath: '/big', query: '', body: '', contentType: FORM, bodyTooLarge: true }, NOW);
  assert.equal(err(r), '{"errorCode":210,"message":"Invalid POST form","cause":"http: POST too large","index":0}\n');
});

test('unknown parameters are ignored; dir=true with a value keeps the value for the store to ignore', () => {
  const r = ok(parse('PUT', '/d', 'frob=1', 'dir=true&value=x'));
  assert.equal(r.dir, true);
  assert.equal(r.value, 'x');
});
