// fleetctl: the command-line flow of fleet v1.0.0's fleetctl (cobra +
// pflag): global flags and their FLEETCTL_* environment variables, command
// names by unique prefix, flags anywhere on the line, usage on errors (which
// exit 0, as fleetctl's do), and the client each command uses.

import type { FleetClient } from './client.js';
import { commands, VERSION, type Command } from './commands.js';
import { Ctx, Exit, logLine, processIo, type Io } from './context.js';
import { apiTarget, DEFAULT_ENDPOINT, EndpointError } from './endpoint.js';
import { convertFlag, FlagError, parseFlags, stripFlags, type FlagDef, type FlagValues } from './flags.js';
import { bareHelp, commandUsage, helpCommandInfo, rootUsage } from './help.js';
import { HttpFleetClient } from './http-client.js';

const g = (name: string, kind: FlagDef['kind'], def: string, usage: string): FlagDef => ({ name, kind, def, usage });

export const globalFlags: FlagDef[] = [
  g('help', 'bool', 'false', 'Print usage information and exit'),
  g('h', 'bool', 'false', 'Print usage information and exit'),
  g('debug', 'bool', 'false', 'Print out more debug information to stderr'),
  g('version', 'bool', 'false', 'Print the version and exit'),
  g('driver', 'string', 'API', 'Adapter used to execute fleetctl commands. Options include "API" and "etcd".'),
  g('endpoint', 'string', DEFAULT_ENDPOINT, 'Location of the fleet API if --driver=API. Alternatively, if --driver=etcd, location of the etcd API.'),
  g('etcd-key-prefix', 'string', '/_coreos.com/fleet/', 'Keyspace for fleet data in etcd (development use only!)'),
  g('key-file', 'string', '', 'Location of TLS key file used to secure communication with the fleet API or etcd'),
  g('cert-file', 'string', '', 'Location of TLS cert file used to secure communication with the fleet API or etcd'),
  g('ca-file', 'string', '', 'Location of TLS CA file used to secure communication with the fleet API or etcd'),
  g('known-hosts-file', 'string', '~/.fleetctl/known_hosts', 'File used to store remote machine fingerprints. Ignored if strict host key checking is disabled.'),
  g('strict-host-key-checking', 'bool', 'true', 'Verify host keys presented by remote machines before initiating SSH connections.'),
  g('ssh-timeout', 'float', '10', 'Amount of time in seconds to allow for SSH connection initialization before failing.'),
  g('tunnel', 'string', '', 'Establish an SSH tunnel through the provided address for communication with fleet and etcd.'),
  g('request-timeout', 'float', '3', 'Amount of time in seconds to allow a single request before considering it failed.'),
  g('ssh-username', 'string', 'core', 'Username to use when connecting to CoreOS instance.'),
  g('experimental-api', 'bool', 'true', 'DEPRECATED: do not use this flag.'),
  g('etcd-keyfile', 'string', '', 'DEPRECATED: do not use this flag.'),
  g('etcd-certfile', 'string', '', 'DEPRECATED: do not use this flag.'),
  g('etcd-cafile', 'string', '', 'DEPRECATED: do not use this flag.'),
  // coracle's addition; hidden so the usage text stays fleetctl's.
  { ...g('root', 'string', '', 'the machine root in which a unix:///var/run/... or /run/... endpoint is found (default $CORACLE_ROOT)'), hidden: true },
];

/** Go's flag defaults as values. */
function defaults(defs: readonly FlagDef[]): FlagValues {
  const v: FlagValues = new Map();
  for (const d of defs) v.set(d.name, convertFlag(d, d.def, `--${d.name}`));
  return v;
}

/** Levenshtein distance, for cobra's "Did you mean this?". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

type Found = { kind: 'command'; cmd: Command } | { kind: 'help' } | { kind: 'root' } | { kind: 'unknown'; word: string };

/** cobra's Find with prefix matching: the first non-flag word names the command. */
function findCommand(argv: readonly string[]): { found: Found; rest: string[] } {
  const boolGlobals = new Set(globalFlags.filter((f) => f.kind === 'bool').map((f) => f.name));
  const words = stripFlags(argv, boolGlobals);
  const word = words[0];
  if (word === undefined) return { found: { kind: 'root' }, rest: [...argv] };
  const names = [...commands.map((c) => c.name), 'help'];
  const exact = names.includes(word) ? word : undefined;
  const prefixed = names.filter((n) => n.startsWith(word));
  const name = exact ?? (prefixed.length === 1 ? prefixed[0] : undefined);
  if (name === undefined) return { found: { kind: 'unknown', word }, rest: [...argv] };
  const i = argv.indexOf(word);
  const rest = [...argv.slice(0, i), ...argv.slice(i + 1)];
  if (name === 'help') return { found: { kind: 'help' }, rest };
  return { found: { kind: 'command', cmd: commands.find((c) => c.name === name)! }, rest };
}

/** fleetctl's currentCommand: the last of the words start/load/submit on the command line. */
function currentCommandOf(argv: readonly string[]): string {
  let cur = '';
  for (const a of argv) if (a === 'start' || a === 'load' || a === 'submit') cur = a;
  return cur;
}

function root(values: FlagValues, env: NodeJS.ProcessEnv): string | undefined {
  const r = values.get('root');
  if (typeof r === 'string' && r !== '') return r;
  return env.CORACLE_ROOT !== undefined && env.CORACLE_ROOT !== '' ? env.CORACLE_ROOT : undefined;
}

/** getClient: the API driver (HTTP) or the etcd driver (the registry in etcd). */
async function makeClient(io: Io, values: FlagValues, env: NodeJS.ProcessEnv): Promise<FleetClient> {
  // What coracle's fleetctl cannot do yet is refused rather than silently ignored.
  if (values.get('tunnel') !== '') throw new EndpointError("--tunnel is not supported by coracle's fleetctl (no SSH client); use --endpoint http://HOST:PORT");
  const tls = ['ca-file', 'cert-file', 'key-file', 'etcd-cafile', 'etcd-certfile', 'etcd-keyfile'].find((f) => values.get(f) !== '');
  if (tls !== undefined) throw new EndpointError(`--${tls} is not supported by coracle's fleetctl (no TLS yet)`);
  const driver = values.get('driver') as string;
  const endpoint = values.get('endpoint') as string;
  if (driver === 'API') {
    const eps = endpoint.split(',');
    if (eps.length > 1) io.err(logLine('WARN', 'fleetctl.go:332', `multiple endpoints provided but only the first (${eps[0]}) is used`));
    return new HttpFleetClient(apiTarget(endpoint, root(values, env)));
  }
  if (driver === 'etcd') {
    let eps = endpoint;
    if (values.get('experimental-api') === false && endpoint === DEFAULT_ENDPOINT) eps = 'http://127.0.0.1:2379,http://127.0.0.1:4001';
    // The etcd driver (and its etcd client) loads only when asked for: most runs use the API.
    const { registryClient } = await import('./registry-client.js');
    return registryClient(io, {
      endpoints: eps.split(','),
      keyPrefix: values.get('etcd-key-prefix') as string,
      requestTimeoutMs: Math.round((values.get('request-timeout') as number) * 1000),
    });
  }
  throw new EndpointError(`unrecognized driver "${driver}"`);
}

/** Runs fleetctl with argv (without the program name); resolves to the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: Io = processIo, cwd = process.cwd()): Promise<number> {
  try {
    return await run(argv, env, io, cwd);
  } catch (e) {
    if (e instanceof Exit) return e.code;
    throw e;
  }
}

async function run(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io, cwd: string): Promise<number> {
  if (argv.length === 0) {
    io.out(bareHelp(commands, globalFlags));
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.out(`fleetctl version ${VERSION}\n`);
    return 0;
  }
  const { found, rest } = findCommand(argv);
  if (found.kind === 'unknown') {
    const suggestions = [...commands.map((c) => c.name), 'help'].filter((n) => distance(found.word, n) <= 2 || n.toLowerCase().startsWith(found.word.toLowerCase()));
    const hint = suggestions.length > 0 ? `\n\nDid you mean this?\n${suggestions.map((s) => `\t${s}\n`).join('')}` : '';
    const msg = `unknown command "${found.word}" for "fleetctl"${hint}`;
    io.err(`Error: ${msg}\nRun 'fleetctl --help' for usage.\n`);
    io.err(`cannot execute cmdFleet: ${msg}\n`);
    return 0;
  }
  const cmd = found.kind === 'command' ? found.cmd : undefined;
  const localFlags = cmd?.flags ?? [];
  const defs = [...globalFlags, ...localFlags.filter((f) => !globalFlags.some((gf) => gf.name === f.name))];
  const usage = (): string =>
    cmd !== undefined ? commandUsage(cmd, globalFlags) : found.kind === 'help' ? commandUsage({ ...helpCommandInfo, flags: [] }, globalFlags) : rootUsage(commands, globalFlags, VERSION);
  let parsed;
  try {
    parsed = parseFlags(defs, rest);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    io.err(`Error: ${e.message}\n`);
    io.out(usage());
    io.err('\n');
    io.err(`cannot execute cmdFleet: ${e.message}\n`);
    return 0;
  }
  // FLEETCTL_<FLAG> for every global flag the command line did not set.
  const values = defaults(defs);
  for (const f of globalFlags) {
    if (parsed.set.has(f.name)) continue;
    const v = env[`FLEETCTL_${f.name.toUpperCase().replace(/-/g, '_')}`];
    if (v === undefined || v === '') continue;
    try {
      values.set(f.name, convertFlag(f, v, `--${f.name}`));
    } catch {
      // fleetctl ignores a value its flag cannot take
    }
  }
  for (const [k, v] of parsed.values) values.set(k, v);

  if (found.kind === 'root' || values.get('help') === true || values.get('h') === true) {
    io.out(usage());
    return 0;
  }
  if (found.kind === 'help') {
    const topic = parsed.args[0];
    if (topic === undefined) {
      io.out(rootUsage(commands, globalFlags, VERSION));
      return 0;
    }
    const t = findCommand(parsed.args).found;
    if (t.kind === 'command') io.out(commandUsage(t.cmd, globalFlags));
    else if (t.kind === 'help') io.out(commandUsage({ ...helpCommandInfo, flags: [] }, globalFlags));
    else {
      io.err(`Unknown help topic [\`${parsed.args.join(' ')}\`].`);
      io.out(rootUsage(commands, globalFlags, VERSION));
    }
    return 0;
  }
  const command = found.cmd;
  if (command.deprecated !== undefined) io.err(`Command "${command.name}" is deprecated, ${command.deprecated}\n`);

  let client: FleetClient;
  try {
    client = await makeClient(io, values, env);
  } catch (e) {
    io.err(`Unable to initialize client: ${(e as Error).message}\n`);
    return 1;
  }
  const ctx = new Ctx(io, client, values, currentCommandOf(argv), env, cwd, root(values, env));
  try {
    const code = await command.run(ctx, parsed.args);
    return code < 0 ? 255 : code;
  } finally {
    (client as { close?: () => void }).close?.();
  }
}
