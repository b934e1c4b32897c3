// The shape of one etcdctl command.

import type { Ctx } from './context.js';
import type { FlagDef } from './flags.js';

export interface Command {
  name: string;
  flags: readonly FlagDef[];
  run(ctx: Ctx): Promise<void>;
}

export const ttlFlag: FlagDef = { names: ['ttl'], kind: 'int' };
