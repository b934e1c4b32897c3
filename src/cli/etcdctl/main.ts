// etcdctl (API v2): the command-line flow of etcdctl 3.4 with ETCDCTL_API=2 —
// urfave/cli's App.Run: global flags, `help`, unknown commands (exit 3), each
// command's own flags and --help, and the `member` sub-app.

import { readFileSync } from 'node:fs';
import { backupCommand } from './backup.js';
import type { Command } from './command.js';
import { Ctx, globalsFrom } from './context.js';
import { parseFlags, reorderArgs, TwoFormsError, UsageError, type FlagDef, type Parsed } from './flags.js';
import { clusterHealthCommand } from './health.js';
import { appHelp, commandHelp } from './help.js';
import { Exit, processIo, type Io } from './io.js';
import {
  getCommand,
  lsCommand,
  mkCommand,
  mkdirCommand,
  rmCommand,
  rmdirCommand,
  setCommand,
  setdirCommand,
  updateCommand,
  updatedirCommand,
} from './keys.js';
import { memberCommands } from './member.js';
import { execWatchCommand, watchCommand } from './watch.js';

const helpFlag: FlagDef = { names: ['help', 'h'], kind: 'bool' };

const globalFlags: readonly FlagDef[] = [
  { names: ['debug'], kind: 'bool' },
  { names: ['no-sync'], kind: 'bool' },
  { names: ['output', 'o'], kind: 'string' },
  { names: ['discovery-srv', 'D'], kind: 'string' },
  { names: ['insecure-discovery'], kind: 'bool' },
  { names: ['peers', 'C'], kind: 'string' },
  { names: ['endpoint'], kind: 'string' },
  { names: ['endpoints'], kind: 'string' },
  { names: ['cert-file'], kind: 'string' },
  { names: ['key-file'], kind: 'string' },
  { names: ['ca-file'], kind: 'string' },
  { names: ['username', 'u'], kind: 'string' },
  { names: ['timeout'], kind: 'duration' },
  { names: ['total-timeout'], kind: 'duration' },
  helpFlag,
  { names: ['version', 'v'], kind: 'bool' },
];

const commands: readonly Command[] = [
  backupCommand,
  clusterHealthCommand,
  mkCommand,
  mkdirCommand,
  rmCommand,
  rmdirCommand,
  getCommand,
  lsCommand,
  setCommand,
  setdirCommand,
  updateCommand,
  updatedirCommand,
  watchCommand,
  execWatchCommand,
];

/** The v2 auth commands of the real etcdctl, which coracle's does not have. */
const authCommands = new Set(['user', 'role', 'auth']);

export function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return `${pkg.version ?? 'unknown'} (coracle)`;
  } catch {
    return 'unknown (coracle)';
  }
}

/** Runs etcdctl with argv (without the program name); resolves to the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: Io = processIo): Promise<number> {
  try {
    await run(argv, env, io);
    return 0;
  } catch (e) {
    if (e instanceof Exit) return e.code;
    throw e;
  }
}

function showCommandHelp(io: Io, name: string): void {
  const text = commandHelp.get(name);
  if (text === undefined) {
    io.err(`No help topic for '${name.split(' ').pop() ?? name}'\n`);
    throw new Exit(3);
  }
  io.out(text);
}

async function run(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io): Promise<void> {
  const api = env.ETCDCTL_API;
  if (api !== undefined && api !== '' && api !== '2') {
    if (api === '3') {
      io.err(
        "ETCDCTL_API=3 is not supported: coracle's etcdctl speaks only the etcd v2 API (coracle's etcd serves v2 only). Unset ETCDCTL_API or set ETCDCTL_API=2.\n",
      );
    } else io.err(`unsupported API version ${api}\n`);
    throw new Exit(1);
  }
  // Like etcdctl, do not pass ETCDCTL_API on to commands it runs (exec-watch).
  const childEnv = { ...env };
  delete childEnv.ETCDCTL_API;

  let global: Parsed;
  try {
    global = parseFlags(globalFlags, argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.out(e instanceof TwoFormsError ? `${e.message}\n` : `Incorrect Usage. ${e.message}\n\n`);
    io.out(appHelp(version()));
    io.err(e.message + '\n');
    throw new Exit(1);
  }
  if (global.values.get('help') === true) {
    io.out(appHelp(version()));
    return;
  }
  if (global.values.get('version') === true) {
    io.out(`etcdctl version: ${version()}\nAPI version: 2\n`);
    return;
  }
  const unsupported = ['discovery-srv', 'cert-file', 'key-file', 'ca-file'].find((f) => global.values.has(f));
  const srvEnv = env.ETCDCTL_DISCOVERY_SRV ?? '';
  if (unsupported !== undefined || srvEnv !== '') {
    io.err(`etcdctl: --${unsupported ?? 'discovery-srv'} is not supported by coracle's etcdctl (no TLS or DNS SRV discovery yet)\n`);
    throw new Exit(1);
  }
  const globals = globalsFrom(global.values, env);
  const [name, ...rest] = global.args;
  if (name === undefined) {
    io.out(appHelp(version()));
    return;
  }
  if (name === 'help' || name === 'h') {
    const parsed = parseCommandArgs(io, 'help', [helpFlag], rest, 'help');
    if (parsed.values.get('help') === true || parsed.args.length === 0) {
      io.out(appHelp(version()));
      return;
    }
    showCommandHelp(io, parsed.args[0]!);
    return;
  }
  if (authCommands.has(name)) {
    io.err(`etcdctl: the v2 auth command '${name}' is not supported by coracle's etcdctl\n`);
    throw new Exit(1);
  }
  if (name === 'member') {
    await runMember(io, globals, rest, childEnv);
    return;
  }
  const cmd = commands.find((c) => c.name === name);
  if (cmd === undefined) {
    showCommandHelp(io, name);
    return;
  }
  const parsed = parseCommandArgs(io, cmd.name, [...cmd.flags, helpFlag], rest, cmd.name);
  if (parsed.values.get('help') === true) {
    showCommandHelp(io, cmd.name);
    return;
  }
  await cmd.run(new Ctx(io, globals, parsed.values, parsed.args, childEnv));
}

/** A command's flags: reordered, parsed; errors print "Incorrect Usage:" and the command's help. */
function parseCommandArgs(io: Io, _name: string, flags: readonly FlagDef[], args: readonly string[], helpKey: string): Parsed {
  try {
    return parseFlags(flags, reorderArgs(flags, args));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.out(`Incorrect Usage: ${e.message}\n\n`);
    const text = commandHelp.get(helpKey);
    if (text !== undefined) io.out(text);
    io.err(e.message + '\n');
    throw new Exit(1);
  }
}

/** The `member` sub-app: its own help, `help <sub>`, and the four subcommands. */
async function runMember(io: Io, globals: ReturnType<typeof globalsFrom>, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let parsed: Parsed;
  try {
    parsed = parseFlags([helpFlag], args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.out(`Incorrect Usage. ${e.message}\n\n`);
    io.out(commandHelp.get('member') ?? '');
    io.err(e.message + '\n');
    throw new Exit(1);
  }
  const [sub, ...rest] = parsed.args;
  if (parsed.values.get('help') === true || sub === undefined) {
    io.out(commandHelp.get('member') ?? '');
    return;
  }
  if (sub === 'help' || sub === 'h') {
    const target = rest[0];
    if (target === undefined) io.out(commandHelp.get('member') ?? '');
    else showCommandHelp(io, `member ${target}`);
    return;
  }
  const cmd = memberCommands.find((c) => c.name === sub);
  if (cmd === undefined) {
    showCommandHelp(io, `member ${sub}`);
    return;
  }
  const key = `member ${cmd.name}`;
  const p = parseCommandArgs(io, key, [...cmd.flags, helpFlag], rest, key);
  if (p.values.get('help') === true) {
    showCommandHelp(io, key);
    return;
  }
  await cmd.run(new Ctx(io, globals, p.values, p.args, env));
}
