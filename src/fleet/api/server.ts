// The fleet v1 HTTP API (fleet v1.0.0's api package) over coracle's fleet
// registry: /fleet/v1 (and the old /v1-alpha) units, state, machines and
// discovery, with fleet's status codes, error bodies and paging, plus
// /metrics and /health. fleetd serves it on its unix socket and optional TCP
// listeners (createFleetApiServer); tests and other hosts can mount the
// handler themselves (createFleetApiHandler).

import http from 'node:http';
import path from 'node:path';
import { isConnectionError } from '../../client/index.js';
import { isTemplateName, unitFromOptions, UnitNotFoundError, type JobState, type MachineState, type Registry, type UnitStateRecord } from '../registry/index.js';
import type { Logger } from '../../common/log.js';
import { silentLogger } from '../../common/log.js';
import { decodeMetadataOps, decodeUnit, DecodeError } from './decode.js';
import { discoveryJSON } from './discovery.js';
import { createUnit, getUnit, JobStateError, jobStateOf, listUnits, machineToApi, stateToApi } from './entities.js';
import { ListingCache, pageOf, pageTokenOf, PageTokenError } from './paging.js';
import { encodeMachine, encodeUnit, encodeUnitState, type ApiUnit } from './schema.js';
import { toUnitOptions, validateName, validateOptions } from './validate.js';

export interface FleetApiOptions {
  registry: Registry;
  /** This machine (for logs). */
  machineID?: string;
  /** token_limit: items per page (default 100, as fleet). */
  tokenLimit?: number;
  /** Shown in `Server: fleetd/<version>` (default 1.0.0). */
  version?: string;
  log?: Logger;
  /** Body size limit in bytes (default 1 MiB); larger bodies get 413. */
  maxBodyBytes?: number;
}

const PREFIXES = ['/fleet/v1', '/v1-alpha'];
const MESSAGE_503 = 'fleet server unable to communicate with etcd';

/** Go's json.Marshal output: HTML-sensitive characters escaped as \u003c etc. */
export function goJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A page entity: the items and the next token, each left out when empty (omitempty). */
function pageBody(key: string, items: unknown[], next: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (items.length > 0) out[key] = items;
  if (next !== undefined) out.nextPageToken = next;
  return out;
}

/** A failure that becomes fleet's error JSON. */
class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Counters for /metrics. */
class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, { sum: number; count: number }>();

  record(method: string, route: string, code: number, seconds: number): void {
    const k = `method="${method}",route="${route}",code="${code}"`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
    const d = this.durations.get(`method="${method}",route="${route}"`) ?? { sum: 0, count: 0 };
    d.sum += seconds;
    d.count++;
    this.durations.set(`method="${method}",route="${route}"`, d);
  }

  text(): string {
    let t = '# HELP fleet_api_requests_total Requests served by the fleet API, by method, route and status code.\n# TYPE fleet_api_requests_total counter\n';
    for (const [k, v] of [...this.requests].sort()) t += `fleet_api_requests_total{${k}} ${v}\n`;
    t += '# HELP fleet_api_request_duration_seconds Time spent answering fleet API requests.\n# TYPE fleet_api_request_duration_seconds summary\n';
    for (const [k, v] of [...this.durations].sort()) {
      t += `fleet_api_request_duration_seconds_sum{${k}} ${v.sum}\nfleet_api_request_duration_seconds_count{${k}} ${v.count}\n`;
    }
    return t;
  }
}

function readBody(req: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > max) {
        reject(new ApiError(413, `request body larger than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Go's ServeMux path cleaning (a trailing slash is kept). */
function cleanPath(p: string): string {
  if (p === '') return '/';
  const c = path.posix.normalize(p.startsWith('/') ? p : '/' + p);
  const cleaned = c.length > 1 && c.endsWith('/') ? c.slice(0, -1) : c;
  return p.endsWith('/') && cleaned !== '/' ? cleaned + '/' : cleaned;
}

/** A request's desiredState as a job state; anything else is the client's error (400). */
function requestedState(desired: string | undefined): JobState {
  try {
    return jobStateOf(desired);
  } catch (e) {
    if (e instanceof JobStateError) throw new ApiError(400, e.message);
    throw e;
  }
}

/** The handler of the whole API (also /metrics and /health). */
export function createFleetApiHandler(opts: FleetApiOptions): http.RequestListener {
  const reg = opts.registry;
  const tokenLimit = opts.tokenLimit ?? 100;
  const version = opts.version ?? '1.0.0';
  const log = opts.log ?? silentLogger;
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const metrics = new Metrics();
  // A walk through the pages of one collection reads the registry once (paging.ts).
  const LISTING_MAX_AGE_MS = 5000;
  const unitListing = new ListingCache<ApiUnit>(LISTING_MAX_AGE_MS);
  const stateListing = new ListingCache<UnitStateRecord>(LISTING_MAX_AGE_MS);
  const machineListing = new ListingCache<MachineState>(LISTING_MAX_AGE_MS);
  const wrote = (): void => {
    unitListing.drop();
    stateListing.drop();
    machineListing.drop();
  };

  const send = (res: http.ServerResponse, code: number, body?: unknown): void => {
    if (body === undefined) {
      res.writeHead(code, { 'Content-Length': '0' });
      res.end();
      return;
    }
    const text = goJson(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': String(code === 204 ? 0 : Buffer.byteLength(text)) });
    res.end(code === 204 ? undefined : text);
  };
  const sendError = (res: http.ServerResponse, code: number, message = ''): void => send(res, code, { error: { code, message } });

  /** A registry failure: 503 when etcd cannot be reached (as fleet's unavailable handler), else 500 with no message. */
  const registryFailure = (what: string, e: unknown): ApiError => {
    if (e instanceof ApiError) return e;
    if (isConnectionError(e)) return new ApiError(503, MESSAGE_503);
    log.error(`failed ${what}`, { error: (e as Error).message });
    return new ApiError(500, '');
  };
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw registryFailure(what, e);
    }
  };

  const page = (url: URL): ReturnType<typeof pageTokenOf> => {
    try {
      return pageTokenOf(url.searchParams.getAll('nextPageToken'), tokenLimit);
    } catch (e) {
      if (e instanceof PageTokenError) throw new ApiError(400, e.message);
      throw e;
    }
  };

  const units = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, item: string | undefined): Promise<void> => {
    if (item === undefined) {
      if (req.method !== 'GET') throw new ApiError(405, 'only GET supported against this resource');
      const tok = page(url);
      const all = await guard('fetching page of Units', () => unitListing.listing(tok.page, () => listUnits(reg)));
      const p = pageOf(all, tok);
      send(res, 200, pageBody('units', p.items.map(encodeUnit), p.next));
      return;
    }
    switch (req.method) {
      case 'GET': {
        const u = await guard(`fetching Unit(${item})`, () => getUnit(reg, item));
        if (u === null) throw new ApiError(404, 'unit does not exist');
        send(res, 200, encodeUnit(u));
        return;
      }
      case 'DELETE': {
        const u = await guard(`fetching Unit(${item})`, () => getUnit(reg, item));
        if (u === null) throw new ApiError(404, 'unit does not exist');
        try {
          await reg.destroyUnit(item);
        } catch (e) {
          if (e instanceof UnitNotFoundError) throw new ApiError(404, 'unit does not exist');
          throw registryFailure(`destroying Unit(${item})`, e);
        }
        log.info('unit destroyed', { unit: item });
        send(res, 204);
        return;
      }
      case 'PUT':
        await setUnit(req, res, item);
        return;
      default:
        throw new ApiError(405, 'only GET, PUT and DELETE supported against this resource');
    }
  };

  const setUnit = async (req: http.IncomingMessage, res: http.ServerResponse, item: string): Promise<void> => {
    const types = req.headersDistinct['content-type'] ?? [];
    if (types.length !== 1) throw new ApiError(415, `expected 1 Content-Type, got ${types.length}`);
    if (types[0]!.split(';')[0]!.trim() !== 'application/json') throw new ApiError(415, 'only acceptable Content-Type is application/json');
    const body = await readBody(req, maxBody);
    let su: ApiUnit;
    try {
      su = decodeUnit(body);
    } catch (e) {
      if (e instanceof DecodeError) throw new ApiError(400, `unable to decode body: ${e.message}`);
      throw e;
    }
    const name = su.name === undefined || su.name === '' ? item : su.name;
    if (name !== item) throw new ApiError(400, `name in URL ${JSON.stringify(item)} differs from unit name in request body ${JSON.stringify(name)}`);
    const badName = validateName(name);
    if (badName !== null) throw new ApiError(400, badName);
    const existing = await guard(`fetching Unit(${name})`, () => reg.unit(name));
    const options = toUnitOptions(su.options ?? []);
    let create = false;
    if (existing === undefined) {
      if (options.length === 0) throw new ApiError(409, 'unit does not exist and options field empty');
      const bad = validateOptions(options);
      if (bad !== null) throw new ApiError(400, bad);
      create = true;
    } else if (options.length > 0) {
      // New options whose hash differs make a new version of the unit. fleet
      // v1.0.0 skipped validation here; coracle checks new versions too.
      create = unitFromOptions(options).hash !== existing.hash;
      const bad = create ? validateOptions(options) : null;
      if (bad !== null) throw new ApiError(400, bad);
    }
    if (create) {
      const state = requestedState(su.desiredState);
      await guard(`creating Unit(${name})`, () => createUnit(reg, { name, options: su.options ?? [], desiredState: state }));
      log.info('unit created', { unit: name, desiredState: state });
      send(res, 201);
      return;
    }
    if (su.desiredState === undefined || su.desiredState === '') throw new ApiError(409, 'must provide DesiredState to update existing unit');
    if (isTemplateName(name) && su.desiredState !== 'inactive') throw new ApiError(400, `cannot activate template ${JSON.stringify(name)}`);
    // fleet v1.0.0 stores any string here; coracle refuses what the engine cannot act on.
    const state = requestedState(su.desiredState);
    await guard(`setting target state of Unit(${name})`, () => reg.setTargetState(name, state));
    log.info('unit target state set', { unit: name, desiredState: state });
    send(res, 204);
  };

  const state = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, item: string | undefined): Promise<void> => {
    if (req.method !== 'GET') throw new ApiError(405, 'only GET supported against this resource');
    if (item === undefined) {
      const tok = page(url);
      const machineID = url.searchParams.get('machineID') ?? '';
      const unitName = url.searchParams.get('unitName') ?? '';
      const all = (await guard('fetching page of UnitStates', () => stateListing.listing(tok.page, () => reg.unitStates()))).filter(
        (s) => (machineID === '' || s.machineID === machineID) && (unitName === '' || s.name === unitName),
      );
      const p = pageOf(all, tok);
      send(res, 200, pageBody('states', p.items.map((s) => encodeUnitState(stateToApi(s))), p.next));
      return;
    }
    const states = await guard(`fetching UnitState(${item})`, () => reg.unitStatesOf(item));
    // Never 404 here: fleetctl v1.0.0 dereferences the state it gets for a 404
    // and crashes; on a 500 it retries until the unit reports a state.
    if (states[0] === undefined) throw new ApiError(500, 'unit state does not exist');
    send(res, 200, encodeUnitState(stateToApi(states[0])));
  };

  const metadataPath = /^\/([^/]+)\/metadata\/([A-Za-z0-9_.-]+)$/;
  const machines = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    if (req.method === 'GET') {
      const tok = page(url);
      const all = await guard('fetching page of Machines', () => machineListing.listing(tok.page, () => reg.machines()));
      const p = pageOf(all, tok);
      send(res, 200, pageBody('machines', p.items.map((m) => encodeMachine(machineToApi(m))), p.next));
      return;
    }
    if (req.method !== 'PATCH') throw new ApiError(405, 'only GET and PATCH supported against this resource');
    let ops;
    try {
      ops = decodeMetadataOps(await readBody(req, maxBody));
    } catch (e) {
      if (e instanceof DecodeError) throw new ApiError(400, e.message);
      throw e;
    }
    for (const op of ops) {
      if (op.op !== 'add' && op.op !== 'remove' && op.op !== 'replace') throw new ApiError(400, 'invalid op: expect add, remove, or replace');
      if (!metadataPath.test(op.path)) throw new ApiError(400, 'machine metadata path invalid');
      if (op.op !== 'remove' && op.value === '') throw new ApiError(400, 'invalid value: add and replace require a value');
    }
    for (const op of ops) {
      const [, machID, key] = metadataPath.exec(op.path)!;
      try {
        if (op.op === 'remove') await reg.deleteMachineMetadata(machID!, key!);
        else await reg.setMachineMetadata(machID!, key!, op.value);
      } catch (e) {
        if (isConnectionError(e)) throw new ApiError(503, MESSAGE_503);
        throw new ApiError(500, (e as Error).message);
      }
      log.info('machine metadata changed', { machine: machID, key, op: op.op });
    }
    send(res, 204, null);
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, p: string): Promise<string> => {
    if (p === '/metrics') {
      const text = metrics.text();
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Length': String(Buffer.byteLength(text)) });
      res.end(text);
      return 'metrics';
    }
    if (p === '/health') {
      const ok = await reg.machines().then(
        () => true,
        () => false,
      );
      send(res, ok ? 200 : 503, { health: ok ? 'true' : 'false' });
      return 'health';
    }
    const agent = /^\/coracle\/v1\/machines\/([^/]+)\/agent$/.exec(p);
    if (agent !== null) {
      // coracle: where a machine's fleet agent serves status and journal (fleetctl's replacement for SSH).
      if (req.method !== 'GET') throw new ApiError(405, 'only GET supported against this resource');
      const url_ = await guard('fetching agent endpoint', () => reg.agentEndpoint(agent[1]!));
      if (url_ === undefined) throw new ApiError(404, 'machine has no fleet agent endpoint');
      send(res, 200, { url: url_ });
      return 'agent';
    }
    for (const prefix of PREFIXES) {
      if (p === prefix) throw new ApiError(405, '');
      if (!p.startsWith(prefix + '/')) continue;
      const rest = p.slice(prefix.length + 1);
      if (rest === 'discovery') {
        if (req.method !== 'GET') throw new ApiError(400, 'only HTTP GET supported against this resource');
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(discoveryJSON)) });
        res.end(discoveryJSON);
        return 'discovery';
      }
      if (rest === 'machines') {
        await machines(req, res, url);
        return 'machines';
      }
      for (const [name, handler] of [
        ['units', units],
        ['state', state],
      ] as const) {
        if (rest === name) {
          await handler(req, res, url, undefined);
          return name;
        }
        if (rest.startsWith(name + '/')) {
          const item = rest.slice(name.length + 1);
          // fleet's isItemPath: exactly one non-empty segment (path.Match base/*), no trailing slash.
          if (item === '' || item.includes('/')) throw new ApiError(404, '');
          await handler(req, res, url, item);
          return `${name}/{name}`;
        }
      }
    }
    throw new ApiError(p === '/' ? 405 : 404, '');
  };

  return (req, res) => {
    log.debug('HTTP request', { method: req.method, url: req.url });
    const started = process.hrtime.bigint();
    res.setHeader('Server', `fleetd/${version}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') wrote();
    let route_ = 'other';
    res.on('finish', () => metrics.record(req.method ?? '', route_, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
    const url = new URL(req.url ?? '/', 'http://fleet');
    let p: string;
    try {
      p = decodeURIComponent(url.pathname);
    } catch {
      sendError(res, 400, 'invalid URL escape');
      return;
    }
    const cleaned = cleanPath(p);
    if (cleaned !== p) {
      res.writeHead(301, { Location: cleaned + url.search, 'Content-Length': '0' });
      res.end();
      return;
    }
    route(req, res, url, p).then(
      (r) => {
        route_ = r;
      },
      (e: unknown) => {
        const err = e instanceof ApiError ? e : registryFailure(`${req.method} ${p}`, e);
        if (!res.headersSent) sendError(res, err.code, err.message);
        else res.destroy();
      },
    );
  };
}

/** An HTTP server running the API, not listening yet (fleetd listens it on its sockets). */
export function createFleetApiServer(opts: FleetApiOptions): http.Server {
  const server = http.createServer(createFleetApiHandler(opts));
  server.keepAliveTimeout = 30_000;
  return server;
}
