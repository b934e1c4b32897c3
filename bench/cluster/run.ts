// bench/cluster: time from `coracle cluster up --machines 3` (a fresh
// cluster, the CLI as a user runs it) to etcd healthy on every machine, to
// the first unit running, and the memory of each machine's processes.
// Several rounds; figures are printed as a markdown table.
//   npm run bench:cluster -- [--rounds N]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineProcesses } from '../../src/cluster/procs.js';
import { withHostLock } from '../../test/support/host-lock.js';

const CORACLE = path.resolve(fileURLToPath(new URL('../../../bin/coracle.js', import.meta.url)));

function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function post(socketPath: string, pathname: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request({ socketPath, path: pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

interface Round {
  upMs: number;
  healthyMs: number;
  firstUnitMs: number;
  rssMb: number[];
  processes: number[];
}

async function round(dir: string): Promise<Round> {
  const t0 = performance.now();
  const up = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [CORACLE, 'cluster', '--dir', dir, 'up', '--machines', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
  const upMs = performance.now() - t0;
  if (up.code !== 0) throw new Error(`cluster up failed:\n${up.out}`);
  const healthy = /etcd healthy on 3 machines after ([\d.]+)s/.exec(up.out);
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as { fleet: boolean; machines: { root: string }[] };
  // The first unit: with fleet, fleetctl start; without, a unit started on core-01 through its init.
  const t1 = performance.now();
  if (state.fleet) {
    const r = spawnSync(process.execPath, [CORACLE, 'cluster', '--dir', dir, 'exec', '1', '--', 'fleetctl', 'start', 'hello@1.service'], { cwd: path.join(dir, 'units'), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`fleetctl start: ${r.stdout}${r.stderr}`);
  } else {
    const r = await post(path.join(state.machines[0]!.root, 'run/coracle/init.sock'), '/v1/transient', { name: 'hello.service', command: ['/bin/sleep', '600'] });
    if (r.status !== 200) throw new Error(`transient unit: ${r.body}`);
  }
  const firstUnitMs = performance.now() - t1 + upMs;
  const procs = state.machines.map((m) => machineProcesses(m.root));
  const rssMb = procs.map((pids) => pids.reduce((s, p) => s + rssKb(p), 0) / 1024);
  const down = spawnSync(process.execPath, [CORACLE, 'cluster', '--dir', dir, 'destroy'], { encoding: 'utf8' });
  if (down.status !== 0) throw new Error(`cluster destroy: ${down.stdout}${down.stderr}`);
  return { upMs, healthyMs: healthy ? Number(healthy[1]) * 1000 : NaN, firstUnitMs, rssMb, processes: procs.map((p) => p.length) };
}

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
await withHostLock('one-host-cluster', async () => {
  const results: Round[] = [];
  for (let i = 0; i < rounds; i++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-bench-cluster-'));
    try {
      results.push(await round(dir));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const r = results[results.length - 1]!;
    process.stderr.write(`round ${i + 1}: up ${r.upMs.toFixed(0)} ms, healthy ${r.healthyMs.toFixed(0)} ms, first unit ${r.firstUnitMs.toFixed(0)} ms, RSS ${r.rssMb.map((x) => x.toFixed(0)).join('/')} MB\n`);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const f = (xs: number[]): string => `${(median(xs) / 1000).toFixed(2)} s (${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)})`;
  console.log(`| rounds | cluster up returns | etcd healthy (from the CLI's start) | first unit running | RSS per machine (node + units) | processes per machine |`);
  console.log(`|---|---|---|---|---|---|`);
  const rss = results.flatMap((r) => r.rssMb);
  console.log(`| ${rounds} | ${f(results.map((r) => r.upMs))} | ${f(results.map((r) => r.healthyMs))} | ${f(results.map((r) => r.firstUnitMs))} | ${median(rss).toFixed(0)} MB (${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)}) | ${median(results.flatMap((r) => r.processes))} |`);
});
