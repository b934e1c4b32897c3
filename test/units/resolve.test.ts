// Unit resolution: systemd.unit(5) "DESCRIPTION" (drop-ins, templates,
// masking, aliases) and "UNIT FILE LOAD PATH". The expected drop-in sets and
// order come from the same tree built on disk and loaded by systemd 252
// (SYSTEMD_UNIT_PATH=<root>/etc…:<root>/run…:<root>/lib… systemd-analyze
// verify NAME, each drop-in carrying a distinct unknown key so the warnings
// show which files were read, in order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadUnit, standardSearchPath, dropInDirNames, withLinkedUnit, formatDiagnostic, type UnitView, type SpecifierContext } from '../../src/units/index.js';

const R = '/tmp/sdroot';
const E = `${R}/etc/systemd/system`;
const U = `${R}/run/systemd/system`;
const L = `${R}/lib/systemd/system`;
const ctx: SpecifierContext = {
  machineId: '0123456789abcdef0123456789abcdef', bootId: 'fedcba9876543210fedcba9876543210',
  hostname: 'core-01', userName: 'root', uid: 0, groupName: 'root', gid: 0, home: '/root', shell: '/bin/sh',
};
const conf = '[Unit]\nDescription=from drop-in\n';

const view: UnitView = {
  searchPath: standardSearchPath(R),
  entries: {
    [`${L}/foo-bar-baz.service`]: '[Service]\nExecStart=/bin/lib\n',
    [`${E}/foo-bar-baz.service`]: '[Service]\nExecStart=/bin/etc\n',
    [`${L}/foo-bar-baz.service.d/10-a.conf`]: conf,
    [`${L}/foo-bar-baz.service.d/30-c.conf`]: conf,
    [`${E}/foo-.service.d/10-a.conf`]: conf,
    [`${U}/foo-bar-.service.d/20-b.conf`]: conf,
    [`${U}/foo-bar-.service.d/30-c.conf`]: conf,
    [`${U}/foo-bar-.service.d/notes.txt`]: 'not a drop-in',
    [`${E}/service.d/05-top.conf`]: conf,
    [`${E}/service.d/30-c.conf`]: conf,
    [`${L}/web@.service`]: '[Unit]\nDescription=Web %i\n[Service]\nExecStart=/bin/t %i\n',
    [`${E}/web@.service.d/10-t.conf`]: conf,
    [`${E}/web@1.service.d/10-t.conf`]: conf,
    [`${E}/web@.service.d/20-t.conf`]: '[Service]\nEnvironment=PORT=80%i\n',
    [`${E}/masked.service`]: { symlink: '/dev/null' },
    [`${L}/masked.service`]: '[Service]\nExecStart=/x\n',
    [`${E}/empty.service`]: '',
    [`${E}/alias.service`]: { symlink: '../../../lib/systemd/system/foo-bar-baz.service' },
    [`${E}/alias.service.d/50-alias.conf`]: conf,
    [`${L}/only.service.d/a.conf`]: conf,
    [`${L}/only.target.d/a.conf`]: conf,
    [`${E}/broken.service`]: '[Service]\nExecStart=/bin/true\n[Install\n',
    [`${E}/bad.service`]: '[Unit]\nDescription=no command\n',
    [`${E}/loop.service`]: { symlink: 'loop2.service' },
    [`${E}/loop2.service`]: { symlink: 'loop.service' },
  },
};

test('resolve: fragment precedence /etc over /run over /lib, drop-ins merged by file name (systemd.unit(5))', () => {
  const u = loadUnit(view, 'foo-bar-baz.service', ctx);
  assert.equal(u.loadState, 'loaded');
  assert.equal(u.fragmentPath, `${E}/foo-bar-baz.service`);
  assert.deepEqual(u.settings!.service!.execStart.map((c) => c.argv), [['/bin/etc']]);
  // systemd 252 read exactly these, in this order: a same-named file in a
  // higher-precedence directory hides the lower one, dashed-prefix dirs apply,
  // and the top-level service.d/ yields to the name-specific dirs.
  assert.deepEqual(u.dropInPaths, [
    `${E}/service.d/05-top.conf`,
    `${E}/foo-.service.d/10-a.conf`,
    `${U}/foo-bar-.service.d/20-b.conf`,
    `${U}/foo-bar-.service.d/30-c.conf`,
    // alias.service links to this unit, so its drop-ins apply too (systemd.unit(5): "dropins for the aliased name and all aliases are loaded").
    `${E}/alias.service.d/50-alias.conf`,
  ]);
  assert.equal(u.settings!.unit.description, 'from drop-in');
});

test('resolve: drop-in directory names, most specific first', () => {
  assert.deepEqual(dropInDirNames('foo-bar-baz.service'), ['foo-bar-baz.service.d', 'foo-bar-.service.d', 'foo-.service.d']);
  assert.deepEqual(dropInDirNames('web@1.service'), ['web@1.service.d', 'web@.service.d']);
  assert.deepEqual(dropInDirNames('a-b@x.service'), ['a-b@x.service.d', 'a-b@.service.d', 'a-.service.d', 'a-@x.service.d', 'a-@.service.d']);
  assert.deepEqual(dropInDirNames('-foo.service'), ['-foo.service.d']); // a leading dash stops the walk
});

test('resolve: templates are instantiated; instance drop-ins before template drop-ins', () => {
  const u = loadUnit(view, 'web@1.service', ctx);
  assert.equal(u.loadState, 'loaded');
  assert.equal(u.id, 'web@1.service');
  assert.equal(u.fragmentPath, `${L}/web@.service`);
  assert.deepEqual(u.dropInPaths, [
    `${E}/service.d/05-top.conf`,
    `${E}/web@1.service.d/10-t.conf`,
    `${E}/web@.service.d/20-t.conf`,
    `${E}/service.d/30-c.conf`,
  ]);
  // %i is the instance, in the fragment and in the template's drop-in.
  assert.deepEqual(u.settings!.service!.execStart[0]!.argv, ['/bin/t', '1']);
  assert.deepEqual(u.settings!.service!.environment, { PORT: '801' });
  // The template itself cannot be loaded.
  const t = loadUnit(view, 'web@.service', ctx);
  assert.equal(t.loadState, 'error');
  assert.deepEqual(t.diagnostics.map(formatDiagnostic), ['web@.service: Unit name web@.service is missing the instance name.']);
});

test('resolve: masking by /dev/null symlink or empty file ("Unit … is masked")', () => {
  const m = loadUnit(view, 'masked.service', ctx);
  assert.deepEqual([m.loadState, m.fragmentPath, m.settings], ['masked', `${E}/masked.service`, null]);
  const e = loadUnit(view, 'empty.service', ctx);
  assert.deepEqual([e.loadState, e.fragmentPath], ['masked', `${E}/empty.service`]);
});

test('resolve: a symlink to another unit makes an alias; drop-ins of both names apply', () => {
  const a = loadUnit(view, 'alias.service', ctx);
  assert.equal(a.loadState, 'loaded');
  assert.equal(a.id, 'foo-bar-baz.service');
  assert.equal(a.fragmentPath, `${L}/foo-bar-baz.service`);
  assert.deepEqual(a.dropInPaths, [
    `${E}/service.d/05-top.conf`,
    `${E}/foo-.service.d/10-a.conf`,
    `${U}/foo-bar-.service.d/20-b.conf`,
    `${U}/foo-bar-.service.d/30-c.conf`,
    `${E}/alias.service.d/50-alias.conf`,
  ]);
});

test('resolve: not-found, error and bad-setting load states', () => {
  assert.equal(loadUnit(view, 'nothere.service', ctx).loadState, 'not-found');
  assert.equal(loadUnit(view, 'nothere@1.service', ctx).loadState, 'not-found');
  // Drop-ins without a unit file: "Unit only.service not found." (also for targets).
  assert.equal(loadUnit(view, 'only.service', ctx).loadState, 'not-found');
  assert.equal(loadUnit(view, 'only.target', ctx).loadState, 'not-found');
  const broken = loadUnit(view, 'broken.service', ctx);
  assert.equal(broken.loadState, 'error');
  assert.deepEqual(broken.diagnostics.map(formatDiagnostic), [`${E}/broken.service:3: Invalid section header '[Install'`]);
  const bad = loadUnit(view, 'bad.service', ctx);
  assert.equal(bad.loadState, 'bad-setting');
  assert.ok(bad.diagnostics.map(formatDiagnostic).includes('bad.service: Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.'));
  assert.equal(loadUnit(view, 'loop.service', ctx).loadState, 'error');
  assert.equal(loadUnit(view, 'not a name', ctx).loadState, 'error');
});

test('resolve: a linked unit file outside the unit directories (systemctl link, fleet\'s run/fleet/units)', () => {
  const linked = withLinkedUnit(
    { ...view, entries: { ...view.entries, [`${R}/run/fleet/units/hello.service`]: '[Service]\nExecStart=/bin/echo hello\n' } },
    U,
    `${R}/run/fleet/units/hello.service`,
  );
  const u = loadUnit(linked, 'hello.service', ctx);
  assert.deepEqual([u.loadState, u.id, u.fragmentPath], ['loaded', 'hello.service', `${R}/run/fleet/units/hello.service`]);
  assert.deepEqual(u.settings!.service!.execStart[0]!.argv, ['/bin/echo', 'hello']);
});
