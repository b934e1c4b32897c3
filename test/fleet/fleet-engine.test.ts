// A coracle agent under fleet's own engine — a cluster moving from fleet
// v1.0.0 to coracle machine by machine, while a fleet machine still holds the
// engine lease. fleet's engine keeps no schedule index; it writes the lease,
// job/<name>/target and nothing else (reference/fleet.md), and this test
// writes exactly those keys for it. The coracle agent must run what is
// targeted at its machine, run global units, publish their states, and stop
// a unit fleet's engine takes away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startCluster, tempDir, type MemberProcess } from '../etcd/members.js';
import { FleetClient, FleetMachine, killLeftovers, marker, pidsWith, waitFor } from './helpers.js';

const FLEET_ENGINE_MACHINE = 'f1ee7000000000000000000000000001';

test("under fleet's own engine a coracle agent runs the units targeted at it and the global ones, and stops what is taken away", { timeout: 180_000 }, async () => {
  const dir = tempDir('cfleet-legacy-');
  let members: MemberProcess[] = [];
  const tag = marker();
  let machine: FleetMachine | undefined;
  let fc: FleetClient | undefined;
  try {
    members = await startCluster(['127.0.0.161'], dir);
    const etcd = members.map((m) => m.clientURL);
    fc = new FleetClient(etcd, '127.0.0.161');
    // fleet's engine holds the lease (its machine publishes no coracle agent endpoint)
    assert.ok(await fc.reg.acquireLease(FLEET_ENGINE_MACHINE, 1, 600));
    machine = new FleetMachine({ ip: '127.0.0.162', etcd, ttl: '5s', extra: ['--disable_engine'] });
    await machine.start();
    const id = machine.machineID;
    await waitFor('the machine registered', async () => (await fc!.reg.machines()).some((m) => m.ID === id));

    // what fleet's engine does for `fleetctl start`: the unit, then its target
    await fc.submit('web.service', `[Service]\nExecStart=/bin/sleep ${tag}1\n`, 'launched');
    await fc.submit('other.service', `[Service]\nExecStart=/bin/sleep ${tag}2\n`, 'launched');
    await fc.reg.client.keys.create(`/_coreos.com/fleet/job/web.service/target`, id);
    await fc.reg.client.keys.create(`/_coreos.com/fleet/job/other.service/target`, 'someothermachine0000000000000000');
    await fc.submit('everywhere.service', `[Service]\nExecStart=/bin/sleep ${tag}3\n[X-Fleet]\nGlobal=true\n`, 'launched');

    assert.equal(await fc.waitLaunched('web.service', 60_000), id);
    await waitFor('web and the global unit running here', () => pidsWith(`${tag}1`).length === 1 && pidsWith(`${tag}3`).length === 1, 60_000);
    assert.equal(pidsWith(`${tag}2`).length, 0, 'a unit targeted elsewhere does not run here');
    await waitFor('the global unit\'s state published', async () => (await fc!.reg.unitState('everywhere.service', id))?.activeState === 'active', 60_000);
    assert.match(machine.logs(), /fleet's own engine leads/);

    // fleet's engine unschedules: the target goes, the unit stops here
    await fc.reg.client.keys.delete(`/_coreos.com/fleet/job/web.service/target`);
    await waitFor('web stopped after its target went', () => pidsWith(`${tag}1`).length === 0, 60_000);
    await waitFor('its state removed', async () => (await fc!.reg.unitState('web.service', id)) === undefined, 60_000);
  } finally {
    fc?.close();
    await machine?.stop();
    killLeftovers(tag);
    await Promise.all(members.map((m) => m.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
