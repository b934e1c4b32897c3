// Three machines (each a real `coracle node` + `coracle fleetd` on its own
// address) against a 3-member `coracle etcd` on 127.0.0.141–143.
import { test } from 'node:test';
import fs from 'node:fs';
import { startCluster, tempDir, type MemberProcess } from '../etcd/members.js';
import { runScenario } from './scenario.js';

test('fleet on coracle etcd: conflicts, global, metadata, unschedulable, machine crash, stop and destroy', { timeout: 180_000 }, async () => {
  const dir = tempDir('cfleet-etcd-');
  let members: MemberProcess[] = [];
  try {
    members = await startCluster(['127.0.0.141', '127.0.0.142', '127.0.0.143'], dir);
    await runScenario({ etcd: members.map((m) => m.clientURL), ips: ['127.0.0.144', '127.0.0.145', '127.0.0.146'] });
  } finally {
    for (const m of members) await m.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
