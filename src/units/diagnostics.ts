// Diagnostics are data: every problem found in a unit file is reported as a
// value naming the file and line, the way systemd's log_syntax() does, and the
// caller decides what to print. Nothing here throws for bad user input.

export type Severity = 'warning' | 'error';

export interface Diagnostic {
  severity: Severity;
  /** The file the problem is in (fragment or drop-in path). */
  file: string;
  /** 1-based physical line; 0 when the problem concerns the unit as a whole. */
  line: number;
  message: string;
  /** Set for unit-wide problems, which systemd prefixes with the unit name. */
  unit?: string;
}

/** Renders a diagnostic as systemd logs it: `file:line: message`, or `unit: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  if (d.line > 0) return `${d.file}:${d.line}: ${d.message}`;
  return `${d.unit ?? d.file}: ${d.message}`;
}

/** Collects diagnostics for one file; a small helper so parsers read simply. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  warn(file: string, line: number, message: string): void {
    this.list.push({ severity: 'warning', file, line, message });
  }
  error(file: string, line: number, message: string): void {
    this.list.push({ severity: 'error', file, line, message });
  }
}
