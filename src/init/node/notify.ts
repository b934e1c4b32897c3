// The receiving side of sd_notify: one unix datagram socket per unit that may
// notify, so the socket a message arrives on names its unit (the unix-dgram
// addon gives no sender credentials). Messages are "KEY=VALUE" lines.
import { createHash } from 'node:crypto';
import { createUnixDgramSocket, type UnixDgramSocket } from '../../common/unix-dgram.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';


/** sockaddr_un holds 108 bytes with the NUL. */
const MAX_SUN_PATH = 107;

export function parseNotifyMessage(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

export class NotifySockets {
  private open = new Map<string, { sock: UnixDgramSocket; path: string }>();

  constructor(private dir: string, private onMessage: (unit: string, fields: Record<string, string>) => void) {}

  /** The socket path for `unit`, opening it if needed. */
  socketFor(unit: string): string {
    const known = this.open.get(unit);
    if (known) return known.path;
    let p = path.join(this.dir, unit);
    if (Buffer.byteLength(p) > MAX_SUN_PATH) {
      // A deep root: fall back to a short path that still names the unit uniquely.
      const h = createHash('sha256').update(p).digest('hex').slice(0, 16);
      p = path.join(os.tmpdir(), `coracle-notify-${h}`);
    }
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.rmSync(p, { force: true });
    const sock = createUnixDgramSocket();
    sock.on('message', (buf) => this.onMessage(unit, parseNotifyMessage(buf.toString('utf8'))));
    sock.on('error', () => this.close(unit));
    sock.bind(p);
    this.open.set(unit, { sock, path: p });
    return p;
  }

  close(unit: string): void {
    const s = this.open.get(unit);
    if (!s) return;
    this.open.delete(unit);
    try {
      s.sock.close();
    } catch {
      // already closed
    }
    fs.rmSync(s.path, { force: true });
  }

  closeAll(): void {
    for (const u of [...this.open.keys()]) this.close(u);
  }
}
