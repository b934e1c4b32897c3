// The cluster plan (pure): addresses, metadata, and the generated
// cloud-config, which must be a config the cloud-config validator accepts
// and whose etcd2 drop-in names the machine's own address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { machineCloudConfig, parseMetadata, planMachines } from '../../src/cluster/plan.js';
import { prepareUserData, substitutionsFrom, validateUserData } from '../../src/cloudinit/index.js';

const emptyRoot = { read: () => undefined, list: () => undefined };

test('machine n is 127.0.0.(n+1) with etcd on 2379/2380 and the fleet API on 49153', () => {
  const p = planMachines(3);
  assert.deepEqual(p.map((m) => [m.name, m.address]), [['core-01', '127.0.0.2'], ['core-02', '127.0.0.3'], ['core-03', '127.0.0.4']]);
  assert.equal(p[0]!.ports.etcdClient, 2379);
  assert.equal(p[0]!.ports.etcdPeer, 2380);
  assert.equal(p[0]!.ports.fleetApi, 49153);
});

test('--metadata n=k=v,... per machine, with errors that say what is wrong', () => {
  const r = parseMetadata('1=role=web,2=role=db,1=az=a', 3);
  assert.ok(r.ok);
  assert.deepEqual(r.value.get(1), { role: 'web', az: 'a' });
  assert.deepEqual(r.value.get(2), { role: 'db' });
  const bad = parseMetadata('4=role=web', 3);
  assert.ok(!bad.ok && /machine 4 does not exist/.test(bad.error));
  const worse = parseMetadata('role=web', 3);
  assert.ok(!worse.ok && /is not n=key=value/.test(worse.error));
});

for (const mode of ['static', 'service'] as const) {
  test(`the generated cloud-config (${mode} discovery) validates clean and renders etcd2 and fleet drop-ins for the machine`, () => {
    const all = planMachines(3, new Map([[2, { role: 'web' }]]));
    const m = all[1]!;
    const discovery = mode === 'static' ? { mode, token: 't1' } : { mode, url: 'http://127.0.0.1:18087/abc' };
    const text = machineCloudConfig(m, all, discovery, true);
    assert.deepEqual(validateUserData(text).entries, []);
    const p = prepareUserData(text, substitutionsFrom({ privateIPv4: m.address, publicIPv4: m.address }), emptyRoot);
    assert.equal(p.error, undefined);
    const files = new Map(p.rendered!.changes.filter((c) => c.kind === 'file').map((c) => [c.path, (c as { content: string }).content]));
    const etcd2 = files.get('run/systemd/system/etcd2.service.d/20-cloudinit.conf')!;
    assert.match(etcd2, /ETCD_LISTEN_PEER_URLS=http:\/\/127\.0\.0\.3:2380/);
    assert.match(etcd2, /ETCD_NAME=core-02/);
    if (mode === 'static') assert.match(etcd2, /ETCD_INITIAL_CLUSTER=core-01=http:\/\/127\.0\.0\.2:2380,core-02=http:\/\/127\.0\.0\.3:2380,core-03=http:\/\/127\.0\.0\.4:2380/);
    else assert.match(etcd2, /ETCD_DISCOVERY=http:\/\/127\.0\.0\.1:18087\/abc/);
    const fleet = files.get('run/systemd/system/fleet.service.d/20-cloudinit.conf')!;
    assert.match(fleet, /FLEET_METADATA=role=web/);
    assert.match(fleet, /FLEET_PUBLIC_IP=127\.0\.0\.3/);
    assert.match(files.get('etc/systemd/system/fleet.socket.d/30-ListenStream.conf')!, /ListenStream=127\.0\.0\.3:49153/);
    const commands = p.rendered!.actions.filter((a) => a.action === 'command').map((a) => `${(a as { command: string }).command} ${(a as { unit: string }).unit}`);
    assert.deepEqual(commands, ['start etcd2.service', 'start fleet.service']);
  });
}
