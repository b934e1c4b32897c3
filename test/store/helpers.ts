// Test helper: a minimal stand-in for the HTTP layer (etcd's parseKeyRequest
// and writeKeyEvent/writeError, reduced to what the store tests need), so
// tables of real etcd exchanges can be replayed literally against the store.

import {
  applyRequest,
  Ecode,
  isCreated,
  keysPath,
  KEYS_PREFIX,
  newError,
  renderEvent,
  Store,
  V2Error,
  type StoreOptions,
  type UnixNanos,
  type V2Request,
} from '../../src/store/index.js';

/** 2026-11-22T17:00:00Z, a whole second. */
export const T0: UnixNanos = 1_795_366_800n * 1_000_000_000n;
export const SEC = 1_000_000_000n;

export interface Reply {
  status: number;
  index: number;
  body: string;
}

function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

export function errorReply(e: V2Error): Reply {
  const t = e.trimCausePrefix(KEYS_PREFIX);
  return { status: t.status, index: t.index, body: t.body() };
}

export class FakeApi {
  readonly store: Store;
  now: UnixNanos = T0;

  /** `bootstrap`: the 3 internal writes a fresh etcd 3.4 member makes, so the first user write gets index 4. */
  constructor(opts: StoreOptions = {}, bootstrap = true) {
    this.store = new Store(opts);
    if (bootstrap) {
      this.store.create('/0/members/ddd67b312462fd7b/raftAttributes', false, '{}', false, {}, this.now);
      this.store.set('/0/members/ddd67b312462fd7b/attributes', false, '{}', {}, this.now);
      this.store.set('/0/version', false, '3.4.0', {}, this.now);
    }
  }

  /** Parse like etcd's parseKeyRequest; body values come before query values, first wins. */
  parse(method: string, url: string, form: string): V2Error | { req: V2Request; noValueOnSuccess: boolean } {
    const q = url.indexOf('?');
    const path = decodeURIComponent(q < 0 ? url : url.slice(0, q));
    const params = new URLSearchParams(form);
    for (const [k, v] of new URLSearchParams(q < 0 ? '' : url.slice(q + 1))) params.append(k, v);
    const has = (k: string): boolean => params.has(k);
    const str = (k: string): string => params.get(k) ?? '';
    const bool = (k: string): boolean | V2Error => {
      if (!has(k)) return false;
      return parseBool(str(k)) ?? newError(Ecode.InvalidField, `invalid value for "${k}"`);
    };
    const uint = (k: string, code: typeof Ecode.IndexNaN | typeof Ecode.TTLNaN): bigint | V2Error => {
      if (!has(k)) return 0n;
      return /^[0-9]+$/.test(str(k)) ? BigInt(str(k)) : newError(code, `invalid value for "${k}"`);
    };
    const prevIndex = uint('prevIndex', Ecode.IndexNaN);
    if (prevIndex instanceof V2Error) return prevIndex;
    const flags: Record<string, boolean> = {};
    for (const k of ['recursive', 'sorted', 'dir', 'noValueOnSuccess']) {
      const b = bool(k);
      if (b instanceof V2Error) return b;
      flags[k] = b;
    }
    if (has('prevValue') && str('prevValue') === '') return newError(Ecode.PrevValueRequired, '"prevValue" cannot be empty');
    let expiration: UnixNanos | undefined;
    if (str('ttl') !== '') {
      const ttl = uint('ttl', Ecode.TTLNaN);
      if (ttl instanceof V2Error) return ttl;
      expiration = this.now + ttl * SEC;
    }
    let prevExist: boolean | undefined;
    if (has('prevExist')) {
      prevExist = parseBool(str('prevExist'));
      if (prevExist === undefined) return newError(Ecode.InvalidField, 'invalid value for prevExist');
    }
    let refresh: boolean | undefined;
    if (has('refresh')) {
      refresh = parseBool(str('refresh'));
      if (refresh === undefined) return newError(Ecode.InvalidField, 'invalid value for refresh');
      if (refresh && has('value') && str('value') !== '') return newError(Ecode.RefreshValue, 'A value was provided on a refresh');
      if (refresh && expiration === undefined) return newError(Ecode.RefreshTTLRequired, 'No TTL value set');
    }
    const req: V2Request = {
      method: method === 'GET' ? 'QGET' : (method as V2Request['method']),
      path: keysPath(path),
      value: str('value'),
      dir: flags['dir'] === true,
      prevValue: str('prevValue'),
      prevIndex,
      ...(prevExist === undefined ? {} : { prevExist }),
      recursive: flags['recursive'] === true,
      sorted: flags['sorted'] === true,
      ...(expiration === undefined ? {} : { expiration }),
      ...(refresh === undefined ? {} : { refresh }),
    };
    return { req, noValueOnSuccess: flags['noValueOnSuccess'] === true };
  }

  /** One keys API call: GET is a local get, the rest go through applyRequest (as the member would). */
  call(method: string, url: string, form = ''): Reply {
    const p = this.parse(method, url, form);
    if (p instanceof V2Error) return errorReply(p);
    const { req, noValueOnSuccess } = p;
    const r =
      req.method === 'QGET'
        ? (() => {
            const g = this.store.get(req.path, req.recursive === true, req.sorted === true, this.now);
            return g instanceof V2Error ? { kind: 'error' as const, error: g } : { kind: 'event' as const, event: g };
          })()
        : applyRequest(this.store, req, this.now);
    if (r.kind === 'error') return errorReply(r.error);
    if (r.kind === 'expired') throw new Error('unexpected SYNC');
    const e = r.event;
    return {
      status: isCreated(e) ? 201 : 200,
      index: e.etcdIndex,
      body: renderEvent(e, { trimPrefix: KEYS_PREFIX, noValueOnSuccess }),
    };
  }
}

/** Real responses carry wall-clock expiration times; tables compare them separately. */
export function maskExpiration(body: string): string {
  return body.replace(/"expiration":"[^"]*"/g, '"expiration":"…"');
}
