// Linearizable reads without writing to the log (Raft thesis §6.4).
//
// ReadIndex ("safe"): the leader notes its commit index, then confirms it is
// still leader by hearing heartbeat acks from a majority for this request.
// Once the application has applied up to that index, the read sees every
// write acknowledged before the read began. No clock is involved.
//
// Lease ("leaseBased", opt-in): the leader answers at once while it holds a
// lease; lease.ts says when that is sound and what it assumes of clocks.
//
// Contexts identify requests: they must be non-empty, unique across the whole
// cluster (followers forward theirs to the leader) and never reused — a late
// acknowledgement for an old request with the same context would count for
// the new one.
import type { Message, NodeId } from './types.js';

export type ReadOnlyOption = 'safe' | 'leaseBased';

export interface ReadIndexStatus {
  /** The original request: from NONE for a local read, or a follower's forwarded MsgReadIndex. */
  req: Message;
  /** The leader's commit index when the request arrived. */
  index: number;
  acks: Set<NodeId>;
}

/** Contexts are opaque bytes; use them as map keys through a string form. */
export function contextKey(ctx: Uint8Array): string {
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i]!);
  return s;
}

export class ReadOnly {
  readonly option: ReadOnlyOption;
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(option: ReadOnlyOption) {
    this.option = option;
  }

  /** Record a request; a duplicate context is ignored (the first one wins). */
  addRequest(index: number, m: Message): void {
    const key = contextKey(m.context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req: m, index, acks: new Set() });
    this.queue.push(key);
  }

  /** A heartbeat ack carrying `ctx` arrived from `id`; returns who has acked it so far. */
  recvAck(id: NodeId, ctx: Uint8Array): Set<NodeId> | undefined {
    const rs = this.pending.get(contextKey(ctx));
    if (!rs) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /**
   * The request with `ctx` has a quorum of acks: it and every request queued
   * before it are now confirmed (a later heartbeat round proves leadership
   * for the earlier requests too). Returns them, oldest first.
   */
  advance(ctx: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(ctx);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const rs = this.pending.get(k);
      if (!rs) throw new Error('cannot find corresponding read state from pending map');
      this.pending.delete(k);
      out.push(rs);
    }
    return out;
  }

  /** The newest pending request's context, attached to heartbeats. */
  lastPendingRequestCtx(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)!.req.context;
  }

  pendingCount(): number {
    return this.queue.length;
  }
}
