// `coracle discovery`: the discovery service (discovery.etcd.io's job) for
// bootstrapping clusters. It keeps its state in any etcd v2 keys API — a
// coracle member or a real etcd — under /_etcd/registry/<token>:
//
//   GET /new?size=N     make a token: writes <token>/_config/size, answers the token's URL
//   /<token>[/…]        the token's directory, proxied to the backend's keys API
//   GET /health         200 when the backend answers
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { requestTarget } from '../common/request-target.js';

export const REGISTRY = '/v2/keys/_etcd/registry';

export interface DiscoveryServiceOptions {
  /** The backend's client URL, e.g. http://127.0.0.2:2379. */
  etcd: string;
  /** The base of the URLs handed out, e.g. http://127.0.0.1:8087. */
  publicURL: string;
}

function backendRequest(url: string, method: string, headers: http.OutgoingHttpHeaders, body: Buffer | undefined): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: 0 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function discoveryHandler(o: DiscoveryServiceOptions): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const backend = o.etcd.replace(/\/+$/, '');
  const base = o.publicURL.replace(/\/+$/, '');
  const text = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(body);
  };
  return (req, res) => {
    const url = requestTarget(req.url);
    if (!url) return text(res, 400, '400 Bad Request\n');
    void (async () => {
      if (url.pathname === '/new') {
        const sizeText = url.searchParams.get('size') ?? '3';
        const size = Number(sizeText);
        if (!/^\d+$/.test(sizeText) || size < 1) return text(res, 400, `invalid value for size: ${sizeText}\n`);
        const token = randomBytes(16).toString('hex');
        const r = await backendRequest(`${backend}${REGISTRY}/${token}/_config/size`, 'PUT', { 'Content-Type': 'application/x-www-form-urlencoded' }, Buffer.from(`value=${size}`));
        if (r.status !== 201) return text(res, 500, `could not create the token: the backend answered ${r.status}\n`);
        return text(res, 200, `${base}/${token}`);
      }
      if (url.pathname === '/health') {
        try {
          const r = await backendRequest(`${backend}/health`, 'GET', {}, undefined);
          return text(res, r.status === 200 ? 200 : 503, r.status === 200 ? 'OK\n' : 'backend unhealthy\n');
        } catch {
          return text(res, 503, 'backend unreachable\n');
        }
      }
      const m = /^\/([0-9a-f]{32})(\/.*)?$/.exec(url.pathname);
      if (!m) return text(res, 404, '404 page not found\n');
      const body = await readBody(req);
      const headers: http.OutgoingHttpHeaders = {};
      if (req.headers['content-type']) headers['Content-Type'] = req.headers['content-type'];
      const r = await backendRequest(`${backend}${REGISTRY}/${m[1]}${m[2] ?? ''}${url.search}`, req.method ?? 'GET', headers, body.length > 0 ? body : undefined);
      const out: http.OutgoingHttpHeaders = {};
      for (const h of ['content-type', 'x-etcd-index', 'x-raft-index', 'x-raft-term']) if (r.headers[h] !== undefined) out[h] = r.headers[h];
      res.writeHead(r.status, out);
      res.end(r.body);
    })().catch((err: unknown) => {
      if (!res.headersSent) text(res, 502, `discovery backend error: ${(err as Error).message}\n`);
      else res.destroy();
    });
  };
}
