// Unit names, escaping and specifiers: systemd.unit(5) ("DESCRIPTION",
// "STRING ESCAPING FOR INCLUSION IN UNIT NAMES", "SPECIFIERS") and
// systemd-escape(1); expected escapes are what `systemd-escape` 252 prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseUnitName, isValidUnitName, templateOf, instantiate, escapeUnitNamePart, unescapeUnitNamePart,
  escapeUnitPath, unescapeUnitPath, unitNameFromPath, expandSpecifiers, type SpecifierContext,
} from '../../src/units/index.js';

test('names: validation and kinds (systemd.unit(5))', () => {
  const rows: Array<[string, 'plain' | 'template' | 'instance' | null]> = [
    ['foo.service', 'plain'],
    ['foo@.service', 'template'],
    ['foo@1.service', 'instance'],
    ['getty@tty3.service', 'instance'],
    ['a@b@c.service', 'instance'], // only the first "@" separates
    ['dev-sda1.device', 'plain'],
    ['foo', null], // no type suffix
    ['foo.bogus', null], // unknown type
    ['.service', null],
    ['@foo.service', null], // empty prefix
    ['foo bar.service', null], // space not allowed
    ['foo/bar.service', null],
    ['x'.repeat(247) + '.service', 'plain'], // 255 characters
    ['x'.repeat(248) + '.service', null], // 256 characters: too long
  ];
  for (const [name, kind] of rows) assert.equal(parseUnitName(name)?.kind ?? null, kind, name);
  assert.deepEqual(parseUnitName('foo-bar@a-b.socket'), {
    name: 'foo-bar@a-b.socket', kind: 'instance', prefix: 'foo-bar', instance: 'a-b', type: 'socket',
  });
  assert.equal(isValidUnitName('foo@.service', ['plain', 'instance']), false);
});

test('names: templates and instances (systemd.unit(5): getty@tty3.service → getty@.service)', () => {
  assert.equal(templateOf('getty@tty3.service'), 'getty@.service');
  assert.equal(templateOf('foo.service'), null);
  assert.equal(instantiate('foo@.service', '1'), 'foo@1.service');
  assert.equal(instantiate('osdn-test-webserver@.service', '2'), 'osdn-test-webserver@2.service');
  assert.equal(instantiate('foo.service', '1'), null);
  assert.equal(instantiate('foo@.service', 'a b'), null); // the instance must be escaped first
});

test('names: escaping as systemd-escape prints it', () => {
  const rows: Array<[string, string]> = [
    ['foo/bar', 'foo-bar'],
    ['/foo//bar/', '-foo--bar-'],
    ['a-b', 'a\\x2db'],
    ['Hallo Welt', 'Hallo\\x20Welt'],
    ['.hidden', '\\x2ehidden'],
    ['\u00e9', '\\xc3\\xa9'],
    ['tmp/x:y_z.w', 'tmp-x:y_z.w'],
    ['a\\b', 'a\\x5cb'],
  ];
  for (const [input, want] of rows) {
    assert.equal(escapeUnitNamePart(input), want, input);
    if (!input.includes('/')) assert.equal(unescapeUnitNamePart(want), input, `unescape ${want}`);
  }
  assert.equal(unescapeUnitNamePart('foo-bar'), 'foo/bar');
  assert.equal(unescapeUnitNamePart('bad\\x4'), null);
});

test('names: path escaping as systemd-escape --path prints it', () => {
  assert.equal(escapeUnitPath('/foo//bar/'), 'foo-bar');
  assert.equal(escapeUnitPath('/'), '-');
  assert.equal(escapeUnitPath('/a-b/c'), 'a\\x2db-c');
  assert.equal(escapeUnitPath('/..'), null); // "is not a normalized file system path"
  assert.equal(unescapeUnitPath('foo-bar'), '/foo/bar');
  assert.equal(unescapeUnitPath('-'), '/');
  assert.equal(unescapeUnitPath('a\\x2db'), '/a-b');
  assert.equal(unescapeUnitPath('a--b'), null); // "Failed to unescape string: Invalid argument"
  assert.equal(unitNameFromPath('/home/core', 'mount'), 'home-core.mount');
});

const ctx: SpecifierContext = {
  machineId: '0123456789abcdef0123456789abcdef', bootId: 'fedcba9876543210fedcba9876543210',
  hostname: 'core-01.example.com', userName: 'root', uid: 0, groupName: 'root', gid: 0, home: '/root', shell: '/bin/sh',
};

test('specifiers: the systemd.unit(5) table for an instance name', () => {
  // Unit foo-bar@a\x2db-c.service: prefix "foo-bar", instance "a\x2db-c".
  const unit = { name: 'foo-bar@a\\x2db-c.service', fragmentPath: '/etc/systemd/system/foo-bar@.service' };
  const rows: Array<[string, string, string]> = [
    ['%n', 'foo-bar@a\\x2db-c.service', 'full unit name'],
    ['%N', 'foo-bar@a\\x2db-c', 'full name without the type suffix'],
    ['%p', 'foo-bar', 'prefix: before the first @'],
    ['%P', 'foo/bar', 'unescaped prefix'],
    ['%i', 'a\\x2db-c', 'instance'],
    ['%I', 'a-b/c', 'unescaped instance'],
    ['%j', 'bar', 'prefix after the last dash'],
    ['%J', 'bar', 'unescaped final component'],
    ['%f', '/a-b/c', 'unescaped instance as a path'],
    ['%H', 'core-01.example.com', 'hostname'],
    ['%l', 'core-01', 'short hostname'],
    ['%m', '0123456789abcdef0123456789abcdef', 'machine id'],
    ['%b', 'fedcba9876543210fedcba9876543210', 'boot id'],
    ['%u %U %g %G %h %s', 'root 0 root 0 /root /bin/sh', 'the service manager\'s user, not User='],
    ['%t %S %C %L %E %T %V', '/run /var/lib /var/cache /var/log /etc /tmp /var/tmp', 'system manager directories'],
    ['%y %Y', '/etc/systemd/system/foo-bar@.service /etc/systemd/system', 'fragment path and directory'],
    ['100%%', '100%', 'a doubled percent is one percent'],
    ['50%', '50%', 'a stray % at the end is kept'],
  ];
  for (const [input, want, why] of rows) assert.deepEqual(expandSpecifiers(input, unit, ctx), { ok: true, value: want }, why);
});

test('specifiers: plain names and unknown specifiers', () => {
  const plain = { name: 'osdn-test-webserver.service' };
  assert.deepEqual(expandSpecifiers('%p|%i|%I|%f|%j', plain, ctx), { ok: true, value: 'osdn-test-webserver|||/osdn/test/webserver|webserver' });
  // An unknown specifier fails with EBADSLT, whose text systemd prints ("Invalid slot").
  assert.deepEqual(expandSpecifiers('x %Z', plain, ctx), { ok: false, error: 'Invalid slot' });
  // %v and %a only when the caller provides them.
  assert.deepEqual(expandSpecifiers('%v', plain, ctx), { ok: false, error: 'Invalid slot' });
  assert.deepEqual(expandSpecifiers('%v %a', plain, { ...ctx, kernelRelease: '6.1.0', architecture: 'x86-64' }), { ok: true, value: '6.1.0 x86-64' });
});
