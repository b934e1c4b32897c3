// systemctl's views of sockets and timers, and the resource lines of status,
// against `coracle node` as a process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { coracleCli as coracle, NODE, tempRoot, waitFor, withNodeProcess, writeUnit } from './helpers.js';

test('cli: systemctl status/list-sockets for an enabled socket (active (listening), Triggers:, Listen:), TriggeredBy: and Tasks/Memory/CPU for its service, list-timers', async () => {
  const root = tempRoot();
  const host = '127.0.0.113';
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const server = path.join(root, 'srv/hello.cjs');
  fs.mkdirSync(path.dirname(server), { recursive: true });
  // Serves on every passed fd (3 … 3+LISTEN_FDS-1).
  fs.writeFileSync(server, "for (let i = 0; i < Number(process.env.LISTEN_FDS); i++) require('net').createServer((c) => c.end('hello\\n')).listen({ fd: 3 + i });\n");
  writeUnit(root, 'hello.socket', `[Unit]\nDescription=Hello Socket\n[Socket]\nListenStream=${host}:${port}\nListenStream=/run/hello.sock\n[Install]\nWantedBy=sockets.target\n`);
  writeUnit(root, 'hello.service', `[Unit]\nDescription=Hello\n[Service]\nExecStart=${NODE} ${server}\n`);
  writeUnit(root, 'tick.timer', '[Unit]\nDescription=Tick\n[Timer]\nOnActiveSec=1h\n[Install]\nWantedBy=timers.target\n');
  writeUnit(root, 'tick.service', '[Service]\nType=oneshot\nExecStart=/bin/true\n');
  await withNodeProcess(root, async () => {
    assert.equal(coracle('systemctl', '--root', root, 'enable', '--now', 'hello.socket').code, 0);
    assert.equal(coracle('systemctl', '--root', root, 'enable', '--now', 'tick.timer').code, 0);
    await waitFor('the socket listening', () => coracle('systemctl', '--root', root, 'is-active', 'hello.socket').code === 0);
    const st = coracle('systemctl', '--root', root, 'status', 'hello.socket', '-n', '0');
    assert.equal(st.code, 0);
    const lines = st.out.split('\n');
    assert.equal(lines[0], '● hello.socket - Hello Socket');
    assert.match(lines[2]!, /^ {5}Active: active \(listening\) since /);
    assert.equal(lines[3], '   Triggers: ● hello.service');
    assert.equal(lines[4], `     Listen: ${host}:${port} (Stream)`);
    assert.equal(lines[5], '             /run/hello.sock (Stream)');

    assert.deepEqual(coracle('systemctl', '--root', root, 'show', 'hello.socket', '-p', 'Listen', '-p', 'Triggers'),
      { code: 0, out: `Listen=${host}:${port} (Stream)\nListen=/run/hello.sock (Stream)\nTriggers=hello.service\n`, err: '' });
    const ls = coracle('systemctl', '--root', root, 'list-sockets');
    assert.equal(ls.code, 0);
    assert.match(ls.out, /^LISTEN +UNIT +ACTIVATES\n/);
    assert.match(ls.out, new RegExp(`\\n${host.replace(/\./g, '\\.')}:${port} +hello\\.socket hello\\.service\\n`));
    assert.match(ls.out, /\n\/run\/hello\.sock +hello\.socket hello\.service\n/);
    assert.match(ls.out, /\n\n2 sockets listed\.\nPass --all to see loaded but inactive sockets, too\.\n$/);

    // The unix socket inside the root starts the service.
    const answer = await new Promise<string>((resolve, reject) => {
      const c = net.connect(path.join(root, 'run/hello.sock'));
      c.setTimeout(10_000, () => c.destroy(new Error('no answer on run/hello.sock in 10 s')));
      let buf = '';
      c.on('data', (d) => (buf += d));
      c.on('end', () => resolve(buf));
      c.on('error', reject);
    });
    assert.equal(answer, 'hello\n');
    const svc = await waitFor('the service status with its process', () => {
      const r = coracle('systemctl', '--root', root, 'status', 'hello.service', '-n', '0');
      return r.out.includes('Tasks:') ? r.out : undefined;
    });
    const sl = svc.split('\n');
    assert.match(sl[2]!, /^ {5}Active: active \(running\)/);
    assert.equal(sl[3], 'TriggeredBy: ● hello.socket');
    assert.match(svc, /\n {6}Tasks: 1\n {5}Memory: \d+\.\dM\n {8}CPU: \d+(\.\d+)?m?s\n/);
    assert.match(coracle('systemctl', '--root', root, 'status', 'hello.socket', '-n', '0').out, /Active: active \(running\)/);

    const lt = coracle('systemctl', '--root', root, 'list-timers');
    assert.equal(lt.code, 0);
    const tl = lt.out.split('\n');
    assert.match(tl[0]!, /^NEXT +LEFT +LAST +PASSED +UNIT +ACTIVATES$/);
    assert.match(tl[1]!, /^\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w+ +(59min \d+s|1h 0min) left +n\/a +n\/a +tick\.timer tick\.service$/);
    assert.match(lt.out, /\n\n1 timers listed\.\nPass --all to see loaded but inactive timers, too\.\n$/);
  });
});
