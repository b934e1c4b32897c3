// Follows one subtree's events in order, cheaply at any event rate. A
// streamed watch carries many events per connection, but etcd v2 (and
// coracle's etcd, which copies it) answers a stream whose waitIndex is
// already in its history with that one event and then silence. The answer
// tells which case it is: its X-Etcd-Index is the store index when the watch
// began, so an index at or past the event's means "answered from history".
// Then the feed drops that connection and asks again from the next index
// (one event per request while catching up, like a polled watch); once it
// has caught up, the stream stays open and delivers everything.

import type { KeysResponse } from '../../client/types.js';
import type { Watcher } from '../../client/watcher.js';
import { nextEvent, type Registry } from './registry.js';

export class EventFeed {
  private w: Watcher | undefined;
  private after: number;
  /** Connections dropped because they were answered from history. */
  catchUps = 0;

  constructor(
    private readonly reg: Registry,
    private readonly key: string,
    afterIndex: number,
    private readonly opts: { stream?: boolean } = {},
  ) {
    this.after = afterIndex;
  }

  /** The next event after the last one returned; etcd errors (401: history cleared) are thrown. */
  async next(signal: AbortSignal): Promise<KeysResponse> {
    const stream = this.opts.stream ?? true;
    this.w ??= this.reg.watchKey(this.key, this.after, { stream });
    let ev: KeysResponse;
    try {
      ev = await nextEvent(this.w, signal);
    } catch (e) {
      this.close();
      throw e;
    }
    const index = ev.node?.modifiedIndex;
    if (index !== undefined && index > this.after) this.after = index;
    if (stream && answeredFromHistory(ev)) {
      this.catchUps++;
      this.close();
    }
    return ev;
  }

  close(): void {
    this.w?.close();
    this.w = undefined;
  }
}

/** Whether a streamed watch's event came from history (so its connection carries nothing more). */
export function answeredFromHistory(ev: KeysResponse): boolean {
  const index = ev.node?.modifiedIndex;
  return index !== undefined && ev.index >= index;
}
