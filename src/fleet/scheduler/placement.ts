// Placement (pure): fleet v1.0.0's least-loaded scheduler and AbleToRun
// rules over an in-memory cluster model that is updated change by change,
// so one decision costs O(machines tried × units on them), not a rebuild of
// the whole cluster as fleet's clusterState.agents() does per decision.
//
// Rules (fleet's agent/state.go, engine/scheduler.go, engine/state.go):
// - machines are tried in (number of units, machine ID) order; the first able
//   one wins. "Units" are scheduled jobs with a non-inactive target state plus
//   the global units that would run there.
// - AbleToRun: MachineID (full ID or first 8 chars), MachineMetadata (OR
//   within a key, AND across keys), MachineOf (every peer on that machine),
//   Conflicts (either side's globs), then Replaces (→ reschedule the other).

import { globMatch, type Requirements } from '../registry/job.js';
import type { JobState } from '../registry/schema.js';

export interface SchedJob {
  name: string;
  req: Requirements;
  targetState: JobState;
  /** job/<name>/target. */
  target?: string;
}

export interface SchedMachine {
  id: string;
  metadata: Record<string, string> | null;
}

export type Action = 'schedule' | 'unschedule' | 'reschedule';

export interface Ability {
  action: Action;
  reason: string;
}

export function matchesMachineID(machineID: string, wanted: string): boolean {
  return machineID === wanted || machineID.slice(0, 8) === wanted;
}

export function hasMetadata(metadata: Record<string, string> | null, required: Map<string, Set<string>>): boolean {
  for (const [key, values] of required) {
    const local = metadata?.[key];
    if (local === undefined || !values.has(local)) return false;
  }
  return true;
}

function anyGlob(patterns: readonly string[], name: string): boolean {
  for (const p of patterns) if (globMatch(p, name)) return true;
  return false;
}

/** What one unit on a machine contributes to conflict and replace checks. */
interface Resident {
  name: string;
  conflicts: readonly string[];
  replaces: readonly string[];
}

function residentOf(j: SchedJob): Resident {
  return { name: j.name, conflicts: j.req.conflicts, replaces: j.req.replaces };
}

/** The cluster as the scheduler sees it. */
export class Placement {
  readonly machines = new Map<string, SchedMachine>();
  /** Non-global jobs. */
  readonly jobs = new Map<string, SchedJob>();
  readonly globals = new Map<string, SchedJob>();
  /** machine → non-global jobs counted on it (scheduled there, target state not inactive). */
  private readonly onMachine = new Map<string, Map<string, Resident>>();
  /** machine → global units that would run there (cached; recomputed when dirty). */
  private readonly globalsOn = new Map<string, Map<string, Resident>>();
  private readonly globalsDirty = new Set<string>();
  /** Machine IDs sorted by (load, id). */
  private order: string[] = [];
  private readonly loadCache = new Map<string, number>();
  /** machine → every job whose target names it. */
  private readonly targeting = new Map<string, Set<string>>();

  // ---- updates ------------------------------------------------------------------

  setMachine(m: SchedMachine): void {
    const had = this.machines.has(m.id);
    this.machines.set(m.id, { id: m.id, metadata: m.metadata });
    if (!had) {
      this.onMachine.set(m.id, this.onMachine.get(m.id) ?? new Map());
      for (const j of this.jobs.values()) {
        if (j.target === m.id && j.targetState !== 'inactive') this.onMachine.get(m.id)!.set(j.name, residentOf(j));
      }
    }
    this.globalsDirty.add(m.id);
    this.reposition(m.id);
  }

  removeMachine(id: string): void {
    if (!this.machines.delete(id)) return;
    this.onMachine.delete(id);
    this.globalsOn.delete(id);
    this.globalsDirty.delete(id);
    this.loadCache.delete(id);
    const i = this.order.indexOf(id);
    if (i >= 0) this.order.splice(i, 1);
  }

  /** Adds or replaces a job (global or not); keeps per-machine counts right. */
  setJob(j: SchedJob, global: boolean): void {
    this.removeJob(j.name);
    const job: SchedJob = { ...j };
    if (global) {
      this.globals.set(job.name, job);
      this.markAllGlobalsDirty();
      return;
    }
    this.jobs.set(job.name, job);
    this.target(job.name, job.target);
    this.count(job);
  }

  private target(name: string, machineID: string | undefined, previous?: string): void {
    if (previous !== undefined) {
      const set = this.targeting.get(previous);
      set?.delete(name);
      if (set?.size === 0) this.targeting.delete(previous);
    }
    if (machineID !== undefined) {
      let set = this.targeting.get(machineID);
      if (!set) this.targeting.set(machineID, (set = new Set()));
      set.add(name);
    }
  }

  removeJob(name: string): void {
    if (this.globals.delete(name)) {
      this.markAllGlobalsDirty();
      return;
    }
    const old = this.jobs.get(name);
    if (old === undefined) return;
    this.jobs.delete(name);
    this.target(name, undefined, old.target);
    this.uncount(old);
  }

  /** Records a placement decision (or a target read from etcd). */
  schedule(name: string, machineID: string): void {
    const j = this.jobs.get(name);
    if (j === undefined) return;
    this.uncount(j);
    this.target(name, machineID, j.target);
    j.target = machineID;
    this.count(j);
  }

  unschedule(name: string): void {
    const j = this.jobs.get(name);
    if (j === undefined) return;
    this.uncount(j);
    this.target(name, undefined, j.target);
    delete j.target;
  }

  setTargetState(name: string, state: JobState): void {
    const j = this.jobs.get(name) ?? this.globals.get(name);
    if (j === undefined) return;
    if (this.globals.has(name)) {
      j.targetState = state;
      return;
    }
    this.uncount(j);
    j.targetState = state;
    this.count(j);
  }

  private count(j: SchedJob): void {
    if (j.target === undefined || j.targetState === 'inactive') return;
    const set = this.onMachine.get(j.target);
    if (set === undefined) return; // machine unknown (gone): not counted, as fleet
    set.set(j.name, residentOf(j));
    this.afterMachineChange(j.target);
  }

  private uncount(j: SchedJob): void {
    if (j.target === undefined) return;
    const set = this.onMachine.get(j.target);
    if (set?.delete(j.name)) this.afterMachineChange(j.target);
  }

  private afterMachineChange(id: string): void {
    // globals' conflicts depend on what else runs there
    if (this.globals.size > 0) this.globalsDirty.add(id);
    this.reposition(id);
  }

  private markAllGlobalsDirty(): void {
    for (const id of this.machines.keys()) this.globalsDirty.add(id);
    this.rebuildOrder();
  }

  // ---- derived views --------------------------------------------------------------

  private globalResidents(id: string): Map<string, Resident> {
    if (!this.globalsDirty.has(id)) return this.globalsOn.get(id) ?? new Map();
    this.globalsDirty.delete(id);
    const m = this.machines.get(id);
    const out = new Map<string, Resident>();
    if (m !== undefined && this.globals.size > 0) {
      const jobsHere = this.onMachine.get(id) ?? new Map<string, Resident>();
      const names = [...this.globals.keys()].sort();
      for (const name of names) {
        const g = this.globals.get(name)!;
        if (!hasMetadata(m.metadata, g.req.metadata)) continue;
        const r = residentOf(g);
        if (conflictWith(r, jobsHere.values()) !== undefined || conflictWith(r, out.values()) !== undefined) continue;
        out.set(name, r);
      }
    }
    this.globalsOn.set(id, out);
    return out;
  }

  /** Units fleet counts on a machine: scheduled non-inactive jobs plus globals that would run there. */
  load(id: string): number {
    return (this.onMachine.get(id)?.size ?? 0) + this.globalResidents(id).size;
  }

  /** Names of the units on a machine (jobs and globals), sorted. */
  unitsOn(id: string): string[] {
    return [...(this.onMachine.get(id)?.keys() ?? []), ...this.globalResidents(id).keys()].sort();
  }

  /** Global units that run on a machine (metadata matches, no conflict). */
  globalsFor(id: string): string[] {
    return [...this.globalResidents(id).keys()].sort();
  }

  private residentsOf(id: string): Iterable<Resident> {
    const jobs = this.onMachine.get(id);
    const globals = this.globalResidents(id);
    return (function* () {
      if (jobs) yield* jobs.values();
      yield* globals.values();
    })();
  }

  private hasResident(id: string, name: string): boolean {
    return (this.onMachine.get(id)?.has(name) ?? false) || this.globalResidents(id).has(name);
  }

  private compare(a: string, b: string): number {
    const la = this.loadCache.get(a) ?? 0;
    const lb = this.loadCache.get(b) ?? 0;
    return la !== lb ? la - lb : a < b ? -1 : a > b ? 1 : 0;
  }

  private reposition(id: string): void {
    if (!this.machines.has(id)) return;
    const i = this.order.indexOf(id);
    if (i >= 0) this.order.splice(i, 1);
    this.loadCache.set(id, this.load(id));
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.compare(this.order[mid]!, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.order.splice(lo, 0, id);
  }

  private rebuildOrder(): void {
    for (const id of this.machines.keys()) this.loadCache.set(id, this.load(id));
    this.order = [...this.machines.keys()].sort((a, b) => this.compare(a, b));
  }

  /** Machines in the order the scheduler tries them (do not mutate). */
  sortedMachines(): readonly string[] {
    if (this.globalsDirty.size > 0) this.rebuildOrder();
    return this.order;
  }

  /** Every job whose target names machine id (any target state; the machine may be gone). */
  jobsTargeting(id: string): string[] {
    return [...(this.targeting.get(id) ?? [])];
  }

  // ---- decisions --------------------------------------------------------------------

  /** fleet's AgentState.AbleToRun of job on machine id. */
  ableToRun(id: string, job: SchedJob): Ability {
    const m = this.machines.get(id);
    if (m === undefined) return { action: 'unschedule', reason: `target Machine(${id}) went away` };
    if (job.req.machineID !== undefined && !matchesMachineID(id, job.req.machineID)) {
      return { action: 'unschedule', reason: `agent ID ${JSON.stringify(id)} does not match required ${JSON.stringify(job.req.machineID)}` };
    }
    if (job.req.metadata.size > 0 && !hasMetadata(m.metadata, job.req.metadata)) {
      return { action: 'unschedule', reason: 'local Machine metadata insufficient' };
    }
    for (const peer of job.req.peers) {
      if (!this.hasResident(id, peer)) return { action: 'unschedule', reason: `required peer Unit(${peer}) is not scheduled locally` };
    }
    const conflict = conflictWith(residentOf(job), this.residentsOf(id));
    if (conflict !== undefined) return { action: 'unschedule', reason: `found conflict with locally-scheduled Unit(${conflict})` };
    const replaced = replaceWith(residentOf(job), this.residentsOf(id));
    if (replaced !== undefined) return { action: 'reschedule', reason: `found replace with locally-scheduled Unit(${replaced})` };
    return { action: 'schedule', reason: '' };
  }

  /** The unit `job` would replace on machine id, if any. */
  replacedOn(id: string, job: SchedJob): string | undefined {
    return replaceWith(residentOf(job), this.residentsOf(id));
  }

  /**
   * fleet's Decide: the least-loaded machine able to run the job (a machine
   * where it would replace a unit counts as able). Otherwise a reason naming
   * why each machine refused (up to `maxReasons` machines listed).
   */
  decide(job: SchedJob, maxReasons = 5): { machineID: string } | { reason: string } {
    const order = this.sortedMachines();
    if (order.length === 0) return { reason: 'zero agents available' };
    const refusals: Array<[string, string]> = [];
    for (const id of order) {
      const a = this.ableToRun(id, job);
      if (a.action !== 'unschedule') return { machineID: id };
      refusals.push([id, a.reason]);
    }
    // Listed by machine ID (not load order) so the text only changes when a refusal does.
    refusals.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const shown = refusals.slice(0, maxReasons).map(([id, r]) => `${id.slice(0, 8)}...: ${r}`);
    const more = refusals.length > shown.length ? `; and ${refusals.length - shown.length} more` : '';
    return { reason: `no agents able to run job: ${order.length} machine${order.length === 1 ? '' : 's'} tried; ${shown.join('; ')}${more}` };
  }

  /** fleet's DecideReschedule: the least-loaded machine other than `except` (no AbleToRun check, as fleet). */
  decideReschedule(except: string): string | undefined {
    for (const id of this.sortedMachines()) if (id !== except) return id;
    return undefined;
  }
}

/** HasConflict: the first resident whose globs match `unit`, or whose name `unit`'s globs match. */
export function conflictWith(unit: Resident, residents: Iterable<Resident>): string | undefined {
  for (const e of residents) {
    if (e.name === unit.name) continue;
    // fleet names the unit itself in this case; naming the resident tells a human more
    if (e.conflicts.length > 0 && anyGlob(e.conflicts, unit.name)) return e.name;
    if (unit.conflicts.length > 0 && anyGlob(unit.conflicts, e.name)) return e.name;
  }
  return undefined;
}

/** hasReplace: exactly one side replaces the other (mutual replaces are ignored). */
export function replaceWith(unit: Resident, residents: Iterable<Resident>): string | undefined {
  for (const e of residents) {
    if (e.name === unit.name) continue;
    const p = unit.replaces.length > 0 && anyGlob(unit.replaces, e.name);
    const q = e.replaces.length > 0 && anyGlob(e.replaces, unit.name);
    if (p !== q) return e.name;
  }
  return undefined;
}
