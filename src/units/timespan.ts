// Time spans and booleans as systemd.time(7) and systemd.syntax(7) define
// them, following parse_time() (time-util.c, v252): numbers with optional
// fractions and unit suffixes, summed ("2min 200ms" = 120.2 s); a bare number
// is in the default unit (seconds for *Sec= settings); "infinity" alone.
// Values are microseconds; `Infinity` stands for systemd's USEC_INFINITY.

export const USEC_PER_SEC = 1_000_000;
const MINUTE = 60 * USEC_PER_SEC;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 2_629_800 * USEC_PER_SEC; // 30.44 days
const YEAR = 31_557_600 * USEC_PER_SEC; // 365.25 days

// Order matters: the first suffix that matches wins ("ms" before "m", "min" before "m").
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['seconds', USEC_PER_SEC], ['second', USEC_PER_SEC], ['sec', USEC_PER_SEC], ['s', USEC_PER_SEC],
  ['minutes', MINUTE], ['minute', MINUTE], ['min', MINUTE],
  ['months', MONTH], ['month', MONTH], ['M', MONTH],
  ['msec', 1000], ['ms', 1000], ['m', MINUTE],
  ['hours', HOUR], ['hour', HOUR], ['hr', HOUR], ['h', HOUR],
  ['days', DAY], ['day', DAY], ['d', DAY],
  ['weeks', WEEK], ['week', WEEK], ['w', WEEK],
  ['years', YEAR], ['year', YEAR], ['y', YEAR],
  ['usec', 1], ['us', 1], ['\u03bcs', 1], ['\u00b5s', 1],
];

const WS = /^[ \t\n\r]*/;

/**
 * Parses a time span; returns microseconds, `Infinity` for "infinity", or
 * null if systemd would reject it. `defaultUnit` is the multiplier for bare
 * numbers (seconds unless a setting says otherwise).
 */
export function parseTimespan(text: string, defaultUnit: number = USEC_PER_SEC): number | null {
  let p = text.replace(WS, '');
  if (p.startsWith('infinity')) {
    return p.slice('infinity'.length).replace(WS, '') === '' ? Infinity : null;
  }
  let total = 0;
  let something = false;
  for (;;) {
    p = p.replace(WS, '');
    if (p === '') return something ? total : null;
    // strtoll() accepts a leading '+'; a leading '-' is refused.
    const m = /^\+?(\d*)(\.(\d*))?/.exec(p)!;
    const intPart = m[1]!;
    const hasDot = m[2] !== undefined;
    const frac = m[3] ?? '';
    if (intPart === '' && !hasDot) return null; // also refuses "-1"
    if (hasDot && frac === '') return null; // "3." or "3.sec"
    p = p.slice(m[0].length);
    const afterWs = p.replace(WS, '');
    let multiplier = defaultUnit;
    let rest = afterWs;
    for (const [suffix, usec] of UNITS) {
      if (afterWs.startsWith(suffix)) {
        multiplier = usec;
        rest = afterWs.slice(suffix.length);
        break;
      }
    }
    // "12.34.56" is refused: a number must be followed by a unit, space or the end.
    if (rest === p && p !== '') return null;
    p = rest;
    let v = Number(intPart === '' ? '0' : intPart) * multiplier;
    let m10 = multiplier / 10;
    for (const d of frac) {
      v += Math.floor(Number(d) * m10);
      m10 = Math.floor(m10 / 10);
    }
    total += v;
    if (!Number.isSafeInteger(total)) return null;
    something = true;
  }
}

/** parse_boolean(): `1 yes y true t on` / `0 no n false f off`, case-insensitive. */
export function parseBoolean(text: string): boolean | null {
  const v = text.toLowerCase();
  if (['1', 'yes', 'y', 'true', 't', 'on'].includes(v)) return true;
  if (['0', 'no', 'n', 'false', 'f', 'off'].includes(v)) return false;
  return null;
}

/**
 * format_timespan() with microsecond accuracy, the "Human:" form of
 * `systemd-analyze timespan`: "2min 200ms", "1.500000s", "infinity", "0".
 */
export function formatTimespan(usec: number): string {
  if (usec === Infinity) return 'infinity';
  if (usec <= 0) return '0';
  const table: ReadonlyArray<readonly [string, number]> = [
    ['y', YEAR], ['month', MONTH], ['w', WEEK], ['d', DAY], ['h', HOUR], ['min', MINUTE],
    ['s', USEC_PER_SEC], ['ms', 1000], ['us', 1],
  ];
  const parts: string[] = [];
  let t = usec;
  for (const [name, size] of table) {
    if (t <= 0) break;
    if (t < size) continue;
    const a = Math.floor(t / size);
    const b = t % size;
    // Under a minute, a remainder is shown as a decimal fraction of this unit.
    if (t < MINUTE && b > 0) {
      const digits = String(size).length - 1;
      if (digits > 0) {
        parts.push(`${a}.${String(b).padStart(digits, '0')}${name}`);
        break;
      }
    }
    parts.push(`${a}${name}`);
    t = b;
  }
  return parts.join(' ');
}
