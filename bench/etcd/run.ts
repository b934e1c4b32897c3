// coracle against etcd 3.4, v2 HTTP API, on this machine, in one go:
//
//   npm run bench:etcd -- [--total 20000] [--rounds 3] [--clients 100] [--conns 100]
//                         [--val-size 256] [--warmup 2000] [--profile DIR] [--only etcd|coracle]
//                         [--workloads put,qget,sget]
//
// Starts 3 real etcd members (/usr/bin/etcd --enable-v2, 127.0.0.70–72) and
// 3 coracle members (127.0.0.73–75), one cluster at a time, fresh data dirs
// each round, default Raft timings for both. Runs the same workloads with the
// same parameters against each — put (to the leader), quorum get and
// serializable get (from the leader) — alternating which cluster goes first
// from one round to the next. Prints the figures of every round, then a
// Markdown table of the medians and the ratios coracle/etcd for put QPS,
// quorum-get QPS and put p99 latency. Every process it started is stopped by
// PID and the temporary directory removed at the end. Exits non-zero only if
// a run failed (a cluster did not start, a request failed), never because of
// a ratio.
//
// --profile DIR runs the coracle members under `node --cpu-prof` and leaves
// one .cpuprofile per member in DIR; --only runs one of the two clusters.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findLeader, median, runGet, runPut, type CommonOptions, type RunResult } from '../../src/bench/index.js';

const ETCD = '/usr/bin/etcd';
const CORACLE = fileURLToPath(new URL('../../../bin/coracle.js', import.meta.url));

const { values: args } = parseArgs({
  options: {
    total: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    clients: { type: 'string', default: '100' },
    conns: { type: 'string', default: '100' },
    'val-size': { type: 'string', default: '256' },
    'key-size': { type: 'string', default: '8' },
    'put-key-space': { type: 'string', default: '10000' },
    'get-key-space': { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '2000' },
    profile: { type: 'string' },
    only: { type: 'string' },
    workloads: { type: 'string', default: 'put,qget,sget' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n') + '\n');
  process.exit(0);
}
const total = Number(args.total);
const rounds = Number(args.rounds);
const clients = Number(args.clients);
const conns = Number(args.conns);
const valSize = Number(args['val-size']);
const keySize = Number(args['key-size']);
const warmup = Number(args.warmup);
const profileDir = args.profile !== undefined ? resolve(args.profile) : undefined;

type Kind = 'etcd' | 'coracle';
const ADDRS: Record<Kind, string[]> = {
  etcd: ['127.0.0.70', '127.0.0.71', '127.0.0.72'],
  coracle: ['127.0.0.73', '127.0.0.74', '127.0.0.75'],
};

// --- processes ----------------------------------------------------------------------

interface Member {
  name: string;
  pid: number;
  proc: ChildProcess;
  clientURL: string;
  log: string[];
  exited: Promise<void>;
}

const running = new Set<Member>();
let tmp = '';

function startMember(kind: Kind, i: number, dir: string): Member {
  const addrs = ADDRS[kind];
  const name = `${kind[0]}${i + 1}`;
  const addr = addrs[i]!;
  const cluster = addrs.map((a, j) => `${kind[0]}${j + 1}=http://${a}:2380`).join(',');
  const flags = [
    '--name', name,
    '--data-dir', join(dir, name),
    '--listen-client-urls', `http://${addr}:2379`,
    '--advertise-client-urls', `http://${addr}:2379`,
    '--listen-peer-urls', `http://${addr}:2380`,
    '--initial-advertise-peer-urls', `http://${addr}:2380`,
    '--initial-cluster', cluster,
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', `bench-${kind}`,
  ];
  const proc =
    kind === 'etcd'
      ? spawn(ETCD, ['--enable-v2', ...flags], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } })
      : spawn(process.execPath, [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `coracle-${name}-${Date.now()}.cpuprofile`] : []), CORACLE, 'etcd', ...flags], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  if (proc.pid === undefined) throw new Error(`${kind} ${name} did not start`);
  const log: string[] = [];
  for (const s of [proc.stdout!, proc.stderr!]) {
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      log.push(d);
      if (log.length > 200) log.splice(0, log.length - 200);
    });
  }
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const m: Member = { name, pid: proc.pid, proc, clientURL: `http://${addr}:2379`, log, exited };
  running.add(m);
  void exited.then(() => running.delete(m));
  return m;
}

async function stopMember(m: Member): Promise<void> {
  if (m.proc.exitCode !== null || m.proc.signalCode !== null) return;
  process.kill(m.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (m.proc.exitCode === null && m.proc.signalCode === null) process.kill(m.pid, 'SIGKILL');
  }, 10000);
  await m.exited;
  clearTimeout(timer);
}

function httpStatus(url: string): Promise<number> {
  return new Promise((r) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      r(res.statusCode ?? 0);
    });
    req.on('error', () => r(0));
    req.setTimeout(1000, () => req.destroy());
  });
}

async function startCluster(kind: Kind, dir: string): Promise<{ members: Member[]; leader: string }> {
  const members = [0, 1, 2].map((i) => startMember(kind, i, dir));
  const deadline = Date.now() + 30000;
  for (;;) {
    const dead = members.find((m) => m.proc.exitCode !== null || m.proc.signalCode !== null);
    if (dead) throw new Error(`${kind} member ${dead.name} exited while starting:\n${dead.log.join('').slice(-3000)}`);
    const health = await Promise.all(members.map((m) => httpStatus(`${m.clientURL}/health`)));
    if (health.every((s) => s === 200)) break;
    if (Date.now() > deadline) throw new Error(`${kind} cluster not healthy after 30 s (health ${health.join(', ')})`);
    await sleep(200);
  }
  const leader = await findLeader(members.map((m) => m.clientURL));
  return { members, leader };
}

/** utime + stime of a process, seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** Busy CPU seconds of the whole machine so far (all CPUs, /proc/stat). */
function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) / 100;
  } catch {
    return NaN;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// --- workloads ----------------------------------------------------------------------

interface Measured {
  result: RunResult;
  /** CPU seconds used by the three members during the run, per successful request, in µs. */
  serverCpuUsPerReq: number;
  /** CPU used by everything else on the machine during the run (not the members, not this process), in cores. */
  otherCores: number;
}

type Workload = 'put' | 'qget' | 'sget';
const ALL_WORKLOADS: Array<{ id: Workload; label: string }> = [
  { id: 'put', label: 'put' },
  { id: 'qget', label: 'quorum get (l)' },
  { id: 'sget', label: 'serializable get (s)' },
];
const chosen = args.workloads.split(',').map((s) => s.trim());
for (const c of chosen) if (!ALL_WORKLOADS.some((w) => w.id === c)) throw new Error(`--workloads: unknown workload ${c} (put, qget, sget)`);
const WORKLOADS = ALL_WORKLOADS.filter((w) => chosen.includes(w.id));

async function measure(members: Member[], run: () => Promise<RunResult>): Promise<Measured> {
  const before = members.map((m) => cpuSeconds(m.pid));
  const busy0 = machineBusySeconds();
  const self0 = process.cpuUsage();
  const t0 = Date.now();
  const result = await run();
  const wall = (Date.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  const used = members.reduce((sum, m, i) => sum + cpuSeconds(m.pid) - before[i]!, 0);
  const other = machineBusySeconds() - busy0 - used - (self.user + self.system) / 1e6;
  return { result, serverCpuUsPerReq: result.ok > 0 ? (used / result.ok) * 1e6 : NaN, otherCores: Math.max(0, other / wall) };
}

async function runCluster(kind: Kind, dir: string): Promise<Record<Workload, Measured>> {
  const t0 = Date.now();
  const { members, leader } = await startCluster(kind, dir);
  process.stderr.write(`  ${kind}: 3 members up in ${((Date.now() - t0) / 1000).toFixed(1)} s, leader ${leader}\n`);
  try {
    const common: CommonOptions = {
      endpoints: [leader],
      target: 'leader',
      clients,
      conns,
      total,
      keySize,
      valSize,
      keySpaceSize: Number(args['put-key-space']),
      sequentialKeys: false,
      timeoutMs: 30000,
      prefix: 'coracle-bench',
    };
    if (warmup > 0) {
      const w = await runPut({ ...common, total: warmup, prefix: 'coracle-bench-warmup' });
      if (w.failed > 0) process.stderr.write(`  ${kind}: warm-up had ${w.failed} failed requests\n`);
    }
    const out = {} as Record<Workload, Measured>;
    const getOpts = { ...common, keySpaceSize: Number(args['get-key-space']), prefix: 'coracle-bench-get' };
    if (chosen.includes('put')) out.put = await measure(members, () => runPut(common));
    if (chosen.includes('qget')) out.qget = await measure(members, () => runGet({ ...getOpts, consistency: 'l' }));
    if (chosen.includes('sget')) out.sget = await measure(members, () => runGet({ ...getOpts, consistency: 's' }));
    for (const w of WORKLOADS) {
      const r = out[w.id].result;
      process.stderr.write(`  ${kind} ${w.label.padEnd(20)} ${fmtInt(r.rps).padStart(7)} req/s  p50 ${ms(r.percentiles['50']!)}  p99 ${ms(r.percentiles['99']!)} ms  failed ${r.failed}  server CPU ${out[w.id].serverCpuUsPerReq.toFixed(0)} µs/req  bench CPU ${Math.round((100 * r.clientCpuSec) / r.totalSec)}%  other work ${out[w.id].otherCores.toFixed(2)} cores\n`);
    }
    return out;
  } finally {
    await Promise.all(members.map(stopMember));
  }
}

// --- output -------------------------------------------------------------------------

function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}
function ms(sec: number): string {
  return Number.isFinite(sec) ? (sec * 1000).toFixed(1) : '—';
}
function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '—';
}

function etcdVersion(): Promise<string> {
  return new Promise<string>((r) => {
    const p = spawn(ETCD, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => r(/etcd Version: (\S+)/.exec(out)?.[1] ?? '?'));
    p.on('error', () => r('?'));
  });
}

async function main(): Promise<number> {
  if (!existsSync(ETCD)) {
    process.stderr.write(`${ETCD} is missing; install etcd 3.4 (apt-get install etcd-server)\n`);
    return 1;
  }
  const version = await etcdVersion();
  tmp = mkdtempSync(join(tmpdir(), 'coracle-bench-etcd-'));
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const results: Record<Kind, Array<Record<Workload, Measured>>> = { etcd: [], coracle: [] };
  let failed = false;
  const started = new Date();
  process.stderr.write(
    `bench/etcd: ${rounds} round(s); ${clients} clients over ${conns} connections, ${total} requests per workload, ` +
      `${valSize}-byte values, ${keySize}-char keys; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} CPUs\n`,
  );
  try {
    for (let round = 0; round < rounds; round++) {
      const order = (round % 2 === 0 ? ['etcd', 'coracle'] : ['coracle', 'etcd']).filter((k) => args.only === undefined || k === args.only) as Kind[];
      process.stderr.write(`round ${round + 1}: ${order.join(' then ')}\n`);
      for (const kind of order) {
        const dir = join(tmp, `r${round + 1}-${kind}`);
        mkdirSync(dir);
        try {
          const r = await runCluster(kind, dir);
          results[kind].push(r);
          for (const w of WORKLOADS) if (r[w.id].result.failed > 0) failed = true;
        } catch (err) {
          failed = true;
          process.stderr.write(`  ${kind}: run failed: ${(err as Error).message}\n`);
        }
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await Promise.all([...running].map(stopMember));
    rmSync(tmp, { recursive: true, force: true });
  }

  const med = (kind: Kind, w: Workload, f: (m: Measured) => number): number => median(results[kind].map((r) => f(r[w])));
  const qpsOf = (m: Measured) => m.result.rps;
  const p50 = (m: Measured) => m.result.percentiles['50']!;
  const p99 = (m: Measured) => m.result.percentiles['99']!;
  const cpu = (m: Measured) => m.serverCpuUsPerReq;
  const runsOf = (kind: Kind, w: Workload) => results[kind].map((r) => fmtInt(r[w].result.rps)).join(' · ');
  const has = (w: Workload) => WORKLOADS.some((x) => x.id === w);
  const errs = (kind: Kind, w: Workload) => results[kind].reduce((a, r) => a + r[w].result.failed, 0);

  const lines: string[] = [];
  lines.push(`etcd ${version} vs coracle, v2 API, 3 members each on loopback, ${started.toISOString().slice(0, 10)}; ` +
    `${clients} clients / ${conns} conns, ${total} requests per workload, ${valSize}-byte values; median of ${rounds} round(s)`);
  lines.push('');
  lines.push(`| workload | etcd ${version} | coracle | coracle/etcd |`);
  lines.push('|---|---|---|---|');
  for (const w of WORKLOADS) {
    lines.push(`| ${w.label} QPS (runs) | **${fmtInt(med('etcd', w.id, qpsOf))}** (${runsOf('etcd', w.id)}) | **${fmtInt(med('coracle', w.id, qpsOf))}** (${runsOf('coracle', w.id)}) | ${w.id === 'sget' ? '' : '**'}${ratio(med('coracle', w.id, qpsOf), med('etcd', w.id, qpsOf))}${w.id === 'sget' ? '' : '**'} |`);
    lines.push(`| ${w.label} p50 / p99 ms | ${ms(med('etcd', w.id, p50))} / ${ms(med('etcd', w.id, p99))} | ${ms(med('coracle', w.id, p50))} / ${ms(med('coracle', w.id, p99))} | ${ratio(med('coracle', w.id, p50), med('etcd', w.id, p50))} / ${w.id === 'put' ? '**' : ''}${ratio(med('coracle', w.id, p99), med('etcd', w.id, p99))}${w.id === 'put' ? '**' : ''} |`);
    lines.push(`| ${w.label} server CPU µs/req (3 members) | ${med('etcd', w.id, cpu).toFixed(0)} | ${med('coracle', w.id, cpu).toFixed(0)} | ${ratio(med('coracle', w.id, cpu), med('etcd', w.id, cpu))} |`);
    const fe = errs('etcd', w.id);
    const fc = errs('coracle', w.id);
    if (fe + fc > 0) lines.push(`| ${w.label} failed requests | ${fe} | ${fc} | |`);
  }
  const others = (['etcd', 'coracle'] as Kind[]).flatMap((k) => results[k].flatMap((r) => WORKLOADS.map((w) => r[w.id].otherCores)));
  lines.push('');
  lines.push(`Other work on the machine during the timed runs (CPU not used by the members or the benchmark): ` +
    `median ${median(others).toFixed(2)}, max ${Math.max(...others).toFixed(2)} of ${cpus().length} cores.`);
  if (has('put') && has('qget')) {
    lines.push(`Ratios (goal: QPS ≥ 1.0, p99 ≤ 1.0): put QPS ${ratio(med('coracle', 'put', qpsOf), med('etcd', 'put', qpsOf))}, ` +
      `quorum-get QPS ${ratio(med('coracle', 'qget', qpsOf), med('etcd', 'qget', qpsOf))}, ` +
      `put p99 latency ${ratio(med('coracle', 'put', p99), med('etcd', 'put', p99))}`);
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
  if (failed) process.stderr.write('bench/etcd: some runs failed (see above)\n');
  return failed ? 1 : 0;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\nbench/etcd: ${sig}; stopping the members\n`);
    void Promise.all([...running].map(stopMember)).then(() => {
      if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

process.exitCode = await main();
