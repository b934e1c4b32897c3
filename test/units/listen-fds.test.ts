// src/common/listen-fds.ts: the sd_listen_fds(3) rules for LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenFdNamed, listenFds } from '../../src/common/listen-fds.js';

test('listen-fds: fds 3… named by LISTEN_FDNAMES when LISTEN_PID is this process; the variables are removed afterwards', () => {
  const env: NodeJS.ProcessEnv = { LISTEN_PID: '42', LISTEN_FDS: '2', LISTEN_FDNAMES: 'fleet.socket:metrics', OTHER: 'x' };
  assert.deepEqual(listenFds({ env, pid: 42 }), [{ fd: 3, name: 'fleet.socket' }, { fd: 4, name: 'metrics' }]);
  assert.deepEqual(env, { OTHER: 'x' });
});

test('listen-fds: nothing when LISTEN_PID is missing or names another process (inherited), names "unknown" without LISTEN_FDNAMES', () => {
  assert.deepEqual(listenFds({ env: { LISTEN_FDS: '1' }, pid: 42 }), []);
  assert.deepEqual(listenFds({ env: { LISTEN_PID: '41', LISTEN_FDS: '1' }, pid: 42 }), []);
  const keep: NodeJS.ProcessEnv = { LISTEN_PID: '42', LISTEN_FDS: '1' };
  assert.deepEqual(listenFds({ env: keep, pid: 42, unsetEnvironment: false }), [{ fd: 3, name: 'unknown' }]);
  assert.equal(keep.LISTEN_FDS, '1');
});

test('listen-fds: malformed variables are errors that say which', () => {
  assert.throws(() => listenFds({ env: { LISTEN_PID: 'me', LISTEN_FDS: '1' }, pid: 42 }), /LISTEN_PID is not a pid: "me"/);
  assert.throws(() => listenFds({ env: { LISTEN_PID: '42', LISTEN_FDS: 'two' }, pid: 42 }), /LISTEN_FDS is not a number: "two"/);
  assert.throws(() => listenFds({ env: { LISTEN_PID: '42', LISTEN_FDS: '2', LISTEN_FDNAMES: 'a' }, pid: 42 }), /LISTEN_FDNAMES names 1 fds but LISTEN_FDS says 2/);
});

test('listen-fds: listenFdNamed picks by name, or the only fd', () => {
  const fds = [{ fd: 3, name: 'a.socket' }, { fd: 4, name: 'fleet.socket' }];
  assert.equal(listenFdNamed(fds, 'fleet.socket'), 4);
  assert.equal(listenFdNamed(fds, 'other'), null);
  assert.equal(listenFdNamed([{ fd: 3, name: 'x' }], 'fleet.socket'), 3);
});
