// Replays of exchanges captured from the real etcd 3.4.23 (`--enable-v2`,
// single member, fresh data dir, on this machine, 2026-11-22, with curl):
// each row is [method, url, form body, HTTP status, X-Etcd-Index, body].
// Expiration times are wall-clock in the captures, so they are masked here
// and checked with explicit times in ttl.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApi, maskExpiration } from './helpers.js';

type Row = [method: string, url: string, form: string, status: number, index: number, body: string];

// Captured in order on one fresh member (p1: every operation, error and quirk).
const p1: Row[] = [
  ['PUT', '/a', 'value=1', 201, 4, '{"action":"set","node":{"key":"/a","value":"1","modifiedIndex":4,"createdIndex":4}}'],
  ['PUT', '/a', 'value=2', 200, 5, '{"action":"set","node":{"key":"/a","value":"2","modifiedIndex":5,"createdIndex":5},"prevNode":{"key":"/a","value":"1","modifiedIndex":4,"createdIndex":4}}'],
  ['GET', '/a', '', 200, 5, '{"action":"get","node":{"key":"/a","value":"2","modifiedIndex":5,"createdIndex":5}}'],
  ['PUT', '/d/x/y', 'value=v', 201, 6, '{"action":"set","node":{"key":"/d/x/y","value":"v","modifiedIndex":6,"createdIndex":6}}'],
  ['GET', '/d?recursive=true&sorted=true', '', 200, 6, '{"action":"get","node":{"key":"/d","dir":true,"nodes":[{"key":"/d/x","dir":true,"nodes":[{"key":"/d/x/y","value":"v","modifiedIndex":6,"createdIndex":6}],"modifiedIndex":6,"createdIndex":6}],"modifiedIndex":6,"createdIndex":6}}'],
  ['GET', '/d', '', 200, 6, '{"action":"get","node":{"key":"/d","dir":true,"nodes":[{"key":"/d/x","dir":true,"modifiedIndex":6,"createdIndex":6}],"modifiedIndex":6,"createdIndex":6}}'],
  ['PUT', '/d/_h', 'value=hidden', 201, 7, '{"action":"set","node":{"key":"/d/_h","value":"hidden","modifiedIndex":7,"createdIndex":7}}'],
  ['GET', '/d?recursive=true&sorted=true', '', 200, 7, '{"action":"get","node":{"key":"/d","dir":true,"nodes":[{"key":"/d/x","dir":true,"nodes":[{"key":"/d/x/y","value":"v","modifiedIndex":6,"createdIndex":6}],"modifiedIndex":6,"createdIndex":6}],"modifiedIndex":6,"createdIndex":6}}'],
  ['GET', '/d/_h', '', 200, 7, '{"action":"get","node":{"key":"/d/_h","value":"hidden","modifiedIndex":7,"createdIndex":7}}'],
  ['PUT', '/d/x', 'value=v', 403, 7, '{"errorCode":102,"message":"Not a file","cause":"/d/x","index":7}'],
  ['PUT', '/d/x/y/z', 'value=v', 400, 7, '{"errorCode":104,"message":"Not a directory","cause":"/d/x/y","index":7}'],
  ['GET', '/d/x/y/z', '', 400, 7, '{"errorCode":104,"message":"Not a directory","cause":"/d/x/y","index":7}'],
  ['GET', '/nope/deeper', '', 404, 7, '{"errorCode":100,"message":"Key not found","cause":"/nope","index":7}'],
  ['PUT', '/', 'value=x', 400, 7, '{"errorCode":107,"message":"Root is read only","cause":"/","index":7}'],
  ['DELETE', '/', '', 400, 7, '{"errorCode":107,"message":"Root is read only","cause":"/","index":7}'],
  ['DELETE', '/?prevValue=x', '', 403, 7, '{"errorCode":102,"message":"Not a file","index":7}'],
  ['DELETE', '/?prevIndex=3', '', 403, 7, '{"errorCode":102,"message":"Not a file","index":7}'],
  ['PUT', '/?prevValue=x', 'value=y', 400, 7, '{"errorCode":107,"message":"Root is read only","cause":"/","index":7}'],
  ['PUT', '/?prevExist=true', 'value=', 400, 7, '{"errorCode":107,"message":"Root is read only","cause":"/","index":7}'],
  ['PUT', '/?prevExist=false', 'value=', 400, 7, '{"errorCode":107,"message":"Root is read only","cause":"/","index":7}'],
  ['PUT', '/?dir=true', '', 400, 7, '{"errorCode":107,"message":"Root is read only","cause":"/","index":7}'],
  ['GET', '/?sorted=true', '', 200, 7, '{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"2","modifiedIndex":5,"createdIndex":5},{"key":"/d","dir":true,"modifiedIndex":6,"createdIndex":6}]}}'],
  ['PUT', '/a?prevValue=x', 'value=3', 412, 7, '{"errorCode":101,"message":"Compare failed","cause":"[x != 2]","index":7}'],
  ['PUT', '/a?prevIndex=1', 'value=3', 412, 7, '{"errorCode":101,"message":"Compare failed","cause":"[1 != 5]","index":7}'],
  ['PUT', '/a?prevIndex=1&prevValue=x', 'value=3', 412, 7, '{"errorCode":101,"message":"Compare failed","cause":"[x != 2] [1 != 5]","index":7}'],
  ['PUT', '/a?prevIndex=5&prevValue=2', 'value=3', 200, 8, '{"action":"compareAndSwap","node":{"key":"/a","value":"3","modifiedIndex":8,"createdIndex":5},"prevNode":{"key":"/a","value":"2","modifiedIndex":5,"createdIndex":5}}'],
  ['PUT', '/d?prevValue=x', 'value=3', 403, 8, '{"errorCode":102,"message":"Not a file","cause":"/d","index":8}'],
  ['PUT', '/missing?prevValue=x', 'value=3', 404, 8, '{"errorCode":100,"message":"Key not found","cause":"/missing","index":8}'],
  ['PUT', '/a?prevExist=false', 'value=3', 412, 8, '{"errorCode":105,"message":"Key already exists","cause":"/a","index":8}'],
  ['PUT', '/missing?prevExist=true', 'value=3', 404, 8, '{"errorCode":100,"message":"Key not found","cause":"/missing","index":8}'],
  ['PUT', '/d?prevExist=true', 'value=x', 403, 8, '{"errorCode":102,"message":"Not a file","cause":"/d","index":8}'],
  ['PUT', '/d?prevExist=true&dir=true', 'value=&ttl=100', 200, 9, '{"action":"update","node":{"key":"/d","dir":true,"expiration":"2026-11-22T17:44:37.752609668Z","ttl":100,"modifiedIndex":9,"createdIndex":6},"prevNode":{"key":"/d","dir":true,"modifiedIndex":6,"createdIndex":6}}'],
  ['GET', '/d', '', 200, 9, '{"action":"get","node":{"key":"/d","dir":true,"expiration":"2026-11-22T17:44:37.752609668Z","ttl":100,"nodes":[{"key":"/d/x","dir":true,"modifiedIndex":6,"createdIndex":6}],"modifiedIndex":6,"createdIndex":6}}'],
  ['PUT', '/d?dir=true', '', 403, 9, '{"errorCode":102,"message":"Not a file","cause":"/d","index":9}'],
  ['PUT', '/d?prevExist=false&dir=true', '', 412, 9, '{"errorCode":105,"message":"Key already exists","cause":"/d","index":9}'],
  ['PUT', '/newdir?dir=true', 'value=ignored', 201, 10, '{"action":"set","node":{"key":"/newdir","dir":true,"modifiedIndex":10,"createdIndex":10}}'],
  ['PUT', '/t', 'value=v&ttl=100', 201, 11, '{"action":"set","node":{"key":"/t","value":"v","expiration":"2026-11-22T17:44:37.79126953Z","ttl":100,"modifiedIndex":11,"createdIndex":11}}'],
  ['PUT', '/t?prevExist=true', 'value=v2&ttl=', 200, 12, '{"action":"update","node":{"key":"/t","value":"v2","modifiedIndex":12,"createdIndex":11},"prevNode":{"key":"/t","value":"v","expiration":"2026-11-22T17:44:37.79126953Z","ttl":100,"modifiedIndex":11,"createdIndex":11}}'],
  ['GET', '/t', '', 200, 12, '{"action":"get","node":{"key":"/t","value":"v2","modifiedIndex":12,"createdIndex":11}}'],
  ['PUT', '/t0', 'value=v&ttl=0', 201, 13, '{"action":"set","node":{"key":"/t0","value":"v","expiration":"2026-11-22T17:42:57.813234027Z","modifiedIndex":13,"createdIndex":13}}'],
  ['PUT', '/t?refresh=true&prevExist=true', 'ttl=50', 200, 14, '{"action":"update","node":{"key":"/t","value":"v2","expiration":"2026-11-22T17:43:47.820732748Z","ttl":50,"modifiedIndex":14,"createdIndex":11},"prevNode":{"key":"/t","value":"v2","modifiedIndex":12,"createdIndex":11}}'],
  ['PUT', '/t?refresh=true', 'ttl=50', 200, 15, '{"action":"set","node":{"key":"/t","value":"v2","expiration":"2026-11-22T17:43:47.828244483Z","ttl":50,"modifiedIndex":15,"createdIndex":15},"prevNode":{"key":"/t","value":"v2","expiration":"2026-11-22T17:43:47.820732748Z","ttl":50,"modifiedIndex":14,"createdIndex":11}}'],
  ['PUT', '/t?refresh=true', 'ttl=50&value=x', 400, 0, '{"errorCode":211,"message":"Value provided on refresh","cause":"A value was provided on a refresh","index":0}'],
  ['PUT', '/t?refresh=true', '', 400, 0, '{"errorCode":212,"message":"A TTL must be provided on refresh","cause":"No TTL value set","index":0}'],
  ['PUT', '/nothere?refresh=true', 'ttl=5', 404, 15, '{"errorCode":100,"message":"Key not found","cause":"/nothere","index":15}'],
  ['PUT', '/nv?noValueOnSuccess=true', 'value=1', 201, 16, '{"action":"set"}'],
  ['PUT', '/nv?noValueOnSuccess=true&prevExist=false', 'value=1', 412, 16, '{"errorCode":105,"message":"Key already exists","cause":"/nv","index":16}'],
  ['PUT', '/nv2?noValueOnSuccess=true&prevExist=false', 'value=1', 201, 17, '{"action":"create"}'],
  ['DELETE', '/nv2?noValueOnSuccess=true', '', 200, 18, '{"action":"delete","node":{"key":"/nv2","modifiedIndex":18,"createdIndex":17},"prevNode":{"key":"/nv2","value":"1","modifiedIndex":17,"createdIndex":17}}'],
  ['GET', '/nv?noValueOnSuccess=true', '', 200, 18, '{"action":"get","node":{"key":"/nv","value":"1","modifiedIndex":16,"createdIndex":16}}'],
  ['POST', '/q', 'value=j1', 201, 19, '{"action":"create","node":{"key":"/q/00000000000000000019","value":"j1","modifiedIndex":19,"createdIndex":19}}'],
  ['POST', '/q?dir=true', '', 201, 20, '{"action":"create","node":{"key":"/q/00000000000000000020","dir":true,"modifiedIndex":20,"createdIndex":20}}'],
  ['GET', '/q?sorted=true', '', 200, 20, '{"action":"get","node":{"key":"/q","dir":true,"nodes":[{"key":"/q/00000000000000000019","value":"j1","modifiedIndex":19,"createdIndex":19},{"key":"/q/00000000000000000020","dir":true,"modifiedIndex":20,"createdIndex":20}],"modifiedIndex":19,"createdIndex":19}}'],
  ['POST', '/a', 'value=z', 400, 20, '{"errorCode":104,"message":"Not a directory","cause":"/a","index":20}'],
  ['DELETE', '/d', '', 403, 20, '{"errorCode":102,"message":"Not a file","cause":"/d","index":20}'],
  ['DELETE', '/d?dir=true', '', 403, 20, '{"errorCode":108,"message":"Directory not empty","cause":"/d","index":20}'],
  ['DELETE', '/d?recursive=true', '', 200, 21, '{"action":"delete","node":{"key":"/d","dir":true,"modifiedIndex":21,"createdIndex":6},"prevNode":{"key":"/d","dir":true,"expiration":"2026-11-22T17:44:37.752609668Z","ttl":100,"modifiedIndex":6,"createdIndex":6}}'],
  ['PUT', '/f', 'value=ff', 201, 22, '{"action":"set","node":{"key":"/f","value":"ff","modifiedIndex":22,"createdIndex":22}}'],
  ['DELETE', '/f?dir=true', '', 200, 23, '{"action":"delete","node":{"key":"/f","modifiedIndex":23,"createdIndex":22},"prevNode":{"key":"/f","value":"ff","modifiedIndex":22,"createdIndex":22}}'],
  ['PUT', '/c', 'value=cv', 201, 24, '{"action":"set","node":{"key":"/c","value":"cv","modifiedIndex":24,"createdIndex":24}}'],
  ['DELETE', '/c?prevValue=x', '', 412, 24, '{"errorCode":101,"message":"Compare failed","cause":"[x != cv]","index":24}'],
  ['DELETE', '/c?prevIndex=1', '', 412, 24, '{"errorCode":101,"message":"Compare failed","cause":"[1 != 24]","index":24}'],
  ['DELETE', '/c?prevIndex=1&prevValue=x', '', 412, 24, '{"errorCode":101,"message":"Compare failed","cause":"[x != cv] [1 != 24]","index":24}'],
  ['DELETE', '/q?prevValue=x', '', 403, 24, '{"errorCode":102,"message":"Not a file","cause":"/q","index":24}'],
  ['DELETE', '/missing?prevValue=x', '', 404, 24, '{"errorCode":100,"message":"Key not found","cause":"/missing","index":24}'],
  ['DELETE', '/c?prevValue=cv', '', 200, 25, '{"action":"compareAndDelete","node":{"key":"/c","modifiedIndex":25,"createdIndex":24},"prevNode":{"key":"/c","value":"cv","modifiedIndex":24,"createdIndex":24}}'],
];

function replay(api: FakeApi, rows: Row[]): void {
  for (const [method, url, form, status, index, body] of rows) {
    const got = api.call(method, url, form);
    const what = `${method} ${url} ${form}`;
    assert.equal(maskExpiration(got.body), maskExpiration(body + '\n'), what);
    assert.equal(got.status, status, what);
    assert.equal(got.index, index, what);
  }
}

test('real etcd exchange p1: set/get/create/update/CAS/delete/CAD, errors, root quirks', () => {
  replay(new FakeApi(), p1);
});

test('stats after p1 match the real member (gets excluded: etcd counts its own internal gets)', () => {
  const api = new FakeApi();
  replay(api, p1);
  // The real member expired /t0 (ttl=0) right after the sequence.
  api.store.deleteExpiredKeys(api.now);
  const { getsSuccess: _g, getsFail: _f, ...writes } = api.store.stats();
  // From GET /v2/stats/store on the real member right after p1.
  assert.deepEqual(writes, {
    setsSuccess: 13,
    setsFail: 7,
    deleteSuccess: 4,
    deleteFail: 2,
    updateSuccess: 5,
    updateFail: 1,
    createSuccess: 4,
    createFail: 5,
    compareAndSwapSuccess: 2,
    compareAndSwapFail: 5,
    compareAndDeleteSuccess: 7,
    compareAndDeleteFail: 1,
    expireCount: 1,
    watchers: 0,
  });
});
