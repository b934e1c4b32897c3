// Watches: long polls (`wait=true`) that resume from the last event's
// modifiedIndex + 1, retry when a member ends the poll with an empty 200, and
// fail over between endpoints like any request. With `stream: true` one
// connection carries many events (one JSON object per line) and is reopened
// from the last index when it ends.

import { createInterface } from 'node:readline';
import type { CallOptions, Client, StreamResponse } from './cluster.js';
import { CanceledError, EmptyBodyError } from './errors.js';
import { parseEtcdError, parseEvent, parseKeysResponse } from './keys.js';
import { readBody } from './http.js';
import type { KeysResponse } from './types.js';
import { buildURL, encodeValues } from './urls.js';

export interface WatcherOptions {
  /** Only events after this index (waitIndex = afterIndex + 1); 0 = from now. */
  afterIndex?: number;
  recursive?: boolean;
  /** Keep one streamed connection open instead of one request per event. */
  stream?: boolean;
}

export class Watcher implements AsyncIterable<KeysResponse> {
  private waitIndex: number;
  private readonly queue: KeysResponse[] = [];
  private conn: StreamResponse | undefined;
  private lines: AsyncIterator<string> | undefined;
  private readonly closer = new AbortController();

  constructor(
    private readonly client: Client,
    private readonly path: string,
    private readonly opts: WatcherOptions,
  ) {
    this.waitIndex = opts.afterIndex !== undefined && opts.afterIndex > 0 ? opts.afterIndex + 1 : 0;
  }

  /** The index the next request waits from (0: the member's current index + 1). */
  get nextIndex(): number {
    return this.waitIndex;
  }

  private url(ep: URL): URL {
    const q = new Map([
      ['wait', 'true'],
      ['waitIndex', String(this.waitIndex)],
      ['recursive', String(this.opts.recursive === true)],
    ]);
    if (this.opts.stream === true) q.set('stream', 'true');
    return buildURL(ep, this.path, encodeValues(q));
  }

  /** The next event; errors (e.g. 401 history cleared) are thrown as EtcdError. */
  async next(call: Omit<CallOptions, 'timeout'> = {}): Promise<KeysResponse> {
    const signal = anySignal(call.signal, this.closer.signal);
    const ev = this.opts.stream === true ? await this.nextStreamed(signal) : await this.nextPolled(signal);
    if (ev.node?.modifiedIndex !== undefined) this.waitIndex = ev.node.modifiedIndex + 1;
    return ev;
  }

  private async nextPolled(signal: AbortSignal): Promise<KeysResponse> {
    for (;;) {
      const res = await this.client.do((ep) => ({ method: 'GET', url: this.url(ep) }), { signal, wait: true });
      try {
        return parseKeysResponse(res);
      } catch (e) {
        if (e instanceof EmptyBodyError) continue; // the member closed an idle poll
        throw e;
      }
    }
  }

  private async nextStreamed(signal: AbortSignal): Promise<KeysResponse> {
    for (;;) {
      const queued = this.queue.shift();
      if (queued !== undefined) return queued;
      if (this.conn === undefined || this.lines === undefined) {
        if (signal.aborted) throw new CanceledError();
        const conn = await this.client.openStream((ep) => ({ method: 'GET', url: this.url(ep) }), signal).catch((e: unknown) => {
          throw signal.aborted ? new CanceledError() : e;
        });
        const status = conn.statusCode ?? 0;
        if (status !== 200 && status !== 201) throw parseEtcdError(await readBody(conn, signal));
        this.conn = conn;
        this.lines = createInterface({ input: conn, crlfDelay: Infinity })[Symbol.asyncIterator]();
      }
      const conn = this.conn;
      const onAbort = (): void => {
        conn.destroy();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let step: IteratorResult<string>;
      try {
        step = await this.lines.next();
      } catch {
        step = { done: true, value: undefined };
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      if (signal.aborted) {
        this.drop();
        throw new CanceledError();
      }
      if (step.done === true) {
        this.drop(); // reopen from the last index
        continue;
      }
      if (step.value.trim() === '') continue;
      this.queue.push(parseEvent(step.value, { status: conn.statusCode ?? 200, headers: conn.headers }));
    }
  }

  private drop(): void {
    this.conn?.destroy();
    this.conn = undefined;
    this.lines = undefined;
  }

  /** Ends any open poll or stream; pending next() calls reject with CanceledError. */
  close(): void {
    this.closer.abort();
    this.drop();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<KeysResponse> {
    for (;;) yield await this.next();
  }
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a === undefined ? b : AbortSignal.any([a, b]);
}
