// Socket units: the init holds listening sockets, starts the service on the
// first connection without accepting it, and hands the sockets over as fd 3….
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE, tempRoot, waitFor, waitState, withNode, writeUnit } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const LISTEN_FDS_HELPER = path.resolve(here, '../../src/common/listen-fds.js');

/**
 * A service that serves on the passed fd(s) with coracle's listen-fds helper:
 * answers every connection with what it was given, then keeps running.
 */
function writeServer(root: string): string {
  const file = path.join(root, 'srv', 'answer.mjs');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, [
    `import net from 'node:net';`,
    `import { listenFds } from ${JSON.stringify(LISTEN_FDS_HELPER)};`,
    `const seen = { LISTEN_FDS: process.env.LISTEN_FDS, LISTEN_FDNAMES: process.env.LISTEN_FDNAMES, LISTEN_PID: process.env.LISTEN_PID, pid: String(process.pid) };`,
    `const fds = listenFds();`,
    `for (const { fd, name } of fds) net.createServer((c) => c.end(JSON.stringify({ ...seen, name, fd }) + '\\n')).listen({ fd });`,
    `console.log('serving on ' + fds.length + ' fds');`,
    '',
  ].join('\n'));
  return file;
}

function ask(opts: net.NetConnectOpts): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const c = net.connect(opts);
    c.setTimeout(10_000, () => c.destroy(new Error('no answer in 10 s')));
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', (d) => (buf += d));
    c.on('end', () => {
      try {
        resolve(JSON.parse(buf) as Record<string, unknown>);
      } catch (e) {
        reject(new Error(`bad answer ${JSON.stringify(buf)}: ${(e as Error).message}`));
      }
    });
    c.on('error', reject);
  });
}

/** A port on 127.0.0.11x that is free now. */
async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

test('socket: a TCP socket starts its service on the first connection, which the service answers on fd 3 with LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES', async () => {
  const host = '127.0.0.110';
  const port = await freePort(host);
  await withNode(async (node, root) => {
    const server = writeServer(root);
    writeUnit(root, 'answer.socket', `[Unit]\nDescription=Answer Socket\n[Socket]\nListenStream=${host}:${port}\n[Install]\nWantedBy=sockets.target\n`);
    writeUnit(root, 'answer.service', `[Unit]\nDescription=Answer\n[Service]\nExecStart=${NODE} ${server}\n`);
    const r = await node.request('start', 'answer.socket');
    assert.ok(r.ok && r.result === 'done');
    const s = node.status('answer.socket');
    assert.equal(`${s.activeState}/${s.subState}`, 'active/listening');
    assert.deepEqual(s.socket?.listen, [{ type: 'Stream', address: `${host}:${port}` }]);
    assert.equal(s.socket?.triggers, 'answer.service');
    // The service does not run until someone connects.
    assert.equal(node.status('answer.service').activeState, 'inactive');

    const got = await ask({ host, port, localAddress: host });
    const svc = await waitState(node, 'answer.service', 'active/running');
    assert.equal(got.LISTEN_FDS, '1');
    assert.equal(got.LISTEN_FDNAMES, 'answer.socket');
    assert.equal(got.LISTEN_PID, got.pid, 'LISTEN_PID names the service process itself');
    assert.equal(String(svc.mainPid), got.pid);
    assert.equal(got.fd, 3);
    assert.equal(node.status('answer.socket').subState, 'running');
    assert.deepEqual(node.status('answer.service').triggeredBy, ['answer.socket']);
  });
});

test('socket: with the service stopped the socket keeps listening; a connection waits in the queue and is answered after the service is started again', async () => {
  const host = '127.0.0.111';
  const port = await freePort(host);
  await withNode(async (node, root) => {
    const server = writeServer(root);
    writeUnit(root, 'q.socket', `[Socket]\nListenStream=${host}:${port}\nService=q-server.service\n`);
    writeUnit(root, 'q-server.service', `[Service]\nExecStart=${NODE} ${server}\n`);
    assert.ok((await node.request('start', 'q.socket')).ok);
    const first = await ask({ host, port, localAddress: host });
    await waitState(node, 'q-server.service', 'active/running');
    const stop = await node.request('stop', 'q-server.service');
    assert.ok(stop.ok && stop.result === 'done');
    await waitState(node, 'q.socket', 'active/listening');
    // Connect while nothing serves: the kernel queues it, the init starts the service, which answers it.
    const second = await ask({ host, port, localAddress: host });
    assert.notEqual(second.pid, first.pid, 'a new service process answered');
    await waitState(node, 'q-server.service', 'active/running');

    // A restart keeps the socket: a connection made during it is answered too.
    const restarting = node.request('restart', 'q-server.service');
    const third = await ask({ host, port, localAddress: host });
    const restarted = await restarting;
    assert.ok(restarted.ok && restarted.result === 'done', 'the restart job is not replaced by the socket\'s start');
    assert.ok(third.pid);
    // Stopping the socket and its service closes the last copy of the socket: nobody listens any more.
    assert.ok((await node.request('stop', 'q.socket')).ok);
    assert.ok((await node.request('stop', 'q-server.service')).ok);
    await assert.rejects(ask({ host, port, localAddress: host }), /ECONNREFUSED/);
  });
});

test('socket: ListenStream=/var/run/fleet.sock is a unix socket inside the machine root (mode from SocketMode=), started by sockets.target at boot', async () => {
  const root = tempRoot();
  const server = writeServer(root);
  // fleet.socket as CoreOS shipped it, enabled into sockets.target.
  writeUnit(root, 'fleet.socket', '[Unit]\nDescription=fleet API Socket\nPartOf=fleet.service\n\n[Socket]\nListenStream=/var/run/fleet.sock\nSocketMode=0660\n\n[Install]\nWantedBy=sockets.target\n');
  writeUnit(root, 'fleet.service', `[Unit]\nDescription=fleet daemon\n[Service]\nExecStart=${NODE} ${server}\n`);
  fs.mkdirSync(path.join(root, 'etc/systemd/system/sockets.target.wants'), { recursive: true });
  fs.symlinkSync('../fleet.socket', path.join(root, 'etc/systemd/system/sockets.target.wants/fleet.socket'));
  await withNode(async (node) => {
    const b = await node.boot();
    assert.ok(b.ok && b.result === 'done');
    assert.equal(node.status('fleet.socket').subState, 'listening');
    const sock = path.join(root, 'run/fleet.sock');
    const st = fs.statSync(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    const got = await ask({ path: sock });
    assert.equal(got.LISTEN_FDNAMES, 'fleet.socket');
    await waitState(node, 'fleet.service', 'active/running');
    // PartOf=fleet.service: stopping the service stops the socket too.
    assert.ok((await node.request('stop', 'fleet.service')).ok);
    assert.equal(node.status('fleet.socket').activeState, 'inactive');
  }, {}, root);
});

test('socket: ListenDatagram= starts the service on the first datagram, which reads it from fd 3', async () => {
  await withNode(async (node, root) => {
    const out = path.join(root, 'got');
    const file = path.join(root, 'srv', 'dgram.sh');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // The datagram is read from fd 3 by a plain shell tool: what the service got proves the fd.
    fs.writeFileSync(file, `#!/bin/sh\necho "fds=$LISTEN_FDS" > ${out}.tmp\nexec ${NODE} -e "const fs=require('fs');const b=Buffer.alloc(100);const n=fs.readSync(3,b);fs.appendFileSync('${out}.tmp',b.subarray(0,n));fs.renameSync('${out}.tmp','${out}')"\n`, { mode: 0o755 });
    writeUnit(root, 'dg.socket', '[Socket]\nListenDatagram=/run/dg.sock\n');
    writeUnit(root, 'dg.service', `[Service]\nExecStart=${file}\n`);
    assert.ok((await node.request('start', 'dg.socket')).ok);
    const { createUnixDgramSocket } = await import('../../src/common/unix-dgram.js');
    const c = createUnixDgramSocket();
    const msg = Buffer.from('hello datagram');
    await new Promise<void>((resolve, reject) => c.send(msg, 0, msg.length, path.join(root, 'run/dg.sock'), (err) => (err ? reject(err) : resolve())));
    c.close();
    const got = await waitFor('the datagram read by the service', () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : undefined));
    assert.equal(got, 'fds=1\nhello datagram');
  });
});

test('socket: a socket whose address is taken fails with result resources, the error naming the address; the init stays up', async () => {
  const host = '127.0.0.112';
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, host, resolve));
  const port = (holder.address() as net.AddressInfo).port;
  try {
    await withNode(async (node, root) => {
      writeUnit(root, 'taken.socket', `[Socket]\nListenStream=${host}:${port}\n`);
      writeUnit(root, 'taken.service', '[Service]\nExecStart=/bin/true\n');
      const r = await node.request('start', 'taken.socket');
      assert.ok(r.ok && r.result === 'failed');
      const s = node.status('taken.socket');
      assert.equal(`${s.activeState}/${s.subState}/${s.result}`, 'failed/failed/resources');
      const lines = node.journal.read({ units: ['taken.socket'] }).map((e) => e.msg).join('\n');
      assert.match(lines, new RegExp(`${host.replace(/\./g, '\\.')}:${port}: bind: Address already in use`));
    });
  } finally {
    holder.close();
  }
});
