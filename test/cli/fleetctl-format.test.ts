// fleetctl's pure parts, table-driven: Go's tabwriter as fleetctl sets it up,
// the list tables, legends, field validation, name mangling, flag parsing
// and endpoint forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tabwrite } from '../../src/cli/fleetctl/tabwriter.js';
import {
  formatMetadata, machineFullLegend, machineIDLegend, machinesTable, parseFields, unitFilesTable, unitStatesTable, FieldsError, type MachineInfo,
} from '../../src/cli/fleetctl/format.js';
import { flagUsages, parseFlags, stripFlags, FlagError, type FlagDef } from '../../src/cli/fleetctl/flags.js';
import { goBase, goDir, maybeAppendDefaultUnitType, unitNameMangle } from '../../src/cli/fleetctl/units.js';
import { apiTarget, socketInRoot, EndpointError } from '../../src/cli/fleetctl/endpoint.js';
import { goQueryEscape, GoogleApiError } from '../../src/cli/fleetctl/http-client.js';
import { goList, logLine } from '../../src/cli/fleetctl/context.js';

// Each expected text below is what Go's text/tabwriter (minwidth 0, tabwidth 8, padding 1, '\t') printed for the input.
test('tabwriter: columns padded with tabs to the next tab stop past the widest cell + 1', () => {
  const cases: Array<[string, string]> = [
    // fleetctl list-machines as verified against the real fleetctl (MACHINE^I^IIP^I^IMETADATA)
    ['MACHINE\tIP\tMETADATA\n113f16a7...\t10.0.0.3\taz=b\n', 'MACHINE\t\tIP\t\tMETADATA\n113f16a7...\t10.0.0.3\taz=b\n'],
    // a cell exactly 7 wide fits one tab stop; 8 wide needs two
    ['1234567\tx\n12345678\ty\n', '1234567\t\tx\n12345678\ty\n'],
    ['ab\tc\n', 'ab\tc\n'],
    // empty cells are padded too
    ['\tx\n\ty\n', '\tx\n\ty\n'],
    // a line without tabs ends the column block: the next block is sized on its own
    ['a-very-long-cell\tx\nbreak\nb\ty\n', 'a-very-long-cell\tx\nbreak\nb\ty\n'],
    // the last cell of a line is not a column: never padded
    ['a\tb\nlong-long-long\tc\n', 'a\t\tb\nlong-long-long\tc\n'],
    // a shorter line inside a block: deeper columns form their own block
    ['a\tbbbbbbbbbbbbbbbbb\tc\nd\te\n', 'a\tbbbbbbbbbbbbbbbbb\tc\nd\te\n'],
    ['', ''],
    // no trailing newline: the final empty cell is not a cell
    ['abcde\t', 'abcde'],
    // runes, not bytes
    ['héllo\tx\nab\ty\n', 'héllo\tx\nab\ty\n'],
  ];
  for (const [input, want] of cases) assert.equal(tabwrite(input), want, JSON.stringify(input));
});

const m1: MachineInfo = { id: '113f16a7c4ff4d57a4b6a4b0b4b7e57a', publicIP: '10.0.0.3', metadata: { region: 'us', az: 'us-west-1b' } };
const m2: MachineInfo = { id: '2222222222224d57a4b6a4b0b4b7e57a', publicIP: '', metadata: {} };
const lookup = (id: string): MachineInfo | undefined => [m1, m2].find((m) => m.id === id);

test('machine legends: 8 chars and "..." unless --full; /IP only when known', () => {
  assert.equal(machineIDLegend(m1, false), '113f16a7...');
  assert.equal(machineIDLegend(m1, true), m1.id);
  assert.equal(machineFullLegend(m1, false), '113f16a7.../10.0.0.3');
  assert.equal(machineFullLegend(m2, false), '22222222...');
  assert.equal(formatMetadata({ region: 'us', az: 'b', Zone: 'x' }), 'Zone=x,az=b,region=us');
});

test('list-machines table, with and without legend and --full', () => {
  const o = { cols: ['machine', 'ip', 'metadata'], full: false, noLegend: false, machines: lookup };
  assert.equal(machinesTable([m1, m2], o), 'MACHINE\t\tIP\t\tMETADATA\n113f16a7...\t10.0.0.3\taz=us-west-1b,region=us\n22222222...\t-\t\t-\n');
  assert.equal(machinesTable([m1], { ...o, noLegend: true, full: true }), '113f16a7c4ff4d57a4b6a4b0b4b7e57a\t10.0.0.3\taz=us-west-1b,region=us\n');
  assert.equal(machinesTable([], o), 'MACHINE\tIP\tMETADATA\n');
});

test('list-units table: machine legend from the machine list, "-" without a machine, short hash', () => {
  const states = [
    { name: 'hello.service', machineID: m1.id, hash: '1c6fb6f3684bafb0c173d8b8b957ceff031180c1', systemdLoadState: 'loaded', systemdActiveState: 'active', systemdSubState: 'running' },
    { name: 'x.service', machineID: 'ffffffffffff', systemdLoadState: 'loaded', systemdActiveState: 'failed', systemdSubState: 'failed' },
    { name: 'y.service' },
  ];
  const o = { cols: ['unit', 'machine', 'active', 'sub'], full: false, noLegend: false, machines: lookup };
  assert.equal(
    unitStatesTable(states, o),
    'UNIT\t\tMACHINE\t\t\tACTIVE\tSUB\nhello.service\t113f16a7.../10.0.0.3\tactive\trunning\nx.service\tffffffff...\t\tfailed\tfailed\ny.service\t-\t\t\t\t\n',
  );
  assert.equal(unitStatesTable(states.slice(0, 1), { ...o, cols: ['hash', 'load'], noLegend: true }), '1c6fb6f\tloaded\n');
  assert.equal(unitStatesTable(states.slice(0, 1), { ...o, cols: ['hash'], full: true, noLegend: true }), '1c6fb6f3684bafb0c173d8b8b957ceff031180c1\n');
});

test('list-unit-files table: global units show TARGET global and STATE -', () => {
  const opts = (text: string): { name: string; section: string; value: string }[] =>
    text.split('\n').filter(Boolean).map((l) => {
      const [section, rest] = l.split(':');
      const [name, value] = rest!.split('=');
      return { section: section!, name: name!, value: value! };
    });
  const units = [
    { name: 'hello.service', desiredState: 'launched', currentState: 'launched', machineID: m1.id, options: opts('Service:ExecStart=/bin/sleep 100') },
    { name: 'g.service', desiredState: 'launched', currentState: 'inactive', options: opts('Unit:Description=Everywhere\nX-Fleet:Global=true') },
    { name: 'new.service', desiredState: 'inactive', currentState: 'inactive', options: opts('Service:ExecStart=/bin/true') },
  ];
  const o = { cols: ['unit', 'hash', 'dstate', 'state', 'target'], full: false, noLegend: false, machines: lookup };
  // 1c6fb6f: fleet's own check value for "[Service]\nExecStart=/bin/sleep 100\n"
  assert.equal(
    unitFilesTable(units, o),
    'UNIT\t\tHASH\tDSTATE\t\tSTATE\t\tTARGET\nhello.service\t1c6fb6f\tlaunched\tlaunched\t113f16a7.../10.0.0.3\ng.service\t' +
      unitFilesTable([units[1]!], { ...o, cols: ['hash'], noLegend: true }).trim() +
      '\tlaunched\t-\t\tglobal\nnew.service\t' +
      unitFilesTable([units[2]!], { ...o, cols: ['hash'], noLegend: true }).trim() +
      '\tinactive\tinactive\t-\n',
  );
  assert.equal(unitFilesTable(units, { ...o, cols: ['unit', 'global', 'desc'], noLegend: true }), 'hello.service\tfalse\t-\ng.service\ttrue\tEverywhere\nnew.service\tfalse\t-\n');
});

test('--fields: empty and unknown fields are refused with fleetctl\'s messages', () => {
  assert.deepEqual(parseFields('list-units', 'unit,load'), ['unit', 'load']);
  assert.throws(() => parseFields('list-units', ''), (e: unknown) => e instanceof FieldsError && e.message === 'Must define output format');
  assert.throws(() => parseFields('list-machines', 'machine,bogus'), (e: unknown) => e instanceof FieldsError && e.message === 'Invalid key in output format: "bogus"');
  assert.deepEqual(parseFields('list-unit-files', 'tmachine,desc,global'), ['tmachine', 'desc', 'global']);
});

test('unit name mangling: base name, .service unless a type fleetctl recognises', () => {
  const cases: Array<[string, string]> = [
    ['hello', 'hello.service'],
    ['hello.service', 'hello.service'],
    ['dir/sub/web@1.service', 'web@1.service'],
    ['foo.target', 'foo.target.service'],
    ['x.socket', 'x.socket'],
    ['x.mount', 'x.mount'],
    ['a/b/', 'b.service'],
  ];
  for (const [arg, want] of cases) assert.equal(unitNameMangle(arg), want, arg);
  assert.equal(maybeAppendDefaultUnitType('units/foo'), 'units/foo.service');
  assert.equal(goBase(''), '.');
  assert.equal(goBase('///'), '/');
  assert.equal(goDir('web@1.service'), '.');
  assert.equal(goDir('units/web@1.service'), 'units');
  assert.equal(goDir('/web@1.service'), '/');
});

const defs: FlagDef[] = [
  { name: 'full', kind: 'bool', def: 'false', usage: 'Do not ellipsize fields on output' },
  { name: 'l', kind: 'bool', def: 'false', usage: 'Shorthand for --full' },
  { name: 'fields', kind: 'string', def: 'unit', usage: 'Columns' },
  { name: 'block-attempts', kind: 'int', def: '0', usage: 'Attempts' },
  { name: 'request-timeout', kind: 'float', def: '3', usage: 'Timeout' },
];

test('flags: long forms, bools, interleaving, and pflag\'s error messages', () => {
  const p = parseFlags(defs, ['a.service', '--full', '--fields=unit,hash', '--block-attempts', '3', 'b.service', '--l=false', '--', '--full']);
  assert.deepEqual(p.args, ['a.service', 'b.service', '--full']);
  assert.equal(p.values.get('full'), true);
  assert.equal(p.values.get('l'), false);
  assert.equal(p.values.get('fields'), 'unit,hash');
  assert.equal(p.values.get('block-attempts'), 3);
  assert.deepEqual([...p.set].sort(), ['block-attempts', 'fields', 'full', 'l']);
  const errors: Array<[string[], string]> = [
    [['-l'], "unknown shorthand flag: 'l' in -l"],
    [['-lf'], "unknown shorthand flag: 'l' in -lf"],
    [['--bogus'], 'unknown flag: --bogus'],
    [['--fields'], 'flag needs an argument: --fields'],
    [['--block-attempts=x'], 'invalid argument "x" for --block-attempts: strconv.ParseInt: parsing "x": invalid syntax'],
    [['--full=maybe'], 'invalid argument "maybe" for --full: strconv.ParseBool: parsing "maybe": invalid syntax'],
    [['---x'], 'bad flag syntax: ---x'],
  ];
  for (const [argv, msg] of errors) assert.throws(() => parseFlags(defs, argv), (e: unknown) => e instanceof FlagError && e.message === msg, argv.join(' '));
  assert.deepEqual(parseFlags(defs, ['-']).args, ['-']);
});

test('stripFlags finds the command word wherever it stands', () => {
  const bools = new Set(['full', 'debug']);
  assert.deepEqual(stripFlags(['--endpoint', 'http://x:1', 'list-units', '--full'], bools), ['list-units']);
  assert.deepEqual(stripFlags(['--debug', 'start', 'a.service'], bools), ['start', 'a.service']);
  assert.deepEqual(stripFlags(['--endpoint=http://x', 'cat', 'a'], bools), ['cat', 'a']);
});

test('flag usages: sorted, aligned, non-zero defaults shown', () => {
  assert.equal(
    flagUsages(defs),
    '      --block-attempts int      Attempts\n' +
      '      --fields string           Columns (default "unit")\n' +
      '      --full                    Do not ellipsize fields on output\n' +
      '      --l                       Shorthand for --full\n' +
      '      --request-timeout float   Timeout (default 3)\n',
  );
});

test('endpoints: unix sockets (inside the machine root for /var/run and /run), http, and fleetctl\'s errors', () => {
  assert.deepEqual(apiTarget('unix:///var/run/fleet.sock', undefined), { kind: 'unix', path: '/var/run/fleet.sock' });
  assert.deepEqual(apiTarget('unix:///var/run/fleet.sock', '/m/1'), { kind: 'unix', path: '/m/1/run/fleet.sock' });
  assert.deepEqual(apiTarget('file:///run/fleet.sock,http://ignored', '/m/1'), { kind: 'unix', path: '/m/1/run/fleet.sock' });
  assert.deepEqual(apiTarget('unix:///tmp/x.sock', '/m/1'), { kind: 'unix', path: '/tmp/x.sock' });
  assert.deepEqual(apiTarget('http://127.0.0.2:49153', undefined), { kind: 'tcp', host: '127.0.0.2', port: 49153, basePath: '', origin: 'http://127.0.0.2:49153' });
  assert.deepEqual(apiTarget('http://fleet.example/api/', undefined), { kind: 'tcp', host: 'fleet.example', port: 80, basePath: '/api', origin: 'http://fleet.example' });
  const errs: Array<[string, string]> = [
    ['unix://var/run/fleet.sock', 'unable to connect to host "var" with scheme "unix"'],
    ['/var/run/fleet.sock', 'URL scheme undefined'],
    ['127.0.0.1:49153', 'parse 127.0.0.1:49153: first path segment in URL cannot contain colon'],
  ];
  for (const [ep, msg] of errs) assert.throws(() => apiTarget(ep, undefined), (e: unknown) => e instanceof EndpointError && e.message === msg, ep);
  assert.equal(socketInRoot('/var/run/fleet.sock', '/r'), '/r/run/fleet.sock');
  assert.equal(socketInRoot('/run/x/fleet.sock', '/r'), '/r/run/x/fleet.sock');
  assert.equal(socketInRoot('/var/runner/fleet.sock', '/r'), '/var/runner/fleet.sock');
});

test('wire details: path escaping, googleapi error text, Go list and log formats', () => {
  assert.equal(goQueryEscape('lb@2.service'), 'lb%402.service');
  assert.equal(goQueryEscape('a b\\c:d'), 'a+b%5Cc%3Ad');
  assert.equal(new GoogleApiError(404, 'unit does not exist', '').message, 'googleapi: Error 404: unit does not exist');
  assert.equal(new GoogleApiError(500, '', '{"error":{"code":500,"message":""}}').message, 'googleapi: got HTTP response code 500 with body: {"error":{"code":500,"message":""}}');
  assert.equal(goList(['a.service', 'b.service']), '[a.service b.service]');
  assert.equal(goList([]), '[]');
  assert.equal(logLine('WARN', 'fleetctl.go:674', 'm', new Date(2016, 11, 22, 15, 22, 35)), '2016/12/22 15:22:35 WARN fleetctl.go:674: m\n');
});
