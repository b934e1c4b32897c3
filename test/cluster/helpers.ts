// Independent checks for cluster tests: what runs and what listens, read
// from /proc and the kernel's socket table, never from coracle's state file.
import fs from 'node:fs';

/** PIDs (not this process) whose command line, environment or working directory mention `needle`. */
export function processesMentioning(needle: string): { pid: number; cmdline: string }[] {
  const out: { pid: number; cmdline: string }[] = [];
  for (const n of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z') continue;
      const cmdline = fs.readFileSync(`/proc/${n}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const environ = fs.readFileSync(`/proc/${n}/environ`, 'utf8');
      let cwd = '';
      try {
        cwd = fs.readlinkSync(`/proc/${n}/cwd`);
      } catch {
        // not ours to read
      }
      if (cmdline.includes(needle) || environ.includes(needle) || cwd.startsWith(needle)) out.push({ pid: Number(n), cmdline });
    } catch {
      // gone
    }
  }
  return out;
}

/** LISTEN sockets (IPv4) on the given addresses, from /proc/net/tcp. */
export function listenersOn(addresses: readonly string[]): string[] {
  const text = fs.readFileSync('/proc/net/tcp', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A') continue;
    const [hex, port] = f[1]!.split(':') as [string, string];
    const n = parseInt(hex, 16);
    const ip = [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
    if (addresses.includes(ip)) out.push(`${ip}:${parseInt(port, 16)}`);
  }
  return out;
}

/**
 * A cluster test's cleanup, whatever state it failed in: `cluster down` if a
 * state file remains (`down` runs it), then SIGKILL to any process still
 * mentioning the directory, then the directory itself.
 */
export function tearDownCluster(dir: string, down: () => void, removeDir = dir): void {
  if (fs.existsSync(`${dir}/cluster.json`)) down();
  for (const p of processesMentioning(dir)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  fs.rmSync(removeDir, { recursive: true, force: true });
}
