// The WAL's record framing, pure: bytes in, records out.
//
// A segment file is a sequence of frames, each starting at an 8-byte aligned
// offset:
//
//   0   u32 len        payload length (8 + data length), little-endian
//   4   u32 ~len       the same, inverted: a torn or flipped length word is
//                      seen at once instead of sending the reader astray
//   8   u8  type       RecordType
//   9   u8[3]          zero
//   12  u32 crc        chained CRC-32C (below)
//   16  data           len - 8 bytes
//       padding        zeros up to the next multiple of 8
//
// Frames are 8-aligned and the length word is 8 bytes, so the length word
// never straddles a disk sector and cannot be torn (etcd's reasoning).
//
// The CRC chains: crc(k) = CRC-32C(type, 3 zero bytes, data of k) continued
// from crc(k-1). A record that is reordered, dropped or spliced in from
// elsewhere breaks the chain at the next record. Every segment opens with a
// crc record whose crc field carries the chain value from the end of the
// previous segment (0 in the first one); it does not advance the chain.
//
// Differences from etcd's WAL (we do not need to be read by etcd tools): the
// length word's top half is ~len instead of a padding count; the payload is a
// fixed header instead of a protobuf Record; the CRC also covers the type.
import { crc32c } from './crc32c.js';

export enum RecordType {
  Metadata = 1,
  Entry = 2,
  State = 3,
  Crc = 4,
  Snapshot = 5,
}

export const FRAME_HEADER = 16;

function isRecordType(t: number): t is RecordType {
  return t >= RecordType.Metadata && t <= RecordType.Snapshot;
}

/** Bytes a record with `dataLen` bytes of data takes on disk. */
export function frameSize(dataLen: number): number {
  return FRAME_HEADER + ((dataLen + 7) & ~7);
}

/**
 * Builds a run of frames, continuing the CRC chain from `chain`.
 * `chain` is the CRC of the last record appended so far.
 */
export class FrameWriter {
  private buf: Uint8Array;
  private n = 0;

  constructor(
    public chain: number,
    capacity = 4096,
  ) {
    this.buf = new Uint8Array(capacity);
  }

  get length(): number {
    return this.n;
  }

  append(type: RecordType, data: Uint8Array): void {
    const size = frameSize(data.length);
    if (this.n + size > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + size));
      next.set(this.buf.subarray(0, this.n));
      this.buf = next;
    }
    const at = this.n;
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + at, size);
    const len = 8 + data.length;
    view.setUint32(0, len, true);
    view.setUint32(4, ~len >>> 0, true);
    this.buf[at + 8] = type;
    // Reserved and padding bytes must be zero; the buffer may be reused.
    this.buf.fill(0, at + 9, at + size);
    this.buf.set(data, at + FRAME_HEADER);
    let crc: number;
    if (type === RecordType.Crc) {
      crc = this.chain;
    } else {
      crc = crc32c(data, crc32c(this.buf, this.chain, at + 8, at + 12));
      this.chain = crc;
    }
    view.setUint32(12, crc, true);
    this.n += size;
  }

  /** The frames built so far; the writer starts empty again, keeping its chain. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.n);
    this.n = 0;
    return out;
  }
}

export interface DecodedRecord {
  type: RecordType;
  data: Uint8Array;
  /** Byte offset of the frame in its segment. */
  offset: number;
}

export interface Damage {
  /** Byte offset of the first frame that does not check out. */
  offset: number;
  reason: string;
  /**
   * 'torn': nothing valid follows, as after a write cut short by power loss.
   * 'corrupt': a valid record follows (or the damage is one a crash cannot
   * cause), so data in the middle of the log is wrong.
   */
  kind: 'torn' | 'corrupt';
  /** For 'corrupt' found by looking ahead: where the later valid record starts. */
  laterRecord?: number;
}

export interface SegmentScan {
  records: DecodedRecord[];
  /** Offset just past the last good frame. */
  end: number;
  /** The CRC chain after the last good record. */
  chain: number;
  damage?: Damage;
}

interface FrameCheck {
  ok: boolean;
  reason: string;
  size: number;
  type: number;
  storedCrc: number;
  /** CRC of this frame's content continued from the seed given, when the frame fits. */
  computedCrc?: number;
}

/** Checks the frame at `at` against the chain value `seed` (undefined: do not check the CRC). */
function checkFrame(buf: Uint8Array, view: DataView, at: number, seed: number | undefined): FrameCheck {
  const bad = (reason: string, extra: Partial<FrameCheck> = {}): FrameCheck => ({
    ok: false,
    reason,
    size: 0,
    type: 0,
    storedCrc: 0,
    ...extra,
  });
  const left = buf.length - at;
  if (left < 8) return bad(`partial length word (${left} bytes)`);
  const len = view.getUint32(at, true);
  const inv = view.getUint32(at + 4, true);
  const storedCrc = left >= FRAME_HEADER ? view.getUint32(at + 12, true) : 0;
  if (len === 0 && inv === 0) return bad('zeros instead of a record', { storedCrc });
  if ((~len >>> 0) !== inv || len < 8) return bad(`bad length word`, { storedCrc });
  const size = frameSize(len - 8);
  if (size > left) return bad(`record of ${size} bytes runs past the end of the file (${left} bytes left)`, { storedCrc });
  const type = buf[at + 8]!;
  const end = at + 8 + len;
  let computedCrc: number | undefined;
  if (seed !== undefined && type !== RecordType.Crc) {
    computedCrc = crc32c(buf, crc32c(buf, seed, at + 8, at + 12), at + FRAME_HEADER, end);
  }
  const info = { size, type, storedCrc, ...(computedCrc === undefined ? {} : { computedCrc }) };
  if (buf[at + 9] !== 0 || buf[at + 10] !== 0 || buf[at + 11] !== 0) return bad('nonzero reserved bytes', info);
  for (let i = end; i < at + size; i++) if (buf[i] !== 0) return bad('nonzero padding', info);
  if (computedCrc !== undefined && computedCrc !== storedCrc) return bad('crc mismatch', info);
  if (!isRecordType(type)) return bad(`unknown record type ${type}`, info);
  return { ok: true, reason: '', ...info };
}

/**
 * Whether a valid record can be found after the damaged frame at `at`: one
 * that continues the chain from the damaged record's stored or recomputed
 * CRC (the damage was confined to that record), or a pair of adjacent frames
 * where the second continues the chain of the first (anything deeper).
 * Power loss only damages the unsynced tail, after which nothing valid can
 * follow; so a valid record after the damage means corruption of data that
 * may have been acknowledged. Returns its offset, or undefined.
 */
function findLaterRecord(buf: Uint8Array, view: DataView, at: number, damaged: FrameCheck): number | undefined {
  const seeds = new Set<number>();
  if (buf.length - at >= FRAME_HEADER) seeds.add(damaged.storedCrc);
  if (damaged.computedCrc !== undefined) seeds.add(damaged.computedCrc);
  for (let q = at + 8; q + FRAME_HEADER <= buf.length; q += 8) {
    const head = checkFrame(buf, view, q, undefined);
    if (!head.ok || head.type === RecordType.Crc) continue;
    for (const seed of seeds) {
      if (checkFrame(buf, view, q, seed).ok) return q;
    }
    const next = q + head.size;
    if (next + FRAME_HEADER <= buf.length) {
      const second = checkFrame(buf, view, next, head.storedCrc);
      if (second.ok && second.type !== RecordType.Crc) return q;
    }
  }
  return undefined;
}

/**
 * Reads the frames of one segment. `chain` is the CRC chain at the end of
 * the previous segment, or undefined when this is the first segment read
 * (the crc record that opens it is then trusted as the starting point).
 *
 * Stops at the first frame that does not check out and describes it in
 * `damage`; what to do about it (cut a torn tail, refuse) is the caller's
 * call, because it depends on whether this is the last segment.
 */
export function scanSegment(buf: Uint8Array, chain: number | undefined): SegmentScan {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: DecodedRecord[] = [];
  let at = 0;
  let running = chain;
  while (at < buf.length) {
    const f = checkFrame(buf, view, at, running);
    if (!f.ok) {
      const later = findLaterRecord(buf, view, at, f);
      const damage: Damage =
        later === undefined
          ? { offset: at, reason: f.reason, kind: 'torn' }
          : { offset: at, reason: f.reason, kind: 'corrupt', laterRecord: later };
      return { records, end: at, chain: running ?? 0, damage };
    }
    if (f.type === RecordType.Crc) {
      // Only the first frame of a segment carries the chain; elsewhere, or
      // carrying another value than the chain has, it was spliced in.
      if (at !== 0) {
        return { records, end: at, chain: running ?? 0, damage: { offset: at, reason: 'crc record inside a segment', kind: 'corrupt' } };
      }
      if (running !== undefined && f.storedCrc !== running) {
        return {
          records,
          end: at,
          chain: running,
          damage: { offset: at, reason: 'crc mismatch: segment does not continue the previous one', kind: 'corrupt' },
        };
      }
      running = f.storedCrc;
    } else if (at === 0 || running === undefined) {
      return { records, end: at, chain: running ?? 0, damage: { offset: at, reason: 'segment does not start with a crc record', kind: 'corrupt' } };
    } else {
      running = f.computedCrc!;
    }
    records.push({ type: f.type as RecordType, data: buf.slice(at + FRAME_HEADER, at + 8 + view.getUint32(at, true)), offset: at });
    at += f.size;
  }
  return { records, end: at, chain: running ?? 0 };
}
