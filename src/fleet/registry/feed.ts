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

import type { StreamResponse } from '../../client/cluster.js';
import { CanceledError } from '../../client/errors.js';
import { readBody } from '../../client/http.js';
import { parseEtcdError, parseEvent } from '../../client/keys.js';
import type { KeysResponse } from '../../client/types.js';
import { buildURL, encodeValues } from '../../client/urls.js';
import type { Registry } from './registry.js';

export class EventFeed {
  private conn: StreamResponse | undefined;
  /** Complete lines received and not yet returned; `ended` once the connection closed. */
  private lines: string[] = [];
  private partial = '';
  private ended = false;
  private wake: (() => void) | undefined;
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
    this.lines = [];
    this.partial = '';
    this.ended = false;
    // our own line splitting: a readline iterator never settles when its input is destroyed
    conn.setEncoding('utf8');
    conn.on('data', (d: string) => {
      if (this.conn !== conn) return;
      const parts = (this.partial + d).split('\n');
      this.partial = parts.pop()!;
      for (const p of parts) this.lines.push(p);
      this.wake?.();
    });
    const end = (): void => {
      if (this.conn !== conn) return;
      this.ended = true;
      this.wake?.();
    };
    conn.on('end', end);
    conn.on('close', end);
    conn.on('error', end);
  }

  /** The next line of the open connection; undefined once it ended. */
  private async nextLine(signal: AbortSignal): Promise<string | undefined> {
    for (;;) {
      if (signal.aborted) throw new CanceledError();
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.wake = undefined;
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** The next event after the last one returned; etcd errors (401: history cleared) are thrown. */
  async next(signal: AbortSignal): Promise<KeysResponse> {
    const both = AbortSignal.any([signal, this.closer.signal]);
    for (;;) {
      if (both.aborted) throw new CanceledError();
      if (this.conn === undefined) await this.connect(both);
      const conn = this.conn!;
      let line: string | undefined;
      try {
        line = await this.nextLine(both);
      } catch (e) {
        this.drop();
        throw e;
      }
      if (line === undefined) {
        this.drop(); // the member ended the stream: reopen from the last index
        continue;
      }
      if (line.trim() === '') continue;
      const ev = parseEvent(line, { status: conn.statusCode ?? 200, headers: conn.headers });
      const index = ev.node?.modifiedIndex;
      if (index !== undefined && index > this.after) this.after = index;
      if (this.oneShot) this.drop();
      if (index !== undefined && index <= this.known) continue;
      return ev;
    }
  }

  private drop(): void {
    const conn = this.conn;
    this.conn = undefined;
    conn?.destroy();
    this.lines = [];
    this.partial = '';
    this.ended = false;
    this.oneShot = false;
  }

  close(): void {
    this.closer.abort();
    this.drop();
  }
}
