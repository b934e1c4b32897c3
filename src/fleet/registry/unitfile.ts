// fleet's view of a unit file (pure): go-systemd's deserializer and
// serializer as vendored in fleet v1.0.0, the unit hash (SHA-1 of the
// re-serialization), and the [X-Fleet] contents map. fleet stores and hashes
// the *re-serialized* text, so every quirk here changes hashes that real
// fleetctl computes too: comments dropped, sections merged in order of first
// appearance, continuation lines kept literally.

import { createHash } from 'node:crypto';

/** One assignment, as fleet's API and go-systemd carry it. */
export interface UnitOption {
  section: string;
  name: string;
  value: string;
}

/** A parsed unit: its options in file order, their serialization and hash. */
export interface FleetUnitFile {
  options: UnitOption[];
  /** go-systemd's serialization of the options: what `fleetctl cat` prints. */
  text: string;
  /** 40 lowercase hex chars. */
  hash: string;
}

export class UnitFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnitFileError';
  }
}

/** systemd's LINE_MAX as go-systemd checks it. */
export const LINE_MAX = 2048;

// Go's unicode.IsSpace (Latin-1 space chars plus the Z categories' spaces).
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
function isGoSpace(ch: string): boolean {
  return GO_SPACE.test(ch);
}

/** Go's strings.TrimSpace. */
export function goTrimSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isGoSpace(s[a]!)) a++;
  while (b > a && isGoSpace(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/**
 * go-systemd's Deserialize (the version fleet v1.0.0 vendors). Errors carry
 * the same wording where the original has one.
 */
export function deserializeUnit(raw: string): UnitOption[] {
  const s = raw;
  let pos = 0;
  const out: UnitOption[] = [];

  // bufio.ReadBytes('\n') with \r then \n trimmed (so "\r\n" keeps its \r).
  const toEOL = (): { line: string; eof: boolean } => {
    const nl = s.indexOf('\n', pos);
    let line: string;
    let eof: boolean;
    if (nl < 0) {
      line = s.slice(pos);
      pos = s.length;
      eof = true;
    } else {
      line = s.slice(pos, nl + 1);
      pos = nl + 1;
      eof = false;
    }
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.endsWith('\n')) line = line.slice(0, -1);
    return { line, eof };
  };

  const readRune = (): string | undefined => {
    if (pos >= s.length) return undefined;
    const cp = s.codePointAt(pos)!;
    const ch = String.fromCodePoint(cp);
    pos += ch.length;
    return ch;
  };

  // A line of LINE_MAX bytes or more without a newline is refused, as systemd would truncate it.
  const checkLineLength = (): void => {
    const remaining = s.length - pos;
    if (remaining === 0) return;
    let end = pos;
    let bytes = 0;
    while (end < s.length && bytes < LINE_MAX) {
      const c = s.charCodeAt(end);
      if (c === 0x0a || c === 0x0d) return;
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : c >= 0xdc00 && c <= 0xdfff ? 0 : 3;
      end++;
    }
    if (bytes >= LINE_MAX) throw new UnitFileError(`line too long (max ${LINE_MAX} bytes)`);
  };

  type Step = (() => Step) | null;

  const ignoreLine = (next: Step): Step => {
    for (;;) {
      let { line } = toEOL();
      if (line.endsWith(' ')) line = line.slice(0, -1);
      if (!line.endsWith('\\')) break;
      if (pos >= s.length) break;
    }
    return next;
  };

  const sectionName = (): Step => {
    const close = s.indexOf(']', pos);
    if (close < 0) throw new UnitFileError('unable to find end of section');
    const name = s.slice(pos, close);
    pos = close + 1;
    return () => {
      const { line } = toEOL();
      const garbage = goTrimSpace(line);
      if (garbage.length > 0) throw new UnitFileError(`found garbage after section name [${name}]: ${JSON.stringify(garbage)}`);
      return sectionOrOption(name);
    };
  };

  const nextSection = (): Step => {
    const r = readRune();
    if (r === undefined) return null;
    if (r === '[') return sectionName;
    if (r === '#' || r === ';') return () => ignoreLine(nextSection);
    return nextSection;
  };

  const sectionOrOption = (section: string): Step => () => {
    const before = pos;
    const r = readRune();
    if (r === undefined) return null;
    if (isGoSpace(r)) return sectionOrOption(section);
    if (r === '[') return sectionName;
    if (r === '#' || r === ';') return () => ignoreLine(sectionOrOption(section));
    pos = before;
    return optionName(section);
  };

  const optionName = (section: string): Step => () => {
    let partial = '';
    for (;;) {
      const r = readRune();
      if (r === undefined) throw new UnitFileError(`unexpected end of file in option name in section [${section}]`);
      if (r === '\n' || r === '\r') throw new UnitFileError('unexpected newline encountered while parsing option name');
      if (r === '=') break;
      partial += r;
    }
    return optionValue(section, goTrimSpace(partial), '');
  };

  const optionValue = (section: string, name: string, partial: string): Step => () => {
    const { line, eof } = toEOL();
    if (goTrimSpace(line).length !== 0) {
      partial += line;
      if (line.endsWith('\\')) {
        if (!eof) partial += '\n';
        return optionValue(section, name, partial);
      }
    }
    const value = partial.endsWith('\n') ? goTrimSpace(partial) + '\n' : goTrimSpace(partial);
    out.push({ section, name, value });
    return sectionOrOption(section);
  };

  let next: Step = nextSection;
  while (next !== null) {
    checkLineLength();
    next = next();
  }
  return out;
}

/** go-systemd's Serialize: sections in order of first appearance, a blank line between them. */
export function serializeUnit(options: readonly UnitOption[]): string {
  if (options.length === 0) return '';
  const bySection = new Map<string, UnitOption[]>();
  for (const o of options) {
    const list = bySection.get(o.section);
    if (list) list.push(o);
    else bySection.set(o.section, [o]);
  }
  const parts: string[] = [];
  for (const [section, opts] of bySection) {
    parts.push(`[${section}]\n` + opts.map((o) => `${o.name}=${o.value}\n`).join(''));
  }
  return parts.join('\n');
}

export function sha1Hex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

/** A unit file from its options (as the API receives them). */
export function unitFromOptions(options: readonly UnitOption[]): FleetUnitFile {
  const opts = options.map((o) => ({ section: o.section, name: o.name, value: o.value }));
  const text = serializeUnit(opts);
  return { options: opts, text, hash: sha1Hex(text) };
}

/** A unit file from raw text (a local file, or `unit/<hash>`'s Raw). Throws UnitFileError. */
export function parseFleetUnit(raw: string): FleetUnitFile {
  return unitFromOptions(deserializeUnit(raw));
}

export function shortHash(hash: string): string {
  return hash.slice(0, 7);
}

/** A hex hash as the 20 byte values Go's json encodes a [20]byte as. */
export function hashToBytes(hex: string): number[] {
  if (!/^[0-9a-f]{40}$/i.test(hex)) throw new Error(`not a SHA-1 hex hash: ${JSON.stringify(hex)}`);
  const out: number[] = [];
  for (let i = 0; i < 40; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

export function bytesToHash(bytes: readonly number[]): string {
  if (bytes.length !== 20 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    throw new Error(`UnitHash is not 20 byte values: ${JSON.stringify(bytes)}`);
  }
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * fleet's multi-value rule for [X-Fleet] values: a value that starts and
 * ends with `"` is split on spaces outside quotes, quotes removed.
 */
export function parseMultivalue(line: string): string[] {
  if (!(line.startsWith('"') && line.endsWith('"'))) return [line];
  const values: string[] = [];
  let v = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') {
      quoted = !quoted;
      continue;
    }
    if (ch === ' ' && !quoted) {
      values.push(v);
      v = '';
      continue;
    }
    v += ch;
  }
  values.push(v);
  return values;
}

/** section → key → values, with [X-Fleet] values split as fleet splits them. */
export function unitContents(options: readonly UnitOption[]): Map<string, Map<string, string[]>> {
  const contents = new Map<string, Map<string, string[]>>();
  for (const o of options) {
    let sec = contents.get(o.section);
    if (!sec) contents.set(o.section, (sec = new Map()));
    let vals = sec.get(o.name);
    if (!vals) sec.set(o.name, (vals = []));
    vals.push(...(o.section === 'X-Fleet' ? parseMultivalue(o.value) : [o.value]));
  }
  return contents;
}

/** `[Unit] Description=` (first value), or "". */
export function unitDescription(options: readonly UnitOption[]): string {
  return options.find((o) => o.section === 'Unit' && o.name === 'Description')?.value ?? '';
}
