// An in-memory copy of the registry (pure), built from one recursive GET and
// kept current from watch events, so engine and agent react to a change with
// work proportional to that change instead of re-reading everything as
// fleet does. apply() says what changed so callers can act on just that.

import type { KeysResponse, Node } from '../../client/types.js';
import {
  RegistryKeys, decodeJobObject, decodeMachineState, mergeMetadata, parseJobState,
  type JobState, type MachineState,
} from './schema.js';

export interface ModelJob {
  name: string;
  /** From job/<name>/object; undefined until an object is seen (fleet ignores such dirs). */
  hash?: string;
  hasObject: boolean;
  /** Raw job/<name>/target-state ("" when absent). */
  targetStateRaw: string;
  target?: string;
  heartbeat?: string;
}

export type ModelChange =
  | { kind: 'job'; name: string; field: 'object' | 'target-state' | 'target' | 'job-state' | 'removed' }
  | { kind: 'machine'; id: string; field: 'object' | 'metadata' | 'removed' }
  | { kind: 'file'; hash: string }
  | { kind: 'other'; key: string };

interface ModelMachine {
  object?: MachineState;
  dynamic?: Record<string, string>;
}

const SETS = new Set(['set', 'create', 'update', 'compareAndSwap']);
const DELETES = new Set(['delete', 'compareAndDelete', 'expire']);

export class RegistryModel {
  readonly jobs = new Map<string, ModelJob>();
  readonly machineDirs = new Map<string, ModelMachine>();
  /** unit/<hash> values as stored (JSON {"Raw"}), when the snapshot covered unit/. */
  readonly fileValues = new Map<string, string>();

  constructor(readonly keys: RegistryKeys) {}

  /** Replaces the model with a recursive GET of the prefix (or of a subtree of it). */
  reset(node: Node | undefined): void {
    this.jobs.clear();
    this.machineDirs.clear();
    this.fileValues.clear();
    if (node === undefined) return;
    const walk = (n: Node): void => {
      if (n.dir === true || n.nodes !== undefined) {
        for (const c of n.nodes ?? []) walk(c);
        return;
      }
      if (n.key !== undefined) this.setLeaf(n.key, n.value ?? '');
    };
    walk(node);
  }

  /** Applies one watch event; returns what changed. */
  apply(ev: KeysResponse): ModelChange[] {
    const key = ev.node?.key;
    if (key === undefined) return [];
    if (SETS.has(ev.action)) {
      if (ev.node?.dir === true) return [];
      const c = this.setLeaf(key, ev.node?.value ?? '');
      return c === undefined ? [] : [c];
    }
    if (DELETES.has(ev.action)) return this.remove(key, ev.node?.dir === true);
    return [];
  }

  private job(name: string): ModelJob {
    let j = this.jobs.get(name);
    if (!j) this.jobs.set(name, (j = { name, hasObject: false, targetStateRaw: '' }));
    return j;
  }

  private machine(id: string): ModelMachine {
    let m = this.machineDirs.get(id);
    if (!m) this.machineDirs.set(id, (m = {}));
    return m;
  }

  private setLeaf(key: string, value: string): ModelChange | undefined {
    const s = this.keys.split(key);
    if (s === undefined) return undefined;
    if (s[0] === 'job' && s.length === 3) {
      const j = this.job(s[1]!);
      switch (s[2]) {
        case 'object':
          j.hasObject = true;
          try {
            j.hash = decodeJobObject(value).hash;
          } catch {
            delete j.hash;
          }
          return { kind: 'job', name: j.name, field: 'object' };
        case 'target-state':
          j.targetStateRaw = value;
          return { kind: 'job', name: j.name, field: 'target-state' };
        case 'target':
          if (value === '') delete j.target;
          else j.target = value;
          return { kind: 'job', name: j.name, field: 'target' };
        case 'job-state':
          if (value === '') delete j.heartbeat;
          else j.heartbeat = value;
          return { kind: 'job', name: j.name, field: 'job-state' };
      }
      return { kind: 'other', key };
    }
    if (s[0] === 'unit' && s.length === 2) {
      this.fileValues.set(s[1]!, value);
      return { kind: 'file', hash: s[1]! };
    }
    if (s[0] === 'machines' && s.length === 3 && s[2] === 'object') {
      const m = this.machine(s[1]!);
      try {
        m.object = decodeMachineState(value);
      } catch {
        delete m.object;
      }
      return { kind: 'machine', id: s[1]!, field: 'object' };
    }
    if (s[0] === 'machines' && s.length === 4 && s[2] === 'metadata') {
      const m = this.machine(s[1]!);
      m.dynamic = { ...(m.dynamic ?? {}), [s[3]!]: value };
      return { kind: 'machine', id: s[1]!, field: 'metadata' };
    }
    return { kind: 'other', key };
  }

  private remove(key: string, dir: boolean): ModelChange[] {
    const s = this.keys.split(key);
    if (s === undefined) return [];
    const out: ModelChange[] = [];
    if (s.length === 0 || (s.length === 1 && dir)) {
      // the whole prefix, or a whole top-level dir
      if (s.length === 0 || s[0] === 'job') {
        for (const name of this.jobs.keys()) out.push({ kind: 'job', name, field: 'removed' });
        this.jobs.clear();
      }
      if (s.length === 0 || s[0] === 'machines') {
        for (const id of this.machineDirs.keys()) out.push({ kind: 'machine', id, field: 'removed' });
        this.machineDirs.clear();
      }
      if (s.length === 0 || s[0] === 'unit') this.fileValues.clear();
      return out;
    }
    if (s[0] === 'job') {
      const name = s[1]!;
      const j = this.jobs.get(name);
      if (j === undefined) return [];
      if (s.length === 2) {
        this.jobs.delete(name);
        return [{ kind: 'job', name, field: 'removed' }];
      }
      switch (s[2]) {
        case 'object':
          j.hasObject = false;
          delete j.hash;
          return [{ kind: 'job', name, field: 'object' }];
        case 'target-state':
          j.targetStateRaw = '';
          return [{ kind: 'job', name, field: 'target-state' }];
        case 'target':
          delete j.target;
          return [{ kind: 'job', name, field: 'target' }];
        case 'job-state':
          delete j.heartbeat;
          return [{ kind: 'job', name, field: 'job-state' }];
      }
      return [];
    }
    if (s[0] === 'unit' && s.length === 2) {
      this.fileValues.delete(s[1]!);
      return [{ kind: 'file', hash: s[1]! }];
    }
    if (s[0] === 'machines' && s.length >= 2) {
      const id = s[1]!;
      const m = this.machineDirs.get(id);
      if (m === undefined) return [];
      if (s.length === 2) {
        this.machineDirs.delete(id);
        return [{ kind: 'machine', id, field: 'removed' }];
      }
      if (s[2] === 'object') {
        delete m.object;
        return [{ kind: 'machine', id, field: 'object' }];
      }
      if (s[2] === 'metadata') {
        if (s.length === 3) delete m.dynamic;
        else if (m.dynamic) delete m.dynamic[s[3]!];
        return [{ kind: 'machine', id, field: 'metadata' }];
      }
      return [];
    }
    return [{ kind: 'other', key }];
  }

  // ---- reads ---------------------------------------------------------------------------

  /** fleet's view of a job: undefined if it has no object or an unreadable target state. */
  unit(name: string): { name: string; hash: string; targetState: JobState; target?: string; heartbeat?: string } | undefined {
    const j = this.jobs.get(name);
    if (j === undefined || !j.hasObject || j.hash === undefined) return undefined;
    const ts: JobState | undefined = j.targetStateRaw === '' ? 'inactive' : parseJobState(j.targetStateRaw);
    if (ts === undefined) return undefined;
    return { name, hash: j.hash, targetState: ts, ...(j.target !== undefined ? { target: j.target } : {}), ...(j.heartbeat !== undefined ? { heartbeat: j.heartbeat } : {}) };
  }

  /** A live machine (object present) with dynamic metadata merged; undefined otherwise. */
  liveMachine(id: string): MachineState | undefined {
    const m = this.machineDirs.get(id);
    if (m?.object === undefined || m.object.ID === '') return undefined;
    return { ...m.object, Metadata: mergeMetadata(m.object.Metadata, m.dynamic) };
  }

  liveMachines(): MachineState[] {
    const out: MachineState[] = [];
    for (const id of this.machineDirs.keys()) {
      const ms = this.liveMachine(id);
      if (ms !== undefined) out.push(ms);
    }
    return out.sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
  }
}
