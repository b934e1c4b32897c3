// What a member puts in a Raft entry: a v2 store request (with the ID of
// the waiting client request), a member-attributes update, or a peer-URL
// update. JSON, one object per entry.
//
// A committed entry that does not decode is a corrupt or foreign log: every
// member skips it in the same way (and says so), so replicas stay identical
// and no member crashes on it.
import type { V2Request } from '../../store/index.js';

export type Payload =
  | { kind: 'v2'; id: string; req: V2Request }
  /** A member publishes its name and client URLs (etcd's attributes PUT). */
  | { kind: 'attributes'; id: string; memberId: string; name: string; clientURLs: string[] }
  /** /v2/members PUT: new peer URLs for a member (not a Raft membership change). */
  | { kind: 'updatePeers'; id: string; memberId: string; peerURLs: string[] };

/** The context of a Raft configuration change: the member it adds. */
export interface MemberContext {
  id: string;
  name: string;
  peerURLs: string[];
  /** The API request waiting for this change, if any (promotions have none). */
  requestId?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bigintToString(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

export function encodePayload(p: Payload): Uint8Array {
  return encoder.encode(JSON.stringify(p, bigintToString));
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

const METHODS = new Set(['PUT', 'POST', 'DELETE', 'QGET', 'SYNC']);

function toBig(v: unknown): bigint | undefined {
  if (typeof v !== 'string' || !/^-?\d+n$/.test(v)) return undefined;
  return BigInt(v.slice(0, -1));
}

function decodeRequest(o: Record<string, unknown>): V2Request | undefined {
  if (typeof o.method !== 'string' || !METHODS.has(o.method) || typeof o.path !== 'string') return undefined;
  const req: { -readonly [K in keyof V2Request]: V2Request[K] } = { method: o.method as V2Request['method'], path: o.path };
  if (typeof o.value === 'string') req.value = o.value;
  if (typeof o.dir === 'boolean') req.dir = o.dir;
  if (typeof o.prevValue === 'string') req.prevValue = o.prevValue;
  if (typeof o.prevIndex === 'number') req.prevIndex = o.prevIndex;
  if (typeof o.prevExist === 'boolean') req.prevExist = o.prevExist;
  if (typeof o.recursive === 'boolean') req.recursive = o.recursive;
  if (typeof o.sorted === 'boolean') req.sorted = o.sorted;
  if (typeof o.refresh === 'boolean') req.refresh = o.refresh;
  const expiration = toBig(o.expiration);
  if (expiration !== undefined) req.expiration = expiration;
  const time = toBig(o.time);
  if (time !== undefined) req.time = time;
  return req;
}

/** The payload of a committed entry, or a description of why it is not one. */
export function decodePayload(data: Uint8Array): Payload | { error: string } {
  let o: unknown;
  try {
    o = JSON.parse(decoder.decode(data));
  } catch (err) {
    return { error: `entry is not JSON: ${(err as Error).message}` };
  }
  if (typeof o !== 'object' || o === null) return { error: 'entry is not an object' };
  const r = o as Record<string, unknown>;
  if (typeof r.id !== 'string') return { error: 'entry has no request id' };
  switch (r.kind) {
    case 'v2': {
      if (typeof r.req !== 'object' || r.req === null) return { error: 'v2 entry has no request' };
      const req = decodeRequest(r.req as Record<string, unknown>);
      return req ? { kind: 'v2', id: r.id, req } : { error: 'v2 entry has a malformed request' };
    }
    case 'attributes':
      if (typeof r.memberId !== 'string' || typeof r.name !== 'string' || !isStringArray(r.clientURLs)) {
        return { error: 'malformed attributes entry' };
      }
      return { kind: 'attributes', id: r.id, memberId: r.memberId, name: r.name, clientURLs: r.clientURLs };
    case 'updatePeers':
      if (typeof r.memberId !== 'string' || !isStringArray(r.peerURLs)) return { error: 'malformed peer update entry' };
      return { kind: 'updatePeers', id: r.id, memberId: r.memberId, peerURLs: r.peerURLs };
    default:
      return { error: `unknown entry kind ${JSON.stringify(r.kind)}` };
  }
}

export function encodeMemberContext(m: MemberContext): Uint8Array {
  return encoder.encode(JSON.stringify(m));
}

export function decodeMemberContext(data: Uint8Array): MemberContext | undefined {
  try {
    const o = JSON.parse(decoder.decode(data)) as Record<string, unknown>;
    if (typeof o.id === 'string' && typeof o.name === 'string' && isStringArray(o.peerURLs)) {
      return { id: o.id, name: o.name, peerURLs: o.peerURLs, ...(typeof o.requestId === 'string' ? { requestId: o.requestId } : {}) };
    }
  } catch {
    // fall through
  }
  return undefined;
}
