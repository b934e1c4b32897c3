// The fleet scenario both cluster tests run (against coracle's etcd and a
// real etcd 3.4): three machines, a template with Conflicts, a Global unit,
// MachineMetadata, an unschedulable unit, stop/destroy, and a machine crash.
import assert from 'node:assert/strict';
import { FleetClient, FleetMachine, httpGet, killLeftovers, marker, pidsWith, waitFor } from './helpers.js';

export interface ScenarioOptions {
  etcd: string[];
  /** Three machine addresses. */
  ips: [string, string, string];
  /** Extra fleetd flags. */
  extra?: string[];
}

export async function runScenario(o: ScenarioOptions): Promise<void> {
  const machines = [
    new FleetMachine({ ip: o.ips[0], etcd: o.etcd, metadata: 'region=us,disk=ssd', extra: o.extra ?? [] }),
    new FleetMachine({ ip: o.ips[1], etcd: o.etcd, metadata: 'region=us', extra: o.extra ?? [] }),
    new FleetMachine({ ip: o.ips[2], etcd: o.etcd, metadata: 'region=eu', extra: o.extra ?? [] }),
  ];
  const web = marker();
  const glob = marker();
  const meta = marker();
  const fc = new FleetClient(o.etcd, o.ips[0]);
  try {
    await Promise.all(machines.map((m) => m.start()));
    const ids = new Map(machines.map((m) => [m.machineID, m]));
    await waitFor('3 machines registered', async () => (await fc.reg.machines()).length === 3);

    // the seed's pattern: a template submitted, two instances started, Conflicts keeps them apart
    const template = `[Unit]\nDescription=web %i\n\n[Service]\nExecStart=/bin/sleep ${web}%i\n\n[X-Fleet]\nConflicts=web@*.service\n`;
    await fc.submit('web@.service', template);
    await fc.submit('web@1.service', template, 'launched');
    await fc.submit('web@2.service', template, 'launched');
    const m1 = await fc.waitLaunched('web@1.service');
    const m2 = await fc.waitLaunched('web@2.service');
    assert.notEqual(m1, m2, 'the two instances must land on different machines');
    assert.equal(pidsWith(web).length, 2, 'one process per instance');
    // the template itself is never scheduled
    assert.equal((await fc.units()).get('web@.service')?.target, undefined);

    // status and journal come from the owning machine's agent (fleetctl status/journal use this instead of SSH)
    const agentURL = await fc.reg.agentEndpoint(m1);
    assert.ok(agentURL !== undefined, 'the agent publishes its endpoint');
    const detail = JSON.parse((await httpGet(`${agentURL}/fleet-agent/v1/units/${encodeURIComponent('web@1.service')}`, o.ips[0])).body) as { activeState: string; fragmentPath: string };
    assert.equal(detail.activeState, 'active');
    assert.match(detail.fragmentPath, /run\/fleet\/units\/web@1\.service$/);
    const journal = (await httpGet(`${agentURL}/fleet-agent/v1/journal?unit=web%401.service&lines=20`, o.ips[0])).body;
    assert.match(journal, /"unit":"web@1.service"/);
    assert.equal((await httpGet(`${agentURL}/fleet-agent/v1/units/${encodeURIComponent('web@2.service')}`, o.ips[0])).status, 404, 'only units fleet runs there');

    // every fleetd answers /health and /metrics on its agent address
    const health = await httpGet(`${agentURL}/health`, o.ips[0]);
    assert.equal(health.status, 200);
    assert.equal((JSON.parse(health.body) as { machineID: string }).machineID, m1);
    assert.match((await httpGet(`${agentURL}/metrics`, o.ips[0])).body, /^fleet_agent_units [1-9]/m);

    // Global with metadata: on every region=us machine, and only there
    await fc.submit('g.service', `[Service]\nExecStart=/bin/sleep ${glob}\n[X-Fleet]\nGlobal=true\nMachineMetadata=region=us\n`, 'launched');
    const usIDs = [machines[0]!.machineID, machines[1]!.machineID].sort();
    await waitFor('global unit active on both us machines', async () => {
      const st = await fc.states('g.service');
      return st.filter((s) => s.activeState === 'active').map((s) => s.machineID).sort().join() === usIDs.join();
    });
    assert.equal(pidsWith(glob).length, 2);
    assert.equal((await fc.units()).get('g.service')?.target, undefined, 'global units have no target');

    // MachineMetadata: only the eu machine qualifies
    await fc.submit('eu.service', `[Service]\nExecStart=/bin/sleep ${meta}\n[X-Fleet]\nMachineMetadata=region=eu\n`, 'launched');
    assert.equal(await fc.waitLaunched('eu.service'), machines[2]!.machineID);

    // a unit no machine can take stays unscheduled, with the reason recorded
    await fc.submit('nowhere.service', `[Service]\nExecStart=/bin/sleep 1\n[X-Fleet]\nMachineMetadata=region=ap\n`, 'launched');
    const reason = await waitFor('reason for nowhere.service', async () => (await fc.reg.unscheduledReason('nowhere.service'))?.reason);
    assert.match(reason, /local Machine metadata insufficient/);
    assert.equal((await fc.units()).get('nowhere.service')?.target, undefined);
    assert.equal((await fc.units()).get('nowhere.service')?.currentState, 'inactive');

    // machine crash: fleetd and init killed with -9; the web unit there comes back elsewhere, still apart
    // from the other instance (the eu machine is spared so eu.service keeps its only home)
    const [lost, kept] = m1 !== machines[2]!.machineID ? ['1', '2'] : ['2', '1'];
    const victimID = lost === '1' ? m1 : m2;
    const keptID = lost === '1' ? m2 : m1;
    const victim = ids.get(victimID)!;
    await victim.crash();
    killLeftovers(`${web}${lost}`); // the crashed machine's orphan (a real crash takes it along)
    const alive = machines.filter((m) => m !== victim).map((m) => m.machineID);
    const moved = await waitFor(`web@${lost}.service rescheduled on a live machine`, async () => {
      const u = (await fc.units()).get(`web@${lost}.service`);
      return u?.target !== undefined && u.target !== victimID && alive.includes(u.target) ? u.target : undefined;
    }, 40_000);
    assert.notEqual(moved, keptID, 'conflicting instances never share a machine');
    await fc.waitLaunched(`web@${lost}.service`);
    assert.equal((await fc.units()).get(`web@${kept}.service`)?.target, keptID, 'the surviving instance stays put');
    assert.equal(pidsWith(`${web}${lost}`).length, 1);

    // stop → loaded (process gone, state inactive), destroy → removed
    await fc.reg.setTargetState('eu.service', 'loaded');
    await waitFor('eu.service stopped', async () => (await fc.units()).get('eu.service')?.currentState === 'loaded' && pidsWith(meta).length === 0);
    await fc.reg.destroyUnit('eu.service');
    await waitFor('eu.service state removed', async () => (await fc.states('eu.service')).length === 0);
  } catch (e) {
    for (const m of machines) process.stderr.write(`--- fleetd ${m.spec.ip} ---\n${m.logs()}\n`);
    throw e;
  } finally {
    fc.close();
    await Promise.all(machines.map((m) => m.stop()));
    for (const k of [web, glob, meta]) killLeftovers(k);
  }
}
