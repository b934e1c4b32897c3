// Sockets handed to a daemon by its init (socket activation), read the way
// sd_listen_fds(3) reads them: LISTEN_PID must name this process, LISTEN_FDS
// says how many fds start at 3, LISTEN_FDNAMES names them (colon-separated).
// A daemon serves on one with `server.listen({ fd })`. coracle's init sets
// LISTEN_PID through a small exec helper, so the check holds as on systemd.

export const SD_LISTEN_FDS_START = 3;

export interface ListenFd {
  fd: number;
  /** FileDescriptorName= of the socket unit (its unit name by default), or "unknown" as sd_listen_fds_with_names() says. */
  name: string;
}

export interface ListenFdsOptions {
  env?: NodeJS.ProcessEnv;
  pid?: number;
  /** Remove LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES so children do not see them (default true, as most daemons call it). */
  unsetEnvironment?: boolean;
}

/** The passed fds, or [] when none were passed to this process. Throws on malformed variables. */
export function listenFds(opts: ListenFdsOptions = {}): ListenFd[] {
  const env = opts.env ?? process.env;
  const pid = opts.pid ?? process.pid;
  try {
    const listenPid = env.LISTEN_PID;
    if (listenPid === undefined || listenPid === '') return [];
    if (!/^\d+$/.test(listenPid)) throw new Error(`LISTEN_PID is not a pid: ${JSON.stringify(listenPid)}`);
    // Meant for another process (we were exec'd by the daemon, or inherited the environment).
    if (Number(listenPid) !== pid) return [];
    const count = env.LISTEN_FDS;
    if (count === undefined || !/^\d+$/.test(count)) throw new Error(`LISTEN_FDS is not a number: ${JSON.stringify(count)}`);
    const n = Number(count);
    const names = env.LISTEN_FDNAMES === undefined ? [] : env.LISTEN_FDNAMES.split(':');
    if (env.LISTEN_FDNAMES !== undefined && names.length !== n) {
      throw new Error(`LISTEN_FDNAMES names ${names.length} fds but LISTEN_FDS says ${n}`);
    }
    return Array.from({ length: n }, (_, i) => ({ fd: SD_LISTEN_FDS_START + i, name: names[i] ?? 'unknown' }));
  } finally {
    if (opts.unsetEnvironment ?? true) {
      delete env.LISTEN_PID;
      delete env.LISTEN_FDS;
      delete env.LISTEN_FDNAMES;
    }
  }
}

/** The first passed fd named `name` (e.g. "fleet.socket"), else the first passed fd when it is the only one, else null. */
export function listenFdNamed(fds: readonly ListenFd[], name: string): number | null {
  const named = fds.find((f) => f.name === name);
  if (named) return named.fd;
  return fds.length === 1 ? fds[0]!.fd : null;
}
