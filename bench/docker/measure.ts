// How long the Docker test helpers take: engine start and stop, the busybox
// image, the seed's web server image tar, and `docker run` until the page
// answers. Needs a host with no engine running (it measures starting one) and
// the 'docker' test lock, which it takes. Addresses 127.0.0.120 and .123.
//   npx tsc -p tsconfig.json && node dist/bench/docker/measure.js [rounds]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withHostLock } from '../../test/support/host-lock.js';
import {
  buildBusyboxImage, buildWebserverImageTar, dockerAvailable, dockerOk, ensureDockerEngine, fetchPage,
  removeTestContainers, removeTestImages, stopDockerEngineWeStarted,
} from '../../test/support/docker.js';

const rounds = Number(process.argv[2] ?? 5);
const times: Record<string, number[]> = { engineStart: [], busyboxImage: [], webserverTar: [], runUntilAnswer: [], engineStop: [] };

async function timed(what: string, fn: () => Promise<unknown>): Promise<void> {
  const t = performance.now();
  await fn();
  times[what]!.push(Math.round(performance.now() - t));
}

await withHostLock('docker', async () => {
  if (await dockerAvailable()) throw new Error('an engine is already running: stop it first (this measures starting one)');
  for (let i = 0; i < rounds; i++) {
    process.stderr.write(`round ${i + 1}/${rounds}\n`);
    await timed('engineStart', () => ensureDockerEngine());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-test-measure-'));
    try {
      await timed('busyboxImage', () => buildBusyboxImage(`coracle-test-measure-${i}`));
      let tar = '';
      await timed('webserverTar', async () => (tar = await buildWebserverImageTar(dir, `page ${i}`)));
      await dockerOk('load', '-i', tar);
      await timed('runUntilAnswer', async () => {
        await dockerOk('run', '-d', '--name', `coracle-test-measure-run-${i}`, '-p', '127.0.0.123:80:80', 'osdn-test-webserver');
        while ((await fetchPage('127.0.0.123', { from: '127.0.0.120' }))?.body !== `page ${i}\n`) await sleep(10);
      });
    } finally {
      await removeTestContainers();
      await removeTestImages();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await timed('engineStop', () => stopDockerEngineWeStarted());
  }
});
for (const [what, ms] of Object.entries(times)) console.log(`${what.padEnd(15)} ms: ${ms.join(' ')}  (min ${Math.min(...ms)}, max ${Math.max(...ms)})`);
