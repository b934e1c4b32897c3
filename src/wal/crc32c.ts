// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum etcd's
// WAL uses. Node 20's zlib has no crc32, so it is computed here with
// slicing-by-8 tables (eight table lookups per 8 input bytes).
//
// `crc32c(data, seed)` continues a running checksum: crc32c(b, crc32c(a))
// equals crc32c(a ‖ b). The WAL relies on this to chain every record's CRC to
// the one before it.

const POLY = 0x82f63b78;

const TABLES: Uint32Array[] = (() => {
  const t: Uint32Array[] = [];
  for (let k = 0; k < 8; k++) t.push(new Uint32Array(256));
  const t0 = t[0]!;
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[k - 1]![i]!;
      t[k]![i] = ((prev >>> 8) ^ t0[prev & 0xff]!) >>> 0;
    }
  }
  return t;
})();

/** CRC-32C of `data[start, end)`, continuing from `seed` (the CRC of what came before; 0 for none). */
export function crc32c(data: Uint8Array, seed = 0, start = 0, end = data.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
  ];
  let c = ~seed >>> 0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t7[lo & 0xff]! ^
      t6[(lo >>> 8) & 0xff]! ^
      t5[(lo >>> 16) & 0xff]! ^
      t4[lo >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
  }
  for (; i < end; i++) c = (c >>> 8) ^ t0[(c ^ data[i]!) & 0xff]!;
  return ~c >>> 0;
}
