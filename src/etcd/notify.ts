// Tell the supervisor we are ready (systemd's sd_notify protocol): one
// datagram "READY=1" to the unix socket named by $NOTIFY_SOCKET. CoreOS ran
// etcd2 as Type=notify; coracle's init reads the same protocol. Node has no
// unix datagram sockets of its own, so the well-kept unix-dgram addon sends it.
import { createUnixDgramSocket } from '../common/unix-dgram.js';

/** Send `state` (e.g. "READY=1") if a supervisor asked for notifications; resolves false when none did. */
export function sdNotify(state: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const target = env.NOTIFY_SOCKET;
  if (!target) return Promise.resolve(false);
  // "@name" is an abstract socket: its address starts with a NUL byte.
  const path = target.startsWith('@') ? `\0${target.slice(1)}` : target;
  return new Promise((resolve, reject) => {
    const sock = createUnixDgramSocket();
    sock.on('error', (err) => {
      sock.close();
      reject(err);
    });
    const buf = Buffer.from(state);
    sock.send(buf, 0, buf.length, path, (err) => {
      sock.close();
      if (err) reject(err);
      else resolve(true);
    });
  });
}
