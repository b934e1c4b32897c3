// A scripted HTTP server standing in for an etcd member, recording what it
// was asked, so the client's failover and request encoding can be checked.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  url: string;
  body: string;
  headers: http.IncomingHttpHeaders;
  remoteAddress: string;
}

export type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

export interface FakeMember {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** Serves `replies` in order (the last one repeats). */
export async function fakeMember(ip: string, replies: Reply[] | ((s: Seen) => Reply)): Promise<FakeMember> {
  const seen: Seen[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', body, headers: req.headers, remoteAddress: req.socket.remoteAddress ?? '' };
      seen.push(s);
      const reply = typeof replies === 'function' ? replies(s) : replies[Math.min(seen.length - 1, replies.length - 1)]!;
      if (reply === 'hang') {
        open.add(res);
        return;
      }
      res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, ip, r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${ip}:${port}`,
    seen,
    close: async () => {
      for (const r of open) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export const event = (action: string, key: string, value: string, index: number): string =>
  JSON.stringify({ action, node: { key, value, modifiedIndex: index, createdIndex: index } }) + '\n';
