// `coracle journalctl [--root DIR] [-u UNIT…] [-f] [-n N] [--since …] [-o short|cat|json]`:
// reads the init's journal over the control API, in journalctl's formats.
import os from 'node:os';
import { InitClient, InitUnavailable, resolveRoot } from '../init/client.js';
import type { JournalEntry } from '../init/node/journal.js';
import { parseUnitName } from '../units/index.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');
const HOST = os.hostname();

/** The short format: "Nov 22 19:09:47 host ident[pid]: message". */
export function formatJournalShort(e: JournalEntry, host = HOST): string {
  const d = new Date(e.t / 1000);
  return `${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${host} ${e.id}[${e.pid}]: ${e.msg}`;
}

/** The json format, with journald's field names (values as strings). */
export function formatJournalJson(e: JournalEntry, host = HOST): string {
  const o: Record<string, string> = {
    __CURSOR: `s=coracle;i=${e.seq.toString(16)}`, __REALTIME_TIMESTAMP: String(e.t), _HOSTNAME: host, PRIORITY: e.stream === 'stderr' ? '3' : '6',
    SYSLOG_IDENTIFIER: e.id, _PID: String(e.pid), MESSAGE: e.msg, _TRANSPORT: e.stream === 'init' ? 'journal' : 'stdout',
  };
  if (e.unit) o[e.stream === 'init' ? 'UNIT' : '_SYSTEMD_UNIT'] = e.unit;
  return JSON.stringify(o);
}

const USAGE = `Usage: coracle journalctl [--root DIR] [OPTIONS]

  -u, --unit UNIT     show lines of this unit (repeatable)
  -f, --follow        keep printing new lines
  -n, --lines N       show only the last N lines (with -f: default 10)
  -S, --since TIME    "YYYY-MM-DD HH:MM:SS", "today", "yesterday", "-5min", or @epoch
  -o, --output FMT    short (default), cat, json, short-iso
  --no-pager, -q      accepted
  --root DIR          the machine root (default: $CORACLE_ROOT)
`;

/** Parses --since as journalctl does for the common forms; null if not understood. */
export function parseSince(text: string, now = new Date()): number | null {
  if (text === 'now') return now.getTime() * 1000;
  if (text === 'today' || text === 'yesterday') {
    const d = new Date(now);
    d.setHours(0, 0, 0, 0);
    if (text === 'yesterday') d.setDate(d.getDate() - 1);
    return d.getTime() * 1000;
  }
  if (/^@\d+(\.\d+)?$/.test(text)) return Math.round(Number(text.slice(1)) * 1e6);
  const rel = /^([+-])(\d+)\s*(s|sec|m|min|h|d)$/.exec(text);
  if (rel) {
    const mult: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86400 };
    const delta = Number(rel[2]) * mult[rel[3]!]! * 1e6;
    return now.getTime() * 1000 + (rel[1] === '-' ? -delta : delta);
  }
  const abs = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (abs) {
    const d = new Date(Number(abs[1]), Number(abs[2]) - 1, Number(abs[3]), Number(abs[4] ?? 0), Number(abs[5] ?? 0), Number(abs[6] ?? 0));
    return d.getTime() * 1000;
  }
  return null;
}

export async function journalctlCommand(argv: string[]): Promise<number> {
  const units: string[] = [];
  let follow = false;
  let lines: number | undefined;
  let since: number | undefined;
  let output = 'short';
  let root: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const eq = a.indexOf('=');
      if (a.startsWith('--') && eq > 0) return a.slice(eq + 1);
      if (!a.startsWith('--') && a.length > 2) return a.slice(2);
      return argv[++i] ?? '';
    };
    if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return 0;
    } else if (a.startsWith('-u') || a.startsWith('--unit')) {
      const u = value();
      units.push(parseUnitName(u) ? u : `${u}.service`);
    } else if (a === '-f' || a === '--follow') follow = true;
    else if (a.startsWith('-n') || a.startsWith('--lines')) {
      const v = value();
      lines = v === 'all' ? undefined : Number(v);
      if (lines !== undefined && !(Number.isInteger(lines) && lines >= 0)) {
        process.stderr.write(`Failed to parse lines '${v}'.\n`);
        return 1;
      }
    } else if (a.startsWith('-S') || a.startsWith('--since')) {
      const v = value();
      const t = parseSince(v);
      if (t === null) {
        process.stderr.write(`Failed to parse timestamp: ${v}\n`);
        return 1;
      }
      since = t;
    } else if (a.startsWith('-o') || a.startsWith('--output')) {
      output = value();
      if (!['short', 'cat', 'json', 'short-iso'].includes(output)) {
        process.stderr.write(`Unknown output format '${output}'.\n`);
        return 1;
      }
    } else if (a.startsWith('--root')) root = value();
    else if (a === '--no-pager' || a === '-q' || a === '--quiet' || a === '-x' || a === '-e' || a === '-xe' || a === '-xeu') continue;
    else {
      process.stderr.write(`journalctl: unrecognized option '${a}'\n`);
      return 1;
    }
  }
  if (follow && lines === undefined) lines = 10;
  const q = new URLSearchParams();
  for (const u of units) q.append('unit', u);
  if (lines !== undefined) q.set('lines', String(lines));
  if (since !== undefined) q.set('since', String(since));
  if (follow) q.set('follow', '1');
  const client = InitClient.forRoot(resolveRoot(root));
  let count = 0;
  const print = (e: JournalEntry): void => {
    count++;
    if (output === 'json') process.stdout.write(`${formatJournalJson(e)}\n`);
    else if (output === 'cat') process.stdout.write(`${e.msg}\n`);
    else if (output === 'short-iso') process.stdout.write(`${new Date(e.t / 1000).toISOString().replace(/\.\d+Z$/, '+0000')} ${HOST} ${e.id}[${e.pid}]: ${e.msg}\n`);
    else process.stdout.write(`${formatJournalShort(e)}\n`);
  };
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await client.stream<JournalEntry>(`/v1/journal?${q.toString()}`, print, abort.signal);
  } catch (e) {
    if (e instanceof InitUnavailable) {
      process.stderr.write(`No journal: the init is not running on this root (no control socket at ${e.socketPath}).\n`);
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (count === 0 && !follow && output !== 'json') process.stdout.write('-- No entries --\n');
  return 0;
}
