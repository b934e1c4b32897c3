// Binary encodings of the Raft types the WAL and .snap files hold. All
// integers are little-endian; indexes and terms are written as u64 (JS
// numbers hold them exactly up to 2^53, which the reader enforces), node ids
// as length-prefixed UTF-8. Decoding is strict: a short buffer, trailing
// bytes, an unknown entry type or an integer above 2^53 throw RangeError, so
// a record that passed its CRC but does not parse is still caught.
import type { ConfState, Entry, EntryType, HardState, Snapshot } from '../raft/types.js';

/** The snapshot marker the WAL records: where a snapshot was taken. */
export interface WalSnapshot {
  index: number;
  term: number;
}

const ENTRY_TYPES: readonly EntryType[] = ['normal', 'confChange'];
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private n = 0;

  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.n++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.n, v, true);
    this.n += 4;
  }

  u64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`not a u64 below 2^53: ${v}`);
    this.room(8);
    this.view.setBigUint64(this.n, BigInt(v), true);
    this.n += 8;
  }

  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  str(s: string): void {
    this.bytes(utf8.encode(s));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

export class Reader {
  private readonly view: DataView;
  private n = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(k: number): void {
    if (this.n + k > this.buf.length) throw new RangeError(`short buffer: need ${k} bytes at ${this.n} of ${this.buf.length}`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.n++]!;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.n, true);
    this.n += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.n, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`u64 above 2^53: ${v}`);
    this.n += 8;
    return Number(v);
  }

  bytes(): Uint8Array {
    const len = this.u32();
    this.need(len);
    const b = this.buf.slice(this.n, this.n + len);
    this.n += len;
    return b;
  }

  str(): string {
    return fromUtf8.decode(this.bytes());
  }

  end(): void {
    if (this.n !== this.buf.length) throw new RangeError(`${this.buf.length - this.n} trailing bytes`);
  }
}

export function encodeEntry(e: Entry): Uint8Array {
  const w = new Writer(21 + e.data.length);
  w.u64(e.term);
  w.u64(e.index);
  w.u8(ENTRY_TYPES.indexOf(e.type));
  w.bytes(e.data);
  return w.finish();
}

export function decodeEntry(b: Uint8Array): Entry {
  const r = new Reader(b);
  const term = r.u64();
  const index = r.u64();
  const t = r.u8();
  const type = ENTRY_TYPES[t];
  if (type === undefined) throw new RangeError(`unknown entry type ${t}`);
  const data = r.bytes();
  r.end();
  return { term, index, type, data };
}

export function encodeHardState(hs: HardState): Uint8Array {
  const w = new Writer(24 + hs.vote.length * 3);
  w.u64(hs.term);
  w.u64(hs.commit);
  w.str(hs.vote);
  return w.finish();
}

export function decodeHardState(b: Uint8Array): HardState {
  const r = new Reader(b);
  const term = r.u64();
  const commit = r.u64();
  const vote = r.str();
  r.end();
  return { term, vote, commit };
}

export function encodeWalSnapshot(s: WalSnapshot): Uint8Array {
  const w = new Writer(16);
  w.u64(s.index);
  w.u64(s.term);
  return w.finish();
}

export function decodeWalSnapshot(b: Uint8Array): WalSnapshot {
  const r = new Reader(b);
  const index = r.u64();
  const term = r.u64();
  r.end();
  return { index, term };
}

function writeIds(w: Writer, ids: string[]): void {
  w.u32(ids.length);
  for (const id of ids) w.str(id);
}

function readIds(r: Reader): string[] {
  const n = r.u32();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(r.str());
  return ids;
}

/** A whole Raft snapshot (metadata, membership and the application's data), as a .snap file holds it. */
export function encodeSnapshot(s: Snapshot): Uint8Array {
  const w = new Writer(64 + s.data.length);
  w.u64(s.metadata.index);
  w.u64(s.metadata.term);
  writeIds(w, s.metadata.confState.voters);
  writeIds(w, s.metadata.confState.learners);
  w.bytes(s.data);
  return w.finish();
}

export function decodeSnapshot(b: Uint8Array): Snapshot {
  const r = new Reader(b);
  const index = r.u64();
  const term = r.u64();
  const confState: ConfState = { voters: readIds(r), learners: readIds(r) };
  const data = r.bytes();
  r.end();
  return { metadata: { index, term, confState }, data };
}
