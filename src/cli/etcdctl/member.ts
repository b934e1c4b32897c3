// member list|add|remove|update (etcdctl/ctlv2/command/member_commands.go).

import type { Command } from './command.js';
import type { Ctx } from './context.js';
import { Exit } from './io.js';

function quit(ctx: Ctx, message: string): never {
  ctx.io.err(message + '\n');
  throw new Exit(1);
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Go's %q for the ETCD_* lines. */
function goQuoted(s: string): string {
  return JSON.stringify(s);
}

export const memberList: Command = {
  name: 'list',
  flags: [],
  async run(ctx) {
    if (ctx.args.length !== 0) quit(ctx, 'No arguments accepted');
    const c = await ctx.client();
    const call = ctx.call();
    const members = await c.members.list(call).catch((e: unknown) => quit(ctx, errText(e)));
    const leader = await c.members.leader(call).catch((e: unknown) => quit(ctx, `Failed to get leader:  ${errText(e)}`));
    for (const m of members) {
      if (m.name === '') ctx.io.out(`${m.id}[unstarted]: peerURLs=${m.peerURLs.join(',')}\n`);
      else {
        ctx.io.out(
          `${m.id}: name=${m.name} peerURLs=${m.peerURLs.join(',')} clientURLs=${m.clientURLs.join(',')} isLeader=${m.id === leader.id}\n`,
        );
      }
    }
  },
};

export const memberAdd: Command = {
  name: 'add',
  flags: [],
  async run(ctx) {
    if (ctx.args.length !== 2) quit(ctx, 'Provide a name and a single member peerURL');
    const [name, url] = ctx.args as [string, string];
    const c = await ctx.client();
    const call = ctx.call();
    const m = await c.members.add(url, call).catch((e: unknown) => quit(ctx, errText(e)));
    ctx.io.out(`Added member named ${name} with ID ${m.id} to cluster\n`);
    const members = await c.members.list(call).catch((e: unknown) => quit(ctx, errText(e)));
    const conf: string[] = [];
    for (const memb of members) {
      for (const u of memb.peerURLs) conf.push(`${memb.id === m.id ? name : memb.name}=${u}`);
    }
    ctx.io.out('\n');
    ctx.io.out(`ETCD_NAME=${goQuoted(name)}\n`);
    ctx.io.out(`ETCD_INITIAL_CLUSTER=${goQuoted(conf.join(','))}\n`);
    ctx.io.out('ETCD_INITIAL_CLUSTER_STATE="existing"\n');
  },
};

export const memberRemove: Command = {
  name: 'remove',
  flags: [],
  async run(ctx) {
    if (ctx.args.length !== 1) quit(ctx, 'Provide a single member ID');
    const id = ctx.args[0]!;
    const c = await ctx.client();
    const call = ctx.call();
    const members = await c.members
      .list(call)
      .catch((e: unknown) => quit(ctx, `Error while verifying ID against known members: ${errText(e)}`));
    let found = false;
    for (const m of members) {
      if (m.id === id) found = true;
      if (m.name === id) {
        ctx.io.err(`Found a member named ${m.name}; if this is correct, please use its ID, eg:\n\tetcdctl member remove ${m.id}\n`);
        ctx.io.err(
          'For more details, read the documentation at https://github.com/etcd-io/etcd/blob/master/Documentation/runtime-configuration.md#remove-a-member\n\n',
        );
      }
    }
    if (!found) quit(ctx, `Couldn't find a member in the cluster with an ID of ${id}.`);
    try {
      await c.members.remove(id, call);
    } catch (e) {
      // etcdctl prints this one without a newline.
      ctx.io.err(`Received an error trying to remove member ${id}: ${errText(e)}`);
      throw new Exit(1);
    }
    ctx.io.out(`Removed member ${id} from cluster\n`);
  },
};

export const memberUpdate: Command = {
  name: 'update',
  flags: [],
  async run(ctx) {
    if (ctx.args.length !== 2) {
      quit(ctx, 'Provide an ID and a list of comma separated peerURL (0xabcd http://example.com,http://example1.com)');
    }
    const [id, urls] = ctx.args as [string, string];
    const c = await ctx.client();
    await c.members.update(id, urls.split(','), ctx.call()).catch((e: unknown) => quit(ctx, errText(e)));
    ctx.io.out(`Updated member with ID ${id} in cluster\n`);
  },
};

export const memberCommands: readonly Command[] = [memberList, memberAdd, memberRemove, memberUpdate];
