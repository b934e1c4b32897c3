// The fleet registry over coracle's etcd v2 client: the same requests fleet
// v1.0.0's EtcdRegistry makes (same keys, same prevExist/prevValue/prevIndex
// conditions), plus coracle's additions (unscheduled reasons, agent
// endpoints, a whole-prefix snapshot and watch for incremental models).

import type { EtcdClient } from '../../client/index.js';
import { CanceledError, EtcdError } from '../../client/errors.js';
import type { CallOptions } from '../../client/cluster.js';
import type { KeysResponse, Node } from '../../client/types.js';
import type { Watcher } from '../../client/watcher.js';
import {
  RegistryKeys, DEFAULT_KEY_PREFIX, ENGINE_LEASE_NAME,
  type JobRecord, type JobState, type LeaseValue, type MachineState, type UnitStateRecord, type UnscheduledReason,
  decodeLease, decodeUnitModel, decodeUnscheduled, determineJobState, encodeJobObject, encodeLease, encodeMachineState,
  encodeUnitModel, encodeUnitState, encodeUnscheduled, jobFromDir, machineFromDir, statesFromDir, decodeUnitState,
} from './schema.js';
import { parseFleetUnit, type FleetUnitFile } from './unitfile.js';

export const ERROR_KEY_NOT_FOUND = 100;
export const ERROR_TEST_FAILED = 101;
export const ERROR_NODE_EXIST = 105;
export const ERROR_EVENT_INDEX_CLEARED = 401;

export function isEtcdError(err: unknown, code: number): boolean {
  return err instanceof EtcdError && err.errorCode === code;
}

/** DELETE of a job that does not exist (fleet: "job does not exist"). */
export class UnitNotFoundError extends Error {
  constructor(readonly unitName: string) {
    super('job does not exist');
    this.name = 'UnitNotFoundError';
  }
}

export interface RegistryOptions {
  /** etcd_key_prefix (default /_coreos.com/fleet/). */
  prefix?: string;
  /** etcd_request_timeout in milliseconds for each call (default 1000, as fleet). */
  requestTimeoutMs?: number;
}

/** A unit as the registry holds it: desired state, file, schedule. */
export interface FleetUnit {
  name: string;
  /** Hex SHA-1 of the unit file. */
  hash: string;
  /** The parsed file; undefined if unit/<hash> is missing or unreadable (fleet then skips the unit). */
  file?: FleetUnitFile;
  targetState: JobState;
  /** job/<name>/target: the machine the engine placed it on. */
  target?: string;
  /** job/<name>/job-state: the machine that reported it launched. */
  heartbeat?: string;
}

/** A unit plus fleet's derived current state (what the API's GET /units shows). */
export interface FleetUnitWithState extends FleetUnit {
  currentState: JobState;
}

export interface Lease {
  key: string;
  machineID: string;
  version: number;
  /** modifiedIndex of the lease key: renewals CAS on it. */
  index: number;
  /** Seconds left when read. */
  ttl: number;
}

export interface Snapshot {
  /** X-Etcd-Index of the read: watch from index + 1. */
  index: number;
  /** The prefix dir (recursive), or undefined when the prefix does not exist yet. */
  node?: Node;
}

export class Registry {
  readonly keys: RegistryKeys;
  private readonly timeout: number;
  /** unit/<hash> is content-addressed and never changes: cache parsed files forever. */
  private readonly fileCache = new Map<string, FleetUnitFile | null>();
  private readonly fileFetches = new Map<string, Promise<FleetUnitFile | undefined>>();

  constructor(
    readonly client: EtcdClient,
    opts: RegistryOptions = {},
  ) {
    this.keys = new RegistryKeys(opts.prefix ?? DEFAULT_KEY_PREFIX);
    this.timeout = opts.requestTimeoutMs ?? 1000;
  }

  private call(extra: CallOptions = {}): CallOptions {
    return { timeout: this.timeout, ...extra };
  }

  /** The child directories of `key` that `decode` understands (others are skipped), sorted by `sortKey`. */
  private async decodeChildren<T>(key: string, decode: (dir: Node) => T | undefined, sortKey: (t: T) => string): Promise<T[]> {
    const res = await this.getOrUndefined(key, { recursive: true, sorted: true });
    const out: T[] = [];
    for (const dir of res?.node?.nodes ?? []) {
      const t = decode(dir);
      if (t !== undefined) out.push(t);
    }
    return out.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  }

  private async getOrUndefined(key: string, opts: { recursive?: boolean; sorted?: boolean; quorum?: boolean } = {}): Promise<KeysResponse | undefined> {
    try {
      return await this.client.keys.get(key, { ...this.call(), ...opts });
    } catch (e) {
      if (isEtcdError(e, ERROR_KEY_NOT_FOUND)) return undefined;
      throw e;
    }
  }

  private async deleteIgnoringMissing(key: string, opts: { recursive?: boolean; prevValue?: string; prevIndex?: number } = {}): Promise<boolean> {
    try {
      await this.client.keys.delete(key, { ...this.call(), ...opts });
      return true;
    } catch (e) {
      if (isEtcdError(e, ERROR_KEY_NOT_FOUND)) return false;
      throw e;
    }
  }

  // ---- unit files ------------------------------------------------------------------

  /** Stores unit/<hash> (create-only; "already exists" is fine: same content). */
  async storeUnitFile(file: FleetUnitFile): Promise<void> {
    try {
      await this.client.keys.create(this.keys.unitFile(file.hash), encodeUnitModel(file.text), this.call());
    } catch (e) {
      if (!isEtcdError(e, ERROR_NODE_EXIST)) throw e;
    }
    this.fileCache.set(file.hash, file);
  }

  /** The unit file stored under hash, or undefined. Concurrent asks for one hash share one GET. */
  async unitFile(hash: string): Promise<FleetUnitFile | undefined> {
    const cached = this.fileCache.get(hash);
    if (cached !== undefined) return cached ?? undefined;
    const inFlight = this.fileFetches.get(hash);
    if (inFlight !== undefined) return inFlight;
    const fetch = (async () => {
      try {
        const res = await this.getOrUndefined(this.keys.unitFile(hash));
        const file = res?.node?.value === undefined ? undefined : this.fileFromModel(res.node.value);
        if (file !== undefined) this.fileCache.set(hash, file);
        return file;
      } finally {
        this.fileFetches.delete(hash);
      }
    })();
    this.fileFetches.set(hash, fetch);
    return fetch;
  }

  /** A unit file already read or stored through this registry (no I/O). */
  cachedUnitFile(hash: string): FleetUnitFile | undefined {
    return this.fileCache.get(hash) ?? undefined;
  }

  /** Parses a unit/<hash> value; undefined when unreadable. Cached by hash. */
  fileFromModel(value: string, hash?: string): FleetUnitFile | undefined {
    if (hash !== undefined) {
      const cached = this.fileCache.get(hash);
      if (cached !== undefined) return cached ?? undefined;
    }
    try {
      const file = parseFleetUnit(decodeUnitModel(value));
      if (hash !== undefined) this.fileCache.set(hash, file);
      return file;
    } catch {
      return undefined;
    }
  }

  /** All unit files (one recursive GET, as fleet's getAllUnitsHashMap). */
  async allUnitFiles(): Promise<Map<string, FleetUnitFile>> {
    const res = await this.getOrUndefined(this.keys.units, { recursive: true, quorum: true });
    const out = new Map<string, FleetUnitFile>();
    for (const node of res?.node?.nodes ?? []) {
      const hash = (node.key ?? '').split('/').pop() ?? '';
      if (!/^[0-9a-f]{40}$/.test(hash) || node.value === undefined) continue;
      const file = this.fileFromModel(node.value, hash);
      if (file !== undefined) out.set(hash, file);
    }
    return out;
  }

  // ---- units (jobs) ----------------------------------------------------------------

  /** fleet's CreateUnit: unit/<hash>, then job/<name>/object (overwrite allowed), then target-state. */
  async createUnit(name: string, file: FleetUnitFile, targetState: JobState = 'inactive'): Promise<void> {
    await this.storeUnitFile(file);
    await this.client.keys.set(this.keys.jobObject(name), encodeJobObject(name, file.hash), this.call());
    await this.setTargetState(name, targetState);
  }

  async setTargetState(name: string, state: JobState): Promise<void> {
    await this.client.keys.set(this.keys.jobTargetState(name), state, this.call());
  }

  /** DELETE job/<name> recursively. Throws UnitNotFoundError when absent. */
  async destroyUnit(name: string): Promise<void> {
    try {
      await this.client.keys.delete(this.keys.job(name), { ...this.call(), recursive: true });
    } catch (e) {
      if (isEtcdError(e, ERROR_KEY_NOT_FOUND)) throw new UnitNotFoundError(name);
      throw e;
    }
    await this.clearUnscheduledReason(name).catch(() => undefined);
  }

  /** Raw job records (no unit files), sorted by name. */
  async jobs(): Promise<JobRecord[]> {
    return this.decodeChildren(this.keys.jobs, jobFromDir, (j) => j.name);
  }

  /** One unit, or undefined (no object, or its file is missing: fleet then treats it as absent). */
  async unit(name: string): Promise<FleetUnit | undefined> {
    const res = await this.getOrUndefined(this.keys.job(name), { recursive: true });
    if (res?.node === undefined) return undefined;
    const job = jobFromDir(res.node);
    if (job?.hash === undefined) return undefined;
    const file = await this.unitFile(job.hash);
    if (file === undefined) return undefined;
    return toUnit(job, file);
  }

  /** All units with their files, sorted by name (units whose file is missing are skipped, as fleet does). */
  async units(): Promise<FleetUnit[]> {
    const jobs = await this.jobs();
    const missing = jobs.some((j) => j.hash !== undefined && !this.fileCache.has(j.hash));
    const files = missing ? await this.allUnitFiles() : undefined;
    const out: FleetUnit[] = [];
    for (const job of jobs) {
      if (job.hash === undefined) continue;
      const file = files?.get(job.hash) ?? this.fileCache.get(job.hash) ?? undefined;
      if (file === undefined) continue;
      out.push(toUnit(job, file));
    }
    return out;
  }

  /** All units with fleet's derived current state (inactive / loaded / launched). */
  async unitsWithState(): Promise<FleetUnitWithState[]> {
    const [units, states] = await Promise.all([this.units(), this.unitStates()]);
    const has = new Set(states.map((s) => `${s.name}\u0000${s.machineID}`));
    return units.map((u) => ({
      ...u,
      currentState: determineJobState(u.heartbeat, u.target, u.target !== undefined && has.has(`${u.name}\u0000${u.target}`)),
    }));
  }

  /** fleet's ScheduledUnit for one unit: its current state. */
  async currentState(name: string): Promise<JobState> {
    const res = await this.getOrUndefined(this.keys.job(name), { recursive: true });
    const job = res?.node === undefined ? undefined : jobFromDir(res.node);
    if (job?.target === undefined) return 'inactive';
    const state = await this.unitState(name, job.target);
    return determineJobState(job.heartbeat, job.target, state !== undefined);
  }

  // ---- schedule --------------------------------------------------------------------

  /** Writes job/<name>/target (prevExist=false). False when it was already scheduled. */
  async scheduleUnit(name: string, machineID: string): Promise<boolean> {
    try {
      await this.client.keys.create(this.keys.jobTarget(name), machineID, this.call());
      return true;
    } catch (e) {
      if (isEtcdError(e, ERROR_NODE_EXIST)) return false;
      throw e;
    }
  }

  /** DELETE job/<name>/target only if it still names machineID. */
  async unscheduleUnit(name: string, machineID: string): Promise<boolean> {
    try {
      return await this.deleteIgnoringMissing(this.keys.jobTarget(name), { prevValue: machineID });
    } catch (e) {
      if (isEtcdError(e, ERROR_TEST_FAILED)) return false;
      throw e;
    }
  }

  /** The agent's job-state heartbeat for a launched unit. */
  async unitHeartbeat(name: string, machineID: string, ttlSeconds: number): Promise<void> {
    await this.client.keys.set(this.keys.jobHeartbeat(name), machineID, { ...this.call(), ttl: ttlSeconds });
  }

  /**
   * Renews a job-state heartbeat's TTL without rewriting it (etcd's
   * refresh=true, only while it still names machineID): watchers of job/
   * (every engine) are not woken by a renewal, as they are by fleet's plain
   * rewrite every ttl*4/5. Falls back to that rewrite when the key is gone
   * or names another machine.
   */
  async refreshUnitHeartbeat(name: string, machineID: string, ttlSeconds: number): Promise<void> {
    try {
      await this.client.keys.set(this.keys.jobHeartbeat(name), '', { ...this.call(), ttl: ttlSeconds, refresh: true, prevValue: machineID });
    } catch (e) {
      if (!isEtcdError(e, ERROR_KEY_NOT_FOUND) && !isEtcdError(e, ERROR_TEST_FAILED)) throw e;
      await this.unitHeartbeat(name, machineID, ttlSeconds);
    }
  }

  /** Deletes job-state; with machineID only while it still names that machine. */
  async clearUnitHeartbeat(name: string, machineID?: string): Promise<void> {
    try {
      await this.deleteIgnoringMissing(this.keys.jobHeartbeat(name), machineID === undefined ? {} : { prevValue: machineID });
    } catch (e) {
      if (!isEtcdError(e, ERROR_TEST_FAILED)) throw e;
    }
  }

  // ---- unit states -----------------------------------------------------------------

  /** All published states, sorted by (unit, machine). */
  async unitStates(): Promise<UnitStateRecord[]> {
    const res = await this.getOrUndefined(this.keys.states, { recursive: true });
    return res?.node === undefined ? [] : statesFromDir(res.node);
  }

  /** The states of one unit (one per machine it is loaded on), sorted by machine. */
  async unitStatesOf(name: string): Promise<UnitStateRecord[]> {
    const res = await this.getOrUndefined(this.keys.unitStates(name), { recursive: true, sorted: true });
    if (res?.node === undefined) return [];
    return statesFromDir({ nodes: [res.node] });
  }

  async unitState(name: string, machineID: string): Promise<UnitStateRecord | undefined> {
    const res = await this.getOrUndefined(this.keys.unitState(name, machineID));
    if (res?.node?.value === undefined) return undefined;
    try {
      return decodeUnitState(res.node.value, name, machineID);
    } catch {
      return undefined;
    }
  }

  /** Publishes states/<unit>/<machine> and the legacy state/<unit>, both with a TTL. */
  async saveUnitState(state: UnitStateRecord, ttlSeconds: number): Promise<void> {
    if (state.hash === '' || state.machineID === '') return; // fleet never publishes these
    const value = encodeUnitState(state);
    await Promise.all([
      this.client.keys.set(this.keys.legacyUnitState(state.name), value, { ...this.call(), ttl: ttlSeconds }),
      this.client.keys.set(this.keys.unitState(state.name, state.machineID), value, { ...this.call(), ttl: ttlSeconds }),
    ]);
  }

  /** Removes a unit's published state on one machine (and the legacy copy). */
  async removeUnitState(name: string, machineID?: string): Promise<void> {
    await this.deleteIgnoringMissing(this.keys.legacyUnitState(name));
    if (machineID === undefined) await this.deleteIgnoringMissing(this.keys.unitStates(name), { recursive: true });
    else await this.deleteIgnoringMissing(this.keys.unitState(name, machineID));
  }

  // ---- machines --------------------------------------------------------------------

  /** Live machines (object not expired) with merged dynamic metadata, sorted by ID. */
  async machines(): Promise<MachineState[]> {
    return this.decodeChildren(this.keys.machines, machineFromDir, (m) => m.ID);
  }

  async machine(id: string): Promise<MachineState | undefined> {
    const res = await this.getOrUndefined(this.keys.machine(id), { recursive: true, sorted: true });
    return res?.node === undefined ? undefined : machineFromDir(res.node);
  }

  /** First registration: create-only. Returns the object's modifiedIndex. Throws 105 if present. */
  async registerMachine(ms: MachineState, ttlSeconds: number): Promise<number> {
    const res = await this.client.keys.create(this.keys.machineObject(ms.ID), encodeMachineState(ms), { ...this.call(), ttl: ttlSeconds });
    return res.node?.modifiedIndex ?? 0;
  }

  /** Heartbeat: update (prevExist=true), falling back to create as fleet does. */
  async heartbeatMachine(ms: MachineState, ttlSeconds: number): Promise<number> {
    const value = encodeMachineState(ms);
    try {
      const res = await this.client.keys.update(this.keys.machineObject(ms.ID), value, { ...this.call(), ttl: ttlSeconds });
      return res.node?.modifiedIndex ?? 0;
    } catch (e) {
      if (!isEtcdError(e, ERROR_KEY_NOT_FOUND)) throw e;
      const res = await this.client.keys.create(this.keys.machineObject(ms.ID), value, { ...this.call(), ttl: ttlSeconds });
      return res.node?.modifiedIndex ?? 0;
    }
  }

  async removeMachine(id: string): Promise<void> {
    await this.deleteIgnoringMissing(this.keys.machineObject(id));
  }

  async setMachineMetadata(id: string, key: string, value: string): Promise<void> {
    await this.client.keys.set(this.keys.machineMetadata(id, key), value, this.call());
  }

  /** fleet keeps the key with an empty value (= deleted). */
  async deleteMachineMetadata(id: string, key: string): Promise<void> {
    await this.setMachineMetadata(id, key, '');
  }

  // ---- engine lease and version ----------------------------------------------------

  async getLease(name: string = ENGINE_LEASE_NAME): Promise<Lease | undefined> {
    // quorum: a member that just restarted may still hold an old lease (fleet reads it plainly)
    const res = await this.getOrUndefined(this.keys.lease(name), { quorum: true });
    return res === undefined ? undefined : leaseFrom(res);
  }

  /** Create-only; undefined when someone else holds it. */
  async acquireLease(machineID: string, version: number, ttlSeconds: number, name: string = ENGINE_LEASE_NAME): Promise<Lease | undefined> {
    try {
      const res = await this.client.keys.create(this.keys.lease(name), encodeLease({ machineID, version }), { ...this.call(), ttl: ttlSeconds });
      return leaseFrom(res);
    } catch (e) {
      if (isEtcdError(e, ERROR_NODE_EXIST)) return undefined;
      throw e;
    }
  }

  /** CAS on the lease's index; throws (101/100) when it was lost. */
  async renewLease(lease: Lease, ttlSeconds: number, call: CallOptions = {}): Promise<Lease> {
    const value = encodeLease({ machineID: lease.machineID, version: lease.version });
    const res = await this.client.keys.set(lease.key, value, { ...this.call(call), ttl: ttlSeconds, prevIndex: lease.index });
    return leaseFrom(res);
  }

  /** Takes a lease of a lower version over (CAS on its index); undefined when it changed meanwhile. */
  async stealLease(existing: Lease, machineID: string, version: number, ttlSeconds: number): Promise<Lease | undefined> {
    try {
      const res = await this.client.keys.set(existing.key, encodeLease({ machineID, version }), { ...this.call(), ttl: ttlSeconds, prevIndex: existing.index });
      return leaseFrom(res);
    } catch (e) {
      if (isEtcdError(e, ERROR_NODE_EXIST) || isEtcdError(e, ERROR_TEST_FAILED) || isEtcdError(e, ERROR_KEY_NOT_FOUND)) return undefined;
      throw e;
    }
  }

  async releaseLease(lease: Lease): Promise<void> {
    try {
      await this.client.keys.delete(lease.key, { ...this.call(), prevIndex: lease.index });
    } catch (e) {
      if (!isEtcdError(e, ERROR_KEY_NOT_FOUND) && !isEtcdError(e, ERROR_TEST_FAILED)) throw e;
    }
  }

  /** engine/version; 0 when unset. */
  async engineVersion(): Promise<number> {
    const res = await this.getOrUndefined(this.keys.engineVersion, { quorum: true });
    if (res?.node?.value === undefined) return 0;
    const v = Number.parseInt(res.node.value, 10);
    if (!Number.isFinite(v)) throw new Error(`${this.keys.engineVersion}: not a number: ${JSON.stringify(res.node.value)}`);
    return v;
  }

  /** CAS from → to; creates the key when absent. */
  async updateEngineVersion(from: number, to: number): Promise<void> {
    try {
      await this.client.keys.set(this.keys.engineVersion, String(to), { ...this.call(), prevValue: String(from) });
    } catch (e) {
      if (!isEtcdError(e, ERROR_KEY_NOT_FOUND)) throw e;
      await this.client.keys.create(this.keys.engineVersion, String(to), this.call());
    }
  }

  // ---- coracle additions -----------------------------------------------------------

  /** Why the engine left units unscheduled (unit name → reason). */
  async unscheduledReasons(): Promise<Map<string, UnscheduledReason>> {
    const res = await this.getOrUndefined(this.keys.unscheduledDir, { recursive: true });
    const out = new Map<string, UnscheduledReason>();
    for (const node of res?.node?.nodes ?? []) {
      if (node.value === undefined) continue;
      try {
        out.set((node.key ?? '').split('/').pop() ?? '', decodeUnscheduled(node.value));
      } catch {
        // skip unreadable
      }
    }
    return out;
  }

  async unscheduledReason(name: string): Promise<UnscheduledReason | undefined> {
    const res = await this.getOrUndefined(this.keys.unscheduled(name));
    if (res?.node?.value === undefined) return undefined;
    try {
      return decodeUnscheduled(res.node.value);
    } catch {
      return undefined;
    }
  }

  async setUnscheduledReason(name: string, reason: UnscheduledReason): Promise<void> {
    await this.client.keys.set(this.keys.unscheduled(name), encodeUnscheduled(reason), this.call());
  }

  async clearUnscheduledReason(name: string): Promise<void> {
    await this.deleteIgnoringMissing(this.keys.unscheduled(name));
  }

  /** Publishes where this machine's agent answers (status/journal), with a TTL. */
  async setAgentEndpoint(machineID: string, url: string, ttlSeconds: number): Promise<void> {
    await this.client.keys.set(this.keys.agent(machineID), JSON.stringify({ url }), { ...this.call(), ttl: ttlSeconds });
  }

  async agentEndpoint(machineID: string): Promise<string | undefined> {
    const res = await this.getOrUndefined(this.keys.agent(machineID));
    if (res?.node?.value === undefined) return undefined;
    try {
      const o = JSON.parse(res.node.value) as { url?: unknown };
      return typeof o.url === 'string' ? o.url : undefined;
    } catch {
      return undefined;
    }
  }

  async removeAgentEndpoint(machineID: string): Promise<void> {
    await this.deleteIgnoringMissing(this.keys.agent(machineID));
  }

  // ---- snapshot and watch (for incremental in-memory models) -------------------------

  /** The whole prefix in one recursive GET, with the index to watch from. */
  snapshot(call: CallOptions = {}): Promise<Snapshot> {
    return this.snapshotOf(this.keys.prefix, call);
  }

  /** One subtree (e.g. keys.jobs) in one recursive GET, with the index to watch from. */
  async snapshotOf(key: string, call: CallOptions = {}): Promise<Snapshot> {
    try {
      const res = await this.client.keys.get(key, { ...this.call({ timeout: Math.max(this.timeout, 30_000) }), ...call, recursive: true, quorum: true });
      const out: Snapshot = { index: res.index };
      if (res.node !== undefined) out.node = res.node;
      return out;
    } catch (e) {
      if (isEtcdError(e, ERROR_KEY_NOT_FOUND)) return { index: (e as EtcdError).index };
      throw e;
    }
  }

  /** A recursive watcher on one subtree. */
  watchKey(key: string, afterIndex: number, opts: { stream?: boolean } = {}): Watcher {
    return this.client.keys.watcher(key, { afterIndex, recursive: true, ...(opts.stream ? { stream: true } : {}) });
  }

  /** A recursive watcher on the whole prefix, delivering events after `afterIndex`. */
  watch(afterIndex: number, opts: { stream?: boolean } = {}): Watcher {
    return this.client.keys.watcher(this.keys.prefix, { afterIndex, recursive: true, ...(opts.stream ? { stream: true } : {}) });
  }
}

function toUnit(job: JobRecord, file: FleetUnitFile): FleetUnit {
  const u: FleetUnit = { name: job.name, hash: job.hash ?? file.hash, file, targetState: job.targetState };
  if (job.target !== undefined) u.target = job.target;
  if (job.heartbeat !== undefined) u.heartbeat = job.heartbeat;
  return u;
}

function leaseFrom(res: KeysResponse): Lease {
  const node = res.node ?? {};
  const v: LeaseValue = decodeLease(node.value ?? '');
  return { key: node.key ?? '', machineID: v.machineID, version: v.version, index: node.modifiedIndex ?? 0, ttl: node.ttl ?? 0 };
}

/**
 * The watcher's next event, or a CanceledError as soon as `signal` aborts
 * (a streamed watch closed before its first response headers does not settle
 * by itself).
 */
export function nextEvent(w: Watcher, signal: AbortSignal): Promise<KeysResponse> {
  if (signal.aborted) return Promise.reject(new CanceledError());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      w.close();
      reject(new CanceledError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    w.next().then(
      (ev) => {
        signal.removeEventListener('abort', onAbort);
        resolve(ev);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
