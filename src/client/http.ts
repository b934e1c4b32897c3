// One HTTP exchange with one endpoint: binds the local address when asked,
// enforces the per-request header timeout, and turns socket failures into the
// Go client's error texts. Failover across endpoints lives in cluster.ts.

import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { ConnectionError, HeaderTimeoutError } from './errors.js';

export interface Request {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: string;
}

export interface ExchangeOptions {
  /** Source address for the outgoing socket (each coracle machine has its own 127.0.0.x). */
  localAddress?: string;
  /** Milliseconds until response headers must arrive; 0 or undefined for none. */
  headerTimeout?: number;
  /** Aborts the exchange; the signal's reason is thrown. */
  signal?: AbortSignal;
  /** Text naming the endpoint in a header-timeout error. */
  endpoint: string;
  agents: Agents;
}

export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

export function newAgents(): Agents {
  return { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
}

/** Sends the request and resolves once headers arrived; the body is left to read. */
export function open(req: Request, opts: ExchangeOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const { signal } = opts;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const isHttps = req.url.protocol === 'https:';
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
    const host = req.url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = req.url.port !== '' ? Number(req.url.port) : isHttps ? 443 : 80;
    const cr = (isHttps ? https : http).request({
      method: req.method,
      host,
      port,
      path: req.url.pathname + req.url.search,
      headers,
      agent: isHttps ? opts.agents.https : opts.agents.http,
      localAddress: opts.localAddress,
    });
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: unknown, res?: IncomingMessage): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (res !== undefined) resolve(res);
      else reject(err);
    };
    const onAbort = (): void => {
      finish(signal?.reason);
      cr.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.headerTimeout !== undefined && opts.headerTimeout > 0) {
      timer = setTimeout(() => {
        finish(new HeaderTimeoutError(opts.endpoint));
        cr.destroy();
      }, opts.headerTimeout);
    }
    cr.on('response', (res) => {
      if (settled) {
        res.destroy();
        return;
      }
      // Once headers are in, only the caller's signal bounds the body.
      finish(undefined, res);
    });
    cr.on('error', (err: NodeJS.ErrnoException) => finish(goNetError(err, host, port, opts.localAddress)));
    cr.end(req.body);
  });
}

/** Reads a whole body; the signal aborts the read. */
export function readBody(res: IncomingMessage, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onAbort = (): void => {
      res.destroy();
      reject(signal?.reason);
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve(Buffer.concat(chunks));
    });
    res.on('error', (err: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new ConnectionError(`read tcp: ${err.message}`, err.code ?? 'EIO'));
    });
  });
}

const goErrno: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connection timed out',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EPIPE: 'broken pipe',
};

/** Node's socket errors in the words of Go's net.OpError (`dial tcp 127.0.0.1:2379: connect: connection refused`). */
function goNetError(err: NodeJS.ErrnoException, host: string, port: number, localAddress?: string): Error {
  const code = err.code ?? 'EIO';
  const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const text = goErrno[code] ?? err.message;
  const syscall = err.syscall;
  if (syscall === 'connect' || code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    const local = localAddress !== undefined ? `${localAddress}:0->` : '';
    return new ConnectionError(`dial tcp ${local}${addr}: connect: ${text}`, code);
  }
  if (syscall === 'getaddrinfo' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConnectionError(`dial tcp: lookup ${host}: no such host`, code);
  }
  if (syscall === 'bind') return new ConnectionError(`dial tcp ${localAddress ?? ''}:0->${addr}: bind: ${text}`, code);
  if (code === 'ECONNRESET' && err.message === 'socket hang up') return new ConnectionError('EOF', code);
  return new ConnectionError(`read tcp ${addr}: read: ${text}`, code);
}
