// The Raft peer transport over HTTP.
//
// Outgoing: one keep-alive connection per peer, messages queued and sent in
// batches, one batch in flight per peer (so messages to a peer arrive in the
// order Raft produced them). A failed send tells Raft the peer is unreachable
// (it then probes instead of streaming) and the peer is backed off from 50 ms
// up to 2 s; messages for a backed-off peer are dropped, as Raft resends.
// Every outgoing socket is bound to the member's own address.
//
// Incoming: POST /raft with a batch; the cluster ID must match, messages from
// removed members are dropped (etcd does the same), anything malformed is
// refused with 400 and a message.
import http from 'node:http';
import type { Message } from '../../raft/index.js';
import type { Logger } from '../log.js';
import { decodeMessages, encodeMessages, WireError } from './codec.js';

export const RAFT_PATH = '/raft';
const MAX_BATCH_MESSAGES = 4096;
const MAX_BODY_BYTES = 512 << 20;

export interface TransportHooks {
  receive(msgs: Message[]): void;
  reportUnreachable(id: string): void;
  reportSnapshot(id: string, ok: boolean): void;
  isRemoved(id: string): boolean;
  /** A peer told us we were removed from the cluster (HTTP 410). */
  removedFromCluster(): void;
}

interface Peer {
  id: string;
  urls: string[];
  queue: Message[];
  sending: boolean;
  /** Backed off until this time (ms since epoch). */
  downUntil: number;
  backoffMs: number;
  /** Index into urls of the URL to try next. */
  next: number;
  reachable: boolean;
  /** When a batch last got through (ms since epoch), for the strict reconfiguration check. */
  lastSuccess: number;
  stats: PeerStats;
}

/** Round-trip times of batches sent to a peer, in milliseconds (etcd's /v2/stats/leader). */
export interface PeerStats {
  current: number;
  count: number;
  sum: number;
  sumOfSquares: number;
  minimum: number;
  maximum: number;
  success: number;
  fail: number;
}

function newStats(): PeerStats {
  return { current: 0, count: 0, sum: 0, sumOfSquares: 0, minimum: Infinity, maximum: 0, success: 0, fail: 0 };
}

export class PeerTransport {
  private readonly peers = new Map<string, Peer>();
  private readonly agent: http.Agent;
  private stopped = false;

  constructor(
    private readonly self: string,
    private readonly clusterId: () => string,
    private readonly hooks: TransportHooks,
    private readonly log: Logger,
    localAddress?: string,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1, ...(localAddress ? { localAddress } : {}) });
  }

  setPeer(id: string, urls: string[]): void {
    if (id === this.self) return;
    const p = this.peers.get(id);
    if (p) {
      p.urls = urls;
      p.next = 0;
      return;
    }
    this.peers.set(id, { id, urls, queue: [], sending: false, downUntil: 0, backoffMs: 50, next: 0, reachable: true, lastSuccess: 0, stats: newStats() });
  }

  removePeer(id: string): void {
    this.peers.delete(id);
  }

  /** Which peers answered their last batch (for stats and health). */
  reachable(id: string): boolean {
    return this.peers.get(id)?.reachable ?? false;
  }

  /** Whether a batch reached `id` within the last `ms` milliseconds. */
  activeWithin(id: string, ms: number): boolean {
    const p = this.peers.get(id);
    return p !== undefined && p.reachable && Date.now() - p.lastSuccess <= ms;
  }

  peerStats(id: string): PeerStats | undefined {
    return this.peers.get(id)?.stats;
  }

  send(msgs: readonly Message[]): void {
    for (const m of msgs) {
      const p = this.peers.get(m.to);
      if (!p) continue;
      if (Date.now() < p.downUntil) {
        this.failed(p, [m]);
        continue;
      }
      p.queue.push(m);
    }
    for (const p of this.peers.values()) if (!p.sending && p.queue.length > 0) this.flush(p);
  }

  /**
   * Reach every peer at least every `intervalMs`: an empty batch to any peer
   * not heard from lately. Raft only talks leader-to-follower, but every
   * member must know which peers are up (etcd keeps a stream open to each):
   * the strict reconfiguration check counts active members from here.
   */
  startProbing(intervalMs: number): NodeJS.Timeout {
    return setInterval(() => {
      const now = Date.now();
      for (const p of this.peers.values()) {
        if (!p.sending && now >= p.downUntil && now - p.lastSuccess >= intervalMs * 0.8) this.flush(p);
      }
    }, intervalMs);
  }

  private failed(p: Peer, msgs: Message[]): void {
    let unreachable = false;
    for (const m of msgs) {
      if (m.type === 'MsgSnap') this.hooks.reportSnapshot(p.id, false);
      else unreachable = true;
    }
    if (unreachable) this.hooks.reportUnreachable(p.id);
  }

  private flush(p: Peer): void {
    if (this.stopped || p.urls.length === 0) return;
    const batch = p.queue.splice(0, MAX_BATCH_MESSAGES);
    const body = encodeMessages(batch);
    const url = new URL(RAFT_PATH, p.urls[p.next % p.urls.length]);
    p.sending = true;
    const started = process.hrtime.bigint();
    const done = (ok: boolean, why?: string) => {
      p.sending = false;
      const st = p.stats;
      if (ok) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        st.current = ms;
        st.count++;
        st.sum += ms;
        st.sumOfSquares += ms * ms;
        st.minimum = Math.min(st.minimum, ms);
        st.maximum = Math.max(st.maximum, ms);
        st.success++;
        p.lastSuccess = Date.now();
      } else {
        st.fail++;
      }
      if (ok) {
        if (!p.reachable) this.log.info('peer reachable again', { peer: p.id });
        p.reachable = true;
        p.backoffMs = 50;
        for (const m of batch) if (m.type === 'MsgSnap') this.hooks.reportSnapshot(p.id, true);
      } else {
        if (p.reachable) this.log.warn('peer unreachable', { peer: p.id, url: url.href, error: why });
        p.reachable = false;
        p.next++;
        p.downUntil = Date.now() + p.backoffMs;
        p.backoffMs = Math.min(p.backoffMs * 2, 2000);
        this.failed(p, batch);
        // Whatever queued up meanwhile waits out the backoff too.
        this.failed(p, p.queue.splice(0));
      }
      if (!this.stopped && p.queue.length > 0) this.flush(p);
    };
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: this.agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': body.length,
          'X-Etcd-Cluster-ID': this.clusterId(),
          'X-Server-From': this.self,
        },
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === 204) done(true);
          else {
            done(false, `HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').trim()}`);
            if (res.statusCode === 410) this.hooks.removedFromCluster();
          }
        });
        res.on('error', (err) => done(false, err.message));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => done(false, err.message));
    req.end(body);
  }

  /** The peer listener's POST /raft. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const reply = (status: number, text: string) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      reply(405, 'Method Not Allowed\n');
      return;
    }
    const theirs = req.headers['x-etcd-cluster-id'];
    if (theirs !== this.clusterId()) {
      this.log.warn('refused raft messages from another cluster', { from: String(req.headers['x-server-from'] ?? ''), theirs: String(theirs ?? '') });
      reply(412, 'cluster ID mismatch\n');
      return;
    }
    // A removed member may not know yet (the entry removing it is never sent
    // to it): tell it, as etcd does, so it can stop.
    const from = String(req.headers['x-server-from'] ?? '');
    if (from !== '' && this.hooks.isRemoved(from)) {
      req.resume();
      reply(410, 'the member has been permanently removed from the cluster\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reply(413, 'raft message batch too large\n');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      let msgs: Message[];
      try {
        msgs = decodeMessages(Buffer.concat(chunks));
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        this.log.warn('refused malformed raft messages', { from: String(req.headers['x-server-from'] ?? ''), error: err.message });
        reply(400, `${err.message}\n`);
        return;
      }
      const accepted = msgs.filter((m) => m.to === this.self && !this.hooks.isRemoved(m.from));
      if (accepted.length > 0) this.hooks.receive(accepted);
      res.writeHead(204);
      res.end();
    });
  }

  stop(): void {
    this.stopped = true;
    this.agent.destroy();
  }
}
