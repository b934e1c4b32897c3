// The JSON entities of the fleet v1 API (schema/v1.json of fleet v1.0.0), as
// both the API server and fleetctl use them. Every field is optional because
// fleet's Go structs are all `omitempty`: empty strings, maps and arrays are
// left out on the wire, and encoders here must do the same, in this key order.

export interface ApiUnitOption {
  name: string;
  section: string;
  /** Absent when the value is empty. */
  value?: string;
}

export interface ApiUnit {
  currentState?: string;
  desiredState?: string;
  machineID?: string;
  name?: string;
  options?: ApiUnitOption[];
}

export interface ApiUnitState {
  hash?: string;
  machineID?: string;
  name?: string;
  systemdActiveState?: string;
  systemdLoadState?: string;
  systemdSubState?: string;
}

export interface ApiMachine {
  id?: string;
  metadata?: Record<string, string>;
  primaryIP?: string;
}

export interface UnitPage {
  units?: ApiUnit[];
  nextPageToken?: string;
}
export interface UnitStatePage {
  states?: ApiUnitState[];
  nextPageToken?: string;
}
export interface MachinePage {
  machines?: ApiMachine[];
  nextPageToken?: string;
}

/** fleet's `{"error":{"code":N,"message":"…"}}` (message is always present, possibly ""). */
export interface ApiErrorBody {
  error: { code: number; message: string };
}

const nonEmpty = (v: unknown): boolean =>
  v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** Copies `keys` of `obj` in that order, dropping empty values (Go's omitempty). */
function pick<T extends object>(obj: T, keys: readonly (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if (nonEmpty(obj[k])) out[k] = obj[k];
  return out;
}

export function encodeOption(o: ApiUnitOption): ApiUnitOption {
  return pick(o, ['name', 'section', 'value']) as ApiUnitOption;
}

export function encodeUnit(u: ApiUnit): ApiUnit {
  const out = pick(u, ['currentState', 'desiredState', 'machineID', 'name']);
  if (u.options !== undefined && u.options.length > 0) out.options = u.options.map(encodeOption);
  return out;
}

export function encodeUnitState(s: ApiUnitState): ApiUnitState {
  return pick(s, ['hash', 'machineID', 'name', 'systemdActiveState', 'systemdLoadState', 'systemdSubState']);
}

export function encodeMachine(m: ApiMachine): ApiMachine {
  const out: ApiMachine = pick(m, ['id', 'metadata', 'primaryIP']);
  if (out.metadata !== undefined) {
    // Go encodes map keys sorted.
    out.metadata = Object.fromEntries(Object.entries(out.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return out;
}

/**
 * fleet's page token: URL-safe base64 (with padding) of two little-endian
 * uint16 values {Limit, Page}; page 1 is the first page.
 */
export interface PageToken {
  limit: number;
  page: number;
}

export function encodePageToken(t: PageToken): string {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(t.limit & 0xffff, 0);
  b.writeUInt16LE(t.page & 0xffff, 2);
  return b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Go's base64.URLEncoding.DecodeString, with its error positions (`illegal base64 data at input byte N`). */
export function goBase64UrlDecode(src: string): Buffer {
  const value = (c: string): number => {
    const i = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(c);
    return c.length === 1 ? i : -1;
  };
  const corrupt = (at: number): Error => new Error(`illegal base64 data at input byte ${at}`);
  const out: number[] = [];
  let si = 0;
  while (si < src.length) {
    const q: number[] = [];
    let end = false;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Buffer.from(out);
        throw corrupt(si - j); // an incomplete quantum: padding is required
      }
      const ch = src[si++]!;
      const v = value(ch);
      if (v >= 0) {
        q.push(v);
        continue;
      }
      if (ch === '\n' || ch === '\r') {
        j--;
        continue;
      }
      if (ch !== '=' || j < 2) throw corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && (src[si] === '\n' || src[si] === '\r')) si++;
        if (si === src.length) throw corrupt(src.length);
        if (src[si] !== '=') throw corrupt(si - 1);
        si++;
      }
      while (si < src.length && (src[si] === '\n' || src[si] === '\r')) si++;
      if (si < src.length) throw corrupt(si);
      end = true;
      break;
    }
    const n = q.length;
    const bits = q.reduce((acc, v) => acc * 64 + v, 0) * 64 ** (4 - n);
    const bytes = [(bits >> 16) & 0xff, (bits >> 8) & 0xff, bits & 0xff];
    out.push(...bytes.slice(0, n - 1));
    if (end) break;
  }
  return Buffer.from(out);
}

/**
 * Decodes a token the way Go's base64.URLEncoding + binary.Read do; throws
 * with Go's messages (`illegal base64 data at input byte N`, `unexpected EOF`).
 */
export function decodePageToken(value: string): PageToken {
  const b = goBase64UrlDecode(value);
  if (b.length === 0) throw new Error('EOF');
  if (b.length < 4) throw new Error('unexpected EOF');
  return { limit: b.readUInt16LE(0), page: b.readUInt16LE(2) };
}
