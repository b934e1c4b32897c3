// A client of the init's control API on <root>/run/coracle/init.sock, for
// systemctl, journalctl and other pieces (fleet's agent, cloudinit).
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

export class InitUnavailable extends Error {
  constructor(readonly socketPath: string, cause: Error) {
    super(`cannot reach the init at ${socketPath}: ${cause.message}`);
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

export function socketPathOf(root: string): string {
  return path.join(root, 'run/coracle/init.sock');
}

export class InitClient {
  constructor(readonly socketPath: string) {}

  static forRoot(root: string): InitClient {
    return new InitClient(socketPathOf(root));
  }

  request<T>(method: 'GET' | 'POST', pathname: string, body?: unknown): Promise<ApiResponse<T>> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        { socketPath: this.socketPath, method, path: pathname, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: res.statusCode ?? 0, body: (text === '' ? {} : JSON.parse(text)) as T });
            } catch (e) {
              reject(e);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', (e) => reject(new InitUnavailable(this.socketPath, e)));
      if (data) req.write(data);
      req.end();
    });
  }

  /** Reads an NDJSON stream, calling `onItem` per object; resolves when the server ends it. */
  stream<T>(pathname: string, onItem: (item: T) => void, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: this.socketPath, method: 'GET', path: pathname, ...(signal ? { signal } : {}) }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line !== '') onItem(JSON.parse(line) as T);
          }
        });
        res.on('end', () => resolve());
        res.on('error', (e) => (signal?.aborted ? resolve() : reject(e)));
      });
      req.on('error', (e) => (signal?.aborted ? resolve() : reject(new InitUnavailable(this.socketPath, e))));
      req.end();
    });
  }
}

export function unitPath(name: string, action?: string): string {
  return `/v1/units/${encodeURIComponent(name)}${action ? `/${action}` : ''}`;
}

/** The machine root a command works on: --root, else $CORACLE_ROOT, else the per-user data dir. */
export function resolveRoot(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return path.resolve(flag);
  if (env.CORACLE_ROOT) return path.resolve(env.CORACLE_ROOT);
  const data = env.XDG_DATA_HOME || path.join(env.HOME || '/root', '.local/share');
  return path.join(data, 'coracle/root');
}

/** Whether something accepts connections on the unix socket. */
export function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socketPath);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}
