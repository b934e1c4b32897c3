// The key commands: get ls set mk mkdir setdir update updatedir rm rmdir.
// Each mirrors etcdctl/ctlv2/command/<name>_command.go: same options sent,
// same output, same exit codes.

import { readFileSync } from 'node:fs';
import type { KeysResponse, Node } from '../../client/index.js';
import { ttlFlag, type Command } from './command.js';
import type { Ctx } from './context.js';
import { printResponseKey } from './format.js';
import { Exit, ExitCode } from './io.js';

function key(ctx: Ctx): string {
  const k = ctx.args[0];
  if (k === undefined) ctx.fail(ExitCode.BadArgs, new Error('key required'));
  return k;
}

/** argOrStdin: the value argument, else all of stdin; neither → "value required". */
function value(ctx: Ctx): string {
  const v = ctx.args[1];
  if (v !== undefined) return v;
  let s = '';
  try {
    s = readFileSync(0, 'utf8');
  } catch {
    s = '';
  }
  if (s === '') ctx.fail(ExitCode.BadArgs, new Error('value required'));
  return s;
}

async function attempt(ctx: Ctx, fn: () => Promise<KeysResponse>): Promise<KeysResponse> {
  try {
    return await fn();
  } catch (err) {
    return ctx.fail(ExitCode.ServerError, err);
  }
}

const output = (ctx: Ctx): string => ctx.globals.output;

export const getCommand: Command = {
  name: 'get',
  flags: [
    { names: ['sort'], kind: 'bool' },
    { names: ['quorum', 'q'], kind: 'bool' },
  ],
  async run(ctx) {
    const k = key(ctx);
    const c = await ctx.client();
    const resp = await attempt(ctx, () => c.keys.get(k, { sorted: ctx.bool('sort'), quorum: ctx.bool('quorum'), ...ctx.call() }));
    if (resp.node?.dir === true) {
      ctx.io.err(`${resp.node.key ?? ''}: is a directory\n`);
      throw new Exit(1);
    }
    printResponseKey(ctx.io, resp, output(ctx));
  },
};

export const lsCommand: Command = {
  name: 'ls',
  flags: [
    { names: ['sort'], kind: 'bool' },
    { names: ['recursive', 'r'], kind: 'bool' },
    { names: ['p'], kind: 'bool' },
    { names: ['quorum', 'q'], kind: 'bool' },
  ],
  async run(ctx) {
    const k = ctx.args[0] ?? '/';
    const c = await ctx.client();
    const resp = await attempt(ctx, () =>
      c.keys.get(k, { sorted: ctx.bool('sort'), recursive: ctx.bool('recursive'), quorum: ctx.bool('quorum'), ...ctx.call() }),
    );
    if (output(ctx) !== 'simple') {
      printResponseKey(ctx.io, resp, output(ctx));
      return;
    }
    const node = resp.node ?? {};
    if (node.dir !== true) ctx.io.out(`${node.key ?? ''}\n`);
    const slash = ctx.bool('p');
    const walk = (n: Node): void => {
      ctx.io.out(n.dir === true && slash ? `${n.key ?? ''}/\n` : `${n.key ?? ''}\n`);
      for (const child of n.nodes ?? []) walk(child);
    };
    for (const child of node.nodes ?? []) walk(child);
  },
};

export const setCommand: Command = {
  name: 'set',
  flags: [ttlFlag, { names: ['swap-with-value'], kind: 'string' }, { names: ['swap-with-index'], kind: 'int' }],
  async run(ctx) {
    const k = key(ctx);
    const v = value(ctx);
    const c = await ctx.client();
    const resp = await attempt(ctx, () =>
      c.keys.set(k, v, {
        ttl: ctx.int('ttl'),
        prevIndex: ctx.int('swap-with-index'),
        prevValue: ctx.string('swap-with-value'),
        ...ctx.call(),
      }),
    );
    printResponseKey(ctx.io, resp, output(ctx));
  },
};

export const mkCommand: Command = {
  name: 'mk',
  flags: [{ names: ['in-order'], kind: 'bool' }, ttlFlag],
  async run(ctx) {
    const k = key(ctx);
    const v = value(ctx);
    const c = await ctx.client();
    const ttl = ctx.int('ttl');
    const resp = await attempt(ctx, () =>
      ctx.bool('in-order')
        ? c.keys.createInOrder(k, v, { ttl, ...ctx.call() })
        : c.keys.set(k, v, { ttl, prevExist: false, ...ctx.call() }),
    );
    printResponseKey(ctx.io, resp, output(ctx));
  },
};

/** mkdir (must not exist) and setdir (either): no output in simple mode. */
function dirCommand(name: string, prevExist: boolean | undefined): Command {
  return {
    name,
    flags: [ttlFlag],
    async run(ctx) {
      const k = key(ctx);
      const c = await ctx.client();
      const resp = await attempt(ctx, () => c.keys.set(k, '', { ttl: ctx.int('ttl'), dir: true, prevExist, ...ctx.call() }));
      if (output(ctx) !== 'simple') printResponseKey(ctx.io, resp, output(ctx));
    },
  };
}

export const mkdirCommand = dirCommand('mkdir', false);
export const setdirCommand = dirCommand('setdir', undefined);
export const updatedirCommand = dirCommand('updatedir', true);

export const updateCommand: Command = {
  name: 'update',
  flags: [ttlFlag],
  async run(ctx) {
    const k = key(ctx);
    const v = value(ctx);
    const c = await ctx.client();
    const resp = await attempt(ctx, () => c.keys.set(k, v, { ttl: ctx.int('ttl'), prevExist: true, ...ctx.call() }));
    printResponseKey(ctx.io, resp, output(ctx));
  },
};

export const rmCommand: Command = {
  name: 'rm',
  flags: [
    { names: ['dir'], kind: 'bool' },
    { names: ['recursive', 'r'], kind: 'bool' },
    { names: ['with-value'], kind: 'string' },
    { names: ['with-index'], kind: 'int' },
  ],
  async run(ctx) {
    const k = key(ctx);
    const c = await ctx.client();
    const resp = await attempt(ctx, () =>
      c.keys.delete(k, {
        prevIndex: ctx.int('with-index'),
        prevValue: ctx.string('with-value'),
        dir: ctx.bool('dir'),
        recursive: ctx.bool('recursive'),
        ...ctx.call(),
      }),
    );
    if (resp.node?.dir !== true || output(ctx) !== 'simple') printResponseKey(ctx.io, resp, output(ctx));
  },
};

export const rmdirCommand: Command = {
  name: 'rmdir',
  flags: [],
  async run(ctx) {
    const k = key(ctx);
    const c = await ctx.client();
    const resp = await attempt(ctx, () => c.keys.delete(k, { dir: true, ...ctx.call() }));
    if (resp.node?.dir !== true || output(ctx) !== 'simple') printResponseKey(ctx.io, resp, output(ctx));
  },
};
