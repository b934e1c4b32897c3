// The seeds' real configs: each validates with the report the original gave
// (less the etcd2/fleet deprecation warnings coracle drops) and renders to
// the files and unit actions the original produced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import {
  formatEntry,
  prepareUserData,
  substitutionsFrom,
  validateUserData,
  type Change,
  type Rendered,
  type RootView,
} from '../../src/cloudinit/index.js';

const seeds = new URL('../../../../shared/fixtures/seeds/', import.meta.url);
const seed = (name: string): string => readFileSync(new URL(name, seeds), 'utf8');

/** A CoreOS-like root: the core user and its groups exist. */
function coreRoot(extra: Record<string, string> = {}): RootView {
  const files = new Map(
    Object.entries({
      'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\ncore:x:500:500:CoreOS Admin:/home/core:/bin/bash\n',
      'etc/shadow': 'root:*:16000:0:99999:7:::\ncore:*:16000:0:99999:7:::\n',
      'etc/group': 'root:x:0:\nsudo:x:150:\ndocker:x:233:core\ncore:x:500:\n',
      ...extra,
    }),
  );
  return {
    read: (p) => files.get(p),
    list: (d) => {
      const names = [...files.keys()].filter((p) => p.startsWith(`${d}/`)).map((p) => p.slice(d.length + 1));
      return names.length > 0 ? names : undefined;
    },
  };
}

const noAddresses = substitutionsFrom({});

function render(name: string, root: RootView = coreRoot()): Rendered {
  const p = prepareUserData(seed(name), noAddresses, root, { today: 17000 });
  assert.equal(p.error, undefined);
  assert.ok(p.rendered);
  return p.rendered;
}

function fileAt(r: Rendered, path: string): Extract<Change, { kind: 'file' }> | undefined {
  const found = r.changes.filter((c): c is Extract<Change, { kind: 'file' }> => c.kind === 'file' && c.path === path);
  return found[found.length - 1];
}

test('every seed validates with the report the original gave (less etcd2/fleet deprecations)', () => {
  const expected: Record<string, string[]> = {
    'discovery-master-cloud-config.yml': [],
    'discovery-member-cloud-config.yml': [],
    'etcd-env-cloud-config.yml': [],
    'etcd2-discovery-cloud-config.yml': [],
    'sakura-cloud-config.yml': [],
    'webserver-unit-cloud-config.yml': [],
    // A Container Linux Config for ct, not a cloud-config: the original
    // validator refused it on its first line.
    'swarm-container-linux-config.yml': ['line 1: error: must be "#cloud-config" or begin with "#!"'],
  };
  const names = readdirSync(seeds).filter((n) => n.endsWith('.yml')).sort();
  assert.deepEqual(names, Object.keys(expected).sort());
  for (const n of names) assert.deepEqual(validateUserData(seed(n)).entries.map(formatEntry), expected[n], n);
});

test('etcd2 seed: the drop-in has the fixture\'s exact format and order', () => {
  const fixture = seed('etcd2-expected-20-cloudinit.conf');
  // The fixture came from a machine whose config also set `name: default`
  // and used another discovery token; with both, the output is byte-identical.
  const variant = seed('etcd2-discovery-cloud-config.yml')
    .replace('9dfd14389c921bdde47847f13b7f51cb', '7d7a0ede23474b12c32b88e5b968b2a5')
    .replace('  etcd2:\n', '  etcd2:\n    name: default\n');
  const p = prepareUserData(variant, noAddresses, coreRoot());
  const dropIn = p.rendered && fileAt(p.rendered, 'run/systemd/system/etcd2.service.d/20-cloudinit.conf');
  assert.ok(dropIn);
  assert.equal(dropIn.content, fixture);
  assert.equal(dropIn.mode, 0o644);

  // The seed itself: no name, so no ETCD_NAME line (the final original wrote
  // it only when set); the empty $private_ipv4 leaves "http://:2379".
  const r = render('etcd2-discovery-cloud-config.yml');
  const own = fileAt(r, 'run/systemd/system/etcd2.service.d/20-cloudinit.conf');
  assert.equal(
    own?.content,
    fixture.replace('7d7a0ede23474b12c32b88e5b968b2a5', '9dfd14389c921bdde47847f13b7f51cb').replace('Environment="ETCD_NAME=default"\n', ''),
  );
  assert.deepEqual(r.actions, [
    { action: 'daemon-reload' },
    { action: 'command', command: 'start', unit: 'etcd2.service' },
  ]);
});

test('etcd2 seed with metadata addresses substitutes them', () => {
  const subs = substitutionsFrom({ privateIPv4: '10.0.0.5' });
  const p = prepareUserData(seed('etcd2-discovery-cloud-config.yml'), subs, coreRoot());
  const dropIn = p.rendered && fileAt(p.rendered, 'run/systemd/system/etcd2.service.d/20-cloudinit.conf');
  assert.equal(
    dropIn?.content,
    '[Service]\n' +
      'Environment="ETCD_ADVERTISE_CLIENT_URLS=http://10.0.0.5:2379"\n' +
      'Environment="ETCD_DISCOVERY=https://discovery.etcd.io/9dfd14389c921bdde47847f13b7f51cb"\n' +
      'Environment="ETCD_INITIAL_ADVERTISE_PEER_URLS=http://10.0.0.5:2380"\n' +
      'Environment="ETCD_LISTEN_CLIENT_URLS=http://0.0.0.0:2379"\n' +
      'Environment="ETCD_LISTEN_PEER_URLS=http://10.0.0.5:2380"\n',
  );
  assert.equal(p.rendered && fileAt(p.rendered, 'etc/environment')?.content, 'COREOS_PRIVATE_IPV4=10.0.0.5\n');
});

test('discovery master: etcd2 drop-in in struct order, restart of the old etcd.service name', () => {
  const r = render('discovery-master-cloud-config.yml');
  assert.equal(
    fileAt(r, 'run/systemd/system/etcd2.service.d/20-cloudinit.conf')?.content,
    '[Service]\n' +
      'Environment="ETCD_INITIAL_ADVERTISE_PEER_URLS=http://127.0.0.2:2380"\n' +
      'Environment="ETCD_INITIAL_CLUSTER=master01=http://127.0.0.2:2380"\n' +
      'Environment="ETCD_INITIAL_CLUSTER_STATE=new"\n' +
      'Environment="ETCD_INITIAL_CLUSTER_TOKEN=osdn-test-webserver"\n' +
      'Environment="ETCD_LISTEN_CLIENT_URLS=http://127.0.0.2:2379,http://127.0.0.1:2379,http://127.0.0.2:4001,http://127.0.0.1:4001"\n' +
      'Environment="ETCD_LISTEN_PEER_URLS=http://127.0.0.2:2380"\n' +
      'Environment="ETCD_NAME=master01"\n',
  );
  assert.deepEqual(r.actions, [
    { action: 'daemon-reload' },
    { action: 'command', command: 'restart', unit: 'etcd.service' },
  ]);
});

test('discovery member: discovery through another etcd\'s keys API; etcd2 then fleet restarted', () => {
  const r = render('discovery-member-cloud-config.yml');
  assert.equal(
    fileAt(r, 'run/systemd/system/etcd2.service.d/20-cloudinit.conf')?.content,
    '[Service]\n' +
      'Environment="ETCD_ADVERTISE_CLIENT_URLS=http://127.0.0.3:2379"\n' +
      'Environment="ETCD_DISCOVERY=http://127.0.0.2:2379/v2/keys/discovery/osdn-test-cluster"\n' +
      'Environment="ETCD_INITIAL_ADVERTISE_PEER_URLS=http://127.0.0.3:2380"\n' +
      'Environment="ETCD_LISTEN_CLIENT_URLS=http://127.0.0.3:2379,http://127.0.0.1:2379,http://127.0.0.3:4001,http://127.0.0.1:4001"\n' +
      'Environment="ETCD_LISTEN_PEER_URLS=http://127.0.0.3:2380"\n',
  );
  assert.deepEqual(r.actions.slice(1), [
    { action: 'command', command: 'restart', unit: 'etcd2.service' },
    { action: 'command', command: 'restart', unit: 'fleet.service' },
  ]);
});

test('sakura: hostname, password of the existing core user, key, networkd file, units in order', () => {
  const r = render('sakura-cloud-config.yml');
  assert.equal(fileAt(r, 'etc/hostname')?.content, 'web01\n');
  assert.equal(
    fileAt(r, 'etc/shadow')?.content,
    'root:*:16000:0:99999:7:::\ncore:$6$rounds=4096$saltsalt$3MEaFIkNAwo4lMNH1v3nu4n1s3w4t6bJlT3h0BRvYyq6dXhTz4aZk6aA9B7zWz0w6Z1tq7m7b8b9f0a1b2c3d4:17000:0:99999:7:::\n',
  );
  assert.equal(fileAt(r, 'etc/passwd'), undefined, 'core exists: no useradd');
  assert.equal(
    fileAt(r, 'home/core/.ssh/authorized_keys.d/coreos-cloudinit')?.content,
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOq0ZQ6gW0b3l0u0mHn5GZ8lBZJ7m8n9m2xX0eS1kq2a core@example\n',
  );
  assert.equal(
    fileAt(r, 'home/core/.ssh/authorized_keys')?.content,
    '# auto-generated by /usr/bin/update-ssh-keys\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOq0ZQ6gW0b3l0u0mHn5GZ8lBZJ7m8n9m2xX0eS1kq2a core@example\n',
  );
  const net = fileAt(r, 'etc/systemd/network/10-static.network');
  assert.equal(net?.content, '[Match]\nName=e*\n\n[Network]\nAddress=192.0.2.10/24\nGateway=192.0.2.1\nDNS=192.0.2.3\nDNS=192.0.2.4\n');
  assert.equal(net?.mode, 0o644);
  assert.equal(
    fileAt(r, 'etc/systemd/system/timezone.service')?.content,
    '[Unit]\nDescription=timezone\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/usr/bin/ln -sf ../usr/share/zoneinfo/Japan /etc/localtime\n',
  );
  assert.deepEqual(r.actions, [
    { action: 'daemon-reload' },
    { action: 'command', command: 'restart', unit: 'coreos-setup-environment.service' },
    { action: 'command', command: 'restart', unit: 'systemd-networkd.service' },
    { action: 'command', command: 'start', unit: 'timezone.service' },
  ]);
});

test('webserver unit: written to etc/systemd/system and enabled', () => {
  const r = render('webserver-unit-cloud-config.yml');
  const unit = fileAt(r, 'etc/systemd/system/osdn-test-webserver.service');
  assert.equal(
    unit?.content,
    '[Unit]\nDescription=OSDN Test Web Server\nAfter=docker.service\nRequires=docker.service\n \n[Service]\n' +
      'ExecStartPre=-/usr/bin/docker kill osdn-test-webserver\n' +
      'ExecStartPre=-/usr/bin/docker rm osdn-test-webserver\n' +
      'ExecStartPre=/usr/bin/curl http://example.com/pub/osdn-test-webserver.tar -o /tmp/osdn-test-webserver.tar\n' +
      'ExecStartPre=/usr/bin/docker load -i /tmp/osdn-test-webserver.tar\n' +
      'ExecStart=/usr/bin/docker run --name osdn-test-webserver -p 80:80 osdn-test-webserver\n' +
      'ExecStop=/usr/bin/docker stop osdn-test-webserver\n\n[Install]\nWantedBy=multi-user.target\n',
  );
  assert.deepEqual(r.actions, [
    { action: 'enable', unit: 'osdn-test-webserver.service', runtime: false },
    { action: 'daemon-reload' },
  ]);
});

test('etcd-env: update.conf, unit content verbatim (lowercase Execstart untouched), commands in order', () => {
  const r = render('etcd-env-cloud-config.yml');
  assert.equal(fileAt(r, 'etc/coreos/update.conf')?.content, 'GROUP=master\nREBOOT_STRATEGY=reboot\n');
  const unit = fileAt(r, 'etc/systemd/system/create-etcd-env.service');
  assert.equal(
    unit?.content,
    '[Unit]\nDescription=creates etcd environment\nBefore=etcd2.service        \n\n[Service]\nType=oneshot\n' +
      'ExecStart=/bin/bash -c "echo COREOS_PUBLIC_IPV4=`curl -s ipinfo.io | jq -r \'.ip\'` > /etc/environment"\n' +
      "ExecStart=/bin/bash -c \"echo COREOS_PRIVATE_IPV4=`ip addr show eth0 | grep -o 'inet [0-9]\\\\+\\\\.[0-9]\\\\+\\\\.[0-9]\\\\+\\\\.[0-9]\\\\+' | grep -o [0-9].*` >> /etc/environment\"\n" +
      'Execstart=/bin/systemctl restart user-configdrive.service\n',
  );
  assert.deepEqual(r.actions, [
    { action: 'daemon-reload' },
    { action: 'command', command: 'start', unit: 'create-etcd-env.service' },
    { action: 'command', command: 'restart', unit: 'locksmithd.service' },
    { action: 'command', command: 'restart', unit: 'update-engine.service' },
  ]);
});
