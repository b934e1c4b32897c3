// Starting one member: open (or create) its data directory, work out who it
// is and which cluster it belongs to, start the server, listen on the peer and
// client URLs, and tell the supervisor once it serves clients.
import http from 'node:http';
import { httpRequest } from '../common/http-request.js';
import type { EtcdConfig } from './config.js';
import { ConfigError } from './config.js';
import { clientApiHandler } from './http/client-api.js';
import type { Logger } from '../common/log.js';
import type { Member } from './member/cluster.js';
import { Cluster, memberJSON, MembershipError } from './member/cluster.js';
import { computeMemberId } from './member/ids.js';
import { DiscoveryError, joinDiscovery } from './discovery.js';
import { sdNotify } from './notify.js';
import type { OpenedDataDir } from './server/data-dir.js';
import { createDataDir, hasMember, openDataDir } from './server/data-dir.js';
import { EtcdServer } from './server/server.js';
import { forceNewCluster } from './server/force-new-cluster.js';
import { RAFT_PATH } from './transport/peer-transport.js';
import { requestTarget } from '../common/request-target.js';

export interface RunningMember {
  server: EtcdServer;
  /** Stop serving, stop Raft, close the data dir. */
  close(): Promise<void>;
  /** Resolves when the member stopped on its own (removed from the cluster, or its disk failed). */
  stopped: Promise<void>;
}

function hostPort(u: string): { host: string; port: number } {
  const url = new URL(u);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

function listen(server: http.Server, u: string): Promise<void> {
  const { host, port } = hostPort(u);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A joining member learns the cluster from the members it was told about (etcd's GET /members on peers). */
async function clusterFromPeers(peerURLs: string[], localAddress: string | undefined, log: Logger): Promise<{ clusterId: string; members: Member[] }> {
  const errors: string[] = [];
  for (const base of peerURLs) {
    try {
      const res = await httpRequest(new URL('/members', base).href, { timeoutMs: 2000, ...(localAddress ? { localAddress } : {}) });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const members = JSON.parse(res.body) as Member[];
      const clusterId = res.headers['x-etcd-cluster-id'];
      if (typeof clusterId !== 'string' || !Array.isArray(members)) throw new Error('not a member list');
      return { clusterId, members };
    } catch (err) {
      errors.push(`${base}: ${(err as Error).message}`);
      log.warn('could not get the cluster from a peer', { peer: base, error: (err as Error).message });
    }
  }
  throw new MembershipError(`could not retrieve cluster information from the given URLs (${errors.join('; ')})`);
}


export async function startMember(config: EtcdConfig, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<RunningMember> {
  // Sockets to peers leave from the address we advertise, so each member of a
  // one-host cluster (127.0.0.2, .3, …) talks from its own address.
  const localAddress = hostPort(config.initialAdvertisePeerURLs[0]!).host;
  const walLogger = { info: (m: string, f?: Record<string, unknown>) => log.info(m, f), warn: (m: string, f?: Record<string, unknown>) => log.warn(m, f) };

  let opened: OpenedDataDir;
  let cluster: Cluster;
  let bootstrapNewCluster = false;
  let name = config.name;
  if (await hasMember(config.dataDir)) {
    if (config.discovery !== '') log.warn('discovery token ignored since a cluster has already been initialized; using the data dir', { dataDir: config.dataDir });
    opened = await openDataDir(config.dataDir, walLogger);
    cluster = new Cluster(opened.identity.clusterId);
    log.info('restarting member from its data dir', { dataDir: config.dataDir, member: opened.identity.memberId, cluster: cluster.id });
    if (config.forceNewCluster) {
      opened.restored = forceNewCluster(opened.restored!, opened.identity.memberId, log);
    }
  } else if (config.initialClusterState === 'new') {
    let initialCluster = config.initialCluster;
    let token = config.initialClusterToken;
    if (config.discovery !== '') {
      // As etcd: the discovery URL is the cluster token, so the IDs are the ones
      // every member computes from what it found there.
      token = config.discovery;
      const memberId = computeMemberId(config.initialAdvertisePeerURLs, token);
      try {
        initialCluster = await joinDiscovery({
          url: config.discovery,
          name: config.name,
          memberId,
          peerURLs: config.initialAdvertisePeerURLs,
          localAddress,
          ...(config.discoveryProxy ? { proxy: config.discoveryProxy } : {}),
          log,
        });
      } catch (err) {
        if (err instanceof DiscoveryError && err.kind === 'full' && config.discoveryFallback === 'exit') {
          throw new ConfigError(
            `discovery: cluster is full; discovery token ${config.discovery} was used, but failed to bootstrap the cluster; please generate a new discovery token and try to bootstrap again`,
          );
        }
        if (err instanceof DiscoveryError && err.kind === 'full') throw err; // the caller falls back to a proxy
        if (err instanceof DiscoveryError) throw new ConfigError(err.message);
        throw err;
      }
    }
    cluster = Cluster.bootstrap(initialCluster, token);
    const self = cluster.memberByName(config.name);
    if (!self) throw new ConfigError(`couldn't find local name "${config.name}" in the initial cluster configuration`);
    const advertised = [...config.initialAdvertisePeerURLs].sort();
    if (self.peerURLs.join(',') !== advertised.join(',')) {
      throw new ConfigError(
        `--initial-cluster has ${config.name}=${self.peerURLs.join(',')} but missing from --initial-advertise-peer-urls=${advertised.join(',')}`,
      );
    }
    opened = await createDataDir(config.dataDir, { memberId: self.id, clusterId: cluster.id }, walLogger);
    bootstrapNewCluster = true;
  } else {
    const others = [...new Set(config.initialCluster.split(',').map((p) => p.slice(p.indexOf('=') + 1)).filter((u) => !config.initialAdvertisePeerURLs.includes(u)))];
    const known = await clusterFromPeers(others, localAddress, log);
    cluster = new Cluster(known.clusterId);
    for (const m of known.members) cluster.members.set(m.id, { ...m });
    const self = known.members.find((m) => [...m.peerURLs].sort().join(',') === [...config.initialAdvertisePeerURLs].sort().join(','));
    if (!self) {
      throw new ConfigError(`member with peer URLs ${config.initialAdvertisePeerURLs.join(',')} has not been added to the cluster; run "etcdctl member add" first`);
    }
    name = config.name;
    opened = await createDataDir(config.dataDir, { memberId: self.id, clusterId: cluster.id }, walLogger);
  }

  const server = new EtcdServer({
    name,
    memberId: opened.identity.memberId,
    cluster,
    clientURLs: config.advertiseClientURLs,
    peerURLs: config.initialAdvertisePeerURLs,
    heartbeatMs: config.heartbeatMs,
    electionMs: config.electionMs,
    initialElectionTickAdvance: config.initialElectionTickAdvance,
    snapshotCount: config.snapshotCount,
    persistence: opened.persistence,
    ...(opened.restored ? { restored: opened.restored } : {}),
    bootstrapNewCluster,
    localAddress,
    log,
  });

  const peerHandler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = requestTarget(req.url)?.pathname;
    if (path === undefined) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('400 Bad Request');
      return;
    }
    if (path === RAFT_PATH || path.startsWith(`${RAFT_PATH}/`)) return server.transport.handle(req, res);
    if (path === '/members' && req.method === 'GET') {
      const body = `[${server.cluster.sorted().map(memberJSON).join(',')}]\n`;
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Etcd-Cluster-ID': server.cluster.id });
      res.end(body);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
  };
  const listeners: http.Server[] = [];
  const closeListeners = () => Promise.all(listeners.map((l) => new Promise<void>((r) => { l.closeAllConnections(); l.close(() => r()); })));
  try {
    for (const u of config.listenPeerURLs) {
      const l = http.createServer(peerHandler);
      listeners.push(l);
      await listen(l, u);
    }
    await server.start();
    const api = clientApiHandler({ server, clusterToken: config.initialClusterToken });
    for (const u of config.listenClientURLs) {
      const l = http.createServer(api);
      listeners.push(l);
      await listen(l, u);
    }
  } catch (err) {
    await closeListeners();
    await server.stop();
    throw err;
  }

  let stoppedResolve!: () => void;
  const stopped = new Promise<void>((r) => (stoppedResolve = r));
  server.onStop(() => {
    void closeListeners().then(() => stoppedResolve());
  });

  void server.whenReady().then(async () => {
    log.info('ready to serve client requests', { name, member: server.memberId, cluster: server.cluster.id, clientURLs: config.advertiseClientURLs });
    try {
      await sdNotify('READY=1', env);
    } catch (err) {
      log.warn('could not notify the supervisor', { socket: env.NOTIFY_SOCKET, error: (err as Error).message });
    }
  });

  return {
    server,
    stopped,
    async close() {
      await closeListeners();
      await server.stop();
    },
  };
}
