// fleetctl's usage text (its own template in fleetctl/help.go, rendered
// through the tabwriter): NAME, USAGE, VERSION, COMMANDS, DESCRIPTION,
// OPTIONS, GLOBAL OPTIONS.

import type { Command } from './commands.js';
import { flagUsages, type FlagDef } from './flags.js';
import { tabwrite } from './tabwriter.js';

export const CLI_DESCRIPTION = 'fleetctl is a command-line interface to fleet, the cluster-wide CoreOS init system.';

export const helpCommandInfo = {
  name: 'help',
  use: 'help [command]',
  short: 'Help about any command',
  long: 'Help provides help for any command in the application.\n    Simply type fleetctl help [path to command] for full details.',
};

const descLines = (s: string): string[] => s.replace(/^[\n\t ]+|[\n\t ]+$/g, '').split('\n');

/** Usage of the root command (`fleetctl --help`). */
export function rootUsage(cmds: readonly Pick<Command, 'name' | 'short'>[], globals: readonly FlagDef[], version: string): string {
  const all = [...cmds, helpCommandInfo].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let t = `NAME:\n\tfleetctl - ${CLI_DESCRIPTION}\n\nUSAGE:\n\tfleetctl\n\nVERSION:\n\t${version}\n`;
  t += '\nCOMMANDS:\n' + all.map((c) => `\t${c.name}\t${c.short}\n`).join('');
  t += '\nOPTIONS:\n' + flagUsages(globals);
  return tabwrite(t + '\n');
}

/** Usage of one command (`fleetctl start --help`, `fleetctl help start`). */
export function commandUsage(cmd: Pick<Command, 'name' | 'use' | 'short' | 'long' | 'flags'>, globals: readonly FlagDef[]): string {
  let t = `NAME:\n\t${cmd.name} - ${cmd.short}\n\nUSAGE:\n\tfleetctl ${cmd.use}\n`;
  if (cmd.long !== undefined && cmd.long !== '') t += '\nDESCRIPTION:\n' + descLines(cmd.long).map((l) => `\t${l}\n`).join('');
  if (cmd.flags.length > 0) t += '\nOPTIONS:\n' + flagUsages(cmd.flags);
  t += '\nGLOBAL OPTIONS:\n' + flagUsages(globals);
  return tabwrite(t + '\n');
}

/**
 * What `fleetctl` with no arguments prints: cobra's own default help (fleetctl
 * installs its template only after handling this case).
 */
export function bareHelp(cmds: readonly Pick<Command, 'name' | 'short' | 'deprecated'>[], globals: readonly FlagDef[]): string {
  const avail = cmds.filter((c) => c.deprecated === undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const pad = Math.max(...avail.map((c) => c.name.length));
  return (
    `${CLI_DESCRIPTION}\n\nUsage:\n  fleetctl [flags]\n  fleetctl [command]\n\nAvailable Commands:\n` +
    avail.map((c) => `  ${c.name.padEnd(pad)} ${c.short}\n`).join('') +
    `\nFlags:\n${flagUsages(globals)}\nUse "fleetctl [command] --help" for more information about a command.\n`
  );
}
