// Serialising back to unit-file text, and the purity of src/units/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { parseUnitFile, serializeUnitFile, serializeOptions, unitOptions, sectionsFromOptions } from '../../src/units/index.js';

test('serialize: text round-trips sections, order, repeated keys, empty resets and X- sections', () => {
  const text = [
    '# comment dropped', '[Unit]', 'Description = Web \\', '   server', '', '[Service]', 'ExecStart=', 'ExecStart=/bin/sh -c "echo a\\\\b"',
    'Environment="A=1 2" B=3', '[X-Fleet]', 'X-Conflicts=web@*.service', '[Service]', 'Restart=always',
  ].join('\n');
  const out = serializeUnitFile(parseUnitFile(text, 'a.service'));
  assert.equal(out, [
    '[Unit]', 'Description=Web     server', '', '[Service]', 'ExecStart=', 'ExecStart=/bin/sh -c "echo a\\\\b"',
    'Environment="A=1 2" B=3', '', '[X-Fleet]', 'X-Conflicts=web@*.service', '', '[Service]', 'Restart=always', '',
  ].join('\n'));
  // Parsing the output again gives the same values.
  const again = parseUnitFile(out, 'a.service');
  assert.equal(serializeUnitFile(again), out);
});

test('serialize: fleet-style option lists keep assignment order', () => {
  const file = parseUnitFile('[Unit]\nDescription=x\n[Service]\nExecStart=/bin/a\n[X-Fleet]\nGlobal=true\n', 'g.service');
  const options = unitOptions(file);
  assert.deepEqual(options, [
    { section: 'Unit', name: 'Description', value: 'x' },
    { section: 'Service', name: 'ExecStart', value: '/bin/a' },
    { section: 'X-Fleet', name: 'Global', value: 'true' },
  ]);
  assert.equal(serializeOptions(options), '[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/a\n\n[X-Fleet]\nGlobal=true\n');
  // A section that comes back later gets a new header, so resets stay after what they reset.
  assert.deepEqual(sectionsFromOptions([
    { section: 'Service', name: 'ExecStart', value: '/bin/a' },
    { section: 'Unit', name: 'After', value: 'x.service' },
    { section: 'Service', name: 'ExecStart', value: '' },
  ]).map((s) => s.name), ['Service', 'Unit', 'Service']);
});

test('purity: src/units imports no I/O, process or clock', () => {
  const dir = new URL('../../../src/units/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 10);
  for (const f of files) {
    const src = readFileSync(new URL(f, dir), 'utf8');
    assert.doesNotMatch(src, /from ['"]node:|require\(|\bprocess\.|\bDate\.|new Date\b/, f);
  }
});
