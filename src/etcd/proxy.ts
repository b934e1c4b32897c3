// --proxy on|readonly: a client proxy to the cluster (what CoreOS worker
// machines ran, and what a member falls back to when discovery finds the
// cluster full). It holds no data: it learns the members' client URLs from
// their peer URLs (GET <peer>/members), refreshes them every 30 s, forwards
// every client request to a member — streams (watches) included — and moves
// on to the next member when one does not answer, skipping a failed one for
// 5 s. The peer URLs it knows are kept in <data-dir>/proxy/cluster, as etcd
// does, so a restart needs no flags to find the cluster again.
import fs from 'node:fs';
import http from 'node:http';
import { httpRequest } from '../common/http-request.js';
import path from 'node:path';
import type { Logger } from '../common/log.js';
import { sdNotify } from './notify.js';
import { requestTarget } from '../common/request-target.js';

const REFRESH_MS = 30_000;
const FAILURE_WAIT_MS = 5_000;

export interface ProxyOptions {
  dataDir: string;
  peerURLs: string[];
  listenClientURLs: string[];
  readonly: boolean;
  log: Logger;
  localAddress?: string;
}

export interface RunningProxy {
  close(): Promise<void>;
  endpoints(): string[];
}

interface Endpoint {
  url: string;
  failedUntil: number;
}


/** The peer URLs a proxy remembered, or undefined when it never ran here. */
export function readProxyCluster(dataDir: string): string[] | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(path.join(dataDir, 'proxy', 'cluster'), 'utf8')) as { PeerURLs?: unknown };
    return Array.isArray(o.PeerURLs) && o.PeerURLs.every((u) => typeof u === 'string') ? (o.PeerURLs as string[]) : undefined;
  } catch {
    return undefined;
  }
}

function writeProxyCluster(dataDir: string, peerURLs: string[]): void {
  const dir = path.join(dataDir, 'proxy');
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, 'cluster.tmp');
  fs.writeFileSync(tmp, JSON.stringify({ PeerURLs: peerURLs }));
  fs.renameSync(tmp, path.join(dir, 'cluster'));
}

export async function startProxy(o: ProxyOptions, env: NodeJS.ProcessEnv = process.env): Promise<RunningProxy> {
  let peers = readProxyCluster(o.dataDir) ?? o.peerURLs;
  let endpoints: Endpoint[] = [];

  const refresh = async () => {
    for (const peer of peers) {
      try {
        const res = await httpRequest(new URL('/members', peer).href, { timeoutMs: 2000, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
        const members = JSON.parse(res.body) as Array<{ peerURLs?: string[]; clientURLs?: string[] }>;
        const clientURLs = members.flatMap((m) => m.clientURLs ?? []);
        if (clientURLs.length === 0) continue;
        const old = new Map(endpoints.map((e) => [e.url, e]));
        endpoints = clientURLs.map((url) => old.get(url) ?? { url, failedUntil: 0 });
        peers = [...new Set(members.flatMap((m) => m.peerURLs ?? []))];
        writeProxyCluster(o.dataDir, peers);
        return;
      } catch (err) {
        o.log.warn('proxy: could not get the members from a peer', { peer, error: (err as Error).message });
      }
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), REFRESH_MS);

  const agent = new http.Agent({ keepAlive: true, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (o.readonly && req.method !== 'GET' && req.method !== 'HEAD') {
      // etcd's read-only proxy: status 501 and no body.
      res.writeHead(501);
      res.end();
      return;
    }
    // Buffer the body so a request can be sent again to the next member.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, res, Buffer.concat(chunks), 0));
  };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, tried: number) => {
    const now = Date.now();
    const live = endpoints.filter((e) => e.failedUntil <= now);
    if (tried >= live.length) {
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end(`${JSON.stringify({ message: `proxy: unable to get response from ${endpoints.length} endpoint(s)` })}\n`);
      return;
    }
    const ep = live[tried]!;
    const headers = { ...req.headers };
    delete headers.host;
    // Only the path and query go upstream: the proxy talks to cluster members, nowhere else.
    const target = requestTarget(req.url);
    if (!target) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('400 Bad Request');
      return;
    }
    // Replace the member URL's path and query only: a path such as
    // "//evil.example/x" resolved against it would name another host.
    const upstream = new URL(ep.url);
    upstream.pathname = target.pathname;
    upstream.search = target.search;
    const up = http.request(upstream, { method: req.method, headers, agent }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
      res.on('close', () => upRes.destroy());
    });
    up.on('error', (err) => {
      if (res.headersSent) return res.destroy();
      o.log.warn('proxy: member did not answer; trying the next', { endpoint: ep.url, error: err.message });
      ep.failedUntil = Date.now() + FAILURE_WAIT_MS;
      forward(req, res, body, tried + 1);
    });
    req.on('close', () => {
      if (!res.writableEnded) up.destroy();
    });
    up.end(body);
  };

  const servers: http.Server[] = [];
  for (const u of o.listenClientURLs) {
    const url = new URL(u);
    const s = http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(Number(url.port || 80), url.hostname, () => resolve());
    });
    servers.push(s);
  }
  o.log.info('proxy: serving client requests', { listen: o.listenClientURLs, endpoints: endpoints.map((e) => e.url), readonly: o.readonly });
  try {
    await sdNotify('READY=1', env);
  } catch (err) {
    o.log.warn('could not notify the supervisor', { error: (err as Error).message });
  }
  return {
    endpoints: () => endpoints.map((e) => e.url),
    async close() {
      clearInterval(timer);
      agent.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
    },
  };
}
