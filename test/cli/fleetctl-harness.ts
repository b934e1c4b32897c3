// Runs fleetctl (ours, or the real v1.0.0 binary named by $FLEETCTL_REAL when
// set) as a user would — a child process with its own environment and
// working directory — against the test fleet API, and records stdout,
// stderr and the exit code. Steps can react to what the command did in the
// registry (a unit's target state changing), as fleet's engine and agent do.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetApi } from '../fleet/api-harness.js';
import { runUnitOn } from '../fleet/api-harness.js';

export const OURS = fileURLToPath(new URL('../../../bin/fleetctl.js', import.meta.url));

export interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** The real fleetctl binary instead of ours. */
  real?: string;
  timeoutMs?: number;
}

export function fleetctl(args: readonly string[], o: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const argv = o.real !== undefined ? [o.real, ...args] : [process.execPath, OURS, ...args];
    const child = spawn(argv[0]!, argv.slice(1), { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', TZ: 'UTC', ...o.env }, cwd: o.cwd ?? '/' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 30000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

/** Log lines carry the wall clock: `2016/12/22 15:22:35 WARN …` → `<time> WARN …`. */
export function withoutTimes(s: string): string {
  return s.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /gm, '<time> ');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Plays the engine and the unit's agent for one unit while a command runs:
 * once its target state becomes `state`, the unit is placed on `machineID`
 * and reports what systemd would (loaded/active for launched,
 * loaded/inactive for loaded), or is taken off the machine for inactive.
 * Resolves when done, or after `ms` without the change.
 */
export async function actWhen(api: FleetApi, name: string, state: 'launched' | 'loaded' | 'inactive', machineID: string, opts: { active?: string; ms?: number } = {}): Promise<boolean> {
  const deadline = Date.now() + (opts.ms ?? 15000);
  while (Date.now() < deadline) {
    const u = await api.reg.unit(name);
    if (u?.targetState === state) {
      if (state === 'inactive') {
        if (u.target !== undefined) await api.reg.unscheduleUnit(name, u.target);
        await api.reg.removeUnitState(name);
        await api.reg.clearUnitHeartbeat(name);
      } else if (state === 'loaded') {
        if (u.target === undefined) await api.reg.scheduleUnit(name, machineID);
        const target = (await api.reg.unit(name))?.target ?? machineID;
        await api.reg.saveUnitState({ name, machineID: target, loadState: 'loaded', activeState: 'inactive', subState: 'dead', hash: u.hash }, 300);
        await api.reg.clearUnitHeartbeat(name);
      } else {
        await runUnitOn(api, name, machineID, { active: opts.active ?? 'active', sub: opts.active === undefined || opts.active === 'active' ? 'running' : 'dead' });
      }
      return true;
    }
    await sleep(50);
  }
  return false;
}
