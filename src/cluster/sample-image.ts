// Container images built from files, for where no image registry is
// reachable: a rootfs of the static busybox (one link per applet in /bin)
// plus the files asked for, imported with `docker import`. The seeds' web
// server image is one of them, saved as the tar its unit downloads and
// `docker load`s. Shared by `coracle cluster up --docker` and the tests.
//
// Everything is asynchronous: a caller may serve the tar from its own
// process while a unit downloads it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WEBSERVER_IMAGE } from './samples.js';

/** The docker client: Debian's (matches the engine), else whatever PATH has. */
export const DOCKER = ['/usr/bin/docker', '/usr/local/bin/docker'].find((p) => fs.existsSync(p)) ?? 'docker';
/** The static busybox the images are made of (Debian's busybox-static). */
export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p)) ?? null;

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

/** Runs the docker client and returns its stdout, or throws with the command and its stderr. */
export async function dockerOk(...args: string[]): Promise<string> {
  const r = await run(DOCKER, args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.err.trim()}`);
  return r.out;
}

/** The engine's version when one answers `docker info`, else null. */
export async function dockerEngineVersion(): Promise<string | null> {
  if (!fs.existsSync(DOCKER) && DOCKER !== 'docker') return null;
  const r = await run(DOCKER, ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 });
  return r.code === 0 && r.out.trim() !== '' ? r.out.trim() : null;
}

export interface BusyboxImageOptions {
  /** extra files, path inside the image → content */
  files?: Record<string, string | Buffer>;
  /** the image's default command (JSON form), default a shell */
  cmd?: string[];
  /** image labels (containers inherit them) */
  labels?: Record<string, string>;
}

/**
 * Builds an image from files: a rootfs of the static busybox with a link per
 * applet in /bin, plus `files`, imported with `docker import` under `name`.
 * Returns the image ID.
 */
export async function buildBusyboxImage(name: string, opts: BusyboxImageOptions = {}): Promise<string> {
  if (!BUSYBOX) throw new Error('no static busybox at /bin/busybox (apt-get install -y busybox-static)');
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-rootfs-'));
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
      const changes = Object.entries(opts.labels ?? {}).flatMap(([k, v]) => ['--change', `LABEL ${k}=${JSON.stringify(v)}`]);
      const out = await dockerOk('import', ...changes, '--change', `CMD ${JSON.stringify(opts.cmd ?? ['/bin/sh'])}`, tarball, name);
      return out.trim();
    } finally {
      fs.rmSync(tarball, { force: true });
    }
  } finally {
    fs.rmSync(rootfs, { recursive: true, force: true });
  }
}

/**
 * The seeds' web server image (`osdn-test-webserver`): its default command
 * serves /www over HTTP on port 80 with busybox httpd, and /www/index.html
 * holds `pageText`. httpd runs under a shell that exits on SIGTERM, because a
 * container's PID 1 ignores signals it has no handler for and `docker stop`
 * would otherwise wait its 10 s before SIGKILL.
 *
 * The image is built, saved to `<dir>/osdn-test-webserver.tar` with the tag
 * `osdn-test-webserver:latest`, then removed from the engine again, so it is
 * the unit's own `docker load` that brings it back. Returns the tar's path.
 */
export async function buildWebserverImageTar(dir: string, pageText: string, labels: Record<string, string> = {}): Promise<string> {
  const build = `coracle-build-${WEBSERVER_IMAGE}-${process.pid}-${Date.now()}`;
  const id = await buildBusyboxImage(build, {
    files: { 'www/index.html': `${pageText}\n` },
    cmd: ['/bin/sh', '-c', 'trap "exit 0" TERM INT; httpd -f -p 80 -h /www & wait'],
    labels,
  });
  fs.mkdirSync(dir, { recursive: true });
  const tar = path.join(dir, `${WEBSERVER_IMAGE}.tar`);
  try {
    await dockerOk('tag', id, `${WEBSERVER_IMAGE}:latest`);
    await dockerOk('save', '-o', tar, `${WEBSERVER_IMAGE}:latest`);
  } finally {
    await run(DOCKER, ['rmi', `${WEBSERVER_IMAGE}:latest`]);
    await run(DOCKER, ['rmi', `${build}:latest`]);
  }
  return tar;
}
