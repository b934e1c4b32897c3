// A minimal HTTP/1.1 client for the load generator: one keep-alive TCP
// connection, one request in flight at a time (HTTP/1.1 has no multiplexing
// and pipelining is not used), requests given as ready-made bytes. It does
// far less work per request than node:http, so the generator stays a small
// share of a machine it shares with the servers it measures.
//
// Understands Content-Length and chunked bodies and `Connection: close`;
// anything else (a body delimited by the connection closing) is an error.

import net from 'node:net';

export interface Response {
  status: number;
  body: Buffer;
  /** The server asked to close the connection after this response. */
  close: boolean;
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

type State =
  | { kind: 'head' }
  | { kind: 'length'; status: number; close: boolean; remaining: number; chunks: Buffer[] }
  | { kind: 'chunk-size'; status: number; close: boolean; chunks: Buffer[] }
  | { kind: 'chunk-data'; status: number; close: boolean; remaining: number; chunks: Buffer[] }
  | { kind: 'trailers'; status: number; close: boolean; chunks: Buffer[] };

export class ParseError extends Error {}

/** Incremental response parser: push bytes, get the responses they complete. */
export class ResponseParser {
  private buf: Buffer = EMPTY;
  private state: State = { kind: 'head' };
  /** The request that the next response answers was a HEAD (no body). */
  headRequest = false;

  /** True when no partial response is buffered. */
  get idle(): boolean {
    return this.state.kind === 'head' && this.buf.length === 0;
  }

  push(chunk: Buffer): Response[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Response[] = [];
    for (;;) {
      const r = this.step();
      if (r === undefined) break;
      if (r !== null) out.push(r);
    }
    return out;
  }

  /** One parsing step: a response, null (progress, nothing complete), or undefined (needs more bytes). */
  private step(): Response | null | undefined {
    const st = this.state;
    switch (st.kind) {
      case 'head': {
        const end = this.buf.indexOf(HEAD_END);
        if (end < 0) {
          if (this.buf.length > 65536) throw new ParseError('response header larger than 64 KiB');
          return undefined;
        }
        const head = this.buf.toString('latin1', 0, end);
        this.buf = this.buf.subarray(end + 4);
        const lines = head.split('\r\n');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
        if (!m) throw new ParseError(`bad status line ${JSON.stringify(lines[0]!.slice(0, 80))}`);
        const status = Number(m[1]);
        let length = -1;
        let chunked = false;
        let close = lines[0]!.startsWith('HTTP/1.0');
        for (let i = 1; i < lines.length; i++) {
          const line = lines[i]!;
          const colon = line.indexOf(':');
          if (colon < 0) continue;
          const name = line.slice(0, colon).trim().toLowerCase();
          const value = line.slice(colon + 1).trim();
          if (name === 'content-length') length = Number(value);
          else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
          else if (name === 'connection') {
            const v = value.toLowerCase();
            if (v.includes('close')) close = true;
            else if (v.includes('keep-alive')) close = false;
          }
        }
        const noBody = this.headRequest || status === 204 || status === 304 || (status >= 100 && status < 200);
        this.headRequest = false;
        if (status >= 100 && status < 200) return null; // interim response (100 Continue)
        if (noBody) return this.done({ status, body: EMPTY, close });
        if (chunked) {
          this.state = { kind: 'chunk-size', status, close, chunks: [] };
          return null;
        }
        if (length < 0 || !Number.isFinite(length)) throw new ParseError(`response ${status} has neither Content-Length nor chunked encoding`);
        this.state = { kind: 'length', status, close, remaining: length, chunks: [] };
        return null;
      }
      case 'length': {
        if (!this.takeBody(st)) return undefined;
        return this.done({ status: st.status, body: join(st.chunks), close: st.close });
      }
      case 'chunk-size': {
        const eol = this.buf.indexOf(CRLF);
        if (eol < 0) return undefined;
        const size = parseInt(this.buf.toString('latin1', 0, eol).split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0) throw new ParseError('bad chunk size');
        this.buf = this.buf.subarray(eol + 2);
        this.state = size === 0 ? { kind: 'trailers', status: st.status, close: st.close, chunks: st.chunks } : { kind: 'chunk-data', status: st.status, close: st.close, remaining: size, chunks: st.chunks };
        return null;
      }
      case 'chunk-data': {
        if (!this.takeBody(st)) return undefined;
        if (this.buf.length < 2) return undefined;
        this.buf = this.buf.subarray(2); // the CRLF after the chunk
        this.state = { kind: 'chunk-size', status: st.status, close: st.close, chunks: st.chunks };
        return null;
      }
      case 'trailers': {
        const eol = this.buf.indexOf(CRLF);
        if (eol < 0) return undefined;
        this.buf = this.buf.subarray(eol + 2);
        if (eol > 0) return null; // a trailer line
        return this.done({ status: st.status, body: join(st.chunks), close: st.close });
      }
    }
  }

  /** Move up to `remaining` buffered body bytes into the chunks; true once none remain. */
  private takeBody(st: { remaining: number; chunks: Buffer[] }): boolean {
    const take = Math.min(st.remaining, this.buf.length);
    if (take > 0) {
      st.chunks.push(this.buf.subarray(0, take));
      this.buf = this.buf.subarray(take);
      st.remaining -= take;
    }
    return st.remaining === 0;
  }

  private done(r: Response): Response {
    this.state = { kind: 'head' };
    return r;
  }
}

function join(chunks: Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** One keep-alive connection to host:port; reconnects when the server closed it. */
export class Http1Conn {
  private socket: net.Socket | undefined;
  private parser = new ResponseParser();
  private pending: { resolve(r: Response): void; reject(e: Error): void } | undefined;
  /** performance.now() when the request in flight was sent; undefined when idle. */
  sentAt: number | undefined;
  /** Connections opened so far (1 for a connection that never had to reconnect). */
  dials = 0;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly localAddress?: string,
  ) {}

  /** Sends one request (complete bytes) and resolves with its response. */
  request(bytes: Buffer | string, now: number): Promise<Response> {
    if (this.pending) return Promise.reject(new Error('a request is already in flight on this connection'));
    const socket = this.socket ?? this.dial();
    this.sentAt = now;
    return new Promise<Response>((resolve, reject) => {
      this.pending = { resolve, reject };
      socket.write(bytes);
    });
  }

  /** Fails the request in flight (and drops the connection) if it was sent before `deadline`. */
  expire(deadline: number, text: string): void {
    if (this.pending && this.sentAt !== undefined && this.sentAt < deadline) this.drop(new Error(text));
  }

  close(): void {
    this.drop(new Error('connection closed by the benchmark'));
  }

  private dial(): net.Socket {
    this.dials++;
    const s = net.connect({ host: this.host, port: this.port, localAddress: this.localAddress, noDelay: true });
    this.parser = new ResponseParser();
    s.on('data', (chunk: Buffer) => {
      if (this.socket !== s) return;
      let responses: Response[];
      try {
        responses = this.parser.push(chunk);
      } catch (err) {
        this.drop(err as Error);
        return;
      }
      for (const r of responses) {
        const p = this.pending;
        if (!p) {
          this.drop(new Error('response without a request'));
          return;
        }
        this.pending = undefined;
        this.sentAt = undefined;
        if (r.close) this.drop(undefined);
        p.resolve(r);
      }
    });
    s.on('error', (err) => {
      if (this.socket === s) this.drop(err);
    });
    s.on('close', () => {
      if (this.socket === s) this.drop(new Error('connection closed before the response'));
    });
    this.socket = s;
    return s;
  }

  private drop(err: Error | undefined): void {
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
    const p = this.pending;
    this.pending = undefined;
    this.sentAt = undefined;
    if (p) p.reject(err ?? new Error('connection closed'));
  }
}
