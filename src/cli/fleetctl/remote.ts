// `status` and `journal` without SSH. fleetctl ran `systemctl status -l X` /
// `journalctl --unit X …` on the unit's machine over SSH, or locally when the
// machine was this one. coracle's fleetctl runs coracle's own systemctl /
// journalctl: on the local root when the unit's machine is the root's own
// (`etc/machine-id`), and otherwise against the owning machine's fleet agent
// (its URL from the registry), which serves the init's unit and journal
// reads. A private socket in a temp dir stands in for that machine's init
// socket, so the output is exactly what systemctl/journalctl print there.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ctx } from './context.js';

const CORACLE_BIN = fileURLToPath(new URL('../../../../bin/coracle.js', import.meta.url));

export interface RemoteCommand {
  kind: 'status' | 'journal';
  unit: string;
  lines?: number;
  output?: string;
  follow?: boolean;
}

function localMachineID(root: string | undefined): string | null {
  try {
    return fs.readFileSync(path.join(root ?? '/', 'etc/machine-id'), 'utf8').trim();
  } catch {
    return null;
  }
}

function argvFor(root: string, c: RemoteCommand): string[] {
  return c.kind === 'status'
    ? ['systemctl', '--root', root, 'status', '-l', c.unit]
    : ['journalctl', '--root', root, '--unit', c.unit, '--no-pager', '-n', String(c.lines ?? 10), '--output', c.output ?? 'short', ...(c.follow === true ? ['-f'] : [])];
}

/** Runs coracle's systemctl/journalctl on a root; output passes through; resolves to the exit code. */
function runCoracle(ctx: Ctx, root: string, c: RemoteCommand): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CORACLE_BIN, ...argvFor(root, c)], { stdio: ['ignore', 'pipe', 'pipe'], env: ctx.env });
    // Ctrl-C on `journal -f` ends the command, then fleetctl cleans up and exits.
    const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const done = (code: number): void => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code);
    };
    child.stdout.on('data', (d: Buffer) => ctx.io.out(d.toString()));
    child.stderr.on('data', (d: Buffer) => ctx.io.err(d.toString()));
    child.on('error', (e) => {
      ctx.err(`Error running local command: ${e.message}`);
      done(-1);
    });
    child.on('close', (code, signal) => done(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : -1)));
  });
}

/** Maps the init API reads systemctl status / journalctl make onto the agent's routes. */
function agentPathFor(initPath: string): string | null {
  const u = new URL(initPath, 'http://init');
  const unit = /^\/v1\/units\/([^/]+)$/.exec(u.pathname);
  if (unit !== null) return `/fleet-agent/v1/units/${unit[1]}`;
  if (u.pathname === '/v1/journal') return `/fleet-agent/v1/journal${u.search}`;
  return null;
}

/** Serves a stand-in init socket that forwards to the agent, runs the command on it, and cleans up. */
async function runViaAgent(ctx: Ctx, agentURL: string, c: RemoteCommand): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-fleetctl-'));
  const sock = path.join(dir, 'run/coracle/init.sock');
  fs.mkdirSync(path.dirname(sock), { recursive: true });
  const base = new URL(agentURL);
  const server = http.createServer((req, res) => {
    const target = req.method === 'GET' ? agentPathFor(req.url ?? '/') : null;
    if (target === null) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'not-found', message: `not available through the fleet agent: ${req.method} ${req.url}` }));
      return;
    }
    const up = http.get({ host: base.hostname, port: base.port || 80, path: target }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'agent-unreachable', message: `cannot reach the fleet agent at ${agentURL}: ${e.message}` }));
    });
    res.on('close', () => up.destroy());
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(sock, () => resolve());
    });
    return await runCoracle(ctx, dir, c);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** fleetctl's runCommand: on this root when the machine is this root's, else through the owning machine's agent. */
export async function runOnMachine(ctx: Ctx, machineID: string, c: RemoteCommand): Promise<number> {
  if (machineID !== '' && machineID === localMachineID(ctx.root)) return runCoracle(ctx, ctx.root ?? '/', c);
  let url: string | null;
  try {
    url = await ctx.client.agentURL(machineID);
  } catch (e) {
    ctx.err(`Error getting machine IP: ${(e as Error).message}`);
    return -1;
  }
  if (url === null) {
    ctx.err(`Unable to reach machine ${machineID}: it publishes no fleet agent endpoint (is its fleetd running?)`);
    return -1;
  }
  return runViaAgent(ctx, url, c);
}
