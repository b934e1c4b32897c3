// fleetctl's commands (fleet v1.0.0's fleetctl/*.go): what each one asks the
// API, what it prints and with which exit code.

import net from 'node:net';
import type { ApiUnit } from '../../fleet/api/schema.js';
import { serializeUnit } from '../../fleet/registry/index.js';
import { toUnitOptions } from '../../fleet/api/validate.js';
import { UnitNotFoundError } from './client.js';
import { goList, logLine, type Ctx } from './context.js';
import type { FlagDef } from './flags.js';
import {
  defaultFields, fieldNames, FieldsError, machinesTable, parseFields, unitFilesTable, unitIsGlobal, unitStatesTable, type ListCommand,
} from './format.js';
import { runOnMachine } from './remote.js';
import { findUnits, lazyCreateUnits, setTargetStateOfUnits, unitNameMangle } from './units.js';
import { blockAttempts, JobState, tryWaitForSystemdActiveState, tryWaitForUnitStates } from './wait.js';

export const VERSION = '1.0.0';

export interface Command {
  name: string;
  use: string;
  short: string;
  long?: string;
  deprecated?: string;
  flags: FlagDef[];
  /** Whether the command talks to fleet (fleetctl builds the client first for all but help). */
  run(ctx: Ctx, args: string[]): Promise<number>;
}

const bool = (name: string, usage: string): FlagDef => ({ name, kind: 'bool', def: 'false', usage });
const int = (name: string, def: number, usage: string): FlagDef => ({ name, kind: 'int', def: String(def), usage });
const str = (name: string, def: string, usage: string): FlagDef => ({ name, kind: 'string', def, usage });

const fullFlag = bool('full', 'Do not ellipsize fields on output');
const lFlag = bool('l', 'Shorthand for --full');
const noLegendFlag = bool('no-legend', 'Do not print a legend (column headers)');
const signFlag = bool('sign', 'DEPRECATED - this option cannot be used');
const sshPort = (usage: string): FlagDef => int('ssh-port', 22, usage);

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function listCommand(ctx: Ctx, cmd: ListCommand): Promise<number> {
  let cols: string[];
  try {
    cols = parseFields(cmd, ctx.str('fields'));
  } catch (e) {
    if (!(e instanceof FieldsError)) throw e;
    ctx.err(e.message);
    return 1;
  }
  if (cmd === 'list-unit-files' && cols.includes('tmachine')) ctx.err('WARNING: The "tmachine" field is deprecated. Use "target" instead');
  const full = ctx.bool('full') || ctx.bool('l');
  const noLegend = ctx.bool('no-legend');
  if (cmd === 'list-machines') {
    let machines;
    try {
      machines = await ctx.client.machines();
    } catch (e) {
      ctx.err(`Error retrieving list of active machines from fleet API (${message(e)})`);
      ctx.err('Possible issues:');
      ctx.err('  etcd is unhealthy and/or lost quorum');
      ctx.err('  connection cannot be established to any etcd servers');
      return 1;
    }
    ctx.io.out(machinesTable(machines, { cols, full, noLegend, machines: () => undefined }));
    return 0;
  }
  try {
    if (cmd === 'list-units') {
      const states = await ctx.client.unitStates();
      const lookup = cols.includes('machine') && states.length > 0 ? await ctx.machineLookup() : () => undefined;
      ctx.io.out(unitStatesTable(states, { cols, full, noLegend, machines: lookup }));
    } else {
      const units = await ctx.client.units();
      const needs = (cols.includes('target') || cols.includes('tmachine')) && units.some((u) => u.machineID);
      const lookup = needs ? await ctx.machineLookup() : () => undefined;
      ctx.io.out(unitFilesTable(units, { cols, full, noLegend, machines: lookup }));
    }
  } catch (e) {
    ctx.err(`Error retrieving list of units from repository: ${message(e)}`);
    return 1;
  }
  return 0;
}

/** submit/load/start: create what is missing, then move to the target state and wait. */
async function activate(ctx: Ctx, args: string[], verb: 'submit' | 'load' | 'start'): Promise<number> {
  if (args.length === 0) {
    ctx.err('No units given');
    return 0;
  }
  try {
    await lazyCreateUnits(ctx, args, ctx.command);
  } catch (e) {
    ctx.err(`Error creating units: ${message(e)}`);
    return 1;
  }
  if (verb === 'submit') return 0;
  const target = verb === 'load' ? JobState.Loaded : JobState.Launched;
  let triggered: ApiUnit[];
  try {
    triggered = await setTargetStateOfUnits(ctx, args.map(unitNameMangle), target);
  } catch (e) {
    ctx.err(`Error ${verb === 'load' ? 'loading' : 'starting'} units: ${message(e)}`);
    return 1;
  }
  const waiting: string[] = [];
  for (const u of triggered) {
    if (unitIsGlobal(u)) ctx.out(`Triggered global unit ${u.name} ${verb}`);
    else waiting.push(u.name ?? '');
  }
  const attempts = blockAttempts(ctx);
  const err = await tryWaitForUnitStates(ctx, waiting, verb, target, attempts);
  if (err !== null) {
    ctx.err(`Error waiting for unit states, exit status: ${err}`);
    return 1;
  }
  if (verb === 'start') {
    const active = await tryWaitForSystemdActiveState(ctx, waiting, attempts);
    if (active !== null) {
      ctx.err(`Error waiting for systemd unit states, err: ${active}`);
      return 1;
    }
  }
  return 0;
}

/**
 * The registered units the arguments name (stop, unload, destroy), or the exit
 * code after fleetctl's message: none given and none found exit 0, a failed
 * lookup exits 1.
 */
async function registeredUnits(ctx: Ctx, args: string[]): Promise<ApiUnit[] | number> {
  if (args.length === 0) {
    ctx.err('No units given');
    return 0;
  }
  let units: ApiUnit[];
  try {
    units = await findUnits(ctx, args);
  } catch (e) {
    ctx.err(message(e));
    return 1;
  }
  if (units.length === 0) {
    ctx.err('Units not found in registry');
    return 0;
  }
  return units;
}

async function stopOrUnload(ctx: Ctx, args: string[], verb: 'stop' | 'unload'): Promise<number> {
  const units = await registeredUnits(ctx, args);
  if (typeof units === 'number') return units;
  const target = verb === 'stop' ? JobState.Loaded : JobState.Inactive;
  const waiting: string[] = [];
  for (const u of units) {
    const global = unitIsGlobal(u);
    if (!global) {
      if (verb === 'stop' && u.currentState === JobState.Inactive) {
        ctx.err(`Unable to stop unit ${u.name} in state inactive`);
        return 1;
      }
      if (u.currentState === target) continue;
    }
    // fleetctl ignores the result of this call.
    await ctx.client.setUnitTargetState(u.name ?? '', target).catch(() => undefined);
    if (global) ctx.out(`Triggered global unit ${u.name} ${verb}`);
    else waiting.push(u.name ?? '');
  }
  const err = await tryWaitForUnitStates(ctx, waiting, verb, target, blockAttempts(ctx));
  if (err !== null) {
    ctx.err(`Failed to ${verb} units ${goList(waiting)}. err: ${err}`);
    return 1;
  }
  ctx.err(`Successfully ${verb === 'stop' ? 'stopped' : 'unloaded'} units ${goList(waiting)}.`);
  return 0;
}

async function destroy(ctx: Ctx, args: string[]): Promise<number> {
  const units = await registeredUnits(ctx, args);
  if (typeof units === 'number') return units;
  let exit = 0;
  for (const u of units) {
    const name = u.name ?? '';
    try {
      await ctx.client.destroyUnit(name);
    } catch (e) {
      if (e instanceof UnitNotFoundError) continue;
      ctx.err(`Error destroying units: ${message(e)}`);
      exit = 1;
      continue;
    }
    // fleetctl v1.0.0 waits for the unit to disappear only with --no-block (sic).
    if (ctx.bool('no-block')) {
      let attempts = ctx.int('block-attempts');
      const retry = (): boolean => ctx.int('block-attempts') < 1 || --attempts !== 0;
      while (retry()) {
        let still: ApiUnit | null;
        try {
          still = await ctx.client.unit(name);
        } catch (e) {
          ctx.err(`Error destroying units: ${message(e)}`);
          exit = 1;
          break;
        }
        if (still === null) break;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    ctx.out(`Destroyed ${name}`);
  }
  return exit;
}

async function restart(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length === 0) {
    ctx.err('No units given');
    return 0;
  }
  let units: ApiUnit[];
  try {
    units = await findUnits(ctx, args);
  } catch (e) {
    ctx.err(message(e));
    return 1;
  }
  try {
    await lazyCreateUnits(ctx, args, ctx.command);
  } catch (e) {
    ctx.err(`Error creating units: ${message(e)}`);
    return 1;
  }
  const attempts = blockAttempts(ctx);
  const setAndWait = async (u: ApiUnit, state: string): Promise<number> => {
    try {
      await ctx.client.setUnitTargetState(u.name ?? '', state);
    } catch (e) {
      ctx.err(`Error setting target state for unit ${u.name}: ${message(e)}`);
      return 1;
    }
    // fleetctl v1.0.0 waits for `launched` after the stop step too, so it
    // hangs when the agent stops the unit quickly; coracle waits for the
    // state it asked for.
    const err = await tryWaitForUnitStates(ctx, [u.name ?? ''], 'restart', state, attempts);
    if (err !== null) {
      ctx.err(`Error waiting for unit states, exit status: ${err}`);
      return 1;
    }
    return 0;
  };
  let exit = 0;
  for (const u of units) {
    if (unitIsGlobal(u)) continue; // fleetctl's per-machine systemctl restart finds no machine for global units
    if (u.currentState === JobState.Inactive) {
      ctx.err(`Unable to restart unit ${u.name} in state inactive`);
      continue;
    }
    if (u.currentState === JobState.Loaded) {
      ctx.io.err(logLine('INFO', 'restart.go:82', `Unit(${u.name}) already loaded, starting.`));
      exit = await setAndWait(u, JobState.Launched);
      if (exit === 1) return exit;
      continue;
    }
    exit = await setAndWait(u, JobState.Loaded);
    if (exit === 1) return exit;
    exit = await setAndWait(u, JobState.Launched);
    if (exit === 1) return exit;
    ctx.io.err(logLine('INFO', 'restart.go:100', `Unit(${u.name}) was restarted.`));
  }
  return exit;
}

/**
 * One unit from the API, or null after printing the command's own message
 * (each fleetctl command words "could not read it" and "no such unit" its way).
 */
async function unitOrReport(ctx: Ctx, name: string, words: { retrieving: string; missing: string }): Promise<ApiUnit | null> {
  let u: ApiUnit | null;
  try {
    u = await ctx.client.unit(name);
  } catch (e) {
    ctx.err(`${words.retrieving}: ${message(e)}`);
    return null;
  }
  if (u === null) ctx.err(words.missing);
  return u;
}

async function cat(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length !== 1) {
    ctx.err('One unit file must be provided');
    return 1;
  }
  const name = unitNameMangle(args[0]!);
  const u = await unitOrReport(ctx, name, { retrieving: `Error retrieving Unit ${name}`, missing: `Unit ${name} not found` });
  if (u === null) return 1;
  // The re-serialized unit, with no newline added.
  ctx.io.out(serializeUnit(toUnitOptions(u.options ?? [])));
  return 0;
}

async function status(ctx: Ctx, args: string[]): Promise<number> {
  let exit = 0;
  for (let i = 0; i < args.length; i++) {
    const name = unitNameMangle(args[i]!);
    const u = await unitOrReport(ctx, name, { retrieving: 'Error retrieving unit', missing: `Unit ${name} does not exist.` });
    if (u === null) return 1;
    // Global units carry no machine: fleetctl finds nowhere to run the command for them.
    if (unitIsGlobal(u)) continue;
    if (u.currentState === JobState.Inactive) {
      ctx.err(`Unit ${u.name} does not appear to be loaded.`);
      return 1;
    }
    if (i !== 0) ctx.io.out('\n');
    const code = await runOnMachine(ctx, u.machineID ?? '', { kind: 'status', unit: u.name ?? name });
    if (code !== 0) {
      exit = code;
      break;
    }
  }
  return exit;
}

async function journal(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length !== 1) {
    ctx.err('One unit file must be provided.');
    return 1;
  }
  const name = unitNameMangle(args[0]!);
  const u = await unitOrReport(ctx, name, { retrieving: `Error retrieving unit ${name}`, missing: `Unit ${name} does not exist.` });
  if (u === null) return 1;
  if (unitIsGlobal(u)) {
    ctx.err(`Unable to retrieve journal of global unit ${name}.`);
    return 1;
  }
  if (u.currentState === JobState.Inactive) {
    ctx.err(`Unit ${name} does not appear to be running.`);
    return 1;
  }
  return runOnMachine(ctx, u.machineID ?? '', {
    kind: 'journal',
    unit: name,
    lines: ctx.int('lines'),
    output: ctx.str('output'),
    follow: ctx.bool('follow') || ctx.bool('f'),
  });
}

/** fd-forward: copies stdin to a unix socket and the socket to stdout (used by --tunnel on the remote side). */
function fdForward(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length !== 1) {
    ctx.err('Provide a single argument: location of UNIX domain socket');
    return Promise.resolve(1);
  }
  return new Promise((resolve) => {
    const sock = net.connect(args[0]!);
    sock.on('error', (e) => {
      ctx.err(`Unable to connect to socket ${args[0]}: ${e.message}`);
      resolve(1);
    });
    sock.on('connect', () => {
      process.stdin.pipe(sock);
      sock.pipe(process.stdout);
    });
    sock.on('close', () => resolve(0));
  });
}

export const commands: Command[] = [
  {
    name: 'cat',
    use: 'cat UNIT',
    short: 'Output the contents of a submitted unit',
    long: 'Outputs the unit file that is currently loaded in the cluster. Useful to verify\nthe correct version of a unit is running.',
    flags: [],
    run: cat,
  },
  {
    name: 'destroy',
    use: 'destroy UNIT...',
    short: 'Destroy one or more units in the cluster',
    long:
      'Completely remove one or more running or submitted units from the cluster.\n\nInstructs systemd on the host machine to destroy the unit, deferring to systemd\ncompletely for any custom stop directives (i.e. ExecStop option in the unit\nfile).\n\nDestroyed units are impossible to start unless re-submitted.',
    flags: [
      int('block-attempts', 0, 'Wait until the units are destroyed, performing up to N attempts before giving up. A value of 0 indicates no limit. Does not apply to global units.'),
      bool('no-block', 'Do not wait until the units are destroyed before exiting. Always the case for global units.'),
    ],
    run: destroy,
  },
  {
    name: 'fd-forward',
    use: 'fd-forward SOCKET',
    short: 'Proxy stdin and stdout to a unix domain socket',
    long: 'fleetctl utilizes fd-forward when --tunnel is used and --endpoint is a unix socket. This command is not intended to be called by users directly.',
    flags: [],
    run: fdForward,
  },
  {
    name: 'journal',
    use: 'journal [--lines=N] [--ssh-port=N] [-f|--follow] [--output=STRING] <unit>',
    short: 'Print the journal of a unit in the cluster to stdout',
    long:
      'Outputs the journal of a unit by connecting to the machine that the unit occupies.\n\nRead the last 10 lines:\nfleetctl journal foo.service\n\nRead the last 100 lines:\nfleetctl journal --lines 100 foo.service\n\nThis command does not work with global units.',
    flags: [
      int('lines', 10, 'Number of recent log lines to return'),
      bool('follow', 'Continuously print new entries as they are appended to the journal.'),
      bool('f', 'Shorthand for --follow'),
      sshPort('Connect to remote hosts over SSH using this TCP port'),
      bool('sudo', 'Execute journal command with sudo'),
      str('output', 'short', 'Output mode. This will be passed unaltered to journalctl on the remote host, and hence supports the same modes as that command.'),
    ],
    run: journal,
  },
  {
    name: 'list-machines',
    use: 'list-machines [-l|--full] [--no-legend]',
    short: 'Enumerate the current hosts in the cluster',
    long:
      'Lists all active machines within the cluster. Previously active machines will not appear in this list.\n\nFor easily parsable output, you can remove the column headers:\nfleetctl list-machines --no-legend\n\nOutput the list without truncation:\nfleetctl list-machines --full',
    flags: [fullFlag, lFlag, noLegendFlag, str('fields', defaultFields['list-machines'], `Columns to print for each Machine. Valid fields are "${fieldNames('list-machines').join(',')}"`)],
    run: (ctx) => listCommand(ctx, 'list-machines'),
  },
  {
    name: 'list-unit-files',
    use: 'list-unit-files [--fields]',
    short: 'List the units that exist in the cluster.',
    long: 'Lists all unit files that exist in the cluster (whether or not they are loaded onto a machine).',
    flags: [fullFlag, noLegendFlag, str('fields', defaultFields['list-unit-files'], `Columns to print for each Unit file. Valid fields are "${fieldNames('list-unit-files').join(',')}"`)],
    run: (ctx) => listCommand(ctx, 'list-unit-files'),
  },
  {
    name: 'list-units',
    use: 'list-units [--no-legend] [-l|--full] [--fields]',
    short: 'List the current state of units in the cluster',
    long:
      'Lists the state of all units in the cluster loaded onto a machine.\n\nFor easily parsable output, you can remove the column headers:\nfleetctl list-units --no-legend\n\nOutput the list without ellipses:\nfleetctl list-units --full\n\nOr, choose the columns to display:\nfleetctl list-units --fields=unit,machine',
    flags: [fullFlag, lFlag, noLegendFlag, str('fields', defaultFields['list-units'], `Columns to print for each Unit. Valid fields are "${fieldNames('list-units').join(',')}"`)],
    run: (ctx) => listCommand(ctx, 'list-units'),
  },
  {
    name: 'load',
    use: 'load [--no-block|--block-attempts=N] UNIT...',
    short: 'Schedule one or more units in the cluster, first submitting them if necessary.',
    long:
      'Load one or many units in the cluster into systemd, but do not start.\n\nSelect units to load by glob matching for units in the current working directory\nor matching the names of previously submitted units.\n\nFor units which are not global, load operations are performed synchronously,\nwhich means fleetctl will block until it detects that the unit(s) have\ntransitioned to a loaded state. This behaviour can be configured with the\nrespective --block-attempts and --no-block options. Load operations on global\nunits are always non-blocking.',
    flags: [
      signFlag,
      int('block-attempts', 0, 'Wait until the jobs are loaded, performing up to N attempts before giving up. A value of 0 indicates no limit. Does not apply to global units.'),
      bool('no-block', 'Do not wait until the jobs have been loaded before exiting. Always the case for global units.'),
      bool('replace', 'Replace the old scheduled units in the cluster with new versions.'),
    ],
    run: (ctx, args) => activate(ctx, args, 'load'),
  },
  {
    name: 'restart',
    use: 'restart [--block-attempts=N] UNIT...',
    short: 'Instruct systemd to rolling restart one or more units in the cluster.',
    long:
      'Restarts one or more units in the cluster. If they are stopped it starts them.\n\nInstructs systemd on the host machine to stop then start the unit, deferring to systemd\ncompletely for any custom restart directives (i.e. ExecStop options in the unit\nfile).\n\nFor units which are not global, restart operations are performed synchronously,\nwhich means fleetctl will block until it detects that the unit(s) have\ntransitioned to a stopped state and then back to a started state. This behaviour can be configured with the\nrespective --block-attempts options. Restart operations on global\nunits are always non-blocking.\n\nRestart a single unit:\n\tfleetctl restart foo.service\n\nRestart an entire directory of units with glob matching, without waiting:\n\tfleetctl restart myservice/*',
    flags: [int('block-attempts', 0, 'Wait until the units are stopped/started, performing up to N attempts before giving up. A value of 0 indicates no limit. Does not apply to global units.')],
    run: restart,
  },
  {
    name: 'ssh',
    use: 'ssh [-A|--forward-agent] [--ssh-port=N] [--machine|--unit] {MACHINE|UNIT}',
    short: 'Open interactive shell on a machine in the cluster',
    long: 'Open an interactive shell on a specific machine in the cluster or on the machine\nwhere the specified unit is located.\n\ncoracle\'s fleetctl has no SSH client: use `coracle systemctl --root DIR` on the machine instead.',
    flags: [
      str('machine', '', 'Open SSH connection to a specific machine.'),
      str('unit', '', 'Open SSH connection to machine running provided unit.'),
      bool('forward-agent', 'Forward local ssh-agent to target machine.'),
      bool('A', 'Shorthand for --forward-agent'),
      sshPort('Connect to remote hosts over SSH using this TCP port.'),
    ],
    run: (ctx) => {
      ctx.err("fleetctl ssh is not available in coracle's fleetctl (no SSH client); status and journal reach the unit's machine through its fleet agent");
      return Promise.resolve(1);
    },
  },
  {
    name: 'start',
    use: 'start [--no-block|--block-attempts=N] UNIT...',
    short: 'Instruct systemd to start one or more units in the cluster, first submitting and loading if necessary.',
    long:
      'Start one or many units on the cluster. Select units to start by glob matching\nfor units in the current working directory or matching names of previously\nsubmitted units.\n\nFor units which are not global, start operations are performed synchronously,\nwhich means fleetctl will block until it detects that the unit(s) have\ntransitioned to a started state. This behaviour can be configured with the\nrespective --block-attempts and --no-block options. Start operations on global\nunits are always non-blocking.\n\nStart a single unit:\nfleetctl start foo.service\n\nStart an entire directory of units with glob matching:\nfleetctl start myservice/*\n\nYou may filter suitable hosts based on metadata provided by the machine.\nMachine metadata is located in the fleet configuration file.',
    flags: [
      signFlag,
      int('block-attempts', 0, 'Wait until the units are launched, performing up to N attempts before giving up. A value of 0 indicates no limit. Does not apply to global units.'),
      bool('no-block', 'Do not wait until the units have launched before exiting. Always the case for global units.'),
      bool('replace', 'Replace the already started units in the cluster with new versions.'),
    ],
    run: (ctx, args) => activate(ctx, args, 'start'),
  },
  {
    name: 'status',
    use: 'status [--ssh-port=N] UNIT...',
    short: 'Output the status of one or more units in the cluster',
    long:
      'Output the status of one or more units currently running in the cluster.\nSupports glob matching of units in the current working directory or matches\npreviously started units.\n\nShow status of a single unit:\n\tfleetctl status foo.service\n\nShow status of an entire directory with glob matching:\nfleetctl status myservice/*\n\nThis command does not work with global units.',
    flags: [sshPort('Connect to remote hosts over SSH using this TCP port.')],
    run: status,
  },
  {
    name: 'stop',
    use: 'stop [--no-block|--block-attempts=N] UNIT...',
    short: 'Instruct systemd to stop one or more units in the cluster.',
    long:
      'Stop one or more units from running in the cluster, but allow them to be\nstarted again in the future.\n\nInstructs systemd on the host machine to stop the unit, deferring to systemd\ncompletely for any custom stop directives (i.e. ExecStop option in the unit\nfile).\n\nFor units which are not global, stop operations are performed synchronously,\nwhich means fleetctl will block until it detects that the unit(s) have\ntransitioned to a stopped state. This behaviour can be configured with the\nrespective --block-attempts and --no-block options. Stop operations on global\nunits are always non-blocking.\n\nStop a single unit:\nfleetctl stop foo.service\n\nStop an entire directory of units with glob matching, without waiting:\nfleetctl --no-block stop myservice/*',
    flags: [
      int('block-attempts', 0, 'Wait until the units are stopped, performing up to N attempts before giving up. A value of 0 indicates no limit. Does not apply to global units.'),
      bool('no-block', 'Do not wait until the units have stopped before exiting. Always the case for global units.'),
    ],
    run: (ctx, args) => stopOrUnload(ctx, args, 'stop'),
  },
  {
    name: 'submit',
    use: 'submit UNIT...',
    short: 'Upload one or more units to the cluster without starting them',
    long:
      'Upload one or more units to the cluster without starting them. Useful\nfor validating units before they are started.\n\nThis operation is idempotent; if a named unit already exists in the cluster, it will not be resubmitted.\n\nSubmit a single unit:\nfleetctl submit foo.service\n\nSubmit a directory of units with glob matching:\nfleetctl submit myservice/*',
    flags: [signFlag, bool('replace', 'Replace the old submitted units in the cluster with new versions.')],
    run: (ctx, args) => activate(ctx, args, 'submit'),
  },
  {
    name: 'unload',
    use: 'unload UNIT...',
    short: 'Unschedule one or more units in the cluster.',
    flags: [
      int('block-attempts', 0, 'Wait until the units are inactive, performing up to N attempts before giving up. A value of 0 indicates no limit.'),
      bool('no-block', 'Do not wait until the units have become inactive before exiting.'),
    ],
    run: (ctx, args) => stopOrUnload(ctx, args, 'unload'),
  },
  {
    name: 'verify',
    use: 'verify UNIT',
    short: '',
    deprecated: 'DEPRECATED - No longer works',
    flags: [],
    run: (ctx) => {
      ctx.err('WARNING: The signed/verified units feature is DEPRECATED and cannot be used.');
      return Promise.resolve(2);
    },
  },
  {
    name: 'version',
    use: 'version',
    short: 'Print the version and exit',
    long: 'Print the version and exit',
    flags: [],
    run: (ctx) => {
      ctx.out(`fleetctl version ${VERSION}`);
      return Promise.resolve(0);
    },
  },
];
