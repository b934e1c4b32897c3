// What kind of user-data this is, decided as coreos-cloudinit decided it:
// gunzip first when the bytes start 1f 8b; then empty, a "#!" script, an
// Ignition config (JSON with ignitionVersion or ignition.version), or a
// cloud-config whose first line, right-trimmed, is exactly "#cloud-config".
import { gunzipSync } from 'node:zlib';

export type UserDataKind = 'empty' | 'script' | 'ignition' | 'cloud-config' | 'unknown';

export interface Detection {
  kind: UserDataKind;
  /** The (decompressed) user-data as text. */
  text: string;
  gzipped: boolean;
  /** Set when gunzip failed; the original then carried on with no user-data. */
  problem?: string;
}

// unicode.IsSpace, which the original used to right-trim the header line.
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/;

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

export function isCloudConfig(text: string): boolean {
  return firstLine(text).replace(GO_SPACE, '') === '#cloud-config';
}

export function isScript(text: string): boolean {
  return firstLine(text).startsWith('#!');
}

/** Go's json.Unmarshal into {ignitionVersion *int; ignition {version *string}}:
 *  field names match case-insensitively and any type mismatch fails it. */
export function isIgnitionConfig(text: string): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return false;
  }
  if (doc === null) return false;
  if (typeof doc !== 'object' || Array.isArray(doc)) return false;
  let version: unknown = null;
  let ignVersion: unknown = null;
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const key = k.toLowerCase();
    if (key === 'ignitionversion') {
      if (v !== null && !(typeof v === 'number' && Number.isInteger(v))) return false;
      version = v;
    } else if (key === 'ignition') {
      if (v === null) continue;
      if (typeof v !== 'object' || Array.isArray(v)) return false;
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) {
        if (k2.toLowerCase() !== 'version') continue;
        if (v2 !== null && typeof v2 !== 'string') return false;
        ignVersion = v2;
      }
    }
  }
  return version !== null || ignVersion !== null;
}

function gunzipError(e: unknown): string {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  if (code === 'Z_BUF_ERROR') return 'unexpected EOF';
  if (code === 'Z_DATA_ERROR' && e instanceof Error && /check/.test(e.message)) return 'gzip: invalid checksum';
  if (code === 'Z_DATA_ERROR' && e instanceof Error && /header/.test(e.message)) return 'gzip: invalid header';
  return 'flate: corrupt input';
}

/** Classifies user-data bytes (or text). Never throws. */
export function detectUserData(input: Uint8Array | string): Detection {
  let bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  let gzipped = false;
  let problem: string | undefined;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    gzipped = true;
    try {
      bytes = new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      problem = `Failed decompressing user-data from datasource: ${gunzipError(e)}`;
      bytes = new Uint8Array(0);
    }
  }
  const text = typeof input === 'string' && !gzipped ? input : new TextDecoder().decode(bytes);
  const base = { text, gzipped, ...(problem ? { problem } : {}) };
  if (text.length === 0) return { kind: 'empty', ...base };
  if (isScript(text)) return { kind: 'script', ...base };
  if (isIgnitionConfig(text)) return { kind: 'ignition', ...base };
  if (isCloudConfig(text)) return { kind: 'cloud-config', ...base };
  return { kind: 'unknown', ...base };
}
