// Exec*= command lines: systemd.service(5) "COMMAND LINES" and the prefix
// table under ExecStart=, systemd.syntax(7) "QUOTING"; error wording as
// printed by `systemd-analyze verify` 252.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseExecLine, expandExecArgv, extractWord, formatDiagnostic, parseUnitFile, interpretUnit, specifierExpander,
  type SpecifierContext,
} from '../../src/units/index.js';

const F = '/etc/systemd/system/t.service';
const argvOf = (line: string): string[][] => parseExecLine(line, F, 7).commands.map((c) => c.argv);

test('exec: word splitting with quotes and C escapes (systemd.syntax(7) QUOTING, table 1)', () => {
  const rows: Array<[string, string[], string]> = [
    ['/bin/echo a  b', ['/bin/echo', 'a', 'b'], 'whitespace separates words'],
    ['/bin/echo "a b" \'c d\'', ['/bin/echo', 'a b', 'c d'], 'double and single quotes wrap an item; quotes removed'],
    ['/bin/echo "it\'s"', ['/bin/echo', "it's"], 'the other quote is literal inside quotes'],
    ['/bin/echo \\a\\b\\f\\n\\r\\t\\v', ['/bin/echo', '\x07\b\f\n\r\t\v'], '\\a \\b \\f \\n \\r \\t \\v'],
    ['/bin/echo a\\\\b \\" \\\'', ['/bin/echo', 'a\\b', '"', "'"], '\\\\ \\" \\\''],
    ['/bin/echo a\\sb', ['/bin/echo', 'a b'], '\\s is a space and does not split'],
    ['/bin/echo \\x41\\102', ['/bin/echo', 'AB'], '\\xxx hex, \\nnn octal'],
    ['/bin/echo \\xc3\\xa9', ['/bin/echo', '\u00e9'], 'hex escapes are bytes (UTF-8 é)'],
    ['/bin/echo \\u00e9 \\U0001F600', ['/bin/echo', '\u00e9', '\u{1F600}'], '\\unnnn and \\Unnnnnnnn code points'],
    ['/bin/echo "a\\tb"', ['/bin/echo', 'a\tb'], 'escapes work inside quotes too'],
    ['/bin/echo ""', ['/bin/echo', ''], 'an empty quoted item is an empty argument'],
  ];
  for (const [line, want, why] of rows) assert.deepEqual(argvOf(line), [want], why);
});

test('exec: prefixes - @ : + ! !! (systemd.service(5) ExecStart=, table "Special executable prefixes")', () => {
  const flags = (line: string) => {
    const c = parseExecLine(line, F, 1).commands[0]!;
    return {
      path: c.path, argv: c.argv, ignoreFailure: c.ignoreFailure, argv0Separate: c.argv0Separate,
      noEnvExpand: c.noEnvExpand, fullPrivileges: c.fullPrivileges, noSetuid: c.noSetuid, ambientMagic: c.ambientMagic,
    };
  };
  const none = { ignoreFailure: false, argv0Separate: false, noEnvExpand: false, fullPrivileges: false, noSetuid: false, ambientMagic: false };
  assert.deepEqual(flags('-/usr/bin/docker rm x'), { ...none, path: '/usr/bin/docker', argv: ['/usr/bin/docker', 'rm', 'x'], ignoreFailure: true });
  // "@": the second word becomes argv[0].
  assert.deepEqual(flags('@/bin/sh mysh -c true'), { ...none, path: '/bin/sh', argv: ['mysh', '-c', 'true'], argv0Separate: true });
  assert.deepEqual(flags(':/bin/echo $X'), { ...none, path: '/bin/echo', argv: ['/bin/echo', '$X'], noEnvExpand: true });
  assert.deepEqual(flags('+/bin/true'), { ...none, path: '/bin/true', argv: ['/bin/true'], fullPrivileges: true });
  assert.deepEqual(flags('!/bin/true'), { ...none, path: '/bin/true', argv: ['/bin/true'], noSetuid: true });
  assert.deepEqual(flags('!!/bin/true'), { ...none, path: '/bin/true', argv: ['/bin/true'], ambientMagic: true });
  // "-", "@" and ":" combine in any order with one of "+", "!", "!!".
  assert.deepEqual(flags('@-:+/bin/sh sh'), { ...none, path: '/bin/sh', argv: ['sh'], ignoreFailure: true, argv0Separate: true, noEnvExpand: true, fullPrivileges: true });
  // "+" then "!" is not a prefix pair: "!" becomes part of the path, which is then not absolute.
  const bad = parseExecLine('+!/bin/true', F, 3);
  assert.deepEqual(bad.diagnostics.map(formatDiagnostic), [`${F}:3: Neither a valid executable name nor an absolute path: !/bin/true`]);
  assert.equal(bad.fatal, true);
});

test('exec: several commands on one line and the escaped semicolon (systemd.service(5) COMMAND LINES examples)', () => {
  // ExecStart=echo one ; echo "two two"  → two commands.
  assert.deepEqual(argvOf('echo one ; echo "two two"'), [['echo', 'one'], ['echo', 'two two']]);
  // ExecStart=echo / >/dev/null & \; \<newline>ls → five arguments ("/", ">/dev/null", "&", ";", "ls").
  const file = parseUnitFile('[Service]\nExecStart=echo / >/dev/null & \\; \\\nls\n', F);
  const value = file.sections[0]!.entries[0]!.value;
  assert.deepEqual(argvOf(value), [['echo', '/', '>/dev/null', '&', ';', 'ls']]);
  // "a;" is not a separator (the ";" must be a word of its own); "\\;" and "\";\"" stay arguments.
  assert.deepEqual(argvOf('/bin/echo a; b'), [['/bin/echo', 'a;', 'b']]);
  assert.deepEqual(argvOf('/bin/echo ";"'), [['/bin/echo', ';']]);
});

test('exec: bad lines are refused with systemd\'s message; with "-" only the line is dropped (systemd-analyze verify 252)', () => {
  const rows: Array<[string, string, 'warning' | 'error', boolean]> = [
    ['bin/true', "Neither a valid executable name nor an absolute path: bin/true", 'error', true],
    ['/bin/', 'Executable path specifies a directory: /bin/', 'error', true],
    ['@', "Empty path in command line: '@'", 'error', true],
    ['-', "Empty path in command line, ignoring: '-'", 'error', false],
    ['/bin/a "b', 'Unbalanced quoting, ignoring: "/bin/a "b"', 'error', true],
    ['@/bin/sh', 'Empty executable name or zeroeth argument: @/bin/sh', 'error', true],
  ];
  for (const [line, message, severity, fatal] of rows) {
    const r = parseExecLine(line, F, 3);
    assert.deepEqual(r.diagnostics.map((d) => [d.severity, formatDiagnostic(d)]), [[severity, `${F}:3: ${message}`]], line);
    assert.equal(r.fatal, fatal, line);
    assert.deepEqual(r.commands, [], line);
  }
  // An unknown escape is kept verbatim with a warning, and the command stays.
  const r = parseExecLine('/bin/a b\\q c', F, 3);
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), [`${F}:3: Ignoring unknown escape sequences: "b\\q"`]);
  assert.deepEqual(r.commands.map((c) => c.argv), [['/bin/a', 'b\\q', 'c']]);
  assert.equal(parseExecLine('', F, 1).reset, true);
});

test('exec: quotes inside a word open quoting too, and NUL or out-of-range escapes are unknown (systemd-analyze verify 252)', () => {
  // The man page says a quote opens only at the start of an item, but systemd 252 honours it mid-word.
  for (const line of ['/bin/echo a"b', "/bin/echo a'b c", '/bin/echo "a"b"c']) {
    const r = parseExecLine(line, F, 2);
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [`${F}:2: Unbalanced quoting, ignoring: "${line}"`], line);
    assert.equal(r.fatal, true, line);
  }
  assert.deepEqual(argvOf('/bin/echo a"b c"d'), [['/bin/echo', 'ab cd']]);
  for (const [line, word] of [['/bin/echo \\x00', '\\x00'], ['/bin/echo \\u0000', '\\u0000'], ['/bin/echo \\777', '\\777'], ['/bin/echo "\\q"', '\\q']]) {
    const r = parseExecLine(line!, F, 2);
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [`${F}:2: Ignoring unknown escape sequences: "${word}"`], line);
    assert.deepEqual(r.commands.map((c) => c.argv), [['/bin/echo', word]], line);
  }
});

test('exec: specifiers are expanded per word; an unknown one is fatal unless "-" (systemd-analyze verify 252)', () => {
  const ctx: SpecifierContext = {
    machineId: 'a'.repeat(32), bootId: 'b'.repeat(32), hostname: 'core-01.example.com', userName: 'root', uid: 0,
    groupName: 'root', gid: 0, home: '/root', shell: '/bin/sh',
  };
  const expand = specifierExpander({ name: 'web@8080.service' }, ctx);
  assert.deepEqual(parseExecLine('/usr/bin/docker run --name web-%i -h %H', F, 1, expand).commands[0]!.argv,
    ['/usr/bin/docker', 'run', '--name', 'web-8080', '-h', 'core-01.example.com']);
  const fatal = parseExecLine('/bin/echo %Z', F, 11, expand);
  assert.deepEqual(fatal.diagnostics.map(formatDiagnostic), [`${F}:11: Failed to resolve unit specifiers in %Z: Invalid slot`]);
  assert.equal(fatal.fatal, true);
  const ignored = parseExecLine('-/bin/x %Z', F, 3, expand);
  assert.deepEqual(ignored.diagnostics.map(formatDiagnostic), [`${F}:3: Failed to resolve unit specifiers in %Z, ignoring: Invalid slot`]);
  assert.equal(ignored.fatal, false);
});

test('exec: $VAR and ${VAR} expansion (systemd.service(5) COMMAND LINES examples)', () => {
  const envOf = (assignments: string): Record<string, string> => {
    const f = parseUnitFile(`[Service]\nExecStart=/bin/true\n${assignments}\n`, F);
    return interpretUnit('t.service', [f], (t) => ({ ok: true, value: t })).settings.service!.environment;
  };
  // Example 1: Environment="ONE=one" 'TWO=two two' / ExecStart=echo $ONE $TWO ${TWO}
  const env1 = envOf(`Environment="ONE=one" 'TWO=two two'`);
  assert.deepEqual(env1, { ONE: 'one', TWO: 'two two' });
  assert.deepEqual(expandExecArgv(argvOf('echo $ONE $TWO ${TWO}')[0]!, env1), ['echo', 'one', 'two', 'two', 'two two']);
  // Example 2: Environment=ONE='one' "TWO='two two' too" THREE=
  // The man page of 252 claims ${ONE} gives "'one'"; systemd in fact removes those quotes
  // (systemd issue #42442, fixed in the page by PR #42753), so ONE is "one".
  const env2 = envOf(`Environment=ONE='one' "TWO='two two' too" THREE=`);
  assert.deepEqual(env2, { ONE: 'one', TWO: "'two two' too", THREE: '' });
  assert.deepEqual(expandExecArgv(argvOf('/bin/echo ${ONE} ${TWO} ${THREE}')[0]!, env2), ['/bin/echo', 'one', "'two two' too", '']);
  assert.deepEqual(expandExecArgv(argvOf('/bin/echo $ONE $TWO $THREE')[0]!, env2), ['/bin/echo', 'one', 'two two', 'too']);
  // "$$" is a literal dollar; unknown variables are empty; $VAR inside a word is left alone.
  assert.deepEqual(expandExecArgv(['/bin/echo', '$$HOME', '${NOPE}', 'x$ONE', '$NOPE', 'p${ONE}q'], env2),
    ['/bin/echo', '$HOME', '', 'x$ONE', 'poneq']);
});

test('words: extractWord reports unbalanced quotes and returns the rest', () => {
  assert.deepEqual(extractWord('  "a b"c  rest', { unquote: true }), { ok: true, word: 'a bc', rest: 'rest' });
  assert.deepEqual(extractWord('"open', { unquote: true }), { ok: false, reason: 'invalid' });
  assert.deepEqual(extractWord('   ', { unquote: true }), { ok: true, word: null, rest: '' });
});

// Cross-checked with systemd 252's 30-systemd-environment-d-generator, which reads
// environment.d files with the same reader (it rejects empty values on its own).
test('environment files: the rules of systemd.exec(5) EnvironmentFile=', async () => {
  const { parseEnvironmentFile } = await import('../../src/units/index.js');
  const text = [
    '# comment', '; comment', '', 'noequals', 'PLAIN=  a  b  ', 'ESC=a\\\\b\\$c', 'CONT=x\\', 'y',
    "SQ='one", "two \\n'", 'DQ="a\\"b\\$c\\d\\`e\\\\f"', 'DQCONT="x\\', 'y"', "APOS=it's",
    'DUP=1', 'DUP=2', '9BAD=1', 'export E=1', 'EMPTY=', 'COREOS_PRIVATE_IPV4=192.0.2.10',
    '# a comment ending in a backslash \\', 'HIDDEN=swallowed by the comment in systemd 252', 'LAST=z',
  ].join('\n');
  assert.deepEqual(parseEnvironmentFile(text), {
    env: {
      PLAIN: 'a  b', // leading/trailing blanks dropped, interior kept
      ESC: 'a\\b$c', // a backslash keeps the next character
      CONT: 'xy', // backslash-newline joins lines, the newline discarded
      SQ: 'one\ntwo \\n', // single quotes: verbatim, may span lines
      DQ: 'a"b$c\\d`e\\f', // double quotes: only \" \\ \` \$ unescape
      DQCONT: 'xy',
      APOS: "it's", // quotes after the first character are kept
      DUP: '2',
      EMPTY: '',
      COREOS_PRIVATE_IPV4: '192.0.2.10',
      LAST: 'z',
    },
    invalid: ['9BAD=1', 'export E=1'],
  });
});
