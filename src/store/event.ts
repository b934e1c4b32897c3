// What the store hands out: events carrying frozen copies of nodes
// (etcd's Event and NodeExtern). Remaining TTLs are computed when the event
// is made and never change afterwards, as in etcd.

import type { UnixNanos } from './gotime.js';

export const Action = {
  Get: 'get',
  Create: 'create',
  Set: 'set',
  Update: 'update',
  Delete: 'delete',
  CompareAndSwap: 'compareAndSwap',
  CompareAndDelete: 'compareAndDelete',
  Expire: 'expire',
} as const;

export type ActionName = (typeof Action)[keyof typeof Action];

/** A node as the API shows it. Absent optional fields are omitted from JSON. */
export interface NodeExtern {
  /** Full store path (with the namespace prefix, e.g. `/1/foo`). */
  readonly key: string;
  /** Present (even "") for files; absent for dirs and for delete/expire event nodes. */
  readonly value?: string;
  readonly dir: boolean;
  readonly expiration?: UnixNanos;
  /** Remaining seconds when the node was copied; 0 = omitted. */
  readonly ttl: number;
  /** Only on a GET of a dir; an empty list is omitted too. */
  readonly nodes?: readonly NodeExtern[];
  readonly modifiedIndex: number;
  readonly createdIndex: number;
}

export interface Event {
  readonly action: ActionName;
  readonly node: NodeExtern;
  readonly prevNode?: NodeExtern;
  /** The store index after the operation (a history replay: the index when the watch started). */
  readonly etcdIndex: number;
  /** A TTL refresh: kept in history (and snapshots) but never delivered to watchers. */
  readonly refresh: boolean;
}

/** The index a watcher compares against: the event node's modifiedIndex. */
export function eventIndex(e: Event): number {
  return e.node.modifiedIndex;
}

/** 201 Created: a create, or a set that made a new key. */
export function isCreated(e: Event): boolean {
  return e.action === Action.Create || (e.action === Action.Set && e.prevNode === undefined);
}
