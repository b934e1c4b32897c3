// What applying a cloud-config does to a machine, as data: the files,
// directories, masks and unit actions, in the order of the original's
// initialize.Apply. Pure: the current state of the machine root comes in
// through a RootView and nothing here touches the filesystem; apply.ts
// writes the result and the init carries out the unit actions.
import { goFloat, goQuote } from './gofmt.js';
import type { ParsedCloudConfig } from './parse.js';
import {
  ETCD2_FIELDS,
  ETCD_FIELDS,
  FLANNEL_FIELDS,
  FLEET_FIELDS,
  LOCKSMITH_FIELDS,
  UPDATE_FIELDS,
  VALID_SOURCE,
  type CloudConfig,
  type Field,
  type Unit,
} from './schema.js';
import type { Substitutions } from './substitute.js';
import { addUser, findUser, groupName, keySetContent, mergeAuthorizedKeys, setPasswordHash } from './users.js';
import { cleanPath as goPathClean } from '../common/gopath.js';

/** Read access to the machine root as it is before applying. Paths are
 *  relative to the root, without a leading slash. */
export interface RootView {
  read(path: string): string | undefined;
  /** Names in a directory, or undefined when it does not exist. */
  list(dir: string): string[] | undefined;
}

export type Change =
  | { kind: 'file'; path: string; content: string; data: Uint8Array; mode: number; owner?: string }
  | { kind: 'dir'; path: string; mode: number; owner?: string }
  /** Replace whatever is at path with a symlink to /dev/null. */
  | { kind: 'mask'; path: string }
  /** Remove path if it is an empty file or a character device (/dev/null). */
  | { kind: 'unmask'; path: string }
  /** A symbolic link (target as written) or a hard link (target inside the root). */
  | { kind: 'link'; path: string; target: string; hard: boolean; owner?: string };

export type UnitCommand = 'start' | 'stop' | 'restart' | 'reload' | 'try-restart' | 'reload-or-restart' | 'reload-or-try-restart';

export type UnitAction =
  | { action: 'enable'; unit: string; runtime: boolean }
  | { action: 'daemon-reload' }
  | { action: 'command'; command: UnitCommand; unit: string; networkd?: true };

export interface Rendered {
  changes: Change[];
  /** For the init, in order, after the changes are written. */
  actions: UnitAction[];
  /** Where the original would have stopped applying, with its message. The
   *  changes before that point are kept, as the original had made them. */
  error?: string;
  /** The lines the original logged while applying: each is printed once the
   *  first `at` changes are written. */
  notes?: Note[];
}

export interface Note {
  at: number;
  message: string;
}

export interface RenderOptions {
  /** The name of the key set in authorized_keys.d (--ssh-key-name). */
  sshKeyName?: string;
  /** Address values used for the /etc/environment merge. */
  substitutions?: Substitutions;
  /** The datasource's hostname, used when the config sets none. */
  metadataHostname?: string;
  /** The datasource's SSH keys, appended to the core user's. */
  metadataSshKeys?: readonly string[];
  /** The machine's hostname before applying, for manage_etc_hosts. */
  currentHostname?: string;
  /** Days since the epoch, for /etc/shadow's last-change field. */
  today?: number;
}

export const DEFAULT_SSH_KEY_NAME = 'coreos-cloudinit';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Root-relative form of an absolute or relative path; never escapes the root. */
export function rootPath(p: string): string {
  return goPathClean(`/${p}`).slice(1);
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** The root as it will be once the changes so far are written. */
class Overlay implements RootView {
  private files = new Map<string, string>();
  constructor(private readonly base: RootView) {}
  set(path: string, content: string): void {
    this.files.set(path, content);
  }
  read(path: string): string | undefined {
    return this.files.get(path) ?? this.base.read(path);
  }
  list(dir: string): string[] | undefined {
    const mine = [...this.files.keys()].filter((p) => dirname(p) === dir).map((p) => p.slice(dir.length + 1));
    const base = this.base.list(dir);
    if (!base && mine.length === 0) return undefined;
    return [...new Set([...(base ?? []), ...mine])];
  }
}

class Out {
  changes: Change[] = [];
  notes: Note[] = [];
  constructor(readonly root: Overlay) {}
  note(message: string): void {
    this.notes.push({ at: this.changes.length, message });
  }
  file(path: string, content: string | Uint8Array, mode: number, owner?: string): void {
    const data = typeof content === 'string' ? utf8(content) : content;
    const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
    this.changes.push({ kind: 'file', path, content: text, data, mode, ...(owner ? { owner } : {}) });
    this.root.set(path, text);
  }
  dir(path: string, mode: number, owner?: string): void {
    this.changes.push({ kind: 'dir', path, mode, ...(owner ? { owner } : {}) });
  }
}

class Abort extends Error {}

/** Renders a parsed cloud-config against the current root. Never throws. */
export function renderCloudConfig(parsed: ParsedCloudConfig, view: RootView, options: RenderOptions = {}): Rendered {
  const out = new Out(new Overlay(view));
  const actions: UnitAction[] = [];
  const cfg = mergeMetadata(parsed.config, options);
  try {
    renderHostname(cfg, out);
    renderUsers(cfg, out, options);
    renderFiles(cfg, parsed.fileContents, out, options);
    const units = renderUnits(cfg, out);
    actions.push(...units.actions);
    return { changes: out.changes, actions, notes: out.notes, ...(units.error ? { error: units.error } : {}) };
  } catch (e) {
    if (e instanceof Abort) return { changes: out.changes, actions, notes: out.notes, error: e.message };
    return { changes: out.changes, actions, notes: out.notes, error: e instanceof Error ? e.message : String(e) };
  }
}

/** mergeConfigs: the datasource's hostname when the config has none, and
 *  its SSH keys added to the config's. */
function mergeMetadata(c: CloudConfig, o: RenderOptions): CloudConfig {
  return {
    ...c,
    hostname: c.hostname !== '' ? c.hostname : o.metadataHostname ?? '',
    ssh_authorized_keys: [...c.ssh_authorized_keys, ...(o.metadataSshKeys ?? [])],
  };
}

function renderHostname(cfg: CloudConfig, out: Out): void {
  if (cfg.hostname === '') return;
  out.file('etc/hostname', `${cfg.hostname}\n`, 0o644);
  out.note(`Set hostname to ${cfg.hostname}`);
}

// ---------------------------------------------------------------------------
// Users and SSH keys.

function renderUsers(cfg: CloudConfig, out: Out, o: RenderOptions): void {
  const keyName = o.sshKeyName ?? DEFAULT_SSH_KEY_NAME;
  for (const u of cfg.users) {
    if (u.name === '') {
      out.note("User object has no 'name' field, skipping");
      continue;
    }
    const files = {
      passwd: out.root.read('etc/passwd') ?? '',
      shadow: out.root.read('etc/shadow') ?? '',
      group: out.root.read('etc/group') ?? '',
    };
    if (findUser(files.passwd, u.name)) {
      // An existing user only gets its password; creation-time fields are ignored.
      out.note(`User '${u.name}' exists, ignoring creation-time fields`);
      if (u.passwd !== '') out.note(`Setting '${u.name}' user's password`);
      if (u.passwd !== '') out.file('etc/shadow', setPasswordHash(files.shadow, u.name, u.passwd, o.today), 0o640);
    } else {
      out.note(`Creating user '${u.name}'`);
      const r = addUser(files, u, o.today);
      if (!r.ok) throw new Abort(r.error);
      out.file('etc/passwd', r.files.passwd, 0o644);
      out.file('etc/shadow', r.files.shadow, 0o640);
      out.file('etc/group', r.files.group, 0o644);
      if (r.createHome) out.dir(rootPath(r.entry.home), 0o755, `${r.entry.uid}:${r.entry.gid}`);
    }
    if (u.ssh_authorized_keys.length > 0) {
      out.note(`Authorizing ${u.ssh_authorized_keys.length} SSH keys for user '${u.name}'`);
      authorizeKeys(u.name, keyName, u.ssh_authorized_keys, out);
    }
  }
  if (cfg.ssh_authorized_keys.length > 0) {
    authorizeKeys('core', keyName, cfg.ssh_authorized_keys, out);
    out.note('Authorized SSH keys for core user');
  }
}

/** update-ssh-keys -u user -a name: the key set, then authorized_keys. */
function authorizeKeys(user: string, keyName: string, keys: readonly string[], out: Out): void {
  const passwd = out.root.read('etc/passwd') ?? '';
  const entry = findUser(passwd, user);
  // A root without the user in etc/passwd still gets the keys under
  // home/<user>, where a CoreOS machine kept them.
  const home = rootPath(entry?.home ?? `/home/${user}`);
  const group = entry ? groupName(out.root.read('etc/group') ?? '', entry.gid) ?? String(entry.gid) : user;
  const owner = `${user}:${group}`;
  const sshDir = `${home}/.ssh`;
  const keysDir = `${sshDir}/authorized_keys.d`;
  const existing = out.root.list(keysDir);
  out.dir(sshDir, 0o700, owner);
  out.dir(keysDir, 0o700, owner);
  if (existing === undefined) {
    // First run: keep keys someone put there by hand.
    const old = out.root.read(`${sshDir}/authorized_keys`);
    if (old !== undefined) out.file(`${keysDir}/old_authorized_keys`, old, 0o600, owner);
  }
  const current = out.root.read(`${keysDir}/${keyName}`);
  // An empty set was disabled with update-ssh-keys -D; -a leaves it alone.
  if (current !== '') out.file(`${keysDir}/${keyName}`, keySetContent(keys), 0o600, owner);
  const sets = new Map<string, string>();
  for (const n of out.root.list(keysDir) ?? []) sets.set(n, out.root.read(`${keysDir}/${n}`) ?? '');
  const merged = mergeAuthorizedKeys(sets);
  if (merged === null) throw new Abort(`Call to update-ssh-keys failed: no keys found in /${keysDir}`);
  out.file(`${sshDir}/authorized_keys`, merged, 0o600, owner);
}

// ---------------------------------------------------------------------------
// Files: write_files, then the generated ones, then /etc/environment.

/** File.Permissions: octal text, default 0644; only the permission bits reach chmod. */
export function fileMode(permissions: string): number | string {
  if (permissions === '') return 0o644;
  const m = /^([+-]?)([0-7]+)$/.exec(permissions);
  const v = m ? (m[1] === '-' ? -1 : 1) * parseInt(m[2], 8) : NaN;
  if (!m || !Number.isFinite(v) || v > 0x7fffffff || v < -0x80000000) {
    return `Unable to parse file permissions ${goQuote(permissions)} as integer`;
  }
  return (v >>> 0) & 0o777;
}

function renderFiles(cfg: CloudConfig, contents: readonly Uint8Array[], out: Out, o: RenderOptions): void {
  // The generated files are computed before anything is written, so their
  // errors stop the apply before write_files land, as in the original.
  const generated: { path: string; content: string }[] = [];
  const oem = oemRelease(cfg);
  const update = updateConf(cfg, out.root);
  const hosts = etcHosts(cfg, o);
  const flannel = flannelEnv(cfg);
  for (const g of [oem, update, hosts, flannel]) if (g) generated.push(g);

  let wroteEnvironment = false;
  cfg.write_files.forEach((f, i) => {
    const mode = fileMode(f.permissions);
    if (typeof mode === 'string') throw new Abort(mode);
    out.file(rootPath(f.path), contents[i] ?? utf8(f.content), mode, f.owner !== '' ? f.owner : undefined);
    out.note(`Wrote file ${goPathClean(`/${f.path}`)} to filesystem`);
    if (goPathClean(f.path) === '/etc/environment') wroteEnvironment = true;
  });
  for (const g of generated) {
    out.file(g.path, g.content, 0o644);
    out.note(`Wrote file /${g.path} to filesystem`);
  }
  if (!wroteEnvironment && o.substitutions) {
    const env = environmentFile(out.root.read('etc/environment') ?? '', o.substitutions);
    if (env !== null) {
      out.file('etc/environment', env, 0o644);
      out.note('Updated /etc/environment');
    }
  }
}

function oemRelease(cfg: CloudConfig): { path: string; content: string } | null {
  const oem = cfg.coreos.oem;
  if (oem.id === '') return null;
  const content =
    `ID=${oem.id}\n` +
    `VERSION_ID=${oem.version_id}\n` +
    `NAME=${goQuote(oem.name)}\n` +
    `HOME_URL=${goQuote(oem.home_url)}\n` +
    `BUG_REPORT_URL=${goQuote(oem.bug_report_url)}\n`;
  return { path: 'etc/oem-release', content };
}

const GO_FIELD_NAMES: Record<string, string> = { reboot_strategy: 'RebootStrategy', group: 'Group', server: 'Server' };

/** /etc/coreos/update.conf: the existing lines, with a line that starts with
 *  a key being set replaced by KEY=value; keys not found appended, sorted. */
export function mergeUpdateConf(existing: string, update: Readonly<Record<string, string>>): string {
  const subs = new Map<string, string>();
  for (const f of UPDATE_FIELDS) {
    const v = update[f.name] ?? '';
    if (v !== '' && f.env) subs.set(f.env, `${f.env}=${v}`);
  }
  const lines = existing.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let out = '';
  for (const raw of lines) {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    for (const [env, value] of subs) {
      if (line.startsWith(env)) {
        line = value;
        subs.delete(env);
        break;
      }
    }
    out += `${line}\n`;
  }
  for (const key of [...subs.keys()].sort()) out += `${subs.get(key)}\n`;
  return out;
}

function updateConf(cfg: CloudConfig, root: RootView): { path: string; content: string } | null {
  const u = cfg.coreos.update;
  if (u.reboot_strategy === '' && u.group === '' && u.server === '') return null;
  for (const f of UPDATE_FIELDS) {
    const v = (u as unknown as Record<string, string>)[f.name];
    if (f.valid && v !== '' && !f.valid.test(v)) {
      const src = VALID_SOURCE.get(f.valid) ?? '';
      throw new Abort(`invalid value ${goQuote(v)} for option ${goQuote(GO_FIELD_NAMES[f.name])} (valid options: ${goQuote(src)})`);
    }
  }
  // Deliberate difference: with neither file present the original failed to
  // open /usr/share/coreos/update.conf; coracle starts from an empty file.
  const base = root.read('etc/coreos/update.conf') ?? root.read('usr/share/coreos/update.conf') ?? '';
  return { path: 'etc/coreos/update.conf', content: mergeUpdateConf(base, u as unknown as Record<string, string>) };
}

function etcHosts(cfg: CloudConfig, o: RenderOptions): { path: string; content: string } | null {
  if (cfg.manage_etc_hosts === '') return null;
  if (cfg.manage_etc_hosts !== 'localhost') throw new Abort('Invalid option to manage_etc_hosts');
  // The original asked the OS, whose hostname it had just set.
  const hostname = cfg.hostname !== '' ? cfg.hostname : o.currentHostname ?? 'localhost';
  return { path: 'etc/hosts', content: `127.0.0.1 ${hostname}\n` };
}

function flannelEnv(cfg: CloudConfig): { path: string; content: string } | null {
  const vars = envVars(FLANNEL_FIELDS, cfg.coreos.flannel as unknown as Record<string, unknown>);
  if (vars.length === 0) return null;
  return { path: 'run/flannel/options.env', content: vars.join('\n') };
}

/** mergeEnvContents: existing lines kept in order, a KEY= line replaced by a
 *  pending value, the rest appended sorted by key. */
export function mergeEnvironment(old: string, pending: ReadonlyMap<string, string>): string {
  const left = new Map(pending);
  let text = old;
  if (text.length > 0 && !text.endsWith('\n')) text += '\n';
  let out = '';
  for (const m of text.matchAll(/^((?:([a-zA-Z0-9_]+)=)?.*?)\r?\n/gm)) {
    const key = m[2] ?? '';
    const v = left.get(key);
    if (m[2] !== undefined && v !== undefined) {
      out += `${key}=${v}\n`;
      left.delete(key);
    } else out += `${m[1]}\n`;
  }
  for (const key of [...left.keys()].sort()) out += `${key}=${left.get(key)}\n`;
  return out;
}

export function environmentFile(old: string, subs: Substitutions): string | null {
  const pending = new Map<string, string>();
  if (subs.$public_ipv4 !== '') pending.set('COREOS_PUBLIC_IPV4', subs.$public_ipv4);
  if (subs.$private_ipv4 !== '') pending.set('COREOS_PRIVATE_IPV4', subs.$private_ipv4);
  if (subs.$public_ipv6 !== '') pending.set('COREOS_PUBLIC_IPV6', subs.$public_ipv6);
  if (subs.$private_ipv6 !== '') pending.set('COREOS_PRIVATE_IPV6', subs.$private_ipv6);
  if (pending.size === 0) return null;
  const merged = mergeEnvironment(old, pending);
  return merged === old ? null : merged;
}

// ---------------------------------------------------------------------------
// Units.

/** KEY=value for every field that is not its zero value, in schema order,
 *  values printed as Go's %v. */
export function envVars(fields: readonly Field[], section: Readonly<Record<string, unknown>>): string[] {
  const vars: string[] = [];
  for (const f of fields) {
    const v = section[f.name];
    if (v === '' || v === 0 || v === false || v === undefined || !f.env) continue;
    const text = typeof v === 'number' ? (f.type.k === 'float' ? goFloat(v) : String(v)) : String(v);
    vars.push(`${f.env}=${text}`);
  }
  return vars;
}

/** The body of a generated 20-cloudinit.conf drop-in, or "" when the section is empty. */
export function serviceContents(fields: readonly Field[], section: Readonly<Record<string, unknown>>): string {
  const vars = envVars(fields, section);
  if (vars.length === 0) return '';
  return `[Service]\n${vars.map((v) => `Environment="${v}"\n`).join('')}`;
}

const asRecord = (x: object): Record<string, unknown> => x as unknown as Record<string, unknown>;

function zeroUnit(name: string): Unit {
  return { name, mask: false, enable: false, runtime: false, content: '', command: '', drop_ins: [] };
}

function generatedUnit(name: string, content: string): Unit {
  return { ...zeroUnit(name), runtime: true, drop_ins: [{ name: '20-cloudinit.conf', content }] };
}

/** The units the original derived from coreos.etcd/etcd2/fleet/locksmith/update. */
export function generatedUnits(cfg: CloudConfig): Unit[] {
  const c = cfg.coreos;
  const units = [
    generatedUnit('etcd.service', serviceContents(ETCD_FIELDS, asRecord(c.etcd))),
    generatedUnit('etcd2.service', serviceContents(ETCD2_FIELDS, asRecord(c.etcd2))),
    generatedUnit('fleet.service', serviceContents(FLEET_FIELDS, asRecord(c.fleet))),
    generatedUnit('locksmithd.service', serviceContents(LOCKSMITH_FIELDS, asRecord(c.locksmith))),
  ];
  if (c.update.reboot_strategy !== '') {
    const off = c.update.reboot_strategy === 'off';
    units.push({ ...zeroUnit('locksmithd.service'), runtime: true, command: off ? 'stop' : 'restart', mask: off });
  }
  if (c.update.group !== '' || c.update.server !== '') units.push({ ...zeroUnit('update-engine.service'), command: 'restart' });
  return units;
}

export function unitGroup(name: string): 'network' | 'system' {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  const ext = dot < 0 ? '' : base.slice(dot + 1);
  return ext === 'network' || ext === 'netdev' || ext === 'link' ? 'network' : 'system';
}

function unitPrefix(u: Unit): string {
  return `${u.runtime ? 'run' : 'etc'}/systemd/${unitGroup(u.name)}`;
}

const COMMANDS: readonly string[] = ['start', 'stop', 'restart', 'reload', 'try-restart', 'reload-or-restart', 'reload-or-try-restart'];

function renderUnits(cfg: CloudConfig, out: Out): { actions: UnitAction[]; error?: string } {
  const units = [...cfg.coreos.units, ...generatedUnits(cfg)];
  const enables: UnitAction[] = [];
  const commands: UnitAction[] = [];
  let reload = false;
  let restartNetworkd = false;
  let badCommand: string | null = null;
  for (const u of units) {
    if (u.name === '') {
      out.note('Skipping unit without name');
      continue;
    }
    const prefix = unitPrefix(u);
    const path = rootPath(`${prefix}/${u.name}`);
    if (u.content !== '') {
      out.note(`Writing unit ${goQuote(u.name)} to filesystem`);
      out.file(path, u.content, 0o644);
      out.note(`Wrote unit ${goQuote(u.name)}`);
      reload = true;
    }
    for (const d of u.drop_ins) {
      if (d.name === '' || d.content === '') continue;
      out.note(`Writing drop-in unit ${goQuote(d.name)} to filesystem`);
      out.file(rootPath(`${prefix}/${u.name}.d/${d.name}`), d.content, 0o644);
      out.note(`Wrote drop-in unit ${goQuote(d.name)}`);
      reload = true;
    }
    if (u.mask) {
      out.note(`Masking unit file ${goQuote(u.name)}`);
      out.changes.push({ kind: 'mask', path });
    } else if (u.runtime) {
      out.note(`Ensuring runtime unit file ${goQuote(u.name)} is unmasked`);
      out.changes.push({ kind: 'unmask', path });
    }
    if (u.enable && unitGroup(u.name) === 'network') out.note(`Skipping enable for network-like unit ${goQuote(u.name)}`);
    const network = unitGroup(u.name) === 'network';
    if (u.enable && !network) enables.push({ action: 'enable', unit: u.name, runtime: u.runtime });
    if (network) restartNetworkd = true;
    else if (u.command !== '') commands.push({ action: 'command', command: u.command as UnitCommand, unit: u.name });
    if (u.command !== '' && !network && !COMMANDS.includes(u.command) && !badCommand) badCommand = u.command;
  }
  const actions: UnitAction[] = [...enables];
  if (reload) actions.push({ action: 'daemon-reload' });
  if (restartNetworkd) actions.push({ action: 'command', command: 'restart', unit: 'systemd-networkd.service', networkd: true });
  // The original ran the commands in order and stopped at one it did not know.
  const bad = commands.findIndex((c) => c.action === 'command' && !COMMANDS.includes(c.command));
  if (bad >= 0 && badCommand !== null) {
    actions.push(...commands.slice(0, bad));
    return { actions, error: `Unsupported systemd command ${goQuote(badCommand)}` };
  }
  actions.push(...commands);
  return { actions };
}
