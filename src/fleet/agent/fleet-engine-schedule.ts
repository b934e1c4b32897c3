// What an agent runs when the engine holding the lease is fleet's own (a
// CoreOS machine still on fleet v1.0.0, during a move to coracle machine by
// machine). fleet's engine writes job/<name>/target and nothing else, so the
// schedule index (coracle/schedule/<machine>/, coracle/globals/) that
// coracle's agents follow stays empty; the agent then reads its units from
// job/ as fleet's agent did, once per reconcile pass. Pure.
import type { IndexEntry, JobRecord } from '../registry/index.js';

export interface ScheduleFromJobs {
  /** Units targeted at this machine. */
  mine: Map<string, IndexEntry>;
  /** Untargeted units that may be global (the agent checks Global= in their files). */
  maybeGlobal: Map<string, IndexEntry>;
}

export function scheduleFromJobs(jobs: readonly JobRecord[], machineID: string): ScheduleFromJobs {
  const mine = new Map<string, IndexEntry>();
  const maybeGlobal = new Map<string, IndexEntry>();
  for (const j of jobs) {
    if (j.hash === undefined) continue;
    const entry = { hash: j.hash, targetState: j.targetState };
    if (j.target === machineID) mine.set(j.name, entry);
    else if (j.target === undefined && j.targetState !== 'inactive') maybeGlobal.set(j.name, entry);
  }
  return { mine, maybeGlobal };
}
