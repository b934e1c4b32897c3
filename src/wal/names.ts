// File names. A segment is `<seq %016x>-<index %016x>.wal`: seq counts
// segments from 0 with no gaps, index is the Raft index of the first entry
// the segment was opened for (last entry index + 1 at the cut), so the
// segment that may hold entry i is the last one whose index <= i.
// A snapshot is `<term %016x>-<index %016x>.snap`, as etcd names them.

export interface SegmentName {
  seq: number;
  index: number;
  name: string;
}

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');

export function segmentName(seq: number, index: number): string {
  return `${hex16(seq)}-${hex16(index)}.wal`;
}

function parsePair(name: string, ext: string): [number, number] | undefined {
  const m = new RegExp(`^([0-9a-f]{16})-([0-9a-f]{16})\\${ext}$`).exec(name);
  if (!m) return undefined;
  const a = Number.parseInt(m[1]!, 16);
  const b = Number.parseInt(m[2]!, 16);
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) return undefined;
  return [a, b];
}

export function parseSegmentName(name: string): SegmentName | undefined {
  const p = parsePair(name, '.wal');
  return p && { seq: p[0], index: p[1], name };
}

export function snapName(term: number, index: number): string {
  return `${hex16(term)}-${hex16(index)}.snap`;
}

export function parseSnapName(name: string): { term: number; index: number } | undefined {
  const p = parsePair(name, '.snap');
  return p && { term: p[0], index: p[1] };
}

/** Segments in seq order. */
export function sortSegments(names: string[]): SegmentName[] {
  const out: SegmentName[] = [];
  for (const n of names) {
    const s = parseSegmentName(n);
    if (s) out.push(s);
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * Position in `segs` of the last segment whose first index is <= index, or -1.
 */
export function searchIndex(segs: SegmentName[], index: number): number {
  for (let i = segs.length - 1; i >= 0; i--) if (segs[i]!.index <= index) return i;
  return -1;
}
