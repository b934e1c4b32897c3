// Unit names as systemd's unit-name.c (v252) defines them (systemd.unit(5),
// systemd-escape(1)):
//  - `prefix.type`, `prefix@.type` (template) or `prefix@instance.type`
//    (instance); the first `@` separates prefix and instance;
//  - characters `[A-Za-z0-9:_.\-\\]` (plus `@`), shorter than 256 bytes;
//  - escaping turns `/` into `-` and every other disallowed byte (and `-`,
//    `\` and a leading `.`) into `\xNN`.

export const UNIT_TYPES = [
  'service', 'socket', 'target', 'device', 'mount', 'automount', 'swap', 'timer', 'path', 'slice', 'scope',
] as const;
export type UnitType = (typeof UNIT_TYPES)[number];

export type UnitNameKind = 'plain' | 'template' | 'instance';

const UNIT_NAME_MAX = 256;
const VALID_CHARS = /^[A-Za-z0-9:_.\-\\]$/;
const VALID_CHARS_WITH_AT = /^[A-Za-z0-9:_.\-\\@]$/;

export interface UnitName {
  name: string;
  kind: UnitNameKind;
  /** The part before the first `@`, or before the type suffix. */
  prefix: string;
  /** Between the first `@` and the suffix; "" for templates, null for plain names. */
  instance: string | null;
  type: UnitType;
}

export function isUnitType(s: string): s is UnitType {
  return (UNIT_TYPES as readonly string[]).includes(s);
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Parses and validates a unit name; null when systemd would call it invalid. */
export function parseUnitName(name: string): UnitName | null {
  if (name === '' || byteLength(name) >= UNIT_NAME_MAX) return null;
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return null;
  const type = name.slice(dot + 1);
  if (!isUnitType(type)) return null;
  const stem = name.slice(0, dot);
  for (const ch of stem) if (!VALID_CHARS_WITH_AT.test(ch)) return null;
  const at = stem.indexOf('@');
  if (at === 0) return null;
  if (at < 0) return { name, kind: 'plain', prefix: stem, instance: null, type };
  const instance = stem.slice(at + 1);
  return {
    name,
    kind: instance === '' ? 'template' : 'instance',
    prefix: stem.slice(0, at),
    instance,
    type,
  };
}

export function isValidUnitName(name: string, kinds: readonly UnitNameKind[] = ['plain', 'template', 'instance']): boolean {
  const n = parseUnitName(name);
  return n !== null && kinds.includes(n.kind);
}

/** `foo@bar.service` → `foo@.service`; null for names that are not instances. */
export function templateOf(name: string): string | null {
  const n = parseUnitName(name);
  if (!n || n.kind !== 'instance') return null;
  return `${n.prefix}@.${n.type}`;
}

/** `foo@.service` + `1` → `foo@1.service`; null if not a template or the result is invalid. */
export function instantiate(template: string, instance: string): string | null {
  const n = parseUnitName(template);
  if (!n || n.kind === 'plain') return null;
  const out = `${n.prefix}@${instance}.${n.type}`;
  return parseUnitName(out)?.kind === 'instance' ? out : null;
}

/** %N: the name without its type suffix (`foo@bar`). */
export function nameWithoutSuffix(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}

const hex = (b: number): string => b.toString(16).padStart(2, '0');

/** unit_name_escape(): the escaping of `systemd-escape STRING`. */
export function escapeUnitNamePart(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const ch = String.fromCharCode(b);
    if (i === 0 && ch === '.') out += '\\x2e'; // no hidden unit names for "/.dotdir"
    else if (ch === '/') out += '-';
    else if (b >= 0x80 || ch === '-' || ch === '\\' || !VALID_CHARS.test(ch)) out += `\\x${hex(b)}`;
    else out += ch;
  }
  return out;
}

/** unit_name_unescape(): `-` → `/`, `\xNN` → byte; null on a malformed escape. */
export function unescapeUnitNamePart(s: string): string | null {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '-') bytes.push(0x2f);
    else if (ch === '\\') {
      if (s[i + 1] !== 'x') return null;
      const h = s.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return null;
      bytes.push(parseInt(h, 16));
      i += 3;
    } else bytes.push(...enc.encode(ch));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** path_simplify() for escaping: collapse `//` and `/./`, keep `..` (which then fails normalisation). */
function simplifyPath(p: string): string {
  const abs = p.startsWith('/');
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  return (abs ? '/' : '') + parts.join('/');
}

/** unit_name_path_escape() / `systemd-escape --path`: `/` → `-`; null for paths with `..`. */
export function escapeUnitPath(path: string): string | null {
  const p = simplifyPath(path);
  if (p === '' || p === '/') return '-';
  if (p.split('/').includes('..')) return null;
  return escapeUnitNamePart(p.replace(/^\/+/, ''));
}

/** unit_name_path_unescape() / `systemd-escape --unescape --path`: `-` → `/`; null if invalid. */
export function unescapeUnitPath(s: string): string | null {
  if (s === '') return null;
  if (s === '-') return '/';
  const u = unescapeUnitNamePart(s);
  if (u === null) return null;
  const p = '/' + u;
  // The result must already be a normalised absolute path.
  if (simplifyPath(p) !== p || p.split('/').includes('..')) return null;
  return p;
}

/**
 * unit_name_from_path(): `systemd-escape --path --suffix=mount /home/x` →
 * `home-x.mount`.
 */
export function unitNameFromPath(path: string, type: UnitType): string | null {
  const e = escapeUnitPath(path);
  if (e === null) return null;
  const name = `${e}.${type}`;
  return parseUnitName(name) ? name : null;
}
