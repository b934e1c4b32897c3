// The Raft peer transport over HTTP.
//
// Outgoing, per peer: one long-lived streaming request (POST /raft/stream,
// chunked) carrying length-prefixed frames, each a JSON batch of messages —
// appends are pipelined over one ordered connection, as etcd's stream does.
// The receiver answers every frame with one ack byte on the response; the
// time from frame to ack is the peer's latency (/v2/stats/leader), and a
// stream with frames unacknowledged for STALL_MS is torn down (a black-holed
// connection never errors on its own). An idle stream carries an empty frame
// every probe interval, so every member knows which peers are up (the strict
// reconfiguration check counts on it). A broken stream tells Raft the peer
// is unreachable (it then probes instead of streaming) and is reopened after
// a backoff from 50 ms up to 2 s; messages meant for it meanwhile are
// dropped, as Raft resends. Snapshots go separately, as raw bytes
// (POST /raft/snapshot), and their fate is reported to Raft.
// Every outgoing socket is bound to the member's own address.
//
// Incoming: the cluster ID must match, a removed member is told so (410, and
// it stops), anything malformed is refused and the connection dropped.
import http from 'node:http';
import type { Message } from '../../raft/index.js';
import type { Logger } from '../../common/log.js';
import { decodeMessages, encodeMessages, WireError } from './codec.js';
import { requestTarget } from '../../common/request-target.js';

export const RAFT_PATH = '/raft';
const STREAM_PATH = '/raft/stream';
const SNAPSHOT_PATH = '/raft/snapshot';
const MAX_FRAME_BYTES = 64 << 20;
const MAX_SNAPSHOT_BYTES = 1 << 30;
/** A stream whose oldest frame waits this long for its ack is considered dead. */
const STALL_MS = 5000;
/** Stop writing into a stream the peer does not drain past this much. */
const MAX_BUFFERED_BYTES = 64 << 20;

export interface TransportHooks {
  /** Returns false when something in the batch had to be refused (the sender is then dropped). */
  receive(msgs: Message[]): boolean;
  reportUnreachable(id: string): void;
  reportSnapshot(id: string, ok: boolean): void;
  isRemoved(id: string): boolean;
  /** A peer told us we were removed from the cluster (HTTP 410). */
  removedFromCluster(): void;
}

/** Round-trip times of frames to a peer, in milliseconds (etcd's /v2/stats/leader). */
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

interface Stream {
  req: http.ClientRequest;
  /** Write times of frames not yet acknowledged, oldest first. */
  unacked: bigint[];
  open: boolean;
}

interface Peer {
  id: string;
  urls: string[];
  stream: Stream | undefined;
  /** Backed off until this time (ms since epoch). */
  downUntil: number;
  backoffMs: number;
  /** Index into urls of the URL to try next. */
  next: number;
  reachable: boolean;
  /** When the peer last acknowledged something (ms since epoch; 0: never). */
  lastSuccess: number;
  /** The reopen scheduled for when the backoff ends. */
  retry: NodeJS.Timeout | undefined;
  stats: PeerStats;
}

function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
}

/** Splits a byte stream into length-prefixed frames. */
class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer, onFrame: (payload: Buffer) => void): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < 4) return;
      const len = this.buf.readUInt32BE(0);
      if (len > MAX_FRAME_BYTES) throw new WireError(`raft frame of ${len} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`);
      if (this.buf.length < 4 + len) return;
      const payload = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      onFrame(payload);
    }
  }
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
    this.agent = new http.Agent({ keepAlive: true, ...(localAddress ? { localAddress } : {}) });
  }

  setPeer(id: string, urls: string[]): void {
    if (id === this.self) return;
    const p = this.peers.get(id);
    if (p) {
      if (p.urls.join(',') !== urls.join(',')) {
        p.urls = urls;
        p.next = 0;
        this.closeStream(p);
      }
      return;
    }
    this.peers.set(id, { id, urls, stream: undefined, downUntil: 0, backoffMs: 50, next: 0, reachable: true, lastSuccess: 0, retry: undefined, stats: newStats() });
  }

  removePeer(id: string): void {
    const p = this.peers.get(id);
    if (p) this.cancelRetry(p);
    if (p) this.closeStream(p);
    this.peers.delete(id);
  }

  /** Whether the peer's stream is up (for stats and health). */
  /** Whether `id` has answered since this member started, and its stream is not known broken. */
  hasAnswered(id: string): boolean {
    const p = this.peers.get(id);
    return p !== undefined && p.reachable && p.lastSuccess > 0;
  }

  /** Whether `id` acknowledged something within the last `ms` milliseconds. */
  activeWithin(id: string, ms: number): boolean {
    const p = this.peers.get(id);
    return p !== undefined && p.reachable && Date.now() - p.lastSuccess <= ms;
  }

  peerStats(id: string): PeerStats | undefined {
    return this.peers.get(id)?.stats;
  }

  send(msgs: readonly Message[]): void {
    const byPeer = new Map<Peer, Message[]>();
    for (const m of msgs) {
      const p = this.peers.get(m.to);
      if (!p) continue;
      if (m.type === 'MsgSnap') {
        this.sendSnapshot(p, m);
        continue;
      }
      const list = byPeer.get(p);
      if (list) list.push(m);
      else byPeer.set(p, [m]);
    }
    for (const [p, batch] of byPeer) this.write(p, batch);
  }

  /**
   * Keep every stream open and checked: an empty frame on an idle stream, a
   * stalled stream torn down, a closed one reopened after its backoff.
   */
  startProbing(intervalMs: number): NodeJS.Timeout {
    // The first round at once: a member that just started learns which peers
    // are up (and may campaign) without waiting a whole interval.
    setImmediate(() => {
      for (const p of this.peers.values()) if (!p.stream) this.write(p, []);
    });
    return setInterval(() => {
      const now = Date.now();
      for (const p of this.peers.values()) {
        const s = p.stream;
        if (s && s.unacked.length > 0 && Number(process.hrtime.bigint() - s.unacked[0]!) / 1e6 > STALL_MS) {
          this.streamFailed(p, `no acknowledgement for ${STALL_MS} ms`);
          continue;
        }
        if (now - p.lastSuccess >= intervalMs * 0.8) this.write(p, []);
      }
    }, intervalMs);
  }

  // --- outgoing -------------------------------------------------------------

  private write(p: Peer, batch: Message[]): void {
    if (this.stopped || p.urls.length === 0) return;
    if (Date.now() < p.downUntil) {
      if (batch.length > 0) this.hooks.reportUnreachable(p.id);
      return;
    }
    const s = p.stream ?? this.openStream(p);
    if (s.req.writableLength > MAX_BUFFERED_BYTES) {
      this.streamFailed(p, 'the peer stopped reading');
      return;
    }
    s.unacked.push(process.hrtime.bigint());
    s.req.write(frame(batch.length > 0 ? encodeMessages(batch) : Buffer.alloc(0)));
  }

  private openStream(p: Peer): Stream {
    const url = new URL(STREAM_PATH, p.urls[p.next % p.urls.length]);
    const req = http.request(url, {
      method: 'POST',
      agent: this.agent,
      headers: {
        'Content-Type': 'application/octet-stream',
        'Transfer-Encoding': 'chunked',
        'X-Etcd-Cluster-ID': this.clusterId(),
        'X-Server-From': this.self,
      },
    });
    const s: Stream = { req, unacked: [], open: true };
    p.stream = s;
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === 410) this.hooks.removedFromCluster();
          this.streamFailed(p, `HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').trim()}`, s);
        });
        return;
      }
      res.on('data', (acks: Buffer) => {
        for (let i = 0; i < acks.length; i++) this.acked(p, s);
      });
      res.on('end', () => this.streamFailed(p, 'the peer closed the stream', s));
      res.on('error', (err) => this.streamFailed(p, err.message, s));
    });
    req.on('error', (err) => this.streamFailed(p, err.message, s));
    req.flushHeaders();
    return s;
  }

  private acked(p: Peer, s: Stream): void {
    const sent = s.unacked.shift();
    const st = p.stats;
    if (sent !== undefined) {
      const ms = Number(process.hrtime.bigint() - sent) / 1e6;
      st.current = ms;
      st.count++;
      st.sum += ms;
      st.sumOfSquares += ms * ms;
      st.minimum = Math.min(st.minimum, ms);
      st.maximum = Math.max(st.maximum, ms);
    }
    st.success++;
    p.lastSuccess = Date.now();
    p.backoffMs = 50;
    if (!p.reachable) this.log.info('peer reachable again', { peer: p.id });
    p.reachable = true;
  }

  /** The stream broke: mark the peer down, tell Raft, back off before reopening. */
  private streamFailed(p: Peer, why: string, which?: Stream): void {
    const s = p.stream;
    if (!s || (which && which !== s)) return;
    p.stream = undefined;
    s.open = false;
    s.req.destroy();
    p.stats.fail++;
    if (p.reachable) this.log.warn('peer unreachable', { peer: p.id, url: p.urls[p.next % p.urls.length], error: why });
    p.reachable = false;
    p.next++;
    p.downUntil = Date.now() + p.backoffMs;
    // Reopen when the backoff ends rather than at the next probe: peers of a
    // cluster starting together come up within a few hundred ms of each other.
    this.retryAfter(p, p.backoffMs);
    p.backoffMs = Math.min(p.backoffMs * 2, 2000);
    if (!this.stopped) this.hooks.reportUnreachable(p.id);
  }

  private retryAfter(p: Peer, ms: number): void {
    if (this.stopped || p.retry) return;
    p.retry = setTimeout(() => {
      p.retry = undefined;
      if (!this.stopped && !p.stream && this.peers.get(p.id) === p) this.write(p, []);
    }, ms);
    p.retry.unref();
  }

  private cancelRetry(p: Peer): void {
    if (p.retry) clearTimeout(p.retry);
    p.retry = undefined;
  }

  private closeStream(p: Peer): void {
    const s = p.stream;
    if (!s) return;
    p.stream = undefined;
    s.open = false;
    s.req.destroy();
  }

  /** A snapshot goes on its own request: [u32 header length][header JSON][raw snapshot bytes]. */
  private sendSnapshot(p: Peer, m: Message): void {
    if (this.stopped || p.urls.length === 0 || Date.now() < p.downUntil) {
      this.hooks.reportSnapshot(p.id, false);
      return;
    }
    const data = m.snapshot!.data;
    const header = encodeMessages([{ ...m, snapshot: { ...m.snapshot!, data: new Uint8Array(0) } }]);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(header.length, 0);
    const body = Buffer.concat([head, header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
    const url = new URL(SNAPSHOT_PATH, p.urls[p.next % p.urls.length]);
    let reported = false;
    const report = (ok: boolean, why?: string) => {
      if (reported) return;
      reported = true;
      if (!ok) this.log.warn('sending a snapshot failed', { peer: p.id, error: why });
      this.hooks.reportSnapshot(p.id, ok);
    };
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: this.agent,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length, 'X-Etcd-Cluster-ID': this.clusterId(), 'X-Server-From': this.self },
        timeout: 30000,
      },
      (res) => {
        res.resume();
        res.on('end', () => report(res.statusCode === 204, `HTTP ${res.statusCode}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => report(false, err.message));
    req.end(body);
    this.log.info('sending a snapshot', { peer: p.id, index: m.snapshot!.metadata.index, bytes: data.byteLength });
  }

  // --- incoming -------------------------------------------------------------

  /** The peer listener's /raft endpoints: the stream, snapshots, and single batches. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = requestTarget(req.url)?.pathname ?? '';
    const reply = (status: number, text: string) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      reply(405, 'Method Not Allowed\n');
      return;
    }
    const from = String(req.headers['x-server-from'] ?? '');
    const theirs = req.headers['x-etcd-cluster-id'];
    if (theirs !== this.clusterId()) {
      this.log.warn('refused raft messages from another cluster', { from, theirs: String(theirs ?? '') });
      req.resume();
      reply(412, 'cluster ID mismatch\n');
      return;
    }
    // A removed member may not know yet (the entry removing it is never sent
    // to it): tell it, as etcd does, so it can stop.
    if (from !== '' && this.hooks.isRemoved(from)) {
      req.resume();
      reply(410, 'the member has been permanently removed from the cluster\n');
      return;
    }
    if (path === STREAM_PATH) return this.receiveStream(req, res, from);
    if (path === SNAPSHOT_PATH) return this.receiveSnapshot(req, res, from, reply);
    if (path === RAFT_PATH) return this.receiveBatch(req, res, from, reply);
    reply(404, '404 page not found\n');
  }

  private deliver(msgs: Message[]): boolean {
    const accepted = msgs.filter((m) => m.to === this.self && !this.hooks.isRemoved(m.from));
    return accepted.length === 0 || this.hooks.receive(accepted);
  }

  private receiveStream(req: http.IncomingMessage, res: http.ServerResponse, from: string): void {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    res.flushHeaders();
    const reader = new FrameReader();
    req.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk, (payload) => {
          // Removed since the stream opened: drop it; its reconnect gets the 410.
          if (this.hooks.isRemoved(from)) throw new WireError(`${from} was removed from the cluster`);
          if (payload.length > 0 && !this.deliver(decodeMessages(payload))) {
            throw new WireError(`${from} sent messages that had to be refused`);
          }
          res.write(Buffer.from([1]));
        });
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        this.log.warn('refused a malformed raft stream', { from, error: err.message });
        req.destroy();
        res.destroy();
      }
    });
    req.on('end', () => res.end());
    req.on('error', () => res.destroy());
  }

  private receiveSnapshot(req: http.IncomingMessage, res: http.ServerResponse, from: string, reply: (s: number, t: string) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_SNAPSHOT_BYTES) {
        reply(413, 'snapshot too large\n');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      const body = Buffer.concat(chunks);
      try {
        if (body.length < 4) throw new WireError('snapshot request too short');
        const headerLength = body.readUInt32BE(0);
        if (4 + headerLength > body.length) throw new WireError('snapshot header runs past the end of the request');
        const [m] = decodeMessages(body.subarray(4, 4 + headerLength));
        if (!m || m.type !== 'MsgSnap' || !m.snapshot) throw new WireError('snapshot request without a MsgSnap');
        m.snapshot.data = new Uint8Array(body.subarray(4 + headerLength));
        if (!this.deliver([m])) throw new WireError('the snapshot was refused (see the member log)');
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        this.log.warn('refused a malformed snapshot', { from, error: err.message });
        reply(400, `${err.message}\n`);
        return;
      }
      res.writeHead(204);
      res.end();
    });
  }

  /** One JSON batch per request: kept for peers and tools that do not stream. */
  private receiveBatch(req: http.IncomingMessage, res: http.ServerResponse, from: string, reply: (s: number, t: string) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FRAME_BYTES) {
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
        this.log.warn('refused malformed raft messages', { from, error: err.message });
        reply(400, `${err.message}\n`);
        return;
      }
      this.deliver(msgs);
      res.writeHead(204);
      res.end();
    });
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.peers.values()) {
      this.cancelRetry(p);
      this.closeStream(p);
    }
    this.agent.destroy();
  }
}
