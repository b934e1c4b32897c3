// Cluster information endpoints: /version, /health and /v2/stats/*.

import type { CallOptions, Client, RawResponse } from './cluster.js';
import { ClusterError, EmptyBodyError, InvalidJSONError, isConnectionError } from './errors.js';
import { newAgents, open, readBody } from './http.js';
import { parseEtcdError } from './keys.js';
import type { LeaderStats, SelfStats, StoreStats, Versions } from './types.js';
import { buildURL } from './urls.js';

function json(res: RawResponse): unknown {
  if (res.status !== 200) throw parseEtcdError(res.body);
  if (res.body.length === 0) throw new EmptyBodyError();
  try {
    return JSON.parse(res.body.toString('utf8')) as unknown;
  } catch {
    throw new InvalidJSONError();
  }
}

function get(client: Client, path: string, call: CallOptions): Promise<RawResponse> {
  return client.do((ep) => ({ method: 'GET', url: buildURL(ep, path) }), call);
}

export async function version(client: Client, call: CallOptions = {}): Promise<Versions> {
  return json(await get(client, '/version', call)) as Versions;
}

export async function selfStats(client: Client, call: CallOptions = {}): Promise<SelfStats> {
  return json(await get(client, '/v2/stats/self', call)) as SelfStats;
}

/** Only the leader answers; others say 403 `not current leader`. */
export async function leaderStats(client: Client, call: CallOptions = {}): Promise<LeaderStats> {
  return json(await get(client, '/v2/stats/leader', call)) as LeaderStats;
}

export async function storeStats(client: Client, call: CallOptions = {}): Promise<StoreStats> {
  return json(await get(client, '/v2/stats/store', call)) as StoreStats;
}

/**
 * Reads a /health body: etcd 3.4 says `{"health":"true"}`, 2.3 said
 * `{"health": "true"}` and some proxies a bool. Anything else is not healthy.
 */
export function parseHealth(body: string): boolean | undefined {
  let o: unknown;
  try {
    o = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const h = (o as Record<string, unknown>).health;
  return h === 'true' || h === true;
}

/**
 * /health through the client's endpoints: true once a member says healthy
 * (a 503 `{"health":"false"}` moves on to the next member, as any 5xx does);
 * false when every member answered unhealthy. Rejects only when no member
 * could be reached at all.
 */
export async function health(client: Client, call: CallOptions = {}): Promise<boolean> {
  try {
    const res = await get(client, '/health', call);
    return parseHealth(res.body.toString('utf8')) === true;
  } catch (err) {
    if (err instanceof ClusterError && !isConnectionError(err)) return false;
    throw err;
  }
}

export interface MemberHealthOptions {
  localAddress?: string;
  /** ms for the whole check; undefined = none. */
  timeout?: number;
  signal?: AbortSignal;
}

/**
 * GET <clientURL>/health on one member, outside the failover machinery (as
 * `etcdctl cluster-health` does). Resolves to true/false from the body;
 * rejects with Go's wording (`Get "…/health": dial tcp …`) when unreachable
 * or when the body is not a health answer.
 */
export async function memberHealth(clientURL: string, opts: MemberHealthOptions = {}): Promise<boolean> {
  const target = `${clientURL}/health`;
  const url = new URL(target);
  const agents = newAgents();
  const signals = [opts.signal, opts.timeout !== undefined ? AbortSignal.timeout(opts.timeout) : undefined].filter(
    (s): s is AbortSignal => s !== undefined,
  );
  const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
  try {
    let body: Buffer;
    try {
      const res = await open({ method: 'GET', url }, { endpoint: clientURL, agents, signal, localAddress: opts.localAddress });
      body = await readBody(res, signal);
    } catch (e) {
      const inner = e instanceof Error && e.name !== 'TimeoutError' ? e.message : 'context deadline exceeded';
      throw new Error(`Get ${JSON.stringify(target)}: ${inner}`);
    }
    const h = parseHealth(body.toString('utf8'));
    if (h === undefined) throw new Error(goJSONSyntaxError(body.toString('utf8')));
    return h;
  } finally {
    agents.http.destroy();
    agents.https.destroy();
  }
}

/** The start of Go's json error for a body that is not JSON (enough to say what went wrong). */
function goJSONSyntaxError(body: string): string {
  if (body.trim() === '') return 'unexpected end of JSON input';
  const c = body.trimStart()[0] ?? '';
  return `invalid character '${c}' looking for beginning of value`;
}
