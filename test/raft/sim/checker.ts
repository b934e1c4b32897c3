// Raft's safety properties (Raft paper, Figure 3), checked from the outside
// against everything the simulated cluster does. The checker never looks at
// how Raft decides; it looks at what nodes did: who led which term, what they
// wrote, committed and applied.
//
//   election-safety       at most one leader per term
//   log-matching          two logs with an entry of the same index and term hold the
//                         same entry there, preceded by entries of the same terms
//   leader-completeness   an entry committed in a term is in the log of every leader
//                         of a later term
//   state-machine-safety  no two nodes commit or apply different entries at one index,
//                         and snapshots hold exactly the applied prefix
//   commit-monotonic      a node's commit index never decreases while it runs, nor
//                         falls below what it made durable
//   applied-was-proposed  every applied entry with data was proposed by a client
//   read-linearizable     a ReadIndex read point covers every write committed before
//                         the read was requested
//   liveness              once faults stop, a leader is elected and a new proposal
//                         commits on every member within a bounded number of ticks
//
// A leader-completeness violation is also diagnosed: was the leader elected by
// a vote from a node with a more up-to-date log (the §5.4.1 election
// restriction was not applied), or was the missing entry committed by counting
// replicas of an entry from an earlier term (§5.4.2)?

export type ViolationKind =
  | 'election-safety'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'commit-monotonic'
  | 'applied-was-proposed'
  | 'read-linearizable'
  | 'liveness'
  | 'crash';

export type ViolationCause = 'vote-for-stale-log' | 'commit-of-previous-term-entry';

export interface Violation {
  kind: ViolationKind;
  cause?: ViolationCause;
  step: number;
  detail: string;
}

export function describeViolation(v: Violation): string {
  return `${v.kind}${v.cause ? ` (${v.cause})` : ''} at step ${v.step}: ${v.detail}`;
}

/** What the checker needs to see of a node's log. */
export interface LogView {
  /** Term of entry i, or undefined when i is outside the log (compacted or past the end). */
  termAt(i: number): number | undefined;
  /** Index of the last entry folded into a snapshot. */
  snapshotIndex(): number;
}

interface EntryRecord {
  dataKey: string;
  prevTerm: number;
}

interface CommitRecord {
  term: number;
  /** The term of the node that first reported this index committed. */
  atTerm: number;
  /** Whether that commit's highest index held an entry of an earlier term (a §5.4.2 breach). */
  improper: boolean;
}

export class SafetyChecker {
  readonly violations: Violation[] = [];
  step = 0;
  private readonly leaders = new Map<number, string>();
  private readonly entries = new Map<string, EntryRecord>();
  private readonly committed: CommitRecord[] = [];
  private maxCommitted = 0;
  /** Per commit term, the highest index first reported committed in that term. */
  private readonly maxCommittedAtTerm = new Map<number, number>();
  private readonly applied = new Map<number, { term: number; dataKey: string; digest: number }>();
  private readonly proposed = new Set<string>();
  /** Votes granted to a candidate whose log was less up to date than the voter's: `${term}/${candidate}`. */
  private readonly staleVotes = new Set<string>();

  private report(kind: ViolationKind, detail: string, cause?: ViolationCause): void {
    this.violations.push({ kind, step: this.step, detail, ...(cause ? { cause } : {}) });
  }

  proposedData(key: string): void {
    this.proposed.add(key);
  }

  /** A node granted its vote; `upToDate` says whether the §5.4.1 check would have allowed it. */
  voteGranted(term: number, candidate: string, upToDate: boolean): void {
    if (!upToDate) this.staleVotes.add(`${term}/${candidate}`);
  }

  highestCommitted(): number {
    return this.maxCommitted;
  }

  becameLeader(node: string, term: number, log: LogView): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== node) {
      this.report('election-safety', `${node} and ${prev} both became leader in term ${term}`);
    } else {
      this.leaders.set(term, node);
    }
    // Every entry committed in an earlier term must be in this leader's log.
    let c = 0;
    for (const [atTerm, index] of this.maxCommittedAtTerm) if (atTerm < term && index > c) c = index;
    if (c > 0) this.checkLeaderHas(node, term, log, c);
  }

  private checkLeaderHas(node: string, term: number, log: LogView, index: number): void {
    if (index <= log.snapshotIndex()) return;
    const want = this.committed[index]!;
    const have = log.termAt(index);
    if (have === want.term) return;
    let cause: ViolationCause | undefined;
    if (this.staleVotes.has(`${term}/${node}`)) cause = 'vote-for-stale-log';
    else if (this.improperCommitAtOrAbove(index)) cause = 'commit-of-previous-term-entry';
    this.report(
      'leader-completeness',
      `leader ${node} of term ${term} has ${have === undefined ? 'no entry' : `term ${have}`} at index ${index}, ` +
        `which was committed with term ${want.term} in term ${want.atTerm}`,
      cause,
    );
  }

  private improperCommitAtOrAbove(index: number): boolean {
    for (let i = index; i <= this.maxCommitted; i++) if (this.committed[i]?.improper) return true;
    return false;
  }

  /**
   * A node's commit index moved from `from` to `to` while it was in `term`.
   * `leaders` are the nodes currently leading, to check leader completeness
   * for entries committed after they were elected.
   */
  commitAdvanced(node: string, term: number, from: number, to: number, log: LogView, leaders: Array<{ id: string; term: number; log: LogView }>): void {
    if (to < from) {
      this.report('commit-monotonic', `${node} commit index went from ${from} to ${to}`);
      return;
    }
    const topTerm = log.termAt(to);
    const improper = topTerm !== undefined && topTerm < term && this.committed[to] === undefined;
    let newTop = 0;
    for (let i = from + 1; i <= to; i++) {
      const t = log.termAt(i);
      if (t === undefined) continue; // inside a snapshot: checked via the snapshot digest
      const rec = this.committed[i];
      if (rec === undefined) {
        this.committed[i] = { term: t, atTerm: term, improper: improper && i === to };
        newTop = i;
      } else if (rec.term !== t) {
        this.report('state-machine-safety', `${node} committed term ${t} at index ${i}, but term ${rec.term} was committed there`);
        return;
      }
    }
    if (newTop === 0) return;
    if (newTop > this.maxCommitted) this.maxCommitted = newTop;
    if ((this.maxCommittedAtTerm.get(term) ?? 0) < newTop) this.maxCommittedAtTerm.set(term, newTop);
    for (const l of leaders) if (l.term > term) this.checkLeaderHas(l.id, l.term, l.log, newTop);
  }

  /** Entries were made durable on `node`; the entry before the first has term `prevTerm`. */
  persisted(node: string, ents: ReadonlyArray<{ index: number; term: number; dataKey: string }>, prevTerm: number): void {
    let prev = prevTerm;
    for (const e of ents) {
      const key = `${e.index}/${e.term}`;
      const rec = this.entries.get(key);
      if (rec === undefined) {
        this.entries.set(key, { dataKey: e.dataKey, prevTerm: prev });
      } else if (rec.dataKey !== e.dataKey || rec.prevTerm !== prev) {
        this.report(
          'log-matching',
          `${node} wrote entry ${key} with data ${e.dataKey} after term ${prev}; another log has ${rec.dataKey} after term ${rec.prevTerm}`,
        );
        return;
      }
      prev = e.term;
    }
  }

  /** `node` applied an entry; `digest` is its state machine after it. */
  appliedEntry(node: string, index: number, term: number, dataKey: string, digest: number, hasData: boolean): void {
    const rec = this.applied.get(index);
    if (rec === undefined) {
      this.applied.set(index, { term, dataKey, digest });
    } else if (rec.term !== term || rec.dataKey !== dataKey) {
      this.report('state-machine-safety', `${node} applied ${term}/${index} ${dataKey}, another node applied ${rec.term}/${index} ${rec.dataKey}`);
      return;
    } else if (rec.digest !== digest) {
      this.report('state-machine-safety', `${node}'s state after index ${index} differs from another node's`);
      return;
    }
    if (hasData && !this.proposed.has(dataKey)) {
      this.report('applied-was-proposed', `${node} applied ${term}/${index} ${dataKey}, which no client proposed`);
    }
  }

  /** `node` installed a snapshot claiming state `digest` at `index`. */
  snapshotInstalled(node: string, index: number, digest: number): void {
    const rec = this.applied.get(index);
    if (rec === undefined) {
      this.report('state-machine-safety', `${node} installed a snapshot at index ${index} that no node ever applied`);
    } else if (rec.digest !== digest) {
      this.report('state-machine-safety', `${node} installed a snapshot at index ${index} whose state differs from the applied one`);
    }
  }

  /** A ReadIndex read point `index` arrived for a read requested when `committedAtRequest` was committed. */
  readServed(node: string, index: number, committedAtRequest: number): void {
    if (index < committedAtRequest) {
      this.report('read-linearizable', `${node} got read index ${index}, but ${committedAtRequest} was committed before the read began`);
    }
  }

  livenessFailed(detail: string): void {
    this.report('liveness', detail);
  }

  crashed(detail: string): void {
    this.report('crash', detail);
  }

  commitRegressedOnRestart(node: string, durable: number, now: number): void {
    if (now < durable) this.report('commit-monotonic', `${node} restarted with commit ${now} below its durable ${durable}`);
  }
}
