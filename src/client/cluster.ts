// The cluster client: a list of endpoints, one pinned; each request goes to the
// pinned endpoint first and on a connection error, header timeout or 5xx moves
// on to the next (the Go client's rules). Anything else a member answers is
// the answer. Non-idempotent requests ("one-shot") are never retried elsewhere.

import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { type Agents, newAgents, open, readBody, type Request } from './http.js';
import {
  CanceledError,
  ClusterError,
  DeadlineExceededError,
  NoEndpointsError,
} from './errors.js';
import { listMembers } from './members.js';
import { endpointString, parseEndpoint } from './urls.js';

export interface ClientOptions {
  endpoints: readonly string[];
  /** Milliseconds for each request's response headers (etcdctl --timeout); 0 = none. Watches are exempt. */
  headerTimeoutPerRequest?: number;
  /** Default milliseconds for a whole call across all endpoints (etcdctl --total-timeout); 0/undefined = none. */
  totalTimeout?: number;
  /** Bind outgoing sockets to this local address. */
  localAddress?: string;
  /** Basic auth for v2 auth-enabled clusters. */
  username?: string;
  password?: string;
  /** Called with each request just before it is sent (etcdctl --debug prints it as curl). */
  onRequest?: (req: Request) => void;
  /** Shuffle endpoints on set/sync to spread load, as the Go client does (default true). */
  shuffle?: boolean;
}

/** Per-call controls: an abort signal and/or a total timeout in milliseconds. */
export interface CallOptions {
  signal?: AbortSignal;
  timeout?: number;
}

/** Builds the request for a given endpoint. */
export type Action = (endpoint: URL) => Request;

/** An open response (headers in, body streaming) and the endpoint that sent it. */
export type StreamResponse = IncomingMessage & { endpoint: string };

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  endpoint: string;
}

interface DoOptions extends CallOptions {
  /** Do not retry on another endpoint (creates, deletes: not idempotent). */
  oneShot?: boolean;
  /** Long poll: no header timeout. */
  wait?: boolean;
}

export class Client {
  private eps: URL[] = [];
  private pinned = 0;
  private readonly agents: Agents = newAgents();
  readonly options: Readonly<ClientOptions>;

  constructor(options: ClientOptions) {
    this.options = { ...options };
    this.setEndpoints(options.endpoints);
  }

  endpoints(): string[] {
    return this.eps.map(endpointString);
  }

  setEndpoints(endpoints: readonly string[]): void {
    if (endpoints.length === 0) throw new NoEndpointsError();
    const parsed = endpoints.map(parseEndpoint);
    this.eps = this.options.shuffle === false ? parsed : shuffle(parsed);
    this.pinned = 0;
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /**
   * Replaces the endpoints with the client URLs the cluster publishes in
   * GET /v2/members (what etcdctl does before every command unless --no-sync).
   */
  async sync(call: CallOptions = {}): Promise<void> {
    const members = await listMembers(this, call);
    const urls = members.flatMap((m) => m.clientURLs);
    if (urls.length === 0) throw new NoEndpointsError();
    const same =
      urls.length === this.eps.length &&
      [...urls].sort().join('\n') === this.endpoints().sort().join('\n');
    if (same) return;
    this.setEndpoints(urls);
  }

  /** Sends one request, failing over across endpoints; reads the whole body. */
  async do(action: Action, opts: DoOptions = {}): Promise<RawResponse> {
    // Watches wait as long as it takes: the client's default total timeout does not apply.
    const call = opts.wait === true ? { signal: opts.signal, timeout: opts.timeout ?? Infinity } : opts;
    return this.withCall(call, async (signal) => (await this.exchange(action, opts, signal, true)) as RawResponse);
  }

  /**
   * Like do(), but resolves as soon as headers arrive and hands back the open
   * response (for streamed watches). Failover applies until headers arrive.
   */
  async openStream(action: Action, signal?: AbortSignal): Promise<StreamResponse> {
    return (await this.exchange(action, { wait: true }, signal, false)) as StreamResponse;
  }

  /**
   * Runs fn under one signal combining the caller's signal and the total
   * timeout (call.timeout, else the client's totalTimeout). An explicit
   * timeout of 0 has already expired, as Go's context.WithTimeout(0) has.
   */
  async withCall<T>(call: CallOptions, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeout = call.timeout ?? this.options.totalTimeout;
    const ctl = new AbortController();
    const onAbort = (): void => ctl.abort(new CanceledError());
    if (call.signal?.aborted) onAbort();
    call.signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    if (timeout !== undefined && timeout > 0 && Number.isFinite(timeout)) {
      timer = setTimeout(() => ctl.abort(new DeadlineExceededError()), timeout);
    } else if (timeout !== undefined && timeout <= 0 && call.timeout !== undefined) {
      // A zero total timeout has already expired (Go: context.WithTimeout(0)).
      ctl.abort(new DeadlineExceededError());
    }
    try {
      return await fn(ctl.signal);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async exchange(
    action: Action,
    opts: DoOptions,
    signal: AbortSignal | undefined,
    readWhole: boolean,
  ): Promise<RawResponse | StreamResponse> {
    const eps = [...this.eps];
    const n = eps.length;
    if (n === 0) throw new NoEndpointsError();
    const pinned = this.pinned;
    const errors: Error[] = [];
    for (let i = pinned; i < n + pinned; i++) {
      const k = i % n;
      const ep = eps[k]!;
      const epText = endpointString(ep);
      let err: Error | undefined;
      let result: RawResponse | StreamResponse | undefined;
      try {
        result = await this.followRedirects(action(ep), epText, opts, signal, readWhole);
      } catch (e) {
        if (e instanceof DeadlineExceededError || e instanceof CanceledError) throw e;
        err = e instanceof Error ? e : new Error(String(e));
        errors.push(err);
      }
      const status = result === undefined ? 0 : 'status' in result ? result.status : (result.statusCode ?? 0);
      if (result !== undefined && Math.floor(status / 100) === 5) {
        if (!readWhole && 'resume' in result) (result as IncomingMessage).destroy();
        errors.push(
          new Error(
            status === 500 || status === 503
              ? `client: etcd member ${epText} has no leader`
              : `client: etcd member ${epText} returns server error [${STATUS_CODES[status] ?? String(status)}]`,
          ),
        );
        // The Go client reports the first error of the round here.
        err = errors[0];
      }
      if (err !== undefined) {
        if (opts.oneShot !== true) continue;
        this.pinned = (k + 1) % n;
        throw err;
      }
      if (k !== pinned) this.pinned = k;
      return result!;
    }
    throw new ClusterError(errors);
  }

  private async followRedirects(
    first: Request,
    epText: string,
    opts: DoOptions,
    signal: AbortSignal | undefined,
    readWhole: boolean,
  ): Promise<RawResponse | StreamResponse> {
    let req = first;
    for (let hop = 0; ; hop++) {
      if (hop > 10) throw new Error('client: too many redirects');
      this.options.onRequest?.(req);
      const auth = this.authHeaders();
      const res = await open(
        { ...req, headers: { ...req.headers, ...auth } },
        {
          endpoint: epText,
          agents: this.agents,
          signal,
          headerTimeout: opts.wait === true ? 0 : this.options.headerTimeoutPerRequest,
          localAddress: this.options.localAddress,
        },
      );
      const status = res.statusCode ?? 0;
      if (Math.floor(status / 100) === 3) {
        const loc = res.headers.location;
        res.resume();
        if (loc === undefined || loc === '') throw new Error('location header not set');
        let next: URL;
        try {
          next = new URL(loc, req.url);
        } catch {
          throw new Error(`location header not valid URL: ${loc}`);
        }
        req = { ...req, url: next };
        continue;
      }
      if (!readWhole) return Object.assign(res, { endpoint: epText });
      const body = await readBody(res, signal);
      return { status, headers: res.headers, body, endpoint: epText };
    }
  }

  /** Basic auth when configured. */
  private authHeaders(): Record<string, string> {
    if (this.options.username === undefined || this.options.username === '') return {};
    const token = Buffer.from(`${this.options.username}:${this.options.password ?? ''}`).toString('base64');
    return { Authorization: `Basic ${token}` };
  }
}

function shuffle<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
