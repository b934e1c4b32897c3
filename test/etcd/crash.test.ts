// Crash safety of a member's data dir, on real processes and real files:
// kill -9 during heavy writes, a torn WAL tail, and a flipped byte in the
// middle of the log.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { initialCluster, MemberProcess, request, tempDir } from './members.js';

const dirs: string[] = [];
const running: MemberProcess[] = [];
after(async () => {
  await Promise.all(running.map((m) => m.kill9()));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function member(addr: string, dataDir: string): MemberProcess {
  const m = new MemberProcess({ name: 'c1', addr, dataDir, initialCluster: initialCluster([addr], ['c1']) });
  running.push(m);
  return m;
}

/** Write keys concurrently until `stop` says so; returns the keys whose writes were acknowledged. */
async function writeUntil(url: string, stop: () => boolean, concurrency = 8, max = 3000): Promise<string[]> {
  const acked: string[] = [];
  let next = 0;
  const worker = async () => {
    while (!stop() && next < max) {
      const k = String(next++);
      try {
        const r = await request('PUT', `${url}/v2/keys/h/${k}`, `value=v${k}`);
        if (r.status === 201 || r.status === 200) acked.push(k);
      } catch {
        return; // the member died
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return acked;
}

function lastSegment(dataDir: string): string {
  const walDir = path.join(dataDir, 'member', 'wal');
  const segs = fs.readdirSync(walDir).filter((n) => n.endsWith('.wal')).sort();
  return path.join(walDir, segs[segs.length - 1]!);
}

test('kill -9 during heavy writes: every acknowledged write is there after restart', async () => {
  const dir = tempDir('coracle-crash-');
  dirs.push(dir);
  const m = member('127.0.0.11', path.join(dir, 'c1'));
  await m.waitReady();
  let killed = false;
  const writing = writeUntil(m.clientURL, () => killed);
  await new Promise((r) => setTimeout(r, 700));
  await m.kill9();
  killed = true;
  const acked = await writing;
  assert.ok(acked.length > 20, `only ${acked.length} writes were acknowledged before the kill`);
  const back = member('127.0.0.11', path.join(dir, 'c1'));
  await back.waitReady();
  for (const k of acked) {
    const r = await request('GET', `${back.clientURL}/v2/keys/h/${k}`);
    assert.equal(r.status, 200, `acknowledged /h/${k} lost: ${r.body}`);
  }
  await back.stop();
});

test('a WAL tail cut a few bytes short is repaired with a log line; everything before it is kept', async () => {
  const dir = tempDir('coracle-torn-');
  dirs.push(dir);
  const m = member('127.0.0.12', path.join(dir, 'c1'));
  await m.waitReady();
  for (let i = 0; i < 20; i++) await request('PUT', `${m.clientURL}/v2/keys/t/${i}`, `value=${i}`);
  await m.stop();
  const seg = lastSegment(path.join(dir, 'c1'));
  fs.truncateSync(seg, fs.statSync(seg).size - 5);
  const back = member('127.0.0.12', path.join(dir, 'c1'));
  await back.waitReady();
  assert.ok(back.log.some((l) => l.includes('cut off a torn record')), back.log.join('\n'));
  // The torn record was the last one written (a hard state or the last entry): at most the last write is gone.
  const r = await request('GET', `${back.clientURL}/v2/keys/t/18`);
  assert.equal(r.status, 200, r.body);
  await back.stop();
});

test('a flipped byte in the middle of the WAL refuses to start, naming the file and offset', async () => {
  const dir = tempDir('coracle-flip-');
  dirs.push(dir);
  const m = member('127.0.0.13', path.join(dir, 'c1'));
  await m.waitReady();
  for (let i = 0; i < 40; i++) await request('PUT', `${m.clientURL}/v2/keys/f/${i}`, `value=${'x'.repeat(100)}`);
  await m.stop();
  const seg = lastSegment(path.join(dir, 'c1'));
  const buf = fs.readFileSync(seg);
  const at = Math.floor(buf.length / 2);
  buf[at] = buf[at]! ^ 0xff;
  fs.writeFileSync(seg, buf);
  const back = member('127.0.0.13', path.join(dir, 'c1'));
  const code = await back.exited;
  assert.equal(code, 1);
  const text = back.log.join('\n');
  assert.match(text, new RegExp(`${path.basename(seg).replace(/[.]/g, '\\.')} at offset \\d+`), text);
});
