// The listening sockets of socket units: opened with the native addon
// (native/sockets.c) because Node's own servers accept every connection at
// once, while socket activation needs a socket that is held, watched for a
// waiting connection without accepting it, and handed to a service as fd 3….
// Unix socket paths name places inside the machine root, as every other
// machine path does (ListenStream=/run/fleet.sock is <root>/run/fleet.sock).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SocketListen, SocketSettings } from '../../units/index.js';

interface Addon {
  listen(o: { kind: string; family: string; host?: string; port?: number; path?: string; backlog?: number; v6only?: number }): number;
  watch(fd: number, cb: (status: number) => void): object;
  arm(w: object): void;
  disarm(w: object): void;
  unwatch(w: object): void;
  accept(fd: number): { fd: number; local: string; remote: string } | null;
}

/** The package's root: where binding.gyp built build/Release. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'binding.gyp'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('coracle: cannot find the package root (binding.gyp) to load the sockets addon');
    dir = up;
  }
  return dir;
}

let addon: Addon | null = null;
let addonError: string | null = null;
function loadAddon(): Addon {
  if (addon) return addon;
  if (addonError) throw new Error(addonError);
  try {
    addon = createRequire(import.meta.url)(path.join(packageRoot(), 'build/Release/coracle_sockets.node')) as Addon;
    return addon;
  } catch (e) {
    addonError = `the sockets addon is not built (npm ci builds it with node-gyp): ${(e as Error).message}`;
    throw new Error(addonError);
  }
}

/** The helper that sets LISTEN_PID to the service's own pid and execs it (native/listen-exec.c). */
export function listenExecPath(): string {
  return path.join(packageRoot(), 'build/Release/listen-exec');
}

/** Where a unix socket path of the machine lives on the host: inside the root, /var/run being /run. */
export function socketPathInRoot(root: string, p: string): string {
  const machinePath = p.startsWith('/var/run/') ? p.slice('/var'.length) : p;
  return path.join(root, machinePath);
}

interface Held {
  listen: SocketListen;
  fd: number;
  watch: object | null;
  /** For unix sockets: the file on the host. */
  file: string | null;
}

export interface PassedFd {
  fd: number;
  name: string;
}

export class ListeningSockets {
  private held = new Map<string, { fds: Held[]; name: string; settings: SocketSettings }>();
  /** Accept=yes connections the init still holds, by id. */
  private connections = new Map<number, number>();
  private nextConnection = 1;

  constructor(private root: string, private onReady: (unit: string) => void) {}

  /** Opens every Listen*= of the unit; on failure closes what it opened and throws (the message names the address). */
  open(unit: string, s: SocketSettings): void {
    const a = loadAddon();
    this.close(unit, false);
    const fds: Held[] = [];
    try {
      for (const l of s.listen) fds.push(this.openOne(a, l, s));
    } catch (e) {
      for (const h of fds) closeFd(h.fd);
      throw e;
    }
    this.held.set(unit, { fds, name: s.fileDescriptorName ?? unit, settings: s });
  }

  private openOne(a: Addon, l: SocketListen, s: SocketSettings): Held {
    const kind = l.kind;
    const addr = l.address;
    const fail = (e: unknown): never => {
      throw new Error(`${l.text}: ${(e as Error).message}`);
    };
    try {
      switch (addr.family) {
        case 'inet':
          return { listen: l, fd: a.listen({ kind, family: 'inet', host: addr.host, port: addr.port, backlog: s.backlog }), watch: null, file: null };
        case 'inet6':
          return { listen: l, fd: a.listen({ kind, family: 'inet6', host: addr.host, port: addr.port, backlog: s.backlog, v6only: v6only(s) }), watch: null, file: null };
        case 'any':
          // A bare port: [::] for both families, or 0.0.0.0 where the host has no IPv6.
          try {
            return { listen: l, fd: a.listen({ kind, family: 'inet6', host: '::', port: addr.port, backlog: s.backlog, v6only: v6only(s) }), watch: null, file: null };
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT') throw e;
            return { listen: l, fd: a.listen({ kind, family: 'inet', host: '0.0.0.0', port: addr.port, backlog: s.backlog }), watch: null, file: null };
          }
        case 'abstract':
          return { listen: l, fd: a.listen({ kind, family: 'abstract', path: addr.name, backlog: s.backlog }), watch: null, file: null };
        case 'unix': {
          const file = socketPathInRoot(this.root, addr.path);
          fs.mkdirSync(path.dirname(file), { recursive: true });
          // A socket file left by an earlier run is replaced, as systemd does on EADDRINUSE.
          try {
            if (fs.lstatSync(file).isSocket()) fs.unlinkSync(file);
          } catch {
            // not there
          }
          if (Buffer.byteLength(file) > 107) throw new Error(`socket path ${file} is longer than 107 bytes (sun_path); use a shorter machine root`);
          const fd = a.listen({ kind, family: 'unix', path: file, backlog: s.backlog });
          fs.chmodSync(file, s.socketMode);
          return { listen: l, fd, watch: null, file };
        }
      }
    } catch (e) {
      return fail(e);
    }
  }

  /** The unit's fds in Listen*= order, each with its FileDescriptorName= (default: the unit's name). */
  fds(unit: string): PassedFd[] {
    const h = this.held.get(unit);
    return h ? h.fds.map((f) => ({ fd: f.fd, name: h.name })) : [];
  }

  /** Host paths of the unit's unix sockets (for status and tests). */
  files(unit: string): string[] {
    return (this.held.get(unit)?.fds ?? []).map((f) => f.file).filter((f): f is string => f !== null);
  }

  /** on: report the next waiting connection or datagram on any of the unit's sockets, once. */
  watch(unit: string, on: boolean): void {
    const h = this.held.get(unit);
    if (!h) return;
    const a = loadAddon();
    for (const f of h.fds) {
      if (!on) {
        if (f.watch) a.disarm(f.watch);
        continue;
      }
      f.watch ??= a.watch(f.fd, () => {
        // One report per arming: the other fds of the unit stop too until the core asks again.
        for (const g of h.fds) if (g.watch) a.disarm(g.watch);
        if (this.held.get(unit) === h) this.onReady(unit);
      });
      a.arm(f.watch);
    }
  }

  /** Accept=yes: accepts one waiting connection on any of the unit's sockets. */
  accept(unit: string): { connection: number; local: string; remote: string } | null {
    const h = this.held.get(unit);
    if (!h) return null;
    const a = loadAddon();
    for (const f of h.fds) {
      if (f.listen.kind !== 'stream') continue;
      const c = a.accept(f.fd);
      if (!c) continue;
      const id = this.nextConnection++;
      this.connections.set(id, c.fd);
      return { connection: id, local: c.local, remote: c.remote };
    }
    return null;
  }

  connectionFd(id: number): number | null {
    return this.connections.get(id) ?? null;
  }

  closeConnection(id: number): void {
    const fd = this.connections.get(id);
    if (fd === undefined) return;
    this.connections.delete(id);
    closeFd(fd);
  }

  /** Closes the unit's sockets; unix socket files go too with RemoveOnStop= (or `removeFiles`). */
  close(unit: string, removeFiles?: boolean): void {
    const h = this.held.get(unit);
    if (!h) return;
    this.held.delete(unit);
    const a = addon;
    for (const f of h.fds) {
      if (f.watch && a) a.unwatch(f.watch);
      closeFd(f.fd);
      if (f.file && (removeFiles ?? h.settings.removeOnStop)) fs.rmSync(f.file, { force: true });
    }
  }

  closeAll(): void {
    for (const unit of [...this.held.keys()]) this.close(unit);
    for (const id of [...this.connections.keys()]) this.closeConnection(id);
  }
}

function v6only(s: SocketSettings): number {
  return s.bindIPv6Only === 'ipv6-only' ? 1 : s.bindIPv6Only === 'both' ? 0 : -1;
}

function closeFd(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}
