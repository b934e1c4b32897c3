// backup: etcdctl copies a member's data dir (newest snapshot + write-ahead
// log) into a backup dir with a fresh cluster ID, to be restored with
// `coracle etcd --data-dir <backup> --force-new-cluster`. It reads without
// taking the data dir's lock, so a running member can be backed up.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { backupDataDir, DataDirError } from '../../etcd/server/data-dir.js';
import { isWalError } from '../../wal/index.js';
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
    if (ctx.string('wal-dir') !== '' || ctx.string('backup-wal-dir') !== '') fail('--wal-dir and --backup-wal-dir: coracle keeps the log inside the data dir');
    if (ctx.bool('with-v3')) fail('--with-v3: coracle has no v3 backend to back up');
    const looksLikeEtcd = existsSync(join(dataDir, 'member', 'snap', 'db'));
    const quiet = { info() {}, warn(m: string, f?: Record<string, unknown>) { ctx.io.err(`etcdctl backup: ${m} ${JSON.stringify(f ?? {})}\n`); } };
    try {
      await backupDataDir(dataDir, backupDir, quiet);
    } catch (err) {
      if (err instanceof DataDirError || isWalError(err)) {
        fail(`${err.message}${looksLikeEtcd ? ' (this looks like a real etcd data dir; back it up with the real etcdctl)' : ''}`);
      }
      throw err;
    }
  },
};
