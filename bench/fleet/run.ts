// fleet at scale on this machine: many lightweight agents (fleet's real
// Agent with an in-memory init) and one engine (in its own process) against a
// 3-member `coracle etcd`, then U units submitted at once.
//
//   npm run bench:fleet -- [--machines 100] [--units 10000] [--procs 2] [--ttl 30] [--timeout 600] [--keep-logs DIR] [--profile-engine DIR]
//
// --ttl is the agents' agent_ttl in seconds (fleet's default 30): every
// launched unit costs 3 writes per ttl*4/5 to keep its state and job-state.
//
// --profile-engine DIR writes the engine's CPU profile (node --cpu-prof) into DIR.
// --keep-logs DIR keeps the etcd members', the engine's and the agents'
// logs (warnings and errors of fleet, everything of etcd) in DIR.
//
// Reports: submit time, time from the first submit until every unit is
// launched (job-state = target, what fleetctl shows as launched) and its
// state published, the engine's placements per second (first to last
// placement), and CPU seconds of the engine, the agents and each etcd member
// over the run. Addresses 127.0.0.171–177. Every process it starts is stopped
// by PID and its temp dir removed; it stops by itself after --timeout seconds,
// and SIGTERM / SIGINT end a run the same way.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EtcdClient } from '../../src/client/index.js';
import { Registry, parseFleetUnit } from '../../src/fleet/registry/index.js';

const CORACLE = fileURLToPath(new URL('../../../bin/coracle.js', import.meta.url));
const HERE = path.dirname(fileURLToPath(import.meta.url));

const { values: a } = parseArgs({
  options: {
    machines: { type: 'string', default: '100' },
    units: { type: 'string', default: '10000' },
    procs: { type: 'string', default: '2' },
    timeout: { type: 'string', default: '600' },
    ttl: { type: 'string', default: '30' },
    'keep-logs': { type: 'string' },
    'profile-engine': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (a.help) {
  process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//') && !l.startsWith('//# sourceMappingURL')).map((l) => l.slice(3)).join('\n') + '\n');
  process.exit(0);
}
const machines = Number(a.machines);
const units = Number(a.units);
const procs = Math.max(1, Math.min(Number(a.procs), machines));
let deadline = Date.now() + Number(a.timeout) * 1000;
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => (deadline = 0));
const ETCD_IPS = ['127.0.0.171', '127.0.0.172', '127.0.0.173'];
const endpoints = ETCD_IPS.map((ip) => `http://${ip}:2379`);

const children: ChildProcess[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-'));
const logs = path.join(tmp, 'logs');
fs.mkdirSync(logs);
const logFile = (name: string): number => fs.openSync(path.join(logs, name), 'a');

function lines(child: ChildProcess, onLine: (l: string) => void): void {
  let buf = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function cpuSecondsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return NaN;
  }
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/health`, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, every = 200): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

async function main(): Promise<void> {
  // 1. a 3-member coracle etcd
  const ic = ETCD_IPS.map((ip, i) => `b${i + 1}=http://${ip}:2380`).join(',');
  const members = ETCD_IPS.map((ip, i) => {
    const c = spawn(process.execPath, [
      CORACLE, 'etcd', '--name', `b${i + 1}`, '--data-dir', path.join(tmp, `b${i + 1}`),
      '--listen-client-urls', `http://${ip}:2379`, '--advertise-client-urls', `http://${ip}:2379`,
      '--listen-peer-urls', `http://${ip}:2380`, '--initial-advertise-peer-urls', `http://${ip}:2380`,
      '--initial-cluster', ic, '--initial-cluster-state', 'new',
    ], { stdio: ['ignore', logFile(`etcd-b${i + 1}.log`), logFile(`etcd-b${i + 1}.log`)] });
    children.push(c);
    return c;
  });
  await waitUntil('etcd members healthy', async () => (await Promise.all(endpoints.map(healthy))).every(Boolean));
  process.stderr.write(`etcd: 3 members up\n`);

  // 2. agents in `procs` processes
  const agentProcs: ChildProcess[] = [];
  const agentFinal: Array<Record<string, number>> = [];
  let ready = 0;
  const per = Math.ceil(machines / procs);
  for (let p = 0; p < procs; p++) {
    const count = Math.min(per, machines - p * per);
    if (count <= 0) break;
    const c = spawn(process.execPath, [
      path.join(HERE, 'agents.js'), '--count', String(count), '--first', String(p * per + 1), '--etcd', endpoints.join(','),
      '--local', p % 2 === 0 ? '127.0.0.174' : '127.0.0.175', '--dir', path.join(tmp, `agents-${p}`), '--ttl', a.ttl,
    ], { stdio: ['ignore', 'pipe', logFile(`agents-${p}.log`)] });
    lines(c, (l) => {
      const o = JSON.parse(l) as Record<string, number>;
      if (o.ready !== undefined) ready += o.ready;
      if (o.cpuSeconds !== undefined) agentFinal.push(o);
    });
    c.on('exit', (code, sig) => {
      if (code !== 0) process.stderr.write(`agents process ${p} exited with ${code ?? sig}\n`);
    });
    children.push(c);
    agentProcs.push(c);
  }
  const client = new EtcdClient({ endpoints, localAddress: '127.0.0.177', headerTimeoutPerRequest: 10_000 });
  const reg = new Registry(client, { requestTimeoutMs: 30_000 });
  await waitUntil(`${machines} agents registered`, async () => ready === machines && (await reg.machines()).length === machines, 500);
  process.stderr.write(`agents: ${machines} machines registered in ${agentProcs.length} processes\n`);

  // 4. submit every unit at once, no engine running yet (instances of one template, as fleetctl start foo@{1..N} does)
  const file = parseFleetUnit('[Unit]\nDescription=bench %i\n\n[Service]\nExecStart=/bin/true\nRemainAfterExit=yes\n');
  await reg.createUnit('bench@.service', file);
  const cpu0 = { etcd: members.map((m) => cpuSecondsOf(m.pid!)), agents: agentProcs.map((c) => cpuSecondsOf(c.pid!)) };
  const t0 = Date.now();
  let next = 1;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next <= units) {
        const i = next++;
        await reg.createUnit(`bench@${i}.service`, file, 'launched');
      }
    }),
  );
  const tSubmitted = Date.now();
  process.stderr.write(`submitted ${units} units in ${((tSubmitted - t0) / 1000).toFixed(1)} s\n`);

  // 5. the engine starts only now, so its placement rate is measured on its own
  //    (with units arriving one by one it could only follow the submit rate)
  const prof = a['profile-engine'] !== undefined ? ['--cpu-prof', '--cpu-prof-dir', a['profile-engine']] : [];
  const engine = spawn(process.execPath, [...prof, path.join(HERE, 'engine.js'), '--etcd', endpoints.join(','), '--local', '127.0.0.176'], { stdio: ['ignore', 'pipe', logFile('engine.log')] });
  children.push(engine);
  let leader = false;
  let firstPlacement = 0;
  let lastPlacement = 0;
  let placed = 0;
  let engineFinal: Record<string, number> | undefined;
  let engineNow: Record<string, number | boolean> = {};
  lines(engine, (l) => {
    const o = JSON.parse(l) as Record<string, number | boolean>;
    if (o.final === true) {
      engineFinal = o as Record<string, number>;
      return;
    }
    leader = o.leader === true;
    engineNow = o;
    const s = Number(o.scheduled);
    if (s > placed) {
      if (placed === 0) firstPlacement = Number(o.t);
      lastPlacement = Number(o.t);
      placed = s;
    }
  });
  const tEngine = Date.now();
  await waitUntil('engine leadership', () => leader, 50);

  // 6. wait until every unit is launched and its state published
  let tDone = 0;
  let lastReport = 0;
  for (;;) {
    const jobs = await reg.jobs();
    const launched = jobs.filter((j) => j.target !== undefined && j.heartbeat === j.target).length;
    if (Date.now() - lastReport > 5000) {
      const live = (await reg.machines().catch(() => [])).length;
      const e = engineNow;
      process.stderr.write(
        `  ${((Date.now() - tEngine) / 1000).toFixed(0)} s after engine start: placed ${placed}, launched ${launched}/${units}, machines alive ${live}/${machines}` +
          ` (engine: window ${e.writeWindow}, cuts ${e.writeWindowCuts}, failed writes ${e.failedWrites}, retrying ${e.retrying}, resyncs ${e.resyncs}, leader changes ${e.leaderChanges})\n`,
      );
      lastReport = Date.now();
    }
    if (launched >= units) {
      const states = await reg.unitStates();
      const active = new Set(states.filter((s) => s.activeState === 'active').map((s) => s.name));
      if (jobs.every((j) => j.name === 'bench@.service' || active.has(j.name))) {
        tDone = Date.now();
        break;
      }
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${launched}/${units} launched`);
    await sleep(2000); // a read of every job is itself load on etcd
  }
  const cpu1 = { etcd: members.map((m) => cpuSecondsOf(m.pid!)), engine: cpuSecondsOf(engine.pid!), agents: agentProcs.map((c) => cpuSecondsOf(c.pid!)) };

  // 6. stop engine and agents, collect their own counts
  engine.kill('SIGTERM');
  for (const c of agentProcs) c.kill('SIGTERM');
  await waitUntil('engine and agents to report', () => engineFinal !== undefined && agentFinal.length === agentProcs.length, 200).catch(() => undefined);
  client.close();

  const wall = (tDone - t0) / 1000;
  const burst = (tDone - tEngine) / 1000;
  const placeSpan = Math.max(0.25, (lastPlacement - firstPlacement) / 1000);
  const etcdCpu = cpu1.etcd.map((v, i) => v - cpu0.etcd[i]!);
  const agentsCpu = cpu1.agents.reduce((s, v, i) => s + (v - cpu0.agents[i]!), 0);
  const summary = {
    machines, units, agentProcesses: agentProcs.length,
    submitSeconds: (tSubmitted - t0) / 1000,
    submitToAllLaunchedSeconds: wall,
    placementsPerSecond: Math.round(units / placeSpan),
    engineStartToAllLaunchedSeconds: burst,
    engineCpuSeconds: +cpu1.engine.toFixed(2),
    agentsCpuSeconds: +agentsCpu.toFixed(2),
    etcdCpuSeconds: etcdCpu.map((v) => +v.toFixed(2)),
    engineMetrics: engineFinal,
    agentReports: agentFinal.length,
    agentEvents: agentFinal.reduce((s, o) => s + (o.events ?? 0), 0),
    loadavg: os.loadavg().map((v) => +v.toFixed(2)),
  };
  process.stdout.write(
    `\n| machines | units | submit | engine start → all launched | first submit → all launched | placements/s | engine CPU | agents CPU | etcd CPU (3 members) |\n` +
      `|---|---|---|---|---|---|---|---|---|\n` +
      `| ${machines} | ${units} | ${summary.submitSeconds.toFixed(1)} s | ${burst.toFixed(1)} s | ${wall.toFixed(1)} s | ${summary.placementsPerSecond} | ${summary.engineCpuSeconds} s | ${summary.agentsCpuSeconds} s | ${summary.etcdCpuSeconds.join(' / ')} s |\n\n`,
  );
  process.stdout.write(JSON.stringify(summary) + '\n');
}

try {
  await main();
} catch (e) {
  process.stderr.write(`bench:fleet failed: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  }
  await sleep(1000);
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  if (a['keep-logs'] !== undefined) {
    fs.mkdirSync(a['keep-logs'], { recursive: true });
    for (const f of fs.readdirSync(logs)) fs.copyFileSync(path.join(logs, f), path.join(a['keep-logs'], f));
    process.stderr.write(`logs kept in ${a['keep-logs']}\n`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
