// Word splitting with quotes and C-style escapes, as systemd's
// extract_first_word() (extract-word.c, v252) does for settings "where quoting
// is allowed" (systemd.syntax(7), QUOTING).
//
// Behaviour worth knowing, taken from systemd rather than from a shell:
//  - quotes may open in the middle of a word and are then simply removed
//    (`a"b c"d` is the one word `ab cd`), a little laxer than the man page says;
//  - escapes are decoded inside and outside quotes; `\xHH` and octal give raw
//    bytes, so `\xc3\xa9` is the UTF-8 for "é";
//  - an unknown escape (`\q`) is an error; extractWordAndWarn() retries keeping
//    the backslash verbatim and warns, as extract_first_word_and_warn() does.

export const WHITESPACE = ' \t\n\r';

export interface ExtractFlags {
  /** Remove quotes ('…' and "…"). */
  unquote?: boolean;
  /** Decode C escapes (\n, \x41, \s, …). Without it a backslash just escapes the next character. */
  cunescape?: boolean;
  /** Keep a backslash verbatim before an unknown escape (or at the very end). */
  unescapeRelax?: boolean;
  /** Tolerate unbalanced quotes and a trailing backslash. */
  relax?: boolean;
}

export type ExtractResult =
  | { ok: true; word: string | null; rest: string }
  | { ok: false; reason: 'invalid' };

/** Decodes one escape after a backslash: returns the code (byte if `byte`) and the characters consumed. */
export function cunescapeOne(s: string, i: number): { code: number; byte: boolean; length: number } | null {
  const c = s[i];
  const simple: Record<string, number> = {
    a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39, s: 32,
  };
  if (c === undefined) return null;
  if (c in simple) return { code: simple[c]!, byte: false, length: 1 };
  const hexAt = (k: number): number => {
    const ch = s[k];
    return ch !== undefined && /^[0-9a-fA-F]$/.test(ch) ? parseInt(ch, 16) : -1;
  };
  if (c === 'x') {
    const a = hexAt(i + 1);
    const b = hexAt(i + 2);
    if (a < 0 || b < 0) return null;
    const v = (a << 4) | b;
    if (v === 0) return null; // NUL bytes are refused
    return { code: v, byte: true, length: 3 };
  }
  if (c === 'u' || c === 'U') {
    const n = c === 'u' ? 4 : 8;
    let v = 0;
    for (let k = 1; k <= n; k++) {
      const d = hexAt(i + k);
      if (d < 0) return null;
      v = v * 16 + d;
    }
    if (v === 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return null;
    return { code: v, byte: false, length: n + 1 };
  }
  if (c >= '0' && c <= '7') {
    let v = 0;
    for (let k = 0; k < 3; k++) {
      const ch = s[i + k];
      if (ch === undefined || ch < '0' || ch > '7') return null;
      v = v * 8 + (ch.charCodeAt(0) - 48);
    }
    if (v === 0 || v > 255) return null;
    return { code: v, byte: true, length: 3 };
  }
  return null;
}

/** Builds a word from code points and raw bytes, decoding the bytes as UTF-8 at the end. */
class WordBuilder {
  private bytes: number[] = [];
  private readonly encoder = new TextEncoder();
  addText(t: string): void {
    for (const b of this.encoder.encode(t)) this.bytes.push(b);
  }
  addByte(b: number): void {
    this.bytes.push(b);
  }
  addCode(cp: number): void {
    this.addText(String.fromCodePoint(cp));
  }
  toString(): string {
    return new TextDecoder().decode(new Uint8Array(this.bytes));
  }
}

/**
 * Extracts the first word of `input`. `word` is null when only separators
 * remain. `rest` is what follows, with the separators after the word skipped.
 */
export function extractWord(input: string, flags: ExtractFlags, separators: string = WHITESPACE): ExtractResult {
  let i = 0;
  while (i < input.length && separators.includes(input[i]!)) i++;
  if (i >= input.length) return { ok: true, word: null, rest: '' };

  const out = new WordBuilder();
  let quote: string | null = null;
  for (;;) {
    const c = input[i];
    if (c === undefined) {
      if (quote !== null && !flags.relax) return { ok: false, reason: 'invalid' };
      return { ok: true, word: out.toString(), rest: '' };
    }
    if (c === '\\') {
      const next = input[i + 1];
      if (next === undefined) {
        if (flags.unescapeRelax && (quote === null || flags.relax)) {
          out.addText('\\');
          return { ok: true, word: out.toString(), rest: '' };
        }
        if (flags.relax) return { ok: true, word: out.toString(), rest: '' };
        return { ok: false, reason: 'invalid' };
      }
      if (flags.cunescape) {
        const e = cunescapeOne(input, i + 1);
        if (e) {
          if (e.byte) out.addByte(e.code);
          else out.addCode(e.code);
          i += 1 + e.length;
          continue;
        }
        if (!flags.unescapeRelax) return { ok: false, reason: 'invalid' };
        out.addText('\\');
      }
      // Without C unescaping, or relaxed: the backslash escapes the next character.
      const cp = input.codePointAt(i + 1)!;
      out.addCode(cp);
      i += 1 + (cp > 0xffff ? 2 : 1);
      continue;
    }
    if (quote !== null) {
      if (c === quote) {
        quote = null;
        if (!flags.unquote) out.addText(c);
      } else out.addText(c);
      i++;
      continue;
    }
    if ((c === '"' || c === "'") && flags.unquote) {
      quote = c;
      i++;
      continue;
    }
    if (separators.includes(c)) {
      while (i < input.length && separators.includes(input[i]!)) i++;
      return { ok: true, word: out.toString(), rest: input.slice(i) };
    }
    const cp = input.codePointAt(i)!;
    out.addCode(cp);
    i += cp > 0xffff ? 2 : 1;
  }
}

export type WarnedExtract =
  | { ok: true; word: string | null; rest: string; warning?: string }
  | { ok: false; error: string };

/**
 * extract_first_word_and_warn(): on a bad escape, retry keeping backslashes
 * verbatim and warn; unbalanced quotes are an error. Messages are systemd's.
 */
export function extractWordAndWarn(input: string, flags: ExtractFlags, rvalue: string): WarnedExtract {
  const r = extractWord(input, flags);
  if (r.ok) return r;
  if (!flags.unescapeRelax) {
    const again = extractWord(input, { ...flags, unescapeRelax: true });
    if (again.ok) {
      return { ...again, warning: `Ignoring unknown escape sequences: "${again.word ?? ''}"` };
    }
  }
  return { ok: false, error: `Unbalanced quoting, ignoring: "${rvalue}"` };
}

/** Splits a whole value into words; null if the quoting is unbalanced or an escape is invalid. */
export function splitWords(value: string, flags: ExtractFlags): string[] | null {
  const words: string[] = [];
  let rest = value;
  for (;;) {
    const r = extractWord(rest, flags);
    if (!r.ok) return null;
    if (r.word === null) return words;
    words.push(r.word);
    rest = r.rest;
  }
}
