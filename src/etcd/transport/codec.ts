// Raft messages on the peer wire: a JSON array of messages, byte payloads in
// base64. Everything from a peer is validated before it reaches Raft: a peer
// that sends garbage gets an error naming what was wrong, and the member
// carries on.
import type { Entry, Message, MessageType, Snapshot } from '../../raft/index.js';
import { isLocalMessage } from '../../raft/index.js';

const MESSAGE_TYPES = new Set<MessageType>([
  'MsgProp', 'MsgReadIndex', 'MsgReadIndexResp', 'MsgApp', 'MsgAppResp', 'MsgSnap', 'MsgHeartbeat',
  'MsgHeartbeatResp', 'MsgVote', 'MsgVoteResp', 'MsgPreVote', 'MsgPreVoteResp', 'MsgTransferLeader', 'MsgTimeoutNow',
]);

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

interface WireEntry { t: number; i: number; c?: 1; d: string }

function entryToWire(e: Entry): WireEntry {
  return e.type === 'confChange' ? { t: e.term, i: e.index, c: 1, d: b64(e.data) } : { t: e.term, i: e.index, d: b64(e.data) };
}

export function encodeMessages(msgs: readonly Message[]): Buffer {
  return Buffer.from(
    JSON.stringify(
      msgs.map((m) => {
        const w: Record<string, unknown> = { type: m.type, to: m.to, from: m.from, term: m.term };
        if (m.logTerm) w.logTerm = m.logTerm;
        if (m.index) w.index = m.index;
        if (m.commit) w.commit = m.commit;
        if (m.reject) w.reject = true;
        if (m.rejectHint) w.rejectHint = m.rejectHint;
        if (m.entries.length > 0) w.entries = m.entries.map(entryToWire);
        if (m.context.length > 0) w.context = b64(m.context);
        if (m.snapshot) {
          const md = m.snapshot.metadata;
          w.snapshot = { index: md.index, term: md.term, voters: md.confState.voters, learners: md.confState.learners, data: b64(m.snapshot.data) };
        }
        return w;
      }),
    ),
  );
}

export class WireError extends Error {}

function num(o: Record<string, unknown>, key: string, where: string): number {
  const v = o[key] ?? 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new WireError(`${where}: "${key}" must be a non-negative integer`);
  return v;
}

function str(o: Record<string, unknown>, key: string, where: string): string {
  const v = o[key] ?? '';
  if (typeof v !== 'string') throw new WireError(`${where}: "${key}" must be a string`);
  return v;
}

function bytes(v: unknown, where: string): Uint8Array {
  if (v === undefined) return new Uint8Array(0);
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new WireError(`${where}: not base64`);
  return new Uint8Array(Buffer.from(v, 'base64'));
}

function ids(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) throw new WireError(`${where}: must be a list of member ids`);
  return v as string[];
}

function decodeEntry(v: unknown, where: string): Entry {
  if (typeof v !== 'object' || v === null) throw new WireError(`${where}: not an object`);
  const o = v as Record<string, unknown>;
  return { term: num(o, 't', where), index: num(o, 'i', where), type: o.c === 1 ? 'confChange' : 'normal', data: bytes(o.d, `${where}.d`) };
}

function decodeSnapshot(v: unknown, where: string): Snapshot {
  if (typeof v !== 'object' || v === null) throw new WireError(`${where}: not an object`);
  const o = v as Record<string, unknown>;
  return {
    metadata: { index: num(o, 'index', where), term: num(o, 'term', where), confState: { voters: ids(o.voters, `${where}.voters`), learners: ids(o.learners, `${where}.learners`) } },
    data: bytes(o.data, `${where}.data`),
  };
}

/** Decode a batch from a peer; throws WireError naming the first problem. */
export function decodeMessages(body: Buffer): Message[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new WireError(`raft message batch is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new WireError('raft message batch must be a JSON array');
  return parsed.map((v, k) => {
    const where = `message ${k}`;
    if (typeof v !== 'object' || v === null) throw new WireError(`${where}: not an object`);
    const o = v as Record<string, unknown>;
    const type = o.type as MessageType;
    if (!MESSAGE_TYPES.has(type) || isLocalMessage(type)) throw new WireError(`${where}: unknown message type ${JSON.stringify(o.type)}`);
    const entries = o.entries === undefined ? [] : Array.isArray(o.entries) ? o.entries.map((e, j) => decodeEntry(e, `${where}.entries[${j}]`)) : null;
    if (entries === null) throw new WireError(`${where}: "entries" must be a list`);
    const m: Message = {
      type,
      to: str(o, 'to', where),
      from: str(o, 'from', where),
      term: num(o, 'term', where),
      logTerm: num(o, 'logTerm', where),
      index: num(o, 'index', where),
      commit: num(o, 'commit', where),
      reject: o.reject === true,
      rejectHint: num(o, 'rejectHint', where),
      entries,
      context: bytes(o.context, `${where}.context`),
    };
    if (m.from === '' || m.to === '') throw new WireError(`${where}: "from" and "to" must name members`);
    if (o.snapshot !== undefined) m.snapshot = decodeSnapshot(o.snapshot, `${where}.snapshot`);
    if (type === 'MsgSnap' && !m.snapshot) throw new WireError(`${where}: MsgSnap without a snapshot`);
    if (type === 'MsgProp' && entries.length === 0) throw new WireError(`${where}: MsgProp without entries`);
    return m;
  });
}
