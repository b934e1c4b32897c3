// Under fleet's own engine an agent reads its schedule from job/ (pure part).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scheduleFromJobs } from '../../src/fleet/agent/fleet-engine-schedule.js';

test('a schedule read from job/: units targeted here, and untargeted launched or loaded units that may be global', () => {
  const h = (c: string) => c.repeat(40);
  const s = scheduleFromJobs([
    { name: 'web@1.service', hash: h('a'), targetState: 'launched', target: 'm1' },
    { name: 'web@2.service', hash: h('a'), targetState: 'launched', target: 'm2' },
    { name: 'db.service', hash: h('b'), targetState: 'loaded', target: 'm1' },
    { name: 'monitor.service', hash: h('c'), targetState: 'launched' },
    { name: 'off.service', hash: h('d'), targetState: 'inactive' },
    { name: 'half-written.service', targetState: 'launched', target: 'm1' },
  ], 'm1');
  assert.deepEqual([...s.mine], [
    ['web@1.service', { hash: h('a'), targetState: 'launched' }],
    ['db.service', { hash: h('b'), targetState: 'loaded' }],
  ]);
  assert.deepEqual([...s.maybeGlobal], [['monitor.service', { hash: h('c'), targetState: 'launched' }]]);
});
