// One HTTP/1.1 request with the whole answer read, for the daemons' small
// control-plane calls (a peer's member list, the discovery service). Outgoing
// sockets can be bound to the caller's own address, and requests can go
// through an HTTP proxy, which gets the full URL as its request target.
import http from 'node:http';

export interface HttpRequestOptions {
  method?: string;
  /** A url-encoded form, sent with its Content-Type. */
  form?: string;
  /** Milliseconds without activity before giving up; 0 waits for ever (a long-poll watch). */
  timeoutMs?: number;
  localAddress?: string;
  /** An HTTP proxy such as http://proxy:3128. */
  proxy?: string;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function httpRequest(url: string, o: HttpRequestOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const via = o.proxy ? new URL(o.proxy) : undefined;
    const req = http.request(
      {
        host: via ? via.hostname : target.hostname,
        port: via ? Number(via.port || 80) : Number(target.port || 80),
        path: via ? target.href : `${target.pathname}${target.search}`,
        method: o.method ?? 'GET',
        timeout: o.timeoutMs ?? 10000,
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
        headers: {
          Host: target.host,
          ...(o.form === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(o.form);
  });
}
