// fleetd: wires the registry, engine, agent, the agent's HTTP endpoint
// (/health, /metrics, status/journal) and, when present, the fleet v1 API
// server (src/fleet/api/) on socket-activated fds, <root>/run/fleet.sock and
// an optional TCP address.

import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../common/log.js';
import { EtcdClient } from '../client/index.js';
import { Registry, FLEET_VERSION, type MachineState } from './registry/index.js';
import { Engine } from './engine/engine.js';
import { Agent } from './agent/agent.js';
import { SocketInitDriver, type InitDriver } from './agent/init-driver.js';
import { agentRoutes } from './agent/server.js';
import { DEFAULT_AGENT_PORT, type FleetConfig } from './config.js';

export interface DaemonOptions {
  config: FleetConfig;
  root: string;
  log: Logger;
  /** Inherited listening fds for the API (LISTEN_FDS), fd numbers. */
  listenFds?: number[];
  /** Replaces the init socket driver (benchmarks use an in-memory init). */
  init?: InitDriver;
  /** Skip the API server even if present. */
  noApi?: boolean;
  /** Overrides <root>/etc/machine-id. */
  machineID?: string;
}

export function readMachineID(root: string): string {
  const file = path.join(root, 'etc/machine-id');
  let id: string;
  try {
    id = fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new Error(`cannot read the machine ID from ${file}: ${(e as Error).message}`);
  }
  if (!/^[0-9a-f]{32}$/.test(id)) throw new Error(`${file}: not a machine ID (32 lowercase hex chars): ${JSON.stringify(id)}`);
  return id;
}

/** fleet: the first global-unicast IPv4 address (of the default-route interface; we take the first non-internal one). */
export function detectPublicIP(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '';
}

function isLocalAddress(ip: string): boolean {
  if (ip.startsWith('127.')) return true;
  return Object.values(os.networkInterfaces()).some((list) => (list ?? []).some((a) => a.address === ip));
}

function hostPort(s: string, what: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${what}: expected host:port, got ${JSON.stringify(s)}`);
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

export interface ApiServerFactoryOptions {
  registry: Registry;
  machineID: string;
  tokenLimit: number;
  version: string;
  log: Logger;
}
type ApiFactory = (opts: ApiServerFactoryOptions) => http.Server;

export class FleetDaemon {
  readonly registry: Registry;
  readonly client: EtcdClient;
  readonly agent: Agent;
  readonly engine: Engine | undefined;
  readonly machine: MachineState;
  private readonly servers: http.Server[] = [];
  private apiSocketPath: string | undefined;
  agentURL = '';
  readonly started = Date.now();

  constructor(private readonly opts: DaemonOptions) {
    const cfg = opts.config;
    const id = opts.machineID ?? readMachineID(opts.root);
    const publicIP = cfg.publicIP !== '' ? cfg.publicIP : detectPublicIP();
    this.client = new EtcdClient({
      endpoints: cfg.etcdServers,
      headerTimeoutPerRequest: Math.round(cfg.etcdRequestTimeout * 1000),
      ...(publicIP !== '' && isLocalAddress(publicIP) ? { localAddress: publicIP } : {}),
      ...(cfg.etcdUsername !== '' ? { username: cfg.etcdUsername, password: cfg.etcdPassword } : {}),
    });
    this.registry = new Registry(this.client, { prefix: cfg.etcdKeyPrefix, requestTimeoutMs: Math.max(1000, Math.round(cfg.etcdRequestTimeout * 1000) * 3) });
    this.machine = {
      ID: id,
      PublicIP: publicIP,
      Metadata: { ...cfg.metadata },
      Capabilities: { DISABLE_ENGINE: cfg.disableEngine, GRPC: false },
      Version: FLEET_VERSION,
    };
    const listen = this.agentListen();
    this.agentURL = `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
    const unitsDir = path.join(opts.root, cfg.unitsDirectory);
    this.agent = new Agent({
      registry: this.registry,
      init: opts.init ?? new SocketInitDriver(opts.root),
      machine: this.machine,
      ttlSeconds: Math.max(1, Math.round(cfg.agentTTL)),
      unitsDir,
      log: opts.log,
      endpointURL: this.agentURL,
    });
    this.engine = cfg.disableEngine
      ? undefined
      : new Engine({ registry: this.registry, machineID: id, reconcileIntervalMs: cfg.engineReconcileInterval * 1000, log: opts.log, verbosity: cfg.verbosity });
  }

  private agentListen(): { host: string; port: number } {
    const cfg = this.opts.config;
    if (cfg.agentListen !== '') return hostPort(cfg.agentListen, 'agent_listen');
    return { host: this.machine.PublicIP !== '' ? this.machine.PublicIP : '127.0.0.1', port: DEFAULT_AGENT_PORT };
  }

  async start(): Promise<void> {
    const routes = agentRoutes({ init: this.opts.init ?? new SocketInitDriver(this.opts.root), isLoaded: (n) => this.agent.isLoaded(n), machineID: this.machine.ID });
    const server = http.createServer((req, res) => {
      if (routes(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://fleetd');
      if (url.pathname === '/health') {
        const body = JSON.stringify({ health: 'true', machineID: this.machine.ID, engineLeader: this.engine?.isLeader ?? false });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(body);
        return;
      }
      if (url.pathname === '/metrics') {
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
        res.end(this.metricsText());
        return;
      }
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 404, message: `no route ${url.pathname}` } }));
    });
    const listen = this.agentListen();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`agent endpoint ${listen.host}:${listen.port}: ${e.message}`)));
      server.listen(listen.port, listen.host, () => resolve());
    });
    if (listen.port === 0) {
      const a = server.address() as net.AddressInfo;
      this.agentURL = `http://${listen.host}:${a.port}`;
      this.agent.setEndpointURL(this.agentURL);
    }
    this.servers.push(server);
    await this.agent.start();
    this.engine?.start();
    if (!this.opts.noApi) await this.startApi();
  }

  /** The fleet API from src/fleet/api/ if that module exists (it is built by another piece). */
  private async startApi(): Promise<void> {
    let factory: ApiFactory | undefined;
    try {
      const modPath = './api/index.js';
      const mod = (await import(modPath)) as { createFleetApiServer?: ApiFactory };
      factory = mod.createFleetApiServer;
    } catch {
      factory = undefined;
    }
    if (factory === undefined) {
      this.opts.log.info('fleet API not available in this build; running without it');
      return;
    }
    const make = (): http.Server =>
      factory!({ registry: this.registry, machineID: this.machine.ID, tokenLimit: this.opts.config.tokenLimit, version: FLEET_VERSION, log: this.opts.log });
    const listenOn = (server: http.Server, target: number | string | { port: number; host: string }): Promise<void> =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        if (typeof target === 'number') server.listen({ fd: target }, () => resolve());
        else if (typeof target === 'string') server.listen(target, () => resolve());
        else server.listen(target.port, target.host, () => resolve());
      });
    const fds = this.opts.listenFds ?? [];
    if (fds.length > 0) {
      for (const fd of fds) {
        const s = make();
        await listenOn(s, fd);
        this.servers.push(s);
      }
    } else {
      const sock = path.join(this.opts.root, 'run/fleet.sock');
      fs.mkdirSync(path.dirname(sock), { recursive: true });
      fs.rmSync(sock, { force: true });
      const s = make();
      await listenOn(s, sock);
      fs.chmodSync(sock, 0o666);
      this.apiSocketPath = sock;
      this.servers.push(s);
    }
    if (this.opts.config.apiListen !== '') {
      const s = make();
      await listenOn(s, hostPort(this.opts.config.apiListen, 'api_listen'));
      this.servers.push(s);
    }
    this.opts.log.info('fleet API serving', { fds: fds.length, socket: this.apiSocketPath ?? null, tcp: this.opts.config.apiListen || null });
  }

  metricsText(): string {
    const lines: string[] = [];
    const g = (name: string, help: string, v: number, type = 'gauge'): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${v}`);
    };
    const a = this.agent.metrics;
    g('fleet_agent_units', 'Units loaded by this agent.', a.units);
    g('fleet_agent_loads_total', 'Unit loads.', a.loads, 'counter');
    g('fleet_agent_unloads_total', 'Unit unloads.', a.unloads, 'counter');
    g('fleet_agent_starts_total', 'Unit starts.', a.starts, 'counter');
    g('fleet_agent_stops_total', 'Unit stops.', a.stops, 'counter');
    g('fleet_agent_state_publishes_total', 'Unit state publications.', a.statePublishes, 'counter');
    g('fleet_agent_watch_events_total', 'Registry watch events seen by the agent.', a.events, 'counter');
    g('fleet_agent_errors_total', 'Agent task errors.', a.errors, 'counter');
    const e = this.engine?.metrics;
    if (e) {
      g('fleet_engine_leader', '1 if this engine holds the lease.', e.leader ? 1 : 0);
      g('fleet_engine_resyncs_total', 'Full registry reads.', e.resyncs, 'counter');
      g('fleet_engine_watch_events_total', 'Registry watch events seen by the leader.', e.events, 'counter');
      g('fleet_engine_scheduled_total', 'Schedule writes.', e.scheduled, 'counter');
      g('fleet_engine_unscheduled_total', 'Unschedule writes.', e.unscheduled, 'counter');
      g('fleet_engine_failed_writes_total', 'Failed engine writes.', e.failedWrites, 'counter');
      g('fleet_engine_unschedulable_units', 'Units no machine can take.', e.unschedulable);
      g('fleet_engine_write_window', 'Registry writes the engine lets be in flight now (adapts to etcd).', e.writeWindow);
      g('fleet_engine_retrying_units', 'Units whose failed write waits for its retry.', e.retrying);
      g('fleet_engine_last_batch_seconds', 'Duration of the last reconcile batch.', e.lastBatchMs / 1000);
    }
    const m = process.memoryUsage();
    const cpu = process.cpuUsage();
    g('process_resident_memory_bytes', 'Resident memory.', m.rss);
    g('process_cpu_seconds_total', 'CPU time.', (cpu.user + cpu.system) / 1e6, 'counter');
    return lines.join('\n') + '\n';
  }

  /** Graceful stop: API down, lease released, units stopped and unloaded, machine removed. */
  async stop(opts: { unloadUnits?: boolean } = {}): Promise<void> {
    for (const s of this.servers) {
      s.closeAllConnections?.();
      s.close();
    }
    if (this.apiSocketPath) fs.rmSync(this.apiSocketPath, { force: true });
    this.opts.log.debug('stopping engine');
    await this.engine?.stop();
    this.opts.log.debug('stopping agent');
    await this.agent.stop(opts);
    this.client.close();
  }
}
