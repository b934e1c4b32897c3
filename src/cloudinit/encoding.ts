// write_files content encodings, decoded as the original's config.DecodeContent
// did: Go's strict base64 (padding required, line breaks ignored) and a gzip
// reader that fails only on a bad header and otherwise keeps whatever data it
// could inflate. Pure computation: node:zlib's synchronous API does no I/O.
import { constants, gunzipSync, inflateRawSync } from 'node:zlib';

export type Decoded = { ok: true; bytes: Uint8Array } | { ok: false; error: string };

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_MAP = new Map<number, number>([...B64].map((c, i) => [c.charCodeAt(0), i]));

/** Go's %q of a plain ASCII message. */
function q(s: string): string {
  return JSON.stringify(s);
}

/** encoding/base64 StdEncoding.DecodeString, including the byte offset that
 *  Go's CorruptInputError names. */
export function decodeBase64Go(src: Uint8Array): { bytes: Uint8Array } | { corruptAt: number } {
  const out: number[] = [];
  let si = 0;
  for (;;) {
    const buf = [0, 0, 0, 0];
    let dlen = 4;
    let j = 0;
    let ended = false;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return { bytes: Uint8Array.from(out) };
        return { corruptAt: si - j };
      }
      const c = src[si++];
      const v = B64_MAP.get(c);
      if (v !== undefined) {
        buf[j] = v;
        continue;
      }
      if (c === 0x0a || c === 0x0d) {
        j--;
        continue;
      }
      if (c !== 0x3d) return { corruptAt: si - 1 };
      // Padding: only valid in the third or fourth place.
      if (j === 0 || j === 1) return { corruptAt: si - 1 };
      if (j === 2) {
        while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
        if (si === src.length) return { corruptAt: src.length };
        if (src[si] !== 0x3d) return { corruptAt: si - 1 };
        si++;
      }
      while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
      if (si < src.length) return { corruptAt: si };
      dlen = j;
      ended = true;
      break;
    }
    const val = (buf[0] << 18) | (buf[1] << 12) | (buf[2] << 6) | buf[3];
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    out.push(...bytes.slice(0, dlen - 1));
    if (ended) return { bytes: Uint8Array.from(out) };
  }
}

export function decodeBase64(content: Uint8Array): Decoded {
  const r = decodeBase64Go(content);
  if ('bytes' in r) return { ok: true, bytes: r.bytes };
  return { ok: false, error: `Unable to decode base64: ${q(`illegal base64 data at input byte ${r.corruptAt}`)}` };
}

/** Reads a gzip member header as Go's gzip.NewReader did; returns the offset
 *  of the deflate data, or the error Go reported. */
function gzipHeader(b: Uint8Array): { data: number } | { error: string } {
  if (b.length === 0) return { error: 'EOF' };
  if (b.length < 10) return { error: 'unexpected EOF' };
  if (b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8) return { error: 'gzip: invalid header' };
  const flags = b[3];
  let i = 10;
  if (flags & 0x04) {
    if (i + 2 > b.length) return { error: 'unexpected EOF' };
    const n = b[i] | (b[i + 1] << 8);
    i += 2 + n;
    if (i > b.length) return { error: 'unexpected EOF' };
  }
  for (const bit of [0x08, 0x10]) {
    if (flags & bit) {
      while (i < b.length && b[i] !== 0) i++;
      if (i >= b.length) return { error: 'unexpected EOF' };
      i++;
    }
  }
  if (flags & 0x02) {
    if (i + 2 > b.length) return { error: 'unexpected EOF' };
    i += 2;
  }
  return { data: i };
}

export function decodeGzip(content: Uint8Array): Decoded {
  const h = gzipHeader(content);
  if ('error' in h) return { ok: false, error: `Unable to decode gzip: ${q(h.error)}` };
  try {
    return { ok: true, bytes: new Uint8Array(gunzipSync(content)) };
  } catch {
    // The original ignored read errors after the header: keep what inflates.
    try {
      const part = inflateRawSync(content.subarray(h.data), { finishFlush: constants.Z_SYNC_FLUSH });
      return { ok: true, bytes: new Uint8Array(part) };
    } catch {
      return { ok: true, bytes: new Uint8Array(0) };
    }
  }
}

/** config.DecodeContent: "" raw; b64/base64; gz/gzip; gz+base64 and spellings. */
export function decodeContent(content: Uint8Array, encoding: string): Decoded {
  switch (encoding) {
    case '':
      return { ok: true, bytes: content };
    case 'b64':
    case 'base64':
      return decodeBase64(content);
    case 'gz':
    case 'gzip':
      return decodeGzip(content);
    case 'gz+base64':
    case 'gzip+base64':
    case 'gz+b64':
    case 'gzip+b64': {
      const b = decodeBase64(content);
      return b.ok ? decodeGzip(b.bytes) : b;
    }
    default:
      return { ok: false, error: `Unsupported encoding ${q(encoding)}` };
  }
}
