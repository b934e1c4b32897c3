// `status` and `journal` without SSH: fleetctl ran `systemctl status -l X` /
// `journalctl --unit X …` on the unit's machine over SSH (or locally when the
// machine is this one). coracle runs them locally through the machine root
// when the unit's machine is the root's own (`etc/machine-id`), and otherwise
// asks that machine's fleetd agent over HTTP at its public IP.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ctx } from './context.js';
import { goQueryEscape } from './http-client.js';

/** The port of fleetd's agent endpoint on each machine's public IP (see src/fleet). */
export const AGENT_PORT = Number(process.env.CORACLE_FLEET_AGENT_PORT ?? 49154);

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
    return readFileSync(path.join(root ?? '/', 'etc/machine-id'), 'utf8').trim();
  } catch {
    return null;
  }
}

/** Runs the command in coracle's systemctl/journalctl against the local root; resolves to the exit code. */
function runLocal(ctx: Ctx, c: RemoteCommand): Promise<number> {
  const root = ctx.root ?? '/';
  const argv =
    c.kind === 'status'
      ? ['systemctl', '--root', root, 'status', '-l', c.unit]
      : ['journalctl', '--root', root, '--unit', c.unit, '--no-pager', '-n', String(c.lines ?? 10), '--output', c.output ?? 'short', ...(c.follow === true ? ['-f'] : [])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CORACLE_BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: ctx.env });
    child.stdout.on('data', (d: Buffer) => ctx.io.out(d.toString()));
    child.stderr.on('data', (d: Buffer) => ctx.io.err(d.toString()));
    child.on('error', (e) => {
      ctx.err(`Error running local command: ${e.message}`);
      resolve(-1);
    });
    child.on('close', (code) => resolve(code ?? -1));
  });
}

/** Asks the owning machine's agent; the body streams to stdout, the exit code comes in X-Exit-Code. */
function runRemote(ctx: Ctx, ip: string, c: RemoteCommand): Promise<number> {
  const q =
    c.kind === 'status'
      ? ''
      : `?lines=${c.lines ?? 10}&output=${goQueryEscape(c.output ?? 'short')}&follow=${c.follow === true ? 'true' : 'false'}`;
  const p = `/coracle/v1/units/${goQueryEscape(c.unit)}/${c.kind}${q}`;
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port: AGENT_PORT, path: p }, (res) => {
      res.on('data', (d: Buffer) => ctx.io.out(d.toString()));
      res.on('end', () => {
        const code = Number(res.headers['x-exit-code'] ?? (res.statusCode === 200 ? 0 : 1));
        resolve(Number.isInteger(code) ? code : 1);
      });
      res.on('error', () => resolve(-1));
    });
    req.on('error', (e) => {
      ctx.err(`Unable to reach the fleet agent on ${ip}:${AGENT_PORT}: ${e.message}`);
      resolve(-1);
    });
  });
}

/** fleetctl's runCommand: local when the machine is this root's, else through the owning machine. */
export async function runOnMachine(ctx: Ctx, machineID: string, c: RemoteCommand): Promise<number> {
  if (machineID !== '' && machineID === localMachineID(ctx.root)) return runLocal(ctx, c);
  let ms;
  try {
    ms = (await ctx.client.machines()).find((m) => m.id === machineID);
  } catch (e) {
    ctx.err(`Error getting machine IP: ${(e as Error).message}`);
    return -1;
  }
  if (ms === undefined) {
    ctx.err('Error getting machine IP: <nil>');
    return -1;
  }
  return runRemote(ctx, ms.publicIP, c);
}
