// Save and recover the whole store as JSON, in the shape of etcd's v2
// snapshot (json.Marshal of its store): Root, WatcherHub.EventHistory,
// CurrentIndex, Stats, CurrentVersion. Map keys sorted byte-wise as Go does,
// so equal stores save to identical bytes. Differences from etcd: expire
// times are written in UTC (etcd writes the local zone) and the saved
// `watchers` stat is 0 (a member-local number).

import { eventToJSON } from './render.js';
import { type ActionName, Action, type Event, type NodeExtern } from './event.js';
import { compareBytewise, goQuote } from './gojson.js';
import { formatRFC3339Nano, GO_ZERO_TIME, parseRFC3339Nano, type UnixNanos } from './gotime.js';
import { EventHistory } from './history.js';
import { Node } from './node.js';
import { statFields, statsToJSON, type StatsValues, emptyStats } from './stats.js';
import type { Store } from './store.js';
import { TtlHeap } from './ttl-heap.js';

/** A snapshot that cannot be read: the member must not start from it. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

function timeJSON(t: UnixNanos | null): string {
  return `"${t === null ? GO_ZERO_TIME : formatRFC3339Nano(t)}"`;
}

function nodeJSON(n: Node): string {
  let children = 'null';
  if (n.children !== null) {
    const names = [...n.children.keys()].sort(compareBytewise);
    children = `{${names.map((k) => `${goQuote(k)}:${nodeJSON(n.children?.get(k) as Node)}`).join(',')}}`;
  }
  return (
    `{"Path":${goQuote(n.path)},"CreatedIndex":${n.createdIndex},"ModifiedIndex":${n.modifiedIndex},` +
    `"ExpireTime":${timeJSON(n.expireTime)},"Value":${goQuote(n.value)},"Children":${children}}`
  );
}

function historyJSON(h: EventHistory): string {
  const events = h.events.map((e) => (e === null ? 'null' : eventToJSON(e, { includeRefresh: true }))).join(',');
  return (
    `{"Queue":{"Events":[${events}],"Size":${h.size},"Front":${h.front},"Back":${h.back},"Capacity":${h.capacity}},` +
    `"StartIndex":${h.startIndex},"LastIndex":${h.lastIndex}}`
  );
}

/** The whole store as etcd-shaped JSON (no trailing newline). */
export function saveStore(s: Store): string {
  const stats: StatsValues = { ...s.statsValues, watchers: 0 };
  return (
    `{"Root":${nodeJSON(s.root)},"WatcherHub":{"EventHistory":${historyJSON(s.hub.history)}},` +
    `"CurrentIndex":${s.currentIndex},"Stats":${statsToJSON(stats)},"CurrentVersion":${s.currentVersion}}`
  );
}

// ---- reading ----

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

function obj(v: Json | undefined, what: string): Obj {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) throw new SnapshotError(`${what}: not an object`);
  return v;
}
function num(v: Json | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new SnapshotError(`${what}: not an index`);
  return v;
}
function str(v: Json | undefined, what: string): string {
  if (typeof v !== 'string') throw new SnapshotError(`${what}: not a string`);
  return v;
}
function time(v: Json | undefined, what: string): UnixNanos | null {
  const t = parseRFC3339Nano(str(v, what));
  if (t === undefined) throw new SnapshotError(`${what}: bad time ${JSON.stringify(v)}`);
  return t;
}

function readNode(v: Json | undefined, parent: Node | null, what: string): Node {
  const o = obj(v, what);
  const path = str(o['Path'], `${what}.Path`);
  const n = new Node(
    path,
    num(o['CreatedIndex'], `${path}.CreatedIndex`),
    num(o['ModifiedIndex'], `${path}.ModifiedIndex`),
    parent,
    time(o['ExpireTime'], `${path}.ExpireTime`),
    str(o['Value'] ?? '', `${path}.Value`),
    null,
  );
  const children = o['Children'];
  if (children !== null && children !== undefined) {
    n.children = new Map();
    const c = obj(children, `${path}.Children`);
    for (const name of Object.keys(c).sort(compareBytewise)) n.children.set(name, readNode(c[name], n, `${path}/${name}`));
  }
  return n;
}

const actions: ReadonlySet<string> = new Set(Object.values(Action));

function readNodeExtern(v: Json | undefined, what: string): NodeExtern {
  const o = obj(v, what);
  const exp = o['expiration'];
  const nodes = o['nodes'];
  const ttl = o['ttl'] ?? 0;
  if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl)) throw new SnapshotError(`${what}.ttl: not an integer`);
  const expiration = exp === undefined || exp === null ? undefined : time(exp, `${what}.expiration`);
  return {
    key: str(o['key'] ?? '', `${what}.key`),
    ...(o['value'] === undefined || o['value'] === null ? {} : { value: str(o['value'], `${what}.value`) }),
    dir: o['dir'] === true,
    ...(expiration === undefined || expiration === null ? {} : { expiration }),
    ttl,
    ...(Array.isArray(nodes) ? { nodes: nodes.map((c, i) => readNodeExtern(c, `${what}.nodes[${i}]`)) } : {}),
    modifiedIndex: num(o['modifiedIndex'] ?? 0, `${what}.modifiedIndex`),
    createdIndex: num(o['createdIndex'] ?? 0, `${what}.createdIndex`),
  };
}

function readEvent(v: Json | undefined, what: string): Event | null {
  if (v === null) return null;
  const o = obj(v, what);
  const action = str(o['action'], `${what}.action`);
  if (!actions.has(action)) throw new SnapshotError(`${what}.action: unknown ${action}`);
  const prev = o['prevNode'];
  return {
    action: action as ActionName,
    node: readNodeExtern(o['node'], `${what}.node`),
    ...(prev === undefined || prev === null ? {} : { prevNode: readNodeExtern(prev, `${what}.prevNode`) }),
    etcdIndex: 0,
    refresh: o['refresh'] === true,
  };
}

function readHistory(v: Json | undefined): EventHistory {
  const o = obj(v, 'EventHistory');
  const q = obj(o['Queue'], 'EventHistory.Queue');
  const capacity = num(q['Capacity'], 'Queue.Capacity');
  const events = q['Events'];
  if (!Array.isArray(events) || events.length !== capacity || capacity === 0) {
    throw new SnapshotError('Queue.Events: not an array of Capacity slots');
  }
  const h = new EventHistory(capacity);
  events.forEach((e, i) => (h.events[i] = readEvent(e, `Queue.Events[${i}]`)));
  h.size = num(q['Size'], 'Queue.Size');
  h.front = num(q['Front'], 'Queue.Front');
  h.back = num(q['Back'], 'Queue.Back');
  if (h.size > capacity || h.front >= capacity || h.back >= capacity) throw new SnapshotError('Queue: positions out of range');
  h.startIndex = num(o['StartIndex'], 'StartIndex');
  h.lastIndex = num(o['LastIndex'], 'LastIndex');
  return h;
}

function readStats(v: Json | undefined): StatsValues {
  const o = obj(v, 'Stats');
  const s = emptyStats();
  for (const f of statFields) s[f] = num(o[f] ?? 0, `Stats.${f}`);
  return s;
}

/** TTL nodes go back on the heap, children before their dir, names in byte order (deterministic). */
function pushTTLNodes(s: Store, n: Node): void {
  if (n.children !== null) for (const child of n.children.values()) pushTTLNodes(s, child);
  if (n.expireTime !== null) s.ttlHeap.push(n);
}

/**
 * Replace the store's tree, index, history and stats with a snapshot's.
 * Registered watchers stay (as in etcd, whose Recovery keeps its watcher
 * lists). Throws SnapshotError, leaving the store untouched, if unreadable.
 */
/** A snapshot parsed and checked, not yet installed in a store. */
export interface ParsedStoreSnapshot {
  root: Node;
  history: ReturnType<typeof readHistory>;
  currentIndex: number;
  stats: ReturnType<typeof readStats>;
  version: number;
}

/** Parses and checks a snapshot; throws SnapshotError naming what is wrong. */
export function parseStoreSnapshot(json: string): ParsedStoreSnapshot {
  let parsed: Json;
  try {
    parsed = JSON.parse(json) as Json;
  } catch (e) {
    throw new SnapshotError(`not JSON: ${(e as Error).message}`);
  }
  const o = obj(parsed, 'snapshot');
  const root = readNode(o['Root'], null, 'Root');
  if (root.children === null) throw new SnapshotError('Root: not a dir');
  const history = readHistory(obj(o['WatcherHub'], 'WatcherHub')['EventHistory']);
  const currentIndex = num(o['CurrentIndex'], 'CurrentIndex');
  const stats = readStats(o['Stats']);
  const version = num(o['CurrentVersion'] ?? 2, 'CurrentVersion');
  return { root, history, currentIndex, stats, version };
}

/** Makes `p` the store's whole state. `p` belongs to the store afterwards. */
export function installStoreSnapshot(s: Store, p: ParsedStoreSnapshot): void {
  s.root = p.root;
  s.hub.history = p.history;
  s.currentIndex = p.currentIndex;
  s.statsValues = p.stats;
  s.currentVersion = p.version;
  s.ttlHeap = new TtlHeap();
  pushTTLNodes(s, p.root);
}

export function recoverStore(s: Store, json: string): void {
  installStoreSnapshot(s, parseStoreSnapshot(json));
}
