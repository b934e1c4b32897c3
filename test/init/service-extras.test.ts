// ExecCondition=, RestartForceExitStatus=, WatchdogSec= and Accept=yes sockets, with real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { marker, NODE, pidsWith, waitFor, waitState, withNode, writeUnit } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const UNIX_DGRAM = path.resolve(here, '../../src/common/unix-dgram.js');

function script(root: string, name: string, text: string): string {
  const file = path.join(root, 'srv', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode: 0o755 });
  return file;
}

test('service: ExecCondition= exit 0 goes on; 1–254 skips the unit (inactive, Result=exec-condition, ExecStart= not run, job done); 255 fails it', async () => {
  await withNode(async (node, root) => {
    const ran = path.join(root, 'ran');
    for (const [name, code] of [['c0', 0], ['c1', 1], ['c255', 255]] as const) {
      writeUnit(root, `${name}.service`, `[Service]\nType=oneshot\nRemainAfterExit=yes\nExecCondition=/bin/sh -c "exit ${code}"\nExecStart=/bin/sh -c "echo ${name} >> ${ran}"\n`);
    }
    const r0 = await node.request('start', 'c0.service');
    assert.ok(r0.ok && r0.result === 'done');
    assert.equal(node.status('c0.service').activeState, 'active');

    const r1 = await node.request('start', 'c1.service');
    assert.ok(r1.ok && r1.result === 'done', 'a skip is not a failed job');
    const s1 = node.status('c1.service');
    assert.equal(`${s1.activeState}/${s1.subState}/${s1.result}`, 'inactive/dead/exec-condition');
    assert.ok(node.journal.read({ units: ['c1.service'] }).some((e) => e.msg === "c1.service: Skipped due to 'exec-condition'."));

    const r255 = await node.request('start', 'c255.service');
    assert.ok(r255.ok && r255.result === 'failed');
    const s255 = node.status('c255.service');
    assert.equal(`${s255.activeState}/${s255.result}`, 'failed/exit-code');

    assert.equal(fs.readFileSync(ran, 'utf8'), 'c0\n', 'only the unit whose condition held ran ExecStart=');
  });
});

test('service: RestartForceExitStatus= restarts on that exit although Restart=no; RestartPreventExitStatus= keeps Restart=always from restarting', async () => {
  const m = marker();
  await withNode(async (node, root) => {
    const count = path.join(root, 'count');
    const first3 = script(root, 'first3.sh', `#!/bin/sh\nn=$(cat ${count} 2>/dev/null || echo 0)\necho $((n+1)) > ${count}\n[ "$n" -ge 1 ] && exec sleep ${m}\nexit 3\n`);
    writeUnit(root, 'forced.service', `[Service]\nRestart=no\nRestartSec=50ms\nRestartForceExitStatus=3\nExecStart=${first3}\n`);
    writeUnit(root, 'prevented.service', '[Service]\nRestart=always\nRestartSec=50ms\nRestartPreventExitStatus=4\nExecStart=/bin/sh -c "exit 4"\n');
    assert.ok((await node.request('start', 'forced.service')).ok);
    // Running at once (Type=simple), then exit 3, then forced back.
    const s = await waitFor('forced.service restarted', () => {
      const st = node.status('forced.service');
      return st.nRestarts === 1 && st.subState === 'running' ? st : undefined;
    });
    const sleeping = await waitFor('the second run to exec sleep', () => (pidsWith(`sleep ${m}`).length === 1 ? pidsWith(`sleep ${m}`) : undefined));
    assert.deepEqual(sleeping, [s.mainPid]);
    assert.equal(fs.readFileSync(count, 'utf8'), '2\n');

    assert.ok((await node.request('start', 'prevented.service')).ok);
    const p = await waitState(node, 'prevented.service', 'failed/failed');
    assert.equal(p.nRestarts, 0);
    assert.deepEqual(p.execMain, { code: 'exited', status: 4 });
  });
});

test('service: WatchdogSec= gives WATCHDOG_USEC; pings keep it running, silence fails it with Result=watchdog (SIGABRT), Restart=on-watchdog brings it back', async () => {
  await withNode(async (node, root) => {
    // Pings WATCHDOG=1 three times (every 200 ms), then keeps running silently.
    const pinger = script(root, 'pinger.mjs', [
      `import fs from 'node:fs';`,
      `import { createUnixDgramSocket } from ${JSON.stringify(UNIX_DGRAM)};`,
      `fs.appendFileSync(process.argv[2], 'WATCHDOG_USEC=' + process.env.WATCHDOG_USEC + '\\n');`,
      `const s = createUnixDgramSocket();`,
      `let n = 0;`,
      `const t = setInterval(() => { const b = Buffer.from('WATCHDOG=1'); s.send(b, 0, b.length, process.env.NOTIFY_SOCKET, () => {}); if (++n === 3) clearInterval(t); }, 200);`,
      `setInterval(() => {}, 1000);`,
      '',
    ].join('\n'));
    const seen = path.join(root, 'seen');
    writeUnit(root, 'dog.service', `[Service]\nWatchdogSec=1\nExecStart=${NODE} ${pinger} ${seen}\n`);
    writeUnit(root, 'pup.service', `[Service]\nWatchdogSec=1\nRestart=on-watchdog\nRestartSec=100ms\nExecStart=${NODE} ${pinger} ${seen}-pup\n`);
    assert.ok((await node.request('start', 'dog.service')).ok);
    assert.ok((await node.request('start', 'pup.service')).ok);

    const dog = await waitState(node, 'dog.service', 'failed/failed', 20_000);
    assert.equal(dog.result, 'watchdog');
    assert.equal(dog.execMain?.status, 6, 'the watchdog signal is SIGABRT');
    assert.equal(fs.readFileSync(seen, 'utf8'), 'WATCHDOG_USEC=1000000\n');
    const lines = node.journal.read({ units: ['dog.service'] }).map((e) => e.msg);
    assert.ok(lines.includes('dog.service: Watchdog timeout (limit 1s)!'), lines.join('\n'));

    const pup = await waitFor('pup restarted by the watchdog policy', () => {
      const s = node.status('pup.service');
      return s.nRestarts >= 1 && s.subState === 'running' ? s : undefined;
    }, 20_000);
    assert.equal(pup.activeState, 'active');
    assert.ok((await node.request('stop', 'pup.service')).ok);
  });
});

test('socket: Accept=yes starts one instance of the template per connection, with the connection as fd 3 and the addresses in the instance name', async () => {
  const host = '127.0.0.114';
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  await withNode(async (node, root) => {
    const answer = script(root, 'answer.cjs', "const s = new (require('net').Socket)({ fd: 3 }); s.end(process.argv[2] + ' ' + process.env.LISTEN_FDS + ' ' + process.env.LISTEN_FDNAMES + '\\n');\n");
    writeUnit(root, 'greet.socket', `[Socket]\nListenStream=${host}:${port}\nAccept=yes\n`);
    writeUnit(root, 'greet@.service', `[Service]\nExecStart=${NODE} ${answer} %i\n`);
    assert.ok((await node.request('start', 'greet.socket')).ok);
    const ask = (): Promise<{ text: string; local: number }> => new Promise((resolve, reject) => {
      const c = net.connect({ host, port, localAddress: host });
      c.setTimeout(10_000, () => c.destroy(new Error('no answer in 10 s')));
      let buf = '';
      c.on('connect', () => undefined);
      c.on('data', (d) => (buf += d));
      c.on('end', () => resolve({ text: buf, local: c.localPort! }));
      c.on('error', reject);
    });
    const a = await ask();
    const b = await ask();
    assert.equal(a.text, `0-${host}:${port}-${host}:${a.local} 1 connection\n`);
    assert.equal(b.text, `1-${host}:${port}-${host}:${b.local} 1 connection\n`);
    const s = await waitFor('both instances to end', () => {
      const st = node.status('greet.socket');
      return st.socket?.nConnections === 0 ? st : undefined;
    });
    assert.equal(`${s.activeState}/${s.subState}`, 'active/listening');
    assert.equal(s.socket?.nAccepted, 2);
    assert.equal(node.status(`greet@0-${host}:${port}-${host}:${a.local}.service`).activeState, 'inactive');
  });
});
