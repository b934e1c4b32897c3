// Snapshots (etcd's store JSON shape, written by hand below from etcd 3.4's
// Go structs: store{Root,WatcherHub,CurrentIndex,Stats,CurrentVersion},
// node{Path,CreatedIndex,ModifiedIndex,ExpireTime,Value,Children}) and
// determinism of the apply path.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyRequest,
  keysPath,
  KEYS_PREFIX,
  renderEvent,
  SnapshotError,
  Store,
  V2Error,
  type ApplyResult,
  type V2Request,
} from '../../src/store/index.js';
import { SEC, T0 } from './helpers.js';

const zeroStats =
  '{"getsSuccess":0,"getsFail":0,"setsSuccess":0,"setsFail":0,"deleteSuccess":0,"deleteFail":0,"updateSuccess":0,' +
  '"updateFail":0,"createSuccess":0,"createFail":0,"compareAndSwapSuccess":0,"compareAndSwapFail":0,' +
  '"compareAndDeleteSuccess":0,"compareAndDeleteFail":0,"expireCount":0,"watchers":0}';

test('a fresh store saves as etcd shapes it', () => {
  const s = new Store({ historyCapacity: 3 });
  const dir = (p: string): string =>
    `{"Path":"${p}","CreatedIndex":0,"ModifiedIndex":0,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":`;
  assert.equal(
    s.save(),
    `{"Root":${dir('/')}{"0":${dir('/0')}{}},"1":${dir('/1')}{}}}},` +
      '"WatcherHub":{"EventHistory":{"Queue":{"Events":[null,null,null],"Size":0,"Front":0,"Back":0,"Capacity":3},"StartIndex":0,"LastIndex":0}},' +
      `"CurrentIndex":0,"Stats":${zeroStats},"CurrentVersion":2}`,
  );
});

test('files, TTLs, sorted children and the refresh mark in a snapshot', () => {
  const s = new Store({ historyCapacity: 2, namespaces: ['/1'] });
  s.set('/1/b', false, 'x<y', {}, T0);
  s.set('/1/a', false, 'v', { expireTime: T0 + 1_500_000_000n }, T0);
  s.update('/1/a', '', { expireTime: T0 + 2n * SEC, refresh: true }, T0);
  assert.equal(
    s.save(),
    '{"Root":{"Path":"/","CreatedIndex":0,"ModifiedIndex":0,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{' +
      '"1":{"Path":"/1","CreatedIndex":0,"ModifiedIndex":0,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{' +
      '"a":{"Path":"/1/a","CreatedIndex":2,"ModifiedIndex":3,"ExpireTime":"2026-11-22T17:00:02Z","Value":"v","Children":null},' +
      '"b":{"Path":"/1/b","CreatedIndex":1,"ModifiedIndex":1,"ExpireTime":"0001-01-01T00:00:00Z","Value":"x\\u003cy","Children":null}}}}},' +
      '"WatcherHub":{"EventHistory":{"Queue":{"Events":[' +
      '{"action":"update","node":{"key":"/1/a","value":"v","expiration":"2026-11-22T17:00:02Z","ttl":2,"modifiedIndex":3,"createdIndex":2},' +
      '"prevNode":{"key":"/1/a","value":"v","expiration":"2026-11-22T17:00:01.5Z","ttl":2,"modifiedIndex":2,"createdIndex":2},"refresh":true},' +
      '{"action":"set","node":{"key":"/1/a","value":"v","expiration":"2026-11-22T17:00:01.5Z","ttl":2,"modifiedIndex":2,"createdIndex":2}}' +
      '],"Size":2,"Front":1,"Back":1,"Capacity":2},"StartIndex":2,"LastIndex":3}},' +
      `"CurrentIndex":3,"Stats":${zeroStats.replace('"setsSuccess":0', '"setsSuccess":2').replace('"updateSuccess":0', '"updateSuccess":1')},"CurrentVersion":2}`,
  );
});

/** A deterministic mixed workload (xorshift PRNG) over a few keys, dirs and TTLs. */
function workload(n: number, seed: number): { req: V2Request; now: bigint }[] {
  let x = seed;
  const rnd = (k: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % k;
  };
  const out: { req: V2Request; now: bigint }[] = [];
  let now = T0;
  for (let i = 0; i < n; i++) {
    now += BigInt(rnd(400)) * 1_000_000n;
    const path = keysPath(`/w${rnd(3)}/k${rnd(5)}`);
    const ttl = rnd(4) === 0 ? { expiration: now + BigInt(1 + rnd(3)) * SEC } : {};
    const reqs: V2Request[] = [
      { method: 'PUT', path, value: `v${i}`, ...ttl },
      { method: 'PUT', path, value: `v${i}`, prevExist: false },
      { method: 'PUT', path, value: `v${i}`, prevExist: true, ...ttl },
      { method: 'PUT', path, value: `v${i}`, prevValue: `v${i - 1}` },
      { method: 'PUT', path, prevExist: true, refresh: true, expiration: now + 2n * SEC },
      { method: 'POST', path: keysPath(`/q${rnd(2)}`), value: `job${i}` },
      { method: 'DELETE', path },
      { method: 'DELETE', path: keysPath(`/w${rnd(3)}`), recursive: true },
      { method: 'DELETE', path, prevIndex: rnd(50) },
      { method: 'PUT', path: keysPath(`/w${rnd(3)}/d${rnd(2)}`), dir: true, ...ttl },
      { method: 'QGET', path: keysPath(`/w${rnd(3)}`), recursive: true, sorted: true },
      { method: 'SYNC', path: '', time: now },
    ];
    out.push({ req: reqs[rnd(reqs.length)] as V2Request, now });
  }
  return out;
}

function render(r: ApplyResult): string {
  if (r.kind === 'error') return r.error.body();
  if (r.kind === 'event') return renderEvent(r.event, { trimPrefix: KEYS_PREFIX });
  return r.events.map((e) => renderEvent(e)).join('');
}

test('determinism: the same entries on two fresh stores give identical answers and snapshots', () => {
  const entries = workload(3000, 12345);
  const a = new Store();
  const b = new Store();
  let answers = 0;
  for (const { req, now } of entries) {
    assert.equal(render(applyRequest(a, req, now)), render(applyRequest(b, req, now)));
    answers++;
  }
  assert.equal(answers, 3000);
  assert.ok(a.index > 1000, 'the workload moved the history window');
  assert.equal(a.save(), b.save());
});

test('recover: same state, same snapshot, TTL heap rebuilt, history and watchers kept working', () => {
  const entries = workload(2500, 777);
  const a = new Store();
  for (const { req, now } of entries) applyRequest(a, req, now);
  const last = entries[entries.length - 1]?.now ?? T0;
  const saved = a.save();

  const b = new Store();
  const watcher = b.watch(keysPath('/w0'), true, true, 0);
  assert.ok(!(watcher instanceof V2Error));
  b.recover(saved);
  assert.equal(b.save(), saved);
  assert.equal(b.index, a.index);
  for (const key of ['/', '/w0', '/w1', '/w2', '/q0']) {
    const ga = a.get(keysPath(key), true, true, last);
    const gb = b.get(keysPath(key), true, true, last);
    assert.equal(render(ga instanceof V2Error ? { kind: 'error', error: ga } : { kind: 'event', event: ga }),
      render(gb instanceof V2Error ? { kind: 'error', error: gb } : { kind: 'event', event: gb }), key);
  }
  // Same history: a scan from the oldest retained index answers alike.
  const oldest = a.hub.history.startIndex;
  const wa = a.watch(keysPath('/'), true, false, oldest);
  const wb = b.watch(keysPath('/'), true, false, oldest);
  assert.ok(!(wa instanceof V2Error) && !(wb instanceof V2Error));
  assert.equal(renderEvent(wa.take() ?? assert.fail()), renderEvent(wb.take() ?? assert.fail()));
  // Same TTL keys expire at the same cutoff, in the same order.
  const later = last + 10n * SEC;
  assert.deepEqual(
    b.deleteExpiredKeys(later).map((e) => renderEvent(e)),
    a.deleteExpiredKeys(later).map((e) => renderEvent(e)),
  );
  assert.equal(b.hasTTLKeys(), false);
  // The watcher registered before recovery still hears new writes.
  b.set(keysPath('/w0/after'), false, 'x', {}, later);
  assert.equal(watcher.take()?.node.key, '/1/w0/after');
});

test('an unreadable snapshot is refused and leaves the store as it was', () => {
  const s = new Store();
  s.set(keysPath('/k'), false, 'v', {}, T0);
  const before = s.save();
  for (const bad of ['', '{', '[]', '{"Root":{}}', before.replace('"CurrentIndex":1', '"CurrentIndex":-1'),
    before.replace('"ExpireTime":"0001-01-01T00:00:00Z"', '"ExpireTime":"soon"')]) {
    assert.throws(() => s.recover(bad), SnapshotError, bad.slice(0, 40));
    assert.equal(s.save(), before);
  }
});
