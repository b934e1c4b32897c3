// Committed proposals per second for a 3-node cluster in one process: the
// Raft core's own cost, with batching and no disk or network.
//
//   npm run bench:raft -- [--entries N] [--batch B] [--size BYTES]
//
// Each round proposes B entries at the leader, then runs every node's Ready
// loop (persist to MemoryStorage, deliver messages, apply) until the cluster
// is quiet. Logs are compacted as they grow so memory stays flat.
import { parseArgs } from 'node:util';
import { bootstrap, MemoryStorage, RawNode, SeededRandom } from '../../src/raft/index.js';
import type { Message } from '../../src/raft/index.js';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '2000000' },
    batch: { type: 'string', default: '256' },
    size: { type: 'string', default: '64' },
  },
});
const total = Number(values.entries);
const batch = Number(values.batch);
const payload = new Uint8Array(Number(values.size)).fill(0x61);

const ids = ['1', '2', '3'];
const storages = new Map<string, MemoryStorage>();
const nodes = new Map<string, RawNode>();
const applied = new Map<string, number>();
for (const id of ids) {
  const storage = new MemoryStorage();
  bootstrap(storage, ids.map((p) => ({ id: p })));
  storages.set(id, storage);
  applied.set(id, 0);
  nodes.set(id, new RawNode({ id, storage, electionTick: 10, heartbeatTick: 1, random: new SeededRandom(Number(id)), maxInflightMsgs: 256 }));
}

function runUntilQuiet(): void {
  let inbox: Message[] = [];
  for (;;) {
    let busy = false;
    for (const id of ids) {
      const node = nodes.get(id)!;
      if (!node.hasReady()) continue;
      busy = true;
      const rd = node.ready();
      const storage = storages.get(id)!;
      if (rd.snapshot) storage.applySnapshot(rd.snapshot);
      if (rd.entries.length > 0) storage.append(rd.entries);
      if (rd.hardState) storage.setHardState(rd.hardState);
      for (const m of rd.messages) inbox.push(m);
      if (rd.committedEntries.length > 0) applied.set(id, rd.committedEntries[rd.committedEntries.length - 1]!.index);
      node.advance();
    }
    if (inbox.length === 0 && !busy) return;
    const delivering = inbox;
    inbox = [];
    for (const m of delivering) nodes.get(m.to)!.step(m);
  }
}

nodes.get('1')!.campaign();
runUntilQuiet();
const leader = nodes.get('1')!;
if (leader.raft.role !== 'leader') throw new Error('node 1 did not become leader');

const startIndex = applied.get('1')!;
const started = process.hrtime.bigint();
let proposed = 0;
while (proposed < total) {
  const n = Math.min(batch, total - proposed);
  for (let i = 0; i < n; i++) leader.propose(payload);
  proposed += n;
  runUntilQuiet();
  // Keep memory flat: snapshot and compact every node's log now and then.
  if (proposed % (batch * 400) === 0) {
    for (const id of ids) {
      const s = storages.get(id)!;
      const at = applied.get(id)!;
      if (at > s.firstIndex()) {
        s.createSnapshot(at, nodes.get(id)!.confState(), new Uint8Array(0));
        s.compact(at);
      }
    }
  }
}
const secs = Number(process.hrtime.bigint() - started) / 1e9;
const committed = Math.min(...ids.map((id) => applied.get(id)!)) - startIndex;
if (committed < total) throw new Error(`only ${committed} of ${total} entries committed on every node`);
const rate = committed / secs;
process.stdout.write(
  `raft: 3 nodes in one process, batch ${batch}, ${payload.length}-byte entries: ` +
    `${committed.toLocaleString('en-US')} entries committed on every node in ${secs.toFixed(2)} s = ` +
    `${Math.round(rate).toLocaleString('en-US')} commits/s\n`,
);
