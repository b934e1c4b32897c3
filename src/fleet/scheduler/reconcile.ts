// One engine reconcile pass (pure), fleet's calculateClusterTasks over a
// chosen set of jobs: first the scheduled ones to verify (unschedule those
// whose target state is inactive, whose machine went away or which can no
// longer run there; move units they replace), then the unscheduled ones to
// place. Every decision is applied to the Placement before the next one, as
// fleet applies earlier decisions to its snapshot.

import type { Placement, SchedJob } from './placement.js';

export interface Task {
  type: 'schedule' | 'unschedule';
  job: string;
  machineID: string;
  reason: string;
}

export interface ReconcileResult {
  tasks: Task[];
  /** Jobs wanting to run that no machine can take, with the reason. */
  unschedulable: Map<string, string>;
  /** Jobs that were placed (or are scheduled and fine): their reason is cleared. */
  placed: Set<string>;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `check`: scheduled jobs to verify; `place`: jobs to place if unscheduled.
 * Pass every job in both for a full reconcile.
 */
export function reconcile(p: Placement, check: Iterable<string>, place: Iterable<string>): ReconcileResult {
  const tasks: Task[] = [];
  const unschedulable = new Map<string, string>();
  const placed = new Set<string>();
  const toPlace = new Set(place);

  const moveReplaced = (j: SchedJob, machineID: string, reason: string): void => {
    const replaced = p.replacedOn(machineID, j);
    if (replaced === undefined) return;
    const r = p.jobs.get(replaced);
    if (r === undefined || r.target !== machineID) return;
    tasks.push({ type: 'unschedule', job: replaced, machineID, reason });
    p.unschedule(replaced);
    const dest = p.decideReschedule(machineID);
    if (dest === undefined) {
      toPlace.add(replaced);
      return;
    }
    tasks.push({ type: 'schedule', job: replaced, machineID: dest, reason: `replaced by Unit(${j.name})` });
    p.schedule(replaced, dest);
    placed.add(replaced);
  };

  for (const name of [...new Set(check)].sort(byName)) {
    const j = p.jobs.get(name);
    if (j?.target === undefined) continue;
    const machineID = j.target;
    let reason: string | undefined;
    if (j.targetState === 'inactive') reason = 'target state inactive';
    else if (!p.machines.has(machineID)) reason = `target Machine(${machineID}) went away`;
    else {
      const a = p.ableToRun(machineID, j);
      if (a.action === 'reschedule') {
        moveReplaced(j, machineID, a.reason);
        placed.add(name);
        continue;
      }
      if (a.action === 'unschedule') reason = `target Machine(${machineID}) unable to run unit: ${a.reason}`;
    }
    if (reason === undefined) {
      placed.add(name);
      continue;
    }
    tasks.push({ type: 'unschedule', job: name, machineID, reason });
    p.unschedule(name);
    toPlace.add(name);
  }

  for (const name of [...toPlace].sort(byName)) {
    const j = p.jobs.get(name);
    if (j === undefined || j.target !== undefined || j.targetState === 'inactive') continue;
    const d = p.decide(j);
    if ('reason' in d) {
      unschedulable.set(name, d.reason);
      continue;
    }
    tasks.push({ type: 'schedule', job: name, machineID: d.machineID, reason: `target state ${j.targetState} and unit not scheduled` });
    p.schedule(name, d.machineID);
    placed.add(name);
    const a = p.ableToRun(d.machineID, j);
    if (a.action === 'reschedule') moveReplaced(j, d.machineID, a.reason);
  }
  return { tasks, unschedulable, placed };
}
