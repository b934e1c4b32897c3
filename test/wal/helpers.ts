// Shared by the WAL tests: temp dirs, entries, a logger that remembers, and
// the one test double allowed — a FileOps wrapper over the real node:fs one
// that counts fsyncs and can fail or hold an operation.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Entry, HardState } from '../../src/raft/types.js';
import { nodeFileOps, type FileOps, type WalFile } from '../../src/wal/fileops.js';
import type { WalLogger } from '../../src/wal/log.js';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-wal-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A WAL directory inside a fresh temp dir (create() wants to make it itself). */
export function walDir(): { dir: string; cleanup: () => void } {
  const t = tempDir();
  return { dir: path.join(t.dir, 'wal'), cleanup: t.cleanup };
}

export function entry(index: number, term: number, text = `e${index}t${term}`): Entry {
  return { index, term, type: index % 7 === 0 ? 'confChange' : 'normal', data: new TextEncoder().encode(text) };
}

export function entries(from: number, to: number, term: number, text?: (i: number) => string): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term, text?.(i)));
  return out;
}

export function hs(term: number, commit: number, vote = 'n1'): HardState {
  return { term, vote, commit };
}

export interface LogLine {
  level: 'info' | 'warn';
  msg: string;
  fields: Record<string, unknown>;
}

export function memoryLogger(): WalLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (msg, fields = {}) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields = {}) => lines.push({ level: 'warn', msg, fields }),
  };
}

export const META = new TextEncoder().encode('member=a1b2;cluster=c3d4');

export function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.wal')).sort();
}

function errno(code: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: injected by test`);
  err.code = code;
  return err;
}

/**
 * node:fs underneath; counts datasyncs; `failWrite` makes writes fail with
 * that errno after writing `partial` of their bytes; `failTruncate` makes
 * truncates fail; `holdSync` parks each datasync until `release()`.
 */
export class TestFileOps implements FileOps {
  fsyncs = 0;
  writes = 0;
  failWrite: { code: string; partial: number } | undefined;
  failTruncate = false;
  holdSync = false;
  private held: (() => void)[] = [];
  private onHeld: (() => void)[] = [];

  /** Resolves once a datasync is parked. */
  syncParked(): Promise<void> {
    if (this.held.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.onHeld.push(resolve));
  }

  release(): void {
    const h = this.held;
    this.held = [];
    for (const r of h) r();
  }

  async open(p: string, flags: 'r+' | 'wx'): Promise<WalFile> {
    const inner = await nodeFileOps.open(p, flags);
    return {
      write: async (data, position) => {
        this.writes++;
        const f = this.failWrite;
        if (f) {
          const n = Math.min(f.partial, data.length);
          if (n > 0) await inner.write(data.subarray(0, n), position);
          throw errno(f.code);
        }
        await inner.write(data, position);
      },
      datasync: async () => {
        if (this.holdSync) {
          await new Promise<void>((resolve) => {
            this.held.push(resolve);
            const w = this.onHeld;
            this.onHeld = [];
            for (const r of w) r();
          });
        }
        this.fsyncs++;
        await inner.datasync();
      },
      truncate: async (len) => {
        if (this.failTruncate) throw errno('ENOSPC');
        await inner.truncate(len);
      },
      close: () => inner.close(),
    };
  }

  readFile(p: string): Promise<Uint8Array> {
    return nodeFileOps.readFile(p);
  }
  readdir(dir: string): Promise<string[]> {
    return nodeFileOps.readdir(dir);
  }
  rename(from: string, to: string): Promise<void> {
    return nodeFileOps.rename(from, to);
  }
  unlink(p: string): Promise<void> {
    return nodeFileOps.unlink(p);
  }
  mkdir(p: string): Promise<void> {
    return nodeFileOps.mkdir(p);
  }
  syncDir(dir: string): Promise<void> {
    return nodeFileOps.syncDir(dir);
  }
}
