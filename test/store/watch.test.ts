// Watch semantics replayed against captures from the real etcd 3.4.23
// (single member, curl, 2026-11-22): live notification incl. hidden keys,
// refresh invisibility, dir deletion and the double delivery to stream
// watchers of a deleted node (etcd notifies them once as "deleted" and once
// on the key's own path); history scans incl. the hidden-key and
// prefix-without-slash quirks; the 1000-event window and its 401.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keysPath, KEYS_PREFIX, renderEvent, V2Error, type Watcher } from '../../src/store/index.js';
import { errorReply, FakeApi, maskExpiration, SEC } from './helpers.js';

type Row = [method: string, url: string, form: string, status: number, index: number, body: string];

function replay(api: FakeApi, rows: Row[]): void {
  for (const [method, url, form, status, index, body] of rows) {
    const got = api.call(method, url, form);
    assert.equal(maskExpiration(got.body), maskExpiration(body + '\n'), `${method} ${url}`);
    assert.equal(got.status, status);
    assert.equal(got.index, index);
  }
}

function watch(api: FakeApi, key: string, recursive: boolean, stream: boolean, waitIndex = 0): Watcher {
  const w = api.store.watch(keysPath(key), recursive, stream, waitIndex);
  if (w instanceof V2Error) throw new Error(`watch failed: ${w.toString()}`);
  return w;
}

/** Everything a watcher would write to its HTTP stream, as etcd renders it. */
function drain(w: Watcher): string {
  let out = '';
  for (let e = w.take(); e !== undefined; e = w.take()) out += renderEvent(e, { trimPrefix: KEYS_PREFIX });
  return maskExpiration(out);
}

/** A member at index 34 like the real one was, with /t (ttl 50) that expires later as index 43. */
function memberAt34(): FakeApi {
  const api = new FakeApi();
  api.call('PUT', '/t', 'value=v&ttl=50'); // index 4
  for (let i = 5; i <= 34; i++) api.call('PUT', '/filler', `value=${i}`);
  assert.equal(api.store.index, 34);
  return api;
}

// p3: writes made while eight watchers waited (all registered at index 35).
const p3: Row[] = [
  ['PUT', '/wdir/sub/k', 'value=a', 201, 36, '{"action":"set","node":{"key":"/wdir/sub/k","value":"a","modifiedIndex":36,"createdIndex":36}}'],
  ['PUT', '/hd/_sec', 'value=s', 201, 37, '{"action":"set","node":{"key":"/hd/_sec","value":"s","modifiedIndex":37,"createdIndex":37}}'],
  ['PUT', '/hd/_sec/x', 'value=s2', 400, 37, '{"errorCode":104,"message":"Not a directory","cause":"/hd/_sec","index":37}'],
  ['PUT', '/hd/pub', 'value=p', 201, 38, '{"action":"set","node":{"key":"/hd/pub","value":"p","modifiedIndex":38,"createdIndex":38}}'],
  ['PUT', '/_top', 'value=t', 201, 39, '{"action":"set","node":{"key":"/_top","value":"t","modifiedIndex":39,"createdIndex":39}}'],
  ['PUT', '/wk?refresh=true&prevExist=true', 'ttl=100', 200, 40, '{"action":"update","node":{"key":"/wk","value":"1","expiration":"2026-11-22T17:44:56.556222258Z","ttl":100,"modifiedIndex":40,"createdIndex":35},"prevNode":{"key":"/wk","value":"1","modifiedIndex":35,"createdIndex":35}}'],
  ['DELETE', '/wk', '', 200, 41, '{"action":"delete","node":{"key":"/wk","modifiedIndex":41,"createdIndex":35},"prevNode":{"key":"/wk","value":"1","expiration":"2026-11-22T17:44:56.556222258Z","ttl":100,"modifiedIndex":40,"createdIndex":35}}'],
  ['DELETE', '/wdir?recursive=true', '', 200, 42, '{"action":"delete","node":{"key":"/wdir","dir":true,"modifiedIndex":42,"createdIndex":36},"prevNode":{"key":"/wdir","dir":true,"modifiedIndex":36,"createdIndex":36}}'],
];

const ev = {
  wdirSet: '{"action":"set","node":{"key":"/wdir/sub/k","value":"a","modifiedIndex":36,"createdIndex":36}}\n',
  hdSec: '{"action":"set","node":{"key":"/hd/_sec","value":"s","modifiedIndex":37,"createdIndex":37}}\n',
  hdPub: '{"action":"set","node":{"key":"/hd/pub","value":"p","modifiedIndex":38,"createdIndex":38}}\n',
  top: '{"action":"set","node":{"key":"/_top","value":"t","modifiedIndex":39,"createdIndex":39}}\n',
  wkDel: '{"action":"delete","node":{"key":"/wk","modifiedIndex":41,"createdIndex":35},"prevNode":{"key":"/wk","value":"1","expiration":"…","ttl":100,"modifiedIndex":40,"createdIndex":35}}\n',
  wdirDel: '{"action":"delete","node":{"key":"/wdir","dir":true,"modifiedIndex":42,"createdIndex":36},"prevNode":{"key":"/wdir","dir":true,"modifiedIndex":36,"createdIndex":36}}\n',
};

function runP3(): { api: FakeApi; ws: Record<string, Watcher> } {
  const api = memberAt34();
  replay(api, [['PUT', '/wk', 'value=1', 201, 35, '{"action":"set","node":{"key":"/wk","value":"1","modifiedIndex":35,"createdIndex":35}}']]);
  const ws = {
    s1: watch(api, '/wk', false, true),
    s2: watch(api, '/wk', false, false),
    s3: watch(api, '/wdir/sub/k', false, true),
    s4: watch(api, '/wdir', true, true),
    s5: watch(api, '/hd', true, true),
    s6: watch(api, '/hd/_sec', false, true),
    s7: watch(api, '/wdir', false, true),
    s8: watch(api, '/', true, true),
  };
  assert.equal(api.store.stats().watchers, 8);
  replay(api, p3);
  return { api, ws };
}

test('live watches: what each of eight real watchers received', () => {
  const { ws } = runP3();
  for (const w of Object.values(ws)) assert.equal(w.startIndex, 35); // X-Etcd-Index of every watch response
  assert.equal(drain(ws.s1), ev.wkDel + ev.wkDel); // stream on a deleted key: twice; the refresh (40) never
  assert.equal(drain(ws.s2), ev.wkDel); // one-shot
  assert.equal(drain(ws.s3), ev.wdirSet + ev.wdirDel); // ancestor dir deleted
  assert.equal(drain(ws.s4), ev.wdirSet + ev.wdirDel + ev.wdirDel); // the deleted dir itself: twice
  assert.equal(drain(ws.s5), ev.hdPub); // recursive above _sec hears nothing of it
  assert.equal(drain(ws.s6), ev.hdSec); // watching the hidden key itself works
  assert.equal(drain(ws.s7), ev.wdirDel + ev.wdirDel); // non-recursive dir watch: not the child set
  assert.equal(drain(ws.s8), ev.wdirSet + ev.hdPub + ev.wkDel + ev.wdirDel); // /_top hidden from the root watch
});

test('watcher count: one-shot watchers leave after one event, streams stay until removed', () => {
  const { api, ws } = runP3();
  assert.equal(ws.s2.removed, true);
  assert.equal(api.store.stats().watchers, 7);
  for (const w of Object.values(ws)) w.remove();
  assert.equal(api.store.stats().watchers, 0);
  assert.match(api.store.statsJSON(), /,"watchers":0}$/);
});

test('history scans: hidden keys not filtered, refresh skipped, dir-delete prefix match without "/"', () => {
  const { api, ws } = runP3();
  for (const w of Object.values(ws)) w.remove();
  const scans: [key: string, recursive: boolean, waitIndex: number, body: string][] = [
    ['/hd', true, 36, ev.hdSec],
    ['/wk', false, 40, ev.wkDel],
    ['/wdir/sub/k', false, 37, ev.wdirDel],
    ['/wdirX', false, 42, ev.wdirDel],
    ['/wdir', false, 36, ev.wdirDel],
    ['/', true, 39, ev.top],
  ];
  for (const [key, recursive, waitIndex, body] of scans) {
    const w = watch(api, key, recursive, false, waitIndex);
    assert.equal(w.startIndex, 42, key);
    assert.equal(w.removed, true, `${key}: answered from history, not registered`);
    const e = w.take();
    assert.ok(e !== undefined, key);
    assert.equal(e.etcdIndex, 42);
    assert.equal(maskExpiration(renderEvent(e, { trimPrefix: KEYS_PREFIX })), body, key);
  }
  assert.equal(api.store.stats().watchers, 0);
  // Non-recursive watch on the root dir from 39: no match in history, so it waits.
  const root = watch(api, '/', false, false, 39);
  assert.equal(root.pending, 0);
  assert.equal(api.store.stats().watchers, 1);
  root.remove();
  assert.equal(api.store.stats().watchers, 0);

  // Then /t expired (index 43) on the real member; a scan from 1 finds /_top.
  api.now += 50n * SEC;
  api.store.deleteExpiredKeys(api.now);
  const w = watch(api, '/_top', false, false, 1);
  assert.equal(w.startIndex, 43);
  assert.equal(renderEvent(w.take() ?? assert.fail('no event'), { trimPrefix: KEYS_PREFIX }), ev.top);
});

test('dir expiry reaches watchers of its children; the history window after 1100 writes', () => {
  const { api, ws } = runP3();
  for (const w of Object.values(ws)) w.remove();
  api.now += 50n * SEC;
  api.store.deleteExpiredKeys(api.now); // /t, index 43
  api.call('GET', '/hist'); // the real capture's 404 here
  replay(api, [
    ['PUT', '/td?dir=true', 'ttl=2', 201, 44, '{"action":"set","node":{"key":"/td","dir":true,"expiration":"2026-11-22T17:53:33.67263528Z","ttl":2,"modifiedIndex":44,"createdIndex":44}}'],
    ['PUT', '/td/c', 'value=x', 201, 45, '{"action":"set","node":{"key":"/td/c","value":"x","modifiedIndex":45,"createdIndex":45}}'],
  ]);
  const e1 = watch(api, '/td/c', false, true);
  const e2 = watch(api, '/td', true, false);
  const e3 = watch(api, '/td/c/deeper', false, false);
  api.now += 2n * SEC;
  assert.equal(api.store.deleteExpiredKeys(api.now).length, 1);
  const expired =
    '{"action":"expire","node":{"key":"/td","dir":true,"modifiedIndex":46,"createdIndex":44},"prevNode":{"key":"/td","dir":true,"expiration":"…","modifiedIndex":44,"createdIndex":44}}\n';
  assert.equal(drain(e1), expired);
  assert.equal(drain(e2), expired);
  assert.equal(drain(e3), '');
  for (const w of [e1, e2, e3]) w.remove();

  // 1100 writes: PUT /hist/k<i mod 7> value=i.
  for (let i = 1; i <= 1100; i++) api.call('PUT', `/hist/k${i % 7}`, `value=${i}`);
  assert.equal(api.store.index, 1146);
  const cleared = (n: number): string => {
    const w = api.store.watch(keysPath('/hist/k1'), false, false, n);
    assert.ok(w instanceof V2Error);
    const r = errorReply(w);
    assert.equal(r.status, 400);
    return r.body;
  };
  assert.equal(
    cleared(8),
    '{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [147/8]","index":1146}\n',
  );
  assert.equal(
    cleared(146),
    '{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [147/146]","index":1146}\n',
  );
  const w = watch(api, '/hist/k1', false, false, 147);
  assert.equal(
    renderEvent(w.take() ?? assert.fail('no event'), { trimPrefix: KEYS_PREFIX }),
    '{"action":"set","node":{"key":"/hist/k1","value":"106","modifiedIndex":152,"createdIndex":152},"prevNode":{"key":"/hist/k1","value":"99","modifiedIndex":145,"createdIndex":145}}\n',
  );
});

// The rest follows etcd's source (watcher.go, watcher_hub.go), not captures.

test('a future waitIndex skips events below it', () => {
  const api = new FakeApi();
  const w = watch(api, '/k', false, false, api.store.index + 3);
  api.call('PUT', '/k', 'value=1');
  api.call('PUT', '/k', 'value=2');
  assert.equal(w.pending, 0);
  api.call('PUT', '/k', 'value=3');
  const e = w.take();
  assert.equal(e?.node.value, '3');
  assert.equal(w.removed, true);
});

test('a stream watcher whose 100-event buffer is full is dropped, keeping what it holds', () => {
  const api = new FakeApi();
  const w = watch(api, '/s', true, true);
  let calls = 0;
  w.setListener(() => calls++);
  for (let i = 0; i < 101; i++) api.call('PUT', '/s/k', `value=${i}`);
  assert.equal(w.pending, 100);
  assert.equal(w.overflowed, true);
  assert.equal(w.removed, true);
  assert.equal(calls, 100);
  assert.equal(api.store.stats().watchers, 0);
  api.call('PUT', '/s/k', 'value=late');
  assert.equal(w.pending, 100);
  assert.equal(w.take()?.node.value, '0');
});

test('a drained stream watcher never overflows', () => {
  const api = new FakeApi();
  const w = watch(api, '/s', true, true);
  let seen = 0;
  w.setListener(() => {
    while (w.take() !== undefined) seen++;
  });
  for (let i = 0; i < 300; i++) api.call('PUT', '/s/k', `value=${i}`);
  assert.equal(seen, 300);
  assert.equal(w.overflowed, false);
  assert.equal(api.store.stats().watchers, 1);
});

test('refresh: bumps the index, is recorded in history, but reaches no watcher and no scan', () => {
  const api = new FakeApi();
  api.call('PUT', '/r', 'value=v&ttl=10');
  const w = watch(api, '/r', false, false);
  const r = api.call('PUT', '/r?refresh=true&prevExist=true', 'ttl=20');
  assert.equal(r.index, 5);
  assert.equal(w.pending, 0);
  assert.equal(api.store.watch(keysPath('/r'), false, false, 5) instanceof V2Error, false);
  const scan = watch(api, '/r', false, false, 5);
  assert.equal(scan.pending, 0, 'scan skips the refresh and waits');
  assert.equal(api.store.hub.history.events[4]?.refresh, true);
});
