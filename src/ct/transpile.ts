// ct, the Container Linux Config transpiler, as a pure function: CLC YAML in,
// Ignition 2.3.0 JSON out (or a report that says why not), the way
// coreos/container-linux-config-transpiler (final release) did it:
// go-yaml v2 decoding (YAML 1.1 scalars, exact keys), its validators and
// messages with line and column, the converters in ct's registration order
// (generated units before the user's, the generated update.conf after the
// user's files) and Go's JSON field order and escaping.
import { LineCounter, Pair, parseDocument, Scalar, YAMLMap, YAMLSeq, isMap, isScalar, isSeq, type Node } from 'yaml';
import { parseIgnition } from '../cloudinit/ignition.js';
import { goQuote } from '../cloudinit/gofmt.js';
import { etcdOptionsFor, flannelOptionsFor, parseSemver, PLATFORMS, TEMPLATE_VARS, type Option, type Semver } from './options.js';

export type EntryKind = 'error' | 'warning' | 'info' | 'deprecated';

export interface CtEntry {
  kind: EntryKind;
  message: string;
  /** 1-based; 0 when the original had no position for it. */
  line: number;
  column: number;
}

export interface CtResult {
  /** The Ignition config, when nothing fatal was found. */
  config?: Record<string, unknown>;
  /** Entries of the parse stage (printed, then "Failed to parse config" if fatal). */
  parseReport: CtEntry[];
  /** Entries of the convert stage. */
  convertReport: CtEntry[];
}

/** report.Entry.String() joined as report.String() did. */
export function formatReport(entries: readonly CtEntry[]): string {
  return entries.map((e) => (e.line !== 0 ? `${e.kind} at line ${e.line}, column ${e.column}\n${e.message}` : `${e.kind}: ${e.message}`)).join('\n');
}

export const isFatal = (entries: readonly CtEntry[]): boolean => entries.some((e) => e.kind === 'error');

// ---------------------------------------------------------------------------
// Decoding: the YAML tree into typed values, as go-yaml v2 did into ct's structs.

type Shape =
  | { k: 'string' }
  | { k: 'int' }
  | { k: 'bool' }
  | { k: 'struct'; go: string; fields: Record<string, Shape> }
  | { k: 'list'; go: string; of: Shape }
  | { k: 'versioned'; go: string; which: 'etcd' | 'flannel' };

const STR: Shape = { k: 'string' };
const INT: Shape = { k: 'int' };
const BOOL: Shape = { k: 'bool' };
const struct = (go: string, fields: Record<string, Shape>): Shape => ({ k: 'struct', go, fields });
const listOf = (go: string, of: Shape): Shape => ({ k: 'list', go, of });

const VERIFICATION = struct('types.Verification', { hash: struct('types.Hash', { function: STR, sum: STR }) });
const CONFIG_REF = struct('types.ConfigReference', { source: STR, verification: VERIFICATION });
const FILE_OWNER = (go: string): Shape => struct(go, { id: INT, name: STR });
const CLC: Shape = struct('types.Config', {
  version: INT,
  ignition: struct('types.Ignition', {
    config: struct('types.IgnitionConfig', { append: listOf('[]types.ConfigReference', CONFIG_REF), replace: CONFIG_REF }),
    timeouts: struct('types.Timeouts', { http_response_headers: INT, http_total: INT }),
    security: struct('types.Security', {
      tls: struct('types.TLS', { certificate_authorities: listOf('[]types.CaReference', struct('types.CaReference', { source: STR, verification: VERIFICATION })) }),
    }),
  }),
  storage: struct('types.Storage', {
    disks: listOf('[]types.Disk', struct('types.Disk', {})),
    raid: listOf('[]types.Raid', struct('types.Raid', {})),
    filesystems: listOf('[]types.Filesystem', struct('types.Filesystem', {})),
    files: listOf('[]types.File', struct('types.File', {
      filesystem: STR, path: STR, user: FILE_OWNER('types.FileUser'), group: FILE_OWNER('types.FileGroup'), mode: INT,
      contents: struct('types.FileContents', {
        remote: struct('types.Remote', { url: STR, compression: STR, verification: VERIFICATION }), inline: STR, local: STR,
      }),
      overwrite: BOOL, append: BOOL,
    })),
    directories: listOf('[]types.Directory', struct('types.Directory', {
      filesystem: STR, path: STR, user: FILE_OWNER('types.FileUser'), group: FILE_OWNER('types.FileGroup'), mode: INT, overwrite: BOOL,
    })),
    links: listOf('[]types.Link', struct('types.Link', {
      filesystem: STR, path: STR, user: FILE_OWNER('types.FileUser'), group: FILE_OWNER('types.FileGroup'), hard: BOOL, target: STR, overwrite: BOOL,
    })),
  }),
  systemd: struct('types.Systemd', {
    units: listOf('[]types.SystemdUnit', struct('types.SystemdUnit', {
      name: STR, enable: BOOL, enabled: BOOL, mask: BOOL, contents: STR,
      dropins: listOf('[]types.SystemdUnitDropIn', struct('types.SystemdUnitDropIn', { name: STR, contents: STR })),
    })),
  }),
  networkd: struct('types.Networkd', {
    units: listOf('[]types.NetworkdUnit', struct('types.NetworkdUnit', {
      name: STR, contents: STR, dropins: listOf('[]types.NetworkdUnitDropIn', struct('types.NetworkdUnitDropIn', { name: STR, contents: STR })),
    })),
  }),
  passwd: struct('types.Passwd', {
    users: listOf('[]types.User', struct('types.User', {
      name: STR, password_hash: STR, ssh_authorized_keys: listOf('[]string', STR),
      create: struct('types.UserCreate', {
        uid: INT, gecos: STR, home_dir: STR, no_create_home: BOOL, primary_group: STR, groups: listOf('[]string', STR),
        no_user_group: BOOL, system: BOOL, no_log_init: BOOL, shell: STR,
      }),
      uid: INT, gecos: STR, home_dir: STR, no_create_home: BOOL, primary_group: STR, groups: listOf('[]string', STR),
      no_user_group: BOOL, system: BOOL, no_log_init: BOOL, shell: STR,
    })),
    groups: listOf('[]types.Group', struct('types.Group', { name: STR, gid: INT, password_hash: STR, system: BOOL })),
  }),
  etcd: { k: 'versioned', go: 'types.Etcd', which: 'etcd' },
  flannel: { k: 'versioned', go: 'types.Flannel', which: 'flannel' },
  update: struct('types.Update', { group: STR, server: STR }),
  docker: struct('types.Docker', { flags: listOf('[]string', STR) }),
  locksmith: struct('types.Locksmith', {
    reboot_strategy: STR, window_start: STR, window_length: STR, group: STR, etcd_endpoints: STR, etcd_cafile: STR,
    etcd_certfile: STR, etcd_keyfile: STR,
  }),
});

/** A decoded value with the node it came from. */
type D =
  | { t: 'scalar'; node: Node; v: string | number | boolean }
  | { t: 'struct'; node: Node; f: Record<string, D>; keys: { key: string; line: number; col: number }[]; unknown: { key: string; line: number; col: number }[] }
  | { t: 'list'; node: Node; items: D[] };

class Decoder {
  errors: string[] = [];
  constructor(private lc: LineCounter) {}

  pos(node: Node | null | undefined): { line: number; col: number } {
    const off = node?.range?.[0] ?? 0;
    const p = this.lc.linePos(off);
    return { line: p.line, col: p.col };
  }

  /** go-yaml's tag name for a node, for its "cannot unmarshal" message. */
  private tagOf(node: Node): string {
    if (isMap(node)) return '!!map';
    if (isSeq(node)) return '!!seq';
    const s = node as Scalar;
    if (s.value === null) return '!!null';
    if (typeof s.value === 'boolean') return '!!bool';
    if (typeof s.value === 'number') return Number.isInteger(s.value) && !/[.eE]/.test(String(s.source ?? '')) ? '!!int' : '!!float';
    return '!!str';
  }

  private mismatch(node: Node, into: string): void {
    const s = isScalar(node) ? ` \`${String((node as Scalar).source ?? (node as Scalar).value)}\`` : '';
    this.errors.push(`line ${this.pos(node).line}: cannot unmarshal ${this.tagOf(node)}${s} into ${into}`);
  }

  decode(node: Node | null | undefined, shape: Shape): D | undefined {
    if (!node || (isScalar(node) && (node as Scalar).value === null)) return undefined;
    switch (shape.k) {
      case 'string': {
        if (!isScalar(node)) return this.mismatch(node, 'string'), undefined;
        const s = node as Scalar;
        // go-yaml v2 puts any scalar's text into a string field.
        return { t: 'scalar', node, v: typeof s.value === 'string' ? s.value : String(s.source ?? s.value) };
      }
      case 'int': {
        const s = node as Scalar;
        if (!isScalar(node) || typeof s.value !== 'number' || !Number.isInteger(s.value)) return this.mismatch(node, 'int'), undefined;
        return { t: 'scalar', node, v: s.value };
      }
      case 'bool': {
        const s = node as Scalar;
        if (!isScalar(node) || typeof s.value !== 'boolean') return this.mismatch(node, 'bool'), undefined;
        return { t: 'scalar', node, v: s.value };
      }
      case 'list': {
        if (!isSeq(node)) return this.mismatch(node, shape.go), undefined;
        const items: D[] = [];
        for (const it of (node as YAMLSeq).items as Node[]) {
          const d = this.decode(it, shape.of);
          // A null element stays a zero value, as in Go.
          items.push(d ?? { t: 'struct', node: it, f: {}, keys: [], unknown: [] });
        }
        return { t: 'list', node, items };
      }
      case 'struct':
        return this.decodeStruct(node, shape.go, shape.fields);
      case 'versioned':
        return this.decodeVersioned(node, shape);
    }
  }

  private decodeStruct(node: Node, go: string, fields: Record<string, Shape>): D | undefined {
    if (!isMap(node)) return this.mismatch(node, go), undefined;
    const out: Extract<D, { t: 'struct' }> = { t: 'struct', node, f: {}, keys: [], unknown: [] };
    for (const pair of (node as YAMLMap).items as Pair<Node, Node>[]) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String((keyNode as Scalar).value) : String(keyNode);
      const p = this.pos(keyNode);
      const shape = fields[key];
      if (!shape) {
        out.unknown.push({ key, line: p.line, col: p.col });
        continue;
      }
      out.keys.push({ key, line: p.line, col: p.col });
      const d = this.decode(pair.value as Node, shape);
      if (d) out.f[key] = d;
    }
    return out;
  }

  private decodeVersioned(node: Node, shape: Extract<Shape, { k: 'versioned' }>): D | undefined {
    if (!isMap(node)) return this.mismatch(node, shape.go), undefined;
    const pairs = (node as YAMLMap).items as Pair<Node, Node>[];
    const vPair = pairs.find((p) => isScalar(p.key) && (p.key as Scalar).value === 'version');
    let version = shape.which === 'etcd' ? '3.0.0' : '0.6.0';
    if (vPair && vPair.value && !(isScalar(vPair.value) && (vPair.value as Scalar).value === null)) {
      const raw = isScalar(vPair.value) ? String((vPair.value as Scalar).source ?? (vPair.value as Scalar).value) : '';
      if (!parseSemver(raw)) {
        this.errors.push(`${JSON.stringify(raw)} is not in dotted-tri format`);
        return undefined;
      }
      version = raw;
    }
    const v = parseSemver(version)!;
    const opts = shape.which === 'etcd' ? etcdOptionsFor(v) : flannelOptionsFor(v);
    const fields: Record<string, Shape> = { version: STR };
    if (shape.which === 'flannel') fields.network_config = STR;
    for (const [yaml, , type] of opts) fields[yaml] = type === 'string' ? STR : type === 'int' ? INT : BOOL;
    return this.decodeStruct(node, shape.go, fields);
  }
}

// ---------------------------------------------------------------------------
// Reading decoded values.

const field = (d: D | undefined, key: string): D | undefined => (d && d.t === 'struct' ? d.f[key] : undefined);
const sval = (d: D | undefined): string | undefined => (d && d.t === 'scalar' ? String(d.v) : undefined);
const nval = (d: D | undefined): number | undefined => (d && d.t === 'scalar' && typeof d.v === 'number' ? d.v : undefined);
const bval = (d: D | undefined): boolean | undefined => (d && d.t === 'scalar' && typeof d.v === 'boolean' ? d.v : undefined);
const items = (d: D | undefined): D[] => (d && d.t === 'list' ? d.items : []);
const path = (d: D | undefined, ...keys: string[]): D | undefined => keys.reduce<D | undefined>((x, k) => field(x, k), d);

// ---------------------------------------------------------------------------
// Validation (ct's Validate* methods), with the node positions Go used.

class Reporter {
  entries: CtEntry[] = [];
  constructor(private dec: Decoder) {}
  at(kind: EntryKind, message: string, node: Node | undefined): void {
    const p = node ? this.dec.pos(node) : { line: 0, col: 0 };
    this.entries.push({ kind, message, line: p.line, column: p.col });
  }
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'not-present'];

/** Go's time.ParseDuration, as a yes/no. */
export function isGoDuration(s: string): boolean {
  if (s === '0' || s === '+0' || s === '-0') return true;
  return /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.test(s);
}

function validate(root: D | undefined, rep: Reporter): void {
  if (!root || root.t !== 'struct') return;
  const shapeOf = (k: string): Shape => (CLC as Extract<Shape, { k: 'struct' }>).fields[k]!;
  // Go's validator goes through Config's fields in order; inside each it
  // recurses into fields before it lists a struct's own unused keys.
  const version = field(root, 'version');
  if (version && nval(version) !== 0) rep.at('error', 'Invalid version. Only version 0 is supported', version.node);
  unknownKeys(field(root, 'ignition'), shapeOf('ignition'), rep);

  const storage = field(root, 'storage');
  const storageShape = shapeOf('storage') as Extract<Shape, { k: 'struct' }>;
  const fileShape = (storageShape.fields.files as Extract<Shape, { k: 'list' }>).of;
  const dirShape = (storageShape.fields.directories as Extract<Shape, { k: 'list' }>).of;
  for (const key of ['disks', 'raid', 'filesystems']) unknownKeys(field(storage, key), storageShape.fields[key]!, rep);
  for (const f of items(field(storage, 'files'))) {
    if (f.t !== 'struct') continue;
    const contents = field(f, 'contents');
    const n = [sval(path(contents, 'remote', 'url')), sval(field(contents, 'inline')), sval(field(contents, 'local'))].filter((x) => x !== undefined && x !== '').length;
    if (field(f, 'mode') === undefined) {
      if (bval(field(f, 'append')) === true) rep.at('info', 'mode unspecified for file, defaulting to 0644 if the file does not exist', f.node);
      else rep.at('warning', 'mode unspecified for file, defaulting to 0644', f.node);
    }
    if (n > 1) rep.at('error', 'only one of the following can be set: local, inline, remote.url', contents?.node);
    unknownKeys(f, fileShape, rep);
  }
  for (const d of items(field(storage, 'directories'))) {
    if (d.t === 'struct' && field(d, 'mode') === undefined) rep.at('warning', 'mode unspecified for directory, defaulting to 0755', d.node);
    unknownKeys(d, dirShape, rep);
  }
  unknownKeys(field(storage, 'links'), storageShape.fields.links!, rep);
  ownUnknown(storage, storageShape, rep);
  for (const k of ['systemd', 'networkd', 'passwd']) unknownKeys(field(root, k), shapeOf(k), rep);

  const etcd = field(root, 'etcd');
  const ev = field(etcd, 'version');
  if (ev) {
    const v = parseSemver(sval(ev) ?? '')!;
    const older = v.major < 2 || (v.major === 2 && v.minor < 3);
    if (older) rep.at('error', 'Etcd version specified is not valid (too old)', ev.node);
    else if ((v.major === 2 && v.minor > 3) || (v.major === 3 && v.minor > 3)) {
      rep.at('warning', 'Etcd minor version specified is too new, only options available in the previous minor version will be accepted', ev.node);
    } else if (v.major > 3) rep.at('error', 'Etcd version is not valid (too new)', ev.node);
  }
  unknownKeys(etcd, shapeOf('etcd'), rep);

  const flannel = field(root, 'flannel');
  if (flannel) {
    const fv = field(flannel, 'version');
    if (fv) {
      const v = parseSemver(sval(fv) ?? '')!;
      if (v.major === 0 && v.minor < 5) rep.at('error', 'invalid flannel version (too old)', fv.node);
      else if (v.major === 0 && v.minor > 7) rep.at('warning', 'flannel minor version too new. Only options available in the previous minor version will be supported', fv.node);
    }
    const nc = field(flannel, 'network_config');
    if (nc && sval(nc) !== '') {
      let ok = true;
      try {
        const x = JSON.parse(sval(nc)!) as unknown;
        ok = typeof x === 'object' && x !== null && !Array.isArray(x);
      } catch {
        ok = false;
      }
      if (!ok) rep.at('error', "flannel network config doesn't appear to be valid JSON", nc.node);
    }
    if (bval(field(flannel, 'kube_subnet_mgr')) === true && nc && sval(nc) !== '') {
      rep.at('error', 'flannel network config cannot be provided if kube_subnet_mgr is set', flannel.node);
    }
  }
  unknownKeys(flannel, shapeOf('flannel'), rep);

  const update = field(root, 'update');
  if (update) {
    const group = (sval(field(update, 'group')) ?? '').toLowerCase();
    if (!['stable', 'beta', 'alpha'].includes(group) && (sval(field(update, 'server')) ?? '') === '') {
      rep.at('warning', 'unknown update group', update.node);
    }
  }
  unknownKeys(update, shapeOf('update'), rep);
  unknownKeys(field(root, 'docker'), shapeOf('docker'), rep);

  const lsm = field(root, 'locksmith');
  if (lsm) {
    const start = sval(field(lsm, 'window_start')) ?? '';
    const length = sval(field(lsm, 'window_length')) ?? '';
    if ((start !== '') !== (length !== '')) rep.at('error', 'window-start and window-length must both be specified', lsm.node);
    else {
      const strategy = sval(field(lsm, 'reboot_strategy')) ?? '';
      if (strategy !== '' && !['reboot', 'etcd-lock', 'off'].includes(strategy.toLowerCase())) {
        rep.at('error', 'unknown reboot strategy', field(lsm, 'reboot_strategy')?.node);
      }
      if (start !== '') {
        const parts = start.trim().split(/\s+/);
        const [day, t] = parts.length >= 2 ? [parts[0]!, parts[1]!] : ['not-present', start];
        const m = /^(\d{1,2}):(\d{2})$/.exec(t);
        if (!DAYS.includes(day.toLowerCase())) rep.at('error', 'unknown day in window start', field(lsm, 'window_start')?.node);
        else if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) rep.at('error', "couldn't parse window start", field(lsm, 'window_start')?.node);
      }
      if (length !== '' && !isGoDuration(length)) rep.at('error', "couldn't parse window length", field(lsm, 'window_length')?.node);
      unknownKeys(lsm, shapeOf('locksmith'), rep);
    }
  }
  ownUnknown(root, CLC, rep);
}

/** Unused keys of a struct itself, with a hint for a case-only typo. */
function ownUnknown(d: D | undefined, shape: Shape, rep: Reporter): void {
  if (!d || d.t !== 'struct') return;
  const known = shape.k === 'struct' ? Object.keys(shape.fields) : d.keys.map((k) => k.key);
  for (const u of d.unknown) {
    rep.entries.push({ kind: 'warning', message: `Config has unrecognized key: ${u.key}`, line: u.line, column: u.col });
    const typo = known.find((k) => k.toLowerCase() === u.key.toLowerCase());
    if (typo) rep.entries.push({ kind: 'info', message: `Did you mean ${typo} instead of ${u.key}`, line: u.line, column: u.col });
  }
}

/** Unused keys of a subtree: fields first, then the struct's own. */
function unknownKeys(d: D | undefined, shape: Shape, rep: Reporter): void {
  if (!d) return;
  if (d.t === 'list' && shape.k === 'list') d.items.forEach((x) => unknownKeys(x, shape.of, rep));
  if (d.t !== 'struct') return;
  if (shape.k === 'struct') for (const [k, s] of Object.entries(shape.fields)) unknownKeys(d.f[k], s, rep);
  ownUnknown(d, shape, rep);
}

// ---------------------------------------------------------------------------
// Conversion into Ignition 2.3.0, objects built in Go's field order.

/** dataurl.EscapeString: unreserved characters kept, every other byte %XX. */
export function dataUrlEscape(text: string | Uint8Array): string {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text);
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.!~*'()]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function verification(d: D | undefined): Record<string, unknown> {
  const fn = sval(path(d, 'hash', 'function')) ?? '';
  const sum = sval(path(d, 'hash', 'sum')) ?? '';
  return fn === '' || sum === '' ? {} : { hash: `${fn}-${sum}` };
}

function nodeOwner(d: D | undefined): Record<string, unknown> | undefined {
  if (!d) return undefined;
  const o: Record<string, unknown> = {};
  const id = nval(field(d, 'id'));
  if (id !== undefined) o.id = id;
  const name = sval(field(d, 'name')) ?? '';
  if (name !== '') o.name = name;
  return o;
}

/** The Node fields every file, directory and link starts with. */
function nodeFields(d: D): Record<string, unknown> {
  const o: Record<string, unknown> = { filesystem: sval(field(d, 'filesystem')) || 'root' };
  const group = nodeOwner(field(d, 'group'));
  if (group) o.group = group;
  const overwrite = bval(field(d, 'overwrite'));
  if (overwrite !== undefined) o.overwrite = overwrite;
  o.path = sval(field(d, 'path')) ?? '';
  const user = nodeOwner(field(d, 'user'));
  if (user) o.user = user;
  return o;
}

/** [Unit], [Service], [Install] sections as ct's util.SystemdUnit printed them. */
function unitText(unit: string[], service: string[]): string {
  const parts: string[] = [];
  if (unit.length > 0) parts.push(['[Unit]', ...unit].join('\n'));
  if (service.length > 0) parts.push(['[Service]', ...service].join('\n'));
  return parts.join('\n\n');
}

class ConvertError extends Error {}

/** assembleUnit: environment lines, then ExecStart with one flag a line. */
function assembleUnit(exec: string, args: string[], vars: string[], platform: string): string {
  const unit: string[] = [];
  const service: string[] = [];
  if (args.some((a) => a.includes('{') || a.includes('}'))) {
    if (platform === '') throw new ConvertError('platform must be specified to use templating');
    unit.push('Requires=coreos-metadata.service', 'After=coreos-metadata.service');
    service.push('EnvironmentFile=/run/metadata/coreos');
    args = args.map((a) => template(platform, a));
  }
  for (const v of vars) service.push(`Environment="${v}"`);
  service.push('ExecStart=', `ExecStart=${exec}${args.map((a) => ` \\\n  ${a}`).join('')}`);
  return unitText(unit, service);
}

/** {FIELD} → ${VAR} for the platform, left to right (templating.PerformTemplating). */
function template(platform: string, s: string): string {
  const vars = TEMPLATE_VARS[platform];
  if (!vars) throw new ConvertError('unsupported platform');
  let out = s;
  let start = out.indexOf('{');
  let end = out.indexOf('}');
  while (start !== -1 && end !== -1 && start < end) {
    const name = out.slice(start + 1, end);
    const val = vars[name];
    if (!val) throw new ConvertError('unknown field');
    out = out.replace(`{${name}}`, `\${${val}}`);
    start = out.indexOf('{', end);
    end = start === -1 ? -1 : out.indexOf('}', start);
  }
  return out;
}

/** getCliArgs: --flag=value for every option set, strings Go-quoted. */
function cliArgs(d: D | undefined, opts: readonly Option[]): string[] {
  const out: string[] = [];
  for (const [yaml, cli, type] of opts) {
    const v = field(d, yaml);
    if (!v || v.t !== 'scalar') continue;
    const text = type === 'string' ? goQuote(String(v.v)) : String(v.v);
    out.push(`--${cli}=${text}`);
  }
  return out;
}

function dropinUnit(name: string, dropin: string, contents: string): Record<string, unknown> {
  return { dropins: [{ contents, name: dropin }], enable: true, name };
}

function convert(root: D | undefined, platform: string, filesDir: string | undefined, readLocal: (p: string) => Uint8Array, rep: Reporter): Record<string, unknown> {
  const units: Record<string, unknown>[] = [];
  const files: Record<string, unknown>[] = [];
  const dirs: Record<string, unknown>[] = [];
  const links: Record<string, unknown>[] = [];
  const ignition: Record<string, unknown> = { config: {}, security: { tls: {} }, timeouts: {}, version: '2.3.0' };

  // common: the metadata agent's provider on platforms without one of their own.
  if (platform === 'openstack-metadata' || platform === 'cloudstack-configdrive') {
    const dropin = { contents: `[Service]\nEnvironment=COREOS_METADATA_OPT_PROVIDER=--provider=${platform}`, name: '20-clct-provider-override.conf' };
    units.push({ dropins: [dropin], name: 'coreos-metadata.service' });
    units.push({ dropins: [dropin], enabled: true, name: 'coreos-metadata-sshkeys@.service' });
  }

  // ignition: timeouts and config references.
  const ign = field(root, 'ignition');
  const timeouts: Record<string, unknown> = {};
  const hrh = nval(path(ign, 'timeouts', 'http_response_headers'));
  if (hrh !== undefined) timeouts.httpResponseHeaders = hrh;
  const total = nval(path(ign, 'timeouts', 'http_total'));
  if (total !== undefined) timeouts.httpTotal = total;
  ignition.timeouts = timeouts;
  const ref = (d: D): Record<string, unknown> => ({ source: sval(field(d, 'source')) ?? '', verification: verification(field(d, 'verification')) });
  const config: Record<string, unknown> = {};
  const append = items(path(ign, 'config', 'append')).map(ref);
  if (append.length > 0) config.append = append;
  const replace = path(ign, 'config', 'replace');
  if (replace) config.replace = ref(replace);
  ignition.config = config;
  const cas = items(path(ign, 'security', 'tls', 'certificate_authorities')).map(ref);
  ignition.security = { tls: cas.length > 0 ? { certificateAuthorities: cas } : {} };

  const storage = field(root, 'storage');
  for (const key of ['disks', 'raid', 'filesystems']) {
    const d = field(storage, key);
    if (d && items(d).length > 0) rep.at('error', `coracle ct does not transpile storage.${key} (a coracle machine has no disks of its own)`, d.node);
  }

  // docker, etcd: generated units, ahead of the user's.
  const docker = field(root, 'docker');
  if (docker) {
    const flags = items(field(docker, 'flags')).map((f) => sval(f) ?? '');
    units.push(dropinUnit('docker.service', '20-clct-docker.conf', `[Service]\nEnvironment="DOCKER_OPTS=${flags.join(' ')}"`));
  }
  const etcd = field(root, 'etcd');
  if (etcd) {
    const versionText = sval(field(etcd, 'version'));
    const v: Semver = parseSemver(versionText ?? '3.0.0')!;
    const vars = versionText !== undefined ? [`ETCD_IMAGE_TAG=v${versionText}`] : [];
    units.push(dropinUnit('etcd-member.service', '20-clct-etcd-member.conf', assembleUnit('/usr/lib/coreos/etcd-wrapper $ETCD_OPTS', cliArgs(etcd, etcdOptionsFor(v)), vars, platform)));
  }

  // storage: files, directories, links.
  for (const f of items(field(storage, 'files'))) {
    const o = nodeFields(f);
    if (bval(field(f, 'append')) === true) o.append = true;
    const c = field(f, 'contents');
    let source: string | undefined;
    const inline = sval(field(c, 'inline')) ?? '';
    const local = sval(field(c, 'local')) ?? '';
    const url = sval(path(c, 'remote', 'url')) ?? '';
    if (inline !== '') source = `data:,${dataUrlEscape(inline)}`;
    if (local !== '') {
      const node = field(c, 'local')?.node;
      if (!filesDir) {
        rep.at('error', 'local files require setting the --files-dir flag to the directory that contains the file', node);
        continue;
      }
      try {
        source = `data:,${dataUrlEscape(readLocal(`${filesDir}/${local}`))}`;
      } catch (e) {
        rep.at('error', (e as Error).message, node);
        continue;
      }
    }
    if (url !== '') source = url;
    const contents: Record<string, unknown> = {};
    const compression = sval(path(c, 'remote', 'compression')) ?? '';
    if (compression !== '') contents.compression = compression;
    contents.source = source ?? 'data:,';
    contents.verification = verification(path(c, 'remote', 'verification'));
    o.contents = contents;
    o.mode = nval(field(f, 'mode')) ?? 0o644;
    files.push(o);
  }
  for (const d of items(field(storage, 'directories'))) {
    const o = nodeFields(d);
    o.mode = nval(field(d, 'mode')) ?? 0o755;
    dirs.push(o);
  }
  for (const l of items(field(storage, 'links'))) {
    const o = nodeFields(l);
    if (bval(field(l, 'hard')) === true) o.hard = true;
    o.target = sval(field(l, 'target')) ?? '';
    links.push(o);
  }

  // flannel: generated unit.
  const flannel = field(root, 'flannel');
  if (flannel) {
    const versionText = sval(field(flannel, 'version'));
    const v = parseSemver(versionText ?? '0.6.0')!;
    const vars = versionText !== undefined ? [`FLANNEL_IMAGE_TAG=v${versionText}`] : [];
    let text = assembleUnit('/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS', cliArgs(flannel, flannelOptionsFor(v)), vars, platform);
    const nc = sval(field(flannel, 'network_config')) ?? '';
    if (nc !== '') {
      let pre = 'ExecStartPre=/usr/bin/etcdctl';
      const q = (k: string): string | undefined => sval(field(flannel, k));
      if (q('etcd_endpoints') !== undefined) pre += ` --endpoints=${goQuote(q('etcd_endpoints')!)}`;
      if (q('etcd_cafile') !== undefined) pre += ` --ca-file=${goQuote(q('etcd_cafile')!)}`;
      if (q('etcd_certfile') !== undefined) pre += ` --cert-file=${goQuote(q('etcd_certfile')!)}`;
      if (q('etcd_keyfile') !== undefined) pre += ` --key-file=${goQuote(q('etcd_keyfile')!)}`;
      pre += ` set /coreos.com/network/config ${goQuote(nc)}`;
      text += `\n${pre}`;
    }
    units.push(dropinUnit('flanneld.service', '20-clct-flannel.conf', text));
  }

  // networkd
  const netUnits = items(path(root, 'networkd', 'units')).map((u) => {
    const o: Record<string, unknown> = {};
    const contents = sval(field(u, 'contents')) ?? '';
    if (contents !== '') o.contents = contents;
    const dropins = items(field(u, 'dropins')).map(dropinOut);
    if (dropins.length > 0) o.dropins = dropins;
    o.name = sval(field(u, 'name')) ?? '';
    return o;
  });

  // passwd
  const users = items(path(root, 'passwd', 'users')).map((u) => {
    const o: Record<string, unknown> = {};
    const create = field(u, 'create');
    if (create) {
      const c: Record<string, unknown> = {};
      setIf(c, 'gecos', sval(field(create, 'gecos')));
      const groups = items(field(create, 'groups')).map((g) => sval(g) ?? '');
      if (groups.length > 0) c.groups = groups;
      setIf(c, 'homeDir', sval(field(create, 'home_dir')));
      setTrue(c, 'noCreateHome', field(create, 'no_create_home'));
      setTrue(c, 'noLogInit', field(create, 'no_log_init'));
      setTrue(c, 'noUserGroup', field(create, 'no_user_group'));
      setIf(c, 'primaryGroup', sval(field(create, 'primary_group')));
      setIf(c, 'shell', sval(field(create, 'shell')));
      setTrue(c, 'system', field(create, 'system'));
      const uid = nval(field(create, 'uid'));
      if (uid !== undefined) c.uid = uid;
      o.create = c;
    }
    setIf(o, 'gecos', sval(field(u, 'gecos')));
    const groups = items(field(u, 'groups')).map((g) => sval(g) ?? '');
    if (groups.length > 0) o.groups = groups;
    setIf(o, 'homeDir', sval(field(u, 'home_dir')));
    o.name = sval(field(u, 'name')) ?? '';
    setTrue(o, 'noCreateHome', field(u, 'no_create_home'));
    setTrue(o, 'noLogInit', field(u, 'no_log_init'));
    setTrue(o, 'noUserGroup', field(u, 'no_user_group'));
    const hash = sval(field(u, 'password_hash'));
    if (hash !== undefined) o.passwordHash = hash;
    setIf(o, 'primaryGroup', sval(field(u, 'primary_group')));
    const keys = items(field(u, 'ssh_authorized_keys')).map((k) => sval(k) ?? '');
    if (keys.length > 0) o.sshAuthorizedKeys = keys;
    setIf(o, 'shell', sval(field(u, 'shell')));
    setTrue(o, 'system', field(u, 'system'));
    const uid = nval(field(u, 'uid'));
    if (uid !== undefined) o.uid = uid;
    return o;
  });
  const groups = items(path(root, 'passwd', 'groups')).map((g) => {
    const o: Record<string, unknown> = {};
    const gid = nval(field(g, 'gid'));
    if (gid !== undefined) o.gid = gid;
    o.name = sval(field(g, 'name')) ?? '';
    setIf(o, 'passwordHash', sval(field(g, 'password_hash')));
    setTrue(o, 'system', field(g, 'system'));
    return o;
  });

  // systemd: the user's units, after the generated ones.
  for (const u of items(path(root, 'systemd', 'units'))) {
    const o: Record<string, unknown> = {};
    const contents = sval(field(u, 'contents')) ?? '';
    if (contents !== '') o.contents = contents;
    const dropins = items(field(u, 'dropins')).map(dropinOut);
    if (dropins.length > 0) o.dropins = dropins;
    setTrue(o, 'enable', field(u, 'enable'));
    const enabled = bval(field(u, 'enabled'));
    if (enabled !== undefined) o.enabled = enabled;
    setTrue(o, 'mask', field(u, 'mask'));
    o.name = sval(field(u, 'name')) ?? '';
    units.push(o);
  }

  // update + locksmith: one /etc/coreos/update.conf, after the user's files.
  let conf = '';
  const update = field(root, 'update');
  if (update) {
    const group = sval(field(update, 'group')) ?? '';
    if (group !== '') conf += `GROUP=${group.toLowerCase()}`;
    const server = sval(field(update, 'server')) ?? '';
    if (server !== '') conf += `\nSERVER=${server}`;
  }
  const lsm = field(root, 'locksmith');
  if (lsm) {
    const order: [string, string][] = [
      ['reboot_strategy', 'REBOOT_STRATEGY'], ['window_start', 'LOCKSMITHD_REBOOT_WINDOW_START'], ['window_length', 'LOCKSMITHD_REBOOT_WINDOW_LENGTH'],
      ['group', 'LOCKSMITHD_GROUP'], ['etcd_endpoints', 'LOCKSMITHD_ENDPOINT'], ['etcd_cafile', 'LOCKSMITHD_ETCD_CAFILE'],
      ['etcd_certfile', 'LOCKSMITHD_ETCD_CERTFILE'], ['etcd_keyfile', 'LOCKSMITHD_ETCD_KEYFILE'],
    ];
    // A set pointer to "" is not zero: ct wrote KEY="" for it.
    const lines = order.flatMap(([k, env]) => (field(lsm, k) !== undefined ? [`${env}=${goQuote(sval(field(lsm, k)) ?? '')}`] : []));
    if (lines.length > 0) conf += `\n${lines.join('\n')}`;
  }
  if (conf !== '') {
    files.push({ filesystem: 'root', path: '/etc/coreos/update.conf', contents: { source: `data:,${dataUrlEscape(conf)}`, verification: {} }, mode: 0o644 });
  }

  const storageOut: Record<string, unknown> = {};
  if (dirs.length > 0) storageOut.directories = dirs;
  if (files.length > 0) storageOut.files = files;
  if (links.length > 0) storageOut.links = links;
  const passwd: Record<string, unknown> = {};
  if (groups.length > 0) passwd.groups = groups;
  if (users.length > 0) passwd.users = users;
  return {
    ignition,
    networkd: netUnits.length > 0 ? { units: netUnits } : {},
    passwd,
    storage: storageOut,
    systemd: units.length > 0 ? { units } : {},
  };
}

function dropinOut(d: D): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const contents = sval(field(d, 'contents')) ?? '';
  if (contents !== '') o.contents = contents;
  o.name = sval(field(d, 'name')) ?? '';
  return o;
}

function setIf(o: Record<string, unknown>, k: string, v: string | undefined): void {
  if (v !== undefined && v !== '') o[k] = v;
}

function setTrue(o: Record<string, unknown>, k: string, d: D | undefined): void {
  if (bval(d) === true) o[k] = true;
}

/** Ignition's own checks on the output (ct ran them without unused-key warnings). */
function validateOutput(out: Record<string, unknown>, root: D | undefined, rep: Reporter): void {
  const parsed = parseIgnition(JSON.stringify(out));
  for (const e of parsed.errors) {
    // Point at the user's YAML where the entry came from one of theirs.
    const m = /^systemd\.units\.(\d+)\.(?:dropins\.(\d+)\.)?name: (.*)$/.exec(e) ?? /^storage\.(files|directories|links)\.(\d+)\.path: (.*)$/.exec(e);
    let node: Node | undefined;
    let message = e;
    if (m && e.startsWith('systemd')) {
      const generated = ((out.systemd as { units?: unknown[] }).units?.length ?? 0) - items(path(root, 'systemd', 'units')).length;
      const u = items(path(root, 'systemd', 'units'))[Number(m[1]) - generated];
      node = (m[2] !== undefined ? field(items(field(u, 'dropins'))[Number(m[2])], 'name') : field(u, 'name'))?.node;
      message = m[3]!.replace('invalid systemd unit dropin extension', 'invalid systemd drop-in extension');
    } else if (m) {
      node = field(items(path(root, 'storage', m[1]!))[Number(m[2])], 'path')?.node;
      message = m[3]!;
    }
    rep.at('error', message, node);
  }
  // Enabled units with contents but no [Install] section.
  const userUnits = items(path(root, 'systemd', 'units'));
  for (const u of userUnits) {
    const enabled = bval(field(u, 'enable')) === true || bval(field(u, 'enabled')) === true;
    const contents = sval(field(u, 'contents')) ?? '';
    if (enabled && contents !== '' && !/^\s*\[Install\]\s*$/m.test(contents)) {
      rep.at('warning', `unit ${goQuote(sval(field(u, 'name')) ?? '')} is enabled, but has no install section so enable does nothing`, u.node);
    }
  }
}

export interface TranspileOptions {
  platform?: string;
  filesDir?: string;
  readLocal?: (path: string) => Uint8Array;
}

/** Transpiles a Container Linux Config. Never throws. */
export function transpile(text: string, o: TranspileOptions = {}): CtResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', lineCounter: lc, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const p = lc.linePos(e.pos[0]);
    const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return { parseReport: [{ kind: 'error', message: `yaml: line ${p.line}: ${msg}`, line: 0, column: 0 }], convertReport: [] };
  }
  const dec = new Decoder(lc);
  const rep = new Reporter(dec);
  const rootNode = doc.contents as Node | null;
  let root: D | undefined;
  if (rootNode === null || (isScalar(rootNode) && (rootNode as Scalar).value === null)) {
    rep.entries.push({ kind: 'warning', message: 'Configuration is empty', line: 0, column: 0 });
  } else {
    root = dec.decode(rootNode, CLC);
    if (dec.errors.length > 0) {
      return { parseReport: [{ kind: 'error', message: `yaml: unmarshal errors:\n  ${dec.errors.join('\n  ')}`, line: 0, column: 0 }], convertReport: [] };
    }
    validate(root, rep);
  }
  const parseReport = rep.entries;
  if (isFatal(parseReport)) return { parseReport, convertReport: [] };

  const platform = o.platform ?? '';
  if (platform !== '' && !PLATFORMS.includes(platform)) {
    return { parseReport, convertReport: [{ kind: 'error', message: 'unsupported platform', line: 0, column: 0 }] };
  }
  const crep = new Reporter(dec);
  let config: Record<string, unknown>;
  try {
    config = convert(root, platform, o.filesDir, o.readLocal ?? (() => { throw new Error('no files'); }), crep);
  } catch (e) {
    if (e instanceof ConvertError) return { parseReport, convertReport: [{ kind: 'error', message: e.message, line: 0, column: 0 }] };
    throw e;
  }
  if (!isFatal(crep.entries)) validateOutput(config, root, crep);
  if (isFatal(crep.entries)) return { parseReport, convertReport: crep.entries };
  return { config, parseReport, convertReport: crep.entries };
}

/** encoding/json's Marshal / MarshalIndent(v, "", "  ") of the config. */
export function marshal(config: Record<string, unknown>, pretty: boolean): string {
  const json = pretty ? `${JSON.stringify(config, null, 2)}\n` : JSON.stringify(config);
  // Go escapes <, > and & (and U+2028/9) in strings; they only occur in strings.
  return json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
