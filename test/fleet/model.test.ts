// The in-memory registry model: built from a snapshot, kept current by watch
// events, and what it reports as changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryKeys, RegistryModel, encodeJobObject, encodeMachineState } from '../../src/fleet/registry/index.js';
import type { KeysResponse } from '../../src/client/types.js';

const P = '/_coreos.com/fleet';
const hash = '1c6fb6f3684bafb0c173d8b8b957ceff031180c1';
const ev = (action: string, key: string, value?: string, dir?: boolean): KeysResponse => ({
  action, index: 0, clusterId: '', status: 200, node: { key, ...(value !== undefined ? { value } : {}), ...(dir ? { dir: true } : {}) },
});

test('snapshot then events: jobs, targets, machines, expiry, destroy', () => {
  const m = new RegistryModel(new RegistryKeys());
  m.reset({ key: P, dir: true, nodes: [
    { key: `${P}/job`, dir: true, nodes: [{ key: `${P}/job/a.service`, dir: true, nodes: [
      { key: `${P}/job/a.service/object`, value: encodeJobObject('a.service', hash) },
      { key: `${P}/job/a.service/target-state`, value: 'launched' },
    ] }] },
    { key: `${P}/machines`, dir: true, nodes: [{ key: `${P}/machines/m1`, dir: true, nodes: [
      { key: `${P}/machines/m1/object`, value: encodeMachineState({ ID: 'm1', PublicIP: '1.2.3.4', Metadata: { a: '1' }, Capabilities: null, Version: '1.0.0' }) },
    ] }] },
  ] });
  assert.deepEqual(m.unit('a.service'), { name: 'a.service', hash, targetState: 'launched' });
  assert.deepEqual(m.liveMachines().map((x) => x.ID), ['m1']);

  assert.deepEqual(m.apply(ev('create', `${P}/job/a.service/target`, 'm1')), [{ kind: 'job', name: 'a.service', field: 'target' }]);
  assert.equal(m.unit('a.service')?.target, 'm1');
  assert.deepEqual(m.apply(ev('set', `${P}/machines/m1/metadata/b`, '2')), [{ kind: 'machine', id: 'm1', field: 'metadata' }]);
  assert.deepEqual(m.liveMachine('m1')?.Metadata, { a: '1', b: '2' });
  assert.deepEqual(m.apply(ev('expire', `${P}/machines/m1/object`)), [{ kind: 'machine', id: 'm1', field: 'object' }]);
  assert.equal(m.liveMachine('m1'), undefined);
  assert.deepEqual(m.apply(ev('compareAndDelete', `${P}/job/a.service/target`)), [{ kind: 'job', name: 'a.service', field: 'target' }]);
  assert.equal(m.unit('a.service')?.target, undefined);
  assert.deepEqual(m.apply(ev('delete', `${P}/job/a.service`, undefined, true)), [{ kind: 'job', name: 'a.service', field: 'removed' }]);
  assert.equal(m.unit('a.service'), undefined);
});

test('a job dir without an object is not a unit; a bad target state hides it, as in fleet', () => {
  const m = new RegistryModel(new RegistryKeys());
  m.apply(ev('set', `${P}/job/b.service/target-state`, 'launched'));
  assert.equal(m.unit('b.service'), undefined);
  m.apply(ev('set', `${P}/job/b.service/object`, encodeJobObject('b.service', hash)));
  assert.equal(m.unit('b.service')?.targetState, 'launched');
  m.apply(ev('set', `${P}/job/b.service/target-state`, 'running'));
  assert.equal(m.unit('b.service'), undefined);
});

test('keys outside the prefix are ignored', () => {
  const m = new RegistryModel(new RegistryKeys());
  assert.deepEqual(m.apply(ev('set', '/other/job/x/object', '{}')), []);
});
