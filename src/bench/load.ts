// The HTTP load of `coracle bench`: put, get and watch workloads against the
// etcd v2 keys API of any etcd-compatible cluster (coracle or etcd itself).
//
// `clients` requests are in flight at once, sharing `conns` keep-alive
// connections (HTTP/1.1: one request per connection at a time, so a client
// waits for a free connection when conns < clients; that wait counts in its
// latency). Latency runs from just before a client asks for a connection to
// the last byte of the response. Only 2xx answers count as successes; every
// other answer and every connection failure is counted by its text.

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Http1Conn, type Response } from './http1.js';
import { summarize, type Summary } from './stats.js';

export type Target = 'leader' | 'all';

export interface Progress {
  done: number;
  failed: number;
  total: number;
  elapsedSec: number;
}

export interface CommonOptions {
  /** Client URLs, e.g. http://127.0.0.1:2379. */
  endpoints: string[];
  /** Send to the leader only (found through /v2/stats/self), or spread over every endpoint. */
  target: Target;
  /** Requests in flight at once. */
  clients: number;
  /** Keep-alive connections shared by the clients. */
  conns: number;
  /** Requests to send (puts, for watch). */
  total: number;
  keySize: number;
  valSize: number;
  /** Keys are drawn from [0, keySpaceSize). */
  keySpaceSize: number;
  /** Keys in order (i mod keySpaceSize) instead of at random. */
  sequentialKeys: boolean;
  /** A request without an answer after this long fails (and its connection is dropped). */
  timeoutMs: number;
  /** Directory under /v2/keys the benchmark writes in. */
  prefix: string;
  onProgress?: (p: Progress) => void;
  /** Called once the timed phase starts (after any preparation). */
  onPhase?: (phase: string) => void;
}

export interface GetOptions extends CommonOptions {
  /** l: linearizable (quorum=true, through Raft); s: serializable (the member's local store). */
  consistency: 'l' | 's';
}

export interface WatchOptions extends CommonOptions {
  /** Long-poll watchers (wait=true, re-armed with waitIndex after each event). */
  watchers: number;
  /** Streaming watchers (wait=true&stream=true, one open response each). */
  streams: number;
  /** Puts per second, 0 for as fast as the clients go. */
  putRate: number;
  /** How long to wait for outstanding events after the last put. */
  drainMs: number;
}

export interface RunResult extends Summary {
  op: string;
  /** The URLs the requests went to. */
  targets: string[];
  /** CPU time of this benchmark process during the timed phase, seconds. */
  clientCpuSec: number;
  /** Extra facts about the run (watch: puts sent, deliveries expected). */
  notes: Record<string, number | string>;
}

export class BenchError extends Error {}

// --- keys and values ----------------------------------------------------------------

/** The key for index i: decimal, zero-padded to keySize characters. */
export function keyName(i: number, keySize: number): string {
  const s = String(i);
  return s.length >= keySize ? s : '0'.repeat(keySize - s.length) + s;
}

/** A value of exactly `size` URL-safe characters (no form encoding needed). */
export function makeValue(size: number, seed = 'coracle-bench-'): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = seed.slice(0, size);
  for (let i = out.length; i < size; i++) out += alphabet[(i * 7919) % alphabet.length];
  return out;
}

export function validate(o: CommonOptions): void {
  const positive: Array<[string, number]> = [
    ['--clients', o.clients],
    ['--conns', o.conns],
    ['--total', o.total],
    ['--key-size', o.keySize],
    ['--key-space-size', o.keySpaceSize],
    ['--timeout', o.timeoutMs],
  ];
  for (const [name, v] of positive) if (!Number.isInteger(v) || v < 1) throw new BenchError(`${name} must be a positive integer (got ${v})`);
  if (!Number.isInteger(o.valSize) || o.valSize < 0) throw new BenchError(`--val-size must be an integer ≥ 0 (got ${o.valSize})`);
  if (String(o.keySpaceSize - 1).length > o.keySize) {
    throw new BenchError(`--key-size ${o.keySize} is too short for --key-space-size ${o.keySpaceSize} (keys are decimal indexes)`);
  }
  if (o.endpoints.length === 0) throw new BenchError('no endpoints');
  for (const e of o.endpoints) {
    let u: URL;
    try {
      u = new URL(e);
    } catch {
      throw new BenchError(`bad endpoint ${JSON.stringify(e)} (want a URL like http://127.0.0.1:2379)`);
    }
    if (u.protocol !== 'http:') throw new BenchError(`endpoint ${e}: only http:// is supported`);
  }
  if (!/^\/?[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(o.prefix)) throw new BenchError(`bad --prefix ${JSON.stringify(o.prefix)}`);
}

// --- simple exchanges (setup, not measured) -----------------------------------------

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function simpleRequest(method: string, url: string, body?: string, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {};
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The endpoint whose member says it leads (GET /v2/stats/self → state StateLeader). */
export async function findLeader(endpoints: string[], timeoutMs = 10000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const seen: string[] = [];
  for (;;) {
    seen.length = 0;
    for (const e of endpoints) {
      try {
        const r = await simpleRequest('GET', `${trimSlash(e)}/v2/stats/self`, undefined, 2000);
        if (r.status === 200 && (JSON.parse(r.body) as { state?: string }).state === 'StateLeader') return trimSlash(e);
        seen.push(`${e}: HTTP ${r.status}`);
      } catch (err) {
        seen.push(`${e}: ${(err as Error).message}`);
      }
    }
    if (Date.now() > deadline) throw new BenchError(`no endpoint says it is the leader (${seen.join('; ')})`);
    await sleep(200);
  }
}

async function resolveTargets(o: CommonOptions): Promise<string[]> {
  const all = o.endpoints.map(trimSlash);
  return o.target === 'all' ? all : [await findLeader(all)];
}

function trimSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

function keysPath(prefix: string): string {
  return `/v2/keys/${prefix.replace(/^\//, '')}`;
}

// --- the request engine -------------------------------------------------------------

class Pool {
  private free: Http1Conn[];
  private waiters: Array<(c: Http1Conn) => void> = [];
  constructor(readonly conns: Http1Conn[]) {
    this.free = [...conns];
  }
  acquire(): Http1Conn | Promise<Http1Conn> {
    const c = this.free.pop();
    if (c) return c;
    return new Promise((r) => this.waiters.push(r));
  }
  release(c: Http1Conn): void {
    const w = this.waiters.shift();
    if (w) w(c);
    else this.free.push(c);
  }
}

interface EngineResult {
  latencies: Float64Array;
  errors: Record<string, number>;
  totalSec: number;
  cpuSec: number;
}

/** Spreads n items over k buckets, as evenly as possible. */
function spread(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

/** Builds a request's bytes for one target. */
type Build = (i: number, host: string) => string;

/**
 * Sends `total` requests from `clients` concurrent clients over `conns`
 * connections spread across `targets`, and records each one's latency.
 */
async function drive(targets: string[], clients: number, conns: number, total: number, timeoutMs: number, build: Build, onProgress?: (p: Progress) => void): Promise<EngineResult> {
  const urls = targets.map((t) => new URL(t));
  const poolConns = spread(Math.max(conns, urls.length), urls.length);
  const pools = urls.map((u, i) => new Pool(Array.from({ length: poolConns[i]! }, () => new Http1Conn(u.hostname, Number(u.port || 80)))));
  const hosts = urls.map((u) => u.host);
  const latencies = new Float64Array(total);
  const errors: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let next = 0;
  const countError = (text: string): void => {
    failed++;
    errors[text] = (errors[text] ?? 0) + 1;
  };

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    for (const p of pools) for (const c of p.conns) c.expire(now - timeoutMs, `no answer within ${timeoutMs} ms`);
    onProgress?.({ done: ok + failed, failed, total, elapsedSec: (now - t0) / 1000 });
  }, 250);

  const client = async (pi: number): Promise<void> => {
    const pool = pools[pi]!;
    const host = hosts[pi]!;
    while (next < total) {
      const i = next++;
      const bytes = build(i, host);
      const start = performance.now();
      const got = pool.acquire();
      const conn = got instanceof Http1Conn ? got : await got;
      let res: Response | undefined;
      try {
        res = await conn.request(bytes, performance.now());
      } catch (err) {
        countError((err as Error).message);
      }
      const end = performance.now();
      pool.release(conn);
      if (res === undefined) continue;
      if (res.status >= 200 && res.status < 300) latencies[ok++] = (end - start) / 1000;
      else countError(httpErrorText(res));
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, (_, c) => client(c % pools.length)));
  } finally {
    clearInterval(ticker);
    for (const p of pools) for (const c of p.conns) c.close();
  }
  const totalSec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  onProgress?.({ done: ok + failed, failed, total, elapsedSec: totalSec });
  return { latencies: latencies.subarray(0, ok), errors, totalSec, cpuSec: (cpu.user + cpu.system) / 1e6 };
}

/** "HTTP 500 (etcd 300: Raft Internal Error)" for an etcd error body, else the status and the start of the body. */
export function httpErrorText(res: Response): string {
  const text = res.body.toString('utf8');
  try {
    const e = JSON.parse(text) as { errorCode?: number; message?: string };
    if (typeof e.errorCode === 'number') return `HTTP ${res.status} (etcd ${e.errorCode}: ${e.message ?? ''})`;
    if (typeof e.message === 'string') return `HTTP ${res.status} (${e.message})`;
  } catch {
    // not JSON
  }
  const snippet = text.trim().slice(0, 60);
  return snippet === '' ? `HTTP ${res.status}` : `HTTP ${res.status} (${snippet})`;
}

// --- workloads ----------------------------------------------------------------------

function putBuilder(o: CommonOptions, keyOf: (i: number) => number, valueOf: (i: number) => string): Build {
  const base = keysPath(o.prefix);
  return (i, host) => {
    const body = `value=${valueOf(i)}`;
    return `PUT ${base}/${keyName(keyOf(i), o.keySize)} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  };
}

function keyChooser(o: CommonOptions): (i: number) => number {
  return o.sequentialKeys ? (i) => i % o.keySpaceSize : () => Math.floor(Math.random() * o.keySpaceSize);
}

function result(op: string, targets: string[], r: EngineResult, notes: Record<string, number | string> = {}): RunResult {
  return { op, targets, clientCpuSec: r.cpuSec, notes, ...summarize(r.latencies, r.totalSec, r.errors) };
}

/** PUT /v2/keys/<prefix>/<key> value=<val-size bytes>. */
export async function runPut(o: CommonOptions): Promise<RunResult> {
  validate(o);
  const targets = await resolveTargets(o);
  const value = makeValue(o.valSize);
  o.onPhase?.('put');
  const r = await drive(targets, o.clients, o.conns, o.total, o.timeoutMs, putBuilder(o, keyChooser(o), () => value), o.onProgress);
  return result('put', targets, r);
}

/** Writes every key of the key space once (not measured), so gets find them. */
async function fill(o: CommonOptions): Promise<void> {
  const leader = await findLeader(o.endpoints.map(trimSlash));
  const value = makeValue(o.valSize);
  const clients = Math.min(o.clients, o.keySpaceSize);
  const r = await drive([leader], clients, Math.min(o.conns, clients), o.keySpaceSize, o.timeoutMs, putBuilder(o, (i) => i, () => value));
  if (r.latencies.length !== o.keySpaceSize) {
    throw new BenchError(`writing the ${o.keySpaceSize} keys before the gets failed: ${Object.entries(r.errors).map(([t, n]) => `${n} × ${t}`).join('; ')}`);
  }
}

/** GET /v2/keys/<prefix>/<key>[?quorum=true] over keys written beforehand. */
export async function runGet(o: GetOptions): Promise<RunResult> {
  validate(o);
  if (o.consistency !== 'l' && o.consistency !== 's') throw new BenchError(`--consistency must be l or s (got ${o.consistency})`);
  o.onPhase?.('fill');
  await fill(o);
  const targets = await resolveTargets(o);
  const base = keysPath(o.prefix);
  const query = o.consistency === 'l' ? '?quorum=true' : '';
  const keyOf = keyChooser(o);
  o.onPhase?.(`get (${o.consistency === 'l' ? 'linearizable' : 'serializable'})`);
  const r = await drive(targets, o.clients, o.conns, o.total, o.timeoutMs, (i, host) => `GET ${base}/${keyName(keyOf(i), o.keySize)}${query} HTTP/1.1\r\nHost: ${host}\r\n\r\n`, o.onProgress);
  return result(o.consistency === 'l' ? 'get-linearizable' : 'get-serializable', targets, r, { consistency: o.consistency });
}

// --- watch --------------------------------------------------------------------------

interface WatchEvent {
  action?: string;
  node?: { key?: string; value?: string; modifiedIndex?: number };
}

/**
 * Event delivery latency: `watchers` long-poll and `streams` streaming
 * watchers wait on the benchmark directory (recursive) while `total` puts go
 * in; each delivery's latency runs from the start of the put that caused it
 * to the arrival of its event. Every watcher should see every put: a missing
 * delivery is an error.
 */
export async function runWatch(o: WatchOptions): Promise<RunResult> {
  validate(o);
  if (!Number.isInteger(o.watchers) || o.watchers < 0 || !Number.isInteger(o.streams) || o.streams < 0 || o.watchers + o.streams < 1) {
    throw new BenchError('--watchers and --streams must be integers ≥ 0, at least one of them positive');
  }
  if (!(o.putRate >= 0)) throw new BenchError(`--put-rate must be ≥ 0 (got ${o.putRate})`);
  const leader = await findLeader(o.endpoints.map(trimSlash));
  const targets = o.target === 'all' ? o.endpoints.map(trimSlash) : [leader];
  // A fresh directory per run, so the watchers see only this run's puts.
  const dir = `${o.prefix.replace(/^\//, '')}/watch-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const head = await simpleRequest('GET', `${leader}/v2/keys/`);
  const startIndex = Number(head.headers['x-etcd-index']) + 1;
  if (!Number.isFinite(startIndex)) throw new BenchError(`${leader} gave no X-Etcd-Index`);

  // The value starts with the put's sequence number, so a watcher knows which put it sees.
  const filler = makeValue(o.valSize);
  const valueOf = (i: number): string => {
    const tag = `${i}.`;
    return tag.length >= o.valSize ? tag : tag + filler.slice(tag.length);
  };
  const sentAt = new Float64Array(o.total).fill(NaN);
  const expected = o.total * (o.watchers + o.streams);
  const latencies = new Float64Array(expected);
  let delivered = 0;
  const errors: Record<string, number> = {};
  const countError = (text: string, n = 1): void => {
    errors[text] = (errors[text] ?? 0) + n;
  };
  const seenBy: number[] = []; // per watcher: events received
  let finished = false;
  let allDone: () => void = () => undefined;
  const everyoneDone = new Promise<void>((r) => (allDone = r));
  const agents = targets.map(() => new http.Agent({ keepAlive: true, maxSockets: Infinity }));

  const onEvent = (w: number, ev: WatchEvent): boolean => {
    const now = performance.now();
    const v = ev.node?.value ?? '';
    const seq = Number(v.slice(0, v.indexOf('.')));
    if (!Number.isInteger(seq) || seq < 0 || seq >= o.total || Number.isNaN(sentAt[seq]!)) {
      countError(`watcher got an event the benchmark did not cause (${ev.action} ${ev.node?.key})`);
    } else if (delivered < expected) {
      latencies[delivered++] = (now - sentAt[seq]!) / 1000;
    }
    seenBy[w] = (seenBy[w] ?? 0) + 1;
    if (delivered >= expected) allDone();
    return seenBy[w]! >= o.total;
  };

  const watchURL = (t: number, stream: boolean, waitIndex: number): string =>
    `${targets[t]!}${keysPath(dir)}?wait=true&recursive=true&waitIndex=${waitIndex}${stream ? '&stream=true' : ''}`;

  // Resolves once the response headers are in (the server registered the watch), then keeps watching.
  const armed: Array<Promise<void>> = [];
  const requests = new Set<http.ClientRequest>();
  const open = (url: string, agent: http.Agent, onHeaders: (res: http.IncomingMessage) => void, onFail: (err: Error) => void): void => {
    const req = http.get(url, { agent }, (res) => onHeaders(res));
    requests.add(req);
    req.on('close', () => requests.delete(req));
    req.on('error', (err) => {
      if (!finished) onFail(err);
    });
  };

  const longPoll = (w: number): Promise<void> =>
    new Promise<void>((ready) => {
      const t = w % targets.length;
      const arm = (waitIndex: number): void => {
        if (finished) return;
        open(
          watchURL(t, false, waitIndex),
          agents[t]!,
          (res) => {
            ready();
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              if (finished) return;
              const text = Buffer.concat(chunks).toString('utf8');
              if (res.statusCode !== 200) {
                countError(`watcher: HTTP ${res.statusCode} ${text.trim().slice(0, 80)}`);
                return; // this watcher stops; its missing events count at the end
              }
              if (text.trim() === '') return arm(waitIndex); // server closed an idle watch: retry
              const ev = JSON.parse(text) as WatchEvent;
              if (onEvent(w, ev)) return;
              arm((ev.node?.modifiedIndex ?? waitIndex) + 1);
            });
          },
          (err) => {
            ready();
            countError(`watcher: ${err.message}`);
          },
        );
      };
      arm(startIndex);
    });

  const streaming = (w: number): Promise<void> =>
    new Promise<void>((ready) => {
      const t = w % targets.length;
      open(
        watchURL(t, true, startIndex),
        agents[t]!,
        (res) => {
          ready();
          if (res.statusCode !== 200) {
            countError(`stream watcher: HTTP ${res.statusCode}`);
            res.resume();
            return;
          }
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (s: string) => {
            buf += s;
            for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (line !== '' && onEvent(w, JSON.parse(line) as WatchEvent)) res.destroy();
            }
          });
          res.on('end', () => {
            if (!finished && (seenBy[w] ?? 0) < o.total) countError('stream watcher: the server ended the stream');
          });
        },
        (err) => {
          ready();
          countError(`stream watcher: ${err.message}`);
        },
      );
    });

  o.onPhase?.('watch: arming watchers');
  for (let w = 0; w < o.watchers; w++) armed.push(longPoll(w));
  for (let s = 0; s < o.streams; s++) armed.push(streaming(o.watchers + s));
  await Promise.all(armed);

  // The puts, at the given rate, from `clients` clients, to the leader.
  o.onPhase?.('watch');
  const value = valueOf;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const interval = o.putRate > 0 ? 1000 / o.putRate : 0;
  const keyOf = keyChooser(o);
  const build = putBuilder({ ...o, prefix: dir }, keyOf, value);
  const leaderURL = new URL(leader);
  const conns = Array.from({ length: Math.min(o.conns, o.clients) }, () => new Http1Conn(leaderURL.hostname, Number(leaderURL.port || 80)));
  const pool = new Pool(conns);
  let next = 0;
  let putsOk = 0;
  let putsFailed = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    for (const c of conns) c.expire(now - o.timeoutMs, `no answer within ${o.timeoutMs} ms`);
    o.onProgress?.({ done: delivered, failed: putsFailed, total: expected, elapsedSec: (now - t0) / 1000 });
  }, 250);
  const putter = async (): Promise<void> => {
    while (next < o.total) {
      const i = next++;
      if (interval > 0) {
        const due = t0 + i * interval;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
      const got = pool.acquire();
      const conn = got instanceof Http1Conn ? got : await got;
      sentAt[i] = performance.now();
      try {
        const res = await conn.request(build(i, leaderURL.host), sentAt[i]!);
        if (res.status >= 200 && res.status < 300) putsOk++;
        else {
          putsFailed++;
          countError(`put: ${httpErrorText(res)}`);
        }
      } catch (err) {
        putsFailed++;
        countError(`put: ${(err as Error).message}`);
      }
      pool.release(conn);
    }
  };
  await Promise.all(Array.from({ length: o.clients }, () => putter()));
  for (const c of conns) c.close();
  // Wait for the last events (or give up after drainMs).
  await Promise.race([everyoneDone, sleep(o.drainMs)]);
  finished = true;
  const totalSec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(ticker);
  for (const r of requests) r.destroy();
  for (const a of agents) a.destroy();
  const missing = o.total * (o.watchers + o.streams) - delivered;
  const lostToFailedPuts = putsFailed * (o.watchers + o.streams);
  if (missing - lostToFailedPuts > 0) countError(`event not delivered within ${o.drainMs} ms of the last put`, missing - lostToFailedPuts);
  o.onProgress?.({ done: delivered, failed: putsFailed, total: expected, elapsedSec: totalSec });
  const summary = summarize(latencies.subarray(0, delivered), totalSec, errors);
  return {
    op: 'watch',
    targets,
    clientCpuSec: (cpu.user + cpu.system) / 1e6,
    notes: { puts: o.total, putsOk, putsFailed, watchers: o.watchers, streams: o.streams, deliveriesExpected: expected, delivered },
    ...summary,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
