// Plays a conversation (conversation.ts) against one cluster and records every
// answer raw: status, headers as sent (names as written, in order), body.
// The same script runs against real etcd 3.4 and against coracle; requests
// that depend on earlier answers (prevIndex, waitIndex, in-order key names)
// are computed from that side's own earlier answers, so both sides are asked
// the "same" question in their own index space.
import http from 'node:http';

/** What a step may compute from the answers so far on its side. */
export interface Ctx {
  /** X-Etcd-Index of the first user write: index 0 of the relative space. */
  base: number;
  /** Values captured from earlier answers. */
  vars: Map<string, string>;
  /** base + n, as a string: "the n-th index after the first write". */
  idx(n: number): string;
  v(name: string): string;
  /** The cluster asked. */
  side: SideInfo;
}

export type Tpl = string | ((c: Ctx) => string);

export interface RequestSpec {
  method: string;
  /** URL path (already escaped as it goes on the wire). */
  path: Tpl;
  /** Query string without '?'. */
  query?: Tpl;
  /** Body; sent url-encoded unless contentType says otherwise. */
  body?: Tpl | (() => Buffer);
  contentType?: string;
  /** Which member of the cluster to ask (default 0). */
  member?: number;
}

export type Step =
  /** One request and its whole answer. */
  | ({ kind: 'req'; label: string; capture?: (r: Recorded, c: Ctx) => void; setsBase?: boolean } & RequestSpec)
  /** Start a watch: wait for its headers (etcd flushes them at once), keep it open. */
  | ({ kind: 'watch'; label: string; name: string } & RequestSpec)
  /** Read `events` lines from an open watch (a non-stream watch: up to its end), then close it. */
  | { kind: 'watchRead'; label: string; name: string; events: number; timeoutMs?: number }
  | { kind: 'sleep'; ms: number };

export interface Recorded {
  label: string;
  method: string;
  /** The request path and query as sent on this side (for the normalizer: sorted=, prevIndex=). */
  url: string;
  status: number;
  statusText: string;
  /** [name, value] exactly as received (rawHeaders). */
  headers: Array<[string, string]>;
  body: string;
  /** A watch whose events did not all arrive in time. */
  timedOut?: boolean;
}

export interface SideInfo {
  /** The client URLs of the members, in member order. */
  clientURLs: string[];
  /** The peer URLs of the members, in member order. */
  peerURLs: string[];
}

interface OpenWatch {
  req: http.ClientRequest;
  res: http.IncomingMessage;
  rec: Recorded;
  text: string;
  ended: boolean;
  onData: (() => void) | undefined;
}

function headerPairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

function resolve(t: Tpl | undefined, c: Ctx): string | undefined {
  return typeof t === 'function' ? t(c) : t;
}

function send(
  base: string,
  spec: RequestSpec,
  c: Ctx,
): { req: http.ClientRequest; url: string; bodyBytes: number; response: Promise<http.IncomingMessage> } {
  const path = resolve(spec.path, c)!;
  const query = resolve(spec.query, c);
  const url = query !== undefined && query !== '' ? `${path}?${query}` : path;
  let body: Buffer | undefined;
  if (spec.body !== undefined) {
    const b = typeof spec.body === 'function' ? spec.body(c) : spec.body;
    body = typeof b === 'string' ? Buffer.from(b) : b;
  }
  const headers: Record<string, string> = {};
  if (body !== undefined) {
    headers['Content-Type'] = spec.contentType ?? 'application/x-www-form-urlencoded';
    headers['Content-Length'] = String(body.length);
  }
  // A fresh connection per request (agent: false): no answer depends on connection reuse.
  const req = http.request(base + url, { method: spec.method, headers, agent: false });
  const response = new Promise<http.IncomingMessage>((ok, fail) => {
    req.on('response', ok);
    let responded = false;
    req.on('response', () => (responded = true));
    // A server may answer (400 for a too large form) and close before reading the whole body.
    req.on('error', (err) => {
      if (!responded) fail(err);
    });
  });
  req.end(body);
  return { req, url, bodyBytes: body?.length ?? 0, response };
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    res.on('data', (d: Buffer) => chunks.push(d));
    res.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    res.on('error', fail);
  });
}

/** Play the conversation against one cluster; returns one record per req/watch step. */
export async function play(steps: Step[], side: SideInfo, log?: (s: string) => void): Promise<{ records: Recorded[]; base: number }> {
  const vars = new Map<string, string>();
  const ctx: Ctx = {
    base: 0,
    vars,
    side,
    idx: (n) => String(ctx.base + n),
    v: (name) => {
      const x = vars.get(name);
      if (x === undefined) throw new Error(`conversation: ${name} not captured`);
      return x;
    },
  };
  const out: Recorded[] = [];
  const watches = new Map<string, OpenWatch>();
  // A plain (local, non-quorum) keys read right after a write through another member races that
  // member's apply, on etcd as on coracle. So in a cluster, a keys read that names no member goes
  // to the member that answered the last write: it has applied everything up to that write.
  let lastWriter = 0;
  for (const step of steps) {
    if (step.kind === 'sleep') {
      await new Promise((r) => setTimeout(r, step.ms));
      continue;
    }
    if (step.kind === 'req') {
      const path = resolve(step.path, ctx)!;
      const isKeys = path === '/v2/keys' || path.startsWith('/v2/keys/');
      const isRead = step.method === 'GET' || step.method === 'HEAD';
      const quorum = /(^|&)quorum=true(&|$)/.test(resolve(step.query, ctx) ?? '');
      const member = step.member ?? (isKeys && isRead && !quorum ? lastWriter : 0);
      if (isKeys && !isRead) lastWriter = member;
      let rec: Recorded | undefined;
      // A server that answers a too-large body and closes without reading it
      // can reset the connection while the client still writes; the kernel
      // then drops the answer unread. Such a request is sent again (up to 3 times).
      for (let attempt = 1; rec === undefined; attempt++) {
        const s = send(side.clientURLs[member]!, step, ctx);
        try {
          const res = await s.response;
          const body = await readAll(res);
          rec = { label: step.label, method: step.method, url: s.url, status: res.statusCode!, statusText: res.statusMessage ?? '', headers: headerPairs(res.rawHeaders), body };
        } catch (err) {
          const reset = ['ECONNRESET', 'EPIPE'].includes((err as NodeJS.ErrnoException).code ?? '');
          if (reset && s.bodyBytes > 1 << 20 && attempt < 3) continue;
          rec = { label: step.label, method: step.method, url: s.url, status: 0, statusText: `request failed: ${(err as Error).message}`, headers: [], body: '' };
        }
      }
      if (step.setsBase) {
        const h = rec.headers.find(([n]) => n.toLowerCase() === 'x-etcd-index');
        if (!h) throw new Error(`${step.label}: no X-Etcd-Index to take the base from`);
        ctx.base = Number(h[1]);
      }
      step.capture?.(rec, ctx);
      out.push(rec);
      log?.(`${rec.status} ${step.label}`);
      continue;
    }
    if (step.kind === 'watch') {
      const s = send(side.clientURLs[step.member ?? 0]!, step, ctx);
      const res = await s.response;
      const rec: Recorded = { label: step.label, method: step.method, url: s.url, status: res.statusCode!, statusText: res.statusMessage ?? '', headers: headerPairs(res.rawHeaders), body: '' };
      const w: OpenWatch = { req: s.req, res, rec, text: '', ended: false, onData: undefined };
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        w.text += d;
        w.onData?.();
      });
      res.on('end', () => {
        w.ended = true;
        w.onData?.();
      });
      res.on('error', () => {
        w.ended = true;
        w.onData?.();
      });
      watches.set(step.name, w);
      out.push(rec);
      continue;
    }
    // watchRead
    const w = watches.get(step.name);
    if (!w) throw new Error(`conversation: no open watch ${step.name}`);
    const lines = () => w.text.split('\n').filter((l) => l !== '').length;
    const enough = () => w.ended || lines() >= step.events;
    if (!enough()) {
      await new Promise<void>((ok) => {
        const timer = setTimeout(() => {
          w.rec.timedOut = true;
          ok();
        }, step.timeoutMs ?? 5000);
        w.onData = () => {
          if (enough()) {
            clearTimeout(timer);
            ok();
          }
        };
      });
    }
    w.onData = undefined;
    // Keep exactly the first `events` lines (a stream may have sent more by now).
    const all = w.text.split('\n');
    const complete = all.slice(0, all.length - 1).filter((l) => l !== '');
    w.rec.body = complete.slice(0, step.events).map((l) => `${l}\n`).join('') + (w.ended && all[all.length - 1] !== '' ? all[all.length - 1]! : '');
    w.req.destroy();
    watches.delete(step.name);
    log?.(`${w.rec.status} ${step.label} (${lines()} lines)`);
  }
  for (const w of watches.values()) w.req.destroy();
  return { records: out, base: ctx.base };
}
