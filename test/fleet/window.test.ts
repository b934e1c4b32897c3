// The engine's and agents' write window (AIMD) and the pacer that queues
// writes behind it: pure, driven by reported answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pacer, WriteWindow } from '../../src/fleet/engine/window.js';

test('quick answers double the window per window of answers until the first congestion, then add about one', () => {
  const w = new WriteWindow({ initial: 4, max: 1000, slowMs: 1000 });
  for (let i = 0; i < 4; i++) assert.equal(w.tryAcquire(), true);
  assert.equal(w.tryAcquire(), false, 'a full window takes no more writes');
  for (let i = 0; i < 4; i++) w.release('ok', 10);
  assert.equal(w.limit, 8, 'slow start: one more per answer');
  w.tryAcquire();
  w.release('error', 0);
  assert.equal(w.limit, 4, 'congestion halves it and ends slow start');
  for (let i = 0; i < 4; i++) {
    w.tryAcquire();
    w.release('ok', 10);
  }
  assert.equal(w.limit, 4, 'four answers at size 4 add just under one');
  for (let i = 0; i < 40; i++) {
    w.tryAcquire();
    w.release('ok', 10);
  }
  assert.ok(w.limit >= 8 && w.limit <= 12, `grew additively, got ${w.limit}`);
});

test('a slow answer or an error halves the window once per congestion episode', () => {
  const w = new WriteWindow({ initial: 32, min: 2, max: 100, slowMs: 500 });
  for (let i = 0; i < 32; i++) w.tryAcquire();
  w.release('ok', 900); // slow: cut
  assert.equal(w.limit, 16);
  // the other writes were already queued behind the same congestion: no further cuts for them
  for (let i = 0; i < 20; i++) w.release('error', 5000);
  assert.equal(w.limit, 16);
  assert.equal(w.cuts, 1);
  // once those answers are in, a new episode cuts again
  for (let i = 0; i < 11; i++) w.release('ok', 10);
  w.tryAcquire();
  w.release('error', 0);
  assert.equal(w.limit, 8);
  assert.equal(w.cuts, 2);
});

test('the window stays between min and max', () => {
  const w = new WriteWindow({ initial: 3, min: 2, max: 5, slowMs: 100 });
  for (let i = 0; i < 50; i++) {
    w.tryAcquire();
    w.release('error', 0);
  }
  assert.equal(w.limit, 2);
  for (let i = 0; i < 500; i++) {
    w.tryAcquire();
    w.release('ok', 1);
  }
  assert.equal(w.limit, 5);
});

test('the pacer runs no more operations at once than the window allows, in queue order', async () => {
  const p = new Pacer(new WriteWindow({ initial: 3, min: 1, max: 3, slowMs: 10_000 }));
  let running = 0;
  let most = 0;
  const order: number[] = [];
  const releases: Array<() => void> = [];
  const ops = Array.from({ length: 10 }, (_, i) =>
    p.run(async () => {
      running++;
      most = Math.max(most, running);
      order.push(i);
      await new Promise<void>((r) => releases.push(r));
      running--;
      return i;
    }),
  );
  // let the queue settle, then answer one write at a time
  for (let done = 0; done < 10; done++) {
    while (releases.length === 0) await new Promise((r) => setImmediate(r));
    releases.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(await Promise.all(ops), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(most, 3);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('the pacer lets a write marked first overtake the queue; failures that are answers do not cut the window', async () => {
  const p = new Pacer(new WriteWindow({ initial: 1, min: 1, max: 1 }), (e) => (e as Error).message !== 'key exists');
  const order: string[] = [];
  let release!: () => void;
  const blocker = p.run(() => new Promise<void>((r) => (release = r)));
  const a = p.run(async () => void order.push('state'));
  const b = p.run(async () => void order.push('heartbeat'), { first: true });
  release();
  await Promise.all([blocker, a, b]);
  assert.deepEqual(order, ['heartbeat', 'state']);
  await assert.rejects(p.run(() => Promise.reject(new Error('key exists'))));
  assert.equal(p.window.cuts, 0);
  await assert.rejects(p.run(() => Promise.reject(new Error('timeout'))));
  assert.equal(p.window.cuts, 1);
});
