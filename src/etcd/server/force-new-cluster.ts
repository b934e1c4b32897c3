// --force-new-cluster: bring a lone survivor back as a one-member cluster
// with its data (etcd's restartAsStandaloneNode). Entries that were never
// committed are dropped — no quorum ever agreed on them — and a committed
// "remove" is appended for every other member, so this member's log alone
// makes it the only voter. Everything committed before is kept.
import type { ConfState, Entry } from '../../raft/index.js';
import { applyConfChange, decodeConfChange, encodeConfChange } from '../../raft/index.js';
import type { Logger } from '../../common/log.js';
import type { RestoredState } from './persistence.js';

export interface ForcedState extends RestoredState {
  /** Entries appended here, which must be written to the log before the member starts. */
  appended: Entry[];
}

export function forceNewCluster(restored: RestoredState, self: string, log: Logger): ForcedState {
  const commit = restored.hardState.commit;
  const kept = restored.entries.filter((e) => e.index <= commit);
  const dropped = restored.entries.length - kept.length;
  let conf: ConfState = restored.snapshot?.metadata.confState ?? { voters: [], learners: [] };
  for (const e of kept) if (e.type === 'confChange') conf = applyConfChange(conf, decodeConfChange(e.data));
  const others = [...conf.voters, ...conf.learners].filter((id) => id !== self).sort();
  let index = kept.length > 0 ? kept[kept.length - 1]!.index : restored.snapshot?.metadata.index ?? 0;
  const term = restored.hardState.term;
  const appended: Entry[] = others.map((id) => ({
    term,
    index: ++index,
    type: 'confChange',
    data: encodeConfChange({ type: 'removeNode', nodeId: id, context: new Uint8Array(0) }),
  }));
  log.warn('forcing a new one-member cluster', { member: self, removing: others, droppedUncommittedEntries: dropped, commit: index });
  return {
    ...(restored.snapshot ? { snapshot: restored.snapshot } : {}),
    hardState: { term, vote: restored.hardState.vote, commit: index },
    entries: [...kept, ...appended],
    appended,
  };
}
