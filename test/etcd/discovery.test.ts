// Bootstrapping through discovery, as the seeds did: against a plain v2 keys
// URL whose _config/size was set by hand, and against `coracle discovery`.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { CORACLE, initialCluster, MemberProcess, request, sleep, tempDir } from './members.js';

const running: MemberProcess[] = [];
const procs: ChildProcess[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(running.map((m) => m.kill9()));
  for (const p of procs) p.kill('SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function discoveryEtcd(dir: string, addr: string): Promise<MemberProcess> {
  const m = new MemberProcess({ name: 'disc', addr, dataDir: path.join(dir, 'disc'), initialCluster: initialCluster([addr], ['disc']) });
  running.push(m);
  await m.waitReady();
  return m;
}

function viaDiscovery(dir: string, name: string, addr: string, url: string, extra: string[] = []): MemberProcess {
  const m = new MemberProcess({ name, addr, dataDir: path.join(dir, name), initialCluster: '', extra: ['--discovery', url, ...extra] });
  running.push(m);
  return m;
}

async function memberNames(url: string): Promise<string[]> {
  const r = await request('GET', `${url}/v2/members`);
  return (JSON.parse(r.body) as { members: Array<{ name: string }> }).members.map((m) => m.name).sort();
}

test('three members bootstrap through a plain keys URL with _config/size set by hand; a fourth finds the cluster full', async () => {
  const dir = tempDir('coracle-disc-');
  dirs.push(dir);
  const disc = await discoveryEtcd(dir, '127.0.0.14');
  const url = `${disc.clientURL}/v2/keys/discovery/tok1`;
  assert.equal((await request('PUT', `${url}/_config/size`, 'value=3')).status, 201);
  const ms = [viaDiscovery(dir, 'd1', '127.0.0.15', url), viaDiscovery(dir, 'd2', '127.0.0.16', url), viaDiscovery(dir, 'd3', '127.0.0.17', url)];
  await Promise.all(ms.map((m) => m.waitReady()));
  assert.deepEqual(await memberNames(ms[0]!.clientURL), ['d1', 'd2', 'd3']);
  assert.equal((await request('PUT', `${ms[1]!.clientURL}/v2/keys/x`, 'value=1')).status, 201);
  const registry = JSON.parse((await request('GET', `${url}?sorted=true`)).body) as { node: { nodes: Array<{ value: string }> } };
  assert.deepEqual(registry.node.nodes.map((n) => n.value).sort(), ['d1=http://127.0.0.15:2380', 'd2=http://127.0.0.16:2380', 'd3=http://127.0.0.17:2380']);

  const fourth = viaDiscovery(dir, 'd4', '127.0.0.18', url, ['--discovery-fallback', 'exit']);
  assert.equal(await fourth.exited, 1);
  assert.ok(fourth.log.some((l) => l.includes('cluster is full')), fourth.log.join('\n'));

  // By default a latecomer becomes a proxy to the cluster (etcd's --discovery-fallback proxy).
  const latecomer = viaDiscovery(dir, 'd5', '127.0.0.18', url);
  await latecomer.waitForLog('proxy: serving client requests');
  assert.ok(latecomer.log.some((l) => l.includes('discovery cluster full, falling back to proxy')));
  assert.equal((await request('PUT', `${latecomer.clientURL}/v2/keys/via-proxy`, 'value=p')).status, 201);
  assert.equal(JSON.parse((await request('GET', `${ms[2]!.clientURL}/v2/keys/via-proxy?quorum=true`)).body).node.value, 'p');
  const saved = JSON.parse(fs.readFileSync(path.join(dir, 'd5', 'proxy', 'cluster'), 'utf8')) as { PeerURLs: string[] };
  assert.deepEqual(saved.PeerURLs.sort(), ['http://127.0.0.15:2380', 'http://127.0.0.16:2380', 'http://127.0.0.17:2380']);
  // The proxy talks to the cluster only: a target whose path cleans to "//host/…" must not reach that host.
  let elsewhere = 0;
  const bait = net.createServer((sock) => {
    elsewhere++;
    sock.destroy();
  });
  await new Promise<void>((r) => bait.listen(3129, '127.0.0.104', () => r()));
  try {
    await new Promise<void>((resolve, reject) => {
      const r = http.request({ host: '127.0.0.18', port: 2379, path: '/.//127.0.0.104:3129/v2/keys/via-proxy', method: 'GET' }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      r.on('error', reject);
      r.end();
    });
    assert.equal(elsewhere, 0, 'the proxy connected to a host named in the path');
  } finally {
    bait.close();
  }

  // A read-only proxy serves reads and refuses writes.
  const ro = new MemberProcess({ name: 'ro', addr: '127.0.0.109', dataDir: path.join(dir, 'ro'), initialCluster: initialCluster(['127.0.0.15'], ['d1']), extra: ['--proxy', 'readonly'] });
  running.push(ro);
  await ro.waitForLog('proxy: serving client requests');
  assert.equal(JSON.parse((await request('GET', `${ro.clientURL}/v2/keys/via-proxy`)).body).node.value, 'p');
  assert.equal((await request('PUT', `${ro.clientURL}/v2/keys/nope`, 'value=1')).status, 501);
  await Promise.all([...ms, disc, latecomer, ro].map((m) => m.stop()));
});

test('coracle discovery hands out tokens (/new?size=N) that bootstrap a cluster', async () => {
  const dir = tempDir('coracle-discsvc-');
  dirs.push(dir);
  const disc = await discoveryEtcd(dir, '127.0.0.105');
  const svc = spawn(process.execPath, [CORACLE, 'discovery', '--listen', 'http://127.0.0.105:8087', '--etcd', disc.clientURL], { stdio: 'ignore' });
  procs.push(svc);
  let tokenURL = '';
  for (let i = 0; i < 50 && tokenURL === ''; i++) {
    try {
      const r = await request('GET', 'http://127.0.0.105:8087/new?size=2');
      if (r.status === 200) tokenURL = r.body;
    } catch {
      await sleep(100);
    }
  }
  assert.match(tokenURL, /^http:\/\/127\.0\.0\.105:8087\/[0-9a-f]{32}$/);
  assert.equal((await request('GET', 'http://127.0.0.105:8087/new?size=zero')).status, 400);
  const ms = [viaDiscovery(dir, 's1', '127.0.0.106', tokenURL), viaDiscovery(dir, 's2', '127.0.0.107', tokenURL)];
  await Promise.all(ms.map((m) => m.waitReady()));
  assert.deepEqual(await memberNames(ms[1]!.clientURL), ['s1', 's2']);
  // A restarted member uses its data dir, not the (spent) token.
  await ms[0]!.stop();
  const again = viaDiscovery(dir, 's1', '127.0.0.106', tokenURL);
  await again.waitReady();
  assert.ok(again.log.some((l) => l.includes('discovery token ignored')));
  svc.kill('SIGTERM');
  await Promise.all([again, ms[1]!, disc].map((m) => m.stop()));
});

test('--discovery-proxy sends the discovery traffic through an HTTP proxy', async () => {
  const dir = tempDir('coracle-discproxy-');
  dirs.push(dir);
  const disc = await discoveryEtcd(dir, '127.0.0.103');
  const url = `${disc.clientURL}/v2/keys/discovery/viaproxy`;
  assert.equal((await request('PUT', `${url}/_config/size`, 'value=1')).status, 201);
  // A forward proxy: requests arrive with the full URL as their target.
  const seen: string[] = [];
  const http = await import('node:http');
  const proxy = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const up = http.request(req.url!, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(3128, '127.0.0.104', () => r()));
  try {
    const m = viaDiscovery(dir, 'x1', '127.0.0.108', url, ['--discovery-proxy', 'http://127.0.0.104:3128']);
    await m.waitReady();
    assert.ok(seen.some((s) => s === `GET ${url}/_config/size`), seen.join('\n'));
    assert.ok(seen.some((s) => s.startsWith(`PUT ${url}/`)), seen.join('\n'));
    await m.stop();
  } finally {
    proxy.closeAllConnections();
    proxy.close();
  }
  await disc.stop();
});
