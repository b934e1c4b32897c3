// etcdctl's argument rules (urfave/cli 1.22 over Go's flag package), table-driven.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags, parseGoDuration, parseGoInt, reorderArgs, type FlagDef } from '../../src/cli/etcdctl/flags.js';
import { splitExecArgs } from '../../src/cli/etcdctl/watch.js';

const rmFlags: FlagDef[] = [
  { names: ['dir'], kind: 'bool' },
  { names: ['recursive', 'r'], kind: 'bool' },
  { names: ['with-value'], kind: 'string' },
  { names: ['with-index'], kind: 'int' },
];

test('reorderArgs moves known flags (and the word after one) to the front; `--` leads the rest', () => {
  const cases: [string[], string[]][] = [
    [['/k', '--with-value', 'v'], ['--with-value', 'v', '/k']],
    [['/k', '-r'], ['-r', '/k']],
    [['-r', '/k'], ['-r', '/k']],
    [['/k', '--bogus'], ['/k', '--bogus']],
    [['/k', '--', '-v'], ['--', '/k', '-v']],
    [['/k', '-5'], ['/k', '-5']],
    [['/k', '--with-index=3', 'x'], ['--with-index=3', '/k', 'x']],
  ];
  for (const [input, want] of cases) assert.deepEqual(reorderArgs(rmFlags, input), want, input.join(' '));
});

test('Go flag parsing: forms, values, errors', () => {
  const p = parseFlags(rmFlags, ['--with-value', 'v', '-with-index=0x10', '-r', '/k', '-x']);
  assert.deepEqual([...p.values], [['with-value', 'v'], ['with-index', 16], ['recursive', true]]);
  assert.deepEqual(p.args, ['/k', '-x']);
  assert.deepEqual(parseFlags(rmFlags, ['--', '-r']).args, ['-r']);
  assert.equal(parseFlags(rmFlags, ['--dir=false']).values.get('dir'), false);
  const bad: [string[], string][] = [
    [['--nope'], 'flag provided but not defined: -nope'],
    [['--with-index', 'x'], 'invalid value "x" for flag -with-index: parse error'],
    [['--dir=maybe'], 'invalid boolean value "maybe" for -dir: parse error'],
    [['--with-value'], 'flag needs an argument: -with-value'],
    [['---r'], 'bad flag syntax: ---r'],
    [['-r', '--recursive'], 'Cannot use two forms of the same flag: r recursive'],
  ];
  for (const [args, msg] of bad) assert.throws(() => parseFlags(rmFlags, args), { message: msg }, args.join(' '));
});

test('Go numbers and durations', () => {
  assert.equal(parseGoInt('010'), 8);
  assert.equal(parseGoInt('-7'), -7);
  assert.equal(parseGoInt('1_000'), undefined);
  assert.equal(parseGoDuration('1m30s'), 90000);
  assert.equal(parseGoDuration('250ms'), 250);
  assert.equal(parseGoDuration('1.5h'), 5400000);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('3'), undefined);
});

test('exec-watch takes the key first with a `--` after it, else the key is the last argument', () => {
  assert.deepEqual(splitExecArgs(['/k', '--', 'sh', '-c', 'env']), { key: '/k', cmd: ['sh', '-c', 'env'] });
  assert.deepEqual(splitExecArgs(['sh', '-c', 'env', '/k']), { key: '/k', cmd: ['sh', '-c', 'env'] });
});
