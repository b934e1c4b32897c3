// Placement decisions, table-driven: every [X-Fleet] option, the old X-
// spellings, combinations, ties, machine loss and the reasons a unit that
// fits nowhere is given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Placement, reconcile } from '../../src/fleet/scheduler/index.js';
import { parseFleetUnit, requirementsOf, type JobState } from '../../src/fleet/registry/index.js';

interface U { name: string; xfleet?: string; state?: JobState; target?: string }
interface M { id: string; md?: Record<string, string> }

function build(machines: M[], units: U[]): Placement {
  const p = new Placement();
  for (const m of machines) p.setMachine({ id: m.id, metadata: m.md ?? null });
  for (const u of units) {
    const file = parseFleetUnit(`[Service]\nExecStart=/bin/true\n${u.xfleet ? `[X-Fleet]\n${u.xfleet}\n` : ''}`);
    const req = requirementsOf(u.name, file.options);
    p.setJob({ name: u.name, req, targetState: u.state ?? 'launched', ...(u.target ? { target: u.target } : {}) }, req.global);
  }
  return p;
}

function full(p: Placement) {
  const names = [...p.jobs.keys()];
  return reconcile(p, names, names);
}

function where(p: Placement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, j] of p.jobs) out[n] = j.target ?? '-';
  return out;
}

const three: M[] = [{ id: 'm1' }, { id: 'm2' }, { id: 'm3' }];

interface Case { name: string; machines: M[]; units: U[]; expect: Record<string, string>; reasons?: Record<string, RegExp> }

const cases: Case[] = [
  { name: 'least loaded, ties broken by machine ID', machines: three, units: [{ name: 'a.service' }, { name: 'b.service' }, { name: 'c.service' }, { name: 'd.service' }],
    expect: { 'a.service': 'm1', 'b.service': 'm2', 'c.service': 'm3', 'd.service': 'm1' } },
  { name: 'existing load counts (scheduled, non-inactive)', machines: three,
    units: [{ name: 'x1.service', target: 'm1' }, { name: 'x2.service', target: 'm1' }, { name: 'y.service', target: 'm2' }, { name: 'z.service', target: 'm3', state: 'inactive' }, { name: 'new.service' }],
    expect: { 'x1.service': 'm1', 'x2.service': 'm1', 'y.service': 'm2', 'z.service': '-', 'new.service': 'm3' } },
  { name: 'inactive units are not placed', machines: three, units: [{ name: 'a.service', state: 'inactive' }], expect: { 'a.service': '-' } },
  { name: 'MachineID full', machines: [{ id: 'aaaaaaaa1111' }, { id: 'bbbbbbbb2222' }], units: [{ name: 'a.service', xfleet: 'MachineID=bbbbbbbb2222' }], expect: { 'a.service': 'bbbbbbbb2222' } },
  { name: 'MachineID first 8 chars', machines: [{ id: 'aaaaaaaa1111' }, { id: 'bbbbbbbb2222' }], units: [{ name: 'a.service', xfleet: 'MachineID=bbbbbbbb' }], expect: { 'a.service': 'bbbbbbbb2222' } },
  { name: 'MachineID of no machine stays unscheduled', machines: three, units: [{ name: 'a.service', xfleet: 'MachineID=nope' }], expect: { 'a.service': '-' },
    reasons: { 'a.service': /agent ID "m1" does not match required "nope"/ } },
  { name: 'X-ConditionMachineID (old name)', machines: three, units: [{ name: 'a.service', xfleet: 'X-ConditionMachineID=m3' }], expect: { 'a.service': 'm3' } },
  { name: 'MachineOf follows the peer', machines: three, units: [{ name: 'db.service', target: 'm2' }, { name: 'app.service', xfleet: 'MachineOf=db.service' }],
    expect: { 'db.service': 'm2', 'app.service': 'm2' } },
  { name: 'MachineOf an unscheduled peer stays unscheduled', machines: three, units: [{ name: 'db.service', state: 'inactive' }, { name: 'app.service', xfleet: 'MachineOf=db.service' }],
    expect: { 'db.service': '-', 'app.service': '-' }, reasons: { 'app.service': /required peer Unit\(db.service\) is not scheduled locally/ } },
  { name: 'MachineOf template-aware (%i)', machines: three,
    units: [{ name: 'db@1.service', target: 'm3' }, { name: 'db@2.service', target: 'm2' }, { name: 'web@1.service', xfleet: 'MachineOf=db@%i.service' }, { name: 'web@2.service', xfleet: 'MachineOf=db@%i.service' }],
    expect: { 'db@1.service': 'm3', 'db@2.service': 'm2', 'web@1.service': 'm3', 'web@2.service': 'm2' } },
  { name: 'MachineOf several values: all required', machines: three,
    units: [{ name: 'a.service', target: 'm2' }, { name: 'b.service', target: 'm2' }, { name: 'c.service', target: 'm3' }, { name: 'x.service', xfleet: 'MachineOf=a.service\nMachineOf=b.service' }, { name: 'y.service', xfleet: 'MachineOf="a.service" "c.service"' }],
    expect: { 'a.service': 'm2', 'b.service': 'm2', 'c.service': 'm3', 'x.service': 'm2', 'y.service': '-' } },
  { name: 'X-ConditionMachineOf (old name)', machines: three, units: [{ name: 'db.service', target: 'm3' }, { name: 'app.service', xfleet: 'X-ConditionMachineOf=db.service' }],
    expect: { 'db.service': 'm3', 'app.service': 'm3' } },
  { name: 'MachineMetadata one value', machines: [{ id: 'm1', md: { region: 'eu' } }, { id: 'm2', md: { region: 'us' } }], units: [{ name: 'a.service', xfleet: 'MachineMetadata=region=us' }],
    expect: { 'a.service': 'm2' } },
  { name: 'MachineMetadata same key twice = OR', machines: [{ id: 'm1', md: { region: 'eu' } }, { id: 'm2', md: { region: 'us' } }, { id: 'm3', md: { region: 'ap' } }],
    units: [{ name: 'a.service', xfleet: 'MachineMetadata=region=ap\nMachineMetadata=region=us' }, { name: 'b.service', xfleet: 'MachineMetadata="region=ap" "region=us"' }],
    expect: { 'a.service': 'm2', 'b.service': 'm3' } },
  { name: 'MachineMetadata different keys = AND; missing key is ineligible', machines: [{ id: 'm1', md: { region: 'us' } }, { id: 'm2', md: { region: 'us', disk: 'ssd' } }, { id: 'm3', md: { disk: 'ssd' } }],
    units: [{ name: 'a.service', xfleet: 'MachineMetadata=region=us\nMachineMetadata=disk=ssd' }], expect: { 'a.service': 'm2' } },
  { name: 'MachineMetadata nowhere: unscheduled with reason', machines: [{ id: 'm1', md: { region: 'eu' } }], units: [{ name: 'a.service', xfleet: 'MachineMetadata=region=us' }],
    expect: { 'a.service': '-' }, reasons: { 'a.service': /m1\.\.\.: local Machine metadata insufficient/ } },
  { name: 'MachineMetadata value with "=" is ignored (no requirement)', machines: three, units: [{ name: 'a.service', xfleet: 'MachineMetadata=k=a=b' }], expect: { 'a.service': 'm1' } },
  { name: 'X-ConditionMachineMetadata (old name)', machines: [{ id: 'm1', md: { r: 'a' } }, { id: 'm2', md: { r: 'b' } }], units: [{ name: 'a.service', xfleet: 'X-ConditionMachineMetadata=r=b' }],
    expect: { 'a.service': 'm2' } },
  { name: 'Conflicts glob spreads a template over machines', machines: three,
    units: [1, 2, 3].map((i) => ({ name: `web@${i}.service`, xfleet: 'Conflicts=web@*.service' })),
    expect: { 'web@1.service': 'm1', 'web@2.service': 'm2', 'web@3.service': 'm3' } },
  { name: 'Conflicts: more instances than machines, the rest stay unscheduled', machines: [{ id: 'm1' }, { id: 'm2' }],
    units: [1, 2, 3].map((i) => ({ name: `web@${i}.service`, xfleet: 'X-Conflicts=web@*.service' })),
    expect: { 'web@1.service': 'm1', 'web@2.service': 'm2', 'web@3.service': '-' },
    reasons: { 'web@3.service': /found conflict with locally-scheduled Unit\(web@[12]\.service\)/ } },
  { name: 'Conflicts several globs (space separated and repeated)', machines: [{ id: 'm1' }, { id: 'm2' }],
    units: [{ name: 'a.service', target: 'm1' }, { name: 'b.service', target: 'm2' }, { name: 'x.service', xfleet: 'Conflicts=a.service b.service' }, { name: 'y.service', xfleet: 'Conflicts=a.*\nConflicts=q.service' }],
    expect: { 'a.service': 'm1', 'b.service': 'm2', 'x.service': '-', 'y.service': 'm2' } },
  { name: 'Conflicts applies both ways', machines: [{ id: 'm1' }, { id: 'm2' }],
    units: [{ name: 'a.service', target: 'm1', xfleet: 'Conflicts=b.service' }, { name: 'c.service', target: 'm2' }, { name: 'b.service' }],
    expect: { 'a.service': 'm1', 'c.service': 'm2', 'b.service': 'm2' } },
  { name: 'Global units count in the load and are never scheduled', machines: [{ id: 'm1', md: { role: 'lb' } }, { id: 'm2' }, { id: 'm3' }],
    units: [{ name: 'g.service', xfleet: 'Global=true\nMachineMetadata=role=lb' }, { name: 'a.service' }, { name: 'b.service' }, { name: 'c.service' }],
    expect: { 'a.service': 'm2', 'b.service': 'm3', 'c.service': 'm1' } },
  { name: 'MachineOf a global unit: where it runs', machines: [{ id: 'm1' }, { id: 'm2', md: { role: 'lb' } }],
    units: [{ name: 'g.service', xfleet: 'Global=yes\nMachineMetadata=role=lb' }, { name: 'a.service', xfleet: 'MachineOf=g.service' }],
    expect: { 'a.service': 'm2' } },
  { name: 'a global unit does not run where it conflicts', machines: [{ id: 'm1' }, { id: 'm2' }],
    units: [{ name: 'g.service', xfleet: 'Global=true\nConflicts=x.service' }, { name: 'x.service', target: 'm1' }, { name: 'a.service', xfleet: 'MachineOf=g.service' }],
    expect: { 'x.service': 'm1', 'a.service': 'm2' } },
  { name: 'Replaces: the new unit takes the machine, the replaced one moves to the least-loaded other machine', machines: three,
    units: [{ name: 'old.service', target: 'm1' }, { name: 'f1.service', target: 'm2' }, { name: 'f2.service', target: 'm2' }, { name: 'f3.service', target: 'm3' }, { name: 'new.service', xfleet: 'Replaces=old.service' }],
    expect: { 'old.service': 'm3', 'f1.service': 'm2', 'f2.service': 'm2', 'f3.service': 'm3', 'new.service': 'm1' } },
  { name: 'mutual Replaces are ignored', machines: [{ id: 'm1' }],
    units: [{ name: 'a.service', target: 'm1', xfleet: 'Replaces=b.service' }, { name: 'b.service', xfleet: 'Replaces=a.service' }],
    expect: { 'a.service': 'm1', 'b.service': 'm1' } },
  { name: 'no machines: zero agents available', machines: [], units: [{ name: 'a.service' }], expect: { 'a.service': '-' }, reasons: { 'a.service': /^zero agents available$/ } },
  { name: 'a scheduled unit whose target state became inactive is unscheduled', machines: three, units: [{ name: 'a.service', target: 'm2', state: 'inactive' }], expect: { 'a.service': '-' } },
  { name: 'specifiers %p %n in X-Fleet values', machines: three,
    units: [{ name: 'cache@1.service', xfleet: 'Conflicts=%p@*.service' }, { name: 'cache@2.service', xfleet: 'Conflicts=%p@*.service' }],
    expect: { 'cache@1.service': 'm1', 'cache@2.service': 'm2' } },
];

for (const c of cases) {
  test(`placement: ${c.name}`, () => {
    const p = build(c.machines, c.units);
    const r = full(p);
    const got = where(p);
    for (const [n, m] of Object.entries(c.expect)) assert.equal(got[n], m, `${n}: ${JSON.stringify(got)}`);
    for (const [n, re] of Object.entries(c.reasons ?? {})) assert.match(r.unschedulable.get(n) ?? '(none)', re);
    for (const n of Object.keys(c.expect)) if (c.expect[n] !== '-' ) assert.ok(!r.unschedulable.has(n));
  });
}

test('machine loss: its units move elsewhere, respecting conflicts', () => {
  const p = build(three, [...[1, 2, 3].map((i): U => ({ name: `web@${i}.service`, xfleet: 'Conflicts=web@*.service' })), { name: 'plain.service' }]);
  full(p);
  // plain.service sorts first and takes m1; the web units follow the load order
  assert.deepEqual(where(p), { 'web@1.service': 'm2', 'web@2.service': 'm3', 'web@3.service': 'm1', 'plain.service': 'm1' });
  p.removeMachine('m1');
  const r = reconcile(p, p.jobsTargeting('m1'), []);
  assert.deepEqual(r.tasks.filter((t) => t.type === 'unschedule').map((t) => [t.job, t.reason]), [
    ['plain.service', 'target Machine(m1) went away'], ['web@3.service', 'target Machine(m1) went away'],
  ]);
  const got = where(p);
  assert.equal(got['web@3.service'], '-');
  assert.match(r.unschedulable.get('web@3.service') ?? '', /found conflict/);
  assert.equal(got['plain.service'], 'm2'); // both m2 and m3 carry one web unit: the tie goes to m2
  // a new machine arrives: the waiting unit is placed there
  p.setMachine({ id: 'm4', metadata: null });
  reconcile(p, [], ['web@3.service']);
  assert.equal(where(p)['web@3.service'], 'm4');
});

test('metadata change: a unit that can no longer run on its machine is moved', () => {
  const p = build([{ id: 'm1', md: { disk: 'ssd' } }, { id: 'm2', md: { disk: 'ssd' } }], [{ name: 'a.service', target: 'm1', xfleet: 'MachineMetadata=disk=ssd' }]);
  p.setMachine({ id: 'm1', metadata: { disk: 'hdd' } });
  const r = reconcile(p, p.jobsTargeting('m1'), []);
  assert.deepEqual(r.tasks.map((t) => [t.type, t.job, t.machineID]), [['unschedule', 'a.service', 'm1'], ['schedule', 'a.service', 'm2']]);
  assert.match(r.tasks[0]!.reason, /unable to run unit: local Machine metadata insufficient/);
});

test('incremental counts: the order follows loads as units come and go', () => {
  const p = build(three, []);
  assert.deepEqual(p.sortedMachines(), ['m1', 'm2', 'm3']);
  p.setJob({ name: 'a.service', req: requirementsOf('a.service', []), targetState: 'launched', target: 'm1' }, false);
  assert.deepEqual(p.sortedMachines(), ['m2', 'm3', 'm1']);
  p.setTargetState('a.service', 'inactive');
  assert.deepEqual(p.sortedMachines(), ['m1', 'm2', 'm3']);
  p.setTargetState('a.service', 'loaded');
  p.removeJob('a.service');
  assert.deepEqual(p.sortedMachines(), ['m1', 'm2', 'm3']);
  assert.equal(p.load('m1'), 0);
});
