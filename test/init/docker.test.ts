// The seeds' web server units on a real Docker engine, run by a real
// `coracle node` process and driven through `coracle systemctl`, as a CoreOS
// user did. The seeds change only where they must: the image URL points at a
// local HTTP server that serves a `docker save` tar built for this run, and
// the publish address is the machine's own (`-p ${COREOS_PRIVATE_IPV4}:80:80`
// from `EnvironmentFile=/etc/environment`).
//
// Addresses (this file's range is 127.0.0.120–129): .120 serves the image tar
// and is the source of the test's own HTTP checks; .121 and .122 are the two
// machines' addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  TEST_DOCKER_SERVICE, WEBSERVER_IMAGE, buildWebserverImageTar, fetchPage, listContainers, readSeed,
  rewriteWebserverSeed, run, serveFile, withDocker, type FileServer, type RunResult,
} from '../support/docker.js';
import { tempRoot, waitFor, writeUnit } from './helpers.js';

const BIN = path.resolve(fileURLToPath(import.meta.url), '../../../../bin/coracle.js');
const TAR_SERVER = '127.0.0.120';
// The seed units download the image to this fixed host path.
const SEED_DOWNLOAD = `/tmp/${WEBSERVER_IMAGE}.tar`;

/** `coracle …` as a user types it; asynchronous, because the image server lives in this process. */
function coracle(...args: string[]): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], { timeoutMs: 120_000 });
}

interface NodeProcess {
  log(): string;
  /** SIGTERM, then the exit code (SIGKILL after a bounded wait, reported as null); later calls give the same code. */
  stop(): Promise<number | null>;
}

async function startNode(root: string): Promise<NodeProcess> {
  const child = spawn(process.execPath, [BIN, 'node', '--root', root], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stopped: Promise<number | null> | null = null;
  const stop = (): Promise<number | null> => {
    stopped ??= (async () => {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    })();
    return stopped;
  };
  try {
    await waitFor('the control socket', () => fs.existsSync(path.join(root, 'run/coracle/init.sock')), 20_000);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}; the node's log:\n${log}`);
  }
  return { log: () => log, stop };
}

/** A machine root with the machine's address in etc/environment, the docker.service stand-in and one seed unit. */
function machineRoot(address: string, seedName: string, tarUrl: string): string {
  const root = tempRoot();
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/environment'), `COREOS_PUBLIC_IPV4=${address}\nCOREOS_PRIVATE_IPV4=${address}\n`);
  writeUnit(root, 'docker.service', TEST_DOCKER_SERVICE);
  writeUnit(root, seedName, rewriteWebserverSeed(readSeed(seedName), tarUrl));
  return root;
}

/** The page the machine's address serves, waited for (bounded); fails with the unit's journal if it never comes. */
async function waitForPage(address: string, page: string, root: string, unit: string): Promise<void> {
  try {
    await waitFor(`the page on http://${address}/`, async () => (await fetchPage(address, { from: TAR_SERVER }))?.body === page, 60_000);
  } catch (e) {
    const journal = await coracle('journalctl', '--root', root, '-u', unit, '-o', 'cat');
    throw new Error(`${(e as Error).message}; last answer ${JSON.stringify(await fetchPage(address, { from: TAR_SERVER }))}; journal of ${unit}:\n${journal.out}`);
  }
}

async function runningNamed(name: string): Promise<string[]> {
  return (await listContainers()).filter((c) => c.name === name).map((c) => `${c.name} ${c.ports}`);
}

/** The frame of each test: a fresh page text, its image tar served on .120, everything removed afterwards. */
async function withServedImage(fn: (tarUrl: string, page: string, server: FileServer) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-test-image-'));
  const page = `coracle docker test page ${randomUUID()}\n`;
  let server: FileServer | null = null;
  try {
    const tar = await buildWebserverImageTar(dir, page.trimEnd());
    server = await serveFile(TAR_SERVER, tar);
    await fn(server.url, page, server);
  } finally {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(SEED_DOWNLOAD, { force: true });
  }
}

test('docker: the seed template osdn-test-webserver@.service runs a real container on the machine’s address; stop and the node’s SIGTERM leave none running', async (t) => {
  await withDocker(t, async () => {
    await withServedImage(async (tarUrl, page, server) => {
      const address = '127.0.0.121';
      const unit = 'osdn-test-webserver@1.service';
      const container = 'osdn-test-webserver-1';
      assert.deepEqual(await listContainers({ all: true, prefix: container }), [], `no container ${container} before the test`);
      assert.equal(await fetchPage(address, { from: TAR_SERVER }), null, `nothing answers on ${address}:80 before the test`);
      const root = machineRoot(address, 'osdn-test-webserver@.service', tarUrl);
      const node = await startNode(root);
      try {
        const start = await coracle('systemctl', '--root', root, 'start', unit);
        assert.deepEqual(start, { code: 0, out: '', err: '' }, `systemctl start; the node's log:\n${node.log()}`);
        await waitForPage(address, page, root, unit);
        assert.equal(server.requests(), 1, 'the unit downloaded the image tar once');

        const status = await coracle('systemctl', '--root', root, 'status', unit);
        assert.equal(status.code, 0);
        const lines = status.out.split('\n');
        assert.equal(lines[0], `● ${unit} - OSDN Test Web Server`);
        assert.match(lines[2]!, /^ {5}Active: active \(running\) since /);
        assert.deepEqual(await runningNamed(container), [`${container} ${address}:80->80/tcp`]);

        // On a first start there is no container to kill or remove: the `-` lines fail and the start goes on.
        const journal = (await coracle('journalctl', '--root', root, '-u', unit, '-o', 'cat')).out;
        assert.match(journal, new RegExp(`No such container: ${container}`));

        const stop = await coracle('systemctl', '--root', root, 'stop', unit);
        assert.deepEqual(stop, { code: 0, out: '', err: '' });
        assert.deepEqual(await coracle('systemctl', '--root', root, 'is-active', unit), { code: 3, out: 'inactive\n', err: '' });
        assert.deepEqual(await runningNamed(container), [], 'docker ps shows no running container after stop');
        assert.equal(await fetchPage(address, { from: TAR_SERVER }), null, `${address}:80 no longer answers after stop`);

        // Started again, the `-` lines now find the stopped container and clear it away.
        assert.equal((await coracle('systemctl', '--root', root, 'start', unit)).code, 0);
        await waitForPage(address, page, root, unit);
        assert.equal(server.requests(), 2);
        assert.deepEqual(await runningNamed(container), [`${container} ${address}:80->80/tcp`]);
      } finally {
        await node.stop();
      }
      assert.equal(await node.stop(), 0, `coracle node exits 0 on SIGTERM; its log:\n${node.log()}`);
      assert.deepEqual(await runningNamed(container), [], 'no container runs after the node stopped');
      assert.equal(await fetchPage(address, { from: TAR_SERVER }), null, `${address}:80 no longer answers after the node stopped`);
    });
  });
});

test('docker: the seed osdn-test-webserver.service, enabled, starts its container when the machine boots (Requires=docker.service pulled in); SIGTERM stops it', async (t) => {
  await withDocker(t, async () => {
    await withServedImage(async (tarUrl, page, server) => {
      const address = '127.0.0.122';
      const unit = 'osdn-test-webserver.service';
      const container = 'osdn-test-webserver';
      assert.deepEqual(await listContainers({ all: true, prefix: container }), [], 'no seed container before the test');
      const root = machineRoot(address, unit, tarUrl);
      // Enabled as the seed's user did, on a node that is then restarted: the boot brings it up.
      const first = await startNode(root);
      try {
        const enable = await coracle('systemctl', '--root', root, 'enable', unit);
        assert.equal(enable.code, 0, enable.err);
        assert.equal(enable.err, `Created symlink ${root}/etc/systemd/system/multi-user.target.wants/${unit} → ${root}/etc/systemd/system/${unit}.\n`);
        assert.deepEqual(await coracle('systemctl', '--root', root, 'is-active', unit), { code: 3, out: 'inactive\n', err: '' });
      } finally {
        await first.stop();
      }
      assert.equal(await first.stop(), 0, `coracle node exits 0 on SIGTERM; its log:\n${first.log()}`);
      const node = await startNode(root);
      try {
        await waitForPage(address, page, root, unit);
        assert.equal(server.requests(), 1);
        assert.deepEqual(await coracle('systemctl', '--root', root, 'is-active', unit), { code: 0, out: 'active\n', err: '' });
        assert.deepEqual(await coracle('systemctl', '--root', root, 'is-active', 'docker.service'), { code: 0, out: 'active\n', err: '' });
        assert.deepEqual(await runningNamed(container), [`${container} ${address}:80->80/tcp`]);
      } finally {
        await node.stop();
      }
      assert.equal(await node.stop(), 0, `coracle node exits 0 on SIGTERM; its log:\n${node.log()}`);
      assert.deepEqual(await runningNamed(container), []);
      assert.equal(await fetchPage(address, { from: TAR_SERVER }), null);
    });
  });
});
