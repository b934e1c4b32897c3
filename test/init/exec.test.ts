// Exec details against real processes: prefixes, User=, KillMode=,
// ExecReload=, ExecStopPost='s variables, Restart=on-failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { marker, pidsWith, waitFor, waitState, withNode, writeUnit } from './helpers.js';
import type { InitNode } from '../../src/init/node/runtime.js';

const out = (node: InitNode, unit: string): string[] => node.journal.read({ units: [unit] }).filter((e) => e.stream !== 'init').map((e) => e.msg);

test('exec: @ sets argv[0], : keeps $VAR literal, + and ! skip User=, - ignores a failure', async () => {
  await withNode(async (node, root) => {
    writeUnit(root, 'pfx.service', [
      '[Service]', 'Type=oneshot', 'User=nobody', 'Environment=WHO=world',
      'ExecStartPre=-/bin/false',
      'ExecStartPre=+/bin/sh -c "echo plus $(id -u)"',
      'ExecStartPre=!/bin/sh -c "echo bang $(id -u)"',
      'ExecStart=@/bin/sh renamed -c "echo at $0 $WHO"',
      'ExecStart=:/bin/echo colon $WHO',
      'ExecStart=/bin/sh -c "echo user $(id -un)"', '',
    ].join('\n'));
    const r = await node.request('start', 'pfx.service');
    assert.ok(r.ok && r.result === 'done');
    await waitFor('all lines', () => out(node, 'pfx.service').length >= 5);
    assert.deepEqual(out(node, 'pfx.service'), ['plus 0', 'bang 0', 'at renamed world', 'colon $WHO', 'user nobody']);
  });
});

test('exec: ExecStopPost gets SERVICE_RESULT, EXIT_CODE, EXIT_STATUS; ExecReload gets MAINPID', async () => {
  await withNode(async (node, root) => {
    writeUnit(root, 'post.service', '[Service]\nExecStart=/bin/sh -c "exit 3"\nExecStopPost=/bin/sh -c "echo $SERVICE_RESULT $EXIT_CODE $EXIT_STATUS"\n');
    await node.request('start', 'post.service');
    await waitState(node, 'post.service', 'failed/failed');
    await waitFor('the stop-post line', () => out(node, 'post.service').includes('exit-code exited 3'));

    writeUnit(root, 'rel.service', `[Service]\nExecStart=/bin/sh -c "trap 'echo reloaded' HUP; echo ready; while :; do sleep 0.05; done"\nExecReload=/bin/kill -HUP $MAINPID\n`);
    await node.request('start', 'rel.service');
    await waitFor('the trap to be set', () => out(node, 'rel.service').includes('ready'));
    const r = await node.request('reload', 'rel.service');
    assert.ok(r.ok && r.result === 'done');
    await waitFor('the reload line', () => out(node, 'rel.service').includes('reloaded'));
    assert.equal(node.status('rel.service').subState, 'running');
  });
});

test('exec: KillMode=process signals only the main process; mixed SIGKILLs the rest once the main process is gone', async () => {
  const m1 = marker();
  const m2 = marker();
  const left: number[] = [];
  try {
    await withNode(async (node, root) => {
      writeUnit(root, 'proc.service', `[Service]\nKillMode=process\nExecStart=/bin/sh -c "sleep ${m1} & exec sleep 600"\n`);
      writeUnit(root, 'mixed.service', `[Service]\nKillMode=mixed\nExecStart=/bin/sh -c "sleep ${m2} & exec sleep 600"\n`);
      await node.request('start', 'proc.service');
      await node.request('start', 'mixed.service');
      await waitFor('the helpers', () => pidsWith(`sleep ${m1}`).length === 1 && pidsWith(`sleep ${m2}`).length === 1);
      await node.request('stop', 'proc.service');
      left.push(...pidsWith(`sleep ${m1}`));
      assert.equal(left.length, 1, 'KillMode=process leaves the other processes alone');
      assert.equal(node.status('proc.service').activeState, 'inactive');
      await node.request('stop', 'mixed.service');
      assert.deepEqual(pidsWith(`sleep ${m2}`), []);
      assert.equal(node.status('mixed.service').activeState, 'inactive');
      // Gone before the init exits, so it can remove the unit's cgroup.
      for (const p of left.splice(0)) process.kill(p, 'SIGKILL');
      await waitFor('the leftover to go', () => pidsWith(`sleep ${m1}`).length === 0);
    });
  } finally {
    for (const p of left) process.kill(p, 'SIGKILL');
  }
});

test('exec: Restart=on-failure restarts after a failure but not after a clean exit', async () => {
  await withNode(async (node, root) => {
    const flag = `${root}/fail-once`;
    writeUnit(root, 'flaky.service', `[Service]\nRestart=on-failure\nRestartSec=10ms\nExecStart=/bin/sh -c "if [ ! -e ${flag} ]; then touch ${flag}; exit 1; fi; exit 0"\n`);
    await node.request('start', 'flaky.service');
    const s = await waitFor('the second run to end', () => {
      const st = node.status('flaky.service');
      return st.nRestarts === 1 && st.activeState === 'inactive' ? st : undefined;
    });
    assert.deepEqual([s.subState, s.result, s.execMain], ['dead', 'success', { code: 'exited', status: 0 }]);
  });
});
