// The `coracle` command: one entry point, one subcommand per piece.
// Argument handling and output formatting only; the work lives in src/<piece>/.
import { readFileSync } from 'node:fs';

export interface Subcommand {
  name: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

// Subcommands register here as their pieces land (etcd, node, fleetd, cluster…).
// Each is imported only when run: a machine starts several coracle processes
// in a row at boot (node, cloudinit, etcd, fleetd), and loading every piece's
// modules in each cost ~0.2 s of CPU apiece.
const subcommands: Subcommand[] = [
  {
    name: 'etcd',
    summary: 'run one member of an etcd-compatible cluster (etcd 3.4 flags, v2 API)',
    run: async (argv) => (await import('./etcd.js')).etcdCommand(argv),
  },
  {
    name: 'discovery',
    summary: 'run the discovery service members bootstrap through (GET /new?size=N)',
    run: async (argv) => (await import('./discovery.js')).discoveryCommand(argv),
  },
  {
    name: 'node',
    summary: 'run the per-machine init on a machine root (units, journal, control socket)',
    run: async (argv) => (await import('./node.js')).nodeCommand(argv),
  },
  {
    name: 'systemctl',
    summary: "control the init of a machine root (systemctl's commands and output)",
    run: async (argv) => (await import('./systemctl.js')).systemctlCommand(argv),
  },
  {
    name: 'journalctl',
    summary: "read the journal of a machine root (journalctl's formats)",
    run: async (argv) => (await import('./journalctl.js')).journalctlCommand(argv),
  },
  {
    name: 'cloudinit',
    summary: 'validate and apply cloud-config, scripts and Ignition to a machine root (coreos-cloudinit)',
    run: async (argv) => (await import('./cloudinit.js')).cloudinitCommand(argv),
  },
  {
    name: 'cluster',
    summary: 'a local cluster of machines on this host: up, status, down, kill, start, destroy, exec, logs',
    run: async (argv) => (await import('./cluster.js')).clusterCommand(argv),
  },
  {
    name: 'fleetd',
    summary: "run fleet's daemon (engine + agent) for a machine root (fleet v1 registry in etcd)",
    run: async (argv) => (await import('./fleetd.js')).fleetdCommand(argv),
  },
  {
    name: 'ct',
    summary: 'transpile a Container Linux Config (YAML) into Ignition JSON, as CoreOS ct did',
    run: async (argv) => (await import('./ct.js')).ctCommand(argv),
  },
  {
    name: 'bench',
    summary: "load-test an etcd v2 API cluster (put, get, watch), like etcd's benchmark tool",
    run: async (argv) => (await import('./bench.js')).benchCommand(argv),
  },
  {
    name: 'version',
    summary: 'print the coracle version',
    async run() {
      process.stdout.write(`coracle ${packageVersion()}\n`);
      return 0;
    },
  },
];

export function packageVersion(): string {
  const url = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

function usage(): string {
  const width = Math.max(...subcommands.map((c) => c.name.length));
  const lines = subcommands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: coracle <command> [options]',
    '',
    'A CoreOS-style cluster stack: replicated etcd-compatible store, per-machine',
    'init, fleet-compatible scheduler and cloud-config.',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -h, --help     show this help (also `coracle <command> --help`)',
    '  -v, --version  print the version',
    '',
    'Examples:',
    '  coracle version',
    '  coracle etcd --name m1 --data-dir /tmp/m1 --initial-cluster m1=http://localhost:2380',
    '  npm run sim -- --seeds 1000 --from 1   # the Raft simulator (from a checkout)',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(usage());
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') return subcommands.find((c) => c.name === 'version')!.run([]);
  const command = subcommands.find((c) => c.name === first);
  if (!command) {
    process.stderr.write(`coracle: unknown command '${first}'\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}
