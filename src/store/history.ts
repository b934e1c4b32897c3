// The global ring buffer of the last N events (etcd's EventHistory, N = 1000),
// which answers watches that start at a past index.

import { Ecode, newError, type V2Error } from './errors.js';
import { Action, eventIndex, type Event } from './event.js';
import { cleanPath } from '../common/gopath.js';

export class EventHistory {
  /** Slots of the ring; null where nothing was written yet. */
  readonly events: (Event | null)[];
  size = 0;
  front = 0;
  back = 0;
  startIndex = 0;
  lastIndex = 0;

  constructor(readonly capacity: number) {
    this.events = new Array<Event | null>(capacity).fill(null);
  }

  add(e: Event): void {
    this.events[this.back] = e;
    this.back = (this.back + 1) % this.capacity;
    if (this.size === this.capacity) this.front = (this.front + 1) % this.capacity;
    else this.size++;
    this.lastIndex = eventIndex(e);
    const first = this.events[this.front];
    this.startIndex = first === null || first === undefined ? 0 : eventIndex(first);
  }

  /**
   * The first event at or after `index` that a watcher on `key` would see;
   * null when none is recorded yet (the caller then waits); error 401 when
   * `index` fell out of the window (its index is set by the caller).
   */
  scan(key: string, recursive: boolean, index: number): Event | null | V2Error {
    if (index < this.startIndex) {
      return newError(
        Ecode.EventIndexCleared,
        `the requested history has been cleared [${this.startIndex}/${index}]`,
        0,
      );
    }
    if (index > this.lastIndex) return null;

    let prefix = cleanPath(key);
    if (!prefix.endsWith('/')) prefix += '/';

    let i = (this.front + (index - this.startIndex)) % this.capacity;
    for (;;) {
      const e = this.events[i];
      if (e === null || e === undefined) return null;
      // Refresh events are skipped; hidden keys are NOT filtered here (etcd quirk).
      if (!e.refresh) {
        let ok = e.node.key === key;
        if (recursive) ok = ok || e.node.key.startsWith(prefix);
        // A deleted/expired dir matches every key it is a string prefix of (no "/" added: etcd quirk).
        if ((e.action === Action.Delete || e.action === Action.Expire) && e.prevNode?.dir === true) {
          ok = ok || key.startsWith(e.prevNode.key);
        }
        if (ok) return e;
      }
      i = (i + 1) % this.capacity;
      if (i === this.back) return null;
    }
  }
}
