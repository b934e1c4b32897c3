// Calendar events (OnCalendar=) as systemd.time(7) "CALENDAR EVENTS"
// describes and calendarspec.c (v252) implements: parsing to a structure,
// the normalised form `systemd-analyze calendar` prints, and the next elapse
// after a given time.
//
// Time is kept in plain integer arithmetic (no Date): microseconds since the
// epoch, broken down with the proleptic Gregorian calendar. A spec marked UTC
// is evaluated in UTC; any other spec in the local zone, which the caller
// gives as a fixed offset from UTC (named zones and DST changes are not
// modelled: the caller resolves the offset).

import { USEC_PER_SEC } from './timespan.js';

/** One element of a component list: `start[..stop][/repeat]`; stop -1 when absent, repeat 0 when none. */
export interface CalendarComponent {
  start: number;
  stop: number;
  repeat: number;
}

export interface CalendarSpec {
  /** Bit 0 = Monday … bit 6 = Sunday; -1 means any day. */
  weekdays: number;
  /** null means `*`. Seconds are in microseconds. */
  year: CalendarComponent[] | null;
  month: CalendarComponent[] | null;
  day: CalendarComponent[] | null;
  hour: CalendarComponent[] | null;
  minute: CalendarComponent[] | null;
  second: CalendarComponent[] | null;
  /** `~` in the date: days count back from the end of the month. */
  endOfMonth: boolean;
  utc: boolean;
  /** An IANA zone name given after the spec (kept for display; the caller supplies its offset). */
  timezone: string | null;
}

const BITS_WEEKDAYS = 127;
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;
const INT_MAX = 2 ** 31 - 1;

class Bad extends Error {}

function constChain(v: number): CalendarComponent[] {
  return [{ start: v, stop: -1, repeat: 0 }];
}

const DAY_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['monday', 0], ['mon', 0], ['tuesday', 1], ['tue', 1], ['wednesday', 2], ['wed', 2], ['thursday', 3],
  ['thu', 3], ['friday', 4], ['fri', 4], ['saturday', 5], ['sat', 5], ['sunday', 6], ['sun', 6],
];

/** A cursor over the text being parsed. */
class Cursor {
  constructor(public s: string, public i = 0) {}
  c(): string {
    return this.s[this.i] ?? '';
  }
  at(k: number): string {
    return this.s[this.i + k] ?? '';
  }
  skipSpaces(): void {
    while (this.c() === ' ') this.i++;
  }
}

function parseWeekdays(p: Cursor, spec: CalendarSpec): void {
  let l = -1;
  let first = true;
  let bits = 0;
  for (;;) {
    const rest = p.s.slice(p.i).toLowerCase();
    const hit = DAY_NAMES.find(([n]) => rest.startsWith(n));
    if (!hit) {
      if (first) return;
      throw new Bad();
    }
    const [name, nr] = hit;
    const after = p.s[p.i + name.length] ?? '';
    if (!['', '-', '.', ',', ' '].includes(after)) throw new Bad();
    bits |= 1 << nr;
    if (l >= 0) {
      if (l > nr) throw new Bad();
      for (let j = l + 1; j < nr; j++) bits |= 1 << j;
    }
    p.i += name.length;
    spec.weekdays = spec.weekdays < 0 ? bits : spec.weekdays | bits;
    if (p.c() === '') return;
    if (p.c() === ' ') {
      p.skipSpaces();
      return;
    }
    if (p.c() === '.') {
      if (l >= 0 || p.at(1) !== '.') throw new Bad();
      l = nr;
      p.i += 2;
    } else if (p.c() === '-') {
      // "-" ranges are still accepted for backwards compatibility.
      if (l >= 0) throw new Bad();
      l = nr;
      p.i += 1;
    } else if (p.c() === ',') {
      l = -1;
      p.i += 1;
    }
    // A trailing comma is fine, an open range is not.
    if (p.c() === '' || p.c() === ' ') {
      p.skipSpaces();
      if (l >= 0) throw new Bad();
      return;
    }
    first = false;
  }
}

function parseDecimal(p: Cursor, usec: boolean): number {
  if (!/[0-9]/.test(p.c())) throw new Bad();
  let j = p.i;
  while (/[0-9]/.test(p.s[j] ?? '')) j++;
  let value = Number(p.s.slice(p.i, j));
  p.i = j;
  if (usec) {
    value *= USEC_PER_SEC;
    // One "." is a decimal point, ".." is a range.
    if (p.c() === '.' && p.at(1) !== '.') {
      p.i++;
      let frac = 0;
      let k = 0;
      for (; k < 6; k++) {
        const d = p.c();
        if (!/[0-9]/.test(d)) {
          if (k === 0) throw new Bad();
          break;
        }
        frac = frac * 10 + Number(d);
        p.i++;
      }
      for (let pad = k; pad < 6; pad++) frac *= 10;
      // Fractions are rounded to 6 places.
      if (k === 6 && /[5-9]/.test(p.c())) frac++;
      while (/[0-9]/.test(p.c())) p.i++;
      value += frac;
    }
  }
  if (value > INT_MAX) throw new Bad();
  return value;
}

function parseChain(p: Cursor, usec: boolean): CalendarComponent[] | null {
  if (p.c() === '*') {
    p.i++;
    return usec ? [{ start: 0, stop: -1, repeat: USEC_PER_SEC }] : null;
  }
  const chain: CalendarComponent[] = [];
  for (;;) {
    const start = parseDecimal(p, usec);
    let stop = -1;
    let repeat = 0;
    if (p.c() === '.' && p.at(1) === '.') {
      p.i += 2;
      stop = parseDecimal(p, usec);
      repeat = usec ? USEC_PER_SEC : 1;
    }
    if (p.c() === '/') {
      p.i++;
      repeat = parseDecimal(p, usec);
      if (repeat === 0) throw new Bad();
    } else if (usec && stop >= 0 && start + repeat > stop) {
      throw new Bad();
    }
    if (!['', ' ', ',', '-', '~', ':'].includes(p.c())) throw new Bad();
    chain.push({ start, stop, repeat });
    if (p.c() !== ',') return chain;
    p.i++;
  }
}

/** Reads an optional `[year-]month-day` date; leaves the cursor alone when the text is a time. */
function parseDate(p: Cursor, spec: CalendarSpec): void {
  if (p.c() === '') return;
  const save = p.i;
  const first = parseChain(p, false);
  // Already at the end, or ':' follows: this was a time, not a date.
  if (p.c() === '' || p.c() === ':') {
    p.i = save;
    return;
  }
  if (p.c() === '~') spec.endOfMonth = true;
  else if (p.c() !== '-') throw new Bad();
  p.i++;
  const second = parseChain(p, false);
  if (p.c() === '' || p.c() === ' ') {
    p.skipSpaces();
    spec.month = first;
    spec.day = second;
    return;
  }
  if (spec.endOfMonth) throw new Bad();
  if (p.c() === '~') spec.endOfMonth = true;
  else if (p.c() !== '-') throw new Bad();
  p.i++;
  const third = parseChain(p, false);
  if (p.c() !== '' && p.c() !== ' ') throw new Bad();
  p.skipSpaces();
  spec.year = first;
  spec.month = second;
  spec.day = third;
}

function parseTime(p: Cursor, spec: CalendarSpec): void {
  if (p.c() === '') {
    spec.hour = constChain(0);
    spec.minute = constChain(0);
    spec.second = constChain(0);
    return;
  }
  const h = parseChain(p, false);
  if (p.c() !== ':') throw new Bad();
  p.i++;
  const m = parseChain(p, false);
  let s: CalendarComponent[] | null = constChain(0);
  if (p.c() !== '') {
    if (p.c() !== ':') throw new Bad();
    p.i++;
    s = parseChain(p, true);
    if (p.c() !== '') throw new Bad();
  }
  spec.hour = h;
  spec.minute = m;
  spec.second = s;
}

function normalizeChain(chain: CalendarComponent[] | null): CalendarComponent[] | null {
  if (!chain) return null;
  for (const c of chain) {
    // Make the range length a multiple of the repeat.
    if (c.stop > c.start && c.repeat > 0) c.stop -= (c.stop - c.start) % c.repeat;
    // A repeat that can never fire, or a one-value range, is a plain value.
    if ((c.stop > c.start && c.start + c.repeat > c.stop) || c.start === c.stop) {
      c.repeat = 0;
      c.stop = -1;
    }
  }
  const sorted = [...chain].sort((a, b) => a.start - b.start || a.stop - b.stop || a.repeat - b.repeat);
  return sorted.filter(
    (c, k) => k === 0 || !(c.start === sorted[k - 1]!.start && c.stop === sorted[k - 1]!.stop && c.repeat === sorted[k - 1]!.repeat),
  );
}

function chainValid(chain: CalendarComponent[] | null, from: number, to: number, endOfMonth: boolean): boolean {
  if (!chain) return true;
  // Days may count at most 28 back from the end of the month.
  const top = endOfMonth ? to - 3 : to;
  return chain.every(
    (c) =>
      c.start >= from && c.start <= top && c.repeat <= top - from &&
      (c.stop < 0 || (c.stop >= from && c.stop <= top && c.stop >= c.start)),
  );
}

/** Two-digit years: 0-69 → 20xx, 70-99 → 19xx. */
function fixYear(chain: CalendarComponent[] | null): void {
  for (const c of chain ?? []) {
    for (const k of ['start', 'stop'] as const) {
      if (c[k] >= 0 && c[k] < 70) c[k] += 2000;
      else if (c[k] >= 70 && c[k] < 100) c[k] += 1900;
    }
  }
}

const SHORTHANDS: Record<string, (s: CalendarSpec) => void> = {
  minutely: (s) => { s.second = constChain(0); },
  hourly: (s) => { s.minute = constChain(0); s.second = constChain(0); },
  daily: (s) => { s.hour = constChain(0); s.minute = constChain(0); s.second = constChain(0); },
  monthly: (s) => { s.day = constChain(1); SHORTHANDS['daily']!(s); },
  weekly: (s) => { s.weekdays = 1; SHORTHANDS['daily']!(s); },
  yearly: (s) => { s.month = constChain(1); s.day = constChain(1); SHORTHANDS['daily']!(s); },
  quarterly: (s) => {
    s.month = [1, 4, 7, 10].map((m) => ({ start: m, stop: -1, repeat: 0 }));
    s.day = constChain(1);
    SHORTHANDS['daily']!(s);
  },
  semiannually: (s) => {
    s.month = [1, 7].map((m) => ({ start: m, stop: -1, repeat: 0 }));
    s.day = constChain(1);
    SHORTHANDS['daily']!(s);
  },
};
for (const alias of ['annually', 'anually']) SHORTHANDS[alias] = SHORTHANDS['yearly']!;
for (const alias of ['biannually', 'bi-annually', 'semi-annually']) SHORTHANDS[alias] = SHORTHANDS['semiannually']!;

/** An IANA-style zone name ("Europe/Berlin", "Etc/GMT+1"); the zone database itself is not consulted. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)+$/;

/** Parses a calendar event; null if systemd would reject it. */
export function parseCalendar(text: string): CalendarSpec | null {
  const spec: CalendarSpec = {
    weekdays: -1, year: null, month: null, day: null, hour: null, minute: null, second: null,
    endOfMonth: false, utc: false, timezone: null,
  };
  let p = text;
  if (p.toLowerCase().endsWith(' utc')) {
    spec.utc = true;
    p = p.slice(0, -4);
  } else {
    const sp = p.lastIndexOf(' ');
    if (sp >= 0 && ZONE_NAME.test(p.slice(sp + 1))) {
      spec.timezone = p.slice(sp + 1);
      p = p.slice(0, sp);
    }
  }
  if (p === '') return null;
  try {
    const shorthand = SHORTHANDS[p.toLowerCase()];
    if (shorthand) shorthand(spec);
    else {
      const cur = new Cursor(p);
      parseWeekdays(cur, spec);
      parseDate(cur, spec);
      parseTime(cur, spec);
      if (cur.c() !== '') return null;
    }
  } catch (e) {
    if (e instanceof Bad) return null;
    throw e;
  }
  // Normalise, then check ranges, as calendar_spec_from_string() does.
  if (spec.weekdays <= 0 || spec.weekdays >= BITS_WEEKDAYS) spec.weekdays = -1;
  if (spec.endOfMonth && !spec.day) spec.endOfMonth = false;
  fixYear(spec.year);
  spec.year = normalizeChain(spec.year);
  spec.month = normalizeChain(spec.month);
  spec.day = normalizeChain(spec.day);
  spec.hour = normalizeChain(spec.hour);
  spec.minute = normalizeChain(spec.minute);
  spec.second = normalizeChain(spec.second);
  const ok =
    chainValid(spec.year, MIN_YEAR, MAX_YEAR, false) && chainValid(spec.month, 1, 12, false) &&
    chainValid(spec.day, 1, 31, spec.endOfMonth) && chainValid(spec.hour, 0, 23, false) &&
    chainValid(spec.minute, 0, 59, false) && chainValid(spec.second, 0, 60 * USEC_PER_SEC - 1, false);
  return ok ? spec : null;
}

const WEEKDAY_ABBR = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function formatWeekdays(bits: number): string {
  let out = '';
  let l = -1;
  let needComma = false;
  let x = 0;
  const closeRange = (): void => {
    if (x > l + 1) out += (x > l + 2 ? '..' : ',') + WEEKDAY_ABBR[x - 1];
  };
  for (; x < 7; x++) {
    if (bits & (1 << x)) {
      if (l < 0) {
        if (needComma) out += ',';
        else needComma = true;
        out += WEEKDAY_ABBR[x];
        l = x;
      }
    } else if (l >= 0) {
      closeRange();
      l = -1;
    }
  }
  if (l >= 0) closeRange();
  return out;
}

function formatChain(chain: CalendarComponent[] | null, width: number, usec: boolean): string {
  if (!chain) return '*';
  const d = usec ? USEC_PER_SEC : 1;
  const only = chain[0]!;
  if (usec && chain.length === 1 && only.start === 0 && only.repeat === USEC_PER_SEC && only.stop < 0) return '*';
  const num = (v: number): string => {
    let s = String(Math.floor(v / d)).padStart(width, '0');
    if (v % d > 0) s += '.' + String(v % d).padStart(6, '0');
    return s;
  };
  return chain
    .map((c) => {
      let s = num(c.start);
      if (c.stop > 0) s += '..' + num(c.stop);
      if (c.repeat > 0 && !(c.stop > 0 && c.repeat === d)) {
        s += '/' + String(Math.floor(c.repeat / d));
        if (c.repeat % d > 0) s += '.' + String(c.repeat % d).padStart(6, '0');
      }
      return s;
    })
    .join(',');
}

/** The normalised form, as `systemd-analyze calendar` prints it ("Mon *-*-* 00:00:00"). */
export function formatCalendar(spec: CalendarSpec): string {
  let out = '';
  if (spec.weekdays > 0 && spec.weekdays <= BITS_WEEKDAYS) out += formatWeekdays(spec.weekdays) + ' ';
  out += `${formatChain(spec.year, 4, false)}-${formatChain(spec.month, 2, false)}${spec.endOfMonth ? '~' : '-'}`;
  out += `${formatChain(spec.day, 2, false)} ${formatChain(spec.hour, 2, false)}:${formatChain(spec.minute, 2, false)}:`;
  out += formatChain(spec.second, 2, true);
  if (spec.utc) out += ' UTC';
  else if (spec.timezone) out += ' ' + spec.timezone;
  return out;
}

// --- Civil time arithmetic (days from 1970-01-01, proleptic Gregorian) ---

function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): { y: number; m: number; d: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** Broken-down time like struct tm, but with a 1-based month and the full year. */
interface Tm {
  year: number;
  mon: number;
  mday: number;
  hour: number;
  min: number;
  sec: number;
}

/** timegm(): seconds since the epoch; fields may be out of range and carry over. */
function toSeconds(t: Tm): number {
  const y = t.year + Math.floor((t.mon - 1) / 12);
  const m = (((t.mon - 1) % 12) + 12) % 12 + 1;
  const days = daysFromCivil(y, m, 1) + t.mday - 1;
  return days * 86400 + t.hour * 3600 + t.min * 60 + t.sec;
}

function fromSeconds(s: number): Tm {
  const days = Math.floor(s / 86400);
  let r = s - days * 86400;
  const { y, m, d } = civilFromDays(days);
  const hour = Math.floor(r / 3600);
  r -= hour * 3600;
  const min = Math.floor(r / 60);
  return { year: y, mon: m, mday: d, hour, min, sec: r - min * 60 };
}

function normalize(t: Tm): Tm {
  return fromSeconds(toSeconds(t));
}

function outOfBounds(t: Tm): boolean {
  const n = normalize(t);
  return n.year !== t.year || n.mon !== t.mon || n.mday !== t.mday || n.hour !== t.hour || n.min !== t.min || n.sec !== t.sec;
}

/** 0 = Monday … 6 = Sunday. */
function weekdayOf(t: Tm): number {
  const days = Math.floor(toSeconds(t) / 86400);
  return (((days + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/** The day of the month that is `back` days before the end of t's month ("~" dates). */
function endOfMonthDay(t: Tm, back: number): number {
  const n = normalize({ ...t, mon: t.mon + 1, mday: 1 - back });
  return n.mon === t.mon && n.year === t.year ? n.mday : -1;
}

/**
 * The earliest value ≥ `val` that one element of the chain matches, or null.
 * A missing chain (`*`) matches anything and keeps the value.
 */
function matchComponent(spec: CalendarSpec, chain: CalendarComponent[] | null, t: Tm, val: number, isDay: boolean): number | null {
  if (!chain) return val;
  let best: number | null = null;
  for (const c of chain) {
    let start = c.start;
    let stop = c.stop;
    if (isDay && spec.endOfMonth) {
      start = endOfMonthDay(t, c.start);
      stop = c.stop < 0 ? -1 : endOfMonthDay(t, c.stop);
      if (stop > 0) [start, stop] = [stop, start];
    }
    if (start >= val) {
      if (best === null || start < best) best = start;
    } else if (c.repeat > 0) {
      const k = start + c.repeat * Math.ceil((val - start) / c.repeat);
      if ((best === null || k < best) && (stop < 0 || k <= stop)) best = k;
    }
  }
  return best;
}

const MAX_ITERATIONS = 1000;

/**
 * The first time strictly after `afterUsec` (µs since the epoch) that the
 * spec matches, or null if it never elapses again. `utcOffsetSeconds` is the
 * local zone's offset, used unless the spec says UTC.
 *
 * As calendarspec.c's find_next(): match each field from the year down; when
 * a field moves forward the smaller ones restart from their minimum, and when
 * a field has no match left the next larger one is advanced and the search
 * starts over. Impossible dates (Feb 30) are caught by normalising.
 */
export function nextElapse(spec: CalendarSpec, afterUsec: number, utcOffsetSeconds = 0): number | null {
  const offset = spec.utc ? 0 : utcOffsetSeconds;
  const from = afterUsec + 1;
  const fromSec = Math.floor(from / USEC_PER_SEC);
  let usec = from - fromSec * USEC_PER_SEC;
  let c = fromSeconds(fromSec + offset);

  // Start over from `next` (fields may overflow; normalize() carries them).
  const restart = (next: Tm): void => {
    c = next;
    usec = 0;
  };

  for (let it = 0; it < MAX_ITERATIONS; it++) {
    c = normalize(c);
    if (c.year > MAX_YEAR) return null;

    const year = matchComponent(spec, spec.year, c, c.year, false);
    if (year === null) return null;
    if (year !== c.year) restart({ year, mon: 1, mday: 1, hour: 0, min: 0, sec: 0 });
    if (outOfBounds(c)) return null;

    const mon = matchComponent(spec, spec.month, c, c.mon, false);
    if (mon !== null && mon !== c.mon) restart({ ...c, mon, mday: 1, hour: 0, min: 0, sec: 0 });
    if (mon === null || outOfBounds(c)) {
      restart({ year: c.year + 1, mon: 1, mday: 1, hour: 0, min: 0, sec: 0 });
      continue;
    }

    const mday = matchComponent(spec, spec.day, c, c.mday, true);
    if (mday !== null && mday !== c.mday) restart({ ...c, mday, hour: 0, min: 0, sec: 0 });
    if (mday === null || outOfBounds(c)) {
      restart({ ...c, mon: c.mon + 1, mday: 1, hour: 0, min: 0, sec: 0 });
      continue;
    }

    if (spec.weekdays >= 0 && !(spec.weekdays & (1 << weekdayOf(c)))) {
      restart({ ...c, mday: c.mday + 1, hour: 0, min: 0, sec: 0 });
      continue;
    }

    const hour = matchComponent(spec, spec.hour, c, c.hour, false);
    if (hour !== null && hour !== c.hour) restart({ ...c, hour, min: 0, sec: 0 });
    if (hour === null || outOfBounds(c)) {
      restart({ ...c, mday: c.mday + 1, hour: 0, min: 0, sec: 0 });
      continue;
    }

    const min = matchComponent(spec, spec.minute, c, c.min, false);
    if (min !== null && min !== c.min) restart({ ...c, min, sec: 0 });
    if (min === null || outOfBounds(c)) {
      restart({ ...c, hour: c.hour + 1, min: 0, sec: 0 });
      continue;
    }

    // Seconds are matched in microseconds, so fractional seconds work.
    const us = matchComponent(spec, spec.second, c, c.sec * USEC_PER_SEC + usec, false);
    if (us !== null) {
      c = { ...c, sec: Math.floor(us / USEC_PER_SEC) };
      usec = us % USEC_PER_SEC;
    }
    if (us === null || outOfBounds(c)) {
      restart({ ...c, min: c.min + 1, sec: 0 });
      continue;
    }

    return (toSeconds(c) - offset) * USEC_PER_SEC + usec;
  }
  return null;
}

/** Parses `text` and returns its normalised form, or null if invalid. */
export function normalizeCalendar(text: string): string | null {
  const spec = parseCalendar(text);
  return spec ? formatCalendar(spec) : null;
}
