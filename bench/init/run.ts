// Start then stop N trivial units in one init (issue 4's speed item), and the
// floor under it: the same processes spawned by plain Node with no init.
//
//   npm run bench:init -- [--units N] [--kinds oneshot,simple] [--rounds R] [--environ]
//
// Each figure is the median of R rounds (default 3), with the range beside it:
// on a shared 2-core machine one round says little.
//
// Each kind runs in a child process of its own so its peak RSS is its own:
// one InitNode on a fresh temp root, a target that Wants= N services, start
// the target (its job ends when every service is up), then shutdown() (stops
// everything, waits until no process is left). `--environ` tracks processes
// by the environment marker instead of a cgroup.
//
// systemd itself is not compared: it runs only as PID 1 (or a user manager
// under a running system bus), and here PID 1 is the sandbox's own process;
// the plain-spawn floor stands in for "what the processes cost anyway".
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InitNode } from '../../src/init/node/runtime.js';

type Kind = 'oneshot' | 'simple';

interface Figures {
  kind: string;
  units: number;
  startMs: number;
  /** null: nothing to stop (the processes exited by themselves). */
  stopMs: number | null;
  peakRssMb: number;
  tracking?: string;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
}

const SLEEP = '/bin/sleep';
const TRUE = '/bin/true';

/** One kind through the init, in this process. */
async function runInit(kind: Kind, n: number, environ: boolean): Promise<Figures> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cbench-init-'));
  try {
    const dir = path.join(root, 'etc/systemd/system');
    fs.mkdirSync(dir, { recursive: true });
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `b${i}.service`;
      names.push(name);
      const body = kind === 'oneshot'
        ? `[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=${TRUE}\n`
        : `[Service]\nExecStart=${SLEEP} 600\n`;
      fs.writeFileSync(path.join(dir, name), body);
    }
    // Wants= in lines of 100 names, as a long list would be written by hand.
    const wants = [];
    for (let i = 0; i < names.length; i += 100) wants.push(`Wants=${names.slice(i, i + 100).join(' ')}`);
    fs.writeFileSync(path.join(dir, 'bench.target'), `[Unit]\nDescription=Bench\n${wants.join('\n')}\n`);
    const node = new InitNode(root, { environTracking: environ });
    const t0 = process.hrtime.bigint();
    const r = await node.request('start', 'bench.target');
    if (!r.ok || r.result !== 'done') throw new Error(`bench.target: ${JSON.stringify(r)}`);
    // The target's job ends when its wants have started; wait for every service to be active.
    for (;;) {
      const up = names.filter((u) => node.status(u).activeState === 'active').length;
      if (up === n) break;
      await new Promise((res) => setTimeout(res, 5));
    }
    const t1 = process.hrtime.bigint();
    await node.shutdown();
    const t2 = process.hrtime.bigint();
    return {
      kind: `init ${kind}`, units: n, startMs: Number(t1 - t0) / 1e6, stopMs: Number(t2 - t1) / 1e6,
      peakRssMb: process.resourceUsage().maxRSS / 1024, tracking: node.tracker.mode,
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** The floor: N processes spawned by Node (all at once), then stopped (sleep) or awaited (true). */
async function runFloor(kind: Kind, n: number): Promise<Figures> {
  const t0 = process.hrtime.bigint();
  const exits: Promise<void>[] = [];
  const children = [];
  for (let i = 0; i < n; i++) {
    const c = spawn(kind === 'oneshot' ? TRUE : SLEEP, kind === 'oneshot' ? [] : ['600'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.push(c);
    exits.push(new Promise((res) => c.on('exit', () => res())));
  }
  if (kind === 'oneshot') await Promise.all(exits);
  else await Promise.all(children.map((c) => new Promise((res) => (c.pid ? res(undefined) : c.on('spawn', () => res(undefined))))));
  const t1 = process.hrtime.bigint();
  if (kind === 'simple') {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(exits);
  }
  const t2 = process.hrtime.bigint();
  return { kind: `plain spawn ${kind}`, units: n, startMs: Number(t1 - t0) / 1e6, stopMs: kind === 'simple' ? Number(t2 - t1) / 1e6 : null, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

function systemdNote(): string {
  let pid1 = '?';
  try {
    pid1 = fs.readFileSync('/proc/1/comm', 'utf8').trim();
  } catch {
    // no /proc
  }
  const has = spawnSync('sh', ['-c', 'command -v systemd-run'], { encoding: 'utf8' }).stdout.trim();
  if (pid1 === 'systemd') return 'PID 1 is systemd: compare with `systemd-run` by hand (not automated here).';
  return `systemd not compared: PID 1 here is "${pid1}", not systemd${has ? ` (${has} exists but needs a running systemd)` : ''}; the plain-spawn rows are the floor instead.`;
}

const perSec = (n: number, ms: number): string => Math.round((n / ms) * 1000).toLocaleString('en-US');

async function main(): Promise<void> {
  const child = arg('--child', '');
  const n = Number(arg('--units', '1000'));
  if (child) {
    const [what, kind] = child.split(':') as ['init' | 'floor', Kind];
    const f = what === 'init' ? await runInit(kind, n, process.argv.includes('--environ')) : await runFloor(kind, n);
    process.stdout.write(`${JSON.stringify(f)}\n`);
    return;
  }
  const kinds = arg('--kinds', 'oneshot,simple').split(',') as Kind[];
  const self = fileURLToPath(import.meta.url);
  const rounds = Number(arg('--rounds', '3'));
  const rows: Figures[][] = [];
  for (const kind of kinds) {
    for (const what of ['init', 'floor'] as const) {
      const runs: Figures[] = [];
      for (let i = 0; i < rounds; i++) {
        process.stderr.write(`bench:init: ${what} ${kind} × ${n}, round ${i + 1}/${rounds}…\n`);
        const extra = process.argv.includes('--environ') ? ['--environ'] : [];
        const r = spawnSync(process.execPath, [self, '--child', `${what}:${kind}`, '--units', String(n), ...extra], { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 24 });
        if (r.status !== 0) throw new Error(`${what} ${kind} failed (${r.status ?? r.signal}): ${r.stderr}`);
        runs.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as Figures);
      }
      rows.push(runs);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rate = (units: number, ms: number[]): string => {
    const lo = Math.min(...ms);
    const hi = Math.max(...ms);
    const m = median(ms);
    return `${perSec(units, m)}/s (${m.toFixed(0)} ms${ms.length > 1 ? `; ${lo.toFixed(0)}–${hi.toFixed(0)}` : ''})`;
  };
  const out = ['| run | units | start | stop | peak RSS |', '|---|---|---|---|---|'];
  for (const runs of rows) {
    const f = runs[0]!;
    const stops = runs.map((r) => r.stopMs).filter((x): x is number => x !== null);
    out.push(`| ${f.kind}${f.tracking ? ` (${f.tracking})` : ''} | ${f.units.toLocaleString('en-US')} | ${rate(f.units, runs.map((r) => r.startMs))} | ${stops.length === 0 ? '— (exit by themselves)' : rate(f.units, stops)} | ${median(runs.map((r) => r.peakRssMb)).toFixed(0)} MB |`);
  }
  process.stdout.write(`${out.join('\n')}\n\n${systemdNote()}\nNode ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:init: ${(e as Error).message}\n`);
  process.exit(1);
});
