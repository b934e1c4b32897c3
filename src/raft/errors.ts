// Every error the Raft core raises, in one registry with stable codes.
// Callers match on `code`, never on message text.

export type RaftErrorCode =
  | 'ERR_RAFT_PROPOSAL_DROPPED'
  | 'ERR_RAFT_STEP_LOCAL_MSG'
  | 'ERR_RAFT_STEP_PEER_NOT_FOUND'
  | 'ERR_RAFT_COMPACTED'
  | 'ERR_RAFT_UNAVAILABLE'
  | 'ERR_RAFT_SNAP_OUT_OF_DATE'
  | 'ERR_RAFT_SNAPSHOT_TEMPORARILY_UNAVAILABLE'
  | 'ERR_RAFT_CONFIG'
  | 'ERR_RAFT_INVALID_MESSAGE';

const messages: Record<RaftErrorCode, string> = {
  ERR_RAFT_PROPOSAL_DROPPED: 'raft proposal dropped',
  ERR_RAFT_STEP_LOCAL_MSG: 'raft: cannot step raft local message',
  ERR_RAFT_STEP_PEER_NOT_FOUND: 'raft: cannot step as peer not found',
  ERR_RAFT_COMPACTED: 'requested index is unavailable due to compaction',
  ERR_RAFT_UNAVAILABLE: 'requested entry at index is unavailable',
  ERR_RAFT_SNAP_OUT_OF_DATE: 'requested index is older than the existing snapshot',
  ERR_RAFT_SNAPSHOT_TEMPORARILY_UNAVAILABLE: 'snapshot is temporarily unavailable',
  ERR_RAFT_CONFIG: 'invalid raft configuration',
  ERR_RAFT_INVALID_MESSAGE: 'raft: refused a message no correct peer sends',
};

export class RaftError extends Error {
  readonly code: RaftErrorCode;
  constructor(code: RaftErrorCode, detail?: string) {
    super(detail ? `${messages[code]}: ${detail}` : messages[code]);
    this.name = 'RaftError';
    this.code = code;
  }
}

export function isRaftError(err: unknown, code?: RaftErrorCode): err is RaftError {
  return err instanceof RaftError && (code === undefined || err.code === code);
}
