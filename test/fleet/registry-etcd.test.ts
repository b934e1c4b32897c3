// The Registry against a real `coracle etcd` member on 127.0.0.140: the
// requests and conditions fleet relies on, checked through the raw keys a
// real fleet would read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { EtcdClient } from '../../src/client/index.js';
import { Registry, UnitNotFoundError, parseFleetUnit } from '../../src/fleet/registry/index.js';
import { EventFeed } from '../../src/fleet/registry/feed.js';
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

test('a job-state renewal keeps the value, renews the TTL and wakes no watcher; a gone key is written again', async () => {
  await reg.unitHeartbeat('beat.service', 'm1', 30);
  const before = await client.keys.get('/_coreos.com/fleet/job/beat.service/job-state');
  const w = client.keys.watcher('/_coreos.com/fleet/job', { afterIndex: before.index, recursive: true });
  await reg.refreshUnitHeartbeat('beat.service', 'm1', 60);
  await reg.setTargetState('beat.service', 'launched');
  const ev = await w.next();
  w.close();
  assert.equal(ev.node?.key, '/_coreos.com/fleet/job/beat.service/target-state', 'the renewal itself was not an event for watchers');
  const after = await client.keys.get('/_coreos.com/fleet/job/beat.service/job-state');
  assert.equal(after.node?.value, 'm1');
  assert.ok((after.node?.ttl ?? 0) > 30, `TTL renewed to 60 s, got ${after.node?.ttl}`);
  // another machine's heartbeat is replaced by ours (fleet's plain set), a missing one recreated
  await reg.unitHeartbeat('beat.service', 'm2', 30);
  await reg.refreshUnitHeartbeat('beat.service', 'm1', 30);
  assert.equal((await client.keys.get('/_coreos.com/fleet/job/beat.service/job-state')).node?.value, 'm1');
  await reg.clearUnitHeartbeat('beat.service');
  await reg.refreshUnitHeartbeat('beat.service', 'm1', 30);
  assert.equal((await client.keys.get('/_coreos.com/fleet/job/beat.service/job-state')).node?.value, 'm1');
  await client.keys.delete('/_coreos.com/fleet/job/beat.service', { recursive: true });
});

test('an event feed opened before a snapshot delivers every later change once, in order, even hundreds at once', async () => {
  const dir = '/_coreos.com/fleet/coracle/schedule/feedtest';
  const signal = new AbortController().signal;
  await client.keys.set(`${dir}/before`, 'x');
  const feed = new EventFeed(reg, dir);
  await feed.open(signal);
  await client.keys.set(`${dir}/between`, 'y'); // in the snapshot and on the stream: delivered once (by the snapshot)
  const snap = await reg.snapshotOf(dir);
  feed.startAfter(snap.index);
  assert.deepEqual((snap.node?.nodes ?? []).map((n) => n.key?.split('/').pop()).sort(), ['before', 'between']);
  // more concurrent writes than a watcher buffers (100): one applied batch can carry them all
  const n = 300;
  await Promise.all(Array.from({ length: n }, (_, i) => client.keys.set(`${dir}/k${i}`, String(i))));
  const seen: number[] = [];
  const keys = new Set<string>();
  for (let i = 0; i < n; i++) {
    const ev = await feed.next(signal);
    seen.push(ev.node?.modifiedIndex ?? 0);
    keys.add(ev.node?.key?.split('/').pop() ?? '');
  }
  feed.close();
  assert.equal(keys.size, n);
  assert.ok(!keys.has('between') && !keys.has('before'));
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b), 'in index order');
  assert.equal(feed.catchUps, 0, 'all of it on the live stream');
  await client.keys.delete(dir, { recursive: true });
});

test('an event feed from a past index catches up one event per request, then follows the live stream', async () => {
  const dir = '/_coreos.com/fleet/coracle/schedule/feedpast';
  const first = await client.keys.set(`${dir}/a`, '1');
  await client.keys.set(`${dir}/b`, '2');
  await client.keys.set(`${dir}/c`, '3');
  const feed = new EventFeed(reg, dir, first.node!.modifiedIndex!);
  const signal = new AbortController().signal;
  const got: string[] = [];
  for (let i = 0; i < 2; i++) got.push((await feed.next(signal)).node?.key?.split('/').pop() ?? '');
  assert.deepEqual(got, ['b', 'c']);
  assert.equal(feed.catchUps, 2, 'both came from history, one connection each');
  const live = feed.next(signal);
  await client.keys.set(`${dir}/d`, '4');
  assert.equal((await live).node?.key?.split('/').pop(), 'd');
  const more = feed.next(signal);
  await client.keys.set(`${dir}/e`, '5');
  assert.equal((await more).node?.key?.split('/').pop(), 'e');
  assert.ok(feed.catchUps <= 3, 'the live stream carried the later events');
  feed.close();
  await client.keys.delete(dir, { recursive: true });
});
