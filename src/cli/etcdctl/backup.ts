// backup: etcdctl copies an etcd data dir (WAL + snapshot) into a backup dir
// with fresh node and cluster IDs. coracle's data dir format (src/wal/) is not
// built yet, so this parses the same flags and says plainly that the source
// cannot be backed up, instead of pretending.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from './command.js';
import { Exit } from './io.js';

export const backupCommand: Command = {
  name: 'backup',
  flags: [
    { names: ['data-dir'], kind: 'string' },
    { names: ['wal-dir'], kind: 'string' },
    { names: ['backup-dir'], kind: 'string' },
    { names: ['backup-wal-dir'], kind: 'string' },
    { names: ['with-v3'], kind: 'bool' },
  ],
  async run(ctx) {
    const dataDir = ctx.string('data-dir');
    const backupDir = ctx.string('backup-dir');
    const fail = (msg: string): never => {
      ctx.io.err(`etcdctl backup: ${msg}\n`);
      throw new Exit(1);
    };
    if (dataDir === '') fail('--data-dir is required');
    if (backupDir === '') fail('--backup-dir is required');
    if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) fail(`${dataDir}: no such data dir`);
    const looksLikeEtcd = existsSync(join(dataDir, 'member', 'wal')) || existsSync(join(dataDir, 'member', 'snap'));
    fail(
      `${dataDir} is not a coracle data dir: coracle's etcd data dir format is not implemented yet, so there is nothing this etcdctl can back up` +
        (looksLikeEtcd ? ' (it looks like a real etcd data dir; back it up with the real etcdctl)' : ''),
    );
  },
};
