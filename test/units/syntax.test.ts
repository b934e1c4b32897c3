// The unit-file syntax, each row against systemd.syntax(7) / systemd.unit(5)
// of systemd 252; diagnostics wording and line numbers as printed by
// `systemd-analyze verify` 252 for the same input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUnitFile, assignmentsOf, formatDiagnostic, syntaxDiagnostics, interpretUnit } from '../../src/units/index.js';

const F = '/etc/systemd/system/t.service';

function entries(text: string): Array<[string, string, string, number]> {
  const f = parseUnitFile(text, F);
  return f.sections.flatMap((s) => s.entries.map((e): [string, string, string, number] => [s.name, e.key, e.value, e.line]));
}

test('syntax: sections, comments, whitespace around "=" (systemd.syntax(7) INTRODUCTION)', () => {
  const rows: Array<{ input: string; want: Array<[string, string, string, number]>; why: string }> = [
    { input: '[A]\nKey=value\n', want: [['A', 'Key', 'value', 2]], why: 'plain assignment' },
    { input: '[A]\nKey = value  \n', want: [['A', 'Key', 'value', 2]], why: 'whitespace before/after "=" ignored' },
    { input: '[A]\n# c\n; c\n\nK=v\n', want: [['A', 'K', 'v', 5]], why: '#, ; and empty lines ignored' },
    { input: '[A]\n   # indented comment\nK=v\n', want: [['A', 'K', 'v', 3]], why: 'leading blanks before # (conf-parser skips them)' },
    { input: '[A]\nK=a=b\n', want: [['A', 'K', 'a=b', 2]], why: 'only the first "=" splits' },
    { input: '[A]\nK=\n', want: [['A', 'K', '', 2]], why: 'empty assignment kept (it resets lists)' },
    { input: '[A]\nK=1\nK=2\n', want: [['A', 'K', '1', 2], ['A', 'K', '2', 3]], why: 'repeated keys kept in order' },
    { input: '[Section A]\nKeyOne=value 1\n', want: [['Section A', 'KeyOne', 'value 1', 2]], why: 'example 1: section names may contain spaces' },
    { input: '\uFEFF[A]\nK=v\n', want: [['A', 'K', 'v', 2]], why: 'UTF-8 BOM skipped' },
    { input: '[A]\r\nK=v\r\n', want: [['A', 'K', 'v', 2]], why: 'CRLF line ends' },
  ];
  for (const r of rows) assert.deepEqual(entries(r.input), r.want, r.why);
});

test('syntax: backslash continuation (systemd.syntax(7) example 1)', () => {
  const rows: Array<{ input: string; want: Array<[string, string, string, number]>; why: string }> = [
    {
      // "KeyTwo=value 2 \" + "       value 2 continued": the backslash becomes a space.
      input: '[Section B]\nKeyTwo=value 2 \\\n       value 2 continued\n',
      want: [['Section B', 'KeyTwo', 'value 2 ' + ' ' + '       value 2 continued', 3]],
      why: 'backslash replaced by a space, next line appended as is, line = last physical line',
    },
    {
      input: '[Section C]\nKeyThree=value 3\\\n# this line is ignored\n; this line is ignored too\n       value 3 continued\n',
      want: [['Section C', 'KeyThree', 'value 3' + ' ' + '       value 3 continued', 5]],
      why: 'comment lines inside a continuation are skipped',
    },
    { input: '[A]\nK=a\\\\\nL=b\n', want: [['A', 'K', 'a\\\\', 2], ['A', 'L', 'b', 3]], why: 'an escaped backslash at the end does not continue' },
    { input: '[A]\nK=a\\\n\nL=b\n', want: [['A', 'K', 'a', 3], ['A', 'L', 'b', 4]], why: 'an empty line ends the continuation' },
    // systemd-analyze verify 252 reports such a line one past the last line.
    { input: '[A]\nK=a \\\n', want: [['A', 'K', 'a', 3]], why: 'a continuation at end of file is still parsed' },
  ];
  for (const r of rows) assert.deepEqual(entries(r.input), r.want, r.why);
});

test('syntax: malformed lines give systemd\'s diagnostics with file:line', () => {
  const f = parseUnitFile('Foo=bar\n[Unit]\nnoequals\n=value\nDescription=x\n', F);
  assert.deepEqual(
    syntaxDiagnostics(f).map(formatDiagnostic),
    [
      `${F}:1: Assignment outside of section. Ignoring.`,
      `${F}:3: Missing '=', ignoring line.`,
      `${F}:4: Missing key name before '=', ignoring line.`,
    ],
  );
  assert.deepEqual(syntaxDiagnostics(f).map((d) => d.severity), ['warning', 'warning', 'warning']);
  assert.equal(f.failed, false);
  assert.deepEqual(assignmentsOf([f], 'Unit').map((a) => [a.key, a.value]), [['Description', 'x']]);
});

test('syntax: an invalid section header stops reading (LoadState error in systemd)', () => {
  const f = parseUnitFile('[Service]\nExecStart=/bin/true\n[Install\nWantedBy=x\n', F);
  assert.equal(f.failed, true);
  assert.deepEqual(f.diagnostics.map(formatDiagnostic), [`${F}:3: Invalid section header '[Install'`]);
  assert.equal(f.diagnostics[0]!.severity, 'error');
  // Nothing after the bad header is read.
  assert.deepEqual(f.sections.map((s) => s.name), ['Service']);
});

test('syntax: X- sections and repeated sections are kept verbatim and in order', () => {
  const f = parseUnitFile('[Unit]\nA=1\n[X-Fleet]\nX-Conflicts=a@*.service\n[Unit]\nA=2\n', F);
  assert.deepEqual(f.sections.map((s) => [s.name, s.line]), [['Unit', 1], ['X-Fleet', 3], ['Unit', 5]]);
  assert.deepEqual(assignmentsOf([f], 'Unit').map((a) => a.value), ['1', '2']);
  assert.deepEqual(assignmentsOf([f], 'X-Fleet').map((a) => [a.key, a.value, a.file, a.line]), [['X-Conflicts', 'a@*.service', F, 4]]);
});

test('syntax: lines inside a section systemd ignores are skipped silently (systemd-analyze verify 252)', () => {
  // Malformed lines are reported only where systemd reads the section.
  const f = parseUnitFile('[Bogus]\nnoequals\n[X-Fleet]\n=v\n[Service]\nExecStart=/bin/true\nbroken\n', F);
  assert.deepEqual(syntaxDiagnostics(f).map(formatDiagnostic), [
    `${F}:2: Missing '=', ignoring line.`, `${F}:4: Missing key name before '=', ignoring line.`, `${F}:7: Missing '=', ignoring line.`,
  ]);
  const r = interpretUnit('t.service', [f], (t) => ({ ok: true, value: t }));
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), [`${F}:1: Unknown section 'Bogus'. Ignoring.`, `${F}:7: Missing '=', ignoring line.`]);
});
