// A fleet API for tests: one `coracle etcd` member on a given address, a
// Registry on it, and the fleet API server listening on a machine root's
// run/fleet.sock and on TCP at that address. Registry state is written by
// the tests themselves (machines, schedules, unit states), as fleetd's
// engine and agents would.

import fs from 'node:fs';
import path from 'node:path';
import { EtcdClient } from '../../src/client/index.js';
import http from 'node:http';
import { createFleetApiHandler } from '../../src/fleet/api/index.js';
import { Registry, parseFleetUnit, type JobState } from '../../src/fleet/registry/index.js';
import { startCluster, tempDir, type MemberProcess } from '../etcd/members.js';

export const API_PORT = 49153;

export interface FleetApi {
  addr: string;
  dir: string;
  /** A machine root whose run/fleet.sock is the API's unix socket. */
  root: string;
  socket: string;
  tcpURL: string;
  etcdURL: string;
  client: EtcdClient;
  reg: Registry;
  stop(): Promise<void>;
  /** Removes every fleet key (between tests). */
  reset(): Promise<void>;
  /** Stops the etcd member (the API stays up). */
  stopEtcd(): Promise<void>;
}

function listen(server: http.Server, target: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => resolve());
  });
}

export async function startFleetApi(addr: string, opts: { tokenLimit?: number } = {}): Promise<FleetApi> {
  const dir = tempDir('coracle-fleet-api-');
  let members: MemberProcess[] = [];
  const servers: http.Server[] = [];
  let client: EtcdClient | undefined;
  const stop = async (): Promise<void> => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    client?.close();
    for (const m of members) await m.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    members = await startCluster([addr], dir);
    client = new EtcdClient({ endpoints: [`http://${addr}:2379`], localAddress: addr, totalTimeout: 5000 });
    const reg = new Registry(client, { requestTimeoutMs: 5000 });
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'run'), { recursive: true });
    const socket = path.join(root, 'run/fleet.sock');
    // One handler behind both listeners, as fleetd serves it (shared /metrics).
    const handler = createFleetApiHandler({ registry: reg, tokenLimit: opts.tokenLimit ?? 100, version: '1.0.0' });
    const unixServer = http.createServer(handler);
    const tcpServer = http.createServer(handler);
    servers.push(unixServer, tcpServer);
    await listen(unixServer, { path: socket });
    await listen(tcpServer, { host: addr, port: API_PORT });
    const c = client;
    return {
      addr,
      dir,
      root,
      socket,
      tcpURL: `http://${addr}:${API_PORT}`,
      etcdURL: `http://${addr}:2379`,
      client: c,
      reg,
      stop,
      stopEtcd: async () => {
        for (const m of members) await m.stop();
        members = [];
      },
      reset: async () => {
        await c.keys.delete('/_coreos.com/fleet', { recursive: true }).catch(() => undefined);
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Registers a machine as fleetd's heartbeat does. */
export async function addMachine(api: FleetApi, id: string, ip: string, metadata: Record<string, string> | null = null): Promise<void> {
  await api.reg.heartbeatMachine({ ID: id, PublicIP: ip, Metadata: metadata, Capabilities: { DISABLE_ENGINE: false, GRPC: false }, Version: '1.0.0' }, 300);
}

/** A unit as fleetctl submits it. */
export async function addUnit(api: FleetApi, name: string, text: string, state: JobState = 'inactive'): Promise<string> {
  const file = parseFleetUnit(text);
  await api.reg.createUnit(name, file, state);
  return file.hash;
}

/** What the engine and the unit's agent write once it runs there: schedule, published state, heartbeat. */
export async function runUnitOn(
  api: FleetApi,
  name: string,
  machineID: string,
  states: { load?: string; active?: string; sub?: string; launched?: boolean } = {},
): Promise<void> {
  const u = await api.reg.unit(name);
  if (u === undefined) throw new Error(`no unit ${name}`);
  await api.reg.scheduleUnit(name, machineID);
  await api.reg.saveUnitState(
    { name, machineID, loadState: states.load ?? 'loaded', activeState: states.active ?? 'active', subState: states.sub ?? 'running', hash: u.hash },
    300,
  );
  if (states.launched !== false) await api.reg.unitHeartbeat(name, machineID, 300);
}
