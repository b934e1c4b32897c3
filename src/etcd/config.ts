// `coracle etcd` configuration: etcd 3.4's flags and ETCD_* environment
// variables, read the way etcd reads them (Go's flag package: `-flag` or
// `--flag`, `=value` or a separate value; booleans alone mean true; every flag
// also from ETCD_<FLAG_NAME>, and setting both is an error, as in 3.4).
// Pure: the caller passes argv and the environment.

export interface EtcdConfig {
  name: string;
  dataDir: string;
  listenClientURLs: string[];
  advertiseClientURLs: string[];
  listenPeerURLs: string[];
  initialAdvertisePeerURLs: string[];
  initialCluster: string;
  initialClusterState: 'new' | 'existing';
  initialClusterToken: string;
  discovery: string;
  discoveryFallback: 'proxy' | 'exit';
  discoveryProxy: string;
  snapshotCount: number;
  heartbeatMs: number;
  electionMs: number;
  initialElectionTickAdvance: boolean;
  proxy: 'off' | 'readonly' | 'on';
  forceNewCluster: boolean;
  enableV2: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

type Kind = 'string' | 'urls' | 'uint' | 'bool';

interface FlagSpec {
  name: string;
  kind: Kind;
  help: string;
  default: string;
}

export const FLAGS: FlagSpec[] = [
  { name: 'name', kind: 'string', default: 'default', help: 'Human-readable name for this member.' },
  { name: 'data-dir', kind: 'string', default: '${name}.etcd', help: 'Path to the data directory.' },
  { name: 'listen-client-urls', kind: 'urls', default: 'http://localhost:2379', help: 'List of URLs to listen on for client traffic.' },
  { name: 'advertise-client-urls', kind: 'urls', default: 'http://localhost:2379', help: 'List of this member\'s client URLs to advertise to the public.' },
  { name: 'listen-peer-urls', kind: 'urls', default: 'http://localhost:2380', help: 'List of URLs to listen on for peer traffic.' },
  { name: 'initial-advertise-peer-urls', kind: 'urls', default: 'http://localhost:2380', help: 'List of this member\'s peer URLs to advertise to the rest of the cluster.' },
  { name: 'initial-cluster', kind: 'string', default: '${name}=${initial-advertise-peer-urls}', help: 'Initial cluster configuration for bootstrapping.' },
  { name: 'initial-cluster-state', kind: 'string', default: 'new', help: 'Initial cluster state (\'new\' or \'existing\').' },
  { name: 'initial-cluster-token', kind: 'string', default: 'etcd-cluster', help: 'Initial cluster token for the etcd cluster during bootstrap.' },
  { name: 'discovery', kind: 'string', default: '', help: 'Discovery URL used to bootstrap the cluster.' },
  { name: 'discovery-fallback', kind: 'string', default: 'proxy', help: 'Expected behavior (\'exit\' or \'proxy\') when discovery services fails.' },
  { name: 'discovery-proxy', kind: 'string', default: '', help: 'HTTP proxy to use for traffic to discovery service.' },
  { name: 'snapshot-count', kind: 'uint', default: '100000', help: 'Number of committed transactions to trigger a snapshot to disk.' },
  { name: 'heartbeat-interval', kind: 'uint', default: '100', help: 'Time (in milliseconds) of a heartbeat interval.' },
  { name: 'election-timeout', kind: 'uint', default: '1000', help: 'Time (in milliseconds) for an election to timeout.' },
  { name: 'initial-election-tick-advance', kind: 'bool', default: 'true', help: 'Whether to fast-forward initial election ticks on boot for faster election.' },
  { name: 'proxy', kind: 'string', default: 'off', help: 'Proxy mode setting (\'off\', \'readonly\' or \'on\').' },
  { name: 'force-new-cluster', kind: 'bool', default: 'false', help: 'Force to create a new one member cluster.' },
  { name: 'enable-v2', kind: 'bool', default: 'true', help: 'Accept etcd V2 client requests (always on in coracle).' },
  { name: 'log-level', kind: 'string', default: 'info', help: 'Configures log level. Only supports debug, info, warn, error.' },
];

export class ConfigError extends Error {}

export function envName(flag: string): string {
  return `ETCD_${flag.toUpperCase().replace(/-/g, '_')}`;
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Parse argv (without the program name) and the environment into a config, or throw ConfigError. */
export function parseEtcdConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): { config: EtcdConfig; warnings: string[] } {
  const specs = new Map(FLAGS.map((f) => [f.name, f]));
  const fromArgs = new Map<string, string>();
  const warnings: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      throw new ConfigError(`'${arg}' is not a valid flag`);
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = specs.get(name);
    if (!spec) throw new ConfigError(`flag provided but not defined: -${name}`);
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (spec.kind === 'bool') value = 'true';
    else {
      if (i + 1 >= argv.length) throw new ConfigError(`flag needs an argument: -${name}`);
      value = argv[++i]!;
    }
    fromArgs.set(name, value);
  }
  const raw = new Map<string, string>();
  for (const f of FLAGS) {
    const e = env[envName(f.name)];
    if (e !== undefined && fromArgs.has(f.name)) {
      throw new ConfigError(`conflicting environment variable "${envName(f.name)}" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`);
    }
    const v = fromArgs.get(f.name) ?? e;
    if (v !== undefined) raw.set(f.name, v);
  }
  const known = new Set(FLAGS.map((f) => envName(f.name)));
  for (const k of Object.keys(env)) {
    if (k.startsWith('ETCD_') && !known.has(k) && !k.startsWith('ETCDCTL_')) warnings.push(`unrecognized environment variable ${k}=${env[k]}`);
  }

  const str = (n: string) => raw.get(n) ?? specs.get(n)!.default;
  const urls = (n: string) => {
    const list = str(n).split(',').map((u) => u.trim()).filter((u) => u !== '');
    for (const u of list) checkURL(u, n);
    if (list.length === 0) throw new ConfigError(`--${n} must not be empty`);
    return list;
  };
  const uint = (n: string) => {
    const v = str(n);
    if (!/^\d+$/.test(v)) throw new ConfigError(`invalid value "${v}" for flag -${n}: parse error`);
    return Number(v);
  };
  const bool = (n: string) => {
    const v = str(n);
    if (GO_TRUE.has(v)) return true;
    if (GO_FALSE.has(v)) return false;
    throw new ConfigError(`invalid boolean value "${v}" for -${n}: parse error`);
  };
  const oneOf = <T extends string>(n: string, allowed: readonly T[]): T => {
    const v = str(n);
    if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(`invalid value "${v}" for flag -${n}: valid values are ${allowed.join(', ')}`);
    return v as T;
  };

  const name = str('name');
  const initialAdvertisePeerURLs = urls('initial-advertise-peer-urls');
  const config: EtcdConfig = {
    name,
    dataDir: raw.get('data-dir') ?? `${name}.etcd`,
    listenClientURLs: urls('listen-client-urls'),
    advertiseClientURLs: urls('advertise-client-urls'),
    listenPeerURLs: urls('listen-peer-urls'),
    initialAdvertisePeerURLs,
    initialCluster: raw.get('initial-cluster') ?? initialAdvertisePeerURLs.map((u) => `${name}=${u}`).join(','),
    initialClusterState: oneOf('initial-cluster-state', ['new', 'existing'] as const),
    initialClusterToken: str('initial-cluster-token'),
    discovery: str('discovery'),
    discoveryFallback: oneOf('discovery-fallback', ['proxy', 'exit'] as const),
    discoveryProxy: str('discovery-proxy'),
    snapshotCount: uint('snapshot-count'),
    heartbeatMs: uint('heartbeat-interval'),
    electionMs: uint('election-timeout'),
    initialElectionTickAdvance: bool('initial-election-tick-advance'),
    proxy: oneOf('proxy', ['off', 'readonly', 'on'] as const),
    forceNewCluster: bool('force-new-cluster'),
    enableV2: bool('enable-v2'),
    logLevel: oneOf('log-level', ['debug', 'info', 'warn', 'error'] as const),
  };
  if (config.discovery !== '' && raw.has('initial-cluster')) {
    throw new ConfigError('multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery" or "discovery-srv"');
  }
  // etcd's own checks on the timing flags.
  if (config.heartbeatMs <= 0) throw new ConfigError('--heartbeat-interval must be greater than 0');
  if (config.electionMs < 5 * config.heartbeatMs) {
    throw new ConfigError(`--election-timeout[${config.electionMs}ms] should be at least as 5 times as --heartbeat-interval[${config.heartbeatMs}ms]`);
  }
  if (config.electionMs > 50000) throw new ConfigError(`--election-timeout[${config.electionMs}ms] is too long, and should be set less than 50000ms`);
  if (config.snapshotCount === 0) config.snapshotCount = 100000;
  return { config, warnings };
}

function checkURL(u: string, flag: string): void {
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    throw new ConfigError(`invalid value "${u}" for flag -${flag}: URL scheme must be http, https, unix, or unixs: ${u}`);
  }
  if (!['http:', 'https:', 'unix:', 'unixs:'].includes(parsed.protocol)) {
    throw new ConfigError(`invalid value "${u}" for flag -${flag}: URL scheme must be http, https, unix, or unixs: ${u}`);
  }
  if (parsed.protocol === 'https:' || parsed.protocol === 'unixs:') {
    throw new ConfigError(`--${flag} ${u}: TLS (https) is not supported by coracle etcd; use http on a trusted network`);
  }
}

export function usage(): string {
  const width = Math.max(...FLAGS.map((f) => f.name.length)) + 4;
  const lines = FLAGS.map((f) => `  --${f.name.padEnd(width)}${f.help}\n  ${' '.repeat(width + 2)}(default '${f.default}'; env ${envName(f.name)})`);
  return [
    'Usage: coracle etcd [flags]',
    '',
    'Runs one member of an etcd-compatible cluster: the etcd v2 keys API on the',
    'client URLs, Raft with the other members on the peer URLs. Flags and ETCD_*',
    'environment variables are etcd 3.4\'s.',
    '',
    'Flags:',
    ...lines,
    '',
    'Examples:',
    '  # a one-member cluster on 127.0.0.2',
    '  coracle etcd --name m1 --data-dir /tmp/m1 \\',
    '    --listen-client-urls http://127.0.0.2:2379 --advertise-client-urls http://127.0.0.2:2379 \\',
    '    --listen-peer-urls http://127.0.0.2:2380 --initial-advertise-peer-urls http://127.0.0.2:2380 \\',
    '    --initial-cluster m1=http://127.0.0.2:2380',
    '',
    '  # three members on 127.0.0.2-4 (run once per member, with its own name and URLs)',
    '  ETCD_INITIAL_CLUSTER=m1=http://127.0.0.2:2380,m2=http://127.0.0.3:2380,m3=http://127.0.0.4:2380 \\',
    '  ETCD_NAME=m2 ETCD_DATA_DIR=/tmp/m2 ETCD_LISTEN_PEER_URLS=http://127.0.0.3:2380 ... coracle etcd',
    '',
  ].join('\n');
}
