// The unit-file syntax as systemd's config parser (conf-parser.c, v252) reads
// it, described in systemd.syntax(7):
//  - `[Section]` headers, then `Key=value` lines; whitespace around `=` and at
//    both ends of a line is dropped;
//  - a line whose first non-blank character is `#` or `;` is a comment, also in
//    the middle of a continuation (the comment block is skipped);
//  - a line ending in an unescaped backslash continues on the next line, the
//    backslash replaced by a space; `\\` at the end does not continue;
//  - diagnostics name the physical line where the logical line ends, as
//    systemd does.
// This module knows nothing about which sections or keys exist: it keeps every
// assignment in order, and settings.ts interprets them.

import { Diagnostic, DiagnosticSink } from './diagnostics.js';

export interface Assignment {
  key: string;
  value: string;
  file: string;
  /** Physical line where the (possibly continued) assignment ends. */
  line: number;
}

export interface Section {
  name: string;
  file: string;
  /** Line of the `[Name]` header. */
  line: number;
  entries: Assignment[];
  /**
   * Malformed lines inside this section (missing `=`, missing key). systemd
   * reports them only for sections it knows: inside an ignored section
   * (unknown, or `X-…`) every line is skipped silently.
   */
  diagnostics: Diagnostic[];
}

export interface UnitFile {
  path: string;
  /** Sections in file order; a name repeated in the file gives several entries. */
  sections: Section[];
  /** Problems outside any section (assignment before the first header, bad header). */
  diagnostics: Diagnostic[];
  /**
   * True when systemd would abort reading the file (an invalid section
   * header); the unit then gets LoadState `error`. Lines after the fault are
   * not read, as in systemd.
   */
  failed: boolean;
}

const WHITESPACE = ' \t\n\r';

function strip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && WHITESPACE.includes(s[a]!)) a++;
  while (b > a && WHITESPACE.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** systemd's string_is_safe(): no control characters, quotes or backslashes. */
export function stringIsSafe(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f || ch === '\\' || ch === '"' || ch === "'") return false;
  }
  return true;
}

/** Splits text into physical lines the way read_line() does: `\n`, `\r\n` or `\r` end a line. */
function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  // A final newline does not start another line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** True when the line ends in a backslash that is not itself escaped. */
function endsWithContinuation(s: string): boolean {
  let escaped = false;
  for (const ch of s) {
    if (escaped) escaped = false;
    else if (ch === '\\') escaped = true;
  }
  return escaped;
}

export function parseUnitFile(text: string, path: string): UnitFile {
  const sink = new DiagnosticSink();
  const sections: Section[] = [];
  let current: Section | null = null;
  let failed = false;

  const lines = splitLines(text);
  let continuation: string | null = null;

  // Returns false when reading must stop (systemd returns an error).
  const parseLogicalLine = (raw: string, line: number): boolean => {
    const l = strip(raw);
    if (l === '') return true;
    if (l.startsWith('[')) {
      if (!l.endsWith(']')) {
        sink.error(path, line, `Invalid section header '${l}'`);
        return false;
      }
      const name = l.slice(1, -1);
      if (!stringIsSafe(name)) {
        sink.error(path, line, `Bad characters in section header '${l}'`);
        return false;
      }
      current = { name, file: path, line, entries: [], diagnostics: [] };
      sections.push(current);
      return true;
    }
    if (current === null) {
      sink.warn(path, line, 'Assignment outside of section. Ignoring.');
      return true;
    }
    const section: Section = current;
    const eq = l.indexOf('=');
    if (eq <= 0) {
      const message = eq < 0 ? "Missing '=', ignoring line." : "Missing key name before '=', ignoring line.";
      section.diagnostics.push({ severity: 'warning', file: path, line, message });
      return true;
    }
    section.entries.push({
      key: strip(l.slice(0, eq)),
      value: strip(l.slice(eq + 1)),
      file: path,
      line,
    });
    return true;
  };

  for (let i = 0; i < lines.length && !failed; i++) {
    let buf = lines[i]!;
    const lineNo = i + 1;
    if (i === 0 && buf.startsWith('\uFEFF')) buf = buf.slice(1);
    const first = strip(buf)[0];
    if (first === '#' || first === ';') continue;

    const joined: string = continuation === null ? buf : continuation + buf;
    if (endsWithContinuation(buf)) {
      continuation = joined.slice(0, -1) + ' ';
      continue;
    }
    continuation = null;
    if (!parseLogicalLine(joined, lineNo)) failed = true;
  }
  // A file ending inside a continuation still has it parsed; systemd counts
  // one line past the end for it (checked with systemd-analyze verify 252).
  if (!failed && continuation !== null) {
    if (!parseLogicalLine(continuation, lines.length + 1)) failed = true;
  }

  return { path, sections, diagnostics: sink.list, failed };
}

/** Every assignment of `section` across files (fragment first, then drop-ins), in order. */
export function assignmentsOf(files: readonly UnitFile[], section: string): Assignment[] {
  const out: Assignment[] = [];
  for (const f of files) {
    for (const s of f.sections) if (s.name === section) out.push(...s.entries);
  }
  return out;
}

/** Every syntax problem of a file, by line: file-level ones and those inside sections. */
export function syntaxDiagnostics(file: UnitFile): Diagnostic[] {
  return [...file.diagnostics, ...file.sections.flatMap((s) => s.diagnostics)].sort((a, b) => a.line - b.line);
}

/** Names of the sections present across files, in first-seen order. */
export function sectionNames(files: readonly UnitFile[]): string[] {
  const seen = new Set<string>();
  for (const f of files) for (const s of f.sections) seen.add(s.name);
  return [...seen];
}
