// Follows one subtree's events in order over a streamed watch (one
// connection, many events), at any event rate. etcd v2 (and coracle's etcd,
// which copies it) answers a stream whose waitIndex is already in its history
// with that one event and then silence; the answer tells which case it is:
// its X-Etcd-Index is the store index when the watch began, so an index at or
// past the event's means "answered from history". Then the feed drops that
// connection and asks again from the next index (one event per request while
// catching up); once caught up, the stream stays open.
//
// For a resync, open() the feed from "now" BEFORE reading the snapshot
// (watch, then list): every event after the snapshot arrives on the live
// stream, none has to be caught up one by one, and the caller skips events
// the snapshot already holds (modifiedIndex ≤ the snapshot's index).

import { createInterface } from 'node:readline';
import type { StreamResponse } from '../../client/cluster.js';
import { CanceledError } from '../../client/errors.js';
import { readBody } from '../../client/http.js';
import { parseEtcdError, parseEvent } from '../../client/keys.js';
import type { KeysResponse } from '../../client/types.js';
import { buildURL, encodeValues } from '../../client/urls.js';
import type { Registry } from './registry.js';

export class EventFeed {
  private conn: StreamResponse | undefined;
  private lines: AsyncIterator<string> | undefined;
  /** This connection was answered from history: it carries one event only. */
  private oneShot = false;
  private after: number;
  /** Events up to this index are already known (in a snapshot): skipped. */
  private known = 0;
  private readonly closer = new AbortController();
  /** Connections dropped because they were answered from history. */
  catchUps = 0;

  /** `afterIndex` 0: from the moment the stream opens. */
  constructor(
    private readonly reg: Registry,
    private readonly key: string,
    afterIndex = 0,
  ) {
    this.after = afterIndex;
  }

  /** Opens the stream now (resolves once etcd registered the watch); next() then starts there. */
  async open(signal: AbortSignal): Promise<void> {
    if (this.conn === undefined) await this.connect(AbortSignal.any([signal, this.closer.signal]));
  }

  /** Events up to `index` are in the caller's snapshot: skip them, and resume after it if the stream breaks. */
  startAfter(index: number): void {
    this.known = Math.max(this.known, index);
    this.after = Math.max(this.after, index);
  }

  private async connect(signal: AbortSignal): Promise<void> {
    const waitIndex = this.after > 0 ? this.after + 1 : 0;
    const path = this.reg.client.keys.prefix + (this.key.startsWith('/') ? this.key : '/' + this.key);
    const q = new Map([
      ['wait', 'true'],
      ['waitIndex', String(waitIndex)],
      ['recursive', 'true'],
      ['stream', 'true'],
    ]);
    const conn = await this.reg.client.openStream((ep) => ({ method: 'GET', url: buildURL(ep, path, encodeValues(q)) }), signal).catch((e: unknown) => {
      throw signal.aborted ? new CanceledError() : e;
    });
    const status = conn.statusCode ?? 0;
    if (status !== 200 && status !== 201) throw parseEtcdError(await readBody(conn, signal));
    const started = Number(conn.headers['x-etcd-index'] ?? 0);
    this.oneShot = waitIndex > 0 && started >= waitIndex;
    if (this.oneShot) this.catchUps++;
    this.conn = conn;
    this.lines = createInterface({ input: conn, crlfDelay: Infinity })[Symbol.asyncIterator]();
  }

  /** The next event after the last one returned; etcd errors (401: history cleared) are thrown. */
  async next(signal: AbortSignal): Promise<KeysResponse> {
    const both = AbortSignal.any([signal, this.closer.signal]);
    for (;;) {
      if (both.aborted) throw new CanceledError();
      if (this.conn === undefined || this.lines === undefined) await this.connect(both);
      const conn = this.conn!;
      const onAbort = (): void => {
        conn.destroy();
      };
      both.addEventListener('abort', onAbort, { once: true });
      let step: IteratorResult<string>;
      try {
        step = await this.lines!.next();
      } catch {
        step = { done: true, value: undefined };
      } finally {
        both.removeEventListener('abort', onAbort);
      }
      if (both.aborted) {
        this.drop();
        throw new CanceledError();
      }
      if (step.done === true) {
        this.drop(); // the member ended the stream: reopen from the last index
        continue;
      }
      if (step.value.trim() === '') continue;
      const ev = parseEvent(step.value, { status: conn.statusCode ?? 200, headers: conn.headers });
      const index = ev.node?.modifiedIndex;
      if (index !== undefined && index > this.after) this.after = index;
      if (this.oneShot) this.drop();
      if (index !== undefined && index <= this.known) continue;
      return ev;
    }
  }

  private drop(): void {
    this.conn?.destroy();
    this.conn = undefined;
    this.lines = undefined;
    this.oneShot = false;
  }

  close(): void {
    this.closer.abort();
    this.drop();
  }
}
