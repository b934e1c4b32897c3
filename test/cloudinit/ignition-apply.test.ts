// Ignition applied to a machine root: first boot only, contents from data:
// and http URLs, verification hashes, modes, links, units with enablement,
// users and groups, and the 3.x overwrite rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { applyConfigToMachine, markFirstBoot, FIRST_BOOT_MARKER } from '../../src/cloudinit/machine.js';

const ADDR = '127.0.0.130';

function freshRoot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-ignition-'));
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\ncore:x:500:500:CoreOS Admin:/home/core:/bin/bash\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\ncore:x:500:\n');
  fs.writeFileSync(path.join(dir, 'etc/shadow'), 'root:*:16000:0:99999:7:::\ncore:*:16000:0:99999:7:::\n');
  return dir;
}

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = freshRoot();
  try {
    await fn(root);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

// Reference §7.2, verbatim (hash = sha512 of the script).
const IGNITION_22 = {
  ignition: { version: '2.2.0' },
  storage: {
    directories: [{ filesystem: 'root', path: '/opt/bin', mode: 493 }],
    files: [
      { filesystem: 'root', path: '/etc/hostname', mode: 420, contents: { source: 'data:,node1%0A' } },
      {
        filesystem: 'root', path: '/etc/coreos/update.conf', mode: 420,
        contents: { source: 'data:,GROUP%3Dstable%0AREBOOT_STRATEGY%3Detcd-lock%0ALOCKSMITHD_REBOOT_WINDOW_START%3DThu%2004%3A00%0ALOCKSMITHD_REBOOT_WINDOW_LENGTH%3D1h%0A' },
      },
      {
        filesystem: 'root', path: '/opt/bin/hello.sh', mode: 493,
        contents: {
          source: 'data:text/plain;charset=utf-8;base64,IyEvYmluL3NoCmVjaG8gaGVsbG8gZnJvbSBpZ25pdGlvbgo=',
          verification: { hash: 'sha512-6bd482b1b18849b005af7f33c625c3288540eb40edc7e8d74ae92e3d566db710000d7a5936aa1dc23fb3ac7a3c4262cdc2f95f89f02b6e1ea6c4b4c879acf317' },
        },
      },
    ],
    links: [{ filesystem: 'root', path: '/etc/localtime', target: '/usr/share/zoneinfo/UTC' }],
  },
  systemd: {
    units: [
      {
        name: 'etcd-member.service', enable: true,
        dropins: [{ name: '20-clct-etcd-member.conf', contents: '[Service]\nEnvironment="ETCD_IMAGE_TAG=v3.3.9"\nExecStart=\nExecStart=/usr/lib/coreos/etcd-wrapper $ETCD_OPTS \\\n  --name="node1" \\\n  --listen-client-urls="http://0.0.0.0:2379" \\\n  --advertise-client-urls="http://10.0.0.5:2379"' }],
      },
      { name: 'hello.service', enabled: true, contents: '[Unit]\nDescription=Hello\n\n[Service]\nType=oneshot\nExecStart=/opt/bin/hello.sh\n\n[Install]\nWantedBy=multi-user.target\n' },
      { name: 'locksmithd.service', mask: false },
    ],
  },
  networkd: { units: [{ name: '00-eth0.network', contents: '[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n' }] },
  passwd: {
    users: [{ name: 'core', sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY core@test'] }],
    groups: [{ name: 'ops', gid: 4000 }],
  },
};

const read = (root: string, p: string): string => fs.readFileSync(path.join(root, p), 'utf8');
const mode = (root: string, p: string): number => fs.statSync(path.join(root, p)).mode & 0o7777;

test('Ignition 2.2 applies on first boot: files, modes, link, units, enablement, users, groups; the second boot is a no-op', async () => {
  await withRoot(async (root) => {
    markFirstBoot(root);
    const lines: string[] = [];
    const r = await applyConfigToMachine({ root, config: JSON.stringify(IGNITION_22), initSocket: null, log: (l) => lines.push(l) });
    assert.equal(r.error, undefined, lines.join('\n'));
    assert.equal(r.kind, 'ignition');
    assert.equal(r.firstBoot, true);
    assert.equal(read(root, 'etc/hostname'), 'node1\n');
    assert.equal(read(root, 'etc/coreos/update.conf'), 'GROUP=stable\nREBOOT_STRATEGY=etcd-lock\nLOCKSMITHD_REBOOT_WINDOW_START=Thu 04:00\nLOCKSMITHD_REBOOT_WINDOW_LENGTH=1h\n');
    assert.equal(read(root, 'opt/bin/hello.sh'), '#!/bin/sh\necho hello from ignition\n');
    assert.equal(mode(root, 'opt/bin/hello.sh'), 0o755);
    assert.equal(mode(root, 'opt/bin'), 0o755);
    assert.equal(mode(root, 'etc/hostname'), 0o644);
    assert.equal(fs.readlinkSync(path.join(root, 'etc/localtime')), '/usr/share/zoneinfo/UTC');
    assert.match(read(root, 'etc/systemd/system/etcd-member.service.d/20-clct-etcd-member.conf'), /^\[Service\]\nEnvironment="ETCD_IMAGE_TAG=v3\.3\.9"\n/);
    assert.equal(read(root, 'etc/systemd/network/00-eth0.network'), '[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n');
    assert.equal(read(root, 'etc/systemd/system-preset/20-ignition.preset'), 'enable etcd-member.service\nenable hello.service\n');
    // hello.service has an [Install] section: enabled now; etcd-member.service
    // is not on this root, so it stays in the preset with a warning.
    assert.equal(fs.readlinkSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/hello.service')), path.join(root, 'etc/systemd/system/hello.service'));
    assert.deepEqual(r.warnings, ['systemd.units: enable etcd-member.service: Unit file etcd-member.service does not exist.']);
    assert.equal(read(root, 'home/core/.ssh/authorized_keys.d/coreos-ignition'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY core@test\n');
    assert.equal(read(root, 'home/core/.ssh/authorized_keys'), '# auto-generated by /usr/bin/update-ssh-keys\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY core@test\n');
    assert.equal(read(root, 'etc/group'), 'root:x:0:\ncore:x:500:\nops:x:4000:\n');
    assert.equal(fs.existsSync(path.join(root, FIRST_BOOT_MARKER)), false, 'the marker goes once Ignition has run');

    fs.writeFileSync(path.join(root, 'etc/hostname'), 'changed\n');
    const again: string[] = [];
    const second = await applyConfigToMachine({ root, config: JSON.stringify(IGNITION_22), initSocket: null, log: (l) => again.push(l) });
    assert.equal(second.error, undefined);
    assert.equal(second.firstBoot, false);
    assert.deepEqual(second.written, []);
    assert.ok(again.some((l) => l.startsWith('Not the first boot (no ') && l.endsWith('Nothing to do.')), again.join('\n'));
    assert.equal(read(root, 'etc/hostname'), 'changed\n');
  });
});

test('a verification hash mismatch is refused naming the JSON path; nothing is written and the marker stays', async () => {
  await withRoot(async (root) => {
    markFirstBoot(root);
    const bad = structuredClone(IGNITION_22);
    bad.storage.files[2]!.contents.source = 'data:,%23!%2Fbin%2Fsh%0Aecho%20tampered%0A';
    const r = await applyConfigToMachine({ root, config: JSON.stringify(bad), initSocket: null });
    assert.match(r.error ?? '', /^Ignition failed: storage\.files\.2\.contents\.verification\.hash: content hash mismatch: expected sha512-6bd482b1/);
    assert.deepEqual(r.written, []);
    assert.equal(fs.existsSync(path.join(root, 'etc/hostname')), false);
    assert.equal(fs.existsSync(path.join(root, FIRST_BOOT_MARKER)), true);
  });
});

test('unknown versions and wrong types are refused with the JSON path; unknown keys are warnings', async () => {
  await withRoot(async (root) => {
    markFirstBoot(root);
    const v = await applyConfigToMachine({ root, config: '{"ignition":{"version":"2.9.0"}}', initSocket: null });
    assert.equal(v.error, 'Ignition config is not valid: unsupported config version');
    const t = await applyConfigToMachine({ root, config: '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/x","mode":"0644"}]}}', initSocket: null });
    assert.equal(t.error, 'Ignition config is not valid: storage.files.0.mode: expected integer, found string');
    const u = await applyConfigToMachine({ root, config: '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/etc/motd","colour":"red"}]}}', initSocket: null });
    assert.equal(u.error, undefined);
    assert.deepEqual(u.warnings, ['storage.files.0.colour: Unused key colour']);
  });
});

test('Ignition 3.3: contents over http (sha256), gzip, append, overwrite false refuses an existing file, users with uid', async () => {
  const script = '#!/bin/sh\necho hello from ignition\n';
  const server = http.createServer((req, res) => {
    if (req.url === '/hello.sh') {
      res.end(script);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, ADDR, resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const doc = (extra: object[] = []): string =>
      JSON.stringify({
        ignition: { version: '3.3.0' },
        storage: {
          files: [
            {
              path: '/opt/bin/hello.sh', mode: 493,
              // Reference §7.2: the sha256 of the same script.
              contents: { source: `http://${ADDR}:${port}/hello.sh`, verification: { hash: 'sha256-d1b3b9f6c5ae88328f39ade402f1bb4e2c425a20d4c82673811f95afcc2a6fd8' } },
            },
            // gzip of "Pack my box with five dozen liquor jugs" (reference §7.1).
            { path: '/tmp/todolist', contents: { compression: 'gzip', source: 'data:;base64,H4sIAKgdh1QAAwtITM5WyK1USMqvUCjPLMlQSMssS1VIya9KzVPIySwszS9SyCpNLwYARQFQ5CcAAAA=' } },
            { path: '/etc/motd', append: [{ source: 'data:,appended%0A' }] },
            ...extra,
          ],
        },
        systemd: { units: [{ name: 'web.service', enabled: true, contents: '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' }] },
        passwd: { users: [{ name: 'ops', uid: 1500, sshAuthorizedKeys: ['ssh-ed25519 AAAAOPS ops@test'] }] },
      });
    await withRoot(async (root) => {
      markFirstBoot(root);
      fs.writeFileSync(path.join(root, 'etc/motd'), 'welcome\n');
      const r = await applyConfigToMachine({ root, config: doc(), initSocket: null, localAddress: ADDR });
      assert.equal(r.error, undefined);
      assert.equal(read(root, 'opt/bin/hello.sh'), script);
      assert.equal(mode(root, 'opt/bin/hello.sh'), 0o755);
      assert.equal(read(root, 'tmp/todolist'), 'Pack my box with five dozen liquor jugs');
      assert.equal(mode(root, 'tmp/todolist'), 0o644, 'spec 3 files default to 0644');
      assert.equal(read(root, 'etc/motd'), 'welcome\nappended\n');
      assert.match(read(root, 'etc/passwd'), /^ops:x:1500:1500::\/home\/ops:\/bin\/bash$/m);
      assert.equal(read(root, 'home/ops/.ssh/authorized_keys.d/ignition'), 'ssh-ed25519 AAAAOPS ops@test\n');
      assert.ok(fs.existsSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/web.service')));
    });
    await withRoot(async (root) => {
      markFirstBoot(root);
      fs.writeFileSync(path.join(root, 'etc/issue'), 'keep me\n');
      const r = await applyConfigToMachine({ root, config: doc([{ path: '/etc/issue', contents: { source: 'data:,replaced' } }]), initSocket: null, localAddress: ADDR });
      assert.equal(r.error, 'Ignition failed: storage.files.3.path: refusing to overwrite the existing file /etc/issue (overwrite is false)');
      assert.equal(read(root, 'etc/issue'), 'keep me\n');
    });
    await withRoot(async (root) => {
      markFirstBoot(root);
      const missing = JSON.stringify({ ignition: { version: '3.3.0' }, storage: { files: [{ path: '/x', contents: { source: `http://${ADDR}:${port}/nope` } }] } });
      const r = await applyConfigToMachine({ root, config: missing, initSocket: null, localAddress: ADDR });
      assert.equal(r.error, `Ignition failed: storage.files.0.contents.source: GET http://${ADDR}:${port}/nope: HTTP 404`);
    });
  } finally {
    server.close();
  }
});

test('ignition.config: replace (2.x) takes the referenced config; merge (3.x) puts a fetched child over the parent', async () => {
  const child = JSON.stringify({ ignition: { version: '3.3.0' }, storage: { files: [{ path: '/etc/motd', overwrite: true, contents: { source: 'data:,from%20child%0A' } }, { path: '/etc/extra', contents: { source: 'data:,extra' } }] } });
  const server = http.createServer((req, res) => res.end(req.url === '/child.ign' ? child : ''));
  await new Promise<void>((resolve) => server.listen(0, ADDR, resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    await withRoot(async (root) => {
      markFirstBoot(root);
      const parent = JSON.stringify({
        ignition: { version: '3.3.0', config: { merge: [{ source: `http://${ADDR}:${port}/child.ign` }] } },
        storage: { files: [{ path: '/etc/motd', contents: { source: 'data:,from%20parent%0A' } }, { path: '/etc/own', contents: { source: 'data:,own' } }] },
      });
      const r = await applyConfigToMachine({ root, config: parent, initSocket: null, localAddress: ADDR });
      assert.equal(r.error, undefined);
      assert.equal(read(root, 'etc/motd'), 'from child\n');
      assert.equal(read(root, 'etc/own'), 'own');
      assert.equal(read(root, 'etc/extra'), 'extra');
    });
    await withRoot(async (root) => {
      markFirstBoot(root);
      const replacement = Buffer.from(JSON.stringify({ ignition: { version: '2.2.0' }, storage: { files: [{ filesystem: 'root', path: '/etc/replaced', contents: { source: 'data:,yes' } }] } })).toString('base64');
      const parent = JSON.stringify({
        ignition: { version: '2.2.0', config: { replace: { source: `data:;base64,${replacement}` } } },
        storage: { files: [{ filesystem: 'root', path: '/etc/ignored', contents: { source: 'data:,no' } }] },
      });
      const r = await applyConfigToMachine({ root, config: parent, initSocket: null });
      assert.equal(r.error, undefined);
      assert.equal(read(root, 'etc/replaced'), 'yes');
      assert.equal(fs.existsSync(path.join(root, 'etc/ignored')), false);
      markFirstBoot(root);
      const bad = JSON.stringify({ ignition: { version: '2.2.0', config: { append: [{ source: 'data:,{}', verification: { hash: `sha512-${'0'.repeat(128)}` } }] } } });
      const b = await applyConfigToMachine({ root, config: bad, initSocket: null });
      assert.match(b.error ?? '', /^Ignition failed: ignition\.config\.append\.0\.verification\.hash: content hash mismatch/);
    });
  } finally {
    server.close();
  }
});
