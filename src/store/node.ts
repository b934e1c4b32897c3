// A node of the key tree (etcd's v2store node): a file holds a value, a dir
// holds children. Mutation of the tree's shape lives in the store; this file
// knows how a node compares and how it is copied out.

import type { NodeExtern } from './event.js';
import { compareBytewise } from './gojson.js';
import { baseName } from '../common/gopath.js';
import { ttlSeconds, type UnixNanos } from './gotime.js';

export class Node {
  /** Position in the TTL heap, -1 when not in it (etcd's keyMap). */
  heapIndex = -1;

  constructor(
    public path: string,
    public createdIndex: number,
    public modifiedIndex: number,
    public parent: Node | null,
    /** null = permanent. */
    public expireTime: UnixNanos | null,
    public value: string,
    /** null for a file. */
    public children: Map<string, Node> | null,
  ) {}

  static file(path: string, value: string, index: number, parent: Node | null, expire: UnixNanos | null): Node {
    return new Node(path, index, index, parent, expire, value, null);
  }

  static dir(path: string, index: number, parent: Node | null, expire: UnixNanos | null): Node {
    return new Node(path, index, index, parent, expire, '', new Map());
  }

  isDir(): boolean {
    return this.children !== null;
  }

  isHidden(): boolean {
    return baseName(this.path).startsWith('_');
  }

  isPermanent(): boolean {
    return this.expireTime === null;
  }

  /** Which compare of a CAS/CAD failed; prevValue "" and prevIndex 0 mean "no check". */
  compare(prevValue: string, prevIndex: bigint): { ok: boolean; valueOk: boolean; indexOk: boolean } {
    const indexOk = prevIndex === 0n || BigInt(this.modifiedIndex) === prevIndex;
    const valueOk = prevValue === '' || this.value === prevValue;
    return { ok: indexOk && valueOk, valueOk, indexOk };
  }
}

export interface ReprContext {
  readonly now: UnixNanos;
  /** Orders an unsorted listing (Go's map order is random); default: insertion order. */
  readonly permute?: (nodes: NodeExtern[]) => void;
}

function expirationFields(n: Node, now: UnixNanos): { expiration?: UnixNanos; ttl: number } {
  if (n.expireTime === null) return { ttl: 0 };
  return { expiration: n.expireTime, ttl: ttlSeconds(n.expireTime, now) };
}

/** The children a listing shows: hidden (`_`) names never appear. */
function listChildren(n: Node, recursive: boolean, sorted: boolean, ctx: ReprContext): NodeExtern[] {
  const out: NodeExtern[] = [];
  for (const child of (n.children ?? new Map<string, Node>()).values()) {
    if (!child.isHidden()) out.push(repr(child, recursive, sorted, ctx));
  }
  if (sorted) out.sort((a, b) => compareBytewise(a.key, b.key));
  else ctx.permute?.(out);
  return out;
}

/** etcd's node.Repr: a copy for events and listings; child dirs carry nodes only when recursive. */
export function repr(n: Node, recursive: boolean, sorted: boolean, ctx: ReprContext): NodeExtern {
  const exp = expirationFields(n, ctx.now);
  if (n.isDir()) {
    const base = { key: n.path, dir: true, ...exp, modifiedIndex: n.modifiedIndex, createdIndex: n.createdIndex };
    return recursive ? { ...base, nodes: listChildren(n, recursive, sorted, ctx) } : base;
  }
  return { key: n.path, value: n.value, dir: false, ...exp, modifiedIndex: n.modifiedIndex, createdIndex: n.createdIndex };
}

/**
 * etcd's loadInternalNode, used by GET: a dir always lists its children one
 * level (deeper levels only when recursive); `key` is the path as asked.
 */
export function load(n: Node, key: string, recursive: boolean, sorted: boolean, ctx: ReprContext): NodeExtern {
  const exp = expirationFields(n, ctx.now);
  const indexes = { modifiedIndex: n.modifiedIndex, createdIndex: n.createdIndex };
  if (n.isDir()) return { key, dir: true, ...exp, nodes: listChildren(n, recursive, sorted, ctx), ...indexes };
  return { key, value: n.value, dir: false, ...exp, ...indexes };
}
