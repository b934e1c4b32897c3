// Throughput of the provisioning path: validating the seeds' cloud-configs,
// rendering them against a root, transpiling the seed Container Linux Config,
// and whole applies (cloud-config and Ignition) into fresh temp roots with no
// init. `npm run bench:cloudinit [-- --rounds N]`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { prepareUserData, substitutionsFrom, validateUserData } from '../../src/cloudinit/index.js';
import { rootViewOf } from '../../src/cloudinit/apply.js';
import { applyConfigToMachine, markFirstBoot } from '../../src/cloudinit/machine.js';
import { marshal, transpile } from '../../src/ct/transpile.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2000' } } });
const rounds = Number(values.rounds);
const seeds = path.resolve(fileURLToPath(import.meta.url), '../../../../../shared/fixtures/seeds');
const cloudConfigs = fs.readdirSync(seeds).filter((n) => n.endsWith('-cloud-config.yml')).map((n) => fs.readFileSync(path.join(seeds, n), 'utf8'));
const clc = fs.readFileSync(path.join(seeds, 'swarm-container-linux-config.yml'), 'utf8');

function measure(what: string, n: number, fn: (i: number) => unknown): void {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`${what.padEnd(48)} ${n} in ${ms.toFixed(0)} ms = ${Math.round((n / ms) * 1000)}/s`);
}

async function measureAsync(what: string, n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`${what.padEnd(48)} ${n} in ${ms.toFixed(0)} ms = ${Math.round((n / ms) * 1000)}/s`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-bench-cloudinit-'));
try {
  const emptyRoot = rootViewOf(path.join(tmp, 'none'));
  const subs = substitutionsFrom({ privateIPv4: '10.0.0.5', publicIPv4: '203.0.113.5' });
  measure(`validate (${cloudConfigs.length} seed cloud-configs, round robin)`, rounds, (i) => validateUserData(cloudConfigs[i % cloudConfigs.length]!));
  measure('render (same)', rounds, (i) => prepareUserData(cloudConfigs[i % cloudConfigs.length]!, subs, emptyRoot));
  measure('ct transpile + marshal (seed CLC)', rounds, () => marshal(transpile(clc).config!, false));
  const ign = marshal(transpile(clc).config!, false);
  const applies = Math.max(1, Math.floor(rounds / 10));
  await measureAsync('apply cloud-config to a fresh root (no init)', applies, (i) =>
    applyConfigToMachine({ root: path.join(tmp, `cc${i}`), config: cloudConfigs[i % cloudConfigs.length]!, initSocket: null }),
  );
  await measureAsync('apply Ignition (seed, first boot, no init)', applies, (i) => {
    const root = path.join(tmp, `ign${i}`);
    markFirstBoot(root);
    return applyConfigToMachine({ root, config: ign, initSocket: null });
  });
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
