// The seeds' story end to end with real Docker, driven only through the
// commands a user types: `coracle cluster up` (machines 127.0.0.2–4), the
// seed template `osdn-test-webserver@.service` submitted and started with
// `fleetctl`, two containers on two machines each answering HTTP on the
// address `fleetctl list-units` names, a machine crash (`coracle cluster
// kill`) moving its instance to the spare machine, `fleetctl stop` and
// `destroy`, and `coracle cluster down` leaving no container running.
//
// The seed changes only where it must (rewriteWebserverSeed): the image URL
// points at a tar served by this process, the port is published on the
// machine's own address, read from /etc/environment. Each machine has its
// own /tmp (`coracle node --private-tmp`, chosen by `cluster up` as root), so
// both instances may download the seed's fixed /tmp/osdn-test-webserver.tar
// at once.
//
// Addresses: the one-host cluster's 127.0.0.2–4 (machines) and 127.0.0.10
// (the image server and the source of the test's own HTTP checks), under the
// 'one-host-cluster' lock; the engine under the 'docker' lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { withHostLock } from '../support/host-lock.js';
import {
  WEBSERVER_IMAGE, buildWebserverImageTar, containersPublishingOn, fetchPage, readSeed, rewriteWebserverSeed,
  runningContainers, serveFile, withDocker, type FileServer, type RunResult,
} from '../support/docker.js';
import { processesMentioning } from './helpers.js';

const CORACLE = path.resolve(fileURLToPath(new URL('../../../bin/coracle.js', import.meta.url)));
const MACHINES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const HERE = '127.0.0.10';
const TEMPLATE = 'osdn-test-webserver@.service';
const I1 = 'osdn-test-webserver@1.service';
const I2 = 'osdn-test-webserver@2.service';
const SEED_DOWNLOAD = `/tmp/${WEBSERVER_IMAGE}.tar`;

/** A command as a user types it, asynchronous: the image server lives in this process. */
function typed(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeoutMs ?? 180_000, maxBuffer: 16 << 20 }, (err, out, errText) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out, err: errText || (err && code === -1 ? String(err.message) : '') });
    });
  });
}

const show = (r: RunResult): string => `exit ${r.code}\n${r.out}${r.err}`;

async function until<T>(what: string, ms: number, probe: () => Promise<T | null>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await sleep(500);
  }
}

interface UnitRow { unit: string; machine: string; address: string; active: string; sub: string }

test('the seed\'s story with real Docker on `coracle cluster up`: fleetctl submit/start, two machines, a crash moves the unit, stop, destroy, down', { timeout: 25 * 60_000 }, async (t) => {
  await withHostLock('one-host-cluster', async () => {
    await withDocker(t, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-story-'));
      const page = `coracle docker story ${randomBytes(8).toString('hex')}`;
      let server: FileServer | null = null;
      const cluster = (...args: string[]): Promise<RunResult> => typed(process.execPath, [CORACLE, 'cluster', '--dir', dir, ...args], { timeoutMs: 300_000 });
      try {
        const imageDir = path.join(dir, 'image');
        fs.mkdirSync(imageDir);
        server = await serveFile(HERE, await buildWebserverImageTar(imageDir, page));
        const hostTarBefore = fs.statSync(SEED_DOWNLOAD, { throwIfNoEntry: false })?.mtimeMs ?? null;

        const up = await cluster('up', '--machines', '3');
        assert.equal(up.code, 0, show(up));
        assert.match(up.out, /Up: etcd healthy on 3 machines/);
        const ownTmp = !/machines share the host's \/tmp/.test(up.out);
        if (process.getuid?.() === 0) assert.ok(ownTmp, `as root, cluster up gives each machine its own /tmp:\n${up.out}`);
        let endpoint = /export FLEETCTL_ENDPOINT=(\S+)/.exec(up.out)?.[1];
        assert.equal(endpoint, 'http://127.0.0.2:49153', up.out);

        // The user's working directory holds the seed unit, as on the seed's management host.
        const units = path.join(dir, 'units');
        fs.writeFileSync(path.join(units, TEMPLATE), rewriteWebserverSeed(readSeed(TEMPLATE), server.url));
        const fleetctl = (...args: string[]): Promise<RunResult> =>
          typed(path.join(dir, 'bin/fleetctl'), args, { cwd: units, env: { ...process.env, FLEETCTL_ENDPOINT: endpoint! } });
        const listUnits = async (): Promise<UnitRow[]> => {
          const r = await fleetctl('list-units', '--no-legend');
          assert.equal(r.code, 0, show(r));
          return r.out.split('\n').filter(Boolean).map((l) => {
            const [unit = '', machine = '', active = '', sub = ''] = l.split(/\t+/);
            return { unit, machine, address: machine.split('/')[1] ?? '', active, sub };
          });
        };
        const serving = (u: string) => async (): Promise<UnitRow | null> => {
          const row = (await listUnits()).find((r) => r.unit === u);
          if (!row || row.active !== 'active' || row.sub !== 'running' || !row.address) return null;
          const answer = await fetchPage(row.address, { from: HERE });
          return answer?.status === 200 && answer.body === `${page}\n` ? row : null;
        };

        const machines = await fleetctl('list-machines', '--no-legend');
        assert.deepEqual(machines.out.trim().split('\n').map((l) => l.split(/\t+/)[1]).sort(), MACHINES, show(machines));

        const submit = await fleetctl('submit', TEMPLATE);
        assert.equal(submit.code, 0, show(submit));

        // Both at once, as the seed's `fleetctl start osdn-test-webserver@{1..2}.service`.
        // Where machines share the host's /tmp (not root, no unshare), two
        // instances starting together race on the seed's fixed download path,
        // so there they are started one after the other.
        const startUnits = async (...names: string[]): Promise<void> => {
          const r = await fleetctl('start', ...names);
          t.diagnostic(`fleetctl start ${names.join(' ')}: exit ${r.code}`);
          // fleetctl names the machine when its once-per-run machine list
          // already holds it; with two units waited on at once the second may
          // find the list still being fetched (fleetctl's cachedMachineState
          // does the same), so the machine is checked in list-units.
          for (const u of names) assert.match(r.out, new RegExp(`^Unit ${u.replace(/[.@]/g, '\\$&')} launched( on [0-9a-f]{8}\\.\\.\\./127\\.0\\.0\\.[234])?$`, 'm'), show(r));
          // fleetctl's own check gives a unit 2 s to be active; the seed's
          // ExecStartPre (download, docker load) can take longer here, and then
          // fleetctl exits 1 with exactly the original's words.
          if (r.code !== 0) assert.match(r.err, /Failed to find an active unit osdn-test-webserver@[12]\.service within 2s/, show(r));
        };
        let r1: UnitRow;
        let r2: UnitRow;
        if (ownTmp) {
          await startUnits(I1, I2);
          [r1, r2] = [await until(`${I1} serving`, 180_000, serving(I1)), await until(`${I2} serving`, 180_000, serving(I2))];
        } else {
          await startUnits(I1);
          r1 = await until(`${I1} serving`, 180_000, serving(I1));
          await startUnits(I2);
          r2 = await until(`${I2} serving`, 180_000, serving(I2));
        }
        assert.notEqual(r1.address, r2.address, 'X-Conflicts puts the instances on different machines');
        assert.ok(MACHINES.includes(r1.address) && MACHINES.includes(r2.address));
        const spare = MACHINES.find((a) => a !== r1.address && a !== r2.address)!;
        // Each answers on exactly the address list-units names, and nowhere else.
        assert.equal(await fetchPage(spare, { from: HERE }), null, `nothing serves on the spare machine ${spare}`);
        assert.deepEqual(await containersPublishingOn(r1.address), ['osdn-test-webserver-1']);
        assert.deepEqual(await containersPublishingOn(r2.address), ['osdn-test-webserver-2']);
        assert.ok(server.requests() >= 2, 'each machine downloaded the image itself');
        if (ownTmp) {
          // The seed's fixed download path was each machine's own, not the host's.
          const roots = fs.readdirSync(path.join(dir, 'machines')).map((m) => path.join(dir, 'machines', m, 'root'));
          assert.equal(roots.filter((r) => fs.existsSync(path.join(r, 'tmp', `${WEBSERVER_IMAGE}.tar`))).length, 2);
          assert.equal(fs.statSync(SEED_DOWNLOAD, { throwIfNoEntry: false })?.mtimeMs ?? null, hostTarBefore, `${SEED_DOWNLOAD} on the host was not written`);
        }

        const files = await fleetctl('list-unit-files', '--no-legend');
        assert.equal(files.code, 0, show(files));
        const fileRows = new Map(files.out.split('\n').filter(Boolean).map((l) => l.split(/\t+/)).map((f) => [f[0]!, f]));
        assert.deepEqual([...fileRows.keys()].sort(), [I1, I2, TEMPLATE].sort(), files.out);
        assert.deepEqual(fileRows.get(TEMPLATE)!.slice(2), ['inactive', 'inactive', '-'], files.out);
        for (const [u, r] of [[I1, r1], [I2, r2]] as const) assert.deepEqual(fileRows.get(u)!.slice(2), ['launched', 'launched', r.machine], files.out);

        // A crash of the machine running @1: every process of it and its container, at once.
        const victim = r1.address;
        const n = MACHINES.indexOf(victim) + 1;
        const kill = await cluster('kill', String(n));
        assert.equal(kill.code, 0, show(kill));
        assert.match(kill.out, new RegExp(`core-0${n}: killed \\d+ processes`));
        if (victim === '127.0.0.2') endpoint = `http://${r2.address}:49153`; // the user points fleetctl at a living machine
        const moved = await until(`${I1} rescheduled and serving off ${victim}`, 240_000, async () => {
          const row = await serving(I1)();
          return row && row.address !== victim ? row : null;
        });
        assert.equal(moved.address, spare, `${I1} moved to the spare machine (X-Conflicts keeps it off ${r2.address})`);
        assert.equal(await fetchPage(victim, { from: HERE }), null, `the crashed machine's address ${victim} no longer answers`);
        assert.deepEqual(await containersPublishingOn(victim), []);
        assert.equal((await fetchPage(r2.address, { from: HERE }))?.body, `${page}\n`, `${I2} kept serving on ${r2.address}`);

        // stop: the container stops, the unit stays known (loaded, inactive).
        const stop = await fleetctl('stop', I2);
        assert.equal(stop.code, 0, show(stop));
        assert.match(stop.out, new RegExp(`Unit ${I2.replace(/[.@]/g, '\\$&')} loaded on`), show(stop));
        await until(`${r2.address} to stop answering after fleetctl stop`, 60_000, async () => ((await fetchPage(r2.address, { from: HERE })) === null ? true : null));
        const stopped = (await listUnits()).find((r) => r.unit === I2);
        assert.ok(stopped && stopped.active !== 'active', `after stop, list-units shows ${I2} not active: ${JSON.stringify(stopped)}`);

        // destroy: gone from list-units and list-unit-files; the template stays.
        const destroy = await fleetctl('destroy', I2);
        assert.equal(destroy.code, 0, show(destroy));
        assert.match(destroy.out, new RegExp(`Destroyed ${I2.replace(/[.@]/g, '\\$&')}`));
        await until(`${I2} gone from list-units`, 60_000, async () => ((await listUnits()).some((r) => r.unit === I2) ? null : true));
        const filesAfter = await fleetctl('list-unit-files', '--no-legend');
        assert.deepEqual(filesAfter.out.split('\n').filter(Boolean).map((l) => l.split(/\t+/)[0]).sort(), [I1, TEMPLATE].sort(), filesAfter.out);

        // down with @1 still running on the spare: every machine stops its units.
        const down = await cluster('down');
        assert.equal(down.code, 0, show(down));
        assert.deepEqual(await runningContainers(WEBSERVER_IMAGE), [], 'cluster down leaves no seed container running');
        for (const a of MACHINES) assert.deepEqual(await containersPublishingOn(a), [], `nothing publishes on ${a}`);
        assert.deepEqual(processesMentioning(dir).map((p) => p.cmdline), [], 'cluster down leaves no process of the cluster');
        assert.equal(await fetchPage(spare, { from: HERE }), null);
      } finally {
        if (fs.existsSync(path.join(dir, 'cluster.json'))) await cluster('down');
        for (const p of processesMentioning(dir)) {
          try {
            process.kill(p.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        await server?.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
