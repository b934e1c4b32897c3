// The Registry against a real `coracle etcd` member on 127.0.0.140: the
// requests and conditions fleet relies on, checked through the raw keys a
// real fleet would read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { EtcdClient } from '../../src/client/index.js';
import { Registry, UnitNotFoundError, parseFleetUnit } from '../../src/fleet/registry/index.js';
import { startCluster, tempDir, type MemberProcess } from '../etcd/members.js';

let dir: string;
let members: MemberProcess[] = [];
let client: EtcdClient;
let reg: Registry;

before(async () => {
  dir = tempDir('coracle-fleet-reg-');
  members = await startCluster(['127.0.0.140'], dir);
  client = new EtcdClient({ endpoints: ['http://127.0.0.140:2379'], localAddress: '127.0.0.140', totalTimeout: 5000 });
  reg = new Registry(client, { requestTimeoutMs: 5000 });
});

after(async () => {
  client?.close();
  for (const m of members) await m.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('create, read, set target state and destroy a unit; raw keys are fleet\'s', async () => {
  const file = parseFleetUnit('[Service]\nExecStart=/bin/sleep 100\n');
  await reg.createUnit('hello.service', file);
  const raw = await client.keys.get('/_coreos.com/fleet/job/hello.service/object');
  assert.equal(raw.node?.value, `{"Name":"hello.service","UnitHash":[28,111,182,243,104,75,175,176,193,115,216,184,185,87,206,255,3,17,128,193]}`);
  assert.equal((await client.keys.get('/_coreos.com/fleet/job/hello.service/target-state')).node?.value, 'inactive');
  assert.equal((await client.keys.get('/_coreos.com/fleet/unit/1c6fb6f3684bafb0c173d8b8b957ceff031180c1')).node?.value, '{"Raw":"[Service]\\nExecStart=/bin/sleep 100\\n"}');
  // a second registry without a cache reads the same unit
  const other = new Registry(client);
  const u = await other.unit('hello.service');
  assert.equal(u?.hash, file.hash);
  assert.equal(u?.file?.text, file.text);
  assert.equal(u?.targetState, 'inactive');
  await reg.setTargetState('hello.service', 'launched');
  assert.deepEqual((await other.units()).map((x) => [x.name, x.targetState]), [['hello.service', 'launched']]);
  assert.equal(await reg.currentState('hello.service'), 'inactive');

  // schedule is create-only; unschedule only when the value still matches
  assert.equal(await reg.scheduleUnit('hello.service', 'm1'), true);
  assert.equal(await reg.scheduleUnit('hello.service', 'm2'), false);
  assert.equal(await reg.unscheduleUnit('hello.service', 'm2'), false);
  assert.equal((await reg.unit('hello.service'))?.target, 'm1');

  await reg.saveUnitState({ name: 'hello.service', machineID: 'm1', loadState: 'loaded', activeState: 'active', subState: 'running', hash: file.hash }, 30);
  assert.equal(await reg.currentState('hello.service'), 'loaded');
  await reg.unitHeartbeat('hello.service', 'm1', 30);
  assert.equal(await reg.currentState('hello.service'), 'launched');
  assert.deepEqual((await reg.unitsWithState()).map((x) => x.currentState), ['launched']);
  assert.equal((await reg.unitStatesOf('hello.service'))[0]?.activeState, 'active');
  assert.equal((await client.keys.get('/_coreos.com/fleet/state/hello.service')).node?.ttl !== undefined, true);

  await reg.destroyUnit('hello.service');
  await assert.rejects(reg.destroyUnit('hello.service'), UnitNotFoundError);
  assert.equal(await reg.unit('hello.service'), undefined);
  // content-addressed bodies stay, as in fleet
  assert.ok((await client.keys.get('/_coreos.com/fleet/unit/1c6fb6f3684bafb0c173d8b8b957ceff031180c1')).node?.value);
});

test('machines: register once, heartbeat, dynamic metadata, removal', async () => {
  const ms = { ID: 'abcdef0123456789', PublicIP: '127.0.0.140', Metadata: { region: 'us' }, Capabilities: { DISABLE_ENGINE: false, GRPC: false }, Version: '1.0.0' };
  await reg.registerMachine(ms, 30);
  await assert.rejects(reg.registerMachine(ms, 30));
  await reg.heartbeatMachine(ms, 30);
  await reg.setMachineMetadata(ms.ID, 'az', 'b');
  assert.deepEqual((await reg.machines()).map((m) => [m.ID, m.Metadata]), [[ms.ID, { region: 'us', az: 'b' }]]);
  await reg.deleteMachineMetadata(ms.ID, 'region');
  assert.deepEqual((await reg.machine(ms.ID))?.Metadata, { az: 'b' });
  await reg.removeMachine(ms.ID);
  assert.deepEqual(await reg.machines(), []);
  await reg.heartbeatMachine(ms, 30); // falls back to create
  assert.equal((await reg.machines()).length, 1);
});

test('engine lease: acquire is exclusive, renew CASes on the index, release', async () => {
  const a = await reg.acquireLease('m1', 1, 10);
  assert.ok(a);
  assert.equal(await reg.acquireLease('m2', 1, 10), undefined);
  const seen = await reg.getLease();
  assert.equal(seen?.machineID, 'm1');
  const renewed = await reg.renewLease(a, 10);
  await assert.rejects(reg.renewLease(a, 10)); // stale index
  assert.equal((await client.keys.get('/_coreos.com/fleet/lease/engine-leader')).node?.value, '{"MachineID":"m1","Version":1}');
  await reg.releaseLease(renewed);
  assert.equal(await reg.getLease(), undefined);
  assert.equal(await reg.engineVersion(), 0);
  await reg.updateEngineVersion(0, 1);
  assert.equal(await reg.engineVersion(), 1);
});

test('snapshot and watch see every change under the prefix', async () => {
  const snap = await reg.snapshot();
  const w = reg.watch(snap.index);
  await reg.setUnscheduledReason('x.service', { reason: 'zero agents available', since: new Date().toISOString() });
  const ev = await w.next();
  w.close();
  assert.equal(ev.node?.key, '/_coreos.com/fleet/coracle/unscheduled/x.service');
  assert.equal((await reg.unscheduledReason('x.service'))?.reason, 'zero agents available');
  await reg.clearUnscheduledReason('x.service');
  assert.equal((await reg.unscheduledReasons()).size, 0);
});
