// Real second processes: the directory lock, and kill -9 while appending.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wal } from '../../src/wal/wal.js';
import { isWalError } from '../../src/wal/errors.js';
import { LOCK_NAME } from '../../src/wal/lock.js';
import { META, memoryLogger, walDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

function child(...args: string[]): ChildProcess {
  return spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Calls `onLine` for each stdout line; resolves with all lines when the child exits. */
function lines(c: ChildProcess, onLine: (l: string) => void = () => undefined): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const out: string[] = [];
    let buf = '';
    c.stdout!.setEncoding('utf8');
    c.stdout!.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        out.push(l);
        onLine(l);
      }
    });
    c.on('error', reject);
    c.on('close', () => resolve(out));
  });
}

test('a second process cannot open a log this process holds, and is told who holds it', async () => {
  const { dir, cleanup } = walDir();
  try {
    const wal = await Wal.create(dir, META);
    const [line] = await lines(child('open', dir));
    const res = JSON.parse(line!) as { code?: string; message?: string };
    assert.equal(res.code, 'ERR_WAL_LOCKED');
    assert.ok(res.message!.includes(dir) && res.message!.includes(`pid ${process.pid}`), res.message);
    // Nor can this process open it a second time.
    await assert.rejects(Wal.open(dir), (e) => isWalError(e, 'ERR_WAL_LOCKED') && /this process/.test(e.message));
    await wal.close();
    assert.equal(fs.existsSync(path.join(dir, LOCK_NAME)), false);
    const [after] = await lines(child('open', dir));
    assert.deepEqual(JSON.parse(after!), { ok: true });
  } finally {
    cleanup();
  }
});

test('a lock held by a live process refuses; once it is killed the stale lock is taken over', async () => {
  const { dir, cleanup } = walDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.close();
    const holder = child('hold', dir);
    let held!: () => void;
    const isHeld = new Promise<void>((resolve) => (held = resolve));
    const exited = lines(holder, (l) => {
      if (l === 'held') held();
    });
    try {
      await isHeld;
      await assert.rejects(Wal.open(dir), (e) => isWalError(e, 'ERR_WAL_LOCKED') && e.message.includes(`pid ${holder.pid}`));
    } finally {
      holder.kill('SIGKILL'); // also when the assertion failed: never leave it running
    }
    await exited;
    assert.equal(fs.readFileSync(path.join(dir, LOCK_NAME), 'utf8').trim(), String(holder.pid)); // left behind
    const logger = memoryLogger();
    const r = await Wal.open(dir, undefined, { logger });
    assert.ok(logger.lines.some((l) => /stale lock/.test(l.msg) && l.fields['deadPid'] === holder.pid));
    assert.equal(fs.readFileSync(path.join(dir, LOCK_NAME), 'utf8').trim(), String(process.pid));
    await r.wal.close();
  } finally {
    cleanup();
  }
});

test(`kill -9 while appending: every acknowledged entry is there after reopening`, async () => {
  // Kill points are drawn at random (and printed, to reproduce a failure);
  // the child is killed once it has acknowledged that many entries.
  const rounds = [0, 1, 2].map(() => 1 + Math.floor(Math.random() * 1500));
  let killedMidRun = 0;
  for (const killAfter of rounds) {
    const { dir, cleanup } = walDir();
    try {
      const c = child('append', dir, '8192');
      let acked = 0;
      let killed = false;
      const out = await lines(c, (l) => {
        if (/^\d+$/.test(l)) acked = Math.max(acked, Number(l));
        if (!killed && acked >= killAfter) {
          killed = c.kill('SIGKILL');
        }
      });
      const ackedSet = out.filter((l) => /^\d+$/.test(l)).map(Number);
      if (killed && !out.includes('done')) killedMidRun++;
      if (!fs.existsSync(dir)) {
        // Killed before the log was even created: nothing was acknowledged.
        assert.equal(ackedSet.length, 0);
        continue;
      }
      const r = await Wal.open(dir, undefined, { logger: memoryLogger() });
      const idx = r.entries.map((e) => e.index);
      // A gapless log from 1 that covers every acknowledged index, with the right data.
      idx.forEach((v, i) => assert.equal(v, i + 1));
      const max = Math.max(0, ...ackedSet);
      assert.ok(idx.length >= max, `killAfter=${killAfter}: acknowledged ${max} but only ${idx.length} replayed`);
      for (const e of r.entries) {
        assert.equal(new TextDecoder().decode(e.data), `value-${e.index}-${'v'.repeat(e.index % 50)}`);
      }
      assert.ok(r.hardState.commit >= max - 1);
      await r.wal.close();
    } finally {
      cleanup();
    }
  }
  assert.ok(killedMidRun > 0, `the child was never killed mid-run (kill points ${rounds.join(', ')})`);
});
