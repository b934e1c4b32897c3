// What fleetctl asks of fleet (fleet's client.API): one interface, two
// drivers — the v1 HTTP API (default, over a unix socket or TCP) and the
// registry in etcd (--driver etcd).

import type { ApiUnit, ApiUnitState } from '../../fleet/api/schema.js';
import type { MachineInfo } from './format.js';

export interface FleetClient {
  machines(): Promise<MachineInfo[]>;
  units(): Promise<ApiUnit[]>;
  /** null when the unit does not exist. */
  unit(name: string): Promise<ApiUnit | null>;
  unitStates(): Promise<ApiUnitState[]>;
  /** null when there is no state (or the server said 404). */
  unitState(name: string): Promise<ApiUnitState | null>;
  createUnit(u: ApiUnit): Promise<void>;
  setUnitTargetState(name: string, target: string): Promise<void>;
  /** Throws UnitNotFoundError when the unit does not exist. */
  destroyUnit(name: string): Promise<void>;
  /** coracle: where the machine's fleet agent answers status/journal requests, or null. */
  agentURL(machineID: string): Promise<string | null>;
}

/** fleet's client.IsErrorUnitNotFound: a 404 from the API, "job does not exist" from the registry. */
export class UnitNotFoundError extends Error {}
