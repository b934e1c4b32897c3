// Finding and loading a unit from the unit directories, as systemd 252 does
// (systemd.unit(5) "UNIT FILE LOAD PATH", unit-file.c):
//  - the fragment is the first `<dir>/<name>` in search-path order (/etc, then
//    /run, then /lib); for an instance with no file of its own, the template
//    `foo@.service` is used;
//  - a fragment that is a symlink to /dev/null, or an empty file, masks the
//    unit; a symlink to another unit name makes the requested name an alias;
//  - drop-ins: every `*.conf` in `<dir>/<name>.d/` for each name, its template
//    (`foo@.service.d/`), its dashed prefixes (`foo-bar-.service.d/`,
//    `foo-.service.d/`) and finally the top-level `service.d/`, over all dirs;
//    a file name seen first (higher precedence) hides the same name later;
//    the survivors apply in lexical order of file name.
// The file system is given as data (UnitView), so this stays pure.

import type { Diagnostic } from './diagnostics.js';
import { instantiate, parseUnitName, templateOf, type UnitType } from './names.js';
import { interpretUnit, type UnitSettings } from './settings.js';
import { specifierExpander, type SpecifierContext } from './specifiers.js';
import { parseUnitFile, type UnitFile } from './syntax.js';

/** A regular file (its content) or a symlink (its target, absolute or relative to the link's directory). */
export type ViewEntry = string | { symlink: string };

export interface UnitView {
  /** Absolute path → entry. Directories are implied by the paths of their files. */
  entries: Readonly<Record<string, ViewEntry>>;
  /** Unit directories, highest precedence first. */
  searchPath: readonly string[];
}

export type LoadState = 'loaded' | 'not-found' | 'bad-setting' | 'masked' | 'error';

export interface LoadedUnit {
  /** The name asked for. */
  name: string;
  /** The unit's own name: differs from `name` when `name` is an alias. */
  id: string;
  loadState: LoadState;
  /** The fragment read (for a masked unit, the masking file; null if none). */
  fragmentPath: string | null;
  /** Drop-ins applied, in the order applied. */
  dropInPaths: string[];
  /** The parsed fragment followed by the drop-ins. */
  files: UnitFile[];
  /** Interpreted settings; null unless the unit loaded (or failed on a bad setting). */
  settings: UnitSettings | null;
  diagnostics: Diagnostic[];
}

/** The system search path under a machine root, as coracle's init uses it. */
export function standardSearchPath(root: string): string[] {
  const r = root.replace(/\/+$/, '');
  return [`${r}/etc/systemd/system`, `${r}/run/systemd/system`, `${r}/lib/systemd/system`];
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function normalizePath(p: string): string {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return '/' + out.join('/');
}

type Resolved =
  | { kind: 'file'; path: string; content: string }
  | { kind: 'null'; path: string }
  | { kind: 'missing'; path: string }
  | { kind: 'loop'; path: string };

/** Follows symlinks from `path` to a regular file, /dev/null, or nothing. */
function resolveEntry(view: UnitView, path: string): Resolved {
  let p = path;
  for (let hops = 0; hops < 32; hops++) {
    if (p === '/dev/null') return { kind: 'null', path: p };
    const e = view.entries[p];
    if (e === undefined) return { kind: 'missing', path: p };
    if (typeof e === 'string') return { kind: 'file', path: p, content: e };
    p = normalizePath(e.symlink.startsWith('/') ? e.symlink : `${dirname(p)}/${e.symlink}`);
  }
  return { kind: 'loop', path: p };
}

interface Fragment {
  /** Where the name was found in the search path. */
  linkPath: string;
  resolved: Resolved;
  /** Unit name of the final target when it differs (an alias), else null. */
  aliasOf: string | null;
}

/** The first entry called `name` in search-path order. */
function findFragment(view: UnitView, name: string): Fragment | null {
  for (const dir of view.searchPath) {
    const linkPath = `${dir}/${name}`;
    if (view.entries[linkPath] === undefined) continue;
    const resolved = resolveEntry(view, linkPath);
    let aliasOf: string | null = null;
    if (resolved.kind === 'file') {
      const target = basename(resolved.path);
      if (target !== name && parseUnitName(target)) aliasOf = target;
    }
    return { linkPath, resolved, aliasOf };
  }
  return null;
}

/** The drop-in directory names searched for `name` in one unit directory, most specific first. */
export function dropInDirNames(name: string): string[] {
  const out: string[] = [];
  const walk = (n: string): void => {
    out.push(`${n}.d`);
    const parsed = parseUnitName(n);
    if (!parsed) return;
    if (parsed.kind === 'instance') walk(templateOf(n)!);
    // Dashed prefixes: "foo-bar-baz" → "foo-bar-" → "foo-" (a trailing dash is chopped once).
    let prefix = parsed.prefix;
    let chopped = false;
    for (;;) {
      const dash = prefix.lastIndexOf('-');
      if (dash <= 0) return;
      if (dash + 1 < prefix.length || chopped) {
        prefix = prefix.slice(0, dash + 1);
        break;
      }
      prefix = prefix.slice(0, dash);
      chopped = true;
    }
    const built = parsed.kind === 'instance' ? `${prefix}@${parsed.instance}.${parsed.type}` : `${prefix}.${parsed.type}`;
    if (parseUnitName(built)) walk(built);
  };
  walk(name);
  return out;
}

// Directory → the paths directly in it, per view. A view is never changed
// once made (withLinkedUnit makes a new one), so the index is built once;
// without it every lookup scanned the whole view, and loading n units took
// time quadratic in n.
const childIndex = new WeakMap<object, Map<string, string[]>>();

/** The paths of the view's entries directly in `dir`, in no particular order. */
export function childrenOf(view: UnitView, dir: string): readonly string[] {
  let index = childIndex.get(view.entries);
  if (!index) {
    index = new Map();
    for (const p of Object.keys(view.entries)) {
      const d = dirname(p);
      const list = index.get(d);
      if (list) list.push(p);
      else index.set(d, [p]);
    }
    childIndex.set(view.entries, index);
  }
  return index.get(dir) ?? [];
}

/** The drop-in files that apply to a unit known by `names`, in application order. */
export function findDropIns(view: UnitView, names: readonly string[], type: UnitType): string[] {
  const dirs: string[] = [];
  for (const n of names) for (const d of view.searchPath) for (const sub of dropInDirNames(n)) dirs.push(`${d}/${sub}`);
  for (const d of view.searchPath) dirs.push(`${d}/${type}.d`);

  const chosen = new Map<string, string>();
  for (const dir of dirs) {
    const files = childrenOf(view, dir)
      .filter((p) => p.endsWith('.conf'))
      .sort();
    for (const f of files) {
      const b = basename(f);
      if (!chosen.has(b)) chosen.set(b, f);
    }
  }
  return [...chosen.keys()].sort().map((b) => chosen.get(b)!);
}

/**
 * Other names of unit `id`: symlinks directly in a unit directory that resolve
 * to a file called `id` (systemd reads the drop-ins of every alias). Sorted,
 * since systemd keeps them in an unordered set.
 */
function aliasesOf(view: UnitView, id: string): string[] {
  const out = new Set<string>();
  for (const dir of view.searchPath) {
    for (const path of childrenOf(view, dir)) {
      if (typeof view.entries[path] === 'string') continue;
      const alias = basename(path);
      if (alias !== id && findFragment(view, alias)?.aliasOf === id) out.add(alias);
    }
  }
  return [...out].sort();
}

/**
 * Unit types that may load from drop-ins alone; a service or target with only
 * drop-ins is "not found" (checked with systemd-analyze verify 252).
 */
const FRAGMENT_OPTIONAL: ReadonlySet<UnitType> = new Set(['slice', 'scope', 'device']);

/**
 * Loads unit `name` from the view: finds its fragment and drop-ins, parses
 * and interprets them, and names the LoadState as systemd would.
 */
export function loadUnit(view: UnitView, name: string, ctx: SpecifierContext): LoadedUnit {
  const base: LoadedUnit = {
    name, id: name, loadState: 'not-found', fragmentPath: null, dropInPaths: [], files: [], settings: null, diagnostics: [],
  };
  const parsed = parseUnitName(name);
  if (!parsed) {
    base.loadState = 'error';
    base.diagnostics.push({ severity: 'error', file: name, line: 0, unit: name, message: `Unit name ${name} is not valid.` });
    return base;
  }
  if (parsed.kind === 'template') {
    base.loadState = 'error';
    base.diagnostics.push({ severity: 'error', file: name, line: 0, unit: name, message: `Unit name ${name} is missing the instance name.` });
    return base;
  }

  let frag = findFragment(view, name);
  let id = name;
  if (frag?.aliasOf) {
    // An alias: the unit is known by its target's name; an alias of a template keeps the instance.
    const t = parseUnitName(frag.aliasOf)!;
    id = t.kind === 'template' && parsed.instance ? (instantiate(frag.aliasOf, parsed.instance) ?? frag.aliasOf) : frag.aliasOf;
  }
  if (!frag && parsed.kind === 'instance') frag = findFragment(view, templateOf(name)!);
  base.id = id;

  if (frag && (frag.resolved.kind === 'null' || (frag.resolved.kind === 'file' && frag.resolved.content.length === 0))) {
    base.loadState = 'masked';
    base.fragmentPath = frag.linkPath;
    return base;
  }
  if (frag && frag.resolved.kind === 'loop') {
    base.loadState = 'error';
    base.diagnostics.push({ severity: 'error', file: frag.linkPath, line: 0, unit: name, message: `Failed to resolve symlink ${frag.linkPath}: Too many levels of symbolic links` });
    return base;
  }
  const fragment = frag && frag.resolved.kind === 'file' ? frag.resolved : null;

  const names = [id, ...aliasesOf(view, id)];
  if (!names.includes(name)) names.push(name);
  const dropIns = findDropIns(view, names, parsed.type);
  if (!fragment && (dropIns.length === 0 || !FRAGMENT_OPTIONAL.has(parsed.type))) {
    base.loadState = 'not-found';
    return base;
  }

  const files: UnitFile[] = [];
  if (fragment) files.push(parseUnitFile(fragment.content, fragment.path));
  for (const p of dropIns) {
    const r = resolveEntry(view, p);
    files.push(parseUnitFile(r.kind === 'file' ? r.content : '', p));
  }
  base.files = files;
  base.fragmentPath = fragment?.path ?? null;
  base.dropInPaths = dropIns;
  const expand = specifierExpander(fragment ? { name: id, fragmentPath: fragment.path } : { name: id }, ctx);
  const r = interpretUnit(id, files, expand);
  base.diagnostics.push(...r.diagnostics);
  base.loadState = r.loadState;
  base.settings = r.loadState === 'error' ? null : r.settings;
  return base;
}

/** Returns a view with `<dir>/<basename(path)>` symlinked to `path` (what `systemctl link` does). */
export function withLinkedUnit(view: UnitView, dir: string, path: string): UnitView {
  return { ...view, entries: { ...view.entries, [`${dir}/${basename(path)}`]: { symlink: path } } };
}
