// Child process of the fleet benchmark: one engine (fleet's real Engine
// class) that takes the lease and places units. Prints its metrics as JSON
// every 250 ms and its CPU use on SIGTERM.
//   node dist/bench/fleet/engine.js --etcd URL,URL --local 127.0.0.174 [--verbosity N]
import { parseArgs } from 'node:util';
import { EtcdClient } from '../../src/client/index.js';
import { Engine } from '../../src/fleet/engine/engine.js';
import { Registry } from '../../src/fleet/registry/index.js';
import { jsonLogger } from '../../src/common/log.js';

const { values: a } = parseArgs({ options: { etcd: { type: 'string' }, local: { type: 'string' }, verbosity: { type: 'string', default: '0' }, interval: { type: 'string', default: '2000' } } });
const client = new EtcdClient({ endpoints: a.etcd!.split(','), localAddress: a.local!, headerTimeoutPerRequest: 5000 });
const registry = new Registry(client, { requestTimeoutMs: 10_000 });
const engine = new Engine({ registry, machineID: 'bench-engine', reconcileIntervalMs: Number(a.interval), log: jsonLogger({ level: Number(a.verbosity) > 0 ? 'debug' : 'warn', base: { proc: 'engine' } }), verbosity: Number(a.verbosity) });
// a coracle fleetd publishes its agent's endpoint, and agents take a lease
// holder without one for fleet's own engine (then they read all of job/ on
// every pass): this engine runs without an agent, so it publishes one
const publishEndpoint = (): Promise<void> => registry.setAgentEndpoint('bench-engine', `http://${a.local}:1`, 30).catch(() => undefined);
await publishEndpoint();
const endpointTimer = setInterval(() => void publishEndpoint(), 10_000);
engine.start();
const timer = setInterval(() => {
  process.stdout.write(JSON.stringify({ t: Date.now(), ...engine.metrics }) + '\n');
}, 250);
process.on('SIGTERM', () => {
  void (async () => {
    clearInterval(timer);
    clearInterval(endpointTimer);
    await engine.stop();
    const cpu = process.cpuUsage();
    process.stdout.write(JSON.stringify({ final: true, cpuSeconds: (cpu.user + cpu.system) / 1e6, ...engine.metrics }) + '\n');
    client.close();
    process.exit(0);
  })();
});
