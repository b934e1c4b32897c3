// The journal: one JSON object per line, in files under <root>/var/log/journal.
// `system.journal.ndjson` is written; past `maxFileBytes` it is renamed to
// `system@<first seq>.journal.ndjson` and the oldest archives are deleted
// while the total is over `maxBytes`. Entries carry a sequence number, so a
// reader can follow from where it stopped.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';

export interface JournalEntry {
  /** Sequence number, increasing across rotations and restarts. */
  seq: number;
  /** Wall clock, microseconds since the epoch. */
  t: number;
  /** The unit the line belongs to; null for the init's own lines about itself. */
  unit: string | null;
  pid: number;
  /** SYSLOG_IDENTIFIER: the command's name, or "coracle" for the init. */
  id: string;
  stream: 'stdout' | 'stderr' | 'init';
  msg: string;
}

export interface JournalOptions {
  maxFileBytes?: number;
  maxBytes?: number;
}

const CURRENT = 'system.journal.ndjson';
const ARCHIVE = /^system@(\d+)\.journal\.ndjson$/;

export interface JournalQuery {
  units?: string[];
  /** Only the last n entries. */
  lines?: number;
  /** Only entries at or after this time (usec). */
  since?: number;
  /** Only entries with seq greater than this. */
  afterSeq?: number;
}

export class Journal extends EventEmitter {
  private fd: number;
  private size: number;
  private seq: number;
  private firstSeq: number;
  private readonly maxFileBytes: number;
  private readonly maxBytes: number;

  constructor(readonly dir: string, opts: JournalOptions = {}) {
    super();
    // Every `journalctl -f` adds a listener.
    this.setMaxListeners(0);
    this.maxFileBytes = opts.maxFileBytes ?? 4 * 1024 * 1024;
    this.maxBytes = Math.max(opts.maxBytes ?? 32 * 1024 * 1024, this.maxFileBytes * 2);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, CURRENT);
    const last = lastEntry(file) ?? this.lastArchivedEntry();
    this.seq = last ? last.seq : 0;
    this.fd = fs.openSync(file, 'a');
    this.size = fs.fstatSync(this.fd).size;
    // A torn last line (a crash mid-write) is closed off so the next entry starts on its own line.
    if (this.size > 0 && !endsWithNewline(file, this.size)) {
      fs.writeSync(this.fd, '\n');
      this.size++;
    }
    this.firstSeq = this.size === 0 ? this.seq + 1 : (firstEntry(file)?.seq ?? this.seq + 1);
  }

  private lastArchivedEntry(): JournalEntry | null {
    const archives = this.archives();
    const newest = archives[archives.length - 1];
    return newest ? lastEntry(path.join(this.dir, newest)) : null;
  }

  /** Archive file names, oldest first. */
  private archives(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.filter((n) => ARCHIVE.test(n)).sort((a, b) => Number(ARCHIVE.exec(a)![1]) - Number(ARCHIVE.exec(b)![1]));
  }

  append(e: Omit<JournalEntry, 'seq'>): JournalEntry {
    const entry: JournalEntry = { seq: ++this.seq, ...e };
    const line = Buffer.from(`${JSON.stringify(entry)}\n`);
    if (this.size > 0 && this.size + line.length > this.maxFileBytes) this.rotate();
    if (this.size === 0) this.firstSeq = entry.seq;
    fs.writeSync(this.fd, line);
    this.size += line.length;
    this.emit('entry', entry);
    return entry;
  }

  private rotate(): void {
    fs.closeSync(this.fd);
    const cur = path.join(this.dir, CURRENT);
    fs.renameSync(cur, path.join(this.dir, `system@${this.firstSeq}.journal.ndjson`));
    this.fd = fs.openSync(cur, 'a');
    this.size = 0;
    // Keep the whole journal within maxBytes, dropping the oldest archives first.
    const archives = this.archives();
    let total = archives.reduce((n, a) => n + fileSize(path.join(this.dir, a)), 0);
    for (const a of archives) {
      if (total <= this.maxBytes - this.maxFileBytes) break;
      total -= fileSize(path.join(this.dir, a));
      fs.unlinkSync(path.join(this.dir, a));
    }
  }

  /** Entries matching the query, oldest first. */
  read(q: JournalQuery = {}): JournalEntry[] {
    const files = [...this.archives(), CURRENT].map((n) => path.join(this.dir, n));
    let out: JournalEntry[] = [];
    for (const f of files) {
      for (const e of entries(f)) {
        if (q.units && q.units.length > 0 && (e.unit === null || !q.units.includes(e.unit))) continue;
        if (q.since !== undefined && e.t < q.since) continue;
        if (q.afterSeq !== undefined && e.seq <= q.afterSeq) continue;
        out.push(e);
      }
      if (q.lines !== undefined && out.length > q.lines * 4) out = out.slice(-q.lines);
    }
    return q.lines !== undefined ? out.slice(out.length - Math.min(q.lines, out.length)) : out;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

function endsWithNewline(file: string, size: number): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, size - 1);
    return b[0] === 0x0a;
  } finally {
    fs.closeSync(fd);
  }
}

function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

function entries(file: string): JournalEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      // a torn last line after a crash: skip it
    }
  }
  return out;
}

function lastEntry(file: string): JournalEntry | null {
  const all = entries(file);
  return all[all.length - 1] ?? null;
}

function firstEntry(file: string): JournalEntry | null {
  return entries(file)[0] ?? null;
}
