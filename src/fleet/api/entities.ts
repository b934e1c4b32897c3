// The registry's records as the API's entities (fleet's schema mappers and
// client.RegistryClient): what GET /units, /units/{name}, /state and
// /machines return, shared by the API server and `fleetctl --driver etcd`.

import {
  isEtcdError, ERROR_KEY_NOT_FOUND, unitFromOptions, parseJobState,
  type FleetUnit, type JobState, type MachineState, type Registry, type UnitStateRecord,
} from '../registry/index.js';
import type { ApiMachine, ApiUnit, ApiUnitState } from './schema.js';
import { isGlobalUnit, toApiOptions, toUnitOptions } from './validate.js';

function baseUnit(u: FleetUnit): ApiUnit {
  const out: ApiUnit = { name: u.name, desiredState: u.targetState };
  if (u.file !== undefined) out.options = toApiOptions(u.file.options);
  return out;
}

/** GET /units: every unit with its schedule (global units have no target, so they read `inactive`). */
export async function listUnits(reg: Registry): Promise<ApiUnit[]> {
  const units = await reg.unitsWithState();
  return units.map((u) => {
    const out = baseUnit(u);
    if (u.target !== undefined) out.machineID = u.target;
    out.currentState = u.currentState;
    return out;
  });
}

/** GET /units/{name}: null when absent; a global unit has no schedule, so no currentState or machineID. */
export async function getUnit(reg: Registry, name: string): Promise<ApiUnit | null> {
  const u = await reg.unit(name);
  if (u === undefined) return null;
  const out = baseUnit(u);
  if (isGlobalUnit(u.file?.options ?? [])) return out;
  if (u.target !== undefined) out.machineID = u.target;
  out.currentState = await reg.currentState(name);
  return out;
}

export function stateToApi(s: UnitStateRecord): ApiUnitState {
  return {
    hash: s.hash,
    machineID: s.machineID,
    name: s.name,
    systemdActiveState: s.activeState,
    systemdLoadState: s.loadState,
    systemdSubState: s.subState,
  };
}

export function machineToApi(m: MachineState): ApiMachine {
  const out: ApiMachine = { id: m.ID };
  if (m.Metadata !== null && Object.keys(m.Metadata).length > 0) out.metadata = m.Metadata;
  if (m.PublicIP !== '') out.primaryIP = m.PublicIP;
  return out;
}

/** Thrown for a desiredState that is not one of fleet's job states (fleet's ParseJobState). */
export class JobStateError extends Error {}

export function jobStateOf(s: string | undefined): JobState {
  if (s === undefined || s === '') return 'inactive';
  const js = parseJobState(s);
  if (js === undefined) throw new JobStateError(`invalid value ${JSON.stringify(s)} for JobState`);
  return js;
}

/** RegistryClient.CreateUnit: the unit file from the options, the desired state or inactive. */
export async function createUnit(reg: Registry, u: ApiUnit): Promise<void> {
  const state = jobStateOf(u.desiredState);
  await reg.createUnit(u.name ?? '', unitFromOptions(toUnitOptions(u.options ?? [])), state);
}

/** RegistryClient.SetUnitTargetState. */
export async function setUnitTargetState(reg: Registry, name: string, state: string): Promise<void> {
  await reg.setTargetState(name, jobStateOf(state));
}

export const isKeyNotFound = (e: unknown): boolean => isEtcdError(e, ERROR_KEY_NOT_FOUND);
