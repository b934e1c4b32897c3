// Raft messages on the peer wire. Members send a compact binary batch (see
// "Binary batches" below: no JSON, no base64, entry data copied as is); a
// JSON array of messages with base64 payloads is also accepted, for requests
// written by hand and for tools. Everything from a peer is validated before
// it reaches Raft: a peer that sends garbage gets an error naming what was
// wrong, and the member carries on.
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

/** The JSON form of a batch (what decodeMessages also accepts). */
export function encodeMessagesJSON(msgs: readonly Message[]): Buffer {
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

/** Decode a batch from a peer (binary or JSON); throws WireError naming the first problem. */
export function decodeMessages(body: Buffer): Message[] {
  if (body.length > 0 && body[0] === BATCH_MAGIC) return decodeBinary(body);
  return decodeJSON(body);
}

function decodeJSON(body: Buffer): Message[] {
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
    if (o.snapshot !== undefined) m.snapshot = decodeSnapshot(o.snapshot, `${where}.snapshot`);
    return checked(m, where);
  });
}

/** The checks both forms share, on a decoded message. */
function checked(m: Message, where: string): Message {
  if (m.from === '' || m.to === '') throw new WireError(`${where}: "from" and "to" must name members`);
  if (m.type === 'MsgSnap' && !m.snapshot) throw new WireError(`${where}: MsgSnap without a snapshot`);
  if (m.type === 'MsgProp' && m.entries.length === 0) throw new WireError(`${where}: MsgProp without entries`);
  return m;
}

// --- Binary batches ----------------------------------------------------------
//
//   batch    = magic u8 (0xC5), version u8 (1), count u32, message*
//   message  = type u8 (index in WIRE_TYPES), to str, from str,
//              term, logTerm, index, commit, rejectHint: num,
//              flags u8 (1 reject, 2 snapshot follows), context bytes,
//              entry count u32, entry*, [snapshot]
//   entry    = term num, index num, kind u8 (0 normal, 1 confChange), data bytes
//   snapshot = index num, term num, voters list, learners list, data bytes
//   num = float64 holding a non-negative safe integer; str = u16 length + UTF-8;
//   bytes = u32 length + raw; list = u16 count + str*. All little-endian.

const BATCH_MAGIC = 0xc5;
const BATCH_VERSION = 1;
const WIRE_TYPES: readonly MessageType[] = [
  'MsgApp', 'MsgAppResp', 'MsgHeartbeat', 'MsgHeartbeatResp', 'MsgVote', 'MsgVoteResp', 'MsgPreVote', 'MsgPreVoteResp',
  'MsgSnap', 'MsgProp', 'MsgReadIndex', 'MsgReadIndexResp', 'MsgTransferLeader', 'MsgTimeoutNow',
];
const WIRE_TYPE_CODE = new Map(WIRE_TYPES.map((t, i) => [t, i]));

export function encodeMessages(msgs: readonly Message[]): Buffer {
  let size = 6;
  for (const m of msgs) {
    size += 1 + 2 + Buffer.byteLength(m.to) + 2 + Buffer.byteLength(m.from) + 5 * 8 + 1 + 4 + m.context.byteLength + 4;
    for (const e of m.entries) size += 8 + 8 + 1 + 4 + e.data.byteLength;
    if (m.snapshot) {
      const cs = m.snapshot.metadata.confState;
      size += 16 + 2 + 2 + 4 + m.snapshot.data.byteLength;
      for (const id of [...cs.voters, ...cs.learners]) size += 2 + Buffer.byteLength(id);
    }
  }
  const b = Buffer.allocUnsafe(size);
  let o = 0;
  const u8 = (v: number) => (o = b.writeUInt8(v, o));
  const u16 = (v: number) => (o = b.writeUInt16LE(v, o));
  const u32 = (v: number) => (o = b.writeUInt32LE(v, o));
  const f64 = (v: number) => (o = b.writeDoubleLE(v, o));
  const str = (v: string) => {
    const n = b.write(v, o + 2, 'utf8');
    b.writeUInt16LE(n, o);
    o += 2 + n;
  };
  const raw = (v: Uint8Array) => {
    u32(v.byteLength);
    b.set(v, o);
    o += v.byteLength;
  };
  u8(BATCH_MAGIC);
  u8(BATCH_VERSION);
  u32(msgs.length);
  for (const m of msgs) {
    const code = WIRE_TYPE_CODE.get(m.type);
    if (code === undefined) throw new Error(`cannot send a local message (${m.type}) to a peer`);
    u8(code);
    str(m.to);
    str(m.from);
    f64(m.term);
    f64(m.logTerm);
    f64(m.index);
    f64(m.commit);
    f64(m.rejectHint);
    u8((m.reject ? 1 : 0) | (m.snapshot ? 2 : 0));
    raw(m.context);
    u32(m.entries.length);
    for (const e of m.entries) {
      f64(e.term);
      f64(e.index);
      u8(e.type === 'confChange' ? 1 : 0);
      raw(e.data);
    }
    if (m.snapshot) {
      const md = m.snapshot.metadata;
      f64(md.index);
      f64(md.term);
      u16(md.confState.voters.length);
      for (const id of md.confState.voters) str(id);
      u16(md.confState.learners.length);
      for (const id of md.confState.learners) str(id);
      raw(m.snapshot.data);
    }
  }
  return b;
}

function decodeBinary(b: Buffer): Message[] {
  let o = 0;
  let where = 'raft message batch';
  const need = (n: number) => {
    if (o + n > b.length) throw new WireError(`${where}: ends early (needs ${n} more bytes at offset ${o} of ${b.length})`);
  };
  const u8 = () => (need(1), b[o++]!);
  const u16 = () => (need(2), (o += 2), b.readUInt16LE(o - 2));
  const u32 = () => (need(4), (o += 4), b.readUInt32LE(o - 4));
  const num = (name: string) => {
    need(8);
    const v = b.readDoubleLE(o);
    o += 8;
    if (!Number.isSafeInteger(v) || v < 0) throw new WireError(`${where}: "${name}" must be a non-negative integer`);
    return v;
  };
  const str = () => {
    const n = u16();
    need(n);
    o += n;
    return b.toString('utf8', o - n, o);
  };
  const raw = () => {
    const n = u32();
    need(n);
    o += n;
    // A copy: the batch buffer may be pooled by the transport and reused.
    return new Uint8Array(b.subarray(o - n, o));
  };
  const ids = (name: string) => {
    const n = u16();
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = str();
      if (id === '') throw new WireError(`${where}: ${name} must be a list of member ids`);
      out.push(id);
    }
    return out;
  };
  o = 1;
  const version = u8();
  if (version !== BATCH_VERSION) throw new WireError(`raft message batch: unknown binary version ${version}`);
  const count = u32();
  const msgs: Message[] = [];
  for (let k = 0; k < count; k++) {
    where = `message ${k}`;
    const code = u8();
    const type = WIRE_TYPES[code];
    if (type === undefined) throw new WireError(`${where}: unknown message type code ${code}`);
    const to = str();
    const from = str();
    const term = num('term');
    const logTerm = num('logTerm');
    const index = num('index');
    const commit = num('commit');
    const rejectHint = num('rejectHint');
    const flags = u8();
    const context = raw();
    const n = u32();
    const entries: Entry[] = [];
    for (let j = 0; j < n; j++) {
      where = `message ${k}.entries[${j}]`;
      const t = num('t');
      const i = num('i');
      const kind = u8();
      if (kind > 1) throw new WireError(`${where}: unknown entry kind ${kind}`);
      entries.push({ term: t, index: i, type: kind === 1 ? 'confChange' : 'normal', data: raw() });
    }
    where = `message ${k}`;
    const m: Message = { type, to, from, term, logTerm, index, commit, reject: (flags & 1) !== 0, rejectHint, entries, context };
    if (flags & 2) {
      where = `message ${k}.snapshot`;
      const sIndex = num('index');
      const sTerm = num('term');
      const voters = ids('voters');
      const learners = ids('learners');
      m.snapshot = { metadata: { index: sIndex, term: sTerm, confState: { voters, learners } }, data: raw() };
      where = `message ${k}`;
    }
    msgs.push(checked(m, where));
  }
  if (o !== b.length) throw new WireError(`raft message batch: ${b.length - o} bytes after the last message`);
  return msgs;
}
