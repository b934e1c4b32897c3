// Real Docker for the end-to-end tests (init, fleet, cluster): the engine,
// test images built from files (by src/cluster/sample-image.ts, the code
// `cluster up --docker` builds its sample with), the seed's web server image
// as a `docker save` tar served over local HTTP, and cleanup that only
// touches what the tests made.
//
// Everything here is asynchronous on purpose: a test serves the image tar from
// its own process (serveFile) while a unit's `curl` downloads it, so a
// synchronous child process would block the server it waits for.
//
// What the tests make carries the image label `coracle.test` (containers
// inherit their image's labels, so the seed's own `docker run --name
// osdn-test-webserver-1 …` is found by it too) or a `coracle-test-` name.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { withHostLock } from './host-lock.js';
import {
  DOCKER, buildBusyboxImage as buildImageFromFiles, buildWebserverImageTar as buildWebserverTar, dockerOk, run, type RunResult,
} from '../../src/cluster/sample-image.js';
import { WEBSERVER_IMAGE, rewriteWebserverSeed } from '../../src/cluster/samples.js';
import { isAlive } from '../../src/init/node/tracker.js';

/** The label every test image carries; its value names what made it. */
export const TEST_LABEL = 'coracle.test';
/** Name prefix for test containers and images that are not the seed's own. */
export const TEST_PREFIX = 'coracle-test-';
/** The image name the seed units run and `docker load` restores. */
export { WEBSERVER_IMAGE, DOCKER };
/** Where the seeds' unit files are. */
export const SEEDS_DIR = path.resolve(fileURLToPath(import.meta.url), '../../../../../shared/fixtures/seeds');
/** Set to 1 to let Docker tests skip (with a message) when no engine can be had. CI never sets it. */
export const WITHOUT_DOCKER_ENV = 'CORACLE_TESTS_WITHOUT_DOCKER';
/** Where an engine started by these helpers writes its log. */
export const DOCKERD_LOG = path.join(os.tmpdir(), 'coracle-test-dockerd.log');

const DOCKERD = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => fs.existsSync(p));

export type { RunResult };
export { run };

/** Runs the docker client. */
export function docker(...args: string[]): Promise<RunResult> {
  return run(DOCKER, args);
}

export { dockerOk };

/** True when an engine answers `docker info`. */
export async function dockerAvailable(): Promise<boolean> {
  if (!fs.existsSync(DOCKER) && DOCKER !== 'docker') return false;
  const r = await run(DOCKER, ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 });
  return r.code === 0 && r.out.trim() !== '';
}

let startedEngine: { pid: number; log: string } | null = null;
// Once no engine could be had, later tests in this process fail (or skip) at once.
let engineFailure: Error | null = null;

/** SIGTERM, a bounded wait for the exit, then SIGKILL. */
async function terminate(pid: number, waitMs: number): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + waitMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** Whether this process can use iptables (dockerd needs `--iptables=false` otherwise). */
async function iptablesWorks(): Promise<boolean> {
  const r = await run('iptables', ['-t', 'nat', '-L', '-n'], { timeoutMs: 10_000 });
  return r.code === 0;
}

export interface EngineInfo {
  /** true when this process started dockerd (it then stops it in stopDockerEngineWeStarted) */
  started: boolean;
  pid: number | null;
  /** the log file of the engine we started */
  log: string | null;
}

function engineInfo(): EngineInfo {
  return { started: startedEngine !== null, pid: startedEngine?.pid ?? null, log: startedEngine?.log ?? null };
}

/**
 * Makes sure an engine answers. If none does and dockerd is installed, starts
 * it detached (its own session, log to DOCKERD_LOG; `--iptables=false` when
 * iptables does not work here) and waits for `docker info`, bounded by
 * `waitMs`. Throws, saying what is missing, when no engine can be had. An
 * engine someone else started is used, never stopped.
 */
export async function ensureDockerEngine(waitMs = 60_000): Promise<EngineInfo> {
  if (await dockerAvailable()) return engineInfo();
  if (engineFailure) throw engineFailure;
  if (!DOCKERD) {
    engineFailure = new Error(`no Docker engine answers \`${DOCKER} info\` and dockerd is not installed (apt-get install -y docker.io busybox-static)`);
    throw engineFailure;
  }
  const args = (await iptablesWorks()) ? [] : ['--iptables=false'];
  const command = [DOCKERD, ...args].join(' ');
  const logFd = fs.openSync(DOCKERD_LOG, 'a');
  const child = spawn(DOCKERD, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  child.unref();
  let exited = false;
  child.on('exit', () => (exited = true));
  child.on('error', () => (exited = true));
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await dockerAvailable()) break;
    // Another dockerd may have won the race for /var/run/docker.pid: then
    // ours exits and the other one is waited for all the same.
    if (Date.now() > deadline) {
      if (child.pid && !exited) await terminate(child.pid, 30_000);
      const tail = fs.readFileSync(DOCKERD_LOG, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
      engineFailure = new Error(`no Docker engine: started \`${command}\` but \`${DOCKER} info\` did not answer within ${waitMs} ms\n(the end of ${DOCKERD_LOG}:)\n${tail}`);
      throw engineFailure;
    }
    await sleep(100);
  }
  if (!exited && child.pid) startedEngine = { pid: child.pid, log: DOCKERD_LOG };
  return engineInfo();
}

/** Stops the engine only if this process started it (SIGTERM, bounded wait, then SIGKILL). */
export async function stopDockerEngineWeStarted(waitMs = 30_000): Promise<void> {
  if (!startedEngine) return;
  const { pid } = startedEngine;
  startedEngine = null;
  await terminate(pid, waitMs);
}

/**
 * For a test that needs the engine: true when it can go on. When no engine
 * can be had it throws (the test fails), unless CORACLE_TESTS_WITHOUT_DOCKER=1
 * is set: then it marks the test skipped with the reason and returns false.
 */
export async function requireDocker(t: TestContext): Promise<boolean> {
  try {
    await ensureDockerEngine();
    return true;
  } catch (e) {
    if (process.env[WITHOUT_DOCKER_ENV] === '1') {
      t.skip(`no Docker engine, and ${WITHOUT_DOCKER_ENV}=1 is set: ${(e as Error).message.split('\n')[0]}`);
      return false;
    }
    throw new Error(`this test needs a Docker engine (set ${WITHOUT_DOCKER_ENV}=1 to skip it where there is none): ${(e as Error).message}`);
  }
}

/**
 * The usual frame for a Docker test: the host-wide 'docker' lock, an engine
 * (or a skip, see requireDocker), and afterwards every container and image
 * the tests made removed and an engine we started stopped. Take the
 * 'one-host-cluster' lock outside this one if the test needs both.
 */
export async function withDocker(t: TestContext, fn: () => Promise<void>): Promise<void> {
  await withHostLock('docker', async () => {
    if (!(await requireDocker(t))) return;
    await removeTestContainers();
    try {
      await fn();
    } finally {
      await removeTestContainers();
      await removeTestImages();
      await stopDockerEngineWeStarted();
    }
  });
}

export interface BusyboxImageOptions {
  /** extra files, path inside the image → content */
  files?: Record<string, string | Buffer>;
  /** the image's default command (JSON form), default a shell */
  cmd?: string[];
  /** the value of the coracle.test label (default: the image name) */
  label?: string;
}

/**
 * A busybox image built from files (src/cluster/sample-image.ts), labelled
 * coracle.test so the cleanup here finds it (use the coracle-test- prefix
 * for `name`). Returns the image ID.
 */
export function buildBusyboxImage(name: string, opts: BusyboxImageOptions = {}): Promise<string> {
  return buildImageFromFiles(name, { files: opts.files, cmd: opts.cmd, labels: { [TEST_LABEL]: opts.label ?? name } });
}

/**
 * The seed's web server image saved as `<dir>/osdn-test-webserver.tar`
 * serving `pageText` (the same build `cluster up --docker` does), labelled
 * coracle.test. Returns the tar's path.
 */
export function buildWebserverImageTar(dir: string, pageText: string): Promise<string> {
  return buildWebserverTar(dir, pageText, { [TEST_LABEL]: WEBSERVER_IMAGE });
}

export interface FileServer {
  /** `http://<addr>:<port>/<file's base name>` */
  url: string;
  /** how many GET requests for the file were answered */
  requests(): number;
  close(): Promise<void>;
}

/** Serves one file over HTTP on `addr` (a 127.0.0.x of the test's range), port chosen by the kernel. */
export async function serveFile(addr: string, file: string): Promise<FileServer> {
  const name = `/${path.basename(file)}`;
  let served = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== name || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${req.url}\n`);
      return;
    }
    const size = fs.statSync(file).size;
    res.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    served++;
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, addr, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${addr}:${port}${name}`,
    requests: () => served,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The text of a seed file. */
export function readSeed(name: string): string {
  return fs.readFileSync(path.join(SEEDS_DIR, name), 'utf8');
}

export { rewriteWebserverSeed };

/**
 * A stand-in for the `docker.service` the seeds require: it succeeds when the
 * engine answers. (coracle's shipped docker.service comes with machine boot.)
 */
export const TEST_DOCKER_SERVICE = `[Unit]
Description=Docker Application Container Engine (test stand-in: the host's engine)

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${DOCKER} info
`;

export interface ContainerRow {
  id: string;
  name: string;
  image: string;
  status: string;
  ports: string;
}

/** Containers as `docker ps` lists them (`all` includes stopped ones), optionally only names starting with `prefix`. */
export async function listContainers(opts: { all?: boolean; prefix?: string; label?: string } = {}): Promise<ContainerRow[]> {
  const args = ['ps', '--no-trunc', '--format', '{{.ID}}\t{{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}'];
  if (opts.all) args.push('-a');
  if (opts.label) args.push('--filter', `label=${opts.label}`);
  const out = await dockerOk(...args);
  return out.split('\n').filter(Boolean).map((l) => {
    const [id = '', name = '', image = '', status = '', ports = ''] = l.split('\t');
    return { id, name, image, status, ports };
  }).filter((c) => !opts.prefix || c.name.startsWith(opts.prefix));
}

/** Running containers' names, those starting with `prefix` if given. */
export async function runningContainers(prefix?: string): Promise<string[]> {
  return (await listContainers({ prefix })).map((c) => c.name);
}

/** Names of the running containers that publish a port on `addr` (as `docker ps` shows `127.0.0.3:80->80/tcp`). */
export async function containersPublishingOn(addr: string): Promise<string[]> {
  return (await listContainers()).filter((c) => c.ports.split(', ').some((p) => p.startsWith(`${addr}:`))).map((c) => c.name);
}

/** Force-removes every container (running or not) whose name starts with `prefix`; returns their names. */
export async function removeContainers(prefix: string): Promise<string[]> {
  if (!prefix) throw new Error('removeContainers needs a non-empty name prefix');
  const rows = await listContainers({ all: true, prefix });
  if (rows.length > 0) await dockerOk('rm', '-f', ...rows.map((r) => r.id));
  return rows.map((r) => r.name);
}

/**
 * Force-removes every container the tests made: those of an image labelled
 * coracle.test (the seed's osdn-test-webserver-N among them) and those named
 * coracle-test-…; returns their names.
 */
export async function removeTestContainers(): Promise<string[]> {
  const rows = [...await listContainers({ all: true, label: TEST_LABEL }), ...await listContainers({ all: true, prefix: TEST_PREFIX })];
  const ids = [...new Set(rows.map((r) => r.id))];
  if (ids.length > 0) await dockerOk('rm', '-f', ...ids);
  return [...new Set(rows.map((r) => r.name))];
}

/** Removes every image labelled coracle.test (after removeTestContainers); returns their IDs. */
export async function removeTestImages(): Promise<string[]> {
  const ids = [...new Set((await dockerOk('images', '-q', '--no-trunc', '--filter', `label=${TEST_LABEL}`)).split('\n').filter(Boolean))];
  if (ids.length > 0) await dockerOk('rmi', '-f', ...ids);
  return ids;
}

export interface PageAnswer {
  status: number;
  body: string;
}

/**
 * GET http://<addr>:<port><urlPath> with the connection's own end bound to
 * `from` (a 127.0.0.x of the test's range). Resolves the answer, or null when
 * nothing answers (refused, reset, or no answer within `timeoutMs`).
 */
export function fetchPage(addr: string, opts: { port?: number; path?: string; from?: string; timeoutMs?: number } = {}): Promise<PageAnswer | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: addr, port: opts.port ?? 80, path: opts.path ?? '/', localAddress: opts.from, agent: false, timeout: opts.timeoutMs ?? 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
  });
}
