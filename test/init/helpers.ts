// Helpers for the init's process tests: a fresh machine root per test, unit
// files, bounded waiting, and a /proc scan independent of the init's records.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InitNode, type InitOptions } from '../../src/init/node/runtime.js';
import type { UnitStatus } from '../../src/init/manager.js';

const roots: string[] = [];
// Machine roots go when the test file's process ends.
process.on('exit', () => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

export function tempRoot(): string {
  const r = fs.mkdtempSync(path.join(os.tmpdir(), 'cinit-'));
  roots.push(r);
  return r;
}

export function writeUnit(root: string, name: string, text: string, dir = 'etc/systemd/system'): string {
  const p = path.join(root, dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

/** Polls `check` every 20 ms until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function waitState(node: InitNode, unit: string, state: string, ms = 10_000): Promise<UnitStatus> {
  return waitFor(`${unit} to be ${state}`, () => {
    const s = node.status(unit);
    return `${s.activeState}/${s.subState}` === state ? s : undefined;
  }, ms);
}

/** Pids whose command line starts with `needle` (read from /proc, not from the init). */
export function pidsWith(needle: string): number[] {
  const out: number[] = [];
  for (const n of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      // argv[0] by its base name, so "/bin/sleep 5" and "sleep 5" both match "sleep 5".
      const cmd = fs.readFileSync(`/proc/${n}/cmdline`, 'utf8').replace(/\0/g, ' ').replace(/^\S*\//, '');
      const stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmd.startsWith(needle) && state !== 'Z') out.push(Number(n));
    } catch {
      // gone
    }
  }
  return out;
}

/** A unique number for a `sleep` argument, so the test can find its processes. */
let counter = 0;
export function marker(): string {
  counter++;
  return `${900 + (process.pid % 90)}.${String(counter).padStart(3, '0')}${Date.now() % 1000}`;
}

/** Runs `fn` with an init on a fresh root, and always shuts it down. */
export async function withNode(fn: (node: InitNode, root: string) => Promise<void>, opts: InitOptions = {}, root = tempRoot()): Promise<void> {
  const node = new InitNode(root, { pollMs: 20, ...opts });
  try {
    await fn(node, root);
  } finally {
    await node.shutdown();
  }
}

export const NODE = process.execPath;

const BIN = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../bin/coracle.js');

/** Runs the `coracle` command line, bounded in time. */
export function coracleCli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Runs `coracle node --root ROOT [extra…]` as a process around `fn`; SIGTERM after, and it must exit 0. */
export async function withNodeProcess(root: string, fn: () => Promise<void>, extra: string[] = []): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'node', '--root', root, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor('the control socket', () => fs.existsSync(path.join(root, 'run/coracle/init.sock')));
    await fn();
  } finally {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(killer);
    if (code !== 0) throw new Error(`coracle node exited ${code} on SIGTERM; its log:\n${log}`);
  }
  return log;
}
