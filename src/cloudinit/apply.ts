// The thin I/O shell around render.ts: reads a machine root for the
// renderer, and writes rendered changes into it the way the original wrote
// files (temp file in the same directory, chmod, chown, rename; parents
// created 0755). Unit actions are not carried out here: they go to the init.
import { chmodSync, chownSync, lchownSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Change, Rendered, RootView } from './render.js';
import { passwdEntries } from './users.js';

/** A RootView over a directory on disk. */
export function rootViewOf(rootDir: string): RootView {
  return {
    read(path: string): string | undefined {
      try {
        return readFileSync(join(rootDir, path), 'utf8');
      } catch {
        return undefined;
      }
    },
    list(dir: string): string[] | undefined {
      try {
        return readdirSync(join(rootDir, dir));
      } catch {
        return undefined;
      }
    },
  };
}

export interface ApplyResult {
  written: string[];
  /** Owners that could not be set (not running as root, or unknown in the
   *  root's etc/passwd and etc/group). */
  ownersNotSet: { path: string; owner: string }[];
  /** The first I/O failure; writing stops there. */
  error?: string;
}

/** "user[:group]" resolved against the root's own account files. */
function resolveOwner(rootDir: string, owner: string): { uid: number; gid: number } | null {
  const [user, group] = owner.split(':');
  const read = (p: string): string => {
    try {
      return readFileSync(join(rootDir, p), 'utf8');
    } catch {
      return '';
    }
  };
  const entry = /^[0-9]+$/.test(user) ? { uid: Number(user), gid: -1 } : passwdEntries(read('etc/passwd')).find((e) => e.name === user);
  if (!entry) return null;
  let gid = entry.gid;
  if (group !== undefined && group !== '') {
    if (/^[0-9]+$/.test(group)) gid = Number(group);
    else {
      const line = read('etc/group').split('\n').find((l) => l.split(':')[0] === group);
      if (!line) return null;
      gid = Number(line.split(':')[2]);
    }
  }
  return { uid: entry.uid, gid };
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function applyOne(rootDir: string, c: Change, result: ApplyResult): void {
  const full = join(rootDir, c.path);
  const own = (target: string, owner: string | undefined): void => {
    if (!owner) return;
    const id = isRoot() ? resolveOwner(rootDir, owner) : null;
    if (id) chownSync(target, id.uid, id.gid);
    else result.ownersNotSet.push({ path: c.path, owner });
  };
  switch (c.kind) {
    case 'file': {
      const dir = dirname(full);
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const tmp = join(dir, `cloudinit-temp${randomBytes(6).toString('hex')}`);
      try {
        writeFileSync(tmp, c.data, { mode: c.mode });
        chmodSync(tmp, c.mode);
        own(tmp, c.owner);
        renameSync(tmp, full);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
      break;
    }
    case 'dir':
      mkdirSync(full, { recursive: true, mode: c.mode });
      chmodSync(full, c.mode);
      own(full, c.owner);
      break;
    case 'mask':
      mkdirSync(dirname(full), { recursive: true, mode: 0o755 });
      // Destructive, like the original: whatever was there is replaced.
      rmSync(full, { force: true, recursive: true });
      symlinkSync('/dev/null', full);
      break;
    case 'link':
      mkdirSync(dirname(full), { recursive: true, mode: 0o755 });
      rmSync(full, { force: true, recursive: true });
      if (c.hard) linkSync(join(rootDir, c.target), full);
      else symlinkSync(c.target, full);
      if (c.owner && !c.hard) {
        const id = isRoot() ? resolveOwner(rootDir, c.owner) : null;
        if (id) lchownSync(full, id.uid, id.gid);
        else result.ownersNotSet.push({ path: c.path, owner: c.owner });
      }
      break;
    case 'unmask': {
      let remove = false;
      try {
        const st = statSync(full);
        remove = (st.isFile() && st.size === 0) || st.isCharacterDevice();
      } catch {
        // Missing, or a dangling link: nothing to unmask.
        remove = false;
      }
      if (remove || isDanglingDevNull(full)) rmSync(full, { force: true });
      break;
    }
  }
  result.written.push(c.path);
}

function isDanglingDevNull(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink() && statSync(p).isCharacterDevice();
  } catch {
    return false;
  }
}

/** Writes the rendered changes under rootDir, in order. Never throws. */
export function applyToRoot(rootDir: string, rendered: Pick<Rendered, 'changes'>): ApplyResult {
  const result: ApplyResult = { written: [], ownersNotSet: [] };
  for (const c of rendered.changes) {
    try {
      applyOne(rootDir, c, result);
    } catch (e) {
      result.error = `${c.path}: ${e instanceof Error ? e.message : String(e)}`;
      return result;
    }
  }
  return result;
}
