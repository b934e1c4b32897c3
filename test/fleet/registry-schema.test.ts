import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseFleetUnit, serializeUnit, deserializeUnit, hashToBytes, bytesToHash, shortHash, parseMultivalue, UnitFileError,
  RegistryKeys, encodeJobObject, decodeJobObject, encodeMachineState, decodeMachineState, encodeUnitState, decodeUnitState,
  encodeLease, decodeLease, encodeUnitModel, decodeUnitModel, determineJobState, jobFromDir, machineFromDir, statesFromDir, mergeMetadata,
} from '../../src/fleet/registry/index.js';

test('unit hash: fleet\'s own check value', () => {
  const f = parseFleetUnit('[Service]\nExecStart=/bin/sleep 100\n');
  assert.equal(f.hash, '1c6fb6f3684bafb0c173d8b8b957ceff031180c1');
  assert.equal(shortHash(f.hash), '1c6fb6f');
  assert.equal(f.text, '[Service]\nExecStart=/bin/sleep 100\n');
});

test('re-serialization: comments dropped, sections merged in first-appearance order, continuation kept, spaces trimmed', () => {
  const raw = "# comment\n[Unit]\nDescription = Foo  \nAfter=a.service\n\n[Service]\nExecStart=/bin/sh -c \\\n  'echo hi'\nEnvironment=\n[Unit]\nBefore=b.service\n";
  const f = parseFleetUnit(raw);
  assert.equal(f.text, "[Unit]\nDescription=Foo\nAfter=a.service\nBefore=b.service\n\n[Service]\nExecStart=/bin/sh -c \\\n  'echo hi'\nEnvironment=\n");
  assert.equal(f.hash, '320544f245b1d4923b408c0a8f7877c0db9689a2');
  const exec = f.options.find((o) => o.name === 'ExecStart');
  assert.equal(exec?.value, "/bin/sh -c \\\n  'echo hi'");
});

test('parser: text before the first section is skipped; inline # is part of the value; ; comments', () => {
  const opts = deserializeUnit('junk here\n[Unit]\n; c\n  # c2\nDescription=a # b\n');
  assert.deepEqual(opts, [{ section: 'Unit', name: 'Description', value: 'a # b' }]);
});

test('parser errors: long line, garbage after section, newline in option name', () => {
  assert.throws(() => deserializeUnit('[Unit]\nDescription=' + 'x'.repeat(2100) + '\n'), /line too long \(max 2048 bytes\)/);
  assert.throws(() => deserializeUnit('[Unit] junk\n'), (e: unknown) => e instanceof UnitFileError && /garbage after section/.test(e.message));
  assert.throws(() => deserializeUnit('[Unit]\nNoEquals\nFoo=bar\n'), /unexpected newline/);
  assert.throws(() => deserializeUnit('[Unit\n'), /unable to find end of section/);
});

test('serializer: empty list is empty text; no blank line after the last section', () => {
  assert.equal(serializeUnit([]), '');
  assert.equal(
    serializeUnit([{ section: 'A', name: 'x', value: '1' }, { section: 'B', name: 'y', value: '' }, { section: 'A', name: 'z', value: '2' }]),
    '[A]\nx=1\nz=2\n\n[B]\ny=\n',
  );
});

test('UnitHash is 20 ints in the job object', () => {
  const hash = '2adb0657' + '0'.repeat(32);
  assert.equal(hashToBytes(hash).length, 20);
  assert.equal(encodeJobObject('hello.service', hash), `{"Name":"hello.service","UnitHash":[42,219,6,87,${Array(16).fill(0).join(',')}]}`);
  assert.deepEqual(decodeJobObject(encodeJobObject('a.service', hash)), { name: 'a.service', hash });
  assert.equal(bytesToHash(hashToBytes('1c6fb6f3684bafb0c173d8b8b957ceff031180c1')), '1c6fb6f3684bafb0c173d8b8b957ceff031180c1');
});

test('keys: path.Join of the prefix, never a trailing slash; custom prefix', () => {
  const k = new RegistryKeys();
  assert.equal(k.jobObject('hello.service'), '/_coreos.com/fleet/job/hello.service/object');
  assert.equal(k.unitState('a.service', 'm1'), '/_coreos.com/fleet/states/a.service/m1');
  assert.equal(k.lease(), '/_coreos.com/fleet/lease/engine-leader');
  assert.equal(k.engineVersion, '/_coreos.com/fleet/engine/version');
  assert.equal(k.machines, '/_coreos.com/fleet/machines');
  const c = new RegistryKeys('custom/');
  assert.equal(c.jobTarget('x.service'), '/custom/job/x.service/target');
  assert.deepEqual(k.split('/_coreos.com/fleet/job/x.service/target'), ['job', 'x.service', 'target']);
  assert.equal(k.split('/other/x'), undefined);
});

test('machine object: fleet\'s exact JSON, metadata keys sorted, null metadata', () => {
  const ms = { ID: 'abc', PublicIP: '10.0.0.5', Metadata: { region: 'us', az: 'us-west-1b' }, Capabilities: { GRPC: false, DISABLE_ENGINE: false }, Version: '1.0.0' };
  assert.equal(
    encodeMachineState(ms),
    '{"ID":"abc","PublicIP":"10.0.0.5","Metadata":{"az":"us-west-1b","region":"us"},"Capabilities":{"DISABLE_ENGINE":false,"GRPC":false},"Version":"1.0.0"}',
  );
  assert.deepEqual(decodeMachineState(encodeMachineState(ms)).Metadata, { az: 'us-west-1b', region: 'us' });
  assert.equal(encodeMachineState({ ...ms, Metadata: null, Capabilities: null }), '{"ID":"abc","PublicIP":"10.0.0.5","Metadata":null,"Capabilities":null,"Version":"1.0.0"}');
  assert.deepEqual(mergeMetadata({ a: '1', b: '2' }, { b: '', c: '3' }), { a: '1', c: '3' });
});

test('unit state JSON: only machineState.ID is filled', () => {
  const s = { machineID: 'm1', loadState: 'loaded', activeState: 'active', subState: 'running', hash: '2adb06' };
  const text = encodeUnitState(s);
  assert.equal(text, '{"loadState":"loaded","activeState":"active","subState":"running","machineState":{"ID":"m1","PublicIP":"","Metadata":null,"Capabilities":null,"Version":""},"unitHash":"2adb06"}');
  assert.deepEqual(decodeUnitState(text, 'a.service', 'm1'), { name: 'a.service', ...s });
});

test('lease JSON, and a bare machine ID read as version 0', () => {
  assert.equal(encodeLease({ machineID: 'm1', version: 1 }), '{"MachineID":"m1","Version":1}');
  assert.deepEqual(decodeLease('{"MachineID":"m1","Version":1}'), { machineID: 'm1', version: 1 });
  assert.deepEqual(decodeLease('m2'), { machineID: 'm2', version: 0 });
});

test('unit model escapes like Go (HTML-safe)', () => {
  const text = '[Service]\nExecStart=/bin/sh -c "a > b && c < d"\n';
  assert.equal(encodeUnitModel(text), '{"Raw":"[Service]\\nExecStart=/bin/sh -c \\"a \\u003e b \\u0026\\u0026 c \\u003c d\\"\\n"}');
  assert.equal(decodeUnitModel(encodeUnitModel(text)), text);
});

test('job state derivation (determineJobState)', () => {
  assert.equal(determineJobState(undefined, undefined, false), 'inactive');
  assert.equal(determineJobState('m1', 'm1', false), 'inactive');
  assert.equal(determineJobState(undefined, 'm1', true), 'loaded');
  assert.equal(determineJobState('m2', 'm1', true), 'loaded');
  assert.equal(determineJobState('m1', 'm1', true), 'launched');
});

test('reading job, machine and states dirs as fleet does', () => {
  const hash = '1c6fb6f3684bafb0c173d8b8b957ceff031180c1';
  const p = '/_coreos.com/fleet';
  const dir = { key: `${p}/job/a.service`, dir: true, nodes: [
    { key: `${p}/job/a.service/object`, value: encodeJobObject('a.service', hash) },
    { key: `${p}/job/a.service/target-state`, value: 'launched' },
    { key: `${p}/job/a.service/target`, value: 'm1' },
    { key: `${p}/job/a.service/job-state`, value: 'm1' },
  ] };
  assert.deepEqual(jobFromDir(dir), { name: 'a.service', hash, targetState: 'launched', target: 'm1', heartbeat: 'm1' });
  assert.equal(jobFromDir({ key: `${p}/job/b.service`, dir: true, nodes: [{ key: `${p}/job/b.service/target`, value: 'm1' }] }), undefined);
  const mdir = { key: `${p}/machines/m1`, dir: true, nodes: [
    { key: `${p}/machines/m1/object`, value: encodeMachineState({ ID: 'm1', PublicIP: '1.2.3.4', Metadata: { a: '1' }, Capabilities: null, Version: '1.0.0' }) },
    { key: `${p}/machines/m1/metadata`, dir: true, nodes: [{ key: `${p}/machines/m1/metadata/b`, value: '2' }] },
  ] };
  assert.deepEqual(machineFromDir(mdir)?.Metadata, { a: '1', b: '2' });
  assert.equal(machineFromDir({ key: `${p}/machines/m2`, dir: true, nodes: [] }), undefined);
  const sdir = { key: `${p}/states`, dir: true, nodes: [
    { key: `${p}/states/b.service`, dir: true, nodes: [{ key: `${p}/states/b.service/m1`, value: encodeUnitState({ machineID: 'm1', loadState: 'loaded', activeState: 'active', subState: 'running', hash }) }] },
    { key: `${p}/states/a.service`, dir: true, nodes: [
      { key: `${p}/states/a.service/m2`, value: encodeUnitState({ machineID: 'm2', loadState: 'loaded', activeState: 'active', subState: 'running', hash }) },
      { key: `${p}/states/a.service/m1`, value: encodeUnitState({ machineID: 'm1', loadState: 'loaded', activeState: 'failed', subState: 'failed', hash }) },
    ] },
  ] };
  assert.deepEqual(statesFromDir(sdir).map((s) => `${s.name}/${s.machineID}`), ['a.service/m1', 'a.service/m2', 'b.service/m1']);
});

test('multi-value X-Fleet lines', () => {
  assert.deepEqual(parseMultivalue('"a*" "b c"'), ['a*', 'b c']);
  assert.deepEqual(parseMultivalue('a b'), ['a b']);
});
