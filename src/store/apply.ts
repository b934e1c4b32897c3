// The deterministic entry point the member feeds committed Raft entries to
// (etcd's apply_v2.go). A request carries everything that must be the same on
// every member — absolute expire times, the SYNC cutoff — so the same
// sequence of (request, now) gives the same state and answers everywhere.
// `now` only feeds the remaining-TTL numbers shown in events; pass a time
// carried in the entry to make those identical across members too.

import { V2Error } from './errors.js';
import type { Event } from './event.js';
import type { UnixNanos } from './gotime.js';
import type { Store, TTLOptions } from './store.js';

export interface V2Request {
  readonly method: 'PUT' | 'POST' | 'DELETE' | 'QGET' | 'SYNC';
  /** Store path, namespace included (see keysPath). */
  readonly path: string;
  readonly value?: string;
  readonly dir?: boolean;
  /** "" / absent = no value check. */
  readonly prevValue?: string;
  /** 0 / absent = no index check. */
  readonly prevIndex?: bigint | number;
  /** Tri-state: absent differs from false. */
  readonly prevExist?: boolean;
  readonly recursive?: boolean;
  readonly sorted?: boolean;
  /** Absolute expiry in Unix nanoseconds, computed by the receiving member; 0 / absent = none. */
  readonly expiration?: UnixNanos;
  readonly refresh?: boolean;
  /** SYNC: expire keys whose expire time is ≤ this. */
  readonly time?: UnixNanos;
}

export type ApplyResult =
  | { readonly kind: 'event'; readonly event: Event }
  | { readonly kind: 'error'; readonly error: V2Error }
  | { readonly kind: 'expired'; readonly events: readonly Event[] };

function result(r: Event | V2Error): ApplyResult {
  return r instanceof V2Error ? { kind: 'error', error: r } : { kind: 'event', event: r };
}

function ttlOptions(r: V2Request): TTLOptions {
  const expireTime = r.expiration === undefined || r.expiration === 0n ? null : r.expiration;
  return { expireTime, refresh: r.refresh === true };
}

export function applyRequest(store: Store, r: V2Request, now: UnixNanos): ApplyResult {
  const value = r.value ?? '';
  const dir = r.dir === true;
  const prevValue = r.prevValue ?? '';
  const prevIndex = r.prevIndex ?? 0;
  const compare = BigInt(prevIndex) > 0n || prevValue !== '';
  switch (r.method) {
    case 'POST':
      return result(store.create(r.path, dir, value, true, ttlOptions(r), now));
    case 'PUT':
      if (r.prevExist === true) {
        return compare
          ? result(store.compareAndSwap(r.path, prevValue, prevIndex, value, ttlOptions(r), now))
          : result(store.update(r.path, value, ttlOptions(r), now));
      }
      if (r.prevExist === false) return result(store.create(r.path, dir, value, false, ttlOptions(r), now));
      if (compare) return result(store.compareAndSwap(r.path, prevValue, prevIndex, value, ttlOptions(r), now));
      return result(store.set(r.path, dir, value, ttlOptions(r), now));
    case 'DELETE':
      return compare
        ? result(store.compareAndDelete(r.path, prevValue, prevIndex, now))
        : result(store.delete(r.path, dir, r.recursive === true, now));
    case 'QGET':
      return result(store.get(r.path, r.recursive === true, r.sorted === true, now));
    case 'SYNC':
      return { kind: 'expired', events: store.deleteExpiredKeys(r.time ?? 0n, now) };
  }
}
