// A machine's own /etc and /tmp, as a CoreOS machine had them: `coracle node`
// re-runs itself under `unshare --mount` with the root's etc/ bound over /etc
// (--private-etc) and/or the root's tmp/ bound over /tmp (--private-tmp).
// Units then write the machine's files, not the host's: the sakura config's
// `ln -sf … /etc/localtime`, or the seeds' web server downloading to the
// fixed path /tmp/osdn-test-webserver.tar, which two machines of a one-host
// cluster would otherwise race on (one `docker load` reading the other's
// half-written tar). The docker client reads `docker load -i /tmp/…` inside
// the unit's namespace and streams it to dockerd, so the seed still works.
//
// The mounts are private to the machine (propagation private) and vanish
// with its last process; nothing is left mounted on the host.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_JSON } from './paths.js';

export interface PrivateMounts {
  etc: boolean;
  tmp: boolean;
}

/** Marks the inner `coracle node` (already in its namespace) so it does not re-enter. */
export const PRIVATE_MOUNTS_ENV = 'CORACLE_PRIVATE_MOUNTS';

/**
 * Binding <root>/tmp over /tmp would hide whatever of the host's /tmp the
 * machine itself needs: its root when that lies under /tmp (as test roots
 * do), and the coracle package and Node binary its units run (a clone under
 * /tmp, as in CI). The first directory below /tmp of each such path (e.g.
 * /tmp/coracle-cluster-x) is bound back at the same path inside the new
 * /tmp. Pure: returns those directories, without duplicates.
 */
export function hostTmpToKeep(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const rel = path.relative('/tmp', p);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    out.add(path.join('/tmp', rel.split(path.sep)[0]!));
  }
  return [...out];
}

/**
 * The sh script run under `unshare --mount --propagation private -- sh -c`,
 * with $0 = the root, then the host directories to keep (hostTmpToKeep),
 * then `--`, then the command. Pure: what is mounted depends only on `m`.
 */
export function privateMountScript(m: PrivateMounts): string {
  const lines = ['set -e', 'root=$0'];
  // The inner node boots the root, so on a first boot etc/ does not exist yet.
  if (m.etc) lines.push('mkdir -p "$root/etc" && mount --bind "$root/etc" /etc');
  if (m.tmp) lines.push('mkdir -p "$root/tmp" && chmod 1777 "$root/tmp"');
  lines.push(
    'while [ "$1" != -- ]; do',
    // The mount point of a kept host directory is an empty directory in the
    // machine's tmp/ on the host; only this namespace sees it filled.
    '  mkdir -p "$root/tmp/${1#/tmp/}" && mount --bind "$1" "$root/tmp/${1#/tmp/}"; shift',
    'done',
    'shift',
  );
  // rbind, so the kept directories' binds come along.
  if (m.tmp) lines.push('mount --rbind "$root/tmp" /tmp');
  lines.push('exec "$@"');
  return lines.join('\n');
}

/** argv that runs `command` in the machine's own mount namespace. */
export function privateMountArgv(root: string, m: PrivateMounts, command: readonly string[]): string[] {
  const abs = realPath(root);
  const keep = m.tmp ? hostTmpToKeep([abs, ...[PACKAGE_JSON, process.execPath, ...command.filter((a) => a.startsWith('/'))].map(realPath)]) : [];
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', privateMountScript(m), abs, ...keep, '--', ...command];
}

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * Whether this host lets a machine have its own mounts: root (mounting needs
 * CAP_SYS_ADMIN) and a working `unshare --mount` (a container may forbid it).
 * Returns null when it does, else the reason it does not.
 */
export function privateMountsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root (mounting needs it)';
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `unshare(1) cannot be run: ${r.error.message}`;
  if (r.status !== 0) return `unshare --mount fails here: ${(r.stderr || '').trim() || `exit ${r.status}`}`;
  return null;
}
