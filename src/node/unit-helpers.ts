// The small programs coracle's shipped units run (ExecStart= of
// user-cloudinit@.service, user-configdrive.service, etcd.service and
// docker.service). Each runs as a unit of a machine's init: CORACLE_ROOT
// names the machine, stdout/stderr go to its journal.
//
//   unit-helpers.js cloudinit --from-file=PATH | --from-configdrive=DIR
//   unit-helpers.js etcd-legacy
//   unit-helpers.js docker-engine
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { sdNotify } from '../etcd/notify.js';
import { DEFAULT_PATH, findExecutable } from '../init/node/exec.js';
import { ETCD_FIELDS, ETCD2_FIELDS } from '../cloudinit/index.js';
import { applyUserData } from './user-data.js';
import { InitClient, unitPath } from '../init/client.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function machineRoot(): string {
  const root = process.env.CORACLE_ROOT;
  if (!root) throw new Error('CORACLE_ROOT is not set: this program runs as a unit of coracle node');
  return root;
}

async function cloudinit(args: string[]): Promise<number> {
  const root = machineRoot();
  let file: string | undefined;
  for (const a of args) {
    const m = /^--from-(file|configdrive)=(.*)$/.exec(a);
    if (!m) {
      out(`unknown argument ${a} (want --from-file=PATH or --from-configdrive=DIR)`);
      return 2;
    }
    // Paths name the machine's own files, inside its root.
    file = m[1] === 'file' ? m[2]! : path.posix.join(m[2]!, 'openstack/latest/user_data');
  }
  if (!file) {
    out('Provide at least one of --from-file, --from-configdrive');
    return 2;
  }
  out(`Checking availability of "${file}" in ${root}`);
  return applyUserData({ root, file, env: process.env, log: out });
}

/** Legacy etcd 0.4 options (`coreos.etcd`) land in etcd.service's environment; coracle runs etcd2 under that name. */
async function etcdLegacy(): Promise<number> {
  const etcd2 = new Set(ETCD2_FIELDS.map((f) => f.env));
  const legacy = ETCD_FIELDS.map((f) => f.env).filter((e) => !etcd2.has(e));
  const set = Object.keys(process.env).filter((k) => legacy.includes(k)).sort();
  if (set.length > 0) {
    out(`etcd.service: the etcd 0.4 options ${set.join(', ')} are not supported by coracle and were ignored; use coreos.etcd2 (etcd2.service)`);
  }
  // Requires=etcd2.service starts it with a start job; a restart job of this
  // unit may not, so ask for it here too (a no-op when it runs).
  const r = await InitClient.forRoot(machineRoot()).request<{ result?: string; message?: string }>('POST', unitPath('etcd2.service', 'start'));
  const result = r.status === 200 ? r.body.result ?? 'done' : r.body.message ?? `HTTP ${r.status}`;
  out(`etcd.service: coracle runs etcd2.service for this name (start etcd2.service: ${result})`);
  return result === 'done' ? 0 : 1;
}

const DOCKER_SOCKET = '/var/run/docker.sock';

/** The engine's unix socket: $DOCKER_HOST (unix://PATH) as the docker client reads it, else /var/run/docker.sock. */
export function dockerSocketOf(env: NodeJS.ProcessEnv): { socket: string } | { error: string } {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === '') return { socket: DOCKER_SOCKET };
  if (host.startsWith('unix://') && host.length > 'unix://'.length) return { socket: host.slice('unix://'.length) };
  return { error: `DOCKER_HOST=${host}: docker.service manages a local engine on a unix socket (unix:///path)` };
}

function pingEngine(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** docker.service: the host's engine is shared by every machine; start dockerd only when none answers. */
async function dockerEngine(): Promise<number> {
  const where = dockerSocketOf(process.env);
  if ('error' in where) {
    out(`docker.service: ${where.error}`);
    return 1;
  }
  const DOCKER_SOCKET = where.socket;
  const dockerPing = (): Promise<boolean> => pingEngine(DOCKER_SOCKET);
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      stopping = true;
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  if (await dockerPing()) {
    out(`Using the running Docker engine at unix://${DOCKER_SOCKET}`);
    await sdNotify(`READY=1\nSTATUS=Using the running Docker engine at unix://${DOCKER_SOCKET}`);
    // Stay active while the engine answers; fail when it goes away.
    while (!stopping) {
      await Promise.race([sleep(5000), stopped]);
      if (!stopping && !(await dockerPing())) {
        out(`The Docker engine at unix://${DOCKER_SOCKET} stopped answering`);
        return 1;
      }
    }
    return 0;
  }
  const dockerd = findExecutable('dockerd', process.env.PATH ?? DEFAULT_PATH);
  if (!dockerd) {
    out(`docker.service: no Docker engine answers at unix://${DOCKER_SOCKET} and dockerd is not installed; install Docker or start its engine`);
    return 1;
  }
  out(`No Docker engine answers at unix://${DOCKER_SOCKET}: starting ${dockerd}`);
  const child = spawn(dockerd, DOCKER_SOCKET === '/var/run/docker.sock' ? [] : ['--host', `unix://${DOCKER_SOCKET}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  let exited: number | null = null;
  const exit = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exited = code ?? (signal ? 128 : 1);
    resolve();
  }));
  for (let i = 0; i < 120 && exited === null && !stopping; i++) {
    if (await dockerPing()) break;
    await Promise.race([sleep(250), exit, stopped]);
  }
  if (exited !== null) {
    out(`dockerd exited with status ${exited} before answering`);
    return 1;
  }
  if (!stopping) {
    if (!(await dockerPing())) {
      out(`dockerd did not answer at unix://${DOCKER_SOCKET} within 30s`);
      child.kill('SIGTERM');
      return 1;
    }
    await sdNotify(`READY=1\nSTATUS=dockerd ${child.pid} serving unix://${DOCKER_SOCKET}`);
    await Promise.race([exit, stopped]);
  }
  if (exited !== null) return exited === 0 && stopping ? 0 : 1;
  child.kill('SIGTERM');
  await exit;
  return 0;
}

export async function unitHelper(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'cloudinit':
      return cloudinit(rest);
    case 'etcd-legacy':
      return etcdLegacy();
    case 'docker-engine':
      return dockerEngine();
    default:
      out(`unit-helpers: unknown helper ${verb ?? '(none)'} (cloudinit, etcd-legacy, docker-engine)`);
      return 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  unitHelper(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      out(`unit-helpers: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
