// Flag parsing as fleetctl's spf13/pflag + cobra do it: long flags only
// (fleetctl registers even `l`, `f` and `A` as long names, so `-l` is an
// unknown shorthand), `--name=value` or `--name value`, bare bool flags,
// flags and arguments interleaved, `--` ends the flags. Pure.

export type FlagKind = 'bool' | 'string' | 'int' | 'float';

export interface FlagDef {
  name: string;
  kind: FlagKind;
  /** The default as Go prints it ("" / "0" / "false" are zero values). */
  def: string;
  usage: string;
  /** Left out of the usage text (coracle's additions, so fleetctl's help stays as it was). */
  hidden?: boolean;
}

export type FlagValues = Map<string, string | number | boolean>;

export class FlagError extends Error {}

function goQuoteArg(s: string): string {
  return JSON.stringify(s);
}

/** Go's strconv.ParseInt error text. */
function parseGoInt(value: string): number | string {
  if (!/^[+-]?\d+$/.test(value)) return `strconv.ParseInt: parsing ${goQuoteArg(value)}: invalid syntax`;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 63) return `strconv.ParseInt: parsing ${goQuoteArg(value)}: value out of range`;
  return n;
}

function parseGoFloat(value: string): number | string {
  const t = value.trim() === value ? value : '';
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && !/^[+-]?(inf|infinity|nan)$/i.test(t)) {
    return `strconv.ParseFloat: parsing ${goQuoteArg(value)}: invalid syntax`;
  }
  return Number(t);
}

function parseGoBool(value: string): boolean | string {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return `strconv.ParseBool: parsing ${goQuoteArg(value)}: invalid syntax`;
}

/** Converts a flag's text value; throws FlagError with pflag's message. */
export function convertFlag(def: FlagDef, value: string, origArg: string): string | number | boolean {
  const v = def.kind === 'bool' ? parseGoBool(value) : def.kind === 'int' ? parseGoInt(value) : def.kind === 'float' ? parseGoFloat(value) : value;
  if (def.kind !== 'string' && typeof v === 'string') throw new FlagError(`invalid argument ${goQuoteArg(value)} for ${origArg}: ${v}`);
  return v;
}

export interface ParsedFlags {
  values: FlagValues;
  /** Flags given on the command line (the environment must not override them). */
  set: Set<string>;
  args: string[];
}

/** pflag's Parse over the given flag set. */
export function parseFlags(defs: readonly FlagDef[], argv: readonly string[]): ParsedFlags {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const values: FlagValues = new Map();
  const set = new Set<string>();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.length === 0 || a[0] !== '-' || a.length === 1) {
      args.push(a);
      continue;
    }
    if (a[1] === '-') {
      if (a.length === 2) {
        args.push(...argv.slice(i + 1));
        break;
      }
      const body = a.slice(2);
      if (body.startsWith('-') || body.startsWith('=')) throw new FlagError(`bad flag syntax: ${a}`);
      const eq = body.indexOf('=');
      const name = eq === -1 ? body : body.slice(0, eq);
      const def = byName.get(name);
      if (def === undefined) throw new FlagError(`unknown flag: --${name}`);
      let value: string;
      if (eq !== -1) value = body.slice(eq + 1);
      else if (def.kind === 'bool') value = 'true';
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw new FlagError(`flag needs an argument: ${a}`);
      values.set(name, convertFlag(def, value, `--${name}`));
      set.add(name);
      continue;
    }
    // Single dash: shorthands, of which fleetctl registers none.
    const c = a[1]!;
    throw new FlagError(`unknown shorthand flag: '${c}' in ${a}`);
  }
  return { values, set, args };
}

/**
 * cobra's stripFlags: the words of argv that are not flags or flag values,
 * used to find the command name wherever it stands.
 */
export function stripFlags(argv: readonly string[], boolFlags: ReadonlySet<string>): string[] {
  const commands: string[] = [];
  let inQuote = false;
  let inFlag = false;
  for (const y of argv) {
    if (!inQuote) {
      if (y.startsWith('"')) inQuote = true;
      else if (y.includes('="')) inQuote = true;
      else if (y.startsWith('--') && !y.includes('=')) inFlag = !boolFlags.has(y.slice(2));
      else if (y.startsWith('-') && !y.includes('=') && y.length === 2) inFlag = true;
      else if (inFlag) inFlag = false;
      else if (y === '') {
        // skipped
      } else if (!y.startsWith('-')) {
        commands.push(y);
        inFlag = false;
      }
    }
    if (y.endsWith('"') && !y.endsWith('\\"')) inQuote = false;
  }
  return commands;
}

/** pflag's FlagUsages: sorted by name, usage column aligned, non-zero defaults shown. */
export function flagUsages(defs: readonly FlagDef[]): string {
  const sorted = defs.filter((d) => d.hidden !== true).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const typeName: Record<FlagKind, string> = { bool: '', string: 'string', int: 'int', float: 'float' };
  const lines = sorted.map((d) => {
    let head = `      --${d.name}`;
    if (typeName[d.kind] !== '') head += ' ' + typeName[d.kind];
    const zero = d.def === '' || d.def === '0' || d.def === 'false';
    const usage = d.usage + (zero ? '' : d.kind === 'string' ? ` (default "${d.def}")` : ` (default ${d.def})`);
    return { head, usage };
  });
  const max = Math.max(0, ...lines.map((l) => l.head.length + 1));
  return lines.map((l) => `${l.head} ${' '.repeat(max - l.head.length)} ${l.usage}\n`).join('');
}
