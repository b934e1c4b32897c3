// What a newcomer does: in a fresh copy of the repository (the files git
// would check out, nothing built), run the README's first command exactly as
// written; it installs and brings up 3 machines. Then `coracle cluster down`
// must leave no process and no listening socket behind — checked in /proc
// and the kernel's socket table, not in coracle's state file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withHostLock } from '../support/host-lock.js';
import { listenersOn, processesMentioning } from './helpers.js';

const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

/** The README's first two commands: the first two lines of its first sh block, comments dropped. */
function readmeCommands(readme: string): string[] {
  const block = /```sh\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```sh block');
  return block[1]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l !== '').slice(0, 2);
}

function freshCopy(dest: string): void {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter((f) => f !== '');
  for (const f of files) {
    const from = path.join(REPO, f);
    if (!fs.existsSync(from)) continue; // deleted in the work tree
    const to = path.join(dest, f);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(from, to, { verbatimSymlinks: true });
  }
}

function killAllMentioning(needle: string): void {
  for (const p of processesMentioning(needle)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

test("README's first command brings up 3 machines; cluster down leaves nothing running or listening", { timeout: 15 * 60_000 }, async () => {
  const [first, second] = readmeCommands(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8'));
  assert.match(first!, /cluster up/, 'the first command brings up the local cluster');
  assert.equal(second, 'npm test', 'the second command runs the tests');
  await withHostLock('one-host-cluster', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-newcomer-'));
    const clone = path.join(tmp, 'coracle');
    const data = path.join(tmp, 'data');
    // The default cluster dir is per user ($XDG_DATA_HOME/coracle/cluster): a fresh one here.
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: data, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
    delete env.CORACLE_ROOT;
    try {
      freshCopy(clone);
      assert.ok(!fs.existsSync(path.join(clone, 'dist')) && !fs.existsSync(path.join(clone, 'node_modules')), 'nothing built or installed yet');
      const up = spawnSync('bash', ['-c', first!], { cwd: clone, env, encoding: 'utf8', timeout: 12 * 60_000 });
      assert.equal(up.status, 0, `${first} failed:\n${up.stdout}\n${up.stderr}`);
      assert.match(up.stdout, /etcd healthy on 3 machines/);
      const members = execFileSync(process.execPath, [path.join(clone, 'bin/etcdctl.js'), '--endpoints', 'http://127.0.0.2:2379', 'member', 'list'], { encoding: 'utf8', env });
      for (const a of ADDRESSES) assert.ok(members.includes(`peerURLs=http://${a}:2380`), members);
      const pkg = JSON.parse(fs.readFileSync(path.join(clone, 'package.json'), 'utf8')) as { bin: Record<string, string> };
      if (pkg.bin.fleetctl) {
        const endpoint = /export FLEETCTL_ENDPOINT=(\S+)/.exec(up.stdout)?.[1];
        assert.ok(endpoint, `cluster up says which FLEETCTL_ENDPOINT to use:\n${up.stdout}`);
        const list = execFileSync(process.execPath, [path.join(clone, pkg.bin.fleetctl), 'list-machines'], { encoding: 'utf8', env: { ...env, FLEETCTL_ENDPOINT: endpoint } });
        const rows = list.trim().split('\n').slice(1);
        assert.equal(rows.length, 3, list);
        for (const a of ADDRESSES) assert.ok(rows.some((r) => r.split(/\t+/)[1] === a), list);
      }
      assert.ok(processesMentioning(data).length >= 3, 'the machines run from the per-user data dir');
      const down = spawnSync('bash', ['-c', 'npx coracle cluster down'], { cwd: clone, env, encoding: 'utf8', timeout: 5 * 60_000 });
      assert.equal(down.status, 0, `${down.stdout}\n${down.stderr}`);
      assert.deepEqual(processesMentioning(data), [], 'no process of the cluster is left');
      assert.deepEqual(processesMentioning(clone), [], 'no process started from the copy is left');
      assert.deepEqual(listenersOn(ADDRESSES), [], 'nothing listens on the machines\' addresses');
    } finally {
      if (fs.existsSync(path.join(clone, 'dist'))) spawnSync('bash', ['-c', 'npx coracle cluster down'], { cwd: clone, env, timeout: 5 * 60_000 });
      killAllMentioning(data);
      killAllMentioning(clone);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
