// The data directory lock. Node has no flock, so the lock is a file named
// `lock` in the directory holding the owner's PID. It is created atomically
// with its content (written to a private temp file, then hard-linked into
// place: link fails with EEXIST if the lock exists), so nobody ever sees an
// empty lock file.
//
// A lock whose PID is not a live process (kill(pid, 0) → ESRCH) was left by a
// crash and is taken over. The takeover renames the stale file aside and
// checks it still names the dead PID; if a racing process had replaced it with
// a fresh lock in between, that lock is linked back and we report LOCKED.
// PID reuse can only make a stale lock look held (fail safe), never the reverse.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WalError } from './errors.js';

export const LOCK_NAME = 'lock';

export interface LockLogger {
  warn(msg: string, fields?: Record<string, unknown>): void;
}

function readPid(file: string): number | undefined {
  try {
    const n = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export class DirLock {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly file: string,
  ) {}

  /** Takes the lock on `dir` or throws ERR_WAL_LOCKED naming the holder. */
  static acquire(dir: string, logger?: LockLogger): DirLock {
    const file = path.join(dir, LOCK_NAME);
    const mine = path.join(dir, `${LOCK_NAME}.${process.pid}.tmp`);
    fs.writeFileSync(mine, `${process.pid}\n`, { mode: 0o600 });
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          fs.linkSync(mine, file);
          return new DirLock(dir, file);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        const holder = readPid(file);
        if (holder === undefined) continue; // removed meanwhile, or unreadable: try again
        if (isAlive(holder)) {
          const who = holder === process.pid ? `${holder} (this process)` : `${holder}`;
          throw new WalError('ERR_WAL_LOCKED', `${dir} is locked by pid ${who}`, { file });
        }
        const aside = path.join(dir, `${LOCK_NAME}.stale.${process.pid}`);
        try {
          fs.renameSync(file, aside);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw err;
        }
        const moved = readPid(aside);
        if (moved !== holder) {
          // We moved someone's fresh lock: put it back and report it held.
          try {
            fs.linkSync(aside, file);
          } catch {
            // A third process took the lock meanwhile; theirs stands.
          }
          fs.rmSync(aside, { force: true });
          throw new WalError('ERR_WAL_LOCKED', `${dir} is locked by pid ${moved ?? 'unknown'}`, { file });
        }
        fs.rmSync(aside, { force: true });
        logger?.warn('wal: took over a stale lock', { dir, deadPid: holder });
      }
      throw new WalError('ERR_WAL_LOCKED', `${dir}: could not take the lock (it keeps changing hands)`, { file });
    } finally {
      fs.rmSync(mine, { force: true });
    }
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (readPid(this.file) === process.pid) fs.rmSync(this.file, { force: true });
  }
}
