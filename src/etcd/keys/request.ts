// A /v2/keys request as etcd 3.4 reads it (etcdserver/api/v2http/client.go,
// parseKeyRequest). Every malformed parameter gets etcd's error code, message
// and cause, with index 0 (parse errors never see the store).
import type { UnixNanos } from '../../store/index.js';
import { Ecode, isV2Error, keysPath, newError, type V2Error } from '../../store/index.js';
import type { Form, RawRequest } from './form.js';
import { parseForm } from './form.js';

export type KeysMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';

export interface KeysRequest {
  method: KeysMethod;
  /** Store path, with the keys namespace prefix (keysPath). */
  path: string;
  value: string;
  dir: boolean;
  prevValue: string;
  prevIndex: number;
  /** Tri-state: absent differs from false. */
  prevExist?: boolean;
  /** Tri-state, like prevExist. */
  refresh?: boolean;
  wait: boolean;
  waitIndex: number;
  recursive: boolean;
  sorted: boolean;
  quorum: boolean;
  stream: boolean;
  noValueOnSuccess: boolean;
  /** Absolute expiry from `ttl`, by this member's clock; undefined when no ttl was given. */
  expiration?: UnixNanos;
}

/** strconv.ParseBool */
function parseGoBool(v: string): boolean | undefined {
  switch (v) {
    case '1': case 't': case 'T': case 'TRUE': case 'true': case 'True':
      return true;
    case '0': case 'f': case 'F': case 'FALSE': case 'false': case 'False':
      return false;
    default:
      return undefined;
  }
}

const MAX_UINT64 = (1n << 64n) - 1n;

/** strconv.ParseUint(v, 10, 64); indexes beyond 2^53 cannot exist, so they clamp. */
function parseGoUint(v: string): number | undefined {
  if (!/^[0-9]+$/.test(v)) return undefined;
  const n = BigInt(v);
  if (n > MAX_UINT64) return undefined;
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

function first(form: Form, key: string): string | undefined {
  return form.get(key)?.[0];
}

const invalid = (field: string) => newError(Ecode.InvalidField, `invalid value for "${field}"`);

/**
 * Parse a keys request. `keyPath` is the URL path after `/v2/keys` (already
 * percent-decoded, as Go's URL.Path is); `now` is this member's clock.
 */
export function parseKeysRequest(raw: RawRequest & { method: KeysMethod; keyPath: string }, now: UnixNanos): KeysRequest | V2Error {
  const { form, error } = parseForm(raw);
  if (error) return newError(Ecode.InvalidForm, error.message);

  const uint = (key: string): number | undefined | V2Error => {
    const v = first(form, key);
    if (v === undefined) return undefined;
    return parseGoUint(v) ?? newError(Ecode.IndexNaN, `invalid value for "${key}"`);
  };
  const bool = (key: string): boolean | V2Error => {
    const v = first(form, key);
    if (v === undefined) return false;
    return parseGoBool(v) ?? invalid(key);
  };

  // The order of checks is etcd's: the first problem found is the one reported.
  const prevIndex = uint('prevIndex');
  if (isV2Error(prevIndex)) return prevIndex;
  const waitIndex = uint('waitIndex');
  if (isV2Error(waitIndex)) return waitIndex;
  const flags: Record<'recursive' | 'sorted' | 'wait' | 'dir' | 'quorum' | 'stream', boolean> = {
    recursive: false, sorted: false, wait: false, dir: false, quorum: false, stream: false,
  };
  for (const key of ['recursive', 'sorted', 'wait', 'dir', 'quorum', 'stream'] as const) {
    const b = bool(key);
    if (isV2Error(b)) return b;
    flags[key] = b;
  }
  if (flags.wait && raw.method !== 'GET') {
    return newError(Ecode.InvalidField, '"wait" can only be used with GET requests');
  }
  const prevValue = first(form, 'prevValue') ?? '';
  if (form.has('prevValue') && prevValue === '') {
    return newError(Ecode.PrevValueRequired, '"prevValue" cannot be empty');
  }
  const noValueOnSuccess = bool('noValueOnSuccess');
  if (isV2Error(noValueOnSuccess)) return noValueOnSuccess;

  // ttl: absent or empty means "no TTL" (an update with ttl= clears it).
  let ttl: number | undefined;
  const ttlText = first(form, 'ttl') ?? '';
  if (ttlText.length > 0) {
    ttl = parseGoUint(ttlText);
    if (ttl === undefined) return newError(Ecode.TTLNaN, 'invalid value for "ttl"');
  }

  let prevExist: boolean | undefined;
  if (form.has('prevExist')) {
    prevExist = parseGoBool(first(form, 'prevExist')!);
    if (prevExist === undefined) return newError(Ecode.InvalidField, 'invalid value for prevExist');
  }

  let refresh: boolean | undefined;
  if (form.has('refresh')) {
    refresh = parseGoBool(first(form, 'refresh')!);
    if (refresh === undefined) return newError(Ecode.InvalidField, 'invalid value for refresh');
    if (refresh) {
      if ((first(form, 'value') ?? '') !== '') return newError(Ecode.RefreshValue, 'A value was provided on a refresh');
      if (ttl === undefined) return newError(Ecode.RefreshTTLRequired, 'No TTL value set');
    }
  }

  const req: KeysRequest = {
    method: raw.method,
    path: keysPath(raw.keyPath),
    value: first(form, 'value') ?? '',
    dir: flags.dir,
    prevValue,
    prevIndex: prevIndex ?? 0,
    wait: flags.wait,
    waitIndex: waitIndex ?? 0,
    recursive: flags.recursive,
    sorted: flags.sorted,
    quorum: flags.quorum,
    stream: flags.stream,
    noValueOnSuccess,
  };
  if (prevExist !== undefined) req.prevExist = prevExist;
  if (refresh !== undefined) req.refresh = refresh;
  if (ttl !== undefined) req.expiration = now + BigInt(ttl) * 1_000_000_000n;
  return req;
}
