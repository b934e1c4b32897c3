// The seeds' story end to end with real Docker, driven only through the
// commands a user types: `coracle cluster up --docker` (machines 127.0.0.2–4)
// writes the seed template `osdn-test-webserver@.service` pointing at the
// image it built and serves; `fleetctl submit` and `start` put two containers
// on two machines, each answering HTTP on the address `fleetctl list-units`
// names with the page fresh for this cluster; a machine crash (`coracle
// cluster kill`) moves its instance to the spare machine; `fleetctl stop` and
// `destroy`; `coracle cluster down` leaves nothing running and `destroy`
// nothing in the engine.
//
// One story, two registries (as a conformance suite runs one scenario
// against several backends): the machines' own coracle etcd, and a real etcd
// 3.4 (Debian's etcd-server, --enable-v2) the machines' fleet points at with
// `cluster up --etcd-servers`, the machines then running no etcd at all.
//
// Each machine has its own /tmp (`coracle node --private-tmp`, chosen by
// `cluster up` as root), so both instances may download the seed's fixed
// /tmp/osdn-test-webserver.tar at once.
//
// Addresses: the one-host cluster's 127.0.0.2–4 (machines), 127.0.0.1:18088
// (cluster up's sample server) and 127.0.0.10 (the source of the test's own
// HTTP checks), under the 'one-host-cluster' lock; 127.0.0.97:2379/2380 for
// the real etcd; the engine under the 'docker' lock.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { withHostLock } from '../support/host-lock.js';
import {
  WEBSERVER_IMAGE, containersPublishingOn, docker, fetchPage, readSeed, runningContainers, withDocker, type RunResult,
} from '../support/docker.js';
import { startEtcd } from '../client/real-etcd.js';
import { listenersOn, processesMentioning } from './helpers.js';

const CORACLE = path.resolve(fileURLToPath(new URL('../../../bin/coracle.js', import.meta.url)));
const MACHINES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const REAL_ETCD_ADDRESS = '127.0.0.97';
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

interface Registry {
  /** What the story is run against, for test names and messages. */
  name: string;
  /** `cluster up` flags that choose it. */
  upFlags: string[];
  /** The external etcd's client URL (null: the machines' own etcd). */
  external: string | null;
}

/** Pages seen by earlier runs in this process: each cluster's must be new. */
const pagesSeen = new Set<string>();

async function story(t: TestContext, registry: Registry): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-story-'));
  const cluster = (...args: string[]): Promise<RunResult> => typed(process.execPath, [CORACLE, 'cluster', '--dir', dir, ...args], { timeoutMs: 300_000 });
  const sampleLabel = `label=coracle.cluster=${dir}`;
  try {
    const hostTarBefore = fs.statSync(SEED_DOWNLOAD, { throwIfNoEntry: false })?.mtimeMs ?? null;

    const up = await cluster('up', '--machines', '3', '--docker', ...registry.upFlags);
    assert.equal(up.code, 0, show(up));
    if (registry.external) assert.match(up.out, new RegExp(`^Up: 3 machines, registry ${registry.external.replace(/[.]/g, '\\.')} healthy`, 'm'), up.out);
    else assert.match(up.out, /^Up: etcd healthy on 3 machines/m, up.out);
    assert.doesNotMatch(up.out, /no Docker sample/, up.out);
    const ownTmp = !/machines share the host's \/tmp/.test(up.out);
    if (process.getuid?.() === 0) assert.ok(ownTmp, `as root, cluster up gives each machine its own /tmp:\n${up.out}`);
    let endpoint = /export FLEETCTL_ENDPOINT=(\S+)/.exec(up.out)?.[1];
    assert.equal(endpoint, 'http://127.0.0.2:49153', up.out);
    const etcdctlEndpoints = /export ETCDCTL_ENDPOINTS=(\S+)/.exec(up.out)?.[1];
    assert.equal(etcdctlEndpoints, registry.external ?? MACHINES.map((a) => `http://${a}:2379`).join(','), up.out);
    // What up printed is all the user needs: where the sample is, and what it answers.
    const sampleDir = /^ {2}cd (\S+)\s+# the seeds' web server/m.exec(up.out)?.[1];
    const page = /# each answers: (.+)$/m.exec(up.out)?.[1];
    assert.ok(sampleDir && page, `cluster up --docker names the sample's directory and page:\n${up.out}`);
    assert.ok(!pagesSeen.has(page), `the page is fresh for this cluster: ${page}`);
    pagesSeen.add(page);
    assert.match(up.out, /fleetctl submit osdn-test-webserver@\.service/);
    // The sample is the seed's template (image URL and published address aside; plan.test.ts checks the lines).
    const sample = fs.readFileSync(path.join(sampleDir, TEMPLATE), 'utf8');
    assert.match(sample, /^X-Conflicts=osdn-test-webserver@\*\.service$/m);
    assert.equal(sample.split('\n').filter((l) => l.startsWith('ExecStart')).length, readSeed(TEMPLATE).split('\n').filter((l) => l.startsWith('ExecStart')).length);

    if (registry.external) {
      // No machine runs an etcd: nothing listens on the machines' 2379/2380.
      assert.deepEqual(listenersOn(MACHINES).filter((l) => /:(2379|2380|4001)$/.test(l)), [], 'with an external registry the machines run no etcd');
      const st = await cluster('status');
      assert.equal(st.code, 0, show(st));
      assert.match(st.out, new RegExp(`^registry: ${registry.external.replace(/[.]/g, '\\.')} healthy, 1 member,`, 'm'), st.out);
    }

    const env = { ...process.env, FLEETCTL_ENDPOINT: endpoint!, ETCDCTL_ENDPOINTS: etcdctlEndpoints! };
    const fleetctl = (...args: string[]): Promise<RunResult> =>
      typed(path.join(dir, 'bin/fleetctl'), args, { cwd: sampleDir, env: { ...env, FLEETCTL_ENDPOINT: endpoint! } });
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
    // fleet's machines are in the registry the user chose, as etcdctl shows them.
    const inRegistry = await typed(path.join(dir, 'bin/etcdctl'), ['ls', '/_coreos.com/fleet/machines'], { env });
    assert.equal(inRegistry.code, 0, show(inRegistry));
    assert.equal(inRegistry.out.trim().split('\n').length, 3, show(inRegistry));

    const submit = await fleetctl('submit', TEMPLATE);
    assert.equal(submit.code, 0, show(submit));

    // Both at once, as the seed's `fleetctl start osdn-test-webserver@{1..2}.service`.
    // Where machines share the host's /tmp (not root, no unshare), two
    // instances starting together race on the seed's fixed download path,
    // so there they are started one after the other.
    const startUnits = async (...names: string[]): Promise<void> => {
      const r = await fleetctl('start', ...names);
      t.diagnostic(`${registry.name}: fleetctl start ${names.join(' ')}: exit ${r.code}`);
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
    // Each machine downloaded the image itself, from the server cluster up started.
    const imageUrl = new URL(/its image served from (\S+)/.exec(up.out)![1]!);
    const metrics = await fetchPage(imageUrl.hostname, { port: Number(imageUrl.port), path: '/metrics', from: HERE });
    const served = Number(/^coracle_sample_files_served_total (\d+)$/m.exec(metrics?.body ?? '')?.[1]);
    assert.ok(served >= 2, `the sample server served the image at least twice:\n${metrics?.body}`);
    if (ownTmp) {
      // ... to its own /tmp, not the host's.
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

    // down with @1 still running on the spare: every machine stops its units, the sample server stops.
    const down = await cluster('down');
    assert.equal(down.code, 0, show(down));
    assert.deepEqual(await runningContainers(WEBSERVER_IMAGE), [], 'cluster down leaves no seed container running');
    for (const a of MACHINES) assert.deepEqual(await containersPublishingOn(a), [], `nothing publishes on ${a}`);
    assert.deepEqual(processesMentioning(dir).map((p) => p.cmdline), [], 'cluster down leaves no process of the cluster');
    assert.deepEqual(listenersOn(MACHINES), [], 'nothing listens on the machines\' addresses');
    assert.ok(!listenersOn(['127.0.0.1']).includes('127.0.0.1:18088'), 'the sample server stopped listening');
    assert.equal(await fetchPage(spare, { from: HERE }), null);
    if (registry.external) {
      assert.match(down.out, /is not this cluster's: it keeps running/, down.out);
      const still = await typed(path.join(dir, 'bin/etcdctl'), ['cluster-health'], { env });
      assert.equal(still.code, 0, `the external registry is left running:\n${show(still)}`);
    }

    // destroy: the machines' roots and the sample go, and the sample's containers and image leave the engine.
    const gone = await cluster('destroy');
    assert.equal(gone.code, 0, show(gone));
    assert.equal((await docker('ps', '-aq', '--filter', sampleLabel)).out.trim(), '', 'no container of the sample is left');
    assert.equal((await docker('images', '-q', '--filter', sampleLabel)).out.trim(), '', 'no image of the sample is left');
    assert.equal(fs.existsSync(dir), false, `${dir} is removed`);
  } finally {
    if (fs.existsSync(path.join(dir, 'cluster.json'))) await cluster('destroy');
    for (const p of processesMentioning(dir)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const withCluster = (t: TestContext, fn: () => Promise<void>): Promise<void> =>
  withHostLock('one-host-cluster', () => withDocker(t, fn));

test('the seed\'s story with real Docker on `coracle cluster up --docker` (the machines\' own etcd): fleetctl submit/start, two machines, a crash moves the unit, stop, destroy, down', { timeout: 25 * 60_000 }, async (t) => {
  await withCluster(t, () => story(t, { name: 'coracle etcd', upFlags: [], external: null }));
});

test('the same story with a real etcd 3.4 (--enable-v2) as the registry: `cluster up --docker --etcd-servers http://127.0.0.97:2379`', { timeout: 25 * 60_000 }, async (t) => {
  await withCluster(t, async () => {
    const etcd = await startEtcd({ name: 'registry', ip: REAL_ETCD_ADDRESS, clientPort: 2379, peerPort: 2380 });
    try {
      await story(t, { name: 'real etcd 3.4', upFlags: ['--etcd-servers', etcd.clientURL], external: etcd.clientURL });
    } finally {
      await etcd.stop();
    }
  });
});
