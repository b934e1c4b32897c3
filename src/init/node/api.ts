// The control API: HTTP with JSON on the unix socket <root>/run/coracle/init.sock
// (coracle's D-Bus). Routes are listed in src/init/README.md.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseSignal, parseUnitName } from '../../units/index.js';
import { answers } from '../client.js';
import { planDisable, planEnable, planLink, planMask, planUnmask, unitFileState, type InstallChange, type InstallPlan } from '../install.js';
import type { UnitStatus } from '../manager.js';
import type { JobType } from '../states.js';
import type { JournalEntry } from './journal.js';
import type { InitNode } from './runtime.js';

export interface UnitDetail extends UnitStatus {
  unitFileState: string;
  /** Live processes of the unit: pid and command line. */
  tasks: { pid: number; cmdline: string }[];
  cgroup: string | null;
  /** Memory and CPU of the unit's processes (null when none run); `source` says whether the cgroup or /proc counted them. */
  usage: { memoryBytes: number; cpuUsec: number; source: 'cgroup' | 'proc' } | null;
  /** The service settings `systemctl show` prints, for services. */
  service: {
    type: string; restart: string; restartUsec: number; timeoutStartUsec: number; timeoutStopUsec: number;
    remainAfterExit: boolean; killMode: string; killSignal: number; notifyAccess: string; pidFile: string | null;
    user: string | null; group: string | null; workingDirectory: string | null; watchdogUsec: number;
  } | null;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function fail(res: http.ServerResponse, status: number, error: string, message: string): void {
  send(res, status, { error, message });
}

const ERROR_STATUS: Record<string, number> = {
  'not-found': 404, masked: 409, 'bad-setting': 409, 'load-error': 409, 'not-applicable': 409, unsupported: 501, refused: 403, destructive: 409,
};

async function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return {};
  const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export function unitDetail(node: InitNode, name: string): UnitDetail {
  const s = node.status(name);
  const tasks = node.tracker.pids(s.id).sort((a, b) => a - b).map((pid) => ({ pid, cmdline: cmdline(pid) }));
  const cg = node.tracker.cgroupOf(s.id);
  const svc = node.manager.definition(s.id).loaded.settings?.service ?? null;
  const service = svc
    ? {
        type: svc.type, restart: svc.restart, restartUsec: svc.restartUsec, timeoutStartUsec: svc.timeoutStartUsec, timeoutStopUsec: svc.timeoutStopUsec,
        remainAfterExit: svc.remainAfterExit, killMode: svc.killMode, killSignal: svc.killSignal,
        notifyAccess: svc.type === 'notify' && svc.notifyAccess === 'none' ? 'main' : svc.notifyAccess, pidFile: svc.pidFile,
        user: svc.user, group: svc.group, workingDirectory: svc.workingDirectory, watchdogUsec: svc.watchdogUsec,
      }
    : null;
  return { ...s, unitFileState: unitFileState(node.diskView(), node.ctx, s.id), tasks, cgroup: cg ? cg.replace(/^\/sys\/fs\/cgroup\/[^/]+/, '') : null, usage: tasks.length > 0 ? node.tracker.usage(s.id) : null, service };
}

function applyChanges(changes: InstallChange[]): void {
  for (const c of changes) {
    if (c.type === 'unlink') fs.rmSync(c.path, { force: true });
    else {
      fs.mkdirSync(path.dirname(c.path), { recursive: true });
      fs.rmSync(c.path, { force: true });
      fs.symlinkSync(c.target, c.path);
    }
  }
}

function streamNdjson(req: http.IncomingMessage, res: http.ServerResponse, subscribe: (write: (v: unknown) => void) => () => void): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const unsubscribe = subscribe((v) => res.write(`${JSON.stringify(v)}\n`));
  const end = (): void => unsubscribe();
  req.on('close', end);
  res.on('close', end);
}

/** One word of an Exec line, quoted so systemd reads it back verbatim (no specifiers, no $ expansion). */
function quoteWord(w: string): string {
  return `"${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

const TRANSIENT_TYPES = new Set(['simple', 'exec', 'oneshot', 'forking', 'notify']);

/** The unit file text of a transient service request, or what is wrong with it. */
export function transientUnit(body: Record<string, unknown>): { name: string | null; text: string } | { error: string } {
  const cmd = body.command;
  if (!Array.isArray(cmd) || cmd.length === 0 || !cmd.every((w): w is string => typeof w === 'string')) return { error: '"command" must be a non-empty array of strings' };
  if (!cmd[0]!.startsWith('/')) return { error: '"command"[0] must be an absolute path' };
  let name: string | null = null;
  if (body.name !== undefined) {
    if (typeof body.name !== 'string') return { error: '"name" must be a string' };
    name = body.name.includes('.') ? body.name : `${body.name}.service`;
    const n = parseUnitName(name);
    if (!n || n.type !== 'service' || n.kind === 'template') return { error: `Invalid unit name: ${body.name}` };
  }
  const type = body.type ?? 'simple';
  if (typeof type !== 'string' || !TRANSIENT_TYPES.has(type)) return { error: `Unsupported Type= for a transient unit: ${String(type)}` };
  const lines = ['[Unit]'];
  const desc = typeof body.description === 'string' ? body.description : cmd.join(' ');
  lines.push(`Description=${desc.replace(/\n/g, ' ').replace(/%/g, '%%')}`, '', '[Service]', `Type=${type}`);
  if (body.remainAfterExit === true) lines.push('RemainAfterExit=yes');
  if (body.environment !== undefined) {
    if (!body.environment || typeof body.environment !== 'object' || Array.isArray(body.environment)) return { error: '"environment" must be an object' };
    for (const [k, v] of Object.entries(body.environment as Record<string, unknown>)) {
      if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) return { error: `bad environment entry ${k}` };
      lines.push(`Environment=${quoteWord(`${k}=${v}`).replace(/\$\$/g, '$')}`);
    }
  }
  for (const key of ['workingDirectory', 'user', 'group'] as const) {
    const v = body[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.includes('\n')) return { error: `"${key}" must be a one-line string` };
    lines.push(`${key === 'workingDirectory' ? 'WorkingDirectory' : key === 'user' ? 'User' : 'Group'}=${v.replace(/%/g, '%%')}`);
  }
  lines.push(`ExecStart=${cmd.map(quoteWord).join(' ')}`, '');
  return { name, text: lines.join('\n') };
}

const JOB_ACTIONS: Record<string, JobType> = { start: 'start', stop: 'stop', restart: 'restart', reload: 'reload' };

export class ControlServer {
  private server: http.Server;
  private streams = new Set<http.ServerResponse>();

  constructor(private node: InitNode) {
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) fail(res, 500, 'internal', (err as Error).message);
        else res.end();
      });
    });
  }

  async listen(socketPath = this.node.machine.socketPath): Promise<void> {
    fs.mkdirSync(path.dirname(socketPath), { recursive: true });
    // A socket someone answers on belongs to a running init: refuse rather than steal it.
    if (await answers(socketPath)) throw new Error(`another init is running on this root (${socketPath} answers)`);
    fs.rmSync(socketPath, { force: true });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(socketPath, () => resolve());
    });
  }

  address(): string | AddressInfo | null {
    return this.server.address();
  }

  close(): Promise<void> {
    for (const s of this.streams) s.end();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://init');
    const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const node = this.node;

    if (parts[0] === 'health') return send(res, 200, { health: 'true' });
    if (parts[0] !== 'v1') return fail(res, 404, 'no-route', `no route ${method} ${url.pathname}`);
    const [, what, name, action] = parts;

    if (what === 'units' && method === 'GET' && name === undefined) {
      // ?name=a&name=b: just those units, loading them if needed (fleet asks by name).
      const names = url.searchParams.getAll('name');
      if (names.some((n) => !parseUnitName(n))) return fail(res, 400, 'invalid-name', 'Unit name is not valid.');
      return send(res, 200, { units: names.length > 0 ? names.map((n) => node.status(n)) : node.manager.list() });
    }
    if (what === 'unit-files' && method === 'GET') {
      return send(res, 200, { unitFiles: this.unitFiles() });
    }
    if (what === 'daemon-reload' && method === 'POST') {
      node.reload();
      return send(res, 200, {});
    }
    if (what === 'link' && method === 'POST') {
      const body = await readBody(req);
      if (typeof body.path !== 'string') return fail(res, 400, 'bad-request', 'body needs "path"');
      return this.install(res, planLink(node.diskView(), body.path, body.runtime === true));
    }
    if (what === 'journal' && method === 'GET') return this.journal(url, req, res);
    if (what === 'transient' && method === 'POST') return this.transient(await readBody(req), res);
    if (what === 'events' && method === 'GET') {
      this.streams.add(res);
      return streamNdjson(req, res, (write) => {
        const on = (s: UnitStatus): void => write({ unit: s.id, activeState: s.activeState, subState: s.subState, result: s.result, time: Date.now() * 1000 });
        node.on('changed', on);
        return () => {
          node.off('changed', on);
          this.streams.delete(res);
        };
      });
    }
    if (what !== 'units' || name === undefined) return fail(res, 404, 'no-route', `no route ${method} ${url.pathname}`);
    if (!parseUnitName(name)) return fail(res, 400, 'invalid-name', `Unit name ${name} is not valid.`);

    if (method === 'GET' && action === undefined) return send(res, 200, unitDetail(node, name));
    if (method === 'GET' && action === 'files') return send(res, 200, this.files(name));
    if (method !== 'POST' || action === undefined) return fail(res, 404, 'no-route', `no route ${method} ${url.pathname}`);

    const job = JOB_ACTIONS[action];
    if (job) {
      const r = await node.request(job, name);
      if (!r.ok) return fail(res, ERROR_STATUS[r.code] ?? 400, r.code, r.message);
      return send(res, 200, { job: r.job, result: r.result, unit: unitDetail(node, name) });
    }
    const runtime = url.searchParams.get('runtime') === '1';
    switch (action) {
      case 'try-restart': {
        const s = node.status(name);
        if (s.activeState !== 'active' && s.activeState !== 'reloading' && s.activeState !== 'activating') return send(res, 200, { job: null, result: 'done' });
        const r = await node.request('restart', name);
        if (!r.ok) return fail(res, ERROR_STATUS[r.code] ?? 400, r.code, r.message);
        return send(res, 200, { job: r.job, result: r.result });
      }
      case 'kill': {
        const body = await readBody(req);
        const whom = body.whom ?? 'all';
        const signal = typeof body.signal === 'number' ? body.signal : parseSignal(typeof body.signal === 'string' ? body.signal : 'SIGTERM');
        if (whom !== 'main' && whom !== 'control' && whom !== 'all') return fail(res, 400, 'bad-request', `Invalid whom argument: ${String(whom)}`);
        if (signal === null || signal < 1 || signal > 64) return fail(res, 400, 'bad-request', `Invalid signal: ${String(body.signal)}`);
        const s = node.status(name);
        if (s.loadState === 'not-found' && s.activeState === 'inactive') return fail(res, 404, 'not-found', `Unit ${name} not loaded.`);
        if (whom !== 'all' && (whom === 'main' ? s.mainPid : s.controlPid) === null) {
          return fail(res, 409, 'no-process', `No ${whom === 'main' ? 'main' : 'control'} process to kill`);
        }
        return send(res, 200, { pids: node.killUnit(name, whom, signal) });
      }
      case 'reset-failed':
        node.resetFailed(name);
        return send(res, 200, {});
      case 'enable': return this.install(res, planEnable(node.diskView(), node.ctx, name, runtime));
      case 'disable': return this.install(res, planDisable(node.diskView(), node.ctx, name));
      case 'mask': return this.install(res, planMask(node.diskView(), name, runtime));
      case 'unmask': return this.install(res, planUnmask(node.diskView(), name));
      default: return fail(res, 404, 'no-route', `no action ${action}`);
    }
  }

  /**
   * A transient unit (systemd-run): a service file written to
   * run/systemd/system from the request, then started. It stays until removed.
   */
  private async transient(body: Record<string, unknown>, res: http.ServerResponse): Promise<void> {
    const parsed = transientUnit(body);
    if ('error' in parsed) return fail(res, 400, 'bad-request', parsed.error);
    const node = this.node;
    let name = parsed.name;
    const dir = path.join(node.machine.root, 'run/systemd/system');
    if (name === null) {
      for (let n = 1; ; n++) {
        name = `run-u${n}.service`;
        if (!fs.existsSync(path.join(dir, name)) && node.status(name).loadState === 'not-found') break;
      }
    } else if (fs.existsSync(path.join(dir, name)) || node.status(name).loadState !== 'not-found') {
      return fail(res, 409, 'exists', `Unit ${name} was already loaded or has a fragment file.`);
    }
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, name), parsed.text);
    const r = await node.request('start', name);
    if (!r.ok) return fail(res, ERROR_STATUS[r.code] ?? 400, r.code, r.message);
    send(res, 200, { name, job: r.job, result: r.result, unit: unitDetail(node, name) });
  }

  private install(res: http.ServerResponse, plan: InstallPlan): void {
    if (!plan.ok) return fail(res, 409, 'install', plan.error);
    applyChanges(plan.changes);
    // systemctl enable/disable/mask reload the manager afterwards.
    this.node.reload();
    send(res, 200, { changes: plan.changes, warnings: plan.warnings });
  }

  private unitFiles(): { name: string; path: string; state: string }[] {
    const view = this.node.diskView();
    const seen = new Map<string, string>();
    for (const p of Object.keys(view.entries)) {
      const dir = view.searchPath.find((d) => p.startsWith(`${d}/`) && !p.slice(d.length + 1).includes('/'));
      if (!dir) continue;
      const name = p.slice(dir.length + 1);
      if (parseUnitName(name) && !seen.has(name)) seen.set(name, p);
    }
    return [...seen].sort(([a], [b]) => a.localeCompare(b)).map(([name, p]) => ({ name, path: p, state: unitFileState(view, this.node.ctx, name) }));
  }

  private files(name: string): { fragmentPath: string | null; dropIns: string[]; contents: { path: string; text: string }[] } {
    const def = this.node.load(name).loaded;
    const paths = [...(def.fragmentPath ? [def.fragmentPath] : []), ...def.dropInPaths];
    const contents = paths.map((p) => {
      let text = '';
      try {
        text = fs.readFileSync(p, 'utf8');
      } catch {
        text = '';
      }
      return { path: p, text };
    });
    return { fragmentPath: def.fragmentPath, dropIns: def.dropInPaths, contents };
  }

  private journal(url: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
    const units = url.searchParams.getAll('unit');
    const lines = url.searchParams.get('lines');
    const since = url.searchParams.get('since');
    const follow = url.searchParams.get('follow') === '1';
    const q = {
      ...(units.length > 0 ? { units } : {}),
      ...(lines !== null ? { lines: Number(lines) } : {}),
      ...(since !== null ? { since: Number(since) } : {}),
    };
    const past = this.node.journal.read(q);
    const matches = (e: JournalEntry): boolean => units.length === 0 || (e.unit !== null && units.includes(e.unit));
    this.streams.add(res);
    streamNdjson(req, res, (write) => {
      for (const e of past) write(e);
      if (!follow) {
        res.end();
        return () => this.streams.delete(res);
      }
      const on = (e: JournalEntry): void => {
        if (matches(e)) write(e);
      };
      this.node.journal.on('entry', on);
      return () => {
        this.node.journal.off('entry', on);
        this.streams.delete(res);
      };
    });
  }
}
