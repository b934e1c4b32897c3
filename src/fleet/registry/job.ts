// A fleet unit's name parts and its [X-Fleet] requirements (pure), as fleet
// v1.0.0's job package reads them, plus the name and option checks the API
// and fleetctl apply before a unit is accepted.

import { unitContents, type UnitOption } from './unitfile.js';

/** fleet's UnitNameInfo: `foo@bar.service` → name foo@bar, prefix foo, template foo@.service, instance bar. */
export interface UnitNameInfo {
  fullName: string;
  name: string;
  prefix: string;
  template: string;
  instance: string;
}

export function unitNameInfo(full: string): UnitNameInfo | undefined {
  const dot = full.lastIndexOf('.');
  if (dot < 0) return undefined;
  const name = full.slice(0, dot);
  const suffix = full.slice(dot);
  const at = name.indexOf('@');
  if (at < 0) return { fullName: full, name, prefix: name, template: '', instance: '' };
  return { fullName: full, name, prefix: name.slice(0, at), template: `${name.slice(0, at)}@${suffix}`, instance: name.slice(at + 1) };
}

export function isTemplateName(full: string): boolean {
  const info = unitNameInfo(full);
  return info !== undefined && info.template !== '' && info.instance === '';
}

const VALID_SUFFIXES = ['automount', 'busname', 'device', 'mount', 'path', 'scope', 'service', 'slice', 'snapshot', 'socket', 'swap', 'target', 'timer'];
const TEMPLATE_SUFFIXES = ['path', 'service', 'socket', 'target', 'timer'];
const NAME_CHARS = /^[A-Za-z0-9:_.@\-\\]+$/;

/** api.ValidateName; returns fleet's error message, or undefined when valid. */
export function validateUnitName(name: string): string | undefined {
  const length = Buffer.byteLength(name, 'utf8');
  if (length === 0) return 'unit name cannot be empty';
  if (length > 256) return 'unit name exceeds maximum length (256)';
  const dot = name.lastIndexOf('.');
  if (dot < 0) return 'unit name must contain "."';
  if (dot === name.length - 1) return 'unit name cannot end in "."';
  const suffix = name.slice(dot + 1);
  if (!VALID_SUFFIXES.includes(suffix)) return `invalid unit type: ${JSON.stringify(suffix)}`;
  if (name.includes('@') && !TEMPLATE_SUFFIXES.includes(suffix)) return `invalid unit type for template: ${JSON.stringify(suffix)}`;
  for (const ch of name.slice(0, dot)) {
    if (!NAME_CHARS.test(ch)) return `invalid character '${ch}' in unit name`;
  }
  if (name.startsWith('@')) return 'unit name cannot start in "@"';
  return undefined;
}

// Keys fleet v1.0.0 accepts in [X-Fleet], new and deprecated spellings.
export const X_FLEET_KEYS = [
  'MachineID', 'X-ConditionMachineID', 'X-ConditionMachineBootID',
  'X-ConditionMachineOf', 'MachineOf',
  'X-Conflicts', 'Conflicts',
  'X-ConditionMachineMetadata', 'MachineMetadata',
  'Global', 'Replaces',
] as const;

/** What a unit asks of the machine it runs on. */
export interface Requirements {
  /** MachineID (or its deprecated spellings): full ID or its first 8 chars. */
  machineID?: string;
  /** MachineOf: units that must be scheduled on the same machine (all of them). */
  peers: string[];
  /** Conflicts globs (path.Match). */
  conflicts: string[];
  /** Replaces globs. */
  replaces: string[];
  /** key → allowed values (OR within a key, AND across keys). */
  metadata: Map<string, Set<string>>;
  global: boolean;
  /** Keys fleet does not know (only a warning). */
  unknown: string[];
}

function printf(value: string, info: UnitNameInfo | undefined): string {
  if (info === undefined) return value;
  return value
    .split('%n').join(info.fullName)
    .split('%N').join(info.name)
    .split('%p').join(info.prefix)
    .split('%i').join(info.instance);
}

function truthy(s: string): boolean {
  return ['true', 'yes', '1', 'on', 't'].includes(s.toLowerCase());
}

/** Reads [X-Fleet] of a unit named `name` (specifiers %n %N %p %i expanded). */
export function requirementsOf(name: string, options: readonly UnitOption[]): Requirements {
  const info = unitNameInfo(name);
  const xf = unitContents(options).get('X-Fleet') ?? new Map<string, string[]>();
  const get = (key: string): string[] => (xf.get(key) ?? []).map((v) => printf(v, info));
  const fields = (vals: string[]): string[] => vals.flatMap((v) => v.split(/[\t\n\v\f\r ]+/).filter((w) => w !== ''));

  const req: Requirements = { peers: [], conflicts: [], replaces: [], metadata: new Map(), global: false, unknown: [] };
  for (const key of ['MachineID', 'X-ConditionMachineID', 'X-ConditionMachineBootID']) {
    const ids = get(key);
    if (ids.length > 0) {
      req.machineID = ids[0]!;
      break;
    }
  }
  req.peers = [...get('X-ConditionMachineOf'), ...get('MachineOf')];
  req.conflicts = [...fields(get('X-Conflicts')), ...fields(get('Conflicts'))];
  req.replaces = get('Replaces');
  for (const key of ['X-ConditionMachineMetadata', 'MachineMetadata']) {
    for (const pair of get(key)) {
      const parts = pair.split('=');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') continue;
      let set = req.metadata.get(parts[0]!);
      if (!set) req.metadata.set(parts[0]!, (set = new Set()));
      set.add(parts[1]!);
    }
  }
  const globals = get('Global');
  req.global = globals.length > 0 && truthy(globals[globals.length - 1]!);
  req.unknown = [...xf.keys()].filter((k) => !(X_FLEET_KEYS as readonly string[]).includes(k));
  return req;
}

/** Go's path.Match for unit names ('*', '?', '[...]', '\\' escapes; no '/' crossing). A bad pattern matches nothing. */
export function globMatch(pattern: string, name: string): boolean {
  const re = globRegex(pattern);
  return re !== undefined && re.test(name);
}

const globCache = new Map<string, RegExp | null>();
function globRegex(pattern: string): RegExp | undefined {
  const cached = globCache.get(pattern);
  if (cached !== undefined) return cached ?? undefined;
  let re = '^';
  let ok = true;
  for (let i = 0; i < pattern.length && ok; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= pattern.length) ok = false;
      else re += escapeRe(pattern[i]!);
    } else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        ok = false;
        break;
      }
      let body = pattern.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      if (body === '') {
        ok = false;
        break;
      }
      re += (negate ? '[^/' : '[') + body.replace(/[\]\\^]/g, (m) => '\\' + m) + ']';
      i = close;
    } else re += escapeRe(c);
  }
  const out = ok ? new RegExp(re + '$', 'u') : null;
  if (globCache.size > 10000) globCache.clear();
  globCache.set(pattern, out);
  return out ?? undefined;
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * The combinations fleet's API and fleetctl refuse (400 with this message),
 * and unknown keys as warnings. Returns { error?, warnings }.
 */
export function validateRequirements(name: string, options: readonly UnitOption[]): { error?: string; warnings: string[] } {
  const req = requirementsOf(name, options);
  const warnings = req.unknown.map((k) => `unrecognized requirement in [X-Fleet] section: ${JSON.stringify(k)}`);
  if (req.machineID !== undefined) {
    if (req.peers.length > 0) return { error: 'MachineID cannot be used with Peers', warnings };
    if (req.conflicts.length > 0) return { error: 'MachineID cannot be used with Conflicts', warnings };
    if (req.global) return { error: 'MachineID cannot be used with Global', warnings };
    if (req.replaces.length > 0) return { error: 'MachineID cannot be used with Replaces', warnings };
  }
  if (req.global) {
    if (req.peers.length > 0) return { error: 'Global cannot be used with Peers', warnings };
    if (req.replaces.length > 0) return { error: 'Global cannot be used with Replaces', warnings };
  }
  if (req.conflicts.length > 0 && req.replaces.length > 0) return { error: 'Conflicts cannot be used with Replaces', warnings };
  for (const peer of req.peers) {
    for (const c of req.conflicts) if (globMatch(c, peer)) return { error: `unresolvable requirements: peer ${JSON.stringify(peer)} matches conflict ${JSON.stringify(c)}`, warnings };
    for (const r of req.replaces) if (globMatch(r, peer)) return { error: `unresolvable requirements: peer ${JSON.stringify(peer)} matches replace ${JSON.stringify(r)}`, warnings };
  }
  return { warnings };
}
