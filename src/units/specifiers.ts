// `%` specifiers as systemd.unit(5) ("SPECIFIERS") lists them for the system
// manager. Values about the machine come from a context the caller supplies
// (the init reads them from its root); values about the unit come from its
// name. An unknown specifier makes the whole value fail with systemd's errno
// text "Invalid slot" (EBADSLT); a lone `%` at the very end is kept.

import { nameWithoutSuffix, parseUnitName, unescapeUnitNamePart, unescapeUnitPath } from './names.js';

export interface SpecifierContext {
  /** /etc/machine-id contents (%m). */
  machineId: string;
  /** The boot id (%b). */
  bootId: string;
  /** Hostname (%H); %l is its first label. */
  hostname: string;
  /** The service manager's user (%u %U %g %G %h %s): root for the system manager, never User=. */
  userName: string;
  uid: number;
  groupName: string;
  gid: number;
  home: string;
  shell: string;
  /** %t; "/run" for the system manager. */
  runtimeDir?: string;
  /** %v, `uname -r`; without it %v is not available. */
  kernelRelease?: string;
  /** %a, systemd's architecture name (e.g. x86-64); without it %a is not available. */
  architecture?: string;
}

export interface SpecifierUnit {
  /** Full unit name, e.g. `foo@bar.service`. */
  name: string;
  /** %y; without it %y and %Y are not available. */
  fragmentPath?: string;
}

export type Expanded = { ok: true; value: string } | { ok: false; error: string };

/** A function that expands specifiers in one value (bound to a unit and context). */
export type SpecifierExpander = (text: string) => Expanded;

const INVALID_SLOT = 'Invalid slot';
const INVALID_ARGUMENT = 'Invalid argument';

function unitValues(unit: SpecifierUnit): Record<string, () => string | null> {
  const n = parseUnitName(unit.name);
  const prefix = n ? n.prefix : nameWithoutSuffix(unit.name);
  const instance = n?.instance ?? '';
  const dash = prefix.lastIndexOf('-');
  const last = dash < 0 ? prefix : prefix.slice(dash + 1);
  return {
    n: () => unit.name,
    N: () => nameWithoutSuffix(unit.name),
    p: () => prefix,
    P: () => unescapeUnitNamePart(prefix),
    i: () => instance,
    I: () => unescapeUnitNamePart(instance),
    j: () => last,
    J: () => unescapeUnitNamePart(last),
    // %f: the instance (or prefix) read as an escaped path.
    f: () => unescapeUnitPath(n && n.instance ? n.instance : prefix),
  };
}

/** Builds the expander for one unit. */
export function specifierExpander(unit: SpecifierUnit, ctx: SpecifierContext): SpecifierExpander {
  const table: Record<string, () => string | null> = {
    ...unitValues(unit),
    H: () => ctx.hostname,
    l: () => ctx.hostname.split('.')[0]!,
    m: () => ctx.machineId,
    b: () => ctx.bootId,
    u: () => ctx.userName,
    U: () => String(ctx.uid),
    g: () => ctx.groupName,
    G: () => String(ctx.gid),
    h: () => ctx.home,
    s: () => ctx.shell,
    t: () => ctx.runtimeDir ?? '/run',
    S: () => '/var/lib',
    C: () => '/var/cache',
    L: () => '/var/log',
    E: () => '/etc',
    T: () => '/tmp',
    V: () => '/var/tmp',
  };
  if (ctx.kernelRelease !== undefined) table['v'] = () => ctx.kernelRelease!;
  if (ctx.architecture !== undefined) table['a'] = () => ctx.architecture!;
  if (unit.fragmentPath !== undefined) {
    const path = unit.fragmentPath;
    table['y'] = () => path;
    table['Y'] = () => path.slice(0, Math.max(1, path.lastIndexOf('/')));
  }
  return (text) => expandWith(text, table);
}

function expandWith(text: string, table: Record<string, () => string | null>): Expanded {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const s = text[i + 1];
    if (s === undefined) {
      out += '%'; // a stray % at the end stays
      break;
    }
    i++;
    if (s === '%') {
      out += '%';
      continue;
    }
    const lookup = table[s];
    if (!lookup) return { ok: false, error: INVALID_SLOT };
    const v = lookup();
    if (v === null) return { ok: false, error: INVALID_ARGUMENT };
    out += v;
  }
  return { ok: true, value: out };
}

/** Expands specifiers for a unit in one call. */
export function expandSpecifiers(text: string, unit: SpecifierUnit, ctx: SpecifierContext): Expanded {
  return specifierExpander(unit, ctx)(text);
}

/** Escapes `%` so a literal value survives specifier expansion (for writers of unit files). */
export function escapeSpecifiers(text: string): string {
  return text.replace(/%/g, '%%');
}
