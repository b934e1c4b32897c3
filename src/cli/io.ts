// Where a command-line tool writes, and how a command ends the process with
// a code: the Go tools coracle mirrors (etcdctl, fleetctl) call os.Exit deep
// inside commands; ours throw Exit, caught at the top. Also how a coracle
// subcommand reads its flags (usage on error, --help).

import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

/** Ends the command with an exit code. */
export class Exit {
  constructor(readonly code: number) {}
}

/**
 * A coracle subcommand's flags, parsed the same way by each: on a bad flag
 * the error and the usage go to stderr and the result is exit code 2; with
 * --help (or -h) the usage goes to stdout and the result is 0. Otherwise the
 * parsed flags.
 */
export function parseCommandLine<T extends ParseArgsConfig>(command: string, usage: string, config: T): ReturnType<typeof parseArgs<T>> | number {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (e) {
    process.stderr.write(`coracle ${command}: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if ((parsed.values as Record<string, unknown>).help === true) {
    process.stdout.write(usage);
    return 0;
  }
  return parsed;
}
