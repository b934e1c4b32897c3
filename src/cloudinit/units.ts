// Carrying out unit actions (enable, daemon-reload, start/stop/…) the way
// coreos-cloudinit asked systemd over D-Bus, here through the running init's
// control socket (<root>/run/coracle/init.sock, src/init/README.md). With no
// init answering, enables are made as links on disk (the same plan the init
// would make) and everything else is reported as not run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InitClient, InitUnavailable, unitPath } from '../init/client.js';
import { planEnable } from '../init/install.js';
import { readUnitView } from '../init/node/view.js';
import type { SpecifierContext } from '../units/index.js';
import { goQuote } from './gofmt.js';
import type { UnitAction } from './render.js';

export interface ActionOutcome {
  action: string;
  unit?: string;
  /** The job result ("done", "failed", …) or what was done ("enabled"). */
  result: string;
}

export interface ActionsReport {
  done: ActionOutcome[];
  /** Actions that could not be run because no init answered, as text
   *  ("start etcd2.service"). */
  notRun: string[];
  /** The failure that stopped the run, as the original worded it. */
  error?: string;
}

type Log = (line: string) => void;

interface ApiError {
  error?: string;
  message?: string;
}

/** Whether an init answers on the socket. */
export async function initAnswers(socketPath: string): Promise<boolean> {
  try {
    const r = await new InitClient(socketPath).request<{ health?: string }>('GET', '/health');
    return r.status === 200;
  } catch {
    return false;
  }
}

function describe(a: UnitAction): string {
  if (a.action === 'daemon-reload') return 'daemon-reload';
  if (a.action === 'enable') return `enable${a.runtime ? ' --runtime' : ''} ${a.unit}`;
  return `${a.command} ${a.unit}`;
}

function errorText(body: unknown, fallback: string): string {
  const b = body as ApiError;
  return typeof b?.message === 'string' ? b.message : fallback;
}

class ActionFailed extends Error {}

async function notLoaded(client: InitClient, unit: string): Promise<boolean> {
  const st = await client.request<{ loadState?: string }>('GET', unitPath(unit));
  return st.status === 200 && st.body.loadState === 'not-found';
}

/** Runs one unit command as systemd's job API does, including the two verbs
 *  the control API has no route for (reload-or-restart, reload-or-try-restart). */
async function runCommand(client: InitClient, command: string, unit: string): Promise<string> {
  const post = async (verb: string): Promise<{ status: number; body: { result?: string } & ApiError }> =>
    client.request<{ result?: string } & ApiError>('POST', unitPath(unit, verb));
  const ok = (r: { status: number; body: { result?: string } & ApiError }): string => {
    if (r.status !== 200) throw new ActionFailed(errorText(r.body, `${command} ${unit}: HTTP ${r.status}`));
    return r.body.result ?? 'done';
  };
  if (command === 'reload-or-restart' || command === 'reload-or-try-restart') {
    const st = await client.request<{ activeState?: string }>('GET', unitPath(unit));
    const active = st.status === 200 && ['active', 'reloading', 'activating'].includes(st.body.activeState ?? '');
    const fallback = command === 'reload-or-restart' ? 'restart' : 'try-restart';
    if (!active) return ok(await post(fallback));
    const r = await post('reload');
    // A unit without ExecReload= is restarted instead, as systemd does.
    if (r.status === 409 && r.body.error === 'not-applicable') return ok(await post(fallback));
    return ok(r);
  }
  return ok(await post(command));
}

/** Runs the rendered actions in order through the init. Never throws. */
export async function runUnitActions(socketPath: string, actions: readonly UnitAction[], log: Log = () => {}): Promise<ActionsReport> {
  const client = new InitClient(socketPath);
  const report: ActionsReport = { done: [], notRun: [] };
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    try {
      if (a.action === 'enable') {
        log(`Enabling unit file ${goQuote(a.unit)}`);
        const r = await client.request<ApiError>('POST', `${unitPath(a.unit, 'enable')}${a.runtime ? '?runtime=1' : ''}`);
        if (r.status !== 200) throw new ActionFailed(errorText(r.body, `enable ${a.unit}: HTTP ${r.status}`));
        log(`Enabled unit ${goQuote(a.unit)}`);
        report.done.push({ action: 'enable', unit: a.unit, result: 'enabled' });
      } else if (a.action === 'daemon-reload') {
        const r = await client.request<ApiError>('POST', '/v1/daemon-reload');
        if (r.status !== 200) throw new ActionFailed(`failed systemd daemon-reload: ${errorText(r.body, `HTTP ${r.status}`)}`);
        report.done.push({ action: 'daemon-reload', result: 'done' });
      } else if (a.unit === 'systemd-networkd.service' && (await notLoaded(client, a.unit))) {
        // Deliberate difference: a coracle machine has no networkd; network
        // units are written for whoever reads them, and commands on it skipped.
        if (a.networkd) log('Restarting systemd-networkd');
        else log(`Calling unit command ${goQuote(a.command)} on ${goQuote(a.unit)}`);
        log('systemd-networkd.service is not on this machine; network units written only');
        report.done.push({ action: a.command, unit: a.unit, result: 'skipped' });
      } else if (a.networkd) {
        log('Restarting systemd-networkd');
        const res = await runCommand(client, 'restart', a.unit);
        log(`Restarted systemd-networkd (${res})`);
        report.done.push({ action: 'restart', unit: a.unit, result: res });
      } else {
        log(`Calling unit command ${goQuote(a.command)} on ${goQuote(a.unit)}`);
        const res = await runCommand(client, a.command, a.unit);
        log(`Result of ${goQuote(a.command)} on ${goQuote(a.unit)}: ${res}`);
        report.done.push({ action: a.command, unit: a.unit, result: res });
      }
    } catch (e) {
      if (e instanceof InitUnavailable) {
        report.error = e.message;
        report.notRun.push(...actions.slice(i).map(describe));
      } else {
        report.error = e instanceof Error ? e.message : String(e);
      }
      return report;
    }
  }
  return report;
}

/** A specifier context for planning [Install] links on a root no init runs on. */
function offlineContext(root: string): SpecifierContext {
  const read = (p: string): string => {
    try {
      return fs.readFileSync(path.join(root, p), 'utf8').split('\n')[0]!.trim();
    } catch {
      return '';
    }
  };
  return {
    machineId: read('etc/machine-id') || '0'.repeat(32), bootId: '0'.repeat(32), hostname: read('etc/hostname') || 'localhost',
    userName: 'root', uid: 0, groupName: 'root', gid: 0, home: '/root', shell: '/bin/sh', runtimeDir: '/run',
    kernelRelease: os.release(),
  };
}

/** `systemctl --root` enable: the unit's [Install] links made on disk. */
export function enableOffline(root: string, unit: string, runtime: boolean): { ok: true; links: string[] } | { ok: false; error: string } {
  const plan = planEnable(readUnitView(root), offlineContext(root), unit, runtime);
  if (!plan.ok) return { ok: false, error: plan.error };
  const links: string[] = [];
  for (const c of plan.changes) {
    if (c.type === 'unlink') {
      fs.rmSync(c.path, { force: true });
      continue;
    }
    fs.mkdirSync(path.dirname(c.path), { recursive: true });
    fs.rmSync(c.path, { force: true });
    fs.symlinkSync(c.target, c.path);
    links.push(c.path);
  }
  return { ok: true, links };
}

/** With no init: enables as links, commands listed as not run. */
export function runUnitActionsOffline(root: string, actions: readonly UnitAction[], log: Log = () => {}): ActionsReport {
  const report: ActionsReport = { done: [], notRun: [] };
  for (const a of actions) {
    // Nothing to reload: the init reads the files when it starts.
    if (a.action === 'daemon-reload') continue;
    if (a.action !== 'enable') {
      report.notRun.push(describe(a));
      continue;
    }
    log(`Enabling unit file ${goQuote(a.unit)}`);
    const r = enableOffline(root, a.unit, a.runtime);
    if (!r.ok) {
      report.error = r.error;
      return report;
    }
    log(`Enabled unit ${goQuote(a.unit)}`);
    report.done.push({ action: 'enable', unit: a.unit, result: 'enabled' });
  }
  return report;
}
