// The same fleet scenario with a real etcd 3.4 (`--enable-v2`) as the
// registry: fleet's layout and conditions work on the original store too.
import { test } from 'node:test';
import { startEtcd, type RunningEtcd } from '../client/real-etcd.js';
import { runScenario } from './scenario.js';

test('fleet on a real etcd 3.4: conflicts, global, metadata, unschedulable, machine crash, stop and destroy', { timeout: 180_000 }, async () => {
  let etcd: RunningEtcd | undefined;
  try {
    etcd = await startEtcd({ name: 'fleetreg', ip: '127.0.0.147', clientPort: 2379, peerPort: 2380 });
    await runScenario({ etcd: [etcd.clientURL], ips: ['127.0.0.151', '127.0.0.152', '127.0.0.153'] });
  } finally {
    await etcd?.stop();
  }
});
