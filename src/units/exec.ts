// Exec*= command lines, as systemd.service(5) "COMMAND LINES" describes and
// config_parse_exec() (load-fragment.c, v252) implements:
//  - prefixes on the executable, in any order: `-` (failure ignored), `@`
//    (next word is argv[0]), `:` (no environment expansion), and one of `+`
//    (full privileges), `!` (no user switch), `!!` (`!` only without ambient
//    capabilities);
//  - words split with quotes and C escapes (words.ts); specifiers expanded per
//    word after unquoting;
//  - a lone `;` separates commands on one line, `\;` is a literal `;`;
//  - the executable is an absolute path or a plain file name (searched in
//    PATH); anything else refuses the line. Without `-` such errors are fatal
//    for the unit (LoadState bad-setting); with `-` only the line is dropped.
// Environment expansion ($VAR, ${VAR}) happens at exec time: expandExecArgv().

import { stringIsSafe } from './syntax.js';
import type { SpecifierExpander } from './specifiers.js';
import { extractWord, extractWordAndWarn, WHITESPACE } from './words.js';
import type { Diagnostic } from './diagnostics.js';

export interface ExecCommand {
  /** The executable: absolute path, or a bare name to look up in PATH. */
  path: string;
  /** Full argv including argv[0]. */
  argv: string[];
  /** `-`: a failing exit status is recorded but counts as success. */
  ignoreFailure: boolean;
  /** `@`: argv[0] was given as the second word. */
  argv0Separate: boolean;
  /** `:`: no $VAR / ${VAR} expansion. */
  noEnvExpand: boolean;
  /** `+`: run with full privileges (User=, Group= and sandboxing ignored). */
  fullPrivileges: boolean;
  /** `!`: User=/Group= switch not applied. */
  noSetuid: boolean;
  /** `!!`: like `!`, but only on systems without ambient capabilities. */
  ambientMagic: boolean;
}

export interface ExecLineResult {
  /** Commands parsed from the line (may be several, separated by `;`). */
  commands: ExecCommand[];
  /** True for an empty value, which resets the list. */
  reset: boolean;
  diagnostics: Diagnostic[];
  /** True when systemd refuses to load the unit because of this line. */
  fatal: boolean;
}

const identity: SpecifierExpander = (text) => ({ ok: true, value: text });

/** path_is_valid(): non-empty, no component longer than 255 bytes, shorter than PATH_MAX. */
function pathIsValid(p: string): boolean {
  if (p === '' || new TextEncoder().encode(p).length >= 4096) return false;
  return p.split('/').every((c) => new TextEncoder().encode(c).length <= 255);
}

/** filename_is_valid(): one path component, not `.` or `..`. */
function filenameIsValid(p: string): boolean {
  return p !== '' && p !== '.' && p !== '..' && !p.includes('/') && new TextEncoder().encode(p).length <= 255;
}

/** path_simplify(): drop repeated slashes and `.` components. */
function simplify(p: string): string {
  const abs = p.startsWith('/');
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  const s = (abs ? '/' : '') + parts.join('/');
  return s === '' ? (abs ? '/' : '.') : s;
}

export function parseExecLine(
  rvalue: string,
  file: string,
  line: number,
  expand: SpecifierExpander = identity,
): ExecLineResult {
  const diagnostics: Diagnostic[] = [];
  const commands: ExecCommand[] = [];
  const result = (fatal: boolean): ExecLineResult => ({ commands, reset: false, diagnostics, fatal });

  let p = rvalue.replace(/^[ \t\n\r]+/, '');
  if (p === '') return { commands, reset: true, diagnostics, fatal: false };

  let semicolon: boolean;
  do {
    semicolon = false;
    const first = extractWordAndWarn(p, { unquote: true, cunescape: true }, rvalue);
    if (!first.ok) {
      diagnostics.push({ severity: 'error', file, line, message: first.error });
      return result(false);
    }
    if (first.warning) diagnostics.push({ severity: 'warning', file, line, message: first.warning });
    if (first.word === null) return result(false);
    p = first.rest;
    // A lone ";" in command position is a separator, not an executable.
    if (first.word === ';') {
      semicolon = true;
      continue;
    }

    let f = first.word;
    const cmd: ExecCommand = {
      path: '', argv: [], ignoreFailure: false, argv0Separate: false, noEnvExpand: false,
      fullPrivileges: false, noSetuid: false, ambientMagic: false,
    };
    for (;;) {
      const c = f[0];
      const privileged = cmd.fullPrivileges || cmd.noSetuid || cmd.ambientMagic;
      if (c === '-' && !cmd.ignoreFailure) cmd.ignoreFailure = true;
      else if (c === '@' && !cmd.argv0Separate) cmd.argv0Separate = true;
      else if (c === ':' && !cmd.noEnvExpand) cmd.noEnvExpand = true;
      else if (c === '+' && !privileged) cmd.fullPrivileges = true;
      else if (c === '!' && !privileged) cmd.noSetuid = true;
      else if (c === '!' && !cmd.fullPrivileges && !cmd.ambientMagic) {
        cmd.noSetuid = false;
        cmd.ambientMagic = true;
      } else break;
      f = f.slice(1);
    }
    const ignore = cmd.ignoreFailure;
    const suffix = ignore ? ', ignoring' : '';
    const fail = (message: string): ExecLineResult => {
      diagnostics.push({ severity: 'error', file, line, message });
      return result(!ignore);
    };

    const ex = expand(f);
    if (!ex.ok) return fail(`Failed to resolve unit specifiers in ${f}${suffix}: ${ex.error}`);
    const path = ex.value;
    if (path === '') return fail(`Empty path in command line${suffix}: '${rvalue}'`);
    if (!stringIsSafe(path)) return fail(`Executable name contains special characters${suffix}: ${path}`);
    if (path.endsWith('/')) return fail(`Executable path specifies a directory${suffix}: ${path}`);
    if (!(path.startsWith('/') ? pathIsValid(path) : filenameIsValid(path))) {
      return fail(`Neither a valid executable name nor an absolute path${suffix}: ${path}`);
    }
    if (!cmd.argv0Separate) cmd.argv.push(path);
    cmd.path = simplify(path);

    while (p !== '') {
      // An unquoted ";" followed by whitespace or the end separates commands.
      if (p[0] === ';' && (p.length === 1 || WHITESPACE.includes(p[1]!))) {
        p = p.slice(1).replace(/^[ \t\n\r]+/, '');
        semicolon = true;
        break;
      }
      // "\;" alone is a literal semicolon argument (checked before unescaping,
      // so "\\;" or "\;" inside quotes are not confused with it).
      if (p[0] === '\\' && p[1] === ';' && (p.length === 2 || WHITESPACE.includes(p[2]!))) {
        p = p.slice(2).replace(/^[ \t\n\r]+/, '');
        cmd.argv.push(';');
        continue;
      }
      const w = extractWordAndWarn(p, { unquote: true, cunescape: true }, rvalue);
      if (!w.ok) {
        diagnostics.push({ severity: 'error', file, line, message: w.error });
        return result(!ignore);
      }
      if (w.warning) diagnostics.push({ severity: 'warning', file, line, message: w.warning });
      if (w.word === null) break;
      p = w.rest;
      const e = expand(w.word);
      if (!e.ok) return fail(`Failed to resolve unit specifiers in ${w.word}${suffix}: ${e.error}`);
      cmd.argv.push(e.value);
    }

    if (cmd.argv.length === 0) return fail(`Empty executable name or zeroeth argument${suffix}: ${rvalue}`);
    commands.push(cmd);
  } while (semicolon);

  return result(false);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** env_name_is_valid(). */
export function isValidEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

/**
 * replace_env() for one word: `${VAR}` is replaced by the value (empty when
 * unset), `$$` by `$`; a `$NAME` inside a word stays as written.
 */
export function expandEnvInWord(word: string, env: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const n = word[i + 1];
    if (n === '$') {
      out += '$';
      i++;
    } else if (n === '{') {
      const close = word.indexOf('}', i + 2);
      const body = close < 0 ? '' : word.slice(i + 2, close);
      // No closing brace, or the extended `${A:-b}` syntax which the exec
      // expansion does not support: the text is kept verbatim.
      if (close < 0 || body.includes(':')) {
        out += c;
        continue;
      }
      out += Object.prototype.hasOwnProperty.call(env, body) ? env[body] : '';
      i = close;
    } else out += c;
  }
  return out;
}

/**
 * Expands $VAR and ${VAR} in an argv as systemd does just before exec
 * (replace_env_argv()): a word that is exactly `$NAME` becomes the variable's
 * value split on whitespace (quotes in the value honoured; no words if unset);
 * every other word keeps its place and has `${NAME}` and `$$` replaced.
 * argv[0] takes part too; callers skip this for commands with `:`.
 */
export function expandExecArgv(argv: readonly string[], env: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const word of argv) {
    if (word[0] === '$' && word[1] !== '{' && word[1] !== '$') {
      const name = word.slice(1);
      if (!Object.prototype.hasOwnProperty.call(env, name)) continue;
      let rest = env[name]!;
      for (;;) {
        const r = extractWord(rest, { unquote: true, relax: true });
        if (!r.ok || r.word === null) break;
        out.push(r.word);
        rest = r.rest;
      }
      continue;
    }
    out.push(expandEnvInWord(word, env));
  }
  return out;
}
