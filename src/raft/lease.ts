// Lease-based reads (opt-in, readOnlyOption 'leaseBased'): the leader answers
// a read at once, without a quorum round, while it holds a lease.
//
// Why a lease is sound: with check-quorum on, a follower ignores vote requests
// (and pre-votes) for one election timeout E after it last heard from its
// leader. If a quorum acknowledged a heartbeat the leader sent at tick T, each
// of them heard from it at or after T, so no quorum can elect anyone else
// before T + E — every election quorum overlaps the acknowledging one.
//
// The clock assumption: that "T + E" is measured in the leader's ticks, while
// the followers count their own. The lease is only safe if every server's
// ticks run at the same rate, within LEASE_MARGIN ticks over one election
// timeout. A paused process (GC, SIGSTOP, a VM migration), a tick loop that
// falls behind, or a clock that runs slow breaks it; ReadIndex ('safe') has
// no such assumption and is the default. Leadership transfers bypass the
// followers' check, so the leader gives its lease up when it starts one. A
// follower that restarts has forgotten whose lease it was in, so in lease mode
// a node ignores vote requests for one election timeout after it starts.
//
// The lease starts at the send time of the newest heartbeat round that a
// quorum acknowledged — not at the time of the acks, which would overstate it.

import type { NodeId } from './types.js';
import { majorityVoteResult } from './tracker.js';

/** Ticks subtracted from E to absorb differences in tick rate. */
export const LEASE_MARGIN = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Lease {
  private round = 0;
  /** Send tick and acks of each round not yet confirmed (or superseded). */
  private readonly rounds = new Map<number, { sentAt: number; acks: Set<NodeId> }>();
  /** Send tick of the newest confirmed round; -Infinity when there is no lease. */
  private start = -Infinity;

  constructor(
    private readonly electionTicks: number,
    /** Test-only broken rule: the lease never runs out. */
    private readonly neverExpires = false,
  ) {}

  /** A heartbeat round goes out at `now`; returns the context to attach. */
  startRound(now: number): Uint8Array {
    this.round++;
    this.rounds.set(this.round, { sentAt: now, acks: new Set() });
    // Rounds that never reached a quorum within an election timeout never will usefully.
    for (const [r, info] of this.rounds) if (info.sentAt < now - this.electionTicks) this.rounds.delete(r);
    return encoder.encode(`lease:${this.round}`);
  }

  /** A follower acknowledged the round in `ctx`. */
  ack(ctx: Uint8Array, from: NodeId, self: NodeId, voters: readonly NodeId[]): void {
    const text = decoder.decode(ctx);
    if (!text.startsWith('lease:')) return;
    const r = Number(text.slice(6));
    const info = this.rounds.get(r);
    if (!info) return;
    info.acks.add(from);
    const votes = new Map<NodeId, boolean>();
    for (const id of info.acks) votes.set(id, true);
    votes.set(self, true);
    if (majorityVoteResult(voters, votes) !== 'won') return;
    if (info.sentAt > this.start) this.start = info.sentAt;
    for (const older of [...this.rounds.keys()]) if (older <= r) this.rounds.delete(older);
  }

  valid(now: number): boolean {
    if (this.neverExpires) return true;
    return now < this.start + this.electionTicks - LEASE_MARGIN;
  }

  revoke(): void {
    this.start = -Infinity;
    this.rounds.clear();
  }
}
