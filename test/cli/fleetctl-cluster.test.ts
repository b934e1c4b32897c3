// fleetctl against real fleetds: two machines on 127.0.0.184–185, each a
// `coracle node` and a `coracle fleetd` (API on its root's run/fleet.sock),
// with a coracle etcd on 127.0.0.186. start waits for the real agent and the
// init's active state; status and journal come from the machine that runs
// the unit (locally through the init, or through the other machine's agent).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startCluster, tempDir, type MemberProcess } from '../etcd/members.js';
import { FleetMachine, marker, waitFor } from '../fleet/helpers.js';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fleetctl, OURS } from './fleetctl-harness.js';

const REAL = process.env.FLEETCTL_REAL;
let etcd: MemberProcess[] = [];
let dir: string;
let machines: FleetMachine[] = [];
const tag = marker();

before(async () => {
  dir = tempDir('coracle-fleetctl-cluster-');
  etcd = await startCluster(['127.0.0.186'], dir);
  machines = [
    new FleetMachine({ ip: '127.0.0.184', etcd: ['http://127.0.0.186:2379'], metadata: 'role=a' }),
    new FleetMachine({ ip: '127.0.0.185', etcd: ['http://127.0.0.186:2379'], metadata: 'role=b' }),
  ];
  await Promise.all(machines.map((m) => m.start()));
  const units = path.join(dir, 'units');
  fs.mkdirSync(units);
  // MachineMetadata pins it to the first machine, so the test knows where it runs.
  fs.writeFileSync(
    path.join(units, 'hello.service'),
    `[Unit]\nDescription=Hello\n\n[Service]\nExecStart=/bin/sh -c 'echo hello-${tag}; exec /bin/sleep 1000'\n\n[X-Fleet]\nMachineMetadata=role=a\n`,
  );
});

after(async () => {
  for (const m of machines) await m.stop().catch(() => undefined);
  for (const m of etcd) await m.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const on = (m: FleetMachine): { env: Record<string, string>; cwd: string } => ({ env: { CORACLE_ROOT: m.root }, cwd: path.join(dir, 'units') });

test('start, list-units, status and journal (local and through the other machine\'s agent), stop, destroy', async () => {
  const [a, b] = machines as [FleetMachine, FleetMachine];
  await waitFor('both machines listed', async () => (await fleetctl(['list-machines', '--no-legend'], on(a))).stdout.split('\n').length === 3);
  const lm = await fleetctl(['list-machines', '--full'], on(b));
  const rows = [a, b].map((m) => `${m.machineID}\t127.0.0.${m === a ? 184 : 185}\trole=${m === a ? 'a' : 'b'}`).sort();
  assert.equal(lm.stdout, `MACHINE\t\t\t\t\tIP\t\tMETADATA\n${rows.join('\n')}\n`);

  const legend = `${a.machineID.slice(0, 8)}.../127.0.0.184`;
  const start = await fleetctl(['start', 'hello.service'], on(b));
  assert.equal(start.stderr, '');
  assert.equal(start.stdout, `Unit hello.service inactive\nUnit hello.service launched on ${legend}\n`);
  assert.equal(start.code, 0);

  const lu = await fleetctl(['list-units'], on(b));
  assert.equal(lu.stdout, `UNIT\t\tMACHINE\t\t\tACTIVE\tSUB\nhello.service\t${legend}\tactive\trunning\n`);

  // status on the unit's own machine (the init there), and from the other machine (through a's agent): the same text
  const local = await fleetctl(['status', 'hello.service'], on(a));
  const remote = await fleetctl(['status', 'hello.service'], on(b));
  for (const r of [local, remote]) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^● hello\.service - Hello\n/);
    assert.match(r.stdout, /\n {5}Active: active \(running\) since /);
    assert.ok(r.stdout.includes(`hello-${tag}`), r.stdout);
  }
  const strip = (s: string): string => s.replace(/since [^\n]*/, 'since <time>').replace(/^\w{3} \d\d \d\d:\d\d:\d\d /gm, '<time> ');
  assert.equal(strip(remote.stdout), strip(local.stdout));

  const journal = await fleetctl(['journal', '--lines', '5', 'hello'], on(b));
  assert.equal(journal.code, 0, journal.stderr);
  assert.match(journal.stdout, new RegExp(`: hello-${tag}\\n`));
  const cat = await fleetctl(['journal', '--output', 'cat', 'hello.service'], on(a));
  assert.ok(cat.stdout.split('\n').includes(`hello-${tag}`), cat.stdout);

  // journal --follow through the agent streams until Ctrl-C, then cleans up its stand-in socket
  const leftovers = (): string[] => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('coracle-fleetctl-'));
  const before = leftovers().length;
  const follow = spawn(process.execPath, [OURS, 'journal', '--follow', 'hello.service'], { env: { PATH: process.env.PATH ?? '', CORACLE_ROOT: b.root }, stdio: ['ignore', 'pipe', 'pipe'] });
  let followed = '';
  follow.stdout.on('data', (d: Buffer) => (followed += d.toString()));
  const closed = new Promise<number | null>((r) => follow.on('close', (code) => r(code)));
  try {
    await waitFor('journal --follow output', () => followed.includes(`hello-${tag}`), 15_000, 50);
  } finally {
    follow.kill('SIGINT');
  }
  assert.equal(await closed, 0);
  assert.equal(leftovers().length, before);

  if (REAL !== undefined) {
    // the real fleetctl v1.0.0 against coracle's fleetd: same listing
    const real = await fleetctl(['list-units'], { env: { FLEETCTL_ENDPOINT: `unix://${path.join(b.root, 'run/fleet.sock')}` }, real: REAL });
    assert.equal(real.stdout, lu.stdout);
  }

  const stop = await fleetctl(['stop', 'hello.service'], on(a));
  assert.equal(stop.stdout, `Unit hello.service loaded on ${legend}\n`);
  assert.equal(stop.stderr, 'Successfully stopped units [hello.service].\n');
  const st = await fleetctl(['status', 'hello.service'], on(b));
  assert.equal(st.code, 3, 'systemctl status of a stopped unit exits 3, and so does fleetctl status');
  assert.match(st.stdout, /\n {5}Active: inactive \(dead\)/);

  const destroy = await fleetctl(['destroy', 'hello.service'], on(b));
  assert.equal(destroy.stdout, 'Destroyed hello.service\n');
  await waitFor('unit gone from list-units', async () => (await fleetctl(['list-units', '--no-legend'], on(a))).stdout === '');
});

test('the real fleetctl v1.0.0 starts a unit on coracle\'s fleetd and its 2 s active check passes', { skip: REAL === undefined ? 'set FLEETCTL_REAL to a fleetctl v1.0.0 binary' : false }, async () => {
  const [a] = machines as [FleetMachine];
  const env = { FLEETCTL_ENDPOINT: `unix://${path.join(a.root, 'run/fleet.sock')}` };
  const r = await fleetctl(['start', 'hello.service'], { env, cwd: path.join(dir, 'units'), real: REAL! });
  assert.equal(r.stdout, `Unit hello.service inactive\nUnit hello.service launched on ${a.machineID.slice(0, 8)}.../127.0.0.184\n`);
  assert.equal(r.code, 0, r.stderr);
  const d = await fleetctl(['destroy', 'hello.service'], { env, real: REAL! });
  assert.equal(d.stdout, 'Destroyed hello.service\n');
});
