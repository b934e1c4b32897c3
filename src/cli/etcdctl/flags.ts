// Command-line parsing as etcdctl v2 does it: urfave/cli v1.20 on top of Go's
// flag package. Global flags come before the command; a command's flags may
// be mixed with its arguments (urfave moves them to the front first, and a
// word after a flag without `=` travels with it, even after a bool flag);
// `-name` and `--name` are the same; `--` ends the flags.

export type FlagKind = 'bool' | 'string' | 'int' | 'duration';

export interface FlagDef {
  /** Long name first, then aliases (`['recursive', 'r']`). */
  names: readonly string[];
  kind: FlagKind;
}

export type FlagValue = boolean | string | number;

export interface Parsed {
  /** Values by the flag's first name; only flags given on the command line. */
  values: Map<string, FlagValue>;
  args: string[];
}

/** A usage error; `message` is Go's text (`flag provided but not defined: -x`). */
export class UsageError extends Error {}

/** urfave/cli argIsFlag: is arg one of these flags (`-x`, `--x`, `--x=v`)? */
function argIsFlag(defs: readonly FlagDef[], arg: string): boolean {
  if (arg === '-' || arg === '--' || !arg.startsWith('-')) return false;
  let name = arg;
  if (name.startsWith('--')) name = name.replace('-', '').replace('-', '');
  if (name.startsWith('-')) name = name.replace('-', '');
  name = name.split('=')[0]!;
  return defs.some((d) => d.names.includes(name));
}

/**
 * urfave/cli 1.22 reorderArgs (the version Debian builds etcdctl 3.4 with):
 * the command's own flags, each with the word after it when it has no `=`,
 * move to the front; anything else keeps its order; a `--` goes to the front
 * of the rest, so it ends flag parsing there.
 */
export function reorderArgs(defs: readonly FlagDef[], args: readonly string[]): string[] {
  const reordered: string[] = [];
  let remaining: string[] = [];
  let nextMayBeValue = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (nextMayBeValue && !argIsFlag(defs, arg)) {
      nextMayBeValue = false;
      reordered.push(arg);
    } else if (arg === '--') {
      remaining = ['--', ...remaining, ...args.slice(i + 1)];
      break;
    } else if (argIsFlag(defs, arg)) {
      reordered.push(arg);
      nextMayBeValue = !arg.includes('=');
    } else {
      remaining.push(arg);
    }
  }
  return [...reordered, ...remaining];
}

/** urfave's normalizeFlags complaint: two names of one flag both given. */
export class TwoFormsError extends UsageError {}

/**
 * Go's flag.FlagSet.Parse, then urfave's check that two names of one flag
 * were not both used (a TwoFormsError).
 */
export function parseFlags(defs: readonly FlagDef[], input: readonly string[]): Parsed {
  const byName = new Map<string, FlagDef>();
  for (const d of defs) for (const n of d.names) byName.set(n, d);
  const values = new Map<string, FlagValue>();
  const formsUsed = new Map<string, Set<string>>();
  const args = [...input];
  while (args.length > 0) {
    const s = args[0]!;
    if (s.length < 2 || s[0] !== '-') break;
    let minuses = 1;
    if (s[1] === '-') {
      minuses = 2;
      if (s.length === 2) {
        args.shift();
        break;
      }
    }
    let name = s.slice(minuses);
    if (name.length === 0 || name[0] === '-' || name[0] === '=') throw new UsageError(`bad flag syntax: ${s}`);
    args.shift();
    let value: string | undefined;
    const eq = name.indexOf('=', 1);
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const def = byName.get(name);
    if (def === undefined) throw new UsageError(`flag provided but not defined: -${name}`);
    const key = def.names[0]!;
    const forms = formsUsed.get(key) ?? new Set<string>();
    forms.add(name);
    formsUsed.set(key, forms);
    if (def.kind === 'bool') {
      if (value === undefined) values.set(key, true);
      else {
        const b = parseGoBool(value);
        if (b === undefined) throw new UsageError(`invalid boolean value ${goQuoteArg(value)} for -${name}: parse error`);
        values.set(key, b);
      }
      continue;
    }
    if (value === undefined) {
      if (args.length === 0) throw new UsageError(`flag needs an argument: -${name}`);
      value = args.shift()!;
    }
    if (def.kind === 'string') values.set(key, value);
    else {
      const n = def.kind === 'int' ? parseGoInt(value) : parseGoDuration(value);
      if (n === undefined) throw new UsageError(`invalid value ${goQuoteArg(value)} for flag -${name}: parse error`);
      values.set(key, n);
    }
  }
  for (const d of defs) {
    const used = d.names.filter((n) => formsUsed.get(d.names[0]!)?.has(n) === true);
    if (used.length > 1) throw new TwoFormsError(`Cannot use two forms of the same flag: ${used[1]} ${used[0]}`);
  }
  return { values, args };
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** strconv.ParseInt(s, 0, 64): decimal, 0x hex, 0o/leading-0 octal, 0b binary. */
export function parseGoInt(s: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[0-9]+)$/.exec(s);
  if (m === null) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  let body = m[2]!;
  if (body.includes('_') && !/^0[xXoObB]?/.test(body)) return undefined;
  body = body.replace(/_/g, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (body.length > 1 && body.startsWith('0')) n = parseInt(body.slice(1), 8);
  else n = parseInt(body, 10);
  return Number.isFinite(n) ? sign * n : undefined;
}

const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

/** time.ParseDuration, in milliseconds. */
export function parseGoDuration(s: string): number | undefined {
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  const re = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const m = re.exec(rest);
    if (m === null || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Go's %q for an argument in an error message. */
function goQuoteArg(s: string): string {
  return JSON.stringify(s);
}
