// `coracle discovery`: run the cluster-bootstrap discovery service.
import http from 'node:http';
import { parseCommandLine } from './io.js';
import { discoveryHandler } from '../discovery/service.js';
import { jsonLogger } from '../common/log.js';

const usage = `Usage: coracle discovery [--listen URL] [--etcd URL] [--public-url URL]

Serves etcd's discovery protocol (what discovery.etcd.io did): GET /new?size=N
makes a token and answers its URL; members started with --discovery <that URL>
register there and find each other. State lives in an etcd v2 keys API
(a coracle member or a real etcd) under /_etcd/registry.

Options:
  --listen URL      where to listen (default http://127.0.0.1:8087)
  --etcd URL        the backend's client URL (default http://127.0.0.1:2379)
  --public-url URL  the base of the token URLs it hands out (default: --listen)
  -h, --help        show this help

Examples:
  coracle discovery --listen http://127.0.0.1:8087 --etcd http://127.0.0.2:2379
  curl 'http://127.0.0.1:8087/new?size=3'
  coracle etcd --name m1 --discovery http://127.0.0.1:8087/<token> ...
`;

export async function discoveryCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandLine('discovery', usage, { args: argv, options: { listen: { type: 'string' }, etcd: { type: 'string' }, 'public-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const listen = new URL(values.listen ?? 'http://127.0.0.1:8087');
  const log = jsonLogger({ base: { service: 'discovery' } });
  const server = http.createServer(discoveryHandler({ etcd: values.etcd ?? 'http://127.0.0.1:2379', publicURL: values['public-url'] ?? listen.origin }));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(listen.port || 80), listen.hostname, () => resolve());
    });
  } catch (err) {
    process.stderr.write(`coracle discovery: cannot listen on ${listen.origin}: ${(err as Error).message}\n`);
    return 1;
  }
  log.info('discovery service listening', { url: listen.origin, backend: values.etcd ?? 'http://127.0.0.1:2379' });
  return new Promise<number>((resolve) => {
    const stop = () => server.close(() => resolve(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
