// `coracle fleetd`: fleet's daemon (engine + agent) for one machine root.
// Argument handling only; the work lives in src/fleet/.
import fs from 'node:fs';
import { resolveRoot } from '../init/client.js';
import { jsonLogger } from '../common/log.js';
import { sdNotify } from '../etcd/notify.js';
import {
  applyConfigFile, applyEnvironment, ConfigError, defaultConfig, isBoolOption, knownOption, setOption, validateConfig,
} from '../fleet/config.js';
import { FleetDaemon } from '../fleet/daemon.js';
import { FLEET_VERSION } from '../fleet/registry/index.js';

const USAGE = `Usage: coracle fleetd [--root DIR] [--config FILE] [--OPTION=VALUE …]

Runs fleet's daemon for one machine: the agent (registers the machine in the
registry, runs the units scheduled to it through the machine's init, publishes
their states) and the engine (one leader per cluster places units). The
registry is fleet's key layout in any etcd v2 API.

Options (fleet's names; also FLEET_<NAME> in the environment, or NAME=VALUE
lines in the --config file; flags win over the environment, which wins over
the file):
  --etcd_servers URLS            comma-separated (default http://127.0.0.1:2379,http://127.0.0.1:4001)
  --etcd_key_prefix PREFIX       default /_coreos.com/fleet/
  --etcd_request_timeout SECS    default 1.0
  --etcd_username, --etcd_password
  --metadata K=V,K2=V2           machine metadata for MachineMetadata=
  --public_ip IP                 advertised address (default: first non-loopback IPv4)
  --agent_ttl DURATION           machine presence TTL (default 30s)
  --engine_reconcile_interval S  default 2.0 (engine lease TTL = 5×)
  --disable_engine BOOL          never lead
  --disable_watches BOOL         poll-style watches (one request per event)
  --token_limit N                API page size (default 100)
  --units_directory DIR          inside the root (default /run/fleet/units/)
  --verbosity N                  >0 logs debug lines
  --agent_listen HOST:PORT       status/journal + /health + /metrics (default <public_ip>:49154)
  --api_listen HOST:PORT         fleet API on TCP too (it always serves LISTEN_FDS or <root>/run/fleet.sock)
  --root DIR                     the machine root (default: $CORACLE_ROOT, else ~/.local/share/coracle/root)
  --config FILE                  fleet.conf
  --version                      print "fleetd version ${FLEET_VERSION}"
  -h, --help                     show this help

Signals: SIGTERM/SIGINT stop every unit of this machine, release the engine
lease and remove the machine, then exit. SIGUSR1 prints the agent's units as JSON.

Examples:
  coracle fleetd --root /tmp/m1 --etcd_servers http://127.0.0.2:2379 --public_ip 127.0.0.2 --metadata region=us
  FLEET_METADATA=role=web FLEET_PUBLIC_IP=127.0.0.3 coracle fleetd --root /tmp/m2
`;

export async function fleetdCommand(argv: string[]): Promise<number> {
  let root: string | undefined;
  let configFile: string | undefined;
  const flags: Array<[string, string]> = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help' || arg === '-help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (arg === 'version' || arg === '--version' || arg === '-version') {
      process.stdout.write(`fleetd version ${FLEET_VERSION}\n`);
      return 0;
    }
    const m = /^--?([A-Za-z_-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) {
      process.stderr.write(`coracle fleetd: unexpected argument ${JSON.stringify(arg)}\n${USAGE}`);
      return 2;
    }
    const name = m[1]!.replace(/-/g, '_');
    let value = m[2];
    const needsValue = name === 'root' || name === 'config' || knownOption(name);
    if (!needsValue) {
      process.stderr.write(`coracle fleetd: unknown flag ${arg}\n${USAGE}`);
      return 2;
    }
    // Go's flag package: a boolean flag alone is true (`--disable_engine`);
    // a value must be attached (`--disable_engine=false`).
    if (value === undefined && isBoolOption(name)) value = 'true';
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) {
        process.stderr.write(`coracle fleetd: flag ${arg} needs a value\n`);
        return 2;
      }
    }
    if (name === 'root') root = value;
    else if (name === 'config') configFile = value;
    else flags.push([name, value]);
  }

  const cfg = defaultConfig();
  const warnings: string[] = [];
  try {
    if (configFile !== undefined) {
      let text: string;
      try {
        text = fs.readFileSync(configFile, 'utf8');
      } catch (e) {
        throw new ConfigError(`cannot read config file ${configFile}: ${(e as Error).message}`);
      }
      warnings.push(...applyConfigFile(cfg, text, configFile));
    }
    warnings.push(...applyEnvironment(cfg, process.env));
    for (const [name, value] of flags) {
      const w = setOption(cfg, name, value, `--${name}`);
      if (w) warnings.push(w);
    }
    validateConfig(cfg);
  } catch (e) {
    process.stderr.write(`coracle fleetd: ${(e as Error).message}\n`);
    return 2;
  }

  const log = jsonLogger({ level: cfg.verbosity > 0 ? 'debug' : 'info', base: { component: 'fleetd' } });
  for (const w of warnings) log.warn(w);
  const machineRoot = resolveRoot(root);
  const listenFds = listenFdsFromEnv(process.env);

  let daemon: FleetDaemon;
  try {
    daemon = new FleetDaemon({ config: cfg, root: machineRoot, log, listenFds });
    await daemon.start();
  } catch (e) {
    log.error('fleetd could not start', { err: (e as Error).message });
    return 1;
  }
  log.info('fleetd started', { machine: daemon.machine.ID, publicIP: daemon.machine.PublicIP, agent: daemon.agentURL, engine: !cfg.disableEngine, etcd: cfg.etcdServers });
  await sdNotify('READY=1').catch((e: unknown) => log.warn('sd_notify failed', { err: (e as Error).message }));

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info('fleetd stopping: unloading units', { signal });
      // keeps the process alive while units stop, even when no socket is open
      const keepAlive = setInterval(() => undefined, 1000);
      void daemon
        .stop()
        .then(() => {
          clearInterval(keepAlive);
          log.info('fleetd stopped');
          resolve(0);
          // idle keep-alive sockets (etcd, init) must not hold the process after a clean stop
          setTimeout(() => process.exit(0), 100).unref();
        })
        .catch((e: unknown) => {
          clearInterval(keepAlive);
          log.error('fleetd stop failed', { err: (e as Error).message });
          resolve(1);
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => log.warn('SIGHUP: configuration reload is not supported; restart fleetd to apply changes'));
    process.on('SIGUSR1', () => {
      process.stdout.write(JSON.stringify({ machine: daemon.machine.ID, engineLeader: daemon.engine?.isLeader ?? false, units: daemon.agent.loadedUnits() }) + '\n');
    });
  });
}

/** systemd socket activation: fds 3… when LISTEN_PID is us (or unset). */
function listenFdsFromEnv(env: NodeJS.ProcessEnv): number[] {
  const n = Number(env.LISTEN_FDS ?? '0');
  if (!Number.isInteger(n) || n <= 0) return [];
  if (env.LISTEN_PID !== undefined && Number(env.LISTEN_PID) !== process.pid) return [];
  return Array.from({ length: n }, (_, i) => 3 + i);
}
