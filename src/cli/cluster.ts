// `coracle cluster up|status|down|kill|start|destroy|exec|logs`: a local
// multi-machine cluster on one host (Vagrant's role in the seeds). Argument
// handling and output only; the work is in src/cluster/.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ClusterError,
  clusterDestroy,
  clusterDown,
  clusterUp,
  defaultClusterDir,
  killMachine,
  loadCluster,
  machineEnv,
  machineOf,
  etcdEndpoints,
  nodeRunning,
  probeMachines,
  probeRegistry,
  readState,
  startMachine,
  type ClusterState,
  type MachineProbe,
  type RegistryProbe,
} from '../cluster/cluster.js';
import { HELPER_ADDRESS, HELPER_PORTS, MAX_MACHINES, parseEtcdServers, parseMetadata, type DiscoveryMode } from '../cluster/plan.js';
import { WEBSERVER_IMAGE, WEBSERVER_TEMPLATE } from '../cluster/samples.js';
import { journalctlCommand } from './journalctl.js';

const USAGE = `Usage: coracle cluster <command> [options]

A local cluster of CoreOS-style machines on this host: machine n is a
\`coracle node\` on its own root under DIR with the address 127.0.0.(n+1)
(etcd on :2379/:2380, the fleet API on :49153), booted from a generated
cloud-config that starts etcd2 and fleet (fleet only, with --etcd-servers).
Run as root, each machine also gets its own /tmp (<root>/tmp, \`coracle node
--private-tmp\`), as a CoreOS machine had; elsewhere the machines share the
host's /tmp and up says so.

Commands:
  up [--machines N] [--discovery static|service|self] [--etcd-servers URL[,URL...]]
     [--docker] [--metadata n=k=v,...]
                      boot the machines (or start the stopped ones of an existing cluster),
                      show progress until etcd (or the --etcd-servers registry) is healthy
                      and fleet lists every machine, print what to type next, and return
                      with the machines running
  status              machines, etcd members and leader (or the registry's), fleet machines
  down                stop every machine cleanly (each init stops its units); nothing is left running
  kill N              crash machine N: every process of it killed at once (SIGKILL), and the
                      containers publishing on its address
  start N             boot machine N again on its root (same machine ID, same etcd member)
  destroy             down, then remove the machines' roots, the samples and the state file,
                      and the Docker sample's containers and image from the engine
  exec N -- CMD...    run CMD as if on machine N (CORACLE_ROOT, ETCDCTL_ENDPOINTS,
                      FLEETCTL_ENDPOINT and systemctl/journalctl/etcdctl/fleetctl on PATH)
  logs N [-u UNIT] [-f] [-n LINES]
                      machine N's journal

Options:
  --dir DIR           where the cluster lives (default: $XDG_DATA_HOME/coracle/cluster,
                      else ~/.local/share/coracle/cluster); state in DIR/cluster.json
  --machines N        how many machines, 1–${MAX_MACHINES} (default 3)
  --discovery MODE    how etcd members find each other: static (initial-cluster, default),
                      service (a coracle discovery service on 127.0.0.1:18087), self (a
                      discovery directory in an etcd on 127.0.0.1:12379, _config/size set
                      by hand as in the seed)
  --etcd-servers URL[,URL...]
                      use an external etcd (v2 API) as fleet's registry, as CoreOS worker
                      machines pointed at a separate etcd cluster: the machines then run
                      fleet only, no etcd2 of their own (fleet's etcd_servers; --registry is
                      the same flag). etcd 3.4 serves the v2 API only with --enable-v2.
                      etcdctl, status and exec then talk to that etcd; down and destroy leave
                      it running and keep what fleet wrote there
  --docker            also make the seeds' web server sample: the image ${WEBSERVER_IMAGE} is
                      built here from the static busybox (busybox-static) and served from
                      ${HELPER_ADDRESS}:${HELPER_PORTS.samples}, and DIR/samples/${WEBSERVER_TEMPLATE} is the seed's
                      template pointing at it, publishing port 80 on each machine's address.
                      Needs a running Docker engine (docker.service uses the host's engine);
                      without one, up says so and leaves the plain-process sample only
  --metadata SPEC     fleet metadata per machine: 1=role=web,2=role=db,1=az=a
  -h, --help          show this help

Examples:
  coracle cluster up
  coracle cluster up --machines 5 --metadata 1=role=edge,2=role=edge --dir /tmp/c5
  coracle cluster up --docker
  etcd --enable-v2 --listen-client-urls http://127.0.0.97:2379 --advertise-client-urls http://127.0.0.97:2379 \\
       --listen-peer-urls http://127.0.0.97:2380 --initial-advertise-peer-urls http://127.0.0.97:2380 \\
       --initial-cluster default=http://127.0.0.97:2380 --data-dir /tmp/etcd97 &
  coracle cluster up --etcd-servers http://127.0.0.97:2379 --dir /tmp/workers
  coracle cluster status
  coracle cluster exec 1 -- etcdctl member list
  coracle cluster logs 2 -u etcd2.service -f
  coracle cluster kill 2 && coracle cluster start 2
  coracle cluster down
`;

const OPTIONS = {
  dir: { type: 'string' },
  machines: { type: 'string' },
  discovery: { type: 'string' },
  'etcd-servers': { type: 'string' },
  registry: { type: 'string' },
  docker: { type: 'boolean' },
  metadata: { type: 'string' },
  unit: { type: 'string', short: 'u', multiple: true },
  follow: { type: 'boolean', short: 'f' },
  lines: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
} as const;

const err = (msg: string): void => {
  process.stderr.write(`coracle cluster: ${msg}\n`);
};

function machineNumber(arg: string | undefined, s: ClusterState): number {
  const n = Number(arg);
  if (!arg || !Number.isInteger(n)) throw new ClusterError(`which machine? give its number, 1–${s.machines.length}`);
  machineOf(s, n);
  return n;
}

function describeProbe(p: MachineProbe, externalRegistry = false): string {
  if (!p.node) return 'stopped';
  if (!p.init) return 'booting';
  if (externalRegistry) return p.fleetMachines === null ? 'init up, fleet starting' : `init up, fleet sees ${p.fleetMachines}`;
  if (!p.etcdHealthy) return 'init up, etcd starting';
  const role = p.etcdRole ? ` (${p.etcdRole})` : '';
  const fleet = p.fleetMachines === null ? '' : `, fleet sees ${p.fleetMachines}`;
  return `etcd healthy${role}${fleet}`;
}

function progressLine(elapsed: number, probes: MachineProbe[], fleet: boolean, registry: RegistryProbe | null): string {
  const n = probes.length;
  const count = (f: (p: MachineProbe) => boolean): number => probes.filter(f).length;
  const parts = [
    `${(elapsed / 1000).toFixed(1)}s`,
    `init ${count((p) => p.init)}/${n}`,
    registry ? `registry ${registry.healthy ? 'healthy' : 'not healthy'}` : `etcd healthy ${count((p) => p.etcdHealthy && p.members === n)}/${n}`,
  ];
  if (fleet) parts.push(`listed by fleet ${count((p) => p.fleetMachines === n)}/${n}`);
  return parts.join(' · ');
}

function nextSteps(s: ClusterState, dirFlag: string): string {
  const first = s.machines[0]!;
  const lines = [
    '',
    'Next:',
    `  export PATH=${path.join(s.dir, 'bin')}:$PATH    # coracle, etcdctl, fleetctl, systemctl, journalctl of this coracle`,
    `  export ETCDCTL_ENDPOINTS=${etcdEndpoints(s).join(',')}${s.registry ? '    # the external registry' : ''}`,
    '  etcdctl cluster-health',
  ];
  if (s.registry) lines.push('  etcdctl ls /_coreos.com/fleet/machines    # fleet\'s machines in the registry');
  else lines.push('  etcdctl set /message hello && etcdctl get /message');
  if (s.fleet) {
    lines.push(
      `  export FLEETCTL_ENDPOINT=http://${first.address}:${first.ports.fleetApi}    # the fleet API of ${first.name}`,
      '  fleetctl list-machines',
    );
    if (s.sample) {
      lines.push(
        `  cd ${path.dirname(s.sample.unit)}    # the seeds' web server, its image served from ${s.sample.imageUrl}`,
        `  fleetctl submit ${WEBSERVER_TEMPLATE}`,
        '  fleetctl start osdn-test-webserver@{1..2}.service    # two containers, never on the same machine',
        '  fleetctl list-units    # then: curl http://<its machine\'s address>/',
        `                        # each answers: ${s.sample.page}`,
      );
    } else {
      lines.push(`  cd ${path.join(s.dir, 'units')} && fleetctl start hello@{1..2}.service && fleetctl list-units`);
    }
  } else {
    lines.push(`  coracle cluster exec 1${dirFlag} -- systemctl list-units`);
  }
  lines.push(
    `  coracle cluster status${dirFlag}`,
    `  coracle cluster logs 1${dirFlag} -u ${s.registry ? 'fleet.service' : 'etcd2.service'}`,
    `  coracle cluster kill 2${dirFlag}; coracle cluster start 2${dirFlag}`,
    `  coracle cluster down${dirFlag}`,
    '',
  );
  return lines.join('\n');
}

async function up(values: Record<string, unknown>, dir: string, dirFlag: string): Promise<number> {
  const machines = values.machines === undefined ? 3 : Number(values.machines);
  if (!Number.isInteger(machines) || machines < 1 || machines > MAX_MACHINES) {
    err(`--machines ${String(values.machines)}: give a whole number from 1 to ${MAX_MACHINES} (machine n is 127.0.0.(n+1))`);
    return 2;
  }
  const discovery = (values.discovery ?? 'static') as DiscoveryMode;
  if (!['static', 'service', 'self'].includes(discovery)) {
    err(`--discovery ${discovery}: want static, service or self`);
    return 2;
  }
  const md = parseMetadata((values.metadata as string | undefined) ?? '', machines);
  if (!md.ok) {
    err(md.error);
    return 2;
  }
  const etcdServers = values['etcd-servers'] as string | undefined;
  const registryFlag = values.registry as string | undefined;
  if (etcdServers !== undefined && registryFlag !== undefined && etcdServers !== registryFlag) {
    err('--etcd-servers and --registry are the same flag; give it once');
    return 2;
  }
  let registry: string[] | undefined;
  if (etcdServers !== undefined || registryFlag !== undefined) {
    const r = parseEtcdServers(etcdServers ?? registryFlag ?? '');
    if (!r.ok) {
      err(r.error);
      return 2;
    }
    if (values.discovery !== undefined) {
      err(`--discovery ${discovery} with --etcd-servers: the machines run no etcd2 of their own, so there is nothing to discover`);
      return 2;
    }
    registry = r.value;
  }
  const tty = process.stdout.isTTY === true;
  let last = '';
  // An existing cluster boots again as it was made, whatever the flags say now.
  const existing = readState(dir);
  const count = existing ? existing.machines.length : machines;
  const external = existing ? existing.registry : registry;
  const how = external ? `registry: the etcd at ${external.join(',')}` : `discovery: ${existing ? existing.discovery.mode : discovery}`;
  process.stdout.write(`Booting ${count} machine${count === 1 ? '' : 's'} in ${dir} (${how})\n`);
  const result = await clusterUp({
    dir, machines, discovery, docker: values.docker === true, metadata: md.value, registry,
    onStep: (message) => {
      if (tty) process.stdout.write('\r\x1b[K');
      process.stdout.write(`${message}\n`);
    },
    onProgress: (elapsed, probes, state, reg) => {
      const line = progressLine(elapsed, probes, state.fleet, reg);
      const shown = line.replace(/^[^·]*· /, '');
      if (tty) process.stdout.write(`\r\x1b[K${line}`);
      else if (shown !== last) process.stdout.write(`${line}\n`);
      last = shown;
    },
  });
  if (tty) process.stdout.write('\n');
  const s = result.state;
  for (const m of s.machines) process.stdout.write(`  ${m.name}  ${m.address}  PID ${m.pid}  root ${m.root}\n`);
  const fleetNote = result.fleetMs !== null ? `; fleet lists ${s.machines.length} machines after ${(result.fleetMs / 1000).toFixed(1)}s` : '';
  for (const note of result.notes) process.stdout.write(`Note: ${note}\n`);
  if (s.sample) process.stdout.write(`Sample: ${s.sample.unit} (image served from ${s.sample.imageUrl}; page: ${s.sample.page})\n`);
  const verb = result.reused ? 'Restarted' : 'Up';
  const secs = (result.healthyMs / 1000).toFixed(1);
  if (s.registry) process.stdout.write(`${verb}: ${s.machines.length} machines, registry ${s.registry.join(',')} healthy, every init up after ${secs}s${fleetNote}.\n`);
  else process.stdout.write(`${verb}: etcd healthy on ${s.machines.length} machines after ${secs}s${fleetNote}.\n`);
  process.stdout.write(nextSteps(s, dirFlag));
  return 0;
}

async function status(dir: string): Promise<number> {
  const s = loadCluster(dir);
  const probes = await probeMachines(s);
  const rows = [['MACHINE', 'ADDRESS', 'PID', 'STATE', s.registry ? 'ETCD' : 'ETCD MEMBER', 'METADATA']];
  for (const [i, m] of s.machines.entries()) {
    const p = probes[i]!;
    const md = Object.entries(m.metadata).map(([k, v]) => `${k}=${v}`).join(',') || '-';
    rows.push([m.name, m.address, p.node ? String(m.pid) : '-', describeProbe(p, s.registry !== undefined), s.registry ? 'none (external)' : p.etcdMemberId ?? '-', md]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`);
  if (s.registry) {
    const r = await probeRegistry(s.registry);
    const health = r.healthy ? 'healthy' : r.members === null ? 'not answering' : 'not healthy';
    process.stdout.write(`\nregistry: ${r.url} ${health}, ${r.members ?? 0} member${r.members === 1 ? '' : 's'}, leader ${r.leader ?? 'none'}${r.v2 || r.members === null ? '' : ', no v2 keys API (--enable-v2?)'}\n`);
  } else {
    const leader = probes.find((p) => p.etcdRole === 'leader');
    const members = probes.find((p) => p.members !== null)?.members;
    process.stdout.write(`\netcd: ${members ?? 0} member${members === 1 ? '' : 's'}, leader ${leader ? `${leader.name} (${leader.etcdMemberId})` : 'none'}; discovery ${s.discovery.mode}\n`);
  }
  if (s.fleet) {
    const fleetMachines = probes.find((p) => p.fleetMachines !== null)?.fleetMachines;
    process.stdout.write(`fleet: ${fleetMachines ?? 0} machines listed (FLEETCTL_ENDPOINT=http://${s.machines[0]!.address}:${s.machines[0]!.ports.fleetApi} fleetctl list-units)\n`);
  }
  if (s.sample) process.stdout.write(`sample: ${s.sample.unit} (image served from ${s.sample.imageUrl})\n`);
  process.stdout.write(`state: ${path.join(s.dir, 'cluster.json')}\n`);
  return 0;
}

export async function clusterCommand(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: own, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (e) {
    err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [verb, ...rest] = positionals;
  if (values.help || verb === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!verb) {
    process.stderr.write(USAGE);
    return 2;
  }
  const dir = path.resolve(values.dir ?? defaultClusterDir());
  const dirFlag = values.dir ? ` --dir ${values.dir}` : '';
  try {
    switch (verb) {
      case 'up':
        return await up(values, dir, dirFlag);
      case 'status':
        return await status(dir);
      case 'down': {
        const { reports, state } = await clusterDown(dir);
        for (const r of reports) {
          const extra = r.leftovers > 0 ? ` (${r.leftovers} leftover process${r.leftovers === 1 ? '' : 'es'} killed)` : '';
          process.stdout.write(`${r.machine}: ${r.stopped ? 'stopped' : 'was not running'}${extra}\n`);
        }
        if (state.registry) process.stdout.write(`The registry ${state.registry.join(',')} is not this cluster's: it keeps running, with fleet's units in it.\n`);
        process.stdout.write(`Cluster in ${dir} is down; \`coracle cluster up${dirFlag}\` boots it again.\n`);
        return 0;
      }
      case 'destroy': {
        await clusterDestroy(dir);
        process.stdout.write(`Destroyed the cluster in ${dir}.\n`);
        return 0;
      }
      case 'kill': {
        const s = loadCluster(dir);
        const n = machineNumber(rest[0], s);
        const r = killMachine(s, n);
        process.stdout.write(`${r.machine.name}: killed ${r.pids.length} process${r.pids.length === 1 ? '' : 'es'}${r.containers.length ? ` and ${r.containers.length} container(s)` : ''} (SIGKILL)\n`);
        return 0;
      }
      case 'start': {
        const s = loadCluster(dir);
        const n = machineNumber(rest[0], s);
        const p = await startMachine(s, n);
        const m = machineOf(s, n);
        process.stdout.write(`${m.name}: up, PID ${m.pid}, ${describeProbe(p, s.registry !== undefined)}\n`);
        return 0;
      }
      case 'exec': {
        const s = loadCluster(dir);
        const n = machineNumber(rest[0], s);
        if (command.length === 0) {
          err('exec N -- CMD...: no command given');
          return 2;
        }
        const m = machineOf(s, n);
        if (!nodeRunning(m)) process.stderr.write(`coracle cluster: warning: ${m.name} is not running\n`);
        const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env: machineEnv(s, m), cwd: process.cwd() });
        return await new Promise<number>((resolve) => {
          child.on('error', (e) => {
            err(`${command[0]}: ${e.message}`);
            resolve(127);
          });
          child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
        });
      }
      case 'logs': {
        const s = loadCluster(dir);
        const n = machineNumber(rest[0], s);
        const m = machineOf(s, n);
        const args = ['--root', m.root, '--no-pager'];
        for (const u of values.unit ?? []) args.push('-u', u);
        if (values.follow) args.push('-f');
        if (values.lines !== undefined) args.push('-n', values.lines);
        return await journalctlCommand(args);
      }
      default:
        err(`unknown command '${verb}'\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof ClusterError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
}
