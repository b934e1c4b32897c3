// Snapshot files: one Raft snapshot (metadata, membership, the application's
// state) per file, named `<term %016x>-<index %016x>.snap` as etcd names them.
//
// File layout (differs from etcd's protobuf snappb.Snapshot, same idea):
//   0   "CSNP"        magic
//   4   u32 crc       CRC-32C of the body
//   8   u64 length    body length; the file is exactly 16 + length bytes
//   16  body          codec.encodeSnapshot
//
// A file appears under its name only whole: written to `<name>.tmp`,
// fdatasynced, renamed, and the directory fsynced.
import * as path from 'node:path';
import type { Snapshot } from '../raft/types.js';
import { crc32c } from './crc32c.js';
import { decodeSnapshot, encodeSnapshot, type WalSnapshot } from './codec.js';
import { WalError } from './errors.js';
import { nodeFileOps, type FileOps } from './fileops.js';
import { stderrLogger, type WalLogger } from './log.js';
import { parseSnapName, snapName } from './names.js';

const MAGIC = [0x43, 0x53, 0x4e, 0x50]; // "CSNP"
const HEADER = 16;

export interface SnapOptions {
  logger?: WalLogger;
  fileOps?: FileOps;
}

export function encodeSnapFile(snap: Snapshot): Uint8Array {
  const body = encodeSnapshot(snap);
  const out = new Uint8Array(HEADER + body.length);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, crc32c(body), true);
  view.setBigUint64(8, BigInt(body.length), true);
  out.set(body, HEADER);
  return out;
}

/** Checks and decodes a .snap file's bytes; throws ERR_SNAP_CORRUPT naming `name` and what is wrong. */
export function decodeSnapFile(buf: Uint8Array, name: string): Snapshot {
  const corrupt = (what: string, offset: number, cause?: unknown): WalError =>
    new WalError('ERR_SNAP_CORRUPT', `${what} in ${name} at offset ${offset}`, { file: name, offset, cause });
  if (buf.length < HEADER) throw corrupt(`file too short (${buf.length} bytes)`, 0);
  for (let i = 0; i < MAGIC.length; i++) if (buf[i] !== MAGIC[i]) throw corrupt('bad magic', 0);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const length = view.getBigUint64(8, true);
  if (length !== BigInt(buf.length - HEADER)) {
    throw corrupt(`length ${length} does not match the file's ${buf.length - HEADER} body bytes`, 8);
  }
  const body = buf.subarray(HEADER);
  if (crc32c(body) !== view.getUint32(4, true)) throw corrupt('crc mismatch', HEADER);
  let snap: Snapshot;
  try {
    snap = decodeSnapshot(body);
  } catch (err) {
    throw corrupt('undecodable snapshot', HEADER, err);
  }
  const named = parseSnapName(name);
  if (named && (named.index !== snap.metadata.index || named.term !== snap.metadata.term)) {
    throw corrupt(`holds term ${snap.metadata.term} index ${snap.metadata.index}, not what its name says`, HEADER);
  }
  return snap;
}

/** Writes `snap` atomically into `dir`; returns the file name. */
export async function saveSnap(dir: string, snap: Snapshot, opts: SnapOptions = {}): Promise<string> {
  const ops = opts.fileOps ?? nodeFileOps;
  if (snap.metadata.index === 0) throw new WalError('ERR_WAL_BAD_REQUEST', 'refusing to save an empty snapshot (index 0)');
  const name = snapName(snap.metadata.term, snap.metadata.index);
  const tmp = path.join(dir, `${name}.tmp`);
  await ops.unlink(tmp).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  const file = await ops.open(tmp, 'wx');
  try {
    await file.write(encodeSnapFile(snap), 0);
    await file.datasync();
  } finally {
    await file.close();
  }
  await ops.rename(tmp, path.join(dir, name));
  await ops.syncDir(dir);
  return name;
}

/** .snap files in `dir`, newest (highest index, then term) first. */
async function listSnaps(dir: string, ops: FileOps): Promise<{ name: string; index: number; term: number }[]> {
  const out: { name: string; index: number; term: number }[] = [];
  for (const name of await ops.readdir(dir)) {
    const p = parseSnapName(name);
    if (p) out.push({ name, ...p });
  }
  return out.sort((a, b) => b.index - a.index || b.term - a.term);
}

export interface LoadedSnap {
  snapshot: Snapshot;
  file: string;
}

/**
 * The newest snapshot in `dir` that checks out, or undefined if there is
 * none. A corrupt file is renamed to `<name>.broken` (kept for a human to
 * look at, out of the way of the next start) with a log line, and the next
 * older one tried. `accept` narrows the choice, for example to snapshots
 * whose marker the WAL holds (a .snap written just before a crash may have
 * no marker yet); files it rejects are left alone.
 */
export async function loadNewestSnap(
  dir: string,
  opts: SnapOptions & { accept?: (s: WalSnapshot) => boolean } = {},
): Promise<LoadedSnap | undefined> {
  const ops = opts.fileOps ?? nodeFileOps;
  const logger = opts.logger ?? stderrLogger;
  for (const s of await listSnaps(dir, ops)) {
    if (opts.accept && !opts.accept({ index: s.index, term: s.term })) continue;
    const full = path.join(dir, s.name);
    try {
      return { snapshot: decodeSnapFile(await ops.readFile(full), s.name), file: s.name };
    } catch (err) {
      if (!(err instanceof WalError)) throw err;
      await ops.rename(full, `${full}.broken`);
      await ops.syncDir(dir);
      logger.warn('snap: set aside a corrupt snapshot file', { dir, file: s.name, renamedTo: `${s.name}.broken`, error: err.message });
    }
  }
  return undefined;
}

/**
 * Deletes all but the newest `keep` .snap files, and any `.snap.tmp` left by
 * a crash mid-save. Returns the names deleted.
 */
export async function purgeSnaps(dir: string, keep: number, opts: SnapOptions = {}): Promise<string[]> {
  const ops = opts.fileOps ?? nodeFileOps;
  if (!Number.isInteger(keep) || keep < 1) throw new WalError('ERR_WAL_BAD_REQUEST', `keep must be at least 1, not ${keep}`);
  const gone: string[] = [];
  for (const name of await ops.readdir(dir)) {
    if (name.endsWith('.snap.tmp')) {
      await ops.unlink(path.join(dir, name));
      gone.push(name);
    }
  }
  const snaps = await listSnaps(dir, ops);
  // Oldest first, so a crash midway still leaves the newest ones.
  for (const s of snaps.slice(keep).reverse()) {
    await ops.unlink(path.join(dir, s.name));
    gone.push(s.name);
  }
  if (gone.length > 0) await ops.syncDir(dir);
  return gone;
}
