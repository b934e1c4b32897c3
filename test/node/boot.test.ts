// Machine boot: `coracle node --config` with each seed cloud-config, as a
// real process on a temp root. Only addresses and URLs in the seeds are
// rewritten (to 127.0.0.200–229, this file's range, and to local discovery);
// `_config/size` is set by hand as the seed's author did. Seeds whose units
// write host paths (/etc/localtime, /etc/environment) run in their own mount
// namespace with the root's etc/ over /etc, and the host's files are checked
// unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { applyFirstBootIgnition, bootMachine } from '../../src/node/boot.js';
import fs from 'node:fs';
import path from 'node:path';
import {
  bootNode,
  CORACLE,
  etcd,
  etcdHealthy,
  etcdMembers,
  journal,
  processesOf,
  seed,
  SEEDS,
  stopNode,
  tempDir,
  unitState,
  waitFor,
  writeConfig,
} from './helpers.js';

const USER_DATA_UNIT = 'user-cloudinit@var-lib-coreos\\x2dinstall-user_data.service';
const canNamespace = typeof process.getuid === 'function' && process.getuid() === 0 && fs.existsSync('/usr/bin/unshare');

test('first boot creates the skeleton, ships the units, and a clean stop leaves no process', async () => {
  const dir = tempDir();
  const root = path.join(dir, 'root');
  const m = await bootNode({ root, address: '127.0.0.200' });
  const version = (JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  assert.match(fs.readFileSync(path.join(root, 'etc/machine-id'), 'utf8'), /^[0-9a-f]{32}\n$/);
  const osRelease = fs.readFileSync(path.join(root, 'etc/os-release'), 'utf8');
  assert.match(osRelease, /^NAME="coracle"$/m);
  assert.match(osRelease, new RegExp(`^VERSION_ID=${version.replace(/\./g, '\\.')}$`, 'm'));
  assert.equal(fs.readFileSync(path.join(root, 'etc/coreos/update.conf'), 'utf8'), 'GROUP=stable\n');
  const env = fs.readFileSync(path.join(root, 'etc/environment'), 'utf8');
  assert.match(env, /^COREOS_PRIVATE_IPV4=127\.0\.0\.200$/m);
  assert.match(env, /^COREOS_PUBLIC_IPV4=127\.0\.0\.200$/m);
  for (const unit of ['etcd2.service', 'etcd.service', 'etcd-member.service', 'fleet.socket', 'fleet.service', 'docker.service', 'user-cloudinit@.service', 'user-configdrive.service']) {
    assert.ok(fs.existsSync(path.join(root, 'lib/systemd/system', unit)), `${unit} is shipped`);
    const st = await unitState(root, unit.replace('@.', '@x.'));
    assert.equal(st?.loadState, 'loaded', `${unit} loads`);
  }
  const etcd2 = fs.readFileSync(path.join(root, 'lib/systemd/system/etcd2.service'), 'utf8');
  assert.match(etcd2, /^Type=notify$/m);
  assert.ok(etcd2.includes(`ETCD_DATA_DIR=${root}/var/lib/etcd2`), 'the data dir is in the root');
  assert.ok(etcd2.includes('ETCD_LISTEN_CLIENT_URLS=http://127.0.0.200:2379'), 'etcd listens on the machine address by default');
  const fleet = fs.readFileSync(path.join(root, 'lib/systemd/system/fleet.service'), 'utf8');
  assert.ok(fleet.includes('FLEET_ETCD_SERVERS=http://127.0.0.200:2379'), "fleet's etcd_servers is this machine's own etcd");
  const machineId = fs.readFileSync(path.join(root, 'etc/machine-id'), 'utf8');
  assert.equal(await stopNode(m), 0);
  assert.deepEqual(processesOf(root), []);
  // A second boot keeps the identity.
  const again = await bootNode({ root, address: '127.0.0.200' });
  assert.equal(fs.readFileSync(path.join(root, 'etc/machine-id'), 'utf8'), machineId);
  assert.ok((await journal(root)).some((l) => l.startsWith('Booting again')));
  await stopNode(again);
});

test('seed etcd2-discovery-cloud-config.yml: $private_ipv4 filled from the machine, joins through a discovery service', async () => {
  const dir = tempDir();
  // The public discovery service is unreachable: a coracle etcd + coracle discovery on 127.0.0.202.
  const backend = spawn(process.execPath, [CORACLE, 'etcd', '--name', 'disco', '--data-dir', path.join(dir, 'disco'),
    '--listen-client-urls', 'http://127.0.0.202:2379', '--advertise-client-urls', 'http://127.0.0.202:2379',
    '--listen-peer-urls', 'http://127.0.0.202:2380', '--initial-advertise-peer-urls', 'http://127.0.0.202:2380',
    '--initial-cluster', 'disco=http://127.0.0.202:2380'], { stdio: 'ignore' });
  const service = spawn(process.execPath, [CORACLE, 'discovery', '--listen', 'http://127.0.0.202:8087', '--etcd', 'http://127.0.0.202:2379'], { stdio: 'ignore' });
  try {
    await waitFor('the discovery backend', () => etcdHealthy('127.0.0.202'));
    const token = await waitFor('a discovery token', async () => {
      try {
        const r = await etcd('http://127.0.0.202:8087/new?size=1');
        return r.status === 200 ? r.body.trim() : null;
      } catch {
        return null;
      }
    });
    const text = seed('etcd2-discovery-cloud-config.yml', [
      [/https:\/\/discovery\.etcd\.io\/[0-9a-f]+/, token],
      ['0.0.0.0', '$private_ipv4'],
    ]);
    const root = path.join(dir, 'root');
    const m = await bootNode({ root, address: '127.0.0.201', config: writeConfig(dir, 'user-data', text) });
    await waitFor('etcd2 on 127.0.0.201', () => etcdHealthy('127.0.0.201'), 60_000);
    assert.equal(
      fs.readFileSync(path.join(root, 'run/systemd/system/etcd2.service.d/20-cloudinit.conf'), 'utf8'),
      [
        '[Service]',
        'Environment="ETCD_ADVERTISE_CLIENT_URLS=http://127.0.0.201:2379"',
        `Environment="ETCD_DISCOVERY=${token}"`,
        'Environment="ETCD_INITIAL_ADVERTISE_PEER_URLS=http://127.0.0.201:2380"',
        'Environment="ETCD_LISTEN_CLIENT_URLS=http://127.0.0.201:2379"',
        'Environment="ETCD_LISTEN_PEER_URLS=http://127.0.0.201:2380"',
        '',
      ].join('\n'),
    );
    // No name: in the config: CoreOS's etcd2.service named the member after the machine ID (%m).
    const machineId = fs.readFileSync(path.join(root, 'etc/machine-id'), 'utf8').trim();
    const members = await etcdMembers('127.0.0.201');
    assert.deepEqual(members.map((x) => x.name), [machineId]);
    const registered = await etcd(`http://127.0.0.202:2379/v2/keys/_etcd/registry/${token.split('/').pop()}?recursive=true`);
    assert.ok(registered.body.includes('127.0.0.201:2380'), 'the member registered at the discovery service');
    await waitFor('the user-data unit to finish', async () => (await unitState(root, USER_DATA_UNIT))?.activeState === 'active');
    await stopNode(m);
  } finally {
    service.kill('SIGKILL');
    backend.kill('SIGKILL');
  }
});

test('seed discovery pair: the master hosts a discovery directory, members join through it (etcd.service starts etcd2)', async () => {
  const dir = tempDir();
  // Addresses rewritten: master 127.0.0.2 → .203, members 127.0.0.3 → .204/.205; each machine's second
  // listen address 127.0.0.1 (shared by all on one host) → one of its own, .223/.224/.225.
  const master = seed('discovery-master-cloud-config.yml', [['127.0.0.2', '127.0.0.203'], ['127.0.0.1', '127.0.0.223']]);
  const mroot = path.join(dir, 'master');
  const mm = await bootNode({ root: mroot, address: '127.0.0.203', config: writeConfig(dir, 'master.yml', master) });
  const members: Awaited<ReturnType<typeof bootNode>>[] = [];
  try {
    await waitFor('the master etcd', () => etcdHealthy('127.0.0.203'), 60_000);
    await waitFor('etcd.service to be active', async () => (await unitState(mroot, 'etcd.service'))?.activeState === 'active');
    assert.equal((await unitState(mroot, 'etcd2.service'))?.subState, 'running');
    assert.deepEqual((await etcdMembers('127.0.0.203')).map((x) => x.name), ['master01']);
    // What the seed's author did by hand: the directory's expected size.
    const put = await etcd('http://127.0.0.203:2379/v2/keys/discovery/osdn-test-cluster/_config/size', { method: 'PUT', form: 'value=2' });
    assert.equal(put.status, 201);
    for (const a of ['127.0.0.204', '127.0.0.205']) {
      const text = seed('discovery-member-cloud-config.yml', [['127.0.0.2', '127.0.0.203'], ['127.0.0.3', a], ['127.0.0.1', a.replace('.20', '.22')]]);
      members.push(await bootNode({ root: path.join(dir, a), address: a, config: writeConfig(dir, `${a}.yml`, text) }));
    }
    for (const a of ['127.0.0.204', '127.0.0.205']) await waitFor(`etcd2 on ${a}`, () => etcdHealthy(a), 60_000);
    const list = await etcdMembers('127.0.0.204');
    assert.equal(list.length, 2, 'the members formed a cluster of _config/size members');
    const w = await etcd('http://127.0.0.204:2379/v2/keys/pair', { method: 'PUT', form: 'value=works' });
    assert.equal(w.status, 201);
    assert.match((await etcd('http://127.0.0.205:2379/v2/keys/pair?quorum=true')).body, /"value":"works"/);
    // The member's config also restarts fleet.service; the journal says what happened to it.
    const lines = await waitFor('the member\'s user-data unit to finish', async () => {
      const s = await unitState(members[0]!.root, USER_DATA_UNIT);
      return s && s.activeState !== 'activating' ? journal(members[0]!.root, USER_DATA_UNIT) : null;
    }, 60_000);
    assert.ok(lines.some((l) => l.includes('Result of "restart" on "etcd2.service": done')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('fleet.service')), lines.join('\n'));
  } finally {
    for (const m of members) await stopNode(m);
    await stopNode(mm);
  }
});

test('seed sakura-cloud-config.yml: everything applied, missing units reported, /etc/localtime written in the machine only', { skip: !canNamespace && 'needs root and unshare for a private /etc' }, async () => {
  const hostLocaltime = fs.readlinkSync('/etc/localtime');
  const dir = tempDir();
  const root = path.join(dir, 'root');
  const m = await bootNode({ root, address: '127.0.0.206', config: writeConfig(dir, 'user-data', seed('sakura-cloud-config.yml')), privateEtc: true });
  try {
    const st = await waitFor('timezone.service to run', async () => {
      const s = await unitState(root, 'timezone.service');
      return s?.activeState === 'active' ? s : null;
    });
    assert.equal(st.subState, 'exited');
    assert.equal(fs.readlinkSync(path.join(root, 'etc/localtime')), '../usr/share/zoneinfo/Japan');
    assert.equal(fs.readlinkSync('/etc/localtime'), hostLocaltime, "the host's /etc/localtime is untouched");
    assert.equal(fs.readFileSync(path.join(root, 'etc/hostname'), 'utf8'), 'web01\n');
    assert.match(fs.readFileSync(path.join(root, 'home/core/.ssh/authorized_keys.d/coreos-cloudinit'), 'utf8'), /^ssh-ed25519 AAAAC3Nza\S+ core@example\n$/);
    assert.match(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), /^core:/m);
    assert.match(fs.readFileSync(path.join(root, 'etc/shadow'), 'utf8'), /^core:\$6\$rounds=4096\$saltsalt\$/m);
    assert.equal(fs.readFileSync(path.join(root, 'etc/systemd/network/10-static.network'), 'utf8'), '[Match]\nName=e*\n\n[Network]\nAddress=192.0.2.10/24\nGateway=192.0.2.1\nDNS=192.0.2.3\nDNS=192.0.2.4\n');
    const lines = await waitFor('the user-data unit to finish', async () => {
      const s = await unitState(root, USER_DATA_UNIT);
      return s && s.activeState !== 'activating' ? journal(root, USER_DATA_UNIT) : null;
    });
    assert.ok(lines.some((l) => l.includes('coreos-setup-environment.service not-found')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('systemd-networkd')), lines.join('\n'));
    assert.equal((await unitState(root, 'coreos-setup-environment.service'))?.loadState, 'not-found');
  } finally {
    await stopNode(m);
  }
});

test('an Ignition config on a machine with its own /etc: applied on the first boot inside the namespace, its unit runs there, the host untouched', { skip: !canNamespace && 'needs root and unshare for a private /etc' }, async () => {
  const dir = tempDir();
  const root = path.join(dir, 'root');
  const marker = `ignition-ran-${path.basename(dir)}`;
  const ign = writeConfig(dir, 'config.ign', JSON.stringify({
    ignition: { version: '2.2.0' },
    storage: { files: [{ filesystem: 'root', path: '/etc/motd', mode: 420, contents: { source: 'data:,hello%20from%20ignition%0A' } }] },
    systemd: { units: [{ name: 'mark.service', enabled: true, contents: `[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'cat /etc/motd > /etc/${marker}'\n\n[Install]\nWantedBy=multi-user.target\n` }] },
  }));
  const m = await bootNode({ root, address: '127.0.0.217', config: ign, privateEtc: true });
  try {
    await waitFor('mark.service to run', async () => (await unitState(root, 'mark.service'))?.activeState === 'active');
    // The unit read the machine's /etc/motd (Ignition's file) and wrote the machine's /etc.
    assert.equal(fs.readFileSync(path.join(root, 'etc', marker), 'utf8'), 'hello from ignition\n');
    assert.equal(fs.existsSync(path.join('/etc', marker)), false, "the host's /etc is untouched");
    const lines = await journal(root);
    assert.equal(lines.filter((l) => /Booting for the first time/.test(l)).length, 1, lines.join('\n'));
    assert.ok(lines.some((l) => /ignition: applied \/usr\/share\/oem\/config\.ign/.test(l)), lines.join('\n'));
  } finally {
    await stopNode(m);
    fs.rmSync(path.join('/etc', marker), { force: true });
  }
});

test('seed webserver-unit-cloud-config.yml: the unit is written and enabled for the next boot', async () => {
  const dir = tempDir();
  const root = path.join(dir, 'root');
  const m = await bootNode({ root, address: '127.0.0.207', config: writeConfig(dir, 'user-data', seed('webserver-unit-cloud-config.yml')) });
  try {
    await waitFor('the user-data unit', async () => (await unitState(root, USER_DATA_UNIT))?.activeState === 'active');
    const unit = fs.readFileSync(path.join(root, 'etc/systemd/system/osdn-test-webserver.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/bin\/docker run --name osdn-test-webserver -p 80:80 osdn-test-webserver$/m);
    const link = path.join(root, 'etc/systemd/system/multi-user.target.wants/osdn-test-webserver.service');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.realpathSync(link), fs.realpathSync(path.join(root, 'etc/systemd/system/osdn-test-webserver.service')));
    // Enabling during boot does not start it in this boot (as systemctl enable).
    assert.equal((await unitState(root, 'osdn-test-webserver.service'))?.activeState, 'inactive');
  } finally {
    await stopNode(m);
  }
});

test('seed etcd-env-cloud-config.yml: update.conf merged, the oneshot runs its ExecStart= lines, the lowercase Execstart is reported with file:line', { skip: !canNamespace && 'needs root and unshare for a private /etc' }, async () => {
  const hostEnvironment = fs.readFileSync('/etc/environment');
  const dir = tempDir();
  const root = path.join(dir, 'root');
  const m = await bootNode({ root, address: '127.0.0.208', config: writeConfig(dir, 'user-data', seed('etcd-env-cloud-config.yml')), privateEtc: true });
  try {
    await waitFor('the user-data unit to finish', async () => {
      const s = await unitState(root, USER_DATA_UNIT);
      return s !== null && s.activeState !== 'activating';
    }, 60_000);
    assert.equal(fs.readFileSync(path.join(root, 'etc/coreos/update.conf'), 'utf8'), 'GROUP=master\nREBOOT_STRATEGY=reboot\n');
    assert.ok(fs.existsSync(path.join(root, 'etc/systemd/system/create-etcd-env.service')));
    // The unit's two ExecStart= lines wrote the machine's etc/environment, not the host's.
    assert.match(fs.readFileSync(path.join(root, 'etc/environment'), 'utf8'), /^COREOS_PUBLIC_IPV4=.*\nCOREOS_PRIVATE_IPV4=/);
    assert.deepEqual(fs.readFileSync('/etc/environment'), hostEnvironment);
    const all = await journal(root);
    assert.ok(all.some((l) => /create-etcd-env\.service:\d+: Unknown key 'Execstart' in section \[Service\], ignoring\./.test(l)), all.join('\n'));
    // locksmithd (reboot-strategy) is not shipped: reported, the rest applied.
    assert.ok(all.some((l) => l.includes('locksmithd.service not-found')), all.join('\n'));
  } finally {
    await stopNode(m);
  }
});

test('reboot: a machine stopped and started on the same root rejoins with the same member ID and count, and keeps its data', async () => {
  const dir = tempDir();
  const addrs = ['127.0.0.210', '127.0.0.211', '127.0.0.212'];
  const names = ['r1', 'r2', 'r3'];
  const cluster = addrs.map((a, i) => `${names[i]}=http://${a}:2380`).join(',');
  const configs = addrs.map((a, i) => writeConfig(dir, `${names[i]}.yml`, [
    '#cloud-config',
    'coreos:',
    '  etcd2:',
    `    name: ${names[i]}`,
    '    advertise-client-urls: http://$private_ipv4:2379',
    '    listen-client-urls: http://$private_ipv4:2379',
    '    listen-peer-urls: http://$private_ipv4:2380',
    '    initial-advertise-peer-urls: http://$private_ipv4:2380',
    `    initial-cluster: ${cluster}`,
    '  units:',
    '    - name: etcd2.service',
    '      command: start',
    '',
  ].join('\n')));
  const machines = await Promise.all(addrs.map((a, i) => bootNode({ root: path.join(dir, names[i]!), address: a, config: configs[i]! })));
  try {
    for (const a of addrs) await waitFor(`etcd on ${a}`, () => etcdHealthy(a), 60_000);
    const before = await etcdMembers('127.0.0.211');
    const self = JSON.parse((await etcd('http://127.0.0.211:2379/v2/stats/self')).body) as { id: string };
    assert.equal((await etcd('http://127.0.0.211:2379/v2/keys/before-reboot', { method: 'PUT', form: 'value=kept' })).status, 201);
    assert.equal(await stopNode(machines[1]!), 0);
    assert.deepEqual(processesOf(path.join(dir, 'r2')), []);
    // /run is a tmpfs: what the last boot left there is gone after the reboot.
    fs.writeFileSync(path.join(dir, 'r2/run/left-by-the-last-boot'), 'x');
    machines[1] = await bootNode({ root: path.join(dir, 'r2'), address: '127.0.0.211' });
    await waitFor('etcd on 127.0.0.211 after the reboot', () => etcdHealthy('127.0.0.211'), 60_000);
    assert.equal(fs.existsSync(path.join(dir, 'r2/run/left-by-the-last-boot')), false);
    assert.ok(fs.existsSync(path.join(dir, 'r2/run/systemd/system/etcd2.service.d/20-cloudinit.conf')), 'the cloud-config rewrote its runtime drop-in');
    const again = JSON.parse((await etcd('http://127.0.0.211:2379/v2/stats/self')).body) as { id: string };
    assert.equal(again.id, self.id);
    assert.deepEqual((await etcdMembers('127.0.0.211')).map((x) => x.id).sort(), before.map((x) => x.id).sort());
    assert.match((await etcd('http://127.0.0.211:2379/v2/keys/before-reboot?quorum=true')).body, /"value":"kept"/);
  } finally {
    for (const m of machines) await stopNode(m);
  }
});

test('a broken config boots the machine with the error in the journal; the rest of the cluster is unaffected', async () => {
  const dir = tempDir();
  const good = ['127.0.0.213', '127.0.0.214'];
  const cluster = good.map((a, i) => `g${i}=http://${a}:2380`).join(',');
  const goodConfig = (i: number): string => writeConfig(dir, `g${i}.yml`, [
    '#cloud-config',
    'coreos:',
    '  etcd2:',
    `    name: g${i}`,
    '    advertise-client-urls: http://$private_ipv4:2379',
    '    listen-client-urls: http://$private_ipv4:2379',
    '    listen-peer-urls: http://$private_ipv4:2380',
    '    initial-advertise-peer-urls: http://$private_ipv4:2380',
    `    initial-cluster: ${cluster}`,
    '  units:',
    '    - name: etcd2.service',
    '      command: start',
    '',
  ].join('\n'));
  const broken = writeConfig(dir, 'broken.yml', '#cloud-config\ncoreos:\n  units:\n    - name: etcd2.service\n\tcommand: start\n');
  const machines = await Promise.all([
    bootNode({ root: path.join(dir, 'g0'), address: good[0]!, config: goodConfig(0) }),
    bootNode({ root: path.join(dir, 'g1'), address: good[1]!, config: goodConfig(1) }),
    bootNode({ root: path.join(dir, 'bad'), address: '127.0.0.215', config: broken }),
  ]);
  try {
    const bad = path.join(dir, 'bad');
    const st = await waitFor('the broken user-data unit to fail', async () => {
      const s = await unitState(bad, USER_DATA_UNIT);
      return s?.activeState === 'failed' ? s : null;
    });
    assert.equal(st.subState, 'failed');
    const lines = await journal(bad, USER_DATA_UNIT);
    assert.ok(lines.some((l) => /line 5: error: found character that cannot start any token|Failed to parse user-data/.test(l)), lines.join('\n'));
    // The machine itself is up: its init answers and its default target was reached.
    assert.equal((await unitState(bad, 'multi-user.target'))?.activeState, 'active');
    for (const a of good) await waitFor(`etcd on ${a}`, () => etcdHealthy(a), 60_000);
    assert.equal((await etcdMembers(good[0]!)).length, 2);
  } finally {
    for (const m of machines) await stopNode(m);
  }
});

test('seed swarm-container-linux-config.yml: ct to Ignition, applied on the first boot only, both units enabled (proved without running their docker swarm commands on the host)', async () => {
  const dir = tempDir();
  const ign = path.join(dir, 'swarm.ign');
  const ct = spawnSync(process.execPath, [CORACLE, 'ct', '--in-file', path.join(SEEDS, 'swarm-container-linux-config.yml'), '--out-file', ign], { encoding: 'utf8' });
  assert.equal(ct.status, 0, ct.stderr);
  const root = path.join(dir, 'root');
  const first = bootMachine({ root, config: ign, privateIpv4: '127.0.0.216' });
  assert.ok(first.firstBoot);
  const lines = await applyFirstBootIgnition(first);
  assert.ok(lines.some((l) => l.startsWith('ignition: applied')), lines.join('\n'));
  for (const unit of ['docker-swarm-join.service', 'docker-swarm-leave.service']) {
    assert.ok(fs.existsSync(path.join(root, 'etc/systemd/system', unit)), unit);
    const link = path.join(root, 'etc/systemd/system/multi-user.target.wants', unit);
    assert.equal(fs.realpathSync(link), fs.realpathSync(path.join(root, 'etc/systemd/system', unit)), `${unit} is enabled`);
  }
  assert.match(fs.readFileSync(path.join(root, 'etc/systemd/system/docker-swarm-join.service'), 'utf8'), /^ExecStart=\/usr\/bin\/docker swarm join --token SWMTKN-1-example 127\.0\.0\.2:2377$/m);
  assert.match(fs.readFileSync(path.join(root, 'home/core/.ssh/authorized_keys.d/coreos-ignition'), 'utf8'), /ecdsa-sha2-nistp256 AAAAE2Vj\S+ core@example/);
  // The next boot is not a first boot: Ignition does not run again.
  fs.rmSync(path.join(root, 'etc/systemd/system/docker-swarm-leave.service'));
  const second = bootMachine({ root, privateIpv4: '127.0.0.216' });
  assert.equal(second.firstBoot, false);
  assert.deepEqual(await applyFirstBootIgnition(second), []);
  assert.ok(!fs.existsSync(path.join(root, 'etc/systemd/system/docker-swarm-leave.service')));
});

test('docker.service with no Docker engine and no dockerd fails, and says why in its status and journal', async () => {
  const dir = tempDir();
  const root = path.join(dir, 'root');
  const m = await bootNode({ root, address: '127.0.0.218' });
  try {
    // This machine's view: no engine on its socket, no dockerd on its PATH.
    const dropIn = path.join(root, 'etc/systemd/system/docker.service.d/10-no-engine.conf');
    fs.mkdirSync(path.dirname(dropIn), { recursive: true });
    fs.mkdirSync(path.join(dir, 'empty-bin'));
    fs.writeFileSync(dropIn, `[Service]\nEnvironment=DOCKER_HOST=unix://${dir}/docker.sock\nEnvironment=PATH=${dir}/empty-bin\n`);
    const ctl = (...args: string[]) => spawnSync(process.execPath, [CORACLE, 'systemctl', '--root', root, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(ctl('daemon-reload').status, 0);
    const start = ctl('start', 'docker.service');
    assert.notEqual(start.status, 0, 'starting docker.service must fail');
    assert.match(start.stderr, /Job for docker\.service failed/);
    const st = await unitState(root, 'docker.service');
    assert.equal(st?.activeState, 'failed');
    const why = `docker.service: no Docker engine answers at unix://${dir}/docker.sock and dockerd is not installed; install Docker or start its engine`;
    assert.ok((await journal(root, 'docker.service')).some((l) => l.endsWith(why)), (await journal(root, 'docker.service')).join('\n'));
    assert.match(ctl('status', 'docker.service').stdout, /Active: failed/);
  } finally {
    await stopNode(m);
  }
});
