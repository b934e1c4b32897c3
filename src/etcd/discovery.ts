// Bootstrapping through discovery (etcd's v2discovery): the members of a new
// cluster meet at a discovery URL — a directory in any etcd v2 keys API, such
// as the seeds' own `http://<host>:2379/v2/keys/discovery/<token>`, or a token
// from `coracle discovery` — and each learns the others from it.
//
//   1. GET <url>/_config/size             the cluster size, set by whoever made the token
//   2. GET <url>                          if `size` others already registered: the cluster is full
//   3. PUT <url>/<member id>?prevExist=false value=<name>=<peer URL>[,…]
//   4. GET <url>, then watch it recursively until `size` members registered
//   5. the first `size` registrations, by creation order, are --initial-cluster
//
// Network errors and 5xx are retried with exponential backoff (1 s doubling to
// 256 s, as etcd); everything else is an answer.
import { httpRequest } from '../common/http-request.js';
import type { Logger } from '../common/log.js';

export class DiscoveryError extends Error {
  constructor(
    message: string,
    readonly kind: 'full' | 'duplicate-id' | 'duplicate-name' | 'bad-size' | 'size-not-found' | 'bad-response' | 'stopped',
    /** For a full cluster: the peer URLs of the members that made it, for a proxy to use. */
    readonly clusterPeerURLs: string[] = [],
  ) {
    super(message);
  }
}

function peerURLsOf(nodes: KeysNode[]): string[] {
  return nodes.flatMap((n) => (n.value ?? '').split(',').map((p) => p.slice(p.indexOf('=') + 1)).filter((u) => u !== ''));
}

interface KeysNode {
  key: string;
  value?: string;
  createdIndex: number;
  nodes?: KeysNode[];
}

interface Reply {
  status: number;
  etcdIndex: number;
  body: string;
}


export interface DiscoveryOptions {
  url: string;
  name: string;
  memberId: string;
  peerURLs: string[];
  localAddress?: string;
  /** An HTTP proxy for the discovery traffic (--discovery-proxy), e.g. http://proxy:3128. */
  proxy?: string;
  log: Logger;
  /** Stop retrying when this says so (the member is shutting down). */
  stopped?: () => boolean;
  /** First retry delay (ms); etcd waits 1 s, doubling to 256 s. */
  backoffMs?: number;
}

/** Register and wait for the whole cluster; returns the --initial-cluster string. */
export async function joinDiscovery(o: DiscoveryOptions): Promise<string> {
  const base = o.url.replace(/\/+$/, '');
  let delay = o.backoffMs ?? 1000;
  // Retry network failures and 5xx forever (etcd does), with backoff.
  const call = async (url: string, method = 'GET', form?: string, timeoutMs = 10000): Promise<Reply> => {
    for (;;) {
      if (o.stopped?.()) throw new DiscoveryError('discovery: stopped', 'stopped');
      try {
        const a = await httpRequest(url, {
          method,
          timeoutMs,
          ...(form !== undefined ? { form } : {}),
          ...(o.localAddress ? { localAddress: o.localAddress } : {}),
          ...(o.proxy ? { proxy: o.proxy } : {}),
        });
        const r: Reply = { status: a.status, etcdIndex: Number(a.headers['x-etcd-index'] ?? 0), body: a.body };
        if (r.status < 500) {
          delay = o.backoffMs ?? 1000;
          return r;
        }
        o.log.warn('discovery: the service answered an error; retrying', { url, status: r.status, retryInMs: delay });
      } catch (err) {
        o.log.warn('discovery: cannot reach the service; retrying', { url, error: (err as Error).message, retryInMs: delay });
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 256_000);
    }
  };

  const size = await clusterSize(base, call);
  const self = `${o.name}=${o.peerURLs.join(`,${o.name}=`)}`;
  const checkFull = (nodes: KeysNode[]) => {
    if (nodes.length >= size && !nodes.slice(0, size).some((n) => n.key.endsWith(`/${o.memberId}`))) {
      throw new DiscoveryError('discovery: cluster is full', 'full', peerURLsOf(nodes.slice(0, size)));
    }
  };
  checkFull((await members(base, call)).nodes);

  const reg = await call(`${base}/${o.memberId}?prevExist=false`, 'PUT', `value=${encodeURIComponent(self)}`);
  if (reg.status === 412) {
    throw new DiscoveryError(
      'discovery: found duplicate id; the member has previously registered with the discovery service; please use a new discovery token',
      'duplicate-id',
    );
  }
  if (reg.status !== 201 && reg.status !== 200) throw new DiscoveryError(`discovery: registering failed: HTTP ${reg.status}: ${reg.body.trim()}`, 'bad-response');
  o.log.info('discovery: registered', { member: o.memberId, url: base });

  let { nodes, index } = await members(base, call);
  checkFull(nodes);
  while (nodes.length < size) {
    o.log.info(`discovery: found ${nodes.length} peer(s), waiting for ${size - nodes.length} more`);
    // Watch with no timeout of our own: the member waits as long as it takes.
    const w = await call(`${base}?wait=true&recursive=true&waitIndex=${index + 1}`, 'GET', undefined, 0);
    if (w.status === 200 && w.body.trim() !== '') {
      const ev = JSON.parse(w.body) as { node?: KeysNode };
      index = Math.max(index + 1, ev.node?.createdIndex ?? index + 1);
    }
    ({ nodes } = await members(base, call));
  }
  o.log.info(`discovery: found ${size} needed peer(s)`);
  const cluster = nodes.slice(0, size).map((n) => n.value ?? '').join(',');
  // etcd's nodesToCluster: the registrations must name exactly `size` members.
  const names = new Set(cluster.split(',').map((p) => p.slice(0, p.indexOf('='))));
  if (names.size !== size) throw new DiscoveryError('discovery: found duplicate name in the cluster', 'duplicate-name');
  return cluster;
}

async function clusterSize(base: string, call: (url: string) => Promise<Reply>): Promise<number> {
  const r = await call(`${base}/_config/size`);
  if (r.status === 404) throw new DiscoveryError('discovery: size key not found', 'size-not-found');
  let value: string | undefined;
  try {
    value = (JSON.parse(r.body) as { node?: { value?: string } }).node?.value;
  } catch {
    throw new DiscoveryError(`discovery: bad discovery endpoint: ${base} did not answer as an etcd v2 keys API`, 'bad-response');
  }
  const size = Number(value);
  if (!/^\d+$/.test(value ?? '') || size <= 0) throw new DiscoveryError(`discovery: bad size key ${JSON.stringify(value)}`, 'bad-size');
  return size;
}

/** The registered members (not `_config`), oldest first, and the index to watch from. */
async function members(base: string, call: (url: string) => Promise<Reply>): Promise<{ nodes: KeysNode[]; index: number }> {
  const r = await call(base);
  if (r.status !== 200) throw new DiscoveryError(`discovery: reading ${base} failed: HTTP ${r.status}: ${r.body.trim()}`, 'bad-response');
  const dir = (JSON.parse(r.body) as { node?: KeysNode }).node;
  const nodes = (dir?.nodes ?? []).filter((n) => !n.key.endsWith('/_config')).sort((a, b) => a.createdIndex - b.createdIndex);
  return { nodes, index: r.etcdIndex };
}
