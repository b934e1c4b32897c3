// Prepares one Exec*= command for spawning, as systemd's executor would:
// the environment (Environment=, then EnvironmentFile= read inside the
// machine root, then the stage's variables), $VAR expansion, the executable
// looked up on the host, WorkingDirectory=, User=/Group=. A problem becomes
// the executor's exit status (203/EXEC, 200/CHDIR, 217/USER, 216/GROUP).
import fs from 'node:fs';
import path from 'node:path';
import { expandExecArgv, parseEnvironmentFile, type ExecCommand, type ServiceSettings } from '../../units/index.js';
import { EXIT_CHDIR, EXIT_EXEC, EXIT_GROUP, EXIT_USER } from '../states.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Prepared {
  file: string;
  args: string[];
  argv0: string;
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
}

export type PrepareResult = { ok: true; spawn: Prepared } | { ok: false; status: number; error: string };

interface Passwd { name: string; uid: number; gid: number; home: string; shell: string }

function readTable(file: string): string[][] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** A user by name or numeric id, from the host's /etc/passwd. */
export function lookupUser(user: string): Passwd | null {
  for (const f of readTable('/etc/passwd')) {
    if (f[0] === user || (/^\d+$/.test(user) && f[2] === user)) {
      return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/', shell: f[6] ?? '/bin/sh' };
    }
  }
  if (/^\d+$/.test(user)) return { name: user, uid: Number(user), gid: Number(user), home: '/', shell: '/bin/sh' };
  return null;
}

export function lookupGroup(group: string): number | null {
  if (/^\d+$/.test(group)) return Number(group);
  const row = readTable('/etc/group').find((f) => f[0] === group);
  return row ? Number(row[2]) : null;
}

function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The executable: an absolute path as given, else the first match in PATH. */
export function findExecutable(name: string, searchPath = DEFAULT_PATH): string | null {
  if (name.startsWith('/')) return isExecutable(name) ? name : null;
  for (const dir of searchPath.split(':')) {
    const p = path.join(dir, name);
    if (isExecutable(p)) return p;
  }
  return null;
}

export interface ExecContext {
  root: string;
  /** Variables every process of the unit gets (PATH, CORACLE_ROOT, the marker, NOTIFY_SOCKET…). */
  base: Record<string, string>;
  /** The stage's own variables (MAINPID, SERVICE_RESULT…). */
  stage: Record<string, string>;
}

/** Reads the EnvironmentFile= list inside the root; a missing file without `-` is an error. */
export function readEnvironmentFiles(svc: ServiceSettings, root: string): { env: Record<string, string> } | { error: string } {
  const env: Record<string, string> = {};
  for (const ref of svc.environmentFiles) {
    const file = path.join(root, ref.path);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if (ref.optional) continue;
      return { error: `Failed to load environment files: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message} (${ref.path})` };
    }
    Object.assign(env, parseEnvironmentFile(text).env);
  }
  return { env };
}

export function prepareExec(cmd: ExecCommand, svc: ServiceSettings, ctx: ExecContext): PrepareResult {
  const files = readEnvironmentFiles(svc, ctx.root);
  if ('error' in files) return { ok: false, status: EXIT_EXEC, error: files.error };
  const env: Record<string, string> = { PATH: DEFAULT_PATH, ...ctx.base, ...svc.environment, ...files.env, ...ctx.stage };

  let uid: number | undefined;
  let gid: number | undefined;
  let home = '/root';
  const switchUser = !cmd.fullPrivileges && !cmd.noSetuid && !cmd.ambientMagic;
  if (switchUser && svc.user) {
    const u = lookupUser(svc.user);
    if (!u) return { ok: false, status: EXIT_USER, error: `Failed to determine user credentials: No such process (User=${svc.user})` };
    uid = u.uid;
    gid = u.gid;
    home = u.home;
    Object.assign(env, { USER: u.name, LOGNAME: u.name, HOME: u.home, SHELL: u.shell }, svc.environment, files.env, ctx.stage);
  }
  if (switchUser && svc.group) {
    const g = lookupGroup(svc.group);
    if (g === null) return { ok: false, status: EXIT_GROUP, error: `Failed to determine group credentials: No such process (Group=${svc.group})` };
    gid = g;
  }

  const argv = cmd.noEnvExpand ? [...cmd.argv] : expandExecArgv(cmd.argv, env);
  const file = findExecutable(cmd.path, env.PATH ?? DEFAULT_PATH);
  if (!file) return { ok: false, status: EXIT_EXEC, error: 'No such file or directory' };

  let cwd = '/';
  if (svc.workingDirectory) {
    const want = svc.workingDirectory === '~' ? home : svc.workingDirectory;
    let ok = false;
    try {
      ok = fs.statSync(want).isDirectory();
    } catch {
      ok = false;
    }
    if (ok) cwd = want;
    else if (!svc.workingDirectoryMissingOk) return { ok: false, status: EXIT_CHDIR, error: `Changing to the requested working directory failed: No such file or directory (${want})` };
  }
  const spawn: Prepared = { file, args: argv.slice(1), argv0: argv[0] ?? file, env, cwd };
  if (uid !== undefined) spawn.uid = uid;
  if (gid !== undefined) spawn.gid = gid;
  return { ok: true, spawn };
}
