// Under a supervisor (CoreOS ran etcd2 as Type=notify), coracle etcd says
// READY=1 on $NOTIFY_SOCKET once it has joined and serves clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { CORACLE, request, tempDir } from './members.js';

interface DgramSocket {
  bind(path: string): void;
  close(): void;
}
const require = createRequire(import.meta.url);
const unix = require('unix-dgram') as { createSocket(type: 'unix_dgram', onMessage: (buf: Buffer) => void): DgramSocket };

test('coracle etcd sends READY=1 to NOTIFY_SOCKET once it serves clients', async () => {
  const dir = tempDir('coracle-notify-');
  const sockPath = path.join(dir, 'notify.sock');
  const got: string[] = [];
  let servingWhenNotified = false;
  const addr = '127.0.0.19';
  const notified = new Promise<void>((resolve) => {
    const sock = unix.createSocket('unix_dgram', (buf) => {
      got.push(buf.toString());
      void request('GET', `http://${addr}:2379/v2/keys/`).then(
        (r) => {
          servingWhenNotified = r.status === 200;
          sock.close();
          resolve();
        },
        () => {
          sock.close();
          resolve();
        },
      );
    });
    sock.bind(sockPath);
  });
  const proc = spawn(
    process.execPath,
    [CORACLE, 'etcd', '--name', 'n1', '--data-dir', path.join(dir, 'n1'),
      '--listen-client-urls', `http://${addr}:2379`, '--advertise-client-urls', `http://${addr}:2379`,
      '--listen-peer-urls', `http://${addr}:2380`, '--initial-advertise-peer-urls', `http://${addr}:2380`,
      '--initial-cluster', `n1=http://${addr}:2380`, '--heartbeat-interval', '50', '--election-timeout', '500'],
    { stdio: 'ignore', env: { ...process.env, NOTIFY_SOCKET: sockPath } },
  );
  try {
    await Promise.race([notified, new Promise((_, reject) => setTimeout(() => reject(new Error('no READY=1 within 15 s')), 15000))]);
    assert.deepEqual(got, ['READY=1']);
    assert.ok(servingWhenNotified, 'the member answered client requests when it said READY=1');
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
