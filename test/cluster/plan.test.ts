// The cluster plan (pure): addresses, metadata, and the generated
// cloud-config, which must be a config the cloud-config validator accepts
// and whose etcd2 drop-in names the machine's own address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { machineCloudConfig, machineListenPorts, parseEtcdServers, parseMetadata, planMachines } from '../../src/cluster/plan.js';
import { SEED_IMAGE_URL, SEED_WEBSERVER_TEMPLATE, dockerSampleBlocker, rewriteWebserverSeed, webserverSampleUnit } from '../../src/cluster/samples.js';
import { parseUnitFile, syntaxDiagnostics } from '../../src/units/index.js';
import { readSeed } from '../support/docker.js';
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
    const text = machineCloudConfig(m, all, { kind: 'machines', discovery }, true);
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

function render(text: string, address: string) {
  assert.deepEqual(validateUserData(text).entries, []);
  const p = prepareUserData(text, substitutionsFrom({ privateIPv4: address, publicIPv4: address }), emptyRoot);
  assert.equal(p.error, undefined);
  const files = new Map(p.rendered!.changes.filter((c) => c.kind === 'file').map((c) => [c.path, (c as { content: string }).content]));
  const commands = p.rendered!.actions.filter((a) => a.action === 'command').map((a) => `${(a as { command: string }).command} ${(a as { unit: string }).unit}`);
  return { files, commands };
}

test('with an external registry (--etcd-servers) a machine runs fleet only, pointed at that etcd, and no etcd2', () => {
  const all = planMachines(3, new Map([[1, { role: 'edge' }]]));
  const registry = { kind: 'external', endpoints: ['http://127.0.0.97:2379', 'http://10.0.0.5:2379'] } as const;
  const text = machineCloudConfig(all[0]!, all, registry, true);
  assert.doesNotMatch(text, /etcd2:/);
  const { files, commands } = render(text, '127.0.0.2');
  assert.deepEqual(commands, ['start fleet.service'], 'etcd2 is not started');
  assert.equal(files.get('run/systemd/system/etcd2.service.d/20-cloudinit.conf'), undefined, 'no etcd2 drop-in');
  const fleet = files.get('run/systemd/system/fleet.service.d/20-cloudinit.conf')!;
  assert.match(fleet, /FLEET_ETCD_SERVERS=http:\/\/127\.0\.0\.97:2379,http:\/\/10\.0\.0\.5:2379/);
  assert.match(fleet, /FLEET_PUBLIC_IP=127\.0\.0\.2/);
  assert.match(fleet, /FLEET_METADATA=role=edge/);
  assert.match(files.get('etc/systemd/system/fleet.socket.d/30-ListenStream.conf')!, /ListenStream=127\.0\.0\.2:49153/);
  // Only the fleet API listens on the machine's address then, so a registry may sit on 127.0.0.x:2379.
  assert.deepEqual(machineListenPorts(all[0]!, registry), [49153]);
  assert.deepEqual(machineListenPorts(all[0]!, { kind: 'machines', discovery: { mode: 'static' } }).sort(), [2379, 2380, 4001, 49153]);
});

test('--etcd-servers takes client URLs only, with errors that say what is wrong', () => {
  assert.deepEqual(parseEtcdServers('http://127.0.0.97:2379'), { ok: true, value: ['http://127.0.0.97:2379'] });
  assert.deepEqual(parseEtcdServers(' http://a:2379/ , https://b:2379'), { ok: true, value: ['http://a:2379', 'https://b:2379'] });
  const cases: [string, RegExp][] = [
    ['', /at least one etcd client URL/],
    ['127.0.0.97:2379', /is not http\(s\)|is not a URL/],
    ['ftp://a:21', /is not http\(s\)/],
    ['http://a:2379/v2/keys', /has a path; give the client URL only/],
    ['not a url', /is not a URL/],
  ];
  for (const [spec, want] of cases) {
    const r = parseEtcdServers(spec);
    assert.ok(!r.ok, spec);
    assert.match(r.error, want, spec);
  }
});

test('the Docker sample is the seed\'s template with only the image URL and the published address changed', () => {
  const url = 'http://127.0.0.1:18088/osdn-test-webserver.tar';
  assert.equal(SEED_WEBSERVER_TEMPLATE, readSeed('osdn-test-webserver@.service'), 'the copy coracle ships is the seed, byte for byte');
  const sample = webserverSampleUnit(url);
  const seedLines = SEED_WEBSERVER_TEMPLATE.split('\n');
  const sampleLines = sample.split('\n').filter((l) => !l.startsWith('#'));
  const changed = seedLines.filter((l) => !sampleLines.includes(l));
  assert.deepEqual(changed, [
    `ExecStartPre=/usr/bin/curl ${SEED_IMAGE_URL} -o /tmp/osdn-test-webserver.tar`,
    'ExecStart=/usr/bin/docker run --name osdn-test-webserver-%i -p 80:80 osdn-test-webserver',
  ]);
  const added = sampleLines.filter((l) => !seedLines.includes(l));
  assert.deepEqual(added, [
    'EnvironmentFile=/etc/environment',
    `ExecStartPre=/usr/bin/curl ${url} -o /tmp/osdn-test-webserver.tar`,
    'ExecStart=/usr/bin/docker run --name osdn-test-webserver-%i -p ${COREOS_PRIVATE_IPV4}:80:80 osdn-test-webserver',
  ]);
  // Still a unit fleet takes: the conflict that puts the two instances on different machines is there.
  const unit = parseUnitFile(sample, 'osdn-test-webserver@.service');
  assert.deepEqual(syntaxDiagnostics(unit), []);
  assert.ok(unit.sections.some((s) => s.name === 'X-Fleet' && s.entries.some((e) => e.key === 'X-Conflicts' && e.value === 'osdn-test-webserver@*.service')));
  assert.throws(() => rewriteWebserverSeed('[Service]\nExecStart=/bin/true\n', url), /no longer downloads/);
});

test('cluster up --docker says what is missing when it cannot make the Docker sample', () => {
  const ok = { busybox: '/bin/busybox', docker: '/usr/bin/docker', engineVersion: '26.1.5', serverAddressBusy: null };
  assert.equal(dockerSampleBlocker(ok), null);
  assert.match(dockerSampleBlocker({ ...ok, busybox: null })!, /\/bin\/busybox is missing \(apt-get install busybox-static\)/);
  assert.match(dockerSampleBlocker({ ...ok, engineVersion: null })!, /no Docker engine answers `\/usr\/bin\/docker info`/);
  assert.match(dockerSampleBlocker({ ...ok, serverAddressBusy: '127.0.0.1:18088' })!, /127\.0\.0\.1:18088, where the sample image would be served, is in use/);
});
