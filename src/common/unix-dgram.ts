// Unix datagram sockets (sd_notify's transport), which Node lacks: the
// well-kept unix-dgram addon, loaded in one place for the notify sender
// (src/etcd/notify.ts) and the init's receiving sockets.
import { createRequire } from 'node:module';

export interface UnixDgramSocket {
  bind(path: string): void;
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  close(): void;
  on(event: 'error', cb: (err: Error) => void): void;
  on(event: 'message', cb: (buf: Buffer) => void): void;
}

const require = createRequire(import.meta.url);
const addon = require('unix-dgram') as { createSocket(type: 'unix_dgram', onMessage?: (buf: Buffer) => void): UnixDgramSocket };

export function createUnixDgramSocket(onMessage?: (buf: Buffer) => void): UnixDgramSocket {
  return addon.createSocket('unix_dgram', onMessage);
}
