// The v2 keys API: get/set/create/createInOrder/update/delete and watchers.
// Requests are built exactly as the Go client builds them (same query/form
// split, same parameter order) so servers see identical bytes.

import type { CallOptions, Client, RawResponse } from './cluster.js';
import type { Request } from './http.js';
import { EmptyBodyError, EtcdError, InvalidJSONError } from './errors.js';
import type { KeysResponse, Node } from './types.js';
import { buildURL, encodeValues } from './urls.js';
import { Watcher, type WatcherOptions } from './watcher.js';

export const KEYS_PREFIX = '/v2/keys';

export interface GetOptions extends CallOptions {
  recursive?: boolean;
  sorted?: boolean;
  /** Linearizable read through the leader's log. */
  quorum?: boolean;
}

export interface SetOptions extends CallOptions {
  /** Seconds; sent only when > 0. */
  ttl?: number;
  /** Renew the TTL without changing the value or notifying watchers (needs ttl). */
  refresh?: boolean;
  dir?: boolean;
  prevValue?: string;
  /** 0 means "no check". */
  prevIndex?: number;
  /** true: must exist (update); false: must not exist (create); undefined: either. */
  prevExist?: boolean;
  noValueOnSuccess?: boolean;
}

export interface CreateInOrderOptions extends CallOptions {
  ttl?: number;
}

export interface DeleteOptions extends CallOptions {
  prevValue?: string;
  prevIndex?: number;
  dir?: boolean;
  recursive?: boolean;
}

const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded' };

export class KeysAPI {
  constructor(
    readonly client: Client,
    readonly prefix: string = KEYS_PREFIX,
  ) {}

  async get(key: string, opts: GetOptions = {}): Promise<KeysResponse> {
    const q = new Map([
      ['recursive', String(opts.recursive === true)],
      ['sorted', String(opts.sorted === true)],
      ['quorum', String(opts.quorum === true)],
    ]);
    const res = await this.client.do((ep) => ({ method: 'GET', url: buildURL(ep, this.prefix + slash(key), encodeValues(q)) }), opts);
    return parseKeysResponse(res);
  }

  async set(key: string, value: string, opts: SetOptions = {}): Promise<KeysResponse> {
    const build = (ep: URL): Request => {
      const q = new Map<string, string>();
      const form = new Map<string, string>();
      if (opts.dir === true) q.set('dir', 'true');
      else {
        if (opts.prevValue !== undefined && opts.prevValue !== '') q.set('prevValue', opts.prevValue);
        form.set('value', value);
      }
      if (opts.prevIndex !== undefined && opts.prevIndex !== 0) q.set('prevIndex', String(opts.prevIndex));
      if (opts.prevExist !== undefined) q.set('prevExist', String(opts.prevExist));
      if (opts.ttl !== undefined && opts.ttl > 0) form.set('ttl', String(Math.floor(opts.ttl)));
      if (opts.refresh === true) form.set('refresh', 'true');
      if (opts.noValueOnSuccess === true) q.set('noValueOnSuccess', 'true');
      return { method: 'PUT', url: buildURL(ep, this.prefix + slash(key), encodeValues(q)), headers: formHeaders, body: encodeValues(form) };
    };
    // A create must not be retried on another member: it may have succeeded.
    const res = await this.client.do(build, { ...opts, oneShot: opts.prevExist === false });
    return parseKeysResponse(res);
  }

  /** Creates a key that must not exist yet (prevExist=false). */
  create(key: string, value: string, opts: Omit<SetOptions, 'prevExist'> = {}): Promise<KeysResponse> {
    return this.set(key, value, { ...opts, prevExist: false });
  }

  /** Replaces the value of a key that must exist (prevExist=true). */
  update(key: string, value: string, opts: Omit<SetOptions, 'prevExist'> = {}): Promise<KeysResponse> {
    return this.set(key, value, { ...opts, prevExist: true });
  }

  /** POSTs a value under dir; etcd names the new key after its index. */
  async createInOrder(dir: string, value: string, opts: CreateInOrderOptions = {}): Promise<KeysResponse> {
    const build = (ep: URL): Request => {
      const form = new Map([['value', value]]);
      if (opts.ttl !== undefined && opts.ttl > 0) form.set('ttl', String(Math.floor(opts.ttl)));
      return { method: 'POST', url: buildURL(ep, this.prefix + slash(dir)), headers: formHeaders, body: encodeValues(form) };
    };
    return parseKeysResponse(await this.client.do(build, opts));
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<KeysResponse> {
    const q = new Map<string, string>();
    if (opts.prevValue !== undefined && opts.prevValue !== '') q.set('prevValue', opts.prevValue);
    if (opts.prevIndex !== undefined && opts.prevIndex !== 0) q.set('prevIndex', String(opts.prevIndex));
    if (opts.dir === true) q.set('dir', 'true');
    if (opts.recursive === true) q.set('recursive', 'true');
    const res = await this.client.do(
      (ep) => ({ method: 'DELETE', url: buildURL(ep, this.prefix + slash(key), encodeValues(q)), headers: formHeaders }),
      { ...opts, oneShot: true },
    );
    return parseKeysResponse(res);
  }

  /** A watcher on key; call next() for each event, or iterate it. */
  watcher(key: string, opts: WatcherOptions = {}): Watcher {
    return new Watcher(this.client, this.prefix + slash(key), opts);
  }
}

function slash(key: string): string {
  return key !== '' && !key.startsWith('/') ? '/' + key : key;
}

function header(res: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function optionalNumber(v: string | undefined): number | undefined {
  return v === undefined || v === '' ? undefined : Number(v);
}

/** 200/201 → the event; anything else → the etcd error in the body. */
export function parseKeysResponse(res: RawResponse): KeysResponse {
  if (res.status !== 200 && res.status !== 201) throw parseEtcdError(res.body);
  if (res.body.length === 0) throw new EmptyBodyError();
  return parseEvent(res.body.toString('utf8'), res);
}

/** One event body plus the response headers. */
export function parseEvent(text: string, res: { status: number; headers: Record<string, string | string[] | undefined> }): KeysResponse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InvalidJSONError();
  }
  if (typeof raw !== 'object' || raw === null) throw new InvalidJSONError();
  const o = raw as Record<string, unknown>;
  const out: KeysResponse = {
    action: typeof o.action === 'string' ? o.action : '',
    index: optionalNumber(header(res, 'X-Etcd-Index')) ?? 0,
    clusterId: header(res, 'X-Etcd-Cluster-Id') ?? '',
    status: res.status,
  };
  const node = toNode(o.node);
  if (node !== undefined) out.node = node;
  const prev = toNode(o.prevNode);
  if (prev !== undefined) out.prevNode = prev;
  const ri = optionalNumber(header(res, 'X-Raft-Index'));
  if (ri !== undefined) out.raftIndex = ri;
  const rt = optionalNumber(header(res, 'X-Raft-Term'));
  if (rt !== undefined) out.raftTerm = rt;
  return out;
}

/** Keeps only the fields etcd defines, with their JSON types checked. */
function toNode(x: unknown): Node | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const o = x as Record<string, unknown>;
  const n: Node = {};
  if (typeof o.key === 'string') n.key = o.key;
  if (typeof o.value === 'string') n.value = o.value;
  if (typeof o.dir === 'boolean') n.dir = o.dir;
  if (typeof o.expiration === 'string') n.expiration = o.expiration;
  if (typeof o.ttl === 'number') n.ttl = o.ttl;
  if (Array.isArray(o.nodes)) n.nodes = o.nodes.map(toNode).filter((c): c is Node => c !== undefined);
  if (typeof o.modifiedIndex === 'number') n.modifiedIndex = o.modifiedIndex;
  if (typeof o.createdIndex === 'number') n.createdIndex = o.createdIndex;
  return n;
}

/** etcd's error body as a typed error; a body that is not JSON means "not an etcd". */
export function parseEtcdError(body: Buffer): Error {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    return new InvalidJSONError();
  }
  if (typeof raw !== 'object' || raw === null) return new InvalidJSONError();
  const o = raw as Record<string, unknown>;
  return new EtcdError(
    typeof o.errorCode === 'number' ? o.errorCode : 0,
    typeof o.message === 'string' ? o.message : '',
    typeof o.cause === 'string' ? o.cause : '',
    typeof o.index === 'number' ? o.index : 0,
  );
}
