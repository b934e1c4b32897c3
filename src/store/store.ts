// The etcd v2 key tree (etcd's v2store/store.go): one tree of dirs and files,
// a global index bumped by every successful mutation, TTLs on a heap, a watch
// hub with a 1000-event history. Pure: the caller passes the time in.
//
// Paths are store paths, namespace included: the etcd member keeps user keys
// under `/1` (KEYS_PREFIX) and membership under `/0` (CLUSTER_PREFIX); both are
// read-only like the root. Use `keysPath()` to turn an API key into a store path
// and render with `trimPrefix: KEYS_PREFIX`.

import { Ecode, newError, V2Error, type ErrorCode } from './errors.js';
import { Action, type ActionName, type Event, type NodeExtern } from './event.js';
import { cleanPath, joinPath, splitPath, baseName } from '../common/gopath.js';
import { MIN_EXPIRE_TIME, type UnixNanos } from './gotime.js';
import { load, Node, repr, type ReprContext } from './node.js';
import { installStoreSnapshot, recoverStore, saveStore, type ParsedStoreSnapshot } from './snapshot.js';
import { emptyStats, statsToJSON, type StatField, type StatsValues } from './stats.js';
import { TtlHeap } from './ttl-heap.js';
import { type Watcher, WatcherHub } from './watcher.js';

export const CLUSTER_PREFIX = '/0';
export const KEYS_PREFIX = '/1';

/** The store path of an API key, as etcd's HTTP layer builds it: path.Join("/1", key). */
export function keysPath(key: string): string {
  return joinPath(KEYS_PREFIX, key);
}

export interface StoreOptions {
  /** Read-only top-level dirs created empty (etcd's member: `/0` and `/1`, the default). */
  readonly namespaces?: readonly string[];
  /** Events kept for watches from a past index (etcd: 1000). */
  readonly historyCapacity?: number;
  /** Undelivered events a watcher may hold before it is dropped (etcd: 100). */
  readonly watcherBufferSize?: number;
  /** Orders an unsorted listing in place; default insertion order (etcd: random map order). */
  readonly permuteUnsorted?: (nodes: NodeExtern[]) => void;
}

export interface TTLOptions {
  /** Absolute expiry; null/undefined = permanent (update/CAS: removes an existing TTL). */
  readonly expireTime?: UnixNanos | null;
  /** Keep the old value, bump the index, tell no watcher. */
  readonly refresh?: boolean;
}

export type Result = Event | V2Error;

export const STORE_VERSION = 2;

export class Store {
  /** Exposed for snapshot code in this folder; treat as private elsewhere. */
  root: Node;
  currentIndex = 0;
  currentVersion = STORE_VERSION;
  readonly hub: WatcherHub;
  ttlHeap = new TtlHeap();
  statsValues: StatsValues = emptyStats();
  readonly namespaces: readonly string[];
  private readonly readonly: ReadonlySet<string>;
  private readonly permute: ((nodes: NodeExtern[]) => void) | undefined;

  constructor(opts: StoreOptions = {}) {
    this.namespaces = opts.namespaces ?? [CLUSTER_PREFIX, KEYS_PREFIX];
    this.root = Store.emptyRoot(this.namespaces);
    this.readonly = new Set(['/', ...this.namespaces]);
    this.hub = new WatcherHub(opts.historyCapacity ?? 1000, opts.watcherBufferSize ?? 100);
    this.permute = opts.permuteUnsorted;
  }

  static emptyRoot(namespaces: readonly string[]): Node {
    const root = Node.dir('/', 0, null, null);
    for (const ns of namespaces) root.children?.set(baseName(ns), Node.dir(ns, 0, root, null));
    return root;
  }

  /** The etcd index: the index of the last successful mutation. */
  get index(): number {
    return this.currentIndex;
  }

  get(nodePath: string, recursive: boolean, sorted: boolean, now: UnixNanos): Result {
    const n = this.internalGet(nodePath);
    if (n instanceof V2Error) return this.fail('getsFail', n);
    this.inc('getsSuccess');
    return {
      action: Action.Get,
      node: load(n, nodePath, recursive, sorted, this.ctx(now)),
      etcdIndex: this.currentIndex,
      refresh: false,
    };
  }

  create(nodePath: string, dir: boolean, value: string, unique: boolean, ttl: TTLOptions, now: UnixNanos): Result {
    const r = this.internalCreate(nodePath, dir, value, unique, false, ttl.expireTime ?? null, Action.Create, now);
    if (r instanceof V2Error) return this.fail('createFail', r);
    this.inc('createSuccess');
    this.hub.notify(r);
    return r;
  }

  set(nodePath: string, dir: boolean, value: string, ttl: TTLOptions, now: UnixNanos): Result {
    const prev = this.internalGet(nodePath);
    if (prev instanceof V2Error && prev.code !== Ecode.KeyNotFound) return this.fail('setsFail', prev);
    if (ttl.refresh === true) {
      if (prev instanceof V2Error) return this.fail('setsFail', prev);
      value = prev.value;
    }
    const r = this.internalCreate(nodePath, dir, value, false, true, ttl.expireTime ?? null, Action.Set, now);
    if (r instanceof V2Error) return this.fail('setsFail', r);
    this.inc('setsSuccess');
    const e: Event =
      prev instanceof V2Error ? r : { ...r, prevNode: load(prev, nodePath, false, false, this.ctx(now)) };
    return this.publish(e, ttl.refresh === true);
  }

  update(nodePath: string, newValue: string, ttl: TTLOptions, now: UnixNanos): Result {
    nodePath = cleanPath(joinPath('/', nodePath));
    // etcd quirk: these two errors are counted as successes in the stats.
    if (this.readonly.has(nodePath)) return this.succeedWithError('updateSuccess', Ecode.RootROnly, '/');
    const n = this.internalGet(nodePath);
    if (n instanceof V2Error) return this.fail('updateFail', n);
    if (n.isDir() && newValue.length !== 0) return this.succeedWithError('updateSuccess', Ecode.NotFile, nodePath);
    if (ttl.refresh === true) newValue = n.value;

    const nextIndex = this.currentIndex + 1;
    const prevNode = repr(n, false, false, this.ctx(now));
    // Dir-TTL quirk: a dir's stored modifiedIndex is not bumped (its Write fails), only the event's.
    if (!n.isDir()) {
      n.value = newValue;
      n.modifiedIndex = nextIndex;
    }
    this.updateTTL(n, ttl.expireTime ?? null);
    const after = repr(n, false, false, this.ctx(now));
    const node: NodeExtern = {
      key: nodePath,
      ...(n.isDir() ? {} : { value: newValue }),
      dir: n.isDir(),
      ...(after.expiration === undefined ? {} : { expiration: after.expiration }),
      ttl: after.ttl,
      modifiedIndex: nextIndex,
      createdIndex: n.createdIndex,
    };
    this.currentIndex = nextIndex;
    this.inc('updateSuccess');
    return this.publish({ action: Action.Update, node, prevNode, etcdIndex: nextIndex, refresh: false }, ttl.refresh === true);
  }

  compareAndSwap(
    nodePath: string,
    prevValue: string,
    prevIndex: bigint | number,
    value: string,
    ttl: TTLOptions,
    now: UnixNanos,
  ): Result {
    nodePath = cleanPath(joinPath('/', nodePath));
    // etcd quirk: a CAS on the root is counted as a success in the stats.
    if (this.readonly.has(nodePath)) return this.succeedWithError('compareAndSwapSuccess', Ecode.RootROnly, '/');
    const n = this.internalGet(nodePath);
    if (n instanceof V2Error) return this.fail('compareAndSwapFail', n);
    if (n.isDir()) return this.fail('compareAndSwapFail', this.err(Ecode.NotFile, nodePath));
    const cmp = n.compare(prevValue, BigInt(prevIndex));
    if (!cmp.ok) return this.fail('compareAndSwapFail', this.err(Ecode.TestFailed, compareFailCause(n, cmp, prevValue, prevIndex)));
    if (ttl.refresh === true) value = n.value;

    this.currentIndex++;
    const prevNode = repr(n, false, false, this.ctx(now));
    n.value = value;
    n.modifiedIndex = this.currentIndex;
    this.updateTTL(n, ttl.expireTime ?? null);
    const node = repr(n, false, false, this.ctx(now));
    this.inc('compareAndSwapSuccess');
    const e: Event = { action: Action.CompareAndSwap, node, prevNode, etcdIndex: this.currentIndex, refresh: false };
    return this.publish(e, ttl.refresh === true);
  }

  delete(nodePath: string, dir: boolean, recursive: boolean, now: UnixNanos): Result {
    nodePath = cleanPath(joinPath('/', nodePath));
    // etcd quirk: deleting the root is counted as a success in the stats.
    if (this.readonly.has(nodePath)) return this.succeedWithError('deleteSuccess', Ecode.RootROnly, '/');
    if (recursive) dir = true;
    const n = this.internalGet(nodePath);
    if (n instanceof V2Error) return this.fail('deleteFail', n);

    const nextIndex = this.currentIndex + 1;
    const e = removalEvent(Action.Delete, n, nodePath, nextIndex, this.ctx(now));
    const err = this.removeNode(n, dir, recursive, (p) => this.hub.notifyWatchers(e, p, true));
    if (err !== null) return this.fail('deleteFail', err);
    this.currentIndex++;
    this.inc('deleteSuccess');
    this.hub.notify(e);
    return e;
  }

  compareAndDelete(nodePath: string, prevValue: string, prevIndex: bigint | number, now: UnixNanos): Result {
    nodePath = cleanPath(joinPath('/', nodePath));
    // (no root check here: etcd answers a CAD on the root with 102 Not a file)
    const n = this.internalGet(nodePath);
    if (n instanceof V2Error) return this.fail('compareAndDeleteFail', n);
    // etcd quirk: these two errors are counted as successes in the stats.
    if (n.isDir()) return this.succeedWithError('compareAndDeleteSuccess', Ecode.NotFile, nodePath);
    const cmp = n.compare(prevValue, BigInt(prevIndex));
    if (!cmp.ok) {
      return this.succeedWithError('compareAndDeleteSuccess', Ecode.TestFailed, compareFailCause(n, cmp, prevValue, prevIndex));
    }
    this.currentIndex++;
    const e = removalEvent(Action.CompareAndDelete, n, nodePath, this.currentIndex, this.ctx(now));
    this.removeNode(n, false, false, (p) => this.hub.notifyWatchers(e, p, true));
    this.inc('compareAndDeleteSuccess');
    this.hub.notify(e);
    return e;
  }

  /**
   * Watch `key` from `sinceIndex` (0 = the next index). The watcher either
   * holds a matching event from history already, or waits for one.
   */
  watch(key: string, recursive: boolean, stream: boolean, sinceIndex: number): Watcher | V2Error {
    key = cleanPath(joinPath('/', key));
    if (sinceIndex === 0) sinceIndex = this.currentIndex + 1;
    return this.hub.watch(key, recursive, stream, sinceIndex, this.currentIndex);
  }

  /** Expire every key whose expire time is ≤ cutoff: one `expire` event (+1 index) each. */
  deleteExpiredKeys(cutoff: UnixNanos, now: UnixNanos = cutoff): Event[] {
    const out: Event[] = [];
    for (;;) {
      const n = this.ttlHeap.top();
      if (n === undefined || n.expireTime === null || n.expireTime > cutoff) break;
      this.currentIndex++;
      const e = removalEvent(Action.Expire, n, n.path, this.currentIndex, this.ctx(now));
      this.ttlHeap.pop();
      this.removeNode(n, true, true, (p) => this.hub.notifyWatchers(e, p, true));
      this.inc('expireCount');
      this.hub.notify(e);
      out.push(e);
    }
    return out;
  }

  hasTTLKeys(): boolean {
    return this.ttlHeap.size !== 0;
  }

  /** The earliest expire time, if any key has a TTL (lets a leader skip idle SYNCs). */
  nextExpiry(): UnixNanos | undefined {
    return this.ttlHeap.top()?.expireTime ?? undefined;
  }

  /** The counters of /v2/stats/store, with the current number of watchers. */
  stats(): StatsValues {
    return { ...this.statsValues, watchers: this.hub.count };
  }

  /** The body of /v2/stats/store (no trailing newline, as etcd). */
  statsJSON(): string {
    return statsToJSON(this.stats());
  }

  /** The whole store as JSON (etcd's snapshot shape); equal stores give identical bytes. */
  save(): string {
    return saveStore(this);
  }

  /** Replace state with a saved one (watchers stay); throws SnapshotError if unreadable. */
  /** Makes an already parsed and checked snapshot (parseStoreSnapshot) the whole state. */
  recoverParsed(p: ParsedStoreSnapshot): void {
    installStoreSnapshot(this, p);
  }

  recover(json: string): void {
    recoverStore(this, json);
  }

  // ---- internals, after etcd's store.go ----

  private ctx(now: UnixNanos): ReprContext {
    return this.permute === undefined ? { now } : { now, permute: this.permute };
  }

  private err(code: ErrorCode, cause: string): V2Error {
    return newError(code, cause, this.currentIndex);
  }

  private inc(field: StatField): void {
    this.statsValues[field]++;
  }

  private fail(field: StatField, e: V2Error): V2Error {
    this.inc(field);
    return e;
  }

  private succeedWithError(field: StatField, code: ErrorCode, cause: string): V2Error {
    this.inc(field);
    return this.err(code, cause);
  }

  /** Record the event; a refresh is marked and kept from watchers. */
  private publish(e: Event, refresh: boolean): Event {
    if (refresh) {
      const marked = { ...e, refresh: true };
      this.hub.add(marked);
      return marked;
    }
    this.hub.notify(e);
    return e;
  }

  private walk(nodePath: string, step: (parent: Node, name: string) => Node | V2Error): Node | V2Error {
    const components = nodePath.split('/');
    let curr: Node = this.root;
    for (let i = 1; i < components.length; i++) {
      const c = components[i] ?? '';
      if (c.length === 0) return curr;
      const next = step(curr, c);
      if (next instanceof V2Error) return next;
      curr = next;
    }
    return curr;
  }

  private internalGet(nodePath: string): Node | V2Error {
    nodePath = cleanPath(joinPath('/', nodePath));
    return this.walk(nodePath, (parent, name) => {
      if (parent.children === null) return this.err(Ecode.NotDir, parent.path);
      return parent.children.get(name) ?? this.err(Ecode.KeyNotFound, joinPath(parent.path, name));
    });
  }

  /** Walk to a dir, creating missing dirs with the index of the write that creates them. */
  private checkDir(parent: Node, dirName: string): Node | V2Error {
    const children = parent.children;
    if (children === null) return this.err(Ecode.NotDir, parent.path);
    const n = children.get(dirName);
    if (n !== undefined) return n.isDir() ? n : this.err(Ecode.NotDir, n.path);
    const d = Node.dir(joinPath(parent.path, dirName), this.currentIndex + 1, parent, null);
    children.set(dirName, d);
    return d;
  }

  private internalCreate(
    nodePath: string,
    dir: boolean,
    value: string,
    unique: boolean,
    replace: boolean,
    expireTime: UnixNanos | null,
    action: ActionName,
    now: UnixNanos,
  ): Event | V2Error {
    const nextIndex = this.currentIndex + 1;
    // POST: in-order key named by the new index, %020d.
    if (unique) nodePath += '/' + String(nextIndex).padStart(20, '0');
    nodePath = cleanPath(joinPath('/', nodePath));
    if (this.readonly.has(nodePath)) return this.err(Ecode.RootROnly, '/');
    // Expire times before 2000 are taken as permanent.
    if (expireTime !== null && expireTime < MIN_EXPIRE_TIME) expireTime = null;

    const [dirName, nodeName] = splitPath(nodePath);
    const d = this.walk(dirName, (p, name) => this.checkDir(p, name));
    if (d instanceof V2Error) {
      this.inc('setsFail'); // etcd quirk: counted as a failed set whatever the operation
      return d;
    }
    const children = d.children;
    if (children === null) throw new Error('store: walk ended on a file');

    let prevNode: NodeExtern | undefined;
    const existing = children.get(nodeName);
    if (existing !== undefined) {
      if (!replace) return this.err(Ecode.NodeExist, nodePath);
      if (existing.isDir()) return this.err(Ecode.NotFile, nodePath);
      prevNode = repr(existing, false, false, this.ctx(now));
      this.removeNode(existing, false, false, undefined);
    }

    const n = dir
      ? Node.dir(nodePath, nextIndex, d, expireTime)
      : Node.file(nodePath, value, nextIndex, d, expireTime);
    children.set(nodeName, n);
    if (!n.isPermanent()) this.ttlHeap.push(n);
    this.currentIndex = nextIndex;

    const shown = repr(n, false, false, this.ctx(now));
    return {
      action,
      node: {
        key: nodePath,
        ...(dir ? {} : { value }),
        dir,
        ...(shown.expiration === undefined ? {} : { expiration: shown.expiration }),
        ttl: shown.ttl,
        modifiedIndex: nextIndex,
        createdIndex: nextIndex,
      },
      ...(prevNode === undefined ? {} : { prevNode }),
      etcdIndex: nextIndex,
      refresh: false,
    };
  }

  /** etcd's node.Remove: children first, each removed path reported to `callback`. */
  private removeNode(n: Node, dir: boolean, recursive: boolean, callback: ((path: string) => void) | undefined): V2Error | null {
    const name = baseName(n.path);
    const children = n.children;
    if (children === null) {
      if (n.parent?.children?.get(name) === n) n.parent.children.delete(name);
      callback?.(n.path);
      if (!n.isPermanent()) this.ttlHeap.remove(n);
      return null;
    }
    if (!dir) return this.err(Ecode.NotFile, n.path);
    if (children.size !== 0 && !recursive) return this.err(Ecode.DirNotEmpty, n.path);
    for (const child of [...children.values()]) this.removeNode(child, true, true, callback);
    if (n.parent?.children?.get(name) === n) {
      n.parent.children.delete(name);
      callback?.(n.path);
      if (!n.isPermanent()) this.ttlHeap.remove(n);
    }
    return null;
  }

  private updateTTL(n: Node, expireTime: UnixNanos | null): void {
    if (!n.isPermanent()) {
      n.expireTime = expireTime;
      if (expireTime === null) this.ttlHeap.remove(n);
      else this.ttlHeap.update(n);
      return;
    }
    if (expireTime === null) return;
    n.expireTime = expireTime;
    this.ttlHeap.push(n);
  }
}

function compareFailCause(
  n: Node,
  cmp: { valueOk: boolean; indexOk: boolean },
  prevValue: string,
  prevIndex: bigint | number,
): string {
  if (cmp.valueOk) return `[${prevIndex} != ${n.modifiedIndex}]`;
  if (cmp.indexOk) return `[${prevValue} != ${n.value}]`;
  return `[${prevValue} != ${n.value}] [${prevIndex} != ${n.modifiedIndex}]`;
}

/** The event of a delete/CAD/expire: the node shows no value, prevNode the old node without children. */
function removalEvent(action: ActionName, n: Node, nodePath: string, index: number, ctx: ReprContext): Event {
  return {
    action,
    node: { key: nodePath, dir: n.isDir(), ttl: 0, modifiedIndex: index, createdIndex: n.createdIndex },
    prevNode: repr(n, false, false, ctx),
    etcdIndex: index,
    refresh: false,
  };
}

