// A peer that sends what no correct peer sends is refused before the message
// changes anything: the follower keeps its term, leader and log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrap, isRaftError, MemoryStorage, message, RawNode, SeededRandom } from '../../src/raft/index.js';
import type { Message } from '../../src/raft/index.js';

function follower(): RawNode {
  const storage = new MemoryStorage();
  bootstrap(storage, [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
  const node = new RawNode({ id: 'b', storage, electionTick: 10, heartbeatTick: 1, random: new SeededRandom(1) });
  // One honest heartbeat from a at term 2 makes b a follower of a.
  node.step(message({ type: 'MsgHeartbeat', from: 'a', to: 'b', term: 2, commit: 0 }));
  return node;
}

function assertRefused(node: RawNode, m: Message, why: RegExp): void {
  const before = { term: node.raft.term, lead: node.raft.lead, last: node.raft.raftLog.lastIndex(), commit: node.raft.raftLog.committed };
  assert.throws(() => node.step(m), (err: unknown) => isRaftError(err, 'ERR_RAFT_INVALID_MESSAGE') && why.test((err as Error).message));
  assert.deepEqual({ term: node.raft.term, lead: node.raft.lead, last: node.raft.raftLog.lastIndex(), commit: node.raft.raftLog.committed }, before);
}

test('a heartbeat committing past the end of the log is refused, even from a higher term', () => {
  const node = follower();
  assert.equal(node.raft.lead, 'a');
  assertRefused(node, message({ type: 'MsgHeartbeat', from: 'c', to: 'b', term: 9, commit: 1000 }), /heartbeat commits index 1000 beyond this log's last index 3/);
});

test('an append whose entries skip an index or go back in term is refused', () => {
  const node = follower();
  const entry = (index: number, term: number) => ({ index, term, type: 'normal' as const, data: new Uint8Array(0) });
  assertRefused(node, message({ type: 'MsgApp', from: 'a', to: 'b', term: 5, index: 3, logTerm: 1, entries: [entry(4, 5), entry(6, 5)] }), /entry 1 has index 6, expected 5/);
  assertRefused(node, message({ type: 'MsgApp', from: 'c', to: 'b', term: 5, index: 3, logTerm: 1, entries: [entry(4, 4), entry(5, 3)] }), /entry 5 has term 3/);
  assertRefused(node, message({ type: 'MsgApp', from: 'c', to: 'b', term: 5, index: 3, logTerm: 1, entries: [entry(4, 7)] }), /entry 4 has term 7 .*sender at term 5/);
  // The honest version of the same append is taken.
  node.step(message({ type: 'MsgApp', from: 'a', to: 'b', term: 2, index: 3, logTerm: 1, entries: [entry(4, 2)], commit: 0 }));
  assert.equal(node.raft.raftLog.lastIndex(), 4);
});

test('a snapshot from a term later than its sender is refused', () => {
  const node = follower();
  const snapshot = { data: new Uint8Array(0), metadata: { index: 50, term: 8, confState: { voters: ['a', 'b', 'c'], learners: [] } } };
  assertRefused(node, message({ type: 'MsgSnap', from: 'a', to: 'b', term: 3, snapshot }), /snapshot of term 8 sent at term 3/);
});
