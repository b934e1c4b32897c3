// Time as etcd's v2 store sees it: absolute nanoseconds since the Unix epoch
// (bigint; a Number cannot hold them exactly), rendered like Go's time package.

export type UnixNanos = bigint;

export const NANOS_PER_SECOND = 1_000_000_000n;

/** Go's zero time.Time as encoding/json writes it; etcd's snapshots use it for "no expiry". */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function nanosFromMillis(ms: number): UnixNanos {
  return BigInt(Math.trunc(ms)) * 1_000_000n;
}

export function nanosFromSeconds(s: number): UnixNanos {
  return BigInt(Math.trunc(s)) * NANOS_PER_SECOND;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * time.Time.UTC().Format(time.RFC3339Nano): fraction with trailing zeros
 * trimmed, and no dot at all for a whole second.
 */
export function formatRFC3339Nano(t: UnixNanos): string {
  const sec = floorDiv(t, NANOS_PER_SECOND);
  const frac = t - sec * NANOS_PER_SECOND;
  const d = new Date(Number(sec) * 1000);
  let s =
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  if (frac !== 0n) s += '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return s + 'Z';
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses what Go's time.Time MarshalJSON writes (RFC 3339 with optional
 * fraction and any zone offset). Go's zero time gives null; malformed text undefined.
 */
export function parseRFC3339Nano(s: string): UnixNanos | null | undefined {
  if (s === GO_ZERO_TIME) return null;
  const m = rfc3339.exec(s);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, se, fr, zone] = m;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(se), 0);
  const ms = date.getTime();
  if (Number.isNaN(ms)) return undefined;
  let offsetSeconds = 0;
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetSeconds = sign * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
  }
  const fracNanos = fr === undefined ? 0n : BigInt(fr.padEnd(9, '0'));
  return BigInt(ms / 1000 - offsetSeconds) * NANOS_PER_SECOND + fracNanos;
}

/**
 * etcd's remaining TTL in seconds: ceil((expire − now) / 1s), computed like
 * Go's integer Duration arithmetic. 0 when expiry is now or less than a
 * second ago; negative once more than a second has passed.
 */
export function ttlSeconds(expire: UnixNanos, now: UnixNanos): number {
  const d = expire - now;
  let ttl = d / NANOS_PER_SECOND;
  if (d % NANOS_PER_SECOND > 0n) ttl += 1n;
  return Number(ttl);
}

/** etcd treats expire times before 2000-01-01 as permanent (a time serialized from JS, says the source). */
export const MIN_EXPIRE_TIME: UnixNanos = 946_684_800n * NANOS_PER_SECOND;
