// The Raft consensus core: a deterministic state machine with no I/O.
// Start at rawnode.ts for the loop an application runs.
export { RawNode, bootstrap, type Peer } from './rawnode.js';
export type { RaftConfig, RaftLogger, RaftStatus } from './raft.js';
export { MemoryStorage, type Storage, type InitialState } from './storage.js';
export { SeededRandom, type RandomSource } from './random.js';
export { RaftError, isRaftError, type RaftErrorCode } from './errors.js';
export { encodeConfChange, decodeConfChange, applyConfChange, confChangeProblem, describeConfState } from './confchange.js';
export type { ReadOnlyOption } from './readonly.js';
export { describeMessage, describeEntry } from './describe.js';
export * from './types.js';
