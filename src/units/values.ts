// Small value parsers shared by the settings: signals, exit statuses, socket
// addresses, file modes. Each returns null for input systemd rejects.

/** Linux signal numbers by name (signal(7), x86/arm numbering). */
export const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17,
  SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25,
  SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/**
 * signal_from_string(): `SIGTERM`, `TERM`, `SIGRTMIN+3`, `RTMIN+3`,
 * `RTMAX-1`, or a number 1..64.
 */
export function parseSignal(text: string): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= 1 && n <= SIGRTMAX ? n : null;
  }
  const name = text.startsWith('SIG') ? text : `SIG${text}`;
  const known = SIGNALS[name];
  if (known !== undefined) return known;
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (!rt) return null;
  const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
  const off = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === '-' ? -1 : 1);
  if (rt[1] === 'MIN' && rt[2] === '-') return null;
  if (rt[1] === 'MAX' && rt[2] === '+') return null;
  const n = base + off;
  return n >= SIGRTMIN && n <= SIGRTMAX ? n : null;
}

/** Symbolic exit statuses systemd knows (exit-status.c): LSB, BSD sysexits and systemd's own. */
export const EXIT_STATUS_NAMES: Readonly<Record<string, number>> = {
  SUCCESS: 0, FAILURE: 1, INVALIDARGUMENT: 2, NOTIMPLEMENTED: 3, NOPERMISSION: 4, NOTINSTALLED: 5,
  NOTCONFIGURED: 6, NOTRUNNING: 7,
  USAGE: 64, DATAERR: 65, NOINPUT: 66, NOUSER: 67, NOHOST: 68, UNAVAILABLE: 69, SOFTWARE: 70, OSERR: 71,
  OSFILE: 72, CANTCREAT: 73, IOERR: 74, TEMPFAIL: 75, PROTOCOL: 76, NOPERM: 77, CONFIG: 78,
  CHDIR: 200, NICE: 201, FDS: 202, EXEC: 203, MEMORY: 204, LIMITS: 205, OOM_ADJUST: 206, SIGNAL_MASK: 207,
  STDIN: 208, STDOUT: 209, CHROOT: 210, IOPRIO: 211, TIMERSLACK: 212, SECUREBITS: 213, SETSCHEDULER: 214,
  CPUAFFINITY: 215, GROUP: 216, USER: 217, CAPABILITIES: 218, CGROUP: 219, SETSID: 220, CONFIRM: 221,
  STDERR: 222, PAM: 224, NETWORK: 225, NAMESPACE: 226, NO_NEW_PRIVILEGES: 227, SECCOMP: 228,
  SELINUX_CONTEXT: 229, PERSONALITY: 230, APPARMOR_PROFILE: 231, ADDRESS_FAMILIES: 232,
  RUNTIME_DIRECTORY: 233, CHOWN: 235, SMACK_PROCESS_LABEL: 236, KEYRING: 237, STATE_DIRECTORY: 238,
  CACHE_DIRECTORY: 239, LOGS_DIRECTORY: 240, CONFIGURATION_DIRECTORY: 241, NUMA_POLICY: 242,
  CREDENTIALS: 243, BPF: 245, EXCEPTION: 255,
};

/** exit_status_from_string(): 0..255 or a symbolic name. */
export function parseExitStatus(text: string): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 255 ? n : null;
  }
  return EXIT_STATUS_NAMES[text] ?? null;
}

export type SocketAddress =
  | { family: 'inet'; host: string; port: number }
  | { family: 'inet6'; host: string; port: number }
  /** A bare port: systemd binds [::] (or 0.0.0.0 without IPv6). */
  | { family: 'any'; port: number }
  | { family: 'unix'; path: string }
  /** Linux abstract namespace socket: `@name`. */
  | { family: 'abstract'; name: string };

export type AddressResult = { ok: true; address: SocketAddress } | { ok: false; error: string };

const ERANGE = 'Numerical result out of range';
const EINVAL = 'Invalid argument';

function parsePort(s: string): number | 'range' | null {
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : 'range';
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** socket_address_parse() for the forms coracle serves: port, v4:port, [v6]:port, /path, @abstract. */
export function parseSocketAddress(text: string): AddressResult {
  if (text.startsWith('/')) return { ok: true, address: { family: 'unix', path: text } };
  if (text.startsWith('@')) return { ok: true, address: { family: 'abstract', name: text.slice(1) } };
  const v6 = /^\[([0-9A-Fa-f:.]+)\]:(.*)$/.exec(text);
  if (v6) {
    const port = parsePort(v6[2]!);
    if (port === null) return { ok: false, error: EINVAL };
    if (port === 'range') return { ok: false, error: ERANGE };
    return { ok: true, address: { family: 'inet6', host: v6[1]!, port } };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) {
    const port = parsePort(text);
    if (port === null) return { ok: false, error: EINVAL };
    if (port === 'range') return { ok: false, error: ERANGE };
    return { ok: true, address: { family: 'any', port } };
  }
  const host = text.slice(0, colon);
  const port = parsePort(text.slice(colon + 1));
  if (!isIPv4(host) || port === null) return { ok: false, error: EINVAL };
  if (port === 'range') return { ok: false, error: ERANGE };
  return { ok: true, address: { family: 'inet', host, port } };
}

/** parse_mode(): an octal file mode up to 07777. */
export function parseMode(text: string): number | null {
  if (!/^[0-7]+$/.test(text)) return null;
  const n = parseInt(text, 8);
  return n <= 0o7777 ? n : null;
}
