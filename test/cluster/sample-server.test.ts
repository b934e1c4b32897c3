// The Docker sample's file server (the helper `cluster up --docker` runs):
// serves the files of its directory and nothing else, answers /health and
// /metrics, writes JSON-line logs, and stops on SIGTERM. Runs the helper as
// cluster up does, as its own process, on 127.0.0.97 (a port of the kernel's
// choosing would not be known to the test, so a fixed high one is used).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../../src/cluster/sample-server.js', import.meta.url));
const ADDRESS = '127.0.0.97';
const PORT = 18098;

function get(pathname: string, method = 'GET'): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const req = http.request({ host: ADDRESS, port: PORT, path: pathname, method, localAddress: ADDRESS, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

test('the sample server serves its directory\'s files only, answers /health and /metrics, and stops on SIGTERM', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coracle-sample-server-'));
  const served = path.join(dir, 'image');
  fs.mkdirSync(served);
  fs.writeFileSync(path.join(served, 'osdn-test-webserver.tar'), 'not really a tar\n');
  fs.writeFileSync(path.join(dir, 'secret'), 'outside the served directory\n');
  const child = spawn(process.execPath, [SERVER, '--listen', `${ADDRESS}:${PORT}`, '--dir', served], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 20_000;
    while ((await get('/health')) === null) {
      assert.ok(Date.now() < deadline, `the sample server did not answer:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await get('/health'), { status: 200, body: '{"health":"true"}\n' });
    assert.deepEqual(await get('/osdn-test-webserver.tar'), { status: 200, body: 'not really a tar\n' });
    assert.equal((await get('/osdn-test-webserver.tar', 'HEAD'))?.status, 200);
    for (const p of ['/../secret', '/%2e%2e%2fsecret', '/nothing.tar', '/']) assert.equal((await get(p))?.status, 404, p);
    assert.equal((await get('/osdn-test-webserver.tar', 'PUT'))?.status, 405);
    const metrics = (await get('/metrics'))!.body;
    assert.match(metrics, /^coracle_sample_files_served_total 1$/m);
    assert.match(metrics, /^coracle_sample_bytes_served_total 17$/m);
    assert.match(metrics, /^coracle_sample_requests_rejected_total\{code="404"\} 4$/m);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const lines = log.trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
    assert.deepEqual([lines[0]!.msg, lines.at(-1)!.msg], ['serving', 'stopped']);
    assert.ok(lines.some((l) => l.msg === 'served'));
    assert.equal(await get('/health'), null, 'nothing listens after SIGTERM');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
