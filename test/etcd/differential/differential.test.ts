// The differential test of the v2 API: one long conversation (conversation.ts)
// held with real etcd 3.4.23 (--enable-v2) and with coracle, the answers
// normalized by the written list in normalize.ts and compared: identical.
// A self-test then changes one byte of every field the list does not exempt,
// in answers that compared equal, and checks each change is noticed.
//
// Addresses: coracle on 127.0.0.60–62, real etcd on 127.0.0.63–65.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startEtcd, type RunningEtcd } from '../../client/real-etcd.js';
import { startCluster, tempDir, type MemberProcess } from '../members.js';
import { conversation } from './conversation.js';
import {
  compareAll,
  EXEMPT_FIELD_RULES,
  EXEMPT_HEADER_RULES,
  fieldRule,
  goEncode,
  headerRule,
  normalize,
  normalizeAll,
  same,
  scopeOf,
  type Difference,
  type Normalized,
  type SideMeta,
} from './normalize.js';
import { play, type Recorded, type SideInfo } from './runner.js';

function get(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${url} timed out`)));
  });
}

/** Wait until the cluster is healthy and its internal writes (attributes, cluster version) are done. */
async function settle(clientURL: string): Promise<void> {
  const deadline = Date.now() + 20000;
  let last = '';
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    const h = await get(`${clientURL}/health`).catch(() => ({ status: 0, headers: {}, body: '' }));
    const k = await get(`${clientURL}/v2/keys/`).catch(() => ({ status: 0, headers: {} as http.IncomingHttpHeaders, body: '' }));
    const idx = String(k.headers['x-etcd-index'] ?? '');
    if (h.status !== 200 || idx !== last) {
      last = idx;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 1500) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${clientURL} did not settle`);
}

async function sideMeta(info: SideInfo, base: number): Promise<SideMeta> {
  const r = await get(`${info.clientURLs[0]}/v2/members`);
  const members = (JSON.parse(r.body) as { members: Array<{ id: string; name: string }> }).members;
  return { base, memberNames: new Map(members.map((m) => [m.id, m.name])), clientURLs: info.clientURLs, peerURLs: info.peerURLs };
}

function show(d: Difference): string {
  return `#${d.i} ${d.label}\n  etcd:    ${JSON.stringify(d.etcd)}\n  coracle: ${JSON.stringify(d.coracle)}`;
}

interface Run {
  etcd: { records: Recorded[]; meta: SideMeta; norm: Normalized[] };
  coracle: { records: Recorded[]; meta: SideMeta; norm: Normalized[] };
  diffs: Difference[];
}

async function runBoth(n: number): Promise<Run> {
  const coracleAddrs = ['127.0.0.60', '127.0.0.61', '127.0.0.62'].slice(0, n);
  const etcdAddrs = ['127.0.0.63', '127.0.0.64', '127.0.0.65'].slice(0, n);
  const names = coracleAddrs.map((_, i) => `m${i + 1}`);
  const dir = tempDir('coracle-etcd-diff-');
  let members: MemberProcess[] = [];
  let reals: RunningEtcd[] = [];
  try {
    const ic = etcdAddrs.map((a, i) => `${names[i]}=http://${a}:2380`).join(',');
    [members, reals] = await Promise.all([
      startCluster(coracleAddrs, dir),
      Promise.all(etcdAddrs.map((ip, i) => startEtcd({ name: names[i]!, ip, clientPort: 2379, peerPort: 2380, initialCluster: ic }, n === 1))),
    ]);
    const coracleInfo: SideInfo = { clientURLs: coracleAddrs.map((a) => `http://${a}:2379`), peerURLs: coracleAddrs.map((a) => `http://${a}:2380`) };
    const etcdInfo: SideInfo = { clientURLs: reals.map((r) => r.clientURL), peerURLs: reals.map((r) => r.peerURL) };
    await Promise.all([settle(coracleInfo.clientURLs[0]!), settle(etcdInfo.clientURLs[0]!)]);
    const steps = conversation({ single: n === 1, members: n });
    const [e, c] = await Promise.all([play(steps, etcdInfo), play(steps, coracleInfo)]);
    const [em, cm] = await Promise.all([sideMeta(etcdInfo, e.base), sideMeta(coracleInfo, c.base)]);
    const en = normalizeAll(e.records, em);
    const cn = normalizeAll(c.records, cm);
    const diffs = compareAll(en, cn);
    const dump = path.join(os.tmpdir(), `coracle-etcd-differential-${n}.json`);
    fs.writeFileSync(dump, JSON.stringify({ etcd: en, coracle: cn }, null, 1));
    return { etcd: { records: e.records, meta: em, norm: en }, coracle: { records: c.records, meta: cm, norm: cn }, diffs };
  } finally {
    await Promise.all([...members.map((m) => m.stop()), ...reals.map((r) => r.stop())]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// --- self-test: one-byte changes ------------------------------------------------------

function changeByte(s: string): string {
  if (s === '') return 'x';
  const c = s.charCodeAt(0);
  return String.fromCharCode(c === 0x78 ? 0x79 : 0x78) + s.slice(1); // first char → 'x' (or 'y' if it was 'x')
}

function changeDigit(n: number): number {
  const s = String(n);
  const last = s.charCodeAt(s.length - 1) - 48;
  return Number(s.slice(0, -1) + String((last + 1) % 10));
}

interface Mutation {
  what: string;
  kind: 'status' | 'header' | 'field' | 'fieldName' | 'text';
  field?: string;
  rec: Recorded;
  exempt: boolean;
}

function* leafMutations(v: unknown, at: string, scope: ReturnType<typeof scopeOf>, exemptAbove: boolean): Generator<{ what: string; field: string; kind: 'field' | 'fieldName'; exempt: boolean; apply: (root: unknown) => unknown }> {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      for (const m of leafMutations(v[i], `${at}[${i}]`, scope, exemptAbove)) {
        yield { ...m, apply: (root) => setIn(root, [i], m.apply) };
      }
    }
    return;
  }
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      const rule = fieldRule(scope, k);
      const exempt = exemptAbove || (rule !== undefined && EXEMPT_FIELD_RULES.has(rule));
      // Rename the field (one byte).
      yield {
        what: `${at}.${k} (name)`, field: k, kind: 'fieldName', exempt: false,
        apply: (root) => Object.fromEntries(Object.entries(root as Record<string, unknown>).map(([kk, x]) => [kk === k ? changeByte(kk) : kk, x])),
      };
      for (const m of leafMutations((v as Record<string, unknown>)[k], `${at}.${k}`, scope, exempt)) {
        yield { ...m, field: m.field === '' ? k : m.field, apply: (root) => setIn(root, [k], m.apply) };
      }
    }
    return;
  }
  const apply = (): unknown => (typeof v === 'string' ? changeByte(v) : typeof v === 'number' ? changeDigit(v) : typeof v === 'boolean' ? !v : 'x');
  yield { what: at, field: '', kind: 'field', exempt: exemptAbove, apply };
}

function setIn(root: unknown, path: Array<string | number>, f: (x: unknown) => unknown): unknown {
  const k = path[0]!;
  if (Array.isArray(root)) return root.map((x, i) => (i === k ? f(x) : x));
  return Object.fromEntries(Object.entries(root as Record<string, unknown>).map(([kk, x]) => [kk, kk === k ? f(x) : x]));
}

function mutations(r: Recorded): Mutation[] {
  const out: Mutation[] = [];
  out.push({ what: 'status code', kind: 'status', rec: { ...r, status: changeDigit(r.status) }, exempt: false });
  out.push({ what: 'status text', kind: 'status', rec: { ...r, statusText: changeByte(r.statusText) }, exempt: false });
  r.headers.forEach(([name, value], i) => {
    const rule = headerRule(name);
    // A HEAD answer's Content-Length is only compared as zero/positive (normalize.ts).
    const exempt = (rule !== undefined && EXEMPT_HEADER_RULES.has(rule)) || (rule === 'length' && r.method === 'HEAD');
    const withHeader = (h: [string, string]) => r.headers.map((x, j) => (j === i ? h : x));
    out.push({ what: `header ${name} (value)`, kind: 'header', rec: { ...r, headers: withHeader([name, changeByte(value)]) }, exempt });
    out.push({ what: `header ${name} (name)`, kind: 'header', rec: { ...r, headers: withHeader([changeByte(name), value]) }, exempt: false });
  });
  if (r.body === '') return out;
  const lines = r.body.split('\n');
  const complete = lines.pop() === '';
  let parsed: unknown[] | undefined;
  try {
    parsed = complete ? lines.map((l) => JSON.parse(l) as unknown) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed && parsed.map((p) => `${goEncode(p)}\n`).join('') === r.body) {
    const scope = scopeOf(r.url);
    parsed.forEach((p, li) => {
      for (const m of leafMutations(p, `line${li}`, scope, false)) {
        const body = parsed!.map((q, j) => `${goEncode(j === li ? m.apply(q) : q)}\n`).join('');
        out.push({ what: `body ${m.what}`, kind: m.kind, field: m.field, rec: { ...r, body }, exempt: m.exempt });
      }
    });
  } else {
    out.push({ what: 'body text', kind: 'text', rec: { ...r, body: changeByte(r.body) }, exempt: false });
  }
  return out;
}

function selfTest(run: Run): { checked: number; unnoticed: string[]; kinds: Set<string> } {
  const { etcd, coracle } = run;
  const unnoticed: string[] = [];
  const kinds = new Set<string>();
  let checked = 0;
  const stats = { statsBaseline: undefined as Record<string, number> | undefined };
  const base = coracle.records.find((r) => scopeOf(r.url) === 'stats/store' && r.status === 200);
  if (base) stats.statsBaseline = JSON.parse(base.body) as Record<string, number>;
  for (let i = 0; i < coracle.records.length; i++) {
    const rec = coracle.records[i]!;
    if (rec.label.startsWith('bulk write') && !rec.label.endsWith('0')) continue; // a sample of the bulk
    if (!same(etcd.norm[i], coracle.norm[i])) continue; // only pairs that compare equal
    for (const m of mutations(rec)) {
      if (m.exempt) continue;
      checked++;
      kinds.add(m.kind === 'field' ? `field:${m.field}` : m.kind);
      const n = normalize(m.rec, coracle.meta, { ...stats });
      if (same(etcd.norm[i], n)) unnoticed.push(`#${i} ${rec.label}: ${m.what}`);
    }
  }
  return { checked, unnoticed, kinds };
}

async function differential(n: number, diagnostic: (s: string) => void): Promise<void> {
  const run = await runBoth(n);
  diagnostic(`${run.etcd.norm.length} answers compared, ${run.diffs.length} differences`);
  assert.ok(run.etcd.norm.length > 1000 && run.etcd.norm.length === run.coracle.norm.length);
  const st = selfTest(run);
  diagnostic(`self-test: ${st.checked} one-byte changes, ${st.unnoticed.length} unnoticed`);
  // The self-test must have changed each of these somewhere and seen every change.
  for (const k of ['status', 'header', 'fieldName', 'field:value', 'field:action', 'field:errorCode', 'field:key', 'field:message', 'field:cause', 'field:modifiedIndex', 'field:dir']) {
    assert.ok(st.kinds.has(k), `self-test never changed ${k}`);
  }
  assert.deepEqual(st.unnoticed, [], `${st.unnoticed.length} of ${st.checked} one-byte changes went unnoticed`);
  assert.equal(run.diffs.length, 0, `${run.diffs.length} differences:\n${run.diffs.slice(0, 40).map(show).join('\n')}`);
}

test('v2 API differential: one member each, real etcd 3.4 vs coracle', { timeout: 240000 }, async (t) => {
  await differential(1, (s) => t.diagnostic(s));
});

test('v2 API differential: three members each, requests spread over all members', { timeout: 240000 }, async (t) => {
  await differential(3, (s) => t.diagnostic(s));
});
