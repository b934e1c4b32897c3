// `coracle bench`: argument handling and output for the load generator in
// src/bench/. The summary follows etcd's benchmark tool.
import { parseArgs } from 'node:util';
import { BenchError, PERCENTILES, runGet, runPut, runWatch, type CommonOptions, type Progress, type RunResult } from '../bench/index.js';

export function benchUsage(): string {
  return `Usage: coracle bench <put|get|watch> [options]

A load generator for the etcd v2 keys API (coracle or etcd --enable-v2),
like etcd's benchmark tool. Prints a summary: total time, slowest, fastest,
average, stddev, requests/sec, a histogram and the latency distribution
(p10 … p99.9). Only 2xx answers count as successes; every other answer and
every connection failure is counted and listed.

Workloads:
  put     PUT /v2/keys/<prefix>/<key> value=<val-size bytes>
  get     GET /v2/keys/<prefix>/<key>; the key space is written once first
          (not timed). --consistency l adds quorum=true (through Raft),
          s reads the member's local store.
  watch   --watchers long-poll and --streams streaming watchers wait
          (recursive) on a fresh directory while --total puts go to the
          leader at --put-rate; reports event delivery latency (from the
          start of a put to the event's arrival at each watcher). Every
          watcher must see every put: a missing delivery is an error.

Options:
  --endpoints URLS       comma-separated client URLs (default http://127.0.0.1:2379)
  --target leader|all    send to the leader (found via /v2/stats/self, like
                         etcd's --target-leader) or spread over every
                         endpoint (default leader)
  --clients N            requests in flight at once (default 1)
  --conns N              keep-alive HTTP connections shared by the clients
                         (default: as many as clients). HTTP/1.1 carries one
                         request at a time per connection; a client waiting
                         for a connection counts that wait in its latency.
  --total N              requests to send; puts for watch
                         (default 10000; 1000 for watch)
  --key-size N           key length in characters, a zero-padded decimal
                         index (default 8)
  --val-size N           value size in bytes (default 8)
  --key-space-size N     keys are drawn at random from N keys (default 1)
  --sequential-keys      take keys in order instead of at random
  --consistency l|s      get only: linearizable or serializable (default l)
  --watchers N           watch only: long-poll watchers (default 10)
  --streams N            watch only: stream=true watchers (default 0)
  --put-rate N           watch only: puts per second, 0 = unlimited (default 100)
  --drain SECONDS        watch only: wait this long after the last put for
                         the last events (default 10)
  --prefix DIR           directory under /v2/keys to write in (default coracle-bench)
  --timeout SECONDS      a request without an answer after this long fails (default 30)
  --output text|json     summary format (default text)
  -h, --help             show this help

Progress is shown on one line on stderr when it is a terminal. Exit status:
0 when every request succeeded, 1 when any failed (the summary says which
and why), 2 for bad arguments or a cluster that could not be reached.

Examples:
  coracle bench put --endpoints http://127.0.0.1:2379 --clients 100 --total 20000 --val-size 256 --key-space-size 10000
  coracle bench get --consistency l --clients 100 --total 20000 --key-space-size 1000
  coracle bench get --consistency s --target all --endpoints http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379 --clients 100
  coracle bench watch --watchers 100 --streams 10 --total 1000 --put-rate 200
  coracle bench put --clients 64 --total 5000 --output json
`;
}

const options = {
  endpoints: { type: 'string', default: 'http://127.0.0.1:2379' },
  target: { type: 'string', default: 'leader' },
  clients: { type: 'string', default: '1' },
  conns: { type: 'string' },
  total: { type: 'string' },
  'key-size': { type: 'string', default: '8' },
  'val-size': { type: 'string', default: '8' },
  'key-space-size': { type: 'string', default: '1' },
  'sequential-keys': { type: 'boolean', default: false },
  consistency: { type: 'string', default: 'l' },
  watchers: { type: 'string', default: '10' },
  streams: { type: 'string', default: '0' },
  'put-rate': { type: 'string', default: '100' },
  drain: { type: 'string', default: '10' },
  prefix: { type: 'string', default: 'coracle-bench' },
  timeout: { type: 'string', default: '30' },
  output: { type: 'string', default: 'text' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function int(name: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new BenchError(`--${name} must be a whole number (got ${JSON.stringify(text)})`);
  return Number(text);
}

function num(name: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new BenchError(`--${name} must be a number ≥ 0 (got ${JSON.stringify(text)})`);
  return v;
}

export async function benchCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`coracle bench: ${(err as Error).message}\nRun 'coracle bench --help' for the options.\n`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(benchUsage());
    return 0;
  }
  const op = positionals[0];
  if (positionals.length !== 1 || (op !== 'put' && op !== 'get' && op !== 'watch')) {
    process.stderr.write(`coracle bench: name one workload: put, get or watch${op !== undefined ? ` (got ${positionals.join(' ')})` : ''}\n\n${benchUsage()}`);
    return 2;
  }
  const json = v.output === 'json';
  const tty = process.stderr.isTTY === true;
  let phase = op as string;
  let lastProgress = '';
  const progress = (p: Progress): void => {
    if (!tty) return;
    const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
    const rate = p.elapsedSec > 0 ? Math.round(p.done / p.elapsedSec) : 0;
    const line = `${phase}  ${p.done}/${p.total}  ${pct}%  ${rate}/s  ${p.elapsedSec.toFixed(1)} s  failed ${p.failed}`;
    if (line !== lastProgress) process.stderr.write(`\r\x1b[K${line}`);
    lastProgress = line;
  };
  const clearProgress = (): void => {
    if (tty && lastProgress !== '') process.stderr.write('\r\x1b[K');
    lastProgress = '';
  };

  let result: RunResult;
  try {
    if (v.output !== 'text' && v.output !== 'json') throw new BenchError(`--output must be text or json (got ${v.output})`);
    if (v.target !== 'leader' && v.target !== 'all') throw new BenchError(`--target must be leader or all (got ${v.target})`);
    const clients = int('clients', v.clients);
    const common: CommonOptions = {
      endpoints: v.endpoints.split(',').map((s) => s.trim()).filter((s) => s !== ''),
      target: v.target,
      clients,
      conns: v.conns !== undefined ? int('conns', v.conns) : clients,
      total: int('total', v.total ?? (op === 'watch' ? '1000' : '10000')),
      keySize: int('key-size', v['key-size']),
      valSize: int('val-size', v['val-size']),
      keySpaceSize: int('key-space-size', v['key-space-size']),
      sequentialKeys: v['sequential-keys'],
      timeoutMs: Math.round(num('timeout', v.timeout) * 1000),
      prefix: v.prefix,
      onProgress: progress,
      onPhase: (name) => {
        clearProgress();
        phase = name;
      },
    };
    if (op === 'put') result = await runPut(common);
    else if (op === 'get') result = await runGet({ ...common, consistency: v.consistency as 'l' | 's' });
    else {
      result = await runWatch({
        ...common,
        watchers: int('watchers', v.watchers),
        streams: int('streams', v.streams),
        putRate: num('put-rate', v['put-rate']),
        drainMs: Math.round(num('drain', v.drain) * 1000),
      });
    }
  } catch (err) {
    clearProgress();
    if (!(err instanceof BenchError)) throw err;
    process.stderr.write(`coracle bench: ${err.message}\n`);
    return 2;
  }
  clearProgress();
  process.stdout.write(json ? `${JSON.stringify(toJSON(result), null, 2)}\n` : formatResult(result));
  return result.failed > 0 ? 1 : 0;
}

/** The JSON form: seconds throughout, percentiles keyed "p50" etc. */
export function toJSON(r: RunResult): Record<string, unknown> {
  const percentiles: Record<string, number> = {};
  for (const [p, s] of Object.entries(r.percentiles)) percentiles[`p${p}`] = s;
  return {
    op: r.op,
    targets: r.targets,
    ok: r.ok,
    failed: r.failed,
    errors: r.errors,
    totalSec: r.totalSec,
    slowestSec: r.slowestSec,
    fastestSec: r.fastestSec,
    averageSec: r.averageSec,
    stddevSec: r.stddevSec,
    requestsPerSec: r.rps,
    percentilesSec: percentiles,
    histogram: r.histogram.map((b) => ({ markSec: b.mark, count: b.count })),
    clientCpuSec: r.clientCpuSec,
    ...r.notes,
  };
}

const secs = (s: number): string => s.toFixed(4);

/** The text summary, laid out like etcd's benchmark tool. */
export function formatResult(r: RunResult): string {
  const out: string[] = [];
  const watch = r.op === 'watch';
  out.push(`${r.op} against ${r.targets.join(', ')}`);
  if (watch) {
    const n = r.notes;
    out.push(`${n.puts} puts (${n.putsOk} ok), ${n.watchers} long-poll + ${n.streams} stream watchers: ${n.delivered} of ${n.deliveriesExpected} events delivered`);
  }
  out.push('', 'Summary:');
  out.push(`  Total:\t${secs(r.totalSec)} secs.`);
  out.push(`  Slowest:\t${secs(r.slowestSec)} secs.`);
  out.push(`  Fastest:\t${secs(r.fastestSec)} secs.`);
  out.push(`  Average:\t${secs(r.averageSec)} secs.`);
  out.push(`  Stddev:\t${secs(r.stddevSec)} secs.`);
  out.push(`  ${watch ? 'Events/sec' : 'Requests/sec'}:\t${r.rps.toFixed(4)}`);
  out.push(`  Succeeded:\t${r.ok}`);
  out.push(`  Failed:\t${r.failed}`);
  out.push(`  Benchmark CPU:\t${r.clientCpuSec.toFixed(2)} secs (${r.totalSec > 0 ? Math.round((100 * r.clientCpuSec) / r.totalSec) : 0}% of one core)`);
  if (r.histogram.length > 0) {
    out.push('', 'Response time histogram:');
    const max = Math.max(...r.histogram.map((b) => b.count));
    for (const b of r.histogram) out.push(`  ${secs(b.mark)} [${b.count}]\t|${'∎'.repeat(max > 0 ? Math.round((40 * b.count) / max) : 0)}`);
    out.push('', 'Latency distribution:');
    for (const p of PERCENTILES) out.push(`  ${p}% in ${secs(r.percentiles[String(p)]!)} secs.`);
  }
  const errs = Object.entries(r.errors).sort((a, b) => b[1] - a[1]);
  if (errs.length > 0) {
    out.push('', 'Error distribution:');
    for (const [text, n] of errs) out.push(`  [${n}]\t${text}`);
  }
  out.push('');
  return out.join('\n');
}
