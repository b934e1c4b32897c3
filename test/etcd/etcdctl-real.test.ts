// The real etcdctl 3.4 (ETCDCTL_API=2) through the rest of its v2 command set
// against a coracle member; outputs as etcdctl prints them against etcd 3.4
// (reference etcd.md §3), indexes matched by pattern.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { etcdctl, initialCluster, MemberProcess, REAL_ETCDCTL, sleep, tempDir } from './members.js';

const running: MemberProcess[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(running.map((m) => m.kill9()));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('real etcdctl: update, dirs, swaps, in-order keys, listings, output formats, TTLs, watch and exec-watch', async () => {
  const dir = tempDir('coracle-ctl-');
  dirs.push(dir);
  const addr = '127.0.0.88';
  const m = new MemberProcess({ name: 'c', addr, dataDir: path.join(dir, 'c'), initialCluster: initialCluster([addr], ['c']) });
  running.push(m);
  await m.waitReady();
  const ctl = (...args: string[]) => etcdctl(['--endpoints', m.clientURL, ...args]);
  const ok = (r: ReturnType<typeof ctl>, stdout: string | RegExp) => {
    assert.equal(r.status, 0, r.stderr);
    if (typeof stdout === 'string') assert.equal(r.stdout, stdout);
    else assert.match(r.stdout, stdout);
  };

  ok(ctl('set', '/ctl/a', 'hello'), 'hello\n');
  ok(ctl('update', '/ctl/a', 'upd'), 'upd\n');
  const missing = ctl('update', '/ctl/zz', 'x');
  assert.equal(missing.status, 4);
  assert.match(missing.stderr, /^Error: {2}100: Key not found \(\/ctl\/zz\) \[\d+\]\n$/);
  ok(ctl('mkdir', '/ctl/d'), '');
  ok(ctl('setdir', '/ctl/d2'), '');
  ok(ctl('updatedir', '/ctl/d', '--ttl', '100'), '');
  const isDir = ctl('get', '/ctl');
  assert.equal(isDir.status, 1);
  assert.equal(isDir.stdout + isDir.stderr, '/ctl: is a directory\n');
  ok(ctl('ls', '--sort', '-p', '/ctl'), '/ctl/a\n/ctl/d/\n/ctl/d2/\n');
  ok(ctl('ls', '--recursive', '-p', '--sort', '/ctl'), '/ctl/a\n/ctl/d/\n/ctl/d2/\n');
  const rmDir = ctl('rm', '/ctl/d');
  assert.equal(rmDir.status, 4);
  assert.match(rmDir.stderr, /^Error: {2}102: Not a file \(\/ctl\/d\) \[\d+\]\n$/);
  ok(ctl('rmdir', '/ctl/d'), '');
  ok(ctl('rm', '--recursive', '/ctl/d2'), '');

  ok(ctl('set', '/ctl/c', '1'), '1\n');
  ok(ctl('set', '/ctl/c', '2', '--swap-with-value', '1'), '2\n');
  const bad = ctl('rm', '/ctl/c', '--with-value', '9');
  assert.equal(bad.status, 4);
  assert.match(bad.stderr, /^Error: {2}101: Compare failed \(\[9 != 2\]\) \[\d+\]\n$/);
  ok(ctl('rm', '/ctl/c', '--with-value', '2'), '\n');
  ok(ctl('mk', '--in-order', '/ctl/q', 'job1'), 'job1\n');
  ok(ctl('ls', '/ctl/q'), /^\/ctl\/q\/\d{20}\n$/);

  ok(ctl('set', '/ctl/ttlk', 'v', '--ttl', '30'), 'v\n');
  ok(ctl('-o', 'extended', 'get', '/ctl/ttlk'), /^Key: \/ctl\/ttlk\nCreated-Index: (\d+)\nModified-Index: \1\nTTL: (30|29)\nIndex: \d+\n\nv\n$/);
  ok(ctl('-o', 'json', 'get', '/ctl/a'), /^\{"action":"get","node":\{"key":"\/ctl\/a","value":"upd","nodes":null,"createdIndex":\d+,"modifiedIndex":\d+\},"prevNode":null\}\n$/);
  const rmb = ctl('set', '/ctl/b', 'bee');
  assert.equal(rmb.stdout, 'bee\n');
  ok(ctl('rm', '/ctl/b'), 'PrevNode.Value: bee\n');

  // watch: exits after one event.
  const watched = new Promise<string>((resolve) => {
    const w = spawn(REAL_ETCDCTL, ['--endpoints', m.clientURL, 'watch', '/wk'], { env: { PATH: process.env.PATH ?? '', ETCDCTL_API: '2' } });
    let out = '';
    w.stdout.on('data', (d: Buffer) => (out += d.toString()));
    w.on('close', () => resolve(out));
  });
  await sleep(400);
  ok(ctl('set', '/wk', 'v1'), 'v1\n');
  assert.equal(await watched, 'v1\n');
  // Index 1 is still inside the 1000-event history: the first /wk event after it comes back at once.
  ok(ctl('watch', '--after-index', '1', '/wk'), 'v1\n');
  // exec-watch hands the event to a command in its environment.
  const execOut: string[] = [];
  const ew = spawn(REAL_ETCDCTL, ['--endpoints', m.clientURL, 'exec-watch', '--recursive', '/ew', '--', 'sh', '-c', 'echo "$ETCD_WATCH_ACTION $ETCD_WATCH_KEY $ETCD_WATCH_VALUE"'], {
    env: { PATH: process.env.PATH ?? '', ETCDCTL_API: '2' },
  });
  ew.stdout.on('data', (d: Buffer) => execOut.push(d.toString()));
  try {
    await sleep(400);
    ok(ctl('set', '/ew/k', 'hi'), 'hi\n');
    for (let i = 0; i < 50 && !execOut.join('').includes('set /ew/k hi'); i++) await sleep(100);
    assert.equal(execOut.join(''), 'set /ew/k hi\n');
  } finally {
    ew.kill('SIGKILL');
  }
  await m.stop();
});
