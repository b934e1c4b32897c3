// The leader's (and candidate's) view of the cluster: the current
// configuration, each member's replication progress, and votes received.
import { Progress } from './progress.js';
import type { ConfState, NodeId } from './types.js';

export type VoteResult = 'pending' | 'lost' | 'won';

/**
 * The highest index stored on a majority of `voters`, given each voter's
 * match index. With no voters, nothing bounds commitment (Infinity), which
 * only arises transiently and is never used to commit.
 */
export function majorityCommitted(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return Infinity;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  // The (n/2+1)-th largest match is held by a majority.
  return matches[Math.floor(n / 2)]!;
}

export function majorityVoteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = Math.floor(voters.length / 2) + 1;
  if (granted >= q) return 'won';
  if (granted + missing >= q) return 'pending';
  return 'lost';
}

export class ProgressTracker {
  voters: NodeId[] = [];
  learners: NodeId[] = [];
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();
  private readonly maxInflight: number;

  constructor(maxInflight: number) {
    this.maxInflight = maxInflight;
  }

  confState(): ConfState {
    return { voters: [...this.voters], learners: [...this.learners] };
  }

  isVoter(id: NodeId): boolean {
    return this.voters.includes(id);
  }

  /** Whether `self` is the only member: it alone forms every quorum. */
  isSingleton(self: NodeId): boolean {
    return this.voters.length === 1 && this.voters[0] === self && this.learners.length === 0;
  }

  /**
   * Switch to a configuration. Members that stay keep their progress; new
   * ones start probing at `nextIndex`; removed ones are forgotten.
   */
  setConfig(cs: ConfState, nextIndex: number): void {
    this.voters = [...cs.voters];
    this.learners = [...cs.learners];
    const members = new Set([...cs.voters, ...cs.learners]);
    for (const id of [...this.progress.keys()]) {
      if (!members.has(id)) this.progress.delete(id);
    }
    for (const id of members) {
      const existing = this.progress.get(id);
      const isLearner = cs.learners.includes(id);
      if (existing) {
        existing.isLearner = isLearner;
        continue;
      }
      const pr = new Progress(nextIndex, this.maxInflight, isLearner);
      // A new member counts as active so that check-quorum gives it one
      // election timeout to be heard from.
      pr.recentActive = true;
      this.progress.set(id, pr);
    }
  }

  committed(): number {
    return majorityCommitted(this.voters, (id) => this.progress.get(id)?.match ?? 0);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: majorityVoteResult(this.voters, this.votes) };
  }

  /** Whether a majority of voters were heard from recently (the leader counts itself via its own progress). */
  quorumActive(): boolean {
    const active = new Map<NodeId, boolean>();
    for (const id of this.voters) active.set(id, this.progress.get(id)?.recentActive ?? false);
    return majorityVoteResult(this.voters, active) === 'won';
  }
}
