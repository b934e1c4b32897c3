// fleet's api.ValidateName and api.ValidateOptions (fleet v1.0.0), which the
// API server applies to PUT /units/{name} and fleetctl applies client-side
// before creating a unit. Pure; the messages are fleet's own wording.

import { deserializeUnit, serializeUnit, unitContents, type UnitOption } from '../registry/unitfile.js';
import type { ApiUnitOption } from './schema.js';

const UNIT_NAME_MAX = 256;
const VALID_CHARS = /^[A-Za-z0-9:\-_.\\@]$/u;
const UNIT_TYPES = new Set(['automount', 'busname', 'device', 'mount', 'path', 'scope', 'service', 'slice', 'snapshot', 'socket', 'swap', 'target', 'timer']);
const TEMPLATE_TYPES = new Set(['path', 'service', 'socket', 'target', 'timer']);

/** Go's %q for the strings these messages quote (printable ASCII mostly). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** Go's %q for a rune. */
function goQuoteRune(ch: string): string {
  if (ch === "'") return "'\\''";
  if (ch === '\\') return "'\\\\'";
  const c = ch.codePointAt(0)!;
  if (ch === '\n') return "'\\n'";
  if (ch === '\t') return "'\\t'";
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  return `'${ch}'`;
}

/** null when the name is acceptable, else fleet's message. Lengths count bytes, as Go's len does. */
export function validateName(name: string): string | null {
  const length = Buffer.byteLength(name, 'utf8');
  if (length === 0) return 'unit name cannot be empty';
  if (length > UNIT_NAME_MAX) return `unit name exceeds maximum length (${UNIT_NAME_MAX})`;
  const dot = name.lastIndexOf('.');
  if (dot === -1) return 'unit name must contain "."';
  if (dot === name.length - 1) return 'unit name cannot end in "."';
  const suffix = name.slice(dot + 1);
  if (!UNIT_TYPES.has(suffix)) return `invalid unit type: ${goQuote(suffix)}`;
  if (name.includes('@') && !TEMPLATE_TYPES.has(suffix)) return `invalid unit type for template: ${goQuote(suffix)}`;
  for (const ch of name.slice(0, dot)) {
    if (!VALID_CHARS.test(ch)) return `invalid character ${goQuoteRune(ch)} in unit name`;
  }
  if (name.startsWith('@')) return 'unit name cannot start in "@"';
  return null;
}

/** API options (value may be absent) as unit-file options. */
export function toUnitOptions(options: readonly ApiUnitOption[]): UnitOption[] {
  return options.map((o) => ({ section: o.section ?? '', name: o.name ?? '', value: o.value ?? '' }));
}

/** Unit-file options as the API sends them (an empty value is left out). */
export function toApiOptions(options: readonly UnitOption[]): ApiUnitOption[] {
  return options.map((o) => (o.value === '' ? { name: o.name, section: o.section } : { name: o.name, section: o.section, value: o.value }));
}

const RECOGNIZED_REQUIREMENTS = new Set([
  'MachineID', 'X-ConditionMachineID', 'X-ConditionMachineBootID', 'X-ConditionMachineOf', 'MachineOf',
  'X-Conflicts', 'Conflicts', 'X-ConditionMachineMetadata', 'MachineMetadata', 'Global', 'Replaces',
]);

/**
 * The [X-Fleet] requirements fleet's job package reads, as ValidateOptions
 * sees them (a Job without a name, so %-specifiers are not expanded).
 */
export interface Requirements {
  conflicts: string[];
  replaces: string[];
  peers: string[];
  requiredTarget: string | null;
  global: boolean;
  /** Keys fleet does not recognise, in file order. */
  unrecognized: string[];
}

const fields = (s: string): string[] => s.split(/[\t\n\v\f\r \u0085\u00a0]+/).filter((w) => w !== '');

export function requirementsOf(options: readonly UnitOption[]): Requirements {
  const xf = unitContents(options).get('X-Fleet') ?? new Map<string, string[]>();
  const get = (k: string): string[] => xf.get(k) ?? [];
  const truthy = (s: string): boolean => ['true', 'yes', '1', 'on', 't'].includes(s.toLowerCase());
  const globals = get('Global');
  const target = [get('MachineID'), get('X-ConditionMachineID'), get('X-ConditionMachineBootID')].find((v) => v.length > 0);
  return {
    conflicts: [...get('X-Conflicts'), ...get('Conflicts')].flatMap(fields),
    replaces: get('Replaces'),
    peers: [...get('X-ConditionMachineOf'), ...get('MachineOf')],
    requiredTarget: target?.[0] ?? null,
    global: globals.length > 0 && truthy(globals[globals.length - 1]!),
    unrecognized: [...xf.keys()].filter((k) => !RECOGNIZED_REQUIREMENTS.has(k)),
  };
}

export function isGlobalUnit(options: readonly UnitOption[]): boolean {
  return requirementsOf(options).global;
}

/** Go's path.Match (`*`, `?`, `[…]`, `\` escapes; `*` never crosses `/`); a bad pattern matches nothing. */
export function pathMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      i++;
      if (i >= pattern.length) return false;
      re += pattern[i]!.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) return false;
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      if (body === '') return false;
      re += `[${negate ? '^/' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else re += ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  try {
    return new RegExp(re + '$', 'su').test(name);
  } catch {
    return false;
  }
}

/** null when the options are acceptable, else fleet's message. */
export function validateOptions(options: readonly UnitOption[]): string | null {
  // The go-systemd round trip catches what cannot be stored (line length and the like).
  try {
    deserializeUnit(serializeUnit(options));
  } catch (e) {
    return (e as Error).message;
  }
  const r = requirementsOf(options);
  const unique = (xs: string[]): string[] => [...new Set(xs)];
  const conflicts = unique(r.conflicts);
  const replaces = unique(r.replaces);
  const peers = unique(r.peers);
  for (const peer of peers) {
    for (const c of conflicts) if (pathMatch(c, peer)) return `unresolvable requirements: peer ${goQuote(peer)} matches conflict ${goQuote(c)}`;
    for (const rp of replaces) if (pathMatch(rp, peer)) return `unresolvable requirements: peer ${goQuote(peer)} matches replace ${goQuote(rp)}`;
  }
  const hasTarget = r.requiredTarget !== null;
  if (hasTarget && peers.length > 0) return 'MachineID cannot be used with Peers';
  if (hasTarget && conflicts.length > 0) return 'MachineID cannot be used with Conflicts';
  if (hasTarget && r.global) return 'MachineID cannot be used with Global';
  if (hasTarget && replaces.length > 0) return 'MachineID cannot be used with Replaces';
  if (r.global && peers.length > 0) return 'Global cannot be used with Peers';
  if (r.global && replaces.length > 0) return 'Global cannot be used with Replaces';
  if (conflicts.length > 0 && replaces.length > 0) return 'Conflicts cannot be used with Replaces';
  return null;
}

/** fleet's UnitNameInfo: name before the last dot, prefix before the first `@`, the instance after it. */
export interface UnitNameInfo {
  fullName: string;
  name: string;
  prefix: string;
  instance: string;
  /** `prefix@.suffix` for names with an `@`, else "". */
  template: string;
}

export function unitNameInfo(unitName: string): UnitNameInfo | null {
  const dot = unitName.lastIndexOf('.');
  if (dot === -1) return null;
  const name = unitName.slice(0, dot);
  const suffix = unitName.slice(dot);
  const at = name.indexOf('@');
  if (at === -1) return { fullName: unitName, name, prefix: name, instance: '', template: '' };
  return { fullName: unitName, name, prefix: name.slice(0, at), instance: name.slice(at + 1), template: `${name.slice(0, at)}@${suffix}` };
}

export const isInstance = (i: UnitNameInfo): boolean => i.instance !== '';
export const isTemplate = (i: UnitNameInfo): boolean => i.template !== '' && i.instance === '';
