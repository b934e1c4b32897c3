// Starts a real etcd 3.4 (/usr/bin/etcd, v2 API enabled) on a 127.0.0.x
// address for tests, waits until it serves, and stops it by PID. Tests use
// 127.0.0.40–49 so they stay out of other suites' way.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';

export const REAL_ETCD = '/usr/bin/etcd';
export const REAL_ETCDCTL = '/usr/bin/etcdctl';

/** Fails (never skips) when the real etcd is not installed. */
export function requireRealEtcd(): void {
  for (const bin of [REAL_ETCD, REAL_ETCDCTL]) {
    if (!existsSync(bin)) {
      throw new Error(`${bin} is missing: these tests compare against the real etcd 3.4; install it with: apt-get install etcd-server etcd-client`);
    }
  }
}

export interface EtcdOptions {
  name: string;
  ip: string;
  clientPort: number;
  peerPort: number;
  /** Defaults to a one-member cluster of this member. */
  initialCluster?: string;
  initialClusterState?: 'new' | 'existing';
}

export interface RunningEtcd {
  name: string;
  clientURL: string;
  peerURL: string;
  pid: number;
  stop(): Promise<void>;
}

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(1000, () => {
      req.destroy();
      resolve(0);
    });
  });
}

/** Starts etcd and resolves once GET /v2/members answers 200 (and /health, unless waitHealthy is false). */
export async function startEtcd(opts: EtcdOptions, waitHealthy = true): Promise<RunningEtcd> {
  requireRealEtcd();
  const dataDir = mkdtempSync(join(tmpdir(), `coracle-etcd-${opts.name}-`));
  const clientURL = `http://${opts.ip}:${opts.clientPort}`;
  const peerURL = `http://${opts.ip}:${opts.peerPort}`;
  const args = [
    '--enable-v2',
    '--name', opts.name,
    '--data-dir', dataDir,
    '--listen-client-urls', clientURL,
    '--advertise-client-urls', clientURL,
    '--listen-peer-urls', peerURL,
    '--initial-advertise-peer-urls', peerURL,
    '--initial-cluster', opts.initialCluster ?? `${opts.name}=${peerURL}`,
    '--initial-cluster-state', opts.initialClusterState ?? 'new',
  ];
  const child: ChildProcess = spawn(REAL_ETCD, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('etcd did not start');
  let dead = false;
  void exited.then(() => (dead = true));
  const stop = async (): Promise<void> => {
    if (!dead) {
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (!dead) process.kill(pid, 'SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20000;
  for (;;) {
    if (dead) {
      await stop();
      throw new Error(`etcd ${opts.name} exited while starting:\n${log}`);
    }
    const members = await get(`${clientURL}/v2/members`);
    const ready = members === 200 && (!waitHealthy || (await get(`${clientURL}/health`)) === 200);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd ${opts.name} did not become ready on ${clientURL}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name: opts.name, clientURL, peerURL, pid, stop };
}
