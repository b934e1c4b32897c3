// Reads the unit directories of a machine root into the units module's
// UnitView (files and symlinks as data), plus the targets of symlinks that
// point outside them (linked units, enable links), so loading stays pure.
import fs from 'node:fs';
import path from 'node:path';
import { childrenOf, standardSearchPath, type UnitView, type ViewEntry } from '../../units/index.js';

function readTree(dir: string, depth: number, entries: Record<string, ViewEntry>): void {
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const d of names) {
    const p = path.join(dir, d.name);
    if (d.isSymbolicLink()) {
      try {
        entries[p] = { symlink: fs.readlinkSync(p) };
      } catch {
        // vanished meanwhile
      }
    } else if (d.isFile()) {
      try {
        entries[p] = fs.readFileSync(p, 'utf8');
      } catch {
        // unreadable: leave it out, the unit shows not-found
      }
    } else if (d.isDirectory() && depth > 0) {
      readTree(p, depth - 1, entries);
    }
  }
}

/** Adds the files that symlinks lead to, wherever they are (one hop at a time). */
function addTargets(entries: Record<string, ViewEntry>): void {
  const pending = Object.entries(entries).filter(([, e]) => typeof e !== 'string') as [string, { symlink: string }][];
  for (let hops = 0; hops < 8 && pending.length > 0; hops++) {
    const next: [string, { symlink: string }][] = [];
    for (const [p, e] of pending) {
      const target = path.resolve(path.dirname(p), e.symlink);
      if (target === '/dev/null' || entries[target] !== undefined) continue;
      try {
        const st = fs.lstatSync(target);
        if (st.isSymbolicLink()) {
          const link = { symlink: fs.readlinkSync(target) };
          entries[target] = link;
          next.push([target, link]);
        } else if (st.isFile()) entries[target] = fs.readFileSync(target, 'utf8');
      } catch {
        // dangling: the unit shows not-found
      }
    }
    pending.splice(0, pending.length, ...next);
  }
}

export function readUnitView(root: string): UnitView {
  const searchPath = standardSearchPath(root);
  const entries: Record<string, ViewEntry> = {};
  for (const dir of searchPath) readTree(dir, 1, entries);
  addTargets(entries);
  return { searchPath, entries };
}

/**
 * Names in `<dir>/<unit>.wants/` (or `.requires/`) over the search path, for
 * the unit and its template; what `enable` links add to a unit's deps.
 */
export function linkedDeps(view: UnitView, unit: string, kind: 'wants' | 'requires'): string[] {
  const names = [unit];
  const at = unit.indexOf('@');
  if (at > 0) names.push(`${unit.slice(0, at + 1)}${unit.slice(unit.lastIndexOf('.'))}`);
  const out = new Set<string>();
  for (const dir of view.searchPath) {
    for (const n of names) {
      const linkDir = `${dir}/${n}.${kind}`;
      for (const p of childrenOf(view, linkDir)) out.add(p.slice(linkDir.length + 1));
    }
  }
  return [...out].sort();
}
