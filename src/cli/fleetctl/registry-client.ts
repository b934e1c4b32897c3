// fleetctl's etcd driver (--driver etcd): the fleet registry read and written
// directly in etcd, as fleet's client.RegistryClient does, with fleetctl's
// old-version banner when a newer fleetd is registered.

import { EtcdClient } from '../../client/index.js';
import { Registry, FLEET_VERSION, UnitNotFoundError as RegistryUnitNotFound } from '../../fleet/registry/index.js';
import type { ApiUnit, ApiUnitState } from '../../fleet/api/schema.js';
import { createUnit, getUnit, listUnits, machineToApi, setUnitTargetState, stateToApi } from '../../fleet/api/entities.js';
import { UnitNotFoundError, type FleetClient } from './client.js';
import { logLine, type Io } from './context.js';
import { machineFromApi, type MachineInfo } from './format.js';

export interface RegistryClientOptions {
  endpoints: string[];
  keyPrefix: string;
  requestTimeoutMs: number;
}

/** Semantic version compare of x.y.z (pre-release tags ignored). */
function lessThan(a: string, b: string): boolean {
  const pa = a.split(/[.+-]/).slice(0, 3).map((n) => Number(n) || 0);
  const pb = b.split(/[.+-]/).slice(0, 3).map((n) => Number(n) || 0);
  for (let i = 0; i < 3; i++) if (pa[i]! !== pb[i]!) return pa[i]! < pb[i]!;
  return false;
}

class RegistryFleetClient implements FleetClient {
  constructor(
    readonly etcd: EtcdClient,
    readonly reg: Registry,
  ) {}

  async machines(): Promise<MachineInfo[]> {
    return (await this.reg.machines()).map((m) => machineFromApi(machineToApi(m)));
  }

  units(): Promise<ApiUnit[]> {
    return listUnits(this.reg);
  }

  unit(name: string): Promise<ApiUnit | null> {
    return getUnit(this.reg, name);
  }

  async unitStates(): Promise<ApiUnitState[]> {
    return (await this.reg.unitStates()).map(stateToApi);
  }

  async unitState(name: string): Promise<ApiUnitState | null> {
    const states = await this.reg.unitStatesOf(name);
    return states[0] === undefined ? null : stateToApi(states[0]);
  }

  createUnit(u: ApiUnit): Promise<void> {
    return createUnit(this.reg, u);
  }

  setUnitTargetState(name: string, target: string): Promise<void> {
    return setUnitTargetState(this.reg, name, target);
  }

  async destroyUnit(name: string): Promise<void> {
    try {
      await this.reg.destroyUnit(name);
    } catch (e) {
      if (e instanceof RegistryUnitNotFound) throw new UnitNotFoundError(e.message);
      throw e;
    }
  }

  async agentURL(machineID: string): Promise<string | null> {
    return (await this.reg.agentEndpoint(machineID)) ?? null;
  }

  close(): void {
    this.etcd.close();
  }
}

/** getRegistryClient: the client, after fleetctl's check for a newer registered fleet. */
export async function registryClient(io: Io, o: RegistryClientOptions): Promise<FleetClient> {
  const etcd = new EtcdClient({ endpoints: o.endpoints, headerTimeoutPerRequest: o.requestTimeoutMs });
  const reg = new Registry(etcd, { prefix: o.keyPrefix, requestTimeoutMs: o.requestTimeoutMs });
  try {
    const latest = (await reg.machines()).map((m) => m.Version).filter((v) => v !== '').reduce<string | undefined>((a, v) => (a === undefined || lessThan(a, v) ? v : a), undefined);
    if (latest !== undefined && lessThan(FLEET_VERSION, latest)) {
      io.err(
        `####################################################################\nWARNING: fleetctl (${FLEET_VERSION}) is older than the latest registered\nversion of fleet found in the cluster (${latest}). You are strongly\nrecommended to upgrade fleetctl to prevent incompatibility issues.\n####################################################################\n`,
      );
    }
  } catch (e) {
    io.err(logLine('ERROR', 'fleetctl.go:211', `error attempting to check latest fleet version in Registry: ${(e as Error).message}`));
  }
  return new RegistryFleetClient(etcd, reg);
}
