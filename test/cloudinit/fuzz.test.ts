// Bad input never throws: seeded random bytes and mutated configs through
// every entry point. A failure prints the seed and the case to replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import {
  detectUserData,
  parseCloudConfig,
  parseIgnition,
  prepareUserData,
  substitutionsFrom,
  validateUserData,
  type RootView,
} from '../../src/cloudinit/index.js';

/** mulberry32: small, seeded, reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seedsDir = new URL('../../../../shared/fixtures/seeds/', import.meta.url);
const corpus = readdirSync(seedsDir)
  .filter((n) => n.endsWith('.yml'))
  .map((n) => readFileSync(new URL(n, seedsDir), 'utf8'));
corpus.push('{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/a","contents":{"source":"data:,x"}}]},"systemd":{"units":[{"name":"a.service","enabled":true}]}}');
corpus.push('#cloud-config\nusers:\n  - name: a\n    groups: [x]\nwrite_files:\n  - encoding: gzip+base64\n    content: H4sIAOC3tVQAA8tIzcnJ5wIAIDA6NgYAAAA=\n    permissions: 0644\n');

const PIECES = ['\t', ':', ': ', '- ', '\n', '  ', '"', "'", '&a ', '*a', '<<: ', '!!binary ', '!!int ', '|', '>', '[', ']', '{', '}', '#', '$private_ipv4', '\\', '%', '@', '`', '?', ',', '0x', '0744', 'off', '~', '---\n', '...\n', '\r', '\u00e9', '\ufeff'];

function mutate(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = r();
    if (op < 0.4) s = s.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)] + s.slice(at);
    else if (op < 0.7) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
    else {
      const from = Math.floor(r() * s.length);
      s = s.slice(0, at) + s.slice(from, from + Math.floor(r() * 20)) + s.slice(at);
    }
  }
  return s;
}

const GO_PANICS = /^(reflect: call of reflect\.Value\.Interface on zero Value|runtime error: comparing uncomparable type (map\[interface \{\}\]interface \{\}|\[\]interface \{\}))$/;

const emptyRoot: RootView = { read: () => undefined, list: () => undefined };
const subs = substitutionsFrom({ privateIPv4: '10.0.0.5' });

function everyEntryPoint(input: string | Uint8Array): void {
  const d = detectUserData(input);
  assert.ok(['empty', 'script', 'ignition', 'cloud-config', 'unknown'].includes(d.kind));
  const report = validateUserData(input);
  assert.ok(Array.isArray(report.entries));
  for (const e of report.entries) assert.ok(Number.isInteger(e.line) && e.line >= 0 && e.message.length > 0);
  // The only internal failures are the original validator's own Go panics.
  if (report.internalError !== undefined) assert.match(report.internalError, GO_PANICS);
  parseCloudConfig(typeof input === 'string' ? input : d.text);
  prepareUserData(input, subs, emptyRoot);
  const ign = parseIgnition(d.text);
  assert.ok(Array.isArray(ign.errors) && Array.isArray(ign.warnings));
}

test('random bytes and mutated configs never throw (seeded)', () => {
  const seed = 20151105;
  const r = rng(seed);
  for (let i = 0; i < 3000; i++) {
    let input: string | Uint8Array;
    const kind = r();
    if (kind < 0.15) {
      const bytes = new Uint8Array(Math.floor(r() * 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(r() * 256);
      if (r() < 0.3 && bytes.length > 1) [bytes[0], bytes[1]] = [0x1f, 0x8b];
      input = bytes;
    } else {
      const base = corpus[Math.floor(r() * corpus.length)];
      input = mutate(r() < 0.8 && !base.startsWith('#cloud-config') ? `#cloud-config\n${base}` : base, r);
    }
    try {
      everyEntryPoint(input);
    } catch (e) {
      assert.fail(`case ${i} (seed ${seed}) threw on ${JSON.stringify(typeof input === 'string' ? input : [...input])}: ${String(e)}`);
    }
  }
});
