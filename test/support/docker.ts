// Real Docker for the end-to-end tests (init, fleet, cluster): the engine,
// test images built from files (no registry is reachable), the seed's web
// server image as a `docker save` tar served over local HTTP, and cleanup
// that only touches what the tests made.
//
// Everything here is asynchronous on purpose: a test serves the image tar from
// its own process (serveFile) while a unit's `curl` downloads it, so a
// synchronous child process would block the server it waits for.
//
// What the tests make carries the image label `coracle.test` (containers
// inherit their image's labels, so the seed's own `docker run --name
// osdn-test-webserver-1 …` is found by it too) or a `coracle-test-` name.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { withHostLock } from './host-lock.js';

/** The label every test image carries; its value names what made it. */
export const TEST_LABEL = 'coracle.test';
/** Name prefix for test containers and images that are not the seed's own. */
export const TEST_PREFIX = 'coracle-test-';
/** The image name the seed units run and `docker load` restores. */
export const WEBSERVER_IMAGE = 'osdn-test-webserver';
/** Where the seeds' unit files are. */
export const SEEDS_DIR = path.resolve(fileURLToPath(import.meta.url), '../../../../../shared/fixtures/seeds');
/** Set to 1 to let Docker tests skip (with a message) when no engine can be had. CI never sets it. */
export const WITHOUT_DOCKER_ENV = 'CORACLE_TESTS_WITHOUT_DOCKER';
/** Where an engine started by these helpers writes its log. */
export const DOCKERD_LOG = path.join(os.tmpdir(), 'coracle-test-dockerd.log');

/** The docker client: Debian's (matches the engine), else whatever PATH has. */
export const DOCKER = ['/usr/bin/docker', '/usr/local/bin/docker'].find((p) => fs.existsSync(p)) ?? 'docker';
const DOCKERD = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => fs.existsSync(p));
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Runs a command (bounded by `timeoutMs`); never throws for a non-zero exit. */
export function run(file: string, args: string[], opts: { input?: Buffer | string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (err, out, errText) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, out, err: errText || (err && code === -1 ? String(err.message) : '') });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs the docker client. */
export function docker(...args: string[]): Promise<RunResult> {
  return run(DOCKER, args);
}

/** Runs the docker client and returns its stdout, or throws with the command and its stderr. */
export async function dockerOk(...args: string[]): Promise<string> {
  const r = await docker(...args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.err.trim()}`);
  return r.out;
}

/** True when an engine answers `docker info`. */
export async function dockerAvailable(): Promise<boolean> {
  if (!fs.existsSync(DOCKER) && DOCKER !== 'docker') return false;
  const r = await run(DOCKER, ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 });
  return r.code === 0 && r.out.trim() !== '';
}

let startedEngine: { pid: number; log: string } | null = null;
// Once no engine could be had, later tests in this process fail (or skip) at once.
let engineFailure: Error | null = null;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, a bounded wait for the exit, then SIGKILL. */
async function terminate(pid: number, waitMs: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + waitMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
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
 * Builds an image from files: a rootfs of the static busybox with a link per
 * applet in /bin, plus `files`, imported with `docker import` under `name`
 * (use the coracle-test- prefix). Returns the image ID.
 */
export async function buildBusyboxImage(name: string, opts: BusyboxImageOptions = {}): Promise<string> {
  if (!BUSYBOX) throw new Error('no static busybox at /bin/busybox (apt-get install -y busybox-static)');
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-test-rootfs-'));
  try {
    for (const d of ['bin', 'etc', 'tmp', 'www', 'proc', 'sys', 'dev']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
    fs.copyFileSync(BUSYBOX, path.join(rootfs, 'bin/busybox'));
    fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
    const applets = (await run(BUSYBOX, ['--list'])).out.split('\n').filter((a) => a && a !== 'busybox');
    for (const a of applets) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
    fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
    fs.writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    for (const [p, content] of Object.entries(opts.files ?? {})) {
      const full = path.join(rootfs, p);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, content);
    }
    const tarball = path.join(rootfs, '..', `${path.basename(rootfs)}.tar`);
    const t = await run('tar', ['-C', rootfs, '-cf', tarball, '.']);
    if (t.code !== 0) throw new Error(`tar of the rootfs ${rootfs} failed: ${t.err.trim()}`);
    try {
      const out = await dockerOk('import',
        '--change', `LABEL ${TEST_LABEL}=${opts.label ?? name}`,
        '--change', `CMD ${JSON.stringify(opts.cmd ?? ['/bin/sh'])}`,
        tarball, name);
      return out.trim();
    } finally {
      fs.rmSync(tarball, { force: true });
    }
  } finally {
    fs.rmSync(rootfs, { recursive: true, force: true });
  }
}

/**
 * The seed's web server image (`osdn-test-webserver`): its default command
 * serves /www over HTTP on port 80 with busybox httpd, and /www/index.html
 * holds `pageText`. httpd runs under a shell that exits on SIGTERM, because a
 * container's PID 1 ignores signals it has no handler for and `docker stop`
 * would otherwise wait its 10 s before SIGKILL.
 *
 * The image is built, saved to `<dir>/osdn-test-webserver.tar` with the tag
 * `osdn-test-webserver:latest`, then removed from the engine again, so it is
 * the unit's own `docker load` that brings it back. Returns the tar's path.
 */
export async function buildWebserverImageTar(dir: string, pageText: string): Promise<string> {
  const build = `${TEST_PREFIX}webserver-build-${process.pid}-${Date.now()}`;
  const id = await buildBusyboxImage(build, {
    files: { 'www/index.html': `${pageText}\n` },
    cmd: ['/bin/sh', '-c', 'trap "exit 0" TERM INT; httpd -f -p 80 -h /www & wait'],
    label: WEBSERVER_IMAGE,
  });
  const tar = path.join(dir, `${WEBSERVER_IMAGE}.tar`);
  try {
    await dockerOk('tag', id, `${WEBSERVER_IMAGE}:latest`);
    await dockerOk('save', '-o', tar, `${WEBSERVER_IMAGE}:latest`);
  } finally {
    await docker('rmi', `${WEBSERVER_IMAGE}:latest`);
    await docker('rmi', `${build}:latest`);
  }
  return tar;
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

/**
 * A seed web server unit (`osdn-test-webserver.service` or the template) with
 * only what the tests may change: the image URL to `tarUrl`, and the publish
 * `-p 80:80` to `-p ${COREOS_PRIVATE_IPV4}:80:80` read from
 * `EnvironmentFile=/etc/environment`, the CoreOS idiom that gives each
 * machine its own address. Throws if the seed no longer has those lines.
 */
export function rewriteWebserverSeed(text: string, tarUrl: string): string {
  const seedUrl = 'http://example.com/pub/osdn-test-webserver.tar';
  if (!text.includes(seedUrl)) throw new Error(`the seed unit no longer downloads ${seedUrl}`);
  if (!/ -p 80:80 /.test(text)) throw new Error('the seed unit no longer publishes -p 80:80');
  if (!/^\[Service\]$/m.test(text)) throw new Error('the seed unit has no [Service] section');
  return text
    .replace(seedUrl, tarUrl)
    .replace(' -p 80:80 ', ' -p ${COREOS_PRIVATE_IPV4}:80:80 ')
    .replace(/^\[Service\]$/m, '[Service]\nEnvironmentFile=/etc/environment');
}

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
