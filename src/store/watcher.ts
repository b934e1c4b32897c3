// Watchers and the hub that notifies them (etcd's watcher.go and
// watcher_hub.go). Pure: a watcher is a queue the caller drains with take();
// an optional listener is called synchronously when an event is queued
// (it may take() but must not write to the store).

import { V2Error } from './errors.js';
import { eventIndex, type Event } from './event.js';
import { EventHistory } from './history.js';
import { cleanPath, joinPath } from '../common/gopath.js';

export class Watcher {
  private readonly queue: Event[] = [];
  private listener: (() => void) | undefined;
  /** No longer registered: fired (one-shot), overflowed, or removed by the caller. */
  removed = false;
  /** Dropped because its buffer was full when an event came (the stream should end). */
  overflowed = false;
  /** Set by the hub for registered watchers. */
  unregister: (() => void) | undefined;

  constructor(
    readonly key: string,
    readonly recursive: boolean,
    readonly stream: boolean,
    /** Events below this index are ignored. */
    readonly sinceIndex: number,
    /** The store index when the watch started: the X-Etcd-Index of the watch response. */
    readonly startIndex: number,
    private readonly bufferSize: number,
  ) {}

  /** The next undelivered event, if any. */
  take(): Event | undefined {
    return this.queue.shift();
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Called after each queued event. */
  setListener(listener: (() => void) | undefined): void {
    this.listener = listener;
  }

  /** The caller is done with this watch (client went away, one-shot answered). */
  remove(): void {
    this.unregister?.();
    this.removed = true;
  }

  /** Queue an event; false when full (the hub then drops this watcher). */
  deliver(e: Event): boolean {
    if (this.queue.length >= this.bufferSize) return false;
    this.queue.push(e);
    this.listener?.();
    return true;
  }

  /** etcd's watcher.notify: does this watcher take this event? (true also when it overflowed) */
  notify(e: Event, originalPath: boolean, deleted: boolean): boolean {
    if (!((this.recursive || originalPath || deleted) && eventIndex(e) >= this.sinceIndex)) return false;
    if (!this.deliver(e)) {
      // Buffer full: etcd removes the watcher (in 3.4 its HTTP stream then just stops getting events).
      this.overflowed = true;
      this.remove();
    }
    return true;
  }
}

/** A recursive watcher above a `_` segment does not hear about keys below it. */
function isHidden(watchPath: string, keyPath: string): boolean {
  // Deleting a dir notifies watchers deeper than the deleted key.
  if (watchPath.length > keyPath.length) return false;
  const afterPath = cleanPath('/' + keyPath.slice(watchPath.length));
  return afterPath.includes('/_');
}

export class WatcherHub {
  private readonly watchers = new Map<string, Set<Watcher>>();
  /** Registered watchers (the `watchers` field of /v2/stats/store). */
  count = 0;
  history: EventHistory;

  constructor(
    historyCapacity: number,
    private readonly bufferSize: number,
  ) {
    this.history = new EventHistory(historyCapacity);
  }

  watch(key: string, recursive: boolean, stream: boolean, index: number, storeIndex: number): Watcher | V2Error {
    const found = this.history.scan(key, recursive, index);
    if (found instanceof V2Error) return found.withIndex(storeIndex);

    const w = new Watcher(key, recursive, stream, index, storeIndex, this.bufferSize);
    if (found !== null) {
      // Answered from history: not registered; the replay carries the current index.
      w.deliver({ ...found, etcdIndex: storeIndex });
      w.removed = true;
      return w;
    }

    let set = this.watchers.get(key);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(key, set);
    }
    set.add(w);
    this.count++;
    const list = set;
    w.unregister = () => {
      if (w.removed) return;
      w.removed = true;
      list.delete(w);
      this.count--;
      if (list.size === 0 && this.watchers.get(key) === list) this.watchers.delete(key);
    };
    return w;
  }

  /** Record an event without telling anyone (refresh). */
  add(e: Event): void {
    this.history.add(e);
  }

  /** Record an event and notify watchers on the key and on each ancestor ("/", "/1", "/1/foo", …). */
  notify(e: Event): void {
    this.history.add(e);
    let currPath = '/';
    for (const segment of e.node.key.split('/')) {
      currPath = joinPath(currPath, segment);
      this.notifyWatchers(e, currPath, false);
    }
  }

  /** Notify the watchers of exactly `nodePath`; `deleted` when that node is being removed. */
  notifyWatchers(e: Event, nodePath: string, deleted: boolean): void {
    const set = this.watchers.get(nodePath);
    if (set === undefined) return;
    for (const w of set) {
      const originalPath = e.node.key === nodePath;
      if ((originalPath || !isHidden(nodePath, e.node.key)) && w.notify(e, originalPath, deleted)) {
        if (!w.stream) w.unregister?.();
      }
    }
  }
}
