// A flapping registry: the members of a 3-member coracle etcd are restarted
// one after another while units are placed and running. Afterwards every unit
// runs exactly once: none lost, none duplicated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { MemberProcess, startCluster, tempDir, type MemberProcess as Member } from '../etcd/members.js';
import { FleetClient, FleetMachine, killLeftovers, marker, pidsWith, sleep, waitFor } from './helpers.js';

test('etcd members restarted one by one: no unit lost or duplicated', { timeout: 240_000 }, async () => {
  const dir = tempDir('cfleet-flap-');
  let members: Member[] = [];
  const etcdIPs = ['127.0.0.155', '127.0.0.156', '127.0.0.157'];
  const mark = marker();
  let machines: FleetMachine[] = [];
  let fc: FleetClient | undefined;
  try {
    members = await startCluster(etcdIPs, dir);
    const endpoints = members.map((m) => m.clientURL);
    machines = ['127.0.0.158', '127.0.0.159', '127.0.0.160'].map((ip) => new FleetMachine({ ip, etcd: endpoints, ttl: '10s', interval: '1' }));
    await Promise.all(machines.map((m) => m.start()));
    fc = new FleetClient(endpoints, '127.0.0.158');
    await waitFor('3 machines', async () => (await fc!.reg.machines()).length === 3);
    const unit = `[Service]\nExecStart=/bin/sleep ${mark} %i\n`;
    await fc.submit('flap@.service', unit);
    const names = [1, 2, 3, 4, 5, 6].map((i) => `flap@${i}.service`);
    for (const n of names) await fc.submit(n, unit, 'launched');
    for (const n of names) await fc.waitLaunched(n);

    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < members.length; i++) {
        const m = members[i]!;
        await m.stop();
        await sleep(800);
        // more work arrives while a member is down
        const extra = `flap@${10 + round * 3 + i}.service`;
        await waitFor(`submit ${extra}`, async () => {
          await fc!.submit(extra, unit, 'launched');
          return true;
        }, 20_000, 300);
        names.push(extra);
        const again = new MemberProcess({ ...m.spec });
        members[i] = again;
        await again.waitReady();
      }
    }
    for (const n of names) await fc.waitLaunched(n, 60_000);
    // exactly one process per unit, one state per unit, and every target a live machine
    const live = new Set(machines.map((m) => m.machineID));
    const units = await fc.units();
    for (const n of names) {
      const i = n.slice('flap@'.length, -'.service'.length);
      // the trailing space ends the command line: flap@1 does not match flap@10
      assert.equal(pidsWith(`${mark} ${i} `).length, 1, `${n} runs exactly once`);
      assert.ok(live.has(units.get(n)?.target ?? ''), `${n} is on a live machine`);
      assert.equal((await fc.states(n)).length, 1, `${n} has one state`);
    }
  } catch (e) {
    for (const m of machines) process.stderr.write(`--- fleetd ${m.spec.ip} ---\n${m.logs()}\n`);
    throw e;
  } finally {
    fc?.close();
    await Promise.all(machines.map((m) => m.stop()));
    killLeftovers(mark);
    for (const m of members) await m.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
