// The on-disk journal: rotation keeps it within its size bound; readers
// filter by unit, tail and time; sequence numbers survive a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Journal } from '../../src/init/node/journal.js';
import { tempRoot } from './helpers.js';

const entry = (unit: string, msg: string, t = 1) => ({ t, unit, pid: 1, id: 'x', stream: 'stdout' as const, msg });

test('journal: rotates past maxFileBytes and drops the oldest archives to stay within maxBytes', () => {
  const dir = path.join(tempRoot(), 'var/log/journal');
  const j = new Journal(dir, { maxFileBytes: 1000, maxBytes: 4000 });
  for (let i = 0; i < 400; i++) j.append(entry(i % 2 ? 'a.service' : 'b.service', `line ${i} ${'x'.repeat(20)}`));
  j.close();
  const files = fs.readdirSync(dir);
  const total = files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  assert.ok(files.includes('system.journal.ndjson'));
  assert.ok(files.some((f) => /^system@\d+\.journal\.ndjson$/.test(f)), files.join(' '));
  assert.ok(total <= 4000, `journal holds ${total} bytes`);
  const j2 = new Journal(dir, { maxFileBytes: 1000, maxBytes: 4000 });
  const all = j2.read();
  assert.equal(all[all.length - 1]!.msg.startsWith('line 399 '), true, 'the newest lines are kept');
  const seqs = all.map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.equal(j2.append(entry('a.service', 'after restart')).seq, 401, 'numbering continues after a restart');
  const tail = j2.read({ units: ['a.service'], lines: 3 });
  assert.deepEqual(tail.map((e) => e.msg.slice(0, 8)), ['line 397', 'line 399', 'after re']);
  j2.close();
});

test('journal: since filters by time; a torn last line is skipped', () => {
  const dir = path.join(tempRoot(), 'j');
  const j = new Journal(dir);
  j.append(entry('a.service', 'old', 100));
  j.append(entry('a.service', 'new', 200));
  j.close();
  fs.appendFileSync(path.join(dir, 'system.journal.ndjson'), '{"seq":3,"t":3');
  const j2 = new Journal(dir);
  assert.deepEqual(j2.read({ since: 150 }).map((e) => e.msg), ['new']);
  assert.equal(j2.read().length, 2);
  j2.append(entry('a.service', 'after the tear', 300));
  assert.deepEqual(j2.read().map((e) => e.msg), ['old', 'new', 'after the tear']);
  j2.close();
});
