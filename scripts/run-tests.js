#!/usr/bin/env node
// Runs the compiled test suite with Node's own test runner.
// `npm test` compiles first; arguments narrow the run to paths under test/
// (for example `npm test -- test/raft`). Test files are `*.test.ts`, compiled
// to dist/test/**/*.test.js; helper modules in test/ are never run as tests.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const dist = join(root, 'dist');

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const wanted = process.argv.slice(2).map((a) => join(dist, a.replace(/\.ts$/, '.js')));
const roots = wanted.length > 0 ? wanted : [join(dist, 'test')];
const files = roots.flatMap((r) => (statSync(r).isDirectory() ? findTests(r) : [r]));
if (files.length === 0) {
  console.error('no test files found under', roots.map((r) => relative(root, r)).join(', '));
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=600000', ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(result.status ?? 1);
