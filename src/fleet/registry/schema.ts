// fleet's etcd registry layout and value encodings (pure). Keys are joined
// like Go's path.Join (never a trailing slash); values are byte-identical to
// what fleet v1.0.0's encoding/json writes, so a real fleet and real
// fleetctl --driver etcd can share the registry with coracle.

import { posix } from 'node:path';
import { goQuote } from '../../store/gojson.js';
import type { Node } from '../../client/types.js';
import { bytesToHash, hashToBytes } from './unitfile.js';

export const DEFAULT_KEY_PREFIX = '/_coreos.com/fleet/';
/** fleet's version string, as machines advertise it (fleetctl compares against it). */
export const FLEET_VERSION = '1.0.0';
/** The engine version fleet v1.0.0 CASes `engine/version` up to. */
export const ENGINE_VERSION = 1;
export const ENGINE_LEASE_NAME = 'engine-leader';

export type JobState = 'inactive' | 'loaded' | 'launched';
export const JOB_STATES: readonly JobState[] = ['inactive', 'loaded', 'launched'];

export function parseJobState(s: string): JobState | undefined {
  return (JOB_STATES as readonly string[]).includes(s) ? (s as JobState) : undefined;
}

/** Every key fleet (and coracle's additions) uses, under one prefix. */
export class RegistryKeys {
  readonly prefix: string;
  constructor(prefix: string = DEFAULT_KEY_PREFIX) {
    const joined = posix.join('/', prefix);
    this.prefix = joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
  }
  private k(...parts: string[]): string {
    return posix.join(this.prefix, ...parts);
  }
  get jobs(): string { return this.k('job'); }
  job(name: string): string { return this.k('job', name); }
  jobObject(name: string): string { return this.k('job', name, 'object'); }
  jobTargetState(name: string): string { return this.k('job', name, 'target-state'); }
  jobTarget(name: string): string { return this.k('job', name, 'target'); }
  /** The agent's heartbeat for a launched unit (TTL agent_ttl). */
  jobHeartbeat(name: string): string { return this.k('job', name, 'job-state'); }
  get units(): string { return this.k('unit'); }
  unitFile(hash: string): string { return this.k('unit', hash); }
  get machines(): string { return this.k('machines'); }
  machine(id: string): string { return this.k('machines', id); }
  machineObject(id: string): string { return this.k('machines', id, 'object'); }
  machineMetadata(id: string, key: string): string { return this.k('machines', id, 'metadata', key); }
  get states(): string { return this.k('states'); }
  unitStates(name: string): string { return this.k('states', name); }
  unitState(name: string, machineID: string): string { return this.k('states', name, machineID); }
  /** Written and deleted alongside states/ by v1.0.0; nothing reads it. */
  legacyUnitState(name: string): string { return this.k('state', name); }
  lease(name: string = ENGINE_LEASE_NAME): string { return this.k('lease', name); }
  get engineVersion(): string { return this.k('engine', 'version'); }

  // coracle additions, outside every directory fleet reads (fleet ignores them).
  get coracle(): string { return this.k('coracle'); }
  /** Why the engine could not place a unit: JSON {"reason","since"}. */
  get unscheduledDir(): string { return this.k('coracle', 'unscheduled'); }
  unscheduled(name: string): string { return this.k('coracle', 'unscheduled', name); }
  /** Where a machine's agent answers status/journal requests: JSON {"url"} (TTL agent_ttl). */
  get agentsDir(): string { return this.k('coracle', 'agents'); }
  agent(machineID: string): string { return this.k('coracle', 'agents', machineID); }

  /**
   * Per-machine schedule index kept by the engine: one entry per unit whose target is
   * that machine, `{"hash","targetState"}`. An agent watches only its own directory
   * (fleet's agents all watch job/, so every change wakes every machine).
   */
  get scheduleDir(): string { return this.k('coracle', 'schedule'); }
  machineSchedule(machineID: string): string { return this.k('coracle', 'schedule', machineID); }
  scheduleEntry(machineID: string, name: string): string { return this.k('coracle', 'schedule', machineID, name); }
  /** Global units, mirrored by the engine the same way: `{"hash","targetState"}`. */
  get globalsDir(): string { return this.k('coracle', 'globals'); }
  globalEntry(name: string): string { return this.k('coracle', 'globals', name); }

  /** The path relative to the prefix as its segments (["job","x.service","target"]), or undefined. */
  split(key: string): string[] | undefined {
    if (key === this.prefix) return [];
    if (!key.startsWith(this.prefix + '/')) return undefined;
    return key.slice(this.prefix.length + 1).split('/');
  }
}

// ---- Go JSON encoders ---------------------------------------------------------------

function goMap(m: Record<string, string | boolean> | null | undefined): string {
  if (m === null || m === undefined) return 'null';
  const keys = Object.keys(m).sort();
  return '{' + keys.map((k) => `${goQuote(k)}:${typeof m[k] === 'boolean' ? String(m[k]) : goQuote(m[k] as string)}`).join(',') + '}';
}

/** machines/<id>/object: machine.MachineState. */
export interface MachineState {
  ID: string;
  PublicIP: string;
  Metadata: Record<string, string> | null;
  Capabilities: Record<string, boolean> | null;
  Version: string;
}

export function encodeMachineState(ms: MachineState): string {
  return (
    `{"ID":${goQuote(ms.ID)},"PublicIP":${goQuote(ms.PublicIP)},"Metadata":${goMap(ms.Metadata)},` +
    `"Capabilities":${goMap(ms.Capabilities)},"Version":${goQuote(ms.Version)}}`
  );
}

function asRecord(x: unknown): Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}
function str(x: unknown): string {
  return typeof x === 'string' ? x : '';
}
function strMap(x: unknown): Record<string, string> | null {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(x)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Go's json.Unmarshal is case-insensitive on field names; accept both spellings. */
function field(o: Record<string, unknown>, name: string): unknown {
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

export function decodeMachineState(text: string): MachineState {
  const o = asRecord(JSON.parse(text));
  const caps = field(o, 'Capabilities');
  let capabilities: Record<string, boolean> | null = null;
  if (typeof caps === 'object' && caps !== null) {
    capabilities = {};
    for (const [k, v] of Object.entries(caps)) if (typeof v === 'boolean') capabilities[k] = v;
  }
  return {
    ID: str(field(o, 'ID')),
    PublicIP: str(field(o, 'PublicIP')),
    Metadata: strMap(field(o, 'Metadata')),
    Capabilities: capabilities,
    Version: str(field(o, 'Version')),
  };
}

/** Dynamic metadata (machines/<id>/metadata/<k>) over the configured one; "" deletes. */
export function mergeMetadata(base: Record<string, string> | null, dynamic: Record<string, string> | undefined): Record<string, string> | null {
  if (dynamic === undefined) return base;
  const out: Record<string, string> = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(dynamic)) {
    if (v === '') delete out[k];
    else out[k] = v;
  }
  return out;
}

/** job/<name>/object: {"Name","UnitHash":[20 ints]}. */
export function encodeJobObject(name: string, hash: string): string {
  return `{"Name":${goQuote(name)},"UnitHash":[${hashToBytes(hash).join(',')}]}`;
}

export function decodeJobObject(text: string): { name: string; hash: string } {
  const o = asRecord(JSON.parse(text));
  const bytes = field(o, 'UnitHash');
  if (!Array.isArray(bytes)) throw new Error('job object has no UnitHash array');
  return { name: str(field(o, 'Name')), hash: bytesToHash(bytes as number[]) };
}

/** unit/<hash>: {"Raw": serialized unit}. */
export function encodeUnitModel(text: string): string {
  return `{"Raw":${goQuote(text)}}`;
}

export function decodeUnitModel(text: string): string {
  return str(field(asRecord(JSON.parse(text)), 'Raw'));
}

/** One unit's state on one machine, as the agent publishes it. */
export interface UnitStateRecord {
  name: string;
  machineID: string;
  loadState: string;
  activeState: string;
  subState: string;
  /** Hex hash of the unit file the agent loaded. */
  hash: string;
}

/** states/<unit>/<machine>: only machineState.ID is filled, as fleet does. */
export function encodeUnitState(s: Omit<UnitStateRecord, 'name'>): string {
  const machine = s.machineID === '' ? 'null' : `{"ID":${goQuote(s.machineID)},"PublicIP":"","Metadata":null,"Capabilities":null,"Version":""}`;
  return (
    `{"loadState":${goQuote(s.loadState)},"activeState":${goQuote(s.activeState)},"subState":${goQuote(s.subState)},` +
    `"machineState":${machine},"unitHash":${goQuote(s.hash)}}`
  );
}

export function decodeUnitState(text: string, name: string, machineIDFromKey: string): UnitStateRecord {
  const o = asRecord(JSON.parse(text));
  const ms = field(o, 'machineState');
  return {
    name,
    machineID: ms !== null && typeof ms === 'object' ? str(field(asRecord(ms), 'ID')) : machineIDFromKey,
    loadState: str(field(o, 'loadState')),
    activeState: str(field(o, 'activeState')),
    subState: str(field(o, 'subState')),
    hash: str(field(o, 'unitHash')),
  };
}

/** lease/<name>: {"MachineID","Version"}; a bare machine ID is version 0. */
export interface LeaseValue {
  machineID: string;
  version: number;
}

export function encodeLease(l: LeaseValue): string {
  return `{"MachineID":${goQuote(l.machineID)},"Version":${Math.trunc(l.version)}}`;
}

export function decodeLease(text: string): LeaseValue {
  try {
    const o = JSON.parse(text) as unknown;
    if (typeof o === 'object' && o !== null && !Array.isArray(o)) {
      const r = o as Record<string, unknown>;
      const v = field(r, 'Version');
      return { machineID: str(field(r, 'MachineID')), version: typeof v === 'number' ? v : 0 };
    }
  } catch {
    // not JSON: fleet reads it as a bare machine ID
  }
  return { machineID: text, version: 0 };
}

/** coracle's unscheduled reason record. */
export interface UnscheduledReason {
  reason: string;
  /** RFC 3339 time the engine first saw this reason. */
  since: string;
}

export function encodeUnscheduled(r: UnscheduledReason): string {
  return JSON.stringify({ reason: r.reason, since: r.since });
}

export function decodeUnscheduled(text: string): UnscheduledReason {
  const o = asRecord(JSON.parse(text));
  return { reason: str(o.reason), since: str(o.since) };
}

/**
 * fleet's determineJobState: inactive without a target or without a state
 * on the target; launched when the heartbeat names the target; else loaded.
 */
export function determineJobState(heartbeat: string | undefined, target: string | undefined, hasStateOnTarget: boolean): JobState {
  if (target === undefined || target === '' || !hasStateOnTarget) return 'inactive';
  return heartbeat === target ? 'launched' : 'loaded';
}

// ---- reading recursive GET results ---------------------------------------------------

/** What one job/<name>/ directory holds. */
export interface JobRecord {
  name: string;
  /** Hex hash from object; undefined when the dir has no (readable) object. */
  hash?: string;
  targetState: JobState;
  target?: string;
  heartbeat?: string;
}

function base(key: string | undefined): string {
  return key === undefined ? '' : posix.basename(key);
}

/**
 * job/<name>/ as fleet reads it: only dirs with an `object` child are
 * units; an unparsable target-state leaves the unit out (fleet logs and
 * skips it), a missing one means inactive.
 */
export function jobFromDir(dir: Node): JobRecord | undefined {
  const name = base(dir.key);
  let hash: string | undefined;
  let targetState: JobState = 'inactive';
  let target: string | undefined;
  let heartbeat: string | undefined;
  let hasObject = false;
  let badState = false;
  for (const child of dir.nodes ?? []) {
    const leaf = base(child.key);
    const value = child.value ?? '';
    if (leaf === 'object') {
      hasObject = true;
      try {
        hash = decodeJobObject(value).hash;
      } catch {
        hash = undefined;
      }
    } else if (leaf === 'target-state') {
      if (value !== '') {
        const s = parseJobState(value);
        if (s === undefined) badState = true;
        else targetState = s;
      }
    } else if (leaf === 'target') {
      if (value !== '') target = value;
    } else if (leaf === 'job-state') {
      if (value !== '') heartbeat = value;
    }
  }
  if (!hasObject || badState) return undefined;
  const out: JobRecord = { name, targetState };
  if (hash !== undefined) out.hash = hash;
  if (target !== undefined) out.target = target;
  if (heartbeat !== undefined) out.heartbeat = heartbeat;
  return out;
}

/** machines/<id>/ → the merged machine state (undefined without an object, e.g. after its TTL). */
export function machineFromDir(dir: Node): MachineState | undefined {
  let ms: MachineState | undefined;
  let dynamic: Record<string, string> | undefined;
  for (const child of dir.nodes ?? []) {
    const leaf = base(child.key);
    if (leaf === 'object' && child.value !== undefined) {
      try {
        ms = decodeMachineState(child.value);
      } catch {
        ms = undefined;
      }
    } else if (leaf === 'metadata') {
      dynamic = {};
      for (const md of child.nodes ?? []) dynamic[base(md.key)] = md.value ?? '';
    }
  }
  if (ms === undefined || ms.ID === '') return undefined;
  return { ...ms, Metadata: mergeMetadata(ms.Metadata, dynamic) };
}

/** Dynamic metadata of a machine dir, even when its object expired. */
export function dynamicMetadataFromDir(dir: Node): Record<string, string> | undefined {
  for (const child of dir.nodes ?? []) {
    if (base(child.key) !== 'metadata') continue;
    const out: Record<string, string> = {};
    for (const md of child.nodes ?? []) out[base(md.key)] = md.value ?? '';
    return out;
  }
  return undefined;
}

/** states/ → records, sorted by (unit name, machine ID) as fleet sorts them. */
export function statesFromDir(statesDir: Node): UnitStateRecord[] {
  const out: UnitStateRecord[] = [];
  for (const unitDir of statesDir.nodes ?? []) {
    const name = base(unitDir.key);
    for (const node of unitDir.nodes ?? []) {
      if (node.value === undefined) continue;
      try {
        out.push(decodeUnitState(node.value, name, base(node.key)));
      } catch {
        // fleet logs and skips an unreadable state
      }
    }
  }
  return out.sort(compareStates);
}

export function compareStates(a: UnitStateRecord, b: UnitStateRecord): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.machineID < b.machineID ? -1 : a.machineID > b.machineID ? 1 : 0;
}

/** A schedule or globals index entry. */
export interface IndexEntry {
  hash: string;
  targetState: JobState;
}

export function encodeIndexEntry(e: IndexEntry): string {
  return JSON.stringify({ hash: e.hash, targetState: e.targetState });
}

export function decodeIndexEntry(text: string): IndexEntry | undefined {
  try {
    const o = JSON.parse(text) as { hash?: unknown; targetState?: unknown };
    const ts = typeof o.targetState === 'string' ? parseJobState(o.targetState) : undefined;
    if (typeof o.hash !== 'string' || ts === undefined) return undefined;
    return { hash: o.hash, targetState: ts };
  } catch {
    return undefined;
  }
}
