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

/**
 * Decodes a token the way Go's base64.URLEncoding + binary.Read do; throws
 * with Go's messages (`illegal base64 data at input byte N`, `unexpected EOF`).
 */
export function decodePageToken(value: string): PageToken {
  const alphabet = /[A-Za-z0-9_-]/;
  let i = 0;
  for (; i < value.length; i++) {
    const ch = value[i]!;
    if (alphabet.test(ch)) continue;
    if (ch === '=' && i % 4 >= 2) break;
    throw new Error(`illegal base64 data at input byte ${i}`);
  }
  // Padding must complete the last quantum and end the input.
  if (i < value.length) {
    const pad = value.slice(i);
    const need = 4 - (i % 4);
    if (!/^=+$/.test(pad) || pad.length !== need) throw new Error(`illegal base64 data at input byte ${Math.min(value.length, i + (/^=+/.exec(pad)?.[0].length ?? 0))}`);
  } else if (value.length % 4 !== 0) {
    throw new Error(`illegal base64 data at input byte ${value.length - (value.length % 4 === 1 ? 1 : 0)}`);
  }
  const b = Buffer.from(value.slice(0, i).replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (b.length === 0) throw new Error('EOF');
  if (b.length < 4) throw new Error('unexpected EOF');
  return { limit: b.readUInt16LE(0), page: b.readUInt16LE(2) };
}
