// Regression tests for two safety bugs a review found in the Raft core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrap, encodeConfChange, isRaftError, MemoryStorage, message, RawNode, SeededRandom } from '../../src/raft/index.js';
import type { Message } from '../../src/raft/index.js';

function cluster(ids: string[]): Map<string, { node: RawNode; storage: MemoryStorage }> {
  const out = new Map<string, { node: RawNode; storage: MemoryStorage }>();
  for (const id of ids) {
    const storage = new MemoryStorage();
    bootstrap(storage, ids.map((p) => ({ id: p })));
    out.set(id, { storage, node: new RawNode({ id, storage, electionTick: 10, heartbeatTick: 1, random: new SeededRandom(1) }) });
  }
  return out;
}

/** Persist, apply and advance every node; deliver messages except those `drop` says to lose. */
function stabilize(c: ReturnType<typeof cluster>, drop: (m: Message) => boolean = () => false): void {
  for (let round = 0; round < 100; round++) {
    const inbox: Message[] = [];
    for (const { node, storage } of c.values()) {
      while (node.hasReady()) {
        const rd = node.ready();
        storage.append(rd.entries);
        if (rd.hardState) storage.setHardState(rd.hardState);
        inbox.push(...rd.messages);
        node.advance();
      }
    }
    if (inbox.length === 0) return;
    for (const m of inbox) if (!drop(m)) c.get(m.to)?.node.step(m);
  }
}

test('a proposal batch with two configuration changes is dropped (it could move two voters at once)', () => {
  const c = cluster(['a', 'b', 'c']);
  c.get('a')!.node.campaign();
  stabilize(c);
  const leader = c.get('a')!.node;
  assert.equal(leader.raft.role, 'leader');
  const cc = (id: string) => ({ term: 0, index: 0, type: 'confChange' as const, data: encodeConfChange({ type: 'addNode', nodeId: id, context: new Uint8Array(0) }) });
  assert.throws(
    () => leader.raft.step(message({ type: 'MsgProp', from: 'a', entries: [cc('d'), cc('e')] })),
    (err: unknown) => isRaftError(err, 'ERR_RAFT_PROPOSAL_DROPPED'),
  );
  assert.deepEqual([...leader.confState().voters].sort(), ['a', 'b', 'c']);
});

test('a leader that removed itself serves no ReadIndex read on its own', () => {
  const c = cluster(['a', 'b']);
  c.get('a')!.node.campaign();
  stabilize(c);
  const a = c.get('a')!.node;
  assert.equal(a.raft.role, 'leader');
  // "remove a" is appended (so a's configuration is now {b}) but b never acknowledges it.
  a.proposeConfChange({ type: 'removeNode', nodeId: 'a', context: new Uint8Array(0) });
  stabilize(c, (m) => m.from === 'b');
  assert.equal(a.raft.role, 'leader');
  assert.deepEqual(a.confState().voters, ['b']);
  assert.throws(
    () => a.readIndex(new TextEncoder().encode('r1')),
    (err: unknown) => isRaftError(err, 'ERR_RAFT_PROPOSAL_DROPPED'),
  );
  assert.equal(a.ready().readStates.length, 0);
});
