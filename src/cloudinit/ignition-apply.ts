// What an Ignition config (spec 2.0-2.3, 3.0-3.4) does to a machine root, as
// data: planIgnition is pure and takes the file contents already fetched,
// decompressed and verified (keyed by the JSON path of their resource), so
// every error names where in the config it comes from. Order as Ignition's
// files stage: passwd (groups, users, SSH keys), then storage (directories,
// files, links), then systemd and networkd units.
import { gunzipSync } from 'node:zlib';
import { decodeDataUrl, verifyHash, type Json } from './ignition.js';
import { parseCloudConfig } from './parse.js';
import { renderCloudConfig, rootPath, type Change, type RootView, type UnitAction } from './render.js';
import type { User } from './schema.js';

type Obj = { [k: string]: Json };

const obj = (v: Json | undefined): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: Json | undefined): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const bool = (v: Json | undefined): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** One content resource to fetch: its JSON path and what it says. */
export interface Resource {
  path: string;
  source: string;
  compression: string;
  hash?: string;
}

/** Every resource the config's files name (contents and 3.x append lists). */
export function resourcesOf(cfg: Obj, spec: 2 | 3): Resource[] {
  const out: Resource[] = [];
  list(obj(cfg.storage).files).forEach((f, i) => {
    const file = obj(f);
    const add = (r: Obj, path: string): void => {
      const source = str(r.source);
      if (source === undefined) return;
      const hash = str(obj(r.verification).hash);
      out.push({ path, source, compression: str(r.compression) ?? '', ...(hash !== undefined ? { hash } : {}) });
    };
    add(obj(file.contents), `storage.files.${i}.contents`);
    if (spec === 3) list(file.append).forEach((a, j) => add(obj(a), `storage.files.${i}.append.${j}`));
  });
  return out;
}

export type Fetcher = (url: string) => Promise<{ ok: true; bytes: Uint8Array } | { ok: false; error: string }>;

/** Fetches, decompresses and verifies one resource; errors name its JSON path. */
export async function resolveResource(r: Resource, fetchUrl: Fetcher, oemDir: (p: string) => Uint8Array | undefined): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; error: string }> {
  let got: { ok: true; bytes: Uint8Array } | { ok: false; error: string };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(r.source)?.[1]?.toLowerCase() ?? '';
  if (scheme === 'data') got = decodeDataUrl(r.source);
  else if (scheme === 'http' || scheme === 'https') got = await fetchUrl(r.source);
  else if (scheme === 'oem') {
    // oem:///x.ign is usr/share/oem/x.ign on the machine (Container Linux).
    const p = r.source.replace(/^oem:\/\//i, '');
    const bytes = oemDir(p);
    got = bytes ? { ok: true, bytes } : { ok: false, error: `file /usr/share/oem${p} not found` };
  } else if (r.source === '') got = { ok: true, bytes: new Uint8Array(0) };
  else got = { ok: false, error: `unsupported source scheme ${JSON.stringify(scheme)} (coracle fetches data:, http:, https: and oem:)` };
  if (!got.ok) return { ok: false, error: `${r.path}.source: ${got.error}` };
  let bytes = got.bytes;
  if (r.compression === 'gzip') {
    try {
      bytes = new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      return { ok: false, error: `${r.path}.compression: cannot gunzip the contents: ${(e as Error).message}` };
    }
  } else if (r.compression !== '') {
    return { ok: false, error: `${r.path}.compression: unsupported compression ${JSON.stringify(r.compression)}` };
  }
  // The hash describes the decompressed contents.
  if (r.hash !== undefined) {
    const v = verifyHash(bytes, r.hash);
    if (!v.ok) return { ok: false, error: `${r.path}.verification.hash: ${v.error}` };
  }
  return { ok: true, bytes };
}

export interface IgnitionPlan {
  changes: Change[];
  /** enable/disable for the init (Ignition never starts units: boot does). */
  actions: (UnitAction | { action: 'disable'; unit: string })[];
  notes: string[];
  errors: string[];
}

export interface PlanOptions {
  /** Spec 2 wrote keys under "coreos-ignition", spec 3 under "ignition". */
  sshKeyName?: string;
  today?: number;
}

function owner(n: Obj): string | undefined {
  const u = obj(n.user);
  const g = obj(n.group);
  const user = int(u.id)?.toString() ?? str(u.name);
  const group = int(g.id)?.toString() ?? str(g.name);
  if (user === undefined && group === undefined) return undefined;
  return `${user ?? '0'}${group !== undefined ? `:${group}` : ''}`;
}

/** Whether something exists at the root-relative path (file, dir or link). */
export interface IgnitionRootView extends RootView {
  kind(path: string): 'file' | 'dir' | 'link' | 'other' | undefined;
  linkTarget(path: string): string | undefined;
}

/** Plans the whole config against the root. `contents` holds each resolved
 *  resource by its JSON path. Never throws. */
export function planIgnition(cfg: Obj, spec: 2 | 3, contents: ReadonlyMap<string, Uint8Array>, view: IgnitionRootView, o: PlanOptions = {}): IgnitionPlan {
  const plan: IgnitionPlan = { changes: [], actions: [], notes: [], errors: [] };
  const keyName = o.sshKeyName ?? (spec === 2 ? 'coreos-ignition' : 'ignition');

  // passwd: groups first, so users can name them.
  const passwd = obj(cfg.passwd);
  let groupText = view.read('etc/group') ?? '';
  let groupsChanged = false;
  list(passwd.groups).forEach((g, i) => {
    const grp = obj(g);
    const name = str(grp.name) ?? '';
    const lines = groupText.split('\n').filter((l) => l !== '');
    if (lines.some((l) => l.split(':')[0] === name)) {
      plan.notes.push(`group "${name}" exists`);
      return;
    }
    const used = new Set(lines.map((l) => Number(l.split(':')[2])));
    let gid = int(grp.gid);
    if (gid !== undefined && used.has(gid)) {
      plan.errors.push(`passwd.groups.${i}.gid: GID ${gid} is not unique`);
      return;
    }
    if (gid === undefined) {
      if (bool(grp.system)) for (gid = 999; used.has(gid); gid--);
      else for (gid = 1000; used.has(gid); gid++);
    }
    groupText = `${groupText}${groupText === '' || groupText.endsWith('\n') ? '' : '\n'}${name}:x:${gid}:\n`;
    groupsChanged = true;
    plan.notes.push(`created group "${name}" (gid ${gid})`);
  });
  if (groupsChanged) plan.changes.push(fileChange('etc/group', groupText, 0o644));

  const users = list(passwd.users).map((u): User => {
    const x = { ...obj(obj(u).create), ...obj(u) };
    const uid = int(x.uid);
    return {
      name: str(x.name) ?? '', passwd: str(x.passwordHash) ?? '', ssh_authorized_keys: list(x.sshAuthorizedKeys).flatMap((k) => (typeof k === 'string' ? [k] : [])),
      coreos_ssh_import_github: '', coreos_ssh_import_github_users: [], coreos_ssh_import_url: '',
      gecos: str(x.gecos) ?? '', homedir: str(x.homeDir) ?? '', no_create_home: bool(x.noCreateHome) ?? false,
      primary_group: str(x.primaryGroup) ?? '', groups: list(x.groups).flatMap((g) => (typeof g === 'string' ? [g] : [])),
      no_user_group: bool(x.noUserGroup) ?? false, system: bool(x.system) ?? false, no_log_init: bool(x.noLogInit) ?? false,
      shell: str(x.shell) ?? '', ...(uid !== undefined ? { uid } : {}),
    };
  });
  if (users.length > 0) {
    // The same useradd/update-ssh-keys model cloud-config uses, over the
    // root as it is once the groups above are written.
    const cc = parseCloudConfig('#cloud-config\n').config;
    cc.users = users;
    const overlay: RootView = { read: (p) => (p === 'etc/group' && groupsChanged ? groupText : view.read(p)), list: (d) => view.list(d) };
    const r = renderCloudConfig({ config: cc, fileContents: [] }, overlay, { sshKeyName: keyName, ...(o.today !== undefined ? { today: o.today } : {}) });
    if (r.error) {
      plan.errors.push(`passwd.users: ${r.error}`);
      return plan;
    }
    plan.changes.push(...r.changes);
    for (const n of r.notes ?? []) plan.notes.push(n.message);
  }

  // storage: directories, files, links (Ignition creates parents 0755).
  const storage = obj(cfg.storage);
  const overwriteDefault = spec === 2;
  const fsOk = (n: Obj, where: string): boolean => {
    if (spec === 3) return true;
    const fsName = str(n.filesystem);
    if (fsName === 'root') return true;
    plan.errors.push(`${where}.filesystem: filesystem ${JSON.stringify(fsName)} is not the root filesystem; coracle writes only into the machine root`);
    return false;
  };
  list(storage.directories).forEach((d, i) => {
    const n = obj(d);
    const where = `storage.directories.${i}`;
    if (!fsOk(n, where)) return;
    const path = rootPath(str(n.path) ?? '');
    const existing = view.kind(path);
    if (existing !== undefined && existing !== 'dir' && !(bool(n.overwrite) ?? overwriteDefault)) {
      plan.errors.push(`${where}.path: ${`/${path}`} exists and is not a directory (overwrite is false)`);
      return;
    }
    const own = owner(n);
    plan.changes.push({ kind: 'dir', path, mode: (int(n.mode) ?? 0o755) & 0o7777, ...(own ? { owner: own } : {}) });
    plan.notes.push(`created directory /${path}`);
  });
  list(storage.files).forEach((f, i) => {
    const n = obj(f);
    const where = `storage.files.${i}`;
    if (!fsOk(n, where)) return;
    const path = rootPath(str(n.path) ?? '');
    const overwrite = bool(n.overwrite) ?? overwriteDefault;
    const existing = view.kind(path);
    const hasSource = str(obj(n.contents).source) !== undefined;
    const own = owner(n);
    const mode = (int(n.mode) ?? 0o644) & 0o7777;
    const append = spec === 2 ? bool(n.append) === true : list(n.append).length > 0;
    let data: Uint8Array | undefined = contents.get(`${where}.contents`);
    if (existing !== undefined && existing !== 'file' && !overwrite) {
      plan.errors.push(`${where}.path: /${path} exists and is not a regular file (overwrite is false)`);
      return;
    }
    if (existing === 'file' && !overwrite && hasSource && !append) {
      plan.errors.push(`${where}.path: refusing to overwrite the existing file /${path} (overwrite is false)`);
      return;
    }
    if (spec === 3 && append) {
      const base = data ?? (existing === 'file' ? new TextEncoder().encode(view.read(path) ?? '') : new Uint8Array(0));
      const parts = [base, ...list(n.append).map((_a, j) => contents.get(`${where}.append.${j}`) ?? new Uint8Array(0))];
      data = Buffer.concat(parts);
    } else if (spec === 2 && append && existing === 'file') {
      data = Buffer.concat([new TextEncoder().encode(view.read(path) ?? ''), data ?? new Uint8Array(0)]);
    } else if (data === undefined) {
      // No contents: an existing file keeps its bytes; a new one is empty.
      data = existing === 'file' ? new TextEncoder().encode(view.read(path) ?? '') : new Uint8Array(0);
    }
    plan.changes.push({ kind: 'file', path, content: Buffer.from(data).toString('utf8'), data, mode, ...(own ? { owner: own } : {}) });
    plan.notes.push(`wrote file /${path}`);
  });
  list(storage.links).forEach((l, i) => {
    const n = obj(l);
    const where = `storage.links.${i}`;
    if (!fsOk(n, where)) return;
    const path = rootPath(str(n.path) ?? '');
    const target = str(n.target) ?? '';
    const hard = bool(n.hard) === true;
    const existing = view.kind(path);
    if (existing !== undefined && !(bool(n.overwrite) ?? overwriteDefault)) {
      if (existing === 'link' && !hard && view.linkTarget(path) === target) return;
      plan.errors.push(`${where}.path: /${path} exists (overwrite is false)`);
      return;
    }
    const own = owner(n);
    plan.changes.push({ kind: 'link', path, target: hard ? rootPath(target) : target, hard, ...(own ? { owner: own } : {}) });
    plan.notes.push(`created ${hard ? 'hard' : 'symbolic'} link /${path} -> ${target}`);
  });

  // systemd units: written to etc/systemd/system; enable via the init.
  list(obj(cfg.systemd).units).forEach((u) => {
    const unit = obj(u);
    const name = str(unit.name) ?? '';
    const dir = 'etc/systemd/system';
    const text = str(unit.contents);
    if (text !== undefined && text !== '') {
      plan.changes.push(fileChange(`${dir}/${name}`, text, 0o644));
      plan.notes.push(`wrote unit ${name}`);
    }
    for (const d of list(unit.dropins)) {
      const dn = str(obj(d).name) ?? '';
      const dc = str(obj(d).contents);
      if (dc === undefined) continue;
      plan.changes.push(fileChange(`${dir}/${name}.d/${dn}`, dc, 0o644));
      plan.notes.push(`wrote drop-in ${name}.d/${dn}`);
    }
    if (bool(unit.mask) === true) {
      plan.changes.push({ kind: 'mask', path: `${dir}/${name}` });
      plan.notes.push(`masked unit ${name}`);
    }
    const enabled = bool(unit.enabled);
    if (enabled === true || (spec === 2 && bool(unit.enable) === true)) plan.actions.push({ action: 'enable', unit: name, runtime: false });
    else if (enabled === false) plan.actions.push({ action: 'disable', unit: name });
  });
  // Ignition records enablement as a preset (systemd applies presets on a
  // first boot); coracle also makes the links now, see machine.ts.
  if (plan.actions.length > 0) {
    const lines = plan.actions.map((a) => `${a.action} ${a.action === 'daemon-reload' ? '' : a.unit}\n`).join('');
    plan.changes.push(fileChange('etc/systemd/system-preset/20-ignition.preset', lines, 0o644));
  }
  // networkd units (spec 2 only; 3.x writes them as files).
  list(obj(cfg.networkd).units).forEach((u) => {
    const unit = obj(u);
    const name = str(unit.name) ?? '';
    const dir = 'etc/systemd/network';
    const text = str(unit.contents);
    if (text !== undefined && text !== '') plan.changes.push(fileChange(`${dir}/${name}`, text, 0o644));
    for (const d of list(unit.dropins)) {
      const dc = str(obj(d).contents);
      if (dc !== undefined) plan.changes.push(fileChange(`${dir}/${name}.d/${str(obj(d).name) ?? ''}`, dc, 0o644));
    }
    plan.notes.push(`wrote network unit ${name}`);
  });
  return plan;
}

function fileChange(path: string, text: string, mode: number): Change {
  return { kind: 'file', path, content: text, data: new TextEncoder().encode(text), mode };
}

// ---------------------------------------------------------------------------
// ignition.config: replace and append (2.x) / merge (3.x).

/** The config references a config names, by JSON path. */
export function configRefsOf(cfg: Obj, spec: 2 | 3): { replace?: Resource; children: Resource[] } {
  const c = obj(obj(cfg.ignition).config);
  const ref = (r: Json | undefined, path: string): Resource | undefined => {
    const source = str(obj(r).source);
    if (source === undefined) return undefined;
    const hash = str(obj(obj(r).verification).hash);
    return { path, source, compression: str(obj(r).compression) ?? '', ...(hash !== undefined ? { hash } : {}) };
  };
  const replace = ref(c.replace, 'ignition.config.replace');
  const key = spec === 2 ? 'append' : 'merge';
  const children = list(c[key]).flatMap((r, i) => {
    const x = ref(r, `ignition.config.${key}.${i}`);
    return x ? [x] : [];
  });
  return { ...(replace ? { replace } : {}), children };
}

/** Keys that identify a list entry when 3.x merges configs. */
const MERGE_KEYS: Record<string, string> = {
  'storage.files': 'path', 'storage.directories': 'path', 'storage.links': 'path',
  'systemd.units': 'name', 'passwd.users': 'name', 'passwd.groups': 'name', 'networkd.units': 'name',
};

/** A child config merged over its parent: lists appended (2.x) or merged by
 *  key (3.x, the child's entry replacing the parent's), objects merged, the
 *  child's scalars winning. The references themselves are dropped. */
export function mergeConfigs(parent: Obj, child: Obj, spec: 2 | 3, at = ''): Obj {
  const out: Obj = { ...parent };
  for (const [k, v] of Object.entries(child)) {
    const p = at ? `${at}.${k}` : k;
    if (p === 'ignition.config' || p === 'ignition.version') continue;
    const old = out[k];
    if (Array.isArray(v) && Array.isArray(old)) {
      const key = spec === 3 ? MERGE_KEYS[p] : undefined;
      if (key) {
        const merged = [...old];
        for (const item of v) {
          const id = obj(item)[key];
          const i = merged.findIndex((x) => obj(x)[key] === id);
          if (i >= 0) merged[i] = item;
          else merged.push(item);
        }
        out[k] = merged;
      } else out[k] = [...old, ...v];
    } else if (v && typeof v === 'object' && !Array.isArray(v) && old && typeof old === 'object' && !Array.isArray(old)) {
      out[k] = mergeConfigs(old, v, spec, p);
    } else out[k] = v;
  }
  return out;
}
