// Checks on a peer's message that a correct peer always passes, made before
// the message can change any state (term, vote, lead, log).
//
// Raft trusts its peers; the member that embeds it does not have to. A peer
// with a corrupt disk, a bug or a lie can send a message that would trip one
// of the log's own invariant checks (say, a heartbeat committing past the end
// of this log) after the node had already moved to the message's term. So
// each check here states an invariant that holds for every message a correct
// peer sends, and a message that breaks one is refused whole.
import type { Message } from './types.js';

/** Why `m` cannot have come from a correct peer, or undefined if it could. */
export function invalidInbound(m: Message, lastIndex: number): string | undefined {
  switch (m.type) {
    case 'MsgApp': {
      // Entries follow the index they are appended after, one by one, with
      // terms that never go down, start no lower than the preceding entry's,
      // and never exceed the sender's term.
      let prevTerm = m.logTerm;
      if (m.index < 0 || m.logTerm < 0 || m.logTerm > m.term) return `append after index ${m.index} term ${m.logTerm} at term ${m.term}`;
      for (let i = 0; i < m.entries.length; i++) {
        const e = m.entries[i]!;
        if (e.index !== m.index + 1 + i) return `entry ${i} has index ${e.index}, expected ${m.index + 1 + i}`;
        if (e.term < prevTerm || e.term > m.term) return `entry ${e.index} has term ${e.term} (after term ${prevTerm}, sender at term ${m.term})`;
        prevTerm = e.term;
      }
      return undefined;
    }
    case 'MsgHeartbeat':
      // A leader commits on a follower only up to what the follower has
      // acknowledged holding, so never past the end of this log.
      if (m.commit > lastIndex) return `heartbeat commits index ${m.commit} beyond this log's last index ${lastIndex}`;
      return undefined;
    case 'MsgSnap': {
      const s = m.snapshot;
      if (!s || s.metadata.index <= 0) return 'snapshot without an index';
      if (s.metadata.term <= 0 || s.metadata.term > m.term) return `snapshot of term ${s.metadata.term} sent at term ${m.term}`;
      return undefined;
    }
    default:
      return undefined;
  }
}
