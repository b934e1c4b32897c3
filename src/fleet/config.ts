// fleetd's configuration (pure): fleet's option names and defaults, read
// from a config file (fleet.conf: `key=value` lines at the top level), then
// FLEET_<UPPERCASE> environment variables (what cloud-config's `fleet:`
// section writes into the fleet.service drop-in), then command-line flags.

export interface FleetConfig {
  verbosity: number;
  etcdServers: string[];
  etcdUsername: string;
  etcdPassword: string;
  etcdKeyPrefix: string;
  /** Seconds. */
  etcdRequestTimeout: number;
  /** Seconds. */
  engineReconcileInterval: number;
  publicIP: string;
  metadata: Record<string, string>;
  /** Seconds. */
  agentTTL: number;
  unitsDirectory: string;
  tokenLimit: number;
  disableEngine: boolean;
  disableWatches: boolean;
  // coracle additions
  /** host:port of the agent's status/journal + /health + /metrics endpoint ("" = <public_ip>:49154). */
  agentListen: string;
  /** Extra TCP listener for the fleet API (host:port), besides socket activation / run/fleet.sock. */
  apiListen: string;
}

export const DEFAULT_AGENT_PORT = 49154;

export function defaultConfig(): FleetConfig {
  return {
    verbosity: 0,
    etcdServers: ['http://127.0.0.1:2379', 'http://127.0.0.1:4001'],
    etcdUsername: '',
    etcdPassword: '',
    etcdKeyPrefix: '/_coreos.com/fleet/',
    etcdRequestTimeout: 1.0,
    engineReconcileInterval: 2.0,
    publicIP: '',
    metadata: {},
    agentTTL: 30,
    unitsDirectory: '/run/fleet/units/',
    tokenLimit: 100,
    disableEngine: false,
    disableWatches: false,
    agentListen: '',
    apiListen: '',
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Kind = 'int' | 'float' | 'string' | 'bool' | 'list' | 'metadata' | 'duration' | 'ignored';

const OPTIONS: Record<string, { field?: keyof FleetConfig; kind: Kind }> = {
  verbosity: { field: 'verbosity', kind: 'int' },
  etcd_servers: { field: 'etcdServers', kind: 'list' },
  etcd_username: { field: 'etcdUsername', kind: 'string' },
  etcd_password: { field: 'etcdPassword', kind: 'string' },
  etcd_keyfile: { kind: 'ignored' },
  etcd_certfile: { kind: 'ignored' },
  etcd_cafile: { kind: 'ignored' },
  etcd_key_prefix: { field: 'etcdKeyPrefix', kind: 'string' },
  etcd_request_timeout: { field: 'etcdRequestTimeout', kind: 'float' },
  engine_reconcile_interval: { field: 'engineReconcileInterval', kind: 'float' },
  public_ip: { field: 'publicIP', kind: 'string' },
  metadata: { field: 'metadata', kind: 'metadata' },
  agent_ttl: { field: 'agentTTL', kind: 'duration' },
  units_directory: { field: 'unitsDirectory', kind: 'string' },
  systemd_user: { kind: 'ignored' },
  token_limit: { field: 'tokenLimit', kind: 'int' },
  enable_grpc: { kind: 'ignored' },
  disable_engine: { field: 'disableEngine', kind: 'bool' },
  disable_watches: { field: 'disableWatches', kind: 'bool' },
  verify_units: { kind: 'ignored' },
  authorized_keys_file: { kind: 'ignored' },
  agent_listen: { field: 'agentListen', kind: 'string' },
  api_listen: { field: 'apiListen', kind: 'string' },
};

export function knownOption(name: string): boolean {
  return name in OPTIONS;
}

/** A boolean option: on the command line `--name` alone means true, as with Go's flag package. */
export function isBoolOption(name: string): boolean {
  return OPTIONS[name]?.kind === 'bool';
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) return t.slice(1, -1);
  return t;
}

/** fleet's etcd_servers: split on commas, ` ["` trimmed from starts and ` "]` from ends. */
export function parseServerList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.replace(/^[ \["]+/, '').replace(/[ "\]]+$/, ''))
    .filter((s) => s !== '');
}

/** `k=v,k2=v2`: split on `,`, then on the first `=`, trimmed; pairs without `=` dropped; later keys win. */
export function parseMetadata(v: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of unquote(v).split(',')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const k = pair.slice(0, eq).trim();
    const val = pair.slice(eq + 1).trim();
    if (k === '') continue;
    out[k] = val;
  }
  return out;
}

const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Go's time.ParseDuration, in seconds ("30s", "1m30s", "500ms"); a bare number is seconds. */
export function parseDuration(v: string): number {
  const t = v.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(t)) return Number(t);
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== t.length || t === '') throw new ConfigError(`time: invalid duration ${JSON.stringify(v)}`);
  return total;
}

function parseBool(v: string): boolean | undefined {
  const t = v.trim().toLowerCase();
  if (['1', 't', 'true', 'yes', 'on'].includes(t)) return true;
  if (['0', 'f', 'false', 'no', 'off', ''].includes(t)) return false;
  return undefined;
}

/** Sets one option by fleet's name; `where` names the source for error messages. Returns a warning for ignored options. */
export function setOption(cfg: FleetConfig, name: string, raw: string, where: string): string | undefined {
  const opt = OPTIONS[name];
  if (opt === undefined) throw new ConfigError(`${where}: unknown option ${JSON.stringify(name)}`);
  if (opt.kind === 'ignored') return raw.trim() === '' ? undefined : `${where}: option ${name} is not supported and is ignored`;
  const v = unquote(raw);
  const rec = cfg as unknown as Record<string, unknown>;
  const f = opt.field!;
  switch (opt.kind) {
    case 'int': {
      if (!/^-?[0-9]+$/.test(v)) throw new ConfigError(`${where}: ${name}: not an integer: ${JSON.stringify(raw)}`);
      rec[f] = Number(v);
      break;
    }
    case 'float': {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n) || n < 0) throw new ConfigError(`${where}: ${name}: not a number of seconds: ${JSON.stringify(raw)}`);
      rec[f] = n;
      break;
    }
    case 'bool': {
      const b = parseBool(v);
      if (b === undefined) throw new ConfigError(`${where}: ${name}: not a boolean: ${JSON.stringify(raw)}`);
      rec[f] = b;
      break;
    }
    case 'string':
      rec[f] = v;
      break;
    case 'list':
      rec[f] = parseServerList(raw);
      break;
    case 'metadata':
      rec[f] = parseMetadata(raw);
      break;
    case 'duration': {
      let d: number;
      try {
        d = parseDuration(v);
      } catch (e) {
        throw new ConfigError(`${where}: ${name}: ${(e as Error).message}`);
      }
      if (d <= 0) throw new ConfigError(`${where}: ${name} must be positive`);
      rec[f] = d;
      break;
    }
  }
  return undefined;
}

/** A fleet.conf: `key=value` lines; `#`/`;` comments; blank lines. */
export function applyConfigFile(cfg: FleetConfig, text: string, file: string): string[] {
  const warnings: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) return;
    const eq = t.indexOf('=');
    if (eq < 0) throw new ConfigError(`${file}:${i + 1}: expected key=value, got ${JSON.stringify(t)}`);
    const w = setOption(cfg, t.slice(0, eq).trim(), t.slice(eq + 1), `${file}:${i + 1}`);
    if (w) warnings.push(w);
  });
  return warnings;
}

/** FLEET_<OPTION> environment variables (FLEET_ETCD_SERVERS, FLEET_METADATA, …). */
export function applyEnvironment(cfg: FleetConfig, env: NodeJS.ProcessEnv): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(OPTIONS)) {
    const v = env[`FLEET_${name.toUpperCase()}`];
    if (v === undefined) continue;
    const w = setOption(cfg, name, v, `FLEET_${name.toUpperCase()}`);
    if (w) warnings.push(w);
  }
  return warnings;
}

/** Checks values that only make sense together. */
export function validateConfig(cfg: FleetConfig): void {
  if (cfg.etcdServers.length === 0) throw new ConfigError('etcd_servers: no servers given');
  for (const s of cfg.etcdServers) {
    if (!/^https?:\/\/[^/]+/.test(s)) throw new ConfigError(`etcd_servers: not an http(s) URL: ${JSON.stringify(s)}`);
  }
  if (cfg.engineReconcileInterval <= 0) throw new ConfigError('engine_reconcile_interval must be positive');
  if (cfg.agentTTL < 1) throw new ConfigError('agent_ttl must be at least 1s (etcd TTLs are whole seconds)');
  if (cfg.tokenLimit < 1) throw new ConfigError('token_limit must be at least 1');
}
