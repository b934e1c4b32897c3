// watch and exec-watch: long-running; Ctrl-C (SIGINT) ends them with exit 0.

import { spawn } from 'node:child_process';
import type { KeysResponse } from '../../client/index.js';
import type { Command } from './command.js';
import { printResponseKey } from './format.js';
import { ExitCode } from './io.js';

function exitOnInterrupt(): void {
  process.once('SIGINT', () => process.exit(0));
}

export const watchCommand: Command = {
  name: 'watch',
  flags: [
    { names: ['forever', 'f'], kind: 'bool' },
    { names: ['after-index'], kind: 'int' },
    { names: ['recursive', 'r'], kind: 'bool' },
  ],
  async run(ctx) {
    const key = ctx.args[0];
    if (key === undefined) ctx.fail(ExitCode.BadArgs, new Error('key required'));
    const recursive = ctx.bool('recursive');
    const c = await ctx.client();
    const w = c.keys.watcher(key, { afterIndex: ctx.int('after-index'), recursive });
    exitOnInterrupt();
    for (;;) {
      let resp: KeysResponse;
      try {
        resp = await w.next();
      } catch (err) {
        return ctx.fail(ExitCode.ServerError, err);
      }
      if (resp.node?.dir === true) continue;
      if (recursive) ctx.io.out(`[${resp.action}] ${resp.node?.key ?? ''}\n`);
      printResponseKey(ctx.io, resp, ctx.globals.output);
      if (!ctx.bool('forever')) return;
    }
  },
};

/**
 * exec-watch's argument rule: with a `--` after the key, key is the first
 * argument and the command follows the `--`; without one (urfave already
 * consumed a leading `--`), the key is the LAST argument and the command is
 * everything before it.
 */
export function splitExecArgs(args: readonly string[]): { key: string; cmd: string[] } {
  const sep = args.findIndex((a, i) => a === '--' && i !== 0);
  if (sep >= 0) return { key: args[0]!, cmd: args.slice(2) };
  return { key: args[args.length - 1]!, cmd: args.slice(0, -1) };
}

export const execWatchCommand: Command = {
  name: 'exec-watch',
  flags: [
    { names: ['after-index'], kind: 'int' },
    { names: ['recursive', 'r'], kind: 'bool' },
  ],
  async run(ctx) {
    if (ctx.args.length < 2) ctx.fail(ExitCode.BadArgs, new Error('key and command to exec required'));
    const { key, cmd } = splitExecArgs(ctx.args);
    const c = await ctx.client();
    exitOnInterrupt();
    const w = c.keys.watcher(key, { afterIndex: ctx.int('after-index'), recursive: ctx.bool('recursive') });
    for (;;) {
      let resp: KeysResponse;
      try {
        resp = await w.next();
      } catch (err) {
        return ctx.fail(ExitCode.ServerError, err);
      }
      const node = resp.node ?? {};
      if (node.dir === true) {
        ctx.io.err(`Ignored dir ${node.key ?? ''} change\n`);
        continue;
      }
      const [file, ...rest] = cmd;
      if (file === undefined) ctx.fail(ExitCode.BadArgs, new Error('key and command to exec required'));
      const child = spawn(file, rest, {
        stdio: 'inherit',
        env: {
          ...ctx.env,
          ETCD_WATCH_ACTION: resp.action,
          ETCD_WATCH_MODIFIED_INDEX: String(node.modifiedIndex ?? 0),
          ETCD_WATCH_KEY: node.key ?? '',
          ETCD_WATCH_VALUE: node.value ?? '',
        },
      });
      // Go starts the command in the background and does not wait for it.
      child.on('error', (err: NodeJS.ErrnoException) => {
        const text =
          err.code === 'ENOENT'
            ? file.includes('/')
              ? `fork/exec ${file}: no such file or directory`
              : `exec: "${file}": executable file not found in $PATH`
            : err.message;
        ctx.io.err(text);
        process.exit(1);
      });
    }
  },
};
