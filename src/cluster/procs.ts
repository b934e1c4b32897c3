// Finding a machine's processes and listening sockets from the kernel's own
// tables, not from what coracle remembers: every unit process carries
// CORACLE_ROOT=<root> (the init exports it), `coracle node` itself carries
// CORACLE_NODE_ROOT=<root> (the launcher sets it), and with cgroup tracking
// each unit's processes sit in coracle/<root tag>/<unit>.
import fs from 'node:fs';
import path from 'node:path';
import { rootTag } from '../init/node/root.js';
import { isAlive } from '../init/node/tracker.js';

function readEnviron(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** Whether `pid` exists and is not a zombie (the init's own check). */
export const isRunning = isAlive;

function cgroupPids(tag: string): number[] {
  const out: number[] = [];
  const walk = (dir: string): void => {
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of names) {
      if (d.isDirectory()) walk(path.join(dir, d.name));
      else if (d.name === 'cgroup.procs') {
        try {
          for (const l of fs.readFileSync(path.join(dir, d.name), 'utf8').split('\n')) if (l !== '') out.push(Number(l));
        } catch {
          // gone
        }
      }
    }
  };
  let controllers: string[] = [];
  try {
    controllers = fs.readdirSync('/sys/fs/cgroup');
  } catch {
    return out;
  }
  for (const c of controllers) walk(path.join('/sys/fs/cgroup', c, 'coracle', tag));
  return out;
}

/** Every live process of the machine on `root` (the node and all its units' processes). */
export function machineProcesses(root: string): number[] {
  const abs = path.resolve(root);
  const marks = [`CORACLE_ROOT=${abs}`, `CORACLE_NODE_ROOT=${abs}`];
  const found = new Set<number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const env = readEnviron(pid);
    if (env.some((e) => marks.includes(e)) && isRunning(pid)) found.add(pid);
  }
  for (const pid of cgroupPids(rootTag(abs))) if (pid !== process.pid && isRunning(pid)) found.add(pid);
  return [...found].sort((a, b) => a - b);
}

/** IPv4 "a.b.c.d" of /proc/net/tcp's little-endian hex. */
function hexToIpv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

export interface Listener {
  address: string;
  port: number;
}

/** TCP sockets in LISTEN state, from /proc/net/tcp. */
export function listeningTcp(): Listener[] {
  let text = '';
  try {
    text = fs.readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return [];
  }
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A') continue;
    const [ip, port] = f[1]!.split(':') as [string, string];
    out.push({ address: hexToIpv4(ip), port: parseInt(port, 16) });
  }
  return out;
}
