// The local cluster's shell (Vagrant's role): machine roots under DIR,
// `coracle node` processes started detached, a state file (DIR/cluster.json)
// with addresses, ports and PIDs, and the operations on it. What is running
// is always read back from the kernel (procs.ts), never trusted from the
// state file alone.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest } from '../common/http-request.js';
import { coracleArgv } from '../node/paths.js';
import { PRIVATE_MOUNTS_ENV, privateMountArgv, privateMountsUnavailable } from '../node/private-mounts.js';
import {
  HELPER_ADDRESS,
  HELPER_PORTS,
  machineCloudConfig,
  machineListenPorts,
  planMachines,
  type DiscoveryMode,
  type DiscoverySetting,
  type MachinePlan,
  type RegistrySetting,
} from './plan.js';
import { isRunning, listeningTcp, machineProcesses } from './procs.js';
import { BUSYBOX, DOCKER, buildWebserverImageTar, dockerEngineVersion, run } from './sample-image.js';
import { WEBSERVER_IMAGE, WEBSERVER_TEMPLATE, dockerSampleBlocker, helloSampleUnit, webserverPage, webserverSampleUnit } from './samples.js';

export interface MachineState extends MachinePlan {
  root: string;
  config: string;
  log: string;
  /** The `coracle node` process, or null once stopped. */
  pid: number | null;
}

export interface HelperState {
  name: 'discovery-etcd' | 'discovery' | 'sample-server';
  pid: number | null;
  url: string;
  root: string;
  argv: string[];
  log: string;
}

export interface ClusterState {
  version: 1;
  dir: string;
  discovery: DiscoverySetting;
  /** Whether the Docker sample was made (false when --docker fell back to the plain-process sample). */
  docker: boolean;
  fleet: boolean;
  /**
   * The external etcd v2 endpoints fleet uses as its registry (`--etcd-servers`);
   * absent when the machines run their own etcd2 and fleet uses that.
   */
  registry?: string[];
  /** The Docker sample: the unit written, the image URL served, the page it answers with. */
  sample?: DockerSample;
  /** Machines run with `coracle node --private-tmp` (their own /tmp); absent in older state files. */
  privateTmp?: boolean;
  createdAt: string;
  machines: MachineState[];
  helpers: HelperState[];
}

export const STATE_FILE = 'cluster.json';
/** The label of the sample's image (and so of its containers): the cluster's directory. */
export const SAMPLE_LABEL = 'coracle.cluster';

export interface DockerSample {
  /** DIR/samples/osdn-test-webserver@.service */
  unit: string;
  /** Where the machines download the image tar from (the sample-server helper). */
  imageUrl: string;
  /** What each instance answers on GET / (fresh per cluster). */
  page: string;
}

/** How the machines' fleet reaches its registry, from the state file. */
export function registryOf(s: Pick<ClusterState, 'registry' | 'discovery'>): RegistrySetting {
  return s.registry ? { kind: 'external', endpoints: s.registry } : { kind: 'machines', discovery: s.discovery };
}

/** The etcd endpoints a user's etcdctl talks to: the external registry, else every machine's etcd. */
export function etcdEndpoints(s: Pick<ClusterState, 'registry' | 'machines'>): string[] {
  return s.registry ?? s.machines.map((m) => `http://${m.address}:${m.ports.etcdClient}`);
}

/** The per-user data dir the cluster lives in when --dir is not given. */
export function defaultClusterDir(env: NodeJS.ProcessEnv = process.env): string {
  const data = env.XDG_DATA_HOME || path.join(env.HOME || os.homedir(), '.local/share');
  return path.join(data, 'coracle/cluster');
}

export function readState(dir: string): ClusterState | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')) as ClusterState;
  } catch {
    return null;
  }
}

export function writeState(s: ClusterState): void {
  const file = path.join(s.dir, STATE_FILE);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(s, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

/** Whether this coracle has fleetd (the fleet issue lands it as src/cli/fleetd.ts). */
export function fleetdAvailable(): boolean {
  return fs.existsSync(fileURLToPath(new URL('../cli/fleetd.js', import.meta.url)));
}

function binPath(name: string): string {
  return fileURLToPath(new URL(`../../../bin/${name}.js`, import.meta.url));
}

/** Is the node of this machine running (the PID is alive and is that machine's node)? */
export function nodeRunning(m: Pick<MachineState, 'pid' | 'root'>): boolean {
  if (m.pid === null || !isRunning(m.pid)) return false;
  try {
    return fs.readFileSync(`/proc/${m.pid}/environ`, 'utf8').split('\0').includes(`CORACLE_NODE_ROOT=${m.root}`);
  } catch {
    return false;
  }
}

function spawnDetached(argv: readonly string[], log: string, markRoot: string, env: Record<string, string> = {}): number {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const fd = fs.openSync(log, 'a');
  try {
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...env, CORACLE_NODE_ROOT: markRoot },
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`cannot start ${argv.join(' ')}`);
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

export function startNode(m: MachineState, privateTmp = false): number {
  const argv = [...coracleArgv(), 'node', '--root', m.root, '--config', m.config, '--private-ipv4', m.address, '--public-ipv4', m.address, '--quiet',
    ...(privateTmp ? ['--private-tmp'] : [])];
  if (!privateTmp) return spawnDetached(argv, m.log, m.root);
  // Straight into the machine's mount namespace (unshare and sh exec, so the
  // PID is the node's): `coracle node --private-tmp` would otherwise start a
  // Node process only to re-run itself there, at every boot of every machine.
  return spawnDetached(privateMountArgv(m.root, { etc: false, tmp: true }, argv), m.log, m.root, { [PRIVATE_MOUNTS_ENV]: m.root });
}

// ---------------------------------------------------------------------------
// Probes

async function getJson<T>(url: string, timeoutMs = 1000): Promise<T | null> {
  try {
    const r = await httpRequest(url, { timeoutMs });
    if (r.status !== 200) return null;
    return JSON.parse(r.body) as T;
  } catch {
    return null;
  }
}

function unixGetJson<T>(socketPath: string, pathname: string, timeoutMs = 1000): Promise<T | null> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, path: pathname, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as T) : null);
        } catch {
          resolve(null);
        }
      });
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

export interface MachineProbe {
  name: string;
  address: string;
  node: boolean;
  init: boolean;
  etcdHealthy: boolean;
  etcdRole: 'leader' | 'follower' | null;
  etcdMemberId: string | null;
  members: number | null;
  fleetMachines: number | null;
}

/** Probes one machine; `withEtcd` false for machines that run no etcd2 (an external registry). */
export async function probeMachine(m: MachineState, withEtcd = true): Promise<MachineProbe> {
  const node = nodeRunning(m);
  const base = `http://${m.address}:${m.ports.etcdClient}`;
  const etcd = <T>(pathname: string): Promise<T | null> => (withEtcd ? getJson<T>(`${base}${pathname}`) : Promise.resolve(null));
  const [init, health, self, members, fleet] = await Promise.all([
    unixGetJson<{ health: string }>(path.join(m.root, 'run/coracle/init.sock'), '/health'),
    etcd<{ health: string }>('/health'),
    etcd<{ id: string; state: string }>('/v2/stats/self'),
    etcd<{ members: unknown[] }>('/v2/members'),
    unixGetJson<{ machines?: unknown[] }>(path.join(m.root, 'run/fleet.sock'), '/fleet/v1/machines?alt=json'),
  ]);
  return {
    name: m.name,
    address: m.address,
    node,
    init: init !== null,
    etcdHealthy: health?.health === 'true',
    etcdRole: self ? (self.state === 'StateLeader' ? 'leader' : 'follower') : null,
    etcdMemberId: self?.id ?? null,
    members: members ? members.members.length : null,
    fleetMachines: fleet ? (fleet.machines ?? []).length : null,
  };
}

/** Probes every machine of the cluster the way its registry mode calls for. */
export function probeMachines(s: ClusterState): Promise<MachineProbe[]> {
  return Promise.all(s.machines.map((m) => probeMachine(m, !s.registry)));
}

export interface RegistryProbe {
  /** The endpoint that answered (the first of the list that did), or the first one. */
  url: string;
  healthy: boolean;
  /** Whether the etcd v2 keys API answers (etcd 3.4 serves it only with --enable-v2). */
  v2: boolean;
  members: number | null;
  /** The leader's member name, when the etcd says who leads. */
  leader: string | null;
}

/** Probes an external registry: health, the v2 keys API, members and leader. */
export async function probeRegistry(endpoints: readonly string[]): Promise<RegistryProbe> {
  for (const url of endpoints) {
    const [health, keys, members, self] = await Promise.all([
      getJson<{ health: string }>(`${url}/health`),
      getJson<unknown>(`${url}/v2/keys/`),
      getJson<{ members: { id: string; name: string }[] }>(`${url}/v2/members`),
      getJson<{ id: string; state: string; leaderInfo?: { leader?: string } }>(`${url}/v2/stats/self`),
    ]);
    if (health === null && keys === null && members === null) continue;
    const leaderId = self ? (self.state === 'StateLeader' ? self.id : self.leaderInfo?.leader ?? null) : null;
    const leader = members?.members.find((x) => x.id === leaderId)?.name ?? leaderId;
    return { url, healthy: health?.health === 'true', v2: keys !== null, members: members ? members.members.length : null, leader: leader ?? null };
  }
  return { url: endpoints[0]!, healthy: false, v2: false, members: null, leader: null };
}

// ---------------------------------------------------------------------------
// Discovery helpers (service and self modes): a small etcd on 127.0.0.1 that
// holds the discovery directory, and for `service` the discovery service.

/** [node, <package>/dist/src/cluster/sample-server.js] */
function sampleServerArgv(): string[] {
  return [process.execPath, fileURLToPath(new URL('./sample-server.js', import.meta.url))];
}

function helperArgv(name: HelperState['name'], dir: string): { argv: string[]; url: string } {
  if (name === 'sample-server') {
    const listen = `${HELPER_ADDRESS}:${HELPER_PORTS.samples}`;
    return { url: `http://${listen}`, argv: [...sampleServerArgv(), '--listen', listen, '--dir', path.join(dir, 'samples/image')] };
  }
  if (name === 'discovery-etcd') {
    const client = `http://${HELPER_ADDRESS}:${HELPER_PORTS.etcdClient}`;
    const peer = `http://${HELPER_ADDRESS}:${HELPER_PORTS.etcdPeer}`;
    return {
      url: client,
      argv: [...coracleArgv(), 'etcd', '--name', 'discovery', '--data-dir', path.join(dir, 'discovery/etcd'),
        '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer, '--initial-cluster', `discovery=${peer}`],
    };
  }
  const url = `http://${HELPER_ADDRESS}:${HELPER_PORTS.discovery}`;
  return { url, argv: [...coracleArgv(), 'discovery', '--listen', url, '--etcd', `http://${HELPER_ADDRESS}:${HELPER_PORTS.etcdClient}`] };
}

async function waitFor<T>(what: string, check: () => Promise<T | null>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await sleep(100);
  }
}

async function startHelpers(dir: string, mode: DiscoveryMode, size: number): Promise<{ helpers: HelperState[]; url: string }> {
  const helpers: HelperState[] = [];
  const names: HelperState['name'][] = mode === 'service' ? ['discovery-etcd', 'discovery'] : ['discovery-etcd'];
  for (const name of names) {
    const { argv, url } = helperArgv(name, dir);
    const root = path.join(dir, 'discovery', name);
    const log = path.join(dir, 'discovery', `${name}.log`);
    helpers.push({ name, url, root, argv, log, pid: spawnDetached(argv, log, root) });
    if (name === 'discovery-etcd') await waitFor(`the discovery directory's etcd at ${url}`, () => getJson(`${url}/health`), 30_000);
  }
  if (mode === 'service') {
    const svc = helpers[1]!.url;
    const url = await waitFor(`the discovery service at ${svc}`, async () => {
      try {
        const r = await httpRequest(`${svc}/new?size=${size}`, { timeoutMs: 2000 });
        return r.status === 200 ? r.body.trim() : null;
      } catch {
        return null;
      }
    }, 30_000);
    return { helpers, url };
  }
  // `self`: a directory made by hand, as the seed's discovery master did, with _config/size set.
  const token = randomBytes(16).toString('hex');
  const url = `${helpers[0]!.url}/v2/keys/discovery/${token}`;
  const r = await httpRequest(`${url}/_config/size`, { method: 'PUT', form: `value=${size}`, timeoutMs: 5000 });
  if (r.status >= 300) throw new Error(`cannot set ${url}/_config/size: HTTP ${r.status} ${r.body}`);
  return { helpers, url };
}

// ---------------------------------------------------------------------------
// Operations

export interface UpOptions {
  dir: string;
  machines: number;
  discovery: DiscoveryMode;
  docker: boolean;
  metadata: Map<number, Record<string, string>>;
  /** External etcd v2 endpoints for fleet's registry (`--etcd-servers`); the machines then run no etcd2. */
  registry?: string[];
  timeoutMs?: number;
  /** Called with every probe round while waiting. */
  onProgress?: (elapsedMs: number, probes: MachineProbe[], state: ClusterState, registry: RegistryProbe | null) => void;
  /** Called with what `up` is doing besides booting (building the Docker sample…). */
  onStep?: (message: string) => void;
}

export interface UpResult {
  state: ClusterState;
  reused: boolean;
  /** Until etcd was healthy on every machine, or (external registry) the registry healthy and every init up. */
  healthyMs: number;
  fleetMs: number | null;
  /** What the user should know about how the machines run (e.g. no private /tmp here). */
  notes: string[];
}

export class ClusterError extends Error {}

function checkAddressesFree(plans: readonly MachinePlan[], registry: RegistrySetting): void {
  const busy = listeningTcp().filter((l) => plans.some((p) => (l.address === p.address || l.address === '0.0.0.0') && machineListenPorts(p, registry).includes(l.port)));
  if (busy.length > 0) {
    const list = busy.map((b) => `${b.address}:${b.port}`).join(', ');
    throw new ClusterError(`already listening on ${list}: another cluster or etcd uses the machines' addresses (coracle cluster status --dir …, or stop it first)`);
  }
}

function writeShims(dir: string): void {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const [node, coracle] = coracleArgv() as [string, string];
  const shims: Record<string, string> = {
    coracle: `exec ${q(node)} ${q(coracle)} "$@"`,
    systemctl: `exec ${q(node)} ${q(coracle)} systemctl "$@"`,
    journalctl: `exec ${q(node)} ${q(coracle)} journalctl "$@"`,
    etcdctl: `exec ${q(node)} ${q(binPath('etcdctl'))} "$@"`,
  };
  if (fs.existsSync(binPath('fleetctl'))) shims.fleetctl = `exec ${q(node)} ${q(binPath('fleetctl'))} "$@"`;
  for (const [name, body] of Object.entries(shims)) fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

/**
 * Checks, before booting anything, that the external registry serves the etcd
 * v2 keys API fleet needs, with an error that says how to fix it.
 */
async function checkRegistry(endpoints: readonly string[]): Promise<void> {
  const p = await probeRegistry(endpoints);
  const list = endpoints.join(',');
  if (!p.healthy && !p.v2 && p.members === null) throw new ClusterError(`--etcd-servers ${list}: no etcd answers there (start it first; see \`coracle cluster --help\`)`);
  if (!p.v2) throw new ClusterError(`--etcd-servers ${list}: the etcd at ${p.url} does not serve the v2 keys API that fleet uses (etcd 3.4: start it with --enable-v2)`);
  if (!p.healthy) throw new ClusterError(`--etcd-servers ${list}: the etcd at ${p.url} answers but is not healthy (no leader?); check its members`);
}

/** Starts one helper process (or again, after `down`) and records it. */
function spawnHelper(dir: string, name: HelperState['name']): HelperState {
  const { argv, url } = helperArgv(name, dir);
  const base = name === 'sample-server' ? path.join(dir, 'samples') : path.join(dir, 'discovery');
  const root = path.join(base, name);
  const log = path.join(base, `${name}.log`);
  return { name, url, root, argv, log, pid: spawnDetached(argv, log, root) };
}

/**
 * The Docker sample: the seed's web server image built here from files (no
 * image registry is reachable), its tar served by the sample-server helper,
 * and the seed's template unit pointing at it. Returns why not (the caller
 * falls back to the plain-process sample) when busybox-static or a Docker
 * engine is missing.
 */
async function prepareDockerSample(dir: string, step: (m: string) => void): Promise<{ sample: DockerSample; helper: HelperState } | { reason: string }> {
  const busy = listeningTcp().some((l) => (l.address === HELPER_ADDRESS || l.address === '0.0.0.0') && l.port === HELPER_PORTS.samples);
  const blocker = dockerSampleBlocker({
    busybox: BUSYBOX,
    docker: DOCKER,
    engineVersion: BUSYBOX ? await dockerEngineVersion() : null,
    serverAddressBusy: busy ? `${HELPER_ADDRESS}:${HELPER_PORTS.samples}` : null,
  });
  if (blocker !== null) return { reason: blocker };
  const samples = path.join(dir, 'samples');
  const page = webserverPage(randomBytes(8).toString('hex'));
  step(`Building the sample image ${WEBSERVER_IMAGE} from ${BUSYBOX} (page: ${page})`);
  await buildWebserverImageTar(path.join(samples, 'image'), page, { [SAMPLE_LABEL]: dir });
  const helper = spawnHelper(dir, 'sample-server');
  const imageUrl = `${helper.url}/${WEBSERVER_IMAGE}.tar`;
  try {
    await waitFor(`the sample server at ${helper.url}`, () => (nodeLikeRunning(helper) ? getJson(`${helper.url}/health`) : Promise.reject(new ClusterError(`the sample server exited; its output is in ${helper.log}`))), 30_000);
  } catch (e) {
    // Not in the state file yet, so `down` would not find it: stopped here.
    if (nodeLikeRunning(helper)) killAll([helper.pid!], 'SIGKILL');
    throw e;
  }
  const unit = path.join(samples, WEBSERVER_TEMPLATE);
  fs.writeFileSync(unit, webserverSampleUnit(imageUrl));
  return { sample: { unit, imageUrl, page }, helper };
}

function nodeLikeRunning(h: Pick<HelperState, 'pid'>): boolean {
  return h.pid !== null && isRunning(h.pid);
}

export async function clusterUp(o: UpOptions, now = Date.now): Promise<UpResult> {
  const dir = path.resolve(o.dir);
  fs.mkdirSync(dir, { recursive: true });
  const started = now();
  const existing = readState(dir);
  const step = o.onStep ?? ((): void => {});
  let state: ClusterState;
  let reused = false;
  const notes: string[] = [];
  if (existing) {
    reused = true;
    state = existing;
    const running = state.machines.filter(nodeRunning);
    if (running.length === state.machines.length) throw new ClusterError(`a cluster of ${running.length} machines is already up in ${dir} (coracle cluster status --dir ${dir})`);
    if (state.registry) await checkRegistry(state.registry);
    checkAddressesFree(state.machines.filter((m) => !nodeRunning(m)), registryOf(state));
    // Helpers `down` stopped (discovery, the sample server) come back first.
    for (const [i, h] of state.helpers.entries()) if (!nodeLikeRunning(h)) state.helpers[i] = spawnHelper(dir, h.name);
    for (const m of state.machines) if (!nodeRunning(m)) m.pid = startNode(m, state.privateTmp === true);
    writeState(state);
  } else {
    const plans = planMachines(o.machines, o.metadata);
    const fleet = fleetdAvailable();
    let registry: RegistrySetting;
    let discovery: DiscoverySetting = { mode: 'static', token: `coracle-${randomBytes(4).toString('hex')}` };
    let helpers: HelperState[] = [];
    if (o.registry) {
      if (!fleet) throw new ClusterError('--etcd-servers: this coracle has no fleetd, and the external registry is only for fleet');
      if (o.discovery !== 'static') throw new ClusterError(`--discovery ${o.discovery} with --etcd-servers: the machines run no etcd2 of their own, so there is nothing to discover`);
      registry = { kind: 'external', endpoints: o.registry };
      checkAddressesFree(plans, registry);
      await checkRegistry(o.registry);
    } else {
      registry = { kind: 'machines', discovery };
      checkAddressesFree(plans, registry);
      if (o.discovery !== 'static') {
        const h = await startHelpers(dir, o.discovery, o.machines);
        helpers = h.helpers;
        discovery = { mode: o.discovery, url: h.url };
        registry = { kind: 'machines', discovery };
      }
    }
    const machines: MachineState[] = plans.map((p) => {
      const mdir = path.join(dir, 'machines', p.name);
      fs.mkdirSync(mdir, { recursive: true });
      const config = path.join(mdir, 'cloud-config.yml');
      fs.writeFileSync(config, machineCloudConfig(p, plans, registry, fleet));
      return { ...p, root: path.join(mdir, 'root'), config, log: path.join(mdir, 'node.log'), pid: null };
    });
    // Each machine gets its own /tmp when the host allows it, as a CoreOS
    // machine had: units that download to a fixed /tmp path (the seeds' web
    // server) then do not race each other on this one host.
    const noPrivateTmp = privateMountsUnavailable();
    if (noPrivateTmp !== null) notes.push(`machines share the host's /tmp (${noPrivateTmp}): units of two machines writing the same /tmp path can collide`);
    state = {
      version: 1, dir, discovery, docker: false, fleet, ...(o.registry ? { registry: o.registry } : {}),
      privateTmp: noPrivateTmp === null, createdAt: new Date(started).toISOString(), machines, helpers,
    };
    const units = path.join(dir, 'units');
    fs.mkdirSync(units, { recursive: true });
    fs.writeFileSync(path.join(units, 'hello@.service'), helloSampleUnit());
    writeShims(dir);
    writeState(state);
    // The sample image is built while the machines boot.
    const sample = o.docker ? prepareDockerSample(dir, step).catch((e: unknown) => ({ reason: `building it failed: ${(e as Error).message}` })) : null;
    for (const m of machines) m.pid = startNode(m, state.privateTmp === true);
    writeState(state);
    if (sample) {
      const r = await sample;
      if ('reason' in r) {
        notes.push(`--docker: no Docker sample, ${r.reason}; the sample is the plain-process hello@.service instead`);
      } else {
        state.docker = true;
        state.sample = r.sample;
        state.helpers.push(r.helper);
      }
      writeState(state);
    }
  }
  const timeoutMs = o.timeoutMs ?? 120_000;
  let healthyMs: number | null = null;
  let fleetMs: number | null = null;
  const n = state.machines.length;
  for (;;) {
    const [probes, reg] = await Promise.all([probeMachines(state), state.registry ? probeRegistry(state.registry) : Promise.resolve(null)]);
    const elapsed = now() - started;
    o.onProgress?.(elapsed, probes, state, reg);
    const dead = probes.filter((p) => !p.node);
    if (dead.length > 0) {
      const m = state.machines.find((x) => x.name === dead[0]!.name)!;
      throw new ClusterError(`${m.name}'s node exited while booting; its output is in ${m.log}`);
    }
    const healthy = reg ? reg.healthy && probes.every((p) => p.init) : probes.every((p) => p.etcdHealthy && p.members === n);
    if (healthyMs === null && healthy) healthyMs = elapsed;
    if (healthyMs !== null && state.fleet && fleetMs === null && probes.every((p) => p.fleetMachines === n)) fleetMs = elapsed;
    if (healthyMs !== null && (!state.fleet || fleetMs !== null)) break;
    if (elapsed > timeoutMs) {
      const what = healthyMs !== null ? 'fleet to list every machine' : reg ? `the registry at ${reg.url} to be healthy and every machine's init to answer` : 'etcd to be healthy on every machine';
      throw new ClusterError(`timed out after ${timeoutMs / 1000}s waiting for ${what}; see coracle cluster logs N --dir ${dir}`);
    }
    await sleep(100);
  }
  return { state, reused, healthyMs, fleetMs, notes };
}

function requireState(dir: string): ClusterState {
  const s = readState(path.resolve(dir));
  if (!s) throw new ClusterError(`no cluster in ${path.resolve(dir)} (coracle cluster up --dir ${dir})`);
  return s;
}

export function machineOf(s: ClusterState, n: number): MachineState {
  const m = s.machines.find((x) => x.n === n);
  if (!m) throw new ClusterError(`no machine ${n} in ${s.dir} (machines are 1–${s.machines.length})`);
  return m;
}

function killAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function waitGone(pids: readonly number[], ms: number): Promise<number[]> {
  const end = Date.now() + ms;
  let left = pids.filter(isRunning);
  while (left.length > 0 && Date.now() < end) {
    await sleep(50);
    left = left.filter(isRunning);
  }
  return left;
}

export interface StopReport {
  machine: string;
  stopped: boolean;
  leftovers: number;
}

/** SIGTERM to the node (which stops every unit), then SIGKILL anything of the machine still there. */
export async function stopMachine(m: MachineState, graceMs = 90_000): Promise<StopReport> {
  const was = nodeRunning(m);
  if (was) {
    killAll([m.pid!], 'SIGTERM');
    await waitGone([m.pid!], graceMs);
  }
  const leftovers = machineProcesses(m.root);
  if (leftovers.length > 0) {
    killAll(leftovers, 'SIGKILL');
    await waitGone(leftovers, 5000);
  }
  m.pid = null;
  return { machine: m.name, stopped: was, leftovers: leftovers.length };
}

export async function clusterDown(dir: string): Promise<{ state: ClusterState; reports: StopReport[] }> {
  const s = requireState(dir);
  const reports = await Promise.all(s.machines.map((m) => stopMachine(m)));
  writeState(s);
  for (const h of [...s.helpers].reverse()) {
    const pids = [...(h.pid !== null && isRunning(h.pid) ? [h.pid] : []), ...machineProcesses(h.root)];
    killAll(pids, 'SIGTERM');
    const left = await waitGone(pids, 10_000);
    killAll(left, 'SIGKILL');
    h.pid = null;
  }
  writeState(s);
  return { state: s, reports };
}

/** Containers publishing a port on this address (docker ps), if a Docker engine answers. */
function containersOn(address: string): string[] {
  const r = spawnSync('docker', ['ps', '--format', '{{.ID}}\t{{.Ports}}'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return [];
  return r.stdout.split('\n').filter((l) => l.includes(`${address}:`)).map((l) => l.split('\t')[0]!).filter((id) => id !== '');
}

/** A crash: every process of the machine stopped and killed at once, and its containers. */
export function killMachine(s: ClusterState, n: number): { machine: MachineState; pids: number[]; containers: string[] } {
  const m = machineOf(s, n);
  const pids = [...new Set([...(m.pid !== null && nodeRunning(m) ? [m.pid] : []), ...machineProcesses(m.root)])];
  // Freeze first so nothing restarts or forks between the kills.
  killAll(pids, 'SIGSTOP');
  killAll(pids, 'SIGKILL');
  const containers = containersOn(m.address);
  if (containers.length > 0) spawnSync('docker', ['kill', ...containers], { timeout: 30_000 });
  m.pid = null;
  writeState(s);
  return { machine: m, pids, containers };
}

export async function startMachine(s: ClusterState, n: number, timeoutMs = 120_000, onProgress?: (p: MachineProbe) => void): Promise<MachineProbe> {
  const m = machineOf(s, n);
  if (nodeRunning(m)) throw new ClusterError(`${m.name} is already running (PID ${m.pid})`);
  // What a crash left (a unit process outside the node's reach) goes first.
  const left = machineProcesses(m.root);
  killAll(left, 'SIGKILL');
  await waitGone(left, 5000);
  m.pid = startNode(m, s.privateTmp === true);
  writeState(s);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const p = await probeMachine(m, !s.registry);
    onProgress?.(p);
    if (!p.node) throw new ClusterError(`${m.name}'s node exited while booting; its output is in ${m.log}`);
    // With an external registry the machine has no etcd: it is back once its fleet lists machines.
    if ((s.registry ? p.init : p.etcdHealthy) && (!s.fleet || (p.fleetMachines ?? 0) > 0)) return p;
    if (Date.now() > end) throw new ClusterError(`timed out waiting for ${m.name}'s ${s.registry ? 'fleet' : 'etcd'} to answer; see coracle cluster logs ${n}`);
    await sleep(100);
  }
}

/**
 * The Docker sample's containers and image, found by the label cluster up's
 * image carries (containers inherit it), removed from the engine. Returns
 * what was removed; nothing when no engine answers.
 */
export async function removeSampleFromDocker(dir: string): Promise<{ containers: number; images: number }> {
  const filter = `label=${SAMPLE_LABEL}=${path.resolve(dir)}`;
  const ps = await run(DOCKER, ['ps', '-aq', '--no-trunc', '--filter', filter], { timeoutMs: 15_000 });
  if (ps.code !== 0) return { containers: 0, images: 0 };
  const containers = [...new Set(ps.out.split('\n').filter(Boolean))];
  if (containers.length > 0) await run(DOCKER, ['rm', '-f', ...containers], { timeoutMs: 60_000 });
  const im = await run(DOCKER, ['images', '-q', '--no-trunc', '--filter', filter], { timeoutMs: 15_000 });
  const images = [...new Set(im.out.split('\n').filter(Boolean))];
  if (images.length > 0) await run(DOCKER, ['rmi', '-f', ...images], { timeoutMs: 60_000 });
  return { containers: containers.length, images: images.length };
}

export async function clusterDestroy(dir: string): Promise<StopReport[]> {
  const abs = path.resolve(dir);
  const s = readState(abs);
  const reports = s ? (await clusterDown(abs)).reports : [];
  if (s?.sample) await removeSampleFromDocker(abs);
  if (s || fs.existsSync(abs)) {
    // Only what cluster up made: the state file, machines/, units/, samples/, bin/, discovery/.
    // An external registry keeps what fleet wrote there (it is the user's etcd).
    for (const sub of [STATE_FILE, 'machines', 'units', 'samples', 'bin', 'discovery']) fs.rmSync(path.join(abs, sub), { recursive: true, force: true });
    try {
      fs.rmdirSync(abs);
    } catch {
      // the user keeps other files here
    }
  }
  return reports;
}

export function loadCluster(dir: string): ClusterState {
  return requireState(dir);
}

/** The environment `cluster exec` gives a command: as if typed on the machine. */
export function machineEnv(s: ClusterState, m: MachineState): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${path.join(s.dir, 'bin')}:${process.env.PATH ?? ''}`,
    CORACLE_ROOT: m.root,
    COREOS_PRIVATE_IPV4: m.address,
    COREOS_PUBLIC_IPV4: m.address,
    // The machine's own etcd, or the external registry when it runs none.
    ETCDCTL_ENDPOINTS: s.registry ? s.registry.join(',') : `http://${m.address}:${m.ports.etcdClient}`,
    FLEETCTL_ENDPOINT: `unix://${path.join(m.root, 'run/fleet.sock')}`,
  };
}
