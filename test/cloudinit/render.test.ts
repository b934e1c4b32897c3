// Rendering against reference §1.4 and fixture §7.1 (assume $private_ipv4 =
// 10.0.0.5, $public_ipv4 = 203.0.113.5, update.conf base "GROUP=alpha\n").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  addUser,
  mergeAuthorizedKeys,
  mergeEnvironment,
  mergeUpdateConf,
  parseCloudConfig,
  prepareUserData,
  renderCloudConfig,
  serviceContents,
  substitutionsFrom,
  FLEET_FIELDS,
  type Change,
  type Rendered,
  type RootView,
  type User,
} from '../../src/cloudinit/index.js';

const H = '#cloud-config\n';

function root(files: Record<string, string> = {}): RootView {
  const m = new Map(Object.entries(files));
  return {
    read: (p) => m.get(p),
    list: (d) => {
      const names = [...m.keys()].filter((p) => p.startsWith(`${d}/`)).map((p) => p.slice(d.length + 1));
      return names.length > 0 ? names : undefined;
    },
  };
}

const accounts = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\ncore:x:500:500:CoreOS Admin:/home/core:/bin/bash\n',
  'etc/shadow': 'root:*:16000:0:99999:7:::\ncore:*:16000:0:99999:7:::\n',
  'etc/group': 'root:x:0:\nsudo:x:150:\ndocker:x:233:core\ncore:x:500:\n',
};

function renderText(body: string, files: Record<string, string> = accounts): Rendered {
  return renderCloudConfig(parseCloudConfig(H + body), root(files), { today: 17000 });
}

type FileChange = Extract<Change, { kind: 'file' }>;
const files = (r: Rendered): FileChange[] => r.changes.filter((c): c is FileChange => c.kind === 'file');
const paths = (r: Rendered): string[] => r.changes.map((c) => `${c.kind} ${c.path}`);

/** The §7.1 fixture, cut from the reference so the test reads the same text. */
function fixture71(): string {
  const ref = readFileSync(new URL('../../../../shared/reference/provisioning.md', import.meta.url), 'utf8');
  const from = ref.indexOf('### 7.1');
  const start = ref.indexOf('```yaml\n', from) + '```yaml\n'.length;
  return ref.slice(start, ref.indexOf('```\n', start));
}

test('§7.1 fixture: files, drop-ins, update.conf, environment and unit actions', () => {
  const subs = substitutionsFrom({ privateIPv4: '10.0.0.5', publicIPv4: '203.0.113.5' });
  const p = prepareUserData(fixture71(), subs, root({ ...accounts, 'etc/coreos/update.conf': 'GROUP=alpha\n' }), { today: 17000 });
  assert.equal(p.error, undefined);
  const r = p.rendered;
  assert.ok(r);
  assert.equal(r.error, undefined);
  const byPath = new Map(files(r).map((f) => [f.path, f]));
  assert.equal(byPath.get('etc/hostname')?.content, 'node1\n');
  assert.equal(byPath.get('etc/motd')?.content, 'Good news, everyone!\n');
  assert.equal(byPath.get('etc/motd')?.owner, 'root');
  assert.equal(byPath.get('tmp/todolist')?.content, 'Pack my box with five dozen liquor jugs');
  assert.equal(
    byPath.get('run/systemd/system/etcd2.service.d/20-cloudinit.conf')?.content,
    '[Service]\n' +
      'Environment="ETCD_ADVERTISE_CLIENT_URLS=http://10.0.0.5:2379"\n' +
      'Environment="ETCD_DISCOVERY=https://discovery.etcd.io/TOKEN"\n' +
      'Environment="ETCD_INITIAL_ADVERTISE_PEER_URLS=http://10.0.0.5:2380"\n' +
      'Environment="ETCD_LISTEN_CLIENT_URLS=http://0.0.0.0:2379"\n' +
      'Environment="ETCD_LISTEN_PEER_URLS=http://10.0.0.5:2380"\n' +
      'Environment="ETCD_NAME=node1"\n',
  );
  assert.equal(
    byPath.get('run/systemd/system/fleet.service.d/20-cloudinit.conf')?.content,
    '[Service]\nEnvironment="FLEET_METADATA=region=us-west"\nEnvironment="FLEET_PUBLIC_IP=203.0.113.5"\n',
  );
  assert.equal(
    byPath.get('run/systemd/system/locksmithd.service.d/20-cloudinit.conf')?.content,
    '[Service]\nEnvironment="LOCKSMITHD_GROUP=workers"\nEnvironment="REBOOT_WINDOW_START=Thu 04:00"\nEnvironment="REBOOT_WINDOW_LENGTH=1h"\n',
  );
  assert.equal(byPath.get('etc/coreos/update.conf')?.content, 'GROUP=stable\nREBOOT_STRATEGY=etcd-lock\n');
  assert.equal(byPath.get('etc/systemd/system/docker.service.d/50-insecure-registry.conf')?.content, '[Service]\nEnvironment=DOCKER_OPTS=\'--insecure-registry="10.0.1.0/24"\'\n');
  assert.equal(byPath.get('etc/environment')?.content, 'COREOS_PRIVATE_IPV4=10.0.0.5\nCOREOS_PUBLIC_IPV4=203.0.113.5\n');
  assert.equal(byPath.get('etc/passwd')?.content, `${accounts['etc/passwd']}elroy:x:1000:1000::/home/elroy:/bin/bash\n`);
  assert.equal(byPath.get('etc/group')?.content, 'root:x:0:\nsudo:x:150:elroy\ndocker:x:233:core,elroy\ncore:x:500:\nelroy:x:1000:\n');
  assert.equal(byPath.get('home/elroy/.ssh/authorized_keys.d/coreos-cloudinit')?.content, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIELROY elroy@test\n');
  assert.equal(byPath.get('home/core/.ssh/authorized_keys.d/coreos-cloudinit')?.content, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY core@test\n');
  assert.deepEqual(r.actions, [
    { action: 'daemon-reload' },
    { action: 'command', command: 'start', unit: 'etcd2.service' },
    { action: 'command', command: 'start', unit: 'fleet.service' },
    { action: 'command', command: 'restart', unit: 'locksmithd.service' },
    { action: 'command', command: 'restart', unit: 'update-engine.service' },
  ]);
  // The original's order: hostname, users, keys, write_files, generated
  // files, environment, then units.
  const order = paths(r);
  const at = (s: string): number => order.indexOf(s);
  assert.ok(at('file etc/hostname') < at('file etc/passwd'));
  assert.ok(at('file home/core/.ssh/authorized_keys') < at('file etc/motd'));
  assert.ok(at('file tmp/todolist') < at('file etc/coreos/update.conf'));
  assert.ok(at('file etc/coreos/update.conf') < at('file etc/environment'));
  assert.ok(at('file etc/environment') < at('file etc/systemd/system/docker.service.d/50-insecure-registry.conf'));
});

test('update.conf: lines starting with a key are replaced, others kept, missing keys appended sorted', () => {
  assert.equal(mergeUpdateConf('GROUP=alpha\n', { reboot_strategy: 'etcd-lock', group: 'stable', server: '' }), 'GROUP=stable\nREBOOT_STRATEGY=etcd-lock\n');
  assert.equal(
    mergeUpdateConf('# comment\r\nSERVER_X=1\nGROUP=alpha', { reboot_strategy: '', group: 'beta', server: 'https://u/' }),
    '# comment\nSERVER=https://u/\nGROUP=beta\n',
  );
  assert.equal(mergeUpdateConf('', { reboot_strategy: 'off', group: 'g', server: 's' }), 'GROUP=g\nREBOOT_STRATEGY=off\nSERVER=s\n');
  const bad = renderText('coreos:\n  update:\n    reboot-strategy: always\nwrite_files:\n  - path: /x\n    content: y\n');
  assert.equal(bad.error, 'invalid value "always" for option "RebootStrategy" (valid options: "^(etcd-lock|reboot|off)$")');
  assert.deepEqual(files(bad), [], 'the original failed before writing any file');
  const base = renderText('coreos:\n  update:\n    group: beta\n', { ...accounts, 'usr/share/coreos/update.conf': 'GROUP=stable\nSERVER=https://public.update.core-os.net/v1/update/\n' });
  assert.equal(files(base).find((f) => f.path === 'etc/coreos/update.conf')?.content, 'GROUP=beta\nSERVER=https://public.update.core-os.net/v1/update/\n');
});

test('reboot-strategy off masks and stops locksmithd; group/server restart update-engine', () => {
  const r = renderText('coreos:\n  update:\n    reboot-strategy: "off"\n');
  assert.ok(r.changes.some((c) => c.kind === 'mask' && c.path === 'run/systemd/system/locksmithd.service'));
  assert.deepEqual(r.actions, [{ action: 'command', command: 'stop', unit: 'locksmithd.service' }]);
});

test('/etc/environment merge keeps order and unknown lines, replaces known keys, appends the rest sorted', () => {
  const pending = new Map([
    ['COREOS_PUBLIC_IPV4', '203.0.113.5'],
    ['COREOS_PRIVATE_IPV4', '10.0.0.5'],
  ]);
  assert.equal(mergeEnvironment('# hi\nCOREOS_PUBLIC_IPV4=1.1.1.1\r\nFOO=bar', pending), '# hi\nCOREOS_PUBLIC_IPV4=203.0.113.5\nFOO=bar\nCOREOS_PRIVATE_IPV4=10.0.0.5\n');
  const subs = substitutionsFrom({ privateIPv4: '10.0.0.5' });
  const skip = renderCloudConfig(parseCloudConfig(`${H}write_files:\n  - path: /etc/./environment\n    content: "A=1\\n"\n`), root(), { substitutions: subs });
  assert.deepEqual(files(skip).map((f) => [f.path, f.content]), [['etc/environment', 'A=1\n']], 'a written /etc/environment is not merged');
  const same = renderCloudConfig(parseCloudConfig(`${H}hostname: a\n`), root({ 'etc/environment': 'COREOS_PRIVATE_IPV4=10.0.0.5\n' }), { substitutions: subs });
  assert.equal(files(same).some((f) => f.path === 'etc/environment'), false, 'unchanged content is not rewritten');
});

test('oem-release, etc/hosts and flannel options as the original formatted them', () => {
  const r = renderText(
    'hostname: web\nmanage_etc_hosts: localhost\ncoreos:\n  oem:\n    id: rackspace\n    name: Rackspace "Cloud"\n    version-id: 168.0.0\n    home-url: https://www.rackspace.com/\n    bug-report-url: https://issues.example/\n  flannel:\n    etcd-prefix: /coreos.com/network\n    ip-masq: "true"\n    interface: eth1\n',
  );
  const byPath = new Map(files(r).map((f) => [f.path, f.content]));
  assert.equal(
    byPath.get('etc/oem-release'),
    'ID=rackspace\nVERSION_ID=168.0.0\nNAME="Rackspace \\"Cloud\\""\nHOME_URL="https://www.rackspace.com/"\nBUG_REPORT_URL="https://issues.example/"\n',
  );
  assert.equal(byPath.get('etc/hosts'), '127.0.0.1 web\n');
  assert.equal(byPath.get('run/flannel/options.env'), 'FLANNELD_ETCD_PREFIX=/coreos.com/network\nFLANNELD_IP_MASQ=true\nFLANNELD_IFACE=eth1');
  assert.equal(renderText('manage_etc_hosts: yes-please\n').error, 'Invalid option to manage_etc_hosts');
});

test('drop-in values print as Go %v: bools, ints, shortest floats', () => {
  const fleet = { agent_ttl: '30s', disable_engine: true, engine_reconcile_interval: 2, etcd_request_timeout: 1000000, verbosity: 3, verify_units: false };
  assert.equal(
    serviceContents(FLEET_FIELDS, fleet),
    '[Service]\nEnvironment="FLEET_AGENT_TTL=30s"\nEnvironment="FLEET_DISABLE_ENGINE=true"\nEnvironment="FLEET_ENGINE_RECONCILE_INTERVAL=2"\nEnvironment="FLEET_ETCD_REQUEST_TIMEOUT=1e+06"\nEnvironment="FLEET_VERBOSITY=3"\n',
  );
  const legacy = renderText('coreos:\n  etcd:\n    snapshot-count: 5\n    addr: 1.2.3.4:4001\n');
  assert.equal(files(legacy).find((f) => f.path === 'run/systemd/system/etcd.service.d/20-cloudinit.conf')?.content, '[Service]\nEnvironment="ETCD_ADDR=1.2.3.4:4001"\nEnvironment="ETCD_SNAPSHOTCOUNT=5"\n');
});

test('units: runtime vs persistent, network units, mask, enable, commands after reload', () => {
  const r = renderText(
    'coreos:\n  units:\n    - name: a.service\n      runtime: true\n      enable: true\n      content: "[Service]\\nExecStart=/bin/true\\n"\n      command: start\n' +
      '    - name: 10-eth.network\n      content: "[Match]\\nName=eth0\\n"\n      enable: true\n      command: start\n' +
      '    - name: b.service\n      mask: true\n      command: stop\n' +
      '    - name: c.service\n      drop-ins:\n        - name: 10-x.conf\n          content: "[Service]\\n"\n        - name: empty.conf\n' +
      '    - command: start\n',
  );
  assert.deepEqual(paths(r).filter((p) => !p.includes('etcd') && !p.includes('fleet') && !p.includes('locksmithd')), [
    'file run/systemd/system/a.service',
    'unmask run/systemd/system/a.service',
    'file etc/systemd/network/10-eth.network',
    'mask etc/systemd/system/b.service',
    'file etc/systemd/system/c.service.d/10-x.conf',
  ]);
  assert.deepEqual(r.actions, [
    { action: 'enable', unit: 'a.service', runtime: true },
    { action: 'daemon-reload' },
    { action: 'command', command: 'restart', unit: 'systemd-networkd.service', networkd: true },
    { action: 'command', command: 'start', unit: 'a.service' },
    { action: 'command', command: 'stop', unit: 'b.service' },
  ]);
  const bad = renderText('coreos:\n  units:\n    - name: a.service\n      command: start\n    - name: b.service\n      command: lol\n');
  assert.equal(bad.error, 'Unsupported systemd command "lol"');
  assert.deepEqual(bad.actions, [{ action: 'command', command: 'start', unit: 'a.service' }]);
});

test('write_files: modes, owners, root-relative paths, bad permissions stop the apply', () => {
  const r = renderText('write_files:\n  - path: /opt/a\n    permissions: "0755"\n    owner: core:core\n    content: x\n  - path: ../../etc/b\n    permissions: 4644\n    content: y\n  - path: /c\n    permissions: "0999"\n  - path: /d\n');
  assert.deepEqual(files(r).map((f) => [f.path, f.mode, f.owner]), [
    ['opt/a', 0o755, 'core:core'],
    ['etc/b', 0o644, undefined],
  ]);
  assert.equal(r.error, 'Unable to parse file permissions "0999" as integer');
});

test('users: useradd arguments as the original built them', () => {
  const u = (over: Partial<User>): User => ({
    name: 'x', passwd: '', ssh_authorized_keys: [], coreos_ssh_import_github: '', coreos_ssh_import_github_users: [],
    coreos_ssh_import_url: '', gecos: '', homedir: '', no_create_home: false, primary_group: '', groups: [],
    no_user_group: false, system: false, no_log_init: false, shell: '', ...over,
  });
  const acc = { passwd: accounts['etc/passwd'], shadow: accounts['etc/shadow'], group: accounts['etc/group'] };
  const a = addUser(acc, u({ name: 'ann', gecos: 'Ann Example', homedir: '/srv/ann', shell: '/bin/sh', primary_group: 'docker', no_create_home: true }), 17000);
  assert.ok(a.ok);
  assert.equal(a.files.passwd.split('\n')[2], 'ann:x:1000:233:"Ann Example":/srv/ann:/bin/sh');
  assert.equal(a.files.shadow.split('\n')[2], 'ann:*:17000:0:99999:7:::');
  assert.equal(a.files.group, acc.group, 'no user group with --gid');
  assert.equal(a.createHome, false);
  const s = addUser(acc, u({ name: 'svc', system: true, no_user_group: true }));
  assert.ok(s.ok);
  assert.equal(s.files.passwd.split('\n')[2], 'svc:x:999:100::/home/svc:/bin/bash');
  assert.deepEqual(addUser(acc, u({ name: 'bob', groups: ['wheel'] })), { ok: false, error: "useradd: group 'wheel' does not exist" });
  assert.deepEqual(addUser(acc, u({ name: 'Bad Name' })), { ok: false, error: "useradd: invalid user name 'Bad Name'" });
  const exists = renderText('users:\n  - name: core\n    groups: [nope]\n');
  assert.equal(exists.error, undefined, 'an existing user ignores creation-time fields');
});

test('SSH keys: update-ssh-keys merge, old keys kept on first run, disabled sets skipped', () => {
  assert.equal(
    mergeAuthorizedKeys(new Map([['b', 'k2'], ['a', 'k1\n'], ['.hidden', 'x\n'], ['empty', '']])),
    '# auto-generated by /usr/bin/update-ssh-keys\nk1\nk2\n',
  );
  assert.equal(mergeAuthorizedKeys(new Map([['a', '\n']])), null);
  const first = renderText('ssh_authorized_keys:\n  - " ssh-ed25519 AAAA new "\n', { ...accounts, 'home/core/.ssh/authorized_keys': 'ssh-rsa OLD old\n' });
  const byPath = new Map(files(first).map((f) => [f.path, f]));
  assert.equal(byPath.get('home/core/.ssh/authorized_keys.d/old_authorized_keys')?.content, 'ssh-rsa OLD old\n');
  assert.equal(byPath.get('home/core/.ssh/authorized_keys')?.content, '# auto-generated by /usr/bin/update-ssh-keys\nssh-ed25519 AAAA new\nssh-rsa OLD old\n');
  assert.equal(byPath.get('home/core/.ssh/authorized_keys')?.mode, 0o600);
  assert.equal(byPath.get('home/core/.ssh/authorized_keys')?.owner, 'core:core');
  const disabled = renderText('ssh_authorized_keys: [k]\n', { ...accounts, 'home/core/.ssh/authorized_keys.d/coreos-cloudinit': '', 'home/core/.ssh/authorized_keys.d/other': 'k0\n' });
  assert.deepEqual(files(disabled).map((f) => [f.path, f.content]), [['home/core/.ssh/authorized_keys', '# auto-generated by /usr/bin/update-ssh-keys\nk0\n']]);
  const named = renderCloudConfig(parseCloudConfig(`${H}ssh_authorized_keys: [k]\n`), root(accounts), { sshKeyName: 'mine', metadataSshKeys: ['m'] });
  assert.equal(files(named).find((f) => f.path === 'home/core/.ssh/authorized_keys.d/mine')?.content, 'k\nm\n');
});
