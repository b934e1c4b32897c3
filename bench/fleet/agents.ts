// Child process of the fleet benchmark: N lightweight agents (fleet's real
// Agent class, a fake in-memory init) sharing one etcd client. Prints its CPU
// use as JSON on SIGTERM, after stopping the agents without unloading units.
//   node dist/bench/fleet/agents.js --count N --first K --etcd URL,URL --local 127.0.0.174 --ttl 30 [--dir DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EtcdClient } from '../../src/client/index.js';
import { Agent, newAgentPacer } from '../../src/fleet/agent/agent.js';
import { Registry, FLEET_VERSION } from '../../src/fleet/registry/index.js';
import { jsonLogger } from '../../src/common/log.js';
import { FakeInit } from './fake-init.js';

const { values: a } = parseArgs({
  options: { count: { type: 'string' }, first: { type: 'string' }, etcd: { type: 'string' }, local: { type: 'string' }, ttl: { type: 'string', default: '30' }, dir: { type: 'string' } },
});
const count = Number(a.count);
const first = Number(a.first);
const client = new EtcdClient({ endpoints: a.etcd!.split(','), localAddress: a.local!, headerTimeoutPerRequest: 5000 });
const registry = new Registry(client, { requestTimeoutMs: 10_000 });
// under the runner's temp dir when given, so a killed run leaves nothing behind
const dir = a.dir !== undefined ? (fs.mkdirSync(a.dir, { recursive: true }), a.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-agents-'));
// one write window for the whole process, as the agents share one client
const pacer = newAgentPacer();
// warnings and errors on stderr (the runner sends them to a log file)
const log = jsonLogger({ level: 'warn', base: { proc: `agents-${first}` } });
const agents: Agent[] = [];
for (let i = 0; i < count; i++) {
  const n = first + i;
  const id = n.toString(16).padStart(32, '0');
  agents.push(
    new Agent({
      registry,
      init: new FakeInit(),
      machine: { ID: id, PublicIP: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, Metadata: {}, Capabilities: { DISABLE_ENGINE: true, GRPC: false }, Version: FLEET_VERSION },
      ttlSeconds: Number(a.ttl),
      unitsDir: path.join(dir, id),
      log,
      pacer,
    }),
  );
}
await Promise.all(agents.map((ag) => ag.start()));
process.stdout.write(JSON.stringify({ ready: count }) + '\n');
process.on('SIGTERM', () => {
  void (async () => {
    await Promise.all(agents.map((ag) => ag.stop({ unloadUnits: false })));
    const cpu = process.cpuUsage();
    const m = agents.reduce((s, ag) => ({ starts: s.starts + ag.metrics.starts, events: s.events + ag.metrics.events, publishes: s.publishes + ag.metrics.statePublishes }), { starts: 0, events: 0, publishes: 0 });
    process.stdout.write(JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6, ...m }) + '\n');
    client.close();
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  })();
});
