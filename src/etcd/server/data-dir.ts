// A member's data directory, laid out as etcd's: <data-dir>/member/wal holds
// the write-ahead log, <data-dir>/member/snap the snapshots. Opening it
// replays the newest usable snapshot plus the log after it; the log is locked
// against a second process for as long as the member runs.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Entry, HardState, Snapshot } from '../../raft/index.js';
import { isWalError, loadNewestSnap, purgeSnaps, saveSnap, Wal, type WalLogger } from '../../wal/index.js';
import type { Persistence, RestoredState } from './persistence.js';

/** Snapshots kept on disk (etcd's --max-snapshots default). */
const MAX_SNAPSHOTS = 5;

export interface MemberIdentity {
  memberId: string;
  clusterId: string;
}

export class DataDirError extends Error {}

function encodeIdentity(id: MemberIdentity): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(id));
}

function decodeIdentity(data: Uint8Array, dir: string): MemberIdentity {
  try {
    const o = JSON.parse(new TextDecoder().decode(data)) as Partial<MemberIdentity>;
    if (typeof o.memberId === 'string' && typeof o.clusterId === 'string') return { memberId: o.memberId, clusterId: o.clusterId };
  } catch {
    // fall through
  }
  throw new DataDirError(`${dir}: the log's metadata does not name a member and cluster; is this a coracle data dir?`);
}

class WalPersistence implements Persistence {
  constructor(
    private readonly wal: Wal,
    private readonly snapDir: string,
    private readonly logger: WalLogger,
  ) {}

  save(hardState: HardState | undefined, entries: Entry[], mustSync: boolean): Promise<void> {
    return this.wal.save(hardState, entries, mustSync);
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    // The file first: the marker in the log promises a file exists.
    await saveSnap(this.snapDir, snapshot, { logger: this.logger });
    await this.wal.saveSnapshot({ index: snapshot.metadata.index, term: snapshot.metadata.term });
  }

  async release(index: number): Promise<void> {
    if (index <= 0) return;
    await this.wal.releaseLockTo(index);
    await purgeSnaps(this.snapDir, MAX_SNAPSHOTS, { logger: this.logger });
  }

  close(): Promise<void> {
    return this.wal.close();
  }
}

export interface OpenedDataDir {
  persistence: Persistence;
  identity: MemberIdentity;
  /** Undefined for a data dir that held no log yet. */
  restored?: RestoredState;
}

export function dataDirPaths(dataDir: string): { wal: string; snap: string } {
  return { wal: path.join(dataDir, 'member', 'wal'), snap: path.join(dataDir, 'member', 'snap') };
}

/** Whether the data dir already holds a member (its log). */
export function hasMember(dataDir: string): Promise<boolean> {
  return Wal.exists(dataDirPaths(dataDir).wal);
}

/** Open an existing member's data dir: newest usable snapshot, then the log after it. */
export async function openDataDir(dataDir: string, logger: WalLogger): Promise<OpenedDataDir> {
  const { wal: walDir, snap: snapDir } = dataDirPaths(dataDir);
  await fs.mkdir(snapDir, { recursive: true });
  const refused = new Set<string>();
  for (;;) {
    const loaded = await loadNewestSnap(snapDir, { logger, accept: (s) => !refused.has(`${s.index}/${s.term}`) });
    const from = loaded ? { index: loaded.snapshot.metadata.index, term: loaded.snapshot.metadata.term } : { index: 0, term: 0 };
    try {
      const r = await Wal.open(walDir, from, { logger });
      return {
        persistence: new WalPersistence(r.wal, snapDir, logger),
        identity: decodeIdentity(r.metadata, walDir),
        restored: { ...(loaded ? { snapshot: loaded.snapshot } : {}), hardState: r.hardState, entries: r.entries },
      };
    } catch (err) {
      // A .snap written just before a crash may have no marker in the log
      // yet: fall back to the one before it.
      if (loaded && isWalError(err, 'ERR_WAL_SNAPSHOT_NOT_FOUND')) {
        refused.add(`${from.index}/${from.term}`);
        logger.warn('snapshot has no marker in the log; trying an older one', { file: loaded.file });
        continue;
      }
      throw err;
    }
  }
}

/** Create the data dir of a new member. */
export async function createDataDir(dataDir: string, identity: MemberIdentity, logger: WalLogger): Promise<OpenedDataDir> {
  const { wal: walDir, snap: snapDir } = dataDirPaths(dataDir);
  await fs.mkdir(path.dirname(walDir), { recursive: true, mode: 0o700 });
  await fs.mkdir(snapDir, { recursive: true });
  const wal = await Wal.create(walDir, encodeIdentity(identity), { logger });
  return { persistence: new WalPersistence(wal, snapDir, logger), identity };
}

/**
 * `etcdctl backup`: copy a member's newest snapshot and log into a new data
 * dir, reading without the lock so a running member can be backed up. The
 * copy gets a fresh cluster ID, so it can only come back as a new cluster:
 * `coracle etcd --data-dir <backup> --force-new-cluster`.
 */
export async function backupDataDir(dataDir: string, backupDir: string, logger: WalLogger): Promise<{ index: number; entries: number }> {
  const { wal: walDir, snap: snapDir } = dataDirPaths(dataDir);
  if (!(await Wal.exists(walDir))) throw new DataDirError(`${dataDir} holds no coracle member (no ${walDir})`);
  if (await hasMember(backupDir)) throw new DataDirError(`${backupDir} already holds a member; choose an empty backup dir`);
  const markers = new Set((await Wal.snapshotMarkers(walDir)).map((m) => `${m.index}/${m.term}`));
  const loaded = await loadNewestSnap(snapDir, { logger, accept: (s) => markers.has(`${s.index}/${s.term}`) });
  const from = loaded ? { index: loaded.snapshot.metadata.index, term: loaded.snapshot.metadata.term } : { index: 0, term: 0 };
  const read = await Wal.read(walDir, from);
  const identity = decodeIdentity(read.metadata, walDir);
  const fresh = (await import('node:crypto')).randomBytes(8).readBigUInt64BE(0).toString(16);
  const out = await createDataDir(backupDir, { memberId: identity.memberId, clusterId: fresh }, logger);
  try {
    if (loaded) await out.persistence.saveSnapshot(loaded.snapshot);
    await out.persistence.save(read.hardState, read.entries, true);
  } finally {
    await out.persistence.close();
  }
  const last = read.entries.length > 0 ? read.entries[read.entries.length - 1]!.index : from.index;
  return { index: last, entries: read.entries.length };
}
