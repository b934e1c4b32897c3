// Every error the WAL and snapshot files raise, in one registry with stable
// codes. Callers match on `code`, never on message text; messages name the
// file and byte offset where that is what went wrong.

export type WalErrorCode =
  /** The log on disk is damaged somewhere other than a torn tail: refuse to start. */
  | 'ERR_WAL_CORRUPT'
  /** Another live process holds the directory. */
  | 'ERR_WAL_LOCKED'
  /** create() on a directory that already holds a log. */
  | 'ERR_WAL_EXISTS'
  /** open() on a directory without a log, or without a segment old enough for the snapshot. */
  | 'ERR_WAL_NOT_FOUND'
  /** The snapshot the caller opens from has no marker in the log. */
  | 'ERR_WAL_SNAPSHOT_NOT_FOUND'
  /** The log has a marker at the snapshot's index, but with another term. */
  | 'ERR_WAL_SNAPSHOT_MISMATCH'
  /** A write, fsync or segment cut failed (ENOSPC, EIO): the log is closed to writes; reopen to recover. */
  | 'ERR_WAL_WRITE_FAILED'
  /** The log was closed. */
  | 'ERR_WAL_CLOSED'
  /** A caller passed something the log cannot record (an entry out of order, a bad size). */
  | 'ERR_WAL_BAD_REQUEST'
  /** A .snap file failed its checks (it is renamed to .broken by loadNewestSnap). */
  | 'ERR_SNAP_CORRUPT';

const messages: Record<WalErrorCode, string> = {
  ERR_WAL_CORRUPT: 'wal: corrupt',
  ERR_WAL_LOCKED: 'wal: locked by another process',
  ERR_WAL_EXISTS: 'wal: already exists',
  ERR_WAL_NOT_FOUND: 'wal: not found',
  ERR_WAL_SNAPSHOT_NOT_FOUND: 'wal: snapshot not found',
  ERR_WAL_SNAPSHOT_MISMATCH: 'wal: snapshot mismatch',
  ERR_WAL_WRITE_FAILED: 'wal: write failed',
  ERR_WAL_CLOSED: 'wal: closed',
  ERR_WAL_BAD_REQUEST: 'wal: bad request',
  ERR_SNAP_CORRUPT: 'snap: corrupt',
};

export class WalError extends Error {
  readonly code: WalErrorCode;
  /** The file the error is about, when there is one. */
  readonly file: string | undefined;
  /** The byte offset inside `file`, when there is one. */
  readonly offset: number | undefined;

  constructor(code: WalErrorCode, detail?: string, where?: { file?: string; offset?: number; cause?: unknown }) {
    super(detail ? `${messages[code]}: ${detail}` : messages[code], where?.cause ? { cause: where.cause } : undefined);
    this.name = 'WalError';
    this.code = code;
    this.file = where?.file;
    this.offset = where?.offset;
  }
}

export function isWalError(err: unknown, code?: WalErrorCode): err is WalError {
  return err instanceof WalError && (code === undefined || err.code === code);
}
