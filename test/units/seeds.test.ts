// The unit files CoreOS users wrote (../shared/fixtures/seeds/): every one
// parses and loads as systemd 252 loads it (`systemd-analyze verify` on the
// same files reports nothing but missing binaries/units, and for the
// create-etcd-env.service inside etcd-env-cloud-config.yml the lowercase
// `Execstart` warning on line 9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import {
  parseUnitFile, syntaxDiagnostics, interpretUnit, specifierExpander, formatDiagnostic, loadUnit, standardSearchPath, serializeUnitFile,
  type SpecifierContext, type UnitFile,
} from '../../src/units/index.js';

const seeds = new URL('../../../../shared/fixtures/seeds/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, seeds), 'utf8');

const ctx: SpecifierContext = {
  machineId: '0123456789abcdef0123456789abcdef', bootId: 'fedcba9876543210fedcba9876543210',
  hostname: 'core-01', userName: 'root', uid: 0, groupName: 'root', gid: 0, home: '/root', shell: '/bin/sh',
};

/**
 * The units inside a cloud-config / Container Linux Config: `name:` with
 * `content: |` / `contents: |` literal blocks or a `content: "…"` string.
 * A small reader for these fixtures' shapes only (no YAML dependency).
 */
function unitsInConfig(text: string): Array<{ name: string; content: string }> {
  // Split into list items ("- ..." lines start one), then read name and content inside each.
  const items: string[][] = [];
  for (const line of text.split('\n')) {
    if (/^\s*-(\s|$)/.test(line) || items.length === 0) items.push([]);
    items[items.length - 1]!.push(line);
  }
  const out: Array<{ name: string; content: string }> = [];
  for (const lines of items) {
    let name: string | null = null;
    let content: string | null = null;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const n = /^\s*(?:-\s+)?name:\s*(\S+)\s*$/.exec(line);
      if (n) name = n[1]!;
      const quoted = /^\s*(?:-\s+)?contents?:\s*(".*")\s*$/.exec(line);
      if (quoted) content = JSON.parse(quoted[1]!) as string;
      const block = /^(\s*)(?:-\s+)?contents?:\s*\|\s*$/.exec(line);
      if (block) {
        const keyIndent = block[1]!.length;
        const body: string[] = [];
        let indent = -1;
        for (i++; i < lines.length; i++) {
          const l = lines[i]!;
          if (l.trim() === '') {
            body.push('');
            continue;
          }
          const lead = l.length - l.trimStart().length;
          if (lead <= keyIndent) break;
          if (indent < 0) indent = lead;
          body.push(l.slice(indent));
        }
        i--;
        while (body.length > 0 && body[body.length - 1] === '') body.pop();
        content = body.join('\n') + '\n';
      }
    }
    if (name !== null && content !== null && /\.(service|socket|timer|target)$/.test(name)) out.push({ name, content });
  }
  return out;
}

function interpret(name: string, file: UnitFile) {
  return interpretUnit(name, [file], specifierExpander({ name, fragmentPath: file.path }, ctx));
}

test('seeds: every .service file parses and loads with no diagnostics', () => {
  const services = readdirSync(seeds).filter((f) => f.endsWith('.service')).sort();
  assert.deepEqual(services, ['osdn-test-webserver.service', 'osdn-test-webserver@.service']);
  for (const f of services) {
    const file = parseUnitFile(read(f), `/etc/systemd/system/${f}`);
    assert.deepEqual(syntaxDiagnostics(file), [], f);
    const name = f.replace('@.', '@1.');
    const r = interpret(name, file);
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [], f);
    assert.equal(r.loadState, 'loaded', f);
  }
});

test('seeds: osdn-test-webserver.service means what systemd reads', () => {
  const path = '/etc/systemd/system/osdn-test-webserver.service';
  const r = interpret('osdn-test-webserver.service', parseUnitFile(read('osdn-test-webserver.service'), path));
  const s = r.settings;
  assert.equal(s.unit.description, 'OSDN Test Web Server');
  assert.deepEqual(s.unit.after, ['docker.service']);
  assert.deepEqual(s.unit.requires, ['docker.service']);
  const svc = s.service!;
  assert.equal(svc.type, 'simple');
  assert.deepEqual(svc.execStartPre.map((c) => [c.ignoreFailure, c.argv]), [
    [true, ['/usr/bin/docker', 'kill', 'osdn-test-webserver']],
    [true, ['/usr/bin/docker', 'rm', 'osdn-test-webserver']],
    [false, ['/usr/bin/curl', 'http://example.com/pub/osdn-test-webserver.tar', '-o', '/tmp/osdn-test-webserver.tar']],
    [false, ['/usr/bin/docker', 'load', '-i', '/tmp/osdn-test-webserver.tar']],
  ]);
  assert.deepEqual(svc.execStart.map((c) => [c.path, c.argv]), [
    ['/usr/bin/docker', ['/usr/bin/docker', 'run', '--name', 'osdn-test-webserver', '-p', '80:80', 'osdn-test-webserver']],
  ]);
  assert.deepEqual(svc.execStop.map((c) => c.argv), [['/usr/bin/docker', 'stop', 'osdn-test-webserver']]);
  assert.deepEqual(s.install.wantedBy, ['multi-user.target']);
  assert.deepEqual(s.xFleet, []);
});

test('seeds: osdn-test-webserver@.service instantiates %i and exposes [X-Fleet] X-Conflicts', () => {
  const dir = standardSearchPath('/m')[0]!;
  const view = { searchPath: standardSearchPath('/m'), entries: { [`${dir}/osdn-test-webserver@.service`]: read('osdn-test-webserver@.service') } };
  const u = loadUnit(view, 'osdn-test-webserver@2.service', ctx);
  assert.equal(u.loadState, 'loaded');
  assert.deepEqual(u.diagnostics, []);
  const svc = u.settings!.service!;
  assert.deepEqual(svc.execStartPre.slice(0, 2).map((c) => [c.ignoreFailure, c.argv]), [
    [true, ['/usr/bin/docker', 'kill', 'osdn-test-webserver-2']],
    [true, ['/usr/bin/docker', 'rm', 'osdn-test-webserver-2']],
  ]);
  assert.deepEqual(svc.execStart[0]!.argv, ['/usr/bin/docker', 'run', '--name', 'osdn-test-webserver-2', '-p', '80:80', 'osdn-test-webserver']);
  assert.deepEqual(svc.execStop[0]!.argv, ['/usr/bin/docker', 'stop', 'osdn-test-webserver-2']);
  // [X-Fleet] is not interpreted here (fleet expands %-specifiers itself); the raw value is kept.
  assert.deepEqual(u.settings!.xFleet.map((o) => [o.key, o.value, o.file, o.line]), [
    ['X-Conflicts', 'osdn-test-webserver@*.service', `${dir}/osdn-test-webserver@.service`, 18],
  ]);
});

test('seeds: the units inside the cloud-configs parse; the lowercase Execstart warns at its line', () => {
  const configs = readdirSync(seeds).filter((f) => f.endsWith('.yml')).sort();
  const found: string[] = [];
  for (const c of configs) {
    for (const u of unitsInConfig(read(c))) {
      found.push(`${c}:${u.name}`);
      const path = `/etc/systemd/system/${u.name}`;
      const file = parseUnitFile(u.content, path);
      assert.deepEqual(syntaxDiagnostics(file), [], `${c} ${u.name}`);
      const r = interpret(u.name, file);
      assert.equal(r.loadState, 'loaded', `${c} ${u.name}`);
      const expected = u.name === 'create-etcd-env.service'
        ? [`${path}:9: Unknown key 'Execstart' in section [Service], ignoring.`]
        : [];
      assert.deepEqual(r.diagnostics.map(formatDiagnostic), expected, `${c} ${u.name}`);
      assert.deepEqual(r.diagnostics.map((d) => d.severity), expected.map(() => 'warning'));
    }
  }
  assert.deepEqual(found, [
    'etcd-env-cloud-config.yml:create-etcd-env.service',
    'sakura-cloud-config.yml:timezone.service',
    'swarm-container-linux-config.yml:docker-swarm-join.service',
    'swarm-container-linux-config.yml:docker-swarm-leave.service',
    'webserver-unit-cloud-config.yml:osdn-test-webserver.service',
  ]);
});

test('seeds: create-etcd-env.service keeps both ExecStart= lines of its oneshot, quotes and escapes resolved', () => {
  const u = unitsInConfig(read('etcd-env-cloud-config.yml'))[0]!;
  const r = interpret(u.name, parseUnitFile(u.content, `/etc/systemd/system/${u.name}`));
  const svc = r.settings.service!;
  assert.equal(svc.type, 'oneshot');
  assert.deepEqual(r.settings.unit.before, ['etcd2.service']); // trailing blanks dropped
  assert.deepEqual(svc.execStart.map((c) => c.argv), [
    ['/bin/bash', '-c', "echo COREOS_PUBLIC_IPV4=`curl -s ipinfo.io | jq -r '.ip'` > /etc/environment"],
    ['/bin/bash', '-c', "echo COREOS_PRIVATE_IPV4=`ip addr show eth0 | grep -o 'inet [0-9]\\+\\.[0-9]\\+\\.[0-9]\\+\\.[0-9]\\+' | grep -o [0-9].*` >> /etc/environment"],
  ]);
});

test('seeds: the etcd2 drop-in written by coreos-cloudinit gives the environment', () => {
  const text = read('etcd2-expected-20-cloudinit.conf');
  const path = '/run/systemd/system/etcd2.service.d/20-cloudinit.conf';
  const view = {
    searchPath: standardSearchPath(''),
    entries: {
      '/lib/systemd/system/etcd2.service': '[Service]\nType=notify\nExecStart=/usr/bin/etcd2\n',
      [path]: text,
    },
  };
  const u = loadUnit(view, 'etcd2.service', ctx);
  assert.equal(u.loadState, 'loaded');
  assert.deepEqual(u.dropInPaths, [path]);
  assert.deepEqual(u.settings!.service!.environment, {
    ETCD_ADVERTISE_CLIENT_URLS: 'http://:2379',
    ETCD_DISCOVERY: 'https://discovery.etcd.io/7d7a0ede23474b12c32b88e5b968b2a5',
    ETCD_INITIAL_ADVERTISE_PEER_URLS: 'http://:2380',
    ETCD_LISTEN_CLIENT_URLS: 'http://0.0.0.0:2379',
    ETCD_LISTEN_PEER_URLS: 'http://:2380',
    ETCD_NAME: 'default',
  });
});

test('seeds: serialising a parsed seed and parsing it again gives the same sections and values', () => {
  for (const f of ['osdn-test-webserver.service', 'osdn-test-webserver@.service']) {
    const a = parseUnitFile(read(f), f);
    const b = parseUnitFile(serializeUnitFile(a), f);
    const strip = (u: UnitFile) => u.sections.map((s) => [s.name, s.entries.map((e) => [e.key, e.value])]);
    assert.deepEqual(strip(b), strip(a), f);
  }
});
