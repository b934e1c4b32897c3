// The API's pure parts, table-driven: name and option validation with
// fleet's messages, page tokens and pages, body decoding as Go's
// encoding/json does it, and Go's JSON escaping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePageToken, encodePageToken, encodeUnit, goJson, ListingCache, pageOf, pageTokenOf, validateName, validateOptions } from '../../src/fleet/api/index.js';
import { decodeMetadataOps, decodeUnit } from '../../src/fleet/api/decode.js';

test('validateName: fleet\'s api.ValidateName', () => {
  const cases: Array<[string, string | null]> = [
    ['hello.service', null],
    ['web@1.service', null],
    ['web@.service', null],
    ['a:b-c_d.e\\f.socket', null],
    ['x.timer', null],
    ['', 'unit name cannot be empty'],
    ['a'.repeat(250) + '.service', 'unit name exceeds maximum length (256)'],
    ['hello', 'unit name must contain "."'],
    ['hello.', 'unit name cannot end in "."'],
    ['hello.foo', 'invalid unit type: "foo"'],
    ['a@b.mount', 'invalid unit type for template: "mount"'],
    ['a b.service', "invalid character ' ' in unit name"],
    ['@a.service', 'unit name cannot start in "@"'],
  ];
  for (const [name, want] of cases) assert.equal(validateName(name), want, name);
});

const o = (section: string, name: string, value: string): { section: string; name: string; value: string } => ({ section, name, value });

test('validateOptions: fleet\'s combination rules, checked peers first, without %-expansion', () => {
  const cases: Array<[ReturnType<typeof o>[], string | null]> = [
    [[o('Service', 'ExecStart', '/bin/true')], null],
    [[o('X-Fleet', 'MachineID', 'abc'), o('X-Fleet', 'MachineOf', 'a.service')], 'MachineID cannot be used with Peers'],
    [[o('X-Fleet', 'X-ConditionMachineID', 'abc'), o('X-Fleet', 'X-Conflicts', 'a*')], 'MachineID cannot be used with Conflicts'],
    [[o('X-Fleet', 'MachineID', 'abc'), o('X-Fleet', 'Global', 'true')], 'MachineID cannot be used with Global'],
    [[o('X-Fleet', 'MachineID', 'abc'), o('X-Fleet', 'Replaces', 'b.service')], 'MachineID cannot be used with Replaces'],
    [[o('X-Fleet', 'Global', 'yes'), o('X-Fleet', 'X-ConditionMachineOf', 'a.service')], 'Global cannot be used with Peers'],
    [[o('X-Fleet', 'Global', 'on'), o('X-Fleet', 'Replaces', 'b.service')], 'Global cannot be used with Replaces'],
    [[o('X-Fleet', 'Global', 'false'), o('X-Fleet', 'Replaces', 'b.service')], null],
    [[o('X-Fleet', 'Conflicts', 'a*'), o('X-Fleet', 'Replaces', 'b.service')], 'Conflicts cannot be used with Replaces'],
    [[o('X-Fleet', 'MachineOf', 'web@1.service'), o('X-Fleet', 'Conflicts', 'db* web@*')], 'unresolvable requirements: peer "web@1.service" matches conflict "web@*"'],
    [[o('X-Fleet', 'MachineOf', 'web@1.service'), o('X-Fleet', 'Replaces', 'web@?.service')], 'unresolvable requirements: peer "web@1.service" matches replace "web@?.service"'],
    // %-specifiers are not expanded when validating (fleet validates a nameless job)
    [[o('X-Fleet', 'MachineOf', '%p.service'), o('X-Fleet', 'Conflicts', 'web.service')], null],
    [[o('Service', 'ExecStart', 'x'.repeat(2049))], 'line too long (max 2048 bytes)'],
    [[o('X-Fleet', 'Foo', 'bar')], null],
  ];
  for (const [opts, want] of cases) assert.equal(validateOptions(opts), want, JSON.stringify(opts));
});

test('page tokens: URL-safe base64 of little-endian {limit, page}; pages and their next token', () => {
  assert.equal(encodePageToken({ limit: 100, page: 1 }), 'ZAABAA==');
  assert.equal(encodePageToken({ limit: 0xfbff, page: 0xffff }), '__v__w==');
  assert.deepEqual(decodePageToken('ZAACAA=='), { limit: 100, page: 2 });
  assert.deepEqual(decodePageToken('__v__w=='), { limit: 0xfbff, page: 0xffff });
  const bad: Array<[string, string]> = [
    ['', 'EOF'],
    ['ZA==', 'unexpected EOF'],
    ['Z!AA', 'illegal base64 data at input byte 1'],
    ['ZAACAA', 'illegal base64 data at input byte 4'],
    ['ZAACAA=', 'illegal base64 data at input byte 7'],
    ['ZAAC=AAA', 'illegal base64 data at input byte 4'],
    ['ZAACAA===', 'illegal base64 data at input byte 8'],
    ['ZAACA', 'illegal base64 data at input byte 4'],
  ];
  for (const [tok, msg] of bad) assert.throws(() => decodePageToken(tok), { message: msg }, tok);
  assert.deepEqual(pageTokenOf([], 100), { limit: 100, page: 1 });
  assert.throws(() => pageTokenOf(['ZAABAA=='], 5), { message: 'token limit must be 5' });
  const all = [1, 2, 3, 4, 5];
  assert.deepEqual(pageOf(all, { limit: 2, page: 1 }), { items: [1, 2], next: encodePageToken({ limit: 2, page: 2 }) });
  assert.deepEqual(pageOf(all, { limit: 2, page: 3 }), { items: [5] });
  assert.deepEqual(pageOf([1, 2], { limit: 2, page: 1 }), { items: [1, 2] });
  assert.deepEqual(pageOf(all, { limit: 2, page: 4 }), { items: [] });
});

test('paging: the first page reads the registry; later pages reuse that read while it is fresh, and a write drops it', async () => {
  let clock = 0;
  let reads = 0;
  let registry = ['a', 'b', 'c'];
  const cache = new ListingCache<string>(5000, () => clock);
  const read = async (): Promise<string[]> => {
    reads++;
    return [...registry];
  };
  assert.deepEqual(await cache.listing(1, read), ['a', 'b', 'c']);
  registry = ['a', 'a2', 'b', 'c'];
  clock = 4000;
  assert.deepEqual(await cache.listing(2, read), ['a', 'b', 'c'], 'page 2 comes from the view page 1 read');
  assert.equal(reads, 1);
  clock = 9001;
  assert.deepEqual(await cache.listing(2, read), ['a', 'a2', 'b', 'c'], 'too old: read again');
  assert.deepEqual(await cache.listing(1, read), ['a', 'a2', 'b', 'c'], 'a first page always reads');
  assert.equal(reads, 3);
  cache.drop();
  registry = ['z'];
  assert.deepEqual(await cache.listing(3, read), ['z'], 'after a write nothing is reused');
});

test('decoding bodies as Go does: case-insensitive fields, null leaves fields alone, first type error', () => {
  assert.deepEqual(decodeUnit('{"NAME":"a.service","desiredstate":"loaded","options":[{"Section":"Service","name":"ExecStart","value":null}],"extra":1}'), {
    name: 'a.service',
    desiredState: 'loaded',
    options: [{ name: 'ExecStart', section: 'Service' }],
  });
  assert.deepEqual(decodeUnit('null'), {});
  assert.deepEqual(decodeUnit('{"name":"a.service"} trailing'), { name: 'a.service' });
  assert.throws(() => decodeUnit('[1]'), { message: 'json: cannot unmarshal array into Go value of type schema.Unit' });
  assert.throws(() => decodeUnit('{"options":[{"value":true}]}'), { message: 'json: cannot unmarshal bool into Go value of type string' });
  assert.throws(() => decodeUnit('{"options":[7]}'), { message: 'json: cannot unmarshal number into Go value of type schema.UnitOption' });
  assert.throws(() => decodeUnit(' \n'), { message: 'EOF' });
  assert.throws(() => decodeUnit('tru'), { message: 'unexpected EOF' });
  assert.throws(() => decodeUnit('trap'), { message: "invalid character 'a' in literal true (expecting 'u')" });
  assert.deepEqual(decodeMetadataOps('[{"op":"add","path":"/m/metadata/k","value":{"value":"v"}}]'), [{ op: 'add', path: '/m/metadata/k', value: 'v' }]);
});

test('entities encode as Go does: omitempty, field order, HTML escaping', () => {
  assert.equal(
    goJson(encodeUnit({ name: 'a.service', desiredState: 'launched', currentState: '', machineID: '', options: [{ name: 'ExecStart', section: 'Service', value: 'a && b <c>' }, { name: 'Environment', section: 'Service', value: '' }] })),
    '{"desiredState":"launched","name":"a.service","options":[{"name":"ExecStart","section":"Service","value":"a \\u0026\\u0026 b \\u003cc\\u003e"},{"name":"Environment","section":"Service"}]}',
  );
  assert.equal(goJson(encodeUnit({ options: [] })), '{}');
});
