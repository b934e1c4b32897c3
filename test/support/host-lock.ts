// A lock shared by every test process on this host, for resources that cannot
// be split by address: the one-host cluster's fixed addresses (machine n is
// 127.0.0.(n+1), so 127.0.0.2–10 with ports 2379/2380) and the Docker engine's
// containers. `node --test` runs files in parallel processes, so an in-process
// mutex is not enough: the lock is a directory created atomically, holding
// the owner's PID, and taken over when that process is gone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../../src/init/node/tracker.js';

export type HostResource = 'one-host-cluster' | 'docker';

/** Waits (bounded by `waitMs`) for the lock, runs `fn`, releases the lock. */
export async function withHostLock<T>(resource: HostResource, fn: () => Promise<T>, waitMs = 20 * 60_000): Promise<T> {
  const dir = path.join(os.tmpdir(), `coracle-test-lock-${resource}`);
  const owner = path.join(dir, 'pid');
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(owner, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = NaN;
      try {
        pid = Number(fs.readFileSync(owner, 'utf8'));
      } catch {
        // the owner has made the directory but not yet written its PID
      }
      if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`test lock ${resource} still held by PID ${pid} after ${waitMs} ms (${dir})`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
