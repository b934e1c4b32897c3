// fleetctl's API driver: the fleet v1 HTTP API as fleet's generated Go client
// (google-api-go-client) calls it — `?alt=json` on every request,
// percent-encoded unit names, paging through nextPageToken, and errors shown
// as `googleapi: Error N: message`.

import http from 'node:http';
import type { ApiMachine, ApiUnit, ApiUnitState, MachinePage, UnitPage, UnitStatePage } from '../../fleet/api/schema.js';
import { encodeUnit } from '../../fleet/api/schema.js';
import { UnitNotFoundError, type FleetClient } from './client.js';
import { machineFromApi, type MachineInfo } from './format.js';

/** Where the API is: a unix socket path, or host and port over TCP. */
export type ApiTarget = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number; basePath: string; origin: string };

/** googleapi.Error as the Go client prints it. */
export class GoogleApiError extends Error {
  constructor(
    readonly code: number,
    readonly apiMessage: string,
    readonly body: string,
  ) {
    super(apiMessage !== '' ? `googleapi: Error ${code}: ${apiMessage}` : `googleapi: got HTTP response code ${code} with body: ${body}`);
  }
}

/** Go's url.QueryEscape, which the generated client uses for path parameters. */
export function goQueryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** A Node socket error in Go's words (`dial unix /p: connect: no such file or directory`). */
function dialError(target: ApiTarget, e: NodeJS.ErrnoException): string {
  const why: Record<string, string> = {
    ENOENT: 'no such file or directory',
    ECONNREFUSED: 'connection refused',
    EACCES: 'permission denied',
    ECONNRESET: 'connection reset by peer',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'no route to host',
    ENETUNREACH: 'network is unreachable',
  };
  const reason = (e.code !== undefined ? why[e.code] : undefined) ?? e.message;
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE') return reason === 'connection reset by peer' ? 'EOF' : reason;
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return `dial tcp: lookup ${(target as { host: string }).host}: no such host`;
  return target.kind === 'unix' ? `dial unix ${target.path}: connect: ${reason}` : `dial tcp ${target.host}:${target.port}: getsockopt: ${reason}`;
}

interface Reply {
  status: number;
  body: string;
}

export class HttpFleetClient implements FleetClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  constructor(private readonly target: ApiTarget) {}

  /** The URL as the Go client builds it (and shows it in errors). */
  private url(path: string): string {
    return this.target.kind === 'unix' ? `http://domain-sock/fleet/v1/${path}` : `${this.target.origin}${this.target.basePath}/fleet/v1/${path}`;
  }

  private request(method: string, path: string, body?: string, rawPath?: string): Promise<Reply> {
    const t = this.target;
    const url = rawPath === undefined ? this.url(path) : `http://${t.kind === 'unix' ? 'domain-sock' : t.origin.slice(7)}${rawPath}`;
    const goMethod = method[0] + method.slice(1).toLowerCase();
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'User-Agent': 'google-api-go-client/0.5', 'Accept-Encoding': 'identity' };
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(Buffer.byteLength(body));
      }
      const opts: http.RequestOptions =
        t.kind === 'unix'
          ? { socketPath: t.path, path: rawPath ?? `/fleet/v1/${path}`, method, headers: { ...headers, Host: 'domain-sock' }, agent: this.agent }
          : { host: t.host, port: t.port, path: rawPath ?? `${t.basePath}/fleet/v1/${path}`, method, headers, agent: this.agent };
      const req = http.request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => reject(new Error(`${goMethod} ${url}: ${e.message}`)));
      });
      req.on('error', (e: NodeJS.ErrnoException) => reject(new Error(`${goMethod} ${url}: ${dialError(t, e)}`)));
      req.end(body);
    });
  }

  /** googleapi.CheckResponse: 2xx passes; an error body becomes a GoogleApiError. */
  private check(r: Reply): void {
    if (r.status >= 200 && r.status <= 299) return;
    let code = r.status;
    let message = '';
    try {
      const parsed = JSON.parse(r.body) as { error?: { code?: number; message?: string } | null };
      if (parsed.error !== undefined && parsed.error !== null && typeof parsed.error === 'object') {
        if (typeof parsed.error.code === 'number' && parsed.error.code !== 0) code = parsed.error.code;
        message = typeof parsed.error.message === 'string' ? parsed.error.message : '';
      }
    } catch {
      // not JSON: shown with its body
    }
    throw new GoogleApiError(code, message, r.body);
  }

  private async getJson<T>(path: string): Promise<T> {
    const r = await this.request('GET', path);
    this.check(r);
    return JSON.parse(r.body) as T;
  }

  /** Follows nextPageToken until the server stops returning one. */
  private async pages<P extends { nextPageToken?: string }, I>(collection: string, items: (p: P) => I[] | undefined): Promise<I[]> {
    const all: I[] = [];
    let token: string | undefined;
    for (;;) {
      const q = token === undefined ? 'alt=json' : `alt=json&nextPageToken=${goQueryEscape(token)}`;
      const page = await this.getJson<P>(`${collection}?${q}`);
      all.push(...(items(page) ?? []));
      if (page.nextPageToken === undefined || page.nextPageToken === '') return all;
      token = page.nextPageToken;
    }
  }

  async machines(): Promise<MachineInfo[]> {
    const ms = await this.pages<MachinePage, ApiMachine>('machines', (p) => p.machines);
    return ms.map(machineFromApi);
  }

  units(): Promise<ApiUnit[]> {
    return this.pages<UnitPage, ApiUnit>('units', (p) => p.units);
  }

  async unit(name: string): Promise<ApiUnit | null> {
    try {
      return await this.getJson<ApiUnit>(`units/${goQueryEscape(name)}?alt=json`);
    } catch (e) {
      if (e instanceof GoogleApiError && e.code === 404) return null;
      throw e;
    }
  }

  unitStates(): Promise<ApiUnitState[]> {
    return this.pages<UnitStatePage, ApiUnitState>('state', (p) => p.states);
  }

  async unitState(name: string): Promise<ApiUnitState | null> {
    try {
      return await this.getJson<ApiUnitState>(`state/${goQueryEscape(name)}?alt=json`);
    } catch (e) {
      if (e instanceof GoogleApiError && e.code === 404) return null;
      throw e;
    }
  }

  private async put(u: ApiUnit): Promise<void> {
    const r = await this.request('PUT', `units/${goQueryEscape(u.name ?? '')}?alt=json`, JSON.stringify(encodeUnit(u)) + '\n');
    this.check(r);
  }

  createUnit(u: ApiUnit): Promise<void> {
    return this.put(u);
  }

  setUnitTargetState(name: string, target: string): Promise<void> {
    return this.put({ desiredState: target, name });
  }

  async destroyUnit(name: string): Promise<void> {
    const r = await this.request('DELETE', `units/${goQueryEscape(name)}?alt=json`);
    try {
      this.check(r);
    } catch (e) {
      if (e instanceof GoogleApiError && e.code === 404) throw new UnitNotFoundError(e.message);
      throw e;
    }
  }

  /** coracle's extension route (outside /fleet/v1): `{"url":"http://ip:port"}`, 404 when the machine has none. */
  async agentURL(machineID: string): Promise<string | null> {
    const t = this.target;
    const p = `/coracle/v1/machines/${goQueryEscape(machineID)}/agent`;
    const r = await this.request('GET', '', undefined, t.kind === 'unix' ? p : `${t.basePath}${p}`);
    if (r.status === 404) return null;
    this.check(r);
    const url = (JSON.parse(r.body) as { url?: unknown }).url;
    return typeof url === 'string' ? url : null;
  }

  close(): void {
    this.agent.destroy();
  }
}
