// The fleet API and fleetctl at 1,000 units: how long listing takes through
// the API (every page, as fleetctl pages), how fast units are created over
// the API, and fleetctl's own wall time for list-unit-files / list-units.
// Runs a coracle etcd member on 127.0.0.187; FLEETCTL_REAL=<binary> adds the
// real fleetctl v1.0.0 for comparison.
//
//   npm run bench:fleet-api [-- --units 1000 --rounds 20]

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { addMachine, addUnit, runUnitOn, startFleetApi } from '../../test/fleet/api-harness.js';
import { fleetctl } from '../../test/cli/fleetctl-harness.js';

const { values } = parseArgs({ options: { units: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '20' } } });
const N = Number(values.units);
const ROUNDS = Number(values.rounds);

function get(socket: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath: socket, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      })
      .on('error', reject);
  });
}

function put(socket: string, name: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, path: `/fleet/v1/units/${encodeURIComponent(name)}?alt=json`, method: 'PUT', headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function allPages(socket: string, collection: string): Promise<number> {
  let token: string | undefined;
  let count = 0;
  do {
    const page = JSON.parse(await get(socket, `/fleet/v1/${collection}?alt=json${token ? `&nextPageToken=${token}` : ''}`)) as Record<string, unknown[] | string | undefined>;
    count += ((page[collection === 'state' ? 'states' : collection] as unknown[] | undefined) ?? []).length;
    token = page.nextPageToken as string | undefined;
  } while (token);
  return count;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeIt(rounds: number, fn: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

const api = await startFleetApi('127.0.0.187');
try {
  const machines = Array.from({ length: 10 }, (_, i) => `${String(i).padStart(2, '0')}${'ab'.repeat(15)}`);
  for (const [i, m] of machines.entries()) await addMachine(api, m, `10.0.0.${i + 1}`);
  const t0 = performance.now();
  const created: Promise<number>[] = [];
  for (let i = 0; i < N; i++) {
    const body = JSON.stringify({ name: `u${i}.service`, desiredState: 'launched', options: [{ name: 'ExecStart', section: 'Service', value: `/bin/sleep ${i}` }] });
    created.push(put(api.socket, `u${i}.service`, body));
    if (created.length >= 16) await Promise.all(created.splice(0));
  }
  await Promise.all(created);
  const createSec = (performance.now() - t0) / 1000;
  for (let i = 0; i < N; i++) await runUnitOn(api, `u${i}.service`, machines[i % machines.length]!);
  await addUnit(api, 'g.service', '[Service]\nExecStart=/bin/true\n[X-Fleet]\nGlobal=true\n', 'launched');

  const listUnits = await timeIt(ROUNDS, () => allPages(api.socket, 'units'));
  const listStates = await timeIt(ROUNDS, () => allPages(api.socket, 'state'));
  const getOne = await timeIt(ROUNDS * 5, () => get(api.socket, '/fleet/v1/units/u500.service?alt=json'));
  const env = { FLEETCTL_ENDPOINT: `unix://${api.socket}` };
  const cli = async (real?: string): Promise<[number, number]> => [
    await timeIt(5, () => fleetctl(['list-unit-files'], { env, ...(real ? { real } : {}) })),
    await timeIt(5, () => fleetctl(['list-units'], { env, ...(real ? { real } : {}) })),
  ];
  const ours = await cli();
  const real = process.env.FLEETCTL_REAL ? await cli(process.env.FLEETCTL_REAL) : undefined;
  console.log(`units: ${N + 1}, machines: ${machines.length}`);
  console.log(`create over the API (16 in flight): ${(N / createSec).toFixed(0)} units/s`);
  console.log(`GET /units, all pages (token_limit 100): median ${listUnits.toFixed(1)} ms`);
  console.log(`GET /state, all pages: median ${listStates.toFixed(1)} ms`);
  console.log(`GET /units/{name}: median ${getOne.toFixed(2)} ms`);
  console.log(`fleetctl list-unit-files / list-units (ours, wall incl. node start): median ${ours[0].toFixed(0)} / ${ours[1].toFixed(0)} ms`);
  if (real) console.log(`fleetctl v1.0.0 list-unit-files / list-units: median ${real[0].toFixed(0)} / ${real[1].toFixed(0)} ms`);
} finally {
  await api.stop();
}
