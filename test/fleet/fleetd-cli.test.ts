// `coracle fleetd` argument handling: help, version, and refusals that say what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CORACLE } from './helpers.js';

function run(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CORACLE, 'fleetd', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('fleetd --version and --help', () => {
  assert.equal(run(['--version']).stdout, 'fleetd version 1.0.0\n');
  const help = run(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--etcd_servers URLS/);
  assert.match(help.stdout, /Examples:/);
});

test('fleetd refuses unknown flags, bad values and unreadable config files (exit 2)', () => {
  const bogus = run(['--bogus', 'x']);
  assert.equal(bogus.status, 2);
  assert.match(bogus.stderr, /unknown flag --bogus/);
  assert.match(run(['--agent_ttl', 'soon']).stderr, /--agent_ttl: agent_ttl: time: invalid duration "soon"/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfleetd-cli-'));
  try {
    const conf = path.join(dir, 'fleet.conf');
    fs.writeFileSync(conf, 'metadata=region=us\nthis is not an option\n');
    const r = run(['--config', conf]);
    assert.equal(r.status, 2);
    assert.ok(r.stderr.includes(`${conf}:2: expected key=value`), r.stderr);
    assert.match(run(['--config', path.join(dir, 'missing.conf')]).stderr, /cannot read config file/);
    assert.match(run([], { FLEET_ETCD_SERVERS: 'not-a-url' }).stderr, /etcd_servers: not an http\(s\) URL: "not-a-url"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('fleetd without a machine ID in its root says where it looked (exit 1)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cfleetd-root-'));
  try {
    const r = run(['--root', root, '--etcd_servers', 'http://127.0.0.169:2379', '--public_ip', '127.0.0.169']);
    assert.equal(r.status, 1);
    assert.ok(r.stderr.includes(`cannot read the machine ID from ${path.join(root, 'etc/machine-id')}`), r.stderr);
    // A boolean flag alone is true, as with Go's flag package: it takes no value from the next argument.
    for (const args of [['--disable_engine', '--root', root], ['--root', root, '--disable_engine'], ['--root', root, '--disable_engine=false']]) {
      const b = run([...args, '--etcd_servers', 'http://127.0.0.169:2379', '--public_ip', '127.0.0.169']);
      assert.equal(b.status, 1, `${args.join(' ')}: ${b.stderr}`);
      assert.ok(b.stderr.includes(`cannot read the machine ID from ${path.join(root, 'etc/machine-id')}`), b.stderr);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
