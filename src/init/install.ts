// enable/disable/mask/unmask/link as install.c does them, planned over the
// UnitView (pure); the shell applies the changes to disk. Links are made in
// etc/systemd/system (or run/systemd/system with runtime), pointing to the
// unit file by its absolute path.
import { loadUnit, parseUnitName, templateOf, type LoadedUnit, type SpecifierContext, type UnitView } from '../units/index.js';

export type InstallChange = { type: 'symlink'; path: string; target: string } | { type: 'unlink'; path: string };
export type InstallPlan = { ok: true; changes: InstallChange[]; warnings: string[] } | { ok: false; error: string };

export type UnitFileState = 'enabled' | 'enabled-runtime' | 'linked' | 'linked-runtime' | 'alias' | 'masked' | 'masked-runtime' | 'static' | 'disabled' | 'indirect' | 'generated' | 'transient' | 'bad' | 'not-found';

function dirOf(view: UnitView, runtime: boolean): string {
  // searchPath is etc, run, lib.
  return runtime ? view.searchPath[1]! : view.searchPath[0]!;
}

function base(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function linkTarget(view: UnitView, p: string): string | null {
  const e = view.entries[p];
  if (e === undefined || typeof e === 'string') return null;
  return e.symlink.startsWith('/') ? e.symlink : `${p.slice(0, p.lastIndexOf('/'))}/${e.symlink}`;
}

/** The file the unit's links should point at: its fragment as found in the search path. */
function installTarget(view: UnitView, u: LoadedUnit): string | null {
  const name = parseUnitName(u.id)?.kind === 'instance' ? templateOf(u.id)! : u.id;
  for (const d of view.searchPath) {
    const p = `${d}/${name}`;
    if (view.entries[p] === undefined) continue;
    // A linked unit (a symlink to a file outside the unit dirs) is installed by the file it links to.
    const target = linkTarget(view, p);
    const outside = target !== null && !view.searchPath.some((s) => target.startsWith(`${s}/`));
    return outside ? target : p;
  }
  return u.fragmentPath;
}

export function planEnable(view: UnitView, ctx: SpecifierContext, name: string, runtime = false, seen = new Set<string>()): InstallPlan {
  const u = loadUnit(view, name, ctx);
  if (u.loadState === 'masked') return { ok: false, error: `Unit file ${name} is masked.` };
  if (u.loadState === 'not-found' || !u.settings) return { ok: false, error: `Unit file ${name} does not exist.` };
  seen.add(name);
  const target = installTarget(view, u);
  if (!target) return { ok: false, error: `Unit file ${name} does not exist.` };
  const dir = dirOf(view, runtime);
  const changes: InstallChange[] = [];
  const warnings: string[] = [];
  const inst = u.settings.install;
  const add = (p: string, t: string): void => {
    if (linkTarget(view, p) === t) return; // already there
    changes.push({ type: 'symlink', path: p, target: t });
  };
  for (const t of inst.wantedBy) add(`${dir}/${t}.wants/${name}`, target);
  for (const t of inst.requiredBy) add(`${dir}/${t}.requires/${name}`, target);
  for (const a of inst.alias) add(`${dir}/${a}`, target);
  for (const also of inst.also) {
    if (seen.has(also)) continue;
    const r = planEnable(view, ctx, also, runtime, seen);
    if (!r.ok) return r;
    changes.push(...r.changes);
    warnings.push(...r.warnings);
  }
  if (inst.wantedBy.length + inst.requiredBy.length + inst.alias.length + inst.also.length === 0) {
    warnings.push(
      `The unit files have no installation config (WantedBy=, RequiredBy=, Also=,\nAlias= settings in the [Install] section, and DefaultInstance= for template\nunits). This means they are not meant to be enabled or disabled using systemctl.`,
    );
  }
  return { ok: true, changes, warnings };
}

export function planDisable(view: UnitView, ctx: SpecifierContext, name: string, seen = new Set<string>()): InstallPlan {
  seen.add(name);
  const changes: InstallChange[] = [];
  const u = loadUnit(view, name, ctx);
  const aliases = new Set(u.settings?.install.alias ?? []);
  for (const d of view.searchPath.slice(0, 2)) {
    for (const p of Object.keys(view.entries)) {
      if (!p.startsWith(`${d}/`) || linkTarget(view, p) === null) continue;
      const rel = p.slice(d.length + 1);
      const parts = rel.split('/');
      const inDepDir = parts.length === 2 && /\.(wants|requires)$/.test(parts[0]!) && parts[1] === name;
      const isAlias = parts.length === 1 && aliases.has(rel);
      // disable also undoes link: the unit's own name linked to a file outside the unit dirs.
      const target = linkTarget(view, p)!;
      const isLink = parts.length === 1 && rel === name && target !== '/dev/null' && !view.searchPath.some((s) => target.startsWith(`${s}/`));
      if (inDepDir || isAlias || isLink) changes.push({ type: 'unlink', path: p });
    }
  }
  for (const also of u.settings?.install.also ?? []) {
    if (seen.has(also)) continue;
    const r = planDisable(view, ctx, also, seen);
    if (r.ok) changes.push(...r.changes);
  }
  return { ok: true, changes, warnings: [] };
}

export function planMask(view: UnitView, name: string, runtime = false): InstallPlan {
  const p = `${dirOf(view, runtime)}/${name}`;
  const e = view.entries[p];
  if (typeof e === 'string') return { ok: false, error: `Failed to mask unit: File ${p} already exists.` };
  if (e !== undefined && linkTarget(view, p) === '/dev/null') return { ok: true, changes: [], warnings: [] };
  const changes: InstallChange[] = [];
  if (e !== undefined) changes.push({ type: 'unlink', path: p });
  changes.push({ type: 'symlink', path: p, target: '/dev/null' });
  return { ok: true, changes, warnings: [] };
}

export function planUnmask(view: UnitView, name: string): InstallPlan {
  const changes: InstallChange[] = [];
  for (const d of view.searchPath.slice(0, 2)) {
    const p = `${d}/${name}`;
    if (linkTarget(view, p) === '/dev/null') changes.push({ type: 'unlink', path: p });
  }
  return { ok: true, changes, warnings: [] };
}

/** `systemctl link PATH`: make a unit file outside the unit dirs loadable by its name. */
export function planLink(view: UnitView, file: string, runtime = false): InstallPlan {
  if (!file.startsWith('/')) return { ok: false, error: `Failed to link unit: Path ${file} is not absolute.` };
  const name = base(file);
  if (!parseUnitName(name)) return { ok: false, error: `Failed to link unit: Invalid unit name ${name}.` };
  const p = `${dirOf(view, runtime)}/${name}`;
  const e = view.entries[p];
  if (typeof e === 'string') return { ok: false, error: `Failed to link unit: File ${p} already exists.` };
  if (linkTarget(view, p) === file) return { ok: true, changes: [], warnings: [] };
  const changes: InstallChange[] = [];
  if (e !== undefined) changes.push({ type: 'unlink', path: p });
  changes.push({ type: 'symlink', path: p, target: file });
  return { ok: true, changes, warnings: [] };
}

/** UnitFileState as `systemctl is-enabled` prints it. */
export function unitFileState(view: UnitView, ctx: SpecifierContext, name: string): UnitFileState {
  const [etc, run] = [view.searchPath[0]!, view.searchPath[1]!];
  for (const [d, suffix] of [[etc, ''], [run, '-runtime']] as const) {
    if (linkTarget(view, `${d}/${name}`) === '/dev/null') return `masked${suffix}` as UnitFileState;
  }
  const u = loadUnit(view, name, ctx);
  if (u.loadState === 'not-found') return 'not-found';
  if (u.loadState === 'bad-setting' || u.loadState === 'error') return 'bad';
  if (u.id !== name) return 'alias';
  const linkedIn = (d: string): boolean =>
    Object.keys(view.entries).some((p) => {
      if (!p.startsWith(`${d}/`) || linkTarget(view, p) === null) return false;
      const parts = p.slice(d.length + 1).split('/');
      return parts.length === 2 && /\.(wants|requires)$/.test(parts[0]!) && parts[1] === name;
    });
  if (linkedIn(etc)) return 'enabled';
  if (linkedIn(run)) return 'enabled-runtime';
  for (const [d, state] of [[etc, 'linked'], [run, 'linked-runtime']] as const) {
    const t = linkTarget(view, `${d}/${name}`);
    if (t && !view.searchPath.some((s) => t.startsWith(`${s}/`))) return state;
  }
  const inst = u.settings?.install;
  if (!inst || inst.wantedBy.length + inst.requiredBy.length + inst.alias.length + inst.also.length === 0) return 'static';
  return 'disabled';
}
