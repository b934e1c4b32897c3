// Time spans, booleans and calendar events: systemd.time(7) and
// systemd.syntax(7) of systemd 252. Span values and calendar next-elapse
// times are what `systemd-analyze timespan` / `TZ=UTC systemd-analyze calendar
// --base-time=… --iterations=3` (252) print for the same input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimespan, formatTimespan, parseBoolean, normalizeCalendar, parseCalendar, formatCalendar, nextElapse } from '../../src/units/index.js';

test('timespan: parsing (systemd.time(7) PARSING TIME SPANS; systemd-analyze timespan)', () => {
  const rows: Array<[string, number | null]> = [
    ['50', 50_000_000], // systemd.syntax(7): a stand-alone number is seconds
    ['2min 200ms', 120_200_000], // systemd.syntax(7): "i.e. 120200 ms"
    ['90', 90_000_000],
    ['1.5s', 1_500_000],
    ['1.5', 1_500_000],
    ['2 h', 7_200_000_000],
    ['2hours', 7_200_000_000],
    ['48hr', 172_800_000_000],
    ['1y 12month', 63_115_200_000_000],
    ['55s500ms', 55_500_000],
    ['300ms20s 5day', 432_020_300_000],
    ['1d 1us', 86_400_000_001],
    ['5 6', 11_000_000],
    ['5m', 300_000_000], // "m" is minutes
    ['5M', 13_149_000_000_000], // "M" is months (30.44 days)
    ['1.0000005s', 1_000_000], // fraction digits below 1us are dropped
    [' 5 ', 5_000_000],
    ['infinity', Infinity],
    ['', null],
    ['12.34.56', null],
    ['3.', null],
    ['-1', null],
    ['infinityx', null],
    ['5x', null],
  ];
  for (const [input, want] of rows) assert.equal(parseTimespan(input), want, JSON.stringify(input));
});

test('timespan: formatting as the "Human:" line of systemd-analyze timespan', () => {
  const rows: Array<[number, string]> = [
    [1_500_000, '1.500000s'],
    [120_200_000, '2min 200ms'],
    [90_000_000, '1min 30s'],
    [86_400_000_001, '1d 1us'],
    [3_600_000_000, '1h'],
    [63_115_200_000_000, '2y'],
    [55_500_000, '55.500000s'],
    [432_020_300_000, '5d 20.300000s'],
    [Infinity, 'infinity'],
  ];
  for (const [usec, want] of rows) assert.equal(formatTimespan(usec), want, String(usec));
});

test('booleans (systemd.syntax(7): 1 yes true on / 0 no false off)', () => {
  for (const t of ['1', 'yes', 'true', 'on', 'YES', 'True']) assert.equal(parseBoolean(t), true, t);
  for (const f of ['0', 'no', 'false', 'off', 'NO']) assert.equal(parseBoolean(f), false, f);
  for (const bad of ['', '2', 'maybe', 'enabled']) assert.equal(parseBoolean(bad), null, bad);
});

test('calendar: normalised forms from the systemd.time(7) CALENDAR EVENTS table', () => {
  const rows: Array<[string, string]> = [
    ['minutely', '*-*-* *:*:00'],
    ['hourly', '*-*-* *:00:00'],
    ['daily', '*-*-* 00:00:00'],
    ['monthly', '*-*-01 00:00:00'],
    ['weekly', 'Mon *-*-* 00:00:00'],
    ['yearly', '*-01-01 00:00:00'],
    ['quarterly', '*-01,04,07,10-01 00:00:00'],
    ['semiannually', '*-01,07-01 00:00:00'],
    ['Sat,Thu,Mon..Wed,Sat..Sun', 'Mon..Thu,Sat,Sun *-*-* 00:00:00'],
    ['Mon,Sun 12-*-* 2,1:23', 'Mon,Sun 2012-*-* 01,02:23:00'],
    ['Wed *-1', 'Wed *-*-01 00:00:00'],
    ['Wed..Wed,Wed *-1', 'Wed *-*-01 00:00:00'],
    ['Wed, 17:48', 'Wed *-*-* 17:48:00'],
    ['Wed..Sat,Tue 12-10-15 1:2:3', 'Tue..Sat 2012-10-15 01:02:03'],
    ['*-*-7 0:0:0', '*-*-07 00:00:00'],
    ['10-15', '*-10-15 00:00:00'],
    ['monday *-12-* 17:00', 'Mon *-12-* 17:00:00'],
    ['Mon,Fri *-*-3,1,2 *:30:45', 'Mon,Fri *-*-01,02,03 *:30:45'],
    ['12,14,13,12:20,10,30', '*-*-* 12,13,14:10,20,30:00'],
    ['12..14:10,20,30', '*-*-* 12..14:10,20,30:00'],
    ['mon,fri *-1/2-1,3 *:30:45', 'Mon,Fri *-01/2-01,03 *:30:45'],
    ['03-05 08:05:40', '*-03-05 08:05:40'],
    ['08:05:40', '*-*-* 08:05:40'],
    ['05:40', '*-*-* 05:40:00'],
    ['Sat,Sun 12-05 08:05:40', 'Sat,Sun *-12-05 08:05:40'],
    ['Sat,Sun 08:05:40', 'Sat,Sun *-*-* 08:05:40'],
    ['2003-03-05 05:40', '2003-03-05 05:40:00'],
    ['05:40:23.4200004/3.1700005', '*-*-* 05:40:23.420000/3.170001'],
    ['2003-02..04-05', '2003-02..04-05 00:00:00'],
    ['2003-03-05 05:40 UTC', '2003-03-05 05:40:00 UTC'],
    ['2003-03-05', '2003-03-05 00:00:00'],
    ['03-05', '*-03-05 00:00:00'],
    ['daily UTC', '*-*-* 00:00:00 UTC'],
    ['weekly Pacific/Auckland', 'Mon *-*-* 00:00:00 Pacific/Auckland'],
    ['annually', '*-01-01 00:00:00'],
    ['*:2/3', '*-*-* *:02/3:00'],
    // The systemd.time(7) prose: "~" counts from the end of the month.
    ['*-02~03', '*-02~03 00:00:00'],
    ['Mon *-05~07/1', 'Mon *-05~07/1 00:00:00'],
    ['Mon-Wed', 'Mon..Wed *-*-* 00:00:00'], // "-" weekday ranges kept for compatibility (systemd-analyze calendar 252)
    ['*-02~28', '*-02~28 00:00:00'], // at most 28 days back from the month's end
  ];
  for (const [input, want] of rows) assert.equal(normalizeCalendar(input), want, input);
});

test('calendar: invalid expressions are refused', () => {
  for (const bad of ['', 'bogus', 'Mon..', 'Wed..Mon', '*-13-01', '*-*-32', '25:00', '*:60', '*-02~30', '1969-01-01', '*-*-* 1:2:3:4', '0/0:00']) {
    assert.equal(parseCalendar(bad), null, bad);
  }
});

test('calendar: next elapse after a time (TZ=UTC systemd-analyze calendar --base-time="2024-02-28 23:59:59 UTC")', () => {
  const base = Date.UTC(2024, 1, 28, 23, 59, 59) * 1000;
  const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, us = 0): number => Date.UTC(y, mo - 1, d, h, mi, s) * 1000 + us;
  const rows: Array<[string, number[]]> = [
    ['Mon *-*-* 00:00', [at(2024, 3, 4), at(2024, 3, 11), at(2024, 3, 18)]],
    ['*-02~01', [at(2024, 2, 29), at(2025, 2, 28), at(2026, 2, 28)]],
    ['*-*-31 12:00', [at(2024, 3, 31, 12), at(2024, 5, 31, 12), at(2024, 7, 31, 12)]],
    ['*:0/15', [at(2024, 2, 29, 0, 0), at(2024, 2, 29, 0, 15), at(2024, 2, 29, 0, 30)]],
    ['Sat,Sun 08:05:40', [at(2024, 3, 2, 8, 5, 40), at(2024, 3, 3, 8, 5, 40), at(2024, 3, 9, 8, 5, 40)]],
    ['Mon *-05~07/1', [at(2024, 5, 27), at(2025, 5, 26), at(2026, 5, 25)]],
    ['*-*-* *:*:30.5', [at(2024, 2, 29, 0, 0, 30, 500_000), at(2024, 2, 29, 0, 1, 30, 500_000), at(2024, 2, 29, 0, 2, 30, 500_000)]],
    ['hourly', [at(2024, 2, 29, 0), at(2024, 2, 29, 1), at(2024, 2, 29, 2)]],
    ['*-02-29 00:00', [at(2024, 2, 29), at(2028, 2, 29), at(2032, 2, 29)]],
    ['Fri *-*-13 09:00', [at(2024, 9, 13, 9), at(2024, 12, 13, 9), at(2025, 6, 13, 9)]],
    ['*:2/3', [at(2024, 2, 29, 0, 2), at(2024, 2, 29, 0, 5), at(2024, 2, 29, 0, 8)]],
    ['00/7:00', [at(2024, 2, 29, 0), at(2024, 2, 29, 7), at(2024, 2, 29, 14)]],
  ];
  for (const [expr, want] of rows) {
    const spec = parseCalendar(expr)!;
    const got: number[] = [];
    let t = base;
    for (let i = 0; i < 3; i++) {
      const n = nextElapse(spec, t);
      assert.notEqual(n, null, expr);
      got.push(n!);
      t = n!;
    }
    assert.deepEqual(got.map((x) => new Date(x / 1000).toISOString() + `+${x % 1000}us`), want.map((x) => new Date(x / 1000).toISOString() + `+${x % 1000}us`), expr);
    assert.deepEqual(got, want, expr);
  }
  // "2003-03-05 05:40" lies in the past: "Next elapse: never".
  assert.equal(nextElapse(parseCalendar('2003-03-05 05:40')!, base), null);
  assert.equal(nextElapse(parseCalendar('2024-02-29')!, base), at(2024, 2, 29));
  // Local time: with the zone at UTC+8, "daily" fires at 16:00 UTC.
  assert.equal(nextElapse(parseCalendar('daily')!, base, 8 * 3600), at(2024, 2, 29, 16));
});

test('calendar: more next elapses, as TZ=UTC systemd-analyze calendar --base-time="2024-12-30 22:58:17 UTC" --iterations=3 prints them', () => {
  const base = Date.UTC(2024, 11, 30, 22, 58, 17) * 1000;
  // systemd prints whole seconds; compare at that precision.
  const show = (us: number): string => new Date(Math.floor(us / 1000)).toISOString().replace('T', ' ').slice(0, 19);
  const rows: Array<[string, string, string[]]> = [
    ['Sun *-*-1..7 3:00', 'Sun *-*-01..07 03:00:00', ['2025-01-05 03:00:00', '2025-02-02 03:00:00', '2025-03-02 03:00:00']],
    ['*:*:1.5/2.25', '*-*-* *:*:01.500000/2.250000', ['2024-12-30 22:58:17', '2024-12-30 22:58:19', '2024-12-30 22:58:21']],
    ['Tue *-02-29', 'Tue *-02-29 00:00:00', ['2028-02-29 00:00:00', '2056-02-29 00:00:00', '2084-02-29 00:00:00']],
    ['*-04-31', '*-04-31 00:00:00', []], // "Next elapse: never"
    ['Thu,Sat *-*~7 12:00', 'Thu,Sat *-*~07 12:00:00', ['2025-01-25 12:00:00', '2025-02-22 12:00:00', '2025-04-24 12:00:00']],
    ['Mon *-*-* 00..12/4:07', 'Mon *-*-* 00..12/4:07:00', ['2025-01-06 00:07:00', '2025-01-06 04:07:00', '2025-01-06 08:07:00']],
  ];
  for (const [expr, normalized, want] of rows) {
    const spec = parseCalendar(expr)!;
    assert.equal(formatCalendar(spec), normalized, expr);
    const got: string[] = [];
    for (let t: number | null = base, i = 0; i < 3; i++) {
      t = nextElapse(spec, t);
      if (t === null) break;
      got.push(show(t));
    }
    assert.deepEqual(got, want, expr);
  }
  // Refused by systemd-analyze calendar 252 as well.
  assert.equal(parseCalendar('*-*-~1'), null);
  assert.equal(parseCalendar('*-12-31 23:59:60'), null);
});
