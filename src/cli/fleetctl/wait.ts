// fleetctl's waiting: each attempt polls every 250 ms for at most 2 s
// (waitForState); --block-attempts=N gives up after N attempts, 0 waits
// forever, --no-block does not wait. The systemd check after `start` fails on
// its first 2 s window, as fleetctl v1.0.0's does.

import type { Ctx } from './context.js';
import { machineFullLegend } from './format.js';
import { unitIsGlobal } from './format.js';

export const JobState = { Inactive: 'inactive', Loaded: 'loaded', Launched: 'launched' } as const;

const POLL_MS = 250;
const ATTEMPT_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** waitForState: null on success, else the timeout message. Checks run on 250 ms ticks until 2 s have passed. */
export async function waitForState(check: () => Promise<boolean>): Promise<string | null> {
  const start = Date.now();
  for (let tick = 1; ; tick++) {
    const due = start + tick * POLL_MS;
    const now = Date.now();
    if (due > now) await sleep(due - now);
    if (Date.now() - start >= ATTEMPT_MS) return 'Failed to fetch states within 2s';
    try {
      if (await check()) return null;
    } catch {
      // fleetctl logs it at debug level and tries again on the next tick
    }
  }
}

/** assertUnitState: one 2 s attempt to see the unit in `js`; prints `Unit X <state>[ on <machine>]` when it is. */
async function assertUnitState(ctx: Ctx, name: string, js: string): Promise<boolean> {
  const r = await waitForState(async () => {
    const u = await ctx.client.unit(name);
    if (u === null) return false;
    // A global unit never gets a current state: its desired state is what counts.
    const state = unitIsGlobal(u) ? u.desiredState : u.currentState;
    if ((state ?? '') !== js) return false;
    let msg = `Unit ${name} ${u.currentState ?? ''}`;
    if (u.machineID !== undefined && u.machineID !== '') {
      const ms = await ctx.cachedMachine(u.machineID);
      if (ms !== undefined) msg = `${msg} on ${machineFullLegend(ms, false)}`;
    }
    ctx.io.out(msg + '\n');
    return true;
  });
  return r === null;
}

/** checkUnitState: null when the unit reached `js`, else fleetctl's timeout message. */
export async function checkUnitState(ctx: Ctx, name: string, js: string, maxAttempts: number): Promise<string | null> {
  if (maxAttempts < 1) {
    for (;;) if (await assertUnitState(ctx, name, js)) return null;
  }
  for (let attempt = 0; attempt < maxAttempts; attempt++) if (await assertUnitState(ctx, name, js)) return null;
  return `timed out waiting for unit ${name} to report state ${js}`;
}

/** getBlockAttempts: -1 with --no-block, else --block-attempts (0 = forever). */
export function blockAttempts(ctx: Ctx): number {
  if (ctx.bool('no-block')) return -1;
  const n = ctx.int('block-attempts');
  return n > 0 ? n : 0;
}

/** Resolves with the first message any of the checks reports (or null when all succeed), like fleetctl's error channel. */
function firstError(checks: Promise<string | null>[]): Promise<string | null> {
  return new Promise((resolve) => {
    let left = checks.length;
    if (left === 0) resolve(null);
    for (const c of checks) {
      void c.then((msg) => {
        if (msg !== null) resolve(msg);
        else if (--left === 0) resolve(null);
      });
    }
  });
}

/** tryWaitForUnitStates: null on success, else the error (already reported as `Error waiting for units: …`). */
export async function tryWaitForUnitStates(ctx: Ctx, units: readonly string[], verb: string, js: string, maxAttempts: number): Promise<string | null> {
  if (maxAttempts <= -1) {
    for (const name of units) ctx.out(`Triggered unit ${name} ${verb}`);
    return null;
  }
  const err = await firstError(units.map((n) => checkUnitState(ctx, n, js, maxAttempts)));
  if (err !== null) ctx.err(`Error waiting for units: ${err}`);
  return err;
}

/** assertSystemdActiveState: one 2 s window for the unit's systemd state to be loaded/active. */
async function assertSystemdActiveState(ctx: Ctx, name: string): Promise<string | null> {
  const r = await waitForState(async () => {
    const us = await ctx.client.unitState(name);
    return us !== null && us.systemdActiveState === 'active' && us.systemdLoadState === 'loaded';
  });
  return r === null ? null : `Failed to find an active unit ${name} within 2s, err: ${r}`;
}

/** tryWaitForSystemdActiveState: after `start`, every unit must be active within its first 2 s window. */
export async function tryWaitForSystemdActiveState(ctx: Ctx, units: readonly string[], maxAttempts: number): Promise<string | null> {
  if (maxAttempts <= -1) {
    for (const name of units) ctx.out(`Triggered unit ${name} start`);
    return null;
  }
  const err = await firstError(units.map((n) => assertSystemdActiveState(ctx, n)));
  if (err !== null) ctx.err(`Error waiting for units: ${err}`);
  return err;
}
