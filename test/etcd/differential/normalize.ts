// The normalization of the differential test: a fixed, written list of what
// may legitimately differ between real etcd 3.4 and coracle, and how each
// such field is made comparable. EVERYTHING not listed here is compared
// byte for byte (status line, header names and values, every JSON field name,
// field order, value and JSON encoding). The self-test in
// differential.test.ts changes one byte of every field not covered by an
// exempting rule below and checks the comparison then fails.
import { goQuote } from '../../../src/store/gojson.js';
import type { Recorded } from './runner.js';

// ---------------------------------------------------------------------------------------
// THE LIST
// ---------------------------------------------------------------------------------------

export type HeaderRule =
  | 'drop' // not compared at all
  | 'presence' // compared as present/absent, value ignored
  | 'index' // an etcd index: made relative to the side's first write
  | 'length'; // Content-Length: checked against the body received (HEAD: only zero vs. a positive number)

/** Header rules, by lower-cased header name. Every other header: name (exact case) and value compared. */
export const HEADER_RULES: Readonly<Record<string, HeaderRule>> = {
  // The wall-clock time of the answer.
  date: 'drop',
  // Follows from the body, which is compared on its own (after normalization: index digits and
  // RFC3339Nano fractions vary in length). Compared: whether it is there (vs. chunked) and whether
  // it equals the length of the body received. A HEAD answer has no body to check against: there
  // only "0" vs. "a positive number" is compared.
  'content-length': 'length',
  // Store index: relative to the side's first user write (internal writes before it differ).
  'x-etcd-index': 'index',
  // Raft log position and term: the two implementations lay out their logs differently
  // (conf changes, empty entries, SYNC entries), so only presence is compared.
  'x-raft-index': 'presence',
  'x-raft-term': 'presence',
  // A hash of random-ish member IDs: presence only.
  'x-etcd-cluster-id': 'presence',
};

export type FieldRule =
  | 'index' // etcd index → "@<n>" relative to the first user write (0 stays 0: parse errors)
  | 'inOrderKeys' // 20-digit in-order key segments (they name a global index) → "<@n>"
  | 'cause' // error cause: in-order names as above; 401 "[oldest/requested]" and the index half of a 101 "[a != b]" relative
  | 'time' // RFC3339(Nano) timestamp → "<time>" (the format itself is still checked)
  | 'duration' // Go time.Duration string → "<duration>" (format checked)
  | 'ttl' // remaining TTL seconds: equal within ±1 s (the two sides answer at different instants)
  | 'unorderedUnlessSorted' // a listing in Go map order: compared as a set, unless the request had sorted=true
  | 'unordered' // a list whose order follows random member IDs: compared as a set
  | 'memberId' // a member ID → "<member NAME>" via the side's /v2/members (an unknown ID stays as it is)
  | 'memberIdKeys' // an object keyed by member IDs: keys mapped as memberId
  | 'urls' // a member's client/peer URL → "<client N>" / "<peer N>" (member order; an unknown URL stays)
  | 'counter'; // /v2/stats/store counter: relative to the first /v2/stats/store answer of the conversation

export type Scope = 'keys' | 'members' | 'machines' | 'stats/self' | 'stats/leader' | 'stats/store' | 'other';

/** Field rules, by scope (which endpoint answered) and JSON field name. Every other field: compared exactly. */
export const FIELD_RULES: Readonly<Record<Scope, Readonly<Record<string, FieldRule>>>> = {
  keys: {
    modifiedIndex: 'index',
    createdIndex: 'index',
    // The "index" of an error body (current store index; 0 for parse errors).
    index: 'index',
    // POST names keys after the global index.
    key: 'inOrderKeys',
    cause: 'cause',
    expiration: 'time',
    ttl: 'ttl',
    nodes: 'unorderedUnlessSorted',
  },
  members: {
    members: 'unordered',
    id: 'memberId',
    peerURLs: 'urls',
    clientURLs: 'urls',
  },
  // The /v2/machines text body: every URL in it (see 'urls').
  machines: {},
  'stats/self': {
    id: 'memberId',
    leader: 'memberId',
    startTime: 'time',
    uptime: 'duration',
  },
  'stats/leader': {
    leader: 'memberId',
    followers: 'memberIdKeys',
  },
  'stats/store': {
    getsSuccess: 'counter',
    getsFail: 'counter',
    setsSuccess: 'counter',
    setsFail: 'counter',
    deleteSuccess: 'counter',
    deleteFail: 'counter',
    updateSuccess: 'counter',
    updateFail: 'counter',
    createSuccess: 'counter',
    createFail: 'counter',
    compareAndSwapSuccess: 'counter',
    compareAndSwapFail: 'counter',
    compareAndDeleteSuccess: 'counter',
    compareAndDeleteFail: 'counter',
    expireCount: 'counter',
    // "watchers" is a gauge: compared exactly.
  },
  other: {},
};

/** Rules under which a one-byte change may legitimately go unnoticed (the self-test skips these fields). */
export const EXEMPT_FIELD_RULES: ReadonlySet<FieldRule> = new Set(['time', 'duration', 'ttl']);
export const EXEMPT_HEADER_RULES: ReadonlySet<HeaderRule> = new Set(['drop', 'presence']);

// ---------------------------------------------------------------------------------------
// Applying the list
// ---------------------------------------------------------------------------------------

/** What the normalizer knows of one side. */
export interface SideMeta {
  /** X-Etcd-Index of the first user write. */
  base: number;
  /** Member ID (hex) → member name. */
  memberNames: Map<string, string>;
  clientURLs: string[];
  peerURLs: string[];
}

export interface Normalized {
  label: string;
  status: string;
  headers: string[];
  body: unknown;
  timedOut?: boolean;
}

export function scopeOf(url: string): Scope {
  const path = url.split('?')[0]!;
  if (path === '/v2/keys' || path.startsWith('/v2/keys/')) return 'keys';
  if (path === '/v2/members' || path.startsWith('/v2/members/')) return 'members';
  if (path === '/v2/machines') return 'machines';
  if (path === '/v2/stats/self') return 'stats/self';
  if (path === '/v2/stats/leader') return 'stats/leader';
  if (path === '/v2/stats/store') return 'stats/store';
  return 'other';
}

export function fieldRule(scope: Scope, field: string): FieldRule | undefined {
  return Object.hasOwn(FIELD_RULES[scope], field) ? FIELD_RULES[scope][field] : undefined;
}

export function headerRule(name: string): HeaderRule | undefined {
  const n = name.toLowerCase();
  return Object.hasOwn(HEADER_RULES, n) ? HEADER_RULES[n] : undefined;
}

const RFC3339NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const GO_DURATION = /^(\d+h)?(\d+m)?(\d+(\.\d+)?(s|ms|µs|ns))$|^0s$/;

function relIndex(v: number, meta: SideMeta): string | number {
  return v === 0 ? 0 : `@${v - meta.base}`;
}

function inOrderKeys(s: string, meta: SideMeta): string {
  return s.replace(/(^|\/)(\d{20})(?=\/|$)/g, (_m, pre: string, d: string) => `${pre}<@${Number(d) - meta.base}>`);
}

function urls(s: string, meta: SideMeta): string {
  let out = s;
  meta.clientURLs.forEach((u, i) => (out = out.split(u).join(`<client ${i}>`)));
  meta.peerURLs.forEach((u, i) => (out = out.split(u).join(`<peer ${i}>`)));
  return out;
}

function memberId(s: string, meta: SideMeta): string {
  const name = meta.memberNames.get(s);
  return name === undefined ? s : `<member ${name}>`;
}

function queryHas(url: string, param: string, value?: string): string | undefined {
  const q = url.split('?')[1];
  if (q === undefined) return undefined;
  for (const part of q.split('&')) {
    const [k, v] = part.split('=');
    if (k === param && (value === undefined || v === value)) return v ?? '';
  }
  return undefined;
}

interface Walk {
  scope: Scope;
  meta: SideMeta;
  url: string;
  /** The first /v2/stats/store answer of this side (counters are relative to it). */
  statsBaseline: Record<string, number> | undefined;
  /** The errorCode of the body being walked (for 'cause'). */
  errorCode?: number;
}

function cause(s: string, w: Walk): string {
  let out = inOrderKeys(s, w.meta);
  if (w.errorCode === 401) {
    out = out.replace(/\[(\d+)\/(\d+)\]/, (_m, a: string, b: string) => `[@${Number(a) - w.meta.base}/@${Number(b) - w.meta.base}]`);
  }
  if (w.errorCode === 101) {
    const pi = queryHas(w.url, 'prevIndex');
    if (pi !== undefined && pi !== '0') {
      // The index half is always the last "[prevIndex != modifiedIndex]".
      out = out.replace(/\[(\d+) != (\d+)\]$/, (_m, a: string, b: string) => `[@${Number(a) - w.meta.base} != @${Number(b) - w.meta.base}]`);
    }
  }
  return out;
}

function applyRule(rule: FieldRule, v: unknown, w: Walk, field: string): unknown {
  switch (rule) {
    case 'index':
      return typeof v === 'number' ? relIndex(v, w.meta) : v;
    case 'inOrderKeys':
      return typeof v === 'string' ? inOrderKeys(v, w.meta) : v;
    case 'cause':
      return typeof v === 'string' ? cause(v, w) : v;
    case 'time':
      return typeof v === 'string' && RFC3339NANO.test(v) ? '<time>' : v;
    case 'duration':
      return typeof v === 'string' && GO_DURATION.test(v) ? '<duration>' : v;
    case 'ttl':
      return typeof v === 'number' ? { $ttl: v } : v;
    case 'unorderedUnlessSorted': {
      const items = Array.isArray(v) ? v.map((x) => walk(x, w)) : walk(v, w);
      if (!Array.isArray(items) || queryHas(w.url, 'sorted', 'true') !== undefined) return items;
      return sortBy(items);
    }
    case 'unordered': {
      const items = Array.isArray(v) ? v.map((x) => walk(x, w)) : walk(v, w);
      return Array.isArray(items) ? sortBy(items) : items;
    }
    case 'memberId':
      return typeof v === 'string' ? memberId(v, w.meta) : v;
    case 'memberIdKeys': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return walk(v, w);
      const out: Record<string, unknown> = {};
      const keys = Object.keys(v).map((k) => [memberId(k, w.meta), k] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      for (const [nk, k] of keys) out[nk] = walk((v as Record<string, unknown>)[k], w);
      return out;
    }
    case 'urls':
      return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? urls(x, w.meta) : x)) : typeof v === 'string' ? urls(v, w.meta) : v;
    case 'counter': {
      const base = w.statsBaseline?.[field];
      return typeof v === 'number' && base !== undefined ? `Δ${v - base}` : v;
    }
  }
}

function sortBy(items: unknown[]): unknown[] {
  return [...items].sort((a, b) => {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function walk(v: unknown, w: Walk): unknown {
  if (Array.isArray(v)) return v.map((x) => walk(x, w));
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const inner: Walk = typeof o.errorCode === 'number' ? { ...w, errorCode: o.errorCode } : w;
  // Field order is kept (Go emits a fixed order): the result is compared in order.
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    const rule = fieldRule(w.scope, k);
    out[k] = rule === undefined ? walk(x, inner) : applyRule(rule, x, inner, k);
  }
  return out;
}

/** Go's encoding/json of a parsed value (key order kept): a body is "canonical" when it re-encodes to itself. */
export function goEncode(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goEncode).join(',')}]`;
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${goQuote(k)}:${goEncode(x)}`).join(',')}}`;
}

/** A body: JSON lines (a watch stream has several) normalized, or exact text. */
function normalizeBody(r: Recorded, w: Walk): unknown {
  if (r.body === '') return '';
  const lines = r.body.split('\n');
  const last = lines.pop();
  const jsonLike = /^[[{]/.test(r.body);
  if (jsonLike) {
    try {
      const parsed = [...lines, ...(last === '' ? [] : [last!])].map((l) => JSON.parse(l) as unknown);
      // How the JSON is written is compared too: whether each line is exactly Go's encoding of
      // its own content (field order is kept in `json`; this catches spacing and escapes), and
      // whether the body ends with a newline (Go's json.Encoder) or not (json.Marshal + Write).
      const goEncoded = parsed.every((p, i) => goEncode(p) === (i < lines.length ? lines[i] : last));
      return { json: parsed.map((p) => walk(p, w)), goEncoded, finalNewline: last === '' };
    } catch {
      // not JSON after all: compare as text
    }
  }
  return { text: w.scope === 'machines' ? urls(r.body, w.meta) : r.body };
}

export interface NormalizeState {
  statsBaseline?: Record<string, number>;
}

export function normalize(r: Recorded, meta: SideMeta, state: NormalizeState): Normalized {
  const scope = scopeOf(r.url);
  const headers: string[] = [];
  for (const [name, value] of r.headers) {
    const rule = headerRule(name);
    if (rule === 'drop') continue;
    if (rule === 'presence') headers.push(`${name}: <present>`);
    else if (rule === 'index') headers.push(`${name}: ${relIndex(Number(value), meta)}`);
    else if (rule === 'length') {
      const n = r.method === 'HEAD' ? (value === '0' ? '0' : /^[1-9][0-9]*$/.test(value) ? '<positive>' : value) : value === String(Buffer.byteLength(r.body)) ? '<length of the body>' : value;
      headers.push(`${name}: ${n}`);
    }
    else headers.push(`${name}: ${value}`);
  }
  headers.sort();
  if (scope === 'stats/store' && state.statsBaseline === undefined && r.status === 200) {
    state.statsBaseline = JSON.parse(r.body) as Record<string, number>;
  }
  const body = normalizeBody(r, { scope, meta, url: r.url, statsBaseline: state.statsBaseline });
  return { label: r.label, status: `${r.status} ${r.statusText}`, headers, body, ...(r.timedOut ? { timedOut: true } : {}) };
}

export function normalizeAll(rs: Recorded[], meta: SideMeta): Normalized[] {
  const state: NormalizeState = {};
  return rs.map((r) => normalize(r, meta, state));
}

/** Deep equality; remaining TTLs ({$ttl}) equal within ±1 s; object field order matters. */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => same(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  if ('$ttl' in ao && '$ttl' in bo && typeof ao.$ttl === 'number' && typeof bo.$ttl === 'number') {
    return Math.abs(ao.$ttl - bo.$ttl) <= 1;
  }
  const ak = Object.keys(ao);
  const bk = Object.keys(bo);
  if (ak.length !== bk.length || ak.some((k, i) => k !== bk[i])) return false;
  return ak.every((k) => same(ao[k], bo[k]));
}

export interface Difference {
  i: number;
  label: string;
  etcd: Normalized;
  coracle: Normalized;
}

export function compareAll(etcd: Normalized[], coracle: Normalized[]): Difference[] {
  const out: Difference[] = [];
  const n = Math.max(etcd.length, coracle.length);
  for (let i = 0; i < n; i++) {
    const e = etcd[i]!;
    const c = coracle[i]!;
    if (!same(e, c)) out.push({ i, label: e?.label ?? c?.label ?? '?', etcd: e, coracle: c });
  }
  return out;
}
